/* User authentication end to end in memory: the client half against the
 * server half over two joined transports. */
#include "t.h"
#include "tr_pair.h"
#include "core/auth.h"
#include "sys/pam-kbd.h"

typedef struct world {
	pair p;
	kg_key *user_key, *other_key;
	kg_cli_identity ids[1];
	kg_cli_auth *ca;
	kg_svr_auth *sa;
	const kg_key *allowed;      /* the key the server accepts */
	int final_checks;           /* check_pubkey calls with final=1 */
	const char *password;       /* what the client types */
	int prompts;
	int load_err;               /* what load_private answers */
	int n_ev;                   /* the client's auth events */
	enum kg_cli_auth_event_type ev[64];
	int ev_err[64], ev_partial[64];
} world;

static void record_event(void *arg, const kg_cli_auth_event *e)
{
	world *w = arg;
	if (w->n_ev < 64) {
		w->ev[w->n_ev] = e->type;
		w->ev_err[w->n_ev] = e->err;
		w->ev_partial[w->n_ev] = e->partial;
		w->n_ev++;
	}
}

static int load_private(void *arg, kg_cli_identity *id)
{
	world *w = arg;
	(void)id;
	return w->load_err;
}

/* Index of the first event of this type, or -1. */
static int find_ev(const world *w, enum kg_cli_auth_event_type type)
{
	for (int i = 0; i < w->n_ev; i++)
		if (w->ev[i] == type)
			return i;
	return -1;
}

static int check_pubkey(void *arg, const char *user, const kg_key *key, int final)
{
	world *w = arg;
	if (final)
		w->final_checks++;
	return strcmp(user, "alice") == 0 && w->allowed && kg_key_equal_public(key, w->allowed) ? KG_OK
												: KG_ERR_AUTH_FAILED;
}

static int check_password(void *arg, const char *user, const char *pw)
{
	(void)arg;
	return strcmp(user, "alice") == 0 && strcmp(pw, "right") == 0 ? KG_OK : KG_ERR_AUTH_FAILED;
}

static int get_password(void *arg, char *buf, size_t len)
{
	world *w = arg;
	if (!w->password)
		return KG_ERR_AUTH_FAILED;
	w->prompts++;
	snprintf(buf, len, "%s", w->password);
	return KG_OK;
}

/* Sets up the transports and both auth halves. */
static int world_new(world *w, int pubkey, int password, int max_tries)
{
	memset(w, 0, sizeof(*w));
	int r;
	if ((r = kg_key_generate(KG_KEY_ED25519, 0, &w->p.hostkey)) < 0 ||
	    (r = kg_key_generate(KG_KEY_ED25519, 0, &w->user_key)) < 0 ||
	    (r = kg_key_generate(KG_KEY_ECDSA_P256, 256, &w->other_key)) < 0)
		return r;
	w->p.hostkeys[0] = w->p.hostkey;
	kg_tr_config base = { .kex_algs = "curve25519-sha256", .hostkey_algs = "ssh-ed25519",
			      .ciphers = "aes128-gcm@openssh.com", .macs = "hmac-sha2-256-etm@openssh.com",
			      .compression = "none", .cb_arg = &w->p };
	w->p.cc = base;
	w->p.cc.verify_hostkey = accept_key;
	w->p.sc = base;
	w->p.sc.is_server = 1;
	w->p.sc.hostkeys = w->p.hostkeys;
	w->p.sc.n_hostkeys = 1;
	w->p.sc.server_sig_algs = "ssh-ed25519,ecdsa-sha2-nistp256";
	if ((r = kg_tr_new(&w->p.c, &w->p.cc)) < 0 || (r = kg_tr_new(&w->p.s, &w->p.sc)) < 0)
		return r;
	const uint8_t *m;
	size_t n;
	if ((r = pump(w->p.c, w->p.s, &m, &n, NULL)) != 0 || !kg_tr_ready(w->p.c))
		return r ? r : -1;
	if ((r = kg_key_public_copy(w->user_key, &w->ids[0].pub)) < 0)
		return r;
	w->ids[0].priv = w->user_key;
	w->ids[0].path = "test-key";
	kg_svr_auth_config sc = { .allow_pubkey = pubkey, .allow_password = password, .max_tries = max_tries,
				  .pubkey_algs = "ssh-ed25519,ecdsa-sha2-nistp256", .check_pubkey = check_pubkey,
				  .check_password = check_password, .cb_arg = w };
	kg_cli_auth_config cc = { .user = "alice", .ids = w->ids, .n_ids = 1, .try_pubkey = 1, .try_password = 1,
				  .password_prompts = 3, .get_password = get_password, .load_private = load_private,
				  .event = record_event, .cb_arg = w };
	if ((r = kg_svr_auth_new(&w->sa, &sc, w->p.s)) < 0)
		return r;
	return kg_cli_auth_start(&w->ca, &cc, w->p.c);
}

static void world_free(world *w)
{
	kg_cli_auth_free(w->ca);
	kg_svr_auth_free(w->sa);
	kg_key_free(w->ids[0].pub);
	kg_key_free(w->user_key);
	kg_key_free(w->other_key);
	pair_free(&w->p);
}

static int move(kg_transport *from, kg_transport *to)
{
	size_t n;
	const uint8_t *o = kg_tr_output(from, &n);
	if (n == 0)
		return 0;
	if (kg_tr_input(to, o, n) < 0)
		return -1;
	kg_tr_output_consume(from, n);
	return 1;
}

/* Runs authentication: 1 when the client is in, else the client's or the
 * server's error. *server_in says whether the server agreed. */
static int run(world *w, int *server_in)
{
	*server_in = 0;
	for (int round = 0; round < 1000; round++) {
		int moved = move(w->p.c, w->p.s) + move(w->p.s, w->p.c);
		const uint8_t *p;
		size_t n;
		int r;
		while ((r = kg_tr_read_packet(w->p.s, &p, &n)) > 0) {
			int sr = kg_svr_auth_handle(w->sa, (uint8_t)r, p, n);
			if (sr < 0) {
				move(w->p.s, w->p.c);
				return sr;
			}
			if (sr == 1)
				*server_in = 1;
		}
		while ((r = kg_tr_read_packet(w->p.c, &p, &n)) > 0) {
			int cr = kg_cli_auth_handle(w->ca, (uint8_t)r, p, n);
			if (cr != 0)
				return cr;
		}
		if (r != KG_ERR_AGAIN)
			return r;
		if (!moved)
			return 0;
	}
	return -1;
}

static void test_pubkey_success(void)
{
	world w;
	int in;
	T_OK(world_new(&w, 1, 1, 6));
	w.allowed = w.user_key;
	T_ASSERT(run(&w, &in) == 1 && in);
	T_ASSERT(strcmp(kg_cli_auth_method(w.ca), "publickey") == 0);
	T_ASSERT(strcmp(kg_svr_auth_method(w.sa), "publickey") == 0);
	T_ASSERT(strcmp(kg_svr_auth_user(w.sa), "alice") == 0);
	T_ASSERT(w.final_checks == 1 && w.prompts == 0);
	world_free(&w);
}

static void test_unknown_key_falls_back_to_password(void)
{
	world w;
	int in;
	T_OK(world_new(&w, 1, 1, 6));
	w.allowed = w.other_key;  /* the client's key is not authorised */
	w.password = "right";
	T_ASSERT(run(&w, &in) == 1 && in);
	T_ASSERT(strcmp(kg_cli_auth_method(w.ca), "password") == 0);
	T_ASSERT(w.final_checks == 0 && w.prompts == 1);  /* never signed, asked once */
	world_free(&w);
}

static void test_all_methods_fail(void)
{
	world w;
	int in;
	T_OK(world_new(&w, 1, 1, 10));
	w.allowed = w.other_key;
	w.password = "wrong";
	T_ASSERT(run(&w, &in) == KG_ERR_AUTH_FAILED && !in);
	T_ASSERT(w.prompts == 3);  /* NumberOfPasswordPrompts */
	world_free(&w);
}

static void test_max_tries_disconnects(void)
{
	world w;
	int in;
	T_OK(world_new(&w, 1, 1, 2));
	w.allowed = w.other_key;
	w.password = "wrong";
	int r = run(&w, &in);
	T_ASSERT(r == KG_ERR_AUTH_FAILED && !in);
	T_ASSERT(kg_tr_is_closed(w.p.s));  /* the server gave up after 2 failures */
	T_ASSERT(w.prompts <= 1);
	world_free(&w);
}

static void test_password_disabled_on_server(void)
{
	world w;
	int in;
	T_OK(world_new(&w, 1, 0, 6));
	w.allowed = w.other_key;
	w.password = "right";
	T_ASSERT(run(&w, &in) == KG_ERR_AUTH_FAILED && !in);
	T_ASSERT(w.prompts == 0);  /* the server never offered password */
	world_free(&w);
}

/* The events --explain tells a failure from: a key the server would take
 * but whose private half cannot be loaded, a password that cannot be
 * asked for. */
static void test_failure_events(void)
{
	world w;
	int in;
	T_OK(world_new(&w, 1, 1, 6));
	w.allowed = w.user_key;
	w.ids[0].priv = NULL;
	w.load_err = KG_ERR_KEY_PERMS;
	T_ASSERT(run(&w, &in) == KG_ERR_AUTH_FAILED && !in);
	int acc = find_ev(&w, KG_AUTH_EV_KEY_ACCEPTED), un = find_ev(&w, KG_AUTH_EV_KEY_UNUSABLE);
	int np = find_ev(&w, KG_AUTH_EV_NO_PROMPT);
	T_ASSERT(acc >= 0 && un == acc + 1 && w.ev_err[un] == KG_ERR_KEY_PERMS);
	T_ASSERT(np > un && find_ev(&w, KG_AUTH_EV_KEY_SIGNED) < 0 && find_ev(&w, KG_AUTH_EV_PASSWORD_SENT) < 0);
	world_free(&w);
}

/* Feeds the client half server messages by hand: SERVICE_ACCEPT, then a
 * FAILURE listing publickey, then a PK_OK naming blob. */
static int client_gets_pk_ok(world *w, const kg_key *named)
{
	kg_buf m;
	kg_buf_init(&m, 0);
	int r = kg_buf_put_u8(&m, SSH_MSG_SERVICE_ACCEPT);
	if (r >= 0)
		r = kg_buf_put_cstring(&m, "ssh-userauth");
	if (r >= 0)
		r = kg_cli_auth_handle(w->ca, SSH_MSG_SERVICE_ACCEPT, kg_buf_ptr(&m), kg_buf_len(&m));
	kg_buf_reset(&m);
	if (r >= 0 && (r = kg_buf_put_u8(&m, SSH_MSG_USERAUTH_FAILURE)) >= 0 &&
	    (r = kg_buf_put_cstring(&m, "publickey")) >= 0 && (r = kg_buf_put_bool(&m, 0)) >= 0)
		r = kg_cli_auth_handle(w->ca, SSH_MSG_USERAUTH_FAILURE, kg_buf_ptr(&m), kg_buf_len(&m));
	kg_buf blob;
	kg_buf_init(&blob, 0);
	kg_buf_reset(&m);
	if (r >= 0 && (r = kg_key_to_blob(named, &blob)) >= 0 && (r = kg_buf_put_u8(&m, SSH_MSG_USERAUTH_PK_OK)) >= 0 &&
	    (r = kg_buf_put_cstring(&m, "ssh-ed25519")) >= 0 && (r = kg_buf_put_stringb(&m, &blob)) >= 0)
		r = kg_cli_auth_handle(w->ca, SSH_MSG_USERAUTH_PK_OK, kg_buf_ptr(&m), kg_buf_len(&m));
	kg_buf_free(&blob);
	kg_buf_free(&m);
	return r;
}

static void test_pk_ok_must_name_the_offered_key(void)
{
	world w;
	kg_key *stranger;
	T_OK(world_new(&w, 1, 1, 6));
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &stranger));
	/* A PK_OK for a key we did not offer is a protocol error: no signature. */
	int r = client_gets_pk_ok(&w, stranger);
	kg_key_free(stranger);
	T_ASSERT(r == KG_ERR_PROTOCOL);
	world_free(&w);
	/* For the key offered, the client signs and carries on. */
	T_OK(world_new(&w, 1, 1, 6));
	T_ASSERT(client_gets_pk_ok(&w, w.user_key) == 0);
	world_free(&w);
}

/* A FAILURE after the signature with partial success set: the event says so. */
static void test_partial_success_event(void)
{
	world w;
	T_OK(world_new(&w, 1, 1, 6));
	T_ASSERT(client_gets_pk_ok(&w, w.user_key) == 0);
	T_ASSERT(find_ev(&w, KG_AUTH_EV_KEY_SIGNED) >= 0);
	kg_buf m;
	kg_buf_init(&m, 0);
	T_OK(kg_buf_put_u8(&m, SSH_MSG_USERAUTH_FAILURE));
	T_OK(kg_buf_put_cstring(&m, "password"));
	T_OK(kg_buf_put_bool(&m, 1));
	(void)!kg_cli_auth_handle(w.ca, SSH_MSG_USERAUTH_FAILURE, kg_buf_ptr(&m), kg_buf_len(&m));
	kg_buf_free(&m);
	int f = find_ev(&w, KG_AUTH_EV_FAILURE);
	T_ASSERT(f >= 0 && w.ev_partial[f] == 1);
	world_free(&w);
}

/* Feeds the server half one SERVICE_REQUEST naming service. */
static int service_request(world *w, const char *service)
{
	kg_buf m;
	kg_buf_init(&m, 0);
	int r = kg_buf_put_u8(&m, SSH_MSG_SERVICE_REQUEST);
	if (r >= 0)
		r = kg_buf_put_cstring(&m, service);
	if (r >= 0)
		r = kg_svr_auth_handle(w->sa, SSH_MSG_SERVICE_REQUEST, kg_buf_ptr(&m), kg_buf_len(&m));
	kg_buf_free(&m);
	return r;
}

/* Feeds the server half a USERAUTH_REQUEST for method "none". */
static int none_request(world *w)
{
	kg_buf m;
	kg_buf_init(&m, 0);
	int r = kg_buf_put_u8(&m, SSH_MSG_USERAUTH_REQUEST);
	if (r >= 0 && (r = kg_buf_put_cstring(&m, "alice")) >= 0 && (r = kg_buf_put_cstring(&m, KG_AUTH_SERVICE)) >= 0 &&
	    (r = kg_buf_put_cstring(&m, "none")) >= 0)
		r = kg_svr_auth_handle(w->sa, SSH_MSG_USERAUTH_REQUEST, kg_buf_ptr(&m), kg_buf_len(&m));
	kg_buf_free(&m);
	return r;
}

/* paramiko asks for ssh-userauth again before each method: accepted each
 * time, before and between requests; any other service is refused. */
static void test_repeated_service_request(void)
{
	world w;
	T_OK(world_new(&w, 1, 1, 6));
	T_ASSERT(service_request(&w, "ssh-userauth") == 0);
	T_ASSERT(none_request(&w) == 0);
	T_ASSERT(service_request(&w, "ssh-userauth") == 0);
	T_ASSERT(none_request(&w) == 0);
	T_ASSERT(!kg_tr_is_closed(w.p.s));
	world_free(&w);
	T_OK(world_new(&w, 1, 1, 6));
	T_ASSERT(service_request(&w, "ssh-userauth") == 0);
	T_ASSERT(service_request(&w, "ssh-connection") == KG_ERR_PROTOCOL);
	T_ASSERT(kg_tr_is_closed(w.p.s));
	world_free(&w);
}

/* RFC 4256 messages: a round trip, then every truncation and corrupt
 * counts refused without a leak or a crash. */
static void test_kbd_codec(void)
{
	kg_kbd_request q, d;
	memset(&q, 0, sizeof(q));
	q.name = strdup("Two factor");
	q.instruction = strdup("Answer both");
	T_OK(kg_kbd_request_add(&q, "Password: ", 0));
	T_OK(kg_kbd_request_add(&q, "Code: ", 1));
	kg_buf b;
	kg_buf_init(&b, 0);
	T_OK(kg_kbd_request_encode(&q, &b));
	T_OK(kg_kbd_request_decode(kg_buf_ptr(&b), kg_buf_len(&b), &d));
	T_ASSERT(d.n == 2 && strcmp(d.name, "Two factor") == 0 && strcmp(d.prompts[1].text, "Code: ") == 0 &&
		 d.prompts[1].echo == 1 && d.prompts[0].echo == 0);
	kg_kbd_request_free(&d);
	for (size_t cut = 0; cut < kg_buf_len(&b); cut++)
		T_ASSERT(kg_kbd_request_decode(kg_buf_ptr(&b), cut, &d) < 0 && d.n == 0 && d.name == NULL);
	uint8_t big[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 101 };
	T_ASSERT(kg_kbd_request_decode(big, sizeof(big), &d) == KG_ERR_TOO_LARGE);
	uint8_t nul[] = { 0, 0, 0, 2, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	T_ASSERT(kg_kbd_request_decode(nul, sizeof(nul), &d) == KG_ERR_FORMAT);
	kg_kbd_request_free(&q);

	kg_kbd_response r, e;
	memset(&r, 0, sizeof(r));
	r.n = 2;
	r.answers[0] = strdup("secret");
	r.answers[1] = strdup("123456");
	kg_buf_reset(&b);
	T_OK(kg_kbd_response_encode(&r, &b));
	T_OK(kg_kbd_response_decode(kg_buf_ptr(&b), kg_buf_len(&b), &e));
	T_ASSERT(e.n == 2 && strcmp(e.answers[1], "123456") == 0);
	kg_kbd_response_free(&e);
	for (size_t cut = 0; cut < kg_buf_len(&b); cut++)
		T_ASSERT(kg_kbd_response_decode(kg_buf_ptr(&b), cut, &e) < 0 && e.n == 0);
	T_OK(kg_buf_put_u8(&b, 0));  /* a trailing byte */
	T_ASSERT(kg_kbd_response_decode(kg_buf_ptr(&b), kg_buf_len(&b), &e) == KG_ERR_FORMAT);
	uint8_t many[] = { 0, 0, 1, 0 };
	T_ASSERT(kg_kbd_response_decode(many, sizeof(many), &e) == KG_ERR_TOO_LARGE);
	kg_kbd_response_free(&r);
	kg_buf_free(&b);
}

/* src/sys/pam-kbd.c: PAM's conversation in a child, relayed; an account
 * that does not exist is asked (or refused) and never accepted. */
static void test_pam_kbd_unknown_user(void)
{
	kg_pam_kbd k;
	kg_kbd_request q;
	T_OK(kg_pam_kbd_start(&k, "kagi-no-such-user-kbd", NULL, "127.0.0.1", 0));
	int v = kg_pam_kbd_next(&k, &q), rounds = 0;
	while (v == KG_KBD_ASK && rounds++ < 3) {
		kg_kbd_response r;
		memset(&r, 0, sizeof(r));
		for (size_t i = 0; i < q.n; i++)
			r.answers[i] = strdup("not-the-password");
		r.n = q.n;
		kg_kbd_request_free(&q);
		T_OK(kg_pam_kbd_answer(&k, &r));
		kg_kbd_response_free(&r);
		v = kg_pam_kbd_next(&k, &q);
	}
	kg_kbd_request_free(&q);
	kg_pam_kbd_end(&k);
	T_ASSERT(v == KG_ERR_AUTH_FAILED && k.fd == -1 && k.pid == 0);
}

int main(void)
{
	T_RUN(test_pam_kbd_unknown_user);
	T_RUN(test_kbd_codec);
	T_RUN(test_pubkey_success);
	T_RUN(test_unknown_key_falls_back_to_password);
	T_RUN(test_all_methods_fail);
	T_RUN(test_max_tries_disconnects);
	T_RUN(test_password_disabled_on_server);
	T_RUN(test_pk_ok_must_name_the_offered_key);
	T_RUN(test_repeated_service_request);
	T_RUN(test_failure_events);
	T_RUN(test_partial_success_event);
	return T_DONE();
}
