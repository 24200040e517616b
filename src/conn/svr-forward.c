/* Forwarding requests on the server: what may be forwarded, the listeners,
 * and the direct-* channel opens. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "conn/svr-forward.h"
#include "conn/common-forward-relay.h"
#include "sys/net.h"
#include "sys/net-fwd.h"

#define HOST_MAX 255   /* a listen or target host name */

typedef struct listener {
	struct listener *next;
	kg_svr_fwd *f;
	int is_unix;
	char *name;          /* the host as the client sent it, or the socket path */
	uint32_t port;       /* the port listened on (allocated when 0 was asked) */
	int fds[KG_SVR_FWD_ADDRS];
	size_t nfds;
} listener;

struct kg_svr_fwd {
	kg_svr_fwd_ctx c;
	listener *list;
	size_t n;
};

static void on_accept(void *ctx, int fd, int revents);

int kg_svr_fwd_new(const kg_svr_fwd_ctx *ctx, kg_svr_fwd **out)
{
	kg_svr_fwd *f = calloc(1, sizeof(*f));
	ENSURE(f != NULL, KG_ERR_ALLOC);
	f->c = *ctx;
	*out = f;
	return KG_OK;
}

static void listener_close(kg_svr_fwd *f, listener *l)
{
	for (size_t i = 0; i < l->nfds; i++) {
		(void)!kg_loop_remove_fd(f->c.eng->loop, l->fds[i]);
		close(l->fds[i]);
	}
	free(l->name);
	free(l);
}

void kg_svr_fwd_free(kg_svr_fwd *f)
{
	if (!f)
		return;
	while (f->list) {
		listener *l = f->list;
		f->list = l->next;
		listener_close(f, l);
	}
	free(f);
}

size_t kg_svr_fwd_count(const kg_svr_fwd *f)
{
	return f ? f->n : 0;
}

/* ---------------- what is allowed ---------------- */

static int mode_allows(int mode, int remote)
{
	return mode == KG_FWD_YES || mode == (remote ? KG_FWD_REMOTE : KG_FWD_LOCAL);
}

/* The switches every kind of forwarding needs. */
static int forwarding_on(const kg_svr_fwd *f, int mode, int remote)
{
	return mode_allows(mode, remote) && f->c.cfg->disable_forwarding != 1 &&
	       !(f->c.ak && f->c.ak->no_port_forwarding);
}

/* PermitOpen / PermitListen: unset or "any" allows all, "none" nothing. */
static int admin_allows(const kg_strlist *l, int listen, const char *host, uint32_t port)
{
	if (l->n == 0 || (l->n == 1 && strcmp(l->v[0], "any") == 0))
		return 1;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], "none") != 0 && kg_permit_entry_allows(l->v[i], listen, host, port))
			return 1;
	return 0;
}

/* GatewayPorts decides what a listen address from the client becomes, as
 * sshd's channel_fwd_bind_addr: *addr NULL means loopback (or every
 * address with *wildcard). */
static void bind_address(const kg_svr_fwd *f, const char *want, const char **addr, int *wildcard)
{
	int gp = f->c.cfg->gateway_ports;
	int loop = strcmp(want, "127.0.0.1") == 0 || strcmp(want, "::1") == 0;
	*addr = NULL;
	*wildcard = 0;
	if (gp == KG_GW_YES || (gp == KG_GW_CLIENTSPECIFIED && (!*want || strcmp(want, "*") == 0))) {
		*wildcard = 1;
		if (*want && strcmp(want, "*") != 0 && strcmp(want, "0.0.0.0") != 0)
			kg_verbose(f->c.log, "Forwarding listen address \"%s\" overridden by server GatewayPorts", want);
	} else if (gp == KG_GW_CLIENTSPECIFIED) {
		/* "localhost" stays NULL: every loopback address family. */
		if (strcmp(want, "localhost") != 0)
			*addr = want;
	} else if (loop) {
		*addr = want;  /* the client prefers IPv4 or IPv6 loopback */
	}
}

/* ---------------- listeners ---------------- */

static int add_listener(kg_svr_fwd *f, int is_unix, const char *name, uint32_t port, const int *fds, size_t n)
{
	listener *l = calloc(1, sizeof(*l));
	if (l)
		l->name = strdup(name);
	if (!l || !l->name) {
		free(l);
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
		return KG_ERR_ALLOC;
	}
	l->f = f;
	l->is_unix = is_unix;
	l->port = port;
	int r = KG_OK;
	for (size_t i = 0; i < n; i++) {
		l->fds[l->nfds++] = fds[i];
		if (r == KG_OK)
			r = kg_loop_add_fd(f->c.eng->loop, fds[i], KG_LOOP_READ, on_accept, l);
	}
	if (r < 0) {
		for (size_t i = 0; i < l->nfds; i++)
			(void)!kg_loop_remove_fd(f->c.eng->loop, l->fds[i]);
		l->nfds = 0;
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
		free(l->name);
		free(l);
		return r;
	}
	l->next = f->list;
	f->list = l;
	f->n++;
	return KG_OK;
}

/* One accepted connection becomes a channel the client is asked to open. */
static int forward_accepted(listener *l, int fd)
{
	kg_svr_fwd *f = l->f;
	kg_conn *c = &f->c.eng->conn;
	kg_channel *ch = NULL;
	int r;
	if (l->is_unix) {
		/* the path, then a reserved string (PROTOCOL 2.4) */
		uint8_t extra[4 + HOST_MAX + 4];
		size_t plen = strlen(l->name);
		kg_poke_u32(extra, (uint32_t)plen);
		memcpy(extra + 4, l->name, plen);
		kg_poke_u32(extra + 4 + plen, 0);
		r = kg_conn_open(c, "forwarded-streamlocal@openssh.com", extra, plen + 8, &ch);
	} else {
		char ip[KG_NET_IPSTR];
		int port = 0;
		if (kg_net_peer_strings(fd, ip, sizeof(ip), &port) < 0)
			snprintf(ip, sizeof(ip), "127.0.0.1");
		r = kg_conn_open_tcpip(c, "forwarded-tcpip", l->name, l->port, ip, (uint32_t)port, &ch);
		if (r >= 0)
			kg_debug(f->c.log, "forwarded-tcpip: listen %s port %u, originator %s port %d", l->name, l->port,
				 ip, port);
	}
	if (r == KG_ERR_NO_SPACE) {
		kg_verbose(f->c.log, "forwarded connection dropped: no free channel");
		close(fd);
		return KG_OK;
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	return kg_fwd_relay_opening(f->c.eng, f->c.log, ch, fd);
}

static void on_accept(void *ctx, int fd, int revents)
{
	listener *l = ctx;
	kg_engine *e = l->f->c.eng;
	(void)revents;
	for (int i = 0; i < KG_SVR_FWD_ACCEPT_BURST && e->status == 0; i++) {
		int nfd = -1;
		int r = kg_net_accept(fd, &nfd);
		if (r == KG_ERR_AGAIN)
			break;
		if (r < 0) {
			kg_verbose(l->f->c.log, "accept on forwarded port: %s", strerror(errno));
			break;
		}
		r = forward_accepted(l, nfd);
		if (r < 0) {
			kg_engine_fail(e, r);
			return;
		}
	}
	kg_engine_kick(e);
}

struct tcp_listen {
	const char *addr;
	int wildcard, port, bound;
	int fds[KG_SVR_FWD_ADDRS];
	size_t n;
	char err[160];
};

static int do_listen_tcp(void *arg)
{
	struct tcp_listen *t = arg;
	return kg_net_listen_tcp(t->addr, t->wildcard, t->port, t->fds, KG_SVR_FWD_ADDRS, &t->n, &t->bound, t->err,
				 sizeof(t->err));
}

struct unix_listen {
	const char *path;
	int unlink_first, fd;
	mode_t mask;
	char err[200];
};

static int do_listen_unix(void *arg)
{
	struct unix_listen *u = arg;
	return kg_net_listen_unix(u->path, u->unlink_first, u->mask, &u->fd, u->err, sizeof(u->err));
}

/* ---------------- global requests ---------------- */

/* A string field as a C string of at most max bytes, without NULs. */
static int get_cstr(kg_buf *b, char *out, size_t max)
{
	const uint8_t *p;
	size_t n;
	GUARD(kg_buf_get_string_direct(b, &p, &n));
	if (n > max || memchr(p, '\0', n))
		return 0;
	memcpy(out, p, n);
	out[n] = '\0';
	return 1;
}

static int reply(kg_svr_fwd *f, const kg_conn_event *ev, int ok, const uint8_t *data, size_t len)
{
	if (!ev->want_reply)
		return 1;
	GUARD(kg_conn_global_reply(&f->c.eng->conn, ok, data, len));
	return 1;
}

static int tcpip_forward(kg_svr_fwd *f, const kg_conn_event *ev)
{
	const kg_server_config *cfg = f->c.cfg;
	char host[HOST_MAX + 1];
	uint32_t port = 0;
	kg_buf b;
	kg_buf_view(&b, ev->data, ev->len);
	int ok = get_cstr(&b, host, HOST_MAX);
	GUARD(ok);
	if (kg_buf_get_u32(&b, &port) < 0 || kg_buf_len(&b) != 0)
		return KG_ERR_PROTOCOL;
	kg_debug(f->c.log, "tcpip-forward listen %s port %u", ok ? host : "?", port);
	uid_t uid = f->c.user ? f->c.user->uid : geteuid();
	if (!ok || port > 65535 || !forwarding_on(f, cfg->allow_tcp_forwarding, 1) || (!ev->want_reply && port == 0) ||
	    (port != 0 && port < 1024 && uid != 0)) {
		kg_verbose(f->c.log, "refused remote port forward from %s port %d: listen %s port %u", f->c.peer_ip,
			   f->c.peer_port, ok ? host : "?", port);
		return reply(f, ev, 0, NULL, 0);
	}
	if ((f->c.ak && !kg_ak_permitlisten_allows(f->c.ak, host, port)) ||
	    !admin_allows(&cfg->permit_listen, 1, host, port)) {
		kg_info(f->c.log,
			"Received request from %s port %d to remote forward to host %s port %u, but the request was denied.",
			f->c.peer_ip, f->c.peer_port, host, port);
		return reply(f, ev, 0, NULL, 0);
	}
	if (f->n >= KG_SVR_FWD_MAX) {
		kg_verbose(f->c.log, "refused remote port forward: %d forwardings already", KG_SVR_FWD_MAX);
		return reply(f, ev, 0, NULL, 0);
	}
	struct tcp_listen t;
	memset(&t, 0, sizeof(t));
	t.port = (int)port;
	bind_address(f, host, &t.addr, &t.wildcard);
	if (kg_fwd_as_user(f->c.log, f->c.user, do_listen_tcp, &t) < 0) {
		kg_verbose(f->c.log, "remote port forward %s port %u: %s", host, port, t.err);
		return reply(f, ev, 0, NULL, 0);
	}
	GUARD(add_listener(f, 0, host, (uint32_t)t.bound, t.fds, t.n));
	kg_verbose(f->c.log, "remote port forward listening on %s port %d for %s", t.wildcard ? "*" : t.addr ? t.addr : "localhost",
		   t.bound, f->c.peer_ip);
	if (port != 0)
		return reply(f, ev, 1, NULL, 0);
	uint8_t pb[4] = { (uint8_t)(t.bound >> 24), (uint8_t)(t.bound >> 16), (uint8_t)(t.bound >> 8), (uint8_t)t.bound };
	kg_debug(f->c.log, "Allocated listen port %d", t.bound);
	return reply(f, ev, 1, pb, sizeof(pb));
}

static int streamlocal_forward(kg_svr_fwd *f, const kg_conn_event *ev)
{
	const kg_server_config *cfg = f->c.cfg;
	char path[HOST_MAX + 1];
	kg_buf b;
	kg_buf_view(&b, ev->data, ev->len);
	int ok = get_cstr(&b, path, HOST_MAX);
	GUARD(ok);
	if (kg_buf_len(&b) != 0)
		return KG_ERR_PROTOCOL;
	kg_debug(f->c.log, "streamlocal-forward listen path %s", ok ? path : "?");
	if (!ok || !*path || !forwarding_on(f, cfg->allow_streamlocal_forwarding, 1) || f->n >= KG_SVR_FWD_MAX) {
		kg_verbose(f->c.log, "refused remote streamlocal forward from %s port %d: path %s", f->c.peer_ip,
			   f->c.peer_port, ok ? path : "?");
		return reply(f, ev, 0, NULL, 0);
	}
	struct unix_listen u = { .path = path, .unlink_first = cfg->streamlocal_bind_unlink == 1, .fd = -1,
				 .mask = (mode_t)cfg->streamlocal_bind_mask };
	if (kg_fwd_as_user(f->c.log, f->c.user, do_listen_unix, &u) < 0) {
		kg_verbose(f->c.log, "remote streamlocal forward %s: %s", path, u.err);
		return reply(f, ev, 0, NULL, 0);
	}
	GUARD(add_listener(f, 1, path, 0, &u.fd, 1));
	kg_verbose(f->c.log, "remote streamlocal forward listening on %s for %s", path, f->c.peer_ip);
	return reply(f, ev, 1, NULL, 0);
}

/* Closes every listener of that name (and port); 1 if there was one. */
static int cancel(kg_svr_fwd *f, int is_unix, const char *name, uint32_t port)
{
	int found = 0;
	for (listener **pp = &f->list; *pp;) {
		listener *l = *pp;
		if (l->is_unix == is_unix && strcmp(l->name, name) == 0 && (is_unix || l->port == port)) {
			*pp = l->next;
			listener_close(f, l);
			f->n--;
			found = 1;
		} else {
			pp = &l->next;
		}
	}
	return found;
}

static int cancel_request(kg_svr_fwd *f, const kg_conn_event *ev, int is_unix)
{
	char name[HOST_MAX + 1];
	uint32_t port = 0;
	kg_buf b;
	kg_buf_view(&b, ev->data, ev->len);
	int ok = get_cstr(&b, name, HOST_MAX);
	GUARD(ok);
	if ((!is_unix && kg_buf_get_u32(&b, &port) < 0) || kg_buf_len(&b) != 0)
		return KG_ERR_PROTOCOL;
	ok = ok && cancel(f, is_unix, name, port);
	kg_debug(f->c.log, "%s %s port %u: %s", ev->name, ok ? name : "?", port, ok ? "cancelled" : "no such forwarding");
	return reply(f, ev, ok, NULL, 0);
}

int kg_svr_fwd_global_request(kg_svr_fwd *f, const kg_conn_event *ev)
{
	if (!f)
		return 0;
	if (strcmp(ev->name, "tcpip-forward") == 0)
		return tcpip_forward(f, ev);
	if (strcmp(ev->name, "cancel-tcpip-forward") == 0)
		return cancel_request(f, ev, 0);
	if (strcmp(ev->name, "streamlocal-forward@openssh.com") == 0)
		return streamlocal_forward(f, ev);
	if (strcmp(ev->name, "cancel-streamlocal-forward@openssh.com") == 0)
		return cancel_request(f, ev, 1);
	return 0;
}

/* ---------------- direct-* channels ---------------- */

static int refuse_open(kg_svr_fwd *f, kg_channel *ch)
{
	GUARD(kg_conn_open_fail(&f->c.eng->conn, ch, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed"));
	return 1;
}

static int direct_tcpip(kg_svr_fwd *f, kg_channel *ch, const kg_conn_event *ev)
{
	const kg_server_config *cfg = f->c.cfg;
	char host[HOST_MAX + 1], orig[HOST_MAX + 1];
	uint32_t port = 0, oport = 0;
	kg_buf b;
	kg_buf_view(&b, ev->data, ev->len);
	int ok = get_cstr(&b, host, HOST_MAX);
	GUARD(ok);
	if (kg_buf_get_u32(&b, &port) < 0)
		return KG_ERR_PROTOCOL;
	int ook = get_cstr(&b, orig, HOST_MAX);
	GUARD(ook);
	if (kg_buf_get_u32(&b, &oport) < 0 || kg_buf_len(&b) != 0)
		return KG_ERR_PROTOCOL;
	if (!ook)
		snprintf(orig, sizeof(orig), "?");
	kg_debug(f->c.log, "direct-tcpip: originator %s port %u, target %s port %u", orig, oport, ok ? host : "?", port);
	if (!ok || !*host || port == 0 || port > 65535 || !forwarding_on(f, cfg->allow_tcp_forwarding, 0)) {
		kg_verbose(f->c.log, "refused local port forward: originator %s port %u, target %s port %u", orig, oport,
			   ok ? host : "?", port);
		return refuse_open(f, ch);
	}
	if ((f->c.ak && !kg_ak_permitopen_allows(f->c.ak, host, port)) || !admin_allows(&cfg->permit_open, 0, host, port)) {
		kg_info(f->c.log,
			"Received request from %s port %d to connect to host %s port %u, but the request was denied.",
			f->c.peer_ip, f->c.peer_port, host, port);
		return refuse_open(f, ch);
	}
	GUARD(kg_fwd_relay_connect_tcp(f->c.eng, f->c.log, f->c.user, ch, host, port));
	return 1;
}

static int direct_streamlocal(kg_svr_fwd *f, kg_channel *ch, const kg_conn_event *ev)
{
	const kg_server_config *cfg = f->c.cfg;
	char path[HOST_MAX + 1];
	kg_buf b;
	kg_buf_view(&b, ev->data, ev->len);
	int ok = get_cstr(&b, path, HOST_MAX);
	GUARD(ok);
	/* a reserved string and uint32 follow; older clients omit them */
	if (kg_buf_len(&b) != 0 && (kg_buf_skip_string(&b) < 0 || kg_buf_get_u32(&b, NULL) < 0 || kg_buf_len(&b) != 0))
		return KG_ERR_PROTOCOL;
	kg_debug(f->c.log, "direct-streamlocal: target %s", ok ? path : "?");
	if (!ok || !*path || !forwarding_on(f, cfg->allow_streamlocal_forwarding, 0)) {
		kg_verbose(f->c.log, "refused streamlocal port forward: originator %s port %d, target %s", f->c.peer_ip,
			   f->c.peer_port, ok ? path : "?");
		return refuse_open(f, ch);
	}
	GUARD(kg_fwd_relay_connect_unix(f->c.eng, f->c.log, f->c.user, ch, path));
	return 1;
}

int kg_svr_fwd_open_request(kg_svr_fwd *f, kg_channel *ch, const kg_conn_event *ev)
{
	if (!f)
		return 0;
	if (strcmp(ev->name, "direct-tcpip") == 0)
		return direct_tcpip(f, ch, ev);
	if (strcmp(ev->name, "direct-streamlocal@openssh.com") == 0)
		return direct_streamlocal(f, ch, ev);
	return 0;
}
