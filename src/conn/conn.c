/* The connection engine (see conn.h): the socket pump, the dispatch of
 * connection-layer events to channel consumers, and the helpers that move
 * channel data to and from local descriptors. */
#include <stdlib.h>
#include <string.h>
#include "conn/conn.h"
#include "sys/net.h"

/* Held channel data for one descriptor never exceeds the largest window
 * we grant plus a packet; this cap only catches a peer that ignores it. */
#define CHAN_OUT_MAX (KG_CONN_WINDOW_GROW_MAX + KG_CONN_MAXPKT_LIMIT + 1024)

static void update_io(kg_engine *e);

/* What consumers are held back by: the output not yet written plus the
 * messages the transport holds while our key exchange runs (those are
 * capped, one too many is an error, so consumers must not fill them). */
static size_t backlog(const kg_engine *e)
{
	return kg_tr_output_pending(e->tr) + kg_tr_held_pending(e->tr);
}

/* ---------------- loop registration ---------------- */

static void on_fd(void *ctx, int fd, int revents);

static int set_interest(kg_engine *e, int rd, int wr)
{
	if (e->rfd == e->wfd) {
		if (rd != e->rd_on || wr != e->wr_on)
			GUARD(kg_loop_set_events(e->loop, e->rfd, (rd ? KG_LOOP_READ : 0) | (wr ? KG_LOOP_WRITE : 0)));
	} else {
		if (rd != e->rd_on)
			GUARD(kg_loop_set_events(e->loop, e->rfd, rd ? KG_LOOP_READ : 0));
		/* A pipe's write end reports POLLERR without any interest once
		 * the reader is gone: it is registered only while it has work. */
		if (wr && !e->wr_on)
			GUARD(kg_loop_add_fd(e->loop, e->wfd, KG_LOOP_WRITE, on_fd, e));
		else if (!wr && e->wr_on)
			GUARD(kg_loop_remove_fd(e->loop, e->wfd));
	}
	e->rd_on = rd;
	e->wr_on = wr;
	return KG_OK;
}

static void unregister(kg_engine *e)
{
	if (!e->registered)
		return;
	(void)!kg_loop_remove_fd(e->loop, e->rfd);
	if (e->wfd != e->rfd && e->wr_on)
		(void)!kg_loop_remove_fd(e->loop, e->wfd);
	e->registered = 0;
	e->rd_on = e->wr_on = 0;
}

/* ---------------- consumers ---------------- */

void kg_engine_attach(kg_engine *e, kg_channel *ch, kg_consumer *k, const kg_consumer_ops *ops)
{
	k->ops = ops;
	k->eng = e;
	k->ch = ch;
	ch->user = k;
}

void kg_engine_detach(kg_consumer *k)
{
	if (k->ch && k->ch->user == k)
		k->ch->user = NULL;
	k->ch = NULL;
}

void kg_watch_set(kg_engine *e, kg_watch *w, int fd, int events, kg_loop_fd_cb cb, void *ctx)
{
	if (w->fd >= 0 && (w->fd != fd || events == 0)) {
		(void)!kg_loop_remove_fd(e->loop, w->fd);
		w->fd = -1;
	}
	if (fd < 0 || events == 0)
		return;
	int r = KG_OK;
	if (w->fd < 0) {
		r = kg_loop_add_fd(e->loop, fd, events, cb, ctx);
		if (r == KG_OK)
			w->fd = fd;
	} else if (w->events != events) {
		r = kg_loop_set_events(e->loop, fd, events);
	}
	w->events = events;
	if (r < 0)
		kg_engine_fail(e, r);
}

static void release(kg_channel *ch)
{
	kg_consumer *k = ch->user;
	ch->user = NULL;
	if (!k)
		return;
	k->ch = NULL;
	if (k->ops->release)
		k->ops->release(k);
}

/* The backlog fell under its cap: every consumer may read again. */
static int resume_consumers(kg_engine *e)
{
	for (uint32_t i = 0; e->conn_ready && i < e->conn.cfg.max_channels; i++) {
		kg_consumer *k = e->conn.chans[i].state != KG_CH_FREE ? e->conn.chans[i].user : NULL;
		if (k && k->ops->writable)
			GUARD(k->ops->writable(k));
	}
	return KG_OK;
}

/* ---------------- global requests ---------------- */

int kg_engine_send_global(kg_engine *e, const char *name, const uint8_t *data, size_t len,
			  kg_global_reply_cb cb, void *arg)
{
	ENSURE(e->conn_ready, KG_ERR_ARG);
	ENSURE(!cb || e->greq_count < KG_ENGINE_GLOBAL_PENDING, KG_ERR_ARG);
	GUARD(kg_conn_send_global(&e->conn, name, cb != NULL, data, len));
	if (cb) {
		kg_engine_greq *q = &e->greq[(e->greq_head + e->greq_count) % KG_ENGINE_GLOBAL_PENDING];
		q->cb = cb;
		q->arg = arg;
		e->greq_count++;
	}
	return KG_OK;
}

void kg_engine_forget_global(kg_engine *e, const void *arg)
{
	for (unsigned i = 0; i < e->greq_count; i++) {
		kg_engine_greq *q = &e->greq[(e->greq_head + i) % KG_ENGINE_GLOBAL_PENDING];
		if (q->arg == arg)
			q->cb = NULL;
	}
}

int kg_engine_global_ignored(void *arg, int ok, const uint8_t *data, size_t len)
{
	(void)arg, (void)ok, (void)data, (void)len;
	return KG_OK;
}

/* The core has checked that a reply was due; the ring holds one entry
 * for each request sent through kg_engine_send_global. */
static int global_reply(kg_engine *e, const kg_conn_event *ev)
{
	ENSURE(e->greq_count > 0, KG_ERR_INTERNAL);
	kg_engine_greq q = e->greq[e->greq_head];
	e->greq_head = (e->greq_head + 1) % KG_ENGINE_GLOBAL_PENDING;
	e->greq_count--;
	return q.cb ? q.cb(q.arg, ev->ok, ev->data, ev->len) : KG_OK;
}

/* ---------------- round trips, for window growth ---------------- */

static int probe_answered(void *arg, int ok, const uint8_t *data, size_t len)
{
	(void)ok, (void)data, (void)len;
	kg_engine *e = arg;
	uint64_t now = kg_monotonic_ms();
	uint32_t rtt = now > e->probe_sent_ms ? (uint32_t)(now - e->probe_sent_ms) : 1;
	e->probe_pending = 0;
	e->rtt_sample[e->rtt_samples++ % KG_ENGINE_RTT_SAMPLES] = rtt;
	unsigned n = e->rtt_samples < KG_ENGINE_RTT_SAMPLES ? e->rtt_samples : KG_ENGINE_RTT_SAMPLES;
	uint32_t best = UINT32_MAX;
	for (unsigned i = 0; i < n; i++)
		if (e->rtt_sample[i] < best)
			best = e->rtt_sample[i];
	kg_conn_set_rtt(&e->conn, best);
	return KG_OK;
}

static uint64_t engine_clock(void *arg)
{
	(void)arg;
	return kg_monotonic_ms();
}

/* Data arrived on a channel: time a round trip if none was lately. */
static int probe_rtt(kg_engine *e)
{
	if (e->conn.cfg.max_window == 0 || e->probe_pending || e->greq_count >= KG_ENGINE_GLOBAL_PENDING)
		return KG_OK;
	uint64_t now = kg_monotonic_ms();
	if (e->rtt_samples > 0 && now - e->probe_sent_ms < KG_ENGINE_PROBE_MS)
		return KG_OK;
	GUARD(kg_engine_send_global(e, "keepalive@openssh.com", NULL, 0, probe_answered, e));
	e->probe_pending = 1;
	e->probe_sent_ms = now;
	return KG_OK;
}

/* ---------------- events ---------------- */

static int on_event(kg_engine *e, const kg_conn_event *ev)
{
	kg_conn *c = &e->conn;
	kg_consumer *k = ev->ch ? ev->ch->user : NULL;
	const kg_consumer_ops *ops = k ? k->ops : NULL;
	int r = KG_OK;
	switch (ev->type) {
	case KG_CEV_OPEN_REQUEST:
		if (e->hooks.open_request)
			return e->hooks.open_request(e->hooks.arg, ev->ch, ev);
		return kg_conn_open_fail(c, ev->ch, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed");
	case KG_CEV_GLOBAL_REQUEST:
		if (e->hooks.global_request)
			return e->hooks.global_request(e->hooks.arg, ev);
		return ev->want_reply ? kg_conn_global_reply(c, 0, NULL, 0) : KG_OK;
	case KG_CEV_OPEN_CONFIRMED:
		return ops && ops->opened ? ops->opened(k, ev) : KG_OK;
	case KG_CEV_OPEN_FAILED:
		if (ops && ops->open_failed)
			r = ops->open_failed(k, ev);
		release(ev->ch);
		GUARD(r);
		return kg_conn_channel_free(c, ev->ch);
	case KG_CEV_DATA:
		GUARD(probe_rtt(e));
		if (ops && ops->data)
			return ops->data(k, ev->ext, ev->data, ev->len);
		return kg_conn_consumed(c, ev->ch, ev->len);
	case KG_CEV_EOF:
		return ops && ops->eof ? ops->eof(k) : KG_OK;
	case KG_CEV_CLOSE:
		release(ev->ch);
		return kg_conn_channel_free(c, ev->ch);
	case KG_CEV_REQUEST:
		if (ops && ops->request)
			return ops->request(k, ev);
		return ev->want_reply ? kg_conn_request_reply(c, ev->ch, 0) : KG_OK;
	case KG_CEV_REQUEST_SUCCESS:
	case KG_CEV_REQUEST_FAILURE:
		return ops && ops->reply ? ops->reply(k, ev->type == KG_CEV_REQUEST_SUCCESS) : KG_OK;
	case KG_CEV_WINDOW:
		return ops && ops->writable ? ops->writable(k) : KG_OK;
	case KG_CEV_GLOBAL_REPLY:
		return global_reply(e, ev);
	default:
		return KG_OK;
	}
}

/* ---------------- packets ---------------- */

static int dispatch(kg_engine *e, int type, const uint8_t *p, size_t n)
{
	if (!e->conn_ready) {
		if (e->hooks.message)
			return e->hooks.message(e->hooks.arg, type, p, n);
		return kg_tr_send_unimplemented(e->tr);
	}
	if (type >= SSH_MSG_GLOBAL_REQUEST && type <= SSH_MSG_CHANNEL_FAILURE) {
		kg_conn_event ev;
		int r = kg_conn_handle(&e->conn, (uint8_t)type, p + 1, n - 1, &ev);
		if (r >= 0)
			r = on_event(e, &ev);
		if (r < 0 && !kg_tr_is_closed(e->tr))
			kg_tr_disconnect(e->tr, SSH_DISCONNECT_PROTOCOL_ERROR, e->proto_error);
		return r;
	}
	if (type >= 50 && type <= 79)
		return KG_OK;  /* RFC 4252 5.1: userauth messages after success are ignored */
	return kg_tr_send_unimplemented(e->tr);
}

static int process_input(kg_engine *e)
{
	const uint8_t *p;
	size_t n;
	int r = KG_ERR_AGAIN;
	while (e->status == 0 && (r = kg_tr_read_packet(e->tr, &p, &n)) > 0) {
		e->rx_packets++;
		e->last_rx_ms = kg_monotonic_ms();
		GUARD(dispatch(e, r, p, n));
	}
	if (e->status)
		return KG_OK;
	return r == KG_ERR_AGAIN ? KG_OK : r;
}

static int sock_read(kg_engine *e)
{
	uint8_t *p;
	size_t avail, n = 0;
	GUARD(kg_tr_input_space(e->tr, &p, &avail));
	int r = kg_fd_read(e->rfd, p, avail, &n);
	if (r == KG_ERR_AGAIN)
		return KG_OK;
	if (r == KG_ERR_CLOSED)
		e->peer_eof = 1;
	GUARD(r);
	kg_tr_input_commit(e->tr, n);
	e->last_io_ms = kg_monotonic_ms();
	GUARD(process_input(e));
	return kg_tr_tick(e->tr, (time_t)(kg_monotonic_ms() / 1000));
}

static int sock_write(kg_engine *e)
{
	for (;;) {
		size_t len, done = 0;
		const uint8_t *p = kg_tr_output(e->tr, &len);
		if (len == 0)
			return KG_OK;
		int r = kg_fd_write(e->wfd, p, len, &done);
		if (r == KG_ERR_AGAIN)
			return KG_OK;
		GUARD(r);
		kg_tr_output_consume(e->tr, done);
		e->last_io_ms = kg_monotonic_ms();
	}
}

static void on_fd(void *ctx, int fd, int revents)
{
	kg_engine *e = ctx;
	if (fd == e->wfd && (revents & (POLLOUT | POLLERR | POLLHUP)) && kg_tr_output_pending(e->tr)) {
		int r = sock_write(e);
		if (r < 0) {
			kg_engine_fail(e, r);
			unregister(e);  /* the socket cannot be written: nothing more to do */
			return;
		}
	}
	if (fd == e->rfd && e->status == 0 && (revents & (POLLIN | POLLHUP | POLLERR))) {
		int r = sock_read(e);
		if (r < 0) {
			kg_engine_fail(e, r);
			return;
		}
	}
	kg_engine_kick(e);
}

/* Interest follows the state: write while output is queued; read while
 * running and the output is under the backlog cap (held messages do not
 * stop reading: the key exchange that releases them needs the peer's
 * answers).  An ended engine leaves the loop once its output is written. */
static void update_io(kg_engine *e)
{
	if (!e->registered)
		return;
	if (e->status == 0 && kg_tr_is_closed(e->tr))
		e->status = KG_ERR_CLOSED;
	size_t pend = kg_tr_output_pending(e->tr);
	int rd = e->status == 0 && !e->peer_eof && pend < KG_ENGINE_BACKLOG;
	int wr = pend > 0;
	if (e->status != 0 && !wr) {
		unregister(e);
		return;
	}
	if (backlog(e) >= KG_ENGINE_BACKLOG)
		e->blocked = 1;
	int r = set_interest(e, rd, wr);
	if (r < 0 && e->status == 0)
		e->status = r;
}

/* Writes what the socket takes now; a write error ends the engine. */
static int write_now(kg_engine *e)
{
	if (e->registered && kg_tr_output_pending(e->tr)) {
		int r = sock_write(e);
		if (r < 0 && r != KG_ERR_AGAIN) {
			kg_engine_fail(e, r);
			unregister(e);
			return r;
		}
	}
	return KG_OK;
}

void kg_engine_pump(kg_engine *e)
{
	int r = process_input(e);
	if (r < 0)
		kg_engine_fail(e, r);
	update_io(e);
}

void kg_engine_kick(kg_engine *e)
{
	if (write_now(e) < 0)
		return;
	if (e->blocked && e->status == 0 && backlog(e) < KG_ENGINE_BACKLOG) {
		e->blocked = 0;
		int r = resume_consumers(e);
		if (r < 0) {
			kg_engine_fail(e, r);
			return;
		}
	}
	update_io(e);
}

void kg_engine_fail(kg_engine *e, int err)
{
	if (e->status == 0)
		e->status = err < 0 ? err : KG_ERR_INTERNAL;
	update_io(e);
}

int kg_engine_may_send(const kg_engine *e)
{
	return e->status == 0 && backlog(e) < KG_ENGINE_BACKLOG;
}

/* ---------------- the sink: output noted as it is queued ---------------- */

static int sink_begin(void *arg, uint8_t type, kg_buf **payload)
{
	kg_engine *e = arg;
	return kg_sink_begin(kg_tr_sink(e->tr), type, payload);
}

static int sink_end(void *arg)
{
	kg_engine *e = arg;
	GUARD(kg_sink_end(kg_tr_sink(e->tr)));
	if (!e->wr_on || backlog(e) >= KG_ENGINE_BACKLOG)
		update_io(e);
	return KG_OK;
}

/* ---------------- life ---------------- */

static void on_tick(void *ctx, uint64_t id)
{
	kg_engine *e = ctx;
	(void)id;
	e->tick_id = 0;
	if (e->status)
		return;
	int r = kg_tr_tick(e->tr, (time_t)(kg_monotonic_ms() / 1000));
	if (r >= 0)
		r = kg_loop_add_timer(e->loop, KG_ENGINE_TICK_MS, on_tick, e, &e->tick_id);
	if (r < 0)
		kg_engine_fail(e, r);
	else
		kg_engine_kick(e);
}

int kg_engine_init(kg_engine *e, kg_loop *lp, int rfd, int wfd, kg_transport *tr, const kg_engine_hooks *hooks)
{
	memset(e, 0, sizeof(*e));
	e->loop = lp;
	e->rfd = rfd;
	e->wfd = wfd;
	e->tr = tr;
	if (hooks)
		e->hooks = *hooks;
	e->proto_error = "connection protocol error";
	e->last_io_ms = kg_monotonic_ms();
	e->rdbuf = malloc(KG_ENGINE_READ_CHUNK);
	ENSURE(e->rdbuf != NULL, KG_ERR_ALLOC);
	GUARD(kg_loop_add_fd(lp, rfd, KG_LOOP_READ, on_fd, e));
	e->registered = 1;
	e->rd_on = 1;
	GUARD(kg_loop_add_timer(lp, KG_ENGINE_TICK_MS, on_tick, e, &e->tick_id));
	GUARD(kg_tr_tick(tr, (time_t)(kg_monotonic_ms() / 1000)));
	update_io(e);  /* our identification line is already queued */
	return KG_OK;
}

void kg_engine_free(kg_engine *e)
{
	if (e->conn_ready) {
		for (uint32_t i = 0; i < e->conn.cfg.max_channels; i++)
			if (e->conn.chans[i].state != KG_CH_FREE)
				release(&e->conn.chans[i]);
		kg_conn_free(&e->conn);
		e->conn_ready = 0;
	}
	if (e->tick_id)
		(void)!kg_loop_cancel_timer(e->loop, e->tick_id);
	e->tick_id = 0;
	unregister(e);
	free(e->rdbuf);
	e->rdbuf = NULL;
}

int kg_engine_start_channels(kg_engine *e, const kg_conn_config *cc, kg_conn_role role)
{
	ENSURE(!e->conn_ready, KG_ERR_ARG);
	kg_pkt_sink sink = { sink_begin, sink_end, e };
	kg_conn_config own;
	if (cc && cc->max_window) {
		/* Growing windows: rate samples on our clock, the first round
		 * trip from TCP (a relay or tunnel on the way hides the rest of
		 * the path from it: the probes correct it), and a send buffer
		 * for a long path.  Over pipes neither applies. */
		own = *cc;
		own.clock_ms = engine_clock;
		own.clock_arg = NULL;
		cc = &own;
	}
	GUARD(kg_conn_init(&e->conn, cc, &sink, role));
	e->conn_ready = 1;
	uint32_t rtt;
	int sndbuf;
	if (cc && cc->max_window && e->rfd == e->wfd && kg_net_tcp_rtt_ms(e->rfd, &rtt) == KG_OK) {
		kg_conn_set_rtt(&e->conn, rtt);
		(void)!kg_net_tune_bulk(e->rfd, &sndbuf);
	}
	return KG_OK;
}

int kg_engine_run(kg_engine *e, int (*done)(void *arg), void *arg, int timeout_ms)
{
	uint64_t start = kg_monotonic_ms();
	for (;;) {
		if (done && done(arg))
			return KG_OK;
		if (e->status)
			return e->status;
		int wait = -1;
		if (timeout_ms >= 0) {
			uint64_t since = e->last_io_ms > start ? e->last_io_ms : start, now = kg_monotonic_ms();
			if (now - since >= (uint64_t)timeout_ms)
				return KG_ERR_TIMEOUT;
			wait = (int)(since + (uint64_t)timeout_ms - now);
		}
		int r = kg_loop_run_once(e->loop, wait);
		if (r < 0 && r != KG_ERR_AGAIN)
			return r;
	}
}

int kg_engine_flush(kg_engine *e, int timeout_ms)
{
	size_t len;
	const uint8_t *p = kg_tr_output(e->tr, &len);
	int r = KG_OK;
	if (len) {
		r = kg_fd_write_all(e->wfd, p, len, timeout_ms);
		if (r == KG_OK)
			kg_tr_output_consume(e->tr, len);
	}
	update_io(e);
	return r;
}

/* ---------------- channel data and local descriptors ---------------- */

int kg_engine_send_from_fd(kg_engine *e, kg_channel *ch, uint32_t ext, int fd, int *eof)
{
	size_t want = ch->remote_window;
	if (want > KG_ENGINE_READ_CHUNK)
		want = KG_ENGINE_READ_CHUNK;
	if (want == 0 || !kg_engine_may_send(e))
		return KG_OK;
	size_t n = 0, sent = 0;
	int r = kg_fd_read(fd, e->rdbuf, want, &n);
	if (r == KG_ERR_AGAIN)
		return KG_OK;
	if (r < 0) {  /* EOF, or EIO from a pty whose other side is gone */
		*eof = 1;
		return KG_OK;
	}
	r = kg_conn_send_data(&e->conn, ch, ext, e->rdbuf, n, &sent);
	if (r == KG_ERR_CLOSED || r == KG_ERR_ARG) {
		*eof = 1;  /* the channel is going away: discard */
		return KG_OK;
	}
	GUARD(r);
	ENSURE(sent == n, KG_ERR_INTERNAL);
	/* Write while the sealed packets are still in cache rather than on the
	 * loop's next turn (measurably faster for bulk uploads).  Consumers are
	 * not resumed from here: that is kg_engine_kick's, from the loop. */
	GUARD(write_now(e));
	update_io(e);
	return KG_OK;
}

void kg_chan_out_init(kg_chan_out *o, int fd)
{
	o->fd = fd;
	o->failed = 0;
	kg_buf_init(&o->pending, CHAN_OUT_MAX);
}

void kg_chan_out_free(kg_chan_out *o)
{
	kg_buf_free(&o->pending);
}

static int grant(kg_conn *c, kg_channel *ch, size_t n)
{
	return ch && n ? kg_conn_consumed(c, ch, n) : KG_OK;
}

int kg_chan_out_drop(kg_chan_out *o, kg_conn *c, kg_channel *ch)
{
	size_t n = kg_buf_len(&o->pending);
	kg_buf_free(&o->pending);  /* nothing more is kept: none of its room either */
	o->failed = 1;
	return grant(c, ch, n);
}

int kg_chan_out_put(kg_chan_out *o, kg_conn *c, kg_channel *ch, const uint8_t *d, size_t n)
{
	if (o->failed)
		return grant(c, ch, n);
	if (o->fd >= 0 && kg_buf_len(&o->pending) == 0) {
		size_t done = 0;
		int r = kg_fd_write(o->fd, d, n, &done);
		if (r == KG_OK) {
			GUARD(grant(c, ch, done));
			d += done;
			n -= done;
		} else if (r != KG_ERR_AGAIN) {
			/* The reader went away: drop what it would not take. */
			GUARD(kg_chan_out_drop(o, c, ch));
			return grant(c, ch, n);
		}
	}
	if (n == 0)
		return KG_OK;
	return kg_buf_put(&o->pending, d, n) < 0 ? KG_ERR_CHANNEL : KG_OK;
}

int kg_chan_out_flush(kg_chan_out *o, kg_conn *c, kg_channel *ch)
{
	while (o->fd >= 0 && !o->failed && kg_buf_len(&o->pending) > 0) {
		size_t done = 0;
		int r = kg_fd_write(o->fd, kg_buf_ptr(&o->pending), kg_buf_len(&o->pending), &done);
		if (r == KG_ERR_AGAIN)
			return KG_OK;
		if (r < 0)
			return kg_chan_out_drop(o, c, ch);
		GUARD(kg_buf_consume(&o->pending, done));
		GUARD(grant(c, ch, done));
	}
	/* After the peer's EOF nothing more comes: the room the buffer grew
	 * to goes back too (the window budget no longer counts it). */
	if (kg_buf_len(&o->pending) == 0 && o->pending.alloc > 0 && (!ch || ch->eof_rcvd))
		kg_buf_free(&o->pending);
	return KG_OK;
}
