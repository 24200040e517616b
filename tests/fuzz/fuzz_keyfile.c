/* Private key file parsing.  The first input byte picks the mode: bit 0
 * gives a passphrase, bit 1 treats the rest as decoded openssh-key-v1 bytes
 * (armored here) so mutations reach the binary structure directly.  bcrypt
 * rounds are capped low to keep executions fast. */
#include <stdint.h>
#include <string.h>
#include "core/keyfile-int.h"

static void roundtrip(const kg_key *k)
{
	kg_buf out;
	kg_key *again = NULL;
	kg_buf_init(&out, 0);
	if (kg_keyfile_write_private(k, NULL, NULL, &out) == KG_OK &&
	    kg_keyfile_parse_private(kg_buf_ptr(&out), kg_buf_len(&out), NULL, &again) != KG_OK)
		__builtin_trap();  /* whatever parsed must write and parse back */
	kg_key_free(again);
	kg_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *pass = (data[0] & 1) ? "secret" : NULL;
	const int binary = (data[0] & 2) != 0;
	data++;
	size--;
	kg_buf text;
	kg_buf_init(&text, 0);
	if (binary) {
		if (kg_buf_putf(&text, "-----BEGIN OPENSSH PRIVATE KEY-----\n") < 0 ||
		    kg_buf_put_base64(&text, data, size, 1) < 0 ||
		    kg_buf_putf(&text, "\n-----END OPENSSH PRIVATE KEY-----\n") < 0) {
			kg_buf_free(&text);
			return 0;
		}
		data = kg_buf_ptr(&text);
		size = kg_buf_len(&text);
	}
	(void)kg_keyfile_is_private(data, size);
	(void)kg_keyfile_is_encrypted(data, size);
	kg_key *k = NULL;
	if (kg_keyfile_parse_private_ex(data, size, pass, 2, &k) == KG_OK)
		roundtrip(k);
	kg_key_free(k);
	kg_buf_free(&text);
	return 0;
}
