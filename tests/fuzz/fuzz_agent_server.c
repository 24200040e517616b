/* kssh-agent's answers: the input is a stream of framed requests answered
 * in turn by one agent (holding one ed25519 key) over one connection's
 * session bindings; every answer must be one well-framed message.  The
 * input is also parsed as a destination restriction list. */
#include <stdint.h>
#include <stdlib.h>
#include "agent/agent-dest.h"
#include "agent/agent-server.h"

static kg_key *key;

static int no_confirm(void *ctx, const kg_agent_entry *e)
{
	(void)ctx;
	(void)e;
	return KG_ERR_AUTH_FAILED;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!key && kg_key_generate(KG_KEY_ED25519, 0, &key) != KG_OK)
		__builtin_trap();
	kg_agent_dest *d;
	size_t nd;
	if (kg_agent_dest_parse(data, size, &d, &nd) == KG_OK)
		kg_agent_dest_free(d, nd);
	kg_agent_server s;
	kg_agent_server_init(&s, NULL, NULL);
	s.confirm = no_confirm;
	s.unlock_delay_ms = 0;
	kg_agent_binds b = {0};
	kg_buf out;
	kg_buf_init(&out, 0);
	if (kg_agent_put_add(&out, key, "k", 0, 0) != KG_OK ||
	    kg_agent_server_handle(&s, &b, kg_buf_ptr(&out) + 4, kg_buf_len(&out) - 4, &out) != KG_OK)
		__builtin_trap();
	kg_buf_reset(&out);
	size_t off = 0, n;
	while (off < size && kg_agent_frame(data + off, size - off, &n) == KG_OK) {
		kg_buf_reset(&out);
		if (kg_agent_server_handle(&s, &b, data + off + 4, n, &out) != KG_OK)
			__builtin_trap();
		size_t an;
		if (kg_agent_frame(kg_buf_ptr(&out), kg_buf_len(&out), &an) != KG_OK || an + 4 != kg_buf_len(&out))
			__builtin_trap();
		off += 4 + n;
	}
	kg_buf_free(&out);
	kg_agent_binds_free(&b);
	kg_agent_server_free(&s);
	return 0;
}
