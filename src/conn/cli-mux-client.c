/* kssh as a client of a connection-sharing master: -O commands and
 * sessions run through the master (see cli-mux.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include "conn/cli-mux.h"
#include "config/forward-spec.h"
#include "core/mux.h"
#include "sys/loop.h"
#include "sys/mux-sock.h"
#include "sys/net.h"
#include "sys/tty.h"

#define MUX_TIMEOUT_MS 30000
/* sizeof(sockaddr_un.sun_path) on Linux, as ssh's message says it. */
#define KG_MUX_PATH_MAX 108u

typedef struct mconn {
	int fd;
	kg_buf rx;
	uint32_t next_id;
} mconn;

static int mux_send(mconn *mc, const kg_mux_msg *m)
{
	kg_buf b;
	kg_buf_init(&b, 2 * KG_MUX_MAX_PACKET);
	int r = kg_mux_encode(m, &b);
	if (r >= 0)
		r = kg_fd_write_all(mc->fd, kg_buf_ptr(&b), kg_buf_len(&b), MUX_TIMEOUT_MS);
	kg_buf_free(&b);
	return r;
}

/* One message if a whole one is buffered: KG_OK; KG_ERR_AGAIN if not. */
static int mux_take(mconn *mc, kg_mux_msg *m)
{
	const uint8_t *body;
	size_t len, total;
	GUARD(kg_mux_frame(kg_buf_ptr(&mc->rx), kg_buf_len(&mc->rx), &body, &len, &total));
	GUARD(kg_mux_decode(body, len, m));
	return kg_buf_consume(&mc->rx, total);
}

/* Reads what is there: KG_ERR_CLOSED at end of file. */
static int mux_fill(mconn *mc)
{
	uint8_t buf[4096];
	int fds[4];
	size_t got = 0, nfds = 0;
	int r = kg_mux_recv(mc->fd, buf, sizeof(buf), &got, fds, KG_ARRAY_LEN(fds), &nfds);
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	GUARD(r);
	if (got == 0)
		return KG_ERR_CLOSED;
	return kg_buf_put(&mc->rx, buf, got);
}

/* Blocking read of the next message (the replies of -O and the set-up). */
static int mux_read(mconn *mc, kg_mux_msg *m)
{
	for (;;) {
		int r = mux_take(mc, m);
		if (r != KG_ERR_AGAIN)
			return r;
		struct pollfd p = { .fd = mc->fd, .events = POLLIN };
		r = kg_wait_fds(&p, 1, MUX_TIMEOUT_MS);
		if (r == 0)
			return KG_ERR_TIMEOUT;
		GUARD(r);
		r = mux_fill(mc);
		if (r == KG_ERR_AGAIN)
			continue;
		GUARD(r);
	}
}

static void mux_close(mconn *mc)
{
	if (mc->fd >= 0)
		close(mc->fd);
	mc->fd = -1;
	kg_buf_free(&mc->rx);
}

/* Connects and exchanges HELLO.  KG_ERR_NOT_FOUND / KG_ERR_CLOSED: nobody
 * there (errno says why). */
static int mux_open(const char *path, mconn *mc, const kg_logger *lg)
{
	memset(mc, 0, sizeof(*mc));
	mc->fd = -1;
	kg_buf_init(&mc->rx, 2 * KG_MUX_MAX_PACKET);
	int r = kg_mux_connect(path, &mc->fd);
	if (r < 0) {
		int e = errno;
		mux_close(mc);
		errno = e;
		return r;
	}
	kg_mux_msg h = { .type = KG_MUX_HELLO, .version = KG_MUX_VERSION }, m;
	r = mux_send(mc, &h);
	if (r >= 0)
		r = mux_read(mc, &m);
	if (r >= 0) {
		if (m.type != KG_MUX_HELLO || m.version != KG_MUX_VERSION) {
			kg_error(lg, "Unsupported multiplexing protocol version %u (expected %u)", m.version, KG_MUX_VERSION);
			r = KG_ERR_PROTOCOL;
		}
		kg_mux_msg_free(&m);
	}
	if (r < 0) {
		if (r != KG_ERR_PROTOCOL)
			kg_error(lg, "mux: control socket %s: %s", path, kg_err_str(r));
		mux_close(mc);
		return KG_ERR_PROTOCOL;
	}
	mc->next_id = 1;
	return KG_OK;
}

/* Sends a request with an id and reads its reply (checking the id). */
static int request(mconn *mc, kg_mux_msg *rq, kg_mux_msg *rep)
{
	rq->id = mc->next_id++;
	GUARD(mux_send(mc, rq));
	GUARD(mux_read(mc, rep));
	if (rep->id != rq->id) {
		kg_mux_msg_free(rep);
		return KG_ERR_PROTOCOL;
	}
	return KG_OK;
}

static int alive(mconn *mc, uint32_t *pid)
{
	kg_mux_msg rq = { .type = KG_MUX_C_ALIVE_CHECK }, rep;
	GUARD(request(mc, &rq, &rep));
	int ok = rep.type == KG_MUX_S_ALIVE;
	*pid = rep.value;
	kg_mux_msg_free(&rep);
	return ok ? KG_OK : KG_ERR_PROTOCOL;
}

/* One OPEN_FWD or CLOSE_FWD.  The allocated port of a "-R 0" goes to
 * stdout for -O forward (print_port), as ssh does. */
static int send_forward(mconn *mc, const kg_fwd_spec *f, int open, int print_port, const kg_logger *lg)
{
	const uint32_t PATH = 0xfffffffeu;
	kg_mux_msg rq = { .type = open ? KG_MUX_C_OPEN_FWD : KG_MUX_C_CLOSE_FWD }, rep;
	rq.fwd_type = f->kind == KG_FWDSPEC_LOCAL ? KG_MUX_FWD_LOCAL : f->kind == KG_FWDSPEC_REMOTE ? KG_MUX_FWD_REMOTE
												     : KG_MUX_FWD_DYNAMIC;
	if (f->listen_path) {
		rq.listen_host = f->listen_path;
		rq.listen_port = PATH;
	} else {
		rq.listen_host = !f->listen_host ? "" : !*f->listen_host ? "*" : f->listen_host;
		rq.listen_port = (uint32_t)f->listen_port;
	}
	if (f->connect_path) {
		rq.connect_host = f->connect_path;
		rq.connect_port = PATH;
	} else {
		rq.connect_host = f->connect_host ? f->connect_host : "";
		rq.connect_port = (uint32_t)(f->connect_host ? f->connect_port : 0);
	}
	GUARD(request(mc, &rq, &rep));
	int r = KG_OK;
	char tgt[KG_FWDSPEC_HOST_MAX + 16];
	if (rep.type == KG_MUX_S_REMOTE_PORT) {
		kg_verbose(lg, "Allocated port %u for mux remote forward to %s", rep.value,
			   kg_fwd_spec_target(f, tgt, sizeof(tgt)));
		if (print_port)
			printf("%u\n", rep.value);
	} else if (rep.type != KG_MUX_S_OK) {
		kg_error(lg, "Master refused %sforwarding request: %s", open ? "" : "cancel ",
			 rep.reason ? rep.reason : "");
		r = KG_ERR_CONFIG;
	}
	kg_mux_msg_free(&rep);
	return r;
}

/* cfg's forwardings, one request each; the first failure stops. */
static int send_forwards(mconn *mc, const kg_client_config *cfg, int open, int print_port, const kg_logger *lg)
{
	const kg_strlist *lists[3] = { &cfg->local_forwards, &cfg->remote_forwards, &cfg->dynamic_forwards };
	static const int kinds[3] = { KG_FWDSPEC_LOCAL, KG_FWDSPEC_REMOTE, KG_FWDSPEC_DYNAMIC };
	for (int k = 0; k < 3; k++)
		for (size_t i = 0; i < lists[k]->n; i++) {
			kg_fwd_spec f;
			if (kg_fwd_spec_parse_config(lists[k]->v[i], kinds[k], &f) < 0)
				continue;  /* checked before connecting */
			int r = send_forward(mc, &f, open, print_port, lg);
			kg_fwd_spec_free(&f);
			GUARD(r);
		}
	return KG_OK;
}

int kg_cli_mux_command(const kg_cli_mux *m, const char *cmd, const kg_client_config *cfg, const kg_logger *lg)
{
	int fwd = strcmp(cmd, "forward") == 0 || strcmp(cmd, "cancel") == 0;
	if (!m->path) {
		kg_error(lg, "No ControlPath specified for \"-O\" command");
		return 255;
	}
	mconn mc;
	int r = mux_open(m->path, &mc, lg);
	if (r == KG_ERR_ARG) {
		kg_error(lg, "ControlPath too long ('%s' >= %u bytes)", m->path, KG_MUX_PATH_MAX);
		return 255;
	}
	if (r == KG_ERR_NOT_FOUND || r == KG_ERR_CLOSED || r == KG_ERR_SYSTEM) {
		kg_error(lg, "Control socket connect(%s): %s", m->path, strerror(errno));
		return 255;
	}
	if (r < 0)
		return 255;
	int status = 255;
	uint32_t pid = 0;
	kg_mux_msg rq, rep;
	memset(&rq, 0, sizeof(rq));
	memset(&rep, 0, sizeof(rep));
	if (fwd) {
		if (alive(&mc, &pid) == KG_OK && cfg && send_forwards(&mc, cfg, cmd[0] == 'f', 1, lg) == KG_OK)
			status = 0;
		else
			pid = 1;  /* said why */
	} else if (strcmp(cmd, "check") == 0) {
		if (alive(&mc, &pid) == KG_OK) {
			fprintf(stderr, "Master running (pid=%u)\r\n", pid);
			status = 0;
		}
	} else if (strcmp(cmd, "exit") == 0 || strcmp(cmd, "stop") == 0) {
		int ex = cmd[0] == 'e';
		rq.type = ex ? KG_MUX_C_TERMINATE : KG_MUX_C_STOP_LISTENING;
		int rr = alive(&mc, &pid);
		if (rr == KG_OK)
			rr = request(&mc, &rq, &rep);
		if (rr == KG_ERR_CLOSED && ex) {
			/* The master may end before its answer goes out. */
			fprintf(stderr, "Exit request sent.\r\n");
			status = 0;
		} else if (rr == KG_OK) {
			if (rep.type == KG_MUX_S_OK) {
				fprintf(stderr, ex ? "Exit request sent.\r\n" : "Stop listening request sent.\r\n");
				status = 0;
			} else if (rep.type == KG_MUX_S_PERMISSION_DENIED || rep.type == KG_MUX_S_FAILURE) {
				kg_error(lg, "Master refused %s request: %s", ex ? "termination" : "stop listening",
					 rep.reason ? rep.reason : "");
			}
			kg_mux_msg_free(&rep);
		}
	} else {
		kg_error(lg, "Invalid multiplex command.");
	}
	if (status != 0 && rep.type == 0 && pid == 0)
		kg_error(lg, "mux: the master at %s did not answer", m->path);
	mux_close(&mc);
	return status;
}

/* SendEnv's variables and SetEnv's values, as NAME=value. */
static int session_env(const kg_client_config *cfg, kg_strlist *env)
{
	extern char **environ;
	for (char **e = environ; cfg && e && *e && cfg->send_env.n; e++) {
		const char *eq = strchr(*e, '=');
		char name[256];
		size_t nl = eq ? (size_t)(eq - *e) : 0;
		if (nl == 0 || nl >= sizeof(name))
			continue;
		memcpy(name, *e, nl);
		name[nl] = '\0';
		for (size_t i = 0; i < cfg->send_env.n; i++)
			if (kg_pattern_list_match(name, cfg->send_env.v[i], 0) == 1) {
				GUARD(kg_strlist_add(env, *e));
				break;
			}
	}
	for (size_t i = 0; cfg && i < cfg->set_env.n; i++)
		GUARD(kg_strlist_add(env, cfg->set_env.v[i]));
	return KG_OK;
}

typedef struct waiter {
	mconn *mc;
	kg_tty_saved *tty;
	uint32_t pid, sid;
	int status, got_exit, done, signo;
	int err;
} waiter;

static void on_sock(void *ctx, int fd, int revents)
{
	waiter *w = ctx;
	(void)fd;
	(void)revents;
	int r = mux_fill(w->mc);
	if (r == KG_ERR_AGAIN)
		return;
	if (r < 0) {
		w->done = 1;
		return;
	}
	kg_mux_msg m;
	while ((r = mux_take(w->mc, &m)) == KG_OK) {
		if (m.type == KG_MUX_S_EXIT_MESSAGE && m.id == w->sid) {
			w->status = (int)m.value;
			w->got_exit = w->done = 1;
		} else if (m.type == KG_MUX_S_TTY_ALLOC_FAIL && m.id == w->sid) {
			(void)!kg_tty_raw_restore(w->tty);
		}
		kg_mux_msg_free(&m);
	}
	if (r != KG_ERR_AGAIN) {
		w->err = r;
		w->done = 1;
	}
}

static void on_sig(void *ctx, int signo)
{
	waiter *w = ctx;
	if (signo == SIGWINCH) {
		if (w->pid > 1)
			(void)kill((pid_t)w->pid, SIGWINCH);
		return;
	}
	w->signo = signo;
	w->done = 1;
}

/* The session is open: wait for its end, relaying window changes. */
static int wait_session(waiter *w)
{
	kg_loop lp;
	kg_loop_init(&lp);
	static const int sigs[] = { SIGWINCH, SIGTERM, SIGHUP, SIGINT };
	int r = kg_loop_add_fd(&lp, w->mc->fd, KG_LOOP_READ, on_sock, w);
	if (r >= 0)
		r = kg_loop_watch_signals(&lp, sigs, KG_ARRAY_LEN(sigs), on_sig, w);
	while (r >= 0 && !w->done) {
		r = kg_loop_run_once(&lp, -1);
		if (r == KG_ERR_AGAIN)
			r = KG_OK;
	}
	kg_loop_free(&lp);
	return r;
}

static int send_fds(mconn *mc, const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		GUARD(kg_mux_send_fd(mc->fd, fds[i]));
	return KG_OK;
}

int kg_cli_mux_client_session(const kg_cli_mux *m, const kg_cli_mux_request *rq, const kg_logger *lg, int *status)
{
	*status = 255;
	if (!m->path)
		return KG_ERR_NOT_FOUND;
	if (m->master == KG_CLI_MUX_AUTO || m->master == KG_CLI_MUX_AUTOASK)
		kg_debug(lg, "auto-mux: Trying existing master");
	mconn mc;
	int r = mux_open(m->path, &mc, lg);
	if (r == KG_ERR_ARG) {
		kg_error(lg, "ControlPath too long ('%s' >= %u bytes)", m->path, KG_MUX_PATH_MAX);
		return KG_ERR_CONFIG;
	}
	if (r == KG_ERR_CLOSED && m->master != KG_CLI_MUX_NO) {
		kg_debug(lg, "Stale control socket %s, unlinking", m->path);
		unlink(m->path);
	} else if (r == KG_ERR_NOT_FOUND) {
		kg_debug(lg, "Control socket \"%s\" does not exist", m->path);
	} else if (r == KG_ERR_SYSTEM || r == KG_ERR_ARG) {
		kg_error(lg, "Control socket connect(%s): %s", m->path, r == KG_ERR_ARG ? "path too long" : strerror(errno));
	}
	if (r < 0)
		return KG_ERR_NOT_FOUND;
	signal(SIGPIPE, SIG_IGN);
	waiter w = { .mc = &mc, .status = 255 };
	kg_tty_saved tty;
	memset(&tty, 0, sizeof(tty));
	w.tty = &tty;
	r = alive(&mc, &w.pid);
	if (r >= 0 && rq->send_forwards && rq->cfg && send_forwards(&mc, rq->cfg, 1, 0, lg) < 0) {
		mux_close(&mc);
		return KG_ERR_CONFIG;  /* as ssh: a forwarding the master refused ends the client */
	}
	if (r >= 0 && rq->session_none && !rq->fwd_host) {
		mux_close(&mc);
		*status = 0;
		return KG_OK;
	}
	kg_strlist env = { 0 };
	kg_mux_msg q;
	memset(&q, 0, sizeof(q));
	if (rq->fwd_host) {
		q.type = KG_MUX_C_NEW_STDIO_FWD;
		q.connect_host = (char *)rq->fwd_host;
		q.connect_port = (uint32_t)rq->fwd_port;
	} else {
		const char *term = getenv("TERM");
		q.type = KG_MUX_C_NEW_SESSION;
		q.want_tty = rq->want_tty != 0;
		q.subsystem = rq->subsystem != 0;
		q.want_agent = rq->cfg && rq->cfg->forward_agent > 0;
		q.escape_char = (uint32_t)rq->escape_char;
		q.term = (char *)(term ? term : "");
		q.command = (char *)(rq->command ? rq->command : "");
		if (r >= 0)
			r = session_env(rq->cfg, &env);
		q.env = env.v;
		q.n_env = env.n;
	}
	int in = rq->stdin_null ? open("/dev/null", O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	const int fds[3] = { in, STDOUT_FILENO, STDERR_FILENO };
	int flags[3];
	for (int i = 0; i < 3; i++)
		flags[i] = fcntl(fds[i], F_GETFL);
	kg_mux_msg rep;
	memset(&rep, 0, sizeof(rep));
	if (r >= 0 && in < 0)
		r = KG_ERR_SYSTEM;
	if (r >= 0) {
		q.id = mc.next_id++;
		r = mux_send(&mc, &q);
	}
	if (r >= 0)
		r = send_fds(&mc, fds, rq->fwd_host ? 2 : 3);
	if (r >= 0)
		r = mux_read(&mc, &rep);
	kg_strlist_free(&env);
	int fallback = 0;
	if (r >= 0 && rep.type == KG_MUX_S_SESSION_OPENED) {
		w.sid = rep.value;
		kg_debug(lg, "master session id: %u", w.sid);
		if (rq->want_tty && isatty(STDIN_FILENO))
			(void)!kg_tty_raw_enter(STDIN_FILENO, &tty);
		r = wait_session(&w);
	} else if (r >= 0) {
		kg_error(lg, rep.type == KG_MUX_S_PERMISSION_DENIED ? "Master refused session request: %s"
								   : "session request failed: %s",
			 rep.reason ? rep.reason : "");
		fallback = 1;
	} else {
		kg_error(lg, "mux: session request through %s failed: %s", m->path, kg_err_str(r));
	}
	kg_mux_msg_free(&rep);
	(void)!kg_tty_raw_restore(&tty);
	for (int i = 2; i >= 0; i--)
		if (flags[i] >= 0)
			(void)!fcntl(fds[i], F_SETFL, flags[i]);
	if (rq->stdin_null && in >= 0)
		close(in);
	mux_close(&mc);
	if (fallback)
		return KG_ERR_NOT_FOUND;
	if (w.signo)
		kg_debug(lg, "Exiting on signal: %d", w.signo);
	else if (!w.got_exit)
		kg_debug(lg, "Control master terminated unexpectedly");
	*status = w.signo ? 255 : w.status;
	if (rq->want_tty && !rq->quiet && !rq->fwd_host && lg->level >= KG_LOG_INFO && isatty(STDIN_FILENO))
		fprintf(stderr, "Shared connection to %s closed.\r\n", rq->hostname);
	return r < 0 && !w.got_exit ? r : KG_OK;
}

int kg_cli_mux_pipe_open(const kg_cli_mux *m, const char *subsystem, const char *command, int stderr_fd,
			 const kg_logger *lg, kg_cli_mux_pipe *p)
{
	memset(p, 0, sizeof(*p));
	p->fd = p->ctl = -1;
	if (!m->path || m->master == KG_CLI_MUX_YES || m->master == KG_CLI_MUX_ASK)
		return KG_ERR_NOT_FOUND;
	mconn *mc = calloc(1, sizeof(*mc));
	ENSURE(mc != NULL, KG_ERR_ALLOC);
	int r = mux_open(m->path, mc, lg);
	if (r < 0) {
		if (r == KG_ERR_CLOSED && m->master != KG_CLI_MUX_NO)
			unlink(m->path);
		free(mc);
		return r == KG_ERR_PROTOCOL ? r : KG_ERR_NOT_FOUND;
	}
	signal(SIGPIPE, SIG_IGN);
	int sv[2] = { -1, -1 };
	uint32_t pid = 0;
	r = alive(mc, &pid);
	if (r >= 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		r = KG_ERR_SYSTEM;
	kg_mux_msg q = { .type = KG_MUX_C_NEW_SESSION, .subsystem = subsystem != NULL,
			 .escape_char = KG_MUX_NO_ESCAPE, .term = "",
			 .command = (char *)(subsystem ? subsystem : command ? command : "") };
	kg_mux_msg rep;
	memset(&rep, 0, sizeof(rep));
	if (r >= 0) {
		q.id = mc->next_id++;
		r = mux_send(mc, &q);
	}
	const int fds[3] = { sv[1], sv[1], stderr_fd >= 0 ? stderr_fd : sv[1] };
	if (r >= 0)
		r = send_fds(mc, fds, 3);
	if (sv[1] >= 0)
		close(sv[1]);
	if (r >= 0)
		r = mux_read(mc, &rep);
	if (r >= 0 && rep.type != KG_MUX_S_SESSION_OPENED) {
		kg_error(lg, "session request failed: %s", rep.reason ? rep.reason : "");
		r = KG_ERR_CHANNEL;
	} else if (r < 0) {
		kg_error(lg, "mux: session request through %s failed: %s", m->path, kg_err_str(r));
	}
	uint32_t sid = rep.value;
	kg_mux_msg_free(&rep);
	if (r < 0) {
		if (sv[0] >= 0)
			close(sv[0]);
		mux_close(mc);
		free(mc);
		return r;
	}
	kg_debug(lg, "master session id: %u (pid %u)", sid, pid);
	p->fd = sv[0];
	p->ctl = mc->fd;
	p->conn = mc;
	p->sid = sid;
	return KG_OK;
}

int kg_cli_mux_pipe_write(void *arg, const void *data, size_t len)
{
	kg_cli_mux_pipe *p = arg;
	return kg_fd_write_all(p->fd, data, len, -1);
}

int kg_cli_mux_pipe_read(void *arg, void *buf, size_t len, size_t *got)
{
	kg_cli_mux_pipe *p = arg;
	*got = 0;
	for (;;) {
		ssize_t n = read(p->fd, buf, len);
		if (n >= 0) {
			*got = (size_t)n;
			return KG_OK;
		}
		if (errno != EINTR)
			return KG_ERR_SYSTEM;
	}
}

int kg_cli_mux_pipe_close(kg_cli_mux_pipe *p, int *status)
{
	mconn *mc = p->conn;
	if (status)
		*status = 255;
	if (!mc)
		return KG_OK;
	shutdown(p->fd, SHUT_WR);
	/* The master answers with the exit status once the session is over. */
	kg_mux_msg m;
	int r;
	while ((r = mux_read(mc, &m)) == KG_OK) {
		int exit_msg = m.type == KG_MUX_S_EXIT_MESSAGE && m.id == p->sid;
		if (exit_msg && status)
			*status = (int)m.value;
		kg_mux_msg_free(&m);
		if (exit_msg)
			break;
	}
	close(p->fd);
	mux_close(mc);
	free(mc);
	p->conn = NULL;
	p->fd = p->ctl = -1;
	return r == KG_OK || r == KG_ERR_CLOSED ? KG_OK : r;
}
