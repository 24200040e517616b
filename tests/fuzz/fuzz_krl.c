/* KRL parsing and queries: arbitrary bytes must never crash or leak, and
 * whatever parses must serialize, parse again and answer the same. */
#include <stdlib.h>
#include <string.h>
#include "core/err.h"
#include "core/krl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t ca[] = { 0, 0, 0, 3, 'c', 'a', '1' };
	kg_krl *k = NULL, *p = NULL;
	if (kg_krl_parse(data, size, &k) != KG_OK)
		return 0;
	kg_buf out;
	kg_buf_init(&out, KG_KRL_MAX_FILE);
	if (kg_krl_serialize(k, &out) != KG_OK || kg_krl_parse(kg_buf_ptr(&out), kg_buf_len(&out), &p) != KG_OK)
		abort();
	for (uint64_t s = 0; s < 64; s++) {
		kg_krl_cert_ref r = { ca, sizeof(ca), s, "id" };
		if (kg_krl_check_cert(k, &r) != kg_krl_check_cert(p, &r))
			abort();
	}
	if (kg_krl_check_blob(k, data, size) != kg_krl_check_blob(p, data, size))
		abort();
	kg_buf_free(&out);
	kg_krl_free(k);
	kg_krl_free(p);
	return 0;
}
