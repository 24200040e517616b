/* kssh's process control: whether to ask for a pty (-t/-T, RequestTTY),
 * waiting on a connection that runs no session (-N, SessionType none), and
 * going to the background once authenticated (-f, ForkAfterAuthentication). */
#ifndef KAGI_CLI_PROC_H
#define KAGI_CLI_PROC_H

#include "conn/cli-conn.h"
#include "conn/cli-session.h"

typedef struct kg_cli_tty_in {
	int request_tty;   /* enum kg_request_tty, after -t/-tt/-T */
	int has_command;   /* a remote command (or subsystem) was given */
	int session_none;  /* SessionType none, or -W */
	int stdin_tty;     /* isatty(0) */
	int stdin_null;    /* -n, StdinNull, -f */
} kg_cli_tty_in;

#define KG_CLI_NO_TTY_MSG "Pseudo-terminal will not be allocated because stdin is not a terminal."

/* 1 when a pty is to be requested.  *warn is 1 when one was wanted but
 * stdin is no terminal (the caller logs KG_CLI_NO_TTY_MSG at INFO). */
int kg_cli_want_tty(const kg_cli_tty_in *in, int *warn);

/* -f: the parent exits 0 here; the child, in a new session with stdio on
 * /dev/null, returns.  Call it once authentication and the forwardings are
 * set up.  The session's stdout and stderr (o may be NULL: no session) are
 * duplicated first, so a remote command's output still reaches them; the
 * terminal's stderr is kept for the log when it logs at debug levels. */
int kg_cli_proc_background(kg_client *c, kg_cli_session_opts *o) KG_WUR;

/* -N: runs the connection (forwardings, keepalives) until the server
 * closes it (exit status 255) or SIGTERM, SIGINT, SIGHUP or SIGQUIT comes
 * (0, as ssh -N). */
int kg_cli_proc_wait(kg_client *c);

#endif
