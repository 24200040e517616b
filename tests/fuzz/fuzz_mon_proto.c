/* Fuzzes the monitor protocol's parser (the bytes an unprivileged, maybe
 * compromised, process sends the root monitor): kg_mon_parse and
 * kg_mon_parse_reply on arbitrary input.  What parses must re-encode to
 * exactly the input, so no field is skipped or misread. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "conn/svr-mon-proto.h"

static void put_name(kg_buf *b, const char *s)
{
	if (kg_buf_put_cstring(b, s) < 0)
		abort();
}

static void put_data(kg_buf *b, const uint8_t *p, size_t n)
{
	if (kg_buf_put_string(b, p, n) < 0)
		abort();
}

static void encode(const kg_mon_req *q, kg_buf *b)
{
	if (kg_buf_put_u8(b, KG_MON_VERSION) < 0 || kg_buf_put_u8(b, q->type) < 0)
		abort();
	switch (q->type) {
	case KG_MON_SIGN:
		if (kg_buf_put_u8(b, q->purpose) < 0 || kg_buf_put_u32(b, q->index) < 0)
			abort();
		put_name(b, q->alg);
		put_data(b, q->data, q->data_len);
		break;
	case KG_MON_PUBKEY_QUERY:
		put_name(b, q->user);
		put_data(b, q->blob, q->blob_len);
		break;
	case KG_MON_PUBKEY_VERIFY:
		put_name(b, q->user);
		put_name(b, q->alg);
		put_data(b, q->blob, q->blob_len);
		put_data(b, q->sig, q->sig_len);
		break;
	case KG_MON_PASSWORD:
		put_name(b, q->user);
		put_data(b, q->secret, q->secret_len);
		break;
	case KG_MON_KBD_START:
		put_name(b, q->user);
		put_name(b, q->devices);
		break;
	case KG_MON_KBD_ANSWER:
		put_name(b, q->user);
		put_data(b, q->data, q->data_len);
		break;
	case KG_MON_KBD_END:
	case KG_MON_PTY_OPEN:
		break;
	case KG_MON_AUTH_DONE:
		put_name(b, q->user);
		put_name(b, q->method);
		put_data(b, q->state, q->state_len);
		break;
	case KG_MON_PTY_STARTED:
		if (kg_buf_put_u32(b, q->pid) < 0)
			abort();
		put_name(b, q->tty);
		if (kg_buf_put_u8(b, (uint8_t)q->greet) < 0)
			abort();
		break;
	case KG_MON_PTY_ENDED:
		if (kg_buf_put_u32(b, q->pid) < 0)
			abort();
		break;
	default:
		abort();  /* parse accepted an unknown type */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static kg_mon_req q;
	if (kg_mon_parse(data, size, &q) == KG_OK) {
		kg_buf b;
		kg_buf_init(&b, 0);
		encode(&q, &b);
		/* A bool is read as any non-zero byte; compare it as such. */
		int same = kg_buf_len(&b) == size &&
			   (memcmp(kg_buf_ptr(&b), data, size) == 0 || (q.type == KG_MON_PTY_STARTED &&
									 memcmp(kg_buf_ptr(&b), data, size - 1) == 0));
		if (!same)
			abort();
		(void)kg_mon_allowed(KG_MON_PHASE_PREAUTH, q.type);
		(void)kg_mon_allowed(KG_MON_PHASE_POSTAUTH, q.type);
		(void)kg_mon_type_name(q.type);
		kg_buf_free(&b);
	}
	kg_mon_reply r;
	if (kg_mon_parse_reply(data, size, &r) == KG_OK) {
		kg_buf b;
		kg_buf_init(&b, 0);
		if (kg_mon_put_reply(&b, (uint8_t)(r.type & ~KG_MON_REPLY), r.status, r.user_valid, r.payload,
				     r.payload_len) < 0)
			abort();
		/* the builder always sets the reply bit and writes valid as 0/1 */
		if (kg_buf_len(&b) != size + 4)
			abort();
		kg_buf_free(&b);
	}
	return 0;
}
