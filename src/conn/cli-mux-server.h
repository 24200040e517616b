/* The master's side of connection sharing (PROTOCOL.mux): the control
 * socket's listener and its clients on the client's one loop, next to the
 * master's own session.  Serves HELLO, ALIVE_CHECK, TERMINATE,
 * STOP_LISTENING, NEW_SESSION and NEW_STDIO_FWD (the clients' descriptors
 * passed over the socket, cli-mux-session.h), OPEN_FWD and CLOSE_FWD
 * (through the connection's forwardings, cli-forward.h); proxy mode is
 * refused with a reason. */
#ifndef KAGI_CLI_MUX_SERVER_H
#define KAGI_CLI_MUX_SERVER_H

#include "conn/cli-conn.h"
#include "conn/cli-forward.h"
#include "conn/cli-mux.h"

typedef struct kg_cli_mux_server kg_cli_mux_server;

/* Listens at path (0600, created under a temporary name and linked into
 * place) and serves on c->loop.  ask: every new session is confirmed
 * through SSH_ASKPASS first (ControlMaster ask/autoask).  Also takes the
 * terminating signals and SIGWINCH (see kg_cli_mux_server_add_signal).
 * Errors are reported as ssh does; the caller goes on unshared. */
int kg_cli_mux_server_start(kg_client *c, const char *path, int ask, kg_cli_mux_server **out) KG_WUR;

/* The connection's forwardings, for the clients' OPEN_FWD and CLOSE_FWD
 * (without them those are refused). */
void kg_cli_mux_server_set_forwards(kg_cli_mux_server *s, kg_cli_forwards *fw);

/* For kg_cli_session_opts.add_signal (arg: the server): the master's own
 * session gets its signals through the server, which also resizes the
 * shared sessions' terminals on SIGWINCH. */
int kg_cli_mux_server_add_signal(void *arg, int signo, kg_loop_signal_cb cb, void *ctx);
/* Becomes non-zero when the master is to end (-O exit, or a terminating
 * signal that no session took). */
const int *kg_cli_mux_server_stop_flag(const kg_cli_mux_server *s);
/* Control connections open now. */
size_t kg_cli_mux_server_clients(const kg_cli_mux_server *s);

#define KG_CLI_MUX_RUN_SESSIONS (-1) /* until the shared sessions are over */
#define KG_CLI_MUX_RUN_FOREVER  0    /* until told to stop */
/* Serves until done: persist KG_CLI_MUX_RUN_SESSIONS, _FOREVER, or a
 * number of seconds without clients (ControlPersist).  Also ends when the
 * connection does.  Returns the engine's error, KG_OK otherwise. */
int kg_cli_mux_server_run(kg_cli_mux_server *s, int persist) KG_WUR;

/* After the master's own session, or instead of one (-N): serves as
 * persist says, then ends the connection and frees s.  The exit status
 * for kssh: 0 when done or told to stop, 255 when the connection failed. */
int kg_cli_mux_server_end(kg_cli_mux_server *s, int persist);

/* ControlPersist: forks.  The child, in a new session with stdio on
 * /dev/null, keeps the connection as the master until persist's idle time
 * passes (0: until told to stop) and exits; the parent runs rq through it
 * as a mux client and exits with the session's status.  Never returns. */
void kg_cli_mux_server_persist(kg_cli_mux_server *s, const kg_cli_mux *m, const kg_cli_mux_request *rq,
			       int persist) __attribute__((noreturn));

/* Closes the listener (removing the socket if unlink_path) and stops
 * taking new clients. */
void kg_cli_mux_server_stop_listening(kg_cli_mux_server *s, int unlink_path);
/* Ends every shared session and control connection, removes the socket. */
void kg_cli_mux_server_free(kg_cli_mux_server *s);

#endif
