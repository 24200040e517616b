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

/* What every connection of a server shares, prepared once by the
 * listener: the host keys and assembled algorithm lists. */
typedef struct kg_svr_ctx {
	const kg_server_config *cfg;
	kg_logger *log;
	kg_key **hostkeys;
	size_t n_hostkeys;
	char *kex_algs, *hostkey_algs, *ciphers, *macs, *pubkey_algs;
	char *sftp_default;         /* Subsystem sftp when none is configured */
	char *scp_program;          /* kagi's kscp, run for a client's "scp -t/-f" */
	int (*internal_sftp)(void *args);  /* see kg_svr_sessions; set by the program, or NULL */
	uint8_t fail_salt[KG_FAIL_SALT_LEN];  /* secret behind each name's failure time */
	int is_root;                /* started with euid 0 */
	uid_t self_uid;
} kg_svr_ctx;

/* Loads every HostKey and assembles the algorithm lists (defaults.h plus
 * the configured +/-/^ specs); the offered host key algorithms are those
 * one of the loaded keys can sign with.  Problems are logged. */
int kg_svr_ctx_init(kg_svr_ctx *s, const kg_server_config *cfg, kg_logger *log) KG_WUR;
void kg_svr_ctx_free(kg_svr_ctx *s);

/* Reads and parses one private host key file. */
int kg_svr_load_hostkey(const char *path, kg_key **out) KG_WUR;
/* The comma list of the names in algs that one of keys can sign with
 * (malloc'ed); KG_ERR_NOT_FOUND if none. */
int kg_svr_filter_hostkey_algs(const char *algs, kg_key *const *keys, size_t n, char **out) KG_WUR;

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

	/* The user being authenticated (looked up once). */
	char *user_name;
	int user_valid;
	kg_spawn_user user;
	kg_ak_opts ak_opts;          /* options of the key that authenticated */
	int have_ak_opts;

	kg_svr_sessions sessions;    /* the channels, once authenticated */
	kg_svr_fwd *fwd;             /* forwarding requests and listeners; NULL before */

	/* The configuration in force: the server's until the user is known,
	 * then eff, the server's with the Match blocks that hold. */
	const kg_server_config *cfg;
	kg_server_config eff;
	int have_eff;

	char *banner;                /* Banner file's text, sent before authentication; NULL */
	size_t banner_len;
	/* ClientAliveInterval: when the client was last heard from (or last
	 * asked), and how many keepalives it left unanswered since. */
	uint64_t alive_timer, alive_last_ms, alive_rx;
	int alive_missed;
	/* keyboard-interactive in progress: PAM's child, or (kbd_fixed) the
	 * one "Password: " prompt checked as a password is. */
	kg_pam_kbd kbd;
	int kbd_fixed;
	kg_svr_login *login;         /* pamsess: PAM session, login records; NULL before authentication */
} kg_svr_conn;

/* Serves the connected socket fd until the connection ends (fd is closed
 * on return).  On notify_fd (or -1) KG_SVR_NOTIFY_AUTH is written and it
 * is closed once the user authenticated.  *exit_code (optional) gets the
 * KG_SVR_EXIT_* status for the process (0 or 1 once authenticated). */
int kg_svr_conn_serve(const kg_svr_ctx *ctx, int fd, int notify_fd, int *exit_code) KG_WUR;

#endif
