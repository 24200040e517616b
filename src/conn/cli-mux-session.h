/* A master's session for one of its mux clients: a "session" channel (or
 * a direct-tcpip one for a stdio forwarding) run with the stdin, stdout
 * and stderr descriptors the client passed, as an engine consumer next to
 * the master's own session.  The owner hears of a failed pty request and
 * of the end (with the exit status) through its callback. */
#ifndef KAGI_CLI_MUX_SESSION_H
#define KAGI_CLI_MUX_SESSION_H

#include "conn/cli-conn.h"
#include "core/mux.h"

typedef struct kg_cli_mux_session kg_cli_mux_session;

enum kg_cli_mux_sess_event {
	KG_CLI_MUX_SESS_TTY_FAIL = 1,  /* the pty request was refused */
	KG_CLI_MUX_SESS_DONE = 2,      /* over: status is the exit status; the session is freed after */
};
typedef void (*kg_cli_mux_sess_cb)(void *arg, kg_cli_mux_session *ms, int event, int status);

/* Starts the session rq asks for (NEW_SESSION or NEW_STDIO_FWD) on c's
 * engine.  fds[0..2]: stdin, stdout, stderr (stderr unused for stdio
 * forwarding, may be -1); they are owned from now on, also on failure. */
int kg_cli_mux_session_start(kg_client *c, const kg_mux_msg *rq, int fds[3], kg_cli_mux_sess_cb cb, void *arg,
			     kg_cli_mux_session **out) KG_WUR;
/* A window change: the size of the client's terminal goes to the server. */
void kg_cli_mux_session_winch(kg_cli_mux_session *ms);
/* The client went away: the channel is closed, the descriptors are
 * closed, no callback comes any more; freed once the channel is gone. */
void kg_cli_mux_session_abandon(kg_cli_mux_session *ms);

#endif
