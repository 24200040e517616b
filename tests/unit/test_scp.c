/* Exercises src/scp/scp-io.c, src/scp/scp-file.c, src/scp/scp-sink.c and
 * src/scp/scp-source.c: the legacy scp protocol over pipe pairs, a source
 * in a forked child feeding a sink on temporary files (a file, a tree,
 * refused names, a short file, broken records). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "t.h"
#include "fdcap.h"
#include "scp/scp.h"
#include "scp/scp-proto.h"

static char tmpdir[64];
static int saved_cwd = -1;

static void enter_tmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kg-scp-test.XXXXXX");
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

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- scp-io ---- */

static void test_io(void)
{
	int p[2];
	T_ASSERT(pipe(p) == 0);
	kg_scp_io io;
	T_OK(kg_scp_io_init_fds(&io, p[0], -1));
	T_OK(put(p[1], "hello\nworld", 11));
	close(p[1]);
	char line[16];
	size_t len;
	T_OK(kg_scp_io_read_line(&io, line, sizeof(line), &len));
	T_ASSERT(len == 5 && strcmp(line, "hello") == 0);
	int ch;
	T_OK(kg_scp_io_getc(&io, &ch));
	T_ASSERT(ch == 'w');
	char four[4];
	T_OK(kg_scp_io_read_full(&io, four, 4));
	T_ASSERT(memcmp(four, "orld", 4) == 0);
	T_ASSERT(kg_scp_io_read_line(&io, line, sizeof(line), &len) == KG_ERR_CLOSED);
	T_OK(kg_scp_io_getc(&io, &ch));
	T_ASSERT(ch == -1);
	size_t got = 9;
	T_OK(kg_scp_io_read(&io, line, sizeof(line), &got));
	T_ASSERT(got == 0);
	kg_scp_io_free(&io);
	close(p[0]);

	/* a line over its cap; a stream that ends inside read_full */
	T_ASSERT(pipe(p) == 0);
	T_OK(kg_scp_io_init_fds(&io, p[0], -1));
	T_OK(put(p[1], "0123456789abcdef\nxy", 19));
	close(p[1]);
	T_ASSERT(kg_scp_io_read_line(&io, line, 8, &len) == KG_ERR_TOO_LARGE);
	T_ASSERT(kg_scp_io_read_line(&io, line, 0, &len) == KG_ERR_ARG);
	T_OK(kg_scp_io_read_line(&io, line, sizeof(line), &len));
	T_ASSERT(strcmp(line, "89abcdef") == 0);  /* the cut-off part was consumed */
	T_ASSERT(kg_scp_io_read_full(&io, four, 3) == KG_ERR_CLOSED);
	kg_scp_io_free(&io);
	close(p[0]);

	/* more than the read-ahead buffer, in pieces of any size */
	T_ASSERT(pipe(p) == 0);
	T_OK(kg_scp_io_init_fds(&io, p[0], p[1]));
	size_t big = 60000;
	uint8_t *d = malloc(big), *e = malloc(big);
	for (size_t i = 0; i < big; i++)
		d[i] = (uint8_t)(i * 31 + 7);
	T_OK(kg_scp_io_write(&io, d, big));
	T_OK(kg_scp_io_read_full(&io, e, 1));
	T_OK(kg_scp_io_read(&io, e + 1, 10, &got));
	T_ASSERT(got >= 1 && got <= 10);
	T_OK(kg_scp_io_read_full(&io, e + 1 + got, big - 1 - got));
	T_ASSERT(memcmp(d, e, big) == 0);
	free(d);
	free(e);
	/* writing to a pipe nobody reads: closed, not a signal */
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	T_ASSERT(kg_scp_io_write(&io, "x", 1) == KG_ERR_CLOSED);
	kg_scp_io_free(&io);
	close(p[1]);

	/* pacing: 40000 bytes at 200000 B/s take about 0.2 s; unlimited: none */
	kg_scp_io pio;
	T_OK(kg_scp_io_init_fds(&pio, -1, -1));
	double t0 = now_s();
	kg_scp_io_pace(&pio, 1u << 30);
	T_ASSERT(now_s() - t0 < 0.05);
	pio.limit_bps = 200000;
	t0 = now_s();
	kg_scp_io_pace(&pio, 20000);
	kg_scp_io_pace(&pio, 20000);
	double dt = now_s() - t0;
	T_ASSERT(dt >= 0.18 && dt < 1.0);
	kg_scp_io_free(&pio);
}

/* ---- scp-file ---- */

static void test_file_helpers(void)
{
	enter_tmp();
	char out[PATH_MAX];
	T_OK(kg_scp_partial_path("/a/b/c.txt", out, sizeof(out)));
	T_ASSERT(strcmp(out, "/a/b/.c.txt.part") == 0);
	T_OK(kg_scp_partial_path("c", out, sizeof(out)));
	T_ASSERT(strcmp(out, ".c.part") == 0);
	T_ASSERT(kg_scp_partial_path("dir/", out, sizeof(out)) == KG_ERR_ARG);
	T_ASSERT(kg_scp_partial_path("abcdef", out, 8) == KG_ERR_TOO_LARGE);
	/* a very long name stays within NAME_MAX */
	char lng[300];
	memset(lng, 'n', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	T_OK(kg_scp_partial_path(lng, out, sizeof(out)));
	T_ASSERT(strlen(out) <= NAME_MAX && out[0] == '.' && strcmp(out + strlen(out) - 5, ".part") == 0);

	/* partial files: a fresh one, one kept for resume, one replaced */
	int fd;
	uint64_t have;
	T_OK(kg_scp_open_partial(".p.part", 0, 0600, &fd, &have));
	T_ASSERT(fd >= 0 && have == 0 && put(fd, "12345", 5) == 0);
	close(fd);
	T_OK(kg_scp_open_partial(".p.part", 1, 0600, &fd, &have));
	T_ASSERT(fd >= 0 && have == 5);
	close(fd);
	T_OK(kg_scp_open_partial(".p.part", 0, 0600, &fd, &have));
	struct stat st;
	T_ASSERT(fd >= 0 && have == 0 && fstat(fd, &st) == 0 && st.st_size == 0);
	close(fd);
	/* a partial file with a second link is not ours alone: not resumed */
	T_OK(write_file(".q.part", "abc", 3));
	T_ASSERT(link(".q.part", "other-link") == 0);
	T_OK(kg_scp_open_partial(".q.part", 1, 0600, &fd, &have));
	T_ASSERT(fd >= 0 && have == 0);
	close(fd);
	size_t ol;
	char *od = read_file("other-link", &ol);
	T_ASSERT(od && ol == 3);  /* the other name's data is untouched */
	free(od);

	/* targets: a symlink to a file is followed, a dangling one replaced,
	 * a folder refused, a device written in place */
	int direct;
	T_OK(write_file("real", "r", 1));
	T_ASSERT(symlink("real", "ln") == 0 && symlink("missing", "dangle") == 0 && mkdir("dir", 0755) == 0);
	T_OK(kg_scp_resolve_target("ln", out, sizeof(out), &direct));
	char rp[PATH_MAX];
	T_ASSERT(realpath("real", rp) && strcmp(out, rp) == 0 && direct == 0);
	T_OK(kg_scp_resolve_target("dangle", out, sizeof(out), &direct));
	T_ASSERT(strcmp(out, "dangle") == 0 && direct == 0);
	T_OK(kg_scp_resolve_target("new", out, sizeof(out), &direct));
	T_ASSERT(strcmp(out, "new") == 0 && direct == 0);
	errno = 0;
	T_ASSERT(kg_scp_resolve_target("dir", out, sizeof(out), &direct) == KG_ERR_SYSTEM && errno == EISDIR);
	T_OK(kg_scp_resolve_target("/dev/null", out, sizeof(out), &direct));
	T_ASSERT(direct == 1);
	T_ASSERT(kg_scp_resolve_target("new", out, 3, &direct) == KG_ERR_TOO_LARGE);

	/* private keys are recognised by their armour */
	const char key[] = "-----BEGIN OPENSSH PRIVATE KEY-----\n"
			   "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
			   "-----END OPENSSH PRIVATE KEY-----\n";
	T_OK(write_file("id_test", key, sizeof(key) - 1));
	T_ASSERT(kg_scp_is_private_key("id_test") == 1);
	T_ASSERT(kg_scp_is_private_key("real") == 0 && kg_scp_is_private_key("nope") == 0);
	T_ASSERT(kg_scp_is_private_key("dir") == 0);
	fdcap c;
	T_OK(cap_begin(&c, 2));
	kg_scp_warn_private_key("prog", "id\033x");
	char *w = cap_end(&c);
	T_ASSERT(w && strstr(w, "prog: warning: id") && strstr(w, "is an SSH private key") && !strchr(w, '\033'));
	free(w);
	leave_tmp();
}

/* Error records and replies between two kg_scp over a pipe. */
static void test_records(void)
{
	int p[2];
	T_ASSERT(pipe(p) == 0);
	kg_scp_io io;
	kg_scp s;
	T_OK(kg_scp_io_init_fds(&io, p[0], p[1]));
	T_OK(kg_scp_init(&s, &io, "prog"));
	s.remote = 1;
	/* a message with a newline would end the record early: escaped */
	kg_scp_error(&s, "bad %s", "na\nme");
	T_ASSERT(s.errors == 1);
	char line[256];
	size_t len;
	int ch;
	T_OK(kg_scp_io_getc(&io, &ch));
	T_ASSERT(ch == 1);
	T_OK(kg_scp_io_read_line(&io, line, sizeof(line), &len));
	T_ASSERT(strncmp(line, "prog: bad na", 12) == 0 && !strchr(line, '\n') && strstr(line, "me"));
	/* replies: ok, a reported error, a fatal one, junk, the end */
	T_OK(put(p[1], "\0\001soft\n\002hard\nXjunk\n", 19));
	T_ASSERT(kg_scp_response(&s) == 0);
	T_ASSERT(kg_scp_response(&s) == 1);
	T_ASSERT(kg_scp_response(&s) == KG_ERR_PROTOCOL);
	T_ASSERT(kg_scp_response(&s) == KG_ERR_PROTOCOL);
	T_ASSERT(s.errors == 4);
	/* not remote: the message goes to stderr too, escaped */
	s.remote = 0;
	fdcap c;
	T_OK(put(p[1], "\001a\033b\n", 5));
	T_OK(cap_begin(&c, 2));
	int r = kg_scp_response(&s);
	char *err = cap_end(&c);
	T_ASSERT(r == 1 && err && strstr(err, "a\\033b\n"));
	free(err);
	close(p[1]);
	T_OK(cap_begin(&c, 2));
	r = kg_scp_response(&s);
	err = cap_end(&c);
	T_ASSERT(r == KG_ERR_CLOSED && err && strstr(err, "prog: lost connection"));
	free(err);
	kg_scp_free(&s);
	kg_scp_io_free(&io);
	close(p[0]);
}

/* ---- source into sink ---- */

typedef struct xfer_opts {
	int recursive, preserve, expect_single, no_name_check;
	const char *expect;
} xfer_opts;

typedef struct xfer_result {
	int sink_r, sink_errors;
	int source_status;   /* 0 ok, 1 files failed, 2 protocol broke */
	char *sink_err;      /* what the sink printed on stderr */
} xfer_result;

/* Runs kg_scp_source(paths) in a child and kg_scp_sink(target) here. */
static int transfer(char *const *paths, size_t n, const char *target, const xfer_opts *o, xfer_result *res)
{
	int a2b[2], b2a[2];
	if (pipe(a2b) < 0 || pipe(b2a) < 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(a2b[0]);
		close(b2a[1]);
		kg_scp_io io;
		kg_scp s;
		int st = 2;
		if (kg_scp_io_init_fds(&io, b2a[0], a2b[1]) == 0 && kg_scp_init(&s, &io, "src") == 0) {
			s.remote = 1;
			s.recursive = o->recursive;
			s.preserve = o->preserve;
			int r = kg_scp_source(&s, paths, n);
			st = r < 0 ? 2 : s.errors ? 1 : 0;
			kg_scp_free(&s);
		}
		kg_scp_io_free(&io);
		_exit(st);
	}
	close(a2b[1]);
	close(b2a[0]);
	kg_scp_io io;
	kg_scp s;
	fdcap c;
	if (kg_scp_io_init_fds(&io, a2b[0], b2a[1]) < 0 || kg_scp_init(&s, &io, "sink") < 0 || cap_begin(&c, 2) < 0)
		return -1;
	s.recursive = o->recursive;
	s.preserve = o->preserve;
	s.expect = o->expect;
	s.expect_single = o->expect_single;
	s.no_name_check = o->no_name_check;
	res->sink_r = kg_scp_sink(&s, target);
	res->sink_err = cap_end(&c);
	res->sink_errors = s.errors;
	kg_scp_free(&s);
	kg_scp_io_free(&io);
	close(a2b[0]);
	close(b2a[1]);
	res->source_status = wait_status(pid);
	return 0;
}

static void test_copy_file(void)
{
	enter_tmp();
	size_t sz = KG_SCP_CHUNK + 12345;  /* more than one chunk */
	uint8_t *d = pattern(sz, 13);
	T_OK(write_file("src.bin", d, sz));
	free(d);
	T_ASSERT(chmod("src.bin", 0640) == 0);
	struct timespec ts[2] = { { 1000000000, 0 }, { 1100000000, 0 } };
	T_ASSERT(utimensat(AT_FDCWD, "src.bin", ts, 0) == 0);
	T_ASSERT(mkdir("out", 0755) == 0);
	char *paths[] = { "src.bin" };
	xfer_opts o = { .preserve = 1 };
	xfer_result r;
	T_OK(transfer(paths, 1, "out", &o, &r));
	T_ASSERT(r.sink_r == KG_OK && r.sink_errors == 0 && r.source_status == 0 && r.sink_err[0] == '\0');
	free(r.sink_err);
	T_ASSERT(same_file("src.bin", "out/src.bin"));
	struct stat st;
	T_ASSERT(stat("out/src.bin", &st) == 0 && (st.st_mode & 07777) == 0640 && st.st_mtime == 1100000000);
	T_ASSERT(stat("out/.src.bin.part", &st) < 0);

	/* into a file name; an existing file keeps its mode without -p */
	T_OK(write_file("named", "old", 3));
	T_ASSERT(chmod("named", 0600) == 0);
	xfer_opts plain = { 0 };
	T_OK(transfer(paths, 1, "named", &plain, &r));
	T_ASSERT(r.sink_r == KG_OK && r.sink_errors == 0 && r.source_status == 0);
	free(r.sink_err);
	T_ASSERT(same_file("src.bin", "named") && stat("named", &st) == 0 && (st.st_mode & 07777) == 0600);

	/* an empty file, and a missing one: the copy goes on past it */
	T_OK(write_file("empty", "", 0));
	char *two[] = { "missing", "empty" };
	T_OK(transfer(two, 2, "out", &plain, &r));
	T_ASSERT(r.sink_r == KG_OK && r.sink_errors == 1 && r.source_status == 1);
	T_ASSERT(strstr(r.sink_err, "missing") != NULL);
	free(r.sink_err);
	T_ASSERT(stat("out/empty", &st) == 0 && st.st_size == 0 && stat("out/missing", &st) < 0);

	/* a folder target that is not a folder, with -d */
	kg_scp_io io;
	kg_scp s;
	T_OK(kg_scp_io_init_fds(&io, -1, -1));
	T_OK(kg_scp_init(&s, &io, "sink"));
	s.remote = 1;
	s.io = NULL;  /* nobody to tell: only the result matters here */
	s.target_dir = 1;
	T_ASSERT(kg_scp_sink(&s, "named") == KG_ERR_ARG && s.errors == 1);
	kg_scp_free(&s);
	kg_scp_io_free(&io);
	leave_tmp();
}

static void test_copy_tree(void)
{
	enter_tmp();
	T_ASSERT(mkdir("tree", 0755) == 0 && mkdir("tree/sub", 0700) == 0 && mkdir("tree/sub/deeper", 0755) == 0);
	uint8_t *d = pattern(5000, 7);
	T_OK(write_file("tree/a", d, 5000));
	T_OK(write_file("tree/sub/b c", d, 100));
	T_OK(write_file("tree/sub/deeper/e", "", 0));
	free(d);
	T_ASSERT(mkdir("out", 0755) == 0);
	char *paths[] = { "tree" };
	xfer_opts o = { .recursive = 1 };
	xfer_result r;
	T_OK(transfer(paths, 1, "out", &o, &r));
	T_ASSERT(r.sink_r == KG_OK && r.sink_errors == 0 && r.source_status == 0);
	free(r.sink_err);
	T_ASSERT(same_file("tree/a", "out/tree/a") && same_file("tree/sub/b c", "out/tree/sub/b c"));
	struct stat st;
	T_ASSERT(stat("out/tree/sub/deeper/e", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
	T_ASSERT(stat("out/tree/sub", &st) == 0 && (st.st_mode & 0777) == 0700);

	/* "tree/." is sent under the folder's own name */
	char *dot[] = { "tree/." };
	T_ASSERT(mkdir("out2", 0755) == 0);
	T_OK(transfer(dot, 1, "out2", &o, &r));
	T_ASSERT(r.sink_r == KG_OK && r.sink_errors == 0);
	free(r.sink_err);
	T_ASSERT(same_file("tree/a", "out2/tree/a"));

	/* without -r the source skips a folder */
	xfer_opts flat = { 0 };
	T_ASSERT(mkdir("out3", 0755) == 0);
	T_OK(transfer(paths, 1, "out3", &flat, &r));
	T_ASSERT(r.sink_r == KG_OK && r.sink_errors == 1 && r.source_status == 1);
	T_ASSERT(strstr(r.sink_err, "not a regular file") != NULL);
	free(r.sink_err);
	T_ASSERT(stat("out3/tree", &st) < 0);
	leave_tmp();
}

/* Feeds raw source bytes to a sink in this process; returns the sink's
 * result, and in *reply what it sent back (malloc'ed, each NUL as '.'). */
static int raw_sink(const void *in, size_t inlen, const char *target, const xfer_opts *o, int *errors,
		    char **reply)
{
	int a2b[2], b2a[2];
	if (pipe(a2b) < 0 || pipe(b2a) < 0 || put(a2b[1], in, inlen) < 0)
		return -100;
	close(a2b[1]);
	kg_scp_io io;
	kg_scp s;
	if (kg_scp_io_init_fds(&io, a2b[0], b2a[1]) < 0 || kg_scp_init(&s, &io, "sink") < 0)
		return -100;
	s.remote = 1;
	s.recursive = o->recursive;
	s.expect = o->expect;
	s.expect_single = o->expect_single;
	int r = kg_scp_sink(&s, target);
	*errors = s.errors;
	kg_scp_free(&s);
	kg_scp_io_free(&io);
	close(a2b[0]);
	close(b2a[1]);
	size_t n;
	*reply = drain(b2a[0], &n);
	close(b2a[0]);
	/* acknowledgements (NUL bytes) shown as '.', so the reply reads as text */
	for (size_t i = 0; i < n; i++)
		if ((*reply)[i] == '\0')
			(*reply)[i] = '.';
	return r;
}

/* 1 if dir holds nothing at all. */
static int empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return d && n == 0;
}

/* A peer's names that could leave the target folder, or that were not
 * asked for, end the copy before anything is created. */
static void test_refused_names(void)
{
	enter_tmp();
	T_ASSERT(mkdir("out", 0755) == 0);
#define RAW(x) { x, sizeof(x) - 1 }
	static const struct { const char *d; size_t n; } bad[] = {
		RAW("C0644 3 ..\nabc\0"), RAW("C0644 3 .\nabc\0"), RAW("C0644 3 a/b\nabc\0"),
		RAW("C0644 3 \nabc\0"), RAW("D0755 0 ..\nE\n"), RAW("D0755 0 ../up\nE\n"),
		RAW("C0644 3 /etc/x\nabc\0"),
		/* a bad name one level down */
		RAW("D0755 0 d\nC0644 3 ../../esc\nabc\0E\n"),
	};
	xfer_opts o = { .recursive = 1 };
	for (size_t i = 0; i < KG_ARRAY_LEN(bad); i++) {
		int errors;
		char *reply;
		int r = raw_sink(bad[i].d, bad[i].n, "out", &o, &errors, &reply);
		if (r != KG_ERR_PROTOCOL || !strstr(reply, i == 3 ? "protocol error" : "refusing"))
			fprintf(stderr, "name case %zu: %d \"%s\"\n", i, r, reply);
		T_ASSERT(r == KG_ERR_PROTOCOL && errors >= 1 && reply[0] == '.');
		/* an empty name does not even parse as a record */
		T_ASSERT(strstr(reply + 1, i == 3 ? "protocol error" : "refusing") != NULL);
		free(reply);
		struct stat st;
		T_ASSERT(stat("esc", &st) < 0 && stat("up", &st) < 0 && stat("abc", &st) < 0);
		if (i < 7)
			T_ASSERT(empty_dir("out"));
		rm_tree("out/d");
	}
	/* names the user did not ask for */
	const char other[] = "C0644 3 other\nabc";
	xfer_opts want = { .expect = "wanted" };
	int errors;
	char *reply;
	T_ASSERT(raw_sink(other, sizeof(other), "out", &want, &errors, &reply) == KG_ERR_PROTOCOL);
	T_ASSERT(strstr(reply, "not asked for") != NULL && empty_dir("out"));
	free(reply);
	xfer_opts glob = { .expect = "*.txt" };
	const char okname[] = "C0644 3 a.txt\nabc";
	T_ASSERT(raw_sink(okname, sizeof(okname), "out", &glob, &errors, &reply) == KG_OK && errors == 0);
	free(reply);
	size_t al;
	char *ad = read_file("out/a.txt", &al);
	T_ASSERT(ad && al == 3 && memcmp(ad, "abc", 3) == 0);
	free(ad);
	const char twofiles[] = "C0644 1 a.txt\nx\0C0644 1 b.txt\ny";
	xfer_opts single = { .expect = "*.txt", .expect_single = 1 };
	T_ASSERT(raw_sink(twofiles, sizeof(twofiles), "out", &single, &errors, &reply) == KG_ERR_PROTOCOL);
	T_ASSERT(strstr(reply, "more than the one file") != NULL);
	free(reply);
	struct stat st;
	T_ASSERT(stat("out/b.txt", &st) < 0);
	/* a folder without -r */
	xfer_opts flat = { 0 };
	const char dir[] = "D0755 0 d\nE\n";
	T_ASSERT(raw_sink(dir, sizeof(dir) - 1, "out", &flat, &errors, &reply) == KG_ERR_PROTOCOL);
	T_ASSERT(strstr(reply, "without -r") != NULL && stat("out/d", &st) < 0);
	free(reply);
	leave_tmp();
}

/* A stream that ends inside a file, records that are broken, and a source
 * that reports its own failure: no target is created or replaced. */
static void test_short_and_broken(void)
{
	enter_tmp();
	T_OK(write_file("keep", "old", 3));
	xfer_opts o = { .recursive = 1 };
	int errors;
	char *reply;
	struct stat st;
	/* 10 of 100 bytes, then the end */
	const char shortf[] = "C0644 100 keep\n0123456789";
	T_ASSERT(raw_sink(shortf, sizeof(shortf) - 1, "keep", &o, &errors, &reply) == KG_ERR_CLOSED);
	free(reply);
	size_t len;
	char *k = read_file("keep", &len);
	T_ASSERT(k && len == 3 && memcmp(k, "old", 3) == 0);
	free(k);
	T_ASSERT(stat(".keep.part", &st) < 0);
	/* every byte there, but no final status from the source */
	const char nostatus[] = "C0644 3 keep\nnew";
	T_ASSERT(raw_sink(nostatus, sizeof(nostatus) - 1, "keep", &o, &errors, &reply) == KG_ERR_CLOSED);
	free(reply);
	T_ASSERT((k = read_file("keep", &len)) && memcmp(k, "old", 3) == 0);
	free(k);
	T_ASSERT(stat(".keep.part", &st) < 0);
	/* the source failed to read its file after sending the bytes: counted,
	 * the copy goes on, and the target keeps its old contents */
	const char srcfail[] = "C0644 3 keep\nnew\001src: read error\n";
	T_ASSERT(raw_sink(srcfail, sizeof(srcfail) - 1, "keep", &o, &errors, &reply) == KG_OK);
	T_ASSERT(errors == 1 && stat(".keep.part", &st) < 0);
	free(reply);
	T_ASSERT((k = read_file("keep", &len)) && len == 3 && memcmp(k, "old", 3) == 0);
	free(k);
	/* a good copy replaces it, with the times of a T record */
	const char good[] = "T1200000000 0 1200000000 0\nC0644 3 keep\nnew";
	T_ASSERT(raw_sink(good, sizeof(good), "keep", &o, &errors, &reply) == KG_OK && errors == 0);
	free(reply);
	k = read_file("keep", &len);
	T_ASSERT(k && len == 3 && memcmp(k, "new", 3) == 0);
	free(k);
	T_ASSERT(stat("keep", &st) == 0 && st.st_mtime == 1200000000);

	/* broken records */
	static const struct { const char *in; int want; } broken[] = {
		{ "X what\n", KG_ERR_PROTOCOL },
		{ "E\n", KG_ERR_PROTOCOL },              /* an end with no folder open */
		{ "\n", KG_ERR_PROTOCOL },
		{ "C0644 3 keep", KG_ERR_CLOSED },       /* a record cut short */
		{ "C0644 x keep\n", KG_ERR_PROTOCOL },
		{ "C99999 3 keep\n", KG_ERR_PROTOCOL },
		{ "T12 0\n", KG_ERR_PROTOCOL },
		{ "D0755 0 d\n", KG_ERR_CLOSED },        /* a folder never ended */
		{ "\002fatal from the source\n", KG_ERR_PROTOCOL },
	};
	T_ASSERT(mkdir("out", 0755) == 0);
	for (size_t i = 0; i < KG_ARRAY_LEN(broken); i++) {
		int r = raw_sink(broken[i].in, strlen(broken[i].in), "out", &o, &errors, &reply);
		if (r != broken[i].want)
			fprintf(stderr, "record %zu: %d\n", i, r);
		T_ASSERT(r == broken[i].want);
		free(reply);
	}
	/* a soft error record is counted and the copy goes on */
	const char soft[] = "\001src: one file failed\nC0644 1 f\nx";
	T_ASSERT(raw_sink(soft, sizeof(soft), "out", &o, &errors, &reply) == KG_OK && errors == 1);
	free(reply);
	T_ASSERT(stat("out/f", &st) == 0);
	/* a record longer than the cap */
	size_t big = KG_SCP_LINE_MAX + 10;
	char *huge = malloc(big + 1);
	memset(huge, 'a', big);
	memcpy(huge, "C0644 1 ", 8);
	huge[big - 1] = '\n';
	int r = raw_sink(huge, big, "out", &o, &errors, &reply);
	T_ASSERT(r < 0);
	free(reply);
	free(huge);
	leave_tmp();
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	T_RUN(test_io);
	T_RUN(test_file_helpers);
	T_RUN(test_records);
	T_RUN(test_copy_file);
	T_RUN(test_copy_tree);
	T_RUN(test_refused_names);
	T_RUN(test_short_and_broken);
	return T_DONE();
}
