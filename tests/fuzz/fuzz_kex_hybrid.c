/* Fuzzes the hybrid post-quantum KEX parsing (mlkem768x25519-sha256): the first byte picks the side,
 * the rest is the peer's value: a client's C_INIT for the server, a server's S_REPLY for the client.
 * Any length but 1184+32 / 1088+32 must be refused with nothing written; an accepted value gives a
 * 32-byte K (and on the server a 1120-byte reply).  ASan catches any read past the value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/kex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const kg_kex_alg *a = kg_kex_find("mlkem768x25519-sha256");
	if (a == NULL)
		abort();
	/* An exact-size copy, so a read past the value is an overflow. */
	size_t len = size - 1;
	uint8_t *peer = len ? malloc(len) : NULL;
	if (len && !peer)
		return 0;
	if (len)
		memcpy(peer, data + 1, len);
	kg_buf pub, k;
	kg_buf_init(&pub, 0);
	kg_buf_init(&k, 0);
	if (data[0] & 1) {
		int r = kg_kex_server_derive(a, peer, len, &pub, &k);
		if (r == KG_OK && (len != 1184 + 32 || kg_buf_len(&pub) != 1088 + 32 || kg_buf_len(&k) != 32))
			abort();
		if (r != KG_OK && (kg_buf_len(&pub) != 0 || kg_buf_len(&k) != 0))
			abort();
	} else {
		void *st = NULL;
		kg_buf cpub;
		kg_buf_init(&cpub, 0);
		if (kg_kex_client_keygen(a, &st, &cpub) == KG_OK) {
			int r = kg_kex_client_derive(a, st, peer, len, &k);
			if (r == KG_OK && (len != 1088 + 32 || kg_buf_len(&k) != 32))
				abort();
			if (r != KG_OK && kg_buf_len(&k) != 0)
				abort();
			kg_kex_state_free(st);
		}
		kg_buf_free(&cpub);
	}
	kg_buf_free(&pub);
	kg_buf_free(&k);
	free(peer);
	return 0;
}
