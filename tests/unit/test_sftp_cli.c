/* Exercises src/sftp/sftp-cli-cmds.c and src/sftp/sftp-cli-loop.c (with
 * src/sftp/sftp-server.c's run loop and src/sftp/sftp-server-ext.c's
 * extensions on the far end): ksftp's commands run through the interpreter
 * against an SFTP server in a forked child, joined by a socketpair, on a
 * temporary directory; their output, their effect on the files, batch
 * mode, a connection that goes away, and OpenSSH's extensions. */
#include <pwd.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "t.h"
#include "fdcap.h"
#include "sftp/sftp-cli.h"
#include "sftp/sftp-client.h"
#include "sftp/sftp-server.h"

static char tmpdir[64];
static char real_tmp[PATH_MAX];
static int saved_cwd = -1;

static void enter_tmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kg-sftpcli.XXXXXX");
	if (!mkdtemp(tmpdir) || !realpath(tmpdir, real_tmp))
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

/* ---- the server in a child, the client on a socketpair ---- */

typedef struct peer {
	int fd;
	pid_t pid;
} peer;

static int fd_write(void *arg, const void *data, size_t len)
{
	peer *p = arg;
	const char *d = data;
	while (len > 0) {
		ssize_t n = write(p->fd, d, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return KG_ERR_CLOSED;
		d += n;
		len -= (size_t)n;
	}
	return KG_OK;
}

static int fd_read(void *arg, void *buf, size_t len, size_t *got)
{
	peer *p = arg;
	for (;;) {
		ssize_t n = read(p->fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return KG_ERR_SYSTEM;
		*got = (size_t)n;
		return KG_OK;
	}
}

/* Forks the server (not confined: the interpreter sends absolute paths)
 * in the current directory. */
static int start_server(peer *p)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fflush(NULL);
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		close(sv[0]);
		kg_sftp_server srv;
		kg_sftp_server_opts so = { 0 };
		kg_sftp_server_init(&srv, &so);
		int r = kg_sftp_server_run(&srv, sv[1], sv[1]);
		kg_sftp_server_free(&srv);
		_exit(r < 0 ? 1 : 0);
	}
	close(sv[1]);
	p->fd = sv[0];
	return 0;
}

static int stop_server(peer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	int st;
	while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

typedef struct session {
	peer p;
	kg_sftp s;
	kg_sftp_cli c;
} session;

static int open_session(session *x, int quiet)
{
	memset(x, 0, sizeof(*x));
	x->p.fd = -1;
	if (start_server(&x->p) < 0)
		return -1;
	kg_sftp_io io = { .write = fd_write, .read = fd_read, .arg = &x->p };
	kg_sftp_opts co = { .block_size = 4096, .num_requests = 4 };
	if (kg_sftp_start(&x->s, &io, &co, NULL) < 0)
		return -1;
	x->c.quiet = quiet;
	return kg_sftp_cli_init(&x->c, &x->s);
}

static int close_session(session *x)
{
	kg_sftp_cli_free(&x->c);
	int r = kg_sftp_close(&x->s);
	int st = stop_server(&x->p);
	return r < 0 ? r : st;
}

/* Runs one line; *out and *err get what it printed (malloc'ed). */
static int line(session *x, const char *l, char **out, char **err)
{
	fdcap co, ce;
	if (cap_begin(&co, 1) < 0 || cap_begin(&ce, 2) < 0)
		abort();
	int r = kg_sftp_cli_line(&x->c, l);
	char *e = cap_end(&ce), *o = cap_end(&co);
	if (err)
		*err = e;
	else
		free(e);
	if (out)
		*out = o;
	else
		free(o);
	return r;
}

/* An absolute path under the remote working directory (malloc'ed). */
static char *cli_path(session *x, const char *name)
{
	char *p = NULL;
	if (kg_sftp_cli_abs(&x->c, name, &p) < 0)
		abort();
	return p;
}

/* ---- tests ---- */

static const char text[] = "one line of text\nand another\n";

static void test_files(void)
{
	session x;
	char *out, *err;
	enter_tmp();
	T_OK(open_session(&x, 1));
	T_ASSERT(strcmp(x.c.rcwd, real_tmp) == 0);

	T_ASSERT(line(&x, "pwd", &out, NULL) == KG_CLI_OK);
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "Remote working directory: %s\n", real_tmp);
	T_ASSERT(strcmp(out, want) == 0);
	free(out);

	T_OK(write_file("local.txt", text, sizeof(text) - 1));
	T_OK(write_file("a b.txt", "x", 1));
	T_ASSERT(line(&x, "mkdir d", NULL, NULL) == KG_CLI_OK);
	struct stat st;
	T_ASSERT(stat("d", &st) == 0 && S_ISDIR(st.st_mode));
	T_ASSERT(line(&x, "put local.txt d/up.txt", NULL, NULL) == KG_CLI_OK);
	T_ASSERT(same_file("local.txt", "d/up.txt"));
	/* quotes group a name with a blank */
	T_ASSERT(line(&x, "put \"a b.txt\" 'd/b c.txt'", NULL, NULL) == KG_CLI_OK);
	T_ASSERT(same_file("a b.txt", "d/b c.txt"));
	T_ASSERT(line(&x, "get d/up.txt down.txt", NULL, NULL) == KG_CLI_OK);
	T_ASSERT(same_file("local.txt", "down.txt"));

	/* one per line, sorted, shown under the directory named */
	T_ASSERT(line(&x, "ls -1 d", &out, NULL) == KG_CLI_OK);
	T_ASSERT(strcmp(out, "d/b c.txt\nd/up.txt\n") == 0);
	free(out);
	/* columns: 80 wide when stdout is no terminal */
	T_ASSERT(line(&x, "ls d", &out, NULL) == KG_CLI_OK);
	T_ASSERT(strcmp(out, "d/b c.txt  d/up.txt\n") == 0);
	free(out);
	/* long listing: the server's ls -l lines */
	T_ASSERT(line(&x, "ls -l d", &out, NULL) == KG_CLI_OK);
	T_ASSERT(strncmp(out, "-rw-r--r--", 10) == 0 && strstr(out, " b c.txt\n") && strstr(out, " up.txt\n"));
	T_ASSERT(strchr(strchr(out, '\n') + 1, '\n')[1] == '\0');  /* two lines */
	free(out);
	/* a glob */
	T_ASSERT(line(&x, "ls -1 d/u*", &out, NULL) == KG_CLI_OK);
	snprintf(want, sizeof(want), "%s/d/up.txt\n", real_tmp);
	T_ASSERT(strcmp(out, want) == 0);
	free(out);

	T_ASSERT(line(&x, "rename d/up.txt d/moved.txt", NULL, NULL) == KG_CLI_OK);
	T_ASSERT(stat("d/up.txt", &st) < 0 && same_file("local.txt", "d/moved.txt"));
	T_ASSERT(line(&x, "chmod 600 d/moved.txt", NULL, NULL) == KG_CLI_OK);
	T_ASSERT(stat("d/moved.txt", &st) == 0 && (st.st_mode & 07777) == 0600);
	T_ASSERT(line(&x, "ln -s moved.txt d/link", NULL, NULL) == KG_CLI_OK);
	char lt[64];
	ssize_t ll = readlink("d/link", lt, sizeof(lt));
	T_ASSERT(ll == 9 && memcmp(lt, "moved.txt", 9) == 0);

	/* cd changes where relative names go; cd to a file is refused */
	T_ASSERT(line(&x, "cd d", NULL, NULL) == KG_CLI_OK);
	snprintf(want, sizeof(want), "%s/d", real_tmp);
	T_ASSERT(strcmp(x.c.rcwd, want) == 0);
	T_ASSERT(line(&x, "cd moved.txt", NULL, &err) == KG_CLI_FAILED);
	T_ASSERT(strstr(err, "is not a directory") != NULL);
	free(err);
	T_ASSERT(strcmp(x.c.rcwd, want) == 0);
	T_ASSERT(line(&x, "rm link moved.txt 'b c.txt'", NULL, NULL) == KG_CLI_OK);
	T_ASSERT(lstat("d/link", &st) < 0 && stat("d/moved.txt", &st) < 0 && stat("d/b c.txt", &st) < 0);
	T_ASSERT(line(&x, "cd ..", NULL, NULL) == KG_CLI_OK);
	T_ASSERT(strcmp(x.c.rcwd, real_tmp) == 0);
	T_ASSERT(line(&x, "rmdir d", NULL, NULL) == KG_CLI_OK);
	T_ASSERT(stat("d", &st) < 0);

	T_ASSERT(line(&x, "version", &out, NULL) == KG_CLI_OK);
	T_ASSERT(strcmp(out, "SFTP protocol version 3\n") == 0);
	free(out);
	T_ASSERT(line(&x, "df", &out, NULL) == KG_CLI_OK);
	T_ASSERT(strncmp(out, "        Size ", 13) == 0 && strchr(out, '%'));
	free(out);
	T_ASSERT(line(&x, "bye", NULL, NULL) == KG_CLI_QUIT);
	T_ASSERT(close_session(&x) == 0);
	leave_tmp();
}

/* Wrong commands fail with OpenSSH's messages and change nothing. */
static void test_failures(void)
{
	session x;
	char *out, *err;
	enter_tmp();
	T_OK(open_session(&x, 0));
	static const struct { const char *line, *msg; } bad[] = {
		{ "frobnicate", "Invalid command." },
		{ "ls \"unterminated", "unbalanced quotes" },
		{ "get nothere", "/nothere: No such file" },
		{ "get nothere*", "File \"nothere*\" not found." },
		{ "put nothere", "No such file or directory" },
		{ "rm nothere", "/nothere: No such file" },
		{ "rmdir nothere", "No such file" },
		{ "chmod 99999 x", "Invalid number" },
		{ "rename onlyone", "usage: rename" },
		{ "mkdir", "usage: mkdir" },
		{ "cd nothere", "No such file" },
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(bad); i++) {
		int r = line(&x, bad[i].line, &out, &err);
		if (r != KG_CLI_FAILED || !strstr(err, bad[i].msg))
			fprintf(stderr, "%s -> %d, \"%s\"\n", bad[i].line, r, err);
		T_ASSERT(r == KG_CLI_FAILED && strstr(err, bad[i].msg) != NULL);
		/* nothing on stdout, but rm's "Removing" line (it is not quiet) */
		T_ASSERT(out[0] == '\0' || strncmp(bad[i].line, "rm ", 3) == 0);
		free(out);
		free(err);
	}
	/* a local file's failure names it once */
	T_ASSERT(line(&x, "put nothere", &out, &err) == KG_CLI_FAILED);
	T_ASSERT(strcmp(err, "nothere: No such file or directory\n") == 0);
	free(out);
	free(err);
	/* not quiet: transfers and removals say so */
	T_OK(write_file("f", "abc", 3));
	T_ASSERT(line(&x, "put f g", &out, NULL) == KG_CLI_OK);
	T_ASSERT(strstr(out, "Uploading") && strstr(out, "f"));
	free(out);
	T_ASSERT(line(&x, "rm g", &out, NULL) == KG_CLI_OK);
	T_ASSERT(strncmp(out, "Removing ", 9) == 0 && strstr(out, "/g\n"));
	free(out);
	/* a name with a terminal escape in it is not printed raw */
	T_OK(write_file("evil\033]0;t\007", "", 0));
	T_ASSERT(line(&x, "ls -1", &out, NULL) == KG_CLI_OK);
	T_ASSERT(strstr(out, "evil") && !strchr(out, '\033') && !strchr(out, '\007'));
	free(out);
	T_ASSERT(line(&x, "progress", &out, NULL) == KG_CLI_OK);
	T_ASSERT(strcmp(out, "Progress meter enabled\n") == 0 && x.c.show_progress == 1);
	free(out);
	/* the meter ends at 100% on a line of its own */
	T_ASSERT(line(&x, "get f h", NULL, &err) == KG_CLI_OK);
	T_ASSERT(strstr(err, "100%") && err[strlen(err) - 1] == '\n');
	free(err);
	T_ASSERT(close_session(&x) == 0);
	leave_tmp();
}

/* Batch input: echoed commands, '#' comments, '-' to go on after a
 * failure, '@' to stay silent, and a stop at the first failure. */
static void test_loop(void)
{
	session x;
	enter_tmp();
	T_OK(open_session(&x, 1));
	x.c.batch = 1;
	const char script[] = "# a comment\n\nmkdir one\n-rmdir nothere\n@mkdir two\nrmdir nothere\nmkdir three\n";
	FILE *in = fmemopen((void *)script, sizeof(script) - 1, "r");
	T_ASSERT(in != NULL);
	fdcap co, ce;
	T_OK(cap_begin(&co, 1));
	T_OK(cap_begin(&ce, 2));
	int status = kg_sftp_cli_loop(&x.c, in);
	char *err = cap_end(&ce), *out = cap_end(&co);
	fclose(in);
	T_ASSERT(status == 1);
	T_ASSERT(strcmp(out, "sftp> mkdir one\nsftp> rmdir nothere\nsftp> rmdir nothere\n") == 0);
	T_ASSERT(strstr(err, "No such file") != NULL);
	free(out);
	free(err);
	struct stat st;
	T_ASSERT(stat("one", &st) == 0 && stat("two", &st) == 0 && stat("three", &st) < 0);

	/* "bye" ends the input early with status 0 */
	const char s2[] = "mkdir four\nbye\nmkdir five\n";
	in = fmemopen((void *)s2, sizeof(s2) - 1, "r");
	T_OK(cap_begin(&co, 1));
	status = kg_sftp_cli_loop(&x.c, in);
	free(cap_end(&co));
	fclose(in);
	T_ASSERT(status == 0 && stat("four", &st) == 0 && stat("five", &st) < 0);
	T_ASSERT(close_session(&x) == 0);
	leave_tmp();
}

/* The server goes away: the next command reports it and the loop ends
 * with status 1 instead of running the rest. */
static void test_lost_connection(void)
{
	session x;
	enter_tmp();
	T_OK(open_session(&x, 1));
	/* end the server: shut its side down and reap it */
	T_ASSERT(shutdown(x.p.fd, SHUT_WR) == 0);
	int st;
	T_ASSERT(waitpid(x.p.pid, &st, 0) == x.p.pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	x.p.pid = -1;
	const char script[] = "mkdir one\nmkdir two\n";
	FILE *in = fmemopen((void *)script, sizeof(script) - 1, "r");
	signal(SIGPIPE, SIG_IGN);
	fdcap co, ce;
	T_OK(cap_begin(&co, 1));
	T_OK(cap_begin(&ce, 2));
	int status = kg_sftp_cli_loop(&x.c, in);
	char *err = cap_end(&ce), *out = cap_end(&co);
	fclose(in);
	T_ASSERT(status == 1 && strstr(err, "Connection closed") != NULL);
	T_ASSERT(strstr(out, "mkdir two") == NULL);
	free(out);
	free(err);
	struct stat sb;
	T_ASSERT(stat("one", &sb) < 0);
	kg_sftp_cli_free(&x.c);
	(void)!kg_sftp_close(&x.s);
	close(x.p.fd);
	leave_tmp();
}

/* OpenSSH's extensions that need an unconfined server: hardlink,
 * expand-path and home-directory, fsync, fstatvfs, copy-data. */
static void test_extensions(void)
{
	session x;
	enter_tmp();
	T_OK(open_session(&x, 1));
	uint32_t want = KG_SFTP_EXT_HARDLINK | KG_SFTP_EXT_EXPAND_PATH | KG_SFTP_EXT_HOME_DIR |
			KG_SFTP_EXT_FSYNC | KG_SFTP_EXT_FSTATVFS | KG_SFTP_EXT_COPY_DATA;
	T_ASSERT((x.s.exts & want) == want);
	T_OK(write_file("f", text, sizeof(text) - 1));
	char *abs_f = cli_path(&x, "f"), *abs_h = cli_path(&x, "h");
	T_OK(kg_sftp_hardlink(&x.s, abs_f, abs_h));
	struct stat st;
	T_ASSERT(stat("f", &st) == 0 && st.st_nlink == 2);
	T_ASSERT(kg_sftp_hardlink(&x.s, abs_f, abs_h) == KG_ERR_SYSTEM && x.s.remote_err);

	/* "~" is the login directory of the user the server runs as */
	struct passwd *pw = getpwuid(getuid());
	T_ASSERT(pw != NULL);
	char real_home[PATH_MAX];
	T_ASSERT(realpath(pw->pw_dir, real_home) != NULL);
	char *p;
	T_OK(kg_sftp_expand_path(&x.s, "~", &p));
	T_ASSERT(strcmp(p, real_home) == 0);
	free(p);
	T_OK(kg_sftp_home_directory(&x.s, "", &p));
	T_ASSERT(strcmp(p, pw->pw_dir) == 0);
	free(p);
	T_ASSERT(kg_sftp_home_directory(&x.s, "no-such-user-kg", &p) == KG_ERR_SYSTEM);
	T_ASSERT(x.s.status == SSH_FX_NO_SUCH_FILE);
	T_OK(kg_sftp_expand_path(&x.s, "f", &p));  /* relative: under the server's directory */
	T_ASSERT(strcmp(p, abs_f) == 0);
	free(p);

	/* copy-data: a range, then to the end, into a second file */
	kg_sftp_handle from, to;
	T_OK(kg_sftp_openf(&x.s, abs_f, SSH_FXF_READ, NULL, &from));
	char *abs_c = cli_path(&x, "c");
	T_OK(kg_sftp_openf(&x.s, abs_c, SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC, NULL, &to));
	/* a range past the end of the file is an error (what it copied is
	 * overwritten below) */
	T_ASSERT(kg_sftp_copy_data(&x.s, &from, 0, 1000, &to, 0) == KG_ERR_SYSTEM);
	T_ASSERT(x.s.status == SSH_FX_EOF);
	T_OK(kg_sftp_copy_data(&x.s, &from, 4, 4, &to, 0));    /* "line" */
	T_OK(kg_sftp_copy_data(&x.s, &from, 0, 0, &to, 4));    /* the whole file after it */
	/* overlapping ranges of one file are refused */
	T_ASSERT(kg_sftp_copy_data(&x.s, &to, 0, 4, &to, 2) == KG_ERR_SYSTEM);
	T_OK(kg_sftp_fsync(&x.s, &to));
	kg_sftp_vfs v;
	T_OK(kg_sftp_fstatvfs(&x.s, &to, &v));
	T_ASSERT(v.bsize > 0 && v.blocks > 0);
	T_OK(kg_sftp_closef(&x.s, &to));
	T_OK(kg_sftp_closef(&x.s, &from));
	size_t len;
	char *c = read_file("c", &len);
	T_ASSERT(c && len == 4 + sizeof(text) - 1 && memcmp(c, "line", 4) == 0 &&
		 memcmp(c + 4, text, sizeof(text) - 1) == 0);
	free(c);
	free(abs_f);
	free(abs_h);
	free(abs_c);
	T_ASSERT(close_session(&x) == 0);
	leave_tmp();
}

int main(void)
{
	T_RUN(test_files);
	T_RUN(test_failures);
	T_RUN(test_loop);
	T_RUN(test_lost_connection);
	T_RUN(test_extensions);
	return T_DONE();
}
