/* Exercises src/sys/reexec.c: the server's own executable path, the exec with the connection on fixed descriptors, and taking them in the new process. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "t.h"
#include "sys/reexec.h"

static void test_self_path(void)
{
	char p[4096], err[256], small[4];
	T_OK(kg_reexec_self_path(p, sizeof(p), err, sizeof(err)));
	T_ASSERT(p[0] == '/');
	T_ASSERT(strstr(p, "test_reexec") != NULL);
	T_ASSERT(access(p, X_OK) == 0);
	T_ASSERT(kg_reexec_self_path(small, sizeof(small), err, sizeof(err)) < 0);
	T_ASSERT(strstr(err, "too long") != NULL);
}

/* Runs fn in a child; its exit status. */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn());
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The socket and the pipe swapped onto each other's fixed numbers first,
 * a stray inheritable descriptor, a blocked signal: the program exec'ed
 * sees only 3 (socket) and 4 (pipe), nothing blocked. */
static int exec_child(void)
{
	int sp[2], pp[2];
	/* 3 and 4 kept busy so the pairs get other numbers */
	if (dup2(2, 3) < 0 || dup2(2, 4) < 0)
		return 9;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0 || pipe2(pp, O_CLOEXEC) < 0)
		return 10;
	int s = dup2(sp[1], KG_REEXEC_NOTIFY_FD), n = dup2(pp[1], KG_REEXEC_SOCK_FD);
	if (s < 0 || n < 0 || dup2(0, 9) < 0)  /* 9: inheritable, must not reach the program */
		return 11;
	int c;
	if (kg_reexec_memfd("cfg", "Port 2222\n", 10, &c) != KG_OK)
		return 14;
	if (write(c, "x", 1) >= 0)  /* sealed */
		return 15;
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigprocmask(SIG_BLOCK, &m, NULL);
	char *argv[] = { "sh", "-c",
			 "r=;[ -S /proc/self/fd/3 ]||r=${r}nosock;[ -p /proc/self/fd/4 ]||r=${r}nopipe;"
			 "[ -e /proc/self/fd/9 ]&&r=${r}leak;"
			 "grep -q '^SigBlk:[[:space:]]*0*$' /proc/self/status||r=${r}blocked;"
			 "[ \"$(cat <&5)\" = secret ]||r=${r}nostate;"
			 "[ \"$(cat <&6)\" = 'Port 2222' ]||r=${r}noconfig;"
			 "echo \"ok$r\" >&3",
			 NULL };
	pid_t pid = fork();
	if (pid == 0) {
		kg_reexec_io io = { .sock = s, .notify = n, .config = c, .state = "secret", .state_len = 6 };
		(void)!kg_reexec_exec("/bin/sh", argv, &io);
		_exit(12);
	}
	close(sp[1]);
	close(s);
	char buf[64] = { 0 };
	ssize_t got = 0, k;
	while ((k = read(sp[0], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += k;
	int st = 0;
	waitpid(pid, &st, 0);
	if (strcmp(buf, "ok\n") != 0)
		fprintf(stderr, "exec child said: %s\n", buf);
	return strcmp(buf, "ok\n") == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 13;
}

static void test_exec_fixed_fds(void)
{
	T_ASSERT(in_child(exec_child) == 0);
}

static int exec_missing(void)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		return 10;
	char *argv[] = { "nothing", NULL };
	kg_reexec_io io = { .sock = sp[0], .notify = -1, .config = -1 };
	int r = kg_reexec_exec("/nonexistent/ksshd", argv, &io);
	return r < 0 && errno == ENOENT ? 0 : 1;
}

static void test_exec_missing(void)
{
	T_ASSERT(in_child(exec_missing) == 0);
	char *argv[] = { "x", NULL };
	kg_reexec_io io = { .sock = 0, .notify = -1, .config = -1 };
	T_ASSERT(kg_reexec_exec(NULL, argv, &io) == KG_ERR_ARG);
	T_ASSERT(kg_reexec_exec("/bin/true", argv, NULL) == KG_ERR_ARG);
	char big[KG_REEXEC_STATE_MAX + 1] = { 0 };
	io.state = big;
	io.state_len = sizeof(big);
	T_ASSERT(kg_reexec_exec("/bin/true", argv, &io) == KG_ERR_ARG);
	io.state_len = 0;
	io.sock = -1;
	T_ASSERT(kg_reexec_exec("/bin/true", argv, &io) == KG_ERR_ARG);
}

static int take_cases(void)
{
	int s, n, sp[2], pp[2];
	/* not a socket on 3 */
	int z = open("/dev/null", O_RDONLY);
	if (z < 0 || dup2(z, KG_REEXEC_SOCK_FD) < 0)
		return 10;
	if (kg_reexec_take_fds(&s, &n) == KG_OK)
		return 11;
	/* a socket and a pipe */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0 || pipe(pp) < 0)
		return 12;
	if (dup2(sp[0], KG_REEXEC_SOCK_FD) < 0 || dup2(pp[1], KG_REEXEC_NOTIFY_FD) < 0)
		return 13;
	if (kg_reexec_take_fds(&s, &n) != KG_OK || s != KG_REEXEC_SOCK_FD || n != KG_REEXEC_NOTIFY_FD)
		return 14;
	if (!(fcntl(s, F_GETFD) & FD_CLOEXEC) || !(fcntl(n, F_GETFD) & FD_CLOEXEC))
		return 15;
	/* no startup pipe */
	close(KG_REEXEC_NOTIFY_FD);
	if (kg_reexec_take_fds(&s, &n) != KG_OK || s != KG_REEXEC_SOCK_FD || n != -1)
		return 16;
	/* the state pipe: exactly the bytes, then closed; short is an error */
	char buf[8];
	if (pipe(pp) < 0 || dup2(pp[0], KG_REEXEC_STATE_FD) < 0 || write(pp[1], "abcdefgh", 8) != 8)
		return 17;
	close(pp[1]);
	if (kg_reexec_take_state(buf, 8) != KG_OK || memcmp(buf, "abcdefgh", 8) != 0 ||
	    fcntl(KG_REEXEC_STATE_FD, F_GETFD) >= 0)
		return 18;
	if (pipe(pp) < 0 || dup2(pp[0], KG_REEXEC_STATE_FD) < 0 || write(pp[1], "ab", 2) != 2)
		return 19;
	close(pp[1]);
	if (kg_reexec_take_state(buf, 8) == KG_OK || kg_reexec_take_state(buf, 8) == KG_OK)
		return 20;  /* short, then closed */
	/* the configuration text: whole, twice readable from one memfd, then closed */
	char *t = NULL;
	size_t tl = 0;
	close(KG_REEXEC_CONFIG_FD);
	if (kg_reexec_take_config(&t, &tl) != KG_ERR_NOT_FOUND || t)
		return 21;
	int m;
	if (kg_reexec_memfd("cfg", "Port 22\nBanner none\n", 20, &m) != KG_OK)
		return 22;
	for (int i = 0; i < 2; i++) {
		if (dup2(m, KG_REEXEC_CONFIG_FD) < 0 || kg_reexec_take_config(&t, &tl) != KG_OK || tl != 20 ||
		    strcmp(t, "Port 22\nBanner none\n") != 0 || fcntl(KG_REEXEC_CONFIG_FD, F_GETFD) >= 0)
			return 23;
		free(t);
	}
	return 0;
}

static void test_take_fds(void)
{
	T_ASSERT(in_child(take_cases) == 0);
}

int main(void)
{
	T_RUN(test_self_path);
	T_RUN(test_exec_fixed_fds);
	T_RUN(test_exec_missing);
	T_RUN(test_take_fds);
	return T_DONE();
}
