/* Privilege separation for one connection: this process becomes the monitor (root, the host keys), a sandboxed child speaks to the client until it authenticates, then a process running as the user carries the connection on. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <openssl/crypto.h>
#include "sys/frame-io.h"
#include "sys/loop.h"
#include "sys/mux-sock.h"
#include "sys/net.h"
#include "sys/sandbox.h"
#include "sys/user-id.h"
#include "conn/svr-conn.h"
#include "conn/svr-monitor.h"
#include "conn/svr-monlink.h"
#include "conn/svr-penalty.h"
#include "conn/svr-privsep.h"
#include "conn/svr-session.h"

typedef struct privsep {
	const kg_svr_ctx *ctx;
	kg_logger *log;
	char peer_ip[KG_NET_IPSTR], local_ip[KG_NET_IPSTR];
	int peer_port, local_port;
	kg_svr_authcheck ac;
	kg_svr_monitor mon;
	pid_t child;
	int mfd;                /* the monitor's end of the socket to the child */
	int killed;             /* the monitor ended the child */
	int grace_killed;       /* ... because it outlived LoginGraceTime */
	kg_loop loop;
	kg_buf in, out;
} privsep;

/* ---------------- the monitor ---------------- */

static void end_child(privsep *ps)
{
	(void)!kg_loop_remove_fd(&ps->loop, ps->mfd);
	kg_loop_stop(&ps->loop);
}

static void on_request(void *arg, int fd, int revents)
{
	privsep *ps = arg;
	(void)revents;
	int r = kg_frame_read(fd, &ps->in, KG_MON_MAX_FRAME);
	if (r == KG_ERR_CLOSED) {
		end_child(ps);
		return;
	}
	kg_buf_reset(&ps->out);
	if (r >= 0)
		r = kg_svr_monitor_handle(&ps->mon, kg_buf_ptr(&ps->in), kg_buf_len(&ps->in), &ps->out);
	if (kg_buf_len(&ps->in))
		OPENSSL_cleanse(kg_buf_mutable_ptr(&ps->in), kg_buf_len(&ps->in));
	if (r >= 0)
		r = kg_frame_write(fd, kg_buf_ptr(&ps->out), kg_buf_len(&ps->out));
	/* pty-open: the pair follows its reply; this process keeps no copy. */
	for (int i = 0; i < ps->mon.n_pass_fds; i++) {
		if (r >= 0)
			r = kg_mux_send_fd(fd, ps->mon.pass_fds[i]);
		close(ps->mon.pass_fds[i]);
	}
	ps->mon.n_pass_fds = 0;
	if (kg_buf_len(&ps->out))
		OPENSSL_cleanse(kg_buf_mutable_ptr(&ps->out), kg_buf_len(&ps->out));
	if (r >= 0)
		return;
	/* Not something an honest child does: it is ended at once. */
	kg_error(ps->log, "monitor: %s for %s port %d: %s; ending the connection",
		 ps->mon.phase == KG_MON_PHASE_PREAUTH ? "refused the pre-authentication process"
						       : "refused the user's process",
		 ps->peer_ip, ps->peer_port, r == KG_ERR_PROTOCOL && ps->mon.why[0] ? ps->mon.why : kg_err_str(r));
	kill(ps->child, SIGKILL);
	ps->killed = 1;
	end_child(ps);
}

/* SIGTERM (the listener stopping): the child ends the connection the way
 * it ends any other, and the monitor then closes the PAM session. */
static void on_term(void *arg, int signo)
{
	privsep *ps = arg;
	(void)signo;
	kill(ps->child, SIGTERM);
}

/* LoginGraceTime, enforced here too: the child's own timer is the one
 * that ends an honest connection, a few seconds earlier. */
#define GRACE_SLACK_MS 5000
static void grace_over(void *arg, uint64_t id)
{
	privsep *ps = arg;
	(void)id;
	if (ps->mon.done)
		return;
	kg_error(ps->log, "monitor: the pre-authentication process for %s port %d outlived LoginGraceTime; ended",
		 ps->peer_ip, ps->peer_port);
	kill(ps->child, SIGKILL);
	ps->grace_killed = 1;
	end_child(ps);
}

/* Answers the child until it closes its end, then reaps it. */
static int serve_child(privsep *ps)
{
	int status = 0;
	kg_loop_init(&ps->loop);
	int r = kg_loop_add_fd(&ps->loop, ps->mfd, KG_LOOP_READ, on_request, ps);
	int grace = ps->ctx->cfg->login_grace_time;
	if (r >= 0 && ps->mon.phase == KG_MON_PHASE_PREAUTH && grace > 0)
		r = kg_loop_add_timer(&ps->loop, (uint64_t)grace * 1000 + GRACE_SLACK_MS, grace_over, ps, NULL);
	if (r >= 0)
		r = kg_loop_add_signal(&ps->loop, SIGTERM, on_term, ps);
	if (r >= 0)
		r = kg_loop_run(&ps->loop);
	if (r < 0) {
		kg_error(ps->log, "monitor: %s", kg_err_str(r));
		kill(ps->child, SIGKILL);
	}
	kg_loop_free(&ps->loop);
	close(ps->mfd);
	ps->mfd = -1;
	while (waitpid(ps->child, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* ---------------- the children ---------------- */

/* What a child keeps of the monitor's secrets: nothing.  Host keys become
 * their public halves; the failure-delay secret is wiped. */
static int forget_secrets(privsep *ps)
{
	kg_svr_ctx *ctx = (kg_svr_ctx *)ps->ctx;  /* this process's own copy since fork */
	OPENSSL_cleanse(ctx->fail_salt, sizeof(ctx->fail_salt));
	return kg_svr_ctx_drop_private(ctx);
}

/* Test hook, kagi only: ksshd's own environment (never a client's) may
 * name a forbidden call the sandboxed process then makes (sys/sandbox.h
 * kg_sandbox_probe), to show that the sandbox kills it. */
#define KG_SANDBOX_PROBE_ENV "KSSHD_TEST_SANDBOX_PROBE"

/* The pre-auth process, everything open, before the client's first byte:
 * as root the privilege separation user in the empty chroot; otherwise
 * its own ids.  Always no_new_privs and the seccomp allow-list. */
static int confine_preauth(void *arg)
{
	privsep *ps = arg;
	char err[256] = "";
	kg_sandbox_cfg c;
	memset(&c, 0, sizeof(c));
	const char *probe = getenv(KG_SANDBOX_PROBE_ENV);
	int r = KG_OK;
	if (geteuid() == 0) {
		r = kg_privsep_user(KG_PRIVSEP_USER, &c.uid, &c.gid, err, sizeof(err));
		if (r >= 0)
			r = kg_sandbox_dir(KG_PRIVSEP_DIR, err, sizeof(err));
		c.chroot_dir = KG_PRIVSEP_DIR;
	} else {
		c.keep_ids = 1;
	}
	/* A log written to a file (-E, or -e to a redirected stderr) must stay
	 * writable: RLIMIT_FSIZE 0 would kill the process at its next line. */
	struct stat st;
	int logfd = ps->log && !ps->log->to_syslog ? ps->log->fd : 2;
	c.keep_fsize = fstat(logfd, &st) == 0 && S_ISREG(st.st_mode);
	tzset();  /* the log's time zone, before /etc is out of reach */
	if (r >= 0)
		r = kg_sandbox_enter(&c, err, sizeof(err));
	if (r < 0) {
		kg_error(ps->log, "fatal: sandbox: %s", err[0] ? err : kg_err_str(r));
		return r;
	}
	if (probe && *probe)
		(void)!kg_sandbox_probe(probe);
	return KG_OK;
}

static _Noreturn void preauth_child(privsep *ps, int fd, int cfd)
{
	int code = KG_SVR_EXIT_ERROR;
	kg_svr_monlink link;
	if (forget_secrets(ps) < 0)
		_exit(code);
	kg_svr_monlink_init(&link, cfd, ps->ctx->hostkeys, ps->ctx->n_hostkeys);
	(void)!kg_svr_conn_preauth(ps->ctx, fd, &link, confine_preauth, ps, &code);
	_exit(code);
}

/* The user's process: ChrootDirectory entered while still root (as sshd
 * does, so every session of the connection is inside it), then the user. */
static _Noreturn void postauth_child(privsep *ps, int fd, int cfd)
{
	int code = 1, chrooted = 0;
	kg_svr_monlink link;
	char *root = NULL;
	const kg_spawn_user *u = &ps->ac.user;
	if (forget_secrets(ps) < 0)
		_exit(code);
	if (geteuid() == 0) {
		if (kg_svr_chroot_dir(ps->ac.cfg, u, ps->log, &root) < 0)
			_exit(code);
		if (root && (chdir(root) != 0 || chroot(".") != 0 || chdir("/") != 0)) {
			kg_error(ps->log, "fatal: chroot(\"%s\"): %s", root, strerror(errno));
			_exit(code);
		}
		chrooted = root != NULL;
		free(root);
	}
	if (kg_user_become(u) < 0) {
		kg_error(ps->log, "fatal: cannot become user %s: %s", u->name, strerror(errno));
		_exit(code);
	}
	kg_svr_monlink_init(&link, cfd, ps->ctx->hostkeys, ps->ctx->n_hostkeys);
	(void)!kg_svr_conn_postauth(ps->ctx, fd, &link, &ps->ac, ps->mon.login, chrooted, ps->mon.session_id,
				    ps->mon.sid_len, ps->mon.state, ps->mon.state_len, &code);
	_exit(code);
}

/* Forks body(ps, fd, child's end); this process keeps ps->mfd. */
static int spawn(privsep *ps, int fd, int keep_fd, void (*body)(privsep *, int, int))
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return KG_ERR_SYSTEM;
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return KG_ERR_SYSTEM;
	}
	if (pid == 0) {
		close(sv[0]);
		if (keep_fd >= 0)
			close(keep_fd);
		body(ps, fd, sv[1]);
		_exit(KG_SVR_EXIT_ERROR);  /* body never returns */
	}
	close(sv[1]);
	ps->child = pid;
	ps->mfd = sv[0];
	return KG_OK;
}

/* What the pre-auth process's end counts as, for the listener's penalties. */
static int preauth_code(privsep *ps, int status)
{
	if (ps->grace_killed)
		return KG_SVR_EXIT_GRACE;
	if (ps->killed)
		return KG_SVR_EXIT_CRASH;
	if (WIFSIGNALED(status)) {
		kg_error(ps->log, "Pre-authentication process for %s port %d killed by signal %d", ps->peer_ip,
			 ps->peer_port, WTERMSIG(status));
		return KG_SVR_EXIT_CRASH;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : KG_SVR_EXIT_ERROR;
}

static int postauth(privsep *ps, int fd)
{
	const kg_spawn_user *u = &ps->ac.user;
	ps->mon.phase = KG_MON_PHASE_POSTAUTH;
	ps->mon.user_uid = u->uid;
	ps->mon.user_gid = u->gid;
	/* pamsess: the PAM session is opened here, as root, before the
	 * user's process exists; closed once it is gone. */
	int r = kg_svr_login_begin(&ps->mon.login, ps->log, ps->ac.cfg, u, ps->peer_ip, ps->ctx->is_root);
	if (r >= 0)
		r = spawn(ps, fd, -1, postauth_child);
	OPENSSL_cleanse(ps->mon.state, ps->mon.state_len);  /* the child has its copy */
	if (r < 0) {
		kg_error(ps->log, "Cannot start the session of %s: %s", u->name, kg_err_str(r));
		kg_svr_login_end(ps->mon.login);
		return KG_SVR_EXIT_ERROR;
	}
	close(fd);
	int status = serve_child(ps);
	kg_svr_login_end(ps->mon.login);  /* pamsess: logout records, pam_close_session */
	ps->mon.login = NULL;
	return WIFEXITED(status) ? WEXITSTATUS(status) : KG_SVR_EXIT_ERROR;
}

int kg_svr_conn_serve(const kg_svr_ctx *ctx, int fd, int notify_fd, int *exit_code)
{
	privsep *ps = calloc(1, sizeof(*ps));
	int code = KG_SVR_EXIT_ERROR;
	if (!ps) {
		close(fd);
		return KG_ERR_ALLOC;
	}
	ps->ctx = ctx;
	ps->log = ctx->log;
	ps->mfd = -1;
	kg_buf_init(&ps->in, KG_MON_MAX_FRAME);
	kg_buf_init(&ps->out, KG_MON_MAX_FRAME + 16);
	if (kg_net_peer_strings(fd, ps->peer_ip, sizeof(ps->peer_ip), &ps->peer_port) < 0)
		snprintf(ps->peer_ip, sizeof(ps->peer_ip), "UNKNOWN");
	if (kg_net_local_strings(fd, ps->local_ip, sizeof(ps->local_ip), &ps->local_port) < 0)
		snprintf(ps->local_ip, sizeof(ps->local_ip), "UNKNOWN");
	kg_svr_authcheck_init(&ps->ac, ctx, ps->log, ps->peer_ip, ps->peer_port, ps->local_ip, ps->local_port);
	kg_svr_monitor_init(&ps->mon, ctx, ps->log, &ps->ac);
	int r = spawn(ps, fd, notify_fd, preauth_child);
	if (r < 0) {
		kg_error(ps->log, "Cannot start the pre-authentication process: %s", kg_err_str(r));
		close(fd);
	} else {
		code = preauth_code(ps, serve_child(ps));
		if (ps->mon.done && !ps->killed && code == 0) {
			if (notify_fd >= 0) {  /* MaxStartups: no longer an unauthenticated connection */
				static const char a = KG_SVR_NOTIFY_AUTH;
				(void)!write(notify_fd, &a, 1);
				close(notify_fd);
				notify_fd = -1;
			}
			code = postauth(ps, fd);
		} else {
			close(fd);
		}
	}
	if (exit_code)
		*exit_code = code;
	if (notify_fd >= 0)
		close(notify_fd);
	kg_svr_monitor_free(&ps->mon);
	kg_svr_authcheck_free(&ps->ac);
	kg_buf_free(&ps->in);
	kg_buf_free(&ps->out);
	free(ps);
	return KG_OK;
}

int kg_svr_privsep_check(kg_logger *log)
{
	char err[256] = "";
	uid_t uid;
	gid_t gid;
	if (geteuid() != 0)
		return KG_OK;
	int r = kg_privsep_user(KG_PRIVSEP_USER, &uid, &gid, err, sizeof(err));
	if (r >= 0)
		r = kg_sandbox_dir(KG_PRIVSEP_DIR, err, sizeof(err));
	if (r < 0)
		kg_error(log, "%s", err[0] ? err : kg_err_str(r));
	return r;
}
