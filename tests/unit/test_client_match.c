/* Exercises src/config/client-match.c (client Match criteria),
 * src/config/client-tokens.c (%-tokens and ${ENV} per keyword),
 * src/config/client-read.c (canonicalisation and the final pass) and
 * src/sys/host-facts.c (host name, interface addresses, shell status,
 * name lookups through the local files only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "t.h"
#include "config/client-match.h"
#include "config/client-read.h"
#include "config/client-tokens.h"
#include "sys/host-facts.h"

static int capply(kg_client_config *c, const char *text, const char *host, kg_cfg_err *err)
{
	return kg_client_config_apply_file(c, text, strlen(text), "cfg", host, err);
}

static void test_sys_facts(void)
{
	char h[256];
	T_OK(kg_sys_local_hostname(h, sizeof(h)));
	T_ASSERT(h[0] != '\0');
	int st = -1;
	T_OK(kg_sys_shell_status("exit 3", &st));
	T_ASSERT(st == 3);
	T_OK(kg_sys_shell_status("true", &st));
	T_ASSERT(st == 0);
	char **a = NULL;
	size_t n = 0;
	T_OK(kg_sys_if_addrs(&a, &n));
	int lo = 0;
	for (size_t i = 0; i < n; i++)
		lo |= strcmp(a[i], "127.0.0.1") == 0;
	kg_sys_addrs_free(a, n);
	T_ASSERT(lo);
	/* "localhost" is in /etc/hosts: answered by the files, no DNS. */
	char *canon = NULL;
	T_ASSERT(kg_sys_resolve_canon("localhost", 0, &canon) == 1 && canon != NULL);
	free(canon);
}

static void sha1_hex(const char *s, char out[41])
{
	unsigned char md[20];
	unsigned int ml = 0;
	EVP_Digest(s, strlen(s), md, &ml, EVP_sha1(), NULL);
	for (int i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void test_tokens(void)
{
	kg_client_config c;
	kg_cfg_err err = { "" };
	kg_client_config_init(&c);
	c.hostname = strdup("real.example");
	c.original_host = strdup("alias");
	c.user = strdup("bob");
	c.port = 2222;
	char *o = NULL;
	T_OK(kg_cli_expand(&c, "/home/me", "me", "IdentityFile", "~/k_%h_%n_%p_%r_%u_%d_%k_%j_%%", &o, &err));
	T_ASSERT(strcmp(o, "/home/me/k_real.example_alias_2222_bob_me_/home/me_alias__%") == 0);
	free(o);
	char lh[256], want[600], hex[41];
	T_OK(kg_sys_local_hostname(lh, sizeof(lh)));
	snprintf(want, sizeof(want), "%sreal.example2222bob", lh);
	sha1_hex(want, hex);
	T_OK(kg_cli_expand(&c, "/home/me", "me", "ControlPath", "/s/cm-%C", &o, &err));
	snprintf(want, sizeof(want), "/s/cm-%s", hex);
	T_ASSERT(strcmp(o, want) == 0);
	free(o);
	/* ProxyJump enters %C (OpenSSH 10) and %j. */
	c.proxy_jump = strdup("bastion");
	snprintf(want, sizeof(want), "%sreal.example2222bobbastion", lh);
	sha1_hex(want, hex);
	T_OK(kg_cli_expand(&c, NULL, "me", "ControlPath", "%C %j", &o, &err));
	snprintf(want, sizeof(want), "%s bastion", hex);
	T_ASSERT(strcmp(o, want) == 0);
	free(o);
	char uid[32];
	snprintf(uid, sizeof(uid), "u%lu", (unsigned long)getuid());
	T_OK(kg_cli_expand(&c, NULL, "me", "UserKnownHostsFile", "u%i", &o, &err));
	T_ASSERT(strcmp(o, uid) == 0);
	free(o);
	/* ${ENV}: where allowed; unset is an error naming the keyword. */
	setenv("KAGI_T_DIR", "/run/x", 1);
	unsetenv("KAGI_T_UNSET");
	T_OK(kg_cli_expand(&c, NULL, "me", "IdentityAgent", "${KAGI_T_DIR}/agent", &o, &err));
	T_ASSERT(strcmp(o, "/run/x/agent") == 0);
	free(o);
	T_ASSERT(kg_cli_expand(&c, NULL, "me", "ControlPath", "${KAGI_T_UNSET}/s", &o, &err) == KG_ERR_CONFIG);
	T_ASSERT(strcmp(err.msg, "ControlPath: env var ${KAGI_T_UNSET} has no value") == 0);
	/* Not an ENV keyword: kept as written. */
	T_OK(kg_cli_expand(&c, NULL, "me", "RemoteCommand", "echo ${X}", &o, &err));
	T_ASSERT(strcmp(o, "echo ${X}") == 0);
	free(o);
	/* Tokens a keyword does not take are errors. */
	T_ASSERT(kg_cli_expand(&c, NULL, "me", "ControlPath", "/s/%x", &o, &err) == KG_ERR_CONFIG);
	T_ASSERT(strstr(err.msg, "ControlPath: unknown key %x") == err.msg);
	T_ASSERT(kg_cli_expand(&c, NULL, "me", "ProxyCommand", "nc %h %d", &o, &err) == KG_ERR_CONFIG);
	T_ASSERT(kg_cli_expand(&c, NULL, "me", "Hostname", "%h.x %p", &o, &err) == KG_ERR_CONFIG);
	T_OK(kg_cli_expand(&c, NULL, "me", "LocalCommand", "t=%T", &o, &err));
	T_ASSERT(strcmp(o, "t=NONE") == 0);
	free(o);
	kg_client_config_free(&c);
}

static void test_match_criteria(void)
{
	char marker[] = "/tmp/kagi-match-XXXXXX";
	int fd = mkstemp(marker);
	T_ASSERT(fd >= 0);
	close(fd);
	unlink(marker);
	char text[2048];
	snprintf(text, sizeof(text),
		 "Match originalhost nomatch exec \"touch %s\"\n"  /* not reached: nothing runs */
		 "  Port 1\n"
		 "Match exec \"test %%h = web && test %%n = web && test %%r = me\"\n"
		 "  User fromexec\n"
		 "Match exec false\n"
		 "  Port 2\n"
		 "Match localnetwork 127.0.0.0/8\n"
		 "  Compression yes\n"
		 "Match localnetwork 198.51.100.0/24\n"
		 "  BatchMode yes\n"
		 "Match sessiontype exec command \"uname *\"\n"
		 "  ConnectTimeout 9\n"
		 "Match tagged \"\"\n"
		 "  Tag t1\n"
		 "Match tagged t1\n"
		 "  LogLevel ERROR\n"
		 "Match !final\n"
		 "  NumberOfPasswordPrompts 1\n"
		 "Match canonical\n"
		 "  ServerAliveInterval 5\n",
		 marker);
	kg_client_config c;
	kg_cfg_err err = { "" };
	kg_client_config_init(&c);
	c.local_user = "me";
	c.command_line = "uname -a";
	T_OK(capply(&c, text, "web", &err));
	T_ASSERT(access(marker, F_OK) != 0);
	T_ASSERT(c.port == KG_CFG_UNSET && c.user && strcmp(c.user, "fromexec") == 0);
	T_ASSERT(c.compression == 1 && c.batch_mode == KG_CFG_UNSET);
	T_ASSERT(c.connect_timeout == 9 && c.tag && strcmp(c.tag, "t1") == 0 && c.log_level == KG_LOG_ERROR);
	T_ASSERT(c.number_of_password_prompts == 1 && c.server_alive_interval == KG_CFG_UNSET);
	T_ASSERT(c.want_final_pass == 0);
	T_ASSERT(strcmp(kg_cli_session_type_name(&c), "exec") == 0);
	c.command_line = NULL;
	T_ASSERT(strcmp(kg_cli_session_type_name(&c), "shell") == 0);
	kg_client_config_free(&c);
	/* Errors name file and line. */
	kg_client_config_init(&c);
	T_ASSERT(capply(&c, "\nMatch localnetwork 198.51.100.0/99\n", "h", &err) == KG_ERR_CONFIG);
	T_ASSERT(strcmp(err.msg, "cfg line 2: Invalid Match localnetwork list '198.51.100.0/99'") == 0);
	T_ASSERT(capply(&c, "Match exec \"echo %x\"\n", "h", &err) == KG_ERR_CONFIG);
	T_ASSERT(strstr(err.msg, "cfg line 1: Match exec: unknown key %x") == err.msg);
	T_ASSERT(capply(&c, "Match sessiontype\n", "h", &err) == KG_ERR_CONFIG);
	T_ASSERT(strcmp(err.msg, "cfg line 1: Missing Match criteria for sessiontype") == 0);
	T_OK(capply(&c, "Match final all\n  Port 3\n", "h", &err));
	T_ASSERT(c.want_final_pass == 1 && c.port == KG_CFG_UNSET);
	kg_client_config_free(&c);
}

/* A resolver that knows a few names (no lookups leave the process). */
static int fake_resolve(void *arg, const char *name, int family, char **canon)
{
	(void)arg;
	(void)family;
	static const char *const known[][2] = {
		{ "web.b.example.", "web.b.example" }, { "db.a.example.", "db.a.example" },
		{ "cn.a.example.", "real.c.example." }, { "localhost", "localhost" },
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(known); i++)
		if (strcmp(name, known[i][0]) == 0) {
			*canon = strdup(known[i][1]);
			return 1;
		}
	return 0;
}

static int canon_of(const char *settings, const char *host, char **out, kg_cfg_err *err)
{
	kg_client_config c;
	kg_client_config_init(&c);
	int r = capply(&c, settings, host, err);
	if (r == KG_OK) {
		c.hostname = strdup(host);
		r = kg_client_canonicalize(&c, fake_resolve, NULL, err);
		*out = r >= 0 ? strdup(c.hostname) : NULL;
	}
	kg_client_config_free(&c);
	return r;
}

static void test_canonicalize(void)
{
	kg_cfg_err err = { "" };
	char *h = NULL;
	const char *base = "CanonicalizeHostname yes\nCanonicalDomains a.example b.example\n";
	T_ASSERT(canon_of(base, "WEB", &h, &err) == 1 && strcmp(h, "web.b.example") == 0);
	free(h);
	T_ASSERT(canon_of(base, "db", &h, &err) == 1 && strcmp(h, "db.a.example") == 0);
	free(h);
	/* Too many dots, an address, a proxied connection: left alone. */
	T_ASSERT(canon_of(base, "x.y.z", &h, &err) == 0 && strcmp(h, "x.y.z") == 0);
	free(h);
	T_ASSERT(canon_of(base, "127.0.0.1", &h, &err) == 0);
	free(h);
	char proxied[256];
	snprintf(proxied, sizeof(proxied), "%sProxyJump j\n", base);
	T_ASSERT(canon_of(proxied, "db", &h, &err) == 0 && strcmp(h, "db") == 0);
	free(h);
	snprintf(proxied, sizeof(proxied), "ProxyJump j\nCanonicalizeHostname always\nCanonicalDomains a.example\n");
	T_ASSERT(canon_of(proxied, "db", &h, &err) == 1 && strcmp(h, "db.a.example") == 0);
	free(h);
	/* A trailing dot: fully qualified. */
	T_ASSERT(canon_of(base, "localhost.", &h, &err) == 1 && strcmp(h, "localhost") == 0);
	free(h);
	/* No domain resolves: fallback keeps the name, or it is an error. */
	T_ASSERT(canon_of(base, "nowhere", &h, &err) == 0 && strcmp(h, "nowhere") == 0);
	free(h);
	char strict[256];
	snprintf(strict, sizeof(strict), "%sCanonicalizeFallbackLocal no\n", base);
	T_ASSERT(canon_of(strict, "nowhere", &h, &err) == KG_ERR_CONFIG);
	T_ASSERT(strcmp(err.msg, "Could not resolve host \"nowhere\"") == 0);
	/* CNAMEs are followed only where permitted. */
	T_ASSERT(canon_of(base, "cn", &h, &err) == 1 && strcmp(h, "cn.a.example") == 0);
	free(h);
	char cn[256];
	snprintf(cn, sizeof(cn), "%sCanonicalizePermittedCNAMEs *.a.example:*.c.example\n", base);
	T_ASSERT(canon_of(cn, "cn", &h, &err) == 1 && strcmp(h, "real.c.example") == 0);
	free(h);
	T_ASSERT(canon_of("CanonicalDomains a.example\n", "db", &h, &err) == 0);
	free(h);
}

static void test_read_final_pass(void)
{
	char path[] = "/tmp/kagi-cfg-XXXXXX";
	int fd = mkstemp(path);
	T_ASSERT(fd >= 0);
	const char *text =
		"Host web\n"
		"  Hostname %h.b.example\n"
		"Host web.b.example\n"
		"  Port 2200\n"
		"Match canonical host web.b.example\n"
		"  User canon\n"
		"Match final originalhost web\n"
		"  Compression yes\n"
		"Host *\n"
		"  IdentityFile ~/.ssh/one\n"
		"  CanonicalizeHostname yes\n"
		"  CanonicalDomains b.example\n";
	T_ASSERT(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	kg_client_config c;
	kg_cfg_err err = { "" };
	kg_client_config_init(&c);
	kg_cli_read rd = { .host = "web", .config_file = path, .home = "/home/me", .local_user = "me",
			   .resolve = fake_resolve };
	T_OK(kg_client_config_read(&c, &rd, &err));
	/* Hostname given: canonicalisation of web.b.example (1 dot) resolves it;
	 * the second pass matches Host web.b.example and Match canonical/final. */
	T_ASSERT(strcmp(c.hostname, "web.b.example") == 0 && c.port == 2200 && strcmp(c.user, "canon") == 0);
	T_ASSERT(c.compression == 1 && c.identity_files.n == 1 && strcmp(c.original_host, "web") == 0);
	kg_client_config_free(&c);
	/* Nothing resolves: the name stays; "Match final" still asks for the
	 * final pass (as ssh, whatever the rest of its line). */
	kg_client_config_init(&c);
	rd.host = "other";
	T_OK(kg_client_config_read(&c, &rd, &err));
	T_ASSERT(c.final_pass == 1 && !c.canonicalized && strcmp(c.hostname, "other") == 0 && c.port == 22 &&
		 strcmp(c.user, "me") == 0 && c.compression == 0);
	kg_client_config_free(&c);
	unlink(path);
}

static void test_include_env(void)
{
	char dir[] = "/tmp/kagi-inc-XXXXXX";
	T_ASSERT(mkdtemp(dir) != NULL);
	char p1[128], p2[128];
	snprintf(p1, sizeof(p1), "%s/a.conf", dir);
	snprintf(p2, sizeof(p2), "%s/main", dir);
	FILE *f = fopen(p1, "w");
	T_ASSERT(f != NULL);
	fputs("Port 2345\n", f);
	fclose(f);
	f = fopen(p2, "w");
	T_ASSERT(f != NULL);
	fputs("Include ${KAGI_T_INCDIR}/*.conf\nHost bad\nInclude ${KAGI_T_NOPE}/x\n", f);
	fclose(f);
	setenv("KAGI_T_INCDIR", dir, 1);
	unsetenv("KAGI_T_NOPE");
	kg_client_config c;
	kg_cfg_err err = { "" };
	kg_client_config_init(&c);
	T_OK(kg_client_config_load_file(&c, p2, "h", dir, "/home/me", 1, &err));
	T_ASSERT(c.port == 2345);
	kg_client_config_free(&c);
	kg_client_config_init(&c);
	T_ASSERT(kg_client_config_load_file(&c, p2, "bad", dir, "/home/me", 1, &err) == KG_ERR_CONFIG);
	T_ASSERT(strstr(err.msg, "main line 3: Include: env var ${KAGI_T_NOPE} has no value") != NULL);
	kg_client_config_free(&c);
	unlink(p1);
	unlink(p2);
	rmdir(dir);
}

int main(void)
{
	T_RUN(test_sys_facts);
	T_RUN(test_tokens);
	T_RUN(test_match_criteria);
	T_RUN(test_canonicalize);
	T_RUN(test_read_final_pass);
	T_RUN(test_include_env);
	return T_DONE();
}
