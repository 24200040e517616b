/* Per-type key material for the key file formats (public blob, openssh private fields, consistency checks). */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include "core/keyfile-pkey.h"

#define MAX_BN_BYTES (KG_RSA_MAX_BITS / 8 + 1)

static const struct {
	enum kg_keytype type;
	const char *name;
	const char *curve;      /* SSH curve id (ECDSA) */
	const char *group;      /* OpenSSL group name (ECDSA) */
	const char *nist;       /* the NIST alias of group */
	size_t point_len;       /* uncompressed Q */
} types[] = {
	{ KG_KEY_ED25519, "ssh-ed25519", NULL, NULL, NULL, 0 },
	{ KG_KEY_ECDSA_P256, "ecdsa-sha2-nistp256", "nistp256", "prime256v1", "P-256", 65 },
	{ KG_KEY_ECDSA_P384, "ecdsa-sha2-nistp384", "nistp384", "secp384r1", "P-384", 97 },
	{ KG_KEY_ECDSA_P521, "ecdsa-sha2-nistp521", "nistp521", "secp521r1", "P-521", 133 },
	{ KG_KEY_RSA, "ssh-rsa", NULL, NULL, NULL, 0 },
};

const char *kg_keyfile_type_name(enum kg_keytype t)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(types); i++)
		if (types[i].type == t)
			return types[i].name;
	return NULL;
}

const char *kg_keyfile_curve_name(enum kg_keytype t)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(types); i++)
		if (types[i].type == t)
			return types[i].curve;
	return NULL;
}

const char *kg_keyfile_group_name(enum kg_keytype t)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(types); i++)
		if (types[i].type == t)
			return types[i].group;
	return NULL;
}

size_t kg_keyfile_point_len(enum kg_keytype t)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(types); i++)
		if (types[i].type == t)
			return types[i].point_len;
	return 0;
}

/* ---- key material ---- */

int kg_keyfile_pkey_type(EVP_PKEY *pkey, enum kg_keytype *type)
{
	ENSURE(pkey != NULL, KG_ERR_ARG);
	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		*type = KG_KEY_ED25519;
		return KG_OK;
	}
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		int bits = EVP_PKEY_get_bits(pkey);
		ENSURE(bits >= KG_RSA_MIN_BITS, KG_ERR_KEY_TOO_SMALL);
		ENSURE(bits <= KG_RSA_MAX_BITS, KG_ERR_TOO_LARGE);
		*type = KG_KEY_RSA;
		return KG_OK;
	}
	if (EVP_PKEY_is_a(pkey, "EC")) {
		char group[64];
		size_t glen = 0;
		ENSURE(EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
						      sizeof(group), &glen) == 1, KG_ERR_KEY_TYPE);
		for (size_t i = 0; i < KG_ARRAY_LEN(types); i++) {
			if (types[i].group && (strcmp(group, types[i].group) == 0 ||
					       strcmp(group, types[i].nist) == 0)) {
				*type = types[i].type;
				return KG_OK;
			}
		}
	}
	return KG_ERR_KEY_TYPE;
}

int kg_keyfile_put_bn(kg_buf *out, const BIGNUM *bn)
{
	uint8_t tmp[MAX_BN_BYTES];
	ENSURE(bn != NULL && !BN_is_negative(bn), KG_ERR_ARG);
	int n = BN_num_bytes(bn);
	ENSURE(n >= 0 && (size_t)n <= sizeof(tmp), KG_ERR_TOO_LARGE);
	ENSURE(BN_bn2bin(bn, tmp) == n, KG_ERR_CRYPTO);
	int r = kg_buf_put_mpint(out, tmp, (size_t)n);
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return r;
}

static int put_bn_param(kg_buf *out, EVP_PKEY *pkey, const char *name)
{
	BIGNUM *bn = NULL;
	ENSURE(EVP_PKEY_get_bn_param(pkey, name, &bn) == 1, KG_ERR_KEY_TYPE);
	int r = kg_keyfile_put_bn(out, bn);
	BN_clear_free(bn);
	return r;
}

static int put_ec_point(kg_buf *out, enum kg_keytype t, EVP_PKEY *pkey)
{
	uint8_t q[133];
	size_t qlen = 0;
	ENSURE(EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, q, sizeof(q), &qlen) == 1,
	       KG_ERR_KEY_TYPE);
	/* SSH wants the uncompressed form. */
	ENSURE(qlen == kg_keyfile_point_len(t) && q[0] == 0x04, KG_ERR_FORMAT);
	return kg_buf_put_string(out, q, qlen);
}

static int put_ed25519_public(kg_buf *out, EVP_PKEY *pkey)
{
	uint8_t pk[32];
	size_t pklen = sizeof(pk);
	ENSURE(EVP_PKEY_get_raw_public_key(pkey, pk, &pklen) == 1 && pklen == sizeof(pk), KG_ERR_CRYPTO);
	return kg_buf_put_string(out, pk, sizeof(pk));
}

int kg_keyfile_public_blob(enum kg_keytype t, EVP_PKEY *pkey, kg_buf *out)
{
	const char *name = kg_keyfile_type_name(t);
	ENSURE(name != NULL && pkey != NULL, KG_ERR_KEY_TYPE);
	GUARD(kg_buf_put_cstring(out, name));
	switch (t) {
	case KG_KEY_ED25519:
		return put_ed25519_public(out, pkey);
	case KG_KEY_ECDSA_P256:
	case KG_KEY_ECDSA_P384:
	case KG_KEY_ECDSA_P521:
		GUARD(kg_buf_put_cstring(out, kg_keyfile_curve_name(t)));
		return put_ec_point(out, t, pkey);
	case KG_KEY_RSA:
		GUARD(put_bn_param(out, pkey, OSSL_PKEY_PARAM_RSA_E));
		return put_bn_param(out, pkey, OSSL_PKEY_PARAM_RSA_N);
	default:
		return KG_ERR_KEY_TYPE;
	}
}

int kg_keyfile_private_fields(enum kg_keytype t, EVP_PKEY *pkey, kg_buf *out)
{
	ENSURE(pkey != NULL, KG_ERR_ARG);
	switch (t) {
	case KG_KEY_ED25519: {
		uint8_t sk[64];
		size_t seedlen = 32, pklen = 32;
		ENSURE(EVP_PKEY_get_raw_private_key(pkey, sk, &seedlen) == 1 && seedlen == 32, KG_ERR_KEY_TYPE);
		int r = KG_ERR_CRYPTO;
		if (EVP_PKEY_get_raw_public_key(pkey, sk + 32, &pklen) == 1 && pklen == 32) {
			r = kg_buf_put_string(out, sk + 32, 32);
			if (r == KG_OK)
				r = kg_buf_put_string(out, sk, sizeof(sk));
		}
		OPENSSL_cleanse(sk, sizeof(sk));
		return r;
	}
	case KG_KEY_ECDSA_P256:
	case KG_KEY_ECDSA_P384:
	case KG_KEY_ECDSA_P521:
		GUARD(kg_buf_put_cstring(out, kg_keyfile_curve_name(t)));
		GUARD(put_ec_point(out, t, pkey));
		return put_bn_param(out, pkey, OSSL_PKEY_PARAM_PRIV_KEY);
	case KG_KEY_RSA:
		GUARD(put_bn_param(out, pkey, OSSL_PKEY_PARAM_RSA_N));
		GUARD(put_bn_param(out, pkey, OSSL_PKEY_PARAM_RSA_E));
		GUARD(put_bn_param(out, pkey, OSSL_PKEY_PARAM_RSA_D));
		GUARD(put_bn_param(out, pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1));
		GUARD(put_bn_param(out, pkey, OSSL_PKEY_PARAM_RSA_FACTOR1));
		return put_bn_param(out, pkey, OSSL_PKEY_PARAM_RSA_FACTOR2);
	default:
		return KG_ERR_KEY_TYPE;
	}
}

/* A wrong CRT value would make faulty signatures, which leak the key. */
static int check_rsa(EVP_PKEY *pkey)
{
	static const char *const names[] = {
		OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
		OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
		OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
		OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	BIGNUM *v[KG_ARRAY_LEN(names)] = { 0 };
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *t = BN_new(), *pm1 = BN_new(), *qm1 = BN_new();
	int r = KG_ERR_ALLOC;
	ENSURE_GOTO(r, ctx && t && pm1 && qm1, KG_ERR_ALLOC, out);
	for (size_t i = 0; i < KG_ARRAY_LEN(names); i++)
		ENSURE_GOTO(r, EVP_PKEY_get_bn_param(pkey, names[i], &v[i]) == 1, KG_ERR_KEY_TYPE, out);
	const BIGNUM *n = v[0], *e = v[1], *d = v[2], *p = v[3], *q = v[4];
	const BIGNUM *dp = v[5], *dq = v[6], *qinv = v[7];
	r = KG_ERR_FORMAT;
	if (!BN_is_odd(e) || BN_is_one(e) || BN_cmp(p, BN_value_one()) <= 0 ||
	    BN_cmp(q, BN_value_one()) <= 0 || BN_cmp(d, n) >= 0)
		goto out;
	ENSURE_GOTO(r, BN_mul(t, p, q, ctx), KG_ERR_CRYPTO, out);
	if (BN_cmp(t, n) != 0)
		goto out;
	ENSURE_GOTO(r, BN_sub(pm1, p, BN_value_one()) && BN_sub(qm1, q, BN_value_one()), KG_ERR_CRYPTO, out);
	ENSURE_GOTO(r, BN_mod(t, d, pm1, ctx), KG_ERR_CRYPTO, out);
	if (BN_cmp(t, dp) != 0)
		goto out;
	ENSURE_GOTO(r, BN_mod(t, d, qm1, ctx), KG_ERR_CRYPTO, out);
	if (BN_cmp(t, dq) != 0)
		goto out;
	ENSURE_GOTO(r, BN_mod_mul(t, e, dp, pm1, ctx), KG_ERR_CRYPTO, out);
	if (!BN_is_one(t))
		goto out;
	ENSURE_GOTO(r, BN_mod_mul(t, e, dq, qm1, ctx), KG_ERR_CRYPTO, out);
	if (!BN_is_one(t))
		goto out;
	ENSURE_GOTO(r, BN_mod_mul(t, qinv, q, p, ctx), KG_ERR_CRYPTO, out);
	if (!BN_is_one(t))
		goto out;
	r = KG_OK;
out:
	for (size_t i = 0; i < KG_ARRAY_LEN(v); i++)
		BN_clear_free(v[i]);
	BN_clear_free(t);
	BN_clear_free(pm1);
	BN_clear_free(qm1);
	BN_CTX_free(ctx);
	return r;
}

int kg_keyfile_check_pkey(enum kg_keytype t, EVP_PKEY *pkey)
{
	switch (t) {
	case KG_KEY_ED25519:
		return KG_OK;  /* the public half is derived from the seed */
	case KG_KEY_RSA:
		return check_rsa(pkey);
	case KG_KEY_ECDSA_P256:
	case KG_KEY_ECDSA_P384:
	case KG_KEY_ECDSA_P521: {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		ENSURE(ctx != NULL, KG_ERR_ALLOC);
		int ok = EVP_PKEY_pairwise_check(ctx);
		EVP_PKEY_CTX_free(ctx);
		ENSURE(ok == 1, KG_ERR_FORMAT);
		return KG_OK;
	}
	default:
		return KG_ERR_KEY_TYPE;
	}
}
