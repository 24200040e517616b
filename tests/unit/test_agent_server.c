/* kssh-agent and kssh-add logic: the key table (src/agent/agent-keys.c)
 * with lifetimes, every request src/agent/agent-server.c answers (lock,
 * confirm, rsa-sha2 flags, session binding), destination restrictions
 * src/agent/agent-dest.c, the socket side src/agent/agent-listen.c
 * (peer uid check, a forked client served on the loop), the modes' helpers
 * in src/agent/agent-run.c and src/agent/agent-add.c, and the askpass
 * runner src/sys/askpass.c. */
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "t.h"
#include "agent/agent-add.h"
#include "agent/agent-dest.h"
#include "agent/agent-listen.h"
#include "agent/agent-run.h"
#include "agent/agent-server.h"
#include "sys/agent-sock.h"
#include "core/keyfile.h"
#include "sys/askpass.h"

static kg_key *ed, *rsa;
static uint64_t fake_ms = 1000;
static uint64_t fake_now(void) { return fake_ms; }

static kg_key *copy_private(const kg_key *k)
{
	/* Through the agent wire form, as an ADD request carries it. */
	kg_buf b;
	kg_buf_init(&b, 0);
	kg_key *out = kg_key_new();
	if (kg_keyfile_write_private_key(k, &b) < 0 || kg_keyfile_read_private_key(&b, out) < 0) {
		kg_key_free(out);
		out = NULL;
	}
	kg_buf_free(&b);
	if (out)
		out->comment = strdup("c");
	return out;
}

static void blob_of(const kg_key *k, kg_buf *b)
{
	kg_buf_init(b, 0);
	if (kg_key_to_blob(k, b) < 0)
		abort();
}

static void test_keys_table(void)
{
	kg_agent_keys t;
	kg_agent_keys_init(&t, NULL);
	t.now = fake_now;
	kg_buf b1, b2;
	blob_of(ed, &b1);
	blob_of(rsa, &b2);
	T_OK(kg_agent_keys_add(&t, copy_private(ed), 0, 0, NULL, 0));
	T_OK(kg_agent_keys_add(&t, copy_private(rsa), 5, 1, NULL, 0));
	T_ASSERT(t.n == 2);
	/* the same key again replaces it with the new constraints */
	T_OK(kg_agent_keys_add(&t, copy_private(ed), 2, 1, NULL, 0));
	T_ASSERT(t.n == 2);
	kg_agent_entry *e = kg_agent_keys_find(&t, kg_buf_ptr(&b1), kg_buf_len(&b1));
	T_ASSERT(e && e->confirm && e->expires_ms == 3000 && strcmp(e->comment, "c") == 0);
	T_ASSERT(kg_agent_keys_add(&t, NULL, 0, 0, NULL, 0) == KG_ERR_ARG);
	fake_ms = 3000;  /* ed's lifetime is over */
	T_ASSERT(kg_agent_keys_find(&t, kg_buf_ptr(&b1), kg_buf_len(&b1)) == NULL);
	T_ASSERT(t.n == 1);
	T_ASSERT(kg_agent_keys_remove(&t, kg_buf_ptr(&b1), kg_buf_len(&b1)) == KG_ERR_NOT_FOUND);
	T_OK(kg_agent_keys_remove(&t, kg_buf_ptr(&b2), kg_buf_len(&b2)));
	T_ASSERT(t.n == 0);
	T_OK(kg_agent_keys_add(&t, copy_private(ed), 0, 0, NULL, 0));
	kg_agent_keys_clear(&t);
	T_ASSERT(t.n == 0);
	kg_agent_keys_free(&t);
	kg_buf_free(&b1);
	kg_buf_free(&b2);
	fake_ms = 1000;
}

static void test_keys_timer(void)
{
	kg_loop lp;
	kg_loop_init(&lp);
	kg_agent_keys t;
	kg_agent_keys_init(&t, &lp);
	T_OK(kg_agent_keys_add(&t, copy_private(ed), 1, 0, NULL, 0));
	T_ASSERT(t.timer_set && lp.ntimers == 1);
	uint64_t start = kg_monotonic_ms();
	while (t.n > 0 && kg_monotonic_ms() - start < 3000)
		(void)!kg_loop_run_once(&lp, 100);
	T_ASSERT(t.n == 0 && !t.timer_set && kg_monotonic_ms() - start >= 900);
	T_OK(kg_agent_keys_add(&t, copy_private(ed), 100, 0, NULL, 0));
	kg_agent_keys_free(&t);
	T_ASSERT(lp.ntimers == 0);  /* the timer went with the key */
	kg_loop_free(&lp);
}

/* Runs one request through the server and returns the answer's type. */
static int ask(kg_agent_server *s, kg_buf *req, kg_buf *ans)
{
	size_t n;
	kg_buf_reset(ans);
	if (kg_agent_frame(kg_buf_ptr(req), kg_buf_len(req), &n) < 0)
		return -1;
	int r = kg_agent_server_handle(s, NULL, kg_buf_ptr(req) + 4, n, ans);
	kg_buf_reset(req);
	if (r < 0 || kg_buf_len(ans) < 5)
		return -1;
	return kg_buf_ptr(ans)[4];
}

static int n_ids(kg_agent_server *s)
{
	kg_buf req, ans;
	kg_buf_init(&req, 0);
	kg_buf_init(&ans, 0);
	kg_agent_id *ids = NULL;
	size_t n = 0;
	int r = -1;
	if (kg_agent_put_simple(&req, KG_AGENTC_REQUEST_IDENTITIES) == 0 &&
	    ask(s, &req, &ans) == KG_AGENT_IDENTITIES_ANSWER &&
	    kg_agent_parse_identities(kg_buf_ptr(&ans) + 4, kg_buf_len(&ans) - 4, &ids, &n) == 0)
		r = (int)n;
	kg_agent_ids_free(ids, n);
	kg_buf_free(&req);
	kg_buf_free(&ans);
	return r;
}

static int confirm_answer, confirm_calls;
static int fake_confirm(void *ctx, const kg_agent_entry *e)
{
	(void)ctx;
	(void)e;
	confirm_calls++;
	return confirm_answer;
}

static void test_server_requests(void)
{
	kg_agent_server s;
	kg_agent_server_init(&s, NULL, NULL);
	s.confirm = fake_confirm;
	kg_buf req, ans, b1, b2;
	kg_buf_init(&req, 0);
	kg_buf_init(&ans, 0);
	blob_of(ed, &b1);
	blob_of(rsa, &b2);
	T_ASSERT(n_ids(&s) == 0);
	T_OK(kg_agent_put_add(&req, ed, "edkey", 0, 0));
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_SUCCESS);
	T_OK(kg_agent_put_add(&req, rsa, "rsakey", 0, 1));
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_SUCCESS);
	T_ASSERT(n_ids(&s) == 2);
	/* RSA with the rsa-sha2-256 flag */
	T_OK(kg_agent_put_sign_request(&req, kg_buf_ptr(&b2), kg_buf_len(&b2), (const uint8_t *)"data", 4,
				       KG_AGENT_RSA_SHA2_256));
	confirm_answer = KG_OK;
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_SIGN_RESPONSE && confirm_calls == 1);
	uint8_t *sig;
	size_t slen;
	T_OK(kg_agent_parse_sign_response(kg_buf_ptr(&ans) + 4, kg_buf_len(&ans) - 4, &sig, &slen));
	T_OK(kg_key_verify(rsa, "rsa-sha2-256", sig, slen, (const uint8_t *)"data", 4));
	free(sig);
	/* the confirm callback says no: refused */
	confirm_answer = KG_ERR_AUTH_FAILED;
	T_OK(kg_agent_put_sign_request(&req, kg_buf_ptr(&b2), kg_buf_len(&b2), (const uint8_t *)"data", 4,
				       KG_AGENT_RSA_SHA2_512));
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_FAILURE && confirm_calls == 2);
	/* no confirmation for a key without the constraint */
	T_OK(kg_agent_put_sign_request(&req, kg_buf_ptr(&b1), kg_buf_len(&b1), (const uint8_t *)"x", 1, 0));
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_SIGN_RESPONSE && confirm_calls == 2);
	/* lock: nothing listed, nothing signed, no adding; wrong unlock refused */
	T_OK(kg_agent_put_lock(&req, 1, "sesame"));
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_SUCCESS && s.locked);
	T_ASSERT(kg_ct_memcmp(s.lock_hash, "sesame", 6) != 0);
	T_ASSERT(n_ids(&s) == 0);
	T_OK(kg_agent_put_sign_request(&req, kg_buf_ptr(&b1), kg_buf_len(&b1), (const uint8_t *)"x", 1, 0));
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_FAILURE);
	T_OK(kg_agent_put_lock(&req, 1, "again"));
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_FAILURE);
	T_OK(kg_agent_put_lock(&req, 0, "wrong"));
	uint64_t t0 = kg_monotonic_ms();
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_FAILURE && s.locked);
	T_ASSERT(kg_monotonic_ms() - t0 >= 100);  /* a failed unlock is slowed down */
	T_OK(kg_agent_put_lock(&req, 0, "sesame"));
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_SUCCESS && !s.locked);
	T_ASSERT(n_ids(&s) == 2);
	T_OK(kg_agent_put_lock(&req, 0, "sesame"));  /* not locked */
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_FAILURE);
	/* extensions: query answered, others refused */
	T_OK(kg_agent_put_extension(&req, "query", NULL, 0));
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_SUCCESS);
	T_ASSERT(kg_buf_len(&ans) == 42 && memcmp(kg_buf_ptr(&ans) + 5, "\0\0\0\5query\0\0\0\030session-bind", 21) == 0);
	T_OK(kg_agent_put_extension(&req, "nothing@example.com", NULL, 0));
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_FAILURE);
	/* a malformed request and an unknown type: FAILURE, no crash */
	uint8_t bad[] = {0, 0, 0, 3, KG_AGENTC_SIGN_REQUEST, 0, 9};
	T_OK(kg_buf_put(&req, bad, sizeof(bad)));
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_FAILURE);
	T_OK(kg_agent_put_simple(&req, 99));
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_FAILURE);
	/* remove one, then all */
	T_OK(kg_agent_put_remove(&req, kg_buf_ptr(&b1), kg_buf_len(&b1)));
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_SUCCESS && n_ids(&s) == 1);
	T_OK(kg_agent_put_remove(&req, kg_buf_ptr(&b1), kg_buf_len(&b1)));
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_FAILURE);
	T_OK(kg_agent_put_simple(&req, KG_AGENTC_REMOVE_ALL_IDENTITIES));
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_SUCCESS && n_ids(&s) == 0);
	/* the default lifetime applies to keys added without one */
	s.default_life = 60;
	T_OK(kg_agent_put_add(&req, ed, "edkey", 0, 0));
	T_ASSERT(ask(&s, &req, &ans) == KG_AGENT_SUCCESS);
	T_ASSERT(s.keys.n == 1 && s.keys.v[0].expires_ms > 0);
	char *prompt = kg_agent_confirm_prompt(&s.keys.v[0]);
	T_ASSERT(prompt && strncmp(prompt, "Allow use of key edkey?\nKey fingerprint SHA256:", 47) == 0);
	free(prompt);
	kg_agent_server_free(&s);
	kg_buf_free(&req);
	kg_buf_free(&ans);
	kg_buf_free(&b1);
	kg_buf_free(&b2);
}

/* Runs req on the connection whose bindings are b. */
static int ask_bound(kg_agent_server *s, kg_agent_binds *b, kg_buf *req)
{
	kg_buf ans;
	kg_buf_init(&ans, 0);
	size_t n;
	int r = kg_agent_frame(kg_buf_ptr(req), kg_buf_len(req), &n);
	if (r >= 0)
		r = kg_agent_server_handle(s, b, kg_buf_ptr(req) + 4, n, &ans);
	if (r >= 0)
		r = kg_buf_len(&ans) >= 5 ? kg_buf_ptr(&ans)[4] : -1;
	kg_buf_reset(req);
	kg_buf_free(&ans);
	return r;
}

static int put_bind(kg_buf *req, const kg_key *hk, const char *sid, const char *signed_sid, int fwd)
{
	kg_buf blob, sig;
	blob_of(hk, &blob);
	kg_buf_init(&sig, 0);
	int r = kg_key_sign(hk, NULL, (const uint8_t *)signed_sid, strlen(signed_sid), &sig);
	if (r >= 0)
		r = kg_agent_put_session_bind(req, kg_buf_ptr(&blob), kg_buf_len(&blob), (const uint8_t *)sid,
					      strlen(sid), kg_buf_ptr(&sig), kg_buf_len(&sig), fwd);
	kg_buf_free(&blob);
	kg_buf_free(&sig);
	return r;
}

static void test_session_bind(void)
{
	kg_agent_server s;
	kg_agent_server_init(&s, NULL, NULL);
	kg_agent_binds b, b2;
	memset(&b, 0, sizeof(b));
	memset(&b2, 0, sizeof(b2));
	kg_buf req;
	kg_buf_init(&req, 0);
	/* a signature over another session id: refused */
	T_OK(put_bind(&req, ed, "session-one", "session-two", 1));
	T_ASSERT(ask_bound(&s, &b, &req) == KG_AGENT_FAILURE && b.n == 0);
	/* without connection state (NULL): refused */
	T_OK(put_bind(&req, ed, "session-one", "session-one", 1));
	T_ASSERT(ask_bound(&s, NULL, &req) == KG_AGENT_FAILURE);
	/* forwarding bindings stack; the same one twice is fine */
	T_OK(put_bind(&req, ed, "session-one", "session-one", 1));
	T_ASSERT(ask_bound(&s, &b, &req) == KG_AGENT_SUCCESS && b.n == 1 && b.v[0].forwarding);
	T_OK(put_bind(&req, ed, "session-one", "session-one", 1));
	T_ASSERT(ask_bound(&s, &b, &req) == KG_AGENT_SUCCESS && b.n == 1);
	/* the same session id with another host key: refused */
	T_OK(put_bind(&req, rsa, "session-one", "session-one", 1));
	T_ASSERT(ask_bound(&s, &b, &req) == KG_AGENT_FAILURE);
	T_OK(put_bind(&req, rsa, "session-two", "session-two", 0));
	T_ASSERT(ask_bound(&s, &b, &req) == KG_AGENT_SUCCESS && b.n == 2 && !b.v[1].forwarding);
	/* bound for authentication: no further binding */
	T_OK(put_bind(&req, ed, "session-three", "session-three", 1));
	T_ASSERT(ask_bound(&s, &b, &req) == KG_AGENT_FAILURE && b.n == 2);
	/* another connection has its own bindings; at most KG_AGENT_MAX_BINDS */
	for (int i = 0; i < (int)KG_AGENT_MAX_BINDS + 1; i++) {
		char sid[32];
		snprintf(sid, sizeof(sid), "sid-%d", i);
		T_OK(put_bind(&req, ed, sid, sid, 1));
		T_ASSERT(ask_bound(&s, &b2, &req) == (i < (int)KG_AGENT_MAX_BINDS ? KG_AGENT_SUCCESS : KG_AGENT_FAILURE));
	}
	T_ASSERT(b2.n == KG_AGENT_MAX_BINDS);
	kg_agent_binds_free(&b);
	kg_agent_binds_free(&b2);
	T_ASSERT(b.n == 0);
	kg_buf_free(&req);
	kg_agent_server_free(&s);
}

/* Appends a hop (user, host, reserved, (key, is_ca)*) as a string. */
static int put_hop(kg_buf *out, const char *user, const char *host, const kg_key *const *keys, size_t n)
{
	kg_buf h, blob;
	kg_buf_init(&h, 0);
	int r = kg_buf_put_cstring(&h, user);
	if (r >= 0)
		r = kg_buf_put_cstring(&h, host);
	if (r >= 0)
		r = kg_buf_put_string(&h, NULL, 0);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		blob_of(keys[i], &blob);
		r = kg_buf_put_string(&h, kg_buf_ptr(&blob), kg_buf_len(&blob));
		if (r >= 0)
			r = kg_buf_put_u8(&h, 0);
		kg_buf_free(&blob);
	}
	if (r >= 0)
		r = kg_buf_put_stringb(out, &h);
	kg_buf_free(&h);
	return r;
}

/* One constraint: from (host, key) to (user, host, key). */
static int put_dest(kg_buf *out, const char *from_host, const kg_key *from_key, const char *to_user,
		    const char *to_host, const kg_key *to_key)
{
	kg_buf d;
	kg_buf_init(&d, 0);
	int r = put_hop(&d, "", from_host, &from_key, from_key ? 1 : 0);
	if (r >= 0)
		r = put_hop(&d, to_user, to_host, &to_key, to_key ? 1 : 0);
	if (r >= 0)
		r = kg_buf_put_string(&d, NULL, 0);
	if (r >= 0)
		r = kg_buf_put_stringb(out, &d);
	kg_buf_free(&d);
	return r;
}

static void test_dest(void)
{
	kg_key *hostA = NULL, *hostB = NULL;
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &hostA));
	T_OK(kg_key_generate(KG_KEY_ECDSA_P256, 0, &hostB));
	kg_buf c, ba, bb;
	kg_buf_init(&c, 0);
	blob_of(hostA, &ba);
	blob_of(hostB, &bb);
	/* here -> A (any user), then A -> B as "alice*" only */
	T_OK(put_dest(&c, "", NULL, "", "hostA", hostA));
	T_OK(put_dest(&c, "hostA", hostA, "alice*", "hostB", hostB));
	kg_agent_dest *d = NULL;
	size_t n = 0;
	T_OK(kg_agent_dest_parse(kg_buf_ptr(&c), kg_buf_len(&c), &d, &n));
	T_ASSERT(n == 2 && strcmp(d[1].to.user, "alice*") == 0 && d[1].from.nkeys == 1);
	kg_agent_dest_hop toA = {kg_buf_ptr(&ba), kg_buf_len(&ba), 0}, toB = {kg_buf_ptr(&bb), kg_buf_len(&bb), 0};
	kg_agent_dest_hop fwdA = toA, h[2];
	fwdA.forwarding = 1;
	T_ASSERT(kg_agent_dest_permitted(d, n, NULL, 0, "x"));           /* local use */
	T_ASSERT(kg_agent_dest_permitted(d, n, &toA, 1, "bob"));
	T_ASSERT(!kg_agent_dest_permitted(d, n, &toB, 1, "alice"));      /* B is not a first hop */
	h[0] = fwdA;
	h[1] = toB;
	T_ASSERT(kg_agent_dest_permitted(d, n, h, 2, "alice1"));
	T_ASSERT(!kg_agent_dest_permitted(d, n, h, 2, "bob"));            /* user pattern */
	T_ASSERT(kg_agent_dest_permitted(d, n, h, 2, NULL));              /* listing */
	h[0] = toA;                                                       /* A bound for auth, not forwarding */
	T_ASSERT(!kg_agent_dest_permitted(d, n, h, 2, "alice1"));
	T_ASSERT(!kg_agent_dest_permitted(d, n, &fwdA, 1, "bob"));        /* signing over a forwarding hop */
	kg_agent_dest_free(d, n);
	/* refused: a "from" user, no destination keys, trailing bytes */
	kg_buf_reset(&c);
	T_OK(put_dest(&c, "", NULL, "", "hostA", NULL));
	T_ASSERT(kg_agent_dest_parse(kg_buf_ptr(&c), kg_buf_len(&c), &d, &n) < 0);
	kg_buf_reset(&c);
	T_OK(put_dest(&c, "hostA", NULL, "", "hostB", hostB));            /* a from host without keys */
	T_ASSERT(kg_agent_dest_parse(kg_buf_ptr(&c), kg_buf_len(&c), &d, &n) < 0);
	T_ASSERT(kg_agent_dest_parse((const uint8_t *)"", 0, &d, &n) < 0);
	/* user auth requests: plain and host-bound */
	kg_buf u, kb;
	kg_buf_init(&u, 0);
	blob_of(ed, &kb);
	T_OK(kg_buf_put_string(&u, "SID", 3));
	T_OK(kg_buf_put_u8(&u, 50));
	T_OK(kg_buf_put_cstring(&u, "alice"));
	T_OK(kg_buf_put_cstring(&u, "ssh-connection"));
	T_OK(kg_buf_put_cstring(&u, "publickey-hostbound-v00@openssh.com"));
	T_OK(kg_buf_put_bool(&u, 1));
	T_OK(kg_buf_put_cstring(&u, "ssh-ed25519"));
	T_OK(kg_buf_put_stringb(&u, &kb));
	T_OK(kg_buf_put_stringb(&u, &ba));
	const uint8_t *sid, *hk;
	size_t sl, hl;
	char *user;
	T_OK(kg_agent_dest_userauth(kg_buf_ptr(&u), kg_buf_len(&u), kg_buf_ptr(&kb), kg_buf_len(&kb), &sid, &sl, &user,
				    &hk, &hl));
	T_ASSERT(sl == 3 && strcmp(user, "alice") == 0 && hl == kg_buf_len(&ba));
	free(user);
	/* another key's blob than the one signing: refused */
	T_ASSERT(kg_agent_dest_userauth(kg_buf_ptr(&u), kg_buf_len(&u), kg_buf_ptr(&ba), kg_buf_len(&ba), &sid, &sl,
					&user, &hk, &hl) < 0);
	T_ASSERT(kg_agent_dest_userauth((const uint8_t *)"abc", 3, kg_buf_ptr(&kb), kg_buf_len(&kb), &sid, &sl, &user,
					&hk, &hl) < 0);
	kg_buf_free(&u);
	kg_buf_free(&kb);
	kg_buf_free(&c);
	kg_buf_free(&ba);
	kg_buf_free(&bb);
	kg_key_free(hostA);
	kg_key_free(hostB);
}

static void test_dest_build(void)
{
	char path[] = "/tmp/kagi-kh.XXXXXX";
	int fd = mkstemp(path);
	T_ASSERT(fd >= 0);
	kg_buf line;
	kg_buf_init(&line, 0);
	T_OK(kg_buf_put(&line, "# comment\nhostA,other ", 22));
	T_OK(kg_key_to_line(ed, &line));
	T_OK(kg_buf_put(&line, "\n@revoked hostA ", 16));
	T_OK(kg_key_to_line(rsa, &line));
	T_OK(kg_buf_put(&line, "\nhostB ", 7));
	T_OK(kg_key_to_line(rsa, &line));
	T_OK(kg_buf_put(&line, "\n", 1));
	T_ASSERT(write(fd, kg_buf_ptr(&line), kg_buf_len(&line)) == (ssize_t)kg_buf_len(&line));
	close(fd);
	const char *files[] = {"/nonexistent/known_hosts", path};
	kg_buf out;
	kg_buf_init(&out, 0);
	const char *missing = NULL;
	T_OK(kg_agent_dest_build("hostA", files, 2, &out, &missing));
	T_OK(kg_agent_dest_build("hostA>bob@hostB", files, 2, &out, &missing));
	kg_agent_dest *d;
	size_t n;
	T_OK(kg_agent_dest_parse(kg_buf_ptr(&out), kg_buf_len(&out), &d, &n));
	T_ASSERT(n == 2 && d[0].from.host[0] == '\0' && d[0].to.nkeys == 1 && kg_key_equal_public(d[0].to.keys[0], ed));
	T_ASSERT(strcmp(d[1].from.host, "hostA") == 0 && strcmp(d[1].to.user, "bob") == 0 &&
		 kg_key_equal_public(d[1].to.keys[0], rsa));
	kg_agent_dest_free(d, n);
	T_ASSERT(kg_agent_dest_build("nohost", files, 2, &out, &missing) == KG_ERR_NOT_FOUND &&
		 strcmp(missing, "nohost") == 0);
	T_ASSERT(kg_agent_dest_build("u@hostA>hostB", files, 2, &out, &missing) == KG_ERR_ARG);
	T_ASSERT(kg_agent_dest_build(">hostB", files, 2, &out, &missing) == KG_ERR_ARG);
	kg_buf_free(&out);
	kg_buf_free(&line);
	unlink(path);
}

static void test_peer_check(void)
{
	T_ASSERT(kg_agent_peer_allowed(1000, 1000));
	T_ASSERT(kg_agent_peer_allowed(0, 1000));
	T_ASSERT(!kg_agent_peer_allowed(1001, 1000));
	T_ASSERT(!kg_agent_peer_allowed(65534, 0));
}

/* A forked client adds a key, lists it and sends a too-large frame while
 * the parent serves on the loop. */
static void test_listener(void)
{
	char *dir, path[512];
	T_OK(kg_agent_sock_private_dir(NULL, &dir));
	snprintf(path, sizeof(path), "%s/agent.t", dir);
	int lfd;
	T_OK(kg_agent_sock_listen(path, &lfd));
	pid_t pid = fork();
	if (pid == 0) {
		int fd, fd2;
		kg_buf req, ans;
		kg_buf_init(&req, 0);
		kg_buf_init(&ans, 0);
		if (kg_agent_sock_connect(path, &fd) < 0 || kg_agent_sock_connect(path, &fd2) < 0)
			_exit(10);
		if (kg_agent_put_add(&req, ed, "via-socket", 0, 0) < 0 || kg_agent_sock_call(fd, &req, &ans) < 0 ||
		    kg_agent_parse_status(kg_buf_ptr(&ans), kg_buf_len(&ans)) < 0)
			_exit(11);
		kg_buf_reset(&req);
		kg_agent_id *ids;
		size_t n;
		/* the second client sees what the first added */
		if (kg_agent_put_simple(&req, KG_AGENTC_REQUEST_IDENTITIES) < 0 ||
		    kg_agent_sock_call(fd2, &req, &ans) < 0 ||
		    kg_agent_parse_identities(kg_buf_ptr(&ans), kg_buf_len(&ans), &ids, &n) < 0 || n != 1 ||
		    strcmp(ids[0].comment, "via-socket") != 0)
			_exit(12);
		/* an impossible length: the agent drops the client */
		uint8_t huge[5] = {0x7f, 0, 0, 0, 11};
		if (write(fd, huge, sizeof(huge)) != 5)
			_exit(13);
		char c;
		if (read(fd, &c, 1) != 0)
			_exit(14);
		_exit(0);
	}
	kg_loop lp;
	kg_loop_init(&lp);
	kg_agent_server s;
	kg_agent_server_init(&s, &lp, NULL);
	kg_agent_listener l;
	T_OK(kg_agent_listen_start(&l, &lp, &s, lfd, NULL));
	int st = -1;
	uint64_t start = kg_monotonic_ms();
	while (kg_monotonic_ms() - start < 10000) {
		(void)!kg_loop_run_once(&lp, 50);
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
	}
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_ASSERT(s.keys.n == 1);
	kg_agent_listen_stop(&l);
	kg_agent_server_free(&s);
	kg_loop_free(&lp);
	unlink(path);
	rmdir(dir);
	free(dir);
}

static void write_script(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");
	if (!f)
		abort();
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, 0700);
}

static void test_askpass(void)
{
	char dir[] = "/tmp/kagi-askpass.XXXXXX", yes[64], no[64], pass[64], buf[64];
	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(yes, sizeof(yes), "%s/yes", dir);
	snprintf(no, sizeof(no), "%s/no", dir);
	snprintf(pass, sizeof(pass), "%s/pass", dir);
	write_script(yes, "[ \"$SSH_ASKPASS_PROMPT\" = confirm ] || exit 1; echo yes");
	write_script(no, "exit 1");
	write_script(pass, "[ -z \"$SSH_ASKPASS_PROMPT\" ] || exit 1; echo \"p:$1\"; echo second");
	T_OK(kg_askpass_confirm(yes, "Allow?"));
	T_ASSERT(kg_askpass_confirm(no, "Allow?") == KG_ERR_AUTH_FAILED);
	T_ASSERT(kg_askpass_confirm(pass, "Allow?") == KG_ERR_AUTH_FAILED);  /* answers neither "" nor yes */
	T_ASSERT(kg_askpass_confirm("/nonexistent/askpass", "Allow?") == KG_ERR_AUTH_FAILED);
	setenv("SSH_ASKPASS_PROMPT", "confirm", 1);
	T_OK(kg_askpass_run(pass, "Enter:", 0, buf, sizeof(buf)));
	unsetenv("SSH_ASKPASS_PROMPT");
	T_ASSERT(strcmp(buf, "p:Enter:") == 0);
	T_ASSERT(kg_askpass_run(no, "x", 0, buf, sizeof(buf)) == KG_ERR_AUTH_FAILED && buf[0] == '\0');
	T_ASSERT(kg_askpass_run("/nonexistent/askpass", "x", 0, buf, sizeof(buf)) == KG_ERR_SYSTEM);
	T_OK(kg_askpass_run(pass, "a-long-prompt", 0, buf, 5));
	T_ASSERT(strcmp(buf, "p:a-") == 0);
	setenv("SSH_ASKPASS", yes, 1);
	T_ASSERT(strcmp(kg_askpass_program(), yes) == 0);
	unsetenv("SSH_ASKPASS");
	T_ASSERT(strcmp(kg_askpass_program(), KG_ASKPASS_DEFAULT) == 0);
	unlink(yes);
	unlink(no);
	unlink(pass);
	rmdir(dir);
}

static void test_run_helpers(void)
{
	setenv("SHELL", "/bin/tcsh", 1);
	T_ASSERT(kg_agentd_shell_is_csh());
	setenv("SHELL", "/bin/bash", 1);
	T_ASSERT(!kg_agentd_shell_is_csh());
	unsetenv("SSH_AGENT_PID");
	T_ASSERT(kg_agentd_kill(0) == 1);
	setenv("SSH_AGENT_PID", "abc", 1);
	T_ASSERT(kg_agentd_kill(0) == 1);
	setenv("SSH_AGENT_PID", "1", 1);  /* never init */
	T_ASSERT(kg_agentd_kill(0) == 1);
	unsetenv("SSH_AGENT_PID");
}

static void test_add_helpers(void)
{
	T_ASSERT(strcmp(kg_add_default_name(0), "id_rsa") == 0);
	T_ASSERT(strcmp(kg_add_default_name(3), "id_ed25519") == 0);
	T_ASSERT(kg_add_default_name(7) == NULL);
	unsetenv("DISPLAY");
	unsetenv("WAYLAND_DISPLAY");
	setenv("SSH_ASKPASS_REQUIRE", "force", 1);
	T_ASSERT(kg_add_use_askpass() == 1);
	setenv("SSH_ASKPASS_REQUIRE", "prefer", 1);
	T_ASSERT(kg_add_use_askpass() == 0);
	setenv("DISPLAY", ":0", 1);
	T_ASSERT(kg_add_use_askpass() == 1);
	setenv("SSH_ASKPASS_REQUIRE", "never", 1);
	T_ASSERT(kg_add_use_askpass() == 0);
	unsetenv("SSH_ASKPASS_REQUIRE");
	T_ASSERT(kg_add_use_askpass() == !isatty(STDIN_FILENO));
	unsetenv("DISPLAY");
	/* no agent to talk to: exit status 2 */
	kg_add_opts o;
	memset(&o, 0, sizeof(o));
	o.op = KG_ADD_LIST_FP;
	unsetenv("SSH_AUTH_SOCK");
	T_ASSERT(kg_add_run(&o) == 2);
	setenv("SSH_AUTH_SOCK", "/nonexistent/agent.sock", 1);
	T_ASSERT(kg_add_run(&o) == 2);
	unsetenv("SSH_AUTH_SOCK");
}

int main(void)
{
	if (kg_key_generate(KG_KEY_ED25519, 0, &ed) < 0 || kg_key_generate(KG_KEY_RSA, 2048, &rsa) < 0) {
		printf("FAIL: key generation\n");
		return 1;
	}
	T_RUN(test_keys_table);
	T_RUN(test_keys_timer);
	T_RUN(test_server_requests);
	T_RUN(test_session_bind);
	T_RUN(test_dest);
	T_RUN(test_dest_build);
	T_RUN(test_peer_check);
	T_RUN(test_listener);
	T_RUN(test_askpass);
	T_RUN(test_run_helpers);
	T_RUN(test_add_helpers);
	kg_key_free(ed);
	kg_key_free(rsa);
	return T_DONE();
}
