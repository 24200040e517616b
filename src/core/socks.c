/* SOCKS4/4a/5 requests: a small state machine over the bytes received. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "core/socks.h"

enum { ST_START, ST_V4, ST_V5_METHODS, ST_V5_REQUEST, ST_DONE, ST_FAILED };

void kg_socks_init(kg_socks *s)
{
	memset(s, 0, sizeof(*s));
}

/* SOCKS4: VN CD DSTPORT(2) DSTIP(4) USERID NUL [HOST NUL when DSTIP is
 * 0.0.0.x, x != 0].  1 complete, 0 more, <0 bad. */
static int v4_parse(kg_socks *s, uint8_t *out, size_t *outlen)
{
	const uint8_t *b = s->buf;
	if (s->len < 9)
		return 0;
	const uint8_t *nul = memchr(b + 8, 0, s->len - 8);
	if (!nul)
		return s->len >= sizeof(s->buf) ? KG_ERR_PROTOCOL : 0;
	s->port = (uint16_t)(b[2] << 8 | b[3]);
	int v4a = b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] != 0;
	if (v4a) {
		const uint8_t *h = nul + 1;
		size_t left = s->len - (size_t)(h - b);
		const uint8_t *hn = memchr(h, 0, left);
		if (!hn)
			return s->len >= sizeof(s->buf) ? KG_ERR_PROTOCOL : 0;
		size_t hl = (size_t)(hn - h);
		if (hl == 0 || hl > KG_SOCKS_HOST_MAX)
			goto refuse;
		memcpy(s->host, h, hl);
		s->host[hl] = '\0';
		s->len = (size_t)(hn + 1 - b);
	} else {
		snprintf(s->host, sizeof(s->host), "%u.%u.%u.%u", b[4], b[5], b[6], b[7]);
		s->len = (size_t)(nul + 1 - b);
	}
	if (b[1] != 1 || s->port == 0)
		goto refuse;
	return 1;
refuse:
	*outlen = kg_socks_reply(s, 0, KG_SOCKS5_BAD_COMMAND, out);
	return KG_ERR_PROTOCOL;
}

/* SOCKS5 greeting: VER NMETHODS METHODS; we take "no authentication". */
static int v5_methods(kg_socks *s, uint8_t *out, size_t *outlen)
{
	if (s->len < 2 || s->len < 2u + s->buf[1])
		return 0;
	size_t n = s->buf[1];
	int ok = memchr(s->buf + 2, 0, n) != NULL;
	out[0] = 5;
	out[1] = ok ? 0 : 0xff;
	*outlen = 2;
	s->len = 2 + n;
	return ok ? 1 : KG_ERR_PROTOCOL;
}

/* SOCKS5 request: VER CMD RSV ATYP DST.ADDR DST.PORT. */
static int v5_request(kg_socks *s, uint8_t *out, size_t *outlen)
{
	const uint8_t *b = s->buf;
	if (s->len < 4 || (b[3] == 3 && s->len < 5))
		return 0;
	size_t alen;
	switch (b[3]) {
	case 1: alen = 4; break;
	case 3: alen = 1u + b[4]; break;
	case 4: alen = 16; break;
	default:
		*outlen = kg_socks_reply(s, 0, KG_SOCKS5_BAD_ADDRESS, out);
		return KG_ERR_PROTOCOL;
	}
	size_t need = 4 + alen + 2;
	if (s->len < need)
		return 0;
	s->len = need;
	if (b[0] != 5 || b[2] != 0) {
		*outlen = kg_socks_reply(s, 0, KG_SOCKS5_FAIL, out);
		return KG_ERR_PROTOCOL;
	}
	if (b[1] != 1) {
		*outlen = kg_socks_reply(s, 0, KG_SOCKS5_BAD_COMMAND, out);
		return KG_ERR_PROTOCOL;
	}
	if (b[3] == 1) {
		snprintf(s->host, sizeof(s->host), "%u.%u.%u.%u", b[4], b[5], b[6], b[7]);
	} else if (b[3] == 4) {
		if (!inet_ntop(AF_INET6, b + 4, s->host, sizeof(s->host)))
			return KG_ERR_PROTOCOL;
	} else {
		size_t hl = b[4];
		if (hl == 0 || memchr(b + 5, 0, hl)) {
			*outlen = kg_socks_reply(s, 0, KG_SOCKS5_BAD_ADDRESS, out);
			return KG_ERR_PROTOCOL;
		}
		memcpy(s->host, b + 5, hl);
		s->host[hl] = '\0';
	}
	s->port = (uint16_t)(b[4 + alen] << 8 | b[5 + alen]);
	if (s->port == 0) {
		*outlen = kg_socks_reply(s, 0, KG_SOCKS5_BAD_ADDRESS, out);
		return KG_ERR_PROTOCOL;
	}
	return 1;
}

int kg_socks_feed(kg_socks *s, const uint8_t *d, size_t n, size_t *used, uint8_t *out, size_t *outlen)
{
	*used = 0;
	*outlen = 0;
	while (*used < n || s->state == ST_START) {
		if (s->state == ST_DONE)
			return KG_SOCKS_DONE;
		if (s->state == ST_FAILED)
			return KG_ERR_PROTOCOL;
		if (*used == n)
			return KG_SOCKS_MORE;
		if (s->state == ST_START) {
			if (d[*used] == 4)
				s->state = ST_V4;
			else if (d[*used] == 5)
				s->state = ST_V5_METHODS;
			else {
				s->state = ST_FAILED;
				return KG_ERR_PROTOCOL;
			}
			s->version = d[*used];
		}
		/* One byte at a time: what follows a message is not ours. */
		if (s->len >= sizeof(s->buf)) {
			s->state = ST_FAILED;
			return KG_ERR_PROTOCOL;
		}
		s->buf[s->len++] = d[(*used)++];
		int r;
		if (s->state == ST_V4)
			r = v4_parse(s, out, outlen);
		else if (s->state == ST_V5_METHODS)
			r = v5_methods(s, out, outlen);
		else
			r = v5_request(s, out, outlen);
		if (r < 0) {
			s->state = ST_FAILED;
			return KG_ERR_PROTOCOL;
		}
		if (r == 0)
			continue;
		s->len = 0;
		if (s->state == ST_V5_METHODS) {
			s->state = ST_V5_REQUEST;
			return KG_SOCKS_MORE;  /* send the method choice first */
		}
		s->state = ST_DONE;
		return KG_SOCKS_DONE;
	}
	return s->state == ST_DONE ? KG_SOCKS_DONE : KG_SOCKS_MORE;
}

size_t kg_socks_reply(const kg_socks *s, int ok, int code, uint8_t *out)
{
	if (s->version == 4) {
		memset(out, 0, 8);
		out[1] = ok ? 90 : 91;
		return 8;
	}
	memset(out, 0, 10);
	out[0] = 5;
	out[1] = ok ? 0 : (uint8_t)(code ? code : KG_SOCKS5_FAIL);
	out[3] = 1;
	return 10;
}
