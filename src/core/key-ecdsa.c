/* ecdsa-sha2-nistp256/384/521 (RFC 5656 3.1, 3.1.2):
 * blob = string name, string curve id ("nistp256"), string Q (uncompressed);
 * signature = string { mpint r, mpint s }, over SHA-256/384/512 by curve.
 * libcrypto speaks DER ECDSA-Sig-Value, so signatures are converted. */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include "core/key-impl.h"

struct curve {
	enum kg_keytype type;
	const char *ssh_id;     /* curve identifier inside the blob */
	const char *group;      /* libcrypto group name */
	const char *alt_group;  /* the name libcrypto reports back */
	const char *md;         /* RFC 5656 6.2.1 */
	size_t field_len;       /* bytes per coordinate */
};

static const struct curve curves[] = {
	{ KG_KEY_ECDSA_P256, "nistp256", "P-256", "prime256v1", "SHA256", 32 },
	{ KG_KEY_ECDSA_P384, "nistp384", "P-384", "secp384r1", "SHA384", 48 },
	{ KG_KEY_ECDSA_P521, "nistp521", "P-521", "secp521r1", "SHA512", 66 },
};

/* Uncompressed point: 0x04 || X || Y. */
#define POINT_MAX (1 + 2 * 66)

static const struct curve *curve_of(enum kg_keytype t)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(curves); i++)
		if (curves[i].type == t)
			return &curves[i];
	return NULL;
}

enum kg_keytype kg_key_ecdsa_type(const EVP_PKEY *pkey)
{
	char name[64];
	size_t len = 0;
	if (!EVP_PKEY_is_a(pkey, "EC"))
		return KG_KEY_UNSPEC;
	ERR_set_mark();
	int ok = EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name,
						 sizeof(name), &len);
	ERR_pop_to_mark();
	if (!ok)
		return KG_KEY_UNSPEC;
	for (size_t i = 0; i < KG_ARRAY_LEN(curves); i++)
		if (strcmp(name, curves[i].group) == 0 || strcmp(name, curves[i].alt_group) == 0)
			return curves[i].type;
	return KG_KEY_UNSPEC;
}

static int ec_blob_read(enum kg_keytype t, kg_buf *b, EVP_PKEY **out)
{
	const struct curve *c = curve_of(t);
	ENSURE(c != NULL, KG_ERR_KEY_TYPE);
	const uint8_t *id, *q;
	size_t idlen, qlen;
	GUARD(kg_buf_get_string_direct(b, &id, &idlen));
	GUARD(kg_buf_get_string_direct(b, &q, &qlen));
	/* The curve id must agree with the type name (RFC 5656 3.1). */
	ENSURE(idlen == strlen(c->ssh_id) && memcmp(id, c->ssh_id, idlen) == 0, KG_ERR_FORMAT);
	/* Only the uncompressed form; this also rules out the point at infinity. */
	ENSURE(qlen == 1 + 2 * c->field_len && q[0] == 0x04, KG_ERR_FORMAT);

	int r = KG_ERR_CRYPTO;
	EVP_PKEY *p = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL, *check = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	if (!bld)
		return KG_ERR_ALLOC;
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, c->group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q, qlen) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto done;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1)
		goto done;
	/* Decoding a point off the curve fails here already. */
	if (EVP_PKEY_fromdata(ctx, &p, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		r = KG_ERR_FORMAT;
		goto done;
	}
	/* Full public key validation (SP 800-56A 5.6.2.3.3) on top. */
	check = EVP_PKEY_CTX_new_from_pkey(NULL, p, NULL);
	if (!check)
		goto done;
	if (EVP_PKEY_public_check(check) != 1) {
		r = KG_ERR_FORMAT;
		goto done;
	}
	*out = p;
	p = NULL;
	r = KG_OK;
done:
	if (r != KG_OK)
		ERR_clear_error();
	EVP_PKEY_free(p);
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

/* Left-pads a BIGNUM into exactly len bytes. */
static int bn_fixed(const BIGNUM *bn, uint8_t *out, size_t len)
{
	ENSURE(bn != NULL && (size_t)BN_num_bytes(bn) <= len, KG_ERR_CRYPTO);
	ENSURE(BN_bn2binpad(bn, out, (int)len) == (int)len, KG_ERR_CRYPTO);
	return KG_OK;
}

/* The uncompressed public point of k (whatever form libcrypto keeps). */
static int ec_point(const kg_key *k, const struct curve *c, uint8_t *pt, size_t *ptlen)
{
	size_t want = 1 + 2 * c->field_len, len = 0;
	ERR_set_mark();
	int ok = EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, pt,
						 POINT_MAX, &len);
	ERR_pop_to_mark();
	if (ok && len == want && pt[0] == 0x04) {
		*ptlen = len;
		return KG_OK;
	}
	/* A key loaded with a compressed point: rebuild from the coordinates. */
	BIGNUM *x = NULL, *y = NULL;
	int r = KG_ERR_CRYPTO;
	if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
	    EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1) {
		pt[0] = 0x04;
		r = bn_fixed(x, pt + 1, c->field_len);
		if (r == KG_OK)
			r = bn_fixed(y, pt + 1 + c->field_len, c->field_len);
	}
	BN_free(x);
	BN_free(y);
	*ptlen = want;
	return r;
}

static int ec_blob_write(const kg_key *k, kg_buf *out)
{
	const struct curve *c = curve_of(k->type);
	ENSURE(c != NULL, KG_ERR_KEY_TYPE);
	ENSURE(kg_key_ecdsa_type(k->pkey) == k->type, KG_ERR_KEY_TYPE);
	uint8_t pt[POINT_MAX];
	size_t ptlen;
	GUARD(ec_point(k, c, pt, &ptlen));
	GUARD(kg_buf_put_cstring(out, c->ssh_id));
	return kg_buf_put_string(out, pt, ptlen);
}

static int ec_sign(const kg_key *k, const char *sigalg, const uint8_t *data, size_t len,
		   kg_buf *out)
{
	(void)sigalg;
	const struct curve *c = curve_of(k->type);
	ENSURE(c != NULL, KG_ERR_KEY_TYPE);
	/* DER of two integers up to 66 bytes: well under 160 bytes. */
	uint8_t der[160];
	size_t derlen = sizeof(der);
	const uint8_t *dp = der;
	uint8_t rb[66], sb[66];
	int r = KG_ERR_CRYPTO;
	ECDSA_SIG *es = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ENSURE(ctx != NULL, KG_ERR_ALLOC);
	if (EVP_DigestSignInit_ex(ctx, NULL, c->md, NULL, NULL, k->pkey, NULL) != 1 ||
	    EVP_DigestSign(ctx, der, &derlen, data, len) != 1)
		goto done;
	es = d2i_ECDSA_SIG(NULL, &dp, (long)derlen);
	if (!es || dp != der + derlen)
		goto done;
	GUARD_GOTO(r, bn_fixed(ECDSA_SIG_get0_r(es), rb, c->field_len), done);
	GUARD_GOTO(r, bn_fixed(ECDSA_SIG_get0_s(es), sb, c->field_len), done);
	GUARD_GOTO(r, kg_buf_put_mpint(out, rb, c->field_len), done);
	GUARD_GOTO(r, kg_buf_put_mpint(out, sb, c->field_len), done);
	r = KG_OK;
done:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
	return r;
}

/* 1 when 0 < v < order, v big-endian without leading zeros. */
static int scalar_in_range(const uint8_t *v, size_t len, const BIGNUM *order)
{
	if (len == 0 || len > (size_t)BN_num_bytes(order))
		return 0;
	BIGNUM *bn = BN_bin2bn(v, (int)len, NULL);
	int ok = bn && !BN_is_zero(bn) && BN_cmp(bn, order) < 0;
	BN_free(bn);
	return ok;
}

/* Builds the DER form of (r, s) into der; returns its length or 0. */
static size_t sig_to_der(const uint8_t *rv, size_t rlen, const uint8_t *sv, size_t slen,
			 uint8_t *der, size_t cap)
{
	size_t n = 0;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *br = BN_bin2bn(rv, (int)rlen, NULL);
	BIGNUM *bs = BN_bin2bn(sv, (int)slen, NULL);
	if (es && br && bs && ECDSA_SIG_set0(es, br, bs) == 1) {
		br = bs = NULL;  /* owned by es now */
		int dl = i2d_ECDSA_SIG(es, NULL);
		if (dl > 0 && (size_t)dl <= cap) {
			uint8_t *p = der;
			if (i2d_ECDSA_SIG(es, &p) == dl)
				n = (size_t)dl;
		}
	}
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(es);
	return n;
}

static int ec_verify(const kg_key *k, const char *sigalg, const uint8_t *sig, size_t siglen,
		     const uint8_t *data, size_t len)
{
	(void)sigalg;
	const struct curve *c = curve_of(k->type);
	ENSURE(c != NULL, KG_ERR_KEY_TYPE);
	kg_buf b;
	const uint8_t *rv, *sv;
	size_t rlen, slen;
	kg_buf_view(&b, sig, siglen);
	ENSURE(kg_buf_get_mpint_direct(&b, &rv, &rlen) == KG_OK, KG_ERR_SIGNATURE);
	ENSURE(kg_buf_get_mpint_direct(&b, &sv, &slen) == KG_OK, KG_ERR_SIGNATURE);
	ENSURE(kg_buf_len(&b) == 0, KG_ERR_SIGNATURE);

	int r = KG_ERR_SIGNATURE;
	uint8_t der[160];
	size_t derlen;
	BIGNUM *order = NULL;
	EVP_MD_CTX *ctx = NULL;
	if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_ORDER, &order) != 1) {
		r = KG_ERR_CRYPTO;
		goto done;
	}
	if (!scalar_in_range(rv, rlen, order) || !scalar_in_range(sv, slen, order))
		goto done;
	derlen = sig_to_der(rv, rlen, sv, slen, der, sizeof(der));
	if (derlen == 0) {
		r = KG_ERR_CRYPTO;
		goto done;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		r = KG_ERR_ALLOC;
		goto done;
	}
	if (EVP_DigestVerifyInit_ex(ctx, NULL, c->md, NULL, NULL, k->pkey, NULL) == 1 &&
	    EVP_DigestVerify(ctx, der, derlen, data, len) == 1)
		r = KG_OK;
done:
	if (r != KG_OK)
		ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	BN_free(order);
	return r;
}

static int ec_generate(enum kg_keytype t, int bits, EVP_PKEY **out)
{
	(void)bits;
	const struct curve *c = curve_of(t);
	ENSURE(c != NULL, KG_ERR_KEY_TYPE);
	EVP_PKEY *p = EVP_PKEY_Q_keygen(NULL, NULL, "EC", c->group);
	ENSURE(p != NULL, KG_ERR_CRYPTO);
	*out = p;
	return KG_OK;
}

static int ec_has_private(const EVP_PKEY *pkey)
{
	return kg_key_has_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY);
}

const struct kg_key_impl kg_key_impl_ecdsa = {
	.blob_read = ec_blob_read,
	.blob_write = ec_blob_write,
	.sign = ec_sign,
	.verify = ec_verify,
	.generate = ec_generate,
	.has_private = ec_has_private,
};
