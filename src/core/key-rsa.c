/* ssh-rsa keys (RFC 4253 6.6): blob = string "ssh-rsa", mpint e, mpint n.
 * Signatures only rsa-sha2-256 / rsa-sha2-512 (RFC 8332), PKCS#1 v1.5; the
 * SHA-1 "ssh-rsa" signature algorithm is never made nor accepted. */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include "core/key-impl.h"

/* libcrypto refuses public exponents over 64 bits for large moduli; refusing
 * them for all sizes keeps one rule.  Real keys use 65537. */
#define RSA_MAX_E_BYTES 8
#define RSA_MAX_MOD_BYTES (KG_RSA_MAX_BITS / 8)

static const char *sigalg_md(const char *sigalg)
{
	if (strcmp(sigalg, "rsa-sha2-256") == 0)
		return "SHA256";
	if (strcmp(sigalg, "rsa-sha2-512") == 0)
		return "SHA512";
	return NULL;
}

/* Bit length of a big-endian magnitude without leading zeros. */
static size_t mag_bits(const uint8_t *v, size_t len)
{
	if (len == 0)
		return 0;
	size_t bits = 8 * (len - 1);
	for (uint8_t top = v[0]; top; top >>= 1)
		bits++;
	return bits;
}

static int rsa_blob_read(enum kg_keytype t, kg_buf *b, EVP_PKEY **out)
{
	(void)t;
	const uint8_t *e, *n;
	size_t elen, nlen;
	GUARD(kg_buf_get_mpint_direct(b, &e, &elen));
	GUARD(kg_buf_get_mpint_direct(b, &n, &nlen));
	/* e odd and at least 3; n odd and within the size limits. */
	ENSURE(elen > 0 && elen <= RSA_MAX_E_BYTES, KG_ERR_FORMAT);
	ENSURE((e[elen - 1] & 1) && !(elen == 1 && e[0] < 3), KG_ERR_FORMAT);
	size_t bits = mag_bits(n, nlen);
	ENSURE(bits <= KG_RSA_MAX_BITS, KG_ERR_TOO_LARGE);
	ENSURE(bits >= KG_RSA_MIN_BITS, KG_ERR_KEY_TOO_SMALL);
	ENSURE(n[nlen - 1] & 1, KG_ERR_FORMAT);

	int r = KG_ERR_CRYPTO;
	EVP_PKEY *p = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *bn_e = BN_bin2bn(e, (int)elen, NULL);
	BIGNUM *bn_n = BN_bin2bn(n, (int)nlen, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	if (!bn_e || !bn_n || !bld) {
		r = KG_ERR_ALLOC;
		goto done;
	}
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto done;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &p, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto done;
	*out = p;
	p = NULL;
	r = KG_OK;
done:
	if (r != KG_OK)
		ERR_clear_error();
	EVP_PKEY_free(p);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_e);
	BN_free(bn_n);
	return r;
}

static int put_bn_mpint(kg_buf *out, const BIGNUM *bn)
{
	uint8_t mag[RSA_MAX_MOD_BYTES];
	int len = BN_num_bytes(bn);
	ENSURE(len >= 0 && (size_t)len <= sizeof(mag), KG_ERR_TOO_LARGE);
	ENSURE(BN_bn2bin(bn, mag) == len, KG_ERR_CRYPTO);
	return kg_buf_put_mpint(out, mag, (size_t)len);
}

static int rsa_blob_write(const kg_key *k, kg_buf *out)
{
	BIGNUM *n = NULL, *e = NULL;
	int r = KG_ERR_CRYPTO;
	if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
	    EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1) {
		r = put_bn_mpint(out, e);
		if (r == KG_OK)
			r = put_bn_mpint(out, n);
	}
	BN_free(n);
	BN_free(e);
	return r;
}

static size_t modulus_len(const kg_key *k)
{
	int n = EVP_PKEY_get_size(k->pkey);
	return n > 0 ? (size_t)n : 0;
}

static int rsa_sign(const kg_key *k, const char *sigalg, const uint8_t *data, size_t len,
		    kg_buf *out)
{
	const char *md = sigalg_md(sigalg);
	ENSURE(md != NULL, KG_ERR_ARG);
	size_t modlen = modulus_len(k);
	ENSURE(modlen > 0 && modlen <= RSA_MAX_MOD_BYTES, KG_ERR_CRYPTO);
	uint8_t *sig;
	size_t siglen = modlen;
	GUARD(kg_buf_reserve(out, modlen, &sig));
	int r = KG_ERR_CRYPTO;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		goto done;
	if (EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, k->pkey, NULL) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, data, len) != 1 || siglen > modlen)
		goto done;
	/* Always emit the full modulus length (RFC 8332 3). */
	if (siglen < modlen) {
		memmove(sig + (modlen - siglen), sig, siglen);
		memset(sig, 0, modlen - siglen);
	}
	r = KG_OK;
done:
	EVP_MD_CTX_free(ctx);
	return r;
}

static int rsa_verify(const kg_key *k, const char *sigalg, const uint8_t *sig, size_t siglen,
		      const uint8_t *data, size_t len)
{
	const char *md = sigalg_md(sigalg);
	ENSURE(md != NULL, KG_ERR_SIGNATURE);
	size_t modlen = modulus_len(k);
	ENSURE(modlen > 0 && modlen <= RSA_MAX_MOD_BYTES, KG_ERR_CRYPTO);
	/* Some signers drop leading zero bytes; OpenSSH pads those back. */
	ENSURE(siglen > 0 && siglen <= modlen, KG_ERR_SIGNATURE);
	uint8_t padded[RSA_MAX_MOD_BYTES];
	memset(padded, 0, modlen - siglen);
	memcpy(padded + (modlen - siglen), sig, siglen);

	int r = KG_ERR_SIGNATURE;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ENSURE(ctx != NULL, KG_ERR_ALLOC);
	if (EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, k->pkey, NULL) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
	    EVP_DigestVerify(ctx, padded, modlen, data, len) == 1)
		r = KG_OK;
	EVP_MD_CTX_free(ctx);
	if (r != KG_OK)
		ERR_clear_error();
	return r;
}

static int rsa_generate(enum kg_keytype t, int bits, EVP_PKEY **out)
{
	(void)t;
	ENSURE(bits >= KG_RSA_MIN_BITS && bits <= KG_RSA_MAX_BITS, KG_ERR_ARG);
	EVP_PKEY *p = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	ENSURE(p != NULL, KG_ERR_CRYPTO);
	*out = p;
	return KG_OK;
}

static int rsa_has_private(const EVP_PKEY *pkey)
{
	return kg_key_has_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D);
}

const struct kg_key_impl kg_key_impl_rsa = {
	.blob_read = rsa_blob_read,
	.blob_write = rsa_blob_write,
	.sign = rsa_sign,
	.verify = rsa_verify,
	.generate = rsa_generate,
	.has_private = rsa_has_private,
};
