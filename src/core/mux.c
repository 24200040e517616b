/* The connection-sharing protocol's messages: framing, encode, decode. */
#include <stdlib.h>
#include <string.h>
#include "core/mux.h"

int kg_mux_frame(const uint8_t *in, size_t n, const uint8_t **body, size_t *len, size_t *total)
{
	ENSURE(in != NULL || n == 0, KG_ERR_ARG);
	if (n < 4)
		return KG_ERR_AGAIN;
	uint32_t l = kg_peek_u32(in);
	ENSURE(l <= KG_MUX_MAX_PACKET, KG_ERR_TOO_LARGE);
	ENSURE(l >= 4, KG_ERR_FORMAT);
	if (n - 4 < l)
		return KG_ERR_AGAIN;
	*body = in + 4;
	*len = l;
	*total = 4 + (size_t)l;
	return KG_OK;
}

void kg_mux_msg_free(kg_mux_msg *m)
{
	if (!m)
		return;
	free(m->term);
	free(m->command);
	for (size_t i = 0; i < m->n_env; i++)
		free(m->env[i]);
	free(m->env);
	free(m->listen_host);
	free(m->connect_host);
	free(m->reason);
	memset(m, 0, sizeof(*m));
}

static int get_str(kg_buf *b, char **out)
{
	free(*out);
	*out = NULL;
	return kg_buf_get_cstring(b, out, NULL);
}

static int decode_session(kg_buf *b, kg_mux_msg *m)
{
	GUARD(kg_buf_skip_string(b)); /* reserved */
	GUARD(kg_buf_get_u32(b, &m->want_tty));
	GUARD(kg_buf_get_u32(b, &m->want_x11));
	GUARD(kg_buf_get_u32(b, &m->want_agent));
	GUARD(kg_buf_get_u32(b, &m->subsystem));
	GUARD(kg_buf_get_u32(b, &m->escape_char));
	GUARD(get_str(b, &m->term));
	GUARD(get_str(b, &m->command));
	while (kg_buf_len(b) > 0) {
		ENSURE(m->n_env < KG_MUX_MAX_ENV, KG_ERR_TOO_LARGE);
		char **v = realloc(m->env, (m->n_env + 1) * sizeof(*v));
		ENSURE(v != NULL, KG_ERR_ALLOC);
		m->env = v;
		m->env[m->n_env] = NULL;
		GUARD(get_str(b, &m->env[m->n_env]));
		m->n_env++;
	}
	return KG_OK;
}

static int decode_fwd(kg_buf *b, kg_mux_msg *m)
{
	GUARD(kg_buf_get_u32(b, &m->fwd_type));
	GUARD(get_str(b, &m->listen_host));
	GUARD(kg_buf_get_u32(b, &m->listen_port));
	GUARD(get_str(b, &m->connect_host));
	return kg_buf_get_u32(b, &m->connect_port);
}

static int decode_body(kg_buf *b, kg_mux_msg *m)
{
	GUARD(kg_buf_get_u32(b, &m->type));
	if (m->type == KG_MUX_HELLO) {
		GUARD(kg_buf_get_u32(b, &m->version));
		/* Extensions: name/value pairs, none defined; checked, skipped. */
		while (kg_buf_len(b) > 0) {
			GUARD(kg_buf_skip_string(b));
			GUARD(kg_buf_skip_string(b));
		}
		return KG_OK;
	}
	GUARD(kg_buf_get_u32(b, &m->id));
	switch (m->type) {
	case KG_MUX_C_NEW_SESSION:
		return decode_session(b, m);
	case KG_MUX_C_NEW_STDIO_FWD:
		GUARD(kg_buf_skip_string(b)); /* reserved */
		GUARD(get_str(b, &m->connect_host));
		return kg_buf_get_u32(b, &m->connect_port);
	case KG_MUX_C_OPEN_FWD:
	case KG_MUX_C_CLOSE_FWD:
		return decode_fwd(b, m);
	case KG_MUX_S_PERMISSION_DENIED:
	case KG_MUX_S_FAILURE:
		return get_str(b, &m->reason);
	case KG_MUX_S_EXIT_MESSAGE:
	case KG_MUX_S_ALIVE:
	case KG_MUX_S_SESSION_OPENED:
	case KG_MUX_S_REMOTE_PORT:
		return kg_buf_get_u32(b, &m->value);
	default:
		/* ALIVE_CHECK, TERMINATE, STOP_LISTENING, PROXY, OK,
		 * TTY_ALLOC_FAIL: the id alone.  Unknown: the id, the rest
		 * is the caller's to refuse. */
		return KG_OK;
	}
}

int kg_mux_decode(const uint8_t *body, size_t len, kg_mux_msg *m)
{
	ENSURE(m != NULL && (body != NULL || len == 0), KG_ERR_ARG);
	memset(m, 0, sizeof(*m));
	kg_buf b;
	kg_buf_view(&b, body, len);
	int r = decode_body(&b, m);
	if (r < 0)
		kg_mux_msg_free(m);
	return r;
}

static int put_opt_str(kg_buf *b, const char *s)
{
	return kg_buf_put_cstring(b, s ? s : "");
}

static int encode_body(const kg_mux_msg *m, kg_buf *b)
{
	GUARD(kg_buf_put_u32(b, m->type));
	if (m->type == KG_MUX_HELLO)
		return kg_buf_put_u32(b, m->version);
	GUARD(kg_buf_put_u32(b, m->id));
	switch (m->type) {
	case KG_MUX_C_NEW_SESSION:
		GUARD(kg_buf_put_cstring(b, ""));
		GUARD(kg_buf_put_u32(b, m->want_tty));
		GUARD(kg_buf_put_u32(b, m->want_x11));
		GUARD(kg_buf_put_u32(b, m->want_agent));
		GUARD(kg_buf_put_u32(b, m->subsystem));
		GUARD(kg_buf_put_u32(b, m->escape_char));
		GUARD(put_opt_str(b, m->term));
		GUARD(put_opt_str(b, m->command));
		for (size_t i = 0; i < m->n_env; i++)
			GUARD(put_opt_str(b, m->env[i]));
		return KG_OK;
	case KG_MUX_C_NEW_STDIO_FWD:
		GUARD(kg_buf_put_cstring(b, ""));
		GUARD(put_opt_str(b, m->connect_host));
		return kg_buf_put_u32(b, m->connect_port);
	case KG_MUX_C_OPEN_FWD:
	case KG_MUX_C_CLOSE_FWD:
		GUARD(kg_buf_put_u32(b, m->fwd_type));
		GUARD(put_opt_str(b, m->listen_host));
		GUARD(kg_buf_put_u32(b, m->listen_port));
		GUARD(put_opt_str(b, m->connect_host));
		return kg_buf_put_u32(b, m->connect_port);
	case KG_MUX_S_PERMISSION_DENIED:
	case KG_MUX_S_FAILURE:
		return put_opt_str(b, m->reason);
	case KG_MUX_S_EXIT_MESSAGE:
	case KG_MUX_S_ALIVE:
	case KG_MUX_S_SESSION_OPENED:
	case KG_MUX_S_REMOTE_PORT:
		return kg_buf_put_u32(b, m->value);
	default:
		return KG_OK;
	}
}

int kg_mux_encode(const kg_mux_msg *m, kg_buf *out)
{
	ENSURE(m != NULL && out != NULL, KG_ERR_ARG);
	kg_buf body;
	kg_buf_init(&body, KG_MUX_MAX_PACKET);
	int r = encode_body(m, &body);
	if (r >= 0)
		r = kg_buf_put_u32(out, (uint32_t)kg_buf_len(&body));
	if (r >= 0)
		r = kg_buf_put(out, kg_buf_ptr(&body), kg_buf_len(&body));
	kg_buf_free(&body);
	return r;
}

const char *kg_mux_type_name(uint32_t type)
{
	switch (type) {
	case KG_MUX_HELLO: return "hello";
	case KG_MUX_C_NEW_SESSION: return "new session";
	case KG_MUX_C_ALIVE_CHECK: return "alive check";
	case KG_MUX_C_TERMINATE: return "terminate";
	case KG_MUX_C_OPEN_FWD: return "open forward";
	case KG_MUX_C_CLOSE_FWD: return "close forward";
	case KG_MUX_C_NEW_STDIO_FWD: return "stdio forward";
	case KG_MUX_C_STOP_LISTENING: return "stop listening";
	case KG_MUX_C_PROXY: return "proxy";
	default: return "unknown";
	}
}
