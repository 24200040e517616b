/* A channel answered as a SOCKS server, then relayed (see cli-rfwd-socks.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conn/cli-rfwd-socks.h"
#include "conn/common-forward-relay.h"
#include "core/socks.h"
#include "sys/net-fwd.h"

/* Channel data held while the target is being connected: at most what the
 * peer may send, the window we granted. */
#define HELD_MAX (KG_CONN_WINDOW_GROW_MAX + KG_CONN_MAXPKT_LIMIT)

enum { ST_REQUEST, ST_DIALING, ST_CLOSING };

typedef struct sx {
	kg_consumer k;           /* k.ch NULL once released */
	kg_logger *log;
	kg_cli_rfwd_socks_allow allow;
	void *arg;
	int state;
	kg_socks socks;
	kg_net_dial dial;
	kg_watch w;
	kg_buf held;             /* channel data after the request, not yet granted */
	int peer_eof;
} sx;

static const kg_consumer_ops sx_ops;
static void on_fd(void *ctx, int fd, int revents);

static void sx_free(sx *s)
{
	if (s->k.eng)
		kg_watch_set(s->k.eng, &s->w, -1, 0, on_fd, s);
	kg_net_dial_free(&s->dial);
	kg_buf_free(&s->held);
	free(s);
}

static kg_conn *conn_of(sx *s)
{
	return &s->k.eng->conn;
}

static int ignore_closed(int rc)
{
	return rc == KG_ERR_CLOSED || rc == KG_ERR_ARG ? KG_OK : rc;
}

/* Sends SOCKS bytes back; the peer's window is far larger than any of them,
 * so what it cannot take at once ends the exchange. */
static int send_back(sx *s, const uint8_t *d, size_t n, int *short_write)
{
	size_t sent = 0;
	*short_write = 0;
	if (n == 0)
		return KG_OK;
	int rc = kg_conn_send_data(conn_of(s), s->k.ch, 0, d, n, &sent);
	if (rc == KG_ERR_CLOSED || rc == KG_ERR_ARG || (rc >= 0 && sent < n)) {
		*short_write = 1;
		return KG_OK;
	}
	return rc;
}

/* Ends the exchange: the channel is closed; release frees s. */
static int finish(sx *s)
{
	if (s->state == ST_CLOSING || !s->k.ch)
		return KG_OK;
	s->state = ST_CLOSING;
	kg_watch_set(s->k.eng, &s->w, -1, 0, on_fd, s);
	kg_net_dial_free(&s->dial);
	size_t n = kg_buf_len(&s->held);
	kg_buf_reset(&s->held);
	if (n)
		GUARD(ignore_closed(kg_conn_consumed(conn_of(s), s->k.ch, n)));
	return ignore_closed(kg_conn_send_close(conn_of(s), s->k.ch));
}

/* Refuses the request with a SOCKS reply (code: KG_SOCKS5_*), then closes. */
static int refuse(sx *s, int code)
{
	uint8_t out[KG_SOCKS_REPLY_MAX];
	int short_write;
	size_t n = kg_socks_reply(&s->socks, 0, code, out);
	GUARD(send_back(s, out, n, &short_write));
	return finish(s);
}

/* Connected: the reply goes out, then the relay takes the channel over
 * (with what arrived meanwhile) and s is freed. */
static int connected(sx *s)
{
	kg_engine *e = s->k.eng;
	kg_channel *ch = s->k.ch;
	int fd = kg_net_dial_take(&s->dial);
	uint8_t out[KG_SOCKS_REPLY_MAX];
	int short_write;
	size_t n = kg_socks_reply(&s->socks, 1, 0, out);
	kg_debug(s->log, "SOCKS%d: connected to %s port %u", s->socks.version, s->socks.host, s->socks.port);
	kg_watch_set(e, &s->w, -1, 0, on_fd, s);
	int rc = send_back(s, out, n, &short_write);
	if (rc < 0 || short_write) {
		close(fd);
		return rc < 0 ? rc : finish(s);
	}
	kg_engine_detach(&s->k);
	rc = kg_fwd_relay_open(e, s->log, ch, fd, kg_buf_ptr(&s->held), kg_buf_len(&s->held), s->peer_eof);
	sx_free(s);
	return rc;
}

static int dial_failed(sx *s)
{
	int err = s->dial.err;
	kg_debug(s->log, "SOCKS%d: connect to %s port %u failed: %s", s->socks.version, s->socks.host,
		 s->socks.port, strerror(err));
	return refuse(s, err == ECONNREFUSED ? KG_SOCKS5_REFUSED : KG_SOCKS5_UNREACHABLE);
}

/* Tries addresses until one connects or is in progress.  The attempt's fd
 * leaves the loop first: it is closed, and its number may come back. */
static int try_next(sx *s)
{
	kg_watch_set(s->k.eng, &s->w, -1, 0, on_fd, s);
	int rc = kg_net_dial_next(&s->dial);
	if (rc == 1)
		return connected(s);
	if (rc < 0)
		return dial_failed(s);
	kg_watch_set(s->k.eng, &s->w, s->dial.fd, KG_LOOP_WRITE, on_fd, s);
	return KG_OK;
}

/* The request is complete: checked, then connected. */
static int start(sx *s)
{
	const char *host = s->socks.host;
	if (s->allow && !s->allow(s->arg, host, s->socks.port)) {
		kg_verbose(s->log, "SOCKS%d: connect to %s port %u: administratively prohibited", s->socks.version,
			   host, s->socks.port);
		return refuse(s, KG_SOCKS5_NOT_ALLOWED);
	}
	char portz[16];
	snprintf(portz, sizeof(portz), "%u", s->socks.port);
	s->state = ST_DIALING;
	if (kg_net_dial_resolve(&s->dial, host, portz) < 0) {
		kg_debug(s->log, "SOCKS%d: connect to %s port %u: unknown host", s->socks.version, host,
			 s->socks.port);
		return refuse(s, KG_SOCKS5_UNREACHABLE);
	}
	return try_next(s);
}

static void on_fd(void *ctx, int fd, int revents)
{
	sx *s = ctx;
	kg_engine *e = s->k.eng;
	(void)fd, (void)revents;
	if (!s->k.ch || s->state != ST_DIALING)
		return;
	int rc = kg_net_dial_check(&s->dial) == 1 ? connected(s) : try_next(s);  /* may free s */
	if (rc < 0)
		kg_engine_fail(e, rc);
	kg_engine_kick(e);
}

/* Feeds the request; whatever follows it is held for the target. */
static int on_data(kg_consumer *k, uint32_t ext, const uint8_t *d, size_t n)
{
	sx *s = KG_CONSUMER_OF(k, sx, k);
	if (ext != 0 || s->state == ST_CLOSING)
		return ignore_closed(kg_conn_consumed(conn_of(s), k->ch, n));
	if (s->state == ST_DIALING) {
		if (kg_buf_put(&s->held, d, n) < 0)
			return KG_ERR_CHANNEL;  /* more than the window we granted */
		return KG_OK;
	}
	size_t off = 0;
	int r = KG_SOCKS_MORE;
	while (off < n) {
		size_t used = 0, ol = 0;
		uint8_t out[KG_SOCKS_REPLY_MAX];
		int short_write;
		r = kg_socks_feed(&s->socks, d + off, n - off, &used, out, &ol);
		off += used;
		GUARD(send_back(s, out, ol, &short_write));
		if (r < 0 || short_write) {
			kg_debug(s->log, "SOCKS: bad request on a remote forwarding; closing the channel");
			GUARD(ignore_closed(kg_conn_consumed(conn_of(s), k->ch, n)));
			return finish(s);
		}
		if (r == KG_SOCKS_DONE || used == 0)
			break;
	}
	GUARD(ignore_closed(kg_conn_consumed(conn_of(s), k->ch, off)));
	if (r != KG_SOCKS_DONE) {
		if (off < n) {  /* the parser took nothing more: it cannot go on */
			GUARD(ignore_closed(kg_conn_consumed(conn_of(s), k->ch, n - off)));
			return finish(s);
		}
		return KG_OK;
	}
	if (off < n && kg_buf_put(&s->held, d + off, n - off) < 0)
		return KG_ERR_CHANNEL;
	return start(s);
}

static int on_eof(kg_consumer *k)
{
	sx *s = KG_CONSUMER_OF(k, sx, k);
	s->peer_eof = 1;
	return s->state == ST_REQUEST ? finish(s) : KG_OK;
}

static void on_release(kg_consumer *k)
{
	sx_free(KG_CONSUMER_OF(k, sx, k));
}

static const kg_consumer_ops sx_ops = { .data = on_data, .eof = on_eof, .release = on_release };

static int deny_all(void *arg, const char *host, int port)
{
	(void)arg, (void)host, (void)port;
	return 0;
}

void kg_cli_rfwd_socks_forget(kg_engine *e, const void *arg)
{
	for (uint32_t i = 0; e->conn_ready && i < e->conn.cfg.max_channels; i++) {
		kg_consumer *k = e->conn.chans[i].state != KG_CH_FREE ? e->conn.chans[i].user : NULL;
		if (!k || k->ops != &sx_ops)
			continue;
		sx *s = KG_CONSUMER_OF(k, sx, k);
		if (s->arg == arg) {
			s->allow = deny_all;
			s->arg = NULL;
		}
	}
}

int kg_cli_rfwd_socks_answer(kg_engine *e, kg_logger *log, kg_channel *ch, kg_cli_rfwd_socks_allow allow, void *arg)
{
	sx *s = calloc(1, sizeof(*s));
	if (!s) {
		if (ch->state == KG_CH_INCOMING)
			return kg_conn_open_fail(&e->conn, ch, SSH_OPEN_RESOURCE_SHORTAGE, "out of memory");
		return ignore_closed(kg_conn_send_close(&e->conn, ch));
	}
	s->log = log;
	s->allow = allow;
	s->arg = arg;
	s->dial.fd = -1;
	kg_socks_init(&s->socks);
	kg_watch_init(&s->w);
	kg_buf_init(&s->held, HELD_MAX);
	int incoming = ch->state == KG_CH_INCOMING;
	kg_engine_attach(e, ch, &s->k, &sx_ops);
	return incoming ? kg_conn_open_confirm(&e->conn, ch) : KG_OK;
}
