/* kscp's filter for what the remote side writes to stderr, when kscp's
 * stderr is a terminal.
 *
 * A server controls those bytes (the extended data of the remote scp or
 * SFTP server, or the -S transport program's stderr, which carries them
 * the same way), and on a terminal they could erase lines, move the
 * cursor or retitle the window to hide what the copy did (CVE-2019-6110).
 * On a terminal they pass through kg_term_escape_as: control characters,
 * C1 included, become \ooo escapes (the style of every name kscp and
 * ksftp print); newlines and tabs stay.
 *
 * When stderr is not a terminal (a pipe, a log file), the bytes pass
 * unchanged, as OpenSSH's scp passes them (its ssh writes the remote
 * stderr as it comes): a script or log keeps the exact bytes, and there is
 * no screen to fool.  The protocol's own error records ("\1..." / "\2...")
 * and the names kscp prints are escaped always, also as OpenSSH's scp does.
 *
 * The filter is a small child process reading a pipe, so the remote
 * stderr of any number of channels and -S programs is handled without the
 * copy loops having to poll for it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sys/net.h"
#include "scp/scp-client.h"

#define FILTER_CHUNK 4096

/* The child: reads the pipe to its end, writing escaped text to stderr.
 * An unfinished UTF-8 character at the end of a chunk waits for the rest. */
static void filter_loop(int rfd, int flags)
{
	char in[FILTER_CHUNK + 4];
	char out[4 * sizeof(in) + 1];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(rfd, in + have, FILTER_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		size_t len = have + (n > 0 ? (size_t)n : 0);
		size_t keep = n > 0 && (flags & KG_TERM_ESC_UTF8) ? kg_term_utf8_pending(in, len) : 0;
		size_t e = kg_term_escape_as(in, len - keep, out, sizeof(out), flags);
		if (e > 0 && kg_fd_write_all(STDERR_FILENO, out, e, -1) < 0)
			break;
		memmove(in, in + len - keep, keep);
		have = keep;
		if (n <= 0)
			break;
	}
}

int kg_scp_stderr_start(kg_scp_client *cl)
{
	cl->err_fd = STDERR_FILENO;
	cl->err_pid = 0;
	if (!isatty(STDERR_FILENO))
		return KG_OK;
	int p[2];
	ENSURE(pipe2(p, O_CLOEXEC) == 0, KG_ERR_SYSTEM);
	int flags = KG_TERM_ESC_LINES | (kg_term_locale_utf8() ? KG_TERM_ESC_UTF8 : 0);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return KG_ERR_SYSTEM;
	}
	if (pid == 0) {
		/* Ctrl-C reaches the whole group: the filter stays to pass on
		 * what is left and ends when every writer has gone. */
		signal(SIGINT, SIG_IGN);
		close(p[1]);
		filter_loop(p[0], flags);
		_exit(0);
	}
	close(p[0]);
	cl->err_fd = p[1];
	cl->err_pid = pid;
	return KG_OK;
}

void kg_scp_stderr_finish(kg_scp_client *cl)
{
	if (cl->err_pid <= 0)
		return;
	close(cl->err_fd);
	cl->err_fd = STDERR_FILENO;
	while (waitpid(cl->err_pid, NULL, 0) < 0 && errno == EINTR)
		;
	cl->err_pid = 0;
}
