/* Exercises src/config/known-hosts.c: names, plain and hashed patterns,
 * markers, several files into one result, entry formatting and appending. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "t.h"
#include "core/key.h"
#include "config/config-common.h"
#include "config/known-hosts.h"

/* Public keys made with ssh-keygen (also in tests/data/sysfiles/). */
#define ED_A "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICJHrRC1yas3uGJsgVk49eOSQBdpkR7Us9Yr2YYTnr7+"
#define ED_B "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINx5q5SrG4wicPy7e/MPbxNjrBmyU32wsS+jgXWz+iVj"
#define ED_C "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPSVgWq00Nhof453cEj3Yzct+vs+svXtryIxHcDEnsqn"
#define EC_1 "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBHJlfVoyU7gZ" \
	"mMX7jr1dqbR+Wyranie3m1fvm3eonapnybvo+Zi7BrJ42EnPZ7KxEX7L7jyDEgFcZSjxuGBm0dk="

static kg_key *key(const char *line)
{
	kg_key *k = NULL;
	if (kg_key_from_line(line, &k) != KG_OK)
		return NULL;
	return k;
}

/* Runs one check of text for host:port with key line kl. */
static int check(const char *text, const char *host, int port, const char *kl, kg_kh_result *res)
{
	kg_key *k = key(kl);
	if (!k)
		return KG_ERR_FORMAT;
	kg_kh_result_init(res);
	int r = kg_known_hosts_check(text, strlen(text), "kh", host, port, k, res);
	kg_key_free(k);
	return r;
}

static char *slurp(const char *path, size_t *len)
{
	char *t = NULL;
	if (kg_read_text_file(path, 0, &t, len, NULL) != KG_OK)
		return NULL;
	return t;
}

static void test_name(void)
{
	char *n = NULL;
	T_OK(kg_known_hosts_name("Server.Example.COM", 22, &n));
	T_ASSERT(strcmp(n, "server.example.com") == 0);
	free(n);
	T_OK(kg_known_hosts_name("h", 2222, &n));
	T_ASSERT(strcmp(n, "[h]:2222") == 0);
	free(n);
	T_OK(kg_known_hosts_name("::1", 0, &n));
	T_ASSERT(strcmp(n, "::1") == 0);
	free(n);
	T_ASSERT(kg_known_hosts_name("h", 70000, &n) == KG_ERR_ARG);
	T_ASSERT(kg_known_hosts_name("", 22, &n) == KG_ERR_ARG);
}

static void test_plain_match_new_changed(void)
{
	const char *text =
		"# comment\n"
		"\n"
		"other.example.com " ED_C "\n"
		"server.example.com,203.0.0.1 " ED_A " a comment\n"
		"server.example.com " EC_1 "\n";
	kg_kh_result res;
	T_OK(check(text, "server.example.com", 22, ED_A, &res));
	T_ASSERT(res.status == KG_KH_MATCH && res.line == 4 && strcmp(res.file, "kh") == 0);
	T_OK(check(text, "SERVER.example.com", 22, ED_A, &res));
	T_ASSERT(res.status == KG_KH_MATCH);
	T_OK(check(text, "203.0.0.1", 22, ED_A, &res));
	T_ASSERT(res.status == KG_KH_MATCH && res.line == 4);
	/* Same type, other key: changed, pointing at the conflicting line. */
	T_OK(check(text, "server.example.com", 22, ED_B, &res));
	T_ASSERT(res.status == KG_KH_CHANGED && res.line == 4);
	T_OK(check(text, "other.example.com", 22, ED_A, &res));
	T_ASSERT(res.status == KG_KH_CHANGED && res.line == 3);
	/* Not listed at all, or only with another type. */
	T_OK(check(text, "nowhere.example.com", 22, ED_A, &res));
	T_ASSERT(res.status == KG_KH_NEW && res.line == 0 && res.other_types == 0);
	T_OK(check(text, "other.example.com", 22, EC_1, &res));
	T_ASSERT(res.status == KG_KH_NEW && res.other_types == 1);
	/* A non-22 port is a different name. */
	T_OK(check(text, "server.example.com", 2222, ED_A, &res));
	T_ASSERT(res.status == KG_KH_NEW);
}

static void test_changed_line_number_later(void)
{
	const char *text =
		"a " ED_A "\n"
		"b " ED_A "\n"
		"c " ED_A "\n"
		"target " ED_B "\n"
		"target " ED_C "\n";
	kg_kh_result res;
	T_OK(check(text, "target", 22, ED_A, &res));
	T_ASSERT(res.status == KG_KH_CHANGED && res.line == 4);
	/* A matching key anywhere wins over a conflicting one. */
	T_OK(check(text, "target", 22, ED_C, &res));
	T_ASSERT(res.status == KG_KH_MATCH && res.line == 5);
}

static void test_port_form(void)
{
	const char *text =
		"[alt.example.com]:2222 " ED_B "\n"
		"[*.wild.org]:* " ED_C "\n";
	kg_kh_result res;
	T_OK(check(text, "alt.example.com", 2222, ED_B, &res));
	T_ASSERT(res.status == KG_KH_MATCH && res.line == 1);
	T_OK(check(text, "alt.example.com", 22, ED_B, &res));
	T_ASSERT(res.status == KG_KH_NEW);
	T_OK(check(text, "alt.example.com", 2223, ED_B, &res));
	T_ASSERT(res.status == KG_KH_NEW);
	T_OK(check(text, "x.wild.org", 8022, ED_C, &res));
	T_ASSERT(res.status == KG_KH_MATCH && res.line == 2);
}

static void test_wildcards_and_negation(void)
{
	const char *text =
		"*.example.com,!bad.example.com " ED_A "\n"
		"host?.lan " ED_B "\n";
	kg_kh_result res;
	T_OK(check(text, "ok.example.com", 22, ED_A, &res));
	T_ASSERT(res.status == KG_KH_MATCH);
	T_OK(check(text, "bad.example.com", 22, ED_A, &res));
	T_ASSERT(res.status == KG_KH_NEW);
	T_OK(check(text, "example.com", 22, ED_A, &res));
	T_ASSERT(res.status == KG_KH_NEW);
	T_OK(check(text, "host7.lan", 22, ED_B, &res));
	T_ASSERT(res.status == KG_KH_MATCH && res.line == 2);
	T_OK(check(text, "host77.lan", 22, ED_B, &res));
	T_ASSERT(res.status == KG_KH_NEW);
}

static void test_hashed_from_ssh_keygen(void)
{
	/* kh-hashed is kh-plain after `ssh-keygen -H`. */
	size_t len;
	char *text = slurp("tests/data/sysfiles/kh-hashed", &len);
	T_ASSERT(text != NULL);
	kg_key *a = key(ED_A), *b = key(ED_B), *e = key(EC_1);
	T_ASSERT(a && b && e);
	kg_kh_result res;
	kg_kh_result_init(&res);
	T_OK(kg_known_hosts_check(text, len, "kh-hashed", "server.example.com", 22, a, &res));
	int ok1 = res.status == KG_KH_MATCH && res.line == 1;
	kg_kh_result_init(&res);
	T_OK(kg_known_hosts_check(text, len, "kh-hashed", "alt.example.com", 2222, b, &res));
	int ok2 = res.status == KG_KH_MATCH && res.line == 2;
	kg_kh_result_init(&res);
	T_OK(kg_known_hosts_check(text, len, "kh-hashed", "alt.example.com", 22, b, &res));
	int ok3 = res.status == KG_KH_NEW;
	kg_kh_result_init(&res);
	T_OK(kg_known_hosts_check(text, len, "kh-hashed", "203.1.2.3", 22, e, &res));
	int ok4 = res.status == KG_KH_MATCH && res.line == 3;
	kg_kh_result_init(&res);
	T_OK(kg_known_hosts_check(text, len, "kh-hashed", "server.example.com", 22, b, &res));
	int ok5 = res.status == KG_KH_CHANGED && res.line == 1;
	kg_key_free(a); kg_key_free(b); kg_key_free(e);
	free(text);
	T_ASSERT(ok1 && ok2 && ok3 && ok4 && ok5);
}

static void test_hash_field(void)
{
	const char *f = "|1|Ex6lx5ynKiavVje1rO57qV2Hr8s=|urGqYRGXbZazx0uYoPsZ4z1t9mw=";
	T_ASSERT(kg_known_hosts_hash_matches(f, strlen(f), "server.example.com") == 1);
	T_ASSERT(kg_known_hosts_hash_matches(f, strlen(f), "server.example.org") == 0);
	const char *bad[] = { "|1|", "|1|abc", "|1|Ex6lx5ynKiavVje1rO57qV2Hr8s=|",
			      "|1|Ex6l|urGqYRGXbZazx0uYoPsZ4z1t9mw=", "|2|a|b",
			      "|1|Ex6lx5ynKiavVje1rO57qV2Hr8s=|urGq$RGXbZazx0uYoPsZ4z1t9mw=" };
	for (size_t i = 0; i < KG_ARRAY_LEN(bad); i++)
		T_ASSERT(kg_known_hosts_hash_matches(bad[i], strlen(bad[i]), "x") == KG_ERR_FORMAT);
}

static void test_revoked(void)
{
	const char *text =
		"server " ED_A "\n"
		"@revoked * " ED_A "\n"
		"@revoked server " ED_B "\n";
	kg_kh_result res;
	T_OK(check(text, "server", 22, ED_A, &res));
	T_ASSERT(res.status == KG_KH_REVOKED && res.line == 2);
	T_OK(check(text, "anyhost", 22, ED_A, &res));
	T_ASSERT(res.status == KG_KH_REVOKED);
	/* A revoked key that is not otherwise listed is still refused. */
	T_OK(check(text, "server", 22, ED_B, &res));
	T_ASSERT(res.status == KG_KH_REVOKED && res.line == 3);
	/* A revoked line for another key does not make the host "changed". */
	T_OK(check("@revoked server " ED_B "\n", "server", 22, ED_C, &res));
	T_ASSERT(res.status == KG_KH_NEW);
}

static void test_cert_authority_ignored(void)
{
	const char *text = "@cert-authority *.example.com " ED_A "\n";
	kg_kh_result res;
	T_OK(check(text, "a.example.com", 22, ED_A, &res));
	T_ASSERT(res.status == KG_KH_NEW && res.skipped == 0);
	T_OK(check(text, "a.example.com", 22, ED_B, &res));
	T_ASSERT(res.status == KG_KH_NEW);
}

static void test_malformed_skipped(void)
{
	const char *text =
		"@bogus server " ED_A "\n"
		"server\n"
		"server ssh-ed25519\n"
		"server ssh-ed25519 !!!notbase64\n"
		"server ssh-ed25519 AAAA\n"
		"server ssh-dss AAAAB3NzaC1kc3MAAACBAP\n"
		"|1|junk|junk " ED_A "\n"
		"server " ED_A "\n";
	kg_kh_result res;
	T_OK(check(text, "server", 22, ED_A, &res));
	T_ASSERT(res.status == KG_KH_MATCH && res.line == 8);
	T_ASSERT(res.skipped >= 5);
	/* Every prefix of the text parses without error. */
	kg_key *k = key(ED_A);
	T_ASSERT(k != NULL);
	int bad = 0;
	for (size_t n = 0; n <= strlen(text); n++) {
		kg_kh_result_init(&res);
		if (kg_known_hosts_check(text, n, "kh", "server", 22, k, &res) != KG_OK)
			bad = 1;
	}
	kg_key_free(k);
	T_ASSERT(!bad);
}

static void test_several_files(void)
{
	const char *user = "server " ED_B "\n";
	const char *global = "x\ny\nserver " ED_A "\n";
	kg_key *k = key(ED_A);
	T_ASSERT(k != NULL);
	kg_kh_result res;
	kg_kh_result_init(&res);
	int r1 = kg_known_hosts_check(user, strlen(user), "user", "server", 22, k, &res);
	int mid = res.status == KG_KH_CHANGED && strcmp(res.file, "user") == 0 && res.line == 1;
	int r2 = kg_known_hosts_check(global, strlen(global), "global", "server", 22, k, &res);
	kg_key_free(k);
	T_ASSERT(r1 == KG_OK && r2 == KG_OK && mid);
	T_ASSERT(res.status == KG_KH_MATCH && strcmp(res.file, "global") == 0 && res.line == 3);
}

static void test_format_roundtrip(void)
{
	kg_key *k = key(ED_C);
	T_ASSERT(k != NULL);
	kg_buf out;
	kg_buf_init(&out, 0);
	int ok = kg_known_hosts_format_entry("Host.Example", 22, k, 0, &out) == KG_OK;
	ok = ok && kg_known_hosts_format_entry("host.example", 2200, k, 1, &out) == KG_OK;
	ok = ok && kg_buf_put_u8(&out, 0) == KG_OK;
	const char *text = (const char *)kg_buf_ptr(&out);
	const char *want1 = "host.example " ED_C "\n|1|";
	ok = ok && strncmp(text, want1, strlen(want1)) == 0;
	kg_kh_result res;
	kg_kh_result_init(&res);
	ok = ok && kg_known_hosts_check(text, strlen(text), "f", "host.example", 2200, k, &res) == KG_OK;
	ok = ok && res.status == KG_KH_MATCH && res.line == 2;
	/* Names that would read back differently are refused. */
	ok = ok && kg_known_hosts_format_entry("a,b", 22, k, 0, &out) == KG_ERR_ARG;
	ok = ok && kg_known_hosts_format_entry("a b", 22, k, 0, &out) == KG_ERR_ARG;
	kg_buf_free(&out);
	kg_key_free(k);
	T_ASSERT(ok);
}

static void test_append(void)
{
	char tmpl[] = "/tmp/kagi-kh-XXXXXX";
	T_ASSERT(mkdtemp(tmpl) != NULL);
	char dir[64], path[96];
	snprintf(dir, sizeof(dir), "%s/.ssh", tmpl);
	snprintf(path, sizeof(path), "%s/known_hosts", dir);
	int ok = kg_known_hosts_append(path, "a " ED_A, strlen("a " ED_A)) == KG_OK;
	struct stat st;
	ok = ok && stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700;
	ok = ok && stat(path, &st) == 0 && (st.st_mode & 0077) == 0;
	/* A file without a final newline gets one before the new entry. */
	FILE *f = fopen(path, "a");
	if (f) {
		fputs("# no newline", f);
		fclose(f);
	}
	ok = ok && kg_known_hosts_append(path, "b " ED_B "\n", strlen("b " ED_B "\n")) == KG_OK;
	size_t len = 0;
	char *text = slurp(path, &len);
	const char *want = "a " ED_A "\n# no newline\nb " ED_B "\n";
	ok = ok && text && strcmp(text, want) == 0;
	free(text);
	unlink(path);
	rmdir(dir);
	rmdir(tmpl);
	T_ASSERT(ok);
}

/* "UserKnownHostsFile /dev/null": adding succeeds and keeps nothing (as
 * with OpenSSH); any other file that is not a regular one is refused. */
static void test_append_dev_null(void)
{
	T_ASSERT(kg_known_hosts_append("/dev/null", "a " ED_A, strlen("a " ED_A)) == KG_OK);
	char tmpl[] = "/tmp/kagi-kh-XXXXXX";
	T_ASSERT(mkdtemp(tmpl) != NULL);
	int r = kg_known_hosts_append(tmpl, "a " ED_A, strlen("a " ED_A));  /* a directory */
	rmdir(tmpl);
	T_ASSERT(r < 0);
}

static void test_check_files(void)
{
	const char *files[] = { "tests/data/sysfiles/does-not-exist", "tests/data/sysfiles/kh-plain" };
	kg_key *k = key(EC_1);
	T_ASSERT(k != NULL);
	kg_kh_result res;
	kg_kh_result_init(&res);
	int r = kg_known_hosts_check_files(files, 2, "203.1.2.3", 22, k, &res);
	kg_key_free(k);
	T_ASSERT(r == KG_OK && res.status == KG_KH_MATCH && res.file == files[1] && res.line == 3);
}

int main(void)
{
	T_RUN(test_name);
	T_RUN(test_plain_match_new_changed);
	T_RUN(test_changed_line_number_later);
	T_RUN(test_port_form);
	T_RUN(test_wildcards_and_negation);
	T_RUN(test_hashed_from_ssh_keygen);
	T_RUN(test_hash_field);
	T_RUN(test_revoked);
	T_RUN(test_cert_authority_ignored);
	T_RUN(test_malformed_skipped);
	T_RUN(test_several_files);
	T_RUN(test_format_roundtrip);
	T_RUN(test_append);
	T_RUN(test_append_dev_null);
	T_RUN(test_check_files);
	return T_DONE();
}
