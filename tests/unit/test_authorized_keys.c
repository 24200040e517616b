/* Exercises src/config/authorized-keys.c: the options field, from= and
 * address lists, permitopen, expiry times, finding a key and StrictModes. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "t.h"
#include "core/key.h"
#include "config/authorized-keys.h"

/* Public keys made with ssh-keygen (also in tests/data/sysfiles/). */
#define ED_A "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICJHrRC1yas3uGJsgVk49eOSQBdpkR7Us9Yr2YYTnr7+"
#define ED_B "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINx5q5SrG4wicPy7e/MPbxNjrBmyU32wsS+jgXWz+iVj"
#define EC_1 "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBHJlfVoyU7gZ" \
	"mMX7jr1dqbR+Wyranie3m1fvm3eonapnybvo+Zi7BrJ42EnPZ7KxEX7L7jyDEgFcZSjxuGBm0dk="

static kg_key *key(const char *line)
{
	kg_key *k = NULL;
	if (kg_key_from_line(line, &k) != KG_OK)
		return NULL;
	return k;
}

/* Looks up key line kl in text for a client at addr/host. */
static int find(const char *text, const char *kl, const char *addr, const char *host, kg_ak_result *res)
{
	kg_key *k = key(kl);
	if (!k)
		return KG_ERR_FORMAT;
	int r = kg_authorized_keys_find(text, strlen(text), "ak", k, addr, host, 1700000000, res);
	kg_key_free(k);
	return r;
}

static int opts(const char *s, kg_ak_opts *o, const char **why)
{
	memset(o, 0, sizeof(*o));
	return kg_ak_parse_options(s, strlen(s), o, why);
}

static void test_plain_lines(void)
{
	const char *text =
		"# my keys\n"
		"\n"
		ED_B " b@host\n"
		"   " ED_A " a@host\n"
		EC_1 "\n";
	kg_ak_result res;
	T_OK(find(text, ED_A, "203.0.0.1", NULL, &res));
	T_ASSERT(res.line == 4 && res.opts.command == NULL && !res.opts.no_pty);
	kg_ak_opts_free(&res.opts);
	T_OK(find(text, EC_1, "203.0.0.1", NULL, &res));
	T_ASSERT(res.line == 5);
	kg_ak_opts_free(&res.opts);
	T_ASSERT(find("# nothing\n" ED_B "\n", ED_A, "203.0.0.1", NULL, &res) == KG_ERR_NOT_FOUND);
	T_ASSERT(res.note.msg[0] == '\0');
}

static void test_forced_command_with_escapes(void)
{
	const char *text =
		"command=\"echo \\\"hi, there\\\" a\\\\b\",no-pty " ED_A " c\n";
	kg_ak_result res;
	T_OK(find(text, ED_A, "192.0.2.1", NULL, &res));
	T_ASSERT(res.opts.command && strcmp(res.opts.command, "echo \"hi, there\" a\\\\b") == 0);
	T_ASSERT(res.opts.no_pty && !res.opts.no_port_forwarding);
	kg_ak_opts_free(&res.opts);
}

static void test_restrict_and_reenable(void)
{
	kg_ak_opts o;
	const char *why;
	T_OK(opts("restrict,pty", &o, &why));
	T_ASSERT(o.restricted && !o.no_pty && o.no_port_forwarding && o.no_agent_forwarding &&
		 o.no_x11_forwarding && o.no_user_rc);
	kg_ak_opts_free(&o);
	T_OK(opts("RESTRICT,Port-Forwarding,X11-forwarding", &o, &why));
	T_ASSERT(o.no_pty && !o.no_port_forwarding && !o.no_x11_forwarding);
	kg_ak_opts_free(&o);
	T_OK(opts("no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc", &o, &why));
	T_ASSERT(!o.no_pty && o.no_port_forwarding && o.no_agent_forwarding && o.no_x11_forwarding &&
		 o.no_user_rc);
	kg_ak_opts_free(&o);
}

static void test_valued_options(void)
{
	kg_ak_opts o;
	const char *why;
	T_OK(opts("environment=\"A=1\",environment=\"PATH=/x,y\",permitopen=\"localhost:80\","
		  "permitopen=\"[::1]:*\",permitlisten=\"8080\",principals=\"a,b\",tunnel=\"3\"", &o, &why));
	T_ASSERT(o.environment.n == 2 && strcmp(o.environment.v[1], "PATH=/x,y") == 0);
	T_ASSERT(o.permitopen.n == 2 && strcmp(o.permitopen.v[1], "[::1]:*") == 0);
	T_ASSERT(o.permitlisten.n == 1 && strcmp(o.principals, "a,b") == 0 && strcmp(o.tunnel, "3") == 0);
	kg_ak_opts_free(&o);
	T_OK(opts("expiry-time=\"20300101Z\",expiry-time=\"20291231235959Z\"", &o, &why));
	T_ASSERT(o.expiry_time == 1893455999);
	kg_ak_opts_free(&o);
}

static void test_bad_options(void)
{
	const char *bad[] = {
		"no-such-option", "command=unquoted", "command=\"unterminated", "no-pty,",
		"no-pty;no-x11-forwarding", "command=\"a\",command=\"b\"", "environment=\"=x\"",
		"environment=\"NOEQUALS\"", "permitopen=\"nohostport\"", "permitopen=\"h:70000\"",
		"expiry-time=\"2020\"", "expiry-time=\"2020010a\"", "tunnel=\"x\"", "pty2", "restrictive",
		"from=\"a\"x",
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(bad); i++) {
		kg_ak_opts o;
		const char *why = NULL;
		int r = opts(bad[i], &o, &why);
		kg_ak_opts_free(&o);
		if (r != KG_ERR_FORMAT || why == NULL)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		T_ASSERT(r == KG_ERR_FORMAT && why != NULL);
	}
}

static void test_unknown_option_rejects_entry(void)
{
	const char *text =
		"frobnicate " ED_A "\n"
		"no-pty " ED_A "\n";
	kg_ak_result res;
	T_OK(find(text, ED_A, "203.0.0.1", NULL, &res));
	T_ASSERT(res.line == 2 && res.opts.no_pty);
	kg_ak_opts_free(&res.opts);
	T_ASSERT(find("frobnicate " ED_A "\n", ED_A, "203.0.0.1", NULL, &res) == KG_ERR_NOT_FOUND);
	T_ASSERT(strstr(res.note.msg, "ak line 1: bad options") == res.note.msg);
}

static void test_from_cidr(void)
{
	const char *text =
		"from=\"203.0.0.0/8,!203.9.0.0/16\" " ED_A "\n"
		"from=\"::1/128,2001:db8::/32\",no-pty " ED_B "\n"
		"from=\"*.trusted.org,198.51.100.?\" " EC_1 "\n";
	kg_ak_result res;
	T_OK(find(text, ED_A, "203.1.2.3", NULL, &res));
	T_ASSERT(res.line == 1 && strcmp(res.opts.from, "203.0.0.0/8,!203.9.0.0/16") == 0);
	kg_ak_opts_free(&res.opts);
	T_ASSERT(find(text, ED_A, "203.9.1.1", NULL, &res) == KG_ERR_NOT_FOUND);
	T_ASSERT(strstr(res.note.msg, "ak line 1: client address not permitted") == res.note.msg);
	T_ASSERT(find(text, ED_A, "11.0.0.1", NULL, &res) == KG_ERR_NOT_FOUND);
	/* An IPv4 client seen through an IPv6 socket. */
	T_OK(find(text, ED_A, "::ffff:203.2.3.4", NULL, &res));
	kg_ak_opts_free(&res.opts);
	T_OK(find(text, ED_B, "::1", NULL, &res));
	T_ASSERT(res.line == 2 && res.opts.no_pty);
	kg_ak_opts_free(&res.opts);
	T_OK(find(text, ED_B, "2001:db8:1::5", NULL, &res));
	kg_ak_opts_free(&res.opts);
	T_ASSERT(find(text, ED_B, "2001:db9::5", NULL, &res) == KG_ERR_NOT_FOUND);
	T_ASSERT(find(text, ED_B, "127.0.0.1", NULL, &res) == KG_ERR_NOT_FOUND);
	/* Host name patterns and address wildcards. */
	T_OK(find(text, EC_1, "203.0.113.9", "gw.trusted.org", &res));
	kg_ak_opts_free(&res.opts);
	T_OK(find(text, EC_1, "198.51.100.7", NULL, &res));
	kg_ak_opts_free(&res.opts);
	T_ASSERT(find(text, EC_1, "203.0.113.9", "gw.untrusted.com", &res) == KG_ERR_NOT_FOUND);
}

static void test_addr_match_list(void)
{
	T_ASSERT(kg_addr_match_list("127.0.0.1", "127.0.0.0/8") == 1);
	T_ASSERT(kg_addr_match_list("127.0.0.1", "127.0.0.1") == 1);
	T_ASSERT(kg_addr_match_list("127.0.0.1", "127.0.0.2/32") == 0);
	T_ASSERT(kg_addr_match_list("127.0.0.1", "0.0.0.0/0") == 1);
	T_ASSERT(kg_addr_match_list("127.0.0.1", "!127.0.0.0/8,0.0.0.0/0") == -1);
	T_ASSERT(kg_addr_match_list("::1", "::1/128") == 1);
	T_ASSERT(kg_addr_match_list("::2", "::1/128") == 0);
	T_ASSERT(kg_addr_match_list("fe80::1", "fe80::/10") == 1);
	T_ASSERT(kg_addr_match_list("203.0.0.1", "::/0") == 0);
	/* Invalid blocks poison the whole list, as in OpenSSH. */
	T_ASSERT(kg_addr_match_list("127.0.0.1", "127.0.0.1/8") == -2);
	T_ASSERT(kg_addr_match_list("127.0.0.1", "203.0.0.0/33") == -2);
	T_ASSERT(kg_addr_match_list("127.0.0.1", "203.0.0.0/") == -2);
	T_ASSERT(kg_addr_match_list("127.0.0.1", "junk/8") == -2);
	T_ASSERT(kg_from_match(NULL, "127.0.0.1", "203.0.0.0/33,127.0.0.1") == 0);
	/* Negated host name wins over a matching address. */
	T_ASSERT(kg_from_match("evil.org", "203.0.0.1", "203.0.0.0/8,!evil.org") == 0);
	T_ASSERT(kg_from_match("good.org", "203.0.0.1", "203.0.0.0/8,!evil.org") == 1);
}

static void test_expiry_and_ca(void)
{
	const char *text =
		"expiry-time=\"20200101Z\" " ED_A "\n"
		"cert-authority " ED_B "\n"
		"expiry-time=\"20991231Z\" " ED_A "\n";
	kg_ak_result res;
	T_OK(find(text, ED_A, "203.0.0.1", NULL, &res));
	T_ASSERT(res.line == 3 && res.opts.expiry_time == 4102358400);
	kg_ak_opts_free(&res.opts);
	T_ASSERT(find(text, ED_B, "203.0.0.1", NULL, &res) == KG_ERR_NOT_FOUND);
	T_ASSERT(strstr(res.note.msg, "certificate authority") != NULL);
	int64_t t;
	T_OK(kg_ak_parse_time("19700101000001Z", &t));
	T_ASSERT(t == 1);
	T_OK(kg_ak_parse_time("202402291230Z", &t));
	T_ASSERT(t == 1709209800);
	T_ASSERT(kg_ak_parse_time("20241301Z", &t) == KG_ERR_FORMAT);
	T_ASSERT(kg_ak_parse_time("2024010112", &t) == KG_ERR_FORMAT);
}

static void test_garbage_lines_and_prefixes(void)
{
	const char *text =
		"ssh-ed25519\n"
		"ssh-ed25519 !!!!\n"
		"command=\"x\"\n"
		"command=\"x " ED_A "\n"
		"ssh-dss AAAAB3NzaC1kc3MAAACBAP\n"
		"no-pty " ED_A "\n";
	kg_ak_result res;
	T_OK(find(text, ED_A, "203.0.0.1", NULL, &res));
	T_ASSERT(res.line == 6);
	kg_ak_opts_free(&res.opts);
	kg_key *k = key(ED_A);
	T_ASSERT(k != NULL);
	int bad = 0;
	for (size_t n = 0; n <= strlen(text); n++) {
		int r = kg_authorized_keys_find(text, n, "ak", k, "203.0.0.1", NULL, 0, &res);
		if (r == KG_OK)
			kg_ak_opts_free(&res.opts);
		else if (r != KG_ERR_NOT_FOUND)
			bad = 1;
	}
	kg_key_free(k);
	T_ASSERT(!bad);
}

static void test_strict_modes(void)
{
	char home[] = "/tmp/kagi-ak-XXXXXX";
	T_ASSERT(mkdtemp(home) != NULL);
	char dir[64], path[96];
	snprintf(dir, sizeof(dir), "%s/.ssh", home);
	snprintf(path, sizeof(path), "%s/authorized_keys", dir);
	int ok = mkdir(dir, 0700) == 0;
	FILE *f = fopen(path, "w");
	ok = ok && f != NULL;
	if (f) {
		fputs(ED_A "\n", f);
		fclose(f);
	}
	chmod(path, 0600);
	char *text = NULL;
	size_t len = 0;
	kg_cfg_err err = { "" };
	ok = ok && kg_authorized_keys_read(path, 1, getuid(), home, &text, &len, &err) == KG_OK;
	ok = ok && text && len == strlen(ED_A) + 1;
	free(text);
	text = NULL;
	/* Group-writable file, then group-writable directory. */
	chmod(path, 0620);
	ok = ok && kg_authorized_keys_read(path, 1, getuid(), home, &text, &len, &err) == KG_ERR_KEY_PERMS;
	ok = ok && strstr(err.msg, "bad ownership or modes for file") != NULL;
	ok = ok && kg_authorized_keys_read(path, 0, getuid(), home, &text, &len, &err) == KG_OK;
	free(text);
	text = NULL;
	chmod(path, 0600);
	chmod(dir, 0770);
	ok = ok && kg_authorized_keys_read(path, 1, getuid(), home, &text, &len, &err) == KG_ERR_KEY_PERMS;
	ok = ok && strstr(err.msg, "bad ownership or modes for directory") != NULL;
	chmod(dir, 0700);
	chmod(home, 0777);
	ok = ok && kg_authorized_keys_read(path, 1, getuid(), home, &text, &len, &err) == KG_ERR_KEY_PERMS;
	chmod(home, 0700);
	/* Owned by someone else (not root): refused. */
	if (getuid() != 12345)
		ok = ok && kg_authorized_keys_read(path, 1, 12345, home, &text, &len, &err) ==
			(getuid() == 0 ? KG_OK : KG_ERR_KEY_PERMS);
	free(text);
	text = NULL;
	ok = ok && kg_authorized_keys_read("/nonexistent/ak", 1, getuid(), home, &text, &len, &err) ==
		KG_ERR_NOT_FOUND;
	unlink(path);
	rmdir(dir);
	rmdir(home);
	T_ASSERT(ok);
}

static void test_permitopen_allows(void)
{
	kg_ak_opts o;
	memset(&o, 0, sizeof(o));
	T_ASSERT(kg_ak_permitopen_allows(&o, "anything", 1) == 1);  /* no entries: no limit */
	const char *why = NULL;
	T_OK(opts("permitopen=\"db.example.com:5432\",permitopen=\"[2001:db8::1]:*\",permitopen=\"*:443\"", &o, &why));
	T_ASSERT(kg_ak_permitopen_allows(&o, "db.example.com", 5432) == 1);
	T_ASSERT(kg_ak_permitopen_allows(&o, "db.example.com", 5433) == 0);
	T_ASSERT(kg_ak_permitopen_allows(&o, "db.example.co", 5432) == 0);
	T_ASSERT(kg_ak_permitopen_allows(&o, "db.example.com.", 5432) == 0);
	T_ASSERT(kg_ak_permitopen_allows(&o, "2001:db8::1", 22) == 1);
	T_ASSERT(kg_ak_permitopen_allows(&o, "[2001:db8::1]", 22) == 0);
	T_ASSERT(kg_ak_permitopen_allows(&o, "192.0.2.7", 443) == 1);
	T_ASSERT(kg_ak_permitopen_allows(&o, "192.0.2.7", 80) == 0);
	kg_ak_opts_free(&o);
}

int main(void)
{
	T_RUN(test_plain_lines);
	T_RUN(test_forced_command_with_escapes);
	T_RUN(test_restrict_and_reenable);
	T_RUN(test_valued_options);
	T_RUN(test_bad_options);
	T_RUN(test_unknown_option_rejects_entry);
	T_RUN(test_from_cidr);
	T_RUN(test_addr_match_list);
	T_RUN(test_expiry_and_ca);
	T_RUN(test_garbage_lines_and_prefixes);
	T_RUN(test_strict_modes);
	T_RUN(test_permitopen_allows);
	return T_DONE();
}
