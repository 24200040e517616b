/* Exercises src/core/sshsig.c and src/config/allowed-signers.c: SSH
 * signatures against one made by OpenSSH's ssh-keygen -Y sign (Ed25519 is
 * deterministic, so kagi's must be byte-equal), a changed message or
 * namespace failing, malformed armor refused, and allowed_signers lines
 * (patterns, quoting, namespaces=, validity, cert-authority). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include "t.h"
#include "core/key.h"
#include "core/keyfile.h"
#include "core/sshsig.h"
#include "config/allowed-signers.h"

/* A test-only key made with ssh-keygen -t ed25519 -C test. */
static const char priv_text[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
	"QyNTUxOQAAACBpiAtEA6q1FEKGMvRo0HdEhfATyflkLYdXjTgfex66wAAAAIjE+nZgxPp2\n"
	"YAAAAAtzc2gtZWQyNTUxOQAAACBpiAtEA6q1FEKGMvRo0HdEhfATyflkLYdXjTgfex66wA\n"
	"AAAEB71UKb8irFO1VLNunhYlYUkJZrARVjHq451rq+OP2Jn2mIC0QDqrUUQoYy9GjQd0SF\n"
	"8BPJ+WQth1eNOB97HrrAAAAABHRlc3QB\n"
	"-----END OPENSSH PRIVATE KEY-----\n";
#define PUB "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGmIC0QDqrUUQoYy9GjQd0SF8BPJ+WQth1eNOB97HrrA"
#define OTHER "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBM6AQ7892HTLatnYhzFSy2" \
	"xEvvEuMZunNsDZpNHCct8XRD1d1I6QnNLvd9j4mrH1F/UjANtb+TXNdgIJa7qXFuc="
/* ssh-keygen -Y sign -f key -n file over "hello\n". */
static const char openssh_sig[] =
	"-----BEGIN SSH SIGNATURE-----\n"
	"U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgaYgLRAOqtRRChjL0aNB3RIXwE8\n"
	"n5ZC2HV404H3seusAAAAAEZmlsZQAAAAAAAAAGc2hhNTEyAAAAUwAAAAtzc2gtZWQyNTUx\n"
	"OQAAAEBEx1rrlpcyGWCFUB2w7m5iBq1gR0AW15Ar8N/slwoMort4JZXW/DY/bu1nqrLIB+\n"
	"GA5PB7qBZ6YY4VV5u/wx8M\n"
	"-----END SSH SIGNATURE-----\n";

static size_t digest(const char *alg, const char *msg, uint8_t *out)
{
	unsigned int n = 0;
	if (EVP_Digest(msg, strlen(msg), out, &n, kg_sshsig_md(alg), NULL) != 1)
		return 0;
	return n;
}

static kg_key *private_key(void)
{
	kg_key *k = NULL;
	if (kg_keyfile_parse_private((const uint8_t *)priv_text, strlen(priv_text), NULL, &k) != KG_OK)
		return NULL;
	return k;
}

static int verify_text(const char *sig, const char *ns, const char *msg)
{
	kg_sshsig s;
	int r = kg_sshsig_parse(sig, strlen(sig), &s);
	if (r != KG_OK)
		return r;
	uint8_t d[64];
	size_t n = digest(s.hashalg, msg, d);
	r = n ? kg_sshsig_verify(&s, ns, d, n) : KG_ERR_CRYPTO;
	kg_sshsig_free(&s);
	return r;
}

static void test_openssh_signature_verifies(void)
{
	T_OK(verify_text(openssh_sig, "file", "hello\n"));
	T_ASSERT(verify_text(openssh_sig, "file", "hello!\n") == KG_ERR_SIGNATURE);
	T_ASSERT(verify_text(openssh_sig, "git", "hello\n") == KG_ERR_SIGNATURE);
	kg_sshsig s;
	T_OK(kg_sshsig_parse(openssh_sig, strlen(openssh_sig), &s));
	kg_key *pub = NULL;
	T_OK(kg_key_from_line(PUB, &pub));
	T_ASSERT(kg_key_equal_public(s.key, pub));
	T_ASSERT(strcmp(s.ns, "file") == 0 && strcmp(s.hashalg, "sha512") == 0);
	kg_key_free(pub);
	kg_sshsig_free(&s);
}

static void test_sign_equals_openssh(void)
{
	kg_key *k = private_key();
	T_ASSERT(k != NULL);
	uint8_t d[64];
	size_t n = digest("sha512", "hello\n", d);
	kg_buf out;
	kg_buf_init(&out, 0);
	int r = kg_sshsig_sign(k, "file", "sha512", d, n, &out);
	int same = r == KG_OK && kg_buf_len(&out) == strlen(openssh_sig) &&
		   memcmp(kg_buf_ptr(&out), openssh_sig, kg_buf_len(&out)) == 0;
	kg_buf_free(&out);
	kg_key_free(k);
	T_OK(r);
	T_ASSERT(same);
}

static void test_sign_verify_each_type(void)
{
	static const enum kg_keytype types[] = { KG_KEY_ECDSA_P256, KG_KEY_ECDSA_P521, KG_KEY_RSA };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		kg_key *k = NULL;
		T_OK(kg_key_generate(types[i], types[i] == KG_KEY_RSA ? 2048 : 0, &k));
		uint8_t d[64];
		size_t n = digest("sha256", "a message", d);
		kg_buf out;
		kg_buf_init(&out, 0);
		int r = kg_sshsig_sign(k, "git", "sha256", d, n, &out);
		char *text = strndup((const char *)kg_buf_ptr(&out), kg_buf_len(&out));
		kg_buf_free(&out);
		kg_key_free(k);
		T_OK(r);
		T_ASSERT(text != NULL);
		int good = verify_text(text, "git", "a message"), bad = verify_text(text, "git", "a messagE");
		free(text);
		T_OK(good);
		T_ASSERT(bad == KG_ERR_SIGNATURE);
	}
}

static void test_malformed_refused(void)
{
	char buf[sizeof(openssh_sig) + 16];
	kg_sshsig s;
	/* No header; truncated before END; garbage after END; bad base64. */
	T_ASSERT(kg_sshsig_parse(openssh_sig + 5, strlen(openssh_sig) - 5, &s) == KG_ERR_FORMAT);
	T_ASSERT(kg_sshsig_parse(openssh_sig, strlen(openssh_sig) - 30, &s) == KG_ERR_FORMAT);
	snprintf(buf, sizeof(buf), "%sjunk", openssh_sig);
	T_ASSERT(kg_sshsig_parse(buf, strlen(buf), &s) == KG_ERR_FORMAT);
	memcpy(buf, openssh_sig, sizeof(openssh_sig));
	buf[40] = '*';
	T_ASSERT(kg_sshsig_parse(buf, strlen(buf), &s) == KG_ERR_FORMAT);
	/* Version 2 ("AAAAAQ" -> "AAAAAg" in the first line) is refused. */
	memcpy(buf, openssh_sig, sizeof(openssh_sig));
	char *v = strstr(buf, "U1NIU0lHAAAAAQ");
	T_ASSERT(v != NULL);
	v[13] = 'g';
	T_ASSERT(kg_sshsig_parse(buf, strlen(buf), &s) == KG_ERR_FORMAT);
	/* A signature without a private key cannot be made. */
	kg_key *pub = NULL;
	T_OK(kg_key_from_line(PUB, &pub));
	uint8_t d[64] = { 0 };
	kg_buf out;
	kg_buf_init(&out, 0);
	T_ASSERT(kg_sshsig_sign(pub, "file", "sha512", d, 64, &out) == KG_ERR_ARG);
	T_ASSERT(kg_sshsig_sign(pub, "file", "md5", d, 16, &out) == KG_ERR_ARG);
	kg_buf_free(&out);
	kg_key_free(pub);
}

static void test_allowed_signers(void)
{
	kg_key *k = NULL, *o = NULL;
	T_OK(kg_key_from_line(PUB, &k));
	T_OK(kg_key_from_line(OTHER, &o));
	const char text[] =
		"# comment\n"
		"\n"
		"bad line\n"
		"alice@example.com,*@corp " PUB " a comment\n"
		"\"carol smith\" namespaces=\"git\" " PUB "\n"
		"dave valid-before=\"20000101\" " PUB "\n"
		"erin cert-authority " PUB "\n"
		"frank " OTHER "\n";
	time_t now = time(NULL);
	size_t n = strlen(text);
	T_OK(kg_allowed_signers_check(text, n, "alice@example.com", k, "file", now));
	T_OK(kg_allowed_signers_check(text, n, "bob@corp", k, "file", now));
	T_ASSERT(kg_allowed_signers_check(text, n, "bob@other", k, "file", now) == KG_ERR_NOT_FOUND);
	T_OK(kg_allowed_signers_check(text, n, "carol smith", k, "git", now));
	T_ASSERT(kg_allowed_signers_check(text, n, "carol smith", k, "file", now) == KG_ERR_NOT_FOUND);
	T_ASSERT(kg_allowed_signers_check(text, n, "dave", k, "file", now) == KG_ERR_NOT_FOUND);
	T_ASSERT(kg_allowed_signers_check(text, n, "erin", k, "file", now) == KG_ERR_NOT_FOUND);
	T_ASSERT(kg_allowed_signers_check(text, n, "frank", k, "file", now) == KG_ERR_NOT_FOUND);
	T_OK(kg_allowed_signers_check(text, n, "frank", o, "file", now));
	kg_buf out;
	kg_buf_init(&out, 0);
	T_OK(kg_allowed_signers_find(text, n, k, NULL, now, &out));
	int listed = kg_buf_len(&out) == strlen("alice@example.com\n*@corp\n") &&
		     memcmp(kg_buf_ptr(&out), "alice@example.com\n*@corp\n", kg_buf_len(&out)) == 0;
	kg_buf_free(&out);
	T_ASSERT(listed);
	/* Truncated lines never match and never fail the whole file. */
	T_ASSERT(kg_allowed_signers_check(text, 40, "alice@example.com", k, "file", now) == KG_ERR_NOT_FOUND);
	time_t t;
	T_OK(kg_allowed_signers_time("20240102Z", &t));
	T_ASSERT(t == 1704153600);
	T_OK(kg_allowed_signers_time("202401020304Z", &t));
	T_ASSERT(t == 1704153600 + 3 * 3600 + 4 * 60);
	T_ASSERT(kg_allowed_signers_time("2024010", &t) == KG_ERR_FORMAT);
	T_ASSERT(kg_allowed_signers_time("20241302", &t) == KG_ERR_FORMAT);
	kg_key_free(k);
	kg_key_free(o);
}

int main(void)
{
	T_RUN(test_openssh_signature_verifies);
	T_RUN(test_sign_equals_openssh);
	T_RUN(test_sign_verify_each_type);
	T_RUN(test_malformed_refused);
	T_RUN(test_allowed_signers);
	return T_DONE();
}
