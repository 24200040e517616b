/* Exercises src/core/socks.c: SOCKS4, 4a and 5 requests fed whole, byte
 * by byte and pipelined, and refusals of what kssh does not serve. */
#include "t.h"
#include "core/socks.h"

/* Feeds all of d in pieces of step bytes; the result of the last feed,
 * with the bytes used in total and the replies concatenated. */
static int feed_all(kg_socks *s, const uint8_t *d, size_t n, size_t step, size_t *used_total, uint8_t *replies,
		    size_t *rlen)
{
	size_t off = 0;
	int r = KG_SOCKS_MORE;
	*rlen = 0;
	while (off < n) {
		size_t k = n - off < step ? n - off : step, used, ol;
		uint8_t out[KG_SOCKS_REPLY_MAX];
		r = kg_socks_feed(s, d + off, k, &used, out, &ol);
		memcpy(replies + *rlen, out, ol);
		*rlen += ol;
		off += used;
		if (r != KG_SOCKS_MORE)
			break;
		if (used == 0)
			break;
	}
	*used_total = off;
	return r;
}

static void test_v5_domain(void)
{
	static const uint8_t req[] = { 5, 2, 2, 0, 5, 1, 0, 3, 9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', 0x1f, 0x90,
				       'G', 'E', 'T' };
	for (size_t step = 1; step <= sizeof(req); step++) {
		kg_socks s;
		kg_socks_init(&s);
		uint8_t rep[64];
		size_t used, rl;
		int r = feed_all(&s, req, sizeof(req), step, &used, rep, &rl);
		T_ASSERT(r == KG_SOCKS_DONE);
		T_ASSERT(used == sizeof(req) - 3);  /* "GET" is the client's data */
		T_ASSERT(strcmp(s.host, "localhost") == 0 && s.port == 8080 && s.version == 5);
		T_ASSERT(rl == 2 && rep[0] == 5 && rep[1] == 0);
		uint8_t out[KG_SOCKS_REPLY_MAX];
		T_ASSERT(kg_socks_reply(&s, 1, 0, out) == 10 && out[0] == 5 && out[1] == 0 && out[3] == 1);
		T_ASSERT(kg_socks_reply(&s, 0, KG_SOCKS5_REFUSED, out) == 10 && out[1] == 5);
	}
}

static void test_v5_addresses(void)
{
	static const uint8_t v4[] = { 5, 1, 0, 5, 1, 0, 1, 198, 51, 100, 7, 0, 22 };
	static const uint8_t v6[] = { 5, 1, 0, 5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0 };
	kg_socks s;
	uint8_t rep[64];
	size_t used, rl;
	kg_socks_init(&s);
	T_ASSERT(feed_all(&s, v4, sizeof(v4), 100, &used, rep, &rl) == KG_SOCKS_DONE);
	T_ASSERT(strcmp(s.host, "198.51.100.7") == 0 && s.port == 22);
	kg_socks_init(&s);
	T_ASSERT(feed_all(&s, v6, sizeof(v6), 3, &used, rep, &rl) == KG_SOCKS_DONE);
	T_ASSERT(strcmp(s.host, "::1") == 0 && s.port == 256);
}

static void test_v4_and_v4a(void)
{
	static const uint8_t v4[] = { 4, 1, 0, 80, 127, 0, 0, 1, 'u', 's', 'e', 'r', 0 };
	static const uint8_t v4a[] = { 4, 1, 0, 80, 0, 0, 0, 1, 0, 'w', 'e', 'b', 0, 'x' };
	kg_socks s;
	uint8_t rep[64], out[KG_SOCKS_REPLY_MAX];
	size_t used, rl;
	kg_socks_init(&s);
	T_ASSERT(feed_all(&s, v4, sizeof(v4), 1, &used, rep, &rl) == KG_SOCKS_DONE);
	T_ASSERT(strcmp(s.host, "127.0.0.1") == 0 && s.port == 80 && rl == 0 && used == sizeof(v4));
	T_ASSERT(kg_socks_reply(&s, 1, 0, out) == 8 && out[0] == 0 && out[1] == 90);
	T_ASSERT(kg_socks_reply(&s, 0, 0, out) == 8 && out[1] == 91);
	kg_socks_init(&s);
	T_ASSERT(feed_all(&s, v4a, sizeof(v4a), 5, &used, rep, &rl) == KG_SOCKS_DONE);
	T_ASSERT(strcmp(s.host, "web") == 0 && used == sizeof(v4a) - 1);
}

static void test_refused(void)
{
	static const struct {
		const uint8_t *d;
		size_t n;
		int reply_code;  /* second byte of the reply sent, -1: none */
	} cases[] = {
		{ (const uint8_t *)"\x06\x01", 2, -1 },                            /* unknown version */
		{ (const uint8_t *)"\x05\x01\x02", 3, 0xff },                      /* no acceptable method */
		{ (const uint8_t *)"\x05\x01\x00\x05\x02\x00\x01\x01\x02\x03\x04\x00\x50", 13, 7 }, /* BIND */
		{ (const uint8_t *)"\x05\x01\x00\x05\x01\x00\x09", 7, 8 },         /* bad address type */
		{ (const uint8_t *)"\x05\x01\x00\x05\x01\x00\x03\x00\x00\x50", 10, 8 }, /* empty name */
		{ (const uint8_t *)"\x05\x01\x00\x05\x01\x00\x01\x01\x02\x03\x04\x00\x00", 13, 8 }, /* port 0 */
		{ (const uint8_t *)"\x04\x02\x00\x50\x01\x02\x03\x04\x00", 9, 91 }, /* SOCKS4 BIND */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kg_socks s;
		kg_socks_init(&s);
		uint8_t rep[64];
		size_t used, rl;
		int r = feed_all(&s, cases[i].d, cases[i].n, 1, &used, rep, &rl);
		if (r != KG_ERR_PROTOCOL)
			fprintf(stderr, "case %zu: %d\n", i, r);
		T_ASSERT(r == KG_ERR_PROTOCOL);
		/* the refusal follows SOCKS5's method choice (2 bytes) if any */
		const uint8_t *last = rl == 12 ? rep + 2 : rep;
		if (cases[i].reply_code >= 0)
			T_ASSERT(rl >= 2 && last[1] == (uint8_t)cases[i].reply_code);
		else
			T_ASSERT(rl == 0);
		/* Once refused, nothing more is taken. */
		size_t u2, ol;
		uint8_t out[KG_SOCKS_REPLY_MAX];
		T_ASSERT(kg_socks_feed(&s, (const uint8_t *)"x", 1, &u2, out, &ol) == KG_ERR_PROTOCOL);
	}
}

static void test_truncated_and_overlong(void)
{
	/* A SOCKS4 user name with no end is refused once the buffer is full. */
	uint8_t big[700];
	memset(big, 'a', sizeof(big));
	memcpy(big, "\x04\x01\x00\x50\x01\x02\x03\x04", 8);
	kg_socks s;
	kg_socks_init(&s);
	uint8_t rep[64];
	size_t used, rl;
	T_ASSERT(feed_all(&s, big, sizeof(big), 64, &used, rep, &rl) == KG_ERR_PROTOCOL);
	/* Every prefix of a good request asks for more. */
	static const uint8_t req[] = { 5, 1, 0, 5, 1, 0, 3, 3, 'w', 'e', 'b', 0, 80 };
	for (size_t n = 0; n < sizeof(req); n++) {
		kg_socks_init(&s);
		int r = feed_all(&s, req, n, 1, &used, rep, &rl);
		T_ASSERT(r == KG_SOCKS_MORE);
	}
}

int main(void)
{
	T_RUN(test_v5_domain);
	T_RUN(test_v5_addresses);
	T_RUN(test_v4_and_v4a);
	T_RUN(test_refused);
	T_RUN(test_truncated_and_overlong);
	return T_DONE();
}
