/* Feeds arbitrary bytes to the key parsers and the signature checker.
 * Input layout for the verify part: byte 0 picks a fixed public key, then
 * string signature-blob, then the rest is the signed data. */
#include <stdlib.h>
#include <string.h>
#include "core/key.h"

/* Public keys from tests/data/keys (ssh-keygen made). */
static const char *const fixed_keys[] = {
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtXtXfHQMvVHMJwLm7YCK2aG8Ce7OXdiEwO2ajq63UN",
	"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBASVqy8+Xe+06z+E"
	"4DUmbEWdlmYzD8bmKAIQlvWzCnqg3Po7G2T4eieByEaiuFoRmXSnUxT3gwOmk7wKOJ0ULes=",
	"ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBNET/925WeiwjFZC"
	"EzP/kItMBZ3zfarDMS9C3P8y8/dOmqG6smVXJT1HT/wn8rMO0woPKsqyxT9QY+vu734ZMZwTzus3XOv2TVUKP8mK"
	"3OvkQNQ1iLhsdQ6Mh3X34zg3/A==",
	"ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAE0hvX30b+BEp8Q"
	"KIAjwPyTMaSwOsyh1ECsYgAA6phLOx9wkQTzCBCnJkEIm1JBZrxd+5hPEAQlCZRKour5We4tUwDIl9wyGJXKBCoa"
	"JWBIJ5bo/ZRppPnY2Hz+340AkknfPhUjR0jHSHUvDFwi2n+iCaKlJNY8zSEiwN+/QhIinFeW5w==",
	"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCS60y7gb5CpiGS7Q6IMYmFa5FcuKhKOP+tqnDP9w/B4IX13pQ8"
	"ggfuSekTVNUpt9qIpovuY24vUKTAac9+/Tf5H3fZtdaaqwyiwtmgZhCI5jIzpgDdIQeTtD/GntUX95nXMyeaKk4y"
	"y0toQWt9W+7RKKaelIHqrMntms0Q8t1TEHrYFxycqmI5geGRcZ4y13AocnTQzd6djQOs9ubFZde1lhcZQghuZexc"
	"yOSFsZRhHgl5dnK3164Py65gN3WSYQjGKbpV5GT7UilfeFU9daVkGYdII4TCIglpwCU24oY5qEN4MbM5+Tn0S55P"
	"FbXTsSbltDawT0ucDZwJUj1ujerD",
};

static void check_blob(const uint8_t *data, size_t size)
{
	kg_key *k = NULL;
	if (kg_key_from_blob(data, size, &k) != KG_OK)
		return;
	/* Whatever parses must serialize back to exactly the same bytes. */
	kg_buf b;
	char fp[KG_KEY_FP_LEN];
	kg_buf_init(&b, 0);
	if (kg_key_to_blob(k, &b) != KG_OK || kg_buf_len(&b) != size ||
	    memcmp(kg_buf_ptr(&b), data, size) != 0 || kg_key_fingerprint(k, fp, sizeof(fp)) != KG_OK)
		abort();
	kg_buf_free(&b);
	kg_key_free(k);
}

static void check_line(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	if (!line)
		return;
	memcpy(line, data, size);
	line[size] = '\0';
	kg_key *k = NULL, *k2 = NULL;
	if (kg_key_from_line(line, &k) == KG_OK) {
		kg_buf b;
		kg_buf_init(&b, 0);
		if (kg_key_to_line(k, &b) != KG_OK || kg_buf_put_u8(&b, 0) != KG_OK ||
		    kg_key_from_line((const char *)kg_buf_ptr(&b), &k2) != KG_OK ||
		    !kg_key_equal_public(k, k2))
			abort();
		kg_buf_free(&b);
	}
	kg_key_free(k);
	kg_key_free(k2);
	free(line);
}

static void check_verify(const uint8_t *data, size_t size)
{
	if (size < 1)
		return;
	kg_key *k = NULL;
	if (kg_key_from_line(fixed_keys[data[0] % KG_ARRAY_LEN(fixed_keys)], &k) != KG_OK)
		abort();
	kg_buf in;
	const uint8_t *sig;
	size_t siglen;
	kg_buf_view(&in, data + 1, size - 1);
	if (kg_buf_get_string_direct(&in, &sig, &siglen) != KG_OK) {
		sig = data + 1;
		siglen = size - 1;
		kg_buf_view(&in, NULL, 0);
	}
	/* Seeds carry real signatures, so success is possible; the point is
	 * that no input crashes or leaks. */
	if (kg_key_verify(k, NULL, sig, siglen, kg_buf_ptr(&in), kg_buf_len(&in)) == KG_OK &&
	    kg_key_verify(k, "ssh-rsa", sig, siglen, kg_buf_ptr(&in), kg_buf_len(&in)) == KG_OK)
		abort();
	kg_key_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_blob(data, size);
	check_line(data, size);
	check_verify(data, size);
	return 0;
}
