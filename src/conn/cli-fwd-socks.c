/* One forwarded connection on the client: its channel's opening, and for
 * -D the SOCKS request before it (see cli-fwd-socks.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "conn/cli-fwd-socks.h"
#include "conn/common-forward-relay.h"
#include "core/buf.h"
#include "core/socks.h"
#include "sys/net.h"

/* ---------------- the channel's opening ---------------- */

typedef struct opener {
	kg_consumer k;
	kg_logger *log;
	int fd;
	int socks;        /* answer a SOCKS request with the outcome */
	kg_socks s;
} opener;

static const kg_consumer_ops opener_ops;

/* A short answer on a socket nobody has written to yet: it fits. */
static void say(int fd, const uint8_t *d, size_t n)
{
	size_t done = 0;
	while (done < n) {
		size_t w = 0;
		if (kg_fd_write(fd, d + done, n - done, &w) < 0)
			return;
		done += w;
	}
}

static int on_opened(kg_consumer *k, const kg_conn_event *ev)
{
	opener *o = KG_CONSUMER_OF(k, opener, k);
	kg_engine *e = k->eng;
	kg_channel *ch = k->ch;
	if (o->socks) {
		uint8_t rep[KG_SOCKS_REPLY_MAX];
		say(o->fd, rep, kg_socks_reply(&o->s, 1, 0, rep));
	}
	int fd = o->fd;
	kg_logger *log = o->log;
	kg_engine_detach(k);
	free(o);
	/* The relay takes the channel over and sees the confirmation. */
	GUARD(kg_fwd_relay_opening(e, log, ch, fd));
	kg_consumer *relay = ch->user;
	if (relay && relay->ops && relay->ops->opened)
		return relay->ops->opened(relay, ev);
	return KG_OK;
}

static const char *reason_text(uint32_t reason)
{
	switch (reason) {
	case 1: return "administratively prohibited";
	case 2: return "connect failed";
	case 3: return "unknown channel type";
	case 4: return "resource shortage";
	default: return "unknown reason";
	}
}

static int on_open_failed(kg_consumer *k, const kg_conn_event *ev)
{
	opener *o = KG_CONSUMER_OF(k, opener, k);
	int n = (int)(ev->len > 200 ? 200 : ev->len);
	kg_error(o->log, "channel %u: open failed: %s%s%.*s", k->ch ? k->ch->local_id : 0, reason_text(ev->reason),
		 n ? ": " : "", n, (const char *)ev->data);
	if (o->socks) {
		int code = ev->reason == 1 ? KG_SOCKS5_NOT_ALLOWED : ev->reason == 2 ? KG_SOCKS5_REFUSED : KG_SOCKS5_FAIL;
		uint8_t rep[KG_SOCKS_REPLY_MAX];
		say(o->fd, rep, kg_socks_reply(&o->s, 0, code, rep));
	}
	return KG_OK;
}

static void on_release(kg_consumer *k)
{
	opener *o = KG_CONSUMER_OF(k, opener, k);
	if (o->fd >= 0)
		close(o->fd);
	free(o);
}

static const kg_consumer_ops opener_ops = {
	.opened = on_opened, .open_failed = on_open_failed, .release = on_release,
};

static int open_channel(kg_engine *e, const kg_cli_fwd_target *t, kg_channel **chp)
{
	if (!t->path)
		return kg_conn_open_tcpip(&e->conn, "direct-tcpip", t->host, (uint32_t)t->port, t->orig_ip,
					  (uint32_t)t->orig_port, chp);
	/* path, reserved string, reserved uint32 */
	kg_buf b;
	kg_buf_init(&b, 4096);
	int r = kg_buf_put_cstring(&b, t->path);
	if (r >= 0)
		r = kg_buf_put_cstring(&b, "");
	if (r >= 0)
		r = kg_buf_put_u32(&b, 0);
	if (r >= 0)
		r = kg_conn_open(&e->conn, "direct-streamlocal@openssh.com", kg_buf_ptr(&b), kg_buf_len(&b), chp);
	kg_buf_free(&b);
	return r;
}

static int open_with(kg_engine *e, kg_logger *log, int fd, const kg_cli_fwd_target *t, const kg_socks *s)
{
	kg_channel *ch = NULL;
	int r = open_channel(e, t, &ch);
	if (r < 0 || !ch) {
		kg_error(log, "channel open for %s%s%.200s failed: %s", t->path ? "" : "direct-tcpip to ",
			 t->path ? "direct-streamlocal to " : "", t->path ? t->path : t->host, kg_err_str(r));
		if (s) {
			uint8_t rep[KG_SOCKS_REPLY_MAX];
			say(fd, rep, kg_socks_reply(s, 0, KG_SOCKS5_FAIL, rep));
		}
		close(fd);
		return r == KG_ERR_ALLOC ? r : KG_OK;
	}
	opener *o = calloc(1, sizeof(*o));
	if (!o) {
		close(fd);
		return KG_ERR_ALLOC;
	}
	o->log = log;
	o->fd = fd;
	if (s) {
		o->socks = 1;
		o->s = *s;
	}
	kg_engine_attach(e, ch, &o->k, &opener_ops);
	kg_engine_kick(e);
	return KG_OK;
}

int kg_cli_fwd_open(kg_engine *e, kg_logger *log, int fd, const kg_cli_fwd_target *t)
{
	return open_with(e, log, fd, t, NULL);
}

/* ---------------- SOCKS requests ---------------- */

struct kg_cli_socks_shake {
	kg_cli_socks_shake *next, **pprev;
	kg_engine *e;
	kg_logger *log;
	int fd;
	kg_watch w;
	kg_socks s;
	char orig_ip[KG_NET_IPSTR];
	int orig_port;
};

void kg_cli_socks_list_init(kg_cli_socks_list *l)
{
	l->head = NULL;
}

/* Unlinks and frees sh; the socket is closed unless keep_fd. */
static void shake_free(kg_cli_socks_shake *sh, int keep_fd)
{
	kg_watch_set(sh->e, &sh->w, -1, 0, NULL, NULL);
	*sh->pprev = sh->next;
	if (sh->next)
		sh->next->pprev = sh->pprev;
	if (!keep_fd)
		close(sh->fd);
	free(sh);
}

/* What the socket holds, looked at without taking it: only the request's
 * own bytes are read, the client's data after it stays for the relay. */
static void on_shake(void *ctx, int fd, int revents)
{
	kg_cli_socks_shake *sh = ctx;
	uint8_t in[600];
	(void)revents;
	ssize_t n;
	do
		n = recv(fd, in, sizeof(in), MSG_PEEK);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		shake_free(sh, 0);
		return;
	}
	size_t off = 0;
	while (off < (size_t)n) {
		size_t used = 0, outlen = 0;
		uint8_t out[KG_SOCKS_REPLY_MAX];
		int r = kg_socks_feed(&sh->s, in + off, (size_t)n - off, &used, out, &outlen);
		uint8_t sink[sizeof(in)];
		size_t got = 0;
		if (used && (kg_fd_read(fd, sink, used, &got) < 0 || got != used)) {
			shake_free(sh, 0);
			return;
		}
		off += used;
		if (outlen)
			say(fd, out, outlen);
		if (r < 0) {
			kg_verbose(sh->log, "channel: dynamic request: socks parse failed");
			shake_free(sh, 0);
			return;
		}
		if (r == KG_SOCKS_DONE) {
			kg_debug(sh->log, "Connection to port forwarding: socks%d host %s port %u", sh->s.version,
				 sh->s.host, sh->s.port);
			kg_engine *e = sh->e;
			kg_logger *log = sh->log;
			kg_socks s = sh->s;
			char orig[KG_NET_IPSTR];
			memcpy(orig, sh->orig_ip, sizeof(orig));
			kg_cli_fwd_target t = {
				.host = s.host, .port = s.port, .orig_ip = orig, .orig_port = sh->orig_port,
			};
			shake_free(sh, 1);
			int rc = open_with(e, log, fd, &t, &s);
			if (rc < 0)
				kg_engine_fail(e, rc);
			return;
		}
		if (used == 0)
			break;
	}
}

int kg_cli_socks_accept(kg_cli_socks_list *l, kg_engine *e, kg_logger *log, int fd, const char *orig_ip,
			int orig_port)
{
	kg_cli_socks_shake *sh = calloc(1, sizeof(*sh));
	if (!sh) {
		close(fd);
		return KG_ERR_ALLOC;
	}
	sh->e = e;
	sh->log = log;
	sh->fd = fd;
	kg_watch_init(&sh->w);
	kg_socks_init(&sh->s);
	snprintf(sh->orig_ip, sizeof(sh->orig_ip), "%s", orig_ip);
	sh->orig_port = orig_port;
	sh->next = l->head;
	if (l->head)
		l->head->pprev = &sh->next;
	sh->pprev = &l->head;
	l->head = sh;
	kg_watch_set(e, &sh->w, fd, KG_LOOP_READ, on_shake, sh);
	return KG_OK;
}

void kg_cli_socks_list_free(kg_cli_socks_list *l)
{
	while (l->head)
		shake_free(l->head, 0);
}
