/* The checks behind each user authentication method: the user and their Match configuration, authorized_keys, passwords, keyboard-interactive through PAM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "core/names.h"
#include "sys/fail-delay.h"
#include "sys/password.h"
#include "sys/user-id.h"
#include "config/svr-access.h"
#include "config/server-match.h"
#include "conn/svr-authcheck.h"

void kg_svr_authcheck_init(kg_svr_authcheck *ac, const kg_svr_ctx *ctx, kg_logger *log, const char *peer_ip,
			   int peer_port, const char *local_ip, int local_port)
{
	memset(ac, 0, sizeof(*ac));
	ac->ctx = ctx;
	ac->log = log;
	ac->cfg = ctx->cfg;
	ac->peer_ip = peer_ip;
	ac->peer_port = peer_port;
	ac->local_ip = local_ip;
	ac->local_port = local_port;
	ac->kbd.fd = -1;
}

void kg_svr_authcheck_free(kg_svr_authcheck *ac)
{
	kg_pam_kbd_end(&ac->kbd);
	if (ac->have_ak_opts)
		kg_ak_opts_free(&ac->ak_opts);
	if (ac->have_eff)
		kg_server_config_free(&ac->eff);
	if (ac->user_name && ac->user_valid)
		kg_spawn_user_free(&ac->user);
	free(ac->user_name);
	memset(ac, 0, sizeof(*ac));
	ac->kbd.fd = -1;
}

/* The user is known: from now on the connection uses the server's
 * configuration with the Match blocks that hold for it (sshd applies
 * them at the same point).  With UseDNS no, Host is the address. */
static int conn_config(kg_svr_authcheck *ac)
{
	const kg_server_config *base = ac->ctx->cfg;
	if (base->nmatches == 0)
		return KG_OK;
	kg_strlist groups = { NULL, 0 };
	kg_match_conn ci = {
		.user = ac->user.name, .host = ac->peer_ip, .addr = ac->peer_ip, .laddr = ac->local_ip,
		.lport = ac->local_port, .rdomain = NULL,
	};
	int r = KG_OK;
	if (kg_server_config_needs_groups(base)) {
		r = kg_access_user_groups(ac->user.name, ac->user.gid, &groups);
		ci.groups = (const char *const *)groups.v;
		ci.ngroups = groups.n;
		ci.groups_known = r >= 0;
	}
	kg_cfg_err err = { { 0 } };
	if (r >= 0)
		r = kg_server_config_for_conn(base, &ci, 0, &ac->eff, &err);
	kg_strlist_free(&groups);
	if (r < 0) {
		if (err.msg[0])
			kg_error(ac->log, "%s", err.msg);
		kg_server_config_free(&ac->eff);
		return r;
	}
	ac->have_eff = 1;
	ac->cfg = &ac->eff;
	return KG_OK;
}

/* Looks the user up once per connection; NULL for an invalid user (one
 * that does not exist, is not allowed, or cannot log in to a server
 * running without root). */
static const kg_spawn_user *svr_user(kg_svr_authcheck *ac, const char *name)
{
	if (ac->user_name && strcmp(ac->user_name, name) == 0)
		return ac->user_valid ? &ac->user : NULL;
	if (ac->user_name)
		return NULL;  /* the auth layer refuses a change of user anyway */
	ac->user_name = strdup(name);
	if (!ac->user_name)
		return NULL;
	int ok = kg_spawn_user_lookup(name, &ac->user) == KG_OK;
	if (ok && !ac->ctx->is_root && ac->user.uid != ac->ctx->self_uid)
		ok = 0;
	if (ok && conn_config(ac) < 0) {
		kg_error(ac->log, "Cannot apply the Match blocks for user %s from %s", name, ac->peer_ip);
		ok = 0;
	}
	const char *why = NULL;
	if (ok && (why = kg_access_denied(ac->cfg, &ac->user, ac->peer_ip)) != NULL) {
		kg_info(ac->log, "User %s from %s not allowed because %s", name, ac->peer_ip, why);
		ok = 0;
	} else if (!ok) {
		kg_info(ac->log, "Invalid user %s from %s port %d", name, ac->peer_ip, ac->peer_port);
	}
	ac->user_valid = ok;
	return ok ? &ac->user : NULL;
}

static int pubkey_allowed(kg_svr_authcheck *ac, const char *user, const kg_key *key, int final)
{
	const kg_server_config *cfg = ac->cfg;
	const kg_spawn_user *u = svr_user(ac, user);
	if (!u || !cfg->pubkey_authentication)
		return KG_ERR_AUTH_FAILED;
	if (u->uid == 0 && cfg->permit_root_login == KG_ROOT_NO) {
		kg_info(ac->log, "ROOT LOGIN REFUSED FROM %s port %d", ac->peer_ip, ac->peer_port);
		return KG_ERR_AUTH_FAILED;
	}
	if (kg_account_usable(u->name, cfg->use_pam == 1, ac->peer_ip) != KG_OK) {
		kg_info(ac->log, "User %s not allowed because account is locked or expired", u->name);
		return KG_ERR_AUTH_FAILED;
	}
	char fp[KG_KEY_FP_LEN];
	if (kg_key_fingerprint(key, fp, sizeof(fp)) < 0)
		snprintf(fp, sizeof(fp), "?");
	for (size_t i = 0; i < cfg->authorized_keys_files.n; i++) {
		if (strcasecmp(cfg->authorized_keys_files.v[i], "none") == 0)
			continue;
		char *path = NULL, *text = NULL;
		size_t len = 0;
		kg_cfg_err err = { { 0 } };
		if (kg_server_expand_authorized_keys(cfg->authorized_keys_files.v[i], u->home, u->name, &path) < 0)
			continue;
		/* Read with the user's own permissions, as OpenSSH does. */
		kg_user_id as_user;
		int r = kg_user_id_enter(&as_user, u);
		if (r >= 0)
			r = kg_authorized_keys_read(path, cfg->strict_modes == 1, u->uid, u->home, &text, &len, &err);
		if (kg_user_id_leave(&as_user) < 0) {
			kg_error(ac->log, "fatal: cannot restore the server's identity after reading %s", path);
			_exit(255);
		}
		if (r < 0) {
			if (r != KG_ERR_NOT_FOUND)
				kg_info(ac->log, "Authentication refused: %s", err.msg[0] ? err.msg : kg_err_str(r));
			free(path);
			continue;
		}
		kg_ak_result res;
		memset(&res, 0, sizeof(res));
		r = kg_authorized_keys_find(text, len, path, key, ac->peer_ip, NULL, time(NULL), &res);
		free(text);
		if (r < 0) {
			if (res.note.msg[0])
				kg_info(ac->log, "%s", res.note.msg);
			kg_ak_opts_free(&res.opts);
			free(path);
			continue;
		}
		if (u->uid == 0 && cfg->permit_root_login == KG_ROOT_FORCED_COMMANDS_ONLY && !res.opts.command) {
			kg_info(ac->log, "Root login accepted for forced command only; key without command= refused");
			kg_ak_opts_free(&res.opts);
			free(path);
			return KG_ERR_AUTH_FAILED;
		}
		kg_debug(ac->log, "%s:%zu: matching key found: %s %s", path, res.line, kg_key_type_short(key->type), fp);
		free(path);
		if (!final) {
			kg_ak_opts_free(&res.opts);
			return KG_OK;
		}
		if (ac->have_ak_opts)
			kg_ak_opts_free(&ac->ak_opts);
		ac->ak_opts = res.opts;
		ac->have_ak_opts = 1;
		kg_info(ac->log, "Accepted publickey for %s from %s port %d ssh2: %s %s", user, ac->peer_ip, ac->peer_port,
			kg_key_type_short(key->type), fp);
		return KG_OK;
	}
	if (final)
		kg_info(ac->log, "Failed publickey for %s from %s port %d ssh2: %s %s", user, ac->peer_ip, ac->peer_port,
			kg_key_type_short(key->type), fp);
	return KG_ERR_AUTH_FAILED;
}

/* Every refused key takes at least the user name's minimum failure time. */
int kg_svr_check_pubkey(kg_svr_authcheck *ac, const char *user, const kg_key *key, int final)
{
	uint64_t start = kg_fail_delay_now();
	int r = pubkey_allowed(ac, user, key, final);
	if (r != KG_OK)
		kg_fail_delay_wait(start, kg_fail_delay_for(ac->ctx->fail_salt, user));
	return r;
}

/* A user that must not get in goes through PAM all the same (with a
 * password that cannot match), so the failure takes as long as a wrong
 * password for a real account; every failure then takes at least
 * KG_FAIL_DELAY_PASSWORD_NS plus the user name's minimum failure time.
 * enabled: the method is on; method names it in the log. */
static int password_verdict(kg_svr_authcheck *ac, const char *user, const char *password, int enabled,
			    const char *method)
{
	const kg_server_config *cfg = ac->cfg;
	uint64_t start = kg_fail_delay_now();
	const kg_spawn_user *u = svr_user(ac, user);
	int ok = 0;
	if (!u || !enabled) {
		kg_password_fail(user, password, ac->peer_ip);
	} else if (u->uid == 0 && cfg->permit_root_login != KG_ROOT_YES) {
		kg_password_fail(user, password, ac->peer_ip);
		kg_info(ac->log, "ROOT LOGIN REFUSED FROM %s port %d", ac->peer_ip, ac->peer_port);
	} else if (password[0] == '\0' && !cfg->permit_empty_passwords) {
		kg_password_fake_check(password);
	} else {
		ok = kg_password_check(user, password, NULL, ac->peer_ip) == KG_OK;
	}
	if (ok) {
		kg_info(ac->log, "Accepted %s for %s from %s port %d ssh2", method, user, ac->peer_ip, ac->peer_port);
		return KG_OK;
	}
	/* pamsess: say why when the account itself is closed (the client
	 * learns nothing more; the failure time below covers this check). */
	if (u && enabled && kg_account_usable(u->name, cfg->use_pam == 1, ac->peer_ip) != KG_OK)
		kg_info(ac->log, "User %s not allowed because account is locked or expired", u->name);
	kg_info(ac->log, "Failed %s for %s%s from %s port %d ssh2", method, u ? "" : "invalid user ", user,
		ac->peer_ip, ac->peer_port);
	kg_fail_delay_wait(start, KG_FAIL_DELAY_PASSWORD_NS + kg_fail_delay_for(ac->ctx->fail_salt, user));
	return KG_ERR_AUTH_FAILED;
}

int kg_svr_check_password(kg_svr_authcheck *ac, const char *user, const char *password)
{
	return password_verdict(ac, user, password, ac->cfg->password_authentication != 0, "password");
}

/* keyboard-interactive: PAM's own conversation (its prompts relayed to
 * the client) when UsePAM is on and the user may try; otherwise one
 * "Password: " prompt checked as a password is, which is also what an
 * unknown or refused user gets, so the exchange and its failure time look
 * the same either way. */
static int kbd_pam_result(kg_svr_authcheck *ac, const char *user, int verdict, uint64_t start)
{
	if (verdict == KG_KBD_ASK)
		return verdict;
	if (verdict == KG_KBD_OK) {
		kg_info(ac->log, "Accepted keyboard-interactive/pam for %s from %s port %d ssh2", user, ac->peer_ip,
			ac->peer_port);
		return KG_KBD_OK;
	}
	kg_info(ac->log, "Failed keyboard-interactive/pam for %s from %s port %d ssh2", user, ac->peer_ip,
		ac->peer_port);
	kg_pam_kbd_end(&ac->kbd);
	kg_fail_delay_wait(start, KG_FAIL_DELAY_PASSWORD_NS + kg_fail_delay_for(ac->ctx->fail_salt, user));
	return KG_ERR_AUTH_FAILED;
}

int kg_svr_check_kbd_start(kg_svr_authcheck *ac, const char *user, const char *devices, kg_kbd_request *q)
{
	const kg_server_config *cfg;
	uint64_t start = kg_fail_delay_now();
	(void)devices;  /* every device name means the same here: PAM, or the password */
	const kg_spawn_user *u = svr_user(ac, user);
	cfg = ac->cfg;
	ac->kbd_fixed = 0;
	if (u && cfg->use_pam == 1 && cfg->kbd_interactive_authentication &&
	    !(u->uid == 0 && cfg->permit_root_login != KG_ROOT_YES) &&
	    kg_pam_kbd_start(&ac->kbd, u->name, NULL, ac->peer_ip, cfg->permit_empty_passwords == 1) == KG_OK)
		return kbd_pam_result(ac, user, kg_pam_kbd_next(&ac->kbd, q), start);
	ac->kbd_fixed = 1;
	return kg_kbd_request_add(q, "Password: ", 0);
}

int kg_svr_check_kbd_answer(kg_svr_authcheck *ac, const char *user, const kg_kbd_response *r, kg_kbd_request *q)
{
	uint64_t start = kg_fail_delay_now();
	if (ac->kbd_fixed)
		return password_verdict(ac, user, r->n == 1 ? r->answers[0] : "", ac->cfg->kbd_interactive_authentication,
					"keyboard-interactive") == KG_OK ? KG_KBD_OK : KG_ERR_AUTH_FAILED;
	int v = kg_pam_kbd_answer(&ac->kbd, r);
	if (v >= 0)
		v = kg_pam_kbd_next(&ac->kbd, q);
	return kbd_pam_result(ac, user, v, start);
}

void kg_svr_check_kbd_end(kg_svr_authcheck *ac)
{
	kg_pam_kbd_end(&ac->kbd);
	ac->kbd_fixed = 0;
}


int kg_svr_check_pubkey_signed(kg_svr_authcheck *ac, const uint8_t *sid, size_t sid_len, const char *user,
			       const char *alg, const uint8_t *blob, size_t blob_len, const uint8_t *sig,
			       size_t sig_len)
{
	kg_key *key = NULL;
	kg_buf data;
	kg_buf_init(&data, 0);
	int r = ac->ctx->pubkey_algs && kg_namelist_has(ac->ctx->pubkey_algs, alg) ? KG_OK : KG_ERR_AUTH_FAILED;
	if (r >= 0)
		r = kg_key_from_blob(blob, blob_len, &key);
	if (r >= 0 && !kg_key_sigalg_ok(key, alg))
		r = KG_ERR_AUTH_FAILED;
	if (r >= 0)
		r = kg_auth_pubkey_signed_data(sid, sid_len, user, KG_AUTH_SERVICE, alg, blob, blob_len, &data);
	if (r >= 0)
		r = kg_key_verify(key, alg, sig, sig_len, kg_buf_ptr(&data), kg_buf_len(&data));
	if (r >= 0)
		r = kg_svr_check_pubkey(ac, user, key, 1);
	kg_buf_free(&data);
	kg_key_free(key);
	return r >= 0 ? KG_OK : KG_ERR_AUTH_FAILED;
}
