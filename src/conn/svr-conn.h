/* The server's side of one connection, after accept: transport with the
 * host keys and the configured algorithms, user authentication against
 * authorized_keys and PAM, then the connection engine (conn.c) with
 * session channels (svr-session.c).  The connection process stays
 * privileged when it is root; each session's process drops to the user. */
#ifndef KAGI_SVR_CONN_H
#define KAGI_SVR_CONN_H

#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include "core/auth.h"
#include "core/channel.h"
#include "core/transport.h"
#include "config/authorized-keys.h"
#include "sys/fail-delay.h"
#include "sys/log.h"
#include "sys/net.h"
#include "sys/pam-kbd.h"
#include "config/server-config.h"
#include "sys/loop.h"
#include "sys/session-proc.h"
#include "conn/conn.h"
#include "conn/svr-session.h"
#include "conn/svr-forward.h"
#include "conn/svr-penalty.h"

#include "conn/svr-ctx.h"
#include "conn/svr-authcheck.h"

/* One connection being served. */
typedef struct kg_svr_conn {
	const kg_svr_ctx *ctx;
	kg_logger *log;
	int fd;
	int auth_notify_fd;          /* closed once authenticated (MaxStartups); -1 */
	char peer_ip[KG_NET_IPSTR], local_ip[KG_NET_IPSTR];
	int peer_port, local_port;

	kg_loop loop;
	kg_engine eng;
	int eng_ready;
	kg_tr_config trc;
	kg_transport *tr;
	kg_svr_auth *auth;
	int authenticated;
	uint64_t grace_timer;        /* LoginGraceTime; 0: none */
	uint64_t ident_timer;        /* the peer's identification line; 0: none */
	int grace_exceeded;          /* limits: how an unauthenticated connection ended */
	int auth_attempted;          /* a method other than "none" was tried and did not succeed */

	/* The user being authenticated, the configuration in force for
	 * them, and the checks behind each method (svr-authcheck.h). */
	kg_svr_authcheck ac;
	int have_ac;

	kg_svr_sessions sessions;    /* the channels, once authenticated */
	kg_svr_fwd *fwd;             /* forwarding requests and listeners; NULL before */

	const kg_server_config *cfg;  /* the server's until the user is known, then ac.cfg */

	char *banner;                /* Banner file's text, sent before authentication; NULL */
	size_t banner_len;
	/* ClientAliveInterval: when the client was last heard from (or last
	 * asked), and how many keepalives it left unanswered since. */
	uint64_t alive_timer, alive_last_ms, alive_rx;
	int alive_missed;
	kg_svr_login *login;         /* pamsess: PAM session, login records; NULL before authentication */
} kg_svr_conn;

/* Serves the connected socket fd until the connection ends (fd is closed
 * on return).  On notify_fd (or -1) KG_SVR_NOTIFY_AUTH is written and it
 * is closed once the user authenticated.  *exit_code (optional) gets the
 * KG_SVR_EXIT_* status for the process (0 or 1 once authenticated). */
int kg_svr_conn_serve(const kg_svr_ctx *ctx, int fd, int notify_fd, int *exit_code) KG_WUR;

#endif
