/* curve25519-sha256 and curve25519-sha256@libssh.org (RFC 8731): X25519
 * with 32-byte public values sent as strings.  The 32 bytes X25519 outputs
 * are K read as a big-endian unsigned number (RFC 8731 3.1). */
#include <stdlib.h>
#include <openssl/evp.h>
#include "core/kex-impl.h"

#define X25519_LEN 32

static int put_public(const void *params, EVP_PKEY *key, kg_buf *pub_out)
{
	(void)params;
	uint8_t *p;
	size_t n = X25519_LEN;
	size_t keep = kg_buf_len(pub_out);
	GUARD(kg_buf_reserve(pub_out, X25519_LEN, &p));
	if (EVP_PKEY_get_raw_public_key(key, p, &n) != 1 || n != X25519_LEN) {
		kg_kex_rollback(pub_out, keep);
		return KG_ERR_CRYPTO;
	}
	return KG_OK;
}

static int generate(const void *params, EVP_PKEY **key)
{
	(void)params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
	ENSURE(ctx != NULL, KG_ERR_CRYPTO);
	*key = NULL;
	int ok = EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_generate(ctx, key) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? KG_OK : KG_ERR_CRYPTO;
}

/* The peer's value must be exactly 32 bytes (RFC 8731 3). */
static int peer_key(const void *params, const uint8_t *peer, size_t len, EVP_PKEY **key)
{
	(void)params;
	ENSURE(peer != NULL && len == X25519_LEN, KG_ERR_FORMAT);
	*key = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, peer, len);
	ENSURE(*key != NULL, KG_ERR_CRYPTO);
	return KG_OK;
}

const kg_kex_family kg_kex_family_x25519 = {
	.generate = generate,
	.put_public = put_public,
	.peer_key = peer_key,
};

int kg_kex_x25519_keygen_fixed(const uint8_t priv[32], void **state, kg_buf *pub_out)
{
	ENSURE(priv != NULL && state != NULL && pub_out != NULL, KG_ERR_ARG);
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, priv, X25519_LEN);
	ENSURE(key != NULL, KG_ERR_CRYPTO);
	kg_kex_state *st = calloc(1, sizeof(*st));
	int r = st != NULL ? put_public(NULL, key, pub_out) : KG_ERR_ALLOC;
	if (r < 0) {
		EVP_PKEY_free(key);
		free(st);
		return r;
	}
	st->key = key;
	*state = st;
	return KG_OK;
}
