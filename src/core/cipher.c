/* Packet protection: algorithm table, lookup, per-direction state and the
 * dispatch to the cipher implementations.  The "none" state (before the
 * first NEWKEYS) passes packets through unchanged. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "core/buf.h"
#include "core/cipher-impl.h"

/* Preference order (kg_cipher_all_names lists the same order). */
static const kg_cipher_alg cipher_algs[] = {
	{ "chacha20-poly1305@openssh.com", "ChaCha20", KG_CIPHER_CHACHAPOLY, 64, 0, 8, 1 },
	{ "aes128-gcm@openssh.com", "AES-128-GCM", KG_CIPHER_AESGCM, 16, 12, 16, 1 },
	{ "aes256-gcm@openssh.com", "AES-256-GCM", KG_CIPHER_AESGCM, 32, 12, 16, 1 },
	{ "aes128-ctr", "AES-128-CTR", KG_CIPHER_AESCTR, 16, 16, 16, 0 },
	{ "aes192-ctr", "AES-192-CTR", KG_CIPHER_AESCTR, 24, 16, 16, 0 },
	{ "aes256-ctr", "AES-256-CTR", KG_CIPHER_AESCTR, 32, 16, 16, 0 },
};

#define NONE_BLOCK_SIZE 8

const kg_cipher_alg *kg_cipher_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < KG_ARRAY_LEN(cipher_algs); i++)
		if (strcmp(cipher_algs[i].name, name) == 0)
			return &cipher_algs[i];
	return NULL;
}

const char *kg_cipher_all_names(void)
{
	return "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-gcm@openssh.com,"
	       "aes128-ctr,aes192-ctr,aes256-ctr";
}

const char *kg_cipher_name(const kg_cipher_alg *c) { return c->name; }
size_t kg_cipher_key_len(const kg_cipher_alg *c) { return c->key_len; }
size_t kg_cipher_iv_len(const kg_cipher_alg *c) { return c->iv_len; }
size_t kg_cipher_block_size(const kg_cipher_alg *c) { return c->block_size; }
int kg_cipher_is_aead(const kg_cipher_alg *c) { return c->aead; }

int kg_pktcrypt_new(kg_pktcrypt **out, const kg_cipher_alg *c, const kg_mac_alg *m,
		    const uint8_t *key, const uint8_t *iv, const uint8_t *mac_key,
		    int encrypt)
{
	ENSURE(out != NULL, KG_ERR_ARG);
	*out = NULL;
	if (c == NULL || c->aead)
		ENSURE(m == NULL, KG_ERR_ARG);
	else
		ENSURE(m != NULL && mac_key != NULL, KG_ERR_ARG);
	if (c != NULL)
		ENSURE(key != NULL && (c->iv_len == 0 || iv != NULL), KG_ERR_ARG);

	kg_pktcrypt *pc = calloc(1, sizeof(*pc));
	ENSURE(pc != NULL, KG_ERR_ALLOC);
	pc->alg = c;
	pc->mac_alg = m;
	pc->encrypt = encrypt ? 1 : 0;
	int r = KG_OK;
	if (c != NULL) {
		switch (c->kind) {
		case KG_CIPHER_CHACHAPOLY: r = kg_chachapoly_init(pc, key); break;
		case KG_CIPHER_AESGCM: r = kg_aesgcm_init(pc, key, iv); break;
		case KG_CIPHER_AESCTR: r = kg_aesctr_init(pc, key, iv, mac_key); break;
		default: r = KG_ERR_INTERNAL; break;
		}
	}
	if (r < 0) {
		kg_pktcrypt_free(pc);
		return r;
	}
	*out = pc;
	return KG_OK;
}

void kg_pktcrypt_free(kg_pktcrypt *pc)
{
	if (pc == NULL)
		return;
	if (pc->alg != NULL) {
		switch (pc->alg->kind) {
		case KG_CIPHER_CHACHAPOLY: kg_chachapoly_clear(pc); break;
		case KG_CIPHER_AESGCM: kg_aesgcm_clear(pc); break;
		case KG_CIPHER_AESCTR: kg_aesctr_clear(pc); break;
		}
	}
	kg_hmac_clear(&pc->mac);
	/* The EVP contexts wipe their key schedules when freed; this wipes the
	 * GCM IV and everything else held here. */
	OPENSSL_cleanse(pc, sizeof(*pc));
	free(pc);
}

size_t kg_pktcrypt_block_size(const kg_pktcrypt *pc)
{
	if (pc->alg == NULL || pc->alg->block_size < NONE_BLOCK_SIZE)
		return NONE_BLOCK_SIZE;
	return pc->alg->block_size;
}

/* 1 when the length field travels outside the encrypted stream. */
static int length_in_clear_or_aad(const kg_pktcrypt *pc)
{
	return pc->alg != NULL && (pc->alg->aead || (pc->mac_alg != NULL && pc->mac_alg->etm));
}

size_t kg_pktcrypt_aad_len(const kg_pktcrypt *pc)
{
	return length_in_clear_or_aad(pc) ? 4 : 0;
}

size_t kg_pktcrypt_tag_len(const kg_pktcrypt *pc)
{
	if (pc->alg == NULL)
		return 0;
	if (pc->alg->aead)
		return KG_AEAD_TAG_LEN;
	return pc->mac_alg->mac_len;
}

/* "none" needs only the 4 length bytes, since nothing is encrypted. */
size_t kg_pktcrypt_length_bytes(const kg_pktcrypt *pc)
{
	if (pc->alg == NULL || length_in_clear_or_aad(pc))
		return 4;
	return pc->alg->block_size;
}

/* pktlen must hold at least the length field (and the first block when that
 * is what peek decrypted) and stay within what EVP can take in one call. */
static int check_pktlen(const kg_pktcrypt *pc, size_t pktlen)
{
	ENSURE(pktlen >= kg_pktcrypt_length_bytes(pc), KG_ERR_ARG);
	ENSURE(pktlen <= KG_PKTCRYPT_MAX_LEN, KG_ERR_TOO_LARGE);
	return KG_OK;
}

int kg_pktcrypt_seal(kg_pktcrypt *pc, uint32_t seqnr, uint8_t *pkt, size_t pktlen)
{
	ENSURE(pc != NULL && pkt != NULL && pc->encrypt, KG_ERR_ARG);
	GUARD(check_pktlen(pc, pktlen));
	if (pc->alg == NULL)
		return KG_OK;
	switch (pc->alg->kind) {
	case KG_CIPHER_CHACHAPOLY: return kg_chachapoly_seal(pc, seqnr, pkt, pktlen);
	case KG_CIPHER_AESGCM: return kg_aesgcm_seal(pc, pkt, pktlen);
	case KG_CIPHER_AESCTR: return kg_aesctr_seal(pc, seqnr, pkt, pktlen);
	}
	return KG_ERR_INTERNAL;
}

int kg_pktcrypt_peek_length(kg_pktcrypt *pc, uint32_t seqnr, uint8_t *pkt, uint32_t *packet_length)
{
	ENSURE(pc != NULL && pkt != NULL && packet_length != NULL && !pc->encrypt, KG_ERR_ARG);
	if (pc->alg == NULL || pc->alg->kind == KG_CIPHER_AESGCM ||
	    (pc->mac_alg != NULL && pc->mac_alg->etm)) {
		*packet_length = kg_peek_u32(pkt);
		return KG_OK;
	}
	switch (pc->alg->kind) {
	case KG_CIPHER_CHACHAPOLY: return kg_chachapoly_peek_length(pc, seqnr, pkt, packet_length);
	case KG_CIPHER_AESCTR: return kg_aesctr_peek_length(pc, pkt, packet_length);
	case KG_CIPHER_AESGCM: break;
	}
	return KG_ERR_INTERNAL;
}

int kg_pktcrypt_open(kg_pktcrypt *pc, uint32_t seqnr, uint8_t *pkt, size_t pktlen)
{
	ENSURE(pc != NULL && pkt != NULL && !pc->encrypt, KG_ERR_ARG);
	GUARD(check_pktlen(pc, pktlen));
	if (pc->alg == NULL)
		return KG_OK;
	switch (pc->alg->kind) {
	case KG_CIPHER_CHACHAPOLY: return kg_chachapoly_open(pc, seqnr, pkt, pktlen);
	case KG_CIPHER_AESGCM: return kg_aesgcm_open(pc, pkt, pktlen);
	case KG_CIPHER_AESCTR: return kg_aesctr_open(pc, seqnr, pkt, pktlen);
	}
	return KG_ERR_INTERNAL;
}
