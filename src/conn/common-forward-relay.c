/* Forwarded connections on the server: a socket relayed to a channel. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "conn/common-forward-relay.h"
#include "sys/net-fwd.h"
#include "sys/user-id.h"

#define TARGET_MAX 320  /* "host port N" or a socket path, for the log */

typedef struct relay {
	kg_consumer k;           /* k.ch NULL once released */
	kg_logger *log;
	const kg_spawn_user *user;
	int fd;                  /* the socket; -1 while connecting */
	int connecting;          /* the channel waits for our connect */
	int opening;             /* we wait for the peer to confirm */
	kg_net_dial dial;
	kg_chan_out out;         /* channel data not yet written to the socket */
	int rd_eof;              /* the socket's read side ended (EOF sent) */
	int peer_eof;            /* the channel's EOF arrived */
	int wr_done;             /* the socket's write side is shut (or failed) */
	int closed;              /* CLOSE sent */
	kg_watch w;
	char target[TARGET_MAX];
} relay;

static const kg_consumer_ops relay_ops;
static void on_fd(void *ctx, int fd, int revents);

int kg_fwd_as_user(kg_logger *log, const kg_spawn_user *u, int (*fn)(void *arg), void *arg)
{
	kg_user_id id;
	int r = u ? kg_user_id_enter(&id, u) : KG_OK;
	if (r >= 0)
		r = fn(arg);
	int saved = errno;
	if (u && kg_user_id_leave(&id) < 0) {
		kg_error(log, "fatal: cannot restore the server's identity after forwarding");
		_exit(255);
	}
	errno = saved;
	return r;
}

static relay *relay_new(kg_engine *e, kg_logger *log, const kg_spawn_user *u, kg_channel *ch)
{
	relay *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->log = log;
	r->user = u;
	r->fd = -1;
	r->dial.fd = -1;
	kg_chan_out_init(&r->out, -1);
	kg_watch_init(&r->w);
	kg_engine_attach(e, ch, &r->k, &relay_ops);
	return r;
}

static void relay_free(relay *r)
{
	if (r->k.eng)
		kg_watch_set(r->k.eng, &r->w, -1, 0, on_fd, r);
	if (r->fd >= 0)
		close(r->fd);
	kg_net_dial_free(&r->dial);
	kg_chan_out_free(&r->out);
	free(r);
}

static kg_conn *conn_of(relay *r)
{
	return &r->k.eng->conn;
}

/* Loop interest follows the state: writable while connecting or while
 * data is held for the socket; readable while the channel can take more. */
static void update(relay *r)
{
	kg_channel *ch = r->k.ch;
	kg_engine *e = r->k.eng;
	if (!ch || r->closed || r->opening) {
		kg_watch_set(e, &r->w, -1, 0, on_fd, r);
		return;
	}
	if (r->connecting) {
		kg_watch_set(e, &r->w, r->dial.fd, KG_LOOP_WRITE, on_fd, r);
		return;
	}
	int ev = kg_chan_out_pending(&r->out) > 0 ? KG_LOOP_WRITE : 0;
	if (!r->rd_eof && ch->state == KG_CH_OPEN && !ch->eof_sent && ch->remote_window > 0 && kg_engine_may_send(e))
		ev |= KG_LOOP_READ;
	kg_watch_set(e, &r->w, r->fd, ev, on_fd, r);
}

static int ignore_closed(int rc)
{
	return rc == KG_ERR_CLOSED || rc == KG_ERR_ARG ? KG_OK : rc;
}

/* Shuts the socket's write side once the peer's EOF is reached; closes
 * the channel once both directions are done. */
static int progress(relay *r)
{
	kg_channel *ch = r->k.ch;
	if (!ch || r->connecting || r->opening || r->closed)
		return KG_OK;
	if (!r->wr_done && (r->out.failed || (r->peer_eof && kg_chan_out_pending(&r->out) == 0))) {
		if (!r->out.failed)
			shutdown(r->fd, SHUT_WR);
		r->wr_done = 1;
	}
	if (r->rd_eof && !ch->eof_sent)
		GUARD(ignore_closed(kg_conn_send_eof(conn_of(r), ch)));
	if (r->rd_eof && r->wr_done) {
		r->closed = 1;
		GUARD(ignore_closed(kg_conn_send_close(conn_of(r), ch)));
	}
	return KG_OK;
}

/* ---------------- connecting (direct-*) ---------------- */

static int connected(relay *r)
{
	r->connecting = 0;
	r->fd = kg_net_dial_take(&r->dial);
	r->out.fd = r->fd;
	kg_verbose(r->log, "connected to %s", r->target);
	return kg_conn_open_confirm(conn_of(r), r->k.ch);
}

/* Every address failed: refused as OpenSSH does, with the reason; r is
 * freed. */
static int refuse(relay *r, int err)
{
	kg_engine *e = r->k.eng;
	kg_channel *ch = r->k.ch;
	kg_verbose(r->log, "connect_to %s: failed: %s", r->target, strerror(err));
	kg_engine_detach(&r->k);
	relay_free(r);
	return kg_conn_open_fail(&e->conn, ch, SSH_OPEN_CONNECT_FAILED, strerror(err));
}

static int dial_next(void *arg)
{
	return kg_net_dial_next(arg);
}

/* Tries addresses until one connects or is in progress; when none is
 * left the open is refused and r freed.  The attempt's fd leaves the loop
 * first: it is closed, and its number may come back for the next one. */
static int try_next(relay *r)
{
	kg_watch_set(r->k.eng, &r->w, -1, 0, on_fd, r);
	int rc = kg_fwd_as_user(r->log, r->user, dial_next, &r->dial);
	if (rc == 1)
		GUARD(connected(r));
	if (rc >= 0) {
		update(r);
		return KG_OK;
	}
	return refuse(r, r->dial.err);
}

int kg_fwd_relay_connect_tcp(kg_engine *e, kg_logger *log, const kg_spawn_user *u, kg_channel *ch,
			     const char *host, uint32_t port)
{
	relay *r = relay_new(e, log, u, ch);
	if (!r)
		return kg_conn_open_fail(&e->conn, ch, SSH_OPEN_RESOURCE_SHORTAGE, "out of memory");
	snprintf(r->target, sizeof(r->target), "%.255s port %u", host, port);
	char portz[16];
	snprintf(portz, sizeof(portz), "%u", port);
	r->connecting = 1;
	if (kg_net_dial_resolve(&r->dial, host, portz) < 0) {
		kg_verbose(log, "connect_to %s: unknown host", r->target);
		kg_engine_detach(&r->k);
		relay_free(r);
		return kg_conn_open_fail(&e->conn, ch, SSH_OPEN_CONNECT_FAILED, "name or service not known");
	}
	return try_next(r);
}

struct unix_dial {
	const char *path;
	int fd;
};

static int dial_unix(void *arg)
{
	struct unix_dial *d = arg;
	return kg_net_connect_unix(d->path, &d->fd);
}

int kg_fwd_relay_connect_unix(kg_engine *e, kg_logger *log, const kg_spawn_user *u, kg_channel *ch,
			      const char *path)
{
	struct unix_dial d = { path, -1 };
	if (kg_fwd_as_user(log, u, dial_unix, &d) < 0) {
		int err = errno;
		kg_verbose(log, "connect to unix socket %.255s failed: %s", path, strerror(err));
		return kg_conn_open_fail(&e->conn, ch, SSH_OPEN_CONNECT_FAILED, strerror(err));
	}
	relay *r = relay_new(e, log, u, ch);
	if (!r) {
		close(d.fd);
		return kg_conn_open_fail(&e->conn, ch, SSH_OPEN_RESOURCE_SHORTAGE, "out of memory");
	}
	snprintf(r->target, sizeof(r->target), "%.300s", path);
	r->fd = d.fd;
	r->out.fd = d.fd;
	kg_verbose(log, "connected to unix socket %s", r->target);
	GUARD(kg_conn_open_confirm(&e->conn, ch));
	update(r);
	return KG_OK;
}

int kg_fwd_relay_confirm_fd(kg_engine *e, kg_logger *log, kg_channel *ch, int fd, const char *target)
{
	int fl = fcntl(fd, F_GETFL);
	relay *r = fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0 ? relay_new(e, log, NULL, ch) : NULL;
	if (!r) {
		close(fd);
		return kg_conn_open_fail(&e->conn, ch, SSH_OPEN_RESOURCE_SHORTAGE, "out of memory");
	}
	snprintf(r->target, sizeof(r->target), "%.300s", target ? target : "");
	r->fd = fd;
	r->out.fd = fd;
	GUARD(kg_conn_open_confirm(&e->conn, ch));
	update(r);
	return KG_OK;
}

int kg_fwd_relay_opening(kg_engine *e, kg_logger *log, kg_channel *ch, int fd)
{
	relay *r = relay_new(e, log, NULL, ch);
	if (!r) {
		close(fd);
		return kg_conn_send_close(&e->conn, ch);
	}
	r->fd = fd;
	r->out.fd = fd;
	r->opening = 1;
	return KG_OK;
}

/* ---------------- the relay ---------------- */

static void on_fd(void *ctx, int fd, int revents)
{
	relay *r = ctx;
	kg_engine *e = r->k.eng;
	kg_channel *ch = r->k.ch;
	int rc = KG_OK;
	(void)fd;
	if (!ch)
		return;
	if (r->connecting) {
		kg_watch_set(e, &r->w, -1, 0, on_fd, r);
		if (kg_net_dial_check(&r->dial) == 1) {
			rc = connected(r);
			if (rc >= 0)
				update(r);
		} else {
			rc = try_next(r);  /* may free r */
		}
		if (rc < 0)
			kg_engine_fail(e, rc);
		return;
	}
	if ((revents & (POLLOUT | POLLERR | POLLHUP)) && kg_chan_out_pending(&r->out) > 0)
		rc = kg_chan_out_flush(&r->out, conn_of(r), ch);
	if (rc >= 0 && (revents & (POLLIN | POLLERR | POLLHUP)) && (r->w.events & KG_LOOP_READ))
		rc = kg_engine_send_from_fd(e, ch, 0, r->fd, &r->rd_eof);
	if (rc >= 0)
		rc = progress(r);
	if (rc < 0)
		kg_engine_fail(e, rc);
	update(r);
}

static int on_opened(kg_consumer *k, const kg_conn_event *ev)
{
	relay *r = KG_CONSUMER_OF(k, relay, k);
	(void)ev;
	r->opening = 0;
	update(r);
	return KG_OK;
}

static int on_open_failed(kg_consumer *k, const kg_conn_event *ev)
{
	relay *r = KG_CONSUMER_OF(k, relay, k);
	kg_verbose(r->log, "forwarded channel refused by the client: %.*s", (int)(ev->len > 200 ? 200 : ev->len),
		   (const char *)ev->data);
	return KG_OK;
}

static int on_data(kg_consumer *k, uint32_t ext, const uint8_t *d, size_t n)
{
	relay *r = KG_CONSUMER_OF(k, relay, k);
	if (ext != 0 || r->wr_done || r->peer_eof)
		return kg_conn_consumed(conn_of(r), k->ch, n);
	GUARD(kg_chan_out_put(&r->out, conn_of(r), k->ch, d, n));
	GUARD(progress(r));
	update(r);
	return KG_OK;
}

static int on_eof(kg_consumer *k)
{
	relay *r = KG_CONSUMER_OF(k, relay, k);
	r->peer_eof = 1;
	GUARD(progress(r));
	update(r);
	return KG_OK;
}

static int on_writable(kg_consumer *k)
{
	update(KG_CONSUMER_OF(k, relay, k));
	return KG_OK;
}

static void on_release(kg_consumer *k)
{
	relay_free(KG_CONSUMER_OF(k, relay, k));
}

static const kg_consumer_ops relay_ops = {
	.opened = on_opened, .open_failed = on_open_failed, .data = on_data, .eof = on_eof,
	.writable = on_writable, .release = on_release,
};
