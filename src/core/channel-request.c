/* Channel requests (RFC 4254 6): sending the common ones, parsing their
 * request-specific data, and the encoded terminal modes of pty-req (8). */
#include <string.h>
#include "core/channel.h"
#include "core/channel-int.h"

/* ---- sending ---- */

static int req_begin(kg_conn *c, kg_channel *ch, const char *name, int want_reply, kg_buf **bp)
{
	GUARD(kg_conn_check_sendable(c, ch));
	ENSURE(kg_conn_name_ok(name), KG_ERR_ARG);
	ENSURE(!want_reply || ch->replies_due_us < UINT32_MAX, KG_ERR_ARG);
	GUARD(kg_sink_begin(&c->sink, SSH_MSG_CHANNEL_REQUEST, bp));
	GUARD(kg_buf_put_u32(*bp, ch->remote_id));
	GUARD(kg_buf_put_cstring(*bp, name));
	GUARD(kg_buf_put_bool(*bp, want_reply));
	return KG_OK;
}

static int req_end(kg_conn *c, kg_channel *ch, int want_reply)
{
	GUARD(kg_sink_end(&c->sink));
	if (want_reply)
		ch->replies_due_us++;
	return KG_OK;
}

int kg_conn_send_request(kg_conn *c, kg_channel *ch, const char *name, int want_reply,
			 const uint8_t *extra, size_t extra_len)
{
	ENSURE(extra != NULL || extra_len == 0, KG_ERR_ARG);
	kg_buf *b;
	GUARD(req_begin(c, ch, name, want_reply, &b));
	GUARD(kg_buf_put(b, extra, extra_len));
	return req_end(c, ch, want_reply);
}

int kg_conn_request_reply(kg_conn *c, kg_channel *ch, int ok)
{
	GUARD(kg_conn_check_channel(c, ch));
	ENSURE(ch->replies_due_peer > 0, KG_ERR_ARG);
	ch->replies_due_peer--;
	/* Nothing may follow our CLOSE, and after the peer's the channel is
	 * gone for it. */
	if (ch->state != KG_CH_OPEN || ch->close_sent)
		return KG_OK;
	kg_buf *b;
	GUARD(kg_sink_begin(&c->sink, ok ? SSH_MSG_CHANNEL_SUCCESS : SSH_MSG_CHANNEL_FAILURE, &b));
	GUARD(kg_buf_put_u32(b, ch->remote_id));
	return kg_sink_end(&c->sink);
}

int kg_conn_req_pty(kg_conn *c, kg_channel *ch, int want_reply, const char *term,
		    uint32_t cols, uint32_t rows, uint32_t px, uint32_t py,
		    const uint8_t *modes, size_t modes_len)
{
	ENSURE(term != NULL && (modes != NULL || modes_len == 0), KG_ERR_ARG);
	kg_buf *b;
	GUARD(req_begin(c, ch, "pty-req", want_reply, &b));
	GUARD(kg_buf_put_cstring(b, term));
	GUARD(kg_buf_put_u32(b, cols));
	GUARD(kg_buf_put_u32(b, rows));
	GUARD(kg_buf_put_u32(b, px));
	GUARD(kg_buf_put_u32(b, py));
	GUARD(kg_buf_put_string(b, modes, modes_len));
	return req_end(c, ch, want_reply);
}

int kg_conn_req_window_change(kg_conn *c, kg_channel *ch, uint32_t cols, uint32_t rows,
			      uint32_t px, uint32_t py)
{
	kg_buf *b;
	/* RFC 4254 6.7: never answered. */
	GUARD(req_begin(c, ch, "window-change", 0, &b));
	GUARD(kg_buf_put_u32(b, cols));
	GUARD(kg_buf_put_u32(b, rows));
	GUARD(kg_buf_put_u32(b, px));
	GUARD(kg_buf_put_u32(b, py));
	return req_end(c, ch, 0);
}

int kg_conn_req_env(kg_conn *c, kg_channel *ch, int want_reply, const char *name,
		    const char *value)
{
	ENSURE(name != NULL && value != NULL, KG_ERR_ARG);
	kg_buf *b;
	GUARD(req_begin(c, ch, "env", want_reply, &b));
	GUARD(kg_buf_put_cstring(b, name));
	GUARD(kg_buf_put_cstring(b, value));
	return req_end(c, ch, want_reply);
}

int kg_conn_req_exec(kg_conn *c, kg_channel *ch, int want_reply, const uint8_t *cmd,
		     size_t cmd_len)
{
	ENSURE(cmd != NULL || cmd_len == 0, KG_ERR_ARG);
	kg_buf *b;
	GUARD(req_begin(c, ch, "exec", want_reply, &b));
	GUARD(kg_buf_put_string(b, cmd, cmd_len));
	return req_end(c, ch, want_reply);
}

int kg_conn_req_shell(kg_conn *c, kg_channel *ch, int want_reply)
{
	kg_buf *b;
	GUARD(req_begin(c, ch, "shell", want_reply, &b));
	return req_end(c, ch, want_reply);
}

int kg_conn_req_subsystem(kg_conn *c, kg_channel *ch, int want_reply, const char *name)
{
	ENSURE(name != NULL, KG_ERR_ARG);
	kg_buf *b;
	GUARD(req_begin(c, ch, "subsystem", want_reply, &b));
	GUARD(kg_buf_put_cstring(b, name));
	return req_end(c, ch, want_reply);
}

int kg_conn_req_exit_status(kg_conn *c, kg_channel *ch, uint32_t status)
{
	kg_buf *b;
	GUARD(req_begin(c, ch, "exit-status", 0, &b));
	GUARD(kg_buf_put_u32(b, status));
	return req_end(c, ch, 0);
}

int kg_conn_req_exit_signal(kg_conn *c, kg_channel *ch, const char *signame, int core_dumped,
			    const char *msg, const char *lang)
{
	ENSURE(signame != NULL, KG_ERR_ARG);
	kg_buf *b;
	GUARD(req_begin(c, ch, "exit-signal", 0, &b));
	GUARD(kg_buf_put_cstring(b, signame));
	GUARD(kg_buf_put_bool(b, core_dumped));
	GUARD(kg_buf_put_cstring(b, msg ? msg : ""));
	GUARD(kg_buf_put_cstring(b, lang ? lang : ""));
	return req_end(c, ch, 0);
}

int kg_conn_req_signal(kg_conn *c, kg_channel *ch, const char *signame)
{
	ENSURE(signame != NULL, KG_ERR_ARG);
	kg_buf *b;
	GUARD(req_begin(c, ch, "signal", 0, &b));
	GUARD(kg_buf_put_cstring(b, signame));
	return req_end(c, ch, 0);
}

/* ---- parsing ---- */

#define PGET(x) ENSURE((x) == KG_OK, KG_ERR_PROTOCOL)
#define PEND(b) ENSURE(kg_buf_len(b) == 0, KG_ERR_PROTOCOL)

static int get_str(kg_buf *b, kg_str *s)
{
	PGET(kg_buf_get_string_direct(b, &s->p, &s->len));
	return KG_OK;
}

static int get_4u32(kg_buf *b, uint32_t *a, uint32_t *bb, uint32_t *cc, uint32_t *dd)
{
	PGET(kg_buf_get_u32(b, a));
	PGET(kg_buf_get_u32(b, bb));
	PGET(kg_buf_get_u32(b, cc));
	PGET(kg_buf_get_u32(b, dd));
	return KG_OK;
}

int kg_req_parse_pty(const uint8_t *d, size_t len, kg_pty_req *out)
{
	kg_buf b;
	ENSURE(d != NULL || len == 0, KG_ERR_ARG);
	kg_buf_view(&b, d, len);
	kg_pty_req r;
	GUARD(get_str(&b, &r.term));
	GUARD(get_4u32(&b, &r.cols, &r.rows, &r.px, &r.py));
	GUARD(get_str(&b, &r.modes));
	PEND(&b);
	*out = r;
	return KG_OK;
}

int kg_req_parse_window_change(const uint8_t *d, size_t len, kg_win_change *out)
{
	kg_buf b;
	ENSURE(d != NULL || len == 0, KG_ERR_ARG);
	kg_buf_view(&b, d, len);
	kg_win_change r;
	GUARD(get_4u32(&b, &r.cols, &r.rows, &r.px, &r.py));
	PEND(&b);
	*out = r;
	return KG_OK;
}

int kg_req_parse_env(const uint8_t *d, size_t len, kg_str *name, kg_str *value)
{
	kg_buf b;
	ENSURE(d != NULL || len == 0, KG_ERR_ARG);
	kg_buf_view(&b, d, len);
	kg_str n, v;
	GUARD(get_str(&b, &n));
	GUARD(get_str(&b, &v));
	PEND(&b);
	*name = n;
	*value = v;
	return KG_OK;
}

int kg_req_parse_string(const uint8_t *d, size_t len, kg_str *out)
{
	kg_buf b;
	ENSURE(d != NULL || len == 0, KG_ERR_ARG);
	kg_buf_view(&b, d, len);
	kg_str s;
	GUARD(get_str(&b, &s));
	PEND(&b);
	*out = s;
	return KG_OK;
}

int kg_req_parse_u32(const uint8_t *d, size_t len, uint32_t *out)
{
	kg_buf b;
	ENSURE(d != NULL || len == 0, KG_ERR_ARG);
	kg_buf_view(&b, d, len);
	uint32_t v;
	PGET(kg_buf_get_u32(&b, &v));
	PEND(&b);
	*out = v;
	return KG_OK;
}

int kg_req_parse_exit_signal(const uint8_t *d, size_t len, kg_exit_signal *out)
{
	kg_buf b;
	ENSURE(d != NULL || len == 0, KG_ERR_ARG);
	kg_buf_view(&b, d, len);
	kg_exit_signal r;
	GUARD(get_str(&b, &r.signame));
	PGET(kg_buf_get_bool(&b, &r.core_dumped));
	GUARD(get_str(&b, &r.msg));
	GUARD(get_str(&b, &r.lang));
	PEND(&b);
	*out = r;
	return KG_OK;
}

int kg_req_parse_none(const uint8_t *d, size_t len)
{
	(void)d;
	ENSURE(len == 0, KG_ERR_PROTOCOL);
	return KG_OK;
}

/* ---- terminal modes ---- */

int kg_tty_modes_parse(const uint8_t *d, size_t len, kg_tty_mode *out, size_t max, size_t *n)
{
	ENSURE((d != NULL || len == 0) && (out != NULL || max == 0) && n != NULL, KG_ERR_ARG);
	*n = 0;
	kg_buf b;
	kg_buf_view(&b, d, len);
	size_t count = 0;
	while (kg_buf_len(&b) > 0) {
		uint8_t op;
		PGET(kg_buf_get_u8(&b, &op));
		if (op == KG_TTY_OP_END || op > KG_TTY_OP_ARG_MAX)
			break;
		uint32_t v;
		PGET(kg_buf_get_u32(&b, &v));
		ENSURE(count < max, KG_ERR_TOO_LARGE);
		out[count].opcode = op;
		out[count].value = v;
		count++;
	}
	*n = count;
	return KG_OK;
}

int kg_tty_modes_encode(kg_buf *b, const kg_tty_mode *modes, size_t n)
{
	ENSURE(modes != NULL || n == 0, KG_ERR_ARG);
	for (size_t i = 0; i < n; i++)
		ENSURE(modes[i].opcode >= 1 && modes[i].opcode <= KG_TTY_OP_ARG_MAX, KG_ERR_ARG);
	ENSURE(n < KG_BUF_HARD_MAX / 5, KG_ERR_TOO_LARGE);
	GUARD(kg_buf_allocate(b, n * 5 + 1));
	for (size_t i = 0; i < n; i++) {
		GUARD(kg_buf_put_u8(b, modes[i].opcode));
		GUARD(kg_buf_put_u32(b, modes[i].value));
	}
	return kg_buf_put_u8(b, KG_TTY_OP_END);
}
