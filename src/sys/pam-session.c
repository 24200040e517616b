/* PAM account, credentials and session for a server login (see pam-session.h). */
#include "sys/pam-session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <security/pam_appl.h>
#include "sys/password.h"

/* The session stage asks nothing: messages (pam_motd, pam_mail) are
 * kept for the user (as sshd shows them before the last login line),
 * any prompt is refused. */
static int conversation(int n, const struct pam_message **msg, struct pam_response **resp, void *appdata)
{
	kg_pam_session *s = appdata;
	if (n <= 0 || n > PAM_MAX_NUM_MSG || msg == NULL || resp == NULL)
		return PAM_CONV_ERR;
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style != PAM_TEXT_INFO && msg[i]->msg_style != PAM_ERROR_MSG)
			return PAM_CONV_ERR;
	for (int i = 0; i < n && s; i++) {
		const char *m = msg[i]->msg ? msg[i]->msg : "";
		size_t len = strlen(m), room = sizeof(s->msgs) - 1 - s->msgs_len;
		int nl = len == 0 || m[len - 1] != '\n';
		if (len + (size_t)nl > room)
			continue;
		memcpy(s->msgs + s->msgs_len, m, len);
		s->msgs_len += len;
		if (nl)
			s->msgs[s->msgs_len++] = '\n';
		s->msgs[s->msgs_len] = '\0';
	}
	*resp = calloc((size_t)n, sizeof(**resp));
	return *resp ? PAM_SUCCESS : PAM_BUF_ERR;
}

static int failed(kg_pam_session *s, const char *step, int rc)
{
	snprintf(s->why, sizeof(s->why), "%s: %s", step, pam_strerror(s->pamh, rc));
	return rc;
}

int kg_pam_session_start(kg_pam_session *s, const char *service, const char *user, const char *rhost,
			 const char *tty)
{
	pam_handle_t *h = NULL;
	memset(s, 0, sizeof(*s));
	/* PAM keeps its own copy of conv; s must stay where it is. */
	struct pam_conv conv = { .conv = conversation, .appdata_ptr = s };
	ENSURE(user && user[0], KG_ERR_ARG);
	int rc = pam_start(kg_pam_service(service ? service : KG_PAM_SERVICE_DEFAULT), user, &conv, &h);
	if (rc != PAM_SUCCESS) {
		snprintf(s->why, sizeof(s->why), "pam_start failed");
		return KG_ERR_SYSTEM;
	}
	s->pamh = h;
	if (rhost && (rc = pam_set_item(h, PAM_RHOST, rhost)) != PAM_SUCCESS)
		failed(s, "PAM_RHOST", rc);
	else if ((rc = pam_set_item(h, PAM_TTY, tty ? tty : "ssh")) != PAM_SUCCESS)
		failed(s, "PAM_TTY", rc);
	else if ((rc = pam_acct_mgmt(h, 0)) != PAM_SUCCESS)
		failed(s, "pam_acct_mgmt", rc);
	if (rc == PAM_SUCCESS)
		return KG_OK;
	pam_end(h, rc);
	s->pamh = NULL;
	return KG_ERR_AUTH_FAILED;
}

int kg_pam_session_open(kg_pam_session *s)
{
	ENSURE(s->pamh, KG_ERR_ARG);
	int rc = pam_setcred(s->pamh, PAM_ESTABLISH_CRED);
	if (rc != PAM_SUCCESS) {
		failed(s, "pam_setcred", rc);
		return KG_ERR_AUTH_FAILED;
	}
	s->cred = 1;
	rc = pam_open_session(s->pamh, 0);
	if (rc != PAM_SUCCESS) {
		failed(s, "pam_open_session", rc);
		return KG_ERR_AUTH_FAILED;
	}
	s->opened = 1;
	return KG_OK;
}

int kg_pam_session_set_tty(kg_pam_session *s, const char *tty)
{
	ENSURE(s->pamh && tty, KG_ERR_ARG);
	return pam_set_item(s->pamh, PAM_TTY, tty) == PAM_SUCCESS ? KG_OK : KG_ERR_SYSTEM;
}

char **kg_pam_session_env(kg_pam_session *s)
{
	return s->pamh ? pam_getenvlist(s->pamh) : NULL;
}

void kg_pam_session_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

void kg_pam_session_close(kg_pam_session *s)
{
	int rc = PAM_SUCCESS;
	if (!s->pamh)
		return;
	if (s->opened)
		rc = pam_close_session(s->pamh, 0);
	if (s->cred)
		(void)pam_setcred(s->pamh, PAM_DELETE_CRED);
	pam_end(s->pamh, rc);
	s->pamh = NULL;
	s->opened = s->cred = 0;
}
