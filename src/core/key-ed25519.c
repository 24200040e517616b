/* ssh-ed25519 (RFC 8709): blob = string "ssh-ed25519", string pk[32];
 * signature = 64 bytes of pure Ed25519 over the data (no pre-hash). */
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include "core/key-impl.h"

#define ED25519_PK_LEN 32
#define ED25519_SIG_LEN 64

static int ed_blob_read(enum kg_keytype t, kg_buf *b, EVP_PKEY **out)
{
	(void)t;
	const uint8_t *pk;
	size_t len;
	GUARD(kg_buf_get_string_direct(b, &pk, &len));
	ENSURE(len == ED25519_PK_LEN, KG_ERR_FORMAT);
	EVP_PKEY *p = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, len);
	if (!p) {
		ERR_clear_error();
		return KG_ERR_CRYPTO;
	}
	*out = p;
	return KG_OK;
}

static int ed_blob_write(const kg_key *k, kg_buf *out)
{
	uint8_t pk[ED25519_PK_LEN];
	size_t len = sizeof(pk);
	ENSURE(EVP_PKEY_get_raw_public_key(k->pkey, pk, &len) == 1, KG_ERR_CRYPTO);
	ENSURE(len == ED25519_PK_LEN, KG_ERR_CRYPTO);
	return kg_buf_put_string(out, pk, len);
}

static int ed_sign(const kg_key *k, const char *sigalg, const uint8_t *data, size_t len,
		   kg_buf *out)
{
	(void)sigalg;
	int r = KG_ERR_CRYPTO;
	uint8_t *sig;
	size_t siglen = ED25519_SIG_LEN;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ENSURE(ctx != NULL, KG_ERR_ALLOC);
	GUARD_GOTO(r, kg_buf_reserve(out, ED25519_SIG_LEN, &sig), done);
	r = KG_ERR_CRYPTO;
	/* Ed25519 hashes internally: the digest must be NULL. */
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, data, len) != 1 || siglen != ED25519_SIG_LEN)
		goto done;
	r = KG_OK;
done:
	EVP_MD_CTX_free(ctx);
	return r;
}

static int ed_verify(const kg_key *k, const char *sigalg, const uint8_t *sig, size_t siglen,
		     const uint8_t *data, size_t len)
{
	(void)sigalg;
	ENSURE(siglen == ED25519_SIG_LEN, KG_ERR_SIGNATURE);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ENSURE(ctx != NULL, KG_ERR_ALLOC);
	int r = KG_ERR_SIGNATURE;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, data, len) == 1)
		r = KG_OK;
	EVP_MD_CTX_free(ctx);
	if (r != KG_OK)
		ERR_clear_error();
	return r;
}

static int ed_generate(enum kg_keytype t, int bits, EVP_PKEY **out)
{
	(void)t;
	(void)bits;
	EVP_PKEY *p = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	ENSURE(p != NULL, KG_ERR_CRYPTO);
	*out = p;
	return KG_OK;
}

static int ed_has_private(const EVP_PKEY *pkey)
{
	size_t len = 0;
	ERR_set_mark();
	int ok = EVP_PKEY_get_raw_private_key(pkey, NULL, &len) == 1 && len > 0;
	ERR_pop_to_mark();
	return ok;
}

const struct kg_key_impl kg_key_impl_ed25519 = {
	.blob_read = ed_blob_read,
	.blob_write = ed_blob_write,
	.sign = ed_sign,
	.verify = ed_verify,
	.generate = ed_generate,
	.has_private = ed_has_private,
};
