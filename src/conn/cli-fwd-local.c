/* The client's local and dynamic forwardings (see cli-fwd-local.h): one
 * listener per specification, its sockets on the engine's loop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include "conn/cli-fwd-local.h"
#include "conn/cli-fwd-socks.h"
#include "sys/net.h"
#include "sys/net-fwd.h"

#define LISTEN_MAX 8         /* sockets of one TCP listener (one per address) */
#define BIND_MASK 0177u      /* StreamLocalBindMask's default */

typedef struct listener {
	kg_cli_lfwd *l;
	kg_fwd_spec spec;        /* a copy */
	int fds[LISTEN_MAX];
	kg_watch w[LISTEN_MAX];
	size_t n;
	int port;                /* the TCP port listened on */
	int made_path;           /* the socket file at spec.listen_path is ours */
	dev_t dev;
	ino_t ino;
} listener;

struct kg_cli_lfwd {
	kg_engine *e;
	kg_logger *log;
	const kg_client_config *cfg;
	listener **v;
	size_t n;
	kg_cli_socks_list socks;
};

int kg_cli_lfwd_mask(const kg_client_config *cfg, unsigned *mask)
{
	const char *t = cfg->stream_local_bind_mask;
	*mask = BIND_MASK;
	if (!t)
		return KG_OK;
	char *end;
	unsigned long v = strtoul(t, &end, 8);
	if (!*t || *end || v > 0777 || t[0] == '-' || t[0] == '+')
		return KG_ERR_CONFIG;
	*mask = (unsigned)v;
	return KG_OK;
}

int kg_cli_lfwd_new(kg_engine *e, kg_logger *log, const kg_client_config *cfg, kg_cli_lfwd **out)
{
	kg_cli_lfwd *l = calloc(1, sizeof(*l));
	ENSURE(l, KG_ERR_ALLOC);
	l->e = e;
	l->log = log;
	l->cfg = cfg;
	kg_cli_socks_list_init(&l->socks);
	*out = l;
	return KG_OK;
}

static int dup_opt(char **dst, const char *s)
{
	*dst = NULL;
	if (!s)
		return KG_OK;
	*dst = strdup(s);
	return *dst ? KG_OK : KG_ERR_ALLOC;
}

static int spec_copy(kg_fwd_spec *d, const kg_fwd_spec *s)
{
	*d = *s;
	d->listen_host = d->listen_path = d->connect_host = d->connect_path = NULL;
	if (dup_opt(&d->listen_host, s->listen_host) < 0 || dup_opt(&d->listen_path, s->listen_path) < 0 ||
	    dup_opt(&d->connect_host, s->connect_host) < 0 || dup_opt(&d->connect_path, s->connect_path) < 0) {
		kg_fwd_spec_free(d);
		return KG_ERR_ALLOC;
	}
	return KG_OK;
}

/* The socket file is removed only while it is still the one we made. */
static void listener_free(listener *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		kg_watch_set(ls->l->e, &ls->w[i], -1, 0, NULL, NULL);
		close(ls->fds[i]);
	}
	struct stat st;
	if (ls->made_path && lstat(ls->spec.listen_path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == ls->dev &&
	    st.st_ino == ls->ino)
		(void)unlink(ls->spec.listen_path);
	kg_fwd_spec_free(&ls->spec);
	free(ls);
}

static void accept_one(listener *ls, int lfd)
{
	kg_cli_lfwd *l = ls->l;
	int fd;
	int r = kg_net_accept(lfd, &fd);
	if (r == KG_ERR_AGAIN)
		return;
	if (r < 0) {
		kg_error(l->log, "accept: %s", strerror(errno));
		return;
	}
	char ip[KG_NET_IPSTR] = "127.0.0.1";
	int port = 65535;  /* a Unix-domain peer has none: what peers expect */
	if (!ls->spec.listen_path && kg_net_peer_strings(fd, ip, sizeof(ip), &port) < 0) {
		snprintf(ip, sizeof(ip), "127.0.0.1");
		port = 65535;
	}
	if (ls->spec.dynamic) {
		kg_debug(l->log, "Connection to port %d forwarding to socks port %d requested.", ls->port, ls->port);
		r = kg_cli_socks_accept(&l->socks, l->e, l->log, fd, ip, port);
	} else {
		kg_debug(l->log, "Connection to port %d forwarding to %s port %d requested.", ls->port,
			 ls->spec.connect_path ? ls->spec.connect_path : ls->spec.connect_host, ls->spec.connect_port);
		kg_cli_fwd_target t = {
			.host = ls->spec.connect_host, .port = ls->spec.connect_port, .path = ls->spec.connect_path,
			.orig_ip = ip, .orig_port = port,
		};
		r = kg_cli_fwd_open(l->e, l->log, fd, &t);
	}
	if (r < 0)
		kg_engine_fail(l->e, r);
}

static void on_accept(void *ctx, int fd, int revents)
{
	(void)revents;
	accept_one(ctx, fd);
}

/* OpenSSH's rule for the client: no address means loopback (every
 * address with GatewayPorts), "" and "*" every address, "localhost"
 * loopback, anything else that address. */
static int listen_tcp(kg_cli_lfwd *l, listener *ls)
{
	const char *h = ls->spec.listen_host, *addr = NULL;
	int wildcard = 0;
	if (!h)
		wildcard = l->cfg->gateway_ports == 1;
	else if (!*h || strcmp(h, "*") == 0)
		wildcard = 1;
	else if (strcasecmp(h, "localhost") != 0)
		addr = h;
	char err[256] = "";
	int r = kg_net_listen_tcp(addr, wildcard, ls->spec.listen_port, ls->fds, LISTEN_MAX, &ls->n, &ls->port, err,
				  sizeof(err));
	if (r < 0) {
		ls->n = 0;
		if (err[0])
			kg_error(l->log, "%s", err);
		kg_error(l->log, "channel_setup_fwd_listener_tcpip: cannot listen to port: %d", ls->spec.listen_port);
		return KG_ERR_SYSTEM;
	}
	kg_debug(l->log, "Local forwarding listening on %s port %d.", addr ? addr : wildcard ? "*" : "localhost",
		 ls->port);
	return KG_OK;
}

static int listen_unix(kg_cli_lfwd *l, listener *ls)
{
	const char *path = ls->spec.listen_path;
	char err[256] = "";
	unsigned mask;
	if (kg_cli_lfwd_mask(l->cfg, &mask) < 0)
		mask = BIND_MASK;
	int r = kg_net_listen_unix(path, l->cfg->stream_local_bind_unlink == 1, (mode_t)mask, &ls->fds[0], err,
				   sizeof(err));
	if (r < 0) {
		if (r == KG_ERR_TOO_LARGE)
			kg_error(l->log, "unix_listener: %s", err);
		else
			kg_error(l->log, "unix_listener: cannot bind to path %s: %s", path, strerror(errno));
		return KG_ERR_SYSTEM;
	}
	ls->n = 1;
	struct stat st;
	if (lstat(path, &st) == 0) {
		ls->made_path = 1;
		ls->dev = st.st_dev;
		ls->ino = st.st_ino;
	}
	kg_debug(l->log, "Local forwarding listening on path %s.", path);
	return KG_OK;
}

int kg_cli_lfwd_add(kg_cli_lfwd *l, const kg_fwd_spec *spec)
{
	ENSURE(spec->kind == KG_FWDSPEC_LOCAL || spec->kind == KG_FWDSPEC_DYNAMIC, KG_ERR_ARG);
	listener **v = realloc(l->v, (l->n + 1) * sizeof(*v));
	ENSURE(v, KG_ERR_ALLOC);
	l->v = v;
	listener *ls = calloc(1, sizeof(*ls));
	ENSURE(ls, KG_ERR_ALLOC);
	ls->l = l;
	for (size_t i = 0; i < LISTEN_MAX; i++)
		kg_watch_init(&ls->w[i]);
	if (spec_copy(&ls->spec, spec) < 0) {
		free(ls);
		return KG_ERR_ALLOC;
	}
	if (spec->dynamic || spec->kind == KG_FWDSPEC_DYNAMIC) {
		ls->spec.kind = KG_FWDSPEC_DYNAMIC;
		ls->spec.dynamic = 1;
	}
	char tgt[KG_FWDSPEC_HOST_MAX + 16];
	if (ls->spec.listen_path)
		kg_debug(l->log, "Local connections to %s forwarded to remote address %s", ls->spec.listen_path,
			 ls->spec.dynamic ? "socks:0" : kg_fwd_spec_target(&ls->spec, tgt, sizeof(tgt)));
	else
		kg_debug(l->log, "Local connections to %s:%d forwarded to remote address %s",
			 ls->spec.listen_host ? ls->spec.listen_host : "LOCALHOST", ls->spec.listen_port,
			 ls->spec.dynamic ? "socks:0" : kg_fwd_spec_target(&ls->spec, tgt, sizeof(tgt)));
	int r = ls->spec.listen_path ? listen_unix(l, ls) : listen_tcp(l, ls);
	if (r < 0) {
		listener_free(ls);
		return r;
	}
	for (size_t i = 0; i < ls->n; i++)
		kg_watch_set(l->e, &ls->w[i], ls->fds[i], KG_LOOP_READ, on_accept, ls);
	l->v[l->n++] = ls;
	return KG_OK;
}

/* Whether listener ls is the one spec's listen side names. */
static int same_listen(const listener *ls, const kg_fwd_spec *spec)
{
	const kg_fwd_spec *a = &ls->spec;
	if (a->listen_path || spec->listen_path)
		return a->listen_path && spec->listen_path && strcmp(a->listen_path, spec->listen_path) == 0;
	if (spec->listen_port != a->listen_port && spec->listen_port != ls->port)
		return 0;
	if (!spec->listen_host)
		return 1;
	const char *h = a->listen_host ? a->listen_host : "localhost";
	return strcasecmp(h, spec->listen_host) == 0;
}

int kg_cli_lfwd_cancel(kg_cli_lfwd *l, const kg_fwd_spec *spec)
{
	for (size_t i = 0; i < l->n; i++) {
		if (!same_listen(l->v[i], spec))
			continue;
		listener_free(l->v[i]);
		memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
		l->n--;
		return KG_OK;
	}
	return KG_ERR_NOT_FOUND;
}

size_t kg_cli_lfwd_count(const kg_cli_lfwd *l)
{
	return l->n;
}

void kg_cli_lfwd_free(kg_cli_lfwd *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		listener_free(l->v[i]);
	free(l->v);
	kg_cli_socks_list_free(&l->socks);
	free(l);
}
