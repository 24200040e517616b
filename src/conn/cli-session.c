/* The client side of a session channel (or kssh -W's direct-tcpip), as an
 * engine consumer: stdin into the channel, the channel into stdout and
 * stderr, window changes and terminating signals from the loop.  Flow
 * control is end to end: received data is granted back to the server
 * only once it has been written out locally, and stdin is read only as far
 * as the server's window allows. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/channel.h"
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
	int rd = open && !s->stdin_eof && !s->eof_sent && ch->remote_window > 0 && kg_engine_may_send(s->e);
	kg_watch_set(s->e, &s->w_in, s->stdin_fd, rd ? KG_LOOP_READ : 0, on_fd, s);
	kg_watch_set(s->e, &s->w_out, s->out.fd, kg_chan_out_pending(&s->out) ? KG_LOOP_WRITE : 0, on_fd, s);
	kg_watch_set(s->e, &s->w_err, s->err.fd, kg_chan_out_pending(&s->err) ? KG_LOOP_WRITE : 0, on_fd, s);
}

static void on_fd(void *ctx, int fd, int revents)
{
	session *s = ctx;
	kg_conn *cn = &s->e->conn;
	int r = KG_OK;
	if (fd == s->w_in.fd && (revents & (POLLIN | POLLHUP | POLLERR)) && s->k.ch)
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
	if (s->o->subsystem)
		return kg_conn_req_subsystem(cn, s->k.ch, 1, s->o->command);
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

/* The channel is closed and what it brought is written out (or a
 * terminating signal came). */
static int finished(void *arg)
{
	session *s = arg;
	return s->result || (s->channel_closed && kg_chan_out_pending(&s->out) == 0 && kg_chan_out_pending(&s->err) == 0);
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
	(void)!kg_loop_add_signal(&c->loop, SIGWINCH, on_signal, &s);
	for (size_t i = 0; tty && i < KG_ARRAY_LEN(term_sigs); i++)
		(void)!kg_loop_add_signal(&c->loop, term_sigs[i], on_signal, &s);
	if (tty)
		(void)!kg_tty_raw_enter(STDIN_FILENO, &s.tty);
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
	kg_watch_set(s.e, &s.w_in, -1, 0, on_fd, &s);
	kg_watch_set(s.e, &s.w_out, -1, 0, on_fd, &s);
	kg_watch_set(s.e, &s.w_err, -1, 0, on_fd, &s);
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
	if (r >= 0) {
		if (o->want_tty && !o->quiet && isatty(STDIN_FILENO) && !o->forward_host)
			kg_info(c->log, "Connection to %s closed.", c->cfg->hostname);
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
	*exit_status = r >= 0 && (s.got_exit || o->forward_host) ? (o->forward_host ? 0 : s.exit_status) : 255;
	kg_chan_out_free(&s.out);
	kg_chan_out_free(&s.err);
	return r;
}
