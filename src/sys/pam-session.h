/* The PAM session of one server login: account check, credentials, open and close (pam_open_session). */
#ifndef KAGI_SYS_PAM_SESSION_H
#define KAGI_SYS_PAM_SESSION_H

#include <stddef.h>
#include "core/safety.h"

typedef struct kg_pam_session {
	void *pamh;        /* pam_handle_t; NULL: none */
	int cred;          /* pam_setcred(PAM_ESTABLISH_CRED) succeeded */
	int opened;        /* pam_open_session succeeded */
	char why[256];     /* the failing step and PAM's text, for the log */
	/* What the modules said while the session opened (pam_motd...),
	 * one message a line, for the user's first login shell. */
	char msgs[4096];
	size_t msgs_len;
} kg_pam_session;

/* pam_start for user on service (kg_pam_service's choice), PAM_RHOST
 * rhost, PAM_TTY tty ("ssh" when NULL, as before a pty exists), then
 * pam_acct_mgmt.  KG_ERR_AUTH_FAILED when the account is refused
 * (expired, nologin...), with s->why saying so; the handle is then
 * ended.  Runs as root, in the process that stays for the connection. */
int kg_pam_session_start(kg_pam_session *s, const char *service, const char *user, const char *rhost,
			 const char *tty) KG_WUR;
/* pam_setcred(PAM_ESTABLISH_CRED), then pam_open_session; the
 * modules' messages collect in s->msgs (what does not fit is dropped). */
int kg_pam_session_open(kg_pam_session *s) KG_WUR;
/* PAM_TTY for what follows (a pty allocated later). */
int kg_pam_session_set_tty(kg_pam_session *s, const char *tty) KG_WUR;
/* The "NAME=value" list PAM's modules set (pam_getenvlist): a malloc'd
 * NULL-terminated array of malloc'd strings, freed with
 * kg_pam_session_env_free; NULL when none. */
char **kg_pam_session_env(kg_pam_session *s);
void kg_pam_session_env_free(char **env);
/* pam_close_session and pam_setcred(PAM_DELETE_CRED) for what was
 * opened, then pam_end.  Safe to call twice. */
void kg_pam_session_close(kg_pam_session *s);

#endif
