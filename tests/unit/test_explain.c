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
	T_ASSERT(strstr(s, "Your agent was forwarded") == NULL);  /* no -A here */
	free(s);
	/* -A: what the far host can do with the agent, and -J as the safer way */
	kg_explain_note_agent_forward(ex);
	s = story_of(ex);
	T_ASSERT(s != NULL && strstr(s, "Your agent was forwarded to ") != NULL);
	T_ASSERT(strstr(s, "anyone with root on ") != NULL && strstr(s, "-J (ProxyJump) is safer") != NULL);
	T_ASSERT(strstr(s, "ssh-add -c") != NULL);
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
	T_ASSERT(strstr(s, "\t4. Advice for this connection") != NULL);   /* numbered without a gap */
	T_ASSERT(strstr(s, "5. ") == NULL && strstr(s, "What the server allows") == NULL);
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
	return T_DONE();
}
