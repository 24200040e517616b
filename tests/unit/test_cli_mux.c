/* Connection sharing on the client: the settings and the control path
 * (src/conn/cli-mux.c), and a master (src/conn/cli-mux-server.c) answering
 * a client (src/conn/cli-mux-client.c) over a real control socket: check,
 * a session request the master cannot serve without a connection
 * (src/conn/cli-mux-session.c refuses it), stop, exit. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "t.h"
#include "core/err.h"
#include "conn/cli-mux.h"
#include "conn/cli-mux-server.h"

static void test_settings(void)
{
	int v = -5;
	T_OK(kg_cli_mux_parse_master("auto", &v));
	T_ASSERT(v == KG_CLI_MUX_AUTO);
	T_OK(kg_cli_mux_parse_master("AutoAsk", &v));
	T_ASSERT(v == KG_CLI_MUX_AUTOASK);
	T_OK(kg_cli_mux_parse_master("true", &v));
	T_ASSERT(v == KG_CLI_MUX_YES);
	T_OK(kg_cli_mux_parse_master("no", &v));
	T_ASSERT(v == KG_CLI_MUX_NO);
	T_ASSERT(kg_cli_mux_parse_master("maybe", &v) == KG_ERR_CONFIG);
	T_OK(kg_cli_mux_parse_persist("yes", &v));
	T_ASSERT(v == 0);
	T_OK(kg_cli_mux_parse_persist("no", &v));
	T_ASSERT(v == -1);
	T_OK(kg_cli_mux_parse_persist("60s", &v));
	T_ASSERT(v == 60);
	T_OK(kg_cli_mux_parse_persist("10m", &v));
	T_ASSERT(v == 600);
	T_ASSERT(kg_cli_mux_parse_persist("soon", &v) == KG_ERR_CONFIG);
	T_ASSERT(kg_cli_mux_command_known("check") && kg_cli_mux_command_known("cancel"));
	T_ASSERT(!kg_cli_mux_command_known("status") && !kg_cli_mux_command_known(NULL));
}

static void test_path_tokens(void)
{
	kg_logger lg;
	kg_log_init(&lg, "test", KG_LOG_QUIET, 0, 0);
	kg_client_config cfg;
	kg_client_config_init(&cfg);
	cfg.hostname = strdup("localhost");
	cfg.original_host = strdup("lh");
	cfg.user = strdup("root");
	cfg.port = 22;
	cfg.control_master = strdup("autoask");
	cfg.control_persist = strdup("10m");
	cfg.control_path = strdup("~/.ssh/cm-%r@%h:%p-%n-%u-%%");
	kg_cli_mux m;
	T_OK(kg_cli_mux_init(&m, &cfg, "lh", "me", "/home/me", &lg));
	int ok = m.master == KG_CLI_MUX_AUTOASK && m.persist == 600 && m.path &&
		 strcmp(m.path, "/home/me/.ssh/cm-root@localhost:22-lh-me-%") == 0;
	kg_cli_mux_free(&m);
	T_ASSERT(ok);
	/* %C: 40 hex digits (SHA-1 of %l%h%p%r, as ssh -G shows it). */
	free(cfg.control_path);
	cfg.control_path = strdup("/tmp/x-%C");
	T_OK(kg_cli_mux_init(&m, &cfg, "lh", "me", "/home/me", &lg));
	ok = m.path && strlen(m.path) == 7 + 40 && strspn(m.path + 7, "0123456789abcdef") == 40;
	kg_cli_mux_free(&m);
	T_ASSERT(ok);
	free(cfg.control_path);
	cfg.control_path = strdup("none");
	T_OK(kg_cli_mux_init(&m, &cfg, "lh", "me", "/home/me", &lg));
	T_ASSERT(m.path == NULL);
	free(cfg.control_path);
	cfg.control_path = strdup("/tmp/%z");
	T_ASSERT(kg_cli_mux_init(&m, &cfg, "lh", "me", "/home/me", &lg) < 0);
	kg_cli_mux_free(&m);
	free(cfg.control_master);
	cfg.control_master = strdup("sometimes");
	T_ASSERT(kg_cli_mux_init(&m, &cfg, "lh", "me", "/home/me", &lg) == KG_ERR_CONFIG);
	kg_cli_mux_free(&m);
	kg_client_config_free(&cfg);
}

/* Runs the master's loop until the child (a mux client) exits. */
static int serve_until_exit(kg_client *c, pid_t pid)
{
	int st = 0;
	for (int i = 0; i < 1000; i++) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		(void)!kg_loop_run_once(&c->loop, 10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -2;
}

static pid_t run_client(const kg_cli_mux *m, const char *cmd, const kg_logger *lg)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	if (cmd)
		_exit(kg_cli_mux_command(m, cmd, NULL, lg));
	kg_cli_mux_request rq = { .command = "true", .escape_char = '~', .hostname = "h", .stdin_null = 1 };
	int st = 0;
	int r = kg_cli_mux_client_session(m, &rq, lg, &st);
	_exit(r == KG_ERR_NOT_FOUND ? 42 : r < 0 ? 43 : st);
}

static void test_master_and_client(void)
{
	char dir[] = "/tmp/kagi-climux-XXXXXX";
	T_ASSERT(mkdtemp(dir) != NULL);
	char path[128];
	snprintf(path, sizeof(path), "%s/ctl", dir);
	kg_logger lg;
	kg_log_init(&lg, "test", KG_LOG_QUIET, 0, 0);
	kg_client_config cfg;
	kg_client_config_init(&cfg);
	cfg.hostname = strdup("example");
	kg_client c;
	memset(&c, 0, sizeof(c));
	c.cfg = &cfg;
	c.log = &lg;
	c.fd = -1;
	kg_loop_init(&c.loop);
	c.loop_ready = 1;
	kg_cli_mux_server *srv = NULL;
	T_OK(kg_cli_mux_server_start(&c, path, 0, &srv));
	struct stat st;
	T_ASSERT(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600);
	/* A second master at the same path is refused. */
	kg_cli_mux_server *srv2 = NULL;
	T_ASSERT(kg_cli_mux_server_start(&c, path, 0, &srv2) == KG_ERR_AGAIN && srv2 == NULL);

	kg_cli_mux m = { .master = KG_CLI_MUX_NO, .persist = -1, .path = path };
	T_ASSERT(serve_until_exit(&c, run_client(&m, "check", &lg)) == 0);
	/* No connection to open a channel on: the master refuses the
	 * session, and the client falls back to connecting itself. */
	T_ASSERT(serve_until_exit(&c, run_client(&m, NULL, &lg)) == 42);
	for (int i = 0; i < 100 && kg_cli_mux_server_clients(srv) > 0; i++)
		(void)!kg_loop_run_once(&c.loop, 10);
	T_ASSERT(kg_cli_mux_server_clients(srv) == 0);
	T_ASSERT(serve_until_exit(&c, run_client(&m, "forward", &lg)) == 255);
	T_ASSERT(*kg_cli_mux_server_stop_flag(srv) == 0);
	T_ASSERT(serve_until_exit(&c, run_client(&m, "exit", &lg)) == 0);
	T_ASSERT(*kg_cli_mux_server_stop_flag(srv) == 1);
	T_ASSERT(serve_until_exit(&c, run_client(&m, "stop", &lg)) == 0);
	T_ASSERT(stat(path, &st) != 0);
	/* Nobody listens any more. */
	T_ASSERT(serve_until_exit(&c, run_client(&m, "check", &lg)) == 255);
	kg_cli_mux none = { .path = NULL };
	T_ASSERT(kg_cli_mux_command(&none, "check", NULL, &lg) == 255);
	kg_cli_mux_server_free(srv);
	kg_loop_free(&c.loop);
	kg_client_config_free(&cfg);
	rmdir(dir);
}

int main(void)
{
	T_RUN(test_settings);
	T_RUN(test_path_tokens);
	T_RUN(test_master_and_client);
	return T_DONE();
}
