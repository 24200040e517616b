/* Exercises src/config/config-common.c, src/config/client-config.c and
 * src/config/server-config.c: the line reader, value parsers, patterns and
 * token expansion; ssh_config and sshd_config keywords, Host blocks,
 * Include, precedence and defaults. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include "t.h"
#include "config/client-config.h"
#include "config/config-common.h"
#include "config/server-config.h"

#define D "tests/data/sysfiles"

/* ---------- common ---------- */

static void test_tokenizer(void)
{
	const char *text =
		"# comment\n"
		"\n"
		"  Port=22\n"
		"Ciphers = aes128-ctr,aes256-ctr   # trailing comment\n"
		"SetEnv A=\"x y\" 'B=q\\'r' C=a\\ b\r\n"
		"Empty\n"
		"Subsystem sftp \"/usr/lib/sftp server\" -l INFO";
	kg_cfg_reader r;
	kg_cfg_err err = { "" };
	kg_cfg_reader_init(&r, text, strlen(text), "f");
	int ok = kg_cfg_next(&r, &err) == 1 && strcmp(r.keyword, "Port") == 0 && r.nargs == 1 &&
		 strcmp(r.args[0], "22") == 0 && r.lineno == 3;
	ok = ok && kg_cfg_next(&r, &err) == 1 && strcmp(r.keyword, "Ciphers") == 0 && r.nargs == 1 &&
	     strcmp(r.args[0], "aes128-ctr,aes256-ctr") == 0;
	ok = ok && kg_cfg_next(&r, &err) == 1 && r.nargs == 3 && strcmp(r.args[0], "A=x y") == 0 &&
	     strcmp(r.args[1], "B=q'r") == 0 && strcmp(r.args[2], "C=a b") == 0 && r.lineno == 5;
	ok = ok && kg_cfg_next(&r, &err) == 1 && strcmp(r.keyword, "Empty") == 0 && r.nargs == 0;
	ok = ok && kg_cfg_next(&r, &err) == 1 && r.nargs == 4 &&
	     strcmp(r.args[1], "/usr/lib/sftp server") == 0 &&
	     strcmp(r.rest, "sftp \"/usr/lib/sftp server\" -l INFO") == 0 && r.lineno == 7;
	ok = ok && kg_cfg_next(&r, &err) == 0;
	kg_cfg_reader_free(&r);
	T_ASSERT(ok);
}

static void test_tokenizer_errors(void)
{
	kg_cfg_reader r;
	kg_cfg_err err = { "" };
	const char *t1 = "A b\nB \"unterminated\n";
	kg_cfg_reader_init(&r, t1, strlen(t1), "cfg");
	int ok = kg_cfg_next(&r, &err) == 1 && kg_cfg_next(&r, &err) == KG_ERR_CONFIG;
	kg_cfg_reader_free(&r);
	T_ASSERT(ok && strcmp(err.msg, "cfg line 2: unterminated quoted argument") == 0);
	const char t2[] = "A b\n\nC \0 d\n";
	kg_cfg_reader_init(&r, t2, sizeof(t2) - 1, "cfg");
	ok = kg_cfg_next(&r, &err) == 1 && kg_cfg_next(&r, &err) == KG_ERR_CONFIG;
	kg_cfg_reader_free(&r);
	T_ASSERT(ok && strstr(err.msg, "cfg line 3:") == err.msg);
	const char *t3 = "=value\n";
	kg_cfg_reader_init(&r, t3, strlen(t3), "cfg");
	ok = kg_cfg_next(&r, &err) == KG_ERR_CONFIG;
	kg_cfg_reader_free(&r);
	T_ASSERT(ok);
}

static void test_time(void)
{
	long s;
	T_OK(kg_cfg_parse_time("120", &s));
	T_ASSERT(s == 120);
	T_OK(kg_cfg_parse_time("2m", &s));
	T_ASSERT(s == 120);
	T_OK(kg_cfg_parse_time("1h30m", &s));
	T_ASSERT(s == 5400);
	T_OK(kg_cfg_parse_time("1w2d3H4M5s", &s));
	T_ASSERT(s == 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
	T_OK(kg_cfg_parse_time("0", &s));
	T_ASSERT(s == 0);
	T_OK(kg_cfg_parse_time("2147483647", &s));
	T_ASSERT(s == INT32_MAX);
	const char *bad[] = { "", "m", "1x", "-1", "1.5h", "2147483648", "99999999999999999999",
			      "3551w", "2147483647s1s", " 1", "1 " };
	for (size_t i = 0; i < KG_ARRAY_LEN(bad); i++)
		T_ASSERT(kg_cfg_parse_time(bad[i], &s) == KG_ERR_CONFIG);
}

static void test_size(void)
{
	uint64_t b;
	T_OK(kg_cfg_parse_size("1G", &b));
	T_ASSERT(b == 1073741824ull);
	T_OK(kg_cfg_parse_size("500M", &b));
	T_ASSERT(b == 500ull << 20);
	T_OK(kg_cfg_parse_size("4k", &b));
	T_ASSERT(b == 4096);
	T_OK(kg_cfg_parse_size("123", &b));
	T_ASSERT(b == 123);
	T_OK(kg_cfg_parse_size("18446744073709551615", &b));
	T_ASSERT(b == UINT64_MAX);
	T_OK(kg_cfg_parse_size("16777215T", &b));
	T_ASSERT(b == 16777215ull << 40);
	const char *bad[] = { "", "G", "1GB", "-1", "18446744073709551616", "16777216T", "1.5G", "1 G" };
	for (size_t i = 0; i < KG_ARRAY_LEN(bad); i++)
		T_ASSERT(kg_cfg_parse_size(bad[i], &b) == KG_ERR_CONFIG);
}

static void test_int_yesno(void)
{
	long v;
	int y;
	T_OK(kg_cfg_parse_int("65535", 1, 65535, &v));
	T_ASSERT(v == 65535);
	T_ASSERT(kg_cfg_parse_int("65536", 1, 65535, &v) == KG_ERR_CONFIG);
	T_ASSERT(kg_cfg_parse_int("0x10", 0, 100, &v) == KG_ERR_CONFIG);
	T_ASSERT(kg_cfg_parse_int("", 0, 100, &v) == KG_ERR_CONFIG);
	T_ASSERT(kg_cfg_parse_int("99999999999999999999999", 0, LONG_MAX, &v) == KG_ERR_CONFIG);
	T_OK(kg_cfg_parse_yesno("YES", &y));
	T_ASSERT(y == 1);
	T_OK(kg_cfg_parse_yesno("no", &y));
	T_ASSERT(y == 0);
	T_ASSERT(kg_cfg_parse_yesno("true", &y) == KG_ERR_CONFIG);
}

static void test_patterns(void)
{
	T_ASSERT(kg_pattern_match("host.example.com", "*.example.com", 0));
	T_ASSERT(!kg_pattern_match("example.com", "*.example.com", 0));
	T_ASSERT(kg_pattern_match("a", "?", 0) && !kg_pattern_match("ab", "?", 0));
	T_ASSERT(kg_pattern_match("", "*", 0) && !kg_pattern_match("", "?", 0));
	T_ASSERT(kg_pattern_match("HOST", "host", 1) && !kg_pattern_match("HOST", "host", 0));
	T_ASSERT(kg_pattern_match("abcabcabd", "*abc*abd", 0));
	T_ASSERT(!kg_pattern_match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
				   "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c", 0));
	T_ASSERT(kg_pattern_list_match("a.lan", "*.lan,!b.lan", 1) == 1);
	T_ASSERT(kg_pattern_list_match("b.lan", "*.lan,!b.lan", 1) == -1);
	T_ASSERT(kg_pattern_list_match("c.org", "*.lan,!b.lan", 1) == 0);
	T_ASSERT(kg_pattern_list_match("x", "", 1) == 0);
	T_ASSERT(kg_pattern_list_match("x", "a,,x", 1) == 1);
}

static void test_token_expansion(void)
{
	const kg_token tok[] = { { 'h', "/home/u" }, { 'u', "u" } };
	char *s = NULL;
	T_OK(kg_expand_tokens("%h/.ssh/keys_%u", tok, 2, &s));
	T_ASSERT(strcmp(s, "/home/u/.ssh/keys_u") == 0);
	free(s);
	T_OK(kg_expand_tokens("100%% %u", tok, 2, &s));
	T_ASSERT(strcmp(s, "100% u") == 0);
	free(s);
	s = NULL;
	T_ASSERT(kg_expand_tokens("%x", tok, 2, &s) == KG_ERR_CONFIG && s == NULL);
	T_ASSERT(kg_expand_tokens("abc%", tok, 2, &s) == KG_ERR_CONFIG && s == NULL);
	T_OK(kg_expand_tilde("~/.ssh/id", "/home/u", &s));
	T_ASSERT(strcmp(s, "/home/u/.ssh/id") == 0);
	free(s);
	T_OK(kg_expand_tilde("~other/x", "/home/u", &s));
	T_ASSERT(strcmp(s, "~other/x") == 0);
	free(s);
	T_OK(kg_server_expand_authorized_keys(".ssh/authorized_keys", "/home/u", "u", &s));
	T_ASSERT(strcmp(s, "/home/u/.ssh/authorized_keys") == 0);
	free(s);
	T_OK(kg_server_expand_authorized_keys("/etc/keys/%u", "/home/u", "u", &s));
	T_ASSERT(strcmp(s, "/etc/keys/u") == 0);
	free(s);
	T_OK(kg_server_expand_authorized_keys("%h/k", "/home/u", "u", &s));
	T_ASSERT(strcmp(s, "/home/u/k") == 0);
	free(s);
}

/* ---------- client ---------- */

static int capply(kg_client_config *c, const char *text, const char *host, kg_cfg_err *err)
{
	return kg_client_config_apply_file(c, text, strlen(text), "cfg", host, err);
}

static void test_client_host_blocks(void)
{
	const char *text =
		"Compression yes\n"
		"Host *.lan !secret.lan\n"
		"  User lanuser\n"
		"  Port 2200\n"
		"Host secret.lan\n"
		"  User secretuser\n"
		"Host *\n"
		"  User fallback\n"
		"  Port 22\n"
		"  IdentityFile ~/.ssh/id_all\n";
	kg_client_config c;
	kg_cfg_err err = { "" };
	kg_client_config_init(&c);
	T_OK(capply(&c, text, "box.lan", &err));
	int ok = strcmp(c.user, "lanuser") == 0 && c.port == 2200 && c.compression == 1 &&
		 c.identity_files.n == 1;
	kg_client_config_free(&c);
	T_ASSERT(ok);
	/* Host patterns are compared case-sensitively, as ssh does. */
	kg_client_config_init(&c);
	T_OK(capply(&c, text, "box.LAN", &err));
	ok = strcmp(c.user, "fallback") == 0;
	kg_client_config_free(&c);
	T_ASSERT(ok);
	kg_client_config_init(&c);
	T_OK(capply(&c, text, "secret.lan", &err));
	ok = strcmp(c.user, "secretuser") == 0 && c.port == 22;
	kg_client_config_free(&c);
	T_ASSERT(ok);
	kg_client_config_init(&c);
	T_OK(capply(&c, text, "elsewhere.org", &err));
	ok = strcmp(c.user, "fallback") == 0 && c.port == 22;
	kg_client_config_free(&c);
	T_ASSERT(ok);
}

static void test_client_first_value_wins(void)
{
	kg_client_config c;
	kg_cfg_err err = { "" };
	kg_client_config_init(&c);
	/* -o first, then the files. */
	T_OK(kg_client_config_apply_option(&c, "Port=2022", &err));
	T_OK(kg_client_config_apply_option(&c, "user alice", &err));
	T_OK(kg_client_config_apply_option(&c, "IdentityFile=/k/one", &err));
	const char *text =
		"Port 1111\n"
		"User bob\n"
		"Hostname real.example\n"
		"Hostname other.example\n"
		"IdentityFile /k/two\n"
		"IdentityFile /k/three\n"
		"UserKnownHostsFile /a /b\n"
		"UserKnownHostsFile /c\n"
		"SetEnv X=1 Y=2\n"
		"SetEnv X=3\n"
		"SendEnv LANG\n"
		"SendEnv LC_*\n"
		"LocalForward 8080 localhost:80\n"
		"LocalForward 8081 localhost:81\n"
		"StrictHostKeyChecking accept-new\n"
		"StrictHostKeyChecking no\n"
		"RekeyLimit 1G 1h\n"
		"RekeyLimit 2G\n";
	T_OK(capply(&c, text, "h", &err));
	int ok = c.port == 2022 && strcmp(c.user, "alice") == 0 &&
		 strcmp(c.hostname, "real.example") == 0 && c.identity_files.n == 3 &&
		 strcmp(c.identity_files.v[0], "/k/one") == 0 && c.user_known_hosts_files.n == 2 &&
		 strcmp(c.user_known_hosts_files.v[1], "/b") == 0 && c.set_env.n == 2 &&
		 strcmp(c.set_env.v[0], "X=1") == 0 && c.send_env.n == 2 && c.local_forwards.n == 2 &&
		 strcmp(c.local_forwards.v[1], "8081 localhost:81") == 0 &&
		 c.strict_host_key_checking == KG_SHKC_ACCEPT_NEW && c.rekey_limit.bytes == (1ull << 30) &&
		 c.rekey_limit.seconds == 3600;
	kg_client_config_free(&c);
	T_ASSERT(ok);
}

static void test_client_errors_name_line(void)
{
	kg_client_config c;
	kg_cfg_err err = { "" };
	kg_client_config_init(&c);
	int r = capply(&c, "Port 22\n\nFrobnicate yes\n", "h", &err);
	kg_client_config_free(&c);
	T_ASSERT(r == KG_ERR_CONFIG && strcmp(err.msg, "cfg line 3: Bad configuration option: Frobnicate") == 0);
	struct { const char *text; const char *msg; } cases[] = {
		{ "Host x\n  Port 0\n", "cfg line 2: Port: invalid argument '0'" },
		{ "Port 22 23\n", "cfg line 1: Port: garbage at end of line: '23'" },
		{ "\n\n\nBatchMode maybe\n", "cfg line 4: BatchMode: invalid argument 'maybe'" },
		{ "ConnectTimeout 5x\n", "cfg line 1: ConnectTimeout: invalid argument '5x'" },
		{ "User\n", "cfg line 1: User: missing argument" },
		{ "RekeyLimit 1Q\n", "cfg line 1: RekeyLimit: invalid value '1Q'" },
		{ "Match exec\n", "cfg line 1: Missing Match criteria for exec" },
		{ "\nMatch host\n", "cfg line 2: Missing Match criteria for host" },
		{ "Match all host x\n", "cfg line 1: 'all' cannot be combined with other Match attributes" },
		{ "Match\n", "cfg line 1: Match: missing criteria" },
		{ "Match foo bar\n", "cfg line 1: Unsupported Match attribute foo" },
		{ "CanonicalizePermittedCNAMEs *.a\n", "cfg line 1: Invalid permitted CNAME \"*.a\"" },
		{ "Include x\n", "cfg line 1: Include not allowed here" },
		/* Errors count in blocks that do not apply too. */
		{ "Host nomatch\nPort abc\n", "cfg line 2: Port: invalid argument 'abc'" },
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(cases); i++) {
		kg_client_config_init(&c);
		r = capply(&c, cases[i].text, "h", &err);
		kg_client_config_free(&c);
		if (r != KG_ERR_CONFIG || strcmp(err.msg, cases[i].msg) != 0)
			fprintf(stderr, "case %zu: %d '%s'\n", i, r, err.msg);
		T_ASSERT(r == KG_ERR_CONFIG && strcmp(err.msg, cases[i].msg) == 0);
	}
	kg_client_config_init(&c);
	r = kg_client_config_apply_option(&c, "NoSuchThing=1", &err);
	int ok = r == KG_ERR_CONFIG && strcmp(err.msg, "command line: Bad configuration option: NoSuchThing") == 0;
	ok = ok && kg_client_config_apply_option(&c, "Host=x", &err) == KG_ERR_CONFIG;
	kg_client_config_free(&c);
	T_ASSERT(ok);
}

static void test_client_ignore_unknown_and_match(void)
{
	const char *text =
		"IgnoreUnknown UseKeychain,Foo*\n"
		"UseKeychain yes\n"
		"FooBar 1\n"
		"Match host real.example\n"
		"  User m1\n"
		"Match originalhost alias !canonical\n"
		"  Port 7\n"
		"Match exec \"false\"\n"
		"  Compression yes\n"
		"Match all\n"
		"  BatchMode yes\n"
		"Match !host real.*\n"
		"  LogLevel DEBUG3\n";
	kg_client_config c;
	kg_cfg_err err = { "" };
	kg_client_config_init(&c);
	T_OK(kg_client_config_apply_option(&c, "Hostname real.example", &err));
	T_OK(capply(&c, text, "alias", &err));
	int ok = strcmp(c.user, "m1") == 0 && c.port == 7 && c.compression == KG_CFG_UNSET &&
		 c.batch_mode == 1 && c.log_level == KG_CFG_UNSET && c.unsupported.n == 0;
	kg_client_config_free(&c);
	T_ASSERT(ok);
}

static void test_client_finish_defaults(void)
{
	kg_client_config c;
	kg_cfg_err err = { "" };
	kg_client_config_init(&c);
	T_OK(capply(&c, "Host web\n  Hostname %h.example.org\n", "web", &err));
	T_OK(kg_client_config_finish(&c, "web", "me"));
	int ok = strcmp(c.hostname, "web.example.org") == 0 && strcmp(c.user, "me") == 0 &&
		 c.port == 22 && c.identity_files_default && c.identity_files.n == 3 &&
		 strcmp(c.user_known_hosts_files.v[0], "~/.ssh/known_hosts") == 0 &&
		 c.strict_host_key_checking == KG_SHKC_ASK && c.address_family == AF_UNSPEC &&
		 c.log_level == KG_LOG_INFO && c.number_of_password_prompts == 3 &&
		 c.server_alive_count_max == 3 && c.request_tty == KG_TTY_AUTO;
	kg_client_config_free(&c);
	T_ASSERT(ok);
}

static void test_client_load_with_include(void)
{
	kg_client_config c;
	kg_cfg_err err = { "" };
	kg_client_config_init(&c);
	int r = kg_client_config_load_file(&c, D "/ssh_config", "db.work.example", D, "/home/x", 1, &err);
	int ok = r == KG_OK && c.user && strcmp(c.user, "worker") == 0 && c.port == 2022 &&
		 c.send_env.n == 2 && c.hash_known_hosts == 1;
	kg_client_config_free(&c);
	if (!ok)
		fprintf(stderr, "%d %s\n", r, err.msg);
	T_ASSERT(ok);
	kg_client_config_init(&c);
	r = kg_client_config_load_file(&c, D "/missing", "h", D, NULL, 0, &err);
	kg_client_config_free(&c);
	T_ASSERT(r == KG_OK);
	kg_client_config_init(&c);
	r = kg_client_config_load_file(&c, D "/missing", "h", D, NULL, 1, &err);
	kg_client_config_free(&c);
	T_ASSERT(r == KG_ERR_NOT_FOUND);
}

/* Keywords kagi does not act on are reported once each, in the form
 * "FILE line N: K is not supported yet, ignored"; values that mean what
 * kagi does anyway, blocks for other hosts and values overridden by an
 * earlier source are not. */
static void test_client_unsupported_warned_once(void)
{
	const char *text =
		"LocalForward 8080 localhost:80\n"
		"LocalForward 8081 localhost:81\n"
		"RemoteForward 9090 localhost:90\n"
		"DynamicForward 1080\n"
		"ForwardAgent yes\n"
		"ForwardX11 yes\n"
		"ControlMaster auto\n"
		"ControlPath ~/.ssh/cm-%r@%h:%p\n"
		"ControlPersist 10m\n"
		"GSSAPIAuthentication yes\n"
		"Host other\n"
		"  UpdateHostKeys yes\n";
	kg_client_config c;
	kg_cfg_err err = { "" };
	kg_client_config_init(&c);
	T_OK(capply(&c, text, "h", &err));
	static const char *const want[] = {
		"cfg line 6: ForwardX11 is not supported yet, ignored",
	};
	int ok = c.unsupported.n == KG_ARRAY_LEN(want);
	for (size_t i = 0; ok && i < KG_ARRAY_LEN(want); i++) {
		ok = strcmp(c.unsupported.v[i], want[i]) == 0;
		if (!ok)
			fprintf(stderr, "got '%s'\n", c.unsupported.v[i]);
	}
	/* GSSAPI (on in Debian's stock ssh_config) is only a -v note. */
	ok = ok && c.warnings.n == 1 && strstr(c.warnings.v[0], "cfg line 10: GSSAPIAuthentication") != NULL;
	kg_client_config_free(&c);
	T_ASSERT(ok);

	/* "Off" values are what kagi does; -o wins over the file. */
	kg_client_config_init(&c);
	T_OK(kg_client_config_apply_option(&c, "ForwardAgent=no", &err));
	T_OK(kg_client_config_apply_option(&c, "ControlPath none", &err));
	T_OK(capply(&c, "ForwardAgent yes\nControlPath /tmp/x\nControlMaster no\nForwardX11 no\n"
		    "ServerAliveInterval 0\nKbdInteractiveAuthentication no\nCheckHostIP no\n", "h", &err));
	ok = c.unsupported.n == 0 && c.warnings.n == 0;
	kg_client_config_free(&c);
	T_ASSERT(ok);

	/* On the command line: the same warning, without a line number. */
	kg_client_config_init(&c);
	T_OK(kg_client_config_apply_option(&c, "ForwardAgent=yes", &err));  /* done: no warning */
	T_OK(kg_client_config_apply_option(&c, "LocalForward=1 h:2", &err));
	/* (forwardings are done: no warning for LocalForward) */
	ok = c.unsupported.n == 0 && c.local_forwards.n == 1;
	kg_client_config_free(&c);
	T_ASSERT(ok);
}

/* ProxyCommand would make kagi connect some other way than asked: refused
 * with an error, except "none". */
static void test_client_proxycommand_refused(void)
{
	kg_client_config c;
	kg_cfg_err err = { "" };
	kg_client_config_init(&c);
	int r = capply(&c, "Port 22\nProxyCommand ssh -W %h:%p bastion\n", "h", &err);
	kg_client_config_free(&c);
	T_ASSERT(r == KG_ERR_CONFIG && strcmp(err.msg, "cfg line 2: ProxyCommand is not supported yet") == 0);
	kg_client_config_init(&c);
	T_OK(kg_client_config_apply_option(&c, "ProxyCommand=none", &err));
	r = capply(&c, "ProxyCommand nc %h %p\nHost elsewhere\n  ProxyCommand nc %h %p\n", "h", &err);
	kg_client_config_free(&c);
	T_ASSERT(r == KG_OK);
}

/* Settings kagi acts on: TCPKeepAlive (default yes, as OpenSSH). */
/* Every keyword of OpenSSH 10's ssh_config(5) is known (never "Bad
 * configuration option"), in a block for another host; refused ones name
 * file and line; RefuseConnection stops with its text. */
static void test_client_all_keywords_known(void)
{
	static const char *const kws[] = {
		"AddKeysToAgent",
		"AddressFamily",
		"BatchMode",
		"BindAddress",
		"BindInterface",
		"CanonicalDomains",
		"CanonicalizeFallbackLocal",
		"CanonicalizeHostname",
		"CanonicalizeMaxDots",
		"CanonicalizePermittedCNAMEs",
		"CASignatureAlgorithms",
		"CertificateFile",
		"ChannelTimeout",
		"CheckHostIP",
		"Ciphers",
		"ClearAllForwardings",
		"Compression",
		"ConnectionAttempts",
		"ConnectTimeout",
		"ControlMaster",
		"ControlPath",
		"ControlPersist",
		"DynamicForward",
		"EnableEscapeCommandline",
		"EnableSSHKeysign",
		"EscapeChar",
		"ExitOnForwardFailure",
		"FingerprintHash",
		"ForkAfterAuthentication",
		"ForwardAgent",
		"ForwardX11",
		"ForwardX11Timeout",
		"ForwardX11Trusted",
		"GatewayPorts",
		"GlobalKnownHostsFile",
		"GSSAPIAuthentication",
		"GSSAPIDelegateCredentials",
		"HashKnownHosts",
		"HostbasedAcceptedAlgorithms",
		"HostbasedAuthentication",
		"HostKeyAlgorithms",
		"HostKeyAlias",
		"Hostname",
		"IdentitiesOnly",
		"IdentityAgent",
		"IdentityFile",
		"IgnoreUnknown",
		"IPQoS",
		"KbdInteractiveAuthentication",
		"KbdInteractiveDevices",
		"KexAlgorithms",
		"KnownHostsCommand",
		"LocalCommand",
		"LocalForward",
		"LogLevel",
		"LogVerbose",
		"MACs",
		"NoHostAuthenticationForLocalhost",
		"NumberOfPasswordPrompts",
		"ObscureKeystrokeTiming",
		"PasswordAuthentication",
		"PermitLocalCommand",
		"PermitRemoteOpen",
		"PKCS11Provider",
		"Port",
		"PreferredAuthentications",
		"ProxyCommand",
		"ProxyJump",
		"ProxyUseFdpass",
		"PubkeyAcceptedAlgorithms",
		"PubkeyAuthentication",
		"RefuseConnection",
		"RekeyLimit",
		"RemoteCommand",
		"RemoteForward",
		"RequestTTY",
		"RequiredRSASize",
		"RevokedHostKeys",
		"SecurityKeyProvider",
		"SendEnv",
		"ServerAliveCountMax",
		"ServerAliveInterval",
		"SessionType",
		"SetEnv",
		"StdinNull",
		"StreamLocalBindMask",
		"StreamLocalBindUnlink",
		"StrictHostKeyChecking",
		"SyslogFacility",
		"Tag",
		"TCPKeepAlive",
		"Tunnel",
		"TunnelDevice",
		"UpdateHostKeys",
		"User",
		"UserKnownHostsFile",
		"VerifyHostKeyDNS",
		"VersionAddendum",
		"VisualHostKey",
		"WarnWeakCrypto",
		"XAuthLocation",
	};
	int ok = 1;
	for (size_t i = 0; i < KG_ARRAY_LEN(kws); i++) {
		char text[200];
		snprintf(text, sizeof(text), "Host elsewhere\n  %s x\n", kws[i]);
		kg_client_config c;
		kg_cfg_err err = { "" };
		kg_client_config_init(&c);
		int r = capply(&c, text, "h", &err);
		if (r == KG_ERR_CONFIG && strstr(err.msg, "Bad configuration option")) {
			fprintf(stderr, "unknown: %s\n", kws[i]);
			ok = 0;
		}
		kg_client_config_free(&c);
	}
	T_ASSERT(ok);
	static const char *const refused[] = { "BindAddress 198.51.100.1", "KnownHostsCommand /bin/kh %h",
		"RevokedHostKeys ~/.ssh/revoked", "PKCS11Provider /usr/lib/p11.so", "Tunnel yes",
		"SecurityKeyProvider /usr/lib/sk.so" };
	for (size_t i = 0; i < KG_ARRAY_LEN(refused); i++) {
		char text[200], want[200], kw[64];
		snprintf(text, sizeof(text), "Port 22\n%s\n", refused[i]);
		snprintf(kw, sizeof(kw), "%.*s", (int)strcspn(refused[i], " "), refused[i]);
		snprintf(want, sizeof(want), "cfg line 2: %s is not supported yet", kw);
		kg_client_config c;
		kg_cfg_err err = { "" };
		kg_client_config_init(&c);
		int r = capply(&c, text, "h", &err);
		kg_client_config_free(&c);
		if (r != KG_ERR_CONFIG || strcmp(err.msg, want) != 0) {
			fprintf(stderr, "%s: '%s'\n", refused[i], err.msg);
			ok = 0;
		}
	}
	T_ASSERT(ok);
	kg_client_config c;
	kg_cfg_err err = { "" };
	kg_client_config_init(&c);
	T_OK(capply(&c, "SecurityKeyProvider internal\nTunnel no\nFingerprintHash md5\nTag work\n", "h", &err));
	ok = c.warnings.n == 1 && strcmp(c.warnings.v[0], "cfg line 3: FingerprintHash is not supported yet, ignored") == 0 &&
	     c.tag && strcmp(c.tag, "work") == 0;
	kg_client_config_free(&c);
	T_ASSERT(ok);
	kg_client_config_init(&c);
	int r = capply(&c, "Host h\n  RefuseConnection \"use the bastion\"\n", "h", &err);
	kg_client_config_free(&c);
	T_ASSERT(r == KG_ERR_CONFIG && strcmp(err.msg, "cfg line 2: RefuseConnection: use the bastion") == 0);
	/* Match tagged and version. */
	kg_client_config_init(&c);
	T_OK(kg_client_config_apply_option(&c, "Tag=work", &err));
	T_OK(capply(&c, "Match tagged home\n  Port 1\nMatch tagged w*,!x version kagi_*\n  Port 2\n", "h", &err));
	ok = c.port == 2 && c.unsupported.n == 0;
	kg_client_config_free(&c);
	T_ASSERT(ok);
	kg_client_config_init(&c);
	T_OK(capply(&c, "Match tagged \"\"\n  Port 3\nMatch !version kagi_*\n  User x\n", "h", &err));
	ok = c.port == 3 && c.user == NULL;
	kg_client_config_free(&c);
	T_ASSERT(ok);
}

static void test_client_tcp_keepalive(void)
{
	kg_client_config c;
	kg_cfg_err err = { "" };
	kg_client_config_init(&c);
	T_OK(kg_client_config_finish(&c, "h", "me"));
	int ok = c.tcp_keepalive == 1;
	kg_client_config_free(&c);
	kg_client_config_init(&c);
	T_OK(kg_client_config_apply_option(&c, "TCPKeepAlive=no", &err));
	T_OK(kg_client_config_finish(&c, "h", "me"));
	ok = ok && c.tcp_keepalive == 0 && c.unsupported.n == 0;
	kg_client_config_free(&c);
	T_ASSERT(ok);
}

/* hk: HostKeyAlias, VisualHostKey, CheckHostIP and UpdateHostKeys are taken
 * without a warning; VerifyHostKeyDNS other than no is parsed (for -G) and
 * warned as not supported yet; UpdateHostKeys defaults to yes only with the default
 * UserKnownHostsFile and without VerifyHostKeyDNS. */
static void test_client_hostkey_keywords(void)
{
	kg_client_config c;
	kg_cfg_err err = { "" };
	kg_client_config_init(&c);
	T_OK(capply(&c, "HostKeyAlias myalias\nCheckHostIP yes\nUpdateHostKeys ask\nVisualHostKey yes\n"
		    "VerifyHostKeyDNS no\n", "h", &err));
	T_OK(kg_client_config_finish(&c, "h", "me"));
	int ok = c.host_key_alias && strcmp(c.host_key_alias, "myalias") == 0 && c.check_host_ip == 1 &&
		 c.update_host_keys == KG_UHK_ASK && c.visual_host_key == 1 && c.verify_host_key_dns == KG_VHKDNS_NO &&
		 c.unsupported.n == 0 && c.warnings.n == 0;
	kg_client_config_free(&c);
	T_ASSERT(ok);
	/* defaults */
	kg_client_config_init(&c);
	T_OK(kg_client_config_finish(&c, "h", "me"));
	ok = c.host_key_alias == NULL && c.check_host_ip == 0 && c.update_host_keys == KG_UHK_YES &&
	     c.visual_host_key == 0 && c.verify_host_key_dns == KG_VHKDNS_NO;
	kg_client_config_free(&c);
	T_ASSERT(ok);
	kg_client_config_init(&c);
	T_OK(capply(&c, "UserKnownHostsFile ~/.ssh/known_hosts\n", "h", &err));
	T_OK(kg_client_config_finish(&c, "h", "me"));
	ok = c.update_host_keys == KG_UHK_NO;
	kg_client_config_free(&c);
	T_ASSERT(ok);
	/* VerifyHostKeyDNS yes: no DNS lookups in kagi, said once; UpdateHostKeys then off */
	kg_client_config_init(&c);
	T_OK(capply(&c, "VerifyHostKeyDNS yes\n", "h", &err));
	T_OK(kg_client_config_finish(&c, "h", "me"));
	ok = c.update_host_keys == KG_UHK_NO && c.unsupported.n == 1 &&
	     strcmp(c.unsupported.v[0], "cfg line 1: VerifyHostKeyDNS is not supported yet, ignored") == 0;
	kg_client_config_free(&c);
	T_ASSERT(ok);
	kg_client_config_init(&c);
	T_ASSERT(capply(&c, "UpdateHostKeys maybe\n", "h", &err) == KG_ERR_CONFIG);
	kg_client_config_free(&c);
}

/* ---------- server ---------- */

static void test_server_defaults(void)
{
	kg_server_config s;
	kg_server_config_init(&s);
	T_OK(kg_server_config_apply_file(&s, "", 0, "sshd_config", NULL));
	T_OK(kg_server_config_finish(&s));
	int ok = s.nports == 1 && s.ports[0] == 22 && s.authorized_keys_files.n == 2 &&
		 strcmp(s.authorized_keys_files.v[0], ".ssh/authorized_keys") == 0 &&
		 strcmp(s.authorized_keys_files.v[1], ".ssh/authorized_keys2") == 0 &&
		 s.login_grace_time == 120 && s.max_auth_tries == 6 && s.max_sessions == 10 &&
		 s.max_startups_begin == 10 && s.max_startups_rate == 30 && s.max_startups_full == 100 &&
		 s.print_motd == 1 && s.permit_root_login == KG_ROOT_PROHIBIT_PASSWORD &&
		 s.password_authentication == 1 && s.pubkey_authentication == 1 && s.strict_modes == 1 &&
		 s.allow_tcp_forwarding == KG_FWD_YES && s.x11_forwarding == 0 &&
		 s.syslog_facility == LOG_AUTH && s.log_level == KG_LOG_INFO && s.banner == NULL &&
		 s.tcp_keepalive == 1;
	kg_server_config_free(&s);
	T_ASSERT(ok);
	/* TCPKeepAlive no is kept (the listener then leaves SO_KEEPALIVE off). */
	kg_server_config_init(&s);
	T_OK(kg_server_config_apply_file(&s, "TCPKeepAlive no\n", 16, "sshd_config", NULL));
	T_OK(kg_server_config_finish(&s));
	ok = s.tcp_keepalive == 0;
	kg_server_config_free(&s);
	T_ASSERT(ok);
}

static void test_server_parse(void)
{
	const char *text =
		"Port 2222\n"
		"Port 2223\n"
		"ListenAddress 0.0.0.0\n"
		"ListenAddress [::]:2224\n"
		"HostKey /k/ed\n"
		"HostKey /k/rsa\n"
		"AuthorizedKeysFile %h/.ssh/ak /etc/ak/%u\n"
		"AuthorizedKeysFile /ignored\n"
		"LoginGraceTime 1m30s\n"
		"LoginGraceTime 5\n"
		"MaxStartups 3:50:9\n"
		"PermitRootLogin without-password\n"
		"PermitRootLogin yes\n"
		"Subsystem sftp /usr/lib/openssh/sftp-server -f AUTH\n"
		"Subsystem other \"/bin/x y\"\n"
		"AcceptEnv LANG LC_*\n"
		"AcceptEnv TZ\n"
		"ChallengeResponseAuthentication no\n"
		"KbdInteractiveAuthentication yes\n"
		"AllowTcpForwarding local\n"
		"Compression delayed\n"
		"LogLevel VERBOSE\n"
		"SyslogFacility LOCAL3\n"
		"Ciphers ^aes128-gcm@openssh.com\n"
		"AllowUsers alice bob\n"
		"AllowUsers carol\n"
		"DenyGroups nope\n"
		"Banner none\n"
		"GSSAPIAuthentication no\n";
	kg_server_config s;
	kg_cfg_err err = { "" };
	kg_server_config_init(&s);
	T_OK(kg_server_config_apply_option(&s, "LoginGraceTime=10", &err));
	T_OK(kg_server_config_apply_file(&s, text, strlen(text), "sshd_config", &err));
	T_OK(kg_server_config_finish(&s));
	int ok = s.nports == 2 && s.ports[1] == 2223 && s.listen_addresses.n == 2 &&
		 s.host_keys.n == 2 && s.authorized_keys_files.n == 2 &&
		 strcmp(s.authorized_keys_files.v[1], "/etc/ak/%u") == 0 && s.login_grace_time == 10 &&
		 s.max_startups_begin == 3 && s.max_startups_rate == 50 && s.max_startups_full == 9 &&
		 s.permit_root_login == KG_ROOT_PROHIBIT_PASSWORD &&
		 strcmp(kg_server_config_subsystem(&s, "sftp"), "/usr/lib/openssh/sftp-server -f AUTH") == 0 &&
		 strcmp(kg_server_config_subsystem(&s, "other"), "\"/bin/x y\"") == 0 &&
		 kg_server_config_subsystem(&s, "nope") == NULL && s.accept_env.n == 3 &&
		 s.kbd_interactive_authentication == 0 && s.allow_tcp_forwarding == KG_FWD_LOCAL &&
		 s.compression == KG_COMP_DELAYED && s.log_level == KG_LOG_VERBOSE &&
		 s.syslog_facility == LOG_LOCAL3 && strcmp(s.ciphers, "^aes128-gcm@openssh.com") == 0 &&
		 s.allow_users.n == 3 && s.deny_groups.n == 1 && s.banner == NULL;
	kg_server_config_free(&s);
	T_ASSERT(ok);
}

static void test_server_errors(void)
{
	struct { const char *text; const char *msg; } cases[] = {
		{ "Port 22\nFooBar 1\n", "sshd_config line 2: Bad configuration option: FooBar" },
		{ "Port 99999\n", "sshd_config line 1: Port: invalid value '99999'" },
		{ "\nPermitRootLogin maybe\n", "sshd_config line 2: PermitRootLogin: invalid argument 'maybe'" },
		{ "MaxStartups 10:30\n", "sshd_config line 1: MaxStartups: invalid value '10:30'" },
		{ "MaxStartups 10:101:100\n", "sshd_config line 1: MaxStartups: invalid value '10:101:100'" },
		{ "MaxStartups 10:30:5\n", "sshd_config line 1: MaxStartups: invalid value '10:30:5'" },
		{ "Subsystem sftp\n", "sshd_config line 1: Subsystem: needs a name and a command" },
		{ "Subsystem a /x\nSubsystem a /y\n", "sshd_config line 2: Subsystem 'a' already defined" },
		{ "X11Forwarding yes\nMatch User bob\n  Port 2\n",
		  "sshd_config line 3: Directive 'Port' is not allowed within a Match block" },
		{ "LoginGraceTime 2q\n", "sshd_config line 1: LoginGraceTime: invalid argument '2q'" },
		{ "MaxAuthTries 0\n", "sshd_config line 1: MaxAuthTries: invalid argument '0'" },
		{ "SyslogFacility KERN\n", "sshd_config line 1: SyslogFacility: invalid argument 'KERN'" },
		{ "Include /etc/x\n", "sshd_config line 1: Include not allowed here" },
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(cases); i++) {
		kg_server_config s;
		kg_cfg_err err = { "" };
		kg_server_config_init(&s);
		int r = kg_server_config_apply_file(&s, cases[i].text, strlen(cases[i].text), "sshd_config", &err);
		kg_server_config_free(&s);
		if (r != KG_ERR_CONFIG || strcmp(err.msg, cases[i].msg) != 0)
			fprintf(stderr, "case %zu: %d '%s'\n", i, r, err.msg);
		T_ASSERT(r == KG_ERR_CONFIG && strcmp(err.msg, cases[i].msg) == 0);
	}
	kg_server_config s;
	kg_cfg_err err = { "" };
	kg_server_config_init(&s);
	int r = kg_server_config_apply_option(&s, "PasswordAuthentication=perhaps", &err);
	kg_server_config_free(&s);
	T_ASSERT(r == KG_ERR_CONFIG &&
		 strcmp(err.msg, "command line: PasswordAuthentication: invalid argument 'perhaps'") == 0);
}

/* Values asking for what kagi lacks load with a warning; restrictions it
 * could not enforce are refused. */
static void test_server_unsupported(void)
{
	const char *text =
		"X11Forwarding yes\n"
		"KbdInteractiveAuthentication yes\n"
		"AllowAgentForwarding no\n"
		"GSSAPIAuthentication no\n"
		"HostbasedAuthentication yes\n"
		"PermitUserEnvironment LANG,LC_*\n"
		"PermitEmptyPasswords no\n"
		"AllowTcpForwarding remote\n"
		"UsePAM yes\n"
		"IgnoreRhosts yes\n";
	static const char *const want[] = {
		"sshd_config line 1: X11Forwarding yes: not supported, X11 forwarding stays off",
		"sshd_config line 5: HostbasedAuthentication yes: not supported, host-based authentication is not offered",
		/* UsePAM yes: a real PAM session since pamsess, so no warning */
	};
	kg_server_config s;
	kg_cfg_err err = { "" };
	kg_server_config_init(&s);
	/* a value that does not take effect (the first one wins) is not warned about */
	T_OK(kg_server_config_apply_option(&s, "UseDNS=no", &err));
	T_OK(kg_server_config_apply_file(&s, text, strlen(text), "sshd_config", &err));
	const char *later = "UseDNS yes\nChallengeResponseAuthentication yes\n";
	T_OK(kg_server_config_apply_file(&s, later, strlen(later), "x", &err));
	T_OK(kg_server_config_finish(&s));
	int ok = s.warnings.n == KG_ARRAY_LEN(want);
	for (size_t i = 0; ok && i < KG_ARRAY_LEN(want); i++)
		if (strcmp(s.warnings.v[i], want[i]) != 0) {
			fprintf(stderr, "warning %zu: '%s'\n", i, s.warnings.v[i]);
			ok = 0;
		}
	kg_server_config_free(&s);
	T_ASSERT(ok);

	/* the defaults: keyboard-interactive on; AllowAgentForwarding and
	 * PermitUserRC yes as sshd */
	kg_server_config_init(&s);
	T_OK(kg_server_config_finish(&s));
	ok = s.kbd_interactive_authentication == 1 && s.allow_agent_forwarding == 1 && s.permit_user_rc == 1 &&
	     s.warnings.n == 0 &&
	     s.use_dns == 0 && strcmp(s.permit_user_environment, "no") == 0;
	kg_server_config_free(&s);
	T_ASSERT(ok);

	struct { const char *text; const char *msg; } refused[] = {
		{ "DenyUsers root@127.0.0.1/33\n", "f line 1: DenyUsers: invalid pattern 'root@127.0.0.1/33'" },
		{ "AllowUsers bob root@\n", "f line 1: AllowUsers: invalid pattern 'root@'" },
		{ "DenyUsers @127.0.0.1\n", "f line 1: DenyUsers: invalid pattern '@127.0.0.1'" },
		{ "UseDNS yes\nDenyUsers bob@*.example.com\n",
		  "f line 2: DenyUsers bob@*.example.com with UseDNS yes: not supported, host names are not looked up" },
		{ "DenyUsers bob@127.0.0.1,host.example\nUseDNS yes\n",
		  "f line 2: DenyUsers bob@127.0.0.1,host.example with UseDNS yes: not supported, host names are not "
		  "looked up" },
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(refused); i++) {
		kg_server_config_init(&s);
		int r = kg_server_config_apply_file(&s, refused[i].text, strlen(refused[i].text), "f", &err);
		kg_server_config_free(&s);
		if (r != KG_ERR_CONFIG || strcmp(err.msg, refused[i].msg) != 0)
			fprintf(stderr, "case %zu: %d '%s'\n", i, r, err.msg);
		T_ASSERT(r == KG_ERR_CONFIG && strcmp(err.msg, refused[i].msg) == 0);
	}
	/* addresses need no lookup: fine with UseDNS yes */
	kg_server_config_init(&s);
	const char *ok_text = "UseDNS yes\nDenyUsers bob@2001:db8::/32,!127.0.0.1,192.0.2.* carol\n";
	T_OK(kg_server_config_apply_file(&s, ok_text, strlen(ok_text), "f", &err));
	kg_server_config_free(&s);
}

static void test_server_load_with_include(void)
{
	kg_server_config s;
	kg_cfg_err err = { "" };
	kg_server_config_init(&s);
	int r = kg_server_config_load_file(&s, D "/sshd_config", D, &err);
	int ok = r == KG_OK && s.nports == 2 && s.ports[0] == 2200 && s.ports[1] == 2222 &&
		 s.password_authentication == 0 && s.use_pam == 1 && s.x11_forwarding == 1 &&
		 s.print_motd == 0 && s.accept_env.n == 2 && s.listen_addresses.n == 2 &&
		 strcmp(kg_server_config_subsystem(&s, "sftp"), "/usr/lib/openssh/sftp-server -l INFO") == 0;
	if (!ok)
		fprintf(stderr, "%d %s\n", r, err.msg);
	kg_server_config_free(&s);
	T_ASSERT(ok);
	kg_server_config_init(&s);
	r = kg_server_config_load_file(&s, D "/nope", D, &err);
	kg_server_config_free(&s);
	T_ASSERT(r == KG_ERR_NOT_FOUND && strstr(err.msg, D "/nope: cannot read") == err.msg);
	/* -p given: Port lines in files no longer add ports. */
	kg_server_config_init(&s);
	T_OK(kg_server_config_apply_option(&s, "Port 8022", &err));
	s.ports_locked = 1;
	T_OK(kg_server_config_apply_file(&s, "Port 22\n", 8, "f", &err));
	ok = s.nports == 1 && s.ports[0] == 8022;
	kg_server_config_free(&s);
	T_ASSERT(ok);
}

int main(void)
{
	T_RUN(test_tokenizer);
	T_RUN(test_tokenizer_errors);
	T_RUN(test_time);
	T_RUN(test_size);
	T_RUN(test_int_yesno);
	T_RUN(test_patterns);
	T_RUN(test_token_expansion);
	T_RUN(test_client_host_blocks);
	T_RUN(test_client_first_value_wins);
	T_RUN(test_client_errors_name_line);
	T_RUN(test_client_ignore_unknown_and_match);
	T_RUN(test_client_finish_defaults);
	T_RUN(test_client_load_with_include);
	T_RUN(test_client_unsupported_warned_once);
	T_RUN(test_client_hostkey_keywords);
	T_RUN(test_client_proxycommand_refused);
	T_RUN(test_client_tcp_keepalive);
	T_RUN(test_client_all_keywords_known);
	T_RUN(test_server_defaults);
	T_RUN(test_server_parse);
	T_RUN(test_server_errors);
	T_RUN(test_server_unsupported);
	T_RUN(test_server_load_with_include);
	return T_DONE();
}
