/* Exercises src/config/client-dump.c (kssh -G's printer) and the Match
 * user/localuser criteria of src/config/client-config.c: a configuration
 * applied for a host, finished, printed into memory and read back line by
 * line in ssh -G's spelling. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "t.h"
#include "config/client-dump.h"

static char *dump_of(const char *text, const char *host, const char *local_user)
{
	kg_client_config cfg;
	kg_client_config_init(&cfg);
	cfg.local_user = local_user;
	kg_cfg_err err;
	char *buf = NULL;
	size_t len = 0;
	kg_logger lg;
	kg_log_init(&lg, "test", KG_LOG_QUIET, 0, 0);
	if (kg_client_config_apply_file(&cfg, text, strlen(text), "cfg", host, &err) == KG_OK &&
	    kg_client_config_finish(&cfg, host, local_user) == KG_OK) {
		FILE *f = open_memstream(&buf, &len);
		if (f) {
			int r = kg_client_config_dump(&cfg, host, "/home/u", local_user, &lg, f);
			fclose(f);
			if (r != KG_OK) {
				free(buf);
				buf = NULL;
			}
		}
	}
	kg_client_config_free(&cfg);
	return buf;
}

/* The whole line "kw value" is in the dump. */
static int has_line(const char *dump, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = dump; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return 1;
	return 0;
}

static void test_defaults(void)
{
	char *d = dump_of("", "h.example", "alice");
	T_ASSERT(d != NULL);
	T_ASSERT(strncmp(d, "host h.example\nuser alice\nhostname h.example\nport 22\n", 52) == 0);
	T_ASSERT(has_line(d, "stricthostkeychecking ask"));
	T_ASSERT(has_line(d, "pubkeyauthentication true"));
	T_ASSERT(has_line(d, "requesttty auto"));
	T_ASSERT(has_line(d, "connecttimeout none"));
	T_ASSERT(has_line(d, "rekeylimit 0 0"));
	T_ASSERT(has_line(d, "userknownhostsfile /home/u/.ssh/known_hosts /home/u/.ssh/known_hosts2"));
	T_ASSERT(has_line(d, "identityfile ~/.ssh/id_ed25519"));
	T_ASSERT(!has_line(d, "proxyjump none"));
	T_ASSERT(has_line(d, "checkhostip no") && has_line(d, "verifyhostkeydns false"));
	T_ASSERT(has_line(d, "visualhostkey no") && has_line(d, "updatehostkeys true"));
	T_ASSERT(strstr(d, "\nhostkeyalias ") == NULL);
	T_ASSERT(strstr(d, "\nkexalgorithms mlkem768x25519-sha256,") != NULL);
	free(d);
}

static void test_values(void)
{
	const char *text =
		"Host web\n"
		"  HostName 198.51.100.7\n"
		"  Port 2200\n"
		"  StrictHostKeyChecking no\n"
		"  RequestTTY yes\n"
		"  ConnectTimeout 9\n"
		"  RekeyLimit 1M 30m\n"
		"  UserKnownHostsFile %d/kh_%h_%p ~/second\n"
		"  ProxyJump jump1\n"
		"  Ciphers aes128-ctr\n"
		"  HostKeyAlias webalias\n"
		"  CheckHostIP yes\n"
		"  UpdateHostKeys ask\n"
		"  VisualHostKey yes\n"
		"Host *\n"
		"  Port 1\n";
	char *d = dump_of(text, "web", "alice");
	T_ASSERT(d != NULL);
	T_ASSERT(has_line(d, "hostname 198.51.100.7"));
	T_ASSERT(has_line(d, "port 2200"));  /* first value wins */
	T_ASSERT(has_line(d, "stricthostkeychecking false"));
	T_ASSERT(has_line(d, "requesttty true"));
	T_ASSERT(has_line(d, "connecttimeout 9"));
	T_ASSERT(has_line(d, "rekeylimit 1048576 1800"));
	T_ASSERT(has_line(d, "userknownhostsfile /home/u/kh_198.51.100.7_2200 /home/u/second"));
	T_ASSERT(has_line(d, "proxyjump jump1"));
	T_ASSERT(has_line(d, "ciphers aes128-ctr"));
	T_ASSERT(has_line(d, "hostkeyalias webalias") && has_line(d, "checkhostip yes"));
	T_ASSERT(has_line(d, "updatehostkeys ask") && has_line(d, "visualhostkey yes"));
	free(d);
	/* An algorithm list naming nothing kagi has cannot be printed. */
	T_ASSERT(dump_of("Ciphers nonesuch-cipher\n", "x", "alice") == NULL);
}

static void test_match_user(void)
{
	const char *text =
		"Match user bob\n"
		"  Port 2001\n"
		"Match localuser alice\n"
		"  Compression yes\n"
		"Match !localuser alice\n"
		"  BatchMode yes\n"
		"Host *\n"
		"  User carol\n"
		"Match user carol\n"
		"  ConnectTimeout 4\n";
	char *d = dump_of(text, "h", "alice");
	T_ASSERT(d != NULL);
	T_ASSERT(has_line(d, "port 22"));           /* user is alice here, not bob */
	T_ASSERT(has_line(d, "compression yes"));
	T_ASSERT(has_line(d, "batchmode no"));
	T_ASSERT(has_line(d, "user carol"));
	T_ASSERT(has_line(d, "connecttimeout 4"));  /* User was set by then */
	free(d);
	d = dump_of("Match user bob\n  Port 2001\n", "h", "bob");
	T_ASSERT(d != NULL && has_line(d, "port 2001"));
	free(d);
}

int main(void)
{
	T_RUN(test_defaults);
	T_RUN(test_values);
	T_RUN(test_match_user);
	return T_DONE();
}
