/* Agent protocol codec: the input is one message's contents, parsed as a
 * request (what an agent receives) and as each kind of answer (what a
 * client receives).  Whatever key a request carries must sign and verify,
 * and must encode back into a request that parses. */
#include <stdint.h>
#include <stdlib.h>
#include "core/agent.h"

static void check_key(const kg_key *k)
{
	kg_buf sig, again;
	kg_buf_init(&sig, 0);
	kg_buf_init(&again, 0);
	if (kg_key_sign(k, NULL, (const uint8_t *)"x", 1, &sig) != KG_OK ||
	    kg_key_verify(k, NULL, kg_buf_ptr(&sig), kg_buf_len(&sig), (const uint8_t *)"x", 1) != KG_OK)
		__builtin_trap();
	if (kg_agent_put_add(&again, k, NULL, 0, 0) != KG_OK)
		__builtin_trap();
	kg_agent_request req;
	if (kg_agent_request_parse(kg_buf_ptr(&again) + 4, kg_buf_len(&again) - 4, &req) != KG_OK)
		__builtin_trap();
	kg_agent_request_free(&req);
	kg_buf_free(&sig);
	kg_buf_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n;
	(void)kg_agent_frame(data, size, &n);
	kg_agent_request req;
	if (kg_agent_request_parse(data, size, &req) == KG_OK) {
		if (req.key)
			check_key(req.key);
		kg_agent_request_free(&req);
	}
	kg_agent_id *ids;
	size_t count;
	if (kg_agent_parse_identities(data, size, &ids, &count) == KG_OK)
		kg_agent_ids_free(ids, count);
	uint8_t *sig;
	size_t slen;
	if (kg_agent_parse_sign_response(data, size, &sig, &slen) == KG_OK)
		free(sig);
	(void)kg_agent_parse_status(data, size);
	return 0;
}
