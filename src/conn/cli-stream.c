/* Channel streams: blocking reads and writes over one channel, pumping the
 * connection underneath.  Received data is granted back to the server only
 * as the caller reads it, so a slow reader slows the sender down. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "conn/cli-stream.h"
#include "sys/net.h"

#define STREAM_WINDOW (8u * 1024 * 1024)
#define STREAM_MAXPKT (128u * 1024)
#define STREAM_BACKLOG (4u * 1024 * 1024)

static int on_event(kg_stream *s, const kg_conn_event *ev)
{
	kg_conn *cn = &s->conn;
	switch (ev->type) {
	case KG_CEV_OPEN_CONFIRMED:
		s->confirmed = 1;
		return KG_OK;
	case KG_CEV_OPEN_FAILED:
		kg_error(s->c->log, "channel open failed: %.*s", (int)ev->len, (const char *)ev->data);
		s->closed = 1;
		GUARD(kg_conn_channel_free(cn, ev->ch));
		s->ch = NULL;
		return KG_ERR_CHANNEL;
	case KG_CEV_DATA:
		if (ev->ext == SSH_EXTENDED_DATA_STDERR) {
			if (s->stderr_fd >= 0)
				(void)!kg_fd_write_all(s->stderr_fd, ev->data, ev->len, 5000);
			return kg_conn_consumed(cn, ev->ch, ev->len);
		}
		return kg_buf_put(&s->in, ev->data, ev->len);
	case KG_CEV_EOF:
		s->eof_rcvd = 1;
		return KG_OK;
	case KG_CEV_REQUEST:
		if (kg_client_exit_request(s->c, ev, &s->exit_status))
			s->got_exit = 1;
		return ev->want_reply ? kg_conn_request_reply(cn, ev->ch, 0) : KG_OK;
	case KG_CEV_REQUEST_SUCCESS:
	case KG_CEV_REQUEST_FAILURE:
		s->request_done = 1;
		s->request_ok = ev->type == KG_CEV_REQUEST_SUCCESS;
		return KG_OK;
	case KG_CEV_CLOSE:
		s->closed = 1;
		s->eof_rcvd = 1;
		GUARD(kg_conn_channel_free(cn, ev->ch));
		s->ch = NULL;
		return KG_OK;
	default:
		return KG_OK;
	}
}

static int handle_packets(kg_stream *s)
{
	kg_conn_event ev;
	int r;
	while ((r = kg_client_next_event(s->c, &s->conn, &ev)) > 0)
		GUARD(on_event(s, &ev));
	if (r == 0)
		return KG_OK;
	const char *why = kg_tr_error_text(s->c->tr);
	kg_error(s->c->log, "Connection to %s closed: %s", s->c->cfg->hostname, why && *why ? why : kg_err_str(r));
	return r;
}

int kg_stream_pump(kg_stream *s, int timeout_ms)
{
	kg_client *c = s->c;
	GUARD(handle_packets(s));
	GUARD(kg_tr_tick(c->tr, time(NULL)));
	GUARD(kg_client_flush(c, 0));
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	if (kg_tr_output_pending(c->tr))
		pfd.events |= POLLOUT;
	int pr = poll(&pfd, 1, timeout_ms);
	if (pr < 0)
		return errno == EINTR ? KG_OK : KG_ERR_SYSTEM;
	if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
		int r = kg_client_read(c);
		if (r == KG_ERR_CLOSED) {
			kg_error(c->log, "Connection to %s closed by remote host.", c->cfg->hostname);
			return r;
		}
		if (r < 0 && r != KG_ERR_AGAIN)
			return r;
	}
	if (pfd.revents & POLLOUT)
		GUARD(kg_client_flush(c, 0));
	return handle_packets(s);
}

static int stream_init(kg_client *c, kg_stream *s, int stderr_fd)
{
	memset(s, 0, sizeof(*s));
	s->c = c;
	s->stderr_fd = stderr_fd;
	s->exit_status = 255;
	kg_buf_init(&s->in, KG_CONN_WINDOW_GROW_MAX + STREAM_MAXPKT + 1024);
	kg_conn_config cc;
	kg_conn_config_default(&cc);
	cc.window = STREAM_WINDOW;
	cc.max_packet = STREAM_MAXPKT;
	cc.max_window = KG_CONN_WINDOW_GROW_MAX;
	return kg_conn_init(&s->conn, &cc, kg_tr_sink(c->tr), KG_CONN_CLIENT);
}

static int wait_confirmed(kg_stream *s)
{
	while (!s->confirmed) {
		if (s->closed)
			return KG_ERR_CHANNEL;
		GUARD(kg_stream_pump(s, -1));
	}
	return KG_OK;
}

int kg_stream_open(kg_client *c, kg_stream *s, const char *subsystem, const char *command, int stderr_fd)
{
	GUARD(stream_init(c, s, stderr_fd));
	GUARD(kg_conn_open_session(&s->conn, &s->ch));
	GUARD(wait_confirmed(s));
	if (subsystem)
		GUARD(kg_conn_req_subsystem(&s->conn, s->ch, 1, subsystem));
	else
		GUARD(kg_conn_req_exec(&s->conn, s->ch, 1, (const uint8_t *)command, strlen(command)));
	while (!s->request_done) {
		if (s->closed)
			return KG_ERR_CHANNEL;
		GUARD(kg_stream_pump(s, -1));
	}
	if (!s->request_ok) {
		kg_error(c->log, "%s request failed on channel 0", subsystem ? "subsystem" : "exec");
		return KG_ERR_CHANNEL;
	}
	return KG_OK;
}

int kg_stream_open_tcpip(kg_client *c, kg_stream *s, const char *host, int port)
{
	GUARD(stream_init(c, s, -1));
	GUARD(kg_conn_open_tcpip(&s->conn, "direct-tcpip", host, (uint32_t)port, "127.0.0.1", 0, &s->ch));
	return wait_confirmed(s);
}

int kg_stream_write(kg_stream *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len > 0) {
		ENSURE(s->ch && !s->closed && !s->eof_sent, KG_ERR_CLOSED);
		size_t sent = 0;
		if (kg_tr_output_pending(s->c->tr) < STREAM_BACKLOG)
			GUARD(kg_conn_send_data(&s->conn, s->ch, 0, p, len, &sent));
		p += sent;
		len -= sent;
		if (len > 0 || kg_tr_output_pending(s->c->tr) >= STREAM_BACKLOG)
			GUARD(kg_stream_pump(s, sent ? 0 : -1));
	}
	/* Push what is queued without waiting for it to drain. */
	return kg_client_flush(s->c, 0);
}

size_t kg_stream_available(const kg_stream *s)
{
	return kg_buf_len(&s->in);
}

int kg_stream_read(kg_stream *s, void *buf, size_t len, size_t *got)
{
	*got = 0;
	while (kg_buf_len(&s->in) == 0) {
		if (s->eof_rcvd || s->closed)
			return KG_OK;
		GUARD(kg_stream_pump(s, -1));
	}
	size_t n = kg_buf_len(&s->in) < len ? kg_buf_len(&s->in) : len;
	memcpy(buf, kg_buf_ptr(&s->in), n);
	GUARD(kg_buf_consume(&s->in, n));
	if (s->ch)
		GUARD(kg_conn_consumed(&s->conn, s->ch, n));
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
	while (kg_tr_output_pending(s->c->tr) > 0)
		GUARD(kg_stream_pump(s, -1));
	return KG_OK;
}

int kg_stream_send_eof(kg_stream *s)
{
	if (s->eof_sent || !s->ch || s->closed)
		return KG_OK;
	s->eof_sent = 1;
	GUARD(kg_conn_send_eof(&s->conn, s->ch));
	return kg_client_flush(s->c, 0);
}

int kg_stream_close(kg_stream *s, int *exit_status)
{
	int r = kg_stream_send_eof(s);
	/* Unread data is dropped, but must be granted back so the server can
	 * finish sending and close. */
	while (r >= 0 && !s->closed) {
		if (kg_buf_len(&s->in) && s->ch) {
			r = kg_conn_consumed(&s->conn, s->ch, kg_buf_len(&s->in));
			kg_buf_reset(&s->in);
			if (r < 0)
				break;
		}
		/* The server closes after its exit-status; closing first could
		 * lose that status. */
		r = kg_stream_pump(s, -1);
	}
	if (exit_status)
		*exit_status = s->got_exit ? s->exit_status : 255;
	if (r >= 0)
		r = kg_client_flush(s->c, 1);
	kg_stream_free(s);
	return r;
}

void kg_stream_free(kg_stream *s)
{
	kg_conn_free(&s->conn);
	kg_buf_free(&s->in);
	s->ch = NULL;
}
