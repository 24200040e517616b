/* The two EVP calls every packet cipher builds on: a keyed context and an in-place update. */
#include <stdint.h>
#include "core/cipher-evp.h"
#include "core/err.h"

EVP_CIPHER_CTX *kg_cipher_ctx_new(const char *evp_name, const uint8_t *key, size_t key_len,
				  const uint8_t *iv, size_t iv_len, int encrypt)
{
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, evp_name, NULL);
	if (cipher == NULL)
		return NULL;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int ok = ctx != NULL &&
		 EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, encrypt) == 1 &&
		 (size_t)EVP_CIPHER_CTX_get_key_length(ctx) == key_len &&
		 (iv == NULL || (size_t)EVP_CIPHER_CTX_get_iv_length(ctx) == iv_len) &&
		 EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, -1) == 1;
	EVP_CIPHER_free(cipher);  /* the context holds its own reference */
	if (!ok) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int kg_cipher_update(EVP_CIPHER_CTX *ctx, uint8_t *data, size_t len)
{
	int outl = 0;
	if (len == 0)
		return KG_OK;
	ENSURE(len <= KG_PKTCRYPT_MAX_LEN, KG_ERR_TOO_LARGE);
	ENSURE(EVP_CipherUpdate(ctx, data, &outl, data, (int)len) == 1, KG_ERR_CRYPTO);
	ENSURE((size_t)outl == len, KG_ERR_CRYPTO);
	return KG_OK;
}
