/* Password and account checks through PAM (or shadow), and equal work for users who must not get in. */
#include "sys/password.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <shadow.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <security/pam_appl.h>

struct conv_data {
	const char *password;
};

/* Answers PAM's questions: the password for hidden prompts, nothing for
 * messages.  A visible prompt (pam_unix asks the user name that way when
 * it is unset) is refused: kagi always sets the user. */
static int conversation(int n, const struct pam_message **msg, struct pam_response **resp,
			void *appdata)
{
	const struct conv_data *cd = appdata;
	struct pam_response *r;

	if (n <= 0 || n > PAM_MAX_NUM_MSG || msg == NULL || resp == NULL)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			r[i].resp = strdup(cd->password);
			if (r[i].resp == NULL)
				goto fail;
			break;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			break;
		default:
			goto fail;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
fail:
	for (int i = 0; i < n; i++) {
		if (r[i].resp != NULL) {
			OPENSSL_cleanse(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	}
	free(r);
	return PAM_CONV_ERR;
}

static int service_exists(const char *name)
{
	char path[256];

	/* A name with '/' could point outside the PAM directory. */
	if (strchr(name, '/') != NULL || name[0] == '.')
		return 0;
	snprintf(path, sizeof(path), "/etc/pam.d/%s", name);
	return access(path, F_OK) == 0;
}

/* Linux-PAM itself falls back to "other" for a missing service file;
 * choosing explicitly keeps the stack used predictable and loggable. */
const char *kg_pam_service(const char *want)
{
	if (want != NULL && service_exists(want))
		return want;
	if (service_exists(KG_PAM_SERVICE_DEFAULT))
		return KG_PAM_SERVICE_DEFAULT;
	return "other";
}

int kg_password_check(const char *user, const char *password, const char *service,
		      const char *rhost)
{
	struct conv_data cd = { .password = password };
	struct pam_conv conv = { .conv = conversation, .appdata_ptr = &cd };
	pam_handle_t *pamh = NULL;
	int rc;

	if (user == NULL || password == NULL || user[0] == '\0')
		return KG_ERR_AUTH_FAILED;
	if (password[0] == '\0') {
		kg_password_fake_check(password);
		return KG_ERR_AUTH_FAILED;
	}
	rc = pam_start(kg_pam_service(service ? service : KG_PAM_SERVICE_DEFAULT), user, &conv, &pamh);
	if (rc != PAM_SUCCESS)
		return KG_ERR_AUTH_FAILED;
	if (rhost != NULL)
		rc = pam_set_item(pamh, PAM_RHOST, rhost);
	if (rc == PAM_SUCCESS)
		rc = pam_set_item(pamh, PAM_TTY, "ssh");  /* as sshd: no real tty yet */
	if (rc == PAM_SUCCESS)
		rc = pam_authenticate(pamh, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	if (rc == PAM_SUCCESS)
		rc = pam_acct_mgmt(pamh, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	pam_end(pamh, rc);
	return rc == PAM_SUCCESS ? KG_OK : KG_ERR_AUTH_FAILED;
}

int kg_account_usable(const char *user, int use_pam, const char *rhost)
{
	if (user == NULL || user[0] == '\0')
		return KG_ERR_AUTH_FAILED;
	if (use_pam) {
		struct conv_data cd = { .password = NULL };
		struct pam_conv conv = { .conv = conversation, .appdata_ptr = &cd };
		pam_handle_t *pamh = NULL;
		int rc = pam_start(kg_pam_service(KG_PAM_SERVICE_DEFAULT), user, &conv, &pamh);
		if (rc != PAM_SUCCESS)
			return KG_ERR_AUTH_FAILED;
		if (rhost != NULL)
			rc = pam_set_item(pamh, PAM_RHOST, rhost);
		if (rc == PAM_SUCCESS)
			rc = pam_acct_mgmt(pamh, PAM_SILENT);
		pam_end(pamh, rc);
		return rc == PAM_SUCCESS ? KG_OK : KG_ERR_AUTH_FAILED;
	}
	if (geteuid() != 0)
		return KG_OK;
	struct spwd sbuf, *sp = NULL;
	char buf[4096];
	if (getspnam_r(user, &sbuf, buf, sizeof(buf), &sp) != 0 || sp == NULL)
		return KG_OK;  /* no shadow entry: nothing says the account is closed */
	int ok = !(sp->sp_pwdp && sp->sp_pwdp[0] == '!');
	long today = (long)(time(NULL) / 86400);
	if (sp->sp_expire > 0 && today >= sp->sp_expire)
		ok = 0;
	OPENSSL_cleanse(buf, sizeof(buf));
	return ok ? KG_OK : KG_ERR_AUTH_FAILED;
}

void kg_password_fail(const char *user, const char *password, const char *rhost)
{
	/* Control characters no password prompt lets anyone type. */
	static const char wrong[] = "\b\n\r\177INCORRECT";
	if (password == NULL || password[0] == '\0') {
		kg_password_fake_check(password);
		return;
	}
	(void)!kg_password_check(user, wrong, NULL, rhost);
}

void kg_password_fake_check(const char *password)
{
	/* Fixed "random" bytes: the salt only has to be valid, not secret. */
	static const char rbytes[16] = "kagi-fake-salt!!";
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;

	if (password == NULL)
		password = "";
	if (crypt_gensalt_rn(NULL, 0, rbytes, (int)sizeof(rbytes), setting, (int)sizeof(setting)) == NULL)
		snprintf(setting, sizeof(setting), "$6$kagifakesalt$");
	cd = calloc(1, sizeof(*cd));   /* ~32 KiB: too big for the stack */
	if (cd == NULL)
		return;
	if (crypt_rn(password, setting, cd, (int)sizeof(*cd)) == NULL) {
		/* Nothing to report: only the time spent matters. */
	}
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
}
