/* Server helpers: ListenAddress parsing, MaxStartups drop decisions,
 * AcceptEnv, exit statuses, host key algorithm filtering, Allow/DenyUsers. */
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "t.h"
#include "core/key.h"
#include "conn/svr-listen.h"
#include "conn/svr-session.h"

static void test_listen_address(void)
{
	char h[64];
	int port = -1;
	T_OK(kg_svr_parse_listen_address("127.0.0.1", h, sizeof(h), &port));
	T_ASSERT(strcmp(h, "127.0.0.1") == 0 && port == 0);
	T_OK(kg_svr_parse_listen_address("127.0.0.1:2222", h, sizeof(h), &port));
	T_ASSERT(strcmp(h, "127.0.0.1") == 0 && port == 2222);
	T_OK(kg_svr_parse_listen_address("[::1]:22", h, sizeof(h), &port));
	T_ASSERT(strcmp(h, "::1") == 0 && port == 22);
	T_OK(kg_svr_parse_listen_address("[::1]", h, sizeof(h), &port));
	T_ASSERT(strcmp(h, "::1") == 0 && port == 0);
	T_OK(kg_svr_parse_listen_address("fe80::1:2", h, sizeof(h), &port));
	T_ASSERT(strcmp(h, "fe80::1:2") == 0 && port == 0);
	T_OK(kg_svr_parse_listen_address("localhost:65535", h, sizeof(h), &port));
	T_ASSERT(strcmp(h, "localhost") == 0 && port == 65535);
	/* Broken forms are errors, never a silent default. */
	T_ASSERT(kg_svr_parse_listen_address("[::1", h, sizeof(h), &port) < 0);
	T_ASSERT(kg_svr_parse_listen_address("[::1]x", h, sizeof(h), &port) < 0);
	T_ASSERT(kg_svr_parse_listen_address("1.2.3.4:", h, sizeof(h), &port) < 0);
	T_ASSERT(kg_svr_parse_listen_address("1.2.3.4:0", h, sizeof(h), &port) < 0);
	T_ASSERT(kg_svr_parse_listen_address("1.2.3.4:65536", h, sizeof(h), &port) < 0);
	T_ASSERT(kg_svr_parse_listen_address("1.2.3.4:22x", h, sizeof(h), &port) < 0);
	T_ASSERT(kg_svr_parse_listen_address(":22", h, sizeof(h), &port) < 0);
	T_ASSERT(kg_svr_parse_listen_address("", h, sizeof(h), &port) < 0);
	char small[4];
	T_ASSERT(kg_svr_parse_listen_address("127.0.0.1", small, sizeof(small), &port) < 0);
}

static void test_maxstartups(void)
{
	/* 10:30:100 (the default). */
	T_ASSERT(kg_svr_maxstartups_drop(10, 30, 100, 0, 0) == 0);
	T_ASSERT(kg_svr_maxstartups_drop(10, 30, 100, 9, 0) == 0);
	T_ASSERT(kg_svr_maxstartups_drop(10, 30, 100, 100, UINT32_MAX) == 1);
	T_ASSERT(kg_svr_maxstartups_drop(10, 30, 100, 500, 99) == 1);
	/* At start the drop probability is rate%: rnd%100 < 30 drops. */
	T_ASSERT(kg_svr_maxstartups_drop(10, 30, 100, 10, 29) == 1);
	T_ASSERT(kg_svr_maxstartups_drop(10, 30, 100, 10, 30) == 0);
	/* Halfway (55): 30 + 70 * 45 / 90 = 65%. */
	T_ASSERT(kg_svr_maxstartups_drop(10, 30, 100, 55, 64) == 1);
	T_ASSERT(kg_svr_maxstartups_drop(10, 30, 100, 55, 65) == 0);
	/* "MaxStartups 2" means start = full = 2: refuse from the third. */
	T_ASSERT(kg_svr_maxstartups_drop(2, 100, 2, 1, 0) == 0);
	T_ASSERT(kg_svr_maxstartups_drop(2, 100, 2, 2, 99) == 1);
	/* Drop rate across all rnd values matches the percentage. */
	size_t drops = 0;
	for (uint32_t r = 0; r < 1000; r++)
		drops += (size_t)kg_svr_maxstartups_drop(10, 30, 100, 10, r);
	T_ASSERT(drops == 300);
	/* Disabled limits never drop. */
	T_ASSERT(kg_svr_maxstartups_drop(0, 0, 0, 1000, 0) == 0);
}

static void test_accept_env(void)
{
	kg_strlist l = { 0 };
	T_OK(kg_strlist_add(&l, "LANG"));
	T_OK(kg_strlist_add(&l, "LC_*"));
	T_OK(kg_strlist_add(&l, "GIT_*,!GIT_SECRET"));
	T_ASSERT(kg_svr_env_accepted(&l, "LANG", 4) == 1);
	T_ASSERT(kg_svr_env_accepted(&l, "LANGX", 5) == 0);
	T_ASSERT(kg_svr_env_accepted(&l, "LANGX", 4) == 1);  /* only len bytes count */
	T_ASSERT(kg_svr_env_accepted(&l, "LC_ALL", 6) == 1);
	T_ASSERT(kg_svr_env_accepted(&l, "GIT_DIR", 7) == 1);
	T_ASSERT(kg_svr_env_accepted(&l, "GIT_SECRET", 10) == 0);
	T_ASSERT(kg_svr_env_accepted(&l, "PATH", 4) == 0);
	/* Names that are not valid variable names are never accepted. */
	T_ASSERT(kg_svr_env_accepted(&l, "LC_A=B", 6) == 0);
	T_ASSERT(kg_svr_env_accepted(&l, "LC_\n", 4) == 0);
	T_ASSERT(kg_svr_env_accepted(&l, "LC_\0X", 5) == 0);
	T_ASSERT(kg_svr_env_accepted(&l, "", 0) == 0);
	kg_strlist empty = { 0 };
	T_ASSERT(kg_svr_env_accepted(&empty, "LANG", 4) == 0);
	kg_strlist_free(&l);
}

static void test_exit_status(void)
{
	kg_exit_info e;
	pid_t p = fork();
	if (p == 0)
		_exit(42);
	int st;
	T_ASSERT(waitpid(p, &st, 0) == p);
	kg_svr_exit_from_status(st, &e);
	T_ASSERT(e.exited == 1 && e.exit_status == 42 && e.signaled == 0);
	p = fork();
	if (p == 0) {
		signal(SIGTERM, SIG_DFL);
		raise(SIGTERM);
		_exit(0);
	}
	T_ASSERT(waitpid(p, &st, 0) == p);
	kg_svr_exit_from_status(st, &e);
	T_ASSERT(e.signaled == 1 && e.exit_signal == SIGTERM && e.exited == 0);
	T_ASSERT(strcmp(kg_signal_name(e.exit_signal), "TERM") == 0);
}

static void test_hostkey_filter(void)
{
	kg_key *ed = NULL, *ec = NULL;
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &ed));
	T_OK(kg_key_generate(KG_KEY_ECDSA_P256, 0, &ec));
	kg_key *one[] = { ed };
	kg_key *two[] = { ed, ec };
	char *out = NULL;
	T_OK(kg_svr_filter_hostkey_algs("ssh-ed25519,rsa-sha2-512,rsa-sha2-256", one, 1, &out));
	T_ASSERT(strcmp(out, "ssh-ed25519") == 0);
	free(out);
	T_OK(kg_svr_filter_hostkey_algs("ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ssh-ed25519", two, 2, &out));
	T_ASSERT(strcmp(out, "ecdsa-sha2-nistp256,ssh-ed25519") == 0);
	free(out);
	out = NULL;
	T_ASSERT(kg_svr_filter_hostkey_algs("rsa-sha2-512", one, 1, &out) == KG_ERR_NOT_FOUND);
	T_ASSERT(out == NULL);
	kg_key_free(ed);
	kg_key_free(ec);
}

static void test_load_hostkey(void)
{
	kg_key *k = NULL;
	T_ASSERT(kg_svr_load_hostkey("/nonexistent/kagi/hostkey", &k) == KG_ERR_NOT_FOUND);
	T_OK(kg_svr_load_hostkey("tests/data/keyfiles/ossh_ed25519", &k));
	T_ASSERT(k->type == KG_KEY_ED25519 && k->has_private);
	kg_key_free(k);
	k = NULL;
	/* An encrypted host key cannot be used (no one to ask). */
	T_ASSERT(kg_svr_load_hostkey("tests/data/keyfiles/ossh_ed25519_enc", &k) == KG_ERR_NEED_PASSPHRASE);
	/* A public key is not a host key. */
	T_ASSERT(kg_svr_load_hostkey("tests/data/keys/ed25519.pub", &k) < 0);
}

int main(void)
{
	T_RUN(test_listen_address);
	T_RUN(test_maxstartups);
	T_RUN(test_accept_env);
	T_RUN(test_exit_status);
	T_RUN(test_hostkey_filter);
	T_RUN(test_load_hostkey);
	return T_DONE();
}
