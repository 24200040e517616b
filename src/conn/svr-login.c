/* A connection's PAM session and login records, as sshd keeps them (see svr-login.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conn/svr-login.h"
#include "sys/login-record.h"
#include "sys/pam-session.h"

struct pty_rec {
	pid_t pid;
	char tty[KG_TTY_NAME_MAX];
};

struct kg_svr_login {
	kg_logger *log;
	const kg_server_config *cfg;
	const kg_spawn_user *user;
	char host[64];
	int as_root;
	kg_pam_session pam;
	char **pam_env;
	kg_login_paths paths;
	struct pty_rec *recs;
	size_t nrecs;
};

int kg_svr_login_begin(kg_svr_login **out, kg_logger *log, const kg_server_config *cfg, const kg_spawn_user *u,
		       const char *peer_ip, int as_root)
{
	*out = NULL;
	kg_svr_login *l = calloc(1, sizeof(*l));
	ENSURE(l != NULL, KG_ERR_ALLOC);
	l->log = log;
	l->cfg = cfg;
	l->user = u;
	l->as_root = as_root;
	snprintf(l->host, sizeof(l->host), "%s", peer_ip ? peer_ip : "");
	if (kg_login_paths_init(&l->paths, getenv(KG_SVR_LOGIN_TEST_DIR_ENV)) < 0) {
		kg_error(log, "%s: path too long", KG_SVR_LOGIN_TEST_DIR_ENV);
		free(l);
		return KG_ERR_CONFIG;
	}
	if (cfg->use_pam == 1 && as_root) {
		int r = kg_pam_session_start(&l->pam, NULL, u->name, peer_ip, NULL);
		if (r == KG_ERR_AUTH_FAILED) {
			kg_error(log, "User %s from %s not allowed by PAM account management (%s)", u->name, l->host,
				 l->pam.why);
		} else if (r >= 0 && (r = kg_pam_session_open(&l->pam)) < 0) {
			kg_error(log, "PAM: %s for %s from %s", l->pam.why, u->name, l->host);
		}
		if (r < 0) {
			kg_pam_session_close(&l->pam);
			free(l);
			return KG_ERR_AUTH_FAILED;
		}
		l->pam_env = kg_pam_session_env(&l->pam);
		kg_debug(log, "PAM: session opened for %s", u->name);
	}
	*out = l;
	return KG_OK;
}

int kg_svr_login_env(const kg_svr_login *l, kg_strlist *env)
{
	for (size_t i = 0; l && l->pam_env && l->pam_env[i]; i++)
		if (strchr(l->pam_env[i], '=') != NULL)
			GUARD(kg_strlist_add(env, l->pam_env[i]));
	return KG_OK;
}

int kg_svr_login_nologin(const kg_svr_login *l, char **text)
{
	size_t len = 0;
	*text = NULL;
	if (!l || kg_nologin_text(&l->paths, l->user->uid, text, &len) < 0)
		return 0;
	kg_info(l->log, "User %s not allowed because %s exists", l->user->name, l->paths.nologin);
	return 1;
}

void kg_svr_login_pty_started(kg_svr_login *l, pid_t pid, const char *tty, int greet, char *msg, size_t msgsz)
{
	if (msgsz)
		msg[0] = '\0';
	if (!l || !tty || !tty[0])
		return;
	if (l->pam.pamh && kg_pam_session_set_tty(&l->pam, tty) < 0)
		kg_debug(l->log, "PAM: cannot set PAM_TTY %s", tty);
	if (!l->as_root)
		return;
	if (greet && l->pam.msgs_len > 0) {  /* PAM's messages once, on the first login shell */
		size_t o = 0;
		for (size_t i = 0; i < l->pam.msgs_len && o + 3 < msgsz; i++) {
			if (l->pam.msgs[i] == '\n')
				msg[o++] = '\r';
			msg[o++] = l->pam.msgs[i];
		}
		msg[o] = '\0';
		l->pam.msgs_len = 0;
	}
	if (greet && l->cfg->print_last_log == 1) {
		time_t when = 0;
		char host[256];
		size_t o = strlen(msg);
		if (kg_lastlog_get(&l->paths, l->user->uid, &when, host, sizeof(host)) == KG_OK && o < msgsz)
			kg_lastlog_message(when, host, msg + o, msgsz - o);
	}
	kg_login_entry e = { .user = l->user->name, .uid = l->user->uid, .tty = tty, .host = l->host, .pid = pid };
	int failed = kg_login_record_login(&l->paths, &e);
	if (failed)
		kg_debug(l->log, "login records for %s not all written:%s%s%s", tty, failed & 1 ? " utmp" : "",
			 failed & 2 ? " wtmp" : "", failed & 4 ? " lastlog" : "");
	struct pty_rec *n = realloc(l->recs, (l->nrecs + 1) * sizeof(*n));
	if (!n)
		return;
	l->recs = n;
	n[l->nrecs].pid = pid;
	snprintf(n[l->nrecs].tty, sizeof(n[l->nrecs].tty), "%s", tty);
	l->nrecs++;
}

static void logout_rec(kg_svr_login *l, size_t i)
{
	kg_login_entry e = { .user = l->user->name, .uid = l->user->uid, .tty = l->recs[i].tty, .host = l->host,
			     .pid = l->recs[i].pid };
	if (kg_login_record_logout(&l->paths, &e))
		kg_debug(l->log, "logout records for %s not all written", l->recs[i].tty);
	l->recs[i] = l->recs[--l->nrecs];
}

void kg_svr_login_pty_ended(kg_svr_login *l, pid_t pid)
{
	for (size_t i = 0; l && i < l->nrecs; i++)
		if (l->recs[i].pid == pid) {
			logout_rec(l, i);
			return;
		}
}

void kg_svr_login_end(kg_svr_login *l)
{
	if (!l)
		return;
	while (l->nrecs > 0)
		logout_rec(l, l->nrecs - 1);
	free(l->recs);
	kg_pam_session_env_free(l->pam_env);
	if (l->pam.pamh) {
		kg_pam_session_close(&l->pam);
		kg_debug(l->log, "PAM: session closed for %s", l->user->name);
	}
	free(l);
}
