/* The line editor's state machine fed arbitrary bytes: the line stays
 * NUL-terminated valid UTF-8 within its buffer, the cursor on a character
 * boundary, and rendering always succeeds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sys/lineedit.h"

/* The whole line decodes as UTF-8 (what the editor promises). */
static int valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		size_t k = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
			 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
		if (k == 0 || i + k > n)
			return 0;
		for (size_t j = 1; j < k; j++)
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
		i += k;
	}
	return 1;
}

static void check(const kg_le *e)
{
	if (e->len >= KG_LE_MAX_LINE || e->pos > e->len || e->line[e->len] != '\0' ||
	    strlen(e->line) != e->len || e->hist_n > KG_LE_HISTORY || e->hist_pos > e->hist_n)
		abort();
	if (e->pos < e->len && ((unsigned char)e->line[e->pos] & 0xc0) == 0x80)
		abort();
	if (!valid_utf8((const unsigned char *)e->line, e->len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kg_le e;
	kg_buf out;
	kg_le_init(&e);
	kg_buf_init(&out, 0);
	kg_le_begin(&e);
	uint32_t cols = size > 0 ? data[0] : 0;   /* includes 0 (unknown) and tiny widths */
	for (size_t i = 0; i < size; i++) {
		int ev = kg_le_feed(&e, data[i]);
		check(&e);
		if (ev == KG_LE_ACCEPT) {
			if (kg_le_history_add(&e, e.line) < 0)
				abort();
			kg_le_begin(&e);
		} else if (ev == KG_LE_CANCEL || ev == KG_LE_EOF) {
			kg_le_begin(&e);
		}
		if ((i & 31) == 0 || ev == KG_LE_CHANGED) {
			kg_buf_reset(&out);
			if (kg_le_render(&e, "sftp> ", cols, &out) < 0)
				abort();
		}
	}
	kg_buf_free(&out);
	kg_le_free(&e);
	return 0;
}
