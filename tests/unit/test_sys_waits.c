/* Exercises src/sys/net.c, src/sys/tty.c and src/sys/lineedit.c where they wait: write-all with a deadline, the tty waiter's signals, the line editor on a pty. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "t.h"
#include "sysproc_util.h"
#include "core/err.h"
#include "sys/lineedit.h"
#include "sys/net.h"
#include "sys/tty.h"

/* ---- kg_fd_write_all ---- */

static void test_write_all_deadline(void)
{
	int sv[2];
	static char big[4 << 20];
	T_ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	T_OK(kg_net_set_nonblock(sv[0], 1));
	/* nobody reads: the socket fills and the deadline ends the wait */
	uint64_t t0 = kg_monotonic_ms();
	T_ASSERT(kg_fd_write_all(sv[0], big, sizeof(big), 150) == KG_ERR_TIMEOUT);
	uint64_t took = kg_monotonic_ms() - t0;
	T_ASSERT(took >= 150 && took < 3000);
	close(sv[0]);
	close(sv[1]);
}

static void test_write_all_to_slow_reader(void)
{
	int sv[2];
	static char big[2 << 20];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	T_ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		/* reads in small bites with pauses, checking every byte */
		close(sv[0]);
		size_t got = 0;
		char b[4096];
		for (;;) {
			ssize_t n = read(sv[1], b, sizeof(b));
			if (n <= 0)
				break;
			for (ssize_t i = 0; i < n; i++)
				if (b[i] != (char)((got + (size_t)i) * 7))
					_exit(3);
			got += (size_t)n;
			if (got % (256 << 10) < 4096)
				usleep(5000);
		}
		_exit(got == sizeof(big) ? 0 : 2);
	}
	close(sv[1]);
	T_OK(kg_net_set_nonblock(sv[0], 1));
	T_OK(kg_fd_write_all(sv[0], big, sizeof(big), -1));
	close(sv[0]);
	int st;
	T_ASSERT(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* a peer that is gone is KG_ERR_CLOSED, not a wait */
	T_ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	close(sv[1]);
	T_ASSERT(kg_fd_write_all(sv[0], big, 16, 1000) == KG_ERR_CLOSED);
	close(sv[0]);
}

/* ---- kg_tty_waiter ---- */

static int is_blocked(int sig)
{
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	return sigismember(&cur, sig) == 1;
}

static void test_waiter_order(void)
{
	static const int sigs[] = { SIGUSR1, SIGWINCH };
	int p[2], sig = -1;
	kg_tty_waiter w;
	T_ASSERT(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
	T_OK(kg_tty_waiter_open(&w, p[0], sigs, KG_ARRAY_LEN(sigs)));
	T_ASSERT(is_blocked(SIGUSR1) && is_blocked(SIGWINCH));
	/* all three at once: a signal, then SIGWINCH, then the input */
	T_ASSERT(write(p[1], "k", 1) == 1);
	raise(SIGWINCH);
	raise(SIGUSR1);
	T_OK(kg_tty_wait(&w, &sig));
	T_ASSERT(sig == SIGUSR1);
	T_OK(kg_tty_wait(&w, &sig));
	T_ASSERT(sig == SIGWINCH);
	T_OK(kg_tty_wait(&w, &sig));
	T_ASSERT(sig == 0);
	char c;
	T_ASSERT(read(p[0], &c, 1) == 1 && c == 'k');
	/* input that is still there is reported again */
	T_ASSERT(write(p[1], "xy", 2) == 2);
	T_OK(kg_tty_wait(&w, &sig));
	T_ASSERT(sig == 0 && read(p[0], &c, 1) == 1 && c == 'x');
	T_OK(kg_tty_wait(&w, &sig));
	T_ASSERT(sig == 0 && read(p[0], &c, 1) == 1 && c == 'y');
	/* a hang-up counts as input: the reader sees end of file */
	close(p[1]);
	T_OK(kg_tty_wait(&w, &sig));
	T_ASSERT(sig == 0 && read(p[0], &c, 1) == 0);
	kg_tty_waiter_close(&w);
	T_ASSERT(!is_blocked(SIGUSR1) && !is_blocked(SIGWINCH));
	close(p[0]);
}

/* A signal the caller blocks stays the caller's: not taken, still blocked
 * and pending afterwards. */
static void test_waiter_leaves_callers_signals(void)
{
	static const int sigs[] = { SIGUSR1, SIGUSR2 };
	sigset_t set, pend;
	int p[2], sig = -1;
	kg_tty_waiter w;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	T_ASSERT(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
	T_ASSERT(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
	T_OK(kg_tty_waiter_open(&w, p[0], sigs, KG_ARRAY_LEN(sigs)));
	raise(SIGUSR2);
	T_ASSERT(write(p[1], "k", 1) == 1);
	T_OK(kg_tty_wait(&w, &sig));
	T_ASSERT(sig == 0);
	kg_tty_waiter_close(&w);
	T_ASSERT(is_blocked(SIGUSR2) && !is_blocked(SIGUSR1));
	T_ASSERT(sigpending(&pend) == 0 && sigismember(&pend, SIGUSR2) == 1);
	struct timespec zero = { 0, 0 };
	T_ASSERT(sigtimedwait(&set, NULL, &zero) == SIGUSR2);
	T_ASSERT(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0);
	close(p[0]);
	close(p[1]);
}

/* ---- the line editor on a pty ---- */

static int open_pty(int *master, char *name, size_t namesz)
{
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0 || grantpt(*master) != 0 || unlockpt(*master) != 0 ||
	    ptsname_r(*master, name, namesz) != 0)
		return -1;
	return 0;
}

/* Reads one line with the editor on the child's new controlling pty and
 * reports it as "GOT[line]". */
static pid_t editor_on_pty(int *master)
{
	char name[64];
	if (open_pty(master, name, sizeof(name)) != 0)
		return -1;
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	(void)ioctl(*master, TIOCSWINSZ, &ws);
	pid_t pid = fork();
	if (pid == 0) {
		close(*master);
		if (setsid() < 0)
			_exit(90);
		int fd = open(name, O_RDWR);
		if (fd < 0)
			_exit(91);
		kg_lineedit le;
		const char *line;
		kg_lineedit_init(&le, fd, fd);
		int r = kg_lineedit_read(&le, "edit> ", &line);
		if (r == KG_OK) {
			char out[128];
			int n = snprintf(out, sizeof(out), "GOT[%s]\r\n", line);
			(void)!write(fd, out, (size_t)n);
		}
		kg_lineedit_free(&le);
		_exit(r == KG_OK ? 0 : 10);
	}
	return pid;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_lineedit_edits_and_redraws(void)
{
	int master, st;
	char out[4096] = "";
	size_t n = 0;
	pid_t pid = editor_on_pty(&master);
	T_ASSERT(pid > 0);
	T_ASSERT(t_read_until(master, out, sizeof(out), &n, "edit> ", 5000) == 0);
	T_OK(kg_fd_write_all(master, "helo", 4, 1000));
	T_ASSERT(t_read_until(master, out, sizeof(out), &n, "helo", 5000) == 0);
	/* a new window size: the line is drawn again */
	size_t prompts = count(out, "edit> ");
	struct winsize ws = { .ws_row = 30, .ws_col = 100 };
	T_ASSERT(ioctl(master, TIOCSWINSZ, &ws) == 0);
	for (int i = 0; i < 100 && count(out, "edit> ") == prompts; i++)
		(void)t_read_until(master, out, sizeof(out), &n, "\x01never", 20);
	T_ASSERT(count(out, "edit> ") > prompts);
	/* Left, then the missing letter, then Enter */
	T_OK(kg_fd_write_all(master, "\x1b[Dl\r", 5, 1000));
	T_ASSERT(t_read_until(master, out, sizeof(out), &n, "GOT[hello]", 5000) == 0);
	T_ASSERT(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(master);
}

static void test_lineedit_signal_restores_terminal(void)
{
	int master, st;
	char out[1024] = "";
	size_t n = 0;
	struct termios t;
	pid_t pid = editor_on_pty(&master);
	T_ASSERT(pid > 0);
	T_ASSERT(t_read_until(master, out, sizeof(out), &n, "edit> ", 5000) == 0);
	T_ASSERT(tcgetattr(master, &t) == 0 && !(t.c_lflag & (ECHO | ICANON)));   /* raw now */
	kill(pid, SIGTERM);
	T_ASSERT(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	T_ASSERT(tcgetattr(master, &t) == 0 && (t.c_lflag & (ECHO | ICANON)) == (ECHO | ICANON));
	close(master);
}

static void test_lineedit_eof(void)
{
	int master, st;
	char out[1024] = "";
	size_t n = 0;
	pid_t pid = editor_on_pty(&master);
	T_ASSERT(pid > 0);
	T_ASSERT(t_read_until(master, out, sizeof(out), &n, "edit> ", 5000) == 0);
	T_OK(kg_fd_write_all(master, "\x04", 1, 1000));   /* Ctrl-D on an empty line */
	T_ASSERT(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 10);
	close(master);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	T_RUN(test_write_all_deadline);
	T_RUN(test_write_all_to_slow_reader);
	T_RUN(test_waiter_order);
	T_RUN(test_waiter_leaves_callers_signals);
	T_RUN(test_lineedit_edits_and_redraws);
	T_RUN(test_lineedit_signal_restores_terminal);
	T_RUN(test_lineedit_eof);
	return T_DONE();
}
