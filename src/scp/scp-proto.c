/* Legacy scp records, names, quoting and operands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "scp/scp-proto.h"

/* Reads decimal digits up to the next space or the end; at least one. */
static int get_decimal(kg_buf *b, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	size_t n = 0;
	while (kg_buf_len(b) > 0 && kg_buf_ptr(b)[0] != ' ') {
		uint8_t ch;
		GUARD(kg_buf_get_u8(b, &ch));
		ENSURE(ch >= '0' && ch <= '9', KG_ERR_FORMAT);
		ENSURE(x <= (max - (uint64_t)(ch - '0')) / 10, KG_ERR_TOO_LARGE);
		x = x * 10 + (uint64_t)(ch - '0');
		n++;
	}
	ENSURE(n > 0, KG_ERR_FORMAT);
	*v = x;
	return KG_OK;
}

static int get_space(kg_buf *b)
{
	uint8_t ch;
	GUARD(kg_buf_get_u8(b, &ch));
	ENSURE(ch == ' ', KG_ERR_FORMAT);
	return KG_OK;
}

int kg_scp_parse_ctl(const char *line, size_t len, kg_scp_ctl *c)
{
	kg_buf b;
	uint8_t t;
	ENSURE(line != NULL && c != NULL, KG_ERR_ARG);
	memset(c, 0, sizeof(*c));
	ENSURE(len <= KG_SCP_LINE_MAX, KG_ERR_TOO_LARGE);
	kg_buf_view(&b, line, len);
	GUARD(kg_buf_get_u8(&b, &t));
	c->type = t;
	switch (t) {
	case 'E':
		ENSURE(kg_buf_len(&b) == 0, KG_ERR_FORMAT);
		return KG_OK;
	case 'T': {
		uint64_t mt, mu, at, au;
		/* Times fit a signed 64-bit time_t; microseconds below a second. */
		GUARD(get_decimal(&b, INT64_MAX, &mt));
		GUARD(get_space(&b));
		GUARD(get_decimal(&b, 999999, &mu));
		GUARD(get_space(&b));
		GUARD(get_decimal(&b, INT64_MAX, &at));
		GUARD(get_space(&b));
		GUARD(get_decimal(&b, 999999, &au));
		ENSURE(kg_buf_len(&b) == 0, KG_ERR_FORMAT);
		c->mtime = (int64_t)mt;
		c->atime = (int64_t)at;
		return KG_OK;
	}
	case 'C':
	case 'D': {
		unsigned mode = 0;
		size_t digits = 0;
		for (;;) {
			uint8_t ch;
			GUARD(kg_buf_get_u8(&b, &ch));
			if (ch == ' ')
				break;
			ENSURE(ch >= '0' && ch <= '7', KG_ERR_FORMAT);
			mode = mode * 8 + (unsigned)(ch - '0');
			ENSURE(mode <= KG_SCP_MODE_MASK, KG_ERR_FORMAT);
			digits++;
		}
		ENSURE(digits > 0, KG_ERR_FORMAT);
		c->mode = mode;
		GUARD(get_decimal(&b, INT64_MAX, &c->size));
		GUARD(get_space(&b));
		c->name = (const char *)kg_buf_ptr(&b);
		c->name_len = kg_buf_len(&b);
		ENSURE(c->name_len > 0, KG_ERR_FORMAT);
		ENSURE(memchr(c->name, '\0', c->name_len) == NULL, KG_ERR_FORMAT);
		return KG_OK;
	}
	default:
		return KG_ERR_FORMAT;
	}
}

int kg_scp_name_ok(const char *name, size_t len)
{
	if (!name || len == 0)
		return 0;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return 0;
	return memchr(name, '/', len) == NULL && memchr(name, '\0', len) == NULL;
}

static int is_user_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '_' || ch == '-';
}

int kg_scp_quote(kg_buf *out, const char *path, int keep_glob)
{
	const char *p = path;
	int open = 0;
	ENSURE(out != NULL && path != NULL, KG_ERR_ARG);
	if (*p == '~') {
		/* ~ or ~user, up to the first '/', so the shell finds the home. */
		const char *e = p + 1;
		while (*e && is_user_char(*e))
			e++;
		if (*e == '\0' || *e == '/') {
			GUARD(kg_buf_put(out, p, (size_t)(e - p)));
			p = e;
		}
	}
	if (*p == '\0' && p == path)
		return kg_buf_put(out, "''", 2);
	for (; *p; p++) {
		if (keep_glob && strchr("*?[]", *p)) {
			if (open)
				GUARD(kg_buf_put_u8(out, '\''));
			open = 0;
			GUARD(kg_buf_put_u8(out, (uint8_t)*p));
		} else if (*p == '\'') {
			if (open)
				GUARD(kg_buf_put_u8(out, '\''));
			open = 0;
			GUARD(kg_buf_put(out, "\\'", 2));
		} else {
			if (!open)
				GUARD(kg_buf_put_u8(out, '\''));
			open = 1;
			GUARD(kg_buf_put_u8(out, (uint8_t)*p));
		}
	}
	if (open)
		GUARD(kg_buf_put_u8(out, '\''));
	return KG_OK;
}


static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decodes %XX escapes (RFC 3986) in place; %00 is refused. */
static int url_decode(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (*r == '%') {
			int h = hexval(r[1]), l = h < 0 ? -1 : hexval(r[2]);
			ENSURE(h >= 0 && l >= 0 && (h | l) != 0, KG_ERR_FORMAT);
			*w++ = (char)(h * 16 + l);
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return KG_OK;
}

static int set_str(char **dst, const char *s, size_t n)
{
	*dst = strndup(s, n);
	return *dst ? KG_OK : KG_ERR_ALLOC;
}

/* scp://[user[;params]@]host[:port][/path] */
static int parse_uri(const char *arg, kg_scp_operand *op)
{
	const char *auth = arg + 6;
	const char *slash = strchr(auth, '/');
	size_t alen = slash ? (size_t)(slash - auth) : strlen(auth);
	const char *at = memrchr(auth, '@', alen);
	const char *h = auth;
	if (at) {
		const char *semi = memchr(auth, ';', (size_t)(at - auth));
		GUARD(set_str(&op->user, auth, (size_t)((semi ? semi : at) - auth)));
		GUARD(url_decode(op->user));
		ENSURE(*op->user != '\0', KG_ERR_FORMAT);
		h = at + 1;
	}
	const char *hend = auth + alen, *colon = NULL;
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(hend - h));
		ENSURE(rb != NULL, KG_ERR_FORMAT);
		GUARD(set_str(&op->host, h + 1, (size_t)(rb - h - 1)));
		colon = rb + 1 < hend ? rb + 1 : NULL;
		ENSURE(!colon || *colon == ':', KG_ERR_FORMAT);
	} else {
		colon = memchr(h, ':', (size_t)(hend - h));
		GUARD(set_str(&op->host, h, (size_t)((colon ? colon : hend) - h)));
	}
	ENSURE(*op->host != '\0', KG_ERR_FORMAT);
	if (colon) {
		GUARD(set_str(&op->port, colon + 1, (size_t)(hend - colon - 1)));
		ENSURE(*op->port != '\0' && strspn(op->port, "0123456789") == strlen(op->port), KG_ERR_FORMAT);
	}
	GUARD(set_str(&op->path, slash && slash[1] ? slash + 1 : ".", slash && slash[1] ? strlen(slash + 1) : 1));
	return url_decode(op->path);
}

/* Where a "host:path" operand's host part ends (the ':'), or NULL for a
 * local path: a '/' before any ':' makes it local; [v6] may hold colons. */
static const char *host_colon(const char *s)
{
	int bracket = 0;
	if (*s == ':')
		return NULL;
	if (*s == '[')
		bracket = 1;
	for (; *s; s++) {
		if (*s == '@' && s[1] == '[')
			bracket = 1;
		if (*s == ']' && s[1] == ':' && bracket)
			return s + 1;
		if (*s == ':' && !bracket)
			return s;
		if (*s == '/')
			return NULL;
	}
	return NULL;
}

int kg_scp_operand_parse(const char *arg, kg_scp_operand *op)
{
	ENSURE(arg != NULL && op != NULL, KG_ERR_ARG);
	memset(op, 0, sizeof(*op));
	int r;
	if (strncmp(arg, "scp://", 6) == 0) {
		op->remote = 1;
		if ((r = parse_uri(arg, op)) < 0)
			kg_scp_operand_free(op);
		return r;
	}
	const char *colon = host_colon(arg);
	if (!colon)
		return set_str(&op->path, arg, strlen(arg));
	op->remote = 1;
	const char *h = arg;
	const char *at = memrchr(arg, '@', (size_t)(colon - arg));
	r = KG_OK;
	if (at) {
		r = set_str(&op->user, arg, (size_t)(at - arg));
		h = at + 1;
		if (r == KG_OK && *op->user == '\0')
			r = KG_ERR_FORMAT;
	}
	size_t hl = (size_t)(colon - h);
	if (r == KG_OK && hl >= 2 && h[0] == '[' && h[hl - 1] == ']')
		r = set_str(&op->host, h + 1, hl - 2);
	else if (r == KG_OK)
		r = set_str(&op->host, h, hl);
	if (r == KG_OK && *op->host == '\0')
		r = KG_ERR_FORMAT;
	if (r == KG_OK)
		r = set_str(&op->path, colon[1] ? colon + 1 : ".", colon[1] ? strlen(colon + 1) : 1);
	if (r < 0)
		kg_scp_operand_free(op);
	return r;
}

void kg_scp_operand_free(kg_scp_operand *op)
{
	free(op->user);
	free(op->host);
	free(op->port);
	free(op->path);
	memset(op, 0, sizeof(*op));
}

void kg_scp_operand_label(const kg_scp_operand *op, const char *path, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s%s:%s", op->user ? op->user : "", op->user ? "@" : "", op->host,
		 path ? path : op->path);
}

void kg_scp_basename(const char *path, char *out, size_t cap)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	const char *b = memrchr(path, '/', len);
	b = b ? b + 1 : path;
	snprintf(out, cap, "%.*s", (int)(path + len - b), b);
}
