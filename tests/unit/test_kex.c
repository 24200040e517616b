#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include "t.h"
#include "core/kex.h"
#include "core/kex-impl.h"

static const char *const all_methods[] = {
	"curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256",
	"ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group14-sha256",
	"diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512",
};

static void test_find(void)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(all_methods); i++) {
		const kg_kex_alg *a = kg_kex_find(all_methods[i]);
		T_ASSERT(a != NULL && strcmp(a->name, all_methods[i]) == 0);
		T_ASSERT(a->md != NULL && a->family != NULL);
		/* ECDH and DH methods carry their curve or group; X25519 needs none. */
		T_ASSERT((a->params != NULL) == (strncmp(a->name, "curve25519", 10) != 0));
		T_ASSERT(a->pub_is_mpint == (strncmp(a->name, "diffie-hellman", 14) == 0));
	}
	T_ASSERT(kg_kex_find("curve25519-sha256@libssh.org")->md() == EVP_sha256());
	T_ASSERT(kg_kex_find("ecdh-sha2-nistp384")->md() == EVP_sha384());
	T_ASSERT(kg_kex_find("ecdh-sha2-nistp521")->md() == EVP_sha512());
	T_ASSERT(kg_kex_find("diffie-hellman-group14-sha256")->md() == EVP_sha256());
	T_ASSERT(kg_kex_find("diffie-hellman-group18-sha512")->md() == EVP_sha512());
	T_ASSERT(kg_kex_find("diffie-hellman-group14-sha1") == NULL);
	T_ASSERT(kg_kex_find("curve25519-sha256,") == NULL);
	T_ASSERT(kg_kex_find("curve25519") == NULL);
	T_ASSERT(kg_kex_find("") == NULL);
	T_ASSERT(kg_kex_find(NULL) == NULL);
	T_ASSERT(strcmp(kg_kex_all_names(),
			"mlkem768x25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,"
			"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
			"ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group14-sha256,"
			"diffie-hellman-group16-sha512,diffie-hellman-group18-sha512") == 0);
}

/* Expected public value length for string methods; 0 for mpint ones. */
static size_t expected_pub_len(const char *name)
{
	if (strncmp(name, "curve25519", 10) == 0) return 32;
	if (strcmp(name, "ecdh-sha2-nistp256") == 0) return 65;
	if (strcmp(name, "ecdh-sha2-nistp384") == 0) return 97;
	if (strcmp(name, "ecdh-sha2-nistp521") == 0) return 133;
	return 0;
}

static size_t dh_prime_len(const char *name)
{
	if (strstr(name, "group14")) return 256;
	if (strstr(name, "group16")) return 512;
	return 1024;
}

/* One exchange as the transport would run it: the public values cross an
 * encoded wire buffer (string or mpint) and both sides must reach the same
 * K.  Returns 0 on success. */
static int one_exchange(const kg_kex_alg *a, int via_put_mpint)
{
	int ok = 0;
	void *st = NULL;
	kg_buf cpub, spub, ks, kc, wire;
	kg_buf_init(&cpub, 0); kg_buf_init(&spub, 0);
	kg_buf_init(&ks, 0); kg_buf_init(&kc, 0); kg_buf_init(&wire, 0);
	const uint8_t *v; size_t vlen;
	size_t want = expected_pub_len(a->name);
	if (kg_kex_client_keygen(a, &st, &cpub) != KG_OK) goto out;
	if (want && kg_buf_len(&cpub) != want) goto out;
	if (!want) {
		/* mpint contents: <= prime size plus a sign byte, canonical. */
		const uint8_t *p = kg_buf_ptr(&cpub);
		size_t n = kg_buf_len(&cpub);
		if (n < 2 || n > dh_prime_len(a->name) + 1) goto out;
		if (p[0] & 0x80) goto out;
		if (p[0] == 0 && !(p[1] & 0x80)) goto out;
		if (via_put_mpint) {
			if (kg_buf_put_mpint(&wire, p, n) != KG_OK) goto out;
		} else if (kg_buf_put_stringb(&wire, &cpub) != KG_OK) {
			goto out;
		}
		if (kg_buf_get_mpint_direct(&wire, &v, &vlen) != KG_OK) goto out;
	} else {
		if (kg_buf_put_stringb(&wire, &cpub) != KG_OK) goto out;
		if (kg_buf_get_string_direct(&wire, &v, &vlen) != KG_OK) goto out;
	}
	if (kg_kex_server_derive(a, v, vlen, &spub, &ks) != KG_OK) goto out;
	if (want && kg_buf_len(&spub) != want) goto out;
	if (kg_kex_client_derive(a, st, kg_buf_ptr(&spub), kg_buf_len(&spub), &kc) != KG_OK) goto out;
	if (kg_buf_len(&kc) == 0 || kg_buf_len(&kc) != kg_buf_len(&ks)) goto out;
	if (memcmp(kg_buf_ptr(&kc), kg_buf_ptr(&ks), kg_buf_len(&kc)) != 0) goto out;
	if (kg_buf_ptr(&kc)[0] == 0) goto out;  /* magnitude: no leading zero */
	if (!want && kg_buf_len(&kc) > dh_prime_len(a->name)) goto out;
	if (want == 32 && kg_buf_len(&kc) > 32) goto out;
	if (want > 32 && kg_buf_len(&kc) > (want - 1) / 2) goto out;
	ok = 1;
out:
	kg_kex_state_free(st);
	kg_buf_free(&cpub); kg_buf_free(&spub); kg_buf_free(&ks); kg_buf_free(&kc); kg_buf_free(&wire);
	return ok ? 0 : -1;
}

static void test_roundtrip_all(void)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(all_methods); i++) {
		const kg_kex_alg *a = kg_kex_find(all_methods[i]);
		T_ASSERT(a != NULL);
		int iters = 40;
		if (strstr(a->name, "group14")) iters = 6;
		if (strstr(a->name, "group16")) iters = 2;
		if (strstr(a->name, "group18")) iters = 1;
		for (int k = 0; k < iters; k++) {
			int r = one_exchange(a, k & 1);
			if (r != 0)
				fprintf(stderr, "exchange failed: %s\n", a->name);
			T_OK(r);
		}
		if (strstr(a->name, "group18") == NULL)
			T_OK(one_exchange(a, 1));
	}
	/* state_free accepts NULL. */
	kg_kex_state_free(NULL);
}

/* RFC 7748 6.1, through the method's own code paths. */
static void test_x25519_rfc7748(void)
{
	uint8_t a_priv[32], b_priv[32], a_pub[32], b_pub[32], k[32];
	t_unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a_priv);
	t_unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", a_pub);
	t_unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", b_priv);
	t_unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", b_pub);
	t_unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", k);
	void *alice = NULL, *bob = NULL;
	kg_buf pa, pb, ka, kb;
	kg_buf_init(&pa, 0); kg_buf_init(&pb, 0); kg_buf_init(&ka, 0); kg_buf_init(&kb, 0);
	T_OK(kg_kex_x25519_keygen_fixed(a_priv, &alice, &pa));
	T_OK(kg_kex_x25519_keygen_fixed(b_priv, &bob, &pb));
	T_ASSERT(kg_buf_len(&pa) == 32 && memcmp(kg_buf_ptr(&pa), a_pub, 32) == 0);
	T_ASSERT(kg_buf_len(&pb) == 32 && memcmp(kg_buf_ptr(&pb), b_pub, 32) == 0);
	const kg_kex_alg *m = kg_kex_find("curve25519-sha256");
	T_OK(kg_kex_client_derive(m, alice, b_pub, 32, &ka));
	T_OK(kg_kex_client_derive(m, bob, a_pub, 32, &kb));
	T_ASSERT(kg_buf_len(&ka) == 32 && memcmp(kg_buf_ptr(&ka), k, 32) == 0);
	T_ASSERT(kg_buf_len(&kb) == 32 && memcmp(kg_buf_ptr(&kb), k, 32) == 0);
	/* Appends after existing contents. */
	T_OK(kg_kex_client_derive(m, alice, b_pub, 32, &ka));
	T_ASSERT(kg_buf_len(&ka) == 64 && memcmp(kg_buf_ptr(&ka) + 32, k, 32) == 0);
	kg_kex_state_free(alice);
	kg_kex_state_free(bob);
	kg_buf_free(&pa); kg_buf_free(&pb); kg_buf_free(&ka); kg_buf_free(&kb);
}

/* A method's derive paths must refuse peer value v, leaving the output
 * buffers as they were. */
static int refuses(const kg_kex_alg *a, void *st, const uint8_t *v, size_t len)
{
	kg_buf pub, sec;
	kg_buf_init(&pub, 0); kg_buf_init(&sec, 0);
	int bad = 0;
	if (kg_buf_put(&sec, "xy", 2) != KG_OK || kg_buf_put(&pub, "z", 1) != KG_OK) bad = 1;
	if (kg_kex_client_derive(a, st, v, len, &sec) >= 0) bad = 1;
	if (kg_kex_server_derive(a, v, len, &pub, &sec) >= 0) bad = 1;
	if (kg_buf_len(&sec) != 2 || kg_buf_len(&pub) != 1) bad = 1;
	kg_buf_free(&pub); kg_buf_free(&sec);
	return bad ? -1 : 0;
}

static void test_x25519_bad_peer(void)
{
	const kg_kex_alg *a = kg_kex_find("curve25519-sha256");
	void *st = NULL;
	kg_buf pub;
	kg_buf_init(&pub, 0);
	T_OK(kg_kex_client_keygen(a, &st, &pub));
	uint8_t v[40] = { 0 };
	/* All-zero point: the shared secret would be zero. */
	T_OK(refuses(a, st, v, 32));
	/* u = 1: small order, zero secret too. */
	v[0] = 1;
	T_OK(refuses(a, st, v, 32));
	/* Wrong lengths, including a good value with a byte added or cut. */
	memcpy(v, kg_buf_ptr(&pub), 32);
	T_OK(refuses(a, st, v, 31));
	T_OK(refuses(a, st, v, 33));
	T_OK(refuses(a, st, v, 0));
	T_OK(refuses(a, st, NULL, 0));
	kg_kex_state_free(st);
	kg_buf_free(&pub);
}

static void test_ecdh_bad_peer(void)
{
	const char *names[] = { "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521" };
	for (size_t i = 0; i < KG_ARRAY_LEN(names); i++) {
		const kg_kex_alg *a = kg_kex_find(names[i]);
		void *st = NULL;
		kg_buf pub, other;
		kg_buf_init(&pub, 0); kg_buf_init(&other, 0);
		T_OK(kg_kex_client_keygen(a, &st, &pub));
		size_t n = kg_buf_len(&pub);
		uint8_t v[140];
		memcpy(v, kg_buf_ptr(&pub), n);
		/* The good point is accepted. */
		kg_buf sec;
		kg_buf_init(&sec, 0);
		T_OK(kg_kex_client_derive(a, st, v, n, &sec));
		kg_buf_free(&sec);
		/* Truncated, extended, empty, point at infinity encoding. */
		T_OK(refuses(a, st, v, n - 1));
		T_OK(refuses(a, st, v, n + 1));
		T_OK(refuses(a, st, v, 0));
		uint8_t inf = 0;
		T_OK(refuses(a, st, &inf, 1));
		/* Compressed / hybrid prefixes are not uncompressed points. */
		v[0] = 0x02; T_OK(refuses(a, st, v, n));
		v[0] = 0x06; T_OK(refuses(a, st, v, n));
		v[0] = 0x04;
		/* Off the curve: y changed by one. */
		v[n - 1] ^= 1;
		T_OK(refuses(a, st, v, n));
		v[n - 1] ^= 1;
		/* (0, 0) is not on these curves. */
		memset(v + 1, 0, n - 1);
		T_OK(refuses(a, st, v, n));
		/* Coordinates >= p: all ones. */
		memset(v + 1, 0xff, n - 1);
		T_OK(refuses(a, st, v, n));
		/* A point of another curve. */
		const kg_kex_alg *b = kg_kex_find(names[(i + 1) % 3]);
		void *st2 = NULL;
		T_OK(kg_kex_client_keygen(b, &st2, &other));
		T_OK(refuses(a, st, kg_buf_ptr(&other), kg_buf_len(&other)));
		kg_kex_state_free(st2);
		kg_kex_state_free(st);
		kg_buf_free(&pub); kg_buf_free(&other);
	}
}

static void test_dh_bad_peer(void)
{
	const kg_kex_alg *a = kg_kex_find("diffie-hellman-group14-sha256");
	void *st = NULL;
	kg_buf pub;
	kg_buf_init(&pub, 0);
	T_OK(kg_kex_client_keygen(a, &st, &pub));
	/* The prime, as OpenSSL's named group has it. */
	BIGNUM *p = NULL, *x = BN_new();
	T_ASSERT(x != NULL);
	T_ASSERT(EVP_PKEY_get_bn_param(((kg_kex_state *)st)->key, OSSL_PKEY_PARAM_FFC_P, &p) == 1);
	T_ASSERT(BN_num_bytes(p) == 256);
	/* The private exponent is 256 bits (RFC 8268 4: twice the strength). */
	BIGNUM *priv = NULL;
	T_ASSERT(EVP_PKEY_get_bn_param(((kg_kex_state *)st)->key, OSSL_PKEY_PARAM_PRIV_KEY, &priv) == 1);
	int pbits = BN_num_bits(priv);
	BN_clear_free(priv);
	T_ASSERT(pbits > 240 && pbits <= 256);
	uint8_t v[300];
	/* 0, 1, and 0 with leading zero bytes. */
	memset(v, 0, sizeof(v));
	T_OK(refuses(a, st, v, 0));
	T_OK(refuses(a, st, v, 1));
	T_OK(refuses(a, st, v, 5));
	v[3] = 1;
	T_OK(refuses(a, st, v, 4));
	/* 2 is the smallest acceptable value. */
	v[3] = 2;
	kg_buf sec;
	kg_buf_init(&sec, 0);
	T_OK(kg_kex_client_derive(a, st, v, 4, &sec));
	kg_buf_free(&sec);
	/* p - 2 passes the range check but has order 2q, outside the
	 * subgroup g generates, which OpenSSL's public key check catches. */
	T_ASSERT(BN_copy(x, p) && BN_sub_word(x, 2));
	T_ASSERT(BN_bn2binpad(x, v, 256) == 256);
	T_OK(refuses(a, st, v, 256));
	/* p - 1, p, p + 1, 2^2048 - 1, 2^2048 (257 bytes), and longer. */
	T_ASSERT(BN_add_word(x, 1));
	T_ASSERT(BN_bn2binpad(x, v, 256) == 256);
	T_OK(refuses(a, st, v, 256));
	T_ASSERT(BN_bn2binpad(p, v, 256) == 256);
	T_OK(refuses(a, st, v, 256));
	T_ASSERT(BN_copy(x, p) && BN_add_word(x, 1));
	T_ASSERT(BN_bn2binpad(x, v, 256) == 256);
	T_OK(refuses(a, st, v, 256));
	memset(v, 0xff, 256);
	T_OK(refuses(a, st, v, 256));
	memset(v, 0, sizeof(v));
	v[0] = 1;
	T_OK(refuses(a, st, v, 257));
	memset(v, 0x55, sizeof(v));
	T_OK(refuses(a, st, v, sizeof(v)));
	/* p - 1 with a leading zero, as a raw mpint field would carry it. */
	T_ASSERT(BN_copy(x, p) && BN_sub_word(x, 1));
	v[0] = 0;
	T_ASSERT(BN_bn2binpad(x, v + 1, 256) == 256);
	T_OK(refuses(a, st, v, 257));
	BN_free(p);
	BN_free(x);
	kg_kex_state_free(st);
	kg_buf_free(&pub);
}

static void test_dh_bad_peer_large_groups(void)
{
	const char *names[] = { "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512" };
	for (size_t i = 0; i < KG_ARRAY_LEN(names); i++) {
		const kg_kex_alg *a = kg_kex_find(names[i]);
		void *st = NULL;
		kg_buf pub;
		kg_buf_init(&pub, 0);
		T_OK(kg_kex_client_keygen(a, &st, &pub));
		BIGNUM *p = NULL;
		T_ASSERT(EVP_PKEY_get_bn_param(((kg_kex_state *)st)->key, OSSL_PKEY_PARAM_FFC_P, &p) == 1);
		size_t plen = (size_t)BN_num_bytes(p);
		T_ASSERT(plen == dh_prime_len(names[i]));
		uint8_t v[1100] = { 0 };
		T_OK(refuses(a, st, v, 1));
		v[0] = 1;
		T_OK(refuses(a, st, v, 1));
		T_ASSERT(BN_bn2binpad(p, v, (int)plen) == (int)plen);
		T_OK(refuses(a, st, v, plen));
		T_ASSERT(BN_sub_word(p, 1));
		T_ASSERT(BN_bn2binpad(p, v, (int)plen) == (int)plen);
		T_OK(refuses(a, st, v, plen));
		memset(v, 0xff, sizeof(v));
		T_OK(refuses(a, st, v, plen + 1));
		BN_free(p);
		kg_kex_state_free(st);
		kg_buf_free(&pub);
	}
}

/* Reference values computed independently (Python hashlib) from
 * K1 = HASH(mpint(K) || H || X || session_id),
 * K(n+1) = HASH(mpint(K) || H || K1 || ... || Kn). */
static void test_derive_kat(void)
{
	static const char *const want_sha256_64[6] = {
		"4b5dc682540faa728ab4573ed62d3028d6afc2767cf823eac87e54c58939071f"
		"b52a424307dec017f4e9818a1c729ad66a0a85bc4a2d291b0a2534be11b84c50",
		"4aac2a472abc3b8af5d9da1791f6de1599e30a71acccc71f55469d7b41a65734"
		"7eb74fbecce4c4125137fd81e99bb77606ca7d312ddc7e20a06c19741292d267",
		"bb1389459f1c43a632c74ab95adfdf93213a847c842af5690a01f882f1bfee19"
		"87716a027747cfe166ffc2d3f5ff5e8434653b550d161c3e4a00b7f075a63498",
		"270bc245f2e2bf7127d0103496cf77c5e87208aade987eb62a9d7195ec6b9a94"
		"62b9f9e23e7f634ba1fe3daa455a015120f87b67787ddba1d406c4976d99f2cc",
		"94c84b405d74d6e21fd4047128e5818f2d97fccd30d74ba5cbb3129cbd7a0abb"
		"95703ca1b1bf032b2cf400e021b05afc9e166d109a776bc23a8d6e8177731df8",
		"005d15a744fa4f670195bc368717b825c1b1b33d7d4ed41a9fd9ed00394ca0dc"
		"4025a2553a995b58c066786de53a600032e074d2c344c338365368058035d78a",
	};
	/* K = 80 81 .. 9f (top bit set: hashed with a zero sign byte),
	 * H = 10 .. 2f, session_id = 40 .. 5f. */
	uint8_t K[32], H[32], sid[32], out[80], want[100];
	for (int i = 0; i < 32; i++) {
		K[i] = (uint8_t)(0x80 + i);
		H[i] = (uint8_t)(0x10 + i);
		sid[i] = (uint8_t)(0x40 + i);
	}
	for (int l = 0; l < 6; l++) {
		T_OK(kg_kex_derive(EVP_sha256(), K, 32, H, 32, (char)('A' + l), sid, 32, out, 64));
		t_unhex(want_sha256_64[l], want);
		T_ASSERT(memcmp(out, want, 64) == 0);
	}
	/* Three blocks: K3 hashes K1 || K2. */
	T_OK(kg_kex_derive(EVP_sha256(), K, 32, H, 32, 'C', sid, 32, out, 80));
	t_unhex(want_sha256_64[2], want);
	t_unhex("edd12f4bf661bdb93dfa732d3f227494", want + 64);
	T_ASSERT(memcmp(out, want, 80) == 0);
	/* Shorter than one hash: a prefix of K1. */
	T_OK(kg_kex_derive(EVP_sha256(), K, 32, H, 32, 'F', sid, 32, out, 16));
	t_unhex(want_sha256_64[5], want);
	T_ASSERT(memcmp(out, want, 16) == 0);

	/* SHA-512, K with two leading zero bytes (stripped by the mpint
	 * encoding), H = SHA512("H"), session_id = SHA512("sid"). */
	uint8_t K2[65], H2[64], sid2[64], out2[100];
	unsigned int hl;
	K2[0] = 0; K2[1] = 0; K2[2] = 0x12; K2[3] = 0x34; K2[4] = 0x56;
	for (int i = 0; i < 60; i++)
		K2[5 + i] = (uint8_t)i;
	T_ASSERT(EVP_Digest("H", 1, H2, &hl, EVP_sha512(), NULL) == 1 && hl == 64);
	T_ASSERT(EVP_Digest("sid", 3, sid2, &hl, EVP_sha512(), NULL) == 1 && hl == 64);
	T_OK(kg_kex_derive(EVP_sha512(), K2, 65, H2, 64, 'E', sid2, 64, out2, 100));
	t_unhex("0a24f3c07ea236eeeff4e003044e64b6e5d99adb4f38f0ccdd622e25783211ac"
		"f485e402e1fd05cce491b780be69252bff3e7631edee72c39c7eb5958e30d8e1"
		"4941da5af006eed50650191446c23f31be378e6aa4f65c0c733e87768bdd558b"
		"d79ecde7", want);
	T_ASSERT(memcmp(out2, want, 100) == 0);
	T_OK(kg_kex_derive(EVP_sha512(), K2 + 2, 63, H2, 64, 'A', sid2, 64, out2, 16));
	t_unhex("959fd6c6b08e5b98aae04553e6fb7cc4", want);
	T_ASSERT(memcmp(out2, want, 16) == 0);

	/* Bad arguments. */
	T_ASSERT(kg_kex_derive(NULL, K, 32, H, 32, 'A', sid, 32, out, 16) == KG_ERR_ARG);
	T_ASSERT(kg_kex_derive(EVP_sha256(), K, 32, H, 32, 'A', sid, 32, out, 0) == KG_ERR_ARG);
	T_ASSERT(kg_kex_derive(EVP_sha256(), NULL, 0, H, 32, 'A', sid, 32, out, 16) == KG_ERR_ARG);
}

int main(void)
{
	T_RUN(test_find);
	T_RUN(test_x25519_rfc7748);
	T_RUN(test_derive_kat);
	T_RUN(test_x25519_bad_peer);
	T_RUN(test_ecdh_bad_peer);
	T_RUN(test_dh_bad_peer);
	T_RUN(test_dh_bad_peer_large_groups);
	T_RUN(test_roundtrip_all);
	return T_DONE();
}
