/* Exercises src/conn/svr-monitor.c and src/conn/svr-mon-proto.c: the
 * monitor's parser refuses malformed frames, and the monitor answers only
 * the requests the connection's state allows — no signature of what is
 * not an exchange hash or a host key proof of this session, no second
 * user, no success it did not see, nothing past MaxAuthTries, no pty
 * records before authentication. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "t.h"
#include "core/auth.h"
#include "core/defaults.h"
#include "core/key.h"
#include "conn/svr-hostkeys.h"
#include "conn/svr-monitor.h"

typedef struct fixture {
	char dir[64], ak[96], user[64];
	kg_key *userkey;
	kg_server_config cfg;
	kg_logger log;
	kg_svr_ctx ctx;
	kg_svr_authcheck ac;
	kg_svr_monitor m;
	kg_buf req, rep;
} fixture;

static int fx_setup(fixture *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/kagi-monitor.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->ak, sizeof(f->ak), "%s/ak", f->dir);
	GUARD(kg_key_generate(KG_KEY_ED25519, 0, &f->userkey));
	kg_buf line;
	kg_buf_init(&line, 0);
	GUARD(kg_key_to_line(f->userkey, &line));
	FILE *fp = fopen(f->ak, "w");
	if (!fp)
		return -1;
	fprintf(fp, "%.*s\n", (int)kg_buf_len(&line), (const char *)kg_buf_ptr(&line));
	fclose(fp);
	kg_buf_free(&line);
	struct passwd *pw = getpwuid(geteuid());
	if (!pw)
		return -1;
	snprintf(f->user, sizeof(f->user), "%s", pw->pw_name);
	kg_server_config_init(&f->cfg);
	GUARD(kg_strlist_add(&f->cfg.authorized_keys_files, f->ak));
	GUARD(kg_strlist_add(&f->cfg.host_keys, "/nonexistent"));
	f->cfg.strict_modes = 0;
	f->cfg.max_auth_tries = 2;
	f->cfg.password_authentication = 1;
	GUARD(kg_server_config_finish(&f->cfg));
	kg_log_init(&f->log, "test", KG_LOG_QUIET, 0, 0);
	kg_svr_ctx *c = &f->ctx;
	c->cfg = &f->cfg;
	c->log = &f->log;
	c->is_root = geteuid() == 0;
	c->self_uid = geteuid();
	c->hostkeys = calloc(2, sizeof(kg_key *));
	if (!c->hostkeys)
		return -1;
	GUARD(kg_key_generate(KG_KEY_ED25519, 0, &c->hostkeys[0]));
	c->n_hostkeys = 1;
	c->hostkey_algs = strdup("ssh-ed25519");
	c->pubkey_algs = strdup(KG_PUBKEY_ALGS_DEFAULT);
	kg_svr_authcheck_init(&f->ac, c, &f->log, "127.0.0.1", 40000, "127.0.0.1", 22);
	kg_svr_monitor_init(&f->m, c, &f->log, &f->ac);
	kg_buf_init(&f->req, 0);
	kg_buf_init(&f->rep, 0);
	return KG_OK;
}

static void fx_free(fixture *f)
{
	kg_svr_monitor_free(&f->m);
	kg_svr_authcheck_free(&f->ac);
	kg_svr_ctx_free(&f->ctx);
	kg_server_config_free(&f->cfg);
	kg_key_free(f->userkey);
	kg_buf_free(&f->req);
	kg_buf_free(&f->rep);
	unlink(f->ak);
	rmdir(f->dir);
}

/* Starts a request frame in f->req; send() finishes it and asks. */
static size_t begin(fixture *f, uint8_t type)
{
	size_t start = 0;
	kg_buf_reset(&f->req);
	if (kg_mon_begin(&f->req, type, &start) < 0)
		abort();
	return start;
}

/* The monitor's answer: its return, with the reply parsed into *rep. */
static int ask(fixture *f, size_t start, kg_mon_reply *rep)
{
	if (kg_mon_end(&f->req, start) < 0)
		return KG_ERR_INTERNAL;
	kg_buf_reset(&f->rep);
	int r = kg_svr_monitor_handle(&f->m, kg_buf_ptr(&f->req) + 4, kg_buf_len(&f->req) - 4, &f->rep);
	if (r < 0)
		return r;
	kg_buf body;
	kg_buf_view(&body, kg_buf_ptr(&f->rep), kg_buf_len(&f->rep));
	uint32_t len;
	if (kg_buf_get_u32(&body, &len) < 0 || len != kg_buf_len(&body))
		return KG_ERR_FORMAT;
	return kg_mon_parse_reply(kg_buf_ptr(&body), kg_buf_len(&body), rep);
}

static int sign_req(fixture *f, uint8_t purpose, uint32_t idx, const char *alg, const uint8_t *d, size_t n,
		    kg_mon_reply *rep)
{
	size_t s = begin(f, KG_MON_SIGN);
	if (kg_buf_put_u8(&f->req, purpose) < 0 || kg_buf_put_u32(&f->req, idx) < 0 ||
	    kg_buf_put_cstring(&f->req, alg) < 0 || kg_buf_put_string(&f->req, d, n) < 0)
		return KG_ERR_ALLOC;
	return ask(f, s, rep);
}

static int user_req(fixture *f, uint8_t type, const char *user, const void *a, size_t an, kg_mon_reply *rep)
{
	size_t s = begin(f, type);
	if (kg_buf_put_cstring(&f->req, user) < 0 || kg_buf_put_string(&f->req, a, an) < 0)
		return KG_ERR_ALLOC;
	return ask(f, s, rep);
}

static void test_parser(void)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	kg_mon_req *q = malloc(sizeof(*q));
	T_ASSERT(q != NULL);
	size_t s;
	T_OK(kg_mon_begin(&b, KG_MON_PUBKEY_VERIFY, &s));
	T_OK(kg_buf_put_cstring(&b, "alice"));
	T_OK(kg_buf_put_cstring(&b, "ssh-ed25519"));
	T_OK(kg_buf_put_string(&b, "blob", 4));
	T_OK(kg_buf_put_string(&b, "sig", 3));
	T_OK(kg_mon_end(&b, s));
	const uint8_t *p = kg_buf_ptr(&b) + 4;
	size_t n = kg_buf_len(&b) - 4;
	T_OK(kg_mon_parse(p, n, q));
	T_ASSERT(q->type == KG_MON_PUBKEY_VERIFY && strcmp(q->user, "alice") == 0 && q->sig_len == 3);
	for (size_t cut = 0; cut < n; cut++)  /* every truncation */
		T_ASSERT(kg_mon_parse(p, cut, q) < 0);
	uint8_t *c = malloc(n + 1);
	T_ASSERT(c != NULL);
	memcpy(c, p, n);
	c[n] = 0;
	T_ASSERT(kg_mon_parse(c, n + 1, q) == KG_ERR_FORMAT);  /* a trailing byte */
	c[0] = KG_MON_VERSION + 1;
	T_ASSERT(kg_mon_parse(c, n, q) == KG_ERR_PROTOCOL);     /* another version */
	c[0] = KG_MON_VERSION;
	c[1] = KG_MON_TYPE_MAX_;
	T_ASSERT(kg_mon_parse(c, n, q) == KG_ERR_FORMAT);       /* an unknown type */
	c[1] = KG_MON_PUBKEY_VERIFY;
	c[2 + 4 + 2] = '\0';                                     /* a NUL inside the user name */
	T_ASSERT(kg_mon_parse(c, n, q) == KG_ERR_FORMAT);
	free(c);
	kg_buf_reset(&b);
	char *longname = malloc(KG_MON_MAX_NAME + 2);
	T_ASSERT(longname != NULL);
	memset(longname, 'a', KG_MON_MAX_NAME + 1);
	longname[KG_MON_MAX_NAME + 1] = '\0';
	T_OK(kg_mon_begin(&b, KG_MON_KBD_START, &s));
	T_OK(kg_buf_put_cstring(&b, longname));
	T_OK(kg_buf_put_cstring(&b, ""));
	T_OK(kg_mon_end(&b, s));
	T_ASSERT(kg_mon_parse(kg_buf_ptr(&b) + 4, kg_buf_len(&b) - 4, q) == KG_ERR_TOO_LARGE);
	free(longname);
	/* The table: what each phase may ask. */
	T_ASSERT(kg_mon_allowed(KG_MON_PHASE_PREAUTH, KG_MON_PASSWORD));
	T_ASSERT(!kg_mon_allowed(KG_MON_PHASE_PREAUTH, KG_MON_PTY_STARTED));
	T_ASSERT(!kg_mon_allowed(KG_MON_PHASE_POSTAUTH, KG_MON_PASSWORD));
	T_ASSERT(!kg_mon_allowed(KG_MON_PHASE_POSTAUTH, KG_MON_AUTH_DONE));
	T_ASSERT(kg_mon_allowed(KG_MON_PHASE_POSTAUTH, KG_MON_SIGN));
	free(q);
	kg_buf_free(&b);
}

static void test_signing(void)
{
	fixture f;
	T_OK(fx_setup(&f));
	kg_mon_reply rep;
	uint8_t h[32], odd[33];
	memset(h, 7, sizeof(h));
	memset(odd, 7, sizeof(odd));
	T_ASSERT(sign_req(&f, KG_MON_SIGN_KEX, 1, "ssh-ed25519", h, 32, &rep) == KG_ERR_PROTOCOL);  /* no key 1 */
	T_ASSERT(sign_req(&f, KG_MON_SIGN_KEX, 0, "rsa-sha2-256", h, 32, &rep) == KG_ERR_PROTOCOL); /* not offered */
	T_ASSERT(sign_req(&f, KG_MON_SIGN_KEX, 0, "ssh-ed25519", odd, 33, &rep) == KG_ERR_PROTOCOL); /* not a hash */
	/* A host key proof before authentication is refused, even for this session. */
	T_OK(sign_req(&f, KG_MON_SIGN_KEX, 0, "ssh-ed25519", h, 32, &rep));
	T_ASSERT(rep.status == KG_OK);
	T_OK(kg_key_verify(f.ctx.hostkeys[0], "ssh-ed25519", rep.payload, rep.payload_len, h, 32));
	T_ASSERT(f.m.sid_len == 32 && memcmp(f.m.session_id, h, 32) == 0);
	kg_buf blob, proof;
	kg_buf_init(&blob, 0);
	kg_buf_init(&proof, 0);
	T_OK(kg_key_to_blob(f.ctx.hostkeys[0], &blob));
	T_OK(kg_hostkeys_prove_data(h, 32, kg_buf_ptr(&blob), kg_buf_len(&blob), &proof));
	T_ASSERT(sign_req(&f, KG_MON_SIGN_PROVE, 0, "", kg_buf_ptr(&proof), kg_buf_len(&proof), &rep) ==
		 KG_ERR_PROTOCOL);
	/* After it, the proof of this session is signed; another session's is not. */
	f.m.phase = KG_MON_PHASE_POSTAUTH;
	T_OK(sign_req(&f, KG_MON_SIGN_PROVE, 0, "", kg_buf_ptr(&proof), kg_buf_len(&proof), &rep));
	T_OK(kg_key_verify(f.ctx.hostkeys[0], NULL, rep.payload, rep.payload_len, kg_buf_ptr(&proof),
			   kg_buf_len(&proof)));
	uint8_t other[32];
	memset(other, 9, sizeof(other));
	kg_buf_reset(&proof);
	T_OK(kg_hostkeys_prove_data(other, 32, kg_buf_ptr(&blob), kg_buf_len(&blob), &proof));
	T_ASSERT(sign_req(&f, KG_MON_SIGN_PROVE, 0, "", kg_buf_ptr(&proof), kg_buf_len(&proof), &rep) ==
		 KG_ERR_PROTOCOL);
	/* A re-exchange's hash is signed; the session id stays the first one. */
	T_OK(sign_req(&f, KG_MON_SIGN_KEX, 0, "ssh-ed25519", other, 32, &rep));
	T_ASSERT(memcmp(f.m.session_id, h, 32) == 0);
	/* No authentication after it. */
	T_ASSERT(user_req(&f, KG_MON_PASSWORD, f.user, "x", 1, &rep) == KG_ERR_PROTOCOL);
	kg_buf_free(&blob);
	kg_buf_free(&proof);
	fx_free(&f);
}

/* A publickey signature by key over this session's data for user. */
static int user_sig(fixture *f, const kg_key *key, const char *user, kg_buf *blob, kg_buf *sig)
{
	kg_buf data;
	kg_buf_init(&data, 0);
	GUARD(kg_key_to_blob(key, blob));
	int r = kg_auth_pubkey_signed_data(f->m.session_id, f->m.sid_len, user, KG_AUTH_SERVICE, "ssh-ed25519",
					   kg_buf_ptr(blob), kg_buf_len(blob), &data);
	if (r >= 0)
		r = kg_key_sign(key, "ssh-ed25519", kg_buf_ptr(&data), kg_buf_len(&data), sig);
	kg_buf_free(&data);
	return r;
}

static int verify_req(fixture *f, const char *user, const kg_buf *blob, const kg_buf *sig, kg_mon_reply *rep)
{
	size_t s = begin(f, KG_MON_PUBKEY_VERIFY);
	if (kg_buf_put_cstring(&f->req, user) < 0 || kg_buf_put_cstring(&f->req, "ssh-ed25519") < 0 ||
	    kg_buf_put_string(&f->req, kg_buf_ptr(blob), kg_buf_len(blob)) < 0 ||
	    kg_buf_put_string(&f->req, kg_buf_ptr(sig), kg_buf_len(sig)) < 0)
		return KG_ERR_ALLOC;
	return ask(f, s, rep);
}

static int done_req(fixture *f, const char *user, const char *method, kg_mon_reply *rep)
{
	size_t s = begin(f, KG_MON_AUTH_DONE);
	if (kg_buf_put_cstring(&f->req, user) < 0 || kg_buf_put_cstring(&f->req, method) < 0 ||
	    kg_buf_put_string(&f->req, "state", 5) < 0)
		return KG_ERR_ALLOC;
	return ask(f, s, rep);
}

static void test_authentication(void)
{
	fixture f;
	T_OK(fx_setup(&f));
	kg_mon_reply rep;
	kg_buf blob, sig;
	kg_buf_init(&blob, 0);
	kg_buf_init(&sig, 0);
	/* Nothing before the key exchange gave a session id. */
	T_ASSERT(user_req(&f, KG_MON_PASSWORD, f.user, "x", 1, &rep) == KG_ERR_PROTOCOL);
	T_ASSERT(done_req(&f, f.user, "publickey", &rep) == KG_ERR_PROTOCOL);
	uint8_t h[32];
	memset(h, 3, sizeof(h));
	T_OK(sign_req(&f, KG_MON_SIGN_KEX, 0, "ssh-ed25519", h, 32, &rep));
	/* A pty record is not for this phase. */
	size_t s = begin(&f, KG_MON_PTY_ENDED);
	T_OK(kg_buf_put_u32(&f.req, 1));
	T_ASSERT(ask(&f, s, &rep) == KG_ERR_PROTOCOL);
	/* The query answers for the authorized key, but decides nothing. */
	T_OK(kg_key_to_blob(f.userkey, &blob));
	T_OK(user_req(&f, KG_MON_PUBKEY_QUERY, f.user, kg_buf_ptr(&blob), kg_buf_len(&blob), &rep));
	T_ASSERT(rep.status == KG_OK && rep.user_valid && !f.m.authenticated);
	T_ASSERT(done_req(&f, f.user, "publickey", &rep) == KG_ERR_PROTOCOL);
	/* Another user on the same connection is refused outright. */
	T_ASSERT(user_req(&f, KG_MON_PUBKEY_QUERY, "kagi-nobody-else", kg_buf_ptr(&blob), kg_buf_len(&blob), &rep) ==
		 KG_ERR_PROTOCOL);
	/* A signature by another key, or over other data, fails and counts. */
	kg_key *other = NULL;
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &other));
	kg_buf_reset(&blob);
	T_OK(user_sig(&f, other, f.user, &blob, &sig));
	T_OK(verify_req(&f, f.user, &blob, &sig, &rep));
	T_ASSERT(rep.status < 0 && !f.m.authenticated && f.m.failures == 1);
	kg_buf_reset(&blob);
	kg_buf_reset(&sig);
	T_OK(user_sig(&f, f.userkey, f.user, &blob, &sig));
	kg_buf_mutable_ptr(&sig)[kg_buf_len(&sig) - 1] ^= 1;
	T_OK(verify_req(&f, f.user, &blob, &sig, &rep));
	T_ASSERT(rep.status < 0 && !f.m.authenticated && f.m.failures == 2);
	/* The right signature succeeds; auth-done must name that method. */
	kg_buf_reset(&blob);
	kg_buf_reset(&sig);
	T_OK(user_sig(&f, f.userkey, f.user, &blob, &sig));
	T_OK(verify_req(&f, f.user, &blob, &sig, &rep));
	T_ASSERT(rep.status == KG_OK && f.m.authenticated);
	T_ASSERT(done_req(&f, f.user, "password", &rep) == KG_ERR_PROTOCOL);
	T_ASSERT(user_req(&f, KG_MON_PASSWORD, f.user, "x", 1, &rep) == KG_ERR_PROTOCOL);  /* after success */
	T_OK(done_req(&f, f.user, "publickey", &rep));
	T_ASSERT(f.m.done && f.m.state_len == 5 && memcmp(f.m.state, "state", 5) == 0);
	kg_key_free(other);
	kg_buf_free(&blob);
	kg_buf_free(&sig);
	fx_free(&f);
}

/* Past MaxAuthTries (+1 for the child's own count) the monitor stops. */
static void test_max_tries(void)
{
	fixture f;
	T_OK(fx_setup(&f));
	kg_mon_reply rep;
	uint8_t h[32];
	memset(h, 5, sizeof(h));
	T_OK(sign_req(&f, KG_MON_SIGN_KEX, 0, "ssh-ed25519", h, 32, &rep));
	const char *u = "kagi-no-such-user-monitor";
	for (int i = 0; i < 3; i++) {
		T_OK(user_req(&f, KG_MON_PASSWORD, u, "wrong", 5, &rep));
		T_ASSERT(rep.status < 0 && !rep.user_valid);
	}
	T_ASSERT(user_req(&f, KG_MON_PASSWORD, u, "wrong", 5, &rep) == KG_ERR_PROTOCOL);
	T_ASSERT(!f.m.authenticated);
	fx_free(&f);
}

int main(void)
{
	T_RUN(test_parser);
	T_RUN(test_signing);
	T_RUN(test_authentication);
	T_RUN(test_max_tries);
	return T_DONE();
}
