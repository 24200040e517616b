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

/* Every byte of keystream goes through here, so the position is known. */
static int ctr_update(kg_pktcrypt *pc, uint8_t *data, size_t len)
{
	GUARD(kg_cipher_update(pc->u.ctr.ctx, data, len));
	pc->u.ctr.bytes += len;
	return KG_OK;
}

int kg_aesctr_init(kg_pktcrypt *pc, const uint8_t *key, const uint8_t *iv, const uint8_t *mac_key)
{
	ENSURE(pc->alg->iv_len == sizeof(pc->u.ctr.iv), KG_ERR_INTERNAL);
	memcpy(pc->u.ctr.iv, iv, sizeof(pc->u.ctr.iv));
	pc->u.ctr.bytes = 0;
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
	OPENSSL_cleanse(&pc->u.ctr, sizeof(pc->u.ctr));
}

int kg_aesctr_position(const kg_pktcrypt *pc, uint8_t ctr[16])
{
	const struct kg_aesctr *c = &pc->u.ctr;
	ENSURE(c->bytes % 16 == 0, KG_ERR_STATE);
	/* The counter block is one 128-bit big-endian number (RFC 4344 4). */
	uint64_t add = c->bytes / 16;
	unsigned carry = 0;
	for (int i = 15; i >= 0; i--) {
		unsigned v = c->iv[i] + (unsigned)(add & 0xff) + carry;
		ctr[i] = (uint8_t)v;
		carry = v >> 8;
		add >>= 8;
	}
	return KG_OK;
}

int kg_aesctr_seal(kg_pktcrypt *pc, uint32_t seqnr, uint8_t *pkt, size_t pktlen)
{
	if (pc->mac_alg->etm) {
		GUARD(ctr_update(pc, pkt + 4, pktlen - 4));
		return kg_hmac_packet(&pc->mac, seqnr, pkt, pktlen, pkt + pktlen);
	}
	GUARD(kg_hmac_packet(&pc->mac, seqnr, pkt, pktlen, pkt + pktlen));
	return ctr_update(pc, pkt, pktlen);
}

int kg_aesctr_peek_length(kg_pktcrypt *pc, uint8_t *pkt, uint32_t *len)
{
	/* Only reached without EtM: the length sits in the first block. */
	GUARD(ctr_update(pc, pkt, pc->alg->block_size));
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
		return ctr_update(pc, pkt + 4, pktlen - 4);
	}
	/* Resume after the block peek_length already decrypted, if it ran. */
	size_t done = pc->first_block_clear ? pc->alg->block_size : 0;
	pc->first_block_clear = 0;
	GUARD(ctr_update(pc, pkt + done, pktlen - done));
	int r = check_mac(pc, seqnr, pkt, pktlen);
	if (r < 0)
		OPENSSL_cleanse(pkt, pktlen);  /* unauthenticated plaintext */
	return r;
}
