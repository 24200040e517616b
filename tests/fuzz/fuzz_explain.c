/* Fuzzes the --explain collector's parsing of traced messages: the input is
 * a sequence of (direction byte, 16-bit length, payload) records; the story
 * and the HTML page are then built from whatever was collected. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "explain/explain-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kg_explain *ex = NULL;
	if (kg_explain_new(&ex, "kssh") < 0)
		return 0;
	(void)!kg_explain_set_target(ex, "u", "h", 22);
	size_t pos = 0;
	while (pos + 3 <= size) {
		int sent = data[pos] & 1;
		size_t n = ((size_t)data[pos + 1] << 8) | data[pos + 2];
		pos += 3;
		if (n > size - pos)
			n = size - pos;
		kg_explain_on_trace(ex, sent, data + pos, n);
		pos += n;
	}
	kg_buf b;
	kg_buf_init(&b, 0);
	unsigned section = 0;
	for (int p = 0; p < EX_NPARTS; p++)
		(void)!ex_story_part(ex, p, &section, &b);
	kg_buf_free(&b);
	(void)!kg_explain_html_write(ex, "/dev/null");
	kg_explain_free(ex);
	return 0;
}
