/* kssh's process control: the pty decision, -N's wait, -f's fork (see cli-proc.h). */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include "conn/cli-proc.h"
#include "sys/daemon.h"

int kg_cli_want_tty(const kg_cli_tty_in *in, int *warn)
{
	int tty = in->request_tty == KG_TTY_YES || in->request_tty == KG_TTY_FORCE;
	*warn = 0;
	if (!in->has_command)
		tty = in->request_tty != KG_TTY_NO;  /* an interactive shell: a pty by default */
	if (in->request_tty == KG_TTY_NO || in->session_none)
		tty = 0;
	if ((!in->stdin_tty || in->stdin_null) && in->request_tty != KG_TTY_FORCE) {
		*warn = tty;
		tty = 0;
	}
	return tty;
}

int kg_cli_proc_background(kg_client *c, kg_cli_session_opts *o)
{
	if (o) {
		o->out_fd = dup(o->out_fd ? o->out_fd : STDOUT_FILENO);
		o->err_fd = dup(o->err_fd ? o->err_fd : STDERR_FILENO);
		ENSURE(o->out_fd > 0 && o->err_fd > 0, KG_ERR_SYSTEM);
	}
	kg_debug(c->log, "forking to background");
	int keep_stderr = c->log && c->log->fd == STDERR_FILENO && c->log->level >= KG_LOG_DEBUG1;
	pid_t child;
	GUARD(kg_daemonise(keep_stderr, &child));
	if (child > 0)
		_exit(0);
	return KG_OK;
}

typedef struct nwait {
	int signo;
} nwait;

static void on_signal(void *ctx, int signo)
{
	((nwait *)ctx)->signo = signo;
}

static int signalled(void *arg)
{
	return ((nwait *)arg)->signo != 0;
}

int kg_cli_proc_wait(kg_client *c)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	nwait w = { 0 };
	if (kg_loop_watch_signals(&c->loop, sigs, KG_ARRAY_LEN(sigs), on_signal, &w) < 0)
		return 255;
	int r = kg_engine_run(&c->eng, signalled, &w, -1);
	if (w.signo) {
		kg_verbose(c->log, "Killed by signal %d.", w.signo);
		kg_tr_disconnect(c->tr, SSH_DISCONNECT_BY_APPLICATION, "disconnected by user");
		(void)!kg_engine_flush(&c->eng, KG_CLIENT_FLUSH_MS);
		return 0;  /* what ssh -N exits with when told to end */
	}
	const char *why = kg_tr_error_text(c->tr);
	if (r == KG_ERR_CLOSED || r == KG_ERR_PEER_DISCONNECT) {
		if (why && *why)
			kg_error(c->log, "Connection to %s closed by remote host: %s", c->cfg->hostname, why);
		else
			kg_error(c->log, "Connection to %s closed by remote host.", c->cfg->hostname);
	} else if (r < 0) {
		kg_error(c->log, "%s", why && *why ? why : kg_err_str(r));
		(void)!kg_engine_flush(&c->eng, KG_CLIENT_FLUSH_MS);
	}
	return 255;
}
