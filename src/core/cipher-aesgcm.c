/* aes128-gcm@openssh.com and aes256-gcm@openssh.com (RFC 5647 as OpenSSH
 * uses it): the packet length is additional authenticated data sent in
 * clear, the rest of the packet is encrypted, a 16-byte tag follows.  The
 * 12-byte nonce is a 4-byte fixed field and an 8-byte big-endian invocation
 * counter, both from key derivation; the counter goes up by one per packet
 * and does not depend on the sequence number. */
#include <string.h>
#include <openssl/crypto.h>
#include "core/cipher-impl.h"

int kg_aesgcm_init(kg_pktcrypt *pc, const uint8_t *key, const uint8_t *iv)
{
	struct kg_aesgcm *g = &pc->u.gcm;
	memcpy(g->iv, iv, KG_GCM_IV_LEN);
	/* The IV is set per packet; only the key schedule is built here. */
	g->ctx = kg_cipher_ctx_new(pc->alg->evp_name, key, pc->alg->key_len, NULL, 0, pc->encrypt);
	ENSURE(g->ctx != NULL, KG_ERR_CRYPTO);
	ENSURE(EVP_CIPHER_CTX_get_iv_length(g->ctx) == KG_GCM_IV_LEN, KG_ERR_CRYPTO);
	return KG_OK;
}

void kg_aesgcm_clear(kg_pktcrypt *pc)
{
	struct kg_aesgcm *g = &pc->u.gcm;
	EVP_CIPHER_CTX_free(g->ctx);
	OPENSSL_cleanse(g, sizeof(*g));
}

/* Adds one to the 64-bit big-endian invocation counter (wrapping, as
 * RFC 5647 7.1 allows; rekeying happens long before). */
static void next_iv(uint8_t iv[KG_GCM_IV_LEN])
{
	for (int i = KG_GCM_IV_LEN - 1; i >= 4; i--)
		if (++iv[i] != 0)
			break;
}

int kg_aesgcm_crypt(kg_pktcrypt *pc, const uint8_t *aad, size_t aad_len,
		    uint8_t *data, size_t len, uint8_t *tag)
{
	ENSURE(pc != NULL && pc->alg != NULL && pc->alg->kind == KG_CIPHER_AESGCM, KG_ERR_ARG);
	ENSURE(aad_len <= KG_PKTCRYPT_MAX_LEN && len <= KG_PKTCRYPT_MAX_LEN, KG_ERR_TOO_LARGE);
	struct kg_aesgcm *g = &pc->u.gcm;
	EVP_CIPHER_CTX *ctx = g->ctx;
	uint8_t fin[16];
	int outl = 0;

	/* A new IV with no key keeps the key schedule and restarts GHASH. */
	ENSURE(EVP_CipherInit_ex(ctx, NULL, NULL, NULL, g->iv, -1) == 1, KG_ERR_CRYPTO);
	next_iv(g->iv);
	if (!pc->encrypt)
		ENSURE(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, KG_AEAD_TAG_LEN, tag) == 1,
		       KG_ERR_CRYPTO);
	if (aad_len > 0)
		ENSURE(EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) == 1, KG_ERR_CRYPTO);
	GUARD(kg_cipher_update(ctx, data, len));
	if (EVP_CipherFinal_ex(ctx, fin, &outl) != 1) {
		/* EVP GCM checks the tag only after decrypting, so the
		 * unauthenticated plaintext is destroyed before returning. */
		OPENSSL_cleanse(data, len);
		return pc->encrypt ? KG_ERR_CRYPTO : KG_ERR_MAC;
	}
	if (pc->encrypt)
		ENSURE(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, KG_AEAD_TAG_LEN, tag) == 1,
		       KG_ERR_CRYPTO);
	return KG_OK;
}

int kg_aesgcm_seal(kg_pktcrypt *pc, uint8_t *pkt, size_t pktlen)
{
	return kg_aesgcm_crypt(pc, pkt, 4, pkt + 4, pktlen - 4, pkt + pktlen);
}

int kg_aesgcm_open(kg_pktcrypt *pc, uint8_t *pkt, size_t pktlen)
{
	return kg_aesgcm_crypt(pc, pkt, 4, pkt + 4, pktlen - 4, pkt + pktlen);
}
