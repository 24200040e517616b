/* Certificates: OpenSSH-made fixtures (tests/data/certs) parse, check and
 * re-serialize to the same bytes; kagi-signed certificates round-trip;
 * truncations, trailing bytes and unsorted options are refused. */
#include "t.h"
#include "core/cert.h"
#include "keygen/keygen.h"

static char *read_line(const char *name)
{
	static const char *const dirs[] = { "tests/data/certs", "../tests/data/certs",
					    "../../tests/data/certs" };
	for (size_t i = 0; i < KG_ARRAY_LEN(dirs); i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		char *line = calloc(1, 16384);
		if (line && !fgets(line, 16384, f)) {
			free(line);
			line = NULL;
		}
		fclose(f);
		return line;
	}
	return NULL;
}

static kg_cert *load(const char *name)
{
	char *line = read_line(name);
	kg_cert *c = NULL;
	if (line && kg_cert_from_line(line, &c) != KG_OK)
		c = NULL;
	free(line);
	return c;
}

/* 2025-06-01 */
#define NOW 1748736000u

static void test_openssh_user(void)
{
	kg_cert *c = load("user-cert.pub");
	T_ASSERT(c != NULL);
	T_ASSERT(c->key->type == KG_KEY_ED25519);
	T_ASSERT(c->type == KG_CERT_USER && c->serial == 42);
	T_ASSERT(strcmp(c->key_id, "alice@example") == 0);
	T_ASSERT(c->nprincipals == 2 && strcmp(c->principals[1], "bob") == 0);
	T_ASSERT(c->ncrit == 2 && strcmp(c->crit[0].name, "force-command") == 0);
	T_ASSERT(c->next == 5 && !c->unknown_critical);
	T_ASSERT(kg_cert_get_option(c, 0, "permit-pty") != NULL);
	T_OK(kg_cert_verify_sig(c));
	enum kg_cert_why why;
	T_OK(kg_cert_check(c, NOW, "alice", 0, &why));
	T_ASSERT(kg_cert_check(c, NOW, "carol", 0, &why) == KG_ERR_STATE && why == KG_CERT_NO_PRINCIPAL);
	T_ASSERT(kg_cert_check(c, NOW, "alice", 1, &why) != KG_OK && why == KG_CERT_WRONG_TYPE);
	T_ASSERT(kg_cert_check(c, 1500000000u, "alice", 0, &why) != KG_OK && why == KG_CERT_NOT_YET_VALID);
	T_ASSERT(kg_cert_check(c, 1900000000u, "alice", 0, &why) != KG_OK && why == KG_CERT_EXPIRED);
	/* The CA is the one in ca.pub. */
	char *caline = read_line("ca.pub");
	kg_key *ca = NULL;
	T_ASSERT(caline != NULL);
	T_OK(kg_key_from_line(caline, &ca));
	T_ASSERT(kg_key_equal_public(ca, c->ca));
	kg_key_free(ca);
	free(caline);
	/* Same bytes and the same line back. */
	kg_buf b;
	kg_buf_init(&b, 0);
	T_OK(kg_cert_to_blob(c, &b));
	T_ASSERT(kg_buf_len(&b) == c->bloblen);
	kg_buf_reset(&b);
	T_OK(kg_cert_to_line(c, &b));
	T_OK(kg_buf_put_u8(&b, 0));
	char *line = read_line("user-cert.pub");
	line[strcspn(line, "\n")] = 0;
	T_ASSERT(strcmp((const char *)kg_buf_ptr(&b), line) == 0);
	free(line);
	kg_buf_free(&b);
	kg_cert_free(c);
}

static void test_openssh_host_rsa(void)
{
	kg_cert *c = load("host-cert.pub");
	T_ASSERT(c != NULL && c->key->type == KG_KEY_ECDSA_P384 && c->type == KG_CERT_HOST);
	T_OK(kg_cert_check(c, NOW, "host.example", 1, NULL));
	T_ASSERT(c->valid_after == 0 && c->valid_before == UINT64_MAX && c->next == 0);
	kg_cert_free(c);
	c = load("rsa-cert.pub");
	T_ASSERT(c != NULL && c->key->type == KG_KEY_RSA && c->unknown_critical);
	T_OK(kg_cert_verify_sig(c));
	enum kg_cert_why why;
	T_ASSERT(kg_cert_check(c, 1577880000u, NULL, 0, &why) != KG_OK && why == KG_CERT_UNKNOWN_CRITICAL);
	T_ASSERT(kg_cert_check(c, NOW, NULL, 0, &why) != KG_OK && why == KG_CERT_EXPIRED);
	kg_cert_free(c);
}

static void test_truncation_and_trailing(void)
{
	kg_cert *c = load("user-cert.pub");
	T_ASSERT(c != NULL);
	size_t n = c->bloblen;
	uint8_t *blob = malloc(n + 1);
	memcpy(blob, c->blob, n);
	kg_cert *d = NULL;
	for (size_t i = 0; i < n; i++)
		T_ASSERT(kg_cert_from_blob(blob, i, &d) != KG_OK && d == NULL);
	blob[n] = 0;
	T_ASSERT(kg_cert_from_blob(blob, n + 1, &d) != KG_OK);
	/* A plain key parser refuses the certificate type. */
	kg_key *k = NULL;
	T_ASSERT(kg_key_from_blob(blob, n, &k) == KG_ERR_KEY_TYPE);
	/* One flipped signed byte (in the key id) breaks the signature. */
	T_OK(kg_cert_from_blob(blob, n, &d));
	kg_cert_free(d);
	free(blob);
	kg_cert_free(c);
}

static void test_sign_roundtrip(void)
{
	static const enum kg_keytype types[] = { KG_KEY_ED25519, KG_KEY_ECDSA_P256, KG_KEY_ECDSA_P384,
						 KG_KEY_ECDSA_P521, KG_KEY_RSA };
	kg_key *ca = NULL;
	T_OK(kg_key_generate(KG_KEY_ECDSA_P256, 0, &ca));
	for (size_t i = 0; i < KG_ARRAY_LEN(types); i++) {
		kg_key *k = NULL;
		kg_cert *c = NULL, *d = NULL;
		T_OK(kg_key_generate(types[i], types[i] == KG_KEY_RSA ? 2048 : 0, &k));
		T_OK(kg_cert_new(k, &c));
		c->serial = 9;
		c->key_id = strdup("id");
		c->valid_after = 100;
		c->valid_before = 200;
		T_OK(kg_cert_add_principal(c, "u"));
		T_OK(kg_cert_set_option(c, 0, "permit-pty", NULL, 0));
		T_OK(kg_cert_set_option(c, 0, "permit-X11-forwarding", NULL, 0));
		static const uint8_t fc[] = { 0, 0, 0, 2, 'l', 's' };
		T_OK(kg_cert_set_option(c, 1, "force-command", fc, sizeof(fc)));
		T_ASSERT(c->blob == NULL);
		T_OK(kg_cert_sign(c, types[i] == KG_KEY_RSA ? k : ca, NULL));
		T_OK(kg_cert_from_blob(c->blob, c->bloblen, &d));
		T_ASSERT(d->bloblen == c->bloblen && memcmp(d->blob, c->blob, c->bloblen) == 0);
		T_ASSERT(strcmp(d->ext[0].name, "permit-X11-forwarding") == 0);
		T_OK(kg_cert_check(d, 150, "u", 0, NULL));
		T_ASSERT(kg_cert_check(d, 200, "u", 0, NULL) != KG_OK);
		/* Tampering with a signed byte (the last of the CA key field). */
		d->blob[d->signed_len - 1] ^= 1;
		enum kg_cert_why why;
		T_ASSERT(kg_cert_check(d, 150, "u", 0, &why) == KG_ERR_SIGNATURE && why == KG_CERT_BAD_SIGNATURE);
		kg_cert_free(d);
		kg_cert_free(c);
		kg_key_free(k);
	}
	kg_key_free(ca);
}

static void test_unsorted_options(void)
{
	kg_key *ca = NULL, *k = NULL;
	kg_cert *c = NULL, *d = NULL;
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &ca));
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &k));
	T_OK(kg_cert_new(k, &c));
	T_OK(kg_cert_set_option(c, 0, "aaaa", NULL, 0));
	T_OK(kg_cert_set_option(c, 0, "bbbb", NULL, 0));
	T_OK(kg_cert_sign(c, ca, NULL));
	/* Swap the two names in the blob: "aaaa" then "bbbb" becomes unsorted. */
	uint8_t *p = memmem(c->blob, c->bloblen, "aaaa", 4);
	uint8_t *q = memmem(c->blob, c->bloblen, "bbbb", 4);
	T_ASSERT(p && q);
	memcpy(p, "bbbb", 4);
	T_ASSERT(kg_cert_from_blob(c->blob, c->bloblen, &d) == KG_ERR_FORMAT);
	memcpy(q, "bbbb", 4);  /* duplicate */
	T_ASSERT(kg_cert_from_blob(c->blob, c->bloblen, &d) == KG_ERR_FORMAT);
	/* A certificate as CA is refused at signing (not a plain key type). */
	kg_cert_free(c);
	kg_key_free(k);
	kg_key_free(ca);
}

/* Every fixture's line prints back byte for byte. */
static void test_reserialize_all(void)
{
	static const char *const names[] = { "user-cert.pub", "host-cert.pub", "rsa-cert.pub" };
	for (size_t i = 0; i < KG_ARRAY_LEN(names); i++) {
		char *line = read_line(names[i]);
		kg_cert *c = NULL;
		T_ASSERT(line != NULL);
		T_OK(kg_cert_from_line(line, &c));
		kg_buf b;
		kg_buf_init(&b, 0);
		T_OK(kg_cert_to_line(c, &b));
		T_OK(kg_buf_put_u8(&b, '\n'));
		T_OK(kg_buf_put_u8(&b, 0));
		T_ASSERT(strcmp((const char *)kg_buf_ptr(&b), line) == 0);
		kg_buf_free(&b);
		kg_cert_free(c);
		free(line);
	}
}

/* A certificate as the signature key ("chained") is refused. */
static void test_chained_refused(void)
{
	kg_cert *c = load("user-cert.pub");
	T_ASSERT(c != NULL);
	kg_buf ca;
	kg_buf_init(&ca, 0);
	T_OK(kg_key_to_blob(c->ca, &ca));
	size_t cafield = c->signed_len - 4 - kg_buf_len(&ca);
	kg_buf nb;
	kg_buf_init(&nb, 0);
	T_OK(kg_buf_put(&nb, c->blob, cafield));
	T_OK(kg_buf_put_string(&nb, c->blob, c->bloblen));  /* a cert as CA key */
	T_OK(kg_buf_put_string(&nb, c->sig, c->siglen));
	kg_cert *d = NULL;
	T_ASSERT(kg_cert_from_blob(kg_buf_ptr(&nb), kg_buf_len(&nb), &d) == KG_ERR_KEY_TYPE);
	/* And the same layout with the real CA key parses (the surgery is right). */
	kg_buf_reset(&nb);
	T_OK(kg_buf_put(&nb, c->blob, cafield));
	T_OK(kg_buf_put_stringb(&nb, &ca));
	T_OK(kg_buf_put_string(&nb, c->sig, c->siglen));
	T_OK(kg_cert_from_blob(kg_buf_ptr(&nb), kg_buf_len(&nb), &d));
	T_OK(kg_cert_verify_sig(d));
	kg_cert_free(d);
	kg_buf_free(&nb);
	kg_buf_free(&ca);
	kg_cert_free(c);
}

/* -V intervals as ssh-keygen(1) takes them. */
static void test_validity(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	uint64_t a, b;
	const time_t now = 1748736030;  /* 2025-06-01T00:00:30 */
	T_OK(kgk_cert_validity("+52w", now, &a, &b));
	T_ASSERT(a == 1748736000u - 60 && b == (uint64_t)now + 52 * 604800);
	T_OK(kgk_cert_validity("-1d:+1w", now, &a, &b));
	T_ASSERT(a == (uint64_t)now - 86400 && b == (uint64_t)now + 604800);
	T_OK(kgk_cert_validity("always:forever", now, &a, &b));
	T_ASSERT(a == 0 && b == UINT64_MAX);
	T_OK(kgk_cert_validity("20200101:203001011230", now, &a, &b));
	T_ASSERT(a == 1577836800u && b == 1893501000u);
	T_OK(kgk_cert_validity("20200101000001:forever", now, &a, &b));
	T_ASSERT(a == 1577836801u && b == UINT64_MAX);
	T_OK(kgk_cert_validity("0x10:0x20", now, &a, &b));
	T_ASSERT(a == 16 && b == 32);
	T_OK(kgk_cert_validity("-1h30m:+90", now, &a, &b));
	T_ASSERT(a == (uint64_t)now - 5400 && b == (uint64_t)now + 90);
	static const char *const bad[] = { "", "bogus", "2020:2030", "20201301:forever", "+5x",
					   "0x:0x5", "20300101:20200101", "forever:always", "+:+1d" };
	for (size_t i = 0; i < KG_ARRAY_LEN(bad); i++)
		T_ASSERT(kgk_cert_validity(bad[i], now, &a, &b) < 0);
}

static void test_alg_names(void)
{
	kg_cert *c = load("rsa-cert.pub"), *e = load("user-cert.pub");
	T_ASSERT(c != NULL && e != NULL);
	T_ASSERT(strcmp(kg_cert_alg_name(c, NULL), "rsa-sha2-512-cert-v01@openssh.com") == 0);
	T_ASSERT(strcmp(kg_cert_alg_name(c, "rsa-sha2-256"), "rsa-sha2-256-cert-v01@openssh.com") == 0);
	T_ASSERT(kg_cert_alg_name(c, "ssh-rsa") == NULL);
	T_ASSERT(strcmp(kg_cert_alg_name(e, NULL), "ssh-ed25519-cert-v01@openssh.com") == 0);
	enum kg_keytype t;
	const char *sa;
	T_OK(kg_cert_alg_parse("rsa-sha2-256-cert-v01@openssh.com", &t, &sa));
	T_ASSERT(t == KG_KEY_RSA && strcmp(sa, "rsa-sha2-256") == 0);
	T_ASSERT(kg_cert_alg_parse("ssh-rsa-cert-v01@openssh.com", &t, &sa) == KG_ERR_KEY_TYPE);
	T_ASSERT(kg_cert_alg_parse("ssh-ed25519", &t, &sa) == KG_ERR_KEY_TYPE);
	T_ASSERT(kg_cert_key_type_from_name("ecdsa-sha2-nistp521-cert-v01@openssh.com") == KG_KEY_ECDSA_P521);
	T_ASSERT(kg_cert_key_type_from_name("ssh-ed25519") == KG_KEY_UNSPEC);
	kg_cert_free(c);
	kg_cert_free(e);
}

int main(void)
{
	T_RUN(test_alg_names);
	T_RUN(test_reserialize_all);
	T_RUN(test_chained_refused);
	T_RUN(test_validity);
	T_RUN(test_openssh_user);
	T_RUN(test_openssh_host_rsa);
	T_RUN(test_truncation_and_trailing);
	T_RUN(test_sign_roundtrip);
	T_RUN(test_unsorted_options);
	return T_DONE();
}
