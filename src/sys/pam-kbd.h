/* keyboard-interactive through PAM: the PAM conversation runs in a child
 * process, and its prompts and the user's answers cross a socket pair, so
 * the server can send each prompt to the client as an INFO_REQUEST. */
#ifndef KAGI_SYS_PAM_KBD_H
#define KAGI_SYS_PAM_KBD_H

#include <sys/types.h>
#include "core/auth.h"

/* How long the server waits for PAM's next step before failing. */
#define KG_PAM_KBD_TIMEOUT_S 120

typedef struct kg_pam_kbd {
	pid_t pid;   /* 0: not running */
	int fd;      /* -1: closed */
} kg_pam_kbd;

/* Starts pam_authenticate and then pam_acct_mgmt for user in a child
 * (service as kg_password_check picks it; rhost optional).  Empty answers
 * are refused unless allow_empty. */
int kg_pam_kbd_start(kg_pam_kbd *k, const char *user, const char *service, const char *rhost,
		     int allow_empty) KG_WUR;
/* PAM's next step: KG_KBD_ASK with q filled (the prompts of one
 * conversation call; PAM's messages before them in q->instruction),
 * KG_KBD_OK once PAM accepted the user, KG_ERR_AUTH_FAILED otherwise. */
int kg_pam_kbd_next(kg_pam_kbd *k, kg_kbd_request *q) KG_WUR;
/* Sends the answers to the last prompts (r->n must match them). */
int kg_pam_kbd_answer(kg_pam_kbd *k, const kg_kbd_response *r) KG_WUR;
/* Ends the child (if still running) and closes the socket. */
void kg_pam_kbd_end(kg_pam_kbd *k);

#endif
