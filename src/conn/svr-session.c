/* Session channels on the server: requests, starting the process, and
 * pumping bytes between its fds and the channel under both windows, as an
 * engine consumer. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <strings.h>
#include "conn/svr-env.h"
#include "conn/svr-session.h"
#include "sys/chroot-check.h"
#include "sys/net.h"

#define PIPE_SIZE (1024 * 1024)
#define MOTD_MAX (64u * 1024)
#define MOTD_PATH "/etc/motd"
/* What a client's env requests may hold in one session, in all. */
#define KG_SVR_ENV_BYTES_MAX (256u * 1024)

enum { FD_A = 0, FD_B = 1, FD_C = 2, NSLOTS = 3 };  /* pty | stdin, stdout, stderr */

struct kg_svr_session {
	kg_consumer k;              /* k.ch: the channel, NULL once released */
	kg_svr_sessions *ss;
	kg_svr_session *next;
	kg_spawn_result proc;       /* pid 0 until started */
	int started, exited;
	kg_exit_info exit;
	int want_pty;
	char *term;
	uint32_t cols, rows, px, py;
	uint8_t *modes;
	size_t modes_len;
	kg_strlist env;             /* accepted "NAME=value" */
	size_t env_bytes;           /* their length, at most KG_SVR_ENV_BYTES_MAX */
	kg_chan_out to_child;       /* channel data not yet written to the process */
	int in_eof;                 /* the peer sent EOF */
	int out_done, err_done;     /* stdout (or the pty) / stderr reached EOF */
	int finished;               /* exit-status, EOF and CLOSE sent */
	int agent_fwd;              /* auth-agent-req granted: SSH_AUTH_SOCK */
	kg_watch w[NSLOTS];         /* the fds registered with the loop */
};

static const kg_consumer_ops session_ops;
static void update(kg_svr_session *s);
static int write_child(kg_svr_session *s);

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

static kg_svr_session *session_alloc(kg_svr_sessions *ss, kg_channel *ch)
{
	kg_svr_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->ss = ss;
	s->proc.ptyfd = s->proc.infd = s->proc.outfd = s->proc.errfd = -1;
	kg_chan_out_init(&s->to_child, -1);
	for (int k = 0; k < NSLOTS; k++)
		kg_watch_init(&s->w[k]);
	kg_engine_attach(ss->eng, ch, &s->k, &session_ops);
	s->next = ss->list;
	ss->list = s;
	return s;
}

int kg_svr_session_open(kg_svr_sessions *ss, kg_channel *ch)
{
	const kg_server_config *cfg = ss->cfg;
	if (ss->no_more_sessions) {
		/* sshd's words and action: the client said it would open no more. */
		kg_tr_disconnect(ss->eng->tr, SSH_DISCONNECT_BY_APPLICATION,
				 "Possible attack: attempt to open a session after additional sessions disabled");
		return KG_ERR_PROTOCOL;
	}
	if (cfg->max_sessions >= 0 && ss->nsessions >= (uint32_t)cfg->max_sessions) {
		kg_info(ss->log, "refusing session: MaxSessions (%d) reached", cfg->max_sessions);
		return kg_conn_open_fail(&ss->eng->conn, ch, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "too many sessions");
	}
	kg_svr_session *s = session_alloc(ss, ch);
	if (!s)
		return kg_conn_open_fail(&ss->eng->conn, ch, SSH_OPEN_RESOURCE_SHORTAGE, "out of memory");
	ss->nsessions++;
	return kg_conn_open_confirm(&ss->eng->conn, ch);
}

/* ---------------- starting the process ---------------- */

static void send_motd(kg_svr_sessions *ss, kg_svr_session *s)
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
	if (r >= 0 && kg_buf_len(&out) <= s->k.ch->remote_window)
		(void)!kg_conn_send_data(&ss->eng->conn, s->k.ch, 0, kg_buf_ptr(&out), kg_buf_len(&out), &sent);
	kg_buf_free(&out);
	free(text);
}

static void grow_pipe(int fd)
{
	if (fd >= 0)
		(void)fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE);
}

/* A configured path value, or NULL for none. */
static const char *configured(const char *v)
{
	return v && *v && strcasecmp(v, "none") != 0 ? v : NULL;
}

/* "internal-sftp [args]": the args (possibly ""), else NULL. */
static const char *internal_sftp_args(const char *cmd)
{
	static const char name[] = "internal-sftp";
	size_t n = sizeof(name) - 1;
	if (!cmd || strncmp(cmd, name, n) != 0 || (cmd[n] != '\0' && cmd[n] != ' ' && cmd[n] != '\t'))
		return NULL;
	cmd += n;
	while (*cmd == ' ' || *cmd == '\t')
		cmd++;
	return cmd;
}

int kg_svr_chroot_dir(const kg_server_config *cfg, const kg_spawn_user *u, kg_logger *log, char **out)
{
	*out = NULL;
	const char *dir = configured(cfg->chroot_directory);
	if (!dir)
		return KG_OK;
	const kg_token tok[] = { { 'h', u->home }, { 'u', u->name } };
	GUARD(kg_expand_tokens(dir, tok, KG_ARRAY_LEN(tok), out));
	char msg[512];
	if (kg_chroot_check(*out, msg, sizeof(msg)) < 0) {
		kg_error(log, "fatal: %s", msg);
		free(*out);
		*out = NULL;
		return KG_ERR_CONFIG;
	}
	return KG_OK;
}

/* The session's ChrootDirectory, unless the process already is inside it. */
static int chroot_for(kg_svr_sessions *ss, char **out)
{
	*out = NULL;
	return ss->chrooted ? KG_OK : kg_svr_chroot_dir(ss->cfg, ss->user, ss->log, out);
}

/* The program behind internal-sftp when it is not run in-process. */
static char *sftp_program(kg_svr_sessions *ss, const char *args)
{
	size_t n = strlen(ss->sftp_default) + strlen(args) + 4;
	char *c = malloc(n);
	if (c)
		snprintf(c, n, "'%s'%s%s", ss->sftp_default, *args ? " " : "", args);
	return c;
}

static int start(kg_svr_sessions *ss, kg_svr_session *s, const char *command, const char *what)
{
	if (s->started)
		return KG_ERR_ARG;
	/* ForceCommand wins over a key's command=, as in sshd. */
	const char *adm = configured(ss->cfg->force_command);
	const char *forced = adm ? adm : ss->ak ? ss->ak->command : NULL;
	const char *run = forced ? forced : command;
	char *root = NULL, *prog = NULL;
	kg_strlist senv = { NULL, 0 };
	int r = chroot_for(ss, &root);
	if (r >= 0)  /* pamsess: pam_getenvlist first, so environment= and SetEnv win over it */
		r = kg_svr_login_env(ss->login, &senv);
	if (r >= 0)
		r = kg_svr_env_build(ss->cfg, ss->ak, ss->user, ss->drop_privs, ss->log, &senv);
	if (r >= 0 && s->agent_fwd)
		r = kg_svr_agent_fwd_env(ss->agent, &senv);
	const char *sftp_args = internal_sftp_args(run);
	int in_process = sftp_args && ss->internal_sftp && (root || ss->chrooted);
	if (r >= 0 && sftp_args && !in_process) {
		if (strchr(ss->sftp_default, '\'') || !(prog = sftp_program(ss, sftp_args)))
			r = KG_ERR_ALLOC;
		run = prog;
	}
	if (r < 0) {
		free(root);
		free(prog);
		kg_strlist_free(&senv);
		return r;
	}
	kg_spawn_req req;
	memset(&req, 0, sizeof(req));
	req.user = ss->user;
	req.drop_privs = ss->drop_privs;
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
	req.client_ip = ss->peer_ip;
	req.client_port = ss->peer_port;
	req.server_ip = ss->local_ip;
	req.server_port = ss->local_port;
	req.original_command = forced ? command : NULL;
	req.server_env = (const char *const *)senv.v;
	req.n_server_env = senv.n;
	req.chroot_dir = root;
	req.open_pty = ss->open_pty;
	req.open_pty_arg = ss->pty_arg;
	/* agentfwd: ~/.ssh/rc as sshd, but not for subsystems or ForceCommand
	 * (/etc/ssh/sshrc, run by sshd when there is no ~/.ssh/rc, is not) */
	char *rc = NULL;
	if (ss->cfg->permit_user_rc == 1 && !(ss->ak && ss->ak->no_user_rc) && !adm && strcmp(what, "subsystem") != 0 &&
	    (rc = malloc(strlen(ss->user->home) + sizeof("/.ssh/rc"))) != NULL)
		sprintf(rc, "%s/.ssh/rc", ss->user->home);
	req.user_rc = rc;
	if (in_process) {
		req.run = ss->internal_sftp;
		req.run_arg = (void *)sftp_args;
	}
	char *nologin = NULL;
	int refused = kg_svr_login_nologin(ss->login, &nologin);
	if (refused)
		req.refuse_msg = nologin ? nologin : "";
	r = kg_session_spawn(&req, &s->proc);
	free(nologin);
	free(rc);
	free(root);
	free(prog);
	kg_strlist_free(&senv);
	if (r < 0) {
		kg_error(ss->log, "session: cannot start %s for %s: %s", what, ss->user->name, kg_err_str(r));
		s->proc.ptyfd = s->proc.infd = s->proc.outfd = s->proc.errfd = -1;
		return r;
	}
	s->started = 1;
	if (forced)
		kg_verbose(ss->log, "Forced command (%s) '%.900s'", adm ? "config" : "key-option", forced);
	kg_verbose(ss->log, "Starting session: %s%s%s for %s from %s port %d id %u", what,
		   s->want_pty ? " on " : "", s->want_pty ? s->proc.tty_name : "", ss->user->name, ss->peer_ip,
		   ss->peer_port, s->k.ch->local_id);
	if (s->want_pty && !refused) {  /* pamsess: records; PrintLastLog before the motd */
		char last[4608];
		int greet = strcmp(what, "shell") == 0 && !forced;
		if (ss->pty_started)
			ss->pty_started(ss->pty_arg, s->proc.pid, s->proc.tty_name, greet, last, sizeof(last));
		else
			kg_svr_login_pty_started(ss->login, s->proc.pid, s->proc.tty_name, greet, last, sizeof(last));
		size_t sent = 0;
		if (last[0] && strlen(last) <= s->k.ch->remote_window)
			(void)!kg_conn_send_data(&ss->eng->conn, s->k.ch, 0, (const uint8_t *)last, strlen(last), &sent);
	}
	if (s->want_pty) {
		s->err_done = 1;
	} else {
		grow_pipe(s->proc.infd);
		grow_pipe(s->proc.outfd);
		grow_pipe(s->proc.errfd);
	}
	s->to_child.fd = s->want_pty ? s->proc.ptyfd : s->proc.infd;
	return s->in_eof ? write_child(s) : KG_OK;
}

static const char *subsystem_command(kg_svr_sessions *ss, const char *name)
{
	const kg_server_config *cfg = ss->cfg;
	const char *cmd = kg_server_config_subsystem(cfg, name);
	if (!cmd && cfg->nsubsystems == 0 && strcmp(name, "sftp") == 0)
		cmd = ss->sftp_default;
	return cmd;  /* internal-sftp is resolved by start() */
}

/* ---------------- requests ---------------- */

static int req_pty(kg_svr_sessions *ss, kg_svr_session *s, const kg_conn_event *ev)
{
	kg_pty_req p;
	GUARD(kg_req_parse_pty(ev->data, ev->len, &p));
	if (s->started || s->want_pty || !ss->cfg->permit_tty)
		return 0;
	if (ss->ak && (ss->ak->no_pty || ss->ak->restricted)) {
		kg_verbose(ss->log, "Pty allocation disabled by authorized_keys options");
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

static int req_env(kg_svr_sessions *ss, kg_svr_session *s, const kg_conn_event *ev)
{
	kg_str name, value;
	GUARD(kg_req_parse_env(ev->data, ev->len, &name, &value));
	if (s->started || has_nul(&value) || value.len > 64 * 1024 || s->env.n >= 256 ||
	    name.len + value.len + 2 > KG_SVR_ENV_BYTES_MAX - s->env_bytes ||
	    !kg_svr_env_accepted(&ss->cfg->accept_env, (const char *)name.p, name.len)) {
		kg_debug(ss->log, "Ignoring env request %.*s: not accepted", (int)(name.len > 64 ? 64 : name.len),
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
	s->env_bytes += name.len + value.len + 2;
	return 1;
}

static int req_exec(kg_svr_sessions *ss, kg_svr_session *s, const kg_conn_event *ev)
{
	kg_str cmd;
	GUARD(kg_req_parse_string(ev->data, ev->len, &cmd));
	if (has_nul(&cmd))
		return 0;
	char *c = str_dup(&cmd);
	ENSURE(c != NULL, KG_ERR_ALLOC);
	/* Legacy scp ("scp -t ..." / "scp -f ...", run by the remote shell) is
	 * served by kagi's own kscp, so it works without OpenSSH installed. */
	if (strncmp(c, "scp ", 4) == 0 && access(ss->scp_program, X_OK) == 0 &&
	    !(ss->ak && ss->ak->command) && !configured(ss->cfg->force_command) &&  /* a forced command sees the client's text */
	    !strchr(ss->scp_program, '\'')) {
		size_t len = strlen(ss->scp_program) + strlen(c) + 4;
		char *mapped = malloc(len);
		if (!mapped) {
			free(c);
			return KG_ERR_ALLOC;
		}
		snprintf(mapped, len, "'%s'%s", ss->scp_program, c + 3);
		free(c);
		c = mapped;
	}
	int ok = start(ss, s, c, "command") == KG_OK;
	free(c);
	return ok;
}

static int req_subsystem(kg_svr_sessions *ss, kg_svr_session *s, const kg_conn_event *ev)
{
	kg_str name;
	GUARD(kg_req_parse_string(ev->data, ev->len, &name));
	if (has_nul(&name) || name.len > 256)
		return 0;
	char *n = str_dup(&name);
	ENSURE(n != NULL, KG_ERR_ALLOC);
	const char *cmd = subsystem_command(ss, n);
	int ok = 0;
	if (!cmd)
		kg_info(ss->log, "subsystem request for %.100s by user %s failed, subsystem not found", n, ss->user->name);
	else
		ok = start(ss, s, cmd, "subsystem") == KG_OK;
	free(n);
	return ok;
}

static int req_window_change(kg_svr_sessions *ss, kg_svr_session *s, const kg_conn_event *ev)
{
	(void)ss;
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

static int req_signal(kg_svr_sessions *ss, kg_svr_session *s, const kg_conn_event *ev)
{
	kg_str name;
	GUARD(kg_req_parse_string(ev->data, ev->len, &name));
	if (!s->started || s->exited || has_nul(&name) || name.len > 32)
		return 0;
	char *n = str_dup(&name);
	ENSURE(n != NULL, KG_ERR_ALLOC);
	int ok = kg_session_signal(s->proc.pid, n) == KG_OK;
	kg_debug(ss->log, "session: signal %s %s", n, ok ? "delivered" : "refused");
	free(n);
	return ok;
}

static int on_request(kg_consumer *k, const kg_conn_event *ev)
{
	kg_svr_session *s = KG_CONSUMER_OF(k, kg_svr_session, k);
	kg_svr_sessions *ss = s->ss;
	int ok = 0;
	kg_debug(ss->log, "session %u: request %s", s->k.ch->local_id, ev->name);
	if (strcmp(ev->name, "pty-req") == 0)
		ok = req_pty(ss, s, ev);
	else if (strcmp(ev->name, "env") == 0)
		ok = req_env(ss, s, ev);
	else if (strcmp(ev->name, "exec") == 0)
		ok = req_exec(ss, s, ev);
	else if (strcmp(ev->name, "shell") == 0) {
		GUARD(kg_req_parse_none(ev->data, ev->len));
		ok = start(ss, s, NULL, "shell") == KG_OK;
		if (ok && ss->cfg->print_motd == 1 && s->want_pty && !(ss->ak && ss->ak->command))
			send_motd(ss, s);
	} else if (strcmp(ev->name, "subsystem") == 0)
		ok = req_subsystem(ss, s, ev);
	else if (strcmp(ev->name, "window-change") == 0)
		ok = req_window_change(ss, s, ev);
	else if (strcmp(ev->name, "signal") == 0)
		ok = req_signal(ss, s, ev);
	else if (strcmp(ev->name, "auth-agent-req@openssh.com") == 0 && !s->started)
		ok = s->agent_fwd = kg_svr_agent_fwd_request(&ss->agent, ss->eng, ss->log, ss->cfg, ss->ak, ss->user, ev);
	GUARD(ok);
	if (ev->want_reply)
		GUARD(kg_conn_request_reply(&ss->eng->conn, s->k.ch, ok));
	update(s);
	return KG_OK;
}


/* ---------------- data ---------------- */

static int in_fd(const kg_svr_session *s)
{
	return s->want_pty ? s->proc.ptyfd : s->proc.infd;
}

static void on_fd(void *ctx, int fd, int revents);

static void watch(kg_svr_session *s, int slot, int fd, int events)
{
	kg_watch_set(s->ss->eng, &s->w[slot], fd, events, on_fd, s);
}

static void unwatch_all(kg_svr_session *s)
{
	for (int k = 0; k < NSLOTS; k++)
		watch(s, k, -1, 0);
}

/* The loop interest follows the state: write to the process while data
 * is held for it; read its output only while the channel can take it. */
static void update(kg_svr_session *s)
{
	kg_channel *ch = s->k.ch;
	if (!ch || !s->started || s->finished) {
		unwatch_all(s);
		return;
	}
	int can_send = ch->state == KG_CH_OPEN && !ch->eof_sent && ch->remote_window > 0 &&
		       kg_engine_may_send(s->ss->eng);
	int wr = kg_chan_out_pending(&s->to_child) > 0 ? KG_LOOP_WRITE : 0;
	if (s->want_pty) {
		watch(s, FD_A, s->proc.ptyfd, wr | (can_send && !s->out_done ? KG_LOOP_READ : 0));
		return;
	}
	watch(s, FD_A, s->proc.infd, wr);
	watch(s, FD_B, s->proc.outfd, can_send && !s->out_done ? KG_LOOP_READ : 0);
	watch(s, FD_C, s->proc.errfd, can_send && !s->err_done ? KG_LOOP_READ : 0);
}

static void close_fd(kg_svr_session *s, int slot, int *fd)
{
	if (*fd < 0)
		return;
	watch(s, slot, -1, 0);
	close(*fd);
	*fd = -1;
}

/* Writes what is held for the process; once the peer's EOF is reached
 * (or the process cannot take input) its stdin is closed. */
static int write_child(kg_svr_session *s)
{
	kg_conn *c = &s->ss->eng->conn;
	GUARD(kg_chan_out_flush(&s->to_child, c, s->k.ch));
	if (s->want_pty)
		return KG_OK;
	if (s->to_child.failed || (s->in_eof && kg_chan_out_pending(&s->to_child) == 0)) {
		close_fd(s, FD_A, &s->proc.infd);
		s->to_child.fd = -1;
		if (!s->to_child.failed)
			GUARD(kg_chan_out_drop(&s->to_child, c, s->k.ch));
	}
	return KG_OK;
}

static int on_data(kg_consumer *k, uint32_t ext, const uint8_t *d, size_t n)
{
	kg_svr_session *s = KG_CONSUMER_OF(k, kg_svr_session, k);
	kg_conn *c = &s->ss->eng->conn;
	if (ext != 0 || s->in_eof)
		return kg_conn_consumed(c, k->ch, n);
	GUARD(kg_chan_out_put(&s->to_child, c, k->ch, d, n));
	if (s->started && s->to_child.failed)
		GUARD(write_child(s));
	update(s);
	return KG_OK;
}

static int on_eof(kg_consumer *k)
{
	kg_svr_session *s = KG_CONSUMER_OF(k, kg_svr_session, k);
	s->in_eof = 1;
	if (s->started)
		GUARD(write_child(s));
	update(s);
	return KG_OK;
}

static int ignore_closed(int r)
{
	return r == KG_ERR_CLOSED || r == KG_ERR_ARG ? KG_OK : r;
}

/* Sends exit-status/-signal, EOF and CLOSE once everything is drained. */
static int progress(kg_svr_session *s)
{
	kg_channel *ch = s->k.ch;
	kg_engine *e = s->ss->eng;
	if (!ch || !s->started || !s->exited || s->finished)
		return KG_OK;
	/* With a pty, the process is gone: whatever it left is read below
	 * until EIO; without one, wait for EOF on both pipes. */
	if (s->want_pty && !s->out_done && ch->remote_window > 0 && !ch->eof_sent)
		GUARD(kg_engine_send_from_fd(e, ch, 0, s->proc.ptyfd, &s->out_done));
	if (!s->out_done || !s->err_done)
		return KG_OK;
	s->finished = 1;
	kg_conn *c = &e->conn;
	if (s->exit.signaled)
		GUARD(ignore_closed(kg_conn_req_exit_signal(c, ch, kg_signal_name(s->exit.exit_signal),
							    s->exit.core_dumped, "", "")));
	else
		GUARD(ignore_closed(kg_conn_req_exit_status(c, ch, (uint32_t)s->exit.exit_status)));
	GUARD(ignore_closed(kg_conn_send_eof(c, ch)));
	GUARD(ignore_closed(kg_conn_send_close(c, ch)));
	unwatch_all(s);
	kg_spawn_result_close(&s->proc);
	kg_chan_out_free(&s->to_child);
	kg_chan_out_init(&s->to_child, -1);
	s->to_child.failed = 1;
	return KG_OK;
}

static void on_fd(void *ctx, int fd, int revents)
{
	kg_svr_session *s = ctx;
	kg_engine *e = s->ss->eng;
	kg_channel *ch = s->k.ch;
	const int rd = POLLIN | POLLHUP | POLLERR, wr = POLLOUT | POLLHUP | POLLERR;
	int r = KG_OK;
	if (!ch)
		return;
	if (fd == in_fd(s) && (revents & wr) && kg_chan_out_pending(&s->to_child) > 0)
		r = write_child(s);
	if (r >= 0 && (revents & rd)) {
		if (s->want_pty && fd == s->proc.ptyfd && (s->w[FD_A].events & KG_LOOP_READ))
			r = kg_engine_send_from_fd(e, ch, 0, fd, &s->out_done);
		else if (!s->want_pty && fd == s->proc.outfd)
			r = kg_engine_send_from_fd(e, ch, 0, fd, &s->out_done);
		else if (!s->want_pty && fd == s->proc.errfd)
			r = kg_engine_send_from_fd(e, ch, SSH_EXTENDED_DATA_STDERR, fd, &s->err_done);
	}
	if (!s->want_pty) {
		if (s->out_done)
			close_fd(s, FD_B, &s->proc.outfd);
		if (s->err_done)
			close_fd(s, FD_C, &s->proc.errfd);
	}
	if (r >= 0)
		r = progress(s);
	if (r < 0)
		kg_engine_fail(e, r);
	update(s);
}

static int on_writable(kg_consumer *k)
{
	kg_svr_session *s = KG_CONSUMER_OF(k, kg_svr_session, k);
	GUARD(progress(s));
	update(s);
	return KG_OK;
}

int kg_svr_sessions_reaped(kg_svr_sessions *ss, pid_t pid, int wstatus)
{
	for (kg_svr_session *s = ss->list; s; s = s->next) {
		if (!s->started || s->exited || s->proc.pid != pid)
			continue;
		s->exited = 1;
		if (s->want_pty && ss->pty_ended)
			ss->pty_ended(ss->pty_arg, pid);
		else if (s->want_pty)
			kg_svr_login_pty_ended(ss->login, pid);
		kg_svr_exit_from_status(wstatus, &s->exit);
		int r = progress(s);
		if (r < 0)
			kg_engine_fail(ss->eng, r);
		update(s);
		return 1;
	}
	return 0;
}

/* The channel is gone: closes the fds (the process keeps running until it
 * notices) and frees s. */
static void on_release(kg_consumer *k)
{
	kg_svr_session *s = KG_CONSUMER_OF(k, kg_svr_session, k);
	kg_svr_sessions *ss = s->ss;
	for (kg_svr_session **pp = &ss->list; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	unwatch_all(s);
	if (s->started && !s->exited && s->proc.pid > 0 && !s->want_pty)
		kill(s->proc.pid, SIGHUP);  /* a pty hangs up by itself when closed */
	kg_spawn_result_close(&s->proc);
	free(s->term);
	free(s->modes);
	kg_strlist_free(&s->env);
	kg_chan_out_free(&s->to_child);
	if (ss->nsessions > 0)
		ss->nsessions--;
	free(s);
}

static const kg_consumer_ops session_ops = {
	.data = on_data,
	.eof = on_eof,
	.request = on_request,
	.writable = on_writable,
	.release = on_release,
};
