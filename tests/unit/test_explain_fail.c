/* --explain after a refused login, fed with auth events: what was tried
 * and the server's answers, what it allows, only the causes that fit the
 * facts (or a plain "none fits"), the lesson, sections numbered 1..N
 * without gaps in text and HTML, in English and Japanese. */
#include <unistd.h>
#include <sys/stat.h>
#include "core/packet.h"
#include "explain/explain-int.h"
#include "t.h"

static const uint8_t HASH[32] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
				  13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 0xca, 0xfe };

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
	/* the page tells the same story, numbered the same way */
	char path[] = "/tmp/kagi-explain-fail.XXXXXX";
	int fd = mkstemp(path);
	T_ASSERT(fd >= 0);
	close(fd);
	T_OK(kg_explain_html_write(ex, path));
	char *h = read_all(path);
	unlink(path);
	T_ASSERT(h && strstr(h, "<h2>4. What the server allows</h2>") && strstr(h, "<h2>6. Which use of public-key"));
	T_ASSERT(strstr(h, "does not know your public key") != NULL);
	free(h);
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
	s = printed(ex, 6);   /* no "you logged in with a password": you did not */
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
	/* seven keys refused, then the server's MaxAuthTries */
	ex = before_auth("deploy", "SSH-2.0-X", &hk);
	ev(ex, KG_AUTH_EV_METHODS, "publickey", NULL, 0);
	for (int i = 0; i < 7; i++) {
		ev(ex, KG_AUTH_EV_KEY_OFFERED, NULL, &id, 0);
		ev(ex, KG_AUTH_EV_KEY_REFUSED, NULL, &id, 0);
		ev(ex, KG_AUTH_EV_METHODS, "publickey", NULL, 0);
	}
	static const char too_many[] = "Too many authentication failures";
	uint8_t d2[64] = { SSH_MSG_DISCONNECT, 0, 0, 0, 2, 0, 0, 0, (uint8_t)(sizeof(too_many) - 1) };
	memcpy(d2 + 9, too_many, sizeof(too_many) - 1);
	kg_explain_on_trace(ex, 0, d2, 9 + sizeof(too_many) - 1 + 8);
	kg_explain_note_outcome(ex, KG_ERR_PEER_DISCONNECT);
	s = printed(ex, 6);
	T_ASSERT(s != NULL);
	T_ASSERT(causes_are(s, 1u << 1) && strstr(s, "too many attempts (MaxAuthTries): 7 key(s) were offered"));
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
	kg_key_free(hk);
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
	T_RUN(test_fail_not_authorized);
	T_RUN(test_fail_wrong_user);
	T_RUN(test_fail_open_key);
	T_RUN(test_fail_agent_and_passwords);
	T_RUN(test_fail_partial_and_none);
	T_RUN(test_fail_japanese);
	return T_DONE();
}
