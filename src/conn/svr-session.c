/* Session channels: requests, starting the process, and pumping bytes
 * between its fds and the channel under both windows. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "conn/svr-session.h"

#define TO_CHILD_MAX (64u * 1024 * 1024)
#define PIPE_SIZE (1024 * 1024)
#define MOTD_MAX (64u * 1024)
#define MOTD_PATH "/etc/motd"

enum { FD_A = 0, FD_B = 1, FD_C = 2 };  /* pty | stdin, stdout, stderr */

int kg_svr_env_accepted(const kg_strlist *accept_env, const char *name, size_t len)
{
	if (len == 0 || len > 256 || !((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	char buf[257];
	memcpy(buf, name, len);
	buf[len] = '\0';
	for (size_t i = 0; i < accept_env->n; i++)
		if (kg_pattern_list_match(buf, accept_env->v[i], 0) == 1)
			return 1;
	return 0;
}

void kg_svr_exit_from_status(int wstatus, kg_exit_info *info)
{
	memset(info, 0, sizeof(*info));
	if (WIFEXITED(wstatus)) {
		info->exited = 1;
		info->exit_status = WEXITSTATUS(wstatus);
	} else if (WIFSIGNALED(wstatus)) {
		info->signaled = 1;
		info->exit_signal = WTERMSIG(wstatus);
		info->core_dumped = WCOREDUMP(wstatus) ? 1 : 0;
	}
}

static int has_nul(const kg_str *s)
{
	return memchr(s->p, '\0', s->len) != NULL;
}

static char *str_dup(const kg_str *s)
{
	char *r = malloc(s->len + 1);
	if (r) {
		memcpy(r, s->p, s->len);
		r[s->len] = '\0';
	}
	return r;
}

static kg_svr_session *session_alloc(kg_channel *ch)
{
	kg_svr_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->ch = ch;
	s->proc.ptyfd = s->proc.infd = s->proc.outfd = s->proc.errfd = -1;
	kg_buf_init(&s->to_child, TO_CHILD_MAX);
	for (int k = 0; k < KG_SVR_SESSION_FDS; k++)
		s->pfd[k] = -1;
	return s;
}

int kg_svr_session_open(kg_svr_conn *sc, kg_channel *ch)
{
	const kg_server_config *cfg = sc->ctx->cfg;
	if (cfg->max_sessions >= 0 && sc->nsessions >= (uint32_t)cfg->max_sessions) {
		kg_info(sc->log, "refusing session: MaxSessions (%d) reached", cfg->max_sessions);
		return kg_conn_open_fail(&sc->conn, ch, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "too many sessions");
	}
	kg_svr_session *s = session_alloc(ch);
	if (!s)
		return kg_conn_open_fail(&sc->conn, ch, SSH_OPEN_RESOURCE_SHORTAGE, "out of memory");
	ch->user = s;
	sc->nsessions++;
	return kg_conn_open_confirm(&sc->conn, ch);
}

int kg_svr_tcpip_open(kg_svr_conn *sc, kg_channel *ch, const kg_conn_event *ev)
{
	const kg_server_config *cfg = sc->ctx->cfg;
	kg_buf b;
	const uint8_t *host;
	size_t hlen;
	uint32_t port;
	kg_buf_view(&b, ev->data, ev->len);
	if (kg_buf_get_string_direct(&b, &host, &hlen) < 0 || kg_buf_get_u32(&b, &port) < 0 ||
	    kg_buf_skip_string(&b) < 0 || kg_buf_get_u32(&b, NULL) < 0 || kg_buf_len(&b) != 0)
		return KG_ERR_PROTOCOL;
	int allowed = (cfg->allow_tcp_forwarding == KG_FWD_YES || cfg->allow_tcp_forwarding == KG_FWD_LOCAL) &&
		      !(sc->have_ak_opts && sc->ak_opts.no_port_forwarding);
	if (!allowed || hlen == 0 || hlen > 255 || memchr(host, '\0', hlen) || port == 0 || port > 65535) {
		kg_verbose(sc->log, "refused direct-tcpip from %s port %d", sc->peer_ip, sc->peer_port);
		return kg_conn_open_fail(&sc->conn, ch, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed");
	}
	char hostz[256], portz[16], err[300];
	memcpy(hostz, host, hlen);
	hostz[hlen] = '\0';
	if (sc->have_ak_opts && !kg_ak_permitopen_allows(&sc->ak_opts, hostz, port)) {
		kg_info(sc->log, "refused direct-tcpip to %.255s port %u from %s: not permitted by permitopen", hostz,
			port, sc->peer_ip);
		return kg_conn_open_fail(&sc->conn, ch, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed");
	}
	snprintf(portz, sizeof(portz), "%u", port);
	int fd = -1;
	if (kg_net_connect(hostz, portz, AF_UNSPEC, 10000, &fd, err, sizeof(err)) < 0) {
		kg_verbose(sc->log, "direct-tcpip to %s port %s failed: %s", hostz, portz, err);
		return kg_conn_open_fail(&sc->conn, ch, SSH_OPEN_CONNECT_FAILED, "Connection refused");
	}
	kg_svr_session *s = session_alloc(ch);
	int out = s ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
	if (out < 0) {
		free(s);
		close(fd);
		return kg_conn_open_fail(&sc->conn, ch, SSH_OPEN_RESOURCE_SHORTAGE, "out of resources");
	}
	kg_verbose(sc->log, "direct-tcpip to %s port %s for %s port %d", hostz, portz, sc->peer_ip, sc->peer_port);
	s->tcpip = 1;
	s->proc.infd = fd;
	s->proc.outfd = out;
	s->started = s->exited = 1;
	s->err_done = 1;
	ch->user = s;
	return kg_conn_open_confirm(&sc->conn, ch);
}

void kg_svr_session_free(kg_svr_conn *sc, kg_svr_session *s)
{
	if (!s)
		return;
	if (s->started && !s->exited && s->proc.pid > 0 && !s->want_pty)
		kill(s->proc.pid, SIGHUP);  /* a pty hangs up by itself when closed */
	kg_spawn_result_close(&s->proc);
	free(s->term);
	free(s->modes);
	kg_strlist_free(&s->env);
	kg_buf_free(&s->to_child);
	if (!s->tcpip && sc->nsessions > 0)
		sc->nsessions--;
	free(s);
}

/* ---------------- starting the process ---------------- */

static void send_motd(kg_svr_conn *sc, kg_svr_session *s)
{
	char *text = NULL;
	size_t len = 0;
	if (kg_read_text_file(MOTD_PATH, MOTD_MAX, &text, &len, NULL) < 0)
		return;
	kg_buf out;
	kg_buf_init(&out, 0);
	int r = KG_OK;
	for (size_t i = 0; i < len && r >= 0; i++)
		r = text[i] == '\n' ? kg_buf_put(&out, "\r\n", 2) : kg_buf_put_u8(&out, (uint8_t)text[i]);
	size_t sent = 0;
	if (r >= 0 && kg_buf_len(&out) <= s->ch->remote_window)
		(void)!kg_conn_send_data(&sc->conn, s->ch, 0, kg_buf_ptr(&out), kg_buf_len(&out), &sent);
	kg_buf_free(&out);
	free(text);
}

static void grow_pipe(int fd)
{
	if (fd >= 0)
		(void)fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE);
}

static int start(kg_svr_conn *sc, kg_svr_session *s, const char *command, const char *what)
{
	if (s->started)
		return KG_ERR_ARG;
	const char *forced = sc->have_ak_opts ? sc->ak_opts.command : NULL;
	const char *run = forced ? forced : command;
	kg_spawn_req req;
	memset(&req, 0, sizeof(req));
	req.user = &sc->user;
	req.drop_privs = sc->ctx->is_root;
	req.command = run;
	req.want_pty = s->want_pty;
	req.term = s->term;
	req.cols = s->cols;
	req.rows = s->rows;
	req.px = s->px;
	req.py = s->py;
	req.modes = s->modes;
	req.modes_len = s->modes_len;
	req.env = (const char *const *)s->env.v;
	req.n_env = s->env.n;
	req.client_ip = sc->peer_ip;
	req.client_port = sc->peer_port;
	req.server_ip = sc->local_ip;
	req.server_port = sc->local_port;
	req.original_command = forced ? (command ? command : "") : NULL;
	if (forced && !command)
		req.original_command = NULL;
	int r = kg_session_spawn(&req, &s->proc);
	if (r < 0) {
		kg_error(sc->log, "session: cannot start %s for %s: %s", what, sc->user.name, kg_err_str(r));
		s->proc.ptyfd = s->proc.infd = s->proc.outfd = s->proc.errfd = -1;
		return r;
	}
	s->started = 1;
	if (forced)
		kg_verbose(sc->log, "Forced command (key-option) '%.900s'", forced);
	kg_verbose(sc->log, "Starting session: %s%s%s for %s from %s port %d id %u", what,
		   s->want_pty ? " on " : "", s->want_pty ? s->proc.tty_name : "", sc->user.name, sc->peer_ip,
		   sc->peer_port, s->ch->local_id);
	if (s->want_pty) {
		s->err_done = 1;
	} else {
		grow_pipe(s->proc.infd);
		grow_pipe(s->proc.outfd);
		grow_pipe(s->proc.errfd);
		if (s->in_eof && kg_buf_len(&s->to_child) == 0 && s->proc.infd >= 0) {
			close(s->proc.infd);
			s->proc.infd = -1;
		}
	}
	return KG_OK;
}

static const char *subsystem_command(kg_svr_conn *sc, const char *name)
{
	const kg_server_config *cfg = sc->ctx->cfg;
	const char *cmd = kg_server_config_subsystem(cfg, name);
	if (!cmd && cfg->nsubsystems == 0 && strcmp(name, "sftp") == 0)
		cmd = sc->ctx->sftp_default;
	if (cmd && strcmp(cmd, "internal-sftp") == 0)
		cmd = sc->ctx->sftp_default;
	return cmd;
}

/* ---------------- requests ---------------- */

static int req_pty(kg_svr_conn *sc, kg_svr_session *s, const kg_conn_event *ev)
{
	kg_pty_req p;
	GUARD(kg_req_parse_pty(ev->data, ev->len, &p));
	if (s->started || s->want_pty || !sc->ctx->cfg->permit_tty)
		return 0;
	if (sc->have_ak_opts && (sc->ak_opts.no_pty || sc->ak_opts.restricted)) {
		kg_verbose(sc->log, "Pty allocation disabled by authorized_keys options");
		return 0;
	}
	if (has_nul(&p.term) || p.term.len > 256 || p.modes.len > 4096)
		return 0;
	s->term = str_dup(&p.term);
	s->modes = malloc(p.modes.len ? p.modes.len : 1);
	ENSURE(s->term && s->modes, KG_ERR_ALLOC);
	if (p.modes.len)
		memcpy(s->modes, p.modes.p, p.modes.len);
	s->modes_len = p.modes.len;
	s->cols = p.cols;
	s->rows = p.rows;
	s->px = p.px;
	s->py = p.py;
	s->want_pty = 1;
	return 1;
}

static int req_env(kg_svr_conn *sc, kg_svr_session *s, const kg_conn_event *ev)
{
	kg_str name, value;
	GUARD(kg_req_parse_env(ev->data, ev->len, &name, &value));
	if (s->started || has_nul(&value) || value.len > 64 * 1024 || s->env.n >= 256 ||
	    !kg_svr_env_accepted(&sc->ctx->cfg->accept_env, (const char *)name.p, name.len)) {
		kg_debug(sc->log, "Ignoring env request %.*s: not accepted", (int)(name.len > 64 ? 64 : name.len),
			 (const char *)name.p);
		return 0;
	}
	char *nv = malloc(name.len + value.len + 2);
	ENSURE(nv != NULL, KG_ERR_ALLOC);
	memcpy(nv, name.p, name.len);
	nv[name.len] = '=';
	memcpy(nv + name.len + 1, value.p, value.len);
	nv[name.len + 1 + value.len] = '\0';
	int r = kg_strlist_add(&s->env, nv);
	free(nv);
	GUARD(r);
	return 1;
}

static int req_exec(kg_svr_conn *sc, kg_svr_session *s, const kg_conn_event *ev)
{
	kg_str cmd;
	GUARD(kg_req_parse_string(ev->data, ev->len, &cmd));
	if (has_nul(&cmd))
		return 0;
	char *c = str_dup(&cmd);
	ENSURE(c != NULL, KG_ERR_ALLOC);
	/* Legacy scp ("scp -t ..." / "scp -f ...", run by the remote shell) is
	 * served by kagi's own kscp, so it works without OpenSSH installed. */
	if (strncmp(c, "scp ", 4) == 0 && access(sc->ctx->scp_program, X_OK) == 0 &&
	    !(sc->have_ak_opts && sc->ak_opts.command) &&  /* a forced command sees the client's text */
	    !strchr(sc->ctx->scp_program, '\'')) {
		size_t len = strlen(sc->ctx->scp_program) + strlen(c) + 4;
		char *mapped = malloc(len);
		if (!mapped) {
			free(c);
			return KG_ERR_ALLOC;
		}
		snprintf(mapped, len, "'%s'%s", sc->ctx->scp_program, c + 3);
		free(c);
		c = mapped;
	}
	int ok = start(sc, s, c, "command") == KG_OK;
	free(c);
	return ok;
}

static int req_subsystem(kg_svr_conn *sc, kg_svr_session *s, const kg_conn_event *ev)
{
	kg_str name;
	GUARD(kg_req_parse_string(ev->data, ev->len, &name));
	if (has_nul(&name) || name.len > 256)
		return 0;
	char *n = str_dup(&name);
	ENSURE(n != NULL, KG_ERR_ALLOC);
	const char *cmd = subsystem_command(sc, n);
	int ok = 0;
	if (!cmd)
		kg_info(sc->log, "subsystem request for %.100s by user %s failed, subsystem not found", n, sc->user.name);
	else
		ok = start(sc, s, cmd, "subsystem") == KG_OK;
	free(n);
	return ok;
}

static int req_window_change(kg_svr_conn *sc, kg_svr_session *s, const kg_conn_event *ev)
{
	(void)sc;
	kg_win_change w;
	GUARD(kg_req_parse_window_change(ev->data, ev->len, &w));
	s->cols = w.cols;
	s->rows = w.rows;
	s->px = w.px;
	s->py = w.py;
	if (s->started && s->proc.ptyfd >= 0)
		return kg_session_resize(s->proc.ptyfd, w.cols, w.rows, w.px, w.py) == KG_OK;
	return 1;
}

static int req_signal(kg_svr_conn *sc, kg_svr_session *s, const kg_conn_event *ev)
{
	kg_str name;
	GUARD(kg_req_parse_string(ev->data, ev->len, &name));
	if (!s->started || s->exited || has_nul(&name) || name.len > 32)
		return 0;
	char *n = str_dup(&name);
	ENSURE(n != NULL, KG_ERR_ALLOC);
	int ok = kg_session_signal(s->proc.pid, n) == KG_OK;
	kg_debug(sc->log, "session: signal %s %s", n, ok ? "delivered" : "refused");
	free(n);
	return ok;
}

int kg_svr_session_request(kg_svr_conn *sc, kg_svr_session *s, const kg_conn_event *ev)
{
	int ok = 0;
	kg_debug(sc->log, "session %u: request %s", s->ch->local_id, ev->name);
	if (strcmp(ev->name, "pty-req") == 0)
		ok = req_pty(sc, s, ev);
	else if (strcmp(ev->name, "env") == 0)
		ok = req_env(sc, s, ev);
	else if (strcmp(ev->name, "exec") == 0)
		ok = req_exec(sc, s, ev);
	else if (strcmp(ev->name, "shell") == 0) {
		GUARD(kg_req_parse_none(ev->data, ev->len));
		ok = start(sc, s, NULL, "shell") == KG_OK;
		if (ok && sc->ctx->cfg->print_motd == 1 && s->want_pty && !(sc->have_ak_opts && sc->ak_opts.command))
			send_motd(sc, s);
	} else if (strcmp(ev->name, "subsystem") == 0)
		ok = req_subsystem(sc, s, ev);
	else if (strcmp(ev->name, "window-change") == 0)
		ok = req_window_change(sc, s, ev);
	else if (strcmp(ev->name, "signal") == 0)
		ok = req_signal(sc, s, ev);
	GUARD(ok);
	if (ev->want_reply)
		GUARD(kg_conn_request_reply(&sc->conn, s->ch, ok));
	return KG_OK;
}

/* ---------------- data ---------------- */

static int in_fd(const kg_svr_session *s)
{
	return s->want_pty ? s->proc.ptyfd : s->proc.infd;
}

/* The process can no longer take input: what is pending is dropped (and
 * granted back, so the peer is not stuck on a shut window). */
static int drop_input(kg_svr_conn *sc, kg_svr_session *s)
{
	size_t n = kg_buf_len(&s->to_child);
	kg_buf_reset(&s->to_child);
	if (!s->want_pty && s->proc.infd >= 0) {
		close(s->proc.infd);
		s->proc.infd = -1;
	}
	return n ? kg_conn_consumed(&sc->conn, s->ch, n) : KG_OK;
}

static int write_child(kg_svr_conn *sc, kg_svr_session *s)
{
	int fd = in_fd(s);
	while (fd >= 0 && kg_buf_len(&s->to_child) > 0) {
		size_t done = 0;
		int r = kg_fd_write(fd, kg_buf_ptr(&s->to_child), kg_buf_len(&s->to_child), &done);
		if (r == KG_ERR_AGAIN)
			break;
		if (r < 0)
			return drop_input(sc, s);
		GUARD(kg_buf_consume(&s->to_child, done));
		GUARD(kg_conn_consumed(&sc->conn, s->ch, done));
	}
	if (kg_buf_len(&s->to_child) == 0) {
		kg_buf_reset(&s->to_child);
		if (s->in_eof && !s->want_pty && s->proc.infd >= 0) {
			if (s->tcpip)  /* the other end of the socket sees EOF */
				shutdown(s->proc.infd, SHUT_WR);
			close(s->proc.infd);
			s->proc.infd = -1;
		}
	}
	return KG_OK;
}

int kg_svr_session_data(kg_svr_conn *sc, kg_svr_session *s, const uint8_t *d, size_t n)
{
	if (s->in_eof || (s->started && in_fd(s) < 0))
		return kg_conn_consumed(&sc->conn, s->ch, n);
	if (s->started && kg_buf_len(&s->to_child) == 0) {
		size_t done = 0;
		int r = kg_fd_write(in_fd(s), d, n, &done);
		if (r == KG_OK) {
			GUARD(kg_conn_consumed(&sc->conn, s->ch, done));
			d += done;
			n -= done;
		} else if (r != KG_ERR_AGAIN) {
			GUARD(drop_input(sc, s));
			return kg_conn_consumed(&sc->conn, s->ch, n);
		}
	}
	if (n == 0)
		return KG_OK;
	if (kg_buf_put(&s->to_child, d, n) < 0)  /* beyond any window we granted */
		return KG_ERR_CHANNEL;
	return KG_OK;
}

int kg_svr_session_eof(kg_svr_conn *sc, kg_svr_session *s)
{
	s->in_eof = 1;
	if (s->started)
		return write_child(sc, s);
	return KG_OK;
}

/* Reads once from fd into the channel, never more than the peer's window
 * allows, so everything read is sent at once. */
static int read_child(kg_svr_conn *sc, kg_svr_session *s, int fd, uint32_t ext, int *done_flag)
{
	size_t want = s->ch->remote_window;
	if (want > KG_SVR_READ_CHUNK)
		want = KG_SVR_READ_CHUNK;
	if (want == 0)
		return KG_OK;
	size_t n = 0;
	int r = kg_fd_read(fd, sc->rdbuf, want, &n);
	if (r == KG_ERR_AGAIN)
		return KG_OK;
	if (r < 0) {  /* EOF, or EIO from a pty whose other side is gone */
		*done_flag = 1;
		return KG_OK;
	}
	size_t sent = 0;
	r = kg_conn_send_data(&sc->conn, s->ch, ext, sc->rdbuf, n, &sent);
	if (r == KG_ERR_CLOSED || r == KG_ERR_ARG) {
		*done_flag = 1;  /* the channel is going away: discard */
		return KG_OK;
	}
	GUARD(r);
	return sent == n ? KG_OK : KG_ERR_INTERNAL;
}

static void add_fd(kg_svr_session *s, int slot, int fd, short events, struct pollfd *pfds, size_t *np)
{
	if (fd < 0 || events == 0)
		return;
	pfds[*np] = (struct pollfd){ .fd = fd, .events = events };
	s->pfd[slot] = (int)*np;
	(*np)++;
}

size_t kg_svr_session_poll_setup(kg_svr_conn *sc, kg_svr_session *s, struct pollfd *pfds, size_t np, int may_read)
{
	(void)sc;
	for (int k = 0; k < KG_SVR_SESSION_FDS; k++)
		s->pfd[k] = -1;
	if (!s->started || s->finished)
		return np;
	int can_send = may_read && s->ch->state == KG_CH_OPEN && !s->ch->eof_sent && s->ch->remote_window > 0;
	short wr = kg_buf_len(&s->to_child) > 0 ? POLLOUT : 0;
	if (s->want_pty) {
		add_fd(s, FD_A, s->proc.ptyfd, (short)(wr | (can_send && !s->out_done ? POLLIN : 0)), pfds, &np);
		return np;
	}
	add_fd(s, FD_A, s->proc.infd, wr, pfds, &np);
	add_fd(s, FD_B, s->proc.outfd, can_send && !s->out_done ? POLLIN : 0, pfds, &np);
	add_fd(s, FD_C, s->proc.errfd, can_send && !s->err_done ? POLLIN : 0, pfds, &np);
	return np;
}

static const struct pollfd *slot(const kg_svr_session *s, int k, const struct pollfd *base)
{
	return s->pfd[k] >= 0 ? &base[s->pfd[k]] : NULL;
}

int kg_svr_session_poll_done(kg_svr_conn *sc, kg_svr_session *s, const struct pollfd *pfds)
{
	const short rd = POLLIN | POLLHUP | POLLERR;
	const short wr = POLLOUT | POLLHUP | POLLERR;
	const struct pollfd *a = slot(s, FD_A, pfds), *b = slot(s, FD_B, pfds), *c = slot(s, FD_C, pfds);
	if (a && (a->revents & wr) && kg_buf_len(&s->to_child) > 0)
		GUARD(write_child(sc, s));
	if (s->want_pty) {
		if (a && (a->revents & rd) && (a->events & POLLIN))
			GUARD(read_child(sc, s, s->proc.ptyfd, 0, &s->out_done));
	} else {
		if (b && (b->revents & rd))
			GUARD(read_child(sc, s, s->proc.outfd, 0, &s->out_done));
		if (c && (c->revents & rd))
			GUARD(read_child(sc, s, s->proc.errfd, SSH_EXTENDED_DATA_STDERR, &s->err_done));
	}
	if (!s->want_pty) {
		if (s->out_done && s->proc.outfd >= 0) {
			close(s->proc.outfd);
			s->proc.outfd = -1;
		}
		if (s->err_done && s->proc.errfd >= 0) {
			close(s->proc.errfd);
			s->proc.errfd = -1;
		}
	}
	return KG_OK;
}

int kg_svr_session_reaped(kg_svr_session *s, pid_t pid, int wstatus)
{
	if (!s->started || s->exited || s->proc.pid != pid)
		return 0;
	s->exited = 1;
	kg_svr_exit_from_status(wstatus, &s->exit);
	return 1;
}

static int ignore_closed(int r)
{
	return r == KG_ERR_CLOSED || r == KG_ERR_ARG ? KG_OK : r;
}

int kg_svr_session_progress(kg_svr_conn *sc, kg_svr_session *s)
{
	if (!s->started || !s->exited || s->finished)
		return KG_OK;
	/* With a pty, the process is gone: whatever it left is read below
	 * until EIO; without one, wait for EOF on both pipes. */
	if (s->want_pty && !s->out_done && s->ch->remote_window > 0 && !s->ch->eof_sent)
		GUARD(read_child(sc, s, s->proc.ptyfd, 0, &s->out_done));
	if (!s->out_done || !s->err_done)
		return KG_OK;
	s->finished = 1;
	kg_channel *ch = s->ch;
	if (s->tcpip)
		;  /* a socket has no exit status */
	else if (s->exit.signaled)
		GUARD(ignore_closed(kg_conn_req_exit_signal(&sc->conn, ch, kg_signal_name(s->exit.exit_signal),
							    s->exit.core_dumped, "", "")));
	else
		GUARD(ignore_closed(kg_conn_req_exit_status(&sc->conn, ch, (uint32_t)s->exit.exit_status)));
	GUARD(ignore_closed(kg_conn_send_eof(&sc->conn, ch)));
	GUARD(ignore_closed(kg_conn_send_close(&sc->conn, ch)));
	kg_spawn_result_close(&s->proc);
	kg_buf_reset(&s->to_child);
	return KG_OK;
}
