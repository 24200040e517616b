/* kssh-add's work: loading key files, talking to the agent, messages. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "agent/agent-add.h"
#include "agent/agent-dest.h"
#include "config/config-common.h"
#include "core/agent.h"
#include "core/keyfile.h"
#include "sys/agent-sock.h"
#include "sys/askpass.h"
#include "sys/tty.h"

#define PASS_MAX 1024
#define KEYFILE_MAX (1024u * 1024)

typedef struct add_ctx {
	const kg_add_opts *o;
	int fd;
	char last_pass[PASS_MAX];   /* tried first on the next key, as ssh-add does */
	int have_last;
	kg_buf dest;                /* the -h restrictions, built once */
} add_ctx;

static const char *const defaults[] = {"id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk",
				       "id_xmss", "id_dsa"};

const char *kg_add_default_name(unsigned int i)
{
	return i < KG_ARRAY_LEN(defaults) ? defaults[i] : NULL;
}

int kg_add_use_askpass(void)
{
	const char *req = getenv("SSH_ASKPASS_REQUIRE");
	int display = (getenv("DISPLAY") && *getenv("DISPLAY")) ||
		      (getenv("WAYLAND_DISPLAY") && *getenv("WAYLAND_DISPLAY"));
	if (req && strcmp(req, "never") == 0)
		return 0;
	if (req && strcmp(req, "force") == 0)
		return 1;
	if (req && strcmp(req, "prefer") == 0)
		return display;
	return display && !isatty(STDIN_FILENO);
}

/* One passphrase; KG_ERR_NOT_FOUND when none could be read. */
static int read_pass(const char *prompt, char *buf, size_t len)
{
	if (kg_add_use_askpass())
		return kg_askpass_run(kg_askpass_program(), prompt, 0, buf, len) == KG_OK ? KG_OK : KG_ERR_NOT_FOUND;
	int r = kg_tty_read_secret(prompt, buf, len);
	if (r < 0) {
		OPENSSL_cleanse(buf, len);
		return KG_ERR_NOT_FOUND;
	}
	return KG_OK;
}

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	if (h && *h)
		return h;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_dir ? pw->pw_dir : "/";
}

static int call(add_ctx *c, const kg_buf *req, kg_buf *ans)
{
	return kg_agent_sock_call(c->fd, req, ans);
}

static int call_status(add_ctx *c, const kg_buf *req)
{
	kg_buf ans;
	kg_buf_init(&ans, KG_AGENT_MAX_MSG);
	int r = call(c, req, &ans);
	if (r >= 0)
		r = kg_agent_parse_status(kg_buf_ptr(&ans), kg_buf_len(&ans));
	kg_buf_free(&ans);
	return r;
}

static const char *why(int r)
{
	return r == KG_ERR_NOT_FOUND ? "agent refused operation" : "communication with agent failed";
}

static int list(add_ctx *c)
{
	kg_buf req, ans;
	kg_buf_init(&req, 0);
	kg_buf_init(&ans, KG_AGENT_MAX_MSG);
	kg_agent_id *ids = NULL;
	size_t n = 0;
	int r = kg_agent_put_simple(&req, KG_AGENTC_REQUEST_IDENTITIES);
	if (r >= 0)
		r = call(c, &req, &ans);
	if (r >= 0)
		r = kg_agent_parse_identities(kg_buf_ptr(&ans), kg_buf_len(&ans), &ids, &n);
	kg_buf_free(&req);
	kg_buf_free(&ans);
	if (r < 0) {
		fprintf(stderr, "error fetching identities: %s\n", why(r));
		return 1;
	}
	if (n == 0) {
		printf("The agent has no identities.\n");
		kg_agent_ids_free(ids, n);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		kg_key *k = NULL;
		if (kg_key_from_blob(ids[i].blob, ids[i].blob_len, &k) < 0) {
			fprintf(stderr, "key %zu: a key type kssh-add does not know\n", i + 1);
			continue;
		}
		if (c->o->op == KG_ADD_LIST_FP) {
			char fp[128];
			if (kg_key_fingerprint_hash(k, c->o->fp, fp, sizeof(fp)) < 0)
				snprintf(fp, sizeof(fp), "(null)");
			printf("%d %s %s (%s)\n", kg_key_bits(k), fp, ids[i].comment, kg_key_type_short(k->type));
		} else {
			free(k->comment);
			k->comment = NULL;
			kg_buf line;
			kg_buf_init(&line, 0);
			if (kg_key_to_line(k, &line) >= 0)
				printf("%.*s %s\n", (int)kg_buf_len(&line), (const char *)kg_buf_ptr(&line), ids[i].comment);
			kg_buf_free(&line);
		}
		kg_key_free(k);
	}
	kg_agent_ids_free(ids, n);
	return 0;
}

/* Reads a private key file: the mode check and passphrases. *quiet_fail
 * is set when the failure was already told (or needs no words). */
static int load_private(add_ctx *c, const char *path, int must_exist, kg_key **out)
{
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	int r = kg_read_text_file(path, KEYFILE_MAX, &text, &len, &st);
	if (r == KG_ERR_NOT_FOUND) {
		if (must_exist)
			fprintf(stderr, "%s: %s\n", path, strerror(ENOENT));
		return r;
	}
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", path, r == KG_ERR_SYSTEM ? strerror(errno) : kg_err_str(r));
		return r;
	}
	if (st.st_uid == getuid() && (st.st_mode & 077) != 0) {
		fprintf(stderr, "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
				"@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @\n"
				"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n");
		fprintf(stderr, "Permissions 0%3.3o for '%s' are too open.\n", (unsigned)(st.st_mode & 0777), path);
		fprintf(stderr, "It is required that your private key files are NOT accessible by others.\n"
				"This private key will be ignored.\n");
		r = KG_ERR_KEY_PERMS;
		goto out;
	}
	r = kg_keyfile_parse_private((const uint8_t *)text, len, NULL, out);
	if (r == KG_ERR_NEED_PASSPHRASE && c->have_last)
		r = kg_keyfile_parse_private((const uint8_t *)text, len, c->last_pass, out);
	if (r == KG_ERR_PASSPHRASE && c->have_last)
		r = KG_ERR_NEED_PASSPHRASE;
	for (int tries = 0; r == KG_ERR_NEED_PASSPHRASE || r == KG_ERR_PASSPHRASE; tries++) {
		char prompt[4200], pass[PASS_MAX];
		snprintf(prompt, sizeof(prompt), "%s for %s%s: ", tries ? "Bad passphrase, try again" : "Enter passphrase",
			 path, c->o->confirm ? " (will confirm each use)" : "");
		if (read_pass(prompt, pass, sizeof(pass)) < 0 || pass[0] == '\0') {
			OPENSSL_cleanse(pass, sizeof(pass));
			r = KG_ERR_NEED_PASSPHRASE;
			goto out;  /* an empty answer skips the key, silently */
		}
		r = kg_keyfile_parse_private((const uint8_t *)text, len, pass, out);
		if (r == KG_OK) {
			memcpy(c->last_pass, pass, sizeof(pass));
			c->have_last = 1;
		}
		OPENSSL_cleanse(pass, sizeof(pass));
	}
	if (r < 0)
		fprintf(stderr, "Error loading key \"%s\": %s\n", path,
			r == KG_ERR_FORMAT || r == KG_ERR_KEY_TYPE || r == KG_ERR_NOT_FOUND ? "invalid format" : kg_err_str(r));
out:
	OPENSSL_cleanse(text, len);
	free(text);
	return r;
}

static int add_file(add_ctx *c, const char *path, int must_exist)
{
	kg_key *k = NULL;
	int r = load_private(c, path, must_exist, &k);
	if (r < 0)
		return r;
	const char *comment = k->comment && *k->comment ? k->comment : path;
	kg_buf req;
	kg_buf_init(&req, 0);
	r = kg_agent_put_add_dest(&req, k, comment, c->o->life, c->o->confirm,
				  c->o->ndests ? kg_buf_ptr(&c->dest) : NULL, kg_buf_len(&c->dest));
	if (r >= 0)
		r = call_status(c, &req);
	kg_buf_free(&req);
	if (r < 0) {
		fprintf(stderr, "Could not add identity \"%s\": %s\n", path, why(r));
	} else if (!c->o->quiet) {
		fprintf(stderr, "Identity added: %s (%s)\n", path, comment);
		if (c->o->life)
			fprintf(stderr, "Lifetime set to %u seconds\n", (unsigned)c->o->life);
		if (c->o->confirm)
			fprintf(stderr, "The user must confirm each use of the key\n");
	}
	kg_key_free(k);
	return r;
}

/* The public key of path: its .pub, the file itself as a public key line,
 * else the public half of the key file. */
static int load_public(const char *path, int must_exist, kg_key **out)
{
	char pub[4200], *text = NULL;
	size_t len = 0;
	snprintf(pub, sizeof(pub), "%s.pub", path);
	if (kg_read_text_file(pub, KEYFILE_MAX, &text, &len, NULL) >= 0) {
		int r = kg_key_from_line(text, out);
		free(text);
		if (r >= 0)
			return r;
	}
	int r = kg_read_text_file(path, KEYFILE_MAX, &text, &len, NULL);
	if (r < 0) {
		if (must_exist || r != KG_ERR_NOT_FOUND)
			fprintf(stderr, "Bad key file %s: %s\n", path, strerror(r == KG_ERR_SYSTEM ? errno : ENOENT));
		return r;
	}
	r = kg_keyfile_is_private((const uint8_t *)text, len) ? KG_ERR_FORMAT : kg_key_from_line(text, out);
	if (r < 0)
		r = kg_keyfile_public_of_private((const uint8_t *)text, len, out);
	if (r < 0 && kg_keyfile_parse_private((const uint8_t *)text, len, NULL, out) >= 0)
		r = KG_OK;
	if (r >= 0 && (*out)->has_private) {
		kg_key *p = NULL;
		int pr = kg_key_public_copy(*out, &p);
		kg_key_free(*out);
		*out = p;
		r = pr;
	}
	OPENSSL_cleanse(text, len);
	free(text);
	if (r < 0)
		fprintf(stderr, "Bad key file %s: %s\n", path, kg_err_str(r));
	return r;
}

static int delete_file(add_ctx *c, const char *path, int must_exist)
{
	kg_key *k = NULL;
	int r = load_public(path, must_exist, &k);
	if (r < 0)
		return r;
	kg_buf blob, req;
	kg_buf_init(&blob, 0);
	kg_buf_init(&req, 0);
	r = kg_key_to_blob(k, &blob);
	if (r >= 0)
		r = kg_agent_put_remove(&req, kg_buf_ptr(&blob), kg_buf_len(&blob));
	if (r >= 0)
		r = call_status(c, &req);
	if (r < 0)
		fprintf(stderr, "Could not remove identity \"%s\": %s\n", path, why(r));
	else if (!c->o->quiet)
		fprintf(stderr, "Identity removed: %s %s (%s)\n", path, kg_key_type_short(k->type),
			k->comment && *k->comment ? k->comment : "no comment");
	kg_buf_free(&blob);
	kg_buf_free(&req);
	kg_key_free(k);
	return r;
}

/* -T: the agent signs random data with path's key; the signature must verify. */
static int test_file(add_ctx *c, const char *path, int must_exist)
{
	kg_key *k = NULL;
	int r = load_public(path, must_exist, &k);
	if (r < 0)
		return r;
	uint8_t data[256];
	const char *alg = k->type == KG_KEY_RSA ? "rsa-sha2-256" : NULL;
	kg_buf blob, req, ans;
	kg_buf_init(&blob, 0);
	kg_buf_init(&req, 0);
	kg_buf_init(&ans, KG_AGENT_MAX_MSG);
	uint8_t *sig = NULL;
	size_t slen = 0;
	r = RAND_bytes(data, sizeof(data)) == 1 ? kg_key_to_blob(k, &blob) : KG_ERR_CRYPTO;
	if (r >= 0)
		r = kg_agent_put_sign_request(&req, kg_buf_ptr(&blob), kg_buf_len(&blob), data, sizeof(data),
					      kg_agent_sign_flags(k->type, alg));
	if (r >= 0)
		r = call(c, &req, &ans);
	if (r >= 0)
		r = kg_agent_parse_sign_response(kg_buf_ptr(&ans), kg_buf_len(&ans), &sig, &slen);
	if (r < 0) {
		fprintf(stderr, "Agent signature failed for %s: %s\n", path, why(r));
	} else if ((r = kg_key_verify(k, alg, sig, slen, data, sizeof(data))) < 0) {
		fprintf(stderr, "Signature verification failed for %s: %s\n", path, kg_err_str(r));
	}
	free(sig);
	kg_buf_free(&blob);
	kg_buf_free(&req);
	kg_buf_free(&ans);
	kg_key_free(k);
	return r;
}

static int simple(add_ctx *c, uint8_t type)
{
	kg_buf req;
	kg_buf_init(&req, 0);
	int r = kg_agent_put_simple(&req, type);
	if (r >= 0)
		r = call_status(c, &req);
	kg_buf_free(&req);
	return r;
}

static int lock(add_ctx *c, int on)
{
	char p1[PASS_MAX], p2[PASS_MAX];
	int rc = 1;
	if (read_pass("Enter lock password: ", p1, sizeof(p1)) < 0)
		p1[0] = '\0';
	int ok = 1;
	if (on) {
		if (read_pass("Again: ", p2, sizeof(p2)) < 0)
			p2[0] = '\0';
		if (strcmp(p1, p2) != 0) {
			fprintf(stderr, "Passwords do not match.\n");
			ok = 0;
		}
	}
	if (ok) {
		kg_buf req;
		kg_buf_init(&req, 0);
		int r = kg_agent_put_lock(&req, on, p1);
		if (r >= 0)
			r = call_status(c, &req);
		kg_buf_free(&req);
		if (r >= 0) {
			fprintf(stderr, "Agent %slocked.\n", on ? "" : "un");
			rc = 0;
		} else {
			fprintf(stderr, "Failed to %slock agent: %s\n", on ? "" : "un", why(r));
		}
	}
	OPENSSL_cleanse(p1, sizeof(p1));
	OPENSSL_cleanse(p2, sizeof(p2));
	return rc;
}

/* Each named file, or the defaults that exist (none existing: 1). */
static int each_file(add_ctx *c, int (*fn)(add_ctx *, const char *, int))
{
	int rc = 0;
	if (c->o->nfiles > 0) {
		for (int i = 0; i < c->o->nfiles; i++)
			if (fn(c, c->o->files[i], 1) < 0)
				rc = 1;
		return rc;
	}
	int count = 0;
	for (unsigned int i = 0; kg_add_default_name(i); i++) {
		char path[4200];
		struct stat st;
		snprintf(path, sizeof(path), "%s/.ssh/%s", home_dir(), kg_add_default_name(i));
		if (stat(path, &st) < 0)
			continue;
		count++;
		if (fn(c, path, 0) < 0)
			rc = 1;
	}
	return count == 0 ? 1 : rc;
}

/* The -h specs as one constraint list; 1 (told) when one is bad. */
static int build_dests(add_ctx *c)
{
	char kh[2][4200];
	const char *defaults_kh[4] = {kh[0], kh[1], "/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"};
	snprintf(kh[0], sizeof(kh[0]), "%s/.ssh/known_hosts", home_dir());
	snprintf(kh[1], sizeof(kh[1]), "%s/.ssh/known_hosts2", home_dir());
	const char *const *files = c->o->nhostfiles ? c->o->hostfiles : defaults_kh;
	size_t nfiles = c->o->nhostfiles ? (size_t)c->o->nhostfiles : 4;
	for (int i = 0; i < c->o->ndests; i++) {
		const char *missing = NULL;
		int r = kg_agent_dest_build(c->o->dests[i], files, nfiles, &c->dest, &missing);
		if (r == KG_ERR_NOT_FOUND) {
			fprintf(stderr, "No host keys found for destination \"%s\"\n", missing);
			return 1;
		}
		if (r < 0) {
			fprintf(stderr, "Invalid key constraint \"%s\"%s\n", c->o->dests[i],
				r == KG_ERR_ARG ? ": cannot specify user on 'from' host" : "");
			return 1;
		}
	}
	return 0;
}

int kg_add_run(const kg_add_opts *o)
{
	add_ctx c;
	memset(&c, 0, sizeof(c));
	c.o = o;
	kg_buf_init(&c.dest, 0);
	if (o->ndests && build_dests(&c)) {
		kg_buf_free(&c.dest);
		return 1;
	}
	const char *sock = getenv("SSH_AUTH_SOCK");
	if (!sock || !*sock) {
		fprintf(stderr, "Could not open a connection to your authentication agent.\n");
		return 2;
	}
	if (kg_agent_sock_connect(sock, &c.fd) < 0) {
		fprintf(stderr, "Error connecting to agent: %s\n", strerror(errno));
		return 2;
	}
	int rc = 0, r;
	switch (o->op) {
	case KG_ADD_LIST_FP:
	case KG_ADD_LIST_PUB:
		rc = list(&c);
		break;
	case KG_ADD_DELETE_ALL:
		r = simple(&c, KG_AGENTC_REMOVE_ALL_IDENTITIES);
		if (r >= 0)
			fprintf(stderr, "All identities removed.\n");
		else
			fprintf(stderr, "Failed to remove all identities.\n");
		rc = r < 0;
		break;
	case KG_ADD_LOCK:
	case KG_ADD_UNLOCK:
		rc = lock(&c, o->op == KG_ADD_LOCK);
		break;
	case KG_ADD_DELETE:
		rc = each_file(&c, delete_file);
		break;
	case KG_ADD_KEYS:
		rc = each_file(&c, add_file);
		break;
	case KG_ADD_TEST:
		rc = each_file(&c, test_file);
		break;
	}
	OPENSSL_cleanse(c.last_pass, sizeof(c.last_pass));
	kg_buf_free(&c.dest);
	close(c.fd);
	return rc;
}
