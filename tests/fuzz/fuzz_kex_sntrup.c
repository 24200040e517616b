/* Fuzzes the value parsing of sntrup761x25519-sha512: the first byte picks
 * the server side (the input is the client's pk || X25519) or the client side
 * (the server's ct || X25519).  Only the exact length may be accepted, and
 * then K is 64 bytes; a refusal leaves every output empty. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/kex.h"

#define C_INIT_LEN (1158 + 32)
#define S_REPLY_LEN (1039 + 32)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The client's key pair costs ~10 ms: made once per fuzzing process and
	 * reused, so the fuzzer spends its time on the peer values. */
	static void *client_state;
	const kg_kex_alg *a = kg_kex_find("sntrup761x25519-sha512");
	if (size < 1 || a == NULL)
		return 0;
	const uint8_t *peer = data + 1;
	size_t len = size - 1;
	kg_buf pub, k;
	kg_buf_init(&pub, 0);
	kg_buf_init(&k, 0);
	if ((data[0] & 1) == 0) {
		int r = kg_kex_server_derive(a, peer, len, &pub, &k);
		if (r == KG_OK && (len != C_INIT_LEN || kg_buf_len(&pub) != S_REPLY_LEN || kg_buf_len(&k) != 64))
			abort();
		if (r != KG_OK && (kg_buf_len(&pub) != 0 || kg_buf_len(&k) != 0))
			abort();
	} else {
		if (client_state == NULL && kg_kex_client_keygen(a, &client_state, &pub) != KG_OK)
			abort();
		int r = kg_kex_client_derive(a, client_state, peer, len, &k);
		if (r == KG_OK && (len != S_REPLY_LEN || kg_buf_len(&k) != 64))
			abort();
		if (r != KG_OK && kg_buf_len(&k) != 0)
			abort();
	}
	kg_buf_free(&pub);
	kg_buf_free(&k);
	return 0;
}
