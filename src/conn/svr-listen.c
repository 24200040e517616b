/* The listening server: sockets, the accept loop on a kg_loop, MaxStartups, a forked (and re-executed) process per connection. */
/* Children still authenticating are counted through a pipe each closes
 * once its user is in; SIGCHLD reaps them, SIGHUP restarts and
 * SIGTERM/SIGINT stop, all taken as callbacks from the loop. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <openssl/rand.h>
#include "sys/reexec.h"
#include "conn/svr-listen.h"
#include "conn/svr-privsep.h"

int kg_svr_parse_listen_address(const char *spec, char *host, size_t hostsz, int *port)
{
	ENSURE(spec && *spec && hostsz > 0, KG_ERR_ARG);
	const char *h = spec, *p = NULL;
	size_t hlen;
	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');
		ENSURE(end != NULL, KG_ERR_CONFIG);
		h = spec + 1;
		hlen = (size_t)(end - h);
		if (end[1] == ':')
			p = end + 2;
		else
			ENSURE(end[1] == '\0', KG_ERR_CONFIG);
	} else {
		const char *colon = strchr(spec, ':');
		if (colon && strchr(colon + 1, ':') == NULL) {
			hlen = (size_t)(colon - spec);
			p = colon + 1;
		} else {
			hlen = strlen(spec);  /* no port, or a bare IPv6 address */
		}
	}
	ENSURE(hlen > 0 && hlen < hostsz, KG_ERR_CONFIG);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = 0;
	if (p) {
		char *end = NULL;
		long v = strtol(p, &end, 10);
		ENSURE(*p && end && *end == '\0' && v >= 1 && v <= 65535, KG_ERR_CONFIG);
		*port = (int)v;
	}
	return KG_OK;
}

int kg_svr_maxstartups_drop(int start, int rate, int full, size_t unauth, uint32_t rnd)
{
	if (full <= 0 || start <= 0)
		return 0;
	if (unauth >= (size_t)full)
		return 1;
	if (unauth < (size_t)start || full <= start)
		return 0;
	/* percent = rate + (100 - rate) * (unauth - start) / (full - start) */
	uint64_t pct = (uint64_t)rate + (uint64_t)(100 - rate) * (unauth - (size_t)start) / (uint64_t)(full - start);
	return (uint64_t)rnd % 100 < pct;
}

static int add_listen(kg_svr_listener *l, const char *host, int port, kg_logger *log)
{
	char ps[16], err[256];
	size_t n = 0;
	snprintf(ps, sizeof(ps), "%d", port);
	ENSURE(l->nfds < KG_SVR_MAX_LISTEN, KG_ERR_TOO_LARGE);
	int r = kg_net_listen(host, ps, 0, l->fds + l->nfds, KG_SVR_MAX_LISTEN - l->nfds, &n, err, sizeof(err));
	if (r < 0) {
		kg_error(log, "Bind to port %d on %s failed: %s", port, host ? host : "0.0.0.0", err);
		return r;
	}
	for (size_t i = 0; i < n; i++)
		kg_info(log, "Server listening on %s port %d.", host ? host : "0.0.0.0 / ::", port);
	l->nfds += n;
	return KG_OK;
}

static void on_signal(void *ctx, int signo);
static void on_listen(void *ctx, int fd, int revents);

int kg_svr_listen_open(kg_svr_listener *l, const kg_server_config *cfg, kg_logger *log)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };

	memset(l, 0, sizeof(*l));
	l->log = log;
	kg_loop_init(&l->loop);
	if (kg_svr_limits_get(cfg, &l->lim) < 0) {
		kg_error(log, "Bad PerSource limits");
		return KG_ERR_CONFIG;
	}
	kg_penalty_init(&l->pen, &l->lim.pen);
	/* Blocked from now on, so a signal during start-up waits for the loop. */
	for (size_t i = 0; i < KG_ARRAY_LEN(sigs); i++)
		GUARD(kg_loop_add_signal(&l->loop, sigs[i], on_signal, l));
	if (cfg->listen_addresses.n == 0) {
		for (size_t i = 0; i < cfg->nports; i++)
			(void)!add_listen(l, NULL, cfg->ports[i], log);
	}
	for (size_t a = 0; a < cfg->listen_addresses.n; a++) {
		char host[256];
		int port;
		if (kg_svr_parse_listen_address(cfg->listen_addresses.v[a], host, sizeof(host), &port) < 0) {
			kg_error(log, "Bad ListenAddress '%s'", cfg->listen_addresses.v[a]);
			return KG_ERR_CONFIG;
		}
		if (port)
			(void)!add_listen(l, host, port, log);
		else
			for (size_t i = 0; i < cfg->nports; i++)
				(void)!add_listen(l, host, cfg->ports[i], log);
	}
	if (l->nfds == 0) {
		kg_error(log, "Cannot bind any address.");
		return KG_ERR_SYSTEM;
	}
	for (size_t i = 0; i < l->nfds; i++)
		GUARD(kg_loop_add_fd(&l->loop, l->fds[i], KG_LOOP_READ, on_listen, l));
	return KG_OK;
}

void kg_svr_listen_close(kg_svr_listener *l)
{
	for (size_t i = 0; i < l->nfds; i++)
		close(l->fds[i]);
	l->nfds = 0;
	for (size_t i = 0; i < l->nchildren; i++)
		if (l->children[i].startup_fd >= 0)
			close(l->children[i].startup_fd);
	free(l->children);
	l->children = NULL;
	l->nchildren = l->cap = 0;
	kg_penalty_free(&l->pen);
	kg_loop_free(&l->loop);   /* the signals are unblocked again */
}

static void startup_done(kg_svr_listener *l, kg_svr_child *c)
{
	if (c->startup_fd < 0)
		return;
	char b;
	if (read(c->startup_fd, &b, 1) == 1 && b == KG_SVR_NOTIFY_AUTH)
		c->authed = 1;
	(void)!kg_loop_remove_fd(&l->loop, c->startup_fd);
	close(c->startup_fd);
	c->startup_fd = -1;
	if (l->unauth > 0)
		l->unauth--;
}

/* A child's startup pipe is readable: it closed it (its user is in) or
 * it ended. */
static void on_startup(void *ctx, int fd, int revents)
{
	kg_svr_listener *l = ctx;
	(void)revents;
	for (size_t i = 0; i < l->nchildren; i++) {
		if (l->children[i].startup_fd == fd) {
			startup_done(l, &l->children[i]);
			return;
		}
	}
}

/* PerSourcePenalties: what the child's end costs its source. */
static void penalise(kg_svr_listener *l, const kg_svr_child *c, int st)
{
	int kind = kg_pen_kind_from_status(c->authed, st);
	if (kind == KG_PEN_NONE || !c->has_key || c->exempt || !l->lim.pen.enabled)
		return;
	int secs = kg_pen_kind_secs(&l->lim.pen, kind);
	if (secs <= 0)
		return;
	kg_verbose(l->log, "penalty for %s: %s, %d seconds", c->ip, kg_pen_kind_name(kind), secs);
	if (kg_penalty_add(&l->pen, &c->key, kind, kg_monotonic_ms()) < 0)
		kg_error(l->log, "penalty table: out of memory");
}

static void reap(kg_svr_listener *l)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (size_t i = 0; i < l->nchildren; i++) {
			if (l->children[i].pid != pid)
				continue;
			startup_done(l, &l->children[i]);
			penalise(l, &l->children[i], st);
			if (l->single && pid == l->single_pid) {
				l->single_done = 1;
				kg_loop_stop(&l->loop);
			}
			l->children[i] = l->children[--l->nchildren];
			break;
		}
	}
}

static void on_signal(void *ctx, int signo)
{
	kg_svr_listener *l = ctx;
	if (signo == SIGCHLD) {
		reap(l);
		return;
	}
	/* A SIGTERM beside a SIGHUP wins: stop rather than restart. */
	int why = signo == SIGHUP ? KG_SVR_STOP_HUP : KG_SVR_STOP_TERM;
	if (why > l->stop)
		l->stop = why;
	kg_loop_stop(&l->loop);
}

/* Only noted here: accepting waits until the startup pipes and signals of
 * the same wait are handled, so MaxStartups counts what is current. */
static void on_listen(void *ctx, int fd, int revents)
{
	kg_svr_listener *l = ctx;
	(void)revents;
	for (size_t i = 0; i < l->nfds; i++)
		if (l->fds[i] == fd)
			l->ready[i] = 1;
}

static void child_process(kg_svr_listener *l, const kg_svr_ctx *ctx, int fd, int notify)
{
	for (size_t i = 0; i < l->nfds; i++)
		close(l->fds[i]);
	for (size_t i = 0; i < l->nchildren; i++)
		if (l->children[i].startup_fd >= 0)
			close(l->children[i].startup_fd);
	/* The connection takes the signals it needs itself; SIGTERM, SIGINT
	 * and SIGHUP act again. */
	kg_loop_free(&l->loop);
	if (l->reexec_path) {
		/* The failure-delay secret: a name takes as long on every connection. */
		kg_reexec_io io = { .sock = fd, .notify = notify, .config = l->reexec_config_fd,
				    .state = ctx->fail_salt, .state_len = sizeof(ctx->fail_salt) };
		(void)!kg_reexec_exec(l->reexec_path, l->reexec_argv, &io);
		kg_error(l->log, "re-exec %s failed: %s", l->reexec_path, strerror(errno));
		_exit(KG_SVR_EXIT_ERROR);
	}
	int code = KG_SVR_EXIT_ERROR;
	(void)!kg_svr_conn_serve(ctx, fd, notify, &code);
	_exit(code);
}

static int handle_accept(kg_svr_listener *l, const kg_svr_ctx *ctx, int lfd)
{
	int fd;
	int r = kg_net_accept(lfd, &fd);
	if (r < 0)
		return r == KG_ERR_AGAIN ? KG_OK : r;
	/* TCPKeepAlive: the kernel probes an idle peer (sshd sets it on every
	 * accepted socket); a failure here only loses the probes. */
	if (ctx->cfg->tcp_keepalive == 1 && kg_net_set_keepalive(fd, 1) < 0)
		kg_debug(l->log, "setsockopt SO_KEEPALIVE: %s", strerror(errno));
	if (l->single && !l->reexec_path) {
		r = kg_svr_conn_serve(ctx, fd, -1, NULL);
		return r < 0 ? r : 2;
	}
	const kg_server_config *cfg = ctx->cfg;
	kg_svr_child nc = { .startup_fd = -1 };
	int port = 0;
	if (kg_net_peer_strings(fd, nc.ip, sizeof(nc.ip), &port) < 0)
		snprintf(nc.ip, sizeof(nc.ip), "UNKNOWN");
	nc.has_key = kg_netkey_from_ip(nc.ip, l->lim.netblock4, l->lim.netblock6, &nc.key) == KG_OK;
	nc.exempt = kg_svr_exempt_match(l->lim.exempt, nc.ip);
	const char *why = NULL;
	if (nc.has_key && !nc.exempt && kg_penalty_check(&l->pen, &nc.key, kg_monotonic_ms(), &why)) {
		kg_info(l->log, "drop connection #%zu from [%s]:%d %s", l->unauth, nc.ip, port, why);
		close(fd);
		return KG_OK;
	}
	uint32_t rnd = 0;
	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		rnd = 0;
	if (kg_svr_maxstartups_drop(cfg->max_startups_begin, cfg->max_startups_rate, cfg->max_startups_full,
				    l->unauth, rnd)) {
		kg_info(l->log, "drop connection #%zu from [%s]:%d past MaxStartups", l->unauth, nc.ip, port);
		close(fd);
		return KG_OK;
	}
	if (l->lim.per_source_max_startups > 0 && nc.has_key) {
		size_t same = 0;
		for (size_t i = 0; i < l->nchildren; i++)
			same += l->children[i].startup_fd >= 0 && l->children[i].has_key &&
				kg_netkey_eq(&l->children[i].key, &nc.key);
		if (same >= (size_t)l->lim.per_source_max_startups) {
			kg_info(l->log, "drop connection #%zu from [%s]:%d past PerSourceMaxStartups", l->unauth,
				nc.ip, port);
			close(fd);
			return KG_OK;
		}
	}
	if (l->nchildren == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		kg_svr_child *n = realloc(l->children, ncap * sizeof(*n));
		if (!n) {
			close(fd);
			return KG_OK;
		}
		l->children = n;
		l->cap = ncap;
	}
	int pp[2];
	if (pipe2(pp, O_CLOEXEC | O_NONBLOCK) != 0) {
		kg_error(l->log, "pipe: %s", strerror(errno));
		close(fd);
		return KG_OK;
	}
	if (kg_loop_add_fd(&l->loop, pp[0], KG_LOOP_READ, on_startup, l) < 0) {
		kg_error(l->log, "cannot watch a new connection");
		close(pp[0]);
		close(pp[1]);
		close(fd);
		return KG_OK;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(pp[0]);
		child_process(l, ctx, fd, pp[1]);
	}
	close(fd);
	close(pp[1]);
	if (pid < 0) {
		kg_error(l->log, "fork: %s", strerror(errno));
		(void)!kg_loop_remove_fd(&l->loop, pp[0]);
		close(pp[0]);
		return KG_OK;
	}
	nc.pid = pid;
	nc.startup_fd = pp[0];
	l->children[l->nchildren++] = nc;
	l->unauth++;
	if (l->single) {
		/* -d: one connection; the next ones are refused while it runs. */
		l->single_pid = pid;
		for (size_t i = 0; i < l->nfds; i++) {
			(void)!kg_loop_remove_fd(&l->loop, l->fds[i]);
			close(l->fds[i]);
		}
		l->nfds = 0;
	}
	return KG_OK;
}

int kg_svr_listen_run(kg_svr_listener *l, const kg_svr_ctx *ctx)
{
	l->stop = 0;
	for (;;) {
		memset(l->ready, 0, sizeof(l->ready));
		int r = kg_loop_run_once(&l->loop, -1);
		if (r < 0 && r != KG_ERR_AGAIN)
			return KG_ERR_SYSTEM;
		if (l->stop == KG_SVR_STOP_HUP) {
			kg_info(l->log, "Received SIGHUP; restarting.");
			return 1;
		}
		if (l->single_done)
			return KG_OK;
		if (l->stop == KG_SVR_STOP_TERM) {
			kg_info(l->log, "Received signal; terminating.");
			return KG_OK;
		}
		for (size_t i = 0; i < l->nfds; i++) {
			if (!l->ready[i])
				continue;
			r = handle_accept(l, ctx, l->fds[i]);
			if (r == 2)
				return KG_OK;
			if (r < 0 && l->single)
				return r;
		}
	}
}
