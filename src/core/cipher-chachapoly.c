/* chacha20-poly1305@openssh.com (PROTOCOL.chacha20poly1305).
 *
 * The 64-byte key splits into K_2 (first 32 bytes: Poly1305 key and
 * payload) and K_1 (last 32 bytes: the length field only).  Both ChaCha20
 * instances take the sequence number as a 64-bit big-endian nonce.
 * OpenSSL's ChaCha20 takes a 16-byte IV: a 32-bit little-endian block
 * counter, then a 96-bit nonce.  The original 64-bit-counter layout maps
 * onto it as counter(4, LE) || 0(4) || seqnr(8, BE), which is exact while
 * the counter stays below 2^32 blocks (256 GiB per packet). */
#include <string.h>
#include <openssl/crypto.h>
#include "core/buf.h"
#include "core/cipher-impl.h"

#define CHACHA_BLOCK 64
#define POLY_KEY_LEN 32

/* IV for block counter 0 and the given sequence number. */
static void chacha_iv(uint8_t iv[16], uint32_t seqnr)
{
	memset(iv, 0, 16);
	kg_poke_u64(iv + 8, seqnr);
}

/* Restarts ctx at block 0 for this packet.  Only the IV changes: a NULL
 * cipher and key keep the key schedule. */
static int chacha_restart(EVP_CIPHER_CTX *ctx, uint32_t seqnr)
{
	uint8_t iv[16];
	chacha_iv(iv, seqnr);
	ENSURE(EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1) == 1, KG_ERR_CRYPTO);
	return KG_OK;
}

int kg_chachapoly_init(kg_pktcrypt *pc, const uint8_t *key)
{
	struct kg_chachapoly *cp = &pc->u.cp;
	uint8_t iv[16];
	chacha_iv(iv, 0);
	cp->main_ctx = kg_cipher_ctx_new("ChaCha20", key, KG_CHACHA_KEY_LEN, iv, 16, pc->encrypt);
	cp->len_ctx = kg_cipher_ctx_new("ChaCha20", key + KG_CHACHA_KEY_LEN, KG_CHACHA_KEY_LEN,
					iv, 16, pc->encrypt);
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "POLY1305", NULL);
	if (mac != NULL)
		cp->poly = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	ENSURE(cp->main_ctx != NULL && cp->len_ctx != NULL && cp->poly != NULL, KG_ERR_CRYPTO);
	return KG_OK;
}

void kg_chachapoly_clear(kg_pktcrypt *pc)
{
	struct kg_chachapoly *cp = &pc->u.cp;
	EVP_CIPHER_CTX_free(cp->main_ctx);
	EVP_CIPHER_CTX_free(cp->len_ctx);
	EVP_MAC_CTX_free(cp->poly);
	memset(cp, 0, sizeof(*cp));
}

/* Restarts K_2 at block 0 and takes that whole block: the first 32 bytes
 * are the Poly1305 key, and K_2 is left positioned at block 1, where the
 * payload starts.  block must hold CHACHA_BLOCK bytes. */
static int chacha_poly_block(struct kg_chachapoly *cp, uint32_t seqnr, uint8_t block[CHACHA_BLOCK])
{
	memset(block, 0, CHACHA_BLOCK);
	GUARD(chacha_restart(cp->main_ctx, seqnr));
	return kg_cipher_update(cp->main_ctx, block, CHACHA_BLOCK);
}

int kg_chachapoly_poly_key(kg_pktcrypt *pc, uint32_t seqnr, uint8_t out[32])
{
	ENSURE(pc != NULL && pc->alg != NULL && pc->alg->kind == KG_CIPHER_CHACHAPOLY, KG_ERR_ARG);
	uint8_t block[CHACHA_BLOCK];
	int r = chacha_poly_block(&pc->u.cp, seqnr, block);
	if (r == KG_OK)
		memcpy(out, block, POLY_KEY_LEN);
	OPENSSL_cleanse(block, sizeof(block));
	return r;
}

static int poly1305(EVP_MAC_CTX *poly, const uint8_t key[POLY_KEY_LEN], const uint8_t *data,
		    size_t len, uint8_t tag[KG_AEAD_TAG_LEN])
{
	size_t outl = 0;
	ENSURE(EVP_MAC_init(poly, key, POLY_KEY_LEN, NULL) == 1, KG_ERR_CRYPTO);
	ENSURE(EVP_MAC_update(poly, data, len) == 1, KG_ERR_CRYPTO);
	ENSURE(EVP_MAC_final(poly, tag, &outl, KG_AEAD_TAG_LEN) == 1, KG_ERR_CRYPTO);
	ENSURE(outl == KG_AEAD_TAG_LEN, KG_ERR_CRYPTO);
	return KG_OK;
}

int kg_chachapoly_poly1305(kg_pktcrypt *pc, const uint8_t key[32], const uint8_t *data,
			   size_t len, uint8_t tag[16])
{
	ENSURE(pc != NULL && pc->alg != NULL && pc->alg->kind == KG_CIPHER_CHACHAPOLY, KG_ERR_ARG);
	return poly1305(pc->u.cp.poly, key, data, len, tag);
}

/* K_1 over the 4 length bytes at p, in place. */
static int crypt_length(struct kg_chachapoly *cp, uint32_t seqnr, uint8_t p[4])
{
	GUARD(chacha_restart(cp->len_ctx, seqnr));
	return kg_cipher_update(cp->len_ctx, p, 4);
}

int kg_chachapoly_seal(kg_pktcrypt *pc, uint32_t seqnr, uint8_t *pkt, size_t pktlen)
{
	struct kg_chachapoly *cp = &pc->u.cp;
	uint8_t block[CHACHA_BLOCK];
	int r;
	GUARD_GOTO(r, chacha_poly_block(cp, seqnr, block), out);
	GUARD_GOTO(r, kg_cipher_update(cp->main_ctx, pkt + 4, pktlen - 4), out);
	GUARD_GOTO(r, crypt_length(cp, seqnr, pkt), out);
	/* The tag covers the encrypted length and the encrypted payload. */
	GUARD_GOTO(r, poly1305(cp->poly, block, pkt, pktlen, pkt + pktlen), out);
out:
	OPENSSL_cleanse(block, sizeof(block));
	return r;
}

int kg_chachapoly_peek_length(kg_pktcrypt *pc, uint32_t seqnr, const uint8_t *pkt, uint32_t *len)
{
	/* The tag covers the length ciphertext, so decrypt a copy and leave
	 * the packet as received. */
	uint8_t l[4];
	memcpy(l, pkt, 4);
	GUARD(crypt_length(&pc->u.cp, seqnr, l));
	*len = kg_peek_u32(l);
	return KG_OK;
}

int kg_chachapoly_open(kg_pktcrypt *pc, uint32_t seqnr, uint8_t *pkt, size_t pktlen)
{
	struct kg_chachapoly *cp = &pc->u.cp;
	uint8_t block[CHACHA_BLOCK], tag[KG_AEAD_TAG_LEN];
	int r;
	GUARD_GOTO(r, chacha_poly_block(cp, seqnr, block), out);
	GUARD_GOTO(r, poly1305(cp->poly, block, pkt, pktlen, tag), out);
	/* Nothing is decrypted until the whole ciphertext is authenticated. */
	ENSURE_GOTO(r, CRYPTO_memcmp(tag, pkt + pktlen, KG_AEAD_TAG_LEN) == 0, KG_ERR_MAC, out);
	GUARD_GOTO(r, kg_cipher_update(cp->main_ctx, pkt + 4, pktlen - 4), out);
	GUARD_GOTO(r, crypt_length(cp, seqnr, pkt), out);
out:
	OPENSSL_cleanse(block, sizeof(block));
	return r;
}
