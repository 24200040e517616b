/* Two kg_conn instances, a client and a server, wired back to back through
 * fake sinks that record every message; the tests move messages across by
 * hand and check both the events and the bytes on the wire. */
#include "chan_fake.h"

static void test_open_exec_wire(void)
{
	peer *cli = peer_new(KG_CONN_CLIENT, NULL), *srv = peer_new(KG_CONN_SERVER, NULL);
	T_ASSERT(cli && srv);
	kg_channel *cch, *sch;
	kg_conn_event ev;
	T_OK(kg_conn_open_session(&cli->c, &cch));
	T_ASSERT(cch->local_id == 0 && cch->state == KG_CH_OPENING);
	/* RFC 4254 5.1: type, sender channel, initial window, max packet. */
	T_ASSERT(hex_eq(&cli->s.q[0], "5a" "0000000773657373696f6e" "00000000" "00200000" "00008000"));
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(ev.type == KG_CEV_OPEN_REQUEST && strcmp(ev.name, "session") == 0 && ev.len == 0);
	sch = ev.ch;
	T_ASSERT(sch->state == KG_CH_INCOMING && sch->remote_id == 0 &&
		 sch->remote_window == 2u * 1024 * 1024 && sch->remote_maxpkt == 32768);
	T_OK(kg_conn_open_confirm(&srv->c, sch));
	T_ASSERT(hex_eq(&srv->s.q[0], "5b" "00000000" "00000000" "00200000" "00008000"));
	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_OPEN_CONFIRMED && ev.ch == cch && cch->state == KG_CH_OPEN);

	T_OK(kg_conn_req_exec(&cli->c, cch, 1, (const uint8_t *)"ls -l", 5));
	T_ASSERT(hex_eq(&cli->s.q[1], "62" "00000000" "0000000465786563" "01" "00000005" "6c73202d6c"));
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(ev.type == KG_CEV_REQUEST && ev.ch == sch && strcmp(ev.name, "exec") == 0 &&
		 ev.want_reply == 1);
	kg_str cmd;
	T_OK(kg_req_parse_string(ev.data, ev.len, &cmd));
	T_ASSERT(cmd.len == 5 && memcmp(cmd.p, "ls -l", 5) == 0);
	T_OK(kg_conn_request_reply(&srv->c, sch, 1));
	T_ASSERT(kg_conn_request_reply(&srv->c, sch, 1) == KG_ERR_ARG);  /* none left */
	T_ASSERT(hex_eq(&srv->s.q[1], "63" "00000000"));
	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_REQUEST_SUCCESS && ev.ch == cch);
	/* An unrequested reply is a protocol violation. */
	kg_buf b;
	kg_buf_init(&b, 0);
	T_OK(kg_buf_put_u32(&b, 0));
	T_ASSERT(feed(cli, SSH_MSG_CHANNEL_FAILURE, &b, &ev) == KG_ERR_CHANNEL);
	kg_buf_free(&b);
	/* Unknown request names reach the program, which answers failure. */
	T_OK(kg_conn_send_request(&cli->c, cch, "frobnicate@example.com", 1, NULL, 0));
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(ev.type == KG_CEV_REQUEST && strcmp(ev.name, "frobnicate@example.com") == 0);
	T_OK(kg_conn_request_reply(&srv->c, sch, 0));
	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_REQUEST_FAILURE);
	peer_free(cli);
	peer_free(srv);
}

static void test_window_flow(void)
{
	kg_conn_config scfg;
	kg_conn_config_default(&scfg);
	scfg.window = 1000;
	scfg.max_packet = 300;
	peer *cli = peer_new(KG_CONN_CLIENT, NULL), *srv = peer_new(KG_CONN_SERVER, &scfg);
	T_ASSERT(cli && srv);
	kg_channel *cch, *sch;
	T_OK(establish(cli, srv, &cch, &sch));
	T_ASSERT(cch->remote_window == 1000 && cch->remote_maxpkt == 300);

	uint8_t data[5000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	size_t sent;
	T_OK(kg_conn_send_data(&cli->c, cch, 0, data, sizeof(data), &sent));
	T_ASSERT(sent == 1000 && cch->remote_window == 0);
	T_ASSERT(pending(cli) == 4);  /* 300 + 300 + 300 + 100 */
	size_t got = 0;
	kg_conn_event ev;
	while (pending(cli)) {
		T_OK(xfer(cli, srv, &ev));
		T_ASSERT(ev.type == KG_CEV_DATA && ev.ch == sch && ev.ext == 0 && ev.len <= 300);
		T_ASSERT(memcmp(ev.data, data + got, ev.len) == 0);
		got += ev.len;
	}
	T_ASSERT(got == 1000 && sch->local_window == 0 && sch->local_held == 1000);
	/* Window shut: nothing more is taken. */
	T_OK(kg_conn_send_data(&cli->c, cch, 0, data + sent, sizeof(data) - sent, &sent));
	T_ASSERT(sent == 0 && pending(cli) == 0);
	/* Less than half a window consumed: no adjust yet. */
	T_OK(kg_conn_consumed(&srv->c, sch, 400));
	T_ASSERT(pending(srv) == 0);
	T_ASSERT(kg_conn_consumed(&srv->c, sch, 601) == KG_ERR_ARG);  /* more than held */
	T_OK(kg_conn_consumed(&srv->c, sch, 100));
	T_ASSERT(pending(srv) == 1 && next_type(srv) == SSH_MSG_CHANNEL_WINDOW_ADJUST);
	T_ASSERT(hex_eq(&srv->s.q[srv->rd], "5d" "00000000" "000001f4"));
	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_WINDOW && ev.ch == cch && ev.window_add == 500);
	T_ASSERT(cch->remote_window == 500);
	T_OK(kg_conn_send_data(&cli->c, cch, 0, data + 1000, 4000, &sent));
	T_ASSERT(sent == 500 && pending(cli) == 2);
	got = 0;
	while (pending(cli)) {
		T_OK(xfer(cli, srv, &ev));
		T_ASSERT(ev.type == KG_CEV_DATA && memcmp(ev.data, data + 1000 + got, ev.len) == 0);
		got += ev.len;
	}
	T_ASSERT(got == 500);
	/* Consuming the 1000 held bytes 50 at a time still costs one adjust
	 * per half window: two of 500. */
	T_ASSERT(sch->local_held == 1000 && sch->local_window == 0);
	for (int i = 0; i < 20; i++)
		T_OK(kg_conn_consumed(&srv->c, sch, 50));
	T_ASSERT(pending(srv) == 2 && sch->local_held == 0 && sch->local_window == 1000);
	for (int i = 0; i < 2; i++) {
		T_OK(xfer(srv, cli, &ev));
		T_ASSERT(ev.type == KG_CEV_WINDOW && ev.window_add == 500);
	}

	/* Raising the target grants the difference at once. */
	T_OK(kg_conn_set_window(&srv->c, sch, 100000));
	T_ASSERT(pending(srv) == 1);
	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_WINDOW && ev.window_add == 100000 - 1000);
	T_ASSERT(cch->remote_window == 100000);
	peer_free(cli);
	peer_free(srv);
}

/* With max_window set, a window the peer keeps using up doubles each time
 * we grant more, up to the cap; without it the window stays fixed. */
static void test_window_growth(void)
{
	kg_conn_config scfg;
	kg_conn_config_default(&scfg);
	scfg.window = 1000;
	scfg.max_packet = 1000;
	scfg.max_window = 3000;
	peer *cli = peer_new(KG_CONN_CLIENT, NULL), *srv = peer_new(KG_CONN_SERVER, &scfg);
	T_ASSERT(cli && srv);
	kg_channel *cch, *sch;
	T_OK(establish(cli, srv, &cch, &sch));
	static uint8_t data[4000];
	kg_conn_event ev;
	uint32_t expect_target[] = { 2000, 3000, 3000 };
	for (int round = 0; round < 3; round++) {
		/* The client fills the whole window; the server consumes it all. */
		size_t sent;
		uint32_t w = cch->remote_window;
		T_OK(kg_conn_send_data(&cli->c, cch, 0, data, w, &sent));
		T_ASSERT(sent == w && cch->remote_window == 0);
		while (pending(cli))
			T_OK(xfer(cli, srv, &ev));
		T_ASSERT(sch->local_window == 0);
		T_OK(kg_conn_consumed(&srv->c, sch, sch->local_held));
		T_ASSERT(sch->local_target == expect_target[round]);
		T_OK(xfer(srv, cli, &ev));
		T_ASSERT(ev.type == KG_CEV_WINDOW && cch->remote_window == expect_target[round]);
	}
	peer_free(cli);
	peer_free(srv);
	/* A peer that never runs the window low does not make it grow. */
	cli = peer_new(KG_CONN_CLIENT, NULL);
	srv = peer_new(KG_CONN_SERVER, &scfg);
	T_ASSERT(cli && srv);
	T_OK(establish(cli, srv, &cch, &sch));
	size_t sent;
	T_OK(kg_conn_send_data(&cli->c, cch, 0, data, 600, &sent));
	while (pending(cli))
		T_OK(xfer(cli, srv, &ev));
	T_OK(kg_conn_consumed(&srv->c, sch, 600));
	T_ASSERT(sch->local_target == 1000 && sch->local_window == 1000);
	peer_free(cli);
	peer_free(srv);
}

static void test_max_packet_split(void)
{
	kg_conn_config ccfg;
	kg_conn_config_default(&ccfg);
	ccfg.max_send = 1000;  /* our own cap below the peer's 32 KiB */
	peer *cli = peer_new(KG_CONN_CLIENT, &ccfg), *srv = peer_new(KG_CONN_SERVER, NULL);
	T_ASSERT(cli && srv);
	kg_channel *cch, *sch;
	T_OK(establish(cli, srv, &cch, &sch));
	uint8_t data[2500];
	memset(data, 'x', sizeof(data));
	size_t sent;
	T_OK(kg_conn_send_data(&cli->c, cch, SSH_EXTENDED_DATA_STDERR, data, sizeof(data), &sent));
	T_ASSERT(sent == 2500 && pending(cli) == 3);
	/* Extended data: recipient, data type code, string. */
	const kg_buf *m = &cli->s.q[cli->rd + 2];
	T_ASSERT(kg_buf_len(m) == 1 + 4 + 4 + 4 + 500);
	T_ASSERT(kg_buf_ptr(m)[0] == SSH_MSG_CHANNEL_EXTENDED_DATA &&
		 kg_peek_u32(kg_buf_ptr(m) + 5) == 1 && kg_peek_u32(kg_buf_ptr(m) + 9) == 500);
	kg_conn_event ev;
	for (int i = 0; i < 3; i++) {
		T_OK(xfer(cli, srv, &ev));
		T_ASSERT(ev.type == KG_CEV_DATA && ev.ext == 1 && ev.len == (i < 2 ? 1000u : 500u));
	}
	/* The peer's smaller max packet wins. */
	sch->remote_maxpkt = 100;
	T_OK(kg_conn_send_data(&srv->c, sch, 0, data, 250, &sent));
	T_ASSERT(sent == 250 && pending(srv) == 3);
	/* An unknown extended stream is dropped, its room given back. */
	kg_buf b;
	kg_buf_init(&b, 0);
	T_OK(kg_buf_put_u32(&b, sch->local_id));
	T_OK(kg_buf_put_u32(&b, 7));
	T_OK(kg_buf_put_string(&b, data, 100));
	uint32_t w = sch->local_window;
	T_OK(feed(srv, SSH_MSG_CHANNEL_EXTENDED_DATA, &b, &ev));
	T_ASSERT(ev.type == KG_CEV_NONE && sch->local_window == w - 100 && sch->local_held == 2500);
	kg_buf_free(&b);
	peer_free(cli);
	peer_free(srv);
}

static void test_eof_close_exit_status(void)
{
	peer *cli = peer_new(KG_CONN_CLIENT, NULL), *srv = peer_new(KG_CONN_SERVER, NULL);
	T_ASSERT(cli && srv);
	kg_channel *cch, *sch;
	T_OK(establish(cli, srv, &cch, &sch));
	kg_conn_event ev;
	size_t sent;
	T_OK(kg_conn_send_data(&srv->c, sch, 0, (const uint8_t *)"hello\n", 6, &sent));
	T_OK(kg_conn_send_eof(&srv->c, sch));
	T_OK(kg_conn_send_eof(&srv->c, sch));  /* once only */
	T_ASSERT(kg_conn_send_data(&srv->c, sch, 0, (const uint8_t *)"x", 1, &sent) == KG_ERR_ARG);
	T_OK(kg_conn_req_exit_status(&srv->c, sch, 3));  /* requests still allowed */
	T_OK(kg_conn_send_close(&srv->c, sch));
	T_OK(kg_conn_send_close(&srv->c, sch));
	T_ASSERT(pending(srv) == 4 && sch->state == KG_CH_CLOSING);
	T_ASSERT(kg_conn_send_eof(&srv->c, sch) == KG_ERR_CLOSED);
	T_ASSERT(kg_conn_req_shell(&srv->c, sch, 0) == KG_ERR_CLOSED);
	T_ASSERT(kg_conn_channel_free(&srv->c, sch) == KG_ERR_ARG);  /* not closed yet */

	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_DATA && ev.len == 6 && memcmp(ev.data, "hello\n", 6) == 0);
	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_EOF && ev.ch == cch && cch->eof_rcvd);
	/* Data after EOF breaks the channel rules. */
	kg_buf b;
	kg_buf_init(&b, 0);
	T_OK(kg_buf_put_u32(&b, cch->local_id));
	T_OK(kg_buf_put_cstring(&b, "late"));
	T_ASSERT(feed(cli, SSH_MSG_CHANNEL_DATA, &b, &ev) == KG_ERR_CHANNEL);
	T_ASSERT(ev.type == KG_CEV_NONE);
	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_REQUEST && strcmp(ev.name, "exit-status") == 0 && !ev.want_reply);
	uint32_t status;
	T_OK(kg_req_parse_u32(ev.data, ev.len, &status));
	T_ASSERT(status == 3);
	/* The client still may send (its direction is open) until CLOSE. */
	T_OK(kg_conn_send_data(&cli->c, cch, 0, (const uint8_t *)"in", 2, &sent));
	T_ASSERT(sent == 2);
	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_CLOSE && ev.ch == cch && cch->state == KG_CH_CLOSED);
	/* The layer answered with its own CLOSE. */
	T_ASSERT(pending(cli) == 2 && cli->s.q[cli->s.tail - 1].d[0] == SSH_MSG_CHANNEL_CLOSE);
	T_ASSERT(kg_conn_send_data(&cli->c, cch, 0, (const uint8_t *)"x", 1, &sent) == KG_ERR_CLOSED);
	T_OK(kg_conn_send_close(&cli->c, cch));  /* no-op */
	T_ASSERT(pending(cli) == 2);
	/* Data that crossed our CLOSE is dropped quietly. */
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(ev.type == KG_CEV_NONE);
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(ev.type == KG_CEV_CLOSE && ev.ch == sch && sch->state == KG_CH_CLOSED);
	T_ASSERT(pending(srv) == 0);  /* no second CLOSE */
	T_OK(kg_conn_channel_free(&cli->c, cch));
	T_OK(kg_conn_channel_free(&srv->c, sch));
	T_ASSERT(cli->c.nopen == 0 && srv->c.nopen == 0);
	T_ASSERT(kg_conn_channel(&cli->c, 0) == NULL);
	/* Anything naming the freed channel is now an error. */
	kg_buf_reset(&b);
	T_OK(kg_buf_put_u32(&b, 0));
	T_ASSERT(feed(cli, SSH_MSG_CHANNEL_EOF, &b, &ev) == KG_ERR_CHANNEL);
	kg_buf_free(&b);
	peer_free(cli);
	peer_free(srv);
}

static void test_ids_reused(void)
{
	peer *cli = peer_new(KG_CONN_CLIENT, NULL), *srv = peer_new(KG_CONN_SERVER, NULL);
	T_ASSERT(cli && srv);
	kg_channel *c0, *s0, *c1, *s1;
	kg_conn_event ev;
	T_OK(establish(cli, srv, &c0, &s0));
	T_OK(establish(cli, srv, &c1, &s1));
	T_ASSERT(c0->local_id == 0 && c1->local_id == 1 && s1->remote_id == 1);
	T_OK(kg_conn_send_close(&cli->c, c0));
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(ev.type == KG_CEV_CLOSE && ev.ch == s0);
	T_OK(kg_conn_channel_free(&srv->c, s0));
	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_CLOSE && ev.ch == c0);
	T_OK(kg_conn_channel_free(&cli->c, c0));
	/* The lowest free slot comes back, and works as a fresh channel. */
	kg_channel *c2, *s2;
	T_OK(establish(cli, srv, &c2, &s2));
	T_ASSERT(c2 == c0 && c2->local_id == 0 && s2->local_id == 0 && c2->remote_id == 0);
	T_ASSERT(!c2->close_sent && !c2->eof_rcvd && c2->replies_due_us == 0);
	size_t sent;
	T_OK(kg_conn_send_data(&cli->c, c2, 0, (const uint8_t *)"abc", 3, &sent));
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(ev.type == KG_CEV_DATA && ev.ch == s2 && ev.len == 3);
	T_OK(kg_conn_send_data(&cli->c, c1, 0, (const uint8_t *)"de", 2, &sent));
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(ev.type == KG_CEV_DATA && ev.ch == s1 && ev.len == 2);
	/* Ids out of range or unused. */
	kg_buf b;
	kg_buf_init(&b, 0);
	T_OK(kg_buf_put_u32(&b, 2));
	T_ASSERT(feed(srv, SSH_MSG_CHANNEL_CLOSE, &b, &ev) == KG_ERR_CHANNEL);
	kg_buf_reset(&b);
	T_OK(kg_buf_put_u32(&b, 0xffffffffu));
	T_ASSERT(feed(srv, SSH_MSG_CHANNEL_CLOSE, &b, &ev) == KG_ERR_CHANNEL);
	kg_buf_free(&b);
	peer_free(cli);
	peer_free(srv);
}

static void test_too_many_channels(void)
{
	kg_conn_config scfg;
	kg_conn_config_default(&scfg);
	scfg.max_channels = 2;
	peer *cli = peer_new(KG_CONN_CLIENT, NULL), *srv = peer_new(KG_CONN_SERVER, &scfg);
	T_ASSERT(cli && srv);
	kg_channel *c[3];
	kg_conn_event ev;
	for (int i = 0; i < 3; i++)
		T_OK(kg_conn_open_session(&cli->c, &c[i]));
	for (int i = 0; i < 2; i++) {
		T_OK(xfer(cli, srv, &ev));
		T_ASSERT(ev.type == KG_CEV_OPEN_REQUEST);
	}
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(ev.type == KG_CEV_NONE && srv->c.nopen == 2);
	/* The layer refused it by itself. */
	T_ASSERT(hex_eq(&srv->s.q[0], "5c" "00000002" "00000004" "00000011"
			"746f6f206d616e79206368616e6e656c73" "00000000"));
	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_OPEN_FAILED && ev.ch == c[2] && ev.reason == SSH_OPEN_RESOURCE_SHORTAGE);
	T_ASSERT(ev.len == 17 && memcmp(ev.data, "too many channels", 17) == 0);
	T_ASSERT(c[2]->state == KG_CH_CLOSED);
	T_OK(kg_conn_channel_free(&cli->c, c[2]));
	/* Our own side is bounded too. */
	kg_channel *s;
	T_ASSERT(kg_conn_open_session(&srv->c, &s) == KG_ERR_NO_SPACE);
	T_ASSERT(pending(srv) == 0);
	/* The program refuses an unknown type itself; the slot is released. */
	kg_channel *x;
	T_OK(kg_conn_open(&cli->c, "x-frob@example.com", (const uint8_t *)"\1\2", 2, &x));
	kg_conn_event e2;
	kg_channel *s0 = kg_conn_channel(&srv->c, 0);
	T_OK(kg_conn_open_fail(&srv->c, s0, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "no"));
	T_ASSERT(srv->c.nopen == 1);
	T_OK(xfer(cli, srv, &e2));
	T_ASSERT(e2.type == KG_CEV_OPEN_REQUEST && strcmp(e2.name, "x-frob@example.com") == 0 &&
		 e2.len == 2 && e2.ch == s0);
	T_OK(kg_conn_open_fail(&srv->c, e2.ch, SSH_OPEN_UNKNOWN_CHANNEL_TYPE, "unknown channel type"));
	T_OK(xfer(srv, cli, &e2));
	T_ASSERT(e2.type == KG_CEV_OPEN_FAILED && e2.ch == c[0] && e2.reason == 1);
	T_OK(xfer(srv, cli, &e2));
	T_ASSERT(e2.type == KG_CEV_OPEN_FAILED && e2.ch == x && e2.reason == 3);
	peer_free(cli);
	peer_free(srv);
}

/* Every strict prefix of a message shorter than min_ok must fail, and one
 * junk byte after a fixed-layout message must too; then the full message
 * must pass, proving the failures changed no state. */
static int check_prefixes(peer *p, uint8_t type, const kg_buf *msg, size_t min_ok, int fixed,
			  kg_conn_event *ev)
{
	size_t len = kg_buf_len(msg);
	uint8_t tmp[256];
	ENSURE(len + 1 <= sizeof(tmp), KG_ERR_INTERNAL);
	memcpy(tmp, kg_buf_ptr(msg), len);
	for (size_t n = 0; n < min_ok; n++) {
		int r = kg_conn_handle(&p->c, type, n ? tmp : NULL, n, ev);
		if (r >= 0 || ev->type != KG_CEV_NONE) {
			fprintf(stderr, "type %u prefix %zu accepted\n", type, n);
			return KG_ERR_INTERNAL;
		}
	}
	if (fixed) {
		tmp[len] = 0;
		if (kg_conn_handle(&p->c, type, tmp, len + 1, ev) >= 0) {
			fprintf(stderr, "type %u trailing byte accepted\n", type);
			return KG_ERR_INTERNAL;
		}
	}
	return kg_conn_handle(&p->c, type, tmp, len, ev);
}

static void test_truncated_messages(void)
{
	peer *cli = peer_new(KG_CONN_CLIENT, NULL), *srv = peer_new(KG_CONN_SERVER, NULL);
	T_ASSERT(cli && srv);
	kg_channel *cch, *sch, *c2;
	T_OK(establish(cli, srv, &cch, &sch));
	kg_conn_event ev;
	kg_buf b;
	kg_buf_init(&b, 0);
	uint32_t id = cch->local_id;

	/* GLOBAL_REQUEST: name, want reply, then request-specific data. */
	T_OK(kg_buf_put_cstring(&b, "keepalive@openssh.com"));
	T_OK(kg_buf_put_bool(&b, 1));
	T_OK(check_prefixes(cli, SSH_MSG_GLOBAL_REQUEST, &b, kg_buf_len(&b), 0, &ev));
	T_ASSERT(ev.type == KG_CEV_GLOBAL_REQUEST && ev.want_reply && cli->c.greplies_due_peer == 1);
	/* CHANNEL_OPEN */
	kg_buf_reset(&b);
	T_OK(kg_buf_put_cstring(&b, "session"));
	T_OK(kg_buf_put_u32(&b, 9));
	T_OK(kg_buf_put_u32(&b, 1000));
	T_OK(kg_buf_put_u32(&b, 1000));
	T_OK(check_prefixes(cli, SSH_MSG_CHANNEL_OPEN, &b, kg_buf_len(&b), 0, &ev));
	T_ASSERT(ev.type == KG_CEV_OPEN_REQUEST && cli->c.nopen == 2);
	T_OK(kg_conn_open_fail(&cli->c, ev.ch, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, NULL));
	/* CHANNEL_OPEN_CONFIRMATION for a channel we are opening. */
	T_OK(kg_conn_open_session(&cli->c, &c2));
	kg_buf_reset(&b);
	T_OK(kg_buf_put_u32(&b, c2->local_id));
	T_OK(kg_buf_put_u32(&b, 5));
	T_OK(kg_buf_put_u32(&b, 100));
	T_OK(kg_buf_put_u32(&b, 100));
	T_OK(check_prefixes(cli, SSH_MSG_CHANNEL_OPEN_CONFIRMATION, &b, kg_buf_len(&b), 0, &ev));
	T_ASSERT(ev.type == KG_CEV_OPEN_CONFIRMED && c2->remote_id == 5);
	/* ... a second time it is in the wrong state. */
	T_ASSERT(feed(cli, SSH_MSG_CHANNEL_OPEN_CONFIRMATION, &b, &ev) == KG_ERR_CHANNEL);
	/* CHANNEL_OPEN_FAILURE */
	kg_channel *c3;
	T_OK(kg_conn_open_session(&cli->c, &c3));
	kg_buf_reset(&b);
	T_OK(kg_buf_put_u32(&b, c3->local_id));
	T_OK(kg_buf_put_u32(&b, 2));
	T_OK(kg_buf_put_cstring(&b, "refused"));
	T_OK(kg_buf_put_cstring(&b, "en"));
	T_OK(check_prefixes(cli, SSH_MSG_CHANNEL_OPEN_FAILURE, &b, kg_buf_len(&b), 1, &ev));
	T_ASSERT(ev.type == KG_CEV_OPEN_FAILED && ev.reason == 2 && ev.len == 7);
	T_ASSERT(feed(cli, SSH_MSG_CHANNEL_OPEN_FAILURE, &b, &ev) == KG_ERR_CHANNEL);
	T_OK(kg_conn_channel_free(&cli->c, c3));
	/* WINDOW_ADJUST */
	kg_buf_reset(&b);
	T_OK(kg_buf_put_u32(&b, id));
	T_OK(kg_buf_put_u32(&b, 10));
	T_OK(check_prefixes(cli, SSH_MSG_CHANNEL_WINDOW_ADJUST, &b, kg_buf_len(&b), 1, &ev));
	T_ASSERT(ev.type == KG_CEV_WINDOW && ev.window_add == 10);
	/* DATA */
	kg_buf_reset(&b);
	T_OK(kg_buf_put_u32(&b, id));
	T_OK(kg_buf_put_cstring(&b, "data!"));
	T_OK(check_prefixes(cli, SSH_MSG_CHANNEL_DATA, &b, kg_buf_len(&b), 1, &ev));
	T_ASSERT(ev.type == KG_CEV_DATA && ev.len == 5);
	/* EXTENDED_DATA */
	kg_buf_reset(&b);
	T_OK(kg_buf_put_u32(&b, id));
	T_OK(kg_buf_put_u32(&b, 1));
	T_OK(kg_buf_put_cstring(&b, "err"));
	T_OK(check_prefixes(cli, SSH_MSG_CHANNEL_EXTENDED_DATA, &b, kg_buf_len(&b), 1, &ev));
	T_ASSERT(ev.type == KG_CEV_DATA && ev.ext == 1 && ev.len == 3);
	/* CHANNEL_REQUEST */
	kg_buf_reset(&b);
	T_OK(kg_buf_put_u32(&b, id));
	T_OK(kg_buf_put_cstring(&b, "exit-status"));
	T_OK(kg_buf_put_bool(&b, 0));
	T_OK(kg_buf_put_u32(&b, 0));
	T_OK(check_prefixes(cli, SSH_MSG_CHANNEL_REQUEST, &b, kg_buf_len(&b) - 4, 0, &ev));
	T_ASSERT(ev.type == KG_CEV_REQUEST && ev.len == 4);
	/* CHANNEL_SUCCESS / FAILURE */
	T_OK(kg_conn_req_shell(&cli->c, cch, 1));
	T_OK(kg_conn_req_shell(&cli->c, cch, 1));
	kg_buf_reset(&b);
	T_OK(kg_buf_put_u32(&b, id));
	T_OK(check_prefixes(cli, SSH_MSG_CHANNEL_SUCCESS, &b, kg_buf_len(&b), 1, &ev));
	T_ASSERT(ev.type == KG_CEV_REQUEST_SUCCESS);
	T_OK(check_prefixes(cli, SSH_MSG_CHANNEL_FAILURE, &b, kg_buf_len(&b), 1, &ev));
	T_ASSERT(ev.type == KG_CEV_REQUEST_FAILURE && cch->replies_due_us == 0);
	/* REQUEST_SUCCESS may carry data, REQUEST_FAILURE may not. */
	T_OK(kg_conn_send_global(&cli->c, "keepalive@openssh.com", 1, NULL, 0));
	uint8_t junk = 0;
	T_ASSERT(kg_conn_handle(&cli->c, SSH_MSG_REQUEST_FAILURE, &junk, 1, &ev) == KG_ERR_PROTOCOL);
	T_OK(kg_conn_handle(&cli->c, SSH_MSG_REQUEST_FAILURE, NULL, 0, &ev));
	T_ASSERT(ev.type == KG_CEV_GLOBAL_REPLY && !ev.ok);
	T_ASSERT(kg_conn_handle(&cli->c, SSH_MSG_REQUEST_SUCCESS, NULL, 0, &ev) == KG_ERR_PROTOCOL);
	/* EOF, then CLOSE */
	kg_buf_reset(&b);
	T_OK(kg_buf_put_u32(&b, id));
	T_OK(check_prefixes(cli, SSH_MSG_CHANNEL_EOF, &b, kg_buf_len(&b), 1, &ev));
	T_ASSERT(ev.type == KG_CEV_EOF);
	T_OK(check_prefixes(cli, SSH_MSG_CHANNEL_CLOSE, &b, kg_buf_len(&b), 1, &ev));
	T_ASSERT(ev.type == KG_CEV_CLOSE);
	/* Nothing may follow the peer's CLOSE. */
	T_ASSERT(feed(cli, SSH_MSG_CHANNEL_CLOSE, &b, &ev) == KG_ERR_CHANNEL);
	/* Types outside the connection protocol. */
	T_ASSERT(kg_conn_handle(&cli->c, 83, NULL, 0, &ev) == KG_ERR_UNEXPECTED_MSG);
	T_ASSERT(kg_conn_handle(&cli->c, 101, NULL, 0, &ev) == KG_ERR_UNEXPECTED_MSG);
	T_ASSERT(kg_conn_handle(&cli->c, SSH_MSG_KEXINIT, NULL, 0, &ev) == KG_ERR_UNEXPECTED_MSG);
	kg_buf_free(&b);
	peer_free(cli);
	peer_free(srv);
}

static void test_window_limits(void)
{
	peer *cli = peer_new(KG_CONN_CLIENT, NULL), *srv = peer_new(KG_CONN_SERVER, NULL);
	T_ASSERT(cli && srv);
	kg_channel *cch, *sch;
	T_OK(establish(cli, srv, &cch, &sch));
	kg_conn_event ev;
	kg_buf b;
	kg_buf_init(&b, 0);
	/* Up to exactly 2^32 - 1 is fine; one more overflows. */
	uint32_t w = cch->remote_window;
	T_OK(kg_buf_put_u32(&b, cch->local_id));
	T_OK(kg_buf_put_u32(&b, 0xffffffffu - w));
	T_OK(feed(cli, SSH_MSG_CHANNEL_WINDOW_ADJUST, &b, &ev));
	T_ASSERT(cch->remote_window == 0xffffffffu);
	kg_buf_reset(&b);
	T_OK(kg_buf_put_u32(&b, cch->local_id));
	T_OK(kg_buf_put_u32(&b, 1));
	T_ASSERT(feed(cli, SSH_MSG_CHANNEL_WINDOW_ADJUST, &b, &ev) == KG_ERR_CHANNEL);
	T_ASSERT(cch->remote_window == 0xffffffffu);
	/* A packet above our max packet, though inside the window. */
	static const uint8_t big[KG_CONN_MAXPKT_DEFAULT + 1];
	kg_buf_reset(&b);
	T_OK(kg_buf_put_u32(&b, cch->local_id));
	T_OK(kg_buf_put_string(&b, big, sizeof(big)));
	T_ASSERT(feed(cli, SSH_MSG_CHANNEL_DATA, &b, &ev) == KG_ERR_CHANNEL);
	T_ASSERT(cch->local_window == KG_CONN_WINDOW_DEFAULT && cch->local_held == 0);
	/* Fill the advertised window exactly, then one byte beyond it. */
	for (uint32_t i = 0; i < KG_CONN_WINDOW_DEFAULT / KG_CONN_MAXPKT_DEFAULT; i++) {
		kg_buf_reset(&b);
		T_OK(kg_buf_put_u32(&b, cch->local_id));
		T_OK(kg_buf_put_string(&b, big, KG_CONN_MAXPKT_DEFAULT));
		T_OK(feed(cli, SSH_MSG_CHANNEL_DATA, &b, &ev));
		T_ASSERT(ev.type == KG_CEV_DATA);
	}
	T_ASSERT(cch->local_window == 0);
	kg_buf_reset(&b);
	T_OK(kg_buf_put_u32(&b, cch->local_id));
	T_OK(kg_buf_put_string(&b, big, 1));
	T_ASSERT(feed(cli, SSH_MSG_CHANNEL_DATA, &b, &ev) == KG_ERR_CHANNEL);
	/* A message for a channel not yet confirmed. */
	kg_channel *c2;
	T_OK(kg_conn_open_session(&cli->c, &c2));
	kg_buf_reset(&b);
	T_OK(kg_buf_put_u32(&b, c2->local_id));
	T_OK(kg_buf_put_u32(&b, 1));
	T_ASSERT(feed(cli, SSH_MSG_CHANNEL_WINDOW_ADJUST, &b, &ev) == KG_ERR_CHANNEL);
	/* Bad names. */
	kg_buf_reset(&b);
	T_OK(kg_buf_put_u32(&b, cch->local_id));
	T_OK(kg_buf_put_cstring(&b, "has space"));
	T_OK(kg_buf_put_bool(&b, 0));
	T_ASSERT(feed(cli, SSH_MSG_CHANNEL_REQUEST, &b, &ev) == KG_ERR_PROTOCOL);
	char longname[70];
	memset(longname, 'a', 65);
	longname[65] = '\0';
	kg_buf_reset(&b);
	T_OK(kg_buf_put_cstring(&b, longname));
	T_OK(kg_buf_put_bool(&b, 0));
	T_ASSERT(feed(cli, SSH_MSG_GLOBAL_REQUEST, &b, &ev) == KG_ERR_PROTOCOL);
	T_ASSERT(kg_conn_send_global(&cli->c, longname, 0, NULL, 0) == KG_ERR_ARG);
	longname[64] = '\0';
	T_OK(kg_conn_send_global(&cli->c, longname, 0, NULL, 0));
	kg_buf_free(&b);
	peer_free(cli);
	peer_free(srv);
}

static void test_close_before_confirm(void)
{
	peer *cli = peer_new(KG_CONN_CLIENT, NULL), *srv = peer_new(KG_CONN_SERVER, NULL);
	T_ASSERT(cli && srv);
	kg_channel *cch, *sch;
	kg_conn_event ev;
	T_OK(kg_conn_open_session(&cli->c, &cch));
	T_OK(kg_conn_send_close(&cli->c, cch));
	T_ASSERT(pending(cli) == 1 && cch->state == KG_CH_OPENING);
	size_t sent;
	T_ASSERT(kg_conn_send_data(&cli->c, cch, 0, (const uint8_t *)"x", 1, &sent) == KG_ERR_ARG);
	T_OK(xfer(cli, srv, &ev));
	sch = ev.ch;
	T_OK(kg_conn_open_confirm(&srv->c, sch));
	T_ASSERT(kg_conn_open_confirm(&srv->c, sch) == KG_ERR_ARG);
	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_OPEN_CONFIRMED && cch->state == KG_CH_CLOSING);
	T_ASSERT(next_type(cli) == SSH_MSG_CHANNEL_CLOSE);
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(ev.type == KG_CEV_CLOSE && ev.ch == sch);
	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_CLOSE && ev.ch == cch);
	T_OK(kg_conn_channel_free(&cli->c, cch));
	T_OK(kg_conn_channel_free(&srv->c, sch));
	T_ASSERT(kg_conn_channel_free(&srv->c, sch) == KG_ERR_ARG);
	peer_free(cli);
	peer_free(srv);
}

static void test_sink_failure(void)
{
	peer *cli = peer_new(KG_CONN_CLIENT, NULL), *srv = peer_new(KG_CONN_SERVER, NULL);
	T_ASSERT(cli && srv);
	kg_channel *cch, *sch;
	T_OK(establish(cli, srv, &cch, &sch));
	cli->s.fail = 1;
	size_t sent = 99;
	T_ASSERT(kg_conn_send_data(&cli->c, cch, 0, (const uint8_t *)"abc", 3, &sent) == KG_ERR_NO_SPACE);
	T_ASSERT(sent == 0 && cch->remote_window == KG_CONN_WINDOW_DEFAULT);
	kg_channel *c2;
	T_ASSERT(kg_conn_open_session(&cli->c, &c2) == KG_ERR_NO_SPACE);
	T_ASSERT(cli->c.nopen == 1);
	/* A CLOSE we cannot answer is fatal. */
	kg_buf b;
	kg_buf_init(&b, 0);
	T_OK(kg_buf_put_u32(&b, cch->local_id));
	kg_conn_event ev;
	T_ASSERT(feed(cli, SSH_MSG_CHANNEL_CLOSE, &b, &ev) == KG_ERR_NO_SPACE && ev.type == KG_CEV_NONE);
	kg_buf_free(&b);
	/* Bad configurations. */
	kg_conn c;
	kg_conn_config cfg;
	kg_pkt_sink sink = { fs_begin, fs_end, &cli->s, fs_abort };
	kg_conn_config_default(&cfg);
	cfg.max_packet = KG_CONN_MAXPKT_LIMIT + 1;
	T_ASSERT(kg_conn_init(&c, &cfg, &sink, KG_CONN_CLIENT) == KG_ERR_ARG);
	kg_conn_config_default(&cfg);
	cfg.max_channels = 0;
	T_ASSERT(kg_conn_init(&c, &cfg, &sink, KG_CONN_CLIENT) == KG_ERR_ARG);
	kg_conn_config_default(&cfg);
	cfg.max_packet = KG_CONN_MAXPKT_LIMIT;
	cfg.window = 64u * 1024 * 1024;
	T_OK(kg_conn_init(&c, &cfg, &sink, KG_CONN_SERVER));
	kg_conn_free(&c);
	/* Foreign channel pointers are refused. */
	kg_channel fake;
	memset(&fake, 0, sizeof(fake));
	fake.state = KG_CH_OPEN;
	T_ASSERT(kg_conn_send_eof(&cli->c, &fake) == KG_ERR_ARG);
	T_ASSERT(kg_conn_send_eof(&cli->c, NULL) == KG_ERR_ARG);
	peer_free(cli);
	peer_free(srv);
}

/* A source for kg_conn_send_data_fill: gives at most `chunk` bytes a call
 * from data, then `end` (KG_ERR_AGAIN or KG_ERR_CLOSED) once it is out. */
typedef struct src {
	const uint8_t *data;
	size_t len, pos, chunk;
	int end, calls;
} src;

static int src_fill(void *arg, uint8_t *dst, size_t room, size_t *got)
{
	src *s = arg;
	s->calls++;
	*got = 0;
	if (s->pos == s->len)
		return s->end;
	size_t n = s->len - s->pos;
	if (n > room)
		n = room;
	if (n > s->chunk)
		n = s->chunk;
	memcpy(dst, s->data + s->pos, n);
	s->pos += n;
	*got = n;
	return KG_OK;
}

/* Data read straight into the packets: the same messages as
 * kg_conn_send_data, split by window and packet size, a short read ends
 * the call, an empty one leaves no message behind. */
static void test_send_data_fill(void)
{
	kg_conn_config scfg;
	kg_conn_config_default(&scfg);
	scfg.window = 1000;
	scfg.max_packet = 300;
	peer *cli = peer_new(KG_CONN_CLIENT, NULL), *srv = peer_new(KG_CONN_SERVER, &scfg);
	T_ASSERT(cli && srv);
	kg_channel *cch, *sch;
	T_OK(establish(cli, srv, &cch, &sch));
	uint8_t data[2000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 1);
	src s = { data, 700, 0, 1000, KG_ERR_AGAIN, 0 };
	size_t sent;
	/* 300 + 300 + 100 (short: the source is drained, no fourth read). */
	T_OK(kg_conn_send_data_fill(&cli->c, cch, 0, 5000, src_fill, &s, &sent));
	T_ASSERT(sent == 700 && s.calls == 3 && pending(cli) == 3 && cch->remote_window == 300);
	T_ASSERT(kg_buf_len(&cli->s.q[cli->rd]) == 1 + 4 + 4 + 300);
	T_ASSERT(kg_peek_u32(kg_buf_ptr(&cli->s.q[cli->rd]) + 5) == 300);
	kg_conn_event ev;
	size_t got = 0;
	while (pending(cli)) {
		T_OK(xfer(cli, srv, &ev));
		T_ASSERT(ev.type == KG_CEV_DATA && ev.ch == sch && ev.ext == 0);
		T_ASSERT(memcmp(ev.data, data + got, ev.len) == 0);
		got += ev.len;
	}
	T_ASSERT(got == 700);
	/* Nothing there: the error comes back, no message is left. */
	s.calls = 0;
	T_ASSERT(kg_conn_send_data_fill(&cli->c, cch, 0, 5000, src_fill, &s, &sent) == KG_ERR_AGAIN);
	T_ASSERT(sent == 0 && s.calls == 1 && pending(cli) == 0 && !cli->s.open);
	/* Reads of 120 bytes: packets of 120; the window (300) ends it. */
	s.len = 2000; s.chunk = 120; s.calls = 0;
	T_OK(kg_conn_send_data_fill(&cli->c, cch, SSH_EXTENDED_DATA_STDERR, 5000, src_fill, &s, &sent));
	T_ASSERT(sent == 120 && s.calls == 1 && pending(cli) == 1);  /* 120 < 300 asked: short */
	T_OK(kg_conn_send_data_fill(&cli->c, cch, SSH_EXTENDED_DATA_STDERR, 5000, src_fill, &s, &sent));
	T_ASSERT(sent == 120 && pending(cli) == 2 && cch->remote_window == 60);
	T_OK(kg_conn_send_data_fill(&cli->c, cch, SSH_EXTENDED_DATA_STDERR, 5000, src_fill, &s, &sent));
	T_ASSERT(sent == 60 && pending(cli) == 3 && cch->remote_window == 0);
	T_OK(kg_conn_send_data_fill(&cli->c, cch, 0, 5000, src_fill, &s, &sent));
	T_ASSERT(sent == 0 && pending(cli) == 3);  /* window shut: no read */
	got = 700;
	while (pending(cli)) {
		T_OK(xfer(cli, srv, &ev));
		T_ASSERT(ev.type == KG_CEV_DATA && ev.ext == SSH_EXTENDED_DATA_STDERR);
		T_ASSERT(memcmp(ev.data, data + got, ev.len) == 0);
		got += ev.len;
	}
	T_ASSERT(got == 1000);
	/* The source's end after data: the data is sent, the end comes next time. */
	T_OK(kg_conn_consumed(&srv->c, sch, 1000));
	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_WINDOW && cch->remote_window == 1000);
	s.len = 1050; s.chunk = 1000; s.end = KG_ERR_CLOSED;
	T_OK(kg_conn_send_data_fill(&cli->c, cch, 0, 5000, src_fill, &s, &sent));
	T_ASSERT(sent == 50 && pending(cli) == 1);
	T_ASSERT(kg_conn_send_data_fill(&cli->c, cch, 0, 5000, src_fill, &s, &sent) == KG_ERR_CLOSED);
	T_ASSERT(sent == 0 && pending(cli) == 1);
	/* No sink abort: refused before anything is read. */
	cli->c.sink.abort = NULL;
	s.calls = 0;
	T_ASSERT(kg_conn_send_data_fill(&cli->c, cch, 0, 5000, src_fill, &s, &sent) == KG_ERR_ARG);
	T_ASSERT(s.calls == 0);
	peer_free(cli);
	peer_free(srv);
}

int main(void)
{
	T_RUN(test_open_exec_wire);
	T_RUN(test_window_flow);
	T_RUN(test_window_growth);
	T_RUN(test_max_packet_split);
	T_RUN(test_eof_close_exit_status);
	T_RUN(test_ids_reused);
	T_RUN(test_too_many_channels);
	T_RUN(test_truncated_messages);
	T_RUN(test_window_limits);
	T_RUN(test_close_before_confirm);
	T_RUN(test_sink_failure);
	T_RUN(test_send_data_fill);
	return T_DONE();
}
