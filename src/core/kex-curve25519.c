/* curve25519-sha256 and curve25519-sha256@libssh.org (RFC 8731): X25519
 * with 32-byte public values sent as strings.  The 32 bytes X25519 outputs
 * are K read as a big-endian unsigned number (RFC 8731 3.1). */
#include <openssl/evp.h>
#include "core/kex-impl.h"

#define X25519_LEN 32

static int put_public(EVP_PKEY *key, kg_buf *pub_out)
{
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

static int generate(EVP_PKEY **key)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
	ENSURE(ctx != NULL, KG_ERR_CRYPTO);
	*key = NULL;
	int ok = EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_generate(ctx, key) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? KG_OK : KG_ERR_CRYPTO;
}

/* The peer's value must be exactly 32 bytes (RFC 8731 3). */
static int peer_key(const uint8_t *peer, size_t len, EVP_PKEY **key)
{
	ENSURE(peer != NULL && len == X25519_LEN, KG_ERR_FORMAT);
	*key = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, peer, len);
	ENSURE(*key != NULL, KG_ERR_CRYPTO);
	return KG_OK;
}

static int keygen_with(EVP_PKEY *key, void **state, kg_buf *pub_out)
{
	int r = put_public(key, pub_out);
	if (r < 0) {
		EVP_PKEY_free(key);
		return r;
	}
	*state = key;
	return KG_OK;
}

int kg_kex_x25519_keygen(void **state, kg_buf *pub_out)
{
	ENSURE(state != NULL && pub_out != NULL, KG_ERR_ARG);
	EVP_PKEY *key;
	GUARD(generate(&key));
	return keygen_with(key, state, pub_out);
}

int kg_kex_x25519_keygen_fixed(const uint8_t priv[32], void **state, kg_buf *pub_out)
{
	ENSURE(priv != NULL && state != NULL && pub_out != NULL, KG_ERR_ARG);
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, priv, X25519_LEN);
	ENSURE(key != NULL, KG_ERR_CRYPTO);
	return keygen_with(key, state, pub_out);
}

int kg_kex_x25519_client_derive(void *state, const uint8_t *peer, size_t len, kg_buf *secret_out)
{
	ENSURE(state != NULL && secret_out != NULL, KG_ERR_ARG);
	EVP_PKEY *theirs;
	GUARD(peer_key(peer, len, &theirs));
	int r = kg_kex_agree(state, theirs, secret_out);
	EVP_PKEY_free(theirs);
	return r;
}

int kg_kex_x25519_server_derive(const uint8_t *peer, size_t len, kg_buf *pub_out, kg_buf *secret_out)
{
	ENSURE(pub_out != NULL && secret_out != NULL, KG_ERR_ARG);
	EVP_PKEY *theirs, *ours = NULL;
	GUARD(peer_key(peer, len, &theirs));
	size_t keep_secret = kg_buf_len(secret_out);
	int r;
	GUARD_GOTO(r, generate(&ours), done);
	GUARD_GOTO(r, kg_kex_agree(ours, theirs, secret_out), done);
	r = put_public(ours, pub_out);
	if (r < 0)
		kg_kex_rollback(secret_out, keep_secret);
done:
	EVP_PKEY_free(ours);
	EVP_PKEY_free(theirs);
	return r;
}
