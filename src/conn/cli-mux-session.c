/* A mux client's session on the master's connection (see cli-mux-session.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "conn/cli-agent-fwd.h"
#include "conn/cli-escape.h"
#include "conn/cli-mux-session.h"
#include "sys/tty.h"

struct kg_cli_mux_session {
	kg_consumer k;             /* k.ch: NULL once the channel is gone */
	kg_client *c;
	kg_engine *e;
	int fds[3];
	int in_eof, eof_sent;
	kg_chan_out out, err;
	kg_watch w_in, w_out, w_err;
	int want_tty, have_tio, subsystem, stdio_fwd, want_agent;
	struct termios tio;
	char *term, *command;
	char **env;
	size_t n_env;
	int replies_pending;       /* pty (when asked) then exec/shell/subsystem */
	int exit_status, got_exit;
	int released, abandoned, finished;
	/* The client's escape character, with a pty on a terminal only. */
	int escapes, escaped_out;
	kg_cli_escape esc;
	kg_buf esc_send;       /* typed bytes for the channel not yet sent */
	kg_cli_mux_sess_cb cb;
	void *arg;
};

static void on_fd(void *ctx, int fd, int revents);

static void destroy(kg_cli_mux_session *ms)
{
	kg_watch_set(ms->e, &ms->w_in, -1, 0, on_fd, ms);
	kg_watch_set(ms->e, &ms->w_out, -1, 0, on_fd, ms);
	kg_watch_set(ms->e, &ms->w_err, -1, 0, on_fd, ms);
	for (int i = 0; i < 3; i++)
		if (ms->fds[i] >= 0)
			close(ms->fds[i]);
	kg_chan_out_free(&ms->out);
	kg_chan_out_free(&ms->err);
	kg_buf_free(&ms->esc_send);
	free(ms->term);
	free(ms->command);
	for (size_t i = 0; i < ms->n_env; i++)
		free(ms->env[i]);
	free(ms->env);
	free(ms);
}

/* Once the channel is gone and its output written: tell the owner, free. */
static int maybe_finish(kg_cli_mux_session *ms)
{
	if (!ms->released || ms->finished)
		return 0;
	if (!ms->abandoned && ((kg_chan_out_pending(&ms->out) && !ms->out.failed) ||
			       (kg_chan_out_pending(&ms->err) && !ms->err.failed)))
		return 0;
	ms->finished = 1;
	if (!ms->abandoned && ms->cb)
		ms->cb(ms->arg, ms, KG_CLI_MUX_SESS_DONE, ms->got_exit || ms->stdio_fwd ? ms->exit_status : 255);
	destroy(ms);
	return 1;
}

static void update(kg_cli_mux_session *ms)
{
	kg_channel *ch = ms->k.ch;
	int open = ch && ch->state == KG_CH_OPEN;
	if (open && ms->in_eof && !ms->eof_sent) {
		int r = kg_conn_send_eof(&ms->e->conn, ch);
		if (r < 0)
			kg_engine_fail(ms->e, r);
		ms->eof_sent = 1;
		kg_engine_kick(ms->e);
	}
	if (open && kg_buf_len(&ms->esc_send)) {
		size_t sent = 0;
		int r = kg_conn_send_data(&ms->e->conn, ch, 0, kg_buf_ptr(&ms->esc_send), kg_buf_len(&ms->esc_send), &sent);
		if (r < 0 || kg_buf_consume(&ms->esc_send, sent) < 0)
			kg_engine_fail(ms->e, r < 0 ? r : KG_ERR_INTERNAL);
		kg_engine_kick(ms->e);
	}
	int rd = open && !ms->in_eof && ms->fds[0] >= 0 && ch->remote_window > 0 && kg_engine_may_send(ms->e) &&
		 kg_buf_len(&ms->esc_send) == 0 && !ms->escaped_out;
	kg_watch_set(ms->e, &ms->w_in, ms->fds[0], rd ? KG_LOOP_READ : 0, on_fd, ms);
	kg_watch_set(ms->e, &ms->w_out, ms->out.fd, kg_chan_out_pending(&ms->out) ? KG_LOOP_WRITE : 0, on_fd, ms);
	kg_watch_set(ms->e, &ms->w_err, ms->err.fd, kg_chan_out_pending(&ms->err) ? KG_LOOP_WRITE : 0, on_fd, ms);
}

static void tell(kg_cli_mux_session *ms, const char *text, size_t n)
{
	if (ms->fds[2] >= 0)
		(void)!write(ms->fds[2], text, n);
}

/* What an escape asks of a shared session: ~. ends it, ~R rekeys the
 * connection; the rest belong to the client's own process. */
static void act(kg_cli_mux_session *ms, kg_esc_action a)
{
	char nm[8], m[128];
	kg_escape_char_name(ms->esc.ch, nm, sizeof(nm));
	int n = 0;
	switch (a) {
	case KG_ESC_DISCONNECT:
		ms->escaped_out = 1;
		ms->exit_status = 255;
		ms->got_exit = 0;
		if (ms->k.ch && kg_conn_send_close(&ms->e->conn, ms->k.ch) < 0)
			kg_engine_fail(ms->e, KG_ERR_INTERNAL);
		kg_engine_kick(ms->e);
		break;
	case KG_ESC_REKEY:
		if (kg_tr_rekey(ms->c->tr) < 0)
			kg_engine_fail(ms->e, KG_ERR_INTERNAL);
		kg_engine_kick(ms->e);
		break;
	case KG_ESC_NONE:
		break;
	default:
		n = snprintf(m, sizeof(m), "%s escape not available to multiplexed sessions\r\n", nm);
		break;
	}
	if (n > 0)
		tell(ms, m, (size_t)n < sizeof(m) ? (size_t)n : sizeof(m) - 1);
}

static int read_escaped(kg_cli_mux_session *ms, int fd)
{
	uint8_t in[4096];
	size_t want = sizeof(in);
	if (ms->k.ch->remote_window < want)
		want = ms->k.ch->remote_window;
	ssize_t n = read(fd, in, want);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return KG_OK;
	if (n <= 0) {
		ms->in_eof = 1;
		return KG_OK;
	}
	kg_buf local;
	kg_buf_init(&local, 1u << 20);
	size_t off = 0;
	int r = KG_OK;
	while (r >= 0 && off < (size_t)n && !ms->escaped_out) {
		size_t used;
		kg_esc_action a;
		r = kg_cli_escape_feed(&ms->esc, in + off, (size_t)n - off, &ms->esc_send, &local, &used, &a);
		off += used;
		tell(ms, (const char *)kg_buf_ptr(&local), kg_buf_len(&local));
		kg_buf_reset(&local);
		if (r >= 0)
			act(ms, a);
	}
	kg_buf_free(&local);
	return r;
}

static void on_fd(void *ctx, int fd, int revents)
{
	kg_cli_mux_session *ms = ctx;
	kg_conn *cn = &ms->e->conn;
	int r = KG_OK;
	if (fd == ms->w_in.fd && (revents & (POLLIN | POLLHUP | POLLERR)) && ms->k.ch && ms->escapes)
		r = read_escaped(ms, fd);
	else if (fd == ms->w_in.fd && (revents & (POLLIN | POLLHUP | POLLERR)) && ms->k.ch)
		r = kg_engine_send_from_fd(ms->e, ms->k.ch, 0, fd, &ms->in_eof);
	if (r >= 0 && fd == ms->w_out.fd && (revents & (POLLOUT | POLLHUP | POLLERR)))
		r = kg_chan_out_flush(&ms->out, cn, ms->k.ch);
	if (r >= 0 && fd == ms->w_err.fd && (revents & (POLLOUT | POLLHUP | POLLERR)))
		r = kg_chan_out_flush(&ms->err, cn, ms->k.ch);
	if (r < 0 && (ms->out.failed || ms->err.failed))
		r = KG_OK;  /* the client's descriptor broke: its problem, not the connection's */
	if (r < 0)
		kg_engine_fail(ms->e, r);
	if (maybe_finish(ms))
		return;
	update(ms);
}

static kg_cli_mux_session *of(kg_consumer *k)
{
	return KG_CONSUMER_OF(k, kg_cli_mux_session, k);
}

static int start_requests(kg_cli_mux_session *ms)
{
	kg_conn *cn = &ms->e->conn;
	kg_channel *ch = ms->k.ch;
	if (ms->want_tty) {
		uint32_t cols = 80, rows = 24, px = 0, py = 0;
		kg_buf modes;
		kg_buf_init(&modes, 4096);
		int r = ms->have_tio ? kg_tty_modes_from_termios(&ms->tio, &modes) : kg_buf_put_u8(&modes, KG_TTY_OP_END);
		(void)!kg_tty_window_size(ms->fds[0], &cols, &rows, &px, &py);
		if (r >= 0)
			r = kg_conn_req_pty(cn, ch, 1, ms->term ? ms->term : "", cols, rows, px, py, kg_buf_ptr(&modes),
					    kg_buf_len(&modes));
		kg_buf_free(&modes);
		GUARD(r);
		ms->replies_pending++;
	}
	/* The master's agent, when it forwards one (as ssh's master does). */
	if (ms->want_agent)
		GUARD(kg_cli_agent_fwd_request(ms->c, cn, ch));
	for (size_t i = 0; i < ms->n_env; i++) {
		char *eq = strchr(ms->env[i], '=');
		if (!eq || eq == ms->env[i])
			continue;
		*eq = '\0';
		int r = kg_conn_req_env(cn, ch, 0, ms->env[i], eq + 1);
		*eq = '=';
		GUARD(r);
	}
	ms->replies_pending++;
	if (ms->subsystem)
		return kg_conn_req_subsystem(cn, ch, 1, ms->command ? ms->command : "");
	if (ms->command && *ms->command)
		return kg_conn_req_exec(cn, ch, 1, (const uint8_t *)ms->command, strlen(ms->command));
	return kg_conn_req_shell(cn, ch, 1);
}

static int on_opened(kg_consumer *k, const kg_conn_event *ev)
{
	kg_cli_mux_session *ms = of(k);
	(void)ev;
	if (!ms->stdio_fwd)
		GUARD(start_requests(ms));
	update(ms);
	kg_engine_kick(ms->e);
	return KG_OK;
}

static int on_open_failed(kg_consumer *k, const kg_conn_event *ev)
{
	kg_cli_mux_session *ms = of(k);
	kg_debug(ms->c->log, "mux session: channel open failed: %.*s", (int)ev->len, (const char *)ev->data);
	if (ms->fds[2] >= 0) {
		static const char msg[] = "channel open failed\r\n";
		(void)!write(ms->fds[2], msg, sizeof(msg) - 1);
	}
	return KG_OK;
}

static int on_data(kg_consumer *k, uint32_t ext, const uint8_t *d, size_t n)
{
	kg_cli_mux_session *ms = of(k);
	if (ms->abandoned)
		return kg_conn_consumed(&ms->e->conn, k->ch, n);
	GUARD(kg_chan_out_put(ext == SSH_EXTENDED_DATA_STDERR ? &ms->err : &ms->out, &ms->e->conn, k->ch, d, n));
	update(ms);
	return KG_OK;
}

static int on_request(kg_consumer *k, const kg_conn_event *ev)
{
	kg_cli_mux_session *ms = of(k);
	if (ms->escaped_out)
		return ev->want_reply ? kg_conn_request_reply(&ms->e->conn, k->ch, 0) : KG_OK;
	return kg_client_channel_request(ms->c, k, ev, &ms->exit_status, &ms->got_exit);
}

static int on_reply(kg_consumer *k, int ok)
{
	kg_cli_mux_session *ms = of(k);
	int first_of_two = ms->want_tty && ms->replies_pending == 2;
	if (ms->replies_pending > 0)
		ms->replies_pending--;
	if (ok || ms->abandoned)
		return KG_OK;
	if (first_of_two) {
		if (ms->cb)
			ms->cb(ms->arg, ms, KG_CLI_MUX_SESS_TTY_FAIL, 0);
		return KG_OK;
	}
	kg_debug(ms->c->log, "mux session: %s request failed", ms->subsystem ? "subsystem" : ms->command ? "exec" : "shell");
	return kg_conn_send_close(&ms->e->conn, k->ch);
}

static int on_writable(kg_consumer *k)
{
	update(of(k));
	return KG_OK;
}

static void on_release(kg_consumer *k)
{
	kg_cli_mux_session *ms = of(k);
	ms->released = 1;
	if (!maybe_finish(ms))
		update(ms);
}

static const kg_consumer_ops mux_session_ops = {
	.opened = on_opened, .open_failed = on_open_failed, .data = on_data, .request = on_request,
	.reply = on_reply, .writable = on_writable, .release = on_release,
};

static void nonblock(int fd)
{
	if (fd < 0 || isatty(fd))
		return;  /* a terminal is written when poll says so, as it is shared with others */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK))
		(void)!fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int kg_cli_mux_session_start(kg_client *c, const kg_mux_msg *rq, int fds[3], kg_cli_mux_sess_cb cb, void *arg,
			     kg_cli_mux_session **out)
{
	kg_cli_mux_session *ms = calloc(1, sizeof(*ms));
	if (!ms || !c->eng_ready) {
		for (int i = 0; i < 3; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		free(ms);
		return ms ? KG_ERR_ARG : KG_ERR_ALLOC;
	}
	ms->c = c;
	ms->e = &c->eng;
	ms->cb = cb;
	ms->arg = arg;
	ms->exit_status = 255;
	kg_buf_init(&ms->esc_send, 1u << 20);
	memcpy(ms->fds, fds, sizeof(ms->fds));
	kg_watch_init(&ms->w_in);
	kg_watch_init(&ms->w_out);
	kg_watch_init(&ms->w_err);
	ms->stdio_fwd = rq->type == KG_MUX_C_NEW_STDIO_FWD;
	/* The descriptors are the client's own, shared with it: pipes and
	 * sockets are made non-blocking (the client puts its flags back). */
	int dupout = ms->stdio_fwd ? -1 : fds[2];
	kg_chan_out_init(&ms->out, fds[1]);
	kg_chan_out_init(&ms->err, dupout);
	for (int i = 0; i < 3; i++)
		nonblock(fds[i]);
	int r = KG_OK;
	kg_channel *ch = NULL;
	if (ms->stdio_fwd) {
		ms->exit_status = 0;
		r = kg_conn_open_tcpip(&c->eng.conn, "direct-tcpip", rq->connect_host ? rq->connect_host : "",
				       rq->connect_port, "127.0.0.1", 0, &ch);
	} else {
		ms->want_tty = rq->want_tty != 0;
		ms->subsystem = rq->subsystem != 0;
		ms->want_agent = rq->want_agent != 0;
		ms->term = rq->term ? strdup(rq->term) : NULL;
		ms->command = rq->command ? strdup(rq->command) : NULL;
		if (rq->n_env) {
			ms->env = calloc(rq->n_env, sizeof(*ms->env));
			for (size_t i = 0; ms->env && i < rq->n_env; i++)
				if ((ms->env[i] = strdup(rq->env[i])) != NULL)
					ms->n_env++;
			if (!ms->env || ms->n_env != rq->n_env)
				r = KG_ERR_ALLOC;
		}
		if (ms->want_tty && isatty(fds[0]) && tcgetattr(fds[0], &ms->tio) == 0)
			ms->have_tio = 1;
		ms->escapes = ms->have_tio && rq->escape_char < 256;
		kg_cli_escape_init(&ms->esc, ms->escapes ? (int)rq->escape_char : KG_ESCAPE_NONE);
		if (r >= 0)
			r = kg_conn_open_session(&c->eng.conn, &ch);
	}
	if (r < 0) {
		destroy(ms);
		return r;
	}
	kg_engine_attach(&c->eng, ch, &ms->k, &mux_session_ops);
	kg_engine_kick(&c->eng);
	*out = ms;
	return KG_OK;
}

void kg_cli_mux_session_winch(kg_cli_mux_session *ms)
{
	uint32_t cols, rows, px, py;
	if (!ms->want_tty || !ms->k.ch || ms->k.ch->state != KG_CH_OPEN)
		return;
	if (kg_tty_window_size(ms->fds[0], &cols, &rows, &px, &py) == KG_OK &&
	    kg_conn_req_window_change(&ms->e->conn, ms->k.ch, cols, rows, px, py) < 0)
		kg_engine_fail(ms->e, KG_ERR_INTERNAL);
	kg_engine_kick(ms->e);
}

void kg_cli_mux_session_abandon(kg_cli_mux_session *ms)
{
	ms->abandoned = 1;
	ms->cb = NULL;
	for (int i = 0; i < 3; i++) {
		kg_watch_set(ms->e, i == 0 ? &ms->w_in : i == 1 ? &ms->w_out : &ms->w_err, -1, 0, on_fd, ms);
		if (ms->fds[i] >= 0)
			close(ms->fds[i]);
		ms->fds[i] = -1;
	}
	ms->out.fd = ms->err.fd = -1;
	if (maybe_finish(ms))
		return;
	if (ms->k.ch) {
		if (kg_conn_send_close(&ms->e->conn, ms->k.ch) < 0)
			kg_engine_fail(ms->e, KG_ERR_INTERNAL);
		kg_engine_kick(ms->e);
	}
}
