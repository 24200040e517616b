/* Listening sockets and the accept loop: fork per connection, count the
 * ones still authenticating through a pipe each child closes once its user
 * is in, reap children through a signalfd. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <openssl/rand.h>
#include "conn/svr-listen.h"

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

int kg_svr_listen_open(kg_svr_listener *l, const kg_server_config *cfg, kg_logger *log)
{
	memset(l, 0, sizeof(*l));
	l->log = log;
	l->sigfd = -1;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	ENSURE(sigprocmask(SIG_BLOCK, &set, NULL) == 0, KG_ERR_SYSTEM);
	l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	ENSURE(l->sigfd >= 0, KG_ERR_SYSTEM);
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
	if (l->sigfd >= 0)
		close(l->sigfd);
	l->sigfd = -1;
}

static void startup_done(kg_svr_listener *l, kg_svr_child *c)
{
	if (c->startup_fd < 0)
		return;
	close(c->startup_fd);
	c->startup_fd = -1;
	if (l->unauth > 0)
		l->unauth--;
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
			l->children[i] = l->children[--l->nchildren];
			break;
		}
	}
}

/* 1 for SIGHUP, 2 for SIGTERM/SIGINT, 0 otherwise. */
static int read_signals(kg_svr_listener *l)
{
	struct signalfd_siginfo si;
	int res = 0;
	while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap(l);
		else if (si.ssi_signo == SIGHUP && res == 0)
			res = 1;
		else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			res = 2;
	}
	return res;
}

static void child_process(kg_svr_listener *l, const kg_svr_ctx *ctx, int fd, int notify)
{
	for (size_t i = 0; i < l->nfds; i++)
		close(l->fds[i]);
	for (size_t i = 0; i < l->nchildren; i++)
		if (l->children[i].startup_fd >= 0)
			close(l->children[i].startup_fd);
	close(l->sigfd);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	int r = kg_svr_conn_serve(ctx, fd, notify);
	_exit(r < 0 ? 1 : 0);
}

static int handle_accept(kg_svr_listener *l, const kg_svr_ctx *ctx, int lfd)
{
	int fd;
	int r = kg_net_accept(lfd, &fd);
	if (r < 0)
		return r == KG_ERR_AGAIN ? KG_OK : r;
	if (l->single) {
		r = kg_svr_conn_serve(ctx, fd, -1);
		return r < 0 ? r : 2;
	}
	const kg_server_config *cfg = ctx->cfg;
	uint32_t rnd = 0;
	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		rnd = 0;
	if (kg_svr_maxstartups_drop(cfg->max_startups_begin, cfg->max_startups_rate, cfg->max_startups_full,
				    l->unauth, rnd)) {
		char ip[KG_NET_IPSTR];
		int port = 0;
		if (kg_net_peer_strings(fd, ip, sizeof(ip), &port) < 0)
			snprintf(ip, sizeof(ip), "UNKNOWN");
		kg_info(l->log, "drop connection #%zu from [%s]:%d past MaxStartups", l->unauth, ip, port);
		close(fd);
		return KG_OK;
	}
	if (l->nchildren == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		kg_svr_child *n = realloc(l->children, nc * sizeof(*n));
		if (!n) {
			close(fd);
			return KG_OK;
		}
		l->children = n;
		l->cap = nc;
	}
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) != 0) {
		kg_error(l->log, "pipe: %s", strerror(errno));
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
		close(pp[0]);
		return KG_OK;
	}
	l->children[l->nchildren++] = (kg_svr_child){ .pid = pid, .startup_fd = pp[0] };
	l->unauth++;
	return KG_OK;
}

int kg_svr_listen_run(kg_svr_listener *l, const kg_svr_ctx *ctx)
{
	struct pollfd *pfds = NULL;
	size_t cap = 0;
	int res = KG_OK;
	for (;;) {
		size_t need = 1 + l->nfds + l->nchildren;
		if (need > cap) {
			struct pollfd *n = realloc(pfds, need * sizeof(*n));
			if (!n) {
				res = KG_ERR_ALLOC;
				break;
			}
			pfds = n;
			cap = need;
		}
		size_t np = 0;
		pfds[np++] = (struct pollfd){ .fd = l->sigfd, .events = POLLIN };
		for (size_t i = 0; i < l->nfds; i++)
			pfds[np++] = (struct pollfd){ .fd = l->fds[i], .events = POLLIN };
		size_t first_child = np;
		for (size_t i = 0; i < l->nchildren; i++)
			pfds[np++] = (struct pollfd){ .fd = l->children[i].startup_fd, .events = POLLIN };
		if (poll(pfds, np, -1) < 0) {
			if (errno == EINTR)
				continue;
			res = KG_ERR_SYSTEM;
			break;
		}
		/* Startup pipes first: the children array may change below. */
		for (size_t i = 0; i < l->nchildren && first_child + i < np; i++)
			if (pfds[first_child + i].fd >= 0 && (pfds[first_child + i].revents & (POLLIN | POLLHUP | POLLERR)))
				startup_done(l, &l->children[i]);
		if (pfds[0].revents & POLLIN) {
			int sig = read_signals(l);
			if (sig == 1) {
				kg_info(l->log, "Received SIGHUP; restarting.");
				res = 1;
				break;
			}
			if (sig == 2) {
				kg_info(l->log, "Received signal; terminating.");
				break;
			}
		}
		int stop = 0;
		for (size_t i = 0; i < l->nfds && !stop; i++) {
			if (!(pfds[1 + i].revents & POLLIN))
				continue;
			int r = handle_accept(l, ctx, l->fds[i]);
			if (r == 2 || (r < 0 && l->single)) {
				res = r == 2 ? KG_OK : r;
				stop = 1;
			}
		}
		if (stop)
			break;
	}
	free(pfds);
	return res;
}
