/* Exercises src/conn/conn.c, src/conn/cli-stream.c and src/conn/cli-session.c:
 * two connection engines joined in memory by a pair of pipes (no sockets),
 * on one kg_loop.  The client side is a kg_client with its engine (streams
 * and the interactive session run its loop in their blocking calls, which
 * drives the server engine too); the server side attaches test consumers.
 * Covered: a session channel and a stream channel carrying data both ways,
 * a full peer (window exhausted, then resumed) in each direction, a
 * consumer whose output descriptor is full holding the window shut, an
 * early channel close from either end and the connection closing early,
 * global requests whose answers meet their requests in order (one
 * forgotten, one sent without asking for an answer), and src/conn/cli-alive.c:
 * keepalives a live server answers, and the end of a connection whose
 * server stopped answering. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include "t.h"
#include "core/defaults.h"
#include "conn/cli-alive.h"
#include "conn/cli-conn.h"
#include "conn/cli-session.h"
#include "conn/cli-stream.h"
#include "sys/net.h"

#define WIN (64u * 1024)   /* small fixed windows: exhausted quickly */
#define BIG (300u * 1024)

/* A server-side consumer that records what arrives, holds it (no grant)
 * while `hold` is set, and sends `out` as the window allows. */
typedef struct tcons {
	kg_consumer k;
	kg_buf got;
	size_t ungranted;
	int hold;
	const uint8_t *out;
	size_t out_len, out_sent;
	int eof, released, writable_calls, saw_full;
	int close_after_send;      /* exit-status 5, EOF, CLOSE once out is sent and EOF came */
	char req[KG_CONN_NAME_MAX + 1];
} tcons;

typedef struct fixture {
	kg_client c;
	kg_client_config ccfg;
	kg_logger log;
	kg_engine srv;
	kg_transport *str;
	kg_tr_config ctc, stc;
	kg_key *hostkey;
	kg_key *hostkeys[1];
	int a2b[2], b2a[2];        /* client -> server, server -> client */
	tcons cons;
	int cons_used;
	uint64_t release_timer;
	int globals_seen;
} fixture;

static int accept_any(void *arg, const kg_key *key, const kg_kex_result *kex)
{
	(void)arg;
	(void)key;
	(void)kex;
	return KG_OK;
}

static tcons *of(kg_consumer *k)
{
	return KG_CONSUMER_OF(k, tcons, k);
}

static int t_send_more(tcons *t)
{
	kg_channel *ch = t->k.ch;
	while (ch && t->out_sent < t->out_len && ch->remote_window > 0 && kg_engine_may_send(t->k.eng)) {
		size_t sent = 0;
		GUARD(kg_conn_send_data(&t->k.eng->conn, ch, 0, t->out + t->out_sent, t->out_len - t->out_sent, &sent));
		t->out_sent += sent;
	}
	if (ch && t->out_sent < t->out_len && ch->remote_window == 0)
		t->saw_full = 1;
	if (ch && t->close_after_send && t->out_sent == t->out_len && t->eof) {
		t->close_after_send = 0;
		GUARD(kg_conn_req_exit_status(&t->k.eng->conn, ch, 5));
		GUARD(kg_conn_send_eof(&t->k.eng->conn, ch));
		GUARD(kg_conn_send_close(&t->k.eng->conn, ch));
	}
	return KG_OK;
}

static void release_held(void *ctx, uint64_t id)
{
	fixture *f = ctx;
	(void)id;
	f->cons.hold = 0;
	if (f->cons.k.ch && f->cons.ungranted)
		(void)!kg_conn_consumed(&f->srv.conn, f->cons.k.ch, f->cons.ungranted);
	f->cons.ungranted = 0;
	kg_engine_kick(&f->srv);
}

static int t_data(kg_consumer *k, uint32_t ext, const uint8_t *d, size_t n)
{
	tcons *t = of(k);
	fixture *f = KG_CONSUMER_OF(t, fixture, cons);
	(void)ext;
	GUARD(kg_buf_put(&t->got, d, n));
	if (!t->hold)
		return kg_conn_consumed(&k->eng->conn, k->ch, n);
	t->ungranted += n;
	/* The client has used the whole window: it must be waiting now. */
	if (t->ungranted == WIN && f->c.eng.conn.chans[0].remote_window == 0 && !f->release_timer) {
		t->saw_full = 1;
		GUARD(kg_loop_add_timer(&f->c.loop, 20, release_held, f, &f->release_timer));
	}
	return KG_OK;
}

static int t_eof(kg_consumer *k)
{
	of(k)->eof = 1;
	return t_send_more(of(k));
}

static int t_request(kg_consumer *k, const kg_conn_event *ev)
{
	tcons *t = of(k);
	snprintf(t->req, sizeof(t->req), "%s", ev->name);
	GUARD(kg_conn_request_reply(&k->eng->conn, k->ch, 1));
	return t_send_more(t);
}

static int t_writable(kg_consumer *k)
{
	of(k)->writable_calls++;
	return t_send_more(of(k));
}

static void t_release(kg_consumer *k)
{
	of(k)->released = 1;
}

static const kg_consumer_ops t_ops = {
	.data = t_data, .eof = t_eof, .request = t_request, .writable = t_writable, .release = t_release,
};

static int t_open(void *arg, kg_channel *ch, const kg_conn_event *ev)
{
	fixture *f = arg;
	(void)ev;
	if (f->cons_used)
		return kg_conn_open_fail(&f->srv.conn, ch, SSH_OPEN_RESOURCE_SHORTAGE, "one at a time");
	f->cons_used = 1;
	kg_engine_attach(&f->srv, ch, &f->cons.k, &t_ops);
	GUARD(kg_conn_open_confirm(&f->srv.conn, ch));
	return t_send_more(&f->cons);
}

/* The server answers "ok@t" with its data echoed and refuses anything else. */
static int t_global(void *arg, const kg_conn_event *ev)
{
	fixture *f = arg;
	f->globals_seen++;
	if (!ev->want_reply)
		return KG_OK;
	int ok = strcmp(ev->name, "ok@t") == 0;
	return kg_conn_global_reply(&f->srv.conn, ok, ok ? ev->data : NULL, ok ? ev->len : 0);
}

static int both_ready(void *arg)
{
	fixture *f = arg;
	return kg_tr_ready(f->c.tr) && kg_tr_ready(f->str);
}

static int srv_released(void *arg)
{
	return ((fixture *)arg)->cons.released;
}

/* Runs both engines until the server's consumer was released. */
static int settle(fixture *f)
{
	return kg_engine_run(&f->srv, srv_released, f, 2000);
}

static int fx_setup(fixture *f)
{
	memset(f, 0, sizeof(*f));
	kg_buf_init(&f->cons.got, 0);
	if (pipe2(f->a2b, O_NONBLOCK | O_CLOEXEC) != 0 || pipe2(f->b2a, O_NONBLOCK | O_CLOEXEC) != 0)
		return KG_ERR_SYSTEM;
	GUARD(kg_key_generate(KG_KEY_ED25519, 0, &f->hostkey));
	f->hostkeys[0] = f->hostkey;
	f->ctc = (kg_tr_config){ .kex_algs = "curve25519-sha256", .hostkey_algs = "ssh-ed25519",
				 .ciphers = "aes128-ctr", .macs = "hmac-sha2-256", .compression = "none",
				 .verify_hostkey = accept_any };
	f->stc = f->ctc;
	f->stc.is_server = 1;
	f->stc.hostkeys = f->hostkeys;
	f->stc.n_hostkeys = 1;
	f->stc.verify_hostkey = NULL;
	kg_client_config_init(&f->ccfg);
	f->ccfg.hostname = strdup("peer");
	kg_log_init(&f->log, "test", KG_LOG_QUIET, 0, 0);
	kg_client *c = &f->c;
	c->cfg = &f->ccfg;
	c->log = &f->log;
	c->fd = -1;
	GUARD(kg_tr_new(&c->tr, &f->ctc));
	GUARD(kg_tr_new(&f->str, &f->stc));
	kg_loop_init(&c->loop);
	c->loop_ready = 1;
	GUARD(kg_engine_init(&c->eng, &c->loop, f->b2a[0], f->a2b[1], c->tr, NULL));
	c->eng_ready = 1;
	kg_engine_hooks h = { .open_request = t_open, .global_request = t_global, .arg = f };
	GUARD(kg_engine_init(&f->srv, &c->loop, f->a2b[0], f->b2a[1], f->str, &h));
	GUARD(kg_engine_run(&c->eng, both_ready, f, 5000));
	kg_conn_config cc;
	kg_conn_config_default(&cc);
	cc.window = WIN;
	cc.max_packet = 16 * 1024;
	GUARD(kg_engine_start_channels(&c->eng, &cc, KG_CONN_CLIENT));
	GUARD(kg_engine_start_channels(&f->srv, &cc, KG_CONN_SERVER));
	return KG_OK;
}

static void fx_free(fixture *f)
{
	kg_engine_free(&f->srv);
	kg_client_close(&f->c);  /* the client's engine and loop, its transport */
	kg_tr_free(f->str);
	kg_key_free(f->hostkey);
	kg_buf_free(&f->cons.got);
	kg_client_config_free(&f->ccfg);
	for (int i = 0; i < 2; i++) {
		if (f->a2b[i] > 0)
			close(f->a2b[i]);
		if (f->b2a[i] > 0)
			close(f->b2a[i]);
	}
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 131u + seed) ^ (i >> 9));
}

/* Session channel (exec): a write larger than the window waits while the
 * server holds it, then completes; the server's reply fills the client's
 * window before the client reads, then flows; exit status and close. */
static void test_session_both_ways(void)
{
	fixture f;
	T_OK(fx_setup(&f));
	static uint8_t up[BIG], down[BIG], back[BIG];
	fill(up, sizeof(up), 1);
	fill(down, sizeof(down), 7);
	f.cons.hold = 1;
	f.cons.out = down;
	f.cons.out_len = sizeof(down);
	f.cons.close_after_send = 1;
	kg_stream st;
	T_OK(kg_stream_open(&f.c, &st, NULL, "cmd", -1));
	T_ASSERT(strcmp(f.cons.req, "exec") == 0);
	T_OK(kg_stream_write(&st, up, sizeof(up)));
	T_OK(kg_stream_flush(&st));
	T_ASSERT(f.release_timer != 0);  /* the write waited for the held window */
	/* Let the server fill the client's window: nothing is read yet. */
	for (int i = 0; i < 200 && kg_stream_available(&st) < WIN; i++)
		T_OK(kg_stream_pump(&st, 10));
	T_ASSERT(kg_stream_available(&st) == WIN);
	T_ASSERT(f.cons.saw_full && f.cons.out_sent == WIN);
	T_OK(kg_stream_read_full(&st, back, sizeof(back)));
	T_ASSERT(memcmp(back, down, sizeof(down)) == 0);
	T_ASSERT(f.cons.writable_calls > 0);
	T_ASSERT(kg_buf_len(&f.cons.got) == sizeof(up) && memcmp(kg_buf_ptr(&f.cons.got), up, sizeof(up)) == 0);
	int status = -1;
	T_OK(kg_stream_close(&st, &status));
	T_ASSERT(status == 5);
	T_OK(settle(&f));
	T_ASSERT(f.cons.eof && f.cons.released);
	T_ASSERT(f.c.eng.status == 0 && f.srv.status == 0);
	fx_free(&f);
}

/* Stream channel (direct-tcpip): bytes both ways, then the server closes
 * it early: the client's read sees the end, a write is refused. */
static void test_stream_server_closes_early(void)
{
	fixture f;
	T_OK(fx_setup(&f));
	static const uint8_t pong[] = "pong";
	f.cons.out = pong;
	f.cons.out_len = 4;
	kg_stream st;
	T_OK(kg_stream_open_tcpip(&f.c, &st, "example", 80));
	T_OK(kg_stream_write(&st, "ping", 4));
	uint8_t buf[8];
	T_OK(kg_stream_read_full(&st, buf, 4));
	T_ASSERT(memcmp(buf, "pong", 4) == 0);
	T_OK(kg_stream_flush(&st));
	for (int i = 0; i < 100 && kg_buf_len(&f.cons.got) < 4; i++)
		T_OK(kg_stream_pump(&st, 10));
	T_ASSERT(kg_buf_len(&f.cons.got) == 4 && memcmp(kg_buf_ptr(&f.cons.got), "ping", 4) == 0);
	T_OK(kg_conn_send_close(&f.srv.conn, f.cons.k.ch));
	kg_engine_kick(&f.srv);
	size_t got = 99;
	T_OK(kg_stream_read(&st, buf, sizeof(buf), &got));
	T_ASSERT(got == 0 && st.closed);
	T_ASSERT(kg_stream_write(&st, "x", 1) == KG_ERR_CLOSED);
	T_OK(settle(&f));
	T_ASSERT(f.cons.released);
	int status = 0;
	T_OK(kg_stream_close(&st, &status));
	T_ASSERT(status == 255);  /* none was sent */
	fx_free(&f);
}

/* The client closes a stream while the server still has data for it: the
 * unread data is granted back so the server can finish, and both sides
 * release the channel. */
static void test_stream_client_closes_early(void)
{
	fixture f;
	T_OK(fx_setup(&f));
	static uint8_t down[BIG];
	fill(down, sizeof(down), 3);
	f.cons.out = down;
	f.cons.out_len = sizeof(down);
	kg_stream st;
	T_OK(kg_stream_open_tcpip(&f.c, &st, "example", 80));
	uint8_t buf[100];
	T_OK(kg_stream_read_full(&st, buf, sizeof(buf)));
	T_ASSERT(memcmp(buf, down, sizeof(buf)) == 0);
	/* The server closes once the client's EOF arrives. */
	T_OK(kg_stream_send_eof(&st));
	for (int i = 0; i < 100 && !f.cons.eof; i++)
		T_OK(kg_stream_pump(&st, 10));
	T_ASSERT(f.cons.eof);
	T_OK(kg_conn_send_close(&f.srv.conn, f.cons.k.ch));
	T_OK(kg_stream_close(&st, NULL));
	T_OK(settle(&f));
	T_ASSERT(f.cons.released);
	T_ASSERT(f.c.eng.status == 0 && f.srv.status == 0);
	fx_free(&f);
}

/* The server's side of the connection goes away: a blocked read ends with
 * an error instead of waiting forever. */
static void test_connection_closes_early(void)
{
	fixture f;
	T_OK(fx_setup(&f));
	kg_stream st;
	T_OK(kg_stream_open_tcpip(&f.c, &st, "example", 80));
	kg_engine_free(&f.srv);
	close(f.b2a[1]);
	f.b2a[1] = -1;
	uint8_t buf[4];
	size_t got;
	T_ASSERT(kg_stream_read(&st, buf, sizeof(buf), &got) == KG_ERR_CLOSED);
	T_ASSERT(f.c.eng.peer_eof);
	kg_stream_free(&st);
	fx_free(&f);
}

typedef struct answers {
	int n;
	int ok[4];
	char data[4][8];
} answers;

static int note_answer(void *arg, int ok, const uint8_t *d, size_t n)
{
	answers *a = arg;
	if (a->n >= 4 || n >= sizeof(a->data[0]))
		return KG_ERR_INTERNAL;
	a->ok[a->n] = ok;
	memcpy(a->data[a->n], d, n);
	a->data[a->n][n] = 0;
	a->n++;
	return KG_OK;
}

static int three_answered(void *arg)
{
	fixture *f = arg;
	return f->globals_seen == 5 && f->c.eng.greq_count == 0;
}

static void test_global_replies(void)
{
	fixture f;
	T_OK(fx_setup(&f));
	answers a = { 0 }, gone = { 0 };
	T_OK(kg_engine_send_global(&f.c.eng, "ok@t", (const uint8_t *)"one", 3, note_answer, &a));
	T_OK(kg_engine_send_global(&f.c.eng, "no@t", (const uint8_t *)"two", 3, note_answer, &a));
	T_OK(kg_engine_send_global(&f.c.eng, "ok@t", (const uint8_t *)"lost", 4, note_answer, &gone));
	T_OK(kg_engine_send_global(&f.c.eng, "quiet@t", NULL, 0, NULL, NULL));
	T_OK(kg_engine_send_global(&f.c.eng, "ok@t", (const uint8_t *)"four", 4, note_answer, &a));
	kg_engine_forget_global(&f.c.eng, &gone);
	T_ASSERT(f.c.eng.greq_count == 4);
	T_OK(kg_engine_run(&f.srv, three_answered, &f, 2000));
	T_ASSERT(a.n == 3);
	T_ASSERT(a.ok[0] == 1 && strcmp(a.data[0], "one") == 0);
	T_ASSERT(a.ok[1] == 0 && a.data[1][0] == 0);
	T_ASSERT(a.ok[2] == 1 && strcmp(a.data[2], "four") == 0);
	T_ASSERT(gone.n == 0);
	/* The ring has a stated cap: one more than it holds is refused. */
	for (int i = 0; i < KG_ENGINE_GLOBAL_PENDING; i++)
		T_OK(kg_engine_send_global(&f.c.eng, "no@t", NULL, 0, kg_engine_global_ignored, NULL));
	T_ASSERT(kg_engine_send_global(&f.c.eng, "no@t", NULL, 0, kg_engine_global_ignored, NULL) == KG_ERR_ARG);
	fx_free(&f);
}

/* Drains the session's stdout pipe, but only once the client has stopped
 * granting window: its stdout was full. */
typedef struct drain {
	fixture *f;
	int fd;
	kg_buf got;
	int saw_shut;
} drain;

static void on_drain(void *ctx, int fd, int revents)
{
	drain *d = ctx;
	(void)revents;
	kg_channel *sch = d->f->cons.k.ch;
	if (!d->saw_shut) {
		if (!sch || sch->remote_window != 0)
			return;
		d->saw_shut = 1;
	}
	uint8_t buf[8192];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n > 0)
		(void)!kg_buf_put(&d->got, buf, (size_t)n);
	else if (n == 0 || errno != EAGAIN)  /* not "empty for now": the timer may have read first */
		(void)!kg_loop_remove_fd(&d->f->c.loop, fd);
}

static void check_shut(void *ctx, uint64_t id)
{
	drain *d = ctx;
	(void)id;
	on_drain(d, d->fd, POLLIN);
	if (!d->saw_shut)
		(void)!kg_loop_add_timer(&d->f->c.loop, 5, check_shut, d, NULL);
}

/* kssh's interactive session over the engine: stdin (a pipe with a line
 * and EOF) reaches the server; the server's output, far more than the
 * window, goes to a stdout the test does not read at first: the window
 * shuts, and opens again as the test drains it; exit status 5. */
static void test_cli_session_full_stdout(void)
{
	fixture f;
	T_OK(fx_setup(&f));
	static uint8_t down[BIG];
	fill(down, sizeof(down), 9);
	f.cons.out = down;
	f.cons.out_len = sizeof(down);
	f.cons.close_after_send = 1;
	int in[2], out[2], err[2];
	T_ASSERT(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0);
	T_ASSERT(write(in[1], "hello\n", 6) == 6);
	close(in[1]);
	(void)fcntl(out[1], F_SETPIPE_SZ, 4096);
	T_OK(kg_net_set_nonblock(out[0], 1));
	drain d = { .f = &f, .fd = out[0] };
	kg_buf_init(&d.got, 0);
	T_OK(kg_loop_add_fd(&f.c.loop, out[0], KG_LOOP_READ, on_drain, &d));
	T_OK(kg_loop_add_timer(&f.c.loop, 5, check_shut, &d, NULL));
	kg_cli_session_opts o = { .command = "cat", .in_fd = in[0], .out_fd = out[1], .err_fd = err[1], .quiet = 1 };
	int status = -1;
	T_OK(kg_cli_session_run(&f.c, &o, &status));
	T_ASSERT(status == 5);
	T_ASSERT(d.saw_shut && f.cons.saw_full);
	/* What is still in the pipe once the session ended. */
	T_OK(kg_net_set_nonblock(out[0], 1));
	uint8_t buf[8192];
	ssize_t n;
	while ((n = read(out[0], buf, sizeof(buf))) > 0)
		T_OK(kg_buf_put(&d.got, buf, (size_t)n));
	T_ASSERT(kg_buf_len(&d.got) == sizeof(down) && memcmp(kg_buf_ptr(&d.got), down, sizeof(down)) == 0);
	T_ASSERT(kg_buf_len(&f.cons.got) == 6 && memcmp(kg_buf_ptr(&f.cons.got), "hello\n", 6) == 0);
	T_ASSERT(strcmp(f.cons.req, "exec") == 0 && f.cons.eof && f.cons.released);
	kg_buf_free(&d.got);
	close(in[0]);
	close(out[0]);
	close(out[1]);
	close(err[0]);
	close(err[1]);
	fx_free(&f);
}

static int chan0_open(void *arg)
{
	kg_channel *ch = kg_conn_channel(&((fixture *)arg)->c.eng.conn, 0);
	return ch && ch->state == KG_CH_OPEN;
}

/* kg_chan_out: a full descriptor holds data (not granted), a drained one
 * takes it and grants it back; a failed one drops and grants at once. */
static void test_chan_out(void)
{
	fixture f;
	T_OK(fx_setup(&f));
	kg_channel *ch = NULL;
	T_OK(kg_conn_open_session(&f.c.eng.conn, &ch));
	T_OK(kg_engine_run(&f.c.eng, chan0_open, &f, 2000));
	T_ASSERT(ch->state == KG_CH_OPEN);
	int p[2];
	T_ASSERT(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
	(void)fcntl(p[1], F_SETPIPE_SZ, 4096);
	static uint8_t data[40000];
	fill(data, sizeof(data), 5);
	/* Pretend the peer sent it: the channel holds what was received. */
	ch->local_held = sizeof(data);
	kg_chan_out o;
	kg_chan_out_init(&o, p[1]);
	T_OK(kg_chan_out_put(&o, &f.c.eng.conn, ch, data, sizeof(data)));
	size_t held = kg_chan_out_pending(&o);
	T_ASSERT(held > 0 && held < sizeof(data));
	T_ASSERT(ch->local_held == held);  /* written bytes granted, held ones not */
	static uint8_t buf[sizeof(data) + 30000];
	size_t total = 0;
	/* The reader drains: the next put writes what is held first, then the
	 * new data, in one call, before any flush; the order is kept. */
	ssize_t rn = read(p[0], buf, sizeof(buf));
	T_ASSERT(rn > 0);
	total = (size_t)rn;
	ch->local_held += 30000;
	T_OK(kg_chan_out_put(&o, &f.c.eng.conn, ch, data + 10000, 30000));
	T_ASSERT(kg_chan_out_pending(&o) < held + 30000 && ch->local_held == kg_chan_out_pending(&o));
	for (int i = 0; i < 1000 && total < sizeof(buf); i++) {
		ssize_t n = read(p[0], buf + total, sizeof(buf) - total);
		if (n > 0)
			total += (size_t)n;
		T_OK(kg_chan_out_flush(&o, &f.c.eng.conn, ch));
	}
	T_ASSERT(total == sizeof(buf) && memcmp(buf, data, sizeof(data)) == 0);
	T_ASSERT(memcmp(buf + sizeof(data), data + 10000, 30000) == 0);
	T_ASSERT(kg_chan_out_pending(&o) == 0 && ch->local_held == 0);
	close(p[0]);
	ch->local_held = 10;
	T_OK(kg_chan_out_put(&o, &f.c.eng.conn, ch, data, 10));  /* EPIPE: dropped */
	T_ASSERT(o.failed && ch->local_held == 0);
	kg_chan_out_free(&o);
	close(p[1]);
	fx_free(&f);
}

typedef struct until {
	uint64_t end_ms;
} until;

static int time_is_up(void *arg)
{
	return kg_monotonic_ms() >= ((until *)arg)->end_ms;
}

/* ServerAliveInterval 100 ms, CountMax 1: a live server answers every
 * keepalive and the connection stays up over several intervals; once the
 * server's engine is gone (its pipes stay open, so nothing is closed, the
 * server only goes quiet) the client ends with KG_ERR_TIMEOUT after the
 * second unanswered interval. */
static void test_server_alive(void)
{
	fixture f;
	T_OK(fx_setup(&f));
	T_OK(kg_cli_alive_start(&f.c.alive, &f.c.eng, &f.log, "peer", 100, 1));
	until u = { kg_monotonic_ms() + 650 };
	T_OK(kg_engine_run(&f.c.eng, time_is_up, &u, 2000));
	T_ASSERT(f.c.eng.status == 0 && !f.c.alive.timed_out);
	T_ASSERT(f.globals_seen >= 4);  /* one keepalive per quiet interval */
	kg_engine_free(&f.srv);
	uint64_t t0 = kg_monotonic_ms();
	u.end_ms = t0 + 3000;
	T_ASSERT(kg_engine_run(&f.c.eng, time_is_up, &u, 5000) == KG_ERR_TIMEOUT);
	uint64_t took = kg_monotonic_ms() - t0;
	T_ASSERT(f.c.alive.timed_out && f.c.eng.status == KG_ERR_TIMEOUT);
	if (took < 90 || took >= 1000)
		fprintf(stderr, "# timed out after %llu ms\n", (unsigned long long)took);
	T_ASSERT(took >= 90 && took < 1000);  /* one to two intervals after the last answer */
	fx_free(&f);
}

/* A zero interval does nothing: no timer, no keepalive. */
static void test_server_alive_off(void)
{
	fixture f;
	T_OK(fx_setup(&f));
	T_OK(kg_cli_alive_start(&f.c.alive, &f.c.eng, &f.log, "peer", 0, 3));
	T_ASSERT(f.c.alive.timer == 0);
	until u = { kg_monotonic_ms() + 200 };
	T_OK(kg_engine_run(&f.c.eng, time_is_up, &u, 2000));
	T_ASSERT(f.globals_seen == 0);
	fx_free(&f);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	T_RUN(test_session_both_ways);
	T_RUN(test_stream_server_closes_early);
	T_RUN(test_stream_client_closes_early);
	T_RUN(test_connection_closes_early);
	T_RUN(test_cli_session_full_stdout);
	T_RUN(test_chan_out);
	T_RUN(test_global_replies);
	T_RUN(test_server_alive);
	T_RUN(test_server_alive_off);
	return T_DONE();
}
