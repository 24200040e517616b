/* The connection-sharing protocol's framing and decoder on arbitrary bytes. */
#include <stdlib.h>
#include "core/mux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *body;
	size_t len, total, off = 0;
	while (off < size && kg_mux_frame(data + off, size - off, &body, &len, &total) == KG_OK) {
		kg_mux_msg m;
		if (kg_mux_decode(body, len, &m) == KG_OK) {
			kg_buf b;
			kg_buf_init(&b, 0);
			if (kg_mux_encode(&m, &b) < 0 && m.type != 0)
				(void)0;
			kg_buf_free(&b);
			kg_mux_msg_free(&m);
		}
		off += total;
	}
	kg_mux_msg m;
	if (kg_mux_decode(data, size, &m) == KG_OK)
		kg_mux_msg_free(&m);
	return 0;
}
