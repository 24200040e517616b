#include "t.h"
#include "core/names.h"

static const char *const SUPPORTED =
	"chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
	"aes128-gcm@openssh.com,aes256-gcm@openssh.com";
static const char *const DEFAULTS =
	"chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr,aes256-gcm@openssh.com";

static void test_has_whole_elements(void)
{
	T_ASSERT(kg_namelist_has("aes128-ctr,aes256-ctr", "aes128-ctr"));
	T_ASSERT(kg_namelist_has("aes128-ctr,aes256-ctr", "aes256-ctr"));
	T_ASSERT(kg_namelist_has("aes128-ctr", "aes128-ctr"));
	/* Prefixes, suffixes and substrings are not elements. */
	T_ASSERT(!kg_namelist_has("aes128-ctr2,x", "aes128-ctr"));
	T_ASSERT(!kg_namelist_has("xaes128-ctr,x", "aes128-ctr"));
	T_ASSERT(!kg_namelist_has("aes128-ctr", "aes128"));
	T_ASSERT(!kg_namelist_has("aes128-ctr", "aes128-ctr,"));
	T_ASSERT(!kg_namelist_has("a,b", "a,b"));
	/* Empty names are never members; empty elements are skipped. */
	T_ASSERT(!kg_namelist_has("a,,b", ""));
	T_ASSERT(!kg_namelist_has("", ""));
	T_ASSERT(kg_namelist_has("a,,b", "b"));
	T_ASSERT(kg_namelist_has(",a,", "a"));
	T_ASSERT(!kg_namelist_has(NULL, "a"));
	T_ASSERT(!kg_namelist_has("a", NULL));
}

static void check_choose(const char *c, const char *s, const char *want)
{
	char *out = (char *)"unset";
	int r = kg_namelist_choose(c, s, &out);
	if (want == NULL) {
		if (r != KG_ERR_NOT_FOUND || out != NULL) {
			fprintf(stderr, "choose(%s | %s) = %d, want NOT_FOUND\n", c, s, r);
			t_failed_now = 1;
		}
		return;
	}
	if (r != KG_OK || out == NULL || strcmp(out, want) != 0) {
		fprintf(stderr, "choose(%s | %s) = %d %s, want %s\n", c, s, r, r == KG_OK ? out : "-", want);
		t_failed_now = 1;
	}
	if (r == KG_OK)
		free(out);
}

static void test_choose(void)
{
	/* RFC 4253 7.1: the first client algorithm the server also supports,
	 * whatever the server's own order. */
	check_choose("curve25519-sha256,ecdh-sha2-nistp256", "ecdh-sha2-nistp256,curve25519-sha256",
		     "curve25519-sha256");
	check_choose("ecdh-sha2-nistp256,curve25519-sha256", "curve25519-sha256,ecdh-sha2-nistp256",
		     "ecdh-sha2-nistp256");
	check_choose("a,b,c", "c", "c");
	check_choose("aes128-ctr", "aes128-ctr", "aes128-ctr");
	/* No common name. */
	check_choose("a,b", "c,d", NULL);
	check_choose("aes128-ctr", "aes128-ctr2", NULL);
	check_choose("aes128-ctr2", "aes128-ctr", NULL);
	check_choose("", "a", NULL);
	check_choose("a", "", NULL);
	check_choose("", "", NULL);
	/* Empty elements are skipped, never chosen. */
	check_choose(",,b", "a,,b", "b");
	check_choose("a,,", ",,a", "a");
	check_choose(",", ",", NULL);
	char *out;
	T_ASSERT(kg_namelist_choose(NULL, "a", &out) == KG_ERR_ARG);
	T_ASSERT(kg_namelist_choose("a", NULL, &out) == KG_ERR_ARG);
	T_ASSERT(kg_namelist_choose("a", "a", NULL) == KG_ERR_ARG);
}

static void test_glob(void)
{
	T_ASSERT(kg_glob_match("aes*", "aes128-ctr"));
	T_ASSERT(kg_glob_match("*", ""));
	T_ASSERT(kg_glob_match("*", "anything"));
	T_ASSERT(kg_glob_match("", ""));
	T_ASSERT(!kg_glob_match("", "a"));
	T_ASSERT(kg_glob_match("aes\?\?\?-ctr", "aes128-ctr"));
	T_ASSERT(!kg_glob_match("aes\?\?-ctr", "aes128-ctr"));
	T_ASSERT(kg_glob_match("*-ctr", "aes128-ctr"));
	T_ASSERT(!kg_glob_match("*-ctr", "aes128-gcm@openssh.com"));
	T_ASSERT(kg_glob_match("*gcm*", "aes128-gcm@openssh.com"));
	T_ASSERT(kg_glob_match("a*b*c", "aXbYbZc"));
	T_ASSERT(!kg_glob_match("a*b*c", "aXbYbZ"));
	T_ASSERT(kg_glob_match("**a", "a"));
	T_ASSERT(kg_glob_match("a*", "a"));
	T_ASSERT(!kg_glob_match("a?", "a"));
	T_ASSERT(kg_glob_match("*.example.com", "host.example.com"));
	T_ASSERT(!kg_glob_match("*.example.com", "example.com"));
	T_ASSERT(!kg_glob_match("abc", "abcd"));
	T_ASSERT(!kg_glob_match("abcd", "abc"));
	/* Pathological patterns still finish quickly. */
	char s[4001], pat[200];
	memset(s, 'a', 4000);
	s[4000] = '\0';
	for (int i = 0; i < 99; i++) {
		pat[2 * i] = '*';
		pat[2 * i + 1] = 'a';
	}
	pat[198] = 'b';
	pat[199] = '\0';
	T_ASSERT(!kg_glob_match(pat, s));
	T_ASSERT(!kg_glob_match(NULL, "a") && !kg_glob_match("a", NULL));
}

static void check_assemble(const char *spec, const char *want)
{
	char *out = (char *)"unset";
	int r = kg_alglist_assemble(DEFAULTS, SUPPORTED, spec, &out);
	if (r != KG_OK || strcmp(out, want) != 0) {
		fprintf(stderr, "assemble(%s) = %d %s\n   want %s\n", spec ? spec : "(null)", r,
			r == KG_OK ? out : "-", want);
		t_failed_now = 1;
	}
	if (r == KG_OK)
		free(out);
}

static void check_assemble_fails(const char *spec)
{
	char *out = (char *)"unset";
	int r = kg_alglist_assemble(DEFAULTS, SUPPORTED, spec, &out);
	if (r != KG_ERR_CONFIG || out != NULL) {
		fprintf(stderr, "assemble(%s) = %d, want KG_ERR_CONFIG\n", spec, r);
		t_failed_now = 1;
		if (r == KG_OK)
			free(out);
	}
}

static void test_assemble_plain(void)
{
	check_assemble(NULL, DEFAULTS);
	check_assemble("", DEFAULTS);
	check_assemble("aes256-ctr", "aes256-ctr");
	check_assemble("aes256-ctr,aes128-ctr", "aes256-ctr,aes128-ctr");
	/* Duplicates collapse, first position wins; empties are skipped. */
	check_assemble("aes256-ctr,aes128-ctr,aes256-ctr", "aes256-ctr,aes128-ctr");
	check_assemble(",aes192-ctr,,", "aes192-ctr");
	/* Wildcards expand in supported's order. */
	check_assemble("aes*-ctr", "aes128-ctr,aes192-ctr,aes256-ctr");
	check_assemble("aes256-ctr,aes*-ctr", "aes256-ctr,aes128-ctr,aes192-ctr");
	check_assemble("*gcm*", "aes128-gcm@openssh.com,aes256-gcm@openssh.com");
	check_assemble("*", SUPPORTED);
	check_assemble("aes1\?\?-ctr", "aes128-ctr,aes192-ctr");
	/* Unknown names are configuration errors, so are near misses. */
	check_assemble_fails("aes128-cbc");
	check_assemble_fails("aes256-ctr,aes128-cbc");
	check_assemble_fails("aes128-ct");
	check_assemble_fails("aes128-ctr2");
	check_assemble_fails("AES128-CTR");
	check_assemble_fails("des*");
	check_assemble_fails(",");
}

static void test_assemble_append(void)
{
	check_assemble("+aes192-ctr", "chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr,"
				      "aes256-gcm@openssh.com,aes192-ctr");
	/* Already there: no duplicate, order kept. */
	check_assemble("+aes128-ctr", DEFAULTS);
	check_assemble("+aes128-gcm@openssh.com,aes192-ctr",
		       "chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr,aes256-gcm@openssh.com,"
		       "aes128-gcm@openssh.com,aes192-ctr");
	check_assemble("+*gcm*", "chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr,"
				 "aes256-gcm@openssh.com,aes128-gcm@openssh.com");
	check_assemble("+", DEFAULTS);
	check_assemble_fails("+aes128-cbc");
	check_assemble_fails("+aes192-ctr,nope");
}

static void test_assemble_remove(void)
{
	check_assemble("-aes128-ctr", "chacha20-poly1305@openssh.com,aes256-ctr,aes256-gcm@openssh.com");
	check_assemble("-*-ctr", "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com");
	check_assemble("-chacha20-poly1305@openssh.com,*gcm*", "aes128-ctr,aes256-ctr");
	check_assemble("-aes\?\?\?-ctr", "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com");
	/* Removing a supported name that is not a default changes nothing. */
	check_assemble("-aes192-ctr", DEFAULTS);
	/* A pattern matching nothing is fine; an unknown literal is a typo. */
	check_assemble("-des*", DEFAULTS);
	check_assemble_fails("-aes128-cbc");
	/* Removing everything leaves nothing to negotiate with. */
	check_assemble_fails("-*");
	check_assemble_fails("-chacha20*,aes*");
	/* Whole-element matching: "aes128-ct" is not a pattern for aes128-ctr. */
	check_assemble_fails("-aes128-ct");
}

static void test_assemble_prepend(void)
{
	check_assemble("^aes256-gcm@openssh.com",
		       "aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr");
	check_assemble("^aes192-ctr,aes128-ctr",
		       "aes192-ctr,aes128-ctr,chacha20-poly1305@openssh.com,aes256-ctr,"
		       "aes256-gcm@openssh.com");
	check_assemble("^*gcm*", "aes128-gcm@openssh.com,aes256-gcm@openssh.com,"
				 "chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr");
	check_assemble_fails("^aes128-cbc");
}

static void test_assemble_filters_defaults(void)
{
	/* Defaults naming something this build lacks are quietly dropped. */
	char *out;
	T_OK(kg_alglist_assemble("x,aes128-ctr,y", SUPPORTED, "", &out));
	T_ASSERT(strcmp(out, "aes128-ctr") == 0);
	free(out);
	T_OK(kg_alglist_assemble("x,aes128-ctr", SUPPORTED, "+aes256-ctr", &out));
	T_ASSERT(strcmp(out, "aes128-ctr,aes256-ctr") == 0);
	free(out);
	out = (char *)"unset";
	T_ASSERT(kg_alglist_assemble("x,y", SUPPORTED, NULL, &out) == KG_ERR_CONFIG && out == NULL);
	T_ASSERT(kg_alglist_assemble("", "", "", &out) == KG_ERR_CONFIG);
	T_ASSERT(kg_alglist_assemble(NULL, SUPPORTED, "a", &out) == KG_ERR_ARG);
	T_ASSERT(kg_alglist_assemble(DEFAULTS, NULL, "a", &out) == KG_ERR_ARG);
	T_ASSERT(kg_alglist_assemble(DEFAULTS, SUPPORTED, "a", NULL) == KG_ERR_ARG);
}

static void test_assemble_then_choose(void)
{
	/* A configured client list negotiated against a server's list. */
	char *client, *chosen;
	T_OK(kg_alglist_assemble(DEFAULTS, SUPPORTED, "-chacha20*", &client));
	T_OK(kg_namelist_choose(client, "aes256-gcm@openssh.com,aes256-ctr,chacha20-poly1305@openssh.com",
				&chosen));
	T_ASSERT(strcmp(chosen, "aes256-ctr") == 0);
	free(chosen);
	free(client);
}

int main(void)
{
	T_RUN(test_has_whole_elements);
	T_RUN(test_choose);
	T_RUN(test_glob);
	T_RUN(test_assemble_plain);
	T_RUN(test_assemble_append);
	T_RUN(test_assemble_remove);
	T_RUN(test_assemble_prepend);
	T_RUN(test_assemble_filters_defaults);
	T_RUN(test_assemble_then_choose);
	return T_DONE();
}
