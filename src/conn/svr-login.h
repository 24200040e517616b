/* One connection's login on the machine: its PAM session, the utmp/wtmp/lastlog records of its pty sessions, nologin. */
#ifndef KAGI_SVR_LOGIN_H
#define KAGI_SVR_LOGIN_H

#include <stddef.h>
#include <sys/types.h>
#include "config/config-common.h"
#include "config/server-config.h"
#include "sys/log.h"
#include "sys/session-proc.h"

/* Test hook, kagi only: the environment variable of ksshd itself (never
 * a session's) naming a directory whose utmp, wtmp, lastlog and nologin
 * files replace the system's.  A remote user cannot set it. */
#define KG_SVR_LOGIN_TEST_DIR_ENV "KSSHD_TEST_LOGIN_DIR"

typedef struct kg_svr_login kg_svr_login;

/* After authentication, in the process that stays root for the
 * connection: with UsePAM yes, pam_acct_mgmt, pam_setcred and
 * pam_open_session for u (PAM_RHOST peer_ip); as_root: records are
 * written for pty sessions.  A refusal is logged and fails the login. */
int kg_svr_login_begin(kg_svr_login **out, kg_logger *log, const kg_server_config *cfg, const kg_spawn_user *u,
		       const char *peer_ip, int as_root) KG_WUR;
/* Appends what PAM's modules put in the environment (pam_getenvlist). */
int kg_svr_login_env(const kg_svr_login *l, kg_strlist *env) KG_WUR;
/* 1 when the nologin file refuses this (non-root) user, *text its
 * contents (malloc'd, may be NULL); logged as sshd does.  0 otherwise. */
int kg_svr_login_nologin(const kg_svr_login *l, char **text);
/* A pty session started: PAM_TTY, the utmp/wtmp/lastlog records; when
 * greet (a login shell), msg gets what PAM's modules said at open (the
 * first time only) and PrintLastLog's "Last login: ..." line, with
 * "\r\n" line ends ("" none). */
void kg_svr_login_pty_started(kg_svr_login *l, pid_t pid, const char *tty, int greet, char *msg, size_t msgsz);
/* The process of a pty session was reaped: its logout records. */
void kg_svr_login_pty_ended(kg_svr_login *l, pid_t pid);
/* The connection ends: logout records for what is left, the PAM
 * session closed (pam_close_session, pam_setcred DELETE).  NULL is fine. */
void kg_svr_login_end(kg_svr_login *l);

#endif
