/* Fuzzes the peer public value parsing of every key exchange method: the
 * first byte picks the method, the rest is the peer's value.  A result,
 * when the value is accepted, must be a non-empty magnitude. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/kex.h"

/* The larger DH groups run the same parsing code as group14 but each
 * accepted value costs a 4096/8192-bit subgroup check, which would starve
 * the fuzzer; group14 covers that code. */
static const char *const methods[] = {
	"curve25519-sha256", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
	"diffie-hellman-group14-sha256",
};

static void check_secret(const kg_buf *k)
{
	if (kg_buf_len(k) == 0 || kg_buf_ptr(k)[0] == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const kg_kex_alg *a = kg_kex_find(methods[data[0] % (sizeof(methods) / sizeof(methods[0]))]);
	const uint8_t *peer = data + 1;
	size_t len = size - 1;
	kg_buf pub, k;
	kg_buf_init(&pub, 0);
	kg_buf_init(&k, 0);
	if (kg_kex_server_derive(a, peer, len, &pub, &k) == KG_OK)
		check_secret(&k);
	else if (kg_buf_len(&pub) != 0 || kg_buf_len(&k) != 0)
		abort();
	kg_buf_reset(&pub);
	kg_buf_reset(&k);
	/* The client path too, where a key pair is cheap to make. */
	if (!a->pub_is_mpint) {
		void *st = NULL;
		if (kg_kex_client_keygen(a, &st, &pub) == KG_OK) {
			if (kg_kex_client_derive(a, st, peer, len, &k) == KG_OK)
				check_secret(&k);
			kg_kex_state_free(st);
		}
	}
	kg_buf_free(&pub);
	kg_buf_free(&k);
	return 0;
}
