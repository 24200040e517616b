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
#include "conn/svr-monlink.h"
#include "conn/svr-login.h"

/* One connection being served. */
typedef struct kg_svr_conn {
	const kg_svr_ctx *ctx;
	kg_logger *log;
	int fd;
	kg_svr_monlink *mon;         /* the monitor, which decides and signs */
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
	int user_invalid;            /* the monitor said the user named is not valid */
	int chrooted;                /* the user's process is inside ChrootDirectory */
} kg_svr_conn;

/* The two unprivileged halves of a connection (svr-privsep.c starts
 * them).  Before authentication: serves fd (closed on return) until the
 * user authenticated — the transport is then handed to the monitor and
 * the process exits 0 — or the connection ends; confine (may be NULL) is
 * called once everything is set up and before the first byte of the
 * client is read (the sandbox).  *exit_code gets the KG_SVR_EXIT_* status. */
int kg_svr_conn_preauth(const kg_svr_ctx *ctx, int fd, kg_svr_monlink *mon,
			int (*confine)(void *arg), void *confine_arg, int *exit_code) KG_WUR;
/* After it, in the user's process: the handed-over transport (state) on
 * fd with the user, configuration and key options ac settled, until the
 * connection ends (refused unless its session id is sid, the monitor's); *exit_code 0, or 1 when it failed. */
int kg_svr_conn_postauth(const kg_svr_ctx *ctx, int fd, kg_svr_monlink *mon, const kg_svr_authcheck *ac,
			 kg_svr_login *login, int chrooted, const uint8_t *sid, size_t sid_len, const uint8_t *state,
			 size_t state_len, int *exit_code) KG_WUR;

#endif
