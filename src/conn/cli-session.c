/* The client side of a session channel (or kssh -W's direct-tcpip), as an
 * engine consumer: stdin into the channel, the channel into stdout and
 * stderr, window changes and terminating signals from the loop.  Flow
 * control is end to end: received data is granted back to the server
 * only once it has been written out locally, and stdin is read only as far
 * as the server's window allows. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/channel.h"
#include "conn/cli-agent-fwd.h"
#include "conn/cli-escape.h"
#include "conn/cli-session.h"
#include "config/config-common.h"
#include "sys/net.h"
#include "sys/tty.h"

typedef struct session {
	kg_consumer k;                /* k.ch: the channel, NULL once gone */
	kg_client *c;
	kg_engine *e;
	const kg_cli_session_opts *o;
	int stdin_fd, stdin_eof, eof_sent;
	kg_chan_out out, err;
	kg_watch w_in, w_out, w_err;
	int exit_status, got_exit;
	int channel_closed;
	int result;                   /* set by a terminating signal */
	kg_tty_saved tty;
	int restore_flags[3];
	int escapes;                  /* stdin goes through esc */
	kg_cli_escape esc;
	kg_buf esc_send;              /* escaped stdin not yet sent */
	int escaped_out;              /* ~. */
} session;

static void on_fd(void *ctx, int fd, int revents);

/* The loop interest follows the state; stdin's EOF goes out once the
 * channel is open. */
static void update(session *s)
{
	kg_channel *ch = s->k.ch;
	int open = ch && ch->state == KG_CH_OPEN;
	if (open && s->stdin_eof && !s->eof_sent) {
		int r = kg_conn_send_eof(&s->e->conn, ch);
		if (r < 0)
			kg_engine_fail(s->e, r);
		s->eof_sent = 1;
	}
	if (open && kg_buf_len(&s->esc_send)) {
		size_t sent = 0;
		int r = kg_conn_send_data(&s->e->conn, ch, 0, kg_buf_ptr(&s->esc_send), kg_buf_len(&s->esc_send), &sent);
		if (r < 0 || kg_buf_consume(&s->esc_send, sent) < 0)
			kg_engine_fail(s->e, r < 0 ? r : KG_ERR_INTERNAL);
		kg_engine_kick(s->e);
	}
	int rd = open && !s->stdin_eof && kg_buf_len(&s->esc_send) == 0 && !s->eof_sent && ch->remote_window > 0 && kg_engine_may_send(s->e);
	kg_watch_set(s->e, &s->w_in, s->stdin_fd, rd ? KG_LOOP_READ : 0, on_fd, s);
	kg_watch_set(s->e, &s->w_out, s->out.fd, kg_chan_out_pending(&s->out) ? KG_LOOP_WRITE : 0, on_fd, s);
	kg_watch_set(s->e, &s->w_err, s->err.fd, kg_chan_out_pending(&s->err) ? KG_LOOP_WRITE : 0, on_fd, s);
}

static void say(session *s, const char *text, size_t n)
{
	(void)!kg_fd_write_all(s->err.fd, text, n, 5000);
}

static void sayf(session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sayf(session *s, const char *fmt, ...)
{
	char m[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	if (n > 0)
		say(s, m, (size_t)n < sizeof(m) ? (size_t)n : sizeof(m) - 1);
}

static void set_nonblock(session *s, int fd, int idx);

/* ~^Z: the terminal as the user had it while kssh is stopped. */
static void suspend_self(session *s)
{
	char nm[8];
	sayf(s, "%s^Z [suspend ssh]\r\n", kg_escape_char_name(s->esc.ch, nm, sizeof(nm)));
	(void)!kg_tty_raw_restore(&s->tty);
	if (s->restore_flags[0] >= 0)
		(void)!fcntl(s->stdin_fd, F_SETFL, s->restore_flags[0]);
	(void)kill(getpid(), SIGTSTP);
	/* continued */
	(void)!kg_tty_raw_enter(STDIN_FILENO, &s->tty);
	set_nonblock(s, s->stdin_fd, 0);
	uint32_t cols, rows, px, py;
	if (s->k.ch && kg_tty_window_size(STDIN_FILENO, &cols, &rows, &px, &py) == KG_OK &&
	    kg_conn_req_window_change(&s->e->conn, s->k.ch, cols, rows, px, py) < 0)
		kg_engine_fail(s->e, KG_ERR_INTERNAL);
}

/* ~#: the channels of the connection. */
static void list_channels(session *s)
{
	static const char *const states[] = { "free", "incoming", "opening", "open", "closing", "closed" };
	kg_conn *cn = &s->e->conn;
	char nm[8];
	sayf(s, "%s#\r\nThe following connections are open:\r\n", kg_escape_char_name(s->esc.ch, nm, sizeof(nm)));
	for (uint32_t i = 0; i < cn->cfg.max_channels; i++) {
		const kg_channel *ch = &cn->chans[i];
		if (ch->state == KG_CH_FREE)
			continue;
		sayf(s, "  #%u %s (%s r%u window in %u out %u%s%s)\r\n", ch->local_id, ch->type,
		     (unsigned)ch->state < KG_ARRAY_LEN(states) ? states[ch->state] : "?", ch->remote_id,
		     ch->local_window, ch->remote_window, ch->eof_sent ? " eof-sent" : "",
		     ch->eof_rcvd ? " eof-received" : "");
	}
}

/* ~&: kssh goes on in the background, the user gets the terminal back. */
static void background(session *s)
{
	char nm[8];
	(void)!kg_tty_raw_restore(&s->tty);
	sayf(s, "%s& [backgrounded]\n", kg_escape_char_name(s->esc.ch, nm, sizeof(nm)));
	pid_t pid = fork();
	if (pid < 0) {
		kg_error(s->c->log, "fork: %s", strerror(errno));
		return;
	}
	if (pid > 0)
		_exit(0);
	/* The child serves the connection on: stdin ends (a ^D for the shell). */
	if (kg_buf_put_u8(&s->esc_send, 4) < 0)
		kg_engine_fail(s->e, KG_ERR_ALLOC);
	s->stdin_eof = 1;
}

static void forward_line(session *s)
{
	char msg[512];
	msg[0] = '\0';
	if (!s->o->forward_cmd) {
		sayf(s, "kssh: forwarding is not available in this connection\r\n");
		return;
	}
	(void)s->o->forward_cmd(s->o->forward_arg, s->esc.line, msg, sizeof(msg));
	if (msg[0])
		sayf(s, "%s\r\n", msg);
}

static void act(session *s, kg_esc_action a)
{
	kg_conn *cn = &s->e->conn;
	char nm[8];
	kg_escape_char_name(s->esc.ch, nm, sizeof(nm));
	int r = KG_OK;
	switch (a) {
	case KG_ESC_DISCONNECT:
		s->escaped_out = 1;
		break;
	case KG_ESC_SUSPEND:
		suspend_self(s);
		break;
	case KG_ESC_LIST:
		list_channels(s);
		break;
	case KG_ESC_BACKGROUND:
		background(s);
		break;
	case KG_ESC_BREAK:
		sayf(s, "%sB\r\n", nm);
		if (s->k.ch && s->k.ch->state == KG_CH_OPEN) {
			/* RFC 4335: break-length in milliseconds */
			static const uint8_t len_ms[4] = { 0, 0, 0x03, 0xe8 };
			r = kg_conn_send_request(cn, s->k.ch, "break", 0, len_ms, sizeof(len_ms));
		}
		break;
	case KG_ESC_REKEY:
		kg_verbose(s->c->log, "Requesting rekey");
		r = kg_tr_rekey(s->c->tr);
		break;
	case KG_ESC_LOG_LESS:
	case KG_ESC_LOG_MORE: {
		kg_logger *lg = s->c->log;
		if (a == KG_ESC_LOG_LESS && lg->level > KG_LOG_QUIET)
			lg->level--;
		if (a == KG_ESC_LOG_MORE && lg->level < KG_LOG_DEBUG3)
			lg->level++;
		sayf(s, "%s%c [LogLevel %s]\r\n", nm, a == KG_ESC_LOG_LESS ? 'V' : 'v', kg_log_level_name(lg->level));
		break;
	}
	case KG_ESC_FORWARD:
		forward_line(s);
		break;
	case KG_ESC_NONE:
		break;
	}
	if (r < 0)
		kg_engine_fail(s->e, r);
	kg_engine_kick(s->e);
}

/* stdin through the escape machine: read what the window takes, send what
 * comes out. */
static int read_escaped(session *s, int fd)
{
	kg_channel *ch = s->k.ch;
	uint8_t in[4096];
	size_t want = sizeof(in);
	if (ch->remote_window < want)
		want = ch->remote_window;
	ssize_t n = read(fd, in, want);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return KG_OK;
	if (n <= 0) {
		s->stdin_eof = 1;
		return KG_OK;
	}
	kg_buf local;
	kg_buf_init(&local, 1u << 20);
	size_t off = 0;
	int r = KG_OK;
	while (r >= 0 && off < (size_t)n && !s->escaped_out) {
		size_t used;
		kg_esc_action a;
		r = kg_cli_escape_feed(&s->esc, in + off, (size_t)n - off, &s->esc_send, &local, &used, &a);
		off += used;
		if (kg_buf_len(&local))
			say(s, (const char *)kg_buf_ptr(&local), kg_buf_len(&local));
		kg_buf_reset(&local);
		if (r >= 0 && a != KG_ESC_NONE)
			act(s, a);
	}
	kg_buf_free(&local);
	return r;
}

static void on_fd(void *ctx, int fd, int revents)
{
	session *s = ctx;
	kg_conn *cn = &s->e->conn;
	int r = KG_OK;
	if (fd == s->w_in.fd && (revents & (POLLIN | POLLHUP | POLLERR)) && s->k.ch && s->escapes)
		r = read_escaped(s, fd);
	else if (fd == s->w_in.fd && (revents & (POLLIN | POLLHUP | POLLERR)) && s->k.ch)
		r = kg_engine_send_from_fd(s->e, s->k.ch, 0, fd, &s->stdin_eof);
	if (r >= 0 && fd == s->w_out.fd && (revents & (POLLOUT | POLLHUP | POLLERR)))
		r = kg_chan_out_flush(&s->out, cn, s->k.ch);
	if (r >= 0 && fd == s->w_err.fd && (revents & (POLLOUT | POLLHUP | POLLERR)))
		r = kg_chan_out_flush(&s->err, cn, s->k.ch);
	if (r < 0)
		kg_engine_fail(s->e, r);
	update(s);
}

static int start_session(session *s)
{
	kg_conn *cn = &s->e->conn;
	const kg_client_config *cfg = s->c->cfg;
	GUARD(kg_cli_agent_fwd_request(s->c, cn, s->k.ch));  /* agentfwd: -A */
	if (s->o->want_tty) {
		const char *term = getenv("TERM");
		uint32_t cols = 80, rows = 24, px = 0, py = 0;
		kg_buf modes;
		kg_buf_init(&modes, 4096);
		struct termios tio;
		int r = KG_OK;
		/* The modes are those the user had before kssh put the terminal
		 * in raw mode: the remote pty does the line editing, echo and
		 * signal keys (Ctrl-C) from now on. */
		int have_tio = s->tty.active;
		if (have_tio)
			tio = s->tty.tio;
		else
			have_tio = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &tio) == 0;
		if (have_tio) {
			r = kg_tty_modes_from_termios(&tio, &modes);
			(void)!kg_tty_window_size(STDIN_FILENO, &cols, &rows, &px, &py);
		} else {
			r = kg_buf_put_u8(&modes, KG_TTY_OP_END);
		}
		if (r >= 0)
			r = kg_conn_req_pty(cn, s->k.ch, 1, term ? term : "", cols, rows, px, py, kg_buf_ptr(&modes),
					    kg_buf_len(&modes));
		kg_buf_free(&modes);
		GUARD(r);
	}
	/* SendEnv patterns and SetEnv values. */
	extern char **environ;
	for (char **e = environ; e && *e && cfg->send_env.n; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq)
			continue;
		char name[256];
		size_t nl = (size_t)(eq - *e);
		if (nl == 0 || nl >= sizeof(name))
			continue;
		memcpy(name, *e, nl);
		name[nl] = '\0';
		for (size_t i = 0; i < cfg->send_env.n; i++)
			if (kg_pattern_list_match(name, cfg->send_env.v[i], 0) == 1) {
				GUARD(kg_conn_req_env(cn, s->k.ch, 0, name, eq + 1));
				break;
			}
	}
	for (size_t i = 0; i < cfg->set_env.n; i++) {
		const char *eq = strchr(cfg->set_env.v[i], '=');
		if (!eq)
			continue;
		char *name = strndup(cfg->set_env.v[i], (size_t)(eq - cfg->set_env.v[i]));
		ENSURE(name != NULL, KG_ERR_ALLOC);
		int r = kg_conn_req_env(cn, s->k.ch, 0, name, eq + 1);
		free(name);
		GUARD(r);
	}
	if (s->o->subsystem) {
		kg_debug(s->c->log, "Sending subsystem: %s", s->o->command);
		return kg_conn_req_subsystem(cn, s->k.ch, 1, s->o->command);
	}
	if (s->o->command)
		kg_debug(s->c->log, "Sending command: %s", s->o->command);
	if (s->o->command)
		return kg_conn_req_exec(cn, s->k.ch, 1, (const uint8_t *)s->o->command, strlen(s->o->command));
	return kg_conn_req_shell(cn, s->k.ch, 1);
}

static session *of(kg_consumer *k)
{
	return KG_CONSUMER_OF(k, session, k);
}

static int on_opened(kg_consumer *k, const kg_conn_event *ev)
{
	session *s = of(k);
	(void)ev;
	if (!s->o->forward_host)
		GUARD(start_session(s));
	update(s);
	return KG_OK;
}

static int on_open_failed(kg_consumer *k, const kg_conn_event *ev)
{
	session *s = of(k);
	kg_error(s->c->log, "channel 0: open failed: %.*s", (int)ev->len, (const char *)ev->data);
	return KG_OK;
}

static int on_data(kg_consumer *k, uint32_t ext, const uint8_t *d, size_t n)
{
	session *s = of(k);
	GUARD(kg_chan_out_put(ext == SSH_EXTENDED_DATA_STDERR ? &s->err : &s->out, &s->e->conn, k->ch, d, n));
	update(s);
	return KG_OK;
}

static int on_request(kg_consumer *k, const kg_conn_event *ev)
{
	session *s = of(k);
	return kg_client_channel_request(s->c, k, ev, &s->exit_status, &s->got_exit);
}

static int on_reply(kg_consumer *k, int ok)
{
	session *s = of(k);
	if (ok)
		return KG_OK;
	kg_error(s->c->log, "%s request failed on channel 0",
		 s->o->subsystem ? "subsystem" : s->o->command ? "exec" : "shell");
	return kg_conn_send_close(&s->e->conn, k->ch);
}

static int on_writable(kg_consumer *k)
{
	update(of(k));
	return KG_OK;
}

static void on_release(kg_consumer *k)
{
	session *s = of(k);
	s->channel_closed = 1;
	update(s);
}

static const kg_consumer_ops session_ops = {
	.opened = on_opened, .open_failed = on_open_failed, .data = on_data, .request = on_request,
	.reply = on_reply, .writable = on_writable, .release = on_release,
};

static void on_signal(void *ctx, int signo)
{
	session *s = ctx;
	if (signo != SIGWINCH) {
		s->result = KG_ERR_CLOSED;  /* terminated: restore the tty and leave */
		return;
	}
	uint32_t cols, rows, px, py;
	if (s->k.ch && s->o->want_tty && kg_tty_window_size(STDIN_FILENO, &cols, &rows, &px, &py) == KG_OK) {
		int r = kg_conn_req_window_change(&s->e->conn, s->k.ch, cols, rows, px, py);
		if (r < 0)
			kg_engine_fail(s->e, r);
	}
}

static void set_nonblock(session *s, int fd, int idx)
{
	int fl = fcntl(fd, F_GETFL);
	s->restore_flags[idx] = fl;
	if (fl >= 0 && !(fl & O_NONBLOCK))
		(void)!fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void add_signal(session *s, int signo, kg_loop_signal_cb cb)
{
	if (s->o->add_signal)
		(void)!s->o->add_signal(s->o->signal_arg, signo, cb, s);
	else
		(void)!kg_loop_add_signal(&s->c->loop, signo, cb, s);
}

/* The channel is closed and what it brought is written out (or a
 * terminating signal came). */
static int finished(void *arg)
{
	session *s = arg;
	return s->result || s->escaped_out || (s->o->stop && *s->o->stop) || (s->channel_closed && kg_chan_out_pending(&s->out) == 0 && kg_chan_out_pending(&s->err) == 0);
}

/* fwd: after the session, while forwarded connections are open. */
static int lingered(void *arg)
{
	session *s = arg;
	return s->result || (s->o->stop && *s->o->stop) || s->o->idle(s->o->forward_arg);
}

int kg_cli_session_run(kg_client *c, const kg_cli_session_opts *o, int *exit_status)
{
	session s;
	memset(&s, 0, sizeof(s));
	s.c = c;
	s.e = &c->eng;
	s.o = o;
	s.exit_status = 255;
	kg_chan_out_init(&s.out, o->out_fd ? o->out_fd : STDOUT_FILENO);
	kg_chan_out_init(&s.err, o->err_fd ? o->err_fd : STDERR_FILENO);
	kg_watch_init(&s.w_in);
	kg_watch_init(&s.w_out);
	kg_watch_init(&s.w_err);
	s.stdin_fd = o->in_fd ? o->in_fd : STDIN_FILENO;
	if (o->stdin_null) {
		s.stdin_fd = -1;
		s.stdin_eof = 1;
	}
	int tty = o->want_tty && isatty(STDIN_FILENO);
	static const int term_sigs[] = { SIGTERM, SIGHUP, SIGINT, SIGQUIT };
	add_signal(&s, SIGWINCH, on_signal);
	for (size_t i = 0; tty && i < KG_ARRAY_LEN(term_sigs); i++)
		add_signal(&s, term_sigs[i], on_signal);
	if (tty)
		(void)!kg_tty_raw_enter(STDIN_FILENO, &s.tty);
	kg_debug(c->log, "Entering interactive session.");
	kg_buf_init(&s.esc_send, 1u << 20);
	s.escapes = tty && o->escape_on && o->escape_char != KG_ESCAPE_NONE && !o->forward_host && s.stdin_fd >= 0;
	kg_cli_escape_init(&s.esc, o->escape_char);
	s.esc.cmdline_off = !o->escape_cmdline;
	if (s.stdin_fd >= 0)
		set_nonblock(&s, s.stdin_fd, 0);
	set_nonblock(&s, s.out.fd, 1);
	set_nonblock(&s, s.err.fd, 2);
	kg_channel *ch = NULL;
	int r;
	if (o->forward_host)
		r = kg_conn_open_tcpip(&c->eng.conn, "direct-tcpip", o->forward_host, (uint32_t)o->forward_port, "127.0.0.1",
				       0, &ch);
	else
		r = kg_conn_open_session(&c->eng.conn, &ch);
	if (r >= 0) {
		kg_engine_attach(&c->eng, ch, &s.k, &session_ops);
		kg_engine_kick(&c->eng);
		r = kg_engine_run(&c->eng, finished, &s, -1);
		if (r >= 0 && s.result)
			r = s.result;
	}
	kg_engine_detach(&s.k);
	if (o->add_signal) {
		add_signal(&s, SIGWINCH, NULL);
		for (size_t i = 0; tty && i < KG_ARRAY_LEN(term_sigs); i++)
			add_signal(&s, term_sigs[i], NULL);
	}
	kg_watch_set(s.e, &s.w_in, -1, 0, on_fd, &s);
	kg_watch_set(s.e, &s.w_out, -1, 0, on_fd, &s);
	kg_watch_set(s.e, &s.w_err, -1, 0, on_fd, &s);
	if (r >= 0 && !s.escaped_out && !s.result && o->idle && !o->idle(o->forward_arg))
		(void)!kg_engine_run(&c->eng, lingered, &s, -1);
	(void)!kg_tty_raw_restore(&s.tty);
	/* Whatever is still pending goes out in blocking mode.  In reverse:
	 * on a terminal the three share one file description, so the flags
	 * saved for stdout and stderr were read after stdin went non-blocking
	 * and only stdin's are the user's own. */
	const int fds[3] = { s.stdin_fd, s.out.fd, s.err.fd };
	for (int i = 2; i >= 0; i--)
		if (fds[i] >= 0 && s.restore_flags[i] >= 0)
			(void)!fcntl(fds[i], F_SETFL, s.restore_flags[i]);
	const kg_chan_out *outs[2] = { &s.out, &s.err };
	for (int i = 0; i < 2; i++)
		if (kg_chan_out_pending(outs[i]) && !outs[i]->failed)
			(void)!kg_fd_write_all(outs[i]->fd, kg_buf_ptr(&outs[i]->pending), kg_chan_out_pending(outs[i]), 5000);
	if (r >= 0 && o->want_tty && !o->quiet && isatty(STDIN_FILENO) && !o->forward_host)
		kg_info(c->log, "Connection to %s closed.", c->cfg->hostname);
	if (r >= 0 && o->keep_open) {
		(void)!kg_engine_flush(&c->eng, KG_CLIENT_FLUSH_MS);
	} else if (r >= 0) {
		kg_tr_disconnect(c->tr, SSH_DISCONNECT_BY_APPLICATION, "disconnected by user");
		(void)!kg_engine_flush(&c->eng, KG_CLIENT_FLUSH_MS);
	} else if (r == KG_ERR_CLOSED || r == KG_ERR_PEER_DISCONNECT) {
		const char *why = kg_tr_error_text(c->tr);
		if (why && *why)
			kg_error(c->log, "Connection to %s closed by remote host: %s", c->cfg->hostname, why);
		else
			kg_error(c->log, "Connection to %s closed by remote host.", c->cfg->hostname);
	} else {
		const char *why = kg_tr_error_text(c->tr);
		kg_error(c->log, "%s", why && *why ? why : kg_err_str(r));
		(void)!kg_engine_flush(&c->eng, KG_CLIENT_FLUSH_MS);
	}
	*exit_status = r >= 0 && !s.escaped_out && (s.got_exit || o->forward_host) ? (o->forward_host ? 0 : s.exit_status) : 255;
	kg_chan_out_free(&s.out);
	kg_chan_out_free(&s.err);
	kg_buf_free(&s.esc_send);
	return r;
}
