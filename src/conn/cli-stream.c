/* Channel streams: blocking reads and writes over one channel, running the
 * connection engine underneath.  Received data is granted back to the
 * server only as the caller reads it, so a slow reader slows the sender
 * down. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conn/cli-stream.h"
#include "sys/net.h"

static kg_stream *of(kg_consumer *k)
{
	return KG_CONSUMER_OF(k, kg_stream, k);
}

static int on_opened(kg_consumer *k, const kg_conn_event *ev)
{
	(void)ev;
	of(k)->confirmed = 1;
	return KG_OK;
}

static int on_open_failed(kg_consumer *k, const kg_conn_event *ev)
{
	kg_error(of(k)->c->log, "channel open failed: %.*s", (int)ev->len, (const char *)ev->data);
	return KG_OK;
}

static int on_data(kg_consumer *k, uint32_t ext, const uint8_t *d, size_t n)
{
	kg_stream *s = of(k);
	if (ext == SSH_EXTENDED_DATA_STDERR) {
		if (s->stderr_fd >= 0)
			(void)!kg_fd_write_all(s->stderr_fd, d, n, 5000);
		return kg_conn_consumed(&k->eng->conn, k->ch, n);
	}
	return kg_buf_put(&s->in, d, n);
}

static int on_eof(kg_consumer *k)
{
	of(k)->eof_rcvd = 1;
	return KG_OK;
}

static int on_request(kg_consumer *k, const kg_conn_event *ev)
{
	kg_stream *s = of(k);
	return kg_client_channel_request(s->c, k, ev, &s->exit_status, &s->got_exit);
}

static int on_reply(kg_consumer *k, int ok)
{
	kg_stream *s = of(k);
	s->request_done = 1;
	s->request_ok = ok;
	return KG_OK;
}

static void on_release(kg_consumer *k)
{
	kg_stream *s = of(k);
	s->closed = 1;
	s->eof_rcvd = 1;
}

static const kg_consumer_ops stream_ops = {
	.opened = on_opened, .open_failed = on_open_failed, .data = on_data, .eof = on_eof,
	.request = on_request, .reply = on_reply, .release = on_release,
};

/* The connection ended: says so once, as the old blocking client did. */
static int ended(kg_stream *s, int r)
{
	kg_client *c = s->c;
	if (!s->reported) {
		s->reported = 1;
		if (r == KG_ERR_CLOSED && c->eng.peer_eof) {
			kg_error(c->log, "Connection to %s closed by remote host.", c->cfg->hostname);
		} else {
			const char *why = kg_tr_error_text(c->tr);
			kg_error(c->log, "Connection to %s closed: %s", c->cfg->hostname, why && *why ? why : kg_err_str(r));
		}
	}
	return r;
}

int kg_stream_pump(kg_stream *s, int timeout_ms)
{
	kg_engine *e = &s->c->eng;
	kg_engine_kick(e);
	int r = kg_loop_run_once(e->loop, timeout_ms);
	if (r < 0 && r != KG_ERR_AGAIN)
		kg_engine_fail(e, r);
	return e->status ? ended(s, e->status) : KG_OK;
}

/* Runs the engine until done(s) holds. */
static int wait_for(kg_stream *s, int (*done)(void *arg))
{
	kg_engine_kick(&s->c->eng);
	int r = kg_engine_run(&s->c->eng, done, s, -1);
	return r < 0 ? ended(s, r) : KG_OK;
}

static int opened_or_closed(void *arg)
{
	kg_stream *s = arg;
	return s->confirmed || s->closed;
}

static int replied_or_closed(void *arg)
{
	kg_stream *s = arg;
	return s->request_done || s->closed;
}

static int readable(void *arg)
{
	kg_stream *s = arg;
	return kg_buf_len(&s->in) > 0 || s->eof_rcvd || s->closed;
}

static int closed(void *arg)
{
	kg_stream *s = arg;
	/* Unread data is dropped, but must be granted back so the server can
	 * finish sending and close. */
	if (kg_buf_len(&s->in) && s->k.ch) {
		int r = kg_conn_consumed(&s->c->eng.conn, s->k.ch, kg_buf_len(&s->in));
		if (r < 0)
			kg_engine_fail(&s->c->eng, r);
	}
	kg_buf_reset(&s->in);
	return s->closed;
}

static int flushed(void *arg)
{
	kg_stream *s = arg;
	return kg_tr_output_pending(s->c->tr) == 0;
}

static void stream_init(kg_client *c, kg_stream *s, int stderr_fd)
{
	memset(s, 0, sizeof(*s));
	s->c = c;
	s->stderr_fd = stderr_fd;
	s->exit_status = 255;
	kg_buf_init(&s->in, KG_CONN_WINDOW_GROW_MAX + KG_CLIENT_MAXPKT + 1024);
}

static int wait_confirmed(kg_stream *s, kg_channel *ch)
{
	kg_engine_attach(&s->c->eng, ch, &s->k, &stream_ops);
	GUARD(wait_for(s, opened_or_closed));
	return s->closed ? ended(s, KG_ERR_CHANNEL) : KG_OK;
}

int kg_stream_open(kg_client *c, kg_stream *s, const char *subsystem, const char *command, int stderr_fd)
{
	stream_init(c, s, stderr_fd);
	kg_conn *cn = &c->eng.conn;
	kg_channel *ch;
	GUARD(kg_conn_open_session(cn, &ch));
	GUARD(wait_confirmed(s, ch));
	if (subsystem)
		GUARD(kg_conn_req_subsystem(cn, s->k.ch, 1, subsystem));
	else
		GUARD(kg_conn_req_exec(cn, s->k.ch, 1, (const uint8_t *)command, strlen(command)));
	GUARD(wait_for(s, replied_or_closed));
	if (!s->request_done)
		return KG_ERR_CHANNEL;
	if (!s->request_ok) {
		kg_error(c->log, "%s request failed on channel 0", subsystem ? "subsystem" : "exec");
		return KG_ERR_CHANNEL;
	}
	return KG_OK;
}

int kg_stream_open_tcpip(kg_client *c, kg_stream *s, const char *host, int port)
{
	stream_init(c, s, -1);
	kg_channel *ch;
	GUARD(kg_conn_open_tcpip(&c->eng.conn, "direct-tcpip", host, (uint32_t)port, "127.0.0.1", 0, &ch));
	return wait_confirmed(s, ch);
}

int kg_stream_write(kg_stream *s, const void *data, size_t len)
{
	kg_engine *e = &s->c->eng;
	const uint8_t *p = data;
	while (len > 0) {
		ENSURE(s->k.ch && !s->closed && !s->eof_sent, KG_ERR_CLOSED);
		size_t sent = 0;
		if (kg_engine_may_send(e))
			GUARD(kg_conn_send_data(&e->conn, s->k.ch, 0, p, len, &sent));
		p += sent;
		len -= sent;
		if (len > 0 || !kg_engine_may_send(e))
			GUARD(kg_stream_pump(s, sent ? 0 : -1));
	}
	/* Push what is queued without waiting for it to drain. */
	kg_engine_kick(e);
	return e->status ? ended(s, e->status) : KG_OK;
}

size_t kg_stream_available(const kg_stream *s)
{
	return kg_buf_len(&s->in);
}

int kg_stream_read(kg_stream *s, void *buf, size_t len, size_t *got)
{
	*got = 0;
	if (kg_buf_len(&s->in) == 0)
		GUARD(wait_for(s, readable));
	size_t n = kg_buf_len(&s->in) < len ? kg_buf_len(&s->in) : len;
	if (n == 0)
		return KG_OK;
	memcpy(buf, kg_buf_ptr(&s->in), n);
	GUARD(kg_buf_consume(&s->in, n));
	if (s->k.ch)
		GUARD(kg_conn_consumed(&s->c->eng.conn, s->k.ch, n));
	*got = n;
	return KG_OK;
}

int kg_stream_read_full(kg_stream *s, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len > 0) {
		size_t got;
		GUARD(kg_stream_read(s, p, len, &got));
		ENSURE(got > 0, KG_ERR_CLOSED);
		p += got;
		len -= got;
	}
	return KG_OK;
}

int kg_stream_flush(kg_stream *s)
{
	return wait_for(s, flushed);
}

int kg_stream_send_eof(kg_stream *s)
{
	if (s->eof_sent || !s->k.ch || s->closed)
		return KG_OK;
	s->eof_sent = 1;
	GUARD(kg_conn_send_eof(&s->c->eng.conn, s->k.ch));
	kg_engine_kick(&s->c->eng);
	return KG_OK;
}

int kg_stream_close(kg_stream *s, int *exit_status)
{
	int r = kg_stream_send_eof(s);
	/* The server closes after its exit-status; closing first could lose
	 * that status. */
	if (r >= 0)
		r = wait_for(s, closed);
	if (exit_status)
		*exit_status = s->got_exit ? s->exit_status : 255;
	if (r >= 0)
		r = kg_engine_flush(&s->c->eng, KG_CLIENT_FLUSH_MS);
	kg_stream_free(s);
	return r;
}

void kg_stream_free(kg_stream *s)
{
	kg_engine_detach(&s->k);
	kg_buf_free(&s->in);
}
