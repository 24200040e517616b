/* Client half of user authentication (RFC 4252): "none" to learn the
 * methods, then each public key (offered first without a signature, signed
 * only once the server says it would accept it), then keyboard-interactive
 * (RFC 4256), then the password: the order OpenSSH's client uses. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "core/auth.h"
#include "core/names.h"

enum cli_state { CLI_SERVICE, CLI_NONE, CLI_PK_QUERY, CLI_PK_SIGNED, CLI_KBD, CLI_PASSWORD, CLI_DONE };

struct kg_cli_auth {
	kg_cli_auth_config cfg;
	kg_transport *t;
	enum cli_state state;
	size_t next_id;          /* identity to try next */
	const char *alg;         /* signature algorithm of the key in flight */
	int password_tries;
	int kbd_tries;           /* keyboard-interactive requests sent */
	int kbd_answered;        /* an INFO_REQUEST was answered in this attempt */
	const char *method;      /* method that succeeded */
	char *methods;           /* last list from the server */
};

static void emit(kg_cli_auth *a, enum kg_cli_auth_event_type type, const char *text,
		 const kg_cli_identity *id, const char *alg)
{
	if (!a->cfg.event)
		return;
	kg_cli_auth_event ev = { .type = type, .text = text, .id = id, .alg = alg };
	a->cfg.event(a->cfg.cb_arg, &ev);
}

static void emit_err(kg_cli_auth *a, enum kg_cli_auth_event_type type, const kg_cli_identity *id, int err)
{
	if (!a->cfg.event)
		return;
	kg_cli_auth_event ev = { .type = type, .id = id, .alg = a->alg, .err = err };
	a->cfg.event(a->cfg.cb_arg, &ev);
}

/* Starts a USERAUTH_REQUEST up to and including the method name. */
static int begin_request(kg_cli_auth *a, const char *method, kg_buf **b)
{
	GUARD(kg_sink_begin(kg_tr_sink(a->t), SSH_MSG_USERAUTH_REQUEST, b));
	GUARD(kg_buf_put_cstring(*b, a->cfg.user));
	GUARD(kg_buf_put_cstring(*b, KG_AUTH_SERVICE));
	return kg_buf_put_cstring(*b, method);
}

/* RSA keys sign with SHA-2 only; prefer what the server said it takes. */
static const char *pick_sigalg(const kg_cli_auth *a, const kg_key *k)
{
	if (k->type != KG_KEY_RSA)
		return kg_key_type_name(k->type);
	const char *server = kg_tr_server_sig_algs(a->t);
	if (server && !kg_namelist_has(server, "rsa-sha2-512") && kg_namelist_has(server, "rsa-sha2-256"))
		return "rsa-sha2-256";
	return "rsa-sha2-512";
}

static int offer_key(kg_cli_auth *a, kg_cli_identity *id)
{
	kg_buf blob, *b;
	kg_buf_init(&blob, 0);
	a->alg = pick_sigalg(a, id->pub);
	int r;
	GUARD_GOTO(r, kg_key_to_blob(id->pub, &blob), out);
	GUARD_GOTO(r, begin_request(a, "publickey", &b), out);
	GUARD_GOTO(r, kg_buf_put_bool(b, 0), out);
	GUARD_GOTO(r, kg_buf_put_cstring(b, a->alg), out);
	GUARD_GOTO(r, kg_buf_put_stringb(b, &blob), out);
	GUARD_GOTO(r, kg_sink_end(kg_tr_sink(a->t)), out);
	a->state = CLI_PK_QUERY;
	emit(a, KG_AUTH_EV_KEY_OFFERED, NULL, id, a->alg);
out:
	kg_buf_free(&blob);
	return r;
}

static int send_password(kg_cli_auth *a)
{
	char pw[1024];
	int r = a->cfg.get_password ? a->cfg.get_password(a->cfg.cb_arg, pw, sizeof(pw)) : KG_ERR_AUTH_FAILED;
	if (r < 0) {
		OPENSSL_cleanse(pw, sizeof(pw));
		emit(a, KG_AUTH_EV_NO_PROMPT, "password", NULL, NULL);
		return KG_ERR_AUTH_FAILED;
	}
	pw[sizeof(pw) - 1] = '\0';
	kg_buf *b;
	GUARD_GOTO(r, begin_request(a, "password", &b), out);
	GUARD_GOTO(r, kg_buf_put_bool(b, 0), out);
	GUARD_GOTO(r, kg_buf_put_cstring(b, pw), out);
	GUARD_GOTO(r, kg_sink_end(kg_tr_sink(a->t)), out);
	a->password_tries++;
	a->state = CLI_PASSWORD;
	emit(a, KG_AUTH_EV_PASSWORD_SENT, NULL, NULL, NULL);
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	return r;
}

static int send_kbd_request(kg_cli_auth *a)
{
	kg_buf *b;
	GUARD(begin_request(a, "keyboard-interactive", &b));
	GUARD(kg_buf_put_cstring(b, ""));  /* language tag */
	GUARD(kg_buf_put_cstring(b, a->cfg.kbd_devices ? a->cfg.kbd_devices : ""));
	GUARD(kg_sink_end(kg_tr_sink(a->t)));
	a->kbd_tries++;
	a->kbd_answered = 0;
	a->state = CLI_KBD;
	return 0;
}

/* Terminal control characters from the server are shown as '?'. */
static void sanitise(char *s)
{
	for (; s && *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t') || *s == 0x7f)
			*s = '?';
}

static int on_info_request(kg_cli_auth *a, const uint8_t *payload, size_t len)
{
	kg_kbd_request q;
	kg_kbd_response resp;
	GUARD(kg_kbd_request_decode(payload + 1, len - 1, &q));
	sanitise(q.name);
	sanitise(q.instruction);
	for (size_t i = 0; i < q.n; i++)
		sanitise(q.prompts[i].text);
	memset(&resp, 0, sizeof(resp));
	int r = a->cfg.kbd_answer ? a->cfg.kbd_answer(a->cfg.cb_arg, &q, &resp) : KG_ERR_AUTH_FAILED;
	if (r >= 0 && resp.n != q.n)
		r = KG_ERR_INTERNAL;
	kg_kbd_request_free(&q);
	if (r < 0) {
		kg_kbd_response_free(&resp);
		emit(a, KG_AUTH_EV_NO_PROMPT, "keyboard-interactive", NULL, NULL);
		a->state = CLI_DONE;
		return KG_ERR_AUTH_FAILED;
	}
	kg_buf *b;
	r = kg_sink_begin(kg_tr_sink(a->t), SSH_MSG_USERAUTH_INFO_RESPONSE, &b);
	if (r >= 0)
		r = kg_kbd_response_encode(&resp, b);
	if (r >= 0)
		r = kg_sink_end(kg_tr_sink(a->t));
	a->kbd_answered = 1;
	kg_kbd_response_free(&resp);
	if (r >= 0)
		emit(a, KG_AUTH_EV_KBD_SENT, NULL, NULL, NULL);
	return r < 0 ? r : 0;
}

/* Picks the next method the server still allows. */
static int next_attempt(kg_cli_auth *a)
{
	const char *m = a->methods ? a->methods : "";
	if (a->cfg.try_pubkey && kg_namelist_has(m, "publickey")) {
		while (a->next_id < a->cfg.n_ids) {
			kg_cli_identity *id = &a->cfg.ids[a->next_id];
			if (id->pub)
				return offer_key(a, id);
			a->next_id++;
		}
	}
	int prompts = a->cfg.password_prompts > 0 ? a->cfg.password_prompts : 3;
	if (a->cfg.try_kbd && kg_namelist_has(m, "keyboard-interactive") && a->kbd_tries < prompts)
		return send_kbd_request(a);
	if (a->cfg.try_password && kg_namelist_has(m, "password") && a->password_tries < prompts)
		return send_password(a);
	a->state = CLI_DONE;
	return KG_ERR_AUTH_FAILED;
}

static int sign_and_send(kg_cli_auth *a, kg_cli_identity *id)
{
	const int agent = id->from_agent && !id->priv && a->cfg.agent_sign;
	int lr = KG_OK;
	if (!agent && !id->priv && a->cfg.load_private && (lr = a->cfg.load_private(a->cfg.cb_arg, id)) < 0)
		id->priv = NULL;
	if (!agent && (!id->priv || !kg_key_equal_public(id->priv, id->pub))) {
		emit_err(a, KG_AUTH_EV_KEY_UNUSABLE, id, lr < 0 ? lr : KG_ERR_FORMAT);
		a->next_id++;
		return next_attempt(a);
	}
	kg_buf blob, data, sig, *b;
	kg_buf_init(&blob, 0);
	kg_buf_init(&data, 0);
	kg_buf_init(&sig, 0);
	size_t sid_len;
	const uint8_t *sid = kg_tr_session_id(a->t, &sid_len);
	int r;
	GUARD_GOTO(r, kg_key_to_blob(id->pub, &blob), out);
	GUARD_GOTO(r, kg_auth_pubkey_signed_data(sid, sid_len, a->cfg.user, KG_AUTH_SERVICE, a->alg,
						 kg_buf_ptr(&blob), kg_buf_len(&blob), &data), out);
	if (agent) {
		r = a->cfg.agent_sign(a->cfg.cb_arg, id, a->alg, kg_buf_ptr(&data), kg_buf_len(&data), &sig);
		/* The agent must answer with the algorithm asked for. */
		if (r >= 0)
			r = kg_key_verify(id->pub, a->alg, kg_buf_ptr(&sig), kg_buf_len(&sig), kg_buf_ptr(&data),
					  kg_buf_len(&data));
		if (r < 0) {
			kg_buf_free(&blob);
			kg_buf_free(&data);
			kg_buf_free(&sig);
			emit_err(a, KG_AUTH_EV_KEY_UNUSABLE, id, r);
			a->next_id++;
			return next_attempt(a);
		}
	} else {
		GUARD_GOTO(r, kg_key_sign(id->priv, a->alg, kg_buf_ptr(&data), kg_buf_len(&data), &sig), out);
	}
	GUARD_GOTO(r, begin_request(a, "publickey", &b), out);
	GUARD_GOTO(r, kg_buf_put_bool(b, 1), out);
	GUARD_GOTO(r, kg_buf_put_cstring(b, a->alg), out);
	GUARD_GOTO(r, kg_buf_put_stringb(b, &blob), out);
	GUARD_GOTO(r, kg_buf_put_stringb(b, &sig), out);
	GUARD_GOTO(r, kg_sink_end(kg_tr_sink(a->t)), out);
	a->state = CLI_PK_SIGNED;
	emit(a, KG_AUTH_EV_KEY_SIGNED, NULL, id, a->alg);
out:
	kg_buf_free(&blob);
	kg_buf_free(&data);
	kg_buf_free(&sig);
	return r;
}

int kg_cli_auth_start(kg_cli_auth **out, const kg_cli_auth_config *cfg, kg_transport *t)
{
	kg_cli_auth *a = calloc(1, sizeof(*a));
	ENSURE(a != NULL, KG_ERR_ALLOC);
	a->cfg = *cfg;
	a->t = t;
	kg_buf *b;
	int r = kg_sink_begin(kg_tr_sink(t), SSH_MSG_SERVICE_REQUEST, &b);
	if (r >= 0 && (r = kg_buf_put_cstring(b, "ssh-userauth")) >= 0)
		r = kg_sink_end(kg_tr_sink(t));
	if (r < 0) {
		free(a);
		return r;
	}
	*out = a;
	return KG_OK;
}

static void emit_failure(kg_cli_auth *a, const char *method, const kg_cli_identity *id, int partial)
{
	if (!a->cfg.event)
		return;
	kg_cli_auth_event ev = { .type = KG_AUTH_EV_FAILURE, .text = method, .id = id, .alg = id ? a->alg : NULL,
				 .partial = partial };
	a->cfg.event(a->cfg.cb_arg, &ev);
}

static int on_failure(kg_cli_auth *a, const uint8_t *payload, size_t len)
{
	kg_buf b;
	kg_buf_view(&b, payload + 1, len - 1);
	char *methods = NULL;
	int partial = 0;
	GUARD(kg_buf_get_cstring(&b, &methods, NULL));
	if (kg_buf_get_bool(&b, &partial) < 0)
		partial = 0;
	free(a->methods);
	a->methods = methods;
	switch (a->state) {
	case CLI_PK_QUERY:
		emit(a, KG_AUTH_EV_KEY_REFUSED, NULL, &a->cfg.ids[a->next_id], a->alg);
		a->next_id++;
		break;
	case CLI_PK_SIGNED:
		emit_failure(a, "publickey", &a->cfg.ids[a->next_id], partial);
		a->next_id++;
		break;
	case CLI_PASSWORD:
		emit_failure(a, "password", NULL, partial);
		break;
	case CLI_KBD:
		emit_failure(a, "keyboard-interactive", NULL, partial);
		/* A server that fails the method before asking anything will not
		 * ask the next time either: as OpenSSH, do not repeat it. */
		if (!a->kbd_answered)
			a->kbd_tries = a->cfg.password_prompts > 0 ? a->cfg.password_prompts : 3;
		break;
	case CLI_NONE:
		break;
	default:
		return KG_ERR_UNEXPECTED_MSG;
	}
	emit(a, KG_AUTH_EV_METHODS, methods, NULL, NULL);
	return next_attempt(a);
}

static int on_banner(kg_cli_auth *a, const uint8_t *payload, size_t len)
{
	kg_buf b;
	const uint8_t *msg;
	size_t mlen;
	kg_buf_view(&b, payload + 1, len - 1);
	GUARD(kg_buf_get_string_direct(&b, &msg, &mlen));
	if (mlen > 8192)
		mlen = 8192;
	char *text = malloc(mlen + 1);
	ENSURE(text != NULL, KG_ERR_ALLOC);
	/* Terminal control characters from the server are not passed through;
	 * a CR ending a line (a banner file written on Windows) is dropped. */
	size_t o = 0;
	for (size_t i = 0; i < mlen; i++) {
		if (msg[i] == '\r' && i + 1 < mlen && msg[i + 1] == '\n')
			continue;
		text[o++] = (msg[i] < 0x20 && msg[i] != '\n' && msg[i] != '\t') || msg[i] == 0x7f ? '?' : (char)msg[i];
	}
	text[o] = '\0';
	emit(a, KG_AUTH_EV_BANNER, text, NULL, NULL);
	free(text);
	return 0;
}

static int check_pk_ok(const kg_cli_auth *a, const kg_cli_identity *id, const uint8_t *payload, size_t len)
{
	kg_buf b, mine;
	const uint8_t *alg, *blob;
	size_t alg_len, blob_len;
	kg_buf_view(&b, payload + 1, len - 1);
	GUARD(kg_buf_get_string_direct(&b, &alg, &alg_len));
	GUARD(kg_buf_get_string_direct(&b, &blob, &blob_len));
	ENSURE(kg_buf_len(&b) == 0, KG_ERR_FORMAT);
	ENSURE(alg_len == strlen(a->alg) && memcmp(alg, a->alg, alg_len) == 0, KG_ERR_PROTOCOL);
	kg_buf_init(&mine, 0);
	int r = kg_key_to_blob(id->pub, &mine);
	if (r >= 0 && (kg_buf_len(&mine) != blob_len || memcmp(kg_buf_ptr(&mine), blob, blob_len) != 0))
		r = KG_ERR_PROTOCOL;
	kg_buf_free(&mine);
	return r;
}

int kg_cli_auth_handle(kg_cli_auth *a, uint8_t type, const uint8_t *payload, size_t len)
{
	ENSURE(len >= 1, KG_ERR_FORMAT);
	switch (type) {
	case SSH_MSG_SERVICE_ACCEPT: {
		ENSURE(a->state == CLI_SERVICE, KG_ERR_UNEXPECTED_MSG);
		kg_buf *b;
		GUARD(begin_request(a, "none", &b));
		GUARD(kg_sink_end(kg_tr_sink(a->t)));
		a->state = CLI_NONE;
		return 0;
	}
	case SSH_MSG_USERAUTH_BANNER:
		return on_banner(a, payload, len);
	case SSH_MSG_USERAUTH_FAILURE:
		return on_failure(a, payload, len);
	case SSH_MSG_USERAUTH_SUCCESS:
		ENSURE(a->state == CLI_NONE || a->state == CLI_PK_SIGNED || a->state == CLI_PASSWORD ||
		       a->state == CLI_KBD, KG_ERR_UNEXPECTED_MSG);
		a->method = a->state == CLI_NONE ? "none" : a->state == CLI_PASSWORD ? "password"
			    : a->state == CLI_KBD ? "keyboard-interactive" : "publickey";
		a->state = CLI_DONE;
		emit(a, KG_AUTH_EV_SUCCESS, a->method, NULL, NULL);
		GUARD(kg_tr_set_authenticated(a->t));
		return 1;
	case SSH_MSG_USERAUTH_PK_OK:
		if (a->state == CLI_PK_QUERY) {
			kg_cli_identity *id = &a->cfg.ids[a->next_id];
			/* RFC 4252 7: PK_OK repeats the algorithm and the key offered. */
			GUARD(check_pk_ok(a, id, payload, len));
			emit(a, KG_AUTH_EV_KEY_ACCEPTED, NULL, id, a->alg);
			return sign_and_send(a, id);
		}
		if (a->state == CLI_KBD)  /* INFO_REQUEST */
			return on_info_request(a, payload, len);
		if (a->state == CLI_PASSWORD)  /* PASSWD_CHANGEREQ: not supported */
			return KG_ERR_AUTH_FAILED;
		return KG_ERR_UNEXPECTED_MSG;
	default:
		return KG_ERR_UNEXPECTED_MSG;
	}
}

const char *kg_cli_auth_method(const kg_cli_auth *a)
{
	return a->method;
}

void kg_cli_auth_free(kg_cli_auth *a)
{
	if (!a)
		return;
	free(a->methods);
	free(a);
}
