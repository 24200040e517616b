/* Exercises receive-window growth on long paths (src/core/channel.c's rate samples, src/sys/net.c's TCP_INFO and send buffer, src/conn/conn.c's round-trip probes).
 *
 * In the core, a simulated path: a round trip of 50 ms (a clock the test
 * moves), the peer sending what its window allows (or less, when the test
 * caps its rate) spread over each round trip, the program consuming at
 * once, and our WINDOW_ADJUSTs reaching the peer one round trip later.
 * A window-limited peer's window doubles up to KG_CONN_WINDOW_GROW_MAX (and
 * never past it, nor past the connection's budget), so what arrives per
 * round trip follows it; a peer sending less than 3/8 of the window per
 * round trip does not make it grow; one whose rate is capped gets a
 * window of two to four times its rate x delay; with no clock, or no round
 * trip, only the old used-up test applies (and a paced stream never trips
 * it); a program that delivers nothing makes nothing grow.  Then the TCP
 * helpers on a loopback connection, and two engines: data on a channel
 * with growing windows sends a keepalive probe whose answer sets the
 * connection's round trip. */
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include "t.h"
#include "core/transport.h"
#include "conn/conn.h"
#include "sys/net.h"

#define PKT (32u * 1024)
#define MIB (1024u * 1024)
#define RTT_MS 50

/* ---------------- the core, on a simulated path ---------------- */

typedef struct sim {
	kg_conn c;
	kg_buf msg;
	uint64_t now_us;
	uint64_t send_win;  /* what the peer may send */
	uint64_t arriving;  /* adjusts on their way to the peer */
	uint32_t srv_id;
	int confirmed;
	uint32_t adjusts;
} sim;

static uint64_t sim_clock(void *arg)
{
	return ((sim *)arg)->now_us / 1000;
}

static int s_begin(void *arg, uint8_t type, kg_buf **p)
{
	sim *s = arg;
	kg_buf_reset(&s->msg);
	GUARD(kg_buf_put_u8(&s->msg, type));
	*p = &s->msg;
	return KG_OK;
}

static int s_end(void *arg)
{
	sim *s = arg;
	kg_buf b;
	kg_buf_view(&b, kg_buf_ptr(&s->msg), kg_buf_len(&s->msg));
	uint8_t type;
	uint32_t to, a, w;
	GUARD(kg_buf_get_u8(&b, &type));
	if (type != SSH_MSG_CHANNEL_OPEN_CONFIRMATION && type != SSH_MSG_CHANNEL_WINDOW_ADJUST)
		return KG_OK;
	GUARD(kg_buf_get_u32(&b, &to));
	GUARD(kg_buf_get_u32(&b, &a));
	if (type == SSH_MSG_CHANNEL_WINDOW_ADJUST) {
		s->arriving += a;
		s->adjusts++;
		return KG_OK;
	}
	GUARD(kg_buf_get_u32(&b, &w));
	s->srv_id = a;
	s->send_win = w;
	s->confirmed = 1;
	return KG_OK;
}

/* total_window 0: the default budget.  clock 0: none. */
static int sim_init(sim *s, uint32_t total_window, int clock, uint32_t rtt_ms)
{
	memset(s, 0, sizeof(*s));
	kg_buf_init(&s->msg, 0);
	kg_conn_config cc;
	kg_conn_config_default(&cc);
	cc.max_window = KG_CONN_WINDOW_GROW_MAX;
	cc.total_window = total_window;
	if (clock) {
		cc.clock_ms = sim_clock;
		cc.clock_arg = s;
	}
	s->now_us = 1000000;
	kg_pkt_sink sink = { s_begin, s_end, s };
	GUARD(kg_conn_init(&s->c, &cc, &sink, KG_CONN_SERVER));
	kg_conn_set_rtt(&s->c, rtt_ms);
	kg_buf b;
	kg_buf_init(&b, 0);
	int r = kg_buf_put_cstring(&b, "session");
	if (r >= 0)
		r = kg_buf_put_u32(&b, 0);
	if (r >= 0)
		r = kg_buf_put_u32(&b, 0x7fffffffu);
	if (r >= 0)
		r = kg_buf_put_u32(&b, PKT);
	kg_conn_event ev;
	if (r >= 0)
		r = kg_conn_handle(&s->c, SSH_MSG_CHANNEL_OPEN, kg_buf_ptr(&b), kg_buf_len(&b), &ev);
	kg_buf_free(&b);
	GUARD(r);
	ENSURE(ev.type == KG_CEV_OPEN_REQUEST, KG_ERR_INTERNAL);
	GUARD(kg_conn_open_confirm(&s->c, ev.ch));
	ENSURE(s->confirmed, KG_ERR_INTERNAL);
	return KG_OK;
}

static void sim_free(sim *s)
{
	kg_conn_free(&s->c);
	kg_buf_free(&s->msg);
}

static kg_channel *sim_chan(sim *s)
{
	return kg_conn_channel(&s->c, s->srv_id);
}

/* One round trip: the adjusts sent during the last one reach the peer,
 * which sends what its window allows (at most cap bytes), spread evenly
 * over the round trip; the program consumes each packet at once unless
 * hold.  *got: what arrived. */
static int sim_round(sim *s, uint64_t cap, int hold, uint64_t *got)
{
	static uint8_t data[PKT];
	s->send_win += s->arriving;
	s->arriving = 0;
	uint64_t n = s->send_win < cap ? s->send_win : cap;
	uint64_t packets = (n + PKT - 1) / PKT, start = s->now_us;
	kg_buf b;
	kg_buf_init(&b, 0);
	int r = KG_OK;
	*got = 0;
	for (uint64_t i = 0; r >= 0 && i < packets; i++) {
		size_t len = n - *got < PKT ? (size_t)(n - *got) : PKT;
		s->now_us = start + (uint64_t)RTT_MS * 1000 * (i + 1) / packets;
		kg_buf_reset(&b);
		kg_conn_event ev;
		r = kg_buf_put_u32(&b, s->srv_id);
		if (r >= 0)
			r = kg_buf_put_string(&b, data, len);
		if (r >= 0)
			r = kg_conn_handle(&s->c, SSH_MSG_CHANNEL_DATA, kg_buf_ptr(&b), kg_buf_len(&b), &ev);
		if (r >= 0 && ev.type != KG_CEV_DATA)
			r = KG_ERR_INTERNAL;
		if (r >= 0 && !hold)
			r = kg_conn_consumed(&s->c, ev.ch, len);
		s->send_win -= len;
		*got += len;
	}
	s->now_us = start + (uint64_t)RTT_MS * 1000;
	kg_buf_free(&b);
	return r;
}

/* A window-limited peer: the window doubles each round trip or two, up to
 * the cap, and what arrives follows it. */
static void test_grows_to_cap(void)
{
	sim s;
	T_OK(sim_init(&s, 0, 1, RTT_MS));
	kg_channel *ch = sim_chan(&s);
	T_ASSERT(ch && ch->local_target == KG_CONN_WINDOW_DEFAULT);
	uint64_t got = 0;
	int reached = -1;
	for (int i = 0; i < 30; i++) {
		T_OK(sim_round(&s, UINT64_MAX, 0, &got));
		T_ASSERT(ch->local_target <= KG_CONN_WINDOW_GROW_MAX);
		if (reached < 0 && ch->local_target == KG_CONN_WINDOW_GROW_MAX)
			reached = i;
	}
	T_ASSERT(reached >= 0 && reached <= 12);
	/* The last round trips carry about a whole window each. */
	T_ASSERT(got >= KG_CONN_WINDOW_GROW_MAX / 2);
	T_ASSERT(s.c.window_sum <= KG_CONN_WINDOW_TOTAL_DEFAULT);
	sim_free(&s);
}

/* The same peer without a clock (or with no round trip known): only the
 * used-up test applies, which a paced stream consumed at once never
 * trips, so the window stays where it started. */
static void test_no_clock_no_growth(void)
{
	for (int variant = 0; variant < 2; variant++) {
		sim s;
		T_OK(sim_init(&s, 0, variant == 0 ? 0 : 1, variant == 0 ? RTT_MS : 0));
		kg_channel *ch = sim_chan(&s);
		uint64_t got = 0;
		for (int i = 0; i < 20; i++)
			T_OK(sim_round(&s, UINT64_MAX, 0, &got));
		T_ASSERT(ch->local_target == KG_CONN_WINDOW_DEFAULT);
		T_ASSERT(got <= KG_CONN_WINDOW_DEFAULT);
		sim_free(&s);
	}
}

/* A peer sending less than 3/8 of the window per round trip (its own
 * limit) does not make the window grow; one capped at 4 MiB per round
 * trip gets a window of two to four times that, not the cap. */
static void test_follows_rate(void)
{
	sim s;
	T_OK(sim_init(&s, 0, 1, RTT_MS));
	kg_channel *ch = sim_chan(&s);
	uint64_t got = 0;
	for (int i = 0; i < 30; i++)
		T_OK(sim_round(&s, MIB / 2, 0, &got));
	T_ASSERT(ch->local_target == KG_CONN_WINDOW_DEFAULT);
	T_ASSERT(got == MIB / 2);
	sim_free(&s);

	T_OK(sim_init(&s, 0, 1, RTT_MS));
	ch = sim_chan(&s);
	for (int i = 0; i < 40; i++)
		T_OK(sim_round(&s, 4 * MIB, 0, &got));
	T_ASSERT(ch->local_target >= 8 * MIB && ch->local_target <= 16 * MIB);
	T_ASSERT(got == 4 * MIB);
	sim_free(&s);
}

/* A smaller connection budget stops the growth at the budget. */
static void test_budget_caps_growth(void)
{
	sim s;
	T_OK(sim_init(&s, 8 * MIB, 1, RTT_MS));
	kg_channel *ch = sim_chan(&s);
	uint64_t got = 0;
	for (int i = 0; i < 20; i++) {
		T_OK(sim_round(&s, UINT64_MAX, 0, &got));
		T_ASSERT(ch->local_target <= 8 * MIB && s.c.window_sum <= 8 * MIB);
	}
	T_ASSERT(ch->local_target == 8 * MIB);
	sim_free(&s);
}

/* A program that delivers nothing: the peer fills the window once, no
 * adjust goes out, nothing grows, what is held is the window. */
static void test_slow_program(void)
{
	sim s;
	T_OK(sim_init(&s, 0, 1, RTT_MS));
	kg_channel *ch = sim_chan(&s);
	uint64_t got = 0, total = 0;
	for (int i = 0; i < 10; i++) {
		T_OK(sim_round(&s, UINT64_MAX, 1, &got));
		total += got;
	}
	T_ASSERT(s.adjusts == 0 && total == KG_CONN_WINDOW_DEFAULT);
	T_ASSERT(ch->local_target == KG_CONN_WINDOW_DEFAULT && ch->local_held == KG_CONN_WINDOW_DEFAULT);
	sim_free(&s);
}

/* ---------------- TCP helpers ---------------- */

static void test_tcp_helpers(void)
{
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	T_ASSERT(ls >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	T_ASSERT(bind(ls, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(ls, 1) == 0);
	T_ASSERT(getsockname(ls, (struct sockaddr *)&a, &al) == 0);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	T_ASSERT(c >= 0 && connect(c, (struct sockaddr *)&a, sizeof(a)) == 0);
	int s = accept(ls, NULL, NULL);
	T_ASSERT(s >= 0);
	/* A connected socket has a round trip (from the handshake), at least 1 ms. */
	uint32_t rtt = 0;
	T_OK(kg_net_tcp_rtt_ms(c, &rtt));
	T_ASSERT(rtt >= 1 && rtt < 1000);
	/* The send buffer is raised only past what autotuning reaches. */
	int sndbuf = -1;
	T_OK(kg_net_tune_bulk(c, &sndbuf));
	T_ASSERT(sndbuf == 0 || (sndbuf > 0 && sndbuf <= 2 * KG_NET_SNDBUF_MAX));
	/* A pipe is no TCP socket. */
	int p[2];
	T_ASSERT(pipe(p) == 0);
	T_ASSERT(kg_net_tcp_rtt_ms(p[0], &rtt) < 0 && rtt == 0);
	close(p[0]);
	close(p[1]);
	close(s);
	close(c);
	close(ls);
}

/* ---------------- two engines: the round-trip probe ---------------- */

typedef struct keys {
	kg_transport *c, *s;
	kg_tr_config cc, sc;
	kg_key *hostkey;
	kg_key *hostkeys[1];
} keys;

static int accept_any(void *arg, const kg_key *key, const kg_kex_result *kex)
{
	(void)arg, (void)key, (void)kex;
	return KG_OK;
}

typedef struct efx {
	keys p;
	kg_loop loop;
	kg_engine a, b;   /* a: client, b: server (grows windows) */
	int a2b[2], b2a[2];
	kg_consumer ka, kb;
	uint64_t got;
} efx;

static int b_data(kg_consumer *k, uint32_t ext, const uint8_t *d, size_t n)
{
	efx *f = k->eng->hooks.arg;
	(void)ext, (void)d;
	f->got += n;
	return kg_conn_consumed(&k->eng->conn, k->ch, n);
}

static const kg_consumer_ops b_ops = { .data = b_data };

static int b_open(void *arg, kg_channel *ch, const kg_conn_event *ev)
{
	efx *f = arg;
	(void)ev;
	kg_engine_attach(&f->b, ch, &f->kb, &b_ops);
	return kg_conn_open_confirm(&f->b.conn, ch);
}

static int a_send(kg_consumer *k)
{
	static uint8_t data[PKT];
	kg_channel *ch = k->ch;
	if (ch && ch->state == KG_CH_OPEN && ch->remote_window > 0 && kg_engine_may_send(k->eng)) {
		size_t sent = 0;
		GUARD(kg_conn_send_data(&k->eng->conn, ch, 0, data, sizeof(data), &sent));
	}
	return KG_OK;
}

static int a_opened(kg_consumer *k, const kg_conn_event *ev)
{
	(void)ev;
	return a_send(k);
}

static const kg_consumer_ops a_ops = { .opened = a_opened };

static int ready(void *arg)
{
	efx *f = arg;
	return kg_tr_ready(f->p.c) && kg_tr_ready(f->p.s);
}

static int probed(void *arg)
{
	efx *f = arg;
	return f->b.rtt_samples > 0;
}

static void test_engine_probe(void)
{
	efx *f = calloc(1, sizeof(*f));
	T_ASSERT(f != NULL);
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &f->p.hostkey));
	f->p.hostkeys[0] = f->p.hostkey;
	f->p.cc = (kg_tr_config){ .kex_algs = "curve25519-sha256", .hostkey_algs = "ssh-ed25519",
				  .ciphers = "aes128-gcm@openssh.com", .macs = "hmac-sha2-256",
				  .compression = "none", .verify_hostkey = accept_any };
	f->p.sc = f->p.cc;
	f->p.sc.is_server = 1;
	f->p.sc.hostkeys = f->p.hostkeys;
	f->p.sc.n_hostkeys = 1;
	f->p.sc.verify_hostkey = NULL;
	T_OK(kg_tr_new(&f->p.c, &f->p.cc));
	T_OK(kg_tr_new(&f->p.s, &f->p.sc));
	T_ASSERT(pipe2(f->a2b, O_NONBLOCK | O_CLOEXEC) == 0 && pipe2(f->b2a, O_NONBLOCK | O_CLOEXEC) == 0);
	kg_loop_init(&f->loop);
	kg_engine_hooks ha = { .arg = f };
	kg_engine_hooks hb = { .open_request = b_open, .arg = f };
	T_OK(kg_engine_init(&f->a, &f->loop, f->b2a[0], f->a2b[1], f->p.c, &ha));
	T_OK(kg_engine_init(&f->b, &f->loop, f->a2b[0], f->b2a[1], f->p.s, &hb));
	T_OK(kg_engine_run(&f->a, ready, f, 5000));
	kg_conn_config ca, cb;
	kg_conn_config_default(&ca);
	kg_conn_config_default(&cb);
	cb.max_window = KG_CONN_WINDOW_GROW_MAX;
	T_OK(kg_engine_start_channels(&f->a, &ca, KG_CONN_CLIENT));
	T_OK(kg_engine_start_channels(&f->b, &cb, KG_CONN_SERVER));
	/* Over pipes TCP has no round trip to offer: unknown until probed. */
	T_ASSERT(f->b.conn.rtt_ms == 0 && f->b.conn.cfg.clock_ms != NULL);
	kg_channel *ch = NULL;
	T_OK(kg_conn_open_session(&f->a.conn, &ch));
	kg_engine_attach(&f->a, ch, &f->ka, &a_ops);
	/* The client's engine answers the probe (it refuses what it does not
	 * know, which is answer enough); the server now knows a round trip. */
	T_OK(kg_engine_run(&f->b, probed, f, 5000));
	T_ASSERT(f->got > 0 && f->b.conn.rtt_ms >= 1 && !f->b.probe_pending);
	/* The client, whose windows are fixed, does not probe. */
	T_ASSERT(f->a.rtt_samples == 0 && f->a.conn.rtt_ms == 0);
	kg_engine_free(&f->a);
	kg_engine_free(&f->b);
	kg_loop_free(&f->loop);
	kg_tr_free(f->p.c);
	kg_tr_free(f->p.s);
	kg_key_free(f->p.hostkey);
	for (int i = 0; i < 2; i++) {
		close(f->a2b[i]);
		close(f->b2a[i]);
	}
	free(f);
}

int main(void)
{
	T_RUN(test_grows_to_cap);
	T_RUN(test_no_clock_no_growth);
	T_RUN(test_follows_rate);
	T_RUN(test_budget_caps_growth);
	T_RUN(test_slow_program);
	T_RUN(test_tcp_helpers);
	T_RUN(test_engine_probe);
	return T_DONE();
}
