/* Drives a kg_conn with arbitrary messages and program actions.  Input:
 *   byte 0      role and config selector
 *   then records  [op u8][len u16 big-endian][len bytes]
 * ops 80..100 (and any other op >= 16) are fed to kg_conn_handle as a message
 * of that type; ops 0..15 are program actions.  The program reacts to
 * events the way kssh/ksshd would (confirm or refuse opens, reply to
 * requests, consume data, free closed channels).  Request-specific data
 * parsers and the terminal modes parser are run on every request. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/channel.h"

typedef struct null_sink {
	kg_buf b;
	int open;
} null_sink;

static int ns_begin(void *arg, uint8_t type, kg_buf **p)
{
	null_sink *s = arg;
	if (s->open)
		__builtin_trap();  /* two messages open at once */
	kg_buf_reset(&s->b);
	GUARD(kg_buf_put_u8(&s->b, type));
	s->open = 1;
	*p = &s->b;
	return KG_OK;
}

static int ns_end(void *arg)
{
	null_sink *s = arg;
	if (!s->open)
		__builtin_trap();
	s->open = 0;
	return KG_OK;
}

static void parse_all(const uint8_t *d, size_t len)
{
	kg_pty_req pr;
	kg_win_change wc;
	kg_str a, b;
	uint32_t u;
	kg_exit_signal es;
	kg_tty_mode modes[16];
	size_t n;
	if (kg_req_parse_pty(d, len, &pr) == KG_OK) {
		if (pr.term.len > len || pr.modes.len > len)
			__builtin_trap();
		(void)kg_tty_modes_parse(pr.modes.p, pr.modes.len, modes, 16, &n);
	}
	(void)kg_req_parse_window_change(d, len, &wc);
	(void)kg_req_parse_env(d, len, &a, &b);
	(void)kg_req_parse_string(d, len, &a);
	(void)kg_req_parse_u32(d, len, &u);
	(void)kg_req_parse_exit_signal(d, len, &es);
	(void)kg_req_parse_none(d, len);
	if (kg_tty_modes_parse(d, len, modes, 16, &n) == KG_OK && n > 16)
		__builtin_trap();
}

static void react(kg_conn *c, const kg_conn_event *ev, int flip)
{
	switch (ev->type) {
	case KG_CEV_OPEN_REQUEST:
		if (ev->ch->state != KG_CH_INCOMING)
			__builtin_trap();
		if (flip)
			(void)kg_conn_open_fail(c, ev->ch, SSH_OPEN_UNKNOWN_CHANNEL_TYPE, "no");
		else
			(void)kg_conn_open_confirm(c, ev->ch);
		break;
	case KG_CEV_REQUEST:
		parse_all(ev->data, ev->len);
		if (ev->want_reply)
			(void)kg_conn_request_reply(c, ev->ch, flip);
		break;
	case KG_CEV_GLOBAL_REQUEST:
		if (ev->want_reply)
			(void)kg_conn_global_reply(c, flip, NULL, 0);
		break;
	case KG_CEV_DATA:
		if (!flip)
			(void)kg_conn_consumed(c, ev->ch, ev->len);
		break;
	case KG_CEV_CLOSE:
	case KG_CEV_OPEN_FAILED:
		if (kg_conn_channel_free(c, ev->ch) != KG_OK)
			__builtin_trap();
		break;
	default:
		break;
	}
}

static void action(kg_conn *c, uint8_t op, const uint8_t *p, size_t len)
{
	kg_channel *ch = len ? kg_conn_channel(c, p[0] % c->cfg.max_channels) : NULL;
	const uint8_t *rest = len ? p + 1 : p;
	size_t rlen = len ? len - 1 : 0;
	size_t sent;
	uint32_t v = rlen >= 4 ? kg_peek_u32(rest) : (uint32_t)rlen;
	switch (op) {
	case 0:
		(void)kg_conn_open_session(c, &ch);
		break;
	case 1:
		if (ch)
			(void)kg_conn_send_data(c, ch, len & 1, rest, rlen, &sent);
		break;
	case 2:
		if (ch)
			(void)kg_conn_send_eof(c, ch);
		break;
	case 3:
		if (ch)
			(void)kg_conn_send_close(c, ch);
		break;
	case 4:
		if (ch)
			(void)kg_conn_consumed(c, ch, v);
		break;
	case 5:
		if (ch)
			(void)kg_conn_req_exec(c, ch, 1, rest, rlen);
		break;
	case 6:
		if (ch)
			(void)kg_conn_set_window(c, ch, v);
		break;
	case 7:
		(void)kg_conn_send_global(c, "keepalive@openssh.com", 1, NULL, 0);
		break;
	case 8:
		parse_all(p, len);
		break;
	case 9:
		(void)kg_conn_open_tcpip(c, "direct-tcpip", "h", v, "o", 1, &ch);
		break;
	case 10:
		if (ch)
			(void)kg_conn_req_exit_status(c, ch, v);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	null_sink ns;
	memset(&ns, 0, sizeof(ns));
	kg_buf_init(&ns.b, 0);
	kg_pkt_sink sink = { ns_begin, ns_end, &ns, NULL };
	kg_conn_config cfg;
	kg_conn_config_default(&cfg);
	uint8_t sel = data[0];
	if (sel & 1) {
		cfg.max_channels = 1 + (sel >> 5);
		cfg.window = 1 + (uint32_t)(sel >> 1) * 37;
		cfg.max_packet = 1 + (uint32_t)(sel >> 2) * 11;
		cfg.max_send = 1 + (uint32_t)(sel >> 3) * 13;
		/* Windows that grow, within a small connection-wide budget. */
		if (sel & 4)
			cfg.max_window = cfg.window * 8;
		if (sel & 8)
			cfg.total_window = cfg.window * 3;
	}
	kg_conn c;
	if (kg_conn_init(&c, &cfg, &sink, (sel & 2) ? KG_CONN_SERVER : KG_CONN_CLIENT) != KG_OK) {
		kg_buf_free(&ns.b);
		return 0;
	}
	size_t off = 1;
	while (size - off >= 3) {
		uint8_t op = data[off];
		size_t len = ((size_t)data[off + 1] << 8) | data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		const uint8_t *p = data + off;
		off += len;
		if (op < 16) {
			action(&c, op, p, len);
		} else {
			kg_conn_event ev;
			int r = kg_conn_handle(&c, op, p, len, &ev);
			if (r < 0 && ev.type != KG_CEV_NONE)
				__builtin_trap();
			if (ev.data && (ev.data < p || ev.data + ev.len > p + len))
				__builtin_trap();  /* views stay inside the payload */
			if (r == KG_OK)
				react(&c, &ev, (int)(len & 1));
		}
		if (ns.open)
			__builtin_trap();
		uint32_t used = 0;
		for (uint32_t i = 0; i < c.cfg.max_channels; i++)
			used += c.chans[i].state != KG_CH_FREE;
		if (used != c.nopen)
			__builtin_trap();
		/* The window budget: its sum is what the channels commit, and
		 * stays within the cap plus a floor per channel. */
		uint64_t sum = 0;
		for (uint32_t i = 0; i < c.cfg.max_channels; i++) {
			const kg_channel *ch = &c.chans[i];
			uint64_t inflight = (uint64_t)ch->local_window + ch->local_held;
			if (ch->state == KG_CH_FREE)
				continue;
			sum += ch->eof_rcvd ? ch->local_held
			       : ch->close_sent ? inflight
			       : inflight > ch->local_target ? inflight : ch->local_target;
		}
		if (sum != c.window_sum || sum > (uint64_t)c.cfg.total_window + (uint64_t)c.nopen * KG_CONN_WINDOW_FLOOR)
			__builtin_trap();
	}
	kg_conn_free(&c);
	kg_buf_free(&ns.b);
	return 0;
}
