/* SOCKS requests: any bytes, fed in pieces of every size the input picks,
 * must end in more, done (with a target that makes sense) or a refusal,
 * never more bytes used than given or a reply larger than promised. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/socks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = (size_t)(data[0] % 16) + 1;
	data++;
	size--;
	kg_socks s;
	kg_socks_init(&s);
	size_t off = 0;
	while (off < size) {
		size_t n = size - off < step ? size - off : step, used = 0, outlen = 0;
		uint8_t out[KG_SOCKS_REPLY_MAX + 8];
		int r = kg_socks_feed(&s, data + off, n, &used, out, &outlen);
		if (used > n || outlen > KG_SOCKS_REPLY_MAX)
			abort();
		if (r == KG_SOCKS_DONE) {
			if (!s.host[0] || strlen(s.host) > KG_SOCKS_HOST_MAX || s.port == 0)
				abort();
			if (kg_socks_reply(&s, 1, 0, out) > KG_SOCKS_REPLY_MAX)
				abort();
			break;
		}
		if (r < 0)
			break;
		if (r != KG_SOCKS_MORE || (used == 0 && n > 0 && outlen == 0))
			abort();
		off += used;
	}
	return 0;
}
