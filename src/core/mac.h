/* HMAC for the SSH transport (RFC 4253 6.4, RFC 6668, OpenSSH EtM modes).
 * Internal to the packet-protection layer; the public names are in
 * cipher.h.  The key is loaded once; each packet re-initialises the context
 * with the same key, so no allocation or key schedule happens per packet. */
#ifndef KAGI_MAC_H
#define KAGI_MAC_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "core/cipher.h"

#define KG_MAC_MAX_LEN 64  /* SHA-512 */

struct kg_mac_alg {
	const char *name;     /* SSH name */
	const char *digest;   /* OpenSSL digest name */
	size_t key_len;       /* = digest length (RFC 6668) */
	size_t mac_len;
	int etm;              /* MAC over the ciphertext, length in clear */
};

typedef struct kg_hmac {
	EVP_MAC_CTX *ctx;
	size_t mac_len;
} kg_hmac;

/* Keys ctx with a digest ("SHA256", "SHA512", ...) and a key of any length. */
int kg_hmac_init(kg_hmac *h, const char *digest, const uint8_t *key, size_t key_len) KG_WUR;
/* Frees the context (OpenSSL wipes the key schedule). Safe on a zeroed one. */
void kg_hmac_clear(kg_hmac *h);
/* One-shot HMAC of data with the loaded key; out gets mac_len bytes. */
int kg_hmac_compute(kg_hmac *h, const uint8_t *data, size_t len, uint8_t *out) KG_WUR;
/* The SSH packet MAC: HMAC(key, uint32 seqnr || data). */
int kg_hmac_packet(kg_hmac *h, uint32_t seqnr, const uint8_t *data, size_t len, uint8_t *out) KG_WUR;

#endif
