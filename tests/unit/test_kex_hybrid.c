/* Exercises src/core/kex-hybrid.c (and its use of src/core/kex.c): two in-memory sides of
 * mlkem768x25519-sha256 agree, K is HASH(kem_ss || raw X25519) and is hashed as a string in the key
 * derivation, and every wrong-length or malformed public value is refused with the outputs unchanged. */
#include <openssl/evp.h>
#include "t.h"
#include "core/kex.h"
#include "core/kex-impl.h"
#include "core/mlkem768.h"

#define PK KG_MLKEM768_PK_LEN
#define CT KG_MLKEM768_CT_LEN

/* A stand-in KEM whose secret is the first 32 bytes of the ciphertext, so
 * the combination can be recomputed here independently. */
static int fake_keypair(uint8_t *pk, uint8_t *sk)
{
	memset(pk, 0x11, 40);
	memset(sk, 0x22, 8);
	return 0;
}
static int fake_encaps(uint8_t *ct, uint8_t *ss, const uint8_t *pk)
{
	for (int i = 0; i < 24; i++)
		ct[i] = (uint8_t)(pk[i] + i);
	memcpy(ss, ct, 24);
	return 0;
}
static int fake_decaps(uint8_t *ss, const uint8_t *ct, const uint8_t *sk)
{
	(void)sk;
	memcpy(ss, ct, 24);
	return 0;
}
static const kg_kem fake_kem = { "fake", 40, 8, 24, 24, fake_keypair, fake_encaps, fake_decaps };
static const kg_kex_alg fake_alg = { "fake-x25519-sha512", 0, EVP_sha512, &kg_kex_family_hybrid, &fake_kem, 1 };

static void test_agree(void)
{
	const kg_kex_alg *a = kg_kex_find("mlkem768x25519-sha256");
	T_ASSERT(a != NULL && a->k_is_string && !a->pub_is_mpint && a->md() == EVP_sha256());
	T_ASSERT(a->params == &kg_kem_mlkem768);
	for (int round = 0; round < 5; round++) {
		void *st = NULL;
		kg_buf cpub, spub, kc, ks;
		kg_buf_init(&cpub, 0);
		kg_buf_init(&spub, 0);
		kg_buf_init(&kc, 0);
		kg_buf_init(&ks, 0);
		T_OK(kg_kex_client_keygen(a, &st, &cpub));
		T_ASSERT(kg_buf_len(&cpub) == PK + 32);
		T_OK(kg_kex_server_derive(a, kg_buf_ptr(&cpub), kg_buf_len(&cpub), &spub, &ks));
		T_ASSERT(kg_buf_len(&spub) == CT + 32 && kg_buf_len(&ks) == 32);
		T_OK(kg_kex_client_derive(a, st, kg_buf_ptr(&spub), kg_buf_len(&spub), &kc));
		T_ASSERT(kg_buf_len(&kc) == 32 && memcmp(kg_buf_ptr(&kc), kg_buf_ptr(&ks), 32) == 0);
		/* A changed ciphertext: the client gets ML-KEM's rejection secret, so K differs. */
		kg_buf bad, kb;
		kg_buf_init(&bad, 0);
		kg_buf_init(&kb, 0);
		T_OK(kg_buf_put(&bad, kg_buf_ptr(&spub), kg_buf_len(&spub)));
		kg_buf_mutable_ptr(&bad)[100] ^= 4;
		T_OK(kg_kex_client_derive(a, st, kg_buf_ptr(&bad), kg_buf_len(&bad), &kb));
		T_ASSERT(memcmp(kg_buf_ptr(&kb), kg_buf_ptr(&ks), 32) != 0);
		kg_buf_free(&bad);
		kg_buf_free(&kb);
		kg_kex_state_free(st);
		kg_buf_free(&cpub);
		kg_buf_free(&spub);
		kg_buf_free(&kc);
		kg_buf_free(&ks);
	}
}

/* K = SHA-512(kem_ss || X25519(client priv, server pub)), recomputed here. */
static void test_combination(void)
{
	void *st = NULL;
	kg_buf cpub, spub, kc, ks;
	kg_buf_init(&cpub, 0);
	kg_buf_init(&spub, 0);
	kg_buf_init(&kc, 0);
	kg_buf_init(&ks, 0);
	T_OK(kg_kex_client_keygen(&fake_alg, &st, &cpub));
	T_ASSERT(kg_buf_len(&cpub) == 40 + 32);
	T_OK(kg_kex_server_derive(&fake_alg, kg_buf_ptr(&cpub), kg_buf_len(&cpub), &spub, &ks));
	T_ASSERT(kg_buf_len(&spub) == 24 + 32 && kg_buf_len(&ks) == 64);
	T_OK(kg_kex_client_derive(&fake_alg, st, kg_buf_ptr(&spub), kg_buf_len(&spub), &kc));
	T_ASSERT(kg_buf_len(&kc) == 64 && memcmp(kg_buf_ptr(&kc), kg_buf_ptr(&ks), 64) == 0);
	EVP_PKEY *peer = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, kg_buf_ptr(&spub) + 24, 32);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ((kg_kex_state *)st)->key, NULL);
	uint8_t in[24 + 32], want[64];
	size_t n = 32;
	unsigned int hl = 0;
	memcpy(in, kg_buf_ptr(&spub), 24);
	T_ASSERT(peer && ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, peer) == 1);
	T_ASSERT(EVP_PKEY_derive(ctx, in + 24, &n) == 1 && n == 32);
	T_ASSERT(EVP_Digest(in, sizeof(in), want, &hl, EVP_sha512(), NULL) == 1 && hl == 64);
	T_ASSERT(memcmp(want, kg_buf_ptr(&kc), 64) == 0);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	kg_kex_state_free(st);
	kg_buf_free(&cpub);
	kg_buf_free(&spub);
	kg_buf_free(&kc);
	kg_buf_free(&ks);
}

/* Key derivation hashes K as a string for the hybrids: HASH(string K || H || letter || session id). */
static void test_derive_string(void)
{
	const kg_kex_alg *a = kg_kex_find("mlkem768x25519-sha256");
	uint8_t K[32], H[32], out[32], out_mp[32], want[32];
	for (int i = 0; i < 32; i++) {
		K[i] = (uint8_t)(0xf0 + i);  /* top bit set: an mpint would get a zero byte */
		H[i] = (uint8_t)i;
	}
	T_OK(kg_kex_derive_alg(a, K, 32, H, 32, 'A', H, 32, out, 32));
	T_OK(kg_kex_derive(EVP_sha256(), K, 32, H, 32, 'A', H, 32, out_mp, 32));
	uint8_t in[4 + 32 + 32 + 1 + 32] = { 0, 0, 0, 32 };
	memcpy(in + 4, K, 32);
	memcpy(in + 36, H, 32);
	in[68] = 'A';
	memcpy(in + 69, H, 32);
	unsigned int hl = 0;
	T_ASSERT(EVP_Digest(in, sizeof(in), want, &hl, EVP_sha256(), NULL) == 1);
	T_ASSERT(memcmp(out, want, 32) == 0 && memcmp(out_mp, want, 32) != 0);
	kg_buf b;
	kg_buf_init(&b, 0);
	T_OK(kg_kex_put_secret(a, &b, K, 32));
	T_ASSERT(kg_buf_len(&b) == 36 && memcmp(kg_buf_ptr(&b), in, 36) == 0);
	kg_buf_reset(&b);
	T_OK(kg_kex_put_secret(kg_kex_find("curve25519-sha256"), &b, K, 32));
	T_ASSERT(kg_buf_len(&b) == 37);  /* the mpint's zero byte */
	kg_buf_free(&b);
}

static int server_refuses(const kg_kex_alg *a, const uint8_t *v, size_t len)
{
	kg_buf pub, k;
	kg_buf_init(&pub, 0);
	kg_buf_init(&k, 0);
	int r = kg_kex_server_derive(a, v, len, &pub, &k);
	int ok = r < 0 && kg_buf_len(&pub) == 0 && kg_buf_len(&k) == 0;
	kg_buf_free(&pub);
	kg_buf_free(&k);
	return ok ? 0 : -1;
}

static int client_refuses(const kg_kex_alg *a, void *st, const uint8_t *v, size_t len)
{
	kg_buf k;
	kg_buf_init(&k, 0);
	int r = kg_kex_client_derive(a, st, v, len, &k);
	int ok = r < 0 && kg_buf_len(&k) == 0;
	kg_buf_free(&k);
	return ok ? 0 : -1;
}

static void test_refused(void)
{
	const kg_kex_alg *a = kg_kex_find("mlkem768x25519-sha256");
	void *st = NULL;
	kg_buf cpub;
	kg_buf_init(&cpub, 0);
	T_OK(kg_kex_client_keygen(a, &st, &cpub));
	static uint8_t v[PK + 64];
	memcpy(v, kg_buf_ptr(&cpub), PK + 32);
	/* Server: only exactly 1184 + 32 bytes. */
	const size_t bad_server[] = { 0, 32, PK, PK + 31, PK + 33, CT + 32, PK + 64 };
	for (size_t i = 0; i < KG_ARRAY_LEN(bad_server); i++)
		T_OK(server_refuses(a, v, bad_server[i]));
	T_OK(server_refuses(a, NULL, 0));
	/* A coefficient >= q in the ML-KEM key. */
	v[1] = (uint8_t)(v[1] | 0xf0);
	v[2] = 0xff;
	T_OK(server_refuses(a, v, PK + 32));
	memcpy(v, kg_buf_ptr(&cpub), PK + 32);
	/* An all-zero (small-order) X25519 value. */
	memset(v + PK, 0, 32);
	T_OK(server_refuses(a, v, PK + 32));
	/* Client: only exactly 1088 + 32 bytes. */
	memset(v, 0x5a, sizeof(v));
	const size_t bad_client[] = { 0, 32, CT, CT + 31, CT + 33, PK + 32 };
	for (size_t i = 0; i < KG_ARRAY_LEN(bad_client); i++)
		T_OK(client_refuses(a, st, v, bad_client[i]));
	memset(v + CT, 0, 32);
	T_OK(client_refuses(a, st, v, CT + 32));
	/* The right length with a valid X25519 value is accepted (not refused for nothing). */
	memcpy(v + CT, kg_buf_ptr(&cpub) + PK, 32);
	kg_buf k;
	kg_buf_init(&k, 0);
	T_OK(kg_kex_client_derive(a, st, v, CT + 32, &k));
	T_ASSERT(kg_buf_len(&k) == 32);
	kg_buf_free(&k);
	kg_kex_state_free(st);
	kg_buf_free(&cpub);
}

int main(void)
{
	T_RUN(test_agree);
	T_RUN(test_combination);
	T_RUN(test_derive_string);
	T_RUN(test_refused);
	return T_DONE();
}
