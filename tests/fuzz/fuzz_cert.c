/* Feeds arbitrary bytes to the certificate parsers: whatever parses as a
 * blob must write back the same bytes, survive the checks, and whatever
 * parses as a line must print a line that parses to the same blob. */
#include <stdlib.h>
#include <string.h>
#include "core/cert.h"

static void check_blob(const uint8_t *data, size_t size)
{
	kg_cert *c = NULL;
	if (kg_cert_from_blob(data, size, &c) != KG_OK)
		return;
	kg_buf b;
	kg_buf_init(&b, 0);
	if (kg_cert_to_blob(c, &b) != KG_OK || kg_buf_len(&b) != size ||
	    memcmp(kg_buf_ptr(&b), data, size) != 0)
		abort();
	enum kg_cert_why why;
	/* A signature over fuzzed bytes is possible only from a seed. */
	(void)kg_cert_check(c, 1700000000u, "root", 0, &why);
	(void)kg_cert_check(c, 0, NULL, 1, &why);
	(void)kg_cert_why_str(why);
	(void)kg_cert_get_option(c, 1, "force-command");
	kg_buf_free(&b);
	kg_cert_free(c);
}

static void check_line(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	if (!line)
		return;
	memcpy(line, data, size);
	line[size] = '\0';
	kg_cert *c = NULL, *c2 = NULL;
	if (kg_cert_from_line(line, &c) == KG_OK) {
		kg_buf b;
		kg_buf_init(&b, 0);
		if (kg_cert_to_line(c, &b) != KG_OK || kg_buf_put_u8(&b, 0) != KG_OK ||
		    kg_cert_from_line((const char *)kg_buf_ptr(&b), &c2) != KG_OK ||
		    c2->bloblen != c->bloblen || memcmp(c2->blob, c->blob, c->bloblen) != 0)
			abort();
		kg_buf_free(&b);
	}
	kg_cert_free(c);
	kg_cert_free(c2);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_blob(data, size);
	check_line(data, size);
	return 0;
}
