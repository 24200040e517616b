/* The client side of a session channel: an event loop over the socket,
 * stdin, stdout, stderr and a signalfd (SIGWINCH, SIGTERM, SIGHUP, SIGINT).
 * Flow control is end to end: received data is granted back to the server
 * (kg_conn_consumed) only once it has been written out locally, and stdin
 * is read only as far as the server's window allows. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include "core/channel.h"
#include "conn/cli-session.h"
#include "config/config-common.h"
#include "sys/net.h"
#include "sys/tty.h"

#define READ_CHUNK (256u * 1024)
#define OUTPUT_BACKLOG_MAX (4u * 1024 * 1024)
#define SESSION_WINDOW (8u * 1024 * 1024)
#define SESSION_MAXPKT (128u * 1024)

typedef struct out_stream {
	int fd;
	kg_buf pending;   /* received, not yet written */
	int eof;          /* no more will come */
	int closed;
} out_stream;

typedef struct session {
	kg_client *c;
	const kg_cli_session_opts *o;
	kg_conn conn;
	kg_channel *ch;
	int stdin_fd, stdin_eof, eof_sent;
	out_stream out, err;
	int exit_status, got_exit;
	int channel_closed;
	int sigfd;
	kg_tty_saved tty;
	int restore_flags[3];
	uint8_t *readbuf;
} session;

static int write_pending(session *s, out_stream *st)
{
	while (kg_buf_len(&st->pending) > 0) {
		size_t done = 0;
		int r = kg_fd_write(st->fd, kg_buf_ptr(&st->pending), kg_buf_len(&st->pending), &done);
		if (r == KG_ERR_AGAIN)
			return KG_OK;
		if (r < 0) {
			/* The reader went away: drop what it would not take. */
			kg_buf_reset(&st->pending);
			st->closed = 1;
			return KG_OK;
		}
		GUARD(kg_buf_consume(&st->pending, done));
		if (s->ch)
			GUARD(kg_conn_consumed(&s->conn, s->ch, done));
	}
	return KG_OK;
}

/* Delivers channel data: written at once where the fd takes it, the rest
 * kept until it is writable. */
static int deliver(session *s, out_stream *st, const uint8_t *data, size_t len)
{
	if (st->closed)
		return kg_conn_consumed(&s->conn, s->ch, len);
	if (kg_buf_len(&st->pending) == 0) {
		size_t done = 0;
		int r = kg_fd_write(st->fd, data, len, &done);
		if (r == KG_OK) {
			GUARD(kg_conn_consumed(&s->conn, s->ch, done));
			data += done;
			len -= done;
		} else if (r != KG_ERR_AGAIN) {
			st->closed = 1;
			return kg_conn_consumed(&s->conn, s->ch, len);
		}
	}
	return len ? kg_buf_put(&st->pending, data, len) : KG_OK;
}

static int start_session(session *s)
{
	kg_conn *cn = &s->conn;
	const kg_client_config *cfg = s->c->cfg;
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
			r = kg_conn_req_pty(cn, s->ch, 1, term ? term : "", cols, rows, px, py, kg_buf_ptr(&modes),
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
				GUARD(kg_conn_req_env(cn, s->ch, 0, name, eq + 1));
				break;
			}
	}
	for (size_t i = 0; i < cfg->set_env.n; i++) {
		const char *eq = strchr(cfg->set_env.v[i], '=');
		if (!eq)
			continue;
		char *name = strndup(cfg->set_env.v[i], (size_t)(eq - cfg->set_env.v[i]));
		ENSURE(name != NULL, KG_ERR_ALLOC);
		int r = kg_conn_req_env(cn, s->ch, 0, name, eq + 1);
		free(name);
		GUARD(r);
	}
	if (s->o->subsystem)
		return kg_conn_req_subsystem(cn, s->ch, 1, s->o->command);
	if (s->o->command)
		return kg_conn_req_exec(cn, s->ch, 1, (const uint8_t *)s->o->command, strlen(s->o->command));
	return kg_conn_req_shell(cn, s->ch, 1);
}

static int on_event(session *s, const kg_conn_event *ev)
{
	kg_conn *cn = &s->conn;
	switch (ev->type) {
	case KG_CEV_OPEN_CONFIRMED:
		return s->o->forward_host ? KG_OK : start_session(s);
	case KG_CEV_OPEN_FAILED:
		kg_error(s->c->log, "channel 0: open failed: %.*s", (int)ev->len, (const char *)ev->data);
		s->channel_closed = 1;
		GUARD(kg_conn_channel_free(cn, ev->ch));
		s->ch = NULL;
		return KG_OK;
	case KG_CEV_DATA:
		return deliver(s, ev->ext == SSH_EXTENDED_DATA_STDERR ? &s->err : &s->out, ev->data, ev->len);
	case KG_CEV_EOF:
		s->out.eof = s->err.eof = 1;
		return KG_OK;
	case KG_CEV_REQUEST:
		if (kg_client_exit_request(s->c, ev, &s->exit_status))
			s->got_exit = 1;
		return ev->want_reply ? kg_conn_request_reply(cn, ev->ch, 0) : KG_OK;
	case KG_CEV_REQUEST_FAILURE:
		kg_error(s->c->log, "%s request failed on channel 0",
			 s->o->subsystem ? "subsystem" : s->o->command ? "exec" : "shell");
		return kg_conn_send_close(cn, ev->ch);
	case KG_CEV_CLOSE:
		s->channel_closed = 1;
		s->out.eof = s->err.eof = 1;
		GUARD(kg_conn_channel_free(cn, ev->ch));
		s->ch = NULL;
		return KG_OK;
	default:
		return KG_OK;
	}
}

static int handle_packets(session *s)
{
	kg_conn_event ev;
	int r;
	while ((r = kg_client_next_event(s->c, &s->conn, &ev)) > 0)
		GUARD(on_event(s, &ev));
	return r;
}

static int read_stdin(session *s)
{
	size_t allow = s->ch->remote_window;
	if (allow > READ_CHUNK)
		allow = READ_CHUNK;
	size_t n = 0;
	int r = kg_fd_read(s->stdin_fd, s->readbuf, allow, &n);
	if (r == KG_ERR_AGAIN)
		return KG_OK;
	if (r < 0) {
		s->stdin_eof = 1;
		return KG_OK;
	}
	size_t sent = 0;
	GUARD(kg_conn_send_data(&s->conn, s->ch, 0, s->readbuf, n, &sent));
	return sent == n ? KG_OK : KG_ERR_INTERNAL;
}

static int on_signal(session *s)
{
	struct signalfd_siginfo si;
	while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGWINCH) {
			uint32_t cols, rows, px, py;
			if (s->ch && s->o->want_tty && kg_tty_window_size(STDIN_FILENO, &cols, &rows, &px, &py) == KG_OK)
				GUARD(kg_conn_req_window_change(&s->conn, s->ch, cols, rows, px, py));
		} else {
			return KG_ERR_CLOSED;  /* terminated: restore the tty and leave */
		}
	}
	return KG_OK;
}

static void set_nonblock(session *s, int fd, int idx)
{
	int fl = fcntl(fd, F_GETFL);
	s->restore_flags[idx] = fl;
	if (fl >= 0 && !(fl & O_NONBLOCK))
		(void)!fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int loop(session *s)
{
	kg_client *c = s->c;
	for (;;) {
		GUARD(handle_packets(s));
		GUARD(write_pending(s, &s->out));
		GUARD(write_pending(s, &s->err));
		if (s->ch && s->stdin_eof && !s->eof_sent && s->ch->state == KG_CH_OPEN) {
			GUARD(kg_conn_send_eof(&s->conn, s->ch));
			s->eof_sent = 1;
		}
		GUARD(kg_tr_tick(c->tr, time(NULL)));
		GUARD(kg_client_flush(c, 0));
		int outputs_done = kg_buf_len(&s->out.pending) == 0 && kg_buf_len(&s->err.pending) == 0;
		if (s->channel_closed && outputs_done) {
			(void)!kg_client_flush(c, 1);
			return KG_OK;
		}
		struct pollfd pfd[5];
		int n = 0, i_sock, i_in = -1, i_out = -1, i_err = -1, i_sig = -1;
		size_t backlog = kg_tr_output_pending(c->tr);
		pfd[n] = (struct pollfd){ .fd = c->fd, .events = backlog ? POLLOUT : 0 };
		if (backlog < OUTPUT_BACKLOG_MAX)
			pfd[n].events |= POLLIN;
		i_sock = n++;
		if (s->ch && s->ch->state == KG_CH_OPEN && !s->stdin_eof && !s->eof_sent && s->ch->remote_window > 0 &&
		    backlog < OUTPUT_BACKLOG_MAX && s->stdin_fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = s->stdin_fd, .events = POLLIN };
			i_in = n++;
		}
		if (kg_buf_len(&s->out.pending)) {
			pfd[n] = (struct pollfd){ .fd = s->out.fd, .events = POLLOUT };
			i_out = n++;
		}
		if (kg_buf_len(&s->err.pending)) {
			pfd[n] = (struct pollfd){ .fd = s->err.fd, .events = POLLOUT };
			i_err = n++;
		}
		if (s->sigfd >= 0) {
			pfd[n] = (struct pollfd){ .fd = s->sigfd, .events = POLLIN };
			i_sig = n++;
		}
		int pr = poll(pfd, (nfds_t)n, 60000);
		if (pr < 0 && errno != EINTR)
			return KG_ERR_SYSTEM;
		if (pr <= 0)
			continue;
		if (i_sig >= 0 && (pfd[i_sig].revents & POLLIN))
			GUARD(on_signal(s));
		if (pfd[i_sock].revents & (POLLIN | POLLHUP | POLLERR)) {
			int r = kg_client_read(c);
			if (r < 0 && r != KG_ERR_AGAIN)
				return r;
		}
		if (i_in >= 0 && (pfd[i_in].revents & (POLLIN | POLLHUP | POLLERR)))
			GUARD(read_stdin(s));
		(void)i_out;
		(void)i_err;
	}
}

int kg_cli_session_run(kg_client *c, const kg_cli_session_opts *o, int *exit_status)
{
	session s;
	memset(&s, 0, sizeof(s));
	s.c = c;
	s.o = o;
	s.exit_status = 255;
	s.sigfd = -1;
	s.out.fd = STDOUT_FILENO;
	s.err.fd = STDERR_FILENO;
	kg_buf_init(&s.out.pending, 64u * 1024 * 1024);
	kg_buf_init(&s.err.pending, 64u * 1024 * 1024);
	s.readbuf = malloc(READ_CHUNK);
	ENSURE(s.readbuf != NULL, KG_ERR_ALLOC);
	s.stdin_fd = STDIN_FILENO;
	if (o->stdin_null) {
		s.stdin_fd = -1;
		s.stdin_eof = 1;
	}
	kg_conn_config cc;
	kg_conn_config_default(&cc);
	cc.window = o->window ? o->window : SESSION_WINDOW;
	cc.max_packet = SESSION_MAXPKT;
	cc.max_window = KG_CONN_WINDOW_GROW_MAX;
	int r = kg_conn_init(&s.conn, &cc, kg_tr_sink(c->tr), KG_CONN_CLIENT);
	if (r < 0)
		goto out;
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	if (o->want_tty && isatty(STDIN_FILENO)) {
		sigaddset(&mask, SIGTERM);
		sigaddset(&mask, SIGHUP);
		sigaddset(&mask, SIGINT);
		sigaddset(&mask, SIGQUIT);
	}
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == 0)
		s.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (o->want_tty && isatty(STDIN_FILENO))
		(void)!kg_tty_raw_enter(STDIN_FILENO, &s.tty);
	if (s.stdin_fd >= 0)
		set_nonblock(&s, STDIN_FILENO, 0);
	set_nonblock(&s, STDOUT_FILENO, 1);
	set_nonblock(&s, STDERR_FILENO, 2);
	if (o->forward_host)
		r = kg_conn_open_tcpip(&s.conn, "direct-tcpip", o->forward_host, (uint32_t)o->forward_port, "127.0.0.1",
				       0, &s.ch);
	else
		r = kg_conn_open_session(&s.conn, &s.ch);
	if (r >= 0)
		r = loop(&s);
	(void)!kg_tty_raw_restore(&s.tty);
	/* Whatever is still pending goes out in blocking mode.  In reverse:
	 * on a terminal the three share one file description, so the flags
	 * saved for stdout and stderr were read after stdin went non-blocking
	 * and only stdin's are the user's own. */
	for (int fd = 2; fd >= 0; fd--)
		if (s.restore_flags[fd] >= 0 && (fd > 0 || s.stdin_fd >= 0))
			(void)!fcntl(fd, F_SETFL, s.restore_flags[fd]);
	if (kg_buf_len(&s.out.pending) && !s.out.closed)
		(void)!kg_fd_write_all(STDOUT_FILENO, kg_buf_ptr(&s.out.pending), kg_buf_len(&s.out.pending), 5000);
	if (kg_buf_len(&s.err.pending) && !s.err.closed)
		(void)!kg_fd_write_all(STDERR_FILENO, kg_buf_ptr(&s.err.pending), kg_buf_len(&s.err.pending), 5000);
	if (r >= 0) {
		if (o->want_tty && !o->quiet && isatty(STDIN_FILENO) && !o->forward_host)
			kg_info(c->log, "Connection to %s closed.", c->cfg->hostname);
		kg_tr_disconnect(c->tr, SSH_DISCONNECT_BY_APPLICATION, "disconnected by user");
		(void)!kg_client_flush(c, 1);
	} else if (r == KG_ERR_CLOSED || r == KG_ERR_PEER_DISCONNECT) {
		const char *why = kg_tr_error_text(c->tr);
		if (why && *why)
			kg_error(c->log, "Connection to %s closed by remote host: %s", c->cfg->hostname, why);
		else
			kg_error(c->log, "Connection to %s closed by remote host.", c->cfg->hostname);
	} else {
		const char *why = kg_tr_error_text(c->tr);
		kg_error(c->log, "%s", why && *why ? why : kg_err_str(r));
		(void)!kg_client_flush(c, 1);
	}
	*exit_status = r >= 0 && (s.got_exit || o->forward_host) ? (o->forward_host ? 0 : s.exit_status) : 255;
out:
	if (s.sigfd >= 0)
		close(s.sigfd);
	kg_conn_free(&s.conn);
	kg_buf_free(&s.out.pending);
	kg_buf_free(&s.err.pending);
	free(s.readbuf);
	return r;
}
