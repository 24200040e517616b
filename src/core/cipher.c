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
		ENSURE_GOTO(r, c->key_len <= sizeof(pc->key) && c->iv_len <= KG_PKTCRYPT_MAX_IV,
			    KG_ERR_INTERNAL, fail);
		memcpy(pc->key, key, c->key_len);
		if (m != NULL) {
			ENSURE_GOTO(r, m->key_len <= sizeof(pc->mac_key), KG_ERR_INTERNAL, fail);
			memcpy(pc->mac_key, mac_key, m->key_len);
		}
		switch (c->kind) {
		case KG_CIPHER_CHACHAPOLY: r = kg_chachapoly_init(pc, key); break;
		case KG_CIPHER_AESGCM: r = kg_aesgcm_init(pc, key, iv); break;
		case KG_CIPHER_AESCTR: r = kg_aesctr_init(pc, key, iv, mac_key); break;
		default: r = KG_ERR_INTERNAL; break;
		}
	}
	if (r < 0)
		goto fail;
	*out = pc;
	return KG_OK;
fail:
	kg_pktcrypt_free(pc);
	return r;
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

/* ------------------------------------------------------------------ */
/* handing the state to another process                                */

/* 1 when the state stands between peek_length and open. */
int kg_pktcrypt_mid_packet(const kg_pktcrypt *pc)
{
	return pc->first_block_clear;
}

int kg_pktcrypt_export(const kg_pktcrypt *pc, kg_buf *out)
{
	ENSURE(pc != NULL && out != NULL, KG_ERR_ARG);
	const kg_cipher_alg *c = pc->alg;
	uint8_t iv[KG_PKTCRYPT_MAX_IV];
	size_t ivlen = 0;
	if (c != NULL && c->kind == KG_CIPHER_AESGCM) {
		memcpy(iv, pc->u.gcm.iv, KG_GCM_IV_LEN);   /* fixed || current counter */
		ivlen = KG_GCM_IV_LEN;
	} else if (c != NULL && c->kind == KG_CIPHER_AESCTR) {
		GUARD(kg_aesctr_position(pc, iv));        /* the next counter block */
		ivlen = c->iv_len;
	}
	size_t before = kg_buf_len(out);
	int r;
	GUARD_GOTO(r, kg_buf_put_cstring(out, c ? c->name : "none"), fail);
	GUARD_GOTO(r, kg_buf_put_cstring(out, pc->mac_alg ? pc->mac_alg->name : ""), fail);
	GUARD_GOTO(r, kg_buf_put_u8(out, (uint8_t)pc->encrypt), fail);
	GUARD_GOTO(r, kg_buf_put_string(out, pc->key, c ? c->key_len : 0), fail);
	GUARD_GOTO(r, kg_buf_put_string(out, iv, ivlen), fail);
	GUARD_GOTO(r, kg_buf_put_string(out, pc->mac_key, pc->mac_alg ? pc->mac_alg->key_len : 0), fail);
	/* After peek_length decrypted a CTR packet's first block in place:
	 * the counter above is already past it. */
	GUARD_GOTO(r, kg_buf_put_u8(out, (uint8_t)pc->first_block_clear), fail);
	r = KG_OK;
	goto done;
fail:
	if (kg_buf_len(out) > before) {
		OPENSSL_cleanse(kg_buf_mutable_ptr(out) + before, kg_buf_len(out) - before);
		if (kg_buf_consume_end(out, kg_buf_len(out) - before) < 0)
			r = KG_ERR_INTERNAL;
	}
done:
	OPENSSL_cleanse(iv, sizeof(iv));
	return r;
}

/* A field of exactly want bytes. */
static int get_exact(kg_buf *in, size_t want, const uint8_t **p)
{
	size_t n;
	GUARD(kg_buf_get_string_direct(in, p, &n));
	ENSURE(n == want, KG_ERR_FORMAT);
	return KG_OK;
}

int kg_pktcrypt_import(kg_pktcrypt **out, const kg_cipher_alg *c, const kg_mac_alg *m,
		       int encrypt, kg_buf *in)
{
	ENSURE(out != NULL && in != NULL, KG_ERR_ARG);
	*out = NULL;
	const uint8_t *name, *mname, *key, *iv, *mkey;
	size_t nlen, mlen;
	uint8_t enc;
	GUARD(kg_buf_get_string_direct(in, &name, &nlen));
	GUARD(kg_buf_get_string_direct(in, &mname, &mlen));
	GUARD(kg_buf_get_u8(in, &enc));
	/* The state must be for the algorithms and direction the caller
	 * negotiated, not whatever the blob names. */
	const char *want = c ? c->name : "none", *mwant = m ? m->name : "";
	ENSURE(nlen == strlen(want) && memcmp(name, want, nlen) == 0, KG_ERR_FORMAT);
	ENSURE(mlen == strlen(mwant) && memcmp(mname, mwant, mlen) == 0, KG_ERR_FORMAT);
	ENSURE(enc == (encrypt ? 1 : 0), KG_ERR_FORMAT);
	if (c == NULL || c->aead)
		ENSURE(m == NULL, KG_ERR_FORMAT);
	else
		ENSURE(m != NULL, KG_ERR_FORMAT);
	size_t ivlen = c == NULL || c->kind == KG_CIPHER_CHACHAPOLY ? 0 : c->iv_len;
	GUARD(get_exact(in, c ? c->key_len : 0, &key));
	GUARD(get_exact(in, ivlen, &iv));
	GUARD(get_exact(in, m ? m->key_len : 0, &mkey));
	uint8_t fbc;
	GUARD(kg_buf_get_u8(in, &fbc));
	ENSURE(fbc <= 1, KG_ERR_FORMAT);
	/* Only a receiving CTR state without EtM decrypts a block early. */
	if (fbc)
		ENSURE(!encrypt && c != NULL && c->kind == KG_CIPHER_AESCTR && !m->etm, KG_ERR_FORMAT);
	/* kg_pktcrypt_new copies the keys: nothing points into the blob. */
	GUARD(kg_pktcrypt_new(out, c, m, c ? key : NULL, ivlen ? iv : NULL, m ? mkey : NULL, encrypt));
	(*out)->first_block_clear = fbc;
	return KG_OK;
}
