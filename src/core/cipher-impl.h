/* Internals shared by cipher.c and the per-cipher files: the algorithm
 * record, the per-direction state, and each cipher's entry points.  Not for
 * use outside the packet-protection layer (tests excepted). */
#ifndef KAGI_CIPHER_IMPL_H
#define KAGI_CIPHER_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "core/cipher.h"
#include "core/mac.h"
#include "core/cipher-evp.h"


enum kg_cipher_kind { KG_CIPHER_CHACHAPOLY, KG_CIPHER_AESGCM, KG_CIPHER_AESCTR };

struct kg_cipher_alg {
	const char *name;        /* SSH name */
	const char *evp_name;    /* OpenSSL cipher name */
	enum kg_cipher_kind kind;
	size_t key_len;
	size_t iv_len;
	size_t block_size;
	int aead;
};

#define KG_GCM_IV_LEN 12
#define KG_AEAD_TAG_LEN 16
#define KG_CHACHA_KEY_LEN 32
#define KG_PKTCRYPT_MAX_KEY 64     /* chacha20-poly1305's K_2 || K_1 */
#define KG_PKTCRYPT_MAX_IV 16

struct kg_chachapoly {
	EVP_CIPHER_CTX *len_ctx;   /* K_1: packet length only */
	EVP_CIPHER_CTX *main_ctx;  /* K_2: Poly1305 key, then the payload */
	EVP_MAC_CTX *poly;         /* rekeyed every packet */
};

struct kg_aesgcm {
	EVP_CIPHER_CTX *ctx;
	uint8_t iv[KG_GCM_IV_LEN]; /* fixed(4) || invocation counter(8, BE) */
};

struct kg_aesctr {
	EVP_CIPHER_CTX *ctx;       /* counter runs on across packets */
	uint8_t iv[16];            /* the counter block it was keyed with */
	uint64_t bytes;            /* bytes run through ctx since then */
};

struct kg_pktcrypt {
	const kg_cipher_alg *alg;  /* NULL: the "none" state */
	const kg_mac_alg *mac_alg; /* NULL for none and AEAD */
	int encrypt;
	/* Set by peek_length when it decrypted the first block in place
	 * (CTR without EtM), so open() knows where to resume. */
	int first_block_clear;
	union {
		struct kg_chachapoly cp;
		struct kg_aesgcm gcm;
		struct kg_aesctr ctr;
	} u;
	kg_hmac mac;
	/* Copies of the keys, kept so the state can be exported
	 * (kg_pktcrypt_export); wiped with the rest on free. */
	uint8_t key[KG_PKTCRYPT_MAX_KEY];
	uint8_t mac_key[KG_MAC_MAX_LEN];
};

/* chacha20-poly1305@openssh.com */
int kg_chachapoly_init(kg_pktcrypt *pc, const uint8_t *key) KG_WUR;
void kg_chachapoly_clear(kg_pktcrypt *pc);
int kg_chachapoly_seal(kg_pktcrypt *pc, uint32_t seqnr, uint8_t *pkt, size_t pktlen) KG_WUR;
int kg_chachapoly_peek_length(kg_pktcrypt *pc, uint32_t seqnr, const uint8_t *pkt, uint32_t *len) KG_WUR;
int kg_chachapoly_open(kg_pktcrypt *pc, uint32_t seqnr, uint8_t *pkt, size_t pktlen) KG_WUR;
/* The Poly1305 key for a packet: the first 32 bytes of K_2's keystream
 * at block 0 with nonce seqnr (exposed for known-answer tests). */
int kg_chachapoly_poly_key(kg_pktcrypt *pc, uint32_t seqnr, uint8_t out[32]) KG_WUR;
/* One-shot Poly1305 with the state's MAC context (for known-answer tests). */
int kg_chachapoly_poly1305(kg_pktcrypt *pc, const uint8_t key[32], const uint8_t *data,
			   size_t len, uint8_t tag[16]) KG_WUR;

/* aes128-gcm@openssh.com, aes256-gcm@openssh.com */
int kg_aesgcm_init(kg_pktcrypt *pc, const uint8_t *key, const uint8_t *iv) KG_WUR;
void kg_aesgcm_clear(kg_pktcrypt *pc);
int kg_aesgcm_seal(kg_pktcrypt *pc, uint8_t *pkt, size_t pktlen) KG_WUR;
int kg_aesgcm_open(kg_pktcrypt *pc, uint8_t *pkt, size_t pktlen) KG_WUR;
/* The general form seal/open use (aad = the length field): encrypts or
 * decrypts data in place under the current IV, then advances the counter.
 * On decryption a bad tag gives KG_ERR_MAC and data is wiped. */
int kg_aesgcm_crypt(kg_pktcrypt *pc, const uint8_t *aad, size_t aad_len,
		    uint8_t *data, size_t len, uint8_t *tag) KG_WUR;

/* aes{128,192,256}-ctr with an HMAC (plain or EtM) */
int kg_aesctr_init(kg_pktcrypt *pc, const uint8_t *key, const uint8_t *iv,
		   const uint8_t *mac_key) KG_WUR;
void kg_aesctr_clear(kg_pktcrypt *pc);
int kg_aesctr_seal(kg_pktcrypt *pc, uint32_t seqnr, uint8_t *pkt, size_t pktlen) KG_WUR;
int kg_aesctr_peek_length(kg_pktcrypt *pc, uint8_t *pkt, uint32_t *len) KG_WUR;
int kg_aesctr_open(kg_pktcrypt *pc, uint32_t seqnr, uint8_t *pkt, size_t pktlen) KG_WUR;
/* The counter block the next byte would use; KG_ERR_STATE when the
 * stream stopped inside a block (never at a packet boundary). */
int kg_aesctr_position(const kg_pktcrypt *pc, uint8_t ctr[16]) KG_WUR;

#endif
