/* ksshd's monitor: the per-connection process that keeps root and the host keys, answering the unprivileged processes' requests (svr-mon-proto.h) against what it knows of the connection. */
#ifndef KAGI_SVR_MONITOR_H
#define KAGI_SVR_MONITOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "core/buf.h"
#include "conn/svr-authcheck.h"
#include "conn/svr-ctx.h"
#include "conn/svr-login.h"
#include "conn/svr-mon-proto.h"

#define KG_MON_MAX_PREAUTH_REQUESTS 4096  /* a child asking more is not a client's doing */
#define KG_MON_MAX_PTYS 64                /* ptys one connection may open */

typedef struct kg_svr_monitor {
	const kg_svr_ctx *ctx;       /* with the private host keys */
	kg_logger *log;
	kg_svr_authcheck *ac;        /* the user, their configuration, the methods' checks */
	enum kg_mon_phase phase;
	uint8_t session_id[64];      /* from the first exchange hash it signed */
	size_t sid_len;
	int authenticated;           /* a method succeeded by the monitor's own checks */
	char method[32];             /* which one */
	int kbd_active;              /* between kbd-start and kbd-end */
	unsigned failures;           /* methods that failed (MaxAuthTries) */
	unsigned requests;           /* answered before authentication */
	kg_svr_login *login;         /* after authentication: PAM session, records */
	uid_t user_uid;              /* after authentication: the ptys' owner */
	gid_t user_gid;
	uint8_t *state;              /* auth-done: the transport to hand on (wiped on free) */
	size_t state_len;
	int done;                    /* auth-done accepted */
	char why[160];               /* the last refusal, for the log */
	/* pty-open: the descriptors to pass after the reply (then closed). */
	int pass_fds[2];
	int n_pass_fds;
	unsigned ptys_opened;
	char ptys[KG_MON_MAX_PTYS][64];  /* the ttys it opened, for pty-started */
} kg_svr_monitor;

void kg_svr_monitor_init(kg_svr_monitor *m, const kg_svr_ctx *ctx, kg_logger *log, kg_svr_authcheck *ac);
void kg_svr_monitor_free(kg_svr_monitor *m);

/* Answers one request (a frame's contents, after its length) with one
 * reply frame appended to reply.  KG_ERR_PROTOCOL (m->why says why) for a
 * request the monitor will not answer at all: one the phase does not
 * allow, a second user, signing what is not an exchange hash or a host
 * key proof of this session, auth-done without a success it saw.  The
 * caller then ends the child: no honest child sends those. */
int kg_svr_monitor_handle(kg_svr_monitor *m, const uint8_t *p, size_t len, kg_buf *reply) KG_WUR;

#endif
