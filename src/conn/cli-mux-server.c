/* The connection-sharing master: control socket, clients, requests (see cli-mux-server.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "conn/cli-mux-server.h"
#include "conn/cli-mux-session.h"
#include "core/mux.h"
#include "sys/mux-sock.h"
#include "sys/daemon.h"
#include "sys/net.h"

typedef struct mclient {
	struct mclient *next;
	kg_cli_mux_server *srv;
	int fd;
	int events;
	kg_buf rx, tx;
	int hello;                 /* the client's HELLO came */
	kg_mux_msg pending;        /* a session request waiting for its descriptors */
	int awaiting;              /* descriptors still to come for it */
	size_t dummy;              /* the bytes that carry them, still to skip */
	int fds[3];
	size_t nfds;
	kg_cli_mux_session *sess;
	uint32_t sess_id;
	int closing;               /* close once tx is written */
} mclient;

/* An OPEN_FWD / CLOSE_FWD waiting for its outcome.  Outlives the client
 * and the server if need be (the answer may still come): mc and s are
 * then NULL. */
typedef struct fwdreq {
	struct fwdreq *next;
	kg_cli_mux_server *s;
	mclient *mc;
	uint32_t id;
	int open, port0, answered, added;
} fwdreq;

#define N_SIGS 5
static const int sigs[N_SIGS] = { SIGWINCH, SIGTERM, SIGHUP, SIGINT, SIGQUIT };

struct kg_cli_mux_server {
	kg_client *c;
	kg_loop *lp;
	char *path;
	int lfd;
	int ask;
	mclient *clients;
	uint32_t next_sess;
	int stop;
	kg_loop_signal_cb sig_cb[N_SIGS];
	void *sig_ctx[N_SIGS];
	kg_cli_forwards *fw;
	fwdreq *fwdreqs;
	int persist;               /* while running: the idle limit in seconds, 0 none */
	uint64_t idle_timer;
	int idle_armed;
};

static void on_client(void *ctx, int fd, int revents);

static void client_interest(mclient *mc)
{
	int ev = KG_LOOP_READ | (kg_buf_len(&mc->tx) ? KG_LOOP_WRITE : 0);
	if (mc->closing)
		ev = KG_LOOP_WRITE;
	if (ev != mc->events && kg_loop_set_events(mc->srv->lp, mc->fd, ev) == KG_OK)
		mc->events = ev;
}

static void arm_idle(kg_cli_mux_server *s);

static void client_free(mclient *mc)
{
	kg_cli_mux_server *s = mc->srv;
	for (mclient **pp = &s->clients; *pp; pp = &(*pp)->next)
		if (*pp == mc) {
			*pp = mc->next;
			break;
		}
	if (mc->sess)
		kg_cli_mux_session_abandon(mc->sess);
	for (fwdreq *q = s->fwdreqs; q; q = q->next)
		if (q->mc == mc)
			q->mc = NULL;
	(void)!kg_loop_remove_fd(s->lp, mc->fd);
	close(mc->fd);
	for (size_t i = 0; i < mc->nfds; i++)
		close(mc->fds[i]);
	kg_mux_msg_free(&mc->pending);
	kg_buf_free(&mc->rx);
	kg_buf_free(&mc->tx);
	free(mc);
	arm_idle(s);
}

static int send_msg(mclient *mc, const kg_mux_msg *m)
{
	GUARD(kg_mux_encode(m, &mc->tx));
	size_t done = 0;
	int r = kg_fd_write(mc->fd, kg_buf_ptr(&mc->tx), kg_buf_len(&mc->tx), &done);
	if (r < 0 && r != KG_ERR_AGAIN)
		return r;
	GUARD(kg_buf_consume(&mc->tx, done));
	client_interest(mc);
	return KG_OK;
}

static int reply(mclient *mc, uint32_t type, uint32_t id, uint32_t value, const char *reason)
{
	kg_mux_msg m = { .type = type, .id = id, .value = value, .reason = (char *)reason };
	return send_msg(mc, &m);
}

/* ControlMaster ask: SSH_ASKPASS says yes (an empty answer or "yes"). */
static int confirmed(kg_cli_mux_server *s)
{
	const char *ap = getenv("SSH_ASKPASS");
	if (!ap || !*ap)
		return 0;
	char *cmd = NULL;
	if (asprintf(&cmd, "'%s' 'Allow shared connection to %s? ' </dev/null", ap, s->c->cfg->hostname) < 0)
		return 0;
	FILE *p = strchr(ap, '\'') ? NULL : popen(cmd, "r");
	free(cmd);
	if (!p)
		return 0;
	char ans[64] = "";
	if (!fgets(ans, sizeof(ans), p))
		ans[0] = '\0';
	int st = pclose(p);
	ans[strcspn(ans, "\r\n")] = '\0';
	return st == 0 && (ans[0] == '\0' || strcasecmp(ans, "yes") == 0);
}

static void on_session(void *arg, kg_cli_mux_session *ms, int event, int status)
{
	mclient *mc = arg;
	(void)ms;
	int r;
	if (event == KG_CLI_MUX_SESS_TTY_FAIL) {
		r = reply(mc, KG_MUX_S_TTY_ALLOC_FAIL, mc->sess_id, 0, NULL);
	} else {
		mc->sess = NULL;  /* freed when this returns */
		r = reply(mc, KG_MUX_S_EXIT_MESSAGE, mc->sess_id, (uint32_t)status, NULL);
		mc->closing = 1;
		client_interest(mc);
	}
	(void)r;  /* a client that cannot be told is closed when its socket fails */
}

static int start_session(mclient *mc)
{
	kg_cli_mux_server *s = mc->srv;
	int fds[3] = { -1, -1, -1 };
	for (size_t i = 0; i < mc->nfds && i < 3; i++)
		fds[i] = mc->fds[i];
	mc->nfds = 0;
	uint32_t id = mc->pending.id;
	if (mc->sess) {
		for (int i = 0; i < 3; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		kg_mux_msg_free(&mc->pending);
		return reply(mc, KG_MUX_S_FAILURE, id, 0, "session already open");
	}
	if (s->ask && !confirmed(s)) {
		for (int i = 0; i < 3; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		kg_mux_msg_free(&mc->pending);
		return reply(mc, KG_MUX_S_PERMISSION_DENIED, id, 0, "Permission denied");
	}
	int r = kg_cli_mux_session_start(s->c, &mc->pending, fds, on_session, mc, &mc->sess);
	kg_mux_msg_free(&mc->pending);
	if (r < 0) {
		mc->sess = NULL;
		return reply(mc, KG_MUX_S_FAILURE, id, 0, "could not open a session channel");
	}
	mc->sess_id = ++s->next_sess;
	kg_debug(s->c->log, "mux: session %u opened for a client", mc->sess_id);
	return reply(mc, KG_MUX_S_SESSION_OPENED, id, mc->sess_id, NULL);
}

static void fwdreq_unlink(fwdreq *q)
{
	if (!q->s)
		return;
	for (fwdreq **pp = &q->s->fwdreqs; *pp; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	q->s = NULL;
}

static void on_fwd_done(void *arg, const kg_fwd_spec *spec, int ok, int allocated_port, const char *msg)
{
	fwdreq *q = arg;
	(void)spec;
	q->answered = 1;
	if (q->mc) {
		int r;
		if (!ok)
			r = reply(q->mc, KG_MUX_S_FAILURE, q->id, 0, msg ? msg : "Port forwarding failed.");
		else if (q->open && q->port0)
			r = reply(q->mc, KG_MUX_S_REMOTE_PORT, q->id, (uint32_t)allocated_port, NULL);
		else
			r = reply(q->mc, KG_MUX_S_OK, q->id, 0, NULL);
		(void)r;
	}
	if (q->added) {  /* asynchronous: nobody else frees it */
		fwdreq_unlink(q);
		free(q);
	}
}

/* The mux message's forwarding as a spec: port (unsigned) -2 makes the
 * host a socket path; an empty listen host is none given. */
static int fwd_spec(const kg_mux_msg *m, kg_fwd_spec *f)
{
	memset(f, 0, sizeof(*f));
	const uint32_t PATH = 0xfffffffeu;
	switch (m->fwd_type) {
	case KG_MUX_FWD_LOCAL: f->kind = KG_FWDSPEC_LOCAL; break;
	case KG_MUX_FWD_REMOTE: f->kind = KG_FWDSPEC_REMOTE; break;
	case KG_MUX_FWD_DYNAMIC: f->kind = KG_FWDSPEC_DYNAMIC; f->dynamic = 1; break;
	default: return KG_ERR_ARG;
	}
	const char *lh = m->listen_host ? m->listen_host : "";
	const char *ch = m->connect_host ? m->connect_host : "";
	if (m->listen_port == PATH) {
		ENSURE(*lh, KG_ERR_ARG);
		f->listen_path = strdup(lh);
		f->listen_port = -1;
	} else {
		ENSURE(m->listen_port <= 65535, KG_ERR_ARG);
		f->listen_port = (int)m->listen_port;
		f->listen_host = *lh ? strdup(lh) : NULL;
	}
	if (f->kind == KG_FWDSPEC_REMOTE && !*ch)
		f->dynamic = 1;
	if (!f->dynamic) {
		if (m->connect_port == PATH) {
			f->connect_path = strdup(ch);
		} else {
			ENSURE(*ch && m->connect_port <= 65535, KG_ERR_ARG);
			f->connect_host = strdup(ch);
			f->connect_port = (int)m->connect_port;
		}
	}
	return KG_OK;
}

static int forward(mclient *mc, const kg_mux_msg *m)
{
	kg_cli_mux_server *s = mc->srv;
	int open = m->type == KG_MUX_C_OPEN_FWD;
	if (!s->fw)
		return reply(mc, KG_MUX_S_FAILURE, m->id, 0, "port forwarding is not available");
	if (s->ask && !confirmed(s))
		return reply(mc, KG_MUX_S_PERMISSION_DENIED, m->id, 0, "Permission denied");
	kg_fwd_spec f;
	if (fwd_spec(m, &f) < 0) {
		kg_fwd_spec_free(&f);
		return reply(mc, KG_MUX_S_FAILURE, m->id, 0, "invalid forwarding request");
	}
	fwdreq *q = calloc(1, sizeof(*q));
	if (!q) {
		kg_fwd_spec_free(&f);
		return KG_ERR_ALLOC;
	}
	*q = (fwdreq){ .s = s, .mc = mc, .id = m->id, .open = open,
		       .port0 = f.kind == KG_FWDSPEC_REMOTE && !f.listen_path && f.listen_port == 0 };
	q->next = s->fwdreqs;
	s->fwdreqs = q;
	int r = open ? kg_cli_forwards_add(s->fw, &f, on_fwd_done, q) : kg_cli_forwards_cancel(s->fw, &f, on_fwd_done, q);
	kg_fwd_spec_free(&f);
	if (!q->answered && r < 0)
		on_fwd_done(q, NULL, 0, 0, open ? "Port forwarding failed." : "Unknown port forwarding.");
	if (q->answered) {
		fwdreq_unlink(q);
		free(q);
	} else {
		q->added = 1;  /* the answer comes later */
	}
	return r == KG_ERR_ALLOC ? r : KG_OK;
}

static int handle(mclient *mc, kg_mux_msg *m)
{
	kg_cli_mux_server *s = mc->srv;
	kg_debug(s->c->log, "mux: client request: %s", kg_mux_type_name(m->type));
	if (!mc->hello) {
		if (m->type != KG_MUX_HELLO || m->version != KG_MUX_VERSION)
			return KG_ERR_PROTOCOL;
		mc->hello = 1;
		return KG_OK;
	}
	switch (m->type) {
	case KG_MUX_C_ALIVE_CHECK:
		return reply(mc, KG_MUX_S_ALIVE, m->id, (uint32_t)getpid(), NULL);
	case KG_MUX_C_TERMINATE:
		if (s->ask && !confirmed(s))
			return reply(mc, KG_MUX_S_PERMISSION_DENIED, m->id, 0, "Permission denied");
		s->stop = 1;
		return reply(mc, KG_MUX_S_OK, m->id, 0, NULL);
	case KG_MUX_C_STOP_LISTENING:
		if (s->ask && !confirmed(s))
			return reply(mc, KG_MUX_S_PERMISSION_DENIED, m->id, 0, "Permission denied");
		kg_cli_mux_server_stop_listening(s, 1);
		return reply(mc, KG_MUX_S_OK, m->id, 0, NULL);
	case KG_MUX_C_NEW_SESSION:
	case KG_MUX_C_NEW_STDIO_FWD:
		mc->pending = *m;
		memset(m, 0, sizeof(*m));
		mc->awaiting = mc->pending.type == KG_MUX_C_NEW_SESSION ? 3 : 2;
		mc->dummy = (size_t)mc->awaiting;
		return KG_OK;
	case KG_MUX_C_OPEN_FWD:
	case KG_MUX_C_CLOSE_FWD:
		return forward(mc, m);
	case KG_MUX_C_PROXY:
		return reply(mc, KG_MUX_S_FAILURE, m->id, 0, "proxy mode is not supported");
	default:
		return reply(mc, KG_MUX_S_FAILURE, m->id, 0, "unsupported request");
	}
}

static int process(mclient *mc)
{
	for (;;) {
		if (mc->awaiting) {
			size_t skip = kg_buf_len(&mc->rx) < mc->dummy ? kg_buf_len(&mc->rx) : mc->dummy;
			GUARD(kg_buf_consume(&mc->rx, skip));
			mc->dummy -= skip;
			if (mc->dummy > 0 || mc->nfds < (size_t)mc->awaiting)
				return KG_OK;
			mc->awaiting = 0;
			GUARD(start_session(mc));
			continue;
		}
		const uint8_t *body;
		size_t len, total;
		int r = kg_mux_frame(kg_buf_ptr(&mc->rx), kg_buf_len(&mc->rx), &body, &len, &total);
		if (r == KG_ERR_AGAIN)
			return KG_OK;
		GUARD(r);
		kg_mux_msg m;
		GUARD(kg_mux_decode(body, len, &m));
		r = kg_buf_consume(&mc->rx, total);
		if (r >= 0)
			r = handle(mc, &m);
		kg_mux_msg_free(&m);
		GUARD(r);
	}
}

static void on_client(void *ctx, int fd, int revents)
{
	mclient *mc = ctx;
	int r = KG_OK;
	if (kg_buf_len(&mc->tx) && (revents & (POLLOUT | POLLERR | POLLHUP))) {
		size_t done = 0;
		r = kg_fd_write(fd, kg_buf_ptr(&mc->tx), kg_buf_len(&mc->tx), &done);
		if (r == KG_ERR_AGAIN)
			r = KG_OK;
		if (r >= 0)
			r = kg_buf_consume(&mc->tx, done);
	}
	if (r >= 0 && mc->closing && kg_buf_len(&mc->tx) == 0) {
		client_free(mc);
		return;
	}
	if (r >= 0 && !mc->closing && (revents & (POLLIN | POLLERR | POLLHUP))) {
		uint8_t buf[4096];
		int fds[8];
		size_t got = 0, nfds = 0;
		r = kg_mux_recv(fd, buf, sizeof(buf), &got, fds, KG_ARRAY_LEN(fds), &nfds);
		for (size_t i = 0; i < nfds; i++) {
			/* They may come in the same read as their request. */
			if (mc->nfds < KG_ARRAY_LEN(mc->fds))
				mc->fds[mc->nfds++] = fds[i];
			else
				close(fds[i]);
		}
		if (r == KG_ERR_AGAIN)
			r = KG_OK;
		else if (r >= 0 && got == 0)
			r = KG_ERR_CLOSED;
		else if (r >= 0)
			r = kg_buf_put(&mc->rx, buf, got);
		if (r >= 0)
			r = process(mc);
	}
	if (r < 0) {
		kg_debug(mc->srv->c->log, "mux: client gone (%s)", kg_err_str(r));
		client_free(mc);
		return;
	}
	client_interest(mc);
}

static void on_idle(void *ctx, uint64_t id)
{
	kg_cli_mux_server *s = ctx;
	(void)id;
	s->idle_armed = 0;
	if (!s->clients) {
		kg_debug(s->c->log, "ControlPersist timeout expired");
		s->stop = 1;
	}
}

static void arm_idle(kg_cli_mux_server *s)
{
	if (s->idle_armed && s->clients) {
		(void)!kg_loop_cancel_timer(s->lp, s->idle_timer);
		s->idle_armed = 0;
	}
	if (!s->idle_armed && !s->clients && s->persist > 0 &&
	    kg_loop_add_timer(s->lp, (uint64_t)s->persist * 1000, on_idle, s, &s->idle_timer) == KG_OK)
		s->idle_armed = 1;
}

static void on_accept(void *ctx, int fd, int revents)
{
	kg_cli_mux_server *s = ctx;
	(void)revents;
	int cfd;
	if (kg_net_accept(fd, &cfd) < 0)
		return;
	uid_t uid;
	if (kg_mux_peer_uid(cfd, &uid) < 0 || (uid != 0 && uid != getuid())) {
		kg_error(s->c->log, "multiplex uid mismatch: peer euid %lu != uid %lu", (unsigned long)uid,
			 (unsigned long)getuid());
		close(cfd);
		return;
	}
	mclient *mc = calloc(1, sizeof(*mc));
	if (!mc || kg_loop_add_fd(s->lp, cfd, KG_LOOP_READ, on_client, mc) < 0) {
		free(mc);
		close(cfd);
		return;
	}
	mc->srv = s;
	mc->fd = cfd;
	mc->events = KG_LOOP_READ;
	kg_buf_init(&mc->rx, 2 * KG_MUX_MAX_PACKET);
	kg_buf_init(&mc->tx, 2 * KG_MUX_MAX_PACKET);
	mc->next = s->clients;
	s->clients = mc;
	arm_idle(s);
	kg_mux_msg h = { .type = KG_MUX_HELLO, .version = KG_MUX_VERSION };
	if (send_msg(mc, &h) < 0)
		client_free(mc);
}

static void on_signal(void *ctx, int signo)
{
	kg_cli_mux_server *s = ctx;
	for (size_t i = 0; i < N_SIGS; i++)
		if (sigs[i] == signo && s->sig_cb[i]) {
			s->sig_cb[i](s->sig_ctx[i], signo);
			if (signo != SIGWINCH)
				return;
		}
	if (signo == SIGWINCH) {
		for (mclient *mc = s->clients; mc; mc = mc->next)
			if (mc->sess)
				kg_cli_mux_session_winch(mc->sess);
		return;
	}
	kg_debug(s->c->log, "mux: master ends on signal %d", signo);
	s->stop = 1;
}

void kg_cli_mux_server_set_forwards(kg_cli_mux_server *s, kg_cli_forwards *fw)
{
	s->fw = fw;
}

int kg_cli_mux_server_add_signal(void *arg, int signo, kg_loop_signal_cb cb, void *ctx)
{
	kg_cli_mux_server *s = arg;
	for (size_t i = 0; i < N_SIGS; i++)
		if (sigs[i] == signo) {
			s->sig_cb[i] = cb;
			s->sig_ctx[i] = ctx;
			return KG_OK;
		}
	return kg_loop_add_signal(s->lp, signo, cb, ctx);
}

int kg_cli_mux_server_start(kg_client *c, const char *path, int ask, kg_cli_mux_server **out)
{
	*out = NULL;
	int lfd = -1;
	const char *why = NULL;
	int r = kg_mux_listen(path, &lfd, &why);
	if (r == KG_ERR_AGAIN) {
		kg_error(c->log, "ControlSocket %s already exists, disabling multiplexing", path);
		return r;
	}
	if (r == KG_ERR_ARG) {
		kg_error(c->log, "ControlPath %s too long, disabling multiplexing", path);
		return r;
	}
	if (r < 0) {
		kg_error(c->log, "ControlSocket %s: %s, disabling multiplexing", path, why ? why : strerror(errno));
		return r;
	}
	kg_cli_mux_server *s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		close(lfd);
		unlink(path);
		return KG_ERR_ALLOC;
	}
	s->c = c;
	s->lp = &c->loop;
	s->lfd = lfd;
	s->ask = ask;
	r = kg_loop_add_fd(s->lp, lfd, KG_LOOP_READ, on_accept, s);
	if (r >= 0)
		r = kg_loop_watch_signals(s->lp, sigs, N_SIGS, on_signal, s);
	if (r < 0) {
		kg_cli_mux_server_free(s);
		return r;
	}
	/* A client's pipe that closes must not end the master. */
	signal(SIGPIPE, SIG_IGN);
	kg_debug(c->log, "setting up multiplex master socket");
	*out = s;
	return KG_OK;
}

const int *kg_cli_mux_server_stop_flag(const kg_cli_mux_server *s)
{
	return &s->stop;
}

size_t kg_cli_mux_server_clients(const kg_cli_mux_server *s)
{
	size_t n = 0;
	for (const mclient *mc = s->clients; mc; mc = mc->next)
		n++;
	return n;
}

static int run_done(void *arg)
{
	kg_cli_mux_server *s = arg;
	if (s->stop)
		return 1;
	if (s->persist < 0) {
		for (const mclient *mc = s->clients; mc; mc = mc->next)
			if (mc->sess || mc->awaiting)
				return 0;
		return 1;
	}
	return 0;
}

int kg_cli_mux_server_run(kg_cli_mux_server *s, int persist)
{
	s->persist = persist;
	arm_idle(s);
	int r = run_done(s) ? KG_OK : kg_engine_run(&s->c->eng, run_done, s, -1);
	if (s->idle_armed)
		(void)!kg_loop_cancel_timer(s->lp, s->idle_timer);
	s->idle_armed = 0;
	s->persist = 0;
	return r;
}

int kg_cli_mux_server_end(kg_cli_mux_server *s, int persist)
{
	kg_client *c = s->c;
	int r = kg_cli_mux_server_run(s, persist);
	kg_cli_mux_server_free(s);
	if (r == KG_ERR_CLOSED || r == KG_ERR_PEER_DISCONNECT) {
		const char *why = kg_tr_error_text(c->tr);
		kg_error(c->log, "Connection to %s closed by remote host.%s%s", c->cfg->hostname, why && *why ? " " : "",
			 why ? why : "");
		return 255;
	}
	kg_tr_disconnect(c->tr, SSH_DISCONNECT_BY_APPLICATION, "disconnected by user");
	(void)!kg_engine_flush(&c->eng, KG_CLIENT_FLUSH_MS);
	return r < 0 ? 255 : 0;
}

void kg_cli_mux_server_persist(kg_cli_mux_server *s, const kg_cli_mux *m, const kg_cli_mux_request *rq,
			       int persist)
{
	kg_client *c = s->c;
	pid_t child = 0;
	kg_debug(c->log, "control_persist_detach: backgrounding master process");
	if (kg_daemonise(0, &child) < 0) {
		kg_error(c->log, "fork: %s", strerror(errno));
		_exit(255);
	}
	if (child > 0) {
		/* The parent: a client of the master it leaves behind, with
		 * the signals the master's loop took back in its hands. */
		(void)sigprocmask(SIG_SETMASK, kg_loop_child_mask(s->lp), NULL);
		kg_cli_mux mm = *m;
		mm.master = KG_CLI_MUX_NO;
		kg_cli_mux_request q = *rq;
		q.send_forwards = 0;  /* the master has them already */
		int st = 255;
		if (kg_cli_mux_client_session(&mm, &q, c->log, &st) < 0)
			st = 255;
		_exit(st);
	}
	int st = kg_cli_mux_server_end(s, persist);
	kg_client_close(c);
	_exit(st);
}

void kg_cli_mux_server_stop_listening(kg_cli_mux_server *s, int unlink_path)
{
	if (s->lfd < 0)
		return;
	(void)!kg_loop_remove_fd(s->lp, s->lfd);
	close(s->lfd);
	s->lfd = -1;
	if (unlink_path)
		unlink(s->path);
}

void kg_cli_mux_server_free(kg_cli_mux_server *s)
{
	if (!s)
		return;
	kg_cli_mux_server_stop_listening(s, 1);
	while (s->clients)
		client_free(s->clients);
	while (s->fwdreqs)
		fwdreq_unlink(s->fwdreqs);  /* left to their answers, which free them */
	if (s->idle_armed)
		(void)!kg_loop_cancel_timer(s->lp, s->idle_timer);
	free(s->path);
	free(s);
}
