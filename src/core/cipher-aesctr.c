/* aes{128,192,256}-ctr (RFC 4344) with an HMAC.  The counter runs on from
 * packet to packet, so the context is keyed once and never restarted.
 *
 * Plain MAC (RFC 4253 6.4): MAC(seqnr || plaintext packet), whole packet
 *   encrypted; the receiver must decrypt the first block to learn the
 *   length, and checks the MAC after decrypting the rest.
 * EtM (OpenSSH -etm@openssh.com): the length stays in clear, the rest is
 *   encrypted, MAC(seqnr || length || ciphertext) is checked before any
 *   decryption. */
#include <string.h>
#include <openssl/crypto.h>
#include "core/buf.h"
#include "core/cipher-impl.h"

int kg_aesctr_init(kg_pktcrypt *pc, const uint8_t *key, const uint8_t *iv, const uint8_t *mac_key)
{
	pc->u.ctr.ctx = kg_cipher_ctx_new(pc->alg->evp_name, key, pc->alg->key_len, iv,
					  pc->alg->iv_len, pc->encrypt);
	ENSURE(pc->u.ctr.ctx != NULL, KG_ERR_CRYPTO);
	GUARD(kg_hmac_init(&pc->mac, pc->mac_alg->digest, mac_key, pc->mac_alg->key_len));
	ENSURE(pc->mac.mac_len == pc->mac_alg->mac_len, KG_ERR_CRYPTO);
	return KG_OK;
}

void kg_aesctr_clear(kg_pktcrypt *pc)
{
	EVP_CIPHER_CTX_free(pc->u.ctr.ctx);
	pc->u.ctr.ctx = NULL;
}

int kg_aesctr_seal(kg_pktcrypt *pc, uint32_t seqnr, uint8_t *pkt, size_t pktlen)
{
	if (pc->mac_alg->etm) {
		GUARD(kg_cipher_update(pc->u.ctr.ctx, pkt + 4, pktlen - 4));
		return kg_hmac_packet(&pc->mac, seqnr, pkt, pktlen, pkt + pktlen);
	}
	GUARD(kg_hmac_packet(&pc->mac, seqnr, pkt, pktlen, pkt + pktlen));
	return kg_cipher_update(pc->u.ctr.ctx, pkt, pktlen);
}

int kg_aesctr_peek_length(kg_pktcrypt *pc, uint8_t *pkt, uint32_t *len)
{
	/* Only reached without EtM: the length sits in the first block. */
	GUARD(kg_cipher_update(pc->u.ctr.ctx, pkt, pc->alg->block_size));
	pc->first_block_clear = 1;
	*len = kg_peek_u32(pkt);
	return KG_OK;
}

static int check_mac(kg_pktcrypt *pc, uint32_t seqnr, const uint8_t *pkt, size_t pktlen)
{
	uint8_t mac[KG_MAC_MAX_LEN];
	int r = kg_hmac_packet(&pc->mac, seqnr, pkt, pktlen, mac);
	if (r == KG_OK && CRYPTO_memcmp(mac, pkt + pktlen, pc->mac.mac_len) != 0)
		r = KG_ERR_MAC;
	OPENSSL_cleanse(mac, sizeof(mac));
	return r;
}

int kg_aesctr_open(kg_pktcrypt *pc, uint32_t seqnr, uint8_t *pkt, size_t pktlen)
{
	if (pc->mac_alg->etm) {
		GUARD(check_mac(pc, seqnr, pkt, pktlen));
		return kg_cipher_update(pc->u.ctr.ctx, pkt + 4, pktlen - 4);
	}
	/* Resume after the block peek_length already decrypted, if it ran. */
	size_t done = pc->first_block_clear ? pc->alg->block_size : 0;
	pc->first_block_clear = 0;
	GUARD(kg_cipher_update(pc->u.ctr.ctx, pkt + done, pktlen - done));
	int r = check_mac(pc, seqnr, pkt, pktlen);
	if (r < 0)
		OPENSSL_cleanse(pkt, pktlen);  /* unauthenticated plaintext */
	return r;
}
