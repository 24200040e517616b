/* The monitor protocol's framing, its request parser and the table of which requests each phase allows. */
#include <string.h>
#include "conn/svr-mon-proto.h"

static const char *const type_names[KG_MON_TYPE_MAX_] = {
	[KG_MON_SIGN] = "sign", [KG_MON_PUBKEY_QUERY] = "pubkey-query", [KG_MON_PUBKEY_VERIFY] = "pubkey-verify",
	[KG_MON_PASSWORD] = "password", [KG_MON_KBD_START] = "kbd-start", [KG_MON_KBD_ANSWER] = "kbd-answer",
	[KG_MON_KBD_END] = "kbd-end", [KG_MON_AUTH_DONE] = "auth-done", [KG_MON_PTY_STARTED] = "pty-started",
	[KG_MON_PTY_ENDED] = "pty-ended", [KG_MON_PTY_OPEN] = "pty-open",
};

const char *kg_mon_type_name(uint8_t type)
{
	return type > 0 && type < KG_MON_TYPE_MAX_ ? type_names[type] : "unknown";
}

/* Before authentication the child may only ask what the key exchange and
 * the authentication methods need; after it, the user's process only
 * what re-exchanges, host key proofs and pty records need. */
int kg_mon_allowed(enum kg_mon_phase phase, uint8_t type)
{
	switch (type) {
	case KG_MON_SIGN:
		return 1;
	case KG_MON_PUBKEY_QUERY: case KG_MON_PUBKEY_VERIFY: case KG_MON_PASSWORD: case KG_MON_KBD_START:
	case KG_MON_KBD_ANSWER: case KG_MON_KBD_END: case KG_MON_AUTH_DONE:
		return phase == KG_MON_PHASE_PREAUTH;
	case KG_MON_PTY_STARTED: case KG_MON_PTY_ENDED: case KG_MON_PTY_OPEN:
		return phase == KG_MON_PHASE_POSTAUTH;
	default:
		return 0;
	}
}

static int get_name(kg_buf *b, char *out)
{
	const uint8_t *v;
	size_t n;
	GUARD(kg_buf_get_string_direct(b, &v, &n));
	ENSURE(n <= KG_MON_MAX_NAME, KG_ERR_TOO_LARGE);
	ENSURE(memchr(v, '\0', n) == NULL, KG_ERR_FORMAT);
	memcpy(out, v, n);
	out[n] = '\0';
	return KG_OK;
}

static int get_data(kg_buf *b, const uint8_t **v, size_t *n, size_t max)
{
	GUARD(kg_buf_get_string_direct(b, v, n));
	ENSURE(*n <= max, KG_ERR_TOO_LARGE);
	return KG_OK;
}

static int parse_body(kg_buf *b, kg_mon_req *r)
{
	switch (r->type) {
	case KG_MON_SIGN:
		GUARD(kg_buf_get_u8(b, &r->purpose));
		ENSURE(r->purpose == KG_MON_SIGN_KEX || r->purpose == KG_MON_SIGN_PROVE, KG_ERR_FORMAT);
		GUARD(kg_buf_get_u32(b, &r->index));
		GUARD(get_name(b, r->alg));
		return get_data(b, &r->data, &r->data_len, KG_MON_MAX_DATA);
	case KG_MON_PUBKEY_QUERY:
		GUARD(get_name(b, r->user));
		return get_data(b, &r->blob, &r->blob_len, KG_MON_MAX_DATA);
	case KG_MON_PUBKEY_VERIFY:
		GUARD(get_name(b, r->user));
		GUARD(get_name(b, r->alg));
		GUARD(get_data(b, &r->blob, &r->blob_len, KG_MON_MAX_DATA));
		return get_data(b, &r->sig, &r->sig_len, KG_MON_MAX_DATA);
	case KG_MON_PASSWORD:
		GUARD(get_name(b, r->user));
		GUARD(get_data(b, &r->secret, &r->secret_len, KG_MON_MAX_SECRET));
		ENSURE(memchr(r->secret, '\0', r->secret_len) == NULL, KG_ERR_FORMAT);
		return KG_OK;
	case KG_MON_KBD_START:
		GUARD(get_name(b, r->user));
		return get_name(b, r->devices);
	case KG_MON_KBD_ANSWER:
		GUARD(get_name(b, r->user));
		return get_data(b, &r->data, &r->data_len, KG_MON_MAX_DATA);
	case KG_MON_KBD_END:
	case KG_MON_PTY_OPEN:
		return KG_OK;
	case KG_MON_AUTH_DONE:
		GUARD(get_name(b, r->user));
		GUARD(get_name(b, r->method));
		return get_data(b, &r->state, &r->state_len, KG_MON_MAX_FRAME);
	case KG_MON_PTY_STARTED:
		GUARD(kg_buf_get_u32(b, &r->pid));
		GUARD(get_name(b, r->tty));
		return kg_buf_get_bool(b, &r->greet);
	case KG_MON_PTY_ENDED:
		return kg_buf_get_u32(b, &r->pid);
	default:
		return KG_ERR_FORMAT;
	}
}

int kg_mon_parse(const uint8_t *p, size_t len, kg_mon_req *r)
{
	kg_buf b;
	uint8_t version;
	memset(r, 0, sizeof(*r));
	ENSURE(len <= KG_MON_MAX_FRAME, KG_ERR_TOO_LARGE);
	kg_buf_view(&b, p, len);
	GUARD(kg_buf_get_u8(&b, &version));
	ENSURE(version == KG_MON_VERSION, KG_ERR_PROTOCOL);
	GUARD(kg_buf_get_u8(&b, &r->type));
	ENSURE(r->type > 0 && r->type < KG_MON_TYPE_MAX_, KG_ERR_FORMAT);
	GUARD(parse_body(&b, r));
	ENSURE(kg_buf_len(&b) == 0, KG_ERR_FORMAT);
	return KG_OK;
}

int kg_mon_begin(kg_buf *out, uint8_t type, size_t *start)
{
	*start = kg_buf_len(out);
	GUARD(kg_buf_put_u32(out, 0));
	GUARD(kg_buf_put_u8(out, KG_MON_VERSION));
	return kg_buf_put_u8(out, type);
}

int kg_mon_end(kg_buf *out, size_t start)
{
	size_t n = kg_buf_len(out) - start - 4;
	ENSURE(n <= KG_MON_MAX_FRAME, KG_ERR_TOO_LARGE);
	uint8_t *p = kg_buf_mutable_ptr(out) + start;
	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	return KG_OK;
}

int kg_mon_put_reply(kg_buf *out, uint8_t req_type, int32_t status, int user_valid, const uint8_t *payload,
		     size_t payload_len)
{
	size_t start;
	GUARD(kg_mon_begin(out, (uint8_t)(req_type | KG_MON_REPLY), &start));
	GUARD(kg_buf_put_u32(out, (uint32_t)status));
	GUARD(kg_buf_put_u8(out, user_valid ? 1 : 0));
	GUARD(kg_buf_put_string(out, payload, payload_len));
	return kg_mon_end(out, start);
}

int kg_mon_parse_reply(const uint8_t *p, size_t len, kg_mon_reply *r)
{
	kg_buf b;
	uint8_t version, valid;
	uint32_t status;
	memset(r, 0, sizeof(*r));
	kg_buf_view(&b, p, len);
	GUARD(kg_buf_get_u8(&b, &version));
	ENSURE(version == KG_MON_VERSION, KG_ERR_PROTOCOL);
	GUARD(kg_buf_get_u8(&b, &r->type));
	GUARD(kg_buf_get_u32(&b, &status));
	GUARD(kg_buf_get_u8(&b, &valid));
	GUARD(kg_buf_get_string_direct(&b, &r->payload, &r->payload_len));
	ENSURE(kg_buf_len(&b) == 0, KG_ERR_FORMAT);
	r->status = (int32_t)status;
	r->user_valid = valid != 0;
	return KG_OK;
}
