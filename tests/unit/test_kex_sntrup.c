/* Exercises src/core/kex.c's sntrup761x25519-sha512 entries (both names) over
 * src/core/kex-hybrid.c and src/core/sntrup761.c: the two sides agree on a
 * 64-byte K = SHA-512(sntrup_ss || X25519), values of any other length and a
 * non-canonical sntrup761 public key are refused with the outputs unchanged. */
#include <openssl/evp.h>
#include "t.h"
#include "core/kex.h"
#include "core/kex-impl.h"
#include "core/sntrup761.h"

#define PK KG_SNTRUP761_PK_LEN
#define CT KG_SNTRUP761_CT_LEN
static const char *const names[] = { "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com" };

static void test_registered(void)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(names); i++) {
		const kg_kex_alg *a = kg_kex_find(names[i]);
		T_ASSERT(a != NULL && strcmp(a->name, names[i]) == 0);
		T_ASSERT(a->md() == EVP_sha512() && a->k_is_string && !a->pub_is_mpint);
		T_ASSERT(a->params == &kg_kem_sntrup761 && a->family == &kg_kex_family_hybrid);
	}
	/* Listed right after the ML-KEM hybrid, before curve25519. */
	const char *all = kg_kex_all_names();
	const char *m = strstr(all, "mlkem768x25519-sha256,");
	const char *s = strstr(all, "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,");
	const char *c = strstr(all, "curve25519-sha256,");
	T_ASSERT(m != NULL && s != NULL && c != NULL && m < s && s < c);
}

/* K recomputed here: SHA-512(kem secret || X25519(client, server)), with
 * the kem secret from decapsulating the server's ciphertext. */
static void test_agree(void)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(names); i++) {
		const kg_kex_alg *a = kg_kex_find(names[i]);
		void *st = NULL;
		kg_buf cpub, spub, kc, ks;
		kg_buf_init(&cpub, 0);
		kg_buf_init(&spub, 0);
		kg_buf_init(&kc, 0);
		kg_buf_init(&ks, 0);
		T_OK(kg_kex_client_keygen(a, &st, &cpub));
		T_ASSERT(kg_buf_len(&cpub) == PK + 32);
		T_OK(kg_kex_server_derive(a, kg_buf_ptr(&cpub), kg_buf_len(&cpub), &spub, &ks));
		T_ASSERT(kg_buf_len(&spub) == CT + 32 && kg_buf_len(&ks) == 64);
		T_OK(kg_kex_client_derive(a, st, kg_buf_ptr(&spub), kg_buf_len(&spub), &kc));
		T_ASSERT(kg_buf_len(&kc) == 64 && memcmp(kg_buf_ptr(&kc), kg_buf_ptr(&ks), 64) == 0);

		kg_kex_state *cs = st;
		uint8_t in[32 + 32], want[64];
		size_t n = 32;
		unsigned int hl = 0;
		T_OK(kg_sntrup761_decaps(in, kg_buf_ptr(&spub), cs->kem_sk));
		EVP_PKEY *peer = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, kg_buf_ptr(&spub) + CT, 32);
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, cs->key, NULL);
		T_ASSERT(peer && ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, peer) == 1);
		T_ASSERT(EVP_PKEY_derive(ctx, in + 32, &n) == 1 && n == 32);
		T_ASSERT(EVP_Digest(in, sizeof(in), want, &hl, EVP_sha512(), NULL) == 1 && hl == 64);
		T_ASSERT(memcmp(want, kg_buf_ptr(&kc), 64) == 0);
		EVP_PKEY_CTX_free(ctx);
		EVP_PKEY_free(peer);

		/* A changed ciphertext: sntrup's implicit rejection, so K differs. */
		kg_buf bad, kb;
		kg_buf_init(&bad, 0);
		kg_buf_init(&kb, 0);
		T_OK(kg_buf_put(&bad, kg_buf_ptr(&spub), kg_buf_len(&spub)));
		kg_buf_mutable_ptr(&bad)[CT - 1] ^= 1;
		T_OK(kg_kex_client_derive(a, st, kg_buf_ptr(&bad), kg_buf_len(&bad), &kb));
		T_ASSERT(kg_buf_len(&kb) == 64 && memcmp(kg_buf_ptr(&kb), kg_buf_ptr(&ks), 64) != 0);
		kg_buf_free(&bad);
		kg_buf_free(&kb);
		kg_kex_state_free(st);
		kg_buf_free(&cpub);
		kg_buf_free(&spub);
		kg_buf_free(&kc);
		kg_buf_free(&ks);
	}
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
	const kg_kex_alg *a = kg_kex_find("sntrup761x25519-sha512");
	void *st = NULL;
	kg_buf cpub;
	kg_buf_init(&cpub, 0);
	T_OK(kg_kex_client_keygen(a, &st, &cpub));
	static uint8_t v[PK + 64];
	memcpy(v, kg_buf_ptr(&cpub), PK + 32);
	/* Server: exactly 1158 + 32 bytes, nothing else. */
	const size_t bad_server[] = { 0, 32, PK, PK + 31, PK + 33, CT + 32, PK + 64 };
	for (size_t i = 0; i < KG_ARRAY_LEN(bad_server); i++)
		T_OK(server_refuses(a, v, bad_server[i]));
	T_OK(server_refuses(a, NULL, 0));
	/* Bytes that only decode after reduction mod q: not a public key. */
	memset(v, 0xff, PK);
	T_OK(server_refuses(a, v, PK + 32));
	memcpy(v, kg_buf_ptr(&cpub), PK + 32);
	memset(v + PK, 0, 32);                  /* small-order X25519 value */
	T_OK(server_refuses(a, v, PK + 32));
	/* Client: exactly 1039 + 32 bytes. */
	memset(v, 0x5a, sizeof(v));
	const size_t bad_client[] = { 0, 32, CT, CT + 31, CT + 33, PK + 32 };
	for (size_t i = 0; i < KG_ARRAY_LEN(bad_client); i++)
		T_OK(client_refuses(a, st, v, bad_client[i]));
	memset(v + CT, 0, 32);
	T_OK(client_refuses(a, st, v, CT + 32));
	/* The right length with a valid X25519 value is taken (a garbage
	 * ciphertext gives the rejection secret, not an error). */
	memcpy(v + CT, kg_buf_ptr(&cpub) + PK, 32);
	kg_buf k;
	kg_buf_init(&k, 0);
	T_OK(kg_kex_client_derive(a, st, v, CT + 32, &k));
	T_ASSERT(kg_buf_len(&k) == 64);
	kg_buf_free(&k);
	kg_kex_state_free(st);
	kg_buf_free(&cpub);
}

int main(void)
{
	T_RUN(test_registered);
	T_RUN(test_agree);
	T_RUN(test_refused);
	return T_DONE();
}
