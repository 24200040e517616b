/* Feeds arbitrary bytes to the receive path of every cipher/MAC pairing as
 * if they were a packet from the peer (peek_length, then open), and checks
 * that sealing the same bytes as plaintext opens back to them.  Byte 0
 * picks the pairing, bytes 1..4 the sequence number. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/cipher.h"

struct combo { const char *cipher, *mac; };
static const struct combo combos[] = {
	{ NULL, NULL },
	{ "chacha20-poly1305@openssh.com", NULL },
	{ "aes128-gcm@openssh.com", NULL },
	{ "aes256-gcm@openssh.com", NULL },
	{ "aes128-ctr", "hmac-sha2-256" },
	{ "aes192-ctr", "hmac-sha2-512" },
	{ "aes256-ctr", "hmac-sha2-256-etm@openssh.com" },
	{ "aes128-ctr", "hmac-sha2-512-etm@openssh.com" },
};

static const uint8_t fixed_key[64] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
	0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
};

static kg_pktcrypt *make(const struct combo *c, int encrypt)
{
	kg_pktcrypt *pc = NULL;
	const kg_cipher_alg *ca = c->cipher ? kg_cipher_find(c->cipher) : NULL;
	const kg_mac_alg *ma = c->mac ? kg_mac_find(c->mac) : NULL;
	if (kg_pktcrypt_new(&pc, ca, ma, fixed_key, fixed_key + 16, fixed_key, encrypt) != KG_OK)
		abort();
	return pc;
}

/* Receives data as one packet of pktlen bytes (tag after it). */
static void receive(const struct combo *c, uint32_t seq, const uint8_t *data, size_t size,
		    size_t pktlen, int use_peeked_len)
{
	kg_pktcrypt *d = make(c, 0);
	size_t tag = kg_pktcrypt_tag_len(d);
	uint8_t *pkt = malloc(size + 1);
	if (pkt == NULL)
		abort();
	memcpy(pkt, data, size);
	uint32_t plen;
	if (size >= kg_pktcrypt_length_bytes(d) &&
	    kg_pktcrypt_peek_length(d, seq, pkt, &plen) == KG_OK) {
		if (use_peeked_len)
			pktlen = (size_t)plen + 4;
		if (pktlen <= size && size - pktlen >= tag)
			(void)kg_pktcrypt_open(d, seq, pkt, pktlen);
	}
	free(pkt);
	kg_pktcrypt_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	const struct combo *c = &combos[data[0] % (sizeof(combos) / sizeof(combos[0]))];
	uint32_t seq = kg_peek_u32(data + 1);
	data += 5;
	size -= 5;

	receive(c, seq, data, size, 0, 1);
	kg_pktcrypt *probe = make(c, 0);
	size_t tag = kg_pktcrypt_tag_len(probe);
	kg_pktcrypt_free(probe);
	if (size >= tag)
		receive(c, seq, data, size, size - tag, 0);

	/* Seal then open must give the bytes back, whatever they are. */
	kg_pktcrypt *e = make(c, 1), *d = make(c, 0);
	uint8_t *pkt = malloc(size + 64), *orig = malloc(size + 1);
	if (pkt == NULL || orig == NULL)
		abort();
	memcpy(pkt, data, size);
	memcpy(orig, data, size);
	if (kg_pktcrypt_seal(e, seq, pkt, size) == KG_OK) {
		uint32_t plen;
		if (kg_pktcrypt_peek_length(d, seq, pkt, &plen) != KG_OK ||
		    kg_pktcrypt_open(d, seq, pkt, size) != KG_OK || memcmp(pkt, orig, size) != 0)
			abort();
	} else if (size >= kg_pktcrypt_length_bytes(e)) {
		abort();  /* any long enough packet must seal */
	}
	free(pkt);
	free(orig);
	kg_pktcrypt_free(e);
	kg_pktcrypt_free(d);
	return 0;
}
