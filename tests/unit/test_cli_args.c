/* Exercises src/config/cli-args.c: command-line options (-o, -v, -q, -F,
 * the destination's user and port) turned into a client configuration with
 * OpenSSH's precedence, and the errors a bad option or file gives. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "t.h"
#include "fdcap.h"
#include "config/cli-args.h"
#include "sys/log.h"

static char home[64];
static char cfgfile[128];

static void make_home(const char *config_text)
{
	snprintf(home, sizeof(home), "/tmp/kg-cliargs.XXXXXX");
	if (!mkdtemp(home))
		abort();
	char d[128];
	snprintf(d, sizeof(d), "%s/.ssh", home);
	if (mkdir(d, 0700) < 0)
		abort();
	snprintf(cfgfile, sizeof(cfgfile), "%s/.ssh/config", home);
	if (config_text && write_file(cfgfile, config_text, strlen(config_text)) < 0)
		abort();
}

/* Runs kg_cli_args_config with stderr captured into *err (malloc'ed). */
static int run(const kg_cli_args *a, const char *host, const char *user, const char *port,
	       kg_client_config *cfg, char **err)
{
	fdcap c;
	kg_client_config_init(cfg);
	if (cap_begin(&c, 2) < 0)
		abort();
	int r = kg_cli_args_config(a, "prog", host, user, port, home, "localme", cfg);
	*err = cap_end(&c);
	return r;
}

static void test_add(void)
{
	kg_cli_args a = { 0 };
	T_OK(kg_cli_args_add(&a, "Port", "2200"));
	T_OK(kg_cli_args_add(&a, "User", "a b"));
	T_ASSERT(a.opts.n == 2 && strcmp(a.opts.v[0], "Port=2200") == 0 && strcmp(a.opts.v[1], "User=a b") == 0);
	kg_cli_args_free(&a);
	T_ASSERT(a.opts.n == 0 && a.opts.v == NULL);
}

/* The destination's user and port beat -o, -o beats the file, the file's
 * matching Host block beats defaults, and a non-matching block is skipped. */
static void test_precedence(void)
{
	make_home("Host other\n  Port 1111\n  User nobodyelse\n"
		  "Host h1\n  Port 3333\n  User fileuser\n  Compression yes\n  ConnectTimeout 7\n");
	kg_cli_args a = { .config_file = cfgfile };
	T_OK(kg_cli_args_add(&a, "ConnectTimeout", "9"));
	T_OK(kg_cli_args_add(&a, "User", "optuser"));
	kg_client_config cfg;
	char *err;
	T_OK(run(&a, "h1", "destuser", "2222", &cfg, &err));
	T_ASSERT(err && err[0] == '\0');
	T_ASSERT(cfg.port == 2222 && strcmp(cfg.user, "destuser") == 0);
	T_ASSERT(cfg.connect_timeout == 9 && cfg.compression == 1);
	kg_client_config_free(&cfg);
	free(err);

	/* without a destination user and port: -o User, then the file's Port */
	T_OK(run(&a, "h1", NULL, "", &cfg, &err));
	T_ASSERT(cfg.port == 3333 && strcmp(cfg.user, "optuser") == 0);
	kg_client_config_free(&cfg);
	free(err);

	/* another host: only defaults (the local user, port 22) */
	kg_cli_args b = { .config_file = cfgfile };
	T_OK(run(&b, "h2", NULL, NULL, &cfg, &err));
	T_ASSERT(cfg.port == 22 && strcmp(cfg.user, "localme") == 0 && cfg.compression == 0);
	T_ASSERT(cfg.connect_timeout == 0);
	kg_client_config_free(&cfg);
	free(err);
	kg_cli_args_free(&a);
	rm_tree(home);
}

/* -v counts map to DEBUG1..3, -q to QUIET; -v wins over -q; a LogLevel -o
 * comes after and so does not win. */
static void test_verbosity(void)
{
	make_home(NULL);
	static const struct { int v, q; int want; } cases[] = {
		{ 0, 0, KG_LOG_INFO }, { 1, 0, KG_LOG_DEBUG1 }, { 2, 0, KG_LOG_DEBUG2 },
		{ 3, 0, KG_LOG_DEBUG3 }, { 7, 0, KG_LOG_DEBUG3 }, { 0, 1, KG_LOG_QUIET }, { 1, 1, KG_LOG_DEBUG1 },
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(cases); i++) {
		kg_cli_args a = { .config_file = "/dev/null", .verbose = cases[i].v, .quiet = cases[i].q };
		kg_client_config cfg;
		char *err;
		T_OK(run(&a, "h", NULL, NULL, &cfg, &err));
		T_ASSERT(cfg.log_level == cases[i].want);
		kg_client_config_free(&cfg);
		free(err);
	}
	kg_cli_args a = { .config_file = "/dev/null", .verbose = 2 };
	T_OK(kg_cli_args_add(&a, "LogLevel", "ERROR"));
	kg_client_config cfg;
	char *err;
	T_OK(run(&a, "h", NULL, NULL, &cfg, &err));
	T_ASSERT(cfg.log_level == KG_LOG_DEBUG2);
	kg_client_config_free(&cfg);
	free(err);
	kg_cli_args_free(&a);
	rm_tree(home);
}

/* -F /dev/null reads no file at all, not even ~/.ssh/config. */
static void test_no_file(void)
{
	make_home("Port 4444\n");
	kg_cli_args a = { .config_file = "/dev/null" };
	kg_client_config cfg;
	char *err;
	T_OK(run(&a, "h", NULL, NULL, &cfg, &err));
	T_ASSERT(cfg.port == 22);
	kg_client_config_free(&cfg);
	free(err);
	rm_tree(home);
}

/* Without -F, ~/.ssh/config (under the given home) is read, and comes
 * before the system file. */
static void test_user_file(void)
{
	make_home("Host h\n  Port 4445\n  HostName real.example\n");
	kg_cli_args a = { 0 };
	kg_client_config cfg;
	char *err;
	T_OK(run(&a, "h", NULL, NULL, &cfg, &err));
	T_ASSERT(cfg.port == 4445 && strcmp(cfg.hostname, "real.example") == 0);
	kg_client_config_free(&cfg);
	free(err);
	rm_tree(home);
}

/* Every bad input is an error with a "prog: " message, never an exit. */
static void test_errors(void)
{
	make_home("Port notanumber\n");
	kg_client_config cfg;
	char *err;

	kg_cli_args a = { .config_file = "/dev/null" };
	T_OK(kg_cli_args_add(&a, "NoSuchKeyword", "1"));
	T_ASSERT(run(&a, "h", NULL, NULL, &cfg, &err) == KG_ERR_CONFIG);
	T_ASSERT(err && strncmp(err, "prog: ", 6) == 0 && strstr(err, "NoSuchKeyword"));
	kg_client_config_free(&cfg);
	free(err);
	kg_cli_args_free(&a);

	/* a destination port that is not a port */
	kg_cli_args b = { .config_file = "/dev/null" };
	T_ASSERT(run(&b, "h", NULL, "99999", &cfg, &err) == KG_ERR_CONFIG);
	T_ASSERT(err && strncmp(err, "prog: ", 6) == 0);
	kg_client_config_free(&cfg);
	free(err);

	/* a -F file that is missing is an error (it was asked for) */
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/nope", home);
	kg_cli_args c = { .config_file = missing };
	T_ASSERT(run(&c, "h", NULL, NULL, &cfg, &err) < 0);
	T_ASSERT(err && strncmp(err, "prog: ", 6) == 0);
	kg_client_config_free(&cfg);
	free(err);

	/* a bad line in the file names the file and line */
	kg_cli_args d = { .config_file = cfgfile };
	T_ASSERT(run(&d, "h", NULL, NULL, &cfg, &err) == KG_ERR_CONFIG);
	T_ASSERT(err && strstr(err, cfgfile) && strstr(err, "line 1"));
	kg_client_config_free(&cfg);
	free(err);

	rm_tree(home);
}

int main(void)
{
	T_RUN(test_add);
	T_RUN(test_precedence);
	T_RUN(test_verbosity);
	T_RUN(test_no_file);
	T_RUN(test_user_file);
	T_RUN(test_errors);
	return T_DONE();
}
