#include "t.h"
#include "core/buf.h"

static void test_u32_roundtrip(void)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	T_OK(kg_buf_put_u32(&b, 0xdeadbeef));
	T_OK(kg_buf_put_u8(&b, 7));
	T_OK(kg_buf_put_u64(&b, 0x0102030405060708ull));
	uint32_t v; uint8_t c; uint64_t w;
	T_OK(kg_buf_get_u32(&b, &v));
	T_OK(kg_buf_get_u8(&b, &c));
	T_OK(kg_buf_get_u64(&b, &w));
	T_ASSERT(v == 0xdeadbeef && c == 7 && w == 0x0102030405060708ull);
	T_ASSERT(kg_buf_get_u8(&b, &c) == KG_ERR_INCOMPLETE);
	kg_buf_free(&b);
}

static void test_string_truncated(void)
{
	/* Claims 16 bytes, has 3: must fail without reading past the end. */
	const uint8_t bad[] = { 0, 0, 0, 16, 'a', 'b', 'c' };
	kg_buf b;
	kg_buf_view(&b, bad, sizeof(bad));
	const uint8_t *p; size_t len;
	T_ASSERT(kg_buf_get_string_direct(&b, &p, &len) == KG_ERR_INCOMPLETE);
	T_ASSERT(kg_buf_len(&b) == sizeof(bad));  /* nothing consumed */
	/* Huge length near UINT32_MAX must not wrap. */
	const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xfe, 'x' };
	kg_buf_view(&b, huge, sizeof(huge));
	T_ASSERT(kg_buf_get_string_direct(&b, &p, &len) < 0);
	/* Every prefix of a valid string fails cleanly. */
	const uint8_t ok[] = { 0, 0, 0, 3, 'a', 'b', 'c' };
	for (size_t n = 0; n < sizeof(ok); n++) {
		kg_buf_view(&b, ok, n);
		T_ASSERT(kg_buf_get_string_direct(&b, &p, &len) == KG_ERR_INCOMPLETE);
	}
	kg_buf_view(&b, ok, sizeof(ok));
	T_OK(kg_buf_get_string_direct(&b, &p, &len));
	T_ASSERT(len == 3 && memcmp(p, "abc", 3) == 0 && kg_buf_len(&b) == 0);
}

static void test_cstring_rejects_nul(void)
{
	const uint8_t s[] = { 0, 0, 0, 3, 'a', 0, 'c' };
	kg_buf b;
	kg_buf_view(&b, s, sizeof(s));
	char *out = NULL;
	T_ASSERT(kg_buf_get_cstring(&b, &out, NULL) == KG_ERR_FORMAT);
	T_ASSERT(out == NULL);
}

static void test_mpint(void)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	/* RFC 4251 section 5 examples. */
	const uint8_t v1[] = { 0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7 };
	const uint8_t v2[] = { 0x80 };
	const uint8_t zero[] = { 0, 0 };
	T_OK(kg_buf_put_mpint(&b, v1, sizeof(v1)));
	T_OK(kg_buf_put_mpint(&b, v2, sizeof(v2)));
	T_OK(kg_buf_put_mpint(&b, zero, sizeof(zero)));
	const uint8_t want[] = { 0, 0, 0, 8, 0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7,
				 0, 0, 0, 2, 0x00, 0x80, 0, 0, 0, 0 };
	T_ASSERT(kg_buf_len(&b) == sizeof(want) && memcmp(kg_buf_ptr(&b), want, sizeof(want)) == 0);
	const uint8_t *p; size_t len;
	T_OK(kg_buf_get_mpint_direct(&b, &p, &len));
	T_ASSERT(len == 8 && memcmp(p, v1, 8) == 0);
	T_OK(kg_buf_get_mpint_direct(&b, &p, &len));
	T_ASSERT(len == 1 && p[0] == 0x80);
	T_OK(kg_buf_get_mpint_direct(&b, &p, &len));
	T_ASSERT(len == 0);
	/* Negative and non-minimal encodings are refused. */
	const uint8_t neg[] = { 0, 0, 0, 1, 0x80 };
	const uint8_t nonmin[] = { 0, 0, 0, 2, 0x00, 0x01 };
	kg_buf v;
	kg_buf_view(&v, neg, sizeof(neg));
	T_ASSERT(kg_buf_get_mpint_direct(&v, &p, &len) == KG_ERR_FORMAT);
	kg_buf_view(&v, nonmin, sizeof(nonmin));
	T_ASSERT(kg_buf_get_mpint_direct(&v, &p, &len) == KG_ERR_FORMAT);
	kg_buf_free(&b);
}

static void test_cap(void)
{
	kg_buf b;
	kg_buf_init(&b, 100);
	uint8_t *p;
	T_OK(kg_buf_reserve(&b, 100, &p));
	T_ASSERT(kg_buf_put_u8(&b, 1) == KG_ERR_NO_SPACE);
	T_OK(kg_buf_consume(&b, 50));
	T_OK(kg_buf_reserve(&b, 50, &p));  /* consumed space is reusable */
	T_ASSERT(kg_buf_len(&b) == 100);
	T_ASSERT(kg_buf_reserve(&b, SIZE_MAX, &p) == KG_ERR_NO_SPACE);
	kg_buf_free(&b);
	/* Views are read-only. */
	kg_buf_view(&b, "abc", 3);
	T_ASSERT(kg_buf_put_u8(&b, 1) == KG_ERR_ARG);
	T_ASSERT(kg_buf_mutable_ptr(&b) == NULL);
}

static void test_base64(void)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	T_OK(kg_buf_put_base64(&b, (const uint8_t *)"foobar", 6, 1));
	T_ASSERT(kg_buf_len(&b) == 8 && memcmp(kg_buf_ptr(&b), "Zm9vYmFy", 8) == 0);
	kg_buf_reset(&b);
	T_OK(kg_buf_put_base64(&b, (const uint8_t *)"fo", 2, 0));
	T_ASSERT(kg_buf_len(&b) == 3 && memcmp(kg_buf_ptr(&b), "Zm8", 3) == 0);
	kg_buf_reset(&b);
	T_OK(kg_buf_get_base64(&b, "Zm9v\nYmE=", 9));
	T_ASSERT(kg_buf_len(&b) == 5 && memcmp(kg_buf_ptr(&b), "fooba", 5) == 0);
	kg_buf_reset(&b);
	T_ASSERT(kg_buf_get_base64(&b, "Zm9v!", 5) == KG_ERR_FORMAT);
	T_ASSERT(kg_buf_get_base64(&b, "Zm=9", 4) == KG_ERR_FORMAT);
	kg_buf_free(&b);
}

static void test_putf(void)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	T_OK(kg_buf_putf(&b, "%s-%d", "x", 42));
	T_ASSERT(kg_buf_len(&b) == 4 && memcmp(kg_buf_ptr(&b), "x-42", 4) == 0);
	kg_buf_free(&b);
}

int main(void)
{
	T_RUN(test_u32_roundtrip);
	T_RUN(test_string_truncated);
	T_RUN(test_cstring_rejects_nul);
	T_RUN(test_mpint);
	T_RUN(test_cap);
	T_RUN(test_base64);
	T_RUN(test_putf);
	return T_DONE();
}
