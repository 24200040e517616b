/* ksshd's monitor: answers the unprivileged processes' requests — signatures with the host keys, the authentication checks, pty records — after checking each against the connection's state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sys/pty.h"
#include <openssl/crypto.h>
#include "core/names.h"
#include "conn/svr-hostkeys.h"
#include "conn/svr-monitor.h"

void kg_svr_monitor_init(kg_svr_monitor *m, const kg_svr_ctx *ctx, kg_logger *log, kg_svr_authcheck *ac)
{
	memset(m, 0, sizeof(*m));
	m->ctx = ctx;
	m->log = log;
	m->ac = ac;
	m->phase = KG_MON_PHASE_PREAUTH;
}

void kg_svr_monitor_free(kg_svr_monitor *m)
{
	if (m->state) {
		OPENSSL_cleanse(m->state, m->state_len);
		free(m->state);
	}
	m->state = NULL;
	m->state_len = 0;
}

static int refuse(kg_svr_monitor *m, const char *why)
{
	snprintf(m->why, sizeof(m->why), "%s", why);
	return KG_ERR_PROTOCOL;
}

static int reply(kg_svr_monitor *m, kg_buf *out, uint8_t type, int status, const uint8_t *p, size_t n)
{
	return kg_mon_put_reply(out, type, status, m->ac->user_valid, p, n);
}

/* hostkeys-prove-00's signed data for this session and key, exactly. */
static int is_proof_of(const kg_svr_monitor *m, const kg_key *key, const uint8_t *data, size_t len)
{
	kg_buf blob, want;
	kg_buf_init(&blob, 0);
	kg_buf_init(&want, 0);
	int ok = kg_key_to_blob(key, &blob) == KG_OK &&
		 kg_hostkeys_prove_data(m->session_id, m->sid_len, kg_buf_ptr(&blob), kg_buf_len(&blob), &want) == KG_OK &&
		 kg_buf_len(&want) == len && memcmp(kg_buf_ptr(&want), data, len) == 0;
	kg_buf_free(&blob);
	kg_buf_free(&want);
	return ok;
}

/* Signs an exchange hash (the first one is the session id: remembered)
 * or a host key proof for this session; nothing else. */
static int do_sign(kg_svr_monitor *m, const kg_mon_req *q, kg_buf *out)
{
	if (q->index >= m->ctx->n_hostkeys)
		return refuse(m, "no such host key");
	const kg_key *key = m->ctx->hostkeys[q->index];
	const char *alg = q->alg[0] ? q->alg : NULL;
	if (q->purpose == KG_MON_SIGN_KEX) {
		if (!alg || !kg_namelist_has(m->ctx->hostkey_algs, alg) || !kg_key_sigalg_ok(key, alg))
			return refuse(m, "host key algorithm not offered");
		if (q->data_len != 20 && q->data_len != 32 && q->data_len != 48 && q->data_len != 64)
			return refuse(m, "not an exchange hash");
		if (m->sid_len == 0) {
			if (m->phase != KG_MON_PHASE_PREAUTH)
				return refuse(m, "no session id");
			memcpy(m->session_id, q->data, q->data_len);
			m->sid_len = q->data_len;
		}
	} else {
		if (m->sid_len == 0 || m->phase != KG_MON_PHASE_POSTAUTH || !is_proof_of(m, key, q->data, q->data_len))
			return refuse(m, "not a host key proof of this session");
		if (alg && !kg_key_sigalg_ok(key, alg))
			return refuse(m, "algorithm does not fit the host key");
	}
	kg_buf sig;
	kg_buf_init(&sig, 0);
	int r = kg_key_sign(key, alg, q->data, q->data_len, &sig);
	r = r < 0 ? reply(m, out, q->type, r, NULL, 0) : reply(m, out, q->type, KG_OK, kg_buf_ptr(&sig), kg_buf_len(&sig));
	kg_buf_free(&sig);
	return r;
}

/* The outcome of one method's check: a success is remembered (auth-done
 * must name it), a failure counts toward MaxAuthTries, past which the
 * monitor stops answering, whatever the child says it counted. */
static int verdict(kg_svr_monitor *m, kg_buf *out, uint8_t type, int r, const char *method,
		   const uint8_t *payload, size_t n)
{
	int kbd = type == KG_MON_KBD_START || type == KG_MON_KBD_ANSWER;
	int success = kbd ? r == KG_KBD_OK : r == KG_OK;
	if (type == KG_MON_PUBKEY_QUERY) {
		/* a query decides nothing */
	} else if (success) {
		m->authenticated = 1;
		snprintf(m->method, sizeof(m->method), "%s", method);
	} else if (r < 0) {
		m->failures++;
	}
	return reply(m, out, type, r, payload, n);
}

static int max_failures(const kg_svr_monitor *m)
{
	int max = m->ac->cfg->max_auth_tries > 0 ? m->ac->cfg->max_auth_tries : 6;
	return max + 1;  /* the child disconnects at max; one more is never honest */
}

static int do_kbd(kg_svr_monitor *m, const kg_mon_req *q, kg_buf *out)
{
	kg_kbd_request kq;
	memset(&kq, 0, sizeof(kq));
	int r;
	if (q->type == KG_MON_KBD_START) {
		if (m->kbd_active)
			return refuse(m, "keyboard-interactive already running");
		m->kbd_active = 1;
		r = kg_svr_check_kbd_start(m->ac, q->user, q->devices, &kq);
	} else {
		if (!m->kbd_active)
			return refuse(m, "no keyboard-interactive running");
		kg_kbd_response resp;
		r = kg_kbd_response_decode(q->data, q->data_len, &resp);
		if (r < 0)
			return refuse(m, "malformed keyboard-interactive answers");
		r = kg_svr_check_kbd_answer(m->ac, q->user, &resp, &kq);
		kg_kbd_response_free(&resp);
	}
	kg_buf enc;
	kg_buf_init(&enc, 0);
	if (r == KG_KBD_ASK && kg_kbd_request_encode(&kq, &enc) < 0)
		r = KG_ERR_AUTH_FAILED;
	kg_kbd_request_free(&kq);
	r = verdict(m, out, q->type, r, "keyboard-interactive", kg_buf_ptr(&enc), kg_buf_len(&enc));
	kg_buf_free(&enc);
	return r;
}

/* The name the child gives must be the one the monitor looked up. */
static int same_user(kg_svr_monitor *m, const char *user)
{
	return !m->ac->user_name || strcmp(m->ac->user_name, user) == 0;
}

static int preauth(kg_svr_monitor *m, const kg_mon_req *q, kg_buf *out)
{
	if (++m->requests > KG_MON_MAX_PREAUTH_REQUESTS)
		return refuse(m, "too many requests");
	if (m->authenticated && q->type != KG_MON_AUTH_DONE && q->type != KG_MON_SIGN && q->type != KG_MON_KBD_END)
		return refuse(m, "authentication request after success");
	if (q->user[0] && !same_user(m, q->user))
		return refuse(m, "a second user");
	if ((int)m->failures >= max_failures(m) && q->type != KG_MON_AUTH_DONE && q->type != KG_MON_SIGN &&
	    q->type != KG_MON_KBD_END)
		return refuse(m, "more failures than MaxAuthTries");
	switch (q->type) {
	case KG_MON_PUBKEY_QUERY: {
		kg_key *key = NULL;
		int r = kg_key_from_blob(q->blob, q->blob_len, &key);
		if (r >= 0)
			r = kg_svr_check_pubkey(m->ac, q->user, key, 0);
		kg_key_free(key);
		return verdict(m, out, q->type, r, "publickey", NULL, 0);
	}
	case KG_MON_PUBKEY_VERIFY:
		if (m->sid_len == 0)
			return refuse(m, "authentication before the key exchange");
		return verdict(m, out, q->type,
			       kg_svr_check_pubkey_signed(m->ac, m->session_id, m->sid_len, q->user, q->alg, q->blob,
							  q->blob_len, q->sig, q->sig_len),
			       "publickey", NULL, 0);
	case KG_MON_PASSWORD: {
		if (m->sid_len == 0)
			return refuse(m, "authentication before the key exchange");
		char *pw = malloc(q->secret_len + 1);
		if (!pw)
			return KG_ERR_ALLOC;
		memcpy(pw, q->secret, q->secret_len);
		pw[q->secret_len] = '\0';
		int r = kg_svr_check_password(m->ac, q->user, pw);
		OPENSSL_cleanse(pw, q->secret_len);
		free(pw);
		return verdict(m, out, q->type, r, "password", NULL, 0);
	}
	case KG_MON_KBD_START:
	case KG_MON_KBD_ANSWER:
		if (m->sid_len == 0)
			return refuse(m, "authentication before the key exchange");
		return do_kbd(m, q, out);
	case KG_MON_KBD_END:
		if (m->kbd_active)
			kg_svr_check_kbd_end(m->ac);
		m->kbd_active = 0;
		return reply(m, out, q->type, KG_OK, NULL, 0);
	case KG_MON_AUTH_DONE:
		if (!m->authenticated || !m->ac->user_valid || !m->ac->user_name ||
		    strcmp(m->ac->user_name, q->user) != 0 || strcmp(m->method, q->method) != 0)
			return refuse(m, "auth-done without that success");
		m->state = malloc(q->state_len ? q->state_len : 1);
		if (!m->state)
			return KG_ERR_ALLOC;
		memcpy(m->state, q->state, q->state_len);
		m->state_len = q->state_len;
		m->done = 1;
		return reply(m, out, q->type, KG_OK, NULL, 0);
	default:
		return refuse(m, "unexpected request");
	}
}

/* A pty the monitor opened for this connection, still the user's. */
static int pty_ok(const kg_svr_monitor *m, const char *tty)
{
	struct stat st;
	int mine = 0;
	for (unsigned i = 0; i < m->ptys_opened && i < KG_MON_MAX_PTYS && !mine; i++)
		mine = strcmp(m->ptys[i], tty) == 0;
	return mine && stat(tty, &st) == 0 && S_ISCHR(st.st_mode) && st.st_uid == m->user_uid;
}

/* A pty for a session: opened here, as root, given to the user. */
static int pty_open(kg_svr_monitor *m, const kg_mon_req *q, kg_buf *out)
{
	char name[sizeof(m->ptys[0])];
	int master, slave;
	if (m->ptys_opened >= KG_MON_MAX_PTYS)
		return reply(m, out, q->type, KG_ERR_TOO_LARGE, NULL, 0);
	int r = kg_pty_open(&master, &slave, name, sizeof(name));
	if (r < 0)
		return reply(m, out, q->type, r, NULL, 0);
	kg_pty_set_owner(slave, m->user_uid, m->user_gid);
	memcpy(m->ptys[m->ptys_opened++], name, sizeof(name));  /* ptsname_r NUL-terminated it */
	m->pass_fds[0] = master;
	m->pass_fds[1] = slave;
	m->n_pass_fds = 2;
	return reply(m, out, q->type, KG_OK, (const uint8_t *)name, strlen(name));
}

static int postauth(kg_svr_monitor *m, const kg_mon_req *q, kg_buf *out)
{
	char msg[4608] = "";
	switch (q->type) {
	case KG_MON_PTY_STARTED:
		if (!pty_ok(m, q->tty))
			return refuse(m, "not the user's pty");
		kg_svr_login_pty_started(m->login, (pid_t)q->pid, q->tty, q->greet, msg, sizeof(msg));
		return reply(m, out, q->type, KG_OK, (const uint8_t *)msg, strlen(msg));
	case KG_MON_PTY_ENDED:
		kg_svr_login_pty_ended(m->login, (pid_t)q->pid);
		return reply(m, out, q->type, KG_OK, NULL, 0);
	case KG_MON_PTY_OPEN:
		return pty_open(m, q, out);
	default:
		return refuse(m, "unexpected request");
	}
}

int kg_svr_monitor_handle(kg_svr_monitor *m, const uint8_t *p, size_t len, kg_buf *out)
{
	kg_mon_req *q = malloc(sizeof(*q));
	if (!q)
		return KG_ERR_ALLOC;
	int r = kg_mon_parse(p, len, q);
	if (r < 0)
		r = refuse(m, "malformed request");
	else if (!kg_mon_allowed(m->phase, q->type))
		r = refuse(m, m->phase == KG_MON_PHASE_PREAUTH ? "request not allowed before authentication"
							      : "request not allowed after authentication");
	else if (q->type == KG_MON_SIGN)
		r = do_sign(m, q, out);
	else
		r = m->phase == KG_MON_PHASE_PREAUTH ? preauth(m, q, out) : postauth(m, q, out);
	OPENSSL_cleanse(q, sizeof(*q));
	free(q);
	return r;
}
