/* Channel and global requests between two connected peers, the
 * request-specific data parsers and the terminal modes encoding. */
#include "chan_fake.h"

static void test_global_requests(void)
{
	peer *cli = peer_new(KG_CONN_CLIENT, NULL), *srv = peer_new(KG_CONN_SERVER, NULL);
	T_ASSERT(cli && srv);
	kg_conn_event ev;
	/* tcpip-forward with port 0: the reply carries the bound port. */
	kg_buf x;
	kg_buf_init(&x, 0);
	T_OK(kg_buf_put_cstring(&x, "localhost"));
	T_OK(kg_buf_put_u32(&x, 0));
	T_OK(kg_conn_send_global(&cli->c, "tcpip-forward", 1, kg_buf_ptr(&x), kg_buf_len(&x)));
	T_OK(kg_conn_send_global(&cli->c, "x-unknown@example.com", 1, NULL, 0));
	T_OK(kg_conn_send_global(&cli->c, "no-more-sessions@openssh.com", 0, NULL, 0));
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(ev.type == KG_CEV_GLOBAL_REQUEST && strcmp(ev.name, "tcpip-forward") == 0 &&
		 ev.want_reply && ev.len == kg_buf_len(&x));
	uint8_t port[4];
	kg_poke_u32(port, 40001);
	T_OK(kg_conn_global_reply(&srv->c, 1, port, 4));
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(ev.type == KG_CEV_GLOBAL_REQUEST && strcmp(ev.name, "x-unknown@example.com") == 0);
	T_OK(kg_conn_global_reply(&srv->c, 0, NULL, 0));
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(ev.type == KG_CEV_GLOBAL_REQUEST && !ev.want_reply);
	T_ASSERT(kg_conn_global_reply(&srv->c, 0, NULL, 0) == KG_ERR_ARG);
	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_GLOBAL_REPLY && ev.ok && ev.len == 4 && kg_peek_u32(ev.data) == 40001);
	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_GLOBAL_REPLY && !ev.ok);
	/* No reply is owed now. */
	T_ASSERT(kg_conn_handle(&cli->c, SSH_MSG_REQUEST_FAILURE, NULL, 0, &ev) == KG_ERR_PROTOCOL);
	kg_buf_free(&x);
	peer_free(cli);
	peer_free(srv);
}

static void test_session_requests(void)
{
	peer *cli = peer_new(KG_CONN_CLIENT, NULL), *srv = peer_new(KG_CONN_SERVER, NULL);
	T_ASSERT(cli && srv);
	kg_channel *cch, *sch;
	T_OK(establish(cli, srv, &cch, &sch));
	kg_conn_event ev;
	kg_buf modes;
	kg_buf_init(&modes, 0);
	const kg_tty_mode m[] = { { 3, 127 }, { 53, 1 }, { KG_TTY_OP_ISPEED, 38400 } };
	T_OK(kg_tty_modes_encode(&modes, m, 3));
	T_OK(kg_conn_req_pty(&cli->c, cch, 1, "xterm-256color", 80, 24, 640, 480,
			     kg_buf_ptr(&modes), kg_buf_len(&modes)));
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(ev.type == KG_CEV_REQUEST && strcmp(ev.name, "pty-req") == 0 && ev.want_reply);
	kg_pty_req pr;
	T_OK(kg_req_parse_pty(ev.data, ev.len, &pr));
	T_ASSERT(pr.term.len == 14 && memcmp(pr.term.p, "xterm-256color", 14) == 0);
	T_ASSERT(pr.cols == 80 && pr.rows == 24 && pr.px == 640 && pr.py == 480);
	kg_tty_mode got[8];
	size_t n;
	T_OK(kg_tty_modes_parse(pr.modes.p, pr.modes.len, got, 8, &n));
	T_ASSERT(n == 3 && got[0].opcode == 3 && got[0].value == 127 && got[2].opcode == 128 &&
		 got[2].value == 38400);
	for (size_t i = 0; i < ev.len; i++)
		T_ASSERT(kg_req_parse_pty(ev.data, i, &pr) == KG_ERR_PROTOCOL);

	T_OK(kg_conn_req_window_change(&cli->c, cch, 100, 40, 0, 0));
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(strcmp(ev.name, "window-change") == 0 && !ev.want_reply);
	kg_win_change wc;
	T_OK(kg_req_parse_window_change(ev.data, ev.len, &wc));
	T_ASSERT(wc.cols == 100 && wc.rows == 40 && wc.px == 0);

	T_OK(kg_conn_req_env(&cli->c, cch, 0, "LANG", "C.UTF-8"));
	T_OK(xfer(cli, srv, &ev));
	kg_str nm, val;
	T_OK(kg_req_parse_env(ev.data, ev.len, &nm, &val));
	T_ASSERT(nm.len == 4 && memcmp(nm.p, "LANG", 4) == 0 && val.len == 7);
	T_ASSERT(kg_req_parse_env(ev.data, ev.len - 1, &nm, &val) == KG_ERR_PROTOCOL);

	T_OK(kg_conn_req_subsystem(&cli->c, cch, 1, "sftp"));
	T_OK(xfer(cli, srv, &ev));
	kg_str sub;
	T_OK(kg_req_parse_string(ev.data, ev.len, &sub));
	T_ASSERT(strcmp(ev.name, "subsystem") == 0 && sub.len == 4 && memcmp(sub.p, "sftp", 4) == 0);

	T_OK(kg_conn_req_shell(&cli->c, cch, 1));
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(strcmp(ev.name, "shell") == 0);
	T_OK(kg_req_parse_none(ev.data, ev.len));
	T_ASSERT(sch->replies_due_peer == 3);

	T_OK(kg_conn_req_signal(&cli->c, cch, "INT"));
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(strcmp(ev.name, "signal") == 0 && !ev.want_reply);

	T_OK(kg_conn_req_exit_signal(&srv->c, sch, "SEGV", 1, "Segmentation fault", ""));
	/* RFC 4254 6.10 layout. */
	T_ASSERT(hex_eq(&srv->s.q[srv->s.tail - 1], "62" "00000000" "0000000b" "657869742d7369676e616c"
			"00" "00000004" "53454756" "01" "00000012"
			"5365676d656e746174696f6e206661756c74" "00000000"));
	T_OK(xfer(srv, cli, &ev));
	kg_exit_signal es;
	T_OK(kg_req_parse_exit_signal(ev.data, ev.len, &es));
	T_ASSERT(es.signame.len == 4 && memcmp(es.signame.p, "SEGV", 4) == 0 && es.core_dumped &&
		 es.msg.len == 18 && es.lang.len == 0);
	for (size_t i = 0; i < ev.len; i++)
		T_ASSERT(kg_req_parse_exit_signal(ev.data, i, &es) == KG_ERR_PROTOCOL);
	uint8_t extra[64];
	memcpy(extra, ev.data, ev.len);
	extra[ev.len] = 'x';
	T_ASSERT(kg_req_parse_exit_signal(extra, ev.len + 1, &es) == KG_ERR_PROTOCOL);
	uint32_t u;
	T_ASSERT(kg_req_parse_u32((const uint8_t *)"\0\0\0\1\0", 5, &u) == KG_ERR_PROTOCOL);
	T_OK(kg_req_parse_u32((const uint8_t *)"\0\0\0\1", 4, &u));
	T_ASSERT(u == 1);
	kg_buf_free(&modes);
	peer_free(cli);
	peer_free(srv);
}

static void test_tty_modes(void)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	const kg_tty_mode m[] = { { 1, 3 }, { 129, 9600 } };
	T_OK(kg_tty_modes_encode(&b, m, 2));
	T_ASSERT(hex_eq(&b, "01" "00000003" "81" "00002580" "00"));
	const kg_tty_mode bad0[] = { { 0, 1 } }, bad160[] = { { 160, 1 } };
	T_ASSERT(kg_tty_modes_encode(&b, bad0, 1) == KG_ERR_ARG);
	T_ASSERT(kg_tty_modes_encode(&b, bad160, 1) == KG_ERR_ARG);
	kg_tty_mode out[4];
	size_t n;
	T_OK(kg_tty_modes_parse(kg_buf_ptr(&b), kg_buf_len(&b), out, 4, &n));
	T_ASSERT(n == 2 && out[1].opcode == 129 && out[1].value == 9600);
	/* Too many for the caller's array. */
	T_ASSERT(kg_tty_modes_parse(kg_buf_ptr(&b), kg_buf_len(&b), out, 1, &n) == KG_ERR_TOO_LARGE);
	/* Truncated arguments fail; a cut right after an argument is a
	 * stream without TTY_OP_END, which is accepted. */
	for (size_t i = 0; i < kg_buf_len(&b); i++) {
		int r = kg_tty_modes_parse(kg_buf_ptr(&b), i, out, 4, &n);
		if (i == 0 || i == 5 || i == 10)
			T_ASSERT(r == KG_OK && n == i / 5);
		else
			T_ASSERT(r == KG_ERR_PROTOCOL);
	}
	/* An opcode of 160 or more stops parsing; so does TTY_OP_END. */
	unsigned char s[32];
	size_t sl = t_unhex("05" "0000001a" "a0" "ffff" "06" "00000001", s);
	T_OK(kg_tty_modes_parse(s, sl, out, 4, &n));
	T_ASSERT(n == 1 && out[0].opcode == 5 && out[0].value == 26);
	sl = t_unhex("00" "05", s);
	T_OK(kg_tty_modes_parse(s, sl, out, 4, &n));
	T_ASSERT(n == 0);
	T_OK(kg_tty_modes_parse(NULL, 0, NULL, 0, &n));
	T_ASSERT(n == 0);
	kg_buf_free(&b);
}

static void test_tcpip_open(void)
{
	peer *cli = peer_new(KG_CONN_CLIENT, NULL), *srv = peer_new(KG_CONN_SERVER, NULL);
	T_ASSERT(cli && srv);
	kg_channel *ch;
	kg_conn_event ev;
	T_OK(kg_conn_open_tcpip(&cli->c, "direct-tcpip", "db.internal", 5432, "127.0.0.1", 50000, &ch));
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(ev.type == KG_CEV_OPEN_REQUEST && strcmp(ev.name, "direct-tcpip") == 0);
	kg_buf v;
	kg_buf_view(&v, ev.data, ev.len);
	const uint8_t *h;
	size_t hl;
	uint32_t port, oport;
	T_OK(kg_buf_get_string_direct(&v, &h, &hl));
	T_OK(kg_buf_get_u32(&v, &port));
	T_OK(kg_buf_skip_string(&v));
	T_OK(kg_buf_get_u32(&v, &oport));
	T_ASSERT(hl == 11 && memcmp(h, "db.internal", 11) == 0 && port == 5432 && oport == 50000 &&
		 kg_buf_len(&v) == 0);
	T_ASSERT(kg_conn_open_tcpip(&cli->c, "bad type", "h", 1, "o", 2, &ch) == KG_ERR_ARG);
	peer_free(cli);
	peer_free(srv);
}

int main(void)
{
	T_RUN(test_global_requests);
	T_RUN(test_session_requests);
	T_RUN(test_tty_modes);
	T_RUN(test_tcpip_open);
	return T_DONE();
}
