/* The --explain narrative and page, fed with synthetic events: real values
 * appear, secrets never do, runs collapse, advice fits, HTML is escaped,
 * and malformed traced messages are harmless. */
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include "core/packet.h"
#include "explain/explain-int.h"
#include "t.h"

#define SECRET_PW "hunter2-Secret-Pw"

static char *story_of(const kg_explain *ex)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	unsigned sec = 0;
	for (int p = 0; p < EX_NPARTS; p++)
		if (ex_story_part(ex, p, &sec, &b) < 0) {
			kg_buf_free(&b);
			return NULL;
		}
	char *s = malloc(kg_buf_len(&b) + 1);
	memcpy(s, kg_buf_ptr(&b), kg_buf_len(&b));
	s[kg_buf_len(&b)] = '\0';
	kg_buf_free(&b);
	return s;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	size_t got = fread(s, 1, (size_t)n, f);
	s[got] = '\0';
	fclose(f);
	return s;
}

static void trace_kexinit(kg_explain *ex, int sent, const char *kex, const char *macs)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	uint8_t cookie[16] = { 0 };
	(void)!kg_buf_put_u8(&b, SSH_MSG_KEXINIT);
	(void)!kg_buf_put(&b, cookie, 16);
	const char *lists[10] = { kex, "ssh-ed25519", "chacha20-poly1305@openssh.com", "chacha20-poly1305@openssh.com",
				  macs, macs, "none", "none", "", "" };
	for (int i = 0; i < 10; i++)
		(void)!kg_buf_put_cstring(&b, lists[i]);
	(void)!kg_buf_put_bool(&b, 0);
	(void)!kg_buf_put_u32(&b, 0);
	kg_explain_on_trace(ex, sent, kg_buf_ptr(&b), kg_buf_len(&b));
	kg_buf_free(&b);
}

static void trace_userauth(kg_explain *ex, const char *method, const char *extra)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	(void)!kg_buf_put_u8(&b, SSH_MSG_USERAUTH_REQUEST);
	(void)!kg_buf_put_cstring(&b, "alice");
	(void)!kg_buf_put_cstring(&b, "ssh-connection");
	(void)!kg_buf_put_cstring(&b, method);
	if (extra) {
		(void)!kg_buf_put_bool(&b, 0);
		(void)!kg_buf_put_cstring(&b, extra);
	}
	kg_explain_on_trace(ex, 1, kg_buf_ptr(&b), kg_buf_len(&b));
	kg_buf_free(&b);
}

static void trace_data(kg_explain *ex, int sent, uint32_t n)
{
	uint8_t msg[9 + 64] = { SSH_MSG_CHANNEL_DATA };
	kg_poke_u32(msg + 1, 0);
	kg_poke_u32(msg + 5, n);
	kg_explain_on_trace(ex, sent, msg, 9 + n);
}

static const uint8_t HASH[32] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
				  13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 0xca, 0xfe };

/* A whole public-key login plus a password attempt, hostkey status given. */
static kg_explain *scripted(const char *status, kg_key **hostkey, kg_key **userkey)
{
	kg_explain *ex = NULL;
	if (kg_explain_new(&ex, "kssh") < 0)
		return NULL;
	(void)!kg_explain_set_target(ex, "alice", "<b>host</b>", 2222);
	kg_explain_on_peer_version(ex, "SSH-2.0-OpenSSH_9.2p1 Debian");
	(void)!kg_key_generate(KG_KEY_ED25519, 0, hostkey);
	(void)!kg_key_generate(KG_KEY_ED25519, 0, userkey);
	trace_kexinit(ex, 1, "curve25519-sha256,ext-info-c", "hmac-sha2-256-etm@openssh.com");
	trace_kexinit(ex, 0, "curve25519-sha256,diffie-hellman-group1-sha1", "hmac-sha2-256,hmac-md5");
	kg_explain_on_hostkey(ex, *hostkey, status, "/home/alice/.ssh/known_hosts", 7);
	uint8_t cpub[32], spub[32];
	memset(cpub, 0xaa, sizeof(cpub));
	memset(spub, 0xbb, sizeof(spub));
	kg_kex_result k = {
		.kex = "curve25519-sha256", .hostkey_alg = "ssh-ed25519",
		.cipher_c2s = "aes256-gcm@openssh.com", .cipher_s2c = "aes256-gcm@openssh.com",
		.comp_c2s = "none", .comp_s2c = "none",
		.client_pub = cpub, .client_pub_len = 32, .server_pub = spub, .server_pub_len = 32,
		.exchange_hash = HASH, .hash_len = 32, .strict_kex = 1, .count = 1,
	};
	kg_explain_on_kex(ex, &k);
	trace_userauth(ex, "none", NULL);
	kg_cli_auth_event ev = { .type = KG_AUTH_EV_METHODS, .text = "publickey,password" };
	kg_explain_on_auth(ex, &ev);
	/* The payload of a password request holds the password: only the
	 * method name may ever be read from it. */
	trace_userauth(ex, "password", SECRET_PW);
	ev = (kg_cli_auth_event){ .type = KG_AUTH_EV_PASSWORD_SENT };
	kg_explain_on_auth(ex, &ev);
	ev = (kg_cli_auth_event){ .type = KG_AUTH_EV_FAILURE, .text = "password" };
	kg_explain_on_auth(ex, &ev);
	kg_cli_identity id = { .pub = *userkey, .path = "/home/alice/.ssh/id_ed25519" };
	trace_userauth(ex, "publickey", "ssh-ed25519");
	ev = (kg_cli_auth_event){ .type = KG_AUTH_EV_KEY_OFFERED, .id = &id, .alg = "ssh-ed25519" };
	kg_explain_on_auth(ex, &ev);
	ev.type = KG_AUTH_EV_KEY_ACCEPTED;
	kg_explain_on_auth(ex, &ev);
	ev.type = KG_AUTH_EV_KEY_SIGNED;
	kg_explain_on_auth(ex, &ev);
	ev = (kg_cli_auth_event){ .type = KG_AUTH_EV_SUCCESS, .text = "publickey" };
	kg_explain_on_auth(ex, &ev);
	for (int i = 0; i < 100; i++) {
		trace_data(ex, 1, 10);
		if (i % 10 == 0) {
			uint8_t wa[9] = { SSH_MSG_CHANNEL_WINDOW_ADJUST };
			kg_explain_on_trace(ex, 0, wa, sizeof(wa));
		}
	}
	kg_explain_note_outcome(ex, KG_OK);
	return ex;
}

static void test_story_values(void)
{
	kg_key *hk = NULL, *uk = NULL;
	kg_explain *ex = scripted("known", &hk, &uk);
	T_ASSERT(ex != NULL);
	char hfp[KG_KEY_FP_LEN], ufp[KG_KEY_FP_LEN];
	T_OK(kg_key_fingerprint(hk, hfp, sizeof(hfp)));
	T_OK(kg_key_fingerprint(uk, ufp, sizeof(ufp)));
	char *s = story_of(ex);
	T_ASSERT(s != NULL);
	T_ASSERT(strstr(s, hfp) != NULL);
	T_ASSERT(strstr(s, ufp) != NULL);
	T_ASSERT(strstr(s, "SSH-2.0-OpenSSH_9.2p1 Debian") != NULL);
	T_ASSERT(strstr(s, "/home/alice/.ssh/known_hosts (line 7)") != NULL);
	T_ASSERT(strstr(s, "curve25519-sha256") != NULL);
	T_ASSERT(strstr(s, "aes256-gcm@openssh.com") != NULL);
	T_ASSERT(strstr(s, "aaaaaaaaaaaaaaaa...aaaa") != NULL);   /* shortened public values */
	T_ASSERT(strstr(s, "bbbbbbbbbbbbbbbb...bbbb") != NULL);
	T_ASSERT(strstr(s, "deadbeef01020304...cafe") != NULL);   /* H and session id */
	T_ASSERT(strstr(s, "encryption key client to server (C)\t32 bytes (256 bits)") != NULL);
	T_ASSERT(strstr(s, "initial IV server to client (B)\t12 bytes") != NULL);
	T_ASSERT(strstr(s, "USERAUTH_PK_OK") != NULL);
	T_ASSERT(strstr(s, "cannot be replayed") != NULL);
	T_ASSERT(strstr(s, "Sent the password inside the encrypted channel") != NULL);
	T_ASSERT(strstr(s, "The server refused the password.") != NULL);
	T_ASSERT(strstr(s, "method: publickey") != NULL);
	T_ASSERT(strstr(s, "diffie-hellman-group1-sha1, hmac-md5") != NULL);   /* old algorithms advice */
	T_ASSERT(strstr(s, "You logged in with a password") != NULL);
	T_ASSERT(strstr(s, "1000 bytes went to the server") != NULL);
	T_ASSERT(strstr(s, "Terrapin") != NULL);
	/* curve25519 alone: the post-quantum warning, as OpenSSH 10.1 gives it */
	T_ASSERT(strstr(s, "WARNING: this connection did not use a post-quantum key exchange") != NULL);
	T_ASSERT(strstr(s, "store now, decrypt later") != NULL);
	T_ASSERT(strstr(s, "harvest now") == NULL);
	T_ASSERT(strstr(s, SECRET_PW) == NULL);
	free(s);
	kg_explain_free(ex);
	kg_key_free(hk);
	kg_key_free(uk);
}

/* A post-quantum hybrid: the story names it and its KEM, and gives no warning. */
static void test_story_post_quantum(void)
{
	kg_explain *ex = NULL;
	T_OK(kg_explain_new(&ex, "kssh"));
	kg_explain_on_peer_version(ex, "SSH-2.0-OpenSSH_10.5");
	kg_key *hk = NULL;
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &hk));
	trace_kexinit(ex, 1, "mlkem768x25519-sha256,curve25519-sha256", "hmac-sha2-256-etm@openssh.com");
	trace_kexinit(ex, 0, "mlkem768x25519-sha256,curve25519-sha256", "hmac-sha2-256-etm@openssh.com");
	kg_explain_on_hostkey(ex, hk, "known", "/home/alice/.ssh/known_hosts", 1);
	static uint8_t cpub[1184 + 32], spub[1088 + 32];
	memset(cpub, 0xaa, sizeof(cpub));
	memset(spub, 0xbb, sizeof(spub));
	kg_kex_result k = {
		.kex = "mlkem768x25519-sha256", .hostkey_alg = "ssh-ed25519",
		.cipher_c2s = "aes256-gcm@openssh.com", .cipher_s2c = "aes256-gcm@openssh.com",
		.comp_c2s = "none", .comp_s2c = "none",
		.client_pub = cpub, .client_pub_len = sizeof(cpub), .server_pub = spub, .server_pub_len = sizeof(spub),
		.exchange_hash = HASH, .hash_len = 32, .strict_kex = 1, .count = 1,
	};
	kg_explain_on_kex(ex, &k);
	kg_explain_note_outcome(ex, KG_OK);
	char *s = story_of(ex);
	T_ASSERT(s != NULL);
	T_ASSERT(strstr(s, "mlkem768x25519-sha256 is a post-quantum hybrid") != NULL);
	T_ASSERT(strstr(s, "one-time ML-KEM-768 public key") != NULL);
	T_ASSERT(strstr(s, "harvest now, decrypt later") != NULL);
	T_ASSERT(strstr(s, "1216 bytes") != NULL && strstr(s, "1120 bytes") != NULL);
	T_ASSERT(strstr(s, "did not use a post-quantum") == NULL);
	free(s);
	kg_explain_free(ex);
	kg_key_free(hk);
}

static void test_runs_collapse(void)
{
	kg_key *hk = NULL, *uk = NULL;
	kg_explain *ex = scripted("known", &hk, &uk);
	T_ASSERT(ex != NULL);
	size_t data_rows = 0, wa_rows = 0;
	uint32_t data_count = 0;
	uint64_t data_bytes = 0;
	for (size_t i = 0; i < ex->n_msgs; i++) {
		const ex_msg *m = &ex->msgs[i];
		if (m->type == SSH_MSG_CHANNEL_DATA) {
			data_rows++;
			data_count += m->count;
			data_bytes += m->data_bytes;
		}
		if (m->type == SSH_MSG_CHANNEL_WINDOW_ADJUST)
			wa_rows++;
		T_ASSERT(m->detail == NULL || strstr(m->detail, SECRET_PW) == NULL);
	}
	T_ASSERT(data_rows == 1 && data_count == 100 && data_bytes == 1000);
	T_ASSERT(wa_rows == 1);
	/* The password request is in the diagram, by method only. */
	int seen_pw = 0;
	for (size_t i = 0; i < ex->n_msgs; i++)
		if (ex->msgs[i].detail && strstr(ex->msgs[i].detail, "method: password"))
			seen_pw = 1;
	T_ASSERT(seen_pw);
	T_ASSERT(ex->msgs[0].type == SSH_MSG_KEXINIT && ex->msgs[0].sent == 1 && ex->msgs[0].job == EX_JOB_SECRET);
	kg_explain_free(ex);
	kg_key_free(hk);
	kg_key_free(uk);
}

static void test_hostkey_states(void)
{
	const char *states[] = { "new", "changed", "revoked" };
	const char *want[] = { "First contact", "STOP: /home/alice/.ssh/known_hosts (line 7)", "@revoked" };
	for (size_t i = 0; i < 3; i++) {
		kg_key *hk = NULL, *uk = NULL;
		kg_explain *ex = scripted(states[i], &hk, &uk);
		T_ASSERT(ex != NULL);
		char *s = story_of(ex);
		T_ASSERT(s && strstr(s, want[i]) != NULL);
		T_ASSERT(strstr(s, "already in") == NULL);
		free(s);
		kg_explain_free(ex);
		kg_key_free(hk);
		kg_key_free(uk);
	}
}

static void test_stopped_before_auth(void)
{
	kg_explain *ex = NULL;
	kg_key *hk = NULL;
	T_OK(kg_explain_new(&ex, "kssh"));
	T_OK(kg_explain_set_target(ex, "bob", "example", 22));
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &hk));
	kg_explain_on_peer_version(ex, "SSH-2.0-X");
	kg_explain_on_hostkey(ex, hk, "changed", "/kh", 3);
	kg_explain_note_outcome(ex, KG_ERR_HOSTKEY_CHANGED);
	char *s = story_of(ex);
	T_ASSERT(s != NULL);
	T_ASSERT(strstr(s, "No authentication was attempted") != NULL);
	T_ASSERT(strstr(s, "stopped before any key was put to use") != NULL);
	T_ASSERT(strstr(s, "4. The session") == NULL);
	free(s);
	kg_explain_free(ex);
	kg_key_free(hk);
}

static void test_advice_files(void)
{
	char dir[] = "/tmp/kagi-explain-test.XXXXXX";
	T_ASSERT(mkdtemp(dir) != NULL);
	char pem[256], upload[256];
	snprintf(pem, sizeof(pem), "%s/cloud.pem", dir);
	snprintf(upload, sizeof(upload), "%s/id_ed25519", dir);
	FILE *f = fopen(pem, "w");
	T_ASSERT(f != NULL);
	fputs("-----BEGIN RSA PRIVATE KEY-----\n", f);
	fclose(f);
	T_ASSERT(chmod(pem, 0644) == 0);
	f = fopen(upload, "w");
	T_ASSERT(f != NULL);
	fputs("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n", f);
	fclose(f);
	kg_explain *ex = NULL;
	T_OK(kg_explain_new(&ex, "kscp"));
	T_OK(kg_explain_note_identity_file(ex, pem));
	T_OK(kg_explain_note_transfer(ex, "scp", upload, "bastion:.ssh/id_ed25519", 42, 1));
	T_ASSERT(kg_explain_note_transfer(ex, "ftp", upload, "x", 1, 1) == KG_ERR_ARG);
	ex->auth_ok = 1;
	char *s = story_of(ex);
	T_ASSERT(s != NULL);
	T_ASSERT(strstr(s, "mode 0644") && strstr(s, "chmod 600"));
	T_ASSERT(strstr(s, "is a .pem key") != NULL);
	T_ASSERT(strstr(s, "kssh -J") != NULL);
	T_ASSERT(strstr(s, "legacy scp protocol") != NULL);
	T_ASSERT(strstr(s, "42 bytes") != NULL);
	T_ASSERT(strstr(s, "AAAA") == NULL);
	free(s);
	kg_explain_free(ex);
	unlink(pem);
	unlink(upload);
	rmdir(dir);
}

static void test_html_escaped(void)
{
	kg_key *hk = NULL, *uk = NULL;
	kg_explain *ex = scripted("known", &hk, &uk);
	T_ASSERT(ex != NULL);
	char path[] = "/tmp/kagi-explain-html.XXXXXX";
	int fd = mkstemp(path);
	T_ASSERT(fd >= 0);
	close(fd);
	T_OK(kg_explain_html_write(ex, path));
	char *h = read_all(path);
	unlink(path);
	T_ASSERT(h != NULL);
	T_ASSERT(strstr(h, "<b>host</b>") == NULL);
	T_ASSERT(strstr(h, "&lt;b&gt;host&lt;/b&gt;") != NULL);
	T_ASSERT(strstr(h, "id=\"sequence-diagram\"") != NULL);
	T_ASSERT(strstr(h, "default-src 'none'") != NULL);
	T_ASSERT(strstr(h, "http://") == NULL && strstr(h, "https://") == NULL);
	T_ASSERT(strstr(h, SECRET_PW) == NULL);
	T_ASSERT(strstr(h, "&#215;100") != NULL || strstr(h, "\xc3\x97" "100") != NULL);
	free(h);
	T_ASSERT(kg_explain_html_write(ex, "/nonexistent-dir/x.html") == KG_ERR_SYSTEM);
	kg_explain_free(ex);
	kg_key_free(hk);
	kg_key_free(uk);
}

static void test_text_printer(void)
{
	kg_key *hk = NULL, *uk = NULL;
	kg_explain *ex = scripted("new", &hk, &uk);
	T_ASSERT(ex != NULL);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	T_ASSERT(f != NULL);
	kg_explain_text_finish(ex, f);
	fclose(f);
	T_ASSERT(strstr(out, "kssh --explain") != NULL);
	T_ASSERT(strstr(out, "1. Who we connected to") != NULL && strstr(out, "5. Advice") != NULL);
	/* Wrapped: no line of plain ASCII prose is wider than the terminal. */
	for (char *line = out, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		size_t w = (size_t)(nl - line);
		int has_space_after_indent = memchr(line + 6, ' ', w > 6 ? w - 6 : 0) != NULL;
		T_ASSERT(w <= 78 || !has_space_after_indent || strncmp(line, "     ", 5) == 0);
	}
	free(out);
	/* Printed once: a second finish prints only the trailing newline. */
	f = open_memstream(&out, &len);
	kg_explain_text_finish(ex, f);
	fclose(f);
	T_ASSERT(strcmp(out, "\n") == 0);
	free(out);
	kg_explain_free(ex);
	kg_key_free(hk);
	kg_key_free(uk);
}

static void test_malformed_trace(void)
{
	kg_explain *ex = NULL;
	T_OK(kg_explain_new(&ex, "kssh"));
	uint8_t junk[64];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	const uint8_t types[] = { SSH_MSG_KEXINIT, SSH_MSG_KEX_ECDH_INIT, SSH_MSG_KEX_ECDH_REPLY,
				  SSH_MSG_USERAUTH_REQUEST, SSH_MSG_CHANNEL_OPEN, SSH_MSG_CHANNEL_REQUEST,
				  SSH_MSG_CHANNEL_DATA, SSH_MSG_DISCONNECT, SSH_MSG_EXT_INFO, 0, 255 };
	for (size_t t = 0; t < sizeof(types); t++)
		for (size_t n = 1; n <= sizeof(junk); n += 7) {
			junk[0] = types[t];
			kg_explain_on_trace(ex, (int)(n & 1), junk, n);
		}
	kg_explain_on_trace(ex, 1, junk, 0);
	char *s = story_of(ex);
	T_ASSERT(s != NULL);
	free(s);
	T_ASSERT(ex->n_msgs > 0);
	kg_explain_free(ex);
}

/* ---------------- after a refused login ---------------- */

/* A connection up to authentication: host key known, keys exchanged. */
static kg_explain *before_auth(const char *user, const char *peer, kg_key **hk)
{
	kg_explain *ex = NULL;
	if (kg_explain_new(&ex, "kssh") < 0)
		return NULL;
	snprintf(ex->local_user, sizeof(ex->local_user), "alice");
	(void)!kg_explain_set_target(ex, user, "srv.example", 22);
	kg_explain_on_peer_version(ex, peer);
	(void)!kg_key_generate(KG_KEY_ED25519, 0, hk);
	kg_explain_on_hostkey(ex, *hk, "known", "/home/alice/.ssh/known_hosts", 1);
	uint8_t pub[32];
	memset(pub, 0xaa, sizeof(pub));
	kg_kex_result k = {
		.kex = "mlkem768x25519-sha256", .hostkey_alg = "ssh-ed25519",
		.cipher_c2s = "chacha20-poly1305@openssh.com", .cipher_s2c = "chacha20-poly1305@openssh.com",
		.client_pub = pub, .client_pub_len = 32, .server_pub = pub, .server_pub_len = 32,
		.exchange_hash = HASH, .hash_len = 32, .strict_kex = 1, .count = 1,
	};
	kg_explain_on_kex(ex, &k);
	return ex;
}

static void ev(kg_explain *ex, enum kg_cli_auth_event_type type, const char *text, const kg_cli_identity *id,
	       int err)
{
	kg_cli_auth_event e = { .type = type, .text = text, .id = id, .alg = id ? "ssh-ed25519" : NULL, .err = err };
	kg_explain_on_auth(ex, &e);
}

/* The printed story; NULL unless its section titles are numbered 1..n
 * without a gap or a repeat, and there are exactly n of them. */
static char *printed(kg_explain *ex, unsigned n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	kg_explain_text_finish(ex, f);
	fclose(f);
	unsigned seen = 0;
	for (char *line = out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned num;
		char dot;
		if (line[0] >= '1' && line[0] <= '9' && sscanf(line, "%u%c", &num, &dot) == 2 && dot == '.' &&
		    num != ++seen) {
			fprintf(stderr, "section %u where %u was due\n", num, seen);
			free(out);
			return NULL;
		}
	}
	if (seen != n) {
		fprintf(stderr, "%u sections, %u expected:\n%s", seen, n, out);
		free(out);
		return NULL;
	}
	/* one line per phrase for the checks: unwrap */
	char *w = out;
	for (char *r = out; *r; r++) {
		if (*r == '\n' || *r == ' ') {
			if (w > out && w[-1] == ' ')
				continue;
			*w++ = ' ';
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return out;
}

static const char *const CAUSES[] = {
	"can be read by other users, so kssh refused",   /* 0 open permissions */
	"does not know your public key",                 /* 1 not in authorized_keys */
	"Perhaps the user name is wrong",                /* 2 wrong user */
	"The server does not accept passwords",          /* 3 passwords off */
	"holds no keys",                                 /* 4 empty agent */
	"No key was offered",                            /* 5 no key at all */
	"could not ask you for one",                     /* 6 BatchMode */
	"The password was refused",                      /* 7 wrong password */
	"partial success",                               /* 8 more than one method */
	"None of the usual causes fits",                 /* 9 none */
};

/* The story names exactly the causes in the bit mask want. */
static int causes_are(const char *s, unsigned want)
{
	for (unsigned i = 0; i < KG_ARRAY_LEN(CAUSES); i++) {
		int has = strstr(s, CAUSES[i]) != NULL;
		if (has != !!(want & (1u << i))) {
			fprintf(stderr, "cause \"%s\": %s\n", CAUSES[i], has ? "unfitting, but named" : "missing");
			return 0;
		}
	}
	return 1;
}

static void test_fail_not_authorized(void)
{
	kg_key *hk = NULL, *uk = NULL;
	kg_explain *ex = before_auth("deploy", "SSH-2.0-OpenSSH_9.2p1 Debian-2", &hk);
	T_ASSERT(ex != NULL);
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &uk));
	char fp[KG_KEY_FP_LEN];
	T_OK(kg_key_fingerprint(uk, fp, sizeof(fp)));
	kg_cli_identity id = { .pub = uk, .path = "/home/alice/.ssh/id_ed25519" };
	ev(ex, KG_AUTH_EV_METHODS, "publickey,password", NULL, 0);
	ev(ex, KG_AUTH_EV_KEY_OFFERED, NULL, &id, 0);
	ev(ex, KG_AUTH_EV_KEY_REFUSED, NULL, &id, 0);
	ev(ex, KG_AUTH_EV_METHODS, "publickey,password", NULL, 0);
	ev(ex, KG_AUTH_EV_NO_PROMPT, "password", NULL, 0);
	kg_explain_note_outcome(ex, KG_ERR_AUTH_FAILED);
	/* who, secret, auth, allows, causes, lesson: no session, no advice */
	char *s = printed(ex, 6);
	T_ASSERT(s != NULL);
	T_ASSERT(strstr(s, "Key file /home/alice/.ssh/id_ed25519 (ED25519, 256 bits, ") != NULL);
	T_ASSERT(strstr(s, fp) != NULL);
	T_ASSERT(strstr(s, "the server does not accept this key for this user") != NULL);
	T_ASSERT(strstr(s, "Password: kssh could not ask you for it") != NULL);
	T_ASSERT(strstr(s, "4. What the server allows") && strstr(s, "Its last list: publickey,password."));
	T_ASSERT(strstr(s, "5. Why it failed") && strstr(s, "6. Which use of public-key cryptography failed"));
	T_ASSERT(strstr(s, "for the user deploy") != NULL);
	T_ASSERT(causes_are(s, 1u << 1 | 1u << 6));
	T_ASSERT(strstr(s, "proving who you are") && strstr(s, "there is nothing to check it against"));
	T_ASSERT(strstr(s, "The session") == NULL);
	free(s);
	kg_explain_free(ex);
	kg_key_free(hk);
	kg_key_free(uk);
}

static void test_fail_wrong_user(void)
{
	const char *users[] = { "root", "alice", "ec2-user" };
	for (size_t u = 0; u < 3; u++) {
		kg_key *hk = NULL, *uk = NULL;
		kg_explain *ex = before_auth(users[u], "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10", &hk);
		T_ASSERT(ex != NULL);
		T_OK(kg_key_generate(KG_KEY_ED25519, 0, &uk));
		kg_cli_identity id = { .pub = uk, .path = "/home/alice/aws.pem", .from_cmdline = 1 };
		ev(ex, KG_AUTH_EV_METHODS, "publickey", NULL, 0);
		ev(ex, KG_AUTH_EV_KEY_OFFERED, NULL, &id, 0);
		ev(ex, KG_AUTH_EV_KEY_REFUSED, NULL, &id, 0);
		ev(ex, KG_AUTH_EV_METHODS, "publickey", NULL, 0);
		kg_explain_note_outcome(ex, KG_ERR_AUTH_FAILED);
		char *s = printed(ex, 7);   /* advice: the .pem file */
		T_ASSERT(s != NULL);
		T_ASSERT(causes_are(s, u < 2 ? (1u << 1 | 1u << 2) : 1u << 1));
		T_ASSERT((strstr(s, "ec2-user for Amazon Linux, ubuntu for Ubuntu, admin for Debian") != NULL) == (u < 2));
		T_ASSERT((strstr(s, "try ubuntu@srv.example") != NULL) == (u < 2));
		T_ASSERT((strstr(s, "alice is your name on this computer") != NULL) == (u == 1));
		T_ASSERT(strstr(s, "7. Advice") && strstr(s, "is a .pem key"));
		free(s);
		kg_explain_free(ex);
		kg_key_free(hk);
		kg_key_free(uk);
	}
}

/* The key the server would take is in a file others can read; then the
 * same file without its .pub, never offered. */
static void test_fail_open_key(void)
{
	char dir[] = "/tmp/kagi-explain-perm.XXXXXX";
	T_ASSERT(mkdtemp(dir) != NULL);
	char key[300];
	snprintf(key, sizeof(key), "%s/id_ed25519", dir);
	FILE *f = fopen(key, "w");
	T_ASSERT(f != NULL);
	fputs("-----BEGIN OPENSSH PRIVATE KEY-----\n", f);
	fclose(f);
	T_ASSERT(chmod(key, 0644) == 0);
	for (int nopub = 0; nopub < 2; nopub++) {
		kg_key *hk = NULL, *uk = NULL;
		kg_explain *ex = before_auth("deploy", "SSH-2.0-X", &hk);
		T_ASSERT(ex != NULL);
		T_OK(kg_key_generate(KG_KEY_ED25519, 0, &uk));
		kg_cli_identity id = { .pub = uk, .path = key, .from_cmdline = 1 }, bare = { .path = key, .from_cmdline = 1 };
		if (nopub) {
			ev(ex, KG_AUTH_EV_KEY_UNUSABLE, NULL, &bare, KG_ERR_KEY_PERMS);
			ev(ex, KG_AUTH_EV_METHODS, "publickey", NULL, 0);
		} else {
			ev(ex, KG_AUTH_EV_METHODS, "publickey", NULL, 0);
			ev(ex, KG_AUTH_EV_KEY_OFFERED, NULL, &id, 0);
			ev(ex, KG_AUTH_EV_KEY_ACCEPTED, NULL, &id, 0);
			ev(ex, KG_AUTH_EV_KEY_UNUSABLE, NULL, &id, KG_ERR_KEY_PERMS);
		}
		kg_explain_note_outcome(ex, KG_ERR_AUTH_FAILED);
		char *s = printed(ex, 6);   /* the chmod is told once, in the causes */
		T_ASSERT(s != NULL);
		T_ASSERT(causes_are(s, 1u << 0));
		T_ASSERT(strstr(s, nopub ? "not offered, because other users can read the file"
					 : "the server would accept it, but it could not be used: other users can read") != NULL);
		char fix[400];
		snprintf(fix, sizeof(fix), "Fix: chmod 600 %s", key);
		T_ASSERT(strstr(s, fix) != NULL && strstr(strstr(s, fix) + strlen(fix), "chmod 600") == NULL);
		T_ASSERT(strstr(s, "nothing was signed") != NULL);
		free(s);
		kg_explain_free(ex);
		kg_key_free(hk);
		kg_key_free(uk);
	}
	unlink(key);
	rmdir(dir);
}

static void test_fail_agent_and_passwords(void)
{
	/* an empty agent, and the server takes keys only */
	kg_key *hk = NULL;
	kg_explain *ex = before_auth("deploy", "SSH-2.0-X", &hk);
	T_ASSERT(ex != NULL);
	ev(ex, KG_AUTH_EV_AGENT, "/tmp/agent.sock", NULL, 0);
	ev(ex, KG_AUTH_EV_METHODS, "publickey", NULL, 0);
	kg_explain_note_outcome(ex, KG_ERR_AUTH_FAILED);
	char *s = printed(ex, 6);
	T_ASSERT(s != NULL);
	T_ASSERT(strstr(s, "The agent at /tmp/agent.sock (SSH_AUTH_SOCK) holds 0 key(s).") != NULL);
	T_ASSERT(causes_are(s, 1u << 4) && strstr(s, "ssh-add ~/.ssh/id_ed25519"));
	free(s);
	kg_explain_free(ex);
	kg_key_free(hk);
	/* no key at all, and passwords switched off */
	ex = before_auth("deploy", "SSH-2.0-X", &hk);
	ev(ex, KG_AUTH_EV_METHODS, "publickey", NULL, 0);
	kg_explain_note_outcome(ex, KG_ERR_AUTH_FAILED);
	s = printed(ex, 6);
	T_ASSERT(s != NULL);
	T_ASSERT(causes_are(s, 1u << 3 | 1u << 5));
	T_ASSERT(strstr(s, "Passwords are not in the list") != NULL);
	free(s);
	kg_explain_free(ex);
	kg_key_free(hk);
	/* three wrong passwords */
	ex = before_auth("deploy", "SSH-2.0-X", &hk);
	ev(ex, KG_AUTH_EV_METHODS, "password", NULL, 0);
	for (int i = 0; i < 3; i++) {
		ev(ex, KG_AUTH_EV_PASSWORD_SENT, NULL, NULL, 0);
		ev(ex, KG_AUTH_EV_FAILURE, "password", NULL, 0);
		ev(ex, KG_AUTH_EV_METHODS, "password", NULL, 0);
	}
	kg_explain_note_outcome(ex, KG_ERR_AUTH_FAILED);
	s = printed(ex, 7);   /* advice: the password */
	T_ASSERT(s != NULL);
	T_ASSERT(strstr(s, "Password: sent 3 time(s) inside the encrypted channel; refused 3 time(s).") != NULL);
	T_ASSERT(causes_are(s, 1u << 5 | 1u << 7) && strstr(s, "refused (3 time(s))"));
	T_ASSERT(strstr(s, "A password is not public-key cryptography") != NULL);
	free(s);
	kg_explain_free(ex);
	kg_key_free(hk);
}

static void test_fail_partial_and_none(void)
{
	kg_key *hk = NULL, *uk = NULL;
	kg_explain *ex = before_auth("deploy", "SSH-2.0-X", &hk);
	T_ASSERT(ex != NULL);
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &uk));
	kg_cli_identity id = { .pub = uk, .path = "agent key", .from_agent = 1 };
	ev(ex, KG_AUTH_EV_AGENT, "/tmp/a.sock", NULL, 0);
	ex->auth[ex->n_auth - 1].count = 1;
	ev(ex, KG_AUTH_EV_METHODS, "publickey", NULL, 0);
	ev(ex, KG_AUTH_EV_KEY_OFFERED, NULL, &id, 0);
	ev(ex, KG_AUTH_EV_KEY_ACCEPTED, NULL, &id, 0);
	ev(ex, KG_AUTH_EV_KEY_SIGNED, NULL, &id, 0);
	kg_cli_auth_event e = { .type = KG_AUTH_EV_FAILURE, .text = "publickey", .id = &id, .partial = 1 };
	kg_explain_on_auth(ex, &e);
	ev(ex, KG_AUTH_EV_METHODS, "password", NULL, 0);
	ev(ex, KG_AUTH_EV_NO_PROMPT, "password", NULL, 0);
	kg_explain_note_outcome(ex, KG_ERR_AUTH_FAILED);
	char *s = printed(ex, 6);
	T_ASSERT(s != NULL);
	T_ASSERT(strstr(s, "Key from the agent \"agent key\"") && strstr(s, "accepted, but the server wants another method"));
	T_ASSERT(causes_are(s, 1u << 6 | 1u << 8));
	free(s);
	kg_explain_free(ex);
	kg_key_free(hk);
	/* the server hung up after the offer: no cause fits, the story says so */
	ex = before_auth("deploy", "SSH-2.0-X", &hk);
	id.from_agent = 0;
	id.path = "/k";
	ev(ex, KG_AUTH_EV_METHODS, "publickey", NULL, 0);
	ev(ex, KG_AUTH_EV_KEY_OFFERED, NULL, &id, 0);
	uint8_t disc[64] = { SSH_MSG_DISCONNECT, 0, 0, 0, 11, 0, 0, 0, 3, 'b', 'y', 'e', 0, 0, 0, 0 };
	kg_explain_on_trace(ex, 0, disc, 16);
	kg_explain_note_outcome(ex, KG_ERR_PEER_DISCONNECT);
	s = printed(ex, 6);
	T_ASSERT(s != NULL);
	T_ASSERT(strstr(s, "no answer came: the connection ended") && strstr(s, "closed the connection: \"bye\""));
	T_ASSERT(causes_are(s, 1u << 9));
	free(s);
	kg_explain_free(ex);
	kg_key_free(hk);
	kg_key_free(uk);
}

/* The same stories in Japanese (the catalog from the build tree). */
static void test_fail_japanese(void)
{
	setenv("LANG", "ja_JP.UTF-8", 1);
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	unsetenv("LANGUAGE");
	kg_explain_i18n_init();
	if (strcmp(_("What the server allows"), "What the server allows") == 0) {
		fprintf(stderr, "no Japanese catalog or no ja_JP.UTF-8 locale here\n");
		T_ASSERT(0);
	}
	kg_key *hk = NULL, *uk = NULL;
	kg_explain *ex = before_auth("root", "SSH-2.0-X", &hk);
	T_ASSERT(ex != NULL);
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &uk));
	kg_cli_identity id = { .pub = uk, .path = "/home/alice/.ssh/id_ed25519" };
	ev(ex, KG_AUTH_EV_METHODS, "publickey", NULL, 0);
	ev(ex, KG_AUTH_EV_KEY_OFFERED, NULL, &id, 0);
	ev(ex, KG_AUTH_EV_KEY_REFUSED, NULL, &id, 0);
	kg_explain_note_outcome(ex, KG_ERR_AUTH_FAILED);
	char *s = printed(ex, 6);
	T_ASSERT(s != NULL);
	T_ASSERT(strstr(s, "4. サーバーが認めている方式") && strstr(s, "5. 失敗した理由"));
	T_ASSERT(strstr(s, "あなたの公開鍵を知りません") && strstr(s, "ユーザー名が違うのかもしれません"));
	T_ASSERT(strstr(s, "ec2-user") && strstr(s, "二つ目の役割"));
	T_ASSERT(strstr(s, "does not know") == NULL && strstr(s, "Why it failed") == NULL);
	T_ASSERT(strstr(s, "PasswordAuthentication no") == NULL);   /* a key was offered */
	free(s);
	kg_explain_free(ex);
	/* open permissions */
	ex = before_auth("deploy", "SSH-2.0-X", &hk);
	kg_cli_identity bare = { .path = "/k/id" };
	ev(ex, KG_AUTH_EV_KEY_UNUSABLE, NULL, &bare, KG_ERR_KEY_PERMS);
	ev(ex, KG_AUTH_EV_METHODS, "publickey", NULL, 0);
	kg_explain_note_outcome(ex, KG_ERR_AUTH_FAILED);
	s = printed(ex, 6);
	T_ASSERT(s != NULL);
	T_ASSERT(strstr(s, "他のユーザーから読めるため") && strstr(s, "直し方: chmod 600 /k/id"));
	T_ASSERT(strstr(s, "can be read") == NULL);
	free(s);
	kg_explain_free(ex);
	kg_key_free(hk);
	kg_key_free(uk);
	setenv("LANG", "C", 1);
	kg_explain_i18n_init();
	T_ASSERT(strcmp(_("What the server allows"), "What the server allows") == 0);
}

int main(void)
{
	T_RUN(test_story_values);
	T_RUN(test_story_post_quantum);
	T_RUN(test_runs_collapse);
	T_RUN(test_hostkey_states);
	T_RUN(test_stopped_before_auth);
	T_RUN(test_advice_files);
	T_RUN(test_html_escaped);
	T_RUN(test_text_printer);
	T_RUN(test_malformed_trace);
	T_RUN(test_fail_not_authorized);
	T_RUN(test_fail_wrong_user);
	T_RUN(test_fail_open_key);
	T_RUN(test_fail_agent_and_passwords);
	T_RUN(test_fail_partial_and_none);
	T_RUN(test_fail_japanese);
	return T_DONE();
}
