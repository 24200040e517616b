/* Tests src/conn/cli-proc.c (the pty decision) and src/sys/daemon.c (going to the background). */
#include <sys/wait.h>
#include <unistd.h>
#include "t.h"
#include "conn/cli-proc.h"
#include "sys/daemon.h"

static int want(int rt, int cmd, int none, int tty, int null, int *warn)
{
	kg_cli_tty_in in = { .request_tty = rt, .has_command = cmd, .session_none = none, .stdin_tty = tty,
			     .stdin_null = null };
	return kg_cli_want_tty(&in, warn);
}

static void test_tty_rules(void)
{
	int w;
	/* Interactive shell on a terminal: a pty. */
	T_ASSERT(want(KG_TTY_AUTO, 0, 0, 1, 0, &w) == 1 && w == 0);
	/* A command: none, and no warning, even without a terminal. */
	T_ASSERT(want(KG_TTY_AUTO, 1, 0, 0, 0, &w) == 0 && w == 0);
	/* A shell without a terminal warns (as ssh does). */
	T_ASSERT(want(KG_TTY_AUTO, 0, 0, 0, 0, &w) == 0 && w == 1);
	/* -t with a command and no terminal warns; -tt forces. */
	T_ASSERT(want(KG_TTY_YES, 1, 0, 0, 0, &w) == 0 && w == 1);
	T_ASSERT(want(KG_TTY_FORCE, 1, 0, 0, 0, &w) == 1 && w == 0);
	/* -t -n on a terminal warns (-n counts as no terminal). */
	T_ASSERT(want(KG_TTY_YES, 1, 0, 1, 1, &w) == 0 && w == 1);
	/* -T, -N: never, never a warning. */
	T_ASSERT(want(KG_TTY_NO, 0, 0, 0, 0, &w) == 0 && w == 0);
	T_ASSERT(want(KG_TTY_YES, 0, 1, 0, 0, &w) == 0 && w == 0);
	T_ASSERT(want(KG_TTY_YES, 1, 0, 1, 0, &w) == 1 && w == 0);
}

static void test_daemonise(void)
{
	int p[2];
	T_ASSERT(pipe(p) == 0);
	pid_t t = fork();
	T_ASSERT(t >= 0);
	if (t == 0) {
		close(p[0]);
		pid_t child;
		if (kg_daemonise(0, &child) < 0)
			_exit(2);
		if (child > 0)
			_exit(0);
		/* The daemon: its own session, stdin on /dev/null (reads EOF at once). */
		char c, ok = getsid(0) == getpid() && read(STDIN_FILENO, &c, 1) == 0 ? 'y' : 'n';
		(void)!write(p[1], &ok, 1);
		_exit(0);
	}
	close(p[1]);
	int st;
	T_ASSERT(waitpid(t, &st, 0) == t && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char c = 0;
	T_ASSERT(read(p[0], &c, 1) == 1 && c == 'y');
	close(p[0]);
}

int main(void)
{
	T_RUN(test_tty_rules);
	T_RUN(test_daemonise);
	return T_DONE();
}
