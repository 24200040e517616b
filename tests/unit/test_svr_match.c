/* Exercises src/config/match-criteria.c, src/config/server-match.c,
 * src/config/server-config.c (Match blocks, copy and override) and
 * src/config/server-dump.c: every Match criterion with negation and lists,
 * the keywords a block may hold, the per-connection configuration and the
 * -T output. */
#include <stdio.h>
#include <unistd.h>
#include "t.h"
#include "config/match-criteria.h"
#include "config/server-dump.h"
#include "config/server-match.h"

/* Evaluates "Match <line>" (words split at blanks) for ci. */
static int ev(const char *line, const kg_match_conn *ci)
{
	char buf[512], *args[32];
	size_t n = 0;
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *save = NULL, *w = strtok_r(buf, " ", &save); w && n < 32; w = strtok_r(NULL, " ", &save))
		args[n++] = w;
	kg_cfg_err err;
	return kg_match_eval(args, n, ci, 0, &err);
}

static const char *const grp[] = { "staff", "wheel" };
static const kg_match_conn alice = {
	.user = "alice", .groups = grp, .ngroups = 2, .groups_known = 1, .host = "192.0.2.7",
	.addr = "192.0.2.7", .laddr = "198.51.100.1", .lport = 2222, .rdomain = NULL,
};

static void test_criteria_each(void)
{
	T_ASSERT(ev("User alice", &alice) == 1);
	T_ASSERT(ev("User bob,al*", &alice) == 1);
	T_ASSERT(ev("User bob", &alice) == 0);
	T_ASSERT(ev("User Alice", &alice) == 0);  /* user names are case-sensitive */
	T_ASSERT(ev("Group wheel", &alice) == 1);
	T_ASSERT(ev("Group adm,st*", &alice) == 1);
	T_ASSERT(ev("Group adm", &alice) == 0);
	T_ASSERT(ev("Host 192.0.2.*", &alice) == 1);  /* UseDNS no: the address */
	T_ASSERT(ev("Host *.example.com", &alice) == 0);
	T_ASSERT(ev("Address 192.0.2.0/24", &alice) == 1);
	T_ASSERT(ev("Address 198.51.100.0/24,192.0.2.7", &alice) == 1);
	T_ASSERT(ev("Address 198.51.100.0/24", &alice) == 0);
	T_ASSERT(ev("LocalAddress 198.51.100.1", &alice) == 1);
	T_ASSERT(ev("LocalAddress 198.51.100.2", &alice) == 0);
	T_ASSERT(ev("LocalPort 2222", &alice) == 1);
	T_ASSERT(ev("LocalPort 22", &alice) == 0);
	T_ASSERT(ev("RDomain *", &alice) == 0);  /* no routing domain known */
	T_ASSERT(ev("All", &alice) == 1);
	T_ASSERT(ev("user alice address 192.0.2.7", &alice) == 1);  /* criteria in any case */
	T_ASSERT(ev("User alice Address 198.51.100.0/24", &alice) == 0);  /* all must hold */
}

static void test_criteria_negation(void)
{
	T_ASSERT(ev("User *,!alice", &alice) == 0);
	T_ASSERT(ev("User *,!bob", &alice) == 1);
	T_ASSERT(ev("User !bob", &alice) == 0);  /* a negation alone matches nothing */
	T_ASSERT(ev("Group *,!wheel", &alice) == 0);  /* a negated group fails */
	T_ASSERT(ev("Group *,!adm", &alice) == 1);
	T_ASSERT(ev("Address 192.0.2.0/24,!192.0.2.7", &alice) == 0);
	T_ASSERT(ev("Address 192.0.2.0/24,!192.0.2.8", &alice) == 1);
	T_ASSERT(ev("Host *,!192.0.2.7", &alice) == 0);
	T_ASSERT(ev("LocalAddress *,!198.51.100.1", &alice) == 0);
	kg_match_conn mapped = alice;
	mapped.addr = "::ffff:192.0.2.7";
	T_ASSERT(ev("Address 192.0.2.0/24", &mapped) == 1);
}

static void test_criteria_missing(void)
{
	kg_match_conn none = { .lport = -1 };
	T_ASSERT(ev("User alice", &none) == 0);
	T_ASSERT(ev("Group staff", &none) == 0);
	T_ASSERT(ev("All", &none) == 1);
	char *a[] = { "User", "x" };
	kg_cfg_err err;
	T_ASSERT(kg_match_eval(a, 2, &none, 1, &err) == KG_ERR_CONFIG);
	T_ASSERT(strstr(err.msg, "'Match user' in configuration but 'user' not in connection test") != NULL);
}

static int load(kg_server_config *c, const char *text, kg_cfg_err *err)
{
	kg_server_config_init(c);
	int r = kg_server_config_apply_file(c, text, strlen(text), "f", err);
	return r < 0 ? r : kg_server_config_finish(c);
}

static void test_block_keywords(void)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "Match User x\n  Port 23\n", "f line 2: Directive 'Port' is not allowed within a Match block" },
		{ "Match User x\n  HostKey /k\n", "f line 2: Directive 'HostKey' is not allowed within a Match block" },
		{ "Match User x\n  Subsystem a b\n", "f line 2: Directive 'Subsystem' is not allowed within a Match block" },
		{ "Match User x\n  Banner /b\n", "f line 2: Banner in a Match block: not supported" },
		{ "Match User x\n  MaxSessions many\n", "f line 2: MaxSessions: invalid argument 'many'" },
		{ "Match Usr x\n", "f line 1: Unsupported Match attribute Usr" },
		{ "Match User\n", "f line 1: Missing Match criteria for User" },
		{ "Match All User x\n", "f line 1: 'all' cannot be combined with other Match attributes" },
		{ "Match LocalPort x\n", "f line 1: Invalid LocalPort 'x' on Match line" },
		{ "Match Address 198.51.100.0/33\n", "f line 1: Invalid Match address list '198.51.100.0/33'" },
		{ "Match\n", "f line 1: Match: missing criteria" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kg_server_config c;
		kg_cfg_err err = { { 0 } };
		int r = load(&c, bad[i].text, &err);
		kg_server_config_free(&c);
		if (r != KG_ERR_CONFIG || strcmp(err.msg, bad[i].msg) != 0)
			fprintf(stderr, "case %zu: %d '%s'\n", i, r, err.msg);
		T_ASSERT(r == KG_ERR_CONFIG);
		T_ASSERT(strcmp(err.msg, bad[i].msg) == 0);
	}
	kg_server_config c;
	kg_cfg_err err;
	kg_server_config_init(&c);
	T_ASSERT(kg_server_config_apply_option(&c, "Match All", &err) == KG_ERR_CONFIG);
	kg_server_config_free(&c);
}

static const char conf[] =
	"MaxSessions 5\n"
	"PermitTTY yes\n"
	"AcceptEnv LANG\n"
	"Match User alice Address 192.0.2.0/24\n"
	"  MaxSessions 1\n"
	"  ForceCommand echo \"forced here\"\n"
	"  AcceptEnv A B\n"
	"Match Group wheel\n"
	"  MaxSessions 2\n"        /* the first matching block's value wins */
	"  PermitTTY no\n"
	"  ChrootDirectory /srv/%u\n"
	"Match User bob\n"
	"  PasswordAuthentication no\n";

static void test_for_conn(void)
{
	kg_server_config base, eff;
	kg_cfg_err err = { { 0 } };
	T_OK(load(&base, conf, &err));
	T_ASSERT(base.nmatches == 3);
	T_OK(kg_server_config_for_conn(&base, &alice, 0, &eff, &err));
	T_ASSERT(eff.max_sessions == 1);
	T_ASSERT(eff.permit_tty == 0);
	T_ASSERT(eff.force_command && strcmp(eff.force_command, "echo \"forced here\"") == 0);
	T_ASSERT(eff.chroot_directory && strcmp(eff.chroot_directory, "/srv/%u") == 0);
	T_ASSERT(eff.accept_env.n == 2 && strcmp(eff.accept_env.v[0], "A") == 0);
	T_ASSERT(eff.password_authentication == 1);
	T_ASSERT(eff.nmatches == 0);
	kg_server_config_free(&eff);
	/* the base is untouched */
	T_ASSERT(base.max_sessions == 5 && base.permit_tty == 1 && base.force_command == NULL);
	kg_match_conn other = alice;
	other.user = "carol";
	other.ngroups = 1;  /* staff only */
	T_OK(kg_server_config_for_conn(&base, &other, 0, &eff, &err));
	T_ASSERT(eff.max_sessions == 5 && eff.permit_tty == 1 && eff.force_command == NULL);
	T_ASSERT(eff.accept_env.n == 1);
	kg_server_config_free(&eff);
	T_ASSERT(kg_server_config_needs_groups(&base) == 1);
	kg_server_config_free(&base);
}

static void test_dump(void)
{
	kg_server_config base, eff;
	kg_cfg_err err = { { 0 } };
	T_OK(load(&base, conf, &err));
	T_OK(kg_server_config_for_conn(&base, &alice, 0, &eff, &err));
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	T_ASSERT(f != NULL);
	kg_svr_dump_algs algs = { "aes128-ctr", NULL, NULL, NULL, NULL };
	int r = kg_server_config_dump(&eff, &algs, f);
	fclose(f);
	kg_server_config_free(&eff);
	kg_server_config_free(&base);
	T_OK(r);
	static const char *const want[] = {
		"\nport 22\n", "\nlistenaddress [::]:22\n", "\nlistenaddress 0.0.0.0:22\n", "\nmaxsessions 1\n",
		"\npermittty no\n", "\nforcecommand echo \"forced here\"\n", "\nchrootdirectory /srv/%u\n",
		"\nacceptenv A\nacceptenv B\n", "\nciphers aes128-ctr\n", "\npermitrootlogin without-password\n",
		"\nloglevel INFO\n", "\nsyslogfacility AUTH\n", "\nbanner none\n", "\nprintlastlog yes\n",
		"\nauthorizedkeysfile .ssh/authorized_keys .ssh/authorized_keys2\n", "\nmaxstartups 10:30:100\n",
	};
	char *all = malloc(len + 2);
	all[0] = '\n';
	memcpy(all + 1, text, len + 1);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!strstr(all, want[i]))
			fprintf(stderr, "missing: %s", want[i] + 1);
		T_ASSERT(strstr(all, want[i]) != NULL);
	}
	T_ASSERT(strstr(all, "\nmacs ") == NULL);  /* a NULL list leaves its line out */
	free(all);
	free(text);
}

static void test_keywords(void)
{
	kg_server_config c;
	kg_cfg_err err = { { 0 } };
	T_ASSERT(load(&c, "SetEnv A\n", &err) == KG_ERR_CONFIG);
	T_ASSERT(strstr(err.msg, "Invalid environment") != NULL);
	kg_server_config_free(&c);
	T_OK(load(&c, "SetEnv A=1 B=2\nSetEnv C=3\nPrintLastLog yes\nAllowAgentForwarding yes\n", &err));
	T_ASSERT(c.set_env.n == 2);  /* the first line only, as sshd */
	T_ASSERT(c.allow_agent_forwarding == 1 && c.print_last_log == 1);
	T_ASSERT(c.warnings.n == 0);  /* PrintLastLog is supported (lastlog kept) */
	kg_server_config_free(&c);
}

int main(void)
{
	T_RUN(test_criteria_each);
	T_RUN(test_criteria_negation);
	T_RUN(test_criteria_missing);
	T_RUN(test_block_keywords);
	T_RUN(test_for_conn);
	T_RUN(test_dump);
	T_RUN(test_keywords);
	return T_DONE();
}
