/* Hybrid post-quantum key exchange: a KEM (kg_kem, the method's params) together with X25519.
 *
 * draft-ietf-sshm-mlkem-hybrid-kex (mlkem768x25519-sha256) and OpenSSH's
 * sntrup761x25519-sha512 share one shape:
 *   client -> C_INIT  = KEM public key || X25519 public key (pk_len + 32)
 *   server -> S_REPLY = KEM ciphertext || X25519 public key (ct_len + 32)
 *   K = HASH(KEM shared secret || raw 32-byte X25519 shared secret)
 * Both values travel as SSH strings; K is hashed as a string (k_is_string).
 * A value of any other length is refused before any of it is read. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "core/kem.h"
#include "core/kex-impl.h"

#define X25519_LEN 32
#define SS_MAX 64  /* the largest KEM shared secret we accept */

/* Raw X25519(ours, peer): the 32 bytes, all-zero refused (a small-order
 * peer point; RFC 7748 6.1). */
static int x25519_raw(EVP_PKEY *ours, EVP_PKEY *peer, uint8_t out[X25519_LEN])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ours, NULL);
	ENSURE(ctx != NULL, KG_ERR_ALLOC);
	size_t n = X25519_LEN;
	int r = KG_ERR_PROTOCOL;
	if (EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) == 1 &&
	    EVP_PKEY_derive(ctx, out, &n) == 1 && n == X25519_LEN) {
		uint8_t acc = 0;
		for (size_t i = 0; i < X25519_LEN; i++)
			acc |= out[i];
		r = acc != 0 ? KG_OK : KG_ERR_PROTOCOL;
	}
	if (r != KG_OK)
		OPENSSL_cleanse(out, X25519_LEN);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/* Appends HASH(kem_ss || x_ss) to secret_out. */
static int combine(const kg_kex_alg *alg, const uint8_t *kem_ss, size_t sslen, const uint8_t x_ss[X25519_LEN],
		   kg_buf *secret_out)
{
	const EVP_MD *md = alg->md();
	int mdlen = EVP_MD_get_size(md);
	ENSURE(mdlen > 0 && mdlen <= EVP_MAX_MD_SIZE, KG_ERR_CRYPTO);
	size_t keep = kg_buf_len(secret_out);
	uint8_t *p;
	GUARD(kg_buf_reserve(secret_out, (size_t)mdlen, &p));
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok = ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL) == 1 && EVP_DigestUpdate(ctx, kem_ss, sslen) == 1 &&
		 EVP_DigestUpdate(ctx, x_ss, X25519_LEN) == 1 && EVP_DigestFinal_ex(ctx, p, &n) == 1 &&
		 n == (unsigned int)mdlen;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		kg_kex_rollback(secret_out, keep);
		return KG_ERR_CRYPTO;
	}
	return KG_OK;
}

static int client_keygen(const kg_kex_alg *alg, kg_kex_state *st, kg_buf *pub_out)
{
	const kg_kem *kem = alg->params;
	ENSURE(kem->ss_len <= SS_MAX, KG_ERR_INTERNAL);
	size_t keep = kg_buf_len(pub_out);
	uint8_t *p;
	st->kem_sk = malloc(kem->sk_len);
	ENSURE(st->kem_sk != NULL, KG_ERR_ALLOC);
	st->kem_sk_len = kem->sk_len;  /* kg_kex_state_free wipes it from here on */
	GUARD(kg_buf_reserve(pub_out, kem->pk_len, &p));
	int r;
	GUARD_GOTO(r, kem->keypair(p, st->kem_sk), fail);
	GUARD_GOTO(r, kg_kex_family_x25519.generate(NULL, &st->key), fail);
	GUARD_GOTO(r, kg_kex_family_x25519.put_public(NULL, st->key, pub_out), fail);
	return KG_OK;
fail:
	kg_kex_rollback(pub_out, keep);
	return r;
}

static int client_derive(const kg_kex_alg *alg, kg_kex_state *st, const uint8_t *peer, size_t len,
			 kg_buf *secret_out)
{
	const kg_kem *kem = alg->params;
	ENSURE(peer != NULL && len == kem->ct_len + X25519_LEN, KG_ERR_FORMAT);
	ENSURE(st->key != NULL && st->kem_sk != NULL && kem->ss_len <= SS_MAX, KG_ERR_ARG);
	EVP_PKEY *theirs;
	GUARD(kg_kex_family_x25519.peer_key(NULL, peer + kem->ct_len, X25519_LEN, &theirs));
	uint8_t ss[SS_MAX], xs[X25519_LEN];
	int r;
	GUARD_GOTO(r, kem->decaps(ss, peer, st->kem_sk), out);
	GUARD_GOTO(r, x25519_raw(st->key, theirs, xs), out);
	r = combine(alg, ss, kem->ss_len, xs, secret_out);
out:
	OPENSSL_cleanse(ss, sizeof(ss));
	OPENSSL_cleanse(xs, sizeof(xs));
	EVP_PKEY_free(theirs);
	return r;
}

static int server_derive(const kg_kex_alg *alg, const uint8_t *peer, size_t len, kg_buf *pub_out,
			 kg_buf *secret_out)
{
	const kg_kem *kem = alg->params;
	ENSURE(peer != NULL && len == kem->pk_len + X25519_LEN, KG_ERR_FORMAT);
	ENSURE(kem->ss_len <= SS_MAX, KG_ERR_INTERNAL);
	EVP_PKEY *theirs, *ours = NULL;
	GUARD(kg_kex_family_x25519.peer_key(NULL, peer + kem->pk_len, X25519_LEN, &theirs));
	size_t keep_pub = kg_buf_len(pub_out);
	uint8_t ss[SS_MAX], xs[X25519_LEN], *ct;
	int r;
	GUARD_GOTO(r, kg_buf_reserve(pub_out, kem->ct_len, &ct), out);
	/* A malformed KEM public key (ML-KEM's modulus check) is the peer's fault. */
	GUARD_GOTO(r, kem->encaps(ct, ss, peer), fail);
	GUARD_GOTO(r, kg_kex_family_x25519.generate(NULL, &ours), fail);
	GUARD_GOTO(r, x25519_raw(ours, theirs, xs), fail);
	GUARD_GOTO(r, kg_kex_family_x25519.put_public(NULL, ours, pub_out), fail);
	GUARD_GOTO(r, combine(alg, ss, kem->ss_len, xs, secret_out), fail);
	goto out;
fail:
	kg_kex_rollback(pub_out, keep_pub);
out:
	OPENSSL_cleanse(ss, sizeof(ss));
	OPENSSL_cleanse(xs, sizeof(xs));
	EVP_PKEY_free(ours);
	EVP_PKEY_free(theirs);
	return r;
}

const kg_kex_family kg_kex_family_hybrid = {
	.client_keygen = client_keygen,
	.client_derive = client_derive,
	.server_derive = server_derive,
};
