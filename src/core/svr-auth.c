/* Server half of user authentication (RFC 4252).  Every failure looks the
 * same to the client whatever the reason (unknown user, wrong key, wrong
 * password); the program's callbacks keep the timing alike. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "core/auth.h"
#include "core/names.h"

struct kg_svr_auth {
	kg_svr_auth_config cfg;
	kg_transport *t;
	int service_ok;
	int banner_sent;
	int done;
	int failures;
	char *user;
	const char *method;
	int kbd_pending;         /* an INFO_REQUEST awaits its INFO_RESPONSE */
	int kbd_active;          /* kbd_start called, kbd_end not yet */
	kg_kbd_request kbd_q;    /* the request last sent */
};

int kg_svr_auth_new(kg_svr_auth **out, const kg_svr_auth_config *cfg, kg_transport *t)
{
	kg_svr_auth *a = calloc(1, sizeof(*a));
	ENSURE(a != NULL, KG_ERR_ALLOC);
	a->cfg = *cfg;
	if (a->cfg.max_tries <= 0)
		a->cfg.max_tries = 6;
	a->t = t;
	*out = a;
	return KG_OK;
}

void kg_svr_auth_free(kg_svr_auth *a)
{
	if (!a)
		return;
	if (a->kbd_active && a->cfg.kbd_end)
		a->cfg.kbd_end(a->cfg.cb_arg);
	kg_kbd_request_free(&a->kbd_q);
	free(a->user);
	free(a);
}

const char *kg_svr_auth_user(const kg_svr_auth *a)
{
	return a->user;
}

const char *kg_svr_auth_method(const kg_svr_auth *a)
{
	return a->method;
}

static int fatal(kg_svr_auth *a, uint32_t reason, const char *text, int err)
{
	kg_tr_disconnect(a->t, reason, text);
	return err;
}

static int send_failure(kg_svr_auth *a, int counts)
{
	if (counts && ++a->failures >= a->cfg.max_tries)
		return fatal(a, SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE,
			     "Too many authentication failures", KG_ERR_AUTH_FAILED);
	char methods[64] = "";
	if (a->cfg.allow_pubkey)
		strcat(methods, "publickey");
	if (a->cfg.allow_password)
		strcat(methods, methods[0] ? ",password" : "password");
	if (a->cfg.allow_kbd)
		strcat(methods, methods[0] ? ",keyboard-interactive" : "keyboard-interactive");
	kg_buf *b;
	GUARD(kg_sink_begin(kg_tr_sink(a->t), SSH_MSG_USERAUTH_FAILURE, &b));
	GUARD(kg_buf_put_cstring(b, methods));
	GUARD(kg_buf_put_bool(b, 0));
	GUARD(kg_sink_end(kg_tr_sink(a->t)));
	return 0;
}

static int send_success(kg_svr_auth *a, const char *method)
{
	kg_buf *b;
	GUARD(kg_sink_begin(kg_tr_sink(a->t), SSH_MSG_USERAUTH_SUCCESS, &b));
	GUARD(kg_sink_end(kg_tr_sink(a->t)));
	GUARD(kg_tr_set_authenticated(a->t));
	a->done = 1;
	a->method = method;
	return 1;
}

static int try_publickey(kg_svr_auth *a, kg_buf *b)
{
	int has_sig;
	char *alg = NULL;
	const uint8_t *blob, *sig = NULL;
	size_t blob_len, sig_len = 0;
	GUARD(kg_buf_get_bool(b, &has_sig));
	GUARD(kg_buf_get_cstring(b, &alg, NULL));
	int r = kg_buf_get_string_direct(b, &blob, &blob_len);
	if (r >= 0 && has_sig)
		r = kg_buf_get_string_direct(b, &sig, &sig_len);
	if (r >= 0 && kg_buf_len(b) != 0)
		r = KG_ERR_FORMAT;
	if (r < 0) {
		free(alg);
		return fatal(a, SSH_DISCONNECT_PROTOCOL_ERROR, "malformed publickey request", r);
	}
	kg_key *key = NULL;
	int ok = a->cfg.allow_pubkey && a->cfg.pubkey_algs && kg_namelist_has(a->cfg.pubkey_algs, alg) &&
		 kg_key_from_blob(blob, blob_len, &key) == KG_OK && kg_key_sigalg_ok(key, alg);
	if (ok && !has_sig) {
		ok = a->cfg.check_pubkey(a->cfg.cb_arg, a->user, key, 0) == KG_OK;
		if (ok) {
			kg_buf *m;
			r = kg_sink_begin(kg_tr_sink(a->t), SSH_MSG_USERAUTH_PK_OK, &m);
			if (r >= 0 && (r = kg_buf_put_cstring(m, alg)) >= 0 && (r = kg_buf_put_string(m, blob, blob_len)) >= 0)
				r = kg_sink_end(kg_tr_sink(a->t));
			kg_key_free(key);
			free(alg);
			return r < 0 ? r : 0;
		}
	} else if (ok && a->cfg.verify_pubkey) {
		ok = a->cfg.verify_pubkey(a->cfg.cb_arg, a->user, alg, blob, blob_len, sig, sig_len) == KG_OK;
	} else if (ok) {
		kg_buf data;
		size_t sid_len;
		const uint8_t *sid = kg_tr_session_id(a->t, &sid_len);
		kg_buf_init(&data, 0);
		ok = kg_auth_pubkey_signed_data(sid, sid_len, a->user, KG_AUTH_SERVICE, alg, blob, blob_len, &data) == KG_OK &&
		     kg_key_verify(key, alg, sig, sig_len, kg_buf_ptr(&data), kg_buf_len(&data)) == KG_OK &&
		     a->cfg.check_pubkey(a->cfg.cb_arg, a->user, key, 1) == KG_OK;
		kg_buf_free(&data);
	}
	kg_key_free(key);
	free(alg);
	return ok ? send_success(a, "publickey") : send_failure(a, 1);
}

static int try_password(kg_svr_auth *a, kg_buf *b)
{
	int change;
	char *pw = NULL;
	size_t pwlen = 0;
	GUARD(kg_buf_get_bool(b, &change));
	int r = kg_buf_get_cstring(b, &pw, &pwlen);
	if (r < 0)
		return fatal(a, SSH_DISCONNECT_PROTOCOL_ERROR, "malformed password request", r);
	int ok = a->cfg.allow_password && !change && kg_buf_len(b) == 0 &&
		 a->cfg.check_password(a->cfg.cb_arg, a->user, pw) == KG_OK;
	OPENSSL_cleanse(pw, pwlen);
	free(pw);
	return ok ? send_success(a, "password") : send_failure(a, 1);
}

/* ---------------- keyboard-interactive (RFC 4256) ---------------- */

static void kbd_finish(kg_svr_auth *a)
{
	if (a->kbd_active && a->cfg.kbd_end)
		a->cfg.kbd_end(a->cfg.cb_arg);
	a->kbd_active = 0;
	a->kbd_pending = 0;
	kg_kbd_request_free(&a->kbd_q);
}

/* Acts on what a keyboard-interactive callback decided about a->kbd_q. */
static int kbd_decided(kg_svr_auth *a, int verdict)
{
	if (verdict == KG_KBD_ASK) {
		kg_buf *m;
		GUARD(kg_sink_begin(kg_tr_sink(a->t), SSH_MSG_USERAUTH_INFO_REQUEST, &m));
		GUARD(kg_kbd_request_encode(&a->kbd_q, m));
		GUARD(kg_sink_end(kg_tr_sink(a->t)));
		a->kbd_pending = 1;
		return 0;
	}
	kbd_finish(a);
	return verdict == KG_KBD_OK ? send_success(a, "keyboard-interactive") : send_failure(a, 1);
}

static int try_kbd(kg_svr_auth *a, kg_buf *b)
{
	char *devices = NULL;
	int r = kg_buf_skip_string(b);  /* language tag */
	if (r >= 0)
		r = kg_buf_get_cstring(b, &devices, NULL);
	if (r >= 0 && kg_buf_len(b) != 0)
		r = KG_ERR_FORMAT;
	if (r < 0) {
		free(devices);
		return fatal(a, SSH_DISCONNECT_PROTOCOL_ERROR, "malformed keyboard-interactive request", r);
	}
	if (!a->cfg.allow_kbd || !a->cfg.kbd_start || !a->cfg.kbd_answer) {
		free(devices);
		return send_failure(a, 1);
	}
	a->kbd_active = 1;
	int v = a->cfg.kbd_start(a->cfg.cb_arg, a->user, devices, &a->kbd_q);
	free(devices);
	return kbd_decided(a, v);
}

static int on_info_response(kg_svr_auth *a, const uint8_t *payload, size_t len)
{
	if (!a->kbd_pending)
		return fatal(a, SSH_DISCONNECT_PROTOCOL_ERROR, "unexpected keyboard-interactive response",
			     KG_ERR_UNEXPECTED_MSG);
	a->kbd_pending = 0;
	kg_kbd_response resp;
	int r = kg_kbd_response_decode(payload + 1, len - 1, &resp);
	if (r < 0) {
		kbd_finish(a);
		return fatal(a, SSH_DISCONNECT_PROTOCOL_ERROR, "malformed keyboard-interactive response", r);
	}
	if (resp.n != a->kbd_q.n) {  /* RFC 4256 3.4: the attempt fails */
		kg_kbd_response_free(&resp);
		return kbd_decided(a, KG_ERR_AUTH_FAILED);
	}
	kg_kbd_request_free(&a->kbd_q);
	int v = a->cfg.kbd_answer(a->cfg.cb_arg, a->user, &resp, &a->kbd_q);
	kg_kbd_response_free(&resp);
	return kbd_decided(a, v);
}

static int on_request(kg_svr_auth *a, const uint8_t *payload, size_t len)
{
	if (a->done)
		return 0;  /* RFC 4252 5.1: later requests are ignored */
	if (!a->service_ok)
		return fatal(a, SSH_DISCONNECT_PROTOCOL_ERROR, "userauth before service request", KG_ERR_UNEXPECTED_MSG);
	if (!a->banner_sent && a->cfg.banner_len > 0) {
		/* RFC 4252 5.4: before the first answer, as sshd does. */
		kg_buf *m;
		GUARD(kg_sink_begin(kg_tr_sink(a->t), SSH_MSG_USERAUTH_BANNER, &m));
		GUARD(kg_buf_put_string(m, (const uint8_t *)a->cfg.banner, a->cfg.banner_len));
		GUARD(kg_buf_put_cstring(m, ""));
		GUARD(kg_sink_end(kg_tr_sink(a->t)));
	}
	a->banner_sent = 1;
	if (a->kbd_active)
		kbd_finish(a);  /* RFC 4256 3.4: a new request ends the exchange */
	kg_buf b;
	char *user = NULL, *service = NULL, *method = NULL;
	kg_buf_view(&b, payload + 1, len - 1);
	int r = kg_buf_get_cstring(&b, &user, NULL);
	if (r >= 0)
		r = kg_buf_get_cstring(&b, &service, NULL);
	if (r >= 0)
		r = kg_buf_get_cstring(&b, &method, NULL);
	if (r < 0) {
		r = fatal(a, SSH_DISCONNECT_PROTOCOL_ERROR, "malformed userauth request", r);
		goto out;
	}
	if (strcmp(service, KG_AUTH_SERVICE) != 0) {
		r = fatal(a, SSH_DISCONNECT_SERVICE_NOT_AVAILABLE, "service not available", KG_ERR_PROTOCOL);
		goto out;
	}
	if (a->user == NULL) {
		a->user = user;
		user = NULL;
	} else if (strcmp(a->user, user) != 0) {
		r = fatal(a, SSH_DISCONNECT_PROTOCOL_ERROR, "change of username not allowed", KG_ERR_PROTOCOL);
		goto out;
	}
	if (strcmp(method, "publickey") == 0)
		r = try_publickey(a, &b);
	else if (strcmp(method, "password") == 0)
		r = try_password(a, &b);
	else if (strcmp(method, "keyboard-interactive") == 0)
		r = try_kbd(a, &b);
	else
		r = send_failure(a, strcmp(method, "none") != 0);
out:
	free(user);
	free(service);
	free(method);
	return r;
}

int kg_svr_auth_handle(kg_svr_auth *a, uint8_t type, const uint8_t *payload, size_t len)
{
	ENSURE(len >= 1, KG_ERR_FORMAT);
	if (type == SSH_MSG_SERVICE_REQUEST) {
		kg_buf b;
		char *name = NULL;
		kg_buf_view(&b, payload + 1, len - 1);
		if (kg_buf_get_cstring(&b, &name, NULL) < 0)
			return fatal(a, SSH_DISCONNECT_PROTOCOL_ERROR, "malformed service request", KG_ERR_FORMAT);
		/* A repeated request for ssh-userauth is answered again (paramiko
		 * sends one per auth attempt); any other service is refused. */
		int ok = strcmp(name, "ssh-userauth") == 0 && !a->done;
		free(name);
		if (!ok)
			return fatal(a, SSH_DISCONNECT_SERVICE_NOT_AVAILABLE, "service not available", KG_ERR_PROTOCOL);
		a->service_ok = 1;
		kg_buf *m;
		GUARD(kg_sink_begin(kg_tr_sink(a->t), SSH_MSG_SERVICE_ACCEPT, &m));
		GUARD(kg_buf_put_cstring(m, "ssh-userauth"));
		GUARD(kg_sink_end(kg_tr_sink(a->t)));
		return 0;
	}
	if (type == SSH_MSG_USERAUTH_REQUEST)
		return on_request(a, payload, len);
	if (type == SSH_MSG_USERAUTH_INFO_RESPONSE && !a->done)
		return on_info_response(a, payload, len);
	return fatal(a, SSH_DISCONNECT_PROTOCOL_ERROR, "unexpected message during authentication", KG_ERR_UNEXPECTED_MSG);
}
