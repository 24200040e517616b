/* The key exchange method table and the key derivation of RFC 4253 7.2;
 * the shared-secret helpers the per-method files use live in kex-agree.c. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "core/kex.h"
#include "core/kex-impl.h"
#include "core/kem.h"

/* Preference order: the order kg_kex_all_names() lists them in. */
static const kg_kex_alg kex_methods[] = {
	{ "mlkem768x25519-sha256", 0, EVP_sha256, &kg_kex_family_hybrid, &kg_kem_mlkem768, 1 },
	/* The same method under the name OpenSSH 9.9 gave it and the name
	 * OpenSSH 8.5-9.8 know it by. */
	{ "sntrup761x25519-sha512", 0, EVP_sha512, &kg_kex_family_hybrid, &kg_kem_sntrup761, 1 },
	{ "sntrup761x25519-sha512@openssh.com", 0, EVP_sha512, &kg_kex_family_hybrid, &kg_kem_sntrup761, 1 },
	{ "curve25519-sha256", 0, EVP_sha256, &kg_kex_family_x25519, NULL, 0 },
	{ "curve25519-sha256@libssh.org", 0, EVP_sha256, &kg_kex_family_x25519, NULL, 0 },
	{ "ecdh-sha2-nistp256", 0, EVP_sha256, &kg_kex_family_ecdh, &kg_kex_curve_p256, 0 },
	{ "ecdh-sha2-nistp384", 0, EVP_sha384, &kg_kex_family_ecdh, &kg_kex_curve_p384, 0 },
	{ "ecdh-sha2-nistp521", 0, EVP_sha512, &kg_kex_family_ecdh, &kg_kex_curve_p521, 0 },
	{ "diffie-hellman-group14-sha256", 1, EVP_sha256, &kg_kex_family_dh, &kg_kex_group_modp2048, 0 },
	{ "diffie-hellman-group16-sha512", 1, EVP_sha512, &kg_kex_family_dh, &kg_kex_group_modp4096, 0 },
	{ "diffie-hellman-group18-sha512", 1, EVP_sha512, &kg_kex_family_dh, &kg_kex_group_modp8192, 0 },
};

const kg_kex_alg *kg_kex_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < KG_ARRAY_LEN(kex_methods); i++)
		if (strcmp(kex_methods[i].name, name) == 0)
			return &kex_methods[i];
	return NULL;
}

const char *kg_kex_pq_kem(const char *name)
{
	const kg_kex_alg *a = kg_kex_find(name);
	if (a == NULL || a->family != &kg_kex_family_hybrid)
		return NULL;
	return ((const kg_kem *)a->params)->name;
}

const char *kg_kex_all_names(void)
{
	return "mlkem768x25519-sha256,"
	       "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,"
	       "curve25519-sha256,curve25519-sha256@libssh.org,"
	       "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
	       "diffie-hellman-group14-sha256,diffie-hellman-group16-sha512,"
	       "diffie-hellman-group18-sha512";
}

void kg_kex_state_free(void *state)
{
	kg_kex_state *st = state;
	if (st == NULL)
		return;
	EVP_PKEY_free(st->key);  /* wipes the private key */
	if (st->kem_sk != NULL) {
		OPENSSL_cleanse(st->kem_sk, st->kem_sk_len);
		free(st->kem_sk);
	}
	free(st);
}

int kg_kex_client_keygen(const kg_kex_alg *alg, void **state, kg_buf *pub_out)
{
	ENSURE(alg != NULL && state != NULL && pub_out != NULL, KG_ERR_ARG);
	const kg_kex_family *f = alg->family;
	kg_kex_state *st = calloc(1, sizeof(*st));
	ENSURE(st != NULL, KG_ERR_ALLOC);
	int r;
	if (f->client_keygen != NULL) {
		r = f->client_keygen(alg, st, pub_out);
	} else {
		r = f->generate(alg->params, &st->key);
		if (r == KG_OK)
			r = f->put_public(alg->params, st->key, pub_out);
	}
	if (r < 0) {
		kg_kex_state_free(st);
		return r;
	}
	*state = st;
	return KG_OK;
}

int kg_kex_client_derive(const kg_kex_alg *alg, void *state, const uint8_t *peer, size_t len,
			 kg_buf *secret_out)
{
	ENSURE(alg != NULL && state != NULL && secret_out != NULL, KG_ERR_ARG);
	kg_kex_state *st = state;
	if (alg->family->client_derive != NULL)
		return alg->family->client_derive(alg, st, peer, len, secret_out);
	EVP_PKEY *theirs;
	GUARD(alg->family->peer_key(alg->params, peer, len, &theirs));
	int r = kg_kex_agree(st->key, theirs, secret_out);
	EVP_PKEY_free(theirs);
	return r;
}

int kg_kex_server_derive(const kg_kex_alg *alg, const uint8_t *peer, size_t len, kg_buf *pub_out,
			 kg_buf *secret_out)
{
	ENSURE(alg != NULL && pub_out != NULL && secret_out != NULL, KG_ERR_ARG);
	const kg_kex_family *f = alg->family;
	if (f->server_derive != NULL)
		return f->server_derive(alg, peer, len, pub_out, secret_out);
	EVP_PKEY *theirs, *ours = NULL;
	/* The peer's value is checked before we make a key pair of our own. */
	GUARD(f->peer_key(alg->params, peer, len, &theirs));
	size_t keep_secret = kg_buf_len(secret_out);
	int r;
	GUARD_GOTO(r, f->generate(alg->params, &ours), done);
	GUARD_GOTO(r, kg_kex_agree(ours, theirs, secret_out), done);
	r = f->put_public(alg->params, ours, pub_out);
	if (r < 0)
		kg_kex_rollback(secret_out, keep_secret);
done:
	EVP_PKEY_free(ours);
	EVP_PKEY_free(theirs);
	return r;
}

int kg_kex_put_secret(const kg_kex_alg *alg, kg_buf *b, const uint8_t *K, size_t klen)
{
	ENSURE(alg != NULL && b != NULL && K != NULL, KG_ERR_ARG);
	return alg->k_is_string ? kg_buf_put_string(b, K, klen) : kg_buf_put_mpint(b, K, klen);
}

/* RFC 4253 7.2 with K encoded as a string (as_string) or an mpint. */
static int derive(const EVP_MD *md, int as_string, const uint8_t *K, size_t klen, const uint8_t *H,
		  size_t hlen, char letter, const uint8_t *session_id, size_t sidlen, uint8_t *out, size_t outlen)
{
	ENSURE(md != NULL && K != NULL && H != NULL && session_id != NULL && out != NULL, KG_ERR_ARG);
	ENSURE(klen > 0 && hlen > 0 && sidlen > 0 && outlen > 0, KG_ERR_ARG);
	int mdlen = EVP_MD_get_size(md);
	ENSURE(mdlen > 0 && mdlen <= EVP_MAX_MD_SIZE, KG_ERR_CRYPTO);
	size_t hsize = (size_t)mdlen;
	uint8_t letter_byte = (uint8_t)letter;
	uint8_t block[EVP_MAX_MD_SIZE];
	unsigned int blen = 0;
	int r = KG_ERR_CRYPTO;
	kg_buf kmp;
	kg_buf_init(&kmp, 0);
	/* prefix: HASH state after K || H; chain: prefix || K1 || ... || Ki. */
	EVP_MD_CTX *prefix = EVP_MD_CTX_new();
	EVP_MD_CTX *chain = EVP_MD_CTX_new();
	EVP_MD_CTX *tmp = EVP_MD_CTX_new();
	ENSURE_GOTO(r, prefix != NULL && chain != NULL && tmp != NULL, KG_ERR_ALLOC, done);
	if (as_string)
		GUARD_GOTO(r, kg_buf_put_string(&kmp, K, klen), done);
	else
		GUARD_GOTO(r, kg_buf_put_mpint(&kmp, K, klen), done);
	r = KG_ERR_CRYPTO;
	if (EVP_DigestInit_ex(prefix, md, NULL) != 1 ||
	    EVP_DigestUpdate(prefix, kg_buf_ptr(&kmp), kg_buf_len(&kmp)) != 1 ||
	    EVP_DigestUpdate(prefix, H, hlen) != 1 ||
	    EVP_MD_CTX_copy_ex(chain, prefix) != 1 ||
	    /* K1 = HASH(K || H || letter || session_id) */
	    EVP_MD_CTX_copy_ex(tmp, prefix) != 1 ||
	    EVP_DigestUpdate(tmp, &letter_byte, 1) != 1 ||
	    EVP_DigestUpdate(tmp, session_id, sidlen) != 1 ||
	    EVP_DigestFinal_ex(tmp, block, &blen) != 1 || blen != hsize)
		goto done;
	for (size_t have = 0;;) {
		size_t take = outlen - have < hsize ? outlen - have : hsize;
		memcpy(out + have, block, take);
		have += take;
		if (have == outlen)
			break;
		/* K(i+1) = HASH(K || H || K1 || ... || Ki) */
		if (EVP_DigestUpdate(chain, block, hsize) != 1 ||
		    EVP_MD_CTX_copy_ex(tmp, chain) != 1 ||
		    EVP_DigestFinal_ex(tmp, block, &blen) != 1 || blen != hsize)
			goto done;
	}
	r = KG_OK;
done:
	if (r != KG_OK)
		OPENSSL_cleanse(out, outlen);
	OPENSSL_cleanse(block, sizeof(block));
	/* Freeing a digest context wipes its internal state. */
	EVP_MD_CTX_free(prefix);
	EVP_MD_CTX_free(chain);
	EVP_MD_CTX_free(tmp);
	kg_buf_free(&kmp);
	return r;
}

int kg_kex_derive(const EVP_MD *md, const uint8_t *K, size_t klen, const uint8_t *H, size_t hlen,
		  char letter, const uint8_t *session_id, size_t sidlen, uint8_t *out, size_t outlen)
{
	return derive(md, 0, K, klen, H, hlen, letter, session_id, sidlen, out, outlen);
}

int kg_kex_derive_alg(const kg_kex_alg *alg, const uint8_t *K, size_t klen, const uint8_t *H, size_t hlen,
		      char letter, const uint8_t *session_id, size_t sidlen, uint8_t *out, size_t outlen)
{
	ENSURE(alg != NULL, KG_ERR_ARG);
	return derive(alg->md(), alg->k_is_string, K, klen, H, hlen, letter, session_id, sidlen, out, outlen);
}
