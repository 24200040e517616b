/* Legacy scp control records, names and command-line operands from
 * arbitrary bytes: errors, never crashes or over-reads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "scp/scp-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kg_scp_ctl c;
	if (kg_scp_parse_ctl((const char *)data, size, &c) == KG_OK && (c.type == 'C' || c.type == 'D')) {
		if (c.name < (const char *)data || c.name + c.name_len > (const char *)data + size)
			abort();
		(void)kg_scp_name_ok(c.name, c.name_len);
	}
	char esc[256];
	(void)kg_term_escape((const char *)data, size, esc, sizeof(esc));
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	kg_scp_operand o;
	if (kg_scp_operand_parse(s, &o) == KG_OK)
		kg_scp_operand_free(&o);
	kg_buf b;
	kg_buf_init(&b, 0);
	if (kg_scp_quote(&b, s, size & 1) < 0 && size < 1024 * 1024)
		abort();
	kg_buf_free(&b);
	free(s);
	return 0;
}
