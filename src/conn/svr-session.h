/* Session channels on the server (RFC 4254 6): pty-req, env, exec, shell,
 * subsystem, window-change and signal; the process's output pumped into
 * the channel within the peer's window, channel data written to its
 * stdin and granted back only once written; exit-status (or exit-signal),
 * EOF and CLOSE once the process has exited and its output is drained. */
#ifndef KAGI_SVR_SESSION_H
#define KAGI_SVR_SESSION_H

#include <poll.h>
#include <stddef.h>
#include "core/buf.h"
#include "core/channel.h"
#include "config/config-common.h"
#include "sys/session-proc.h"
#include "conn/svr-conn.h"

#define KG_SVR_SESSION_FDS 3  /* pty, or stdin + stdout + stderr */

struct kg_svr_session {
	kg_channel *ch;
	kg_spawn_result proc;       /* pid 0 until started */
	int started, exited;
	kg_exit_info exit;
	int want_pty;
	char *term;
	uint32_t cols, rows, px, py;
	uint8_t *modes;
	size_t modes_len;
	kg_strlist env;             /* accepted "NAME=value" */
	kg_buf to_child;            /* channel data not yet written to the process */
	int in_eof;                 /* the peer sent EOF */
	int out_done, err_done;     /* stdout (or the pty) / stderr reached EOF */
	int finished;               /* exit-status, EOF and CLOSE sent */
	int tcpip;                  /* a direct-tcpip channel: "process" is a socket */
	int pfd[KG_SVR_SESSION_FDS];   /* index of each fd in the poll array, -1 */
};

/* A "session" open request: confirms it (or refuses past MaxSessions). */
int kg_svr_session_open(kg_svr_conn *sc, kg_channel *ch) KG_WUR;
/* A "direct-tcpip" open request (RFC 4254 7.2): connects to the host and
 * port asked for when AllowTcpForwarding and the key's options permit,
 * and relays bytes between the socket and the channel. */
int kg_svr_tcpip_open(kg_svr_conn *sc, kg_channel *ch, const kg_conn_event *ev) KG_WUR;
/* A channel request for this session (answers it if want_reply). */
int kg_svr_session_request(kg_svr_conn *sc, kg_svr_session *s, const kg_conn_event *ev) KG_WUR;
/* Channel data from the peer for the process's stdin. */
int kg_svr_session_data(kg_svr_conn *sc, kg_svr_session *s, const uint8_t *d, size_t n) KG_WUR;
int kg_svr_session_eof(kg_svr_conn *sc, kg_svr_session *s) KG_WUR;
/* The channel is gone: closes the fds (the process keeps running until it
 * notices) and frees s. */
void kg_svr_session_free(kg_svr_conn *sc, kg_svr_session *s);

/* Appends the session's fds with the events it wants at pfds[np...] (room
 * for KG_SVR_SESSION_FDS more); returns the new count.  Without may_read
 * (the socket is backed up) only writes to the process are polled. */
size_t kg_svr_session_poll_setup(kg_svr_conn *sc, kg_svr_session *s, struct pollfd *pfds, size_t np,
				 int may_read);
/* Handles the poll results for the fds set up above. */
int kg_svr_session_poll_done(kg_svr_conn *sc, kg_svr_session *s, const struct pollfd *pfds) KG_WUR;
/* A child exited: records it if it is this session's process (1), else 0. */
int kg_svr_session_reaped(kg_svr_session *s, pid_t pid, int wstatus);
/* Sends exit-status/-signal, EOF and CLOSE once everything is drained. */
int kg_svr_session_progress(kg_svr_conn *sc, kg_svr_session *s) KG_WUR;

/* Whether the client may set environment variable name (AcceptEnv
 * patterns; name must be a valid variable name). */
int kg_svr_env_accepted(const kg_strlist *accept_env, const char *name, size_t len);
/* Fills info from a waitpid status. */
void kg_svr_exit_from_status(int wstatus, kg_exit_info *info);

#endif
