/* diffie-hellman-group14-sha256, -group16-sha512, -group18-sha512
 * (RFC 8268, RFC 4253 8) over the MODP groups of RFC 3526, which OpenSSL 3
 * knows by name, so no primes are carried here.  Public values e and f
 * travel as mpints; K is g^xy mod p as an unsigned magnitude. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include "core/kex-impl.h"

typedef struct kg_dh_group {
	const char *name;   /* OpenSSL group name */
	size_t p_len;       /* bytes in the prime */
	/* Private exponent bits: twice the strength the method's hash aims for
	 * (128 bits for SHA-256, 256 for SHA-512), as RFC 8268 4 advises. */
	int priv_bits;
} dh_group;

const dh_group kg_kex_group_modp2048 = { "modp_2048", 256, 256 };
const dh_group kg_kex_group_modp4096 = { "modp_4096", 512, 512 };
const dh_group kg_kex_group_modp8192 = { "modp_8192", 1024, 512 };

static int generate(const void *group, EVP_PKEY **key)
{
	const dh_group *g = group;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	ENSURE(ctx != NULL, KG_ERR_CRYPTO);
	int priv_bits = g->priv_bits;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->name, 0),
		OSSL_PARAM_construct_int(OSSL_PKEY_PARAM_DH_PRIV_LEN, &priv_bits),
		OSSL_PARAM_construct_end(),
	};
	*key = NULL;
	int ok = EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_CTX_set_params(ctx, params) == 1 &&
		 EVP_PKEY_generate(ctx, key) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? KG_OK : KG_ERR_CRYPTO;
}

/* Appends our public value as mpint contents: the magnitude, with a zero
 * byte in front when its top bit is set. */
static int put_public(const void *group, EVP_PKEY *key, kg_buf *pub_out)
{
	const dh_group *g = group;
	BIGNUM *y = NULL;
	ENSURE(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PUB_KEY, &y) == 1, KG_ERR_CRYPTO);
	int r = KG_ERR_CRYPTO;
	int n = BN_num_bytes(y);
	ENSURE_GOTO(r, n > 0 && (size_t)n <= g->p_len, KG_ERR_CRYPTO, done);
	int pad = BN_num_bits(y) % 8 == 0;
	uint8_t *p;
	GUARD_GOTO(r, kg_buf_reserve(pub_out, (size_t)n + (size_t)pad, &p), done);
	if (pad)
		p[0] = 0;
	BN_bn2bin(y, p + pad);
	r = KG_OK;
done:
	BN_free(y);
	return r;
}

/* Builds the peer's public key and checks 1 < y < p-1 (RFC 4253 8): 0, 1
 * and p-1 would make K predictable, and values >= p are not group elements.
 * OpenSSL's full public key check then also makes sure y lies in the
 * order-q subgroup, which every honest g^x does, so that a hostile y cannot
 * learn a bit of our exponent.  Both run before the server makes its key. */
static int peer_key(const void *group, const uint8_t *peer, size_t len, EVP_PKEY **key)
{
	const dh_group *g = group;
	ENSURE(peer != NULL || len == 0, KG_ERR_ARG);
	while (len > 0 && peer[0] == 0) {
		peer++;
		len--;
	}
	ENSURE(len > 0, KG_ERR_PROTOCOL);
	ENSURE(len <= g->p_len, KG_ERR_PROTOCOL);
	int r = KG_ERR_CRYPTO;
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *p = NULL;
	BIGNUM *y = BN_bin2bn(peer, (int)len, NULL);
	*key = NULL;
	ENSURE_GOTO(r, y != NULL, KG_ERR_ALLOC, done);
	bld = OSSL_PARAM_BLD_new();
	ENSURE_GOTO(r, bld != NULL, KG_ERR_ALLOC, done);
	ENSURE_GOTO(r, OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0) == 1 &&
		       OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y) == 1, KG_ERR_CRYPTO, done);
	params = OSSL_PARAM_BLD_to_param(bld);
	ENSURE_GOTO(r, params != NULL, KG_ERR_ALLOC, done);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	ENSURE_GOTO(r, ctx != NULL, KG_ERR_CRYPTO, done);
	ENSURE_GOTO(r, EVP_PKEY_fromdata_init(ctx) == 1, KG_ERR_CRYPTO, done);
	ENSURE_GOTO(r, EVP_PKEY_fromdata(ctx, key, EVP_PKEY_PUBLIC_KEY, params) == 1, KG_ERR_CRYPTO, done);
	ENSURE_GOTO(r, EVP_PKEY_get_bn_param(*key, OSSL_PKEY_PARAM_FFC_P, &p) == 1, KG_ERR_CRYPTO, done);
	/* p - 1 */
	ENSURE_GOTO(r, BN_sub_word(p, 1) == 1, KG_ERR_CRYPTO, done);
	ENSURE_GOTO(r, BN_cmp(y, BN_value_one()) > 0 && BN_cmp(y, p) < 0, KG_ERR_PROTOCOL, done);
	EVP_PKEY_CTX_free(ctx);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, *key, NULL);
	ENSURE_GOTO(r, ctx != NULL, KG_ERR_CRYPTO, done);
	ENSURE_GOTO(r, EVP_PKEY_public_check(ctx) == 1, KG_ERR_PROTOCOL, done);
	r = KG_OK;
done:
	if (r != KG_OK) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(p);
	BN_free(y);
	return r;
}

const kg_kex_family kg_kex_family_dh = {
	.generate = generate,
	.put_public = put_public,
	.peer_key = peer_key,
};
