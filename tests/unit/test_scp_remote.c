/* Exercises src/scp/scp-remote.c and src/scp/scp-stderr.c: "kscp -t/-f"
 * on its stdin and stdout (pipes to a forked child) as both ends of a copy
 * and with bad arguments, and the filter that escapes remote stderr when
 * stderr is a terminal (a pty). */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include "t.h"
#include "fdcap.h"
#include "scp/scp.h"
#include "scp/scp-client.h"

static char tmpdir[64];
static int saved_cwd = -1;

static void enter_tmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kg-scprem-test.XXXXXX");
	if (!mkdtemp(tmpdir))
		abort();
	saved_cwd = open(".", O_RDONLY | O_DIRECTORY);
	if (saved_cwd < 0 || chdir(tmpdir) < 0)
		abort();
}

static void leave_tmp(void)
{
	if (fchdir(saved_cwd) < 0)
		abort();
	close(saved_cwd);
	rm_tree(tmpdir);
}

/* ---- kscp -t / -f ---- */

/* Runs kg_scp_remote_main(argv) in a child on pipes: *to_child is its
 * stdin, *from_child its stdout. */
static pid_t remote_child(char **argv, int argc, int *to_child, int *from_child)
{
	int in[2], out[2];
	if (pipe(in) < 0 || pipe(out) < 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(100);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		_exit(kg_scp_remote_main(argc, argv));
	}
	close(in[0]);
	close(out[1]);
	*to_child = in[1];
	*from_child = out[0];
	return pid;
}

static void test_remote(void)
{
	enter_tmp();
	uint8_t *d = pattern(70000, 3);
	T_OK(write_file("f", d, 70000));
	free(d);
	T_ASSERT(mkdir("in", 0755) == 0 && mkdir("tree", 0755) == 0);
	T_OK(write_file("tree/x", "xx", 2));

	/* kscp -t in: this process is the source */
	char *targv[] = { "kscp", "-r", "-t", "--", "in", NULL };
	int w, rd;
	pid_t pid = remote_child(targv, 5, &w, &rd);
	T_ASSERT(pid > 0);
	kg_scp_io io;
	kg_scp s;
	T_OK(kg_scp_io_init_fds(&io, rd, w));
	T_OK(kg_scp_init(&s, &io, "test"));
	s.recursive = 1;
	char *paths[] = { "f", "tree" };
	T_OK(kg_scp_source(&s, paths, 2));
	T_ASSERT(s.errors == 0);
	kg_scp_free(&s);
	kg_scp_io_free(&io);
	close(w);
	close(rd);
	T_ASSERT(wait_status(pid) == 0);
	T_ASSERT(same_file("f", "in/f") && same_file("tree/x", "in/tree/x"));

	/* kscp -f f: this process is the sink */
	char *fargv[] = { "kscp", "-f", "f", NULL };
	pid = remote_child(fargv, 3, &w, &rd);
	T_OK(kg_scp_io_init_fds(&io, rd, w));
	T_OK(kg_scp_init(&s, &io, "test"));
	T_OK(kg_scp_sink(&s, "back"));
	T_ASSERT(s.errors == 0);
	kg_scp_free(&s);
	kg_scp_io_free(&io);
	close(w);
	close(rd);
	T_ASSERT(wait_status(pid) == 0);
	T_ASSERT(same_file("f", "back"));

	/* -f of a missing file: an error record, exit status 1 */
	char *margv[] = { "kscp", "-f", "nothere", NULL };
	pid = remote_child(margv, 3, &w, &rd);
	T_ASSERT(put(w, "", 1) == 0);
	close(w);
	char *out = drain(rd, NULL);
	close(rd);
	T_ASSERT(wait_status(pid) == 1);
	T_ASSERT(out[0] == '\001' && strstr(out, "kscp: nothere: No such file") != NULL);
	free(out);

	/* neither -t nor -f; two targets for -t */
	char *nargv[] = { "kscp", "-r", "x", NULL };
	pid = remote_child(nargv, 3, &w, &rd);
	close(w);
	out = drain(rd, NULL);
	close(rd);
	T_ASSERT(wait_status(pid) == 1 && out[0] == '\001' && strstr(out, "exactly one of -t and -f"));
	free(out);
	char *aargv[] = { "kscp", "-t", "a", "b", NULL };
	pid = remote_child(aargv, 4, &w, &rd);
	close(w);
	out = drain(rd, NULL);
	close(rd);
	T_ASSERT(wait_status(pid) == 1 && out[0] == '\001' && strstr(out, "ambiguous target"));
	free(out);
	leave_tmp();
}

/* ---- the remote stderr filter ---- */

static void test_stderr_filter(void)
{
	/* stderr is no terminal (a file): nothing is started, bytes pass */
	kg_scp_client cl;
	memset(&cl, 0, sizeof(cl));
	fdcap c;
	T_OK(cap_begin(&c, 2));
	int r = kg_scp_stderr_start(&cl);
	int fd = cl.err_fd;
	pid_t epid = cl.err_pid;
	kg_scp_stderr_finish(&cl);
	free(cap_end(&c));
	T_ASSERT(r == KG_OK && fd == STDERR_FILENO && epid == 0);

	/* on a terminal: a child whose stderr is a pty writes through the
	 * filter; the other end must see escapes, not control sequences */
	int master, slave;
	T_ASSERT(openpty(&master, &slave, NULL, NULL, NULL) == 0);
	struct termios tio;
	T_ASSERT(tcgetattr(slave, &tio) == 0);
	cfmakeraw(&tio);
	T_ASSERT(tcsetattr(slave, TCSANOW, &tio) == 0);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(master);
		if (dup2(slave, 2) < 0)
			_exit(100);
		close(slave);
		kg_scp_client k;
		memset(&k, 0, sizeof(k));
		if (kg_scp_stderr_start(&k) < 0 || k.err_pid <= 0 || k.err_fd == STDERR_FILENO)
			_exit(101);
		const char msg[] = "ok\033[2J\033]0;title\007\x9b" "1m\r\n\tend\n";
		if (put(k.err_fd, msg, sizeof(msg) - 1) < 0)
			_exit(102);
		kg_scp_stderr_finish(&k);
		_exit(k.err_pid == 0 && k.err_fd == STDERR_FILENO ? 0 : 103);
	}
	close(slave);
	char buf[1024];
	size_t n = 0;
	for (;;) {
		ssize_t got = read(master, buf + n, sizeof(buf) - 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;  /* EIO once the last writer is gone */
		n += (size_t)got;
	}
	buf[n] = '\0';
	close(master);
	T_ASSERT(wait_status(pid) == 0);
	T_ASSERT(strstr(buf, "ok\\033[2J\\033]0;title\\007") != NULL);
	T_ASSERT(strstr(buf, "\\2331m") != NULL);            /* C1 CSI, escaped */
	T_ASSERT(strstr(buf, "\\015\n\tend\n") != NULL);     /* newline and tab stay */
	T_ASSERT(strchr(buf, '\033') == NULL && strchr(buf, '\007') == NULL && strchr(buf, '\r') == NULL);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	T_RUN(test_remote);
	T_RUN(test_stderr_filter);
	return T_DONE();
}
