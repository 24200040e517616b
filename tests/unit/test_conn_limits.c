/* Exercises the per-connection memory caps of src/core/channel.c and
 * src/conn/conn.c against a hostile peer.  In the core: a peer opening
 * every channel the table has (and one more), making each window grow by
 * using it up, then filling them all while nothing is delivered: what it
 * can make us hold stays under the connection-wide budget, no window
 * passes KG_CONN_WINDOW_GROW_MAX, a lone channel still grows to it, and the
 * budget comes back as channels end, and so does the memory a consumer's
 * buffer grew to once its input ended.  Through two real engines: 64 session
 * channels whose consumers write to descriptors nobody reads, fed as fast
 * as the windows allow: the data held for them stays under the budget; and
 * data written during a key exchange (held by the transport) stops the
 * consumers at the engine's backlog instead of overflowing the transport. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "t.h"
#include "core/defaults.h"
#include "conn/cli-conn.h"
#include "sys/net.h"

#define NCH KG_CONN_MAX_CHANNELS_DEFAULT
#define BOUND ((uint64_t)KG_CONN_WINDOW_TOTAL_DEFAULT + (uint64_t)NCH * KG_CONN_WINDOW_FLOOR)
#define PKT (32u * 1024)

/* ---------------- the core, driven message by message ---------------- */

/* The hostile client's view of the server's kg_conn: the server's sink
 * is parsed as each message is finished. */
typedef struct hpeer {
	kg_conn c;
	kg_buf msg;
	uint64_t send_win[NCH + 1];
	uint32_t srv_id[NCH + 1];
	int confirmed[NCH + 1];
	int refused;
} hpeer;

static int hs_begin(void *arg, uint8_t type, kg_buf **p)
{
	hpeer *h = arg;
	kg_buf_reset(&h->msg);
	GUARD(kg_buf_put_u8(&h->msg, type));
	*p = &h->msg;
	return KG_OK;
}

static int hs_end(void *arg)
{
	hpeer *h = arg;
	kg_buf b;
	kg_buf_view(&b, kg_buf_ptr(&h->msg), kg_buf_len(&h->msg));
	uint8_t type;
	uint32_t to, a, w;
	GUARD(kg_buf_get_u8(&b, &type));
	if (type == SSH_MSG_CHANNEL_OPEN_FAILURE) {
		h->refused++;
		return KG_OK;
	}
	if (type != SSH_MSG_CHANNEL_OPEN_CONFIRMATION && type != SSH_MSG_CHANNEL_WINDOW_ADJUST)
		return KG_OK;
	GUARD(kg_buf_get_u32(&b, &to));
	ENSURE(to <= NCH, KG_ERR_INTERNAL);
	GUARD(kg_buf_get_u32(&b, &a));
	if (type == SSH_MSG_CHANNEL_WINDOW_ADJUST) {
		h->send_win[to] += a;
		return KG_OK;
	}
	GUARD(kg_buf_get_u32(&b, &w));
	h->srv_id[to] = a;
	h->send_win[to] = w;
	h->confirmed[to] = 1;
	return KG_OK;
}

static int hp_init(hpeer *h, const kg_conn_config *cfg)
{
	memset(h, 0, sizeof(*h));
	kg_buf_init(&h->msg, 0);
	kg_pkt_sink sink = { hs_begin, hs_end, h, NULL };
	return kg_conn_init(&h->c, cfg, &sink, KG_CONN_SERVER);
}

static void hp_free(hpeer *h)
{
	kg_conn_free(&h->c);
	kg_buf_free(&h->msg);
}

/* The server's configuration, as ksshd sets it up. */
static void server_cfg(kg_conn_config *cc)
{
	kg_conn_config_default(cc);
	cc->max_window = KG_CONN_WINDOW_GROW_MAX;
}

/* The peer opens channel i ("session", a huge window of its own); the
 * server program confirms whatever it is asked. */
static int hp_open(hpeer *h, uint32_t i)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	int r = kg_buf_put_cstring(&b, "session");
	if (r >= 0)
		r = kg_buf_put_u32(&b, i);
	if (r >= 0)
		r = kg_buf_put_u32(&b, 0x7fffffffu);
	if (r >= 0)
		r = kg_buf_put_u32(&b, PKT);
	kg_conn_event ev;
	if (r >= 0)
		r = kg_conn_handle(&h->c, SSH_MSG_CHANNEL_OPEN, kg_buf_ptr(&b), kg_buf_len(&b), &ev);
	kg_buf_free(&b);
	GUARD(r);
	if (ev.type == KG_CEV_OPEN_REQUEST)
		return kg_conn_open_confirm(&h->c, ev.ch);
	return KG_OK;
}

static kg_channel *hp_chan(hpeer *h, uint32_t i)
{
	return h->confirmed[i] ? kg_conn_channel(&h->c, h->srv_id[i]) : NULL;
}

/* The peer sends as much as its window for channel i allows (at most
 * max); nothing is delivered. */
static int hp_fill(hpeer *h, uint32_t i, uint64_t max)
{
	static uint8_t data[PKT];
	kg_buf b;
	kg_buf_init(&b, 0);
	int r = KG_OK;
	while (r >= 0 && max > 0 && h->send_win[i] > 0) {
		size_t n = h->send_win[i] < PKT ? (size_t)h->send_win[i] : PKT;
		if (n > max)
			n = (size_t)max;
		kg_buf_reset(&b);
		kg_conn_event ev;
		r = kg_buf_put_u32(&b, h->srv_id[i]);
		if (r >= 0)
			r = kg_buf_put_string(&b, data, n);
		if (r >= 0)
			r = kg_conn_handle(&h->c, SSH_MSG_CHANNEL_DATA, kg_buf_ptr(&b), kg_buf_len(&b), &ev);
		if (r >= 0 && ev.type != KG_CEV_DATA)
			r = KG_ERR_INTERNAL;
		h->send_win[i] -= n;
		max -= n;
	}
	kg_buf_free(&b);
	return r;
}

typedef struct tally {
	uint64_t exposed;  /* what the peer may still send plus what is held */
	uint64_t held;
	uint32_t biggest;  /* the largest window target */
	uint32_t open;
} tally;

static tally count(const kg_conn *c)
{
	tally t = { 0, 0, 0, 0 };
	for (uint32_t i = 0; i < c->cfg.max_channels; i++) {
		const kg_channel *ch = &c->chans[i];
		if (ch->state == KG_CH_FREE)
			continue;
		t.exposed += (uint64_t)ch->local_window + ch->local_held;
		t.held += ch->local_held;
		if (ch->local_target > t.biggest)
			t.biggest = ch->local_target;
		t.open++;
	}
	return t;
}

/* Rounds in which the peer uses up every window of channels [0, n) and
 * the program then delivers it all, until no window grows any more; what
 * the peer could send us never passes the budget on the way. */
static int grow_all(hpeer *h, uint32_t n, tally *t)
{
	uint64_t last = 0;
	for (int round = 0; round < 12; round++) {
		for (uint32_t i = 0; i < n; i++) {
			GUARD(hp_fill(h, i, UINT64_MAX));
			*t = count(&h->c);
			ENSURE(t->exposed <= BOUND, KG_ERR_INTERNAL);
			kg_channel *ch = hp_chan(h, i);
			ENSURE(ch && ch->local_window == 0, KG_ERR_INTERNAL);
			GUARD(kg_conn_consumed(&h->c, ch, ch->local_held));
		}
		*t = count(&h->c);
		ENSURE(t->exposed <= BOUND && t->exposed == h->c.window_sum && t->biggest <= KG_CONN_WINDOW_GROW_MAX,
		       KG_ERR_INTERNAL);
		if (t->exposed == last)
			return KG_OK;
		last = t->exposed;
	}
	return KG_ERR_INTERNAL;  /* still growing after 12 doublings */
}

/* A peer opens a few channels and makes their windows grow by using them
 * up, then opens every channel the table has left (and one more), makes
 * those grow too, and fills them all while nothing is delivered. */
static void test_core_many_channels(void)
{
	kg_conn_config cc;
	server_cfg(&cc);
	hpeer *h = calloc(1, sizeof(*h));
	T_ASSERT(h != NULL);
	T_OK(hp_init(h, &cc));
	tally t;
	for (uint32_t i = 0; i < 4; i++)
		T_OK(hp_open(h, i));
	T_OK(grow_all(h, 4, &t));
	/* 2 -> 4 -> 8 -> 16 MiB each, and then the budget is used up. */
	T_ASSERT(t.exposed == KG_CONN_WINDOW_TOTAL_DEFAULT && t.biggest == 16u * 1024 * 1024);
	for (uint32_t i = 4; i <= NCH; i++)
		T_OK(hp_open(h, i));
	T_ASSERT(h->refused == 1 && !h->confirmed[NCH] && h->c.nopen == NCH);
	t = count(&h->c);
	T_ASSERT(t.exposed == KG_CONN_WINDOW_TOTAL_DEFAULT + (uint64_t)(NCH - 4) * KG_CONN_WINDOW_FLOOR);
	T_OK(grow_all(h, NCH, &t));
	for (uint32_t i = 0; i < NCH; i++)
		T_OK(hp_fill(h, i, UINT64_MAX));
	t = count(&h->c);
	T_ASSERT(t.held == t.exposed && t.held <= BOUND && t.held >= KG_CONN_WINDOW_TOTAL_DEFAULT);
	/* Without the budget the same peer would have had 64 x 32 MiB. */
	fprintf(stderr, "  %u channels: %llu bytes held at most (cap %llu)\n", t.open,
		(unsigned long long)t.held, (unsigned long long)BOUND);
	hp_free(h);
	free(h);
}

/* One channel alone grows to KG_CONN_WINDOW_GROW_MAX; a second one
 * opened when the budget is nearly used up starts at what is left, and at
 * worst at the floor; a grown window its peer no longer fills shrinks
 * while the budget is short; the peer's EOF and closing give the budget
 * back. */
static void test_core_budget(void)
{
	kg_conn_config cc;
	server_cfg(&cc);
	hpeer *h = calloc(1, sizeof(*h));
	T_ASSERT(h != NULL);
	T_OK(hp_init(h, &cc));
	T_OK(hp_open(h, 0));
	kg_channel *a = hp_chan(h, 0);
	T_ASSERT(a && a->local_target == KG_CONN_WINDOW_DEFAULT);
	for (int i = 0; i < 10 && a->local_target < KG_CONN_WINDOW_GROW_MAX; i++) {
		T_OK(hp_fill(h, 0, UINT64_MAX));
		T_OK(kg_conn_consumed(&h->c, a, a->local_held));
	}
	T_ASSERT(a->local_target == KG_CONN_WINDOW_GROW_MAX && h->send_win[0] == KG_CONN_WINDOW_GROW_MAX);
	/* A second grows too, but only as far as the budget goes. */
	T_OK(hp_open(h, 1));
	kg_channel *b = hp_chan(h, 1);
	T_ASSERT(b && b->local_target == KG_CONN_WINDOW_DEFAULT);
	for (int i = 0; i < 10; i++) {
		T_OK(hp_fill(h, 1, UINT64_MAX));
		T_OK(kg_conn_consumed(&h->c, b, b->local_held));
	}
	T_ASSERT(b->local_target == KG_CONN_WINDOW_TOTAL_DEFAULT - KG_CONN_WINDOW_GROW_MAX);
	T_ASSERT(h->c.window_sum == KG_CONN_WINDOW_TOTAL_DEFAULT);
	/* Nothing left: a new channel gets the floor, and it works. */
	T_OK(hp_open(h, 2));
	kg_channel *c = hp_chan(h, 2);
	T_ASSERT(c && c->local_target == KG_CONN_WINDOW_FLOOR && h->send_win[2] == KG_CONN_WINDOW_FLOOR);
	T_OK(hp_fill(h, 2, UINT64_MAX));
	T_OK(kg_conn_consumed(&h->c, c, c->local_held));
	T_ASSERT(h->send_win[2] == KG_CONN_WINDOW_FLOOR);
	/* A raise asked by the program is cut to the budget as well. */
	T_OK(kg_conn_set_window(&h->c, c, KG_CONN_WINDOW_GROW_MAX));
	T_ASSERT(c->local_target == KG_CONN_WINDOW_FLOOR);
	/* b's peer now sends only half its window at a time: b is not the
	 * bottleneck, and gives half back while c is short of room. */
	T_OK(hp_fill(h, 1, b->local_target / 2));
	T_OK(kg_conn_consumed(&h->c, b, b->local_held));
	T_ASSERT(b->local_target == (KG_CONN_WINDOW_TOTAL_DEFAULT - KG_CONN_WINDOW_GROW_MAX) / 2);
	T_ASSERT(h->c.window_sum == KG_CONN_WINDOW_TOTAL_DEFAULT - b->local_target + KG_CONN_WINDOW_FLOOR);
	for (int i = 0; i < 12; i++) {
		T_OK(hp_fill(h, 2, UINT64_MAX));
		T_OK(kg_conn_consumed(&h->c, c, c->local_held));
	}
	T_ASSERT(c->local_target > KG_CONN_WINDOW_FLOOR && h->c.window_sum <= KG_CONN_WINDOW_TOTAL_DEFAULT);
	/* The peer may still send all b had been granted. */
	T_OK(hp_fill(h, 1, UINT64_MAX));
	T_OK(kg_conn_consumed(&h->c, b, b->local_held));
	/* The peer's EOF on the big one frees its budget: c may now grow. */
	kg_buf m;
	kg_buf_init(&m, 0);
	kg_conn_event ev;
	T_OK(kg_buf_put_u32(&m, h->srv_id[0]));
	T_OK(kg_conn_handle(&h->c, SSH_MSG_CHANNEL_EOF, kg_buf_ptr(&m), kg_buf_len(&m), &ev));
	T_ASSERT(ev.type == KG_CEV_EOF);
	T_ASSERT(h->c.window_sum == (uint64_t)b->local_target + c->local_target);
	for (int i = 0; i < 12; i++) {
		T_OK(hp_fill(h, 2, UINT64_MAX));
		T_OK(kg_conn_consumed(&h->c, c, c->local_held));
	}
	T_ASSERT(c->local_target == KG_CONN_WINDOW_GROW_MAX);
	/* Closing everything gives it all back. */
	for (uint32_t i = 0; i < 3; i++) {
		kg_channel *ch = hp_chan(h, i);
		kg_buf_reset(&m);
		T_OK(kg_buf_put_u32(&m, h->srv_id[i]));
		T_OK(kg_conn_handle(&h->c, SSH_MSG_CHANNEL_CLOSE, kg_buf_ptr(&m), kg_buf_len(&m), &ev));
		T_ASSERT(ev.type == KG_CEV_CLOSE && ev.ch == ch);
		T_OK(kg_conn_channel_free(&h->c, ch));
		h->confirmed[i] = 0;
	}
	T_ASSERT(h->c.nopen == 0 && h->c.window_sum == 0);
	T_OK(hp_open(h, 3));
	T_ASSERT(hp_chan(h, 3) && hp_chan(h, 3)->local_target == KG_CONN_WINDOW_DEFAULT);
	kg_buf_free(&m);
	hp_free(h);
	free(h);
}

/* A smaller total in the configuration is honoured; 0 is the default. */
static void test_core_config(void)
{
	kg_conn_config cc;
	server_cfg(&cc);
	cc.total_window = 5u * 1024 * 1024;
	hpeer *h = calloc(1, sizeof(*h));
	T_ASSERT(h != NULL);
	T_OK(hp_init(h, &cc));
	for (uint32_t i = 0; i < 4; i++)
		T_OK(hp_open(h, i));
	T_ASSERT(hp_chan(h, 0)->local_target == KG_CONN_WINDOW_DEFAULT);
	T_ASSERT(hp_chan(h, 1)->local_target == KG_CONN_WINDOW_DEFAULT);
	T_ASSERT(hp_chan(h, 2)->local_target == 1024u * 1024);
	T_ASSERT(hp_chan(h, 3)->local_target == KG_CONN_WINDOW_FLOOR);
	hp_free(h);
	cc.total_window = 0;
	T_OK(hp_init(h, &cc));
	T_ASSERT(h->c.cfg.total_window == KG_CONN_WINDOW_TOTAL_DEFAULT);
	hp_free(h);
	free(h);
}

/* kg_chan_out gives its memory back once everything after the peer's EOF
 * is written (the budget stopped counting it at the EOF), so channels
 * that filled and ended their input cannot keep what they grew to. */
static void test_chan_out_release(void)
{
	kg_conn_config cc;
	server_cfg(&cc);
	hpeer *h = calloc(1, sizeof(*h));
	T_ASSERT(h != NULL);
	T_OK(hp_init(h, &cc));
	T_OK(hp_open(h, 0));
	kg_channel *ch = hp_chan(h, 0);
	int p[2];
	T_ASSERT(ch && pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
	(void)fcntl(p[1], F_SETPIPE_SZ, 4096);
	kg_chan_out o;
	kg_chan_out_init(&o, p[1]);
	static uint8_t data[PKT];
	/* The peer fills the window; the program writes what the pipe takes. */
	while (h->send_win[0] > 0) {
		T_OK(hp_fill(h, 0, PKT));
		T_OK(kg_chan_out_put(&o, &h->c, ch, data, PKT));
	}
	T_ASSERT(kg_chan_out_pending(&o) == ch->local_held && o.pending.alloc >= ch->local_held &&
		 ch->local_held > KG_CONN_WINDOW_DEFAULT - 8192);
	kg_buf m;
	kg_buf_init(&m, 0);
	kg_conn_event ev;
	T_OK(kg_buf_put_u32(&m, h->srv_id[0]));
	T_OK(kg_conn_handle(&h->c, SSH_MSG_CHANNEL_EOF, kg_buf_ptr(&m), kg_buf_len(&m), &ev));
	kg_buf_free(&m);
	T_ASSERT(ev.type == KG_CEV_EOF && h->c.window_sum == ch->local_held);
	uint8_t buf[65536];
	for (int i = 0; i < 10000 && kg_chan_out_pending(&o) > 0; i++) {
		T_ASSERT(read(p[0], buf, sizeof(buf)) > 0);
		T_OK(kg_chan_out_flush(&o, &h->c, ch));
	}
	T_ASSERT(kg_chan_out_pending(&o) == 0 && o.pending.alloc == 0 && ch->local_held == 0 && h->c.window_sum == 0);
	kg_chan_out_free(&o);
	close(p[0]);
	close(p[1]);
	hp_free(h);
	free(h);
}

/* ---------------- two engines ---------------- */

#define ENG_CH 64

typedef struct fixture fixture;

/* Server side: a session channel's data goes to a pipe nobody reads
 * (kg_chan_out, as a session's stdin does), after `grow` rounds in which
 * it is delivered each time the peer used up the window. */
typedef struct scons {
	kg_consumer k;
	kg_chan_out out;
	int pipe[2];
	int rounds;
	size_t sunk;
} scons;

/* Client side: sends as much as the window allows. */
typedef struct ccons {
	kg_consumer k;
	uint64_t sent;
} ccons;

struct fixture {
	kg_client c;
	kg_client_config ccfg;
	kg_logger log;
	kg_engine srv;
	kg_transport *str;
	kg_tr_config ctc, stc;
	kg_key *hostkey;
	kg_key *hostkeys[1];
	int a2b[2], b2a[2];
	scons s[ENG_CH];
	int ns;
	ccons cl[ENG_CH];
	int grow;
	/* the key-exchange test */
	kg_consumer bulk;
	uint64_t bulk_sent, bulk_got;
	int bulk_writable;
};

static int accept_any(void *arg, const kg_key *key, const kg_kex_result *kex)
{
	(void)arg, (void)key, (void)kex;
	return KG_OK;
}

static int s_data(kg_consumer *k, uint32_t ext, const uint8_t *d, size_t n)
{
	scons *s = KG_CONSUMER_OF(k, scons, k);
	fixture *f = (fixture *)k->eng->hooks.arg;
	(void)ext;
	kg_conn *c = &k->eng->conn;
	GUARD(kg_chan_out_put(&s->out, c, k->ch, d, n));
	if (s->rounds < f->grow && k->ch->local_window == 0) {
		/* Used up: deliver everything held (the reader drains the pipe). */
		s->rounds++;
		uint8_t buf[65536];
		while (kg_chan_out_pending(&s->out) > 0) {
			ssize_t got = read(s->pipe[0], buf, sizeof(buf));
			if (got > 0)
				s->sunk += (size_t)got;
			GUARD(kg_chan_out_flush(&s->out, c, k->ch));
		}
	}
	return KG_OK;
}

static const kg_consumer_ops s_ops = { .data = s_data };

static int s_open(void *arg, kg_channel *ch, const kg_conn_event *ev)
{
	fixture *f = arg;
	(void)ev;
	ENSURE(f->ns < ENG_CH, KG_ERR_INTERNAL);
	scons *s = &f->s[f->ns++];
	ENSURE(pipe2(s->pipe, O_NONBLOCK | O_CLOEXEC) == 0, KG_ERR_SYSTEM);
	(void)fcntl(s->pipe[1], F_SETPIPE_SZ, 4096);
	kg_chan_out_init(&s->out, s->pipe[1]);
	kg_engine_attach(&f->srv, ch, &s->k, &s_ops);
	return kg_conn_open_confirm(&f->srv.conn, ch);
}

static int c_pump(kg_consumer *k)
{
	static uint8_t data[64 * 1024];
	ccons *cl = KG_CONSUMER_OF(k, ccons, k);
	kg_channel *ch = k->ch;
	while (ch && ch->state == KG_CH_OPEN && ch->remote_window > 0 && kg_engine_may_send(k->eng)) {
		size_t sent = 0;
		GUARD(kg_conn_send_data(&k->eng->conn, ch, 0, data, sizeof(data), &sent));
		cl->sent += sent;
	}
	return KG_OK;
}

static int c_opened(kg_consumer *k, const kg_conn_event *ev)
{
	(void)ev;
	return c_pump(k);
}

static const kg_consumer_ops c_ops = { .opened = c_opened, .writable = c_pump };

static int both_ready(void *arg)
{
	fixture *f = arg;
	return kg_tr_ready(f->c.tr) && kg_tr_ready(f->str);
}

static int fx_setup(fixture *f, const kg_conn_config *ccc)
{
	memset(f, 0, sizeof(*f));
	if (pipe2(f->a2b, O_NONBLOCK | O_CLOEXEC) != 0 || pipe2(f->b2a, O_NONBLOCK | O_CLOEXEC) != 0)
		return KG_ERR_SYSTEM;
	GUARD(kg_key_generate(KG_KEY_ED25519, 0, &f->hostkey));
	f->hostkeys[0] = f->hostkey;
	f->ctc = (kg_tr_config){ .kex_algs = "curve25519-sha256", .hostkey_algs = "ssh-ed25519",
				 .ciphers = "aes128-gcm@openssh.com", .macs = "hmac-sha2-256", .compression = "none",
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
	kg_engine_hooks h = { .open_request = s_open, .arg = f };
	GUARD(kg_engine_init(&f->srv, &c->loop, f->a2b[0], f->b2a[1], f->str, &h));
	GUARD(kg_engine_run(&c->eng, both_ready, f, 5000));
	kg_conn_config sc;
	server_cfg(&sc);
	GUARD(kg_engine_start_channels(&c->eng, ccc, KG_CONN_CLIENT));
	GUARD(kg_engine_start_channels(&f->srv, &sc, KG_CONN_SERVER));
	return KG_OK;
}

static void fx_free(fixture *f)
{
	kg_engine_free(&f->srv);
	kg_client_close(&f->c);
	kg_tr_free(f->str);
	kg_key_free(f->hostkey);
	kg_client_config_free(&f->ccfg);
	for (int i = 0; i < f->ns; i++) {
		kg_chan_out_free(&f->s[i].out);
		close(f->s[i].pipe[0]);
		close(f->s[i].pipe[1]);
	}
	for (int i = 0; i < 2; i++) {
		if (f->a2b[i] > 0)
			close(f->a2b[i]);
		if (f->b2a[i] > 0)
			close(f->b2a[i]);
	}
}

/* Every client window is shut and the server has seen it all. */
static int all_full(void *arg)
{
	fixture *f = arg;
	if (f->ns < ENG_CH)
		return 0;
	for (int i = 0; i < ENG_CH; i++) {
		kg_channel *ch = f->cl[i].k.ch;
		if (!ch || ch->state != KG_CH_OPEN || ch->remote_window > 0)
			return 0;
		if (f->s[i].k.ch->local_window > 0)
			return 0;
	}
	return kg_tr_output_pending(f->c.tr) == 0;
}

#define EARLY 4

static int early_grown(void *arg)
{
	fixture *f = arg;
	if (f->ns < EARLY)
		return 0;
	for (int i = 0; i < EARLY; i++)
		if (f->s[i].rounds < f->grow)
			return 0;
	return 1;
}

/* 64 session channels from one client, each fed as fast as its window
 * allows while the server's consumers cannot deliver (after rounds that
 * let the windows of the first few grow): what the server holds for them is bounded
 * by the connection's budget, not 64 windows of 32 MiB. */
static void test_engine_many_channels(void)
{
	fixture *f = calloc(1, sizeof(*f));
	T_ASSERT(f != NULL);
	kg_conn_config ccc;
	kg_conn_config_default(&ccc);
	T_OK(fx_setup(f, &ccc));
	f->grow = 4;
	for (int i = 0; i < ENG_CH; i++) {
		kg_channel *ch = NULL;
		T_OK(kg_conn_open_session(&f->c.eng.conn, &ch));
		kg_engine_attach(&f->c.eng, ch, &f->cl[i].k, &c_ops);
		/* The first few grow their windows before the others come. */
		if (i == EARLY - 1)
			T_OK(kg_engine_run(&f->srv, early_grown, f, 20000));
	}
	T_OK(kg_engine_run(&f->srv, all_full, f, 20000));
	uint64_t pending = 0, held = 0, sent = 0, sunk = 0;
	uint32_t biggest = 0;
	for (int i = 0; i < ENG_CH; i++) {
		kg_channel *ch = f->s[i].k.ch;
		pending += kg_chan_out_pending(&f->s[i].out);
		held += ch->local_held;
		sent += f->cl[i].sent;
		sunk += f->s[i].sunk;
		if (ch->local_target > biggest)
			biggest = ch->local_target;
	}
	fprintf(stderr, "  %d channels: %llu sent, %llu delivered, %llu held by the server (cap %llu), "
		"largest window %u\n", ENG_CH, (unsigned long long)sent, (unsigned long long)sunk,
		(unsigned long long)held, (unsigned long long)BOUND, biggest);
	/* Held is what sits in the consumers' buffers (plus a pipe's worth
	 * each in the kernel): all of it under the budget. */
	T_ASSERT(pending <= held && held <= BOUND && f->srv.conn.window_sum <= BOUND);
	/* The budget is all in use (a window may have up to half of it
	 * delivered but not granted again yet), and windows did grow. */
	T_ASSERT(f->srv.conn.window_sum >= KG_CONN_WINDOW_TOTAL_DEFAULT && held >= KG_CONN_WINDOW_TOTAL_DEFAULT / 2);
	T_ASSERT(biggest > KG_CONN_WINDOW_DEFAULT);
	/* Everything sent is delivered, held, or in a pipe (4 KiB each). */
	T_ASSERT(sent >= sunk + held && sent - sunk - held <= (uint64_t)ENG_CH * 4096);
	fx_free(f);
	free(f);
}

#define BULK (24u * 1024 * 1024)

/* The server consumer's bulk sender: as much as may_send allows. */
static int bulk_pump(kg_consumer *k)
{
	static uint8_t data[64 * 1024];
	fixture *f = (fixture *)k->eng->hooks.arg;
	f->bulk_writable++;
	kg_channel *ch = k->ch;
	while (ch && ch->remote_window > 0 && kg_engine_may_send(k->eng) && f->bulk_sent < BULK) {
		size_t sent = 0, n = BULK - f->bulk_sent < sizeof(data) ? (size_t)(BULK - f->bulk_sent) : sizeof(data);
		GUARD(kg_conn_send_data(&k->eng->conn, ch, 0, data, n, &sent));
		f->bulk_sent += sent;
	}
	return KG_OK;
}

static const kg_consumer_ops bulk_ops = { .writable = bulk_pump };

static int bulk_open(void *arg, kg_channel *ch, const kg_conn_event *ev)
{
	fixture *f = arg;
	(void)ev;
	kg_engine_attach(&f->srv, ch, &f->bulk, &bulk_ops);
	return kg_conn_open_confirm(&f->srv.conn, ch);
}

static int got_data(kg_consumer *k, uint32_t ext, const uint8_t *d, size_t n)
{
	ccons *cl = KG_CONSUMER_OF(k, ccons, k);
	(void)ext, (void)d;
	cl->sent += n;  /* here: received */
	return kg_conn_consumed(&k->eng->conn, k->ch, n);
}

static const kg_consumer_ops recv_ops = { .data = got_data };

static int chan_open(void *arg)
{
	fixture *f = arg;
	return f->bulk.ch && f->bulk.ch->state == KG_CH_OPEN && f->cl[0].k.ch &&
	       f->cl[0].k.ch->state == KG_CH_OPEN;
}

static int all_back(void *arg)
{
	fixture *f = arg;
	return f->bulk_sent == BULK && f->cl[0].sent == BULK;
}

/* While our key exchange runs, what a consumer sends is held by the
 * transport (at most 16 MiB): the engine counts it in its backlog, so the
 * consumer stops at KG_ENGINE_BACKLOG and is resumed when the exchange
 * is over, instead of the connection failing. */
static void test_engine_held_during_kex(void)
{
	fixture *f = calloc(1, sizeof(*f));
	T_ASSERT(f != NULL);
	kg_conn_config ccc;
	kg_conn_config_default(&ccc);
	ccc.window = KG_CONN_WINDOW_GROW_MAX;  /* the server may send 32 MiB at once */
	T_OK(fx_setup(f, &ccc));
	f->srv.hooks.open_request = bulk_open;
	kg_channel *ch = NULL;
	T_OK(kg_conn_open_session(&f->c.eng.conn, &ch));
	kg_engine_attach(&f->c.eng, ch, &f->cl[0].k, &recv_ops);
	T_OK(kg_engine_run(&f->srv, chan_open, f, 5000));
	/* The server starts a key exchange; the client does not answer yet
	 * (the loop does not run), and the consumer sends all it may. */
	T_OK(kg_tr_rekey(f->str));
	T_OK(bulk_pump(&f->bulk));
	size_t held = kg_tr_held_pending(f->str);
	T_ASSERT(f->srv.status == 0 && !kg_engine_may_send(&f->srv));
	T_ASSERT(held >= KG_ENGINE_BACKLOG && held < KG_ENGINE_BACKLOG + 128u * 1024);
	T_ASSERT(f->bulk.ch->remote_window > 16u * 1024 * 1024);  /* the window did not stop it */
	/* Once the exchange is over the consumer is resumed, the data flows. */
	int before = f->bulk_writable;
	T_OK(kg_engine_run(&f->srv, all_back, f, 20000));
	T_ASSERT(f->bulk_writable > before && f->cl[0].sent == BULK && f->srv.status == 0);
	T_ASSERT(kg_tr_kex_result(f->str)->count >= 2);
	fx_free(f);
	free(f);
}

int main(void)
{
	T_RUN(test_core_many_channels);
	T_RUN(test_core_budget);
	T_RUN(test_core_config);
	T_RUN(test_chan_out_release);
	T_RUN(test_engine_many_channels);
	T_RUN(test_engine_held_during_kex);
	return T_DONE();
}
