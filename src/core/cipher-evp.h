/* EVP helpers shared by the cipher implementations (below cipher.c and them). */
#ifndef KAGI_CIPHER_EVP_H
#define KAGI_CIPHER_EVP_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "core/safety.h"

/* Largest pktlen seal/open accept: EVP lengths are int, and no SSH packet
 * comes near this. */
#define KG_PKTCRYPT_MAX_LEN (64u * 1024 * 1024)

/* A context for evp_name keyed with key (and iv unless NULL), for encrypt
 * or decrypt; NULL when the lengths do not match or OpenSSL fails. */
EVP_CIPHER_CTX *kg_cipher_ctx_new(const char *evp_name, const uint8_t *key, size_t key_len,
				  const uint8_t *iv, size_t iv_len, int encrypt);
/* In-place stream transform of len bytes (len <= KG_PKTCRYPT_MAX_LEN). */
int kg_cipher_update(EVP_CIPHER_CTX *ctx, uint8_t *data, size_t len) KG_WUR;

#endif
