/* The server's forwarded agent: the per-connection listener and its channels. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conn/svr-agent-fwd.h"
#include "conn/common-forward-relay.h"
#include "sys/agent-sock.h"

#define AGENT_ACCEPT_BURST 16

struct kg_svr_agent_fwd {
	kg_engine *eng;
	kg_logger *log;
	const kg_spawn_user *user;
	char *dir;          /* the private directory, NULL until made */
	char *path;         /* dir/agent.<pid> */
	int lfd;
};

int kg_svr_agent_fwd_allowed(const kg_server_config *cfg, const kg_ak_opts *ak)
{
	return cfg->allow_agent_forwarding == 1 && cfg->disable_forwarding != 1 && !(ak && ak->no_agent_forwarding);
}

const char *kg_svr_agent_fwd_path(const kg_svr_agent_fwd *af)
{
	return af && af->path ? af->path : "";
}

int kg_svr_agent_fwd_env(const kg_svr_agent_fwd *af, kg_strlist *env)
{
	ENSURE(af && af->path, KG_ERR_ARG);
	size_t n = strlen(af->path) + sizeof("SSH_AUTH_SOCK=");
	char *nv = malloc(n);
	ENSURE(nv != NULL, KG_ERR_ALLOC);
	snprintf(nv, n, "SSH_AUTH_SOCK=%s", af->path);
	int r = kg_strlist_add(env, nv);
	free(nv);
	return r;
}

/* One connection to the socket: a channel the client is asked to open. */
static int forward_one(kg_svr_agent_fwd *af, int fd)
{
	kg_channel *ch = NULL;
	int r = kg_conn_open(&af->eng->conn, "auth-agent@openssh.com", NULL, 0, &ch);
	if (r == KG_ERR_NO_SPACE) {
		kg_verbose(af->log, "agent connection dropped: no free channel");
		close(fd);
		return KG_OK;
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	return kg_fwd_relay_opening(af->eng, af->log, ch, fd);
}

static void on_accept(void *ctx, int fd, int revents)
{
	kg_svr_agent_fwd *af = ctx;
	kg_engine *e = af->eng;
	(void)revents;
	for (int i = 0; i < AGENT_ACCEPT_BURST && e->status == 0; i++) {
		int nfd = -1;
		uid_t peer = 0;
		int r = kg_agent_sock_accept(fd, &nfd, &peer);
		if (r == KG_ERR_AGAIN)
			break;
		if (r < 0) {
			kg_verbose(af->log, "accept on the forwarded agent socket: %s", strerror(errno));
			break;
		}
		/* The directory keeps others out; this is the second lock. */
		if (peer != af->user->uid && peer != 0) {
			kg_error(af->log, "forwarded agent: connection from uid %lu refused (socket of %s)",
				 (unsigned long)peer, af->user->name);
			close(nfd);
			continue;
		}
		kg_debug(af->log, "forwarded agent: connection from uid %lu", (unsigned long)peer);
		r = forward_one(af, nfd);
		if (r < 0) {
			kg_engine_fail(e, r);
			return;
		}
	}
	kg_engine_kick(e);
}

/* The server stopping (SIGTERM) ends the connection through its usual
 * end, so the socket and its directory are still removed. */
static void on_term(void *ctx, int signo)
{
	kg_svr_agent_fwd *af = ctx;
	kg_info(af->log, "Received signal %d; terminating.", signo);
	kg_engine_fail(af->eng, KG_ERR_CLOSED);
}

static int make_listener(void *arg)
{
	kg_svr_agent_fwd *af = arg;
	GUARD(kg_agent_sock_private_dir("/tmp", &af->dir));
	size_t n = strlen(af->dir) + 32;
	af->path = malloc(n);
	ENSURE(af->path != NULL, KG_ERR_ALLOC);
	snprintf(af->path, n, "%s/agent.%ld", af->dir, (long)getpid());
	return kg_agent_sock_listen(af->path, &af->lfd);
}

static int remove_files(void *arg)
{
	kg_svr_agent_fwd *af = arg;
	if (af->path)
		(void)unlink(af->path);
	if (af->dir)
		(void)rmdir(af->dir);
	return KG_OK;
}

void kg_svr_agent_fwd_free(kg_svr_agent_fwd *af)
{
	if (!af)
		return;
	if (af->lfd >= 0) {
		(void)!kg_loop_remove_fd(af->eng->loop, af->lfd);
		close(af->lfd);
	}
	(void)kg_fwd_as_user(af->log, af->user, remove_files, af);
	free(af->path);
	free(af->dir);
	free(af);
}

int kg_svr_agent_fwd_request(kg_svr_agent_fwd **afp, kg_engine *e, kg_logger *log, const kg_server_config *cfg,
			     const kg_ak_opts *ak, const kg_spawn_user *u, const kg_conn_event *ev)
{
	GUARD(kg_req_parse_none(ev->data, ev->len));
	if (!kg_svr_agent_fwd_allowed(cfg, ak)) {
		kg_verbose(log, "agent forwarding request refused: %s",
			   ak && ak->no_agent_forwarding ? "disabled by the key's options"
							 : "disabled by AllowAgentForwarding or DisableForwarding");
		return 0;
	}
	if (*afp)
		return 1;  /* one socket per connection, shared by its sessions */
	kg_svr_agent_fwd *af = calloc(1, sizeof(*af));
	ENSURE(af != NULL, KG_ERR_ALLOC);
	af->eng = e;
	af->log = log;
	af->user = u;
	af->lfd = -1;
	int r = kg_fwd_as_user(log, u, make_listener, af);
	if (r >= 0)
		r = kg_loop_add_fd(e->loop, af->lfd, KG_LOOP_READ, on_accept, af);
	if (r >= 0 && kg_loop_add_signal(e->loop, SIGTERM, on_term, af) < 0)
		kg_debug(log, "agent forwarding: SIGTERM already taken; the socket is removed only at a normal end");
	if (r < 0) {
		kg_error(log, "agent forwarding for %s: cannot listen on %s: %s", u->name,
			 af->path ? af->path : "a private directory", strerror(errno));
		kg_svr_agent_fwd_free(af);
		return 0;
	}
	kg_verbose(log, "agent forwarding for %s on %s", u->name, af->path);
	*afp = af;
	return 1;
}
