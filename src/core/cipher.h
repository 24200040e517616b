/* Packet protection for one direction of a connection: a cipher and, unless
 * the cipher is an AEAD, a MAC.  Works in place on the packet in the
 * transport's buffer: no copies, no allocation per packet.
 *
 * Packet layout handed to seal/open (RFC 4253 6):
 *   [uint32 packet_length][byte padding_length][payload][padding] [tag]
 * pktlen below always counts the 4 length bytes; the tag (MAC or AEAD tag,
 * tag_len bytes) follows at pkt + pktlen. */
#ifndef KAGI_CIPHER_H
#define KAGI_CIPHER_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/safety.h"

typedef struct kg_cipher_alg kg_cipher_alg;
typedef struct kg_mac_alg kg_mac_alg;
typedef struct kg_pktcrypt kg_pktcrypt;

/* Lookup by SSH name; NULL if unknown. */
const kg_cipher_alg *kg_cipher_find(const char *name);
const kg_mac_alg *kg_mac_find(const char *name);
/* Comma-separated list of every supported name (for -Q style listings and
 * for validating configured lists). */
const char *kg_cipher_all_names(void);
const char *kg_mac_all_names(void);

const char *kg_cipher_name(const kg_cipher_alg *c);
size_t kg_cipher_key_len(const kg_cipher_alg *c);
size_t kg_cipher_iv_len(const kg_cipher_alg *c);
size_t kg_cipher_block_size(const kg_cipher_alg *c);
/* 1 if the cipher authenticates itself (AEAD): no MAC is negotiated/used. */
int kg_cipher_is_aead(const kg_cipher_alg *c);

const char *kg_mac_name(const kg_mac_alg *m);
size_t kg_mac_key_len(const kg_mac_alg *m);
size_t kg_mac_len(const kg_mac_alg *m);
int kg_mac_is_etm(const kg_mac_alg *m);

/* c == NULL gives the "none" state used before the first NEWKEYS (block size
 * 8, no MAC).  m must be NULL for AEAD ciphers and non-NULL otherwise.
 * Keys are copied; the caller may wipe its copies. */
int kg_pktcrypt_new(kg_pktcrypt **out, const kg_cipher_alg *c, const kg_mac_alg *m,
		    const uint8_t *key, const uint8_t *iv, const uint8_t *mac_key,
		    int encrypt) KG_WUR;
/* Wipes keys and frees. NULL is fine. */
void kg_pktcrypt_free(kg_pktcrypt *pc);

/* Alignment for padding: max(8, cipher block size). */
size_t kg_pktcrypt_block_size(const kg_pktcrypt *pc);
/* 4 when the length field is outside the padded/encrypted stream (AEAD,
 * chacha20-poly1305, EtM MACs), else 0.  Padding makes
 * (pktlen - aad_len) a multiple of block_size. */
size_t kg_pktcrypt_aad_len(const kg_pktcrypt *pc);
/* Bytes after the packet: MAC or AEAD tag (0 for none). */
size_t kg_pktcrypt_tag_len(const kg_pktcrypt *pc);
/* How many leading bytes peek_length needs (4, or one cipher block). */
size_t kg_pktcrypt_length_bytes(const kg_pktcrypt *pc);

/* Fills in packet_length is the caller's job; seal encrypts pkt[0..pktlen)
 * in place and writes the tag at pkt + pktlen. */
int kg_pktcrypt_seal(kg_pktcrypt *pc, uint32_t seqnr, uint8_t *pkt, size_t pktlen) KG_WUR;
/* Learns packet_length (the value of the first field) from the first
 * length_bytes() bytes.  It may decrypt those bytes in place; it must be
 * followed by open() on the same packet and is called once per packet. */
int kg_pktcrypt_peek_length(kg_pktcrypt *pc, uint32_t seqnr, uint8_t *pkt, uint32_t *packet_length) KG_WUR;
/* Checks the tag at pkt + pktlen and decrypts pkt in place.  On success
 * pkt[0..pktlen) is the plaintext packet.  KG_ERR_MAC on a bad tag. */
int kg_pktcrypt_open(kg_pktcrypt *pc, uint32_t seqnr, uint8_t *pkt, size_t pktlen) KG_WUR;

/* Hands one direction's live state to another process: appends the
 * algorithm names, the direction, the keys and the position (AES-GCM's
 * invocation counter, AES-CTR's next counter block; chacha20-poly1305
 * needs only its keys, its nonce is the sequence number) to out, and
 * whether peek_length already decrypted the next packet's first block
 * (AES-CTR without EtM; the caller then carries that block and the length
 * it learnt).  KG_ERR_STATE when a CTR stream stopped inside a block.
 * The output holds keys: the caller wipes it. */
int kg_pktcrypt_export(const kg_pktcrypt *pc, kg_buf *out) KG_WUR;
/* 1 between a peek_length that decrypted in place and its open. */
int kg_pktcrypt_mid_packet(const kg_pktcrypt *pc);
/* Reads what kg_pktcrypt_export wrote from in (consuming it) into a new
 * state, which must be for cipher c and MAC m (as kg_pktcrypt_new takes
 * them) in the given direction; anything else, a wrong key length or a
 * short field is KG_ERR_FORMAT (or KG_ERR_INCOMPLETE).  Copies the keys. */
int kg_pktcrypt_import(kg_pktcrypt **out, const kg_cipher_alg *c, const kg_mac_alg *m,
		       int encrypt, kg_buf *in) KG_WUR;

#endif
