/* ecdh-sha2-nistp256/384/521 (RFC 5656 4): ephemeral ECDH over the NIST
 * prime curves.  Public values are uncompressed points (0x04 || x || y)
 * sent as strings; K is the x coordinate of the shared point. */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include "core/kex-impl.h"

typedef struct kg_ec_curve {
	const char *group;   /* OpenSSL group name */
	size_t field_len;    /* bytes per coordinate */
} ec_curve;

const ec_curve kg_kex_curve_p256 = { "P-256", 32 };
const ec_curve kg_kex_curve_p384 = { "P-384", 48 };
const ec_curve kg_kex_curve_p521 = { "P-521", 66 };

static size_t point_len(const ec_curve *c)
{
	return 1 + 2 * c->field_len;
}

static int generate(const void *curve, EVP_PKEY **key)
{
	const ec_curve *c = curve;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	ENSURE(ctx != NULL, KG_ERR_CRYPTO);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)c->group, 0),
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
						 (char *)"uncompressed", 0),
		OSSL_PARAM_construct_end(),
	};
	*key = NULL;
	int ok = EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_CTX_set_params(ctx, params) == 1 &&
		 EVP_PKEY_generate(ctx, key) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? KG_OK : KG_ERR_CRYPTO;
}

static int put_public(const void *curve, EVP_PKEY *key, kg_buf *pub_out)
{
	const ec_curve *c = curve;
	size_t want = point_len(c), n = 0;
	size_t keep = kg_buf_len(pub_out);
	uint8_t *p;
	GUARD(kg_buf_reserve(pub_out, want, &p));
	if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, p, want, &n) != 1 ||
	    n != want || p[0] != 0x04) {
		kg_kex_rollback(pub_out, keep);
		return KG_ERR_CRYPTO;
	}
	return KG_OK;
}

/* Builds the peer's public key, refusing anything but an uncompressed
 * point of the right size that lies on the curve (RFC 5656 4, and the
 * checks of SEC1 3.2.2.1 that OpenSSL's public key check performs). */
static int peer_key(const void *curve, const uint8_t *peer, size_t len, EVP_PKEY **key)
{
	const ec_curve *c = curve;
	ENSURE(peer != NULL && len == point_len(c) && peer[0] == 0x04, KG_ERR_FORMAT);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)c->group, 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)(uintptr_t)peer, len),
		OSSL_PARAM_construct_end(),
	};
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	ENSURE(ctx != NULL, KG_ERR_CRYPTO);
	*key = NULL;
	/* Decoding fails for a point that is not on the curve. */
	int ok = EVP_PKEY_fromdata_init(ctx) == 1 &&
		 EVP_PKEY_fromdata(ctx, key, EVP_PKEY_PUBLIC_KEY, params) == 1;
	EVP_PKEY_CTX_free(ctx);
	ENSURE(ok, KG_ERR_PROTOCOL);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, *key, NULL);
	ok = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	if (!ok) {
		EVP_PKEY_free(*key);
		*key = NULL;
		return KG_ERR_PROTOCOL;
	}
	return KG_OK;
}

const kg_kex_family kg_kex_family_ecdh = {
	.generate = generate,
	.put_public = put_public,
	.peer_key = peer_key,
};
