/* kssh-agent's modes: the socket, the environment lines, daemon, command. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include "agent/agent-listen.h"
#include "agent/agent-run.h"
#include "sys/agent-sock.h"
#include "sys/daemon.h"

typedef struct agentd {
	kg_loop loop;
	kg_logger log;
	kg_agent_server srv;
	kg_agent_listener lst;
	char *dir;               /* the private directory we made, or NULL */
	char *path;              /* the socket */
	pid_t watch_parent;      /* command mode: the command's pid */
} agentd;

int kg_agentd_shell_is_csh(void)
{
	const char *sh = getenv("SHELL");
	size_t n = sh ? strlen(sh) : 0;
	return n >= 3 && strcmp(sh + n - 3, "csh") == 0;
}

static void print_env(int csh, const char *path, long pid, int with_pid)
{
	if (csh) {
		printf("setenv SSH_AUTH_SOCK %s;\n", path);
		if (with_pid)
			printf("setenv SSH_AGENT_PID %ld;\n", pid);
	} else {
		printf("SSH_AUTH_SOCK=%s; export SSH_AUTH_SOCK;\n", path);
		if (with_pid)
			printf("SSH_AGENT_PID=%ld; export SSH_AGENT_PID;\n", pid);
	}
	printf("echo Agent pid %ld;\n", pid);
	fflush(stdout);
}

int kg_agentd_kill(int csh)
{
	const char *s = getenv("SSH_AGENT_PID");
	if (!s) {
		fprintf(stderr, "SSH_AGENT_PID not set, cannot kill agent\n");
		return 1;
	}
	char *end;
	errno = 0;
	long pid = strtol(s, &end, 10);
	if (errno || end == s || *end || pid < 2 || pid > INT_MAX) {
		fprintf(stderr, "SSH_AGENT_PID=\"%s\", which is not a good PID: invalid\n", s);
		return 1;
	}
	if (kill((pid_t)pid, SIGTERM) < 0) {
		perror("kill");
		return 1;
	}
	printf(csh ? "unsetenv SSH_AUTH_SOCK;\n" : "unset SSH_AUTH_SOCK;\n");
	printf(csh ? "unsetenv SSH_AGENT_PID;\n" : "unset SSH_AGENT_PID;\n");
	printf("echo Agent pid %ld killed;\n", pid);
	return 0;
}

static void on_signal(void *ctx, int signo)
{
	agentd *a = ctx;
	kg_debug(&a->log, "received signal %d", signo);
	kg_loop_stop(&a->loop);
}

static void on_parent_check(void *ctx, uint64_t id)
{
	agentd *a = ctx;
	(void)id;
	if (getppid() != a->watch_parent) {
		kg_debug(&a->log, "parent has died - authentication agent exiting");
		kg_loop_stop(&a->loop);
		return;
	}
	if (kg_loop_add_timer(&a->loop, 1000, on_parent_check, a, NULL) < 0)
		kg_loop_stop(&a->loop);
}

static void cleanup(agentd *a)
{
	kg_agent_listen_stop(&a->lst);
	kg_agent_server_free(&a->srv);
	kg_loop_free(&a->loop);
	if (a->path)
		unlink(a->path);
	if (a->dir)
		rmdir(a->dir);
	free(a->path);
	free(a->dir);
	kg_log_close(&a->log);
}

static int make_socket(agentd *a, const kg_agentd_opts *o, int *lfd)
{
	if (o->bind) {
		a->path = strdup(o->bind);
	} else {
		if (kg_agent_sock_private_dir(NULL, &a->dir) < 0) {
			perror("mkdtemp: private socket dir");
			return KG_ERR_SYSTEM;
		}
		size_t n = strlen(a->dir) + 32;
		a->path = malloc(n);
		if (a->path)
			snprintf(a->path, n, "%s/agent.%ld", a->dir, (long)getpid());
	}
	ENSURE(a->path != NULL, KG_ERR_ALLOC);
	if (kg_agent_sock_listen(a->path, lfd) < 0) {
		fprintf(stderr, "unix_listener: cannot bind to path %s: %s\n", a->path, strerror(errno));
		free(a->path);
		a->path = NULL;  /* not ours to remove */
		return KG_ERR_SYSTEM;
	}
	return KG_OK;
}

/* The keys must not reach a core file nor a debugger of the same uid. */
static void protect_memory(void)
{
	struct rlimit rl = {0, 0};
	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* Runs the agent until a signal (or the command's end) stops it. */
static int serve(agentd *a, int lfd, int catch_int)
{
	static const int sigs[] = {SIGTERM, SIGHUP, SIGINT};
	protect_memory();
	signal(SIGPIPE, SIG_IGN);
	if (!catch_int)
		signal(SIGINT, SIG_IGN);
	for (size_t i = 0; i < (catch_int ? 3u : 2u); i++)
		if (kg_loop_add_signal(&a->loop, sigs[i], on_signal, a) < 0)
			return 1;
	if (kg_agent_listen_start(&a->lst, &a->loop, &a->srv, lfd, &a->log) < 0)
		return 1;  /* cleanup closes lfd */
	if (a->watch_parent && kg_loop_add_timer(&a->loop, 1000, on_parent_check, a, NULL) < 0)
		return 1;
	while (!a->loop.stop) {
		int r = kg_loop_run_once(&a->loop, -1);
		if (r < 0 && r != KG_ERR_AGAIN) {
			kg_error(&a->log, "agent loop: %s", kg_err_str(r));
			return 1;
		}
	}
	kg_debug(&a->log, "cleanup_socket: cleanup");
	return 0;
}

static int run_command(agentd *a, const kg_agentd_opts *o, int lfd)
{
	pid_t parent = getpid(), child;
	fflush(NULL);
	if (kg_daemonise(0, &child) < 0) {
		perror("fork");
		return 1;
	}
	if (child > 0) {
		/* The command takes this process over; the agent is the child. */
		char pid[32];
		snprintf(pid, sizeof(pid), "%ld", (long)child);
		close(lfd);
		setenv("SSH_AUTH_SOCK", a->path, 1);
		setenv("SSH_AGENT_PID", pid, 1);
		execvp(o->cmd[0], o->cmd);
		perror(o->cmd[0]);
		return 1;
	}
	a->watch_parent = parent;
	kg_log_init(&a->log, "kssh-agent", KG_LOG_INFO, 1, LOG_AUTH);
	int rc = serve(a, lfd, 0);
	cleanup(a);
	return rc;
}

int kg_agentd_run(kg_agentd_opts *o)
{
	agentd a;
	memset(&a, 0, sizeof(a));
	kg_loop_init(&a.loop);
	kg_log_init(&a.log, "kssh-agent", o->debug ? KG_LOG_DEBUG3 : KG_LOG_INFO, 0, 0);
	kg_agent_server_init(&a.srv, &a.loop, &a.log);
	a.srv.default_life = o->life;
	a.srv.fp_hash = o->fp;
	a.srv.confirm = kg_agent_confirm_askpass;
	a.lst.lfd = -1;
	int csh = o->csh < 0 ? kg_agentd_shell_is_csh() : o->csh;
	int lfd = -1;
	if (make_socket(&a, o, &lfd) < 0) {
		cleanup(&a);
		return 1;
	}
	if (o->cmd)
		return run_command(&a, o, lfd);
	if (o->debug || o->foreground) {
		print_env(csh, a.path, (long)getpid(), 0);
		int rc = serve(&a, lfd, 1);
		cleanup(&a);
		return rc;
	}
	pid_t child;
	fflush(NULL);
	if (kg_daemonise(0, &child) < 0) {
		perror("fork");
		cleanup(&a);
		return 1;
	}
	if (child > 0) {
		print_env(csh, a.path, (long)child, 1);
		_exit(0);
	}
	if (chdir("/") < 0) {
		/* the agent works from anywhere */
	}
	kg_log_init(&a.log, "kssh-agent", KG_LOG_INFO, 1, LOG_AUTH);
	int rc = serve(&a, lfd, 0);
	cleanup(&a);
	return rc;
}
