/* Unit tests for src/core/krl.c and src/core/krl-spec.c: round trips,
 * queries, bitmap/range edges, truncations and corrupt sections. */
#include "t.h"
#include <openssl/evp.h>
#include "core/err.h"
#include "core/key.h"
#include "core/krl.h"

static const uint8_t CA[] = { 0, 0, 0, 3, 'c', 'a', '1' };
static const uint8_t CA2[] = { 0, 0, 0, 3, 'c', 'a', '2' };

static void hdr(kg_buf *b)
{
	if (kg_buf_put_u64(b, KG_KRL_MAGIC) || kg_buf_put_u32(b, 1) || kg_buf_put_u64(b, 7) ||
	    kg_buf_put_u64(b, 1000) || kg_buf_put_u64(b, 0) || kg_buf_put_string(b, NULL, 0) ||
	    kg_buf_put_cstring(b, "c"))
		abort();
}

/* A certificates section for CA with one subsection (type t, body). */
static void cert_sect(kg_buf *b, uint8_t t, const kg_buf *body, int wild)
{
	kg_buf s;
	kg_buf_init(&s, 0);
	if (kg_buf_put_string(&s, CA, wild ? 0 : sizeof(CA)) || kg_buf_put_string(&s, NULL, 0) ||
	    kg_buf_put_u8(&s, t) || kg_buf_put_stringb(&s, body) || kg_buf_put_u8(b, 1) ||
	    kg_buf_put_stringb(b, &s))
		abort();
	kg_buf_free(&s);
}

static int chk(const kg_krl *k, const uint8_t *ca, uint64_t serial, const char *id)
{
	kg_krl_cert_ref r = { ca, ca ? sizeof(CA) : 0, serial, id };
	return kg_krl_check_cert(k, &r);
}

static void test_roundtrip(void)
{
	kg_krl *k = kg_krl_new(), *p = NULL;
	T_ASSERT(k);
	kg_krl_set_version(k, 42);
	kg_krl_set_date(k, 12345);
	T_OK(kg_krl_set_comment(k, "hello"));
	T_OK(kg_krl_revoke_serials(k, CA, sizeof(CA), 5, 5));
	T_OK(kg_krl_revoke_serials(k, CA, sizeof(CA), 10, 20));
	T_OK(kg_krl_revoke_serials(k, CA, sizeof(CA), 21, 21));  /* merges into 10-21 */
	T_OK(kg_krl_revoke_key_id(k, CA, sizeof(CA), "alice"));
	T_OK(kg_krl_revoke_key_id(k, NULL, 0, "mallory"));
	T_ASSERT(kg_krl_revoke_serials(k, NULL, 0, 1, 2) == KG_ERR_ARG);
	T_ASSERT(kg_krl_revoke_serials(k, CA, sizeof(CA), 0, 2) == KG_ERR_ARG);
	T_ASSERT(kg_krl_revoke_serials(k, CA, sizeof(CA), 3, 2) == KG_ERR_ARG);
	uint8_t keyblob[] = { 0, 0, 0, 1, 'x', 1, 2, 3 };
	T_OK(kg_krl_revoke_key_blob(k, keyblob, sizeof(keyblob)));
	uint8_t h[32];
	unsigned hl;
	uint8_t other[] = { 9, 9, 9 };
	T_ASSERT(EVP_Digest(other, 3, h, &hl, EVP_sha256(), NULL) == 1);
	T_OK(kg_krl_revoke_sha256(k, h, 32));
	T_ASSERT(kg_krl_revoke_sha1(k, h, 32) == KG_ERR_ARG);
	kg_buf out, out2;
	kg_buf_init(&out, 0);
	kg_buf_init(&out2, 0);
	T_OK(kg_krl_serialize(k, &out));
	T_ASSERT(kg_krl_is_krl(kg_buf_ptr(&out), kg_buf_len(&out)));
	T_OK(kg_krl_parse(kg_buf_ptr(&out), kg_buf_len(&out), &p));
	T_ASSERT(kg_krl_version(p) == 42 && kg_krl_date(p) == 12345 && strcmp(kg_krl_comment(p), "hello") == 0);
	T_OK(kg_krl_serialize(p, &out2));
	T_ASSERT(kg_buf_len(&out) == kg_buf_len(&out2) && memcmp(kg_buf_ptr(&out), kg_buf_ptr(&out2), kg_buf_len(&out)) == 0);
	const kg_krl *ks[2] = { k, p };
	for (int i = 0; i < 2; i++) {
		const kg_krl *q = ks[i];
		T_ASSERT(chk(q, CA, 5, NULL) == KG_ERR_REVOKED);
		T_ASSERT(chk(q, CA, 4, NULL) == KG_OK);
		T_ASSERT(chk(q, CA, 6, NULL) == KG_OK);
		T_ASSERT(chk(q, CA, 10, NULL) == KG_ERR_REVOKED);
		T_ASSERT(chk(q, CA, 21, NULL) == KG_ERR_REVOKED);
		T_ASSERT(chk(q, CA, 22, NULL) == KG_OK);
		T_ASSERT(chk(q, CA, 9, "bob") == KG_OK);
		T_ASSERT(chk(q, CA, 9, "alice") == KG_ERR_REVOKED);
		T_ASSERT(chk(q, CA2, 9, "alice") == KG_OK);       /* other CA */
		T_ASSERT(chk(q, CA2, 5, NULL) == KG_OK);
		T_ASSERT(chk(q, CA2, 1, "mallory") == KG_ERR_REVOKED); /* any CA */
		T_ASSERT(chk(q, CA, 0, NULL) == KG_OK);
		T_ASSERT(kg_krl_check_key_blob(q, keyblob, sizeof(keyblob)) == KG_ERR_REVOKED);
		T_ASSERT(kg_krl_check_key_blob(q, keyblob, sizeof(keyblob) - 1) == KG_OK);
		T_ASSERT(kg_krl_check_key_blob(q, other, 3) == KG_ERR_REVOKED);
	}
	/* every truncation is refused */
	for (size_t n = 0; n < kg_buf_len(&out); n++) {
		kg_krl *t = NULL;
		int r = kg_krl_parse(kg_buf_ptr(&out), n, &t);
		/* a cut exactly between sections is a valid, shorter KRL */
		if (r == KG_OK) {
			kg_krl_free(t);
			continue;
		}
		T_ASSERT(r < 0 && t == NULL);
	}
	/* trailing garbage after the last section */
	T_OK(kg_buf_put_u8(&out, 2));
	kg_krl *t = NULL;
	T_ASSERT(kg_krl_parse(kg_buf_ptr(&out), kg_buf_len(&out), &t) < 0);
	kg_buf_free(&out);
	kg_buf_free(&out2);
	kg_krl_free(k);
	kg_krl_free(p);
}

static int parse_one(uint8_t t, const kg_buf *body, int wild, kg_krl **out)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	hdr(&b);
	cert_sect(&b, t, body, wild);
	int r = kg_krl_parse(kg_buf_ptr(&b), kg_buf_len(&b), out);
	kg_buf_free(&b);
	return r;
}

static void test_bitmap(void)
{
	kg_buf body;
	kg_buf_init(&body, 0);
	/* offset 100, bits 0, 1, 2 and 9 -> serials 100-102 and 109 */
	uint8_t m[] = { 0x02, 0x07 };
	T_OK(kg_buf_put_u64(&body, 100));
	T_OK(kg_buf_put_mpint(&body, m, 2));
	kg_krl *k = NULL;
	T_OK(parse_one(0x22, &body, 0, &k));
	T_ASSERT(chk(k, CA, 99, NULL) == KG_OK);
	T_ASSERT(chk(k, CA, 100, NULL) == KG_ERR_REVOKED);
	T_ASSERT(chk(k, CA, 102, NULL) == KG_ERR_REVOKED);
	T_ASSERT(chk(k, CA, 103, NULL) == KG_OK);
	T_ASSERT(chk(k, CA, 108, NULL) == KG_OK);
	T_ASSERT(chk(k, CA, 109, NULL) == KG_ERR_REVOKED);
	T_ASSERT(chk(k, CA, 110, NULL) == KG_OK);
	kg_krl_free(k);
	k = NULL;
	/* bit 0 at offset 0 is serial 0: refused */
	kg_buf_reset(&body);
	uint8_t one = 1;
	T_OK(kg_buf_put_u64(&body, 0));
	T_OK(kg_buf_put_mpint(&body, &one, 1));
	T_ASSERT(parse_one(0x22, &body, 0, &k) == KG_ERR_FORMAT);
	/* offset + bit past 2^64 */
	kg_buf_reset(&body);
	uint8_t hi = 0x80;
	T_OK(kg_buf_put_u64(&body, UINT64_MAX - 3));
	T_OK(kg_buf_put_mpint(&body, &hi, 1));
	T_ASSERT(parse_one(0x22, &body, 0, &k) == KG_ERR_FORMAT);
	/* the last serial there is fine */
	kg_buf_reset(&body);
	uint8_t b3 = 0x08;
	T_OK(kg_buf_put_u64(&body, UINT64_MAX - 3));
	T_OK(kg_buf_put_mpint(&body, &b3, 1));
	T_OK(parse_one(0x22, &body, 0, &k));
	T_ASSERT(chk(k, CA, UINT64_MAX, NULL) == KG_ERR_REVOKED);
	T_ASSERT(chk(k, CA, UINT64_MAX - 1, NULL) == KG_OK);
	kg_krl_free(k);
	k = NULL;
	/* empty bitmap (mpint 0) revokes nothing */
	kg_buf_reset(&body);
	T_OK(kg_buf_put_u64(&body, 5));
	T_OK(kg_buf_put_u32(&body, 0));
	T_OK(parse_one(0x22, &body, 0, &k));
	T_ASSERT(chk(k, CA, 5, NULL) == KG_OK);
	kg_krl_free(k);
	k = NULL;
	/* trailing byte after the mpint */
	kg_buf_reset(&body);
	T_OK(kg_buf_put_u64(&body, 5));
	T_OK(kg_buf_put_mpint(&body, &one, 1));
	T_OK(kg_buf_put_u8(&body, 0));
	T_ASSERT(parse_one(0x22, &body, 0, &k) == KG_ERR_FORMAT);
	kg_buf_free(&body);
}

static void test_ranges(void)
{
	kg_buf body;
	kg_buf_init(&body, 0);
	kg_krl *k = NULL;
	T_OK(kg_buf_put_u64(&body, 1));
	T_OK(kg_buf_put_u64(&body, UINT64_MAX));
	T_OK(parse_one(0x21, &body, 0, &k));
	T_ASSERT(chk(k, CA, 1, NULL) == KG_ERR_REVOKED && chk(k, CA, UINT64_MAX, NULL) == KG_ERR_REVOKED);
	kg_krl_free(k);
	k = NULL;
	kg_buf_reset(&body);  /* inverted */
	T_OK(kg_buf_put_u64(&body, 9));
	T_OK(kg_buf_put_u64(&body, 8));
	T_ASSERT(parse_one(0x21, &body, 0, &k) == KG_ERR_FORMAT);
	kg_buf_reset(&body);  /* lo = 0 */
	T_OK(kg_buf_put_u64(&body, 0));
	T_OK(kg_buf_put_u64(&body, 8));
	T_ASSERT(parse_one(0x21, &body, 0, &k) == KG_ERR_FORMAT);
	kg_buf_reset(&body);  /* a single serial, range lo == hi */
	T_OK(kg_buf_put_u64(&body, 8));
	T_OK(kg_buf_put_u64(&body, 8));
	T_OK(parse_one(0x21, &body, 0, &k));
	T_ASSERT(chk(k, CA, 8, NULL) == KG_ERR_REVOKED && chk(k, CA, 9, NULL) == KG_OK);
	kg_krl_free(k);
	k = NULL;
	/* serials under a wildcard CA are refused */
	T_ASSERT(parse_one(0x21, &body, 1, &k) == KG_ERR_FORMAT);
	kg_buf_reset(&body);  /* serial list with a trailing partial u64 */
	T_OK(kg_buf_put_u64(&body, 3));
	T_OK(kg_buf_put_u32(&body, 3));
	T_ASSERT(parse_one(0x20, &body, 0, &k) < 0);
	kg_buf_reset(&body);  /* serial 0 in a list */
	T_OK(kg_buf_put_u64(&body, 0));
	T_ASSERT(parse_one(0x20, &body, 0, &k) == KG_ERR_FORMAT);
	kg_buf_reset(&body);  /* unknown cert subsection */
	T_OK(kg_buf_put_u64(&body, 3));
	T_ASSERT(parse_one(0x24, &body, 0, &k) == KG_ERR_FORMAT);
	kg_buf_reset(&body);  /* key id with an embedded NUL */
	T_OK(kg_buf_put_string(&body, "a\0b", 3));
	T_ASSERT(parse_one(0x23, &body, 1, &k) < 0);
	kg_buf_reset(&body);  /* critical / non-critical cert extension */
	T_OK(kg_buf_put_cstring(&body, "x@example.com"));
	T_OK(kg_buf_put_bool(&body, 1));
	T_OK(kg_buf_put_string(&body, NULL, 0));
	T_ASSERT(parse_one(0x39, &body, 0, &k) == KG_ERR_FORMAT);
	kg_buf_reset(&body);
	T_OK(kg_buf_put_cstring(&body, "x@example.com"));
	T_OK(kg_buf_put_bool(&body, 0));
	T_OK(kg_buf_put_string(&body, NULL, 0));
	T_OK(parse_one(0x39, &body, 0, &k));
	kg_krl_free(k);
	kg_buf_free(&body);
}

static int parse_top(uint8_t t, const kg_buf *body, int sig_first)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	hdr(&b);
	if (sig_first) {
		if (kg_buf_put_u8(&b, 4) || kg_buf_put_cstring(&b, "k") || kg_buf_put_cstring(&b, "s"))
			abort();
	}
	if (kg_buf_put_u8(&b, t) || kg_buf_put_stringb(&b, body))
		abort();
	kg_krl *k = NULL;
	int r = kg_krl_parse(kg_buf_ptr(&b), kg_buf_len(&b), &k);
	kg_krl_free(k);
	kg_buf_free(&b);
	return r;
}

static void test_sections(void)
{
	kg_buf body;
	kg_buf_init(&body, 0);
	uint8_t a[32], z[32];
	memset(a, 1, 32);
	memset(z, 2, 32);
	T_OK(kg_buf_put_string(&body, a, 32));
	T_OK(kg_buf_put_string(&body, z, 32));
	T_OK(parse_top(5, &body, 0));
	T_ASSERT(parse_top(3, &body, 0) == KG_ERR_FORMAT);  /* sha1 must be 20 bytes */
	T_ASSERT(parse_top(5, &body, 1) == KG_ERR_FORMAT);  /* a section after a signature */
	kg_buf_reset(&body);                                /* out of order */
	T_OK(kg_buf_put_string(&body, z, 32));
	T_OK(kg_buf_put_string(&body, a, 32));
	T_ASSERT(parse_top(5, &body, 0) == KG_ERR_FORMAT);
	kg_buf_reset(&body);                                /* empty section */
	T_ASSERT(parse_top(2, &body, 0) == KG_ERR_FORMAT);
	T_ASSERT(parse_top(6, &body, 0) == KG_ERR_FORMAT);  /* unknown section */
	T_OK(kg_buf_put_cstring(&body, "e@example.com"));
	T_OK(kg_buf_put_bool(&body, 1));
	T_OK(kg_buf_put_string(&body, NULL, 0));
	T_ASSERT(parse_top(255, &body, 0) == KG_ERR_FORMAT);
	/* signatures at the end are parsed and ignored */
	kg_buf b;
	kg_buf_init(&b, 0);
	hdr(&b);
	T_OK(kg_buf_put_u8(&b, 4));
	T_OK(kg_buf_put_cstring(&b, "k"));
	T_OK(kg_buf_put_cstring(&b, "s"));
	kg_krl *k = NULL;
	T_OK(kg_krl_parse(kg_buf_ptr(&b), kg_buf_len(&b), &k));
	kg_krl_free(k);
	k = NULL;
	/* bad magic, bad format version */
	uint8_t *d = kg_buf_mutable_ptr(&b);
	d[11] = 2;
	T_ASSERT(kg_krl_parse(kg_buf_ptr(&b), kg_buf_len(&b), &k) == KG_ERR_FORMAT);
	d[11] = 1;
	d[0] = 'X';
	T_ASSERT(!kg_krl_is_krl(d, kg_buf_len(&b)));
	T_ASSERT(kg_krl_parse(kg_buf_ptr(&b), kg_buf_len(&b), &k) == KG_ERR_FORMAT);
	kg_buf_free(&b);
	kg_buf_free(&body);
}

static void test_spec(void)
{
	kg_key *key = NULL, *key2 = NULL;
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &key));
	T_OK(kg_key_generate(KG_KEY_ECDSA_P256, 0, &key2));
	kg_buf line, blob, blob2;
	kg_buf_init(&line, 0);
	kg_buf_init(&blob, 0);
	kg_buf_init(&blob2, 0);
	T_OK(kg_key_to_blob(key, &blob));
	T_OK(kg_key_to_blob(key2, &blob2));
	kg_krl *k = kg_krl_new();
	char why[KG_KRL_WHY_LEN];
	int nop;
	T_ASSERT(kg_krl_spec_line(k, "serial: 5", NULL, 0, 0, why, &nop) == KG_ERR_ARG && nop);
	T_OK(kg_krl_spec_line(k, "serial: 5", CA, sizeof(CA), 0, why, &nop));
	T_OK(kg_krl_spec_line(k, "SERIAL: 0x10-0x12", CA, sizeof(CA), 0, why, &nop));
	T_ASSERT(kg_krl_spec_line(k, "serial: 9-3", CA, sizeof(CA), 0, why, &nop) < 0 && strcmp(why, "invalid serial range 9:3") == 0);
	T_ASSERT(kg_krl_spec_line(k, "serial: 9x", CA, sizeof(CA), 0, why, &nop) < 0);
	T_ASSERT(kg_krl_spec_line(k, "serial: 0", CA, sizeof(CA), 0, why, &nop) < 0);
	T_OK(kg_krl_spec_line(k, "id: bob smith", NULL, 0, 1, why, &nop));
	T_OK(kg_krl_spec_line(k, "# comment", NULL, 0, 0, why, &nop));
	T_OK(kg_krl_spec_line(k, "   ", NULL, 0, 0, why, &nop));
	T_OK(kg_key_to_line(key, &line));
	T_OK(kg_buf_put_u8(&line, 0));
	T_OK(kg_krl_spec_line(k, (const char *)kg_buf_ptr(&line), NULL, 0, 0, why, &nop));
	T_ASSERT(kg_krl_spec_line(k, "ssh-ed25519 AAAA", NULL, 0, 0, why, &nop) < 0);
	T_ASSERT(kg_krl_spec_line(k, "hash: MD5:abc", NULL, 0, 0, why, &nop) < 0);
	T_OK(kg_krl_spec_line(k, "hash: SHA256:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE", NULL, 0, 0, why, &nop));
	T_ASSERT(chk(k, CA, 5, NULL) == KG_ERR_REVOKED && chk(k, CA, 0x11, NULL) == KG_ERR_REVOKED);
	T_ASSERT(chk(k, CA, 0x13, NULL) == KG_OK && chk(k, CA2, 3, "bob smith") == KG_ERR_REVOKED);
	T_ASSERT(kg_krl_check_blob(k, kg_buf_ptr(&blob), kg_buf_len(&blob)) == KG_ERR_REVOKED);
	T_ASSERT(kg_krl_check_blob(k, kg_buf_ptr(&blob2), kg_buf_len(&blob2)) == KG_OK);
	kg_krl_free(k);
	kg_key_free(key);
	kg_key_free(key2);
	kg_buf_free(&line);
	kg_buf_free(&blob);
	kg_buf_free(&blob2);
}

/* A certificate blob built by hand: fields are found, and the cert is
 * revoked by its serial, its key id, its plain key or its CA key. */
static void test_cert_blob(void)
{
	kg_buf c, plain;
	kg_buf_init(&c, 0);
	kg_buf_init(&plain, 0);
	uint8_t pk[32];
	memset(pk, 7, 32);
	T_OK(kg_buf_put_cstring(&c, "ssh-ed25519-cert-v01@openssh.com"));
	T_OK(kg_buf_put_string(&c, "nonce", 5));
	T_OK(kg_buf_put_string(&c, pk, 32));
	T_OK(kg_buf_put_u64(&c, 77));
	T_OK(kg_buf_put_u32(&c, 1));
	T_OK(kg_buf_put_cstring(&c, "the-id"));
	T_OK(kg_buf_put_string(&c, NULL, 0));
	T_OK(kg_buf_put_u64(&c, 0));
	T_OK(kg_buf_put_u64(&c, UINT64_MAX));
	T_OK(kg_buf_put_string(&c, NULL, 0));
	T_OK(kg_buf_put_string(&c, NULL, 0));
	T_OK(kg_buf_put_string(&c, NULL, 0));
	T_OK(kg_buf_put_string(&c, CA, sizeof(CA)));
	T_OK(kg_buf_put_string(&c, "sig", 3));
	kg_krl_cert_ref ref;
	char id[64];
	T_OK(kg_krl_cert_fields(kg_buf_ptr(&c), kg_buf_len(&c), &ref, id, sizeof(id), &plain));
	T_ASSERT(ref.serial == 77 && strcmp(ref.key_id, "the-id") == 0 && ref.ca_len == sizeof(CA));
	T_ASSERT(kg_buf_len(&plain) == 4 + 11 + 4 + 32);
	T_ASSERT(kg_krl_cert_fields(kg_buf_ptr(&c), kg_buf_len(&c) - 1, &ref, id, sizeof(id), NULL) < 0);
	kg_krl *k = kg_krl_new();
	T_OK(kg_krl_check_blob(k, kg_buf_ptr(&c), kg_buf_len(&c)));
	T_OK(kg_krl_revoke_serials(k, CA, sizeof(CA), 77, 77));
	T_ASSERT(kg_krl_check_blob(k, kg_buf_ptr(&c), kg_buf_len(&c)) == KG_ERR_REVOKED);
	kg_krl_free(k);
	k = kg_krl_new();
	T_OK(kg_krl_revoke_key_blob(k, kg_buf_ptr(&plain), kg_buf_len(&plain)));
	T_ASSERT(kg_krl_check_blob(k, kg_buf_ptr(&c), kg_buf_len(&c)) == KG_ERR_REVOKED);
	kg_krl_free(k);
	k = kg_krl_new();
	T_OK(kg_krl_revoke_key_blob(k, CA, sizeof(CA)));
	T_ASSERT(kg_krl_check_blob(k, kg_buf_ptr(&c), kg_buf_len(&c)) == KG_ERR_REVOKED);
	kg_krl_free(k);
	kg_buf_free(&c);
	kg_buf_free(&plain);
}

int main(void)
{
	T_RUN(test_roundtrip);
	T_RUN(test_bitmap);
	T_RUN(test_ranges);
	T_RUN(test_sections);
	T_RUN(test_spec);
	T_RUN(test_cert_blob);
	return T_DONE();
}
