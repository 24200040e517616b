/* Exercises src/scp/scp-conn.c, src/scp/scp-sftp.c and src/scp/scp-client.c:
 * kscp's remote commands started through a -S transport program (a shell
 * script standing in for ssh that runs the command here, with this test
 * binary as the SFTP server or as "scp -t/-f"), the copy directions over
 * SFTP on temporary files, the errors that count as connection failures,
 * and the operand helpers.  No network and no ssh. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "t.h"
#include "fdcap.h"
#include "scp/scp.h"
#include "scp/scp-client.h"
#include "sftp/sftp-server.h"

static char tmpdir[64];
static char fake_ssh[128], args_file[160];
static int saved_cwd = -1;

/* The stand-in for ssh: records its arguments one per line, then runs the
 * subsystem (-s) or the command (its last argument) on this machine, with
 * a "scp" on PATH that is this test binary. */
static const char fake_script[] =
	"#!/bin/sh\n"
	"printf '%s\\n' \"$@\" > \"$0.args\"\n"
	"sub=\n"
	"for a in \"$@\"; do [ \"$a\" = -s ] && sub=1; last=$a; done\n"
	"[ \"$FAKE_FAIL\" ] && { echo \"fake: cannot connect\" >&2; exit 255; }\n"
	"[ \"$sub\" ] && exec \"$KG_TEST_SELF\" --sftp-server\n"
	"PATH=\"$KG_TEST_BIN:$PATH\" exec sh -c \"$last\"\n";

static void enter_tmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kg-scpcl-test.XXXXXX");
	if (!mkdtemp(tmpdir))
		abort();
	saved_cwd = open(".", O_RDONLY | O_DIRECTORY);
	if (saved_cwd < 0 || chdir(tmpdir) < 0)
		abort();
	snprintf(fake_ssh, sizeof(fake_ssh), "%s/fake-ssh", tmpdir);
	snprintf(args_file, sizeof(args_file), "%s.args", fake_ssh);
	char bin[128], self[PATH_MAX], scp[160];
	snprintf(bin, sizeof(bin), "%s/bin", tmpdir);
	snprintf(scp, sizeof(scp), "%s/scp", bin);
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || write_file(fake_ssh, fake_script, sizeof(fake_script) - 1) < 0 || chmod(fake_ssh, 0755) < 0 ||
	    mkdir(bin, 0755) < 0)
		abort();
	self[n] = '\0';
	if (symlink(self, scp) < 0 || setenv("KG_TEST_SELF", self, 1) < 0 || setenv("KG_TEST_BIN", bin, 1) < 0)
		abort();
}

static void leave_tmp(void)
{
	if (fchdir(saved_cwd) < 0)
		abort();
	close(saved_cwd);
	rm_tree(tmpdir);
}

static void client_init(kg_scp_client *cl)
{
	memset(cl, 0, sizeof(*cl));
	cl->prog = "kscp";
	cl->ssh_program = fake_ssh;
	cl->err_fd = STDERR_FILENO;
	cl->args.config_file = "/dev/null";
	cl->home = tmpdir;
	cl->local_user = "nobody";
}

static void client_free(kg_scp_client *cl)
{
	kg_scp_conns_close(cl);
	kg_cli_args_free(&cl->args);
}

/* 1 if the fake ssh's argument list holds want (one argument a line, in
 * order, adjacent). */
static int args_have(const char *want)
{
	char *a = read_file(args_file, NULL);
	int ok = a && strstr(a, want) != NULL;
	free(a);
	return ok;
}

static void test_operand_helpers(void)
{
	char out[64];
	kg_scp_basename("dir/sub/", out, sizeof(out));
	T_ASSERT(strcmp(out, "sub") == 0);
	kg_scp_basename("file", out, sizeof(out));
	T_ASSERT(strcmp(out, "file") == 0);
	kg_scp_basename("/", out, sizeof(out));
	T_ASSERT(strcmp(out, "") == 0);  /* the root has no last component */
	kg_scp_basename("/a//", out, sizeof(out));
	T_ASSERT(strcmp(out, "a") == 0);
	kg_scp_basename("x/averylongname", out, 5);
	T_ASSERT(strcmp(out, "aver") == 0);
	kg_scp_operand op;
	T_OK(kg_scp_operand_parse("alice@h1:dir/f", &op));
	kg_scp_operand_label(&op, NULL, out, sizeof(out));
	T_ASSERT(strcmp(out, "alice@h1:dir/f") == 0);
	kg_scp_operand_label(&op, "/abs/g", out, sizeof(out));
	T_ASSERT(strcmp(out, "alice@h1:/abs/g") == 0);
	kg_scp_operand_free(&op);
	T_OK(kg_scp_operand_parse("h2:", &op));
	kg_scp_operand_label(&op, NULL, out, sizeof(out));
	T_ASSERT(strcmp(out, "h2:.") == 0);
	kg_scp_operand_free(&op);
}

/* The -S program is run as OpenSSH's scp runs ssh, and its pipes carry
 * the remote command's bytes both ways; its exit status comes back. */
static void test_program(void)
{
	enter_tmp();
	kg_scp_client cl;
	client_init(&cl);
	cl.args.verbose = 1;
	T_OK(kg_cli_args_add(&cl.args, "Compression", "yes"));
	kg_scp_operand op;
	T_OK(kg_scp_operand_parse("scp://bob@h:2022/x", &op));
	kg_scp_remote rm;
	T_OK(kg_scp_remote_open(&cl, 0, &op, "cat; echo done; exit 3", NULL, &rm));
	T_OK(kg_scp_io_write(&rm.io, "ping\n", 5));
	close(rm.wfd);  /* the end of the command's input */
	rm.wfd = -1;
	char line[64];
	size_t len;
	T_OK(kg_scp_io_read_line(&rm.io, line, sizeof(line), &len));
	T_ASSERT(strcmp(line, "ping") == 0);
	T_OK(kg_scp_io_read_line(&rm.io, line, sizeof(line), &len));
	T_ASSERT(strcmp(line, "done") == 0);
	int status = -1;
	T_OK(kg_scp_remote_close(&rm, &status));
	T_ASSERT(status == 3 && cl.conn_failed == 0);
	T_ASSERT(args_have("-x\n-oPermitLocalCommand=no\n-oClearAllForwardings=yes\n"));
	T_ASSERT(args_have("-oRequestTTY=no\n"));
	T_ASSERT(args_have("\n-oCompression=yes\n-F\n/dev/null\n-v\n-l\nbob\n-p\n2022\n--\nh\ncat; echo done; exit 3\n"));
	kg_scp_operand_free(&op);

	/* a subsystem: "-s" before "--" and the subsystem's name last */
	T_OK(kg_scp_operand_parse("h:", &op));
	T_OK(kg_scp_remote_open(&cl, 0, &op, NULL, "sftp", &rm));
	close(rm.wfd);
	rm.wfd = -1;
	T_OK(kg_scp_remote_close(&rm, &status));
	T_ASSERT(status == 0);
	T_ASSERT(args_have("\n-s\n--\nh\nsftp\n") && !args_have("\n-l\n"));
	kg_scp_operand_free(&op);

	/* the legacy protocol's remote end, "scp -t", fed by a source here */
	T_ASSERT(mkdir("in", 0755) == 0);
	T_OK(write_file("up.txt", "legacy\n", 7));
	T_OK(kg_scp_operand_parse("h:in", &op));
	T_OK(kg_scp_remote_open(&cl, 0, &op, "scp -t -- in", NULL, &rm));
	kg_scp s;
	T_OK(kg_scp_init(&s, &rm.io, "kscp"));
	char *paths[] = { "up.txt" };
	T_OK(kg_scp_source(&s, paths, 1));
	T_ASSERT(s.errors == 0);
	kg_scp_free(&s);
	close(rm.wfd);
	rm.wfd = -1;
	T_OK(kg_scp_remote_close(&rm, &status));
	T_ASSERT(status == 0 && same_file("up.txt", "in/up.txt"));
	kg_scp_operand_free(&op);
	client_free(&cl);
	leave_tmp();
}

/* Uploads, downloads and a copy between two "hosts" through this one,
 * over SFTP sessions on -S programs. */
static void test_sftp_copies(void)
{
	enter_tmp();
	size_t sz = 200001;
	uint8_t *d = pattern(sz, 11);
	T_OK(write_file("a.bin", d, sz));
	T_OK(write_file("b.txt", "bee\n", 4));
	free(d);
	T_ASSERT(mkdir("remote", 0755) == 0 && mkdir("back", 0755) == 0 && mkdir("far", 0755) == 0);
	kg_scp_client cl;
	client_init(&cl);
	kg_scp_operand dst;

	/* two files into a remote folder */
	char *srcs[] = { "a.bin", "b.txt" };
	T_OK(kg_scp_operand_parse("h:remote", &dst));
	T_OK(kg_scp_sftp_upload(&cl, srcs, 2, &dst, 1));
	T_ASSERT(cl.errors == 0 && cl.conn_failed == 0);
	T_ASSERT(same_file("a.bin", "remote/a.bin") && same_file("b.txt", "remote/b.txt"));
	kg_scp_operand_free(&dst);
	/* one file under a new name; a missing source counts as an error */
	char *one[] = { "nothere", "b.txt" };
	T_OK(kg_scp_operand_parse("h:remote/renamed.txt", &dst));
	fdcap c;
	T_OK(cap_begin(&c, 2));
	T_OK(kg_scp_sftp_upload(&cl, one, 2, &dst, 0));
	char *err = cap_end(&c);
	T_ASSERT(cl.errors == 1 && err && strstr(err, "kscp: nothere: No such file or directory"));
	free(err);
	T_ASSERT(same_file("b.txt", "remote/renamed.txt"));
	kg_scp_operand_free(&dst);
	/* a folder needs -r */
	T_ASSERT(mkdir("tree", 0755) == 0 && mkdir("tree/in", 0700) == 0);
	T_OK(write_file("tree/in/f", "deep", 4));
	char *tree[] = { "tree" };
	T_OK(kg_scp_operand_parse("h:remote", &dst));
	cl.errors = 0;
	T_OK(cap_begin(&c, 2));
	T_OK(kg_scp_sftp_upload(&cl, tree, 1, &dst, 0));
	err = cap_end(&c);
	T_ASSERT(cl.errors == 1 && strstr(err, "not a regular file"));
	free(err);
	cl.recursive = 1;
	cl.errors = 0;
	T_OK(kg_scp_sftp_upload(&cl, tree, 1, &dst, 0));
	T_ASSERT(cl.errors == 0 && same_file("tree/in/f", "remote/tree/in/f"));
	kg_scp_operand_free(&dst);
	cl.recursive = 0;

	/* downloads: a glob into a folder, one file to a name */
	kg_scp_operand src;
	T_OK(kg_scp_operand_parse("h:remote/*.bin", &src));
	T_OK(kg_scp_sftp_download(&cl, &src, "back", 0));
	T_ASSERT(cl.errors == 0 && same_file("a.bin", "back/a.bin"));
	kg_scp_operand_free(&src);
	T_OK(kg_scp_operand_parse("h:remote/b.txt", &src));
	T_OK(kg_scp_sftp_download(&cl, &src, "back/b2", 0));
	T_ASSERT(cl.errors == 0 && same_file("b.txt", "back/b2"));
	kg_scp_operand_free(&src);
	/* several matches need a folder; nothing matching is an error */
	T_OK(kg_scp_operand_parse("h:remote/*", &src));
	T_OK(cap_begin(&c, 2));
	T_OK(kg_scp_sftp_download(&cl, &src, "back/b2", 0));
	err = cap_end(&c);
	T_ASSERT(cl.errors == 1 && strstr(err, "Not a directory"));
	free(err);
	kg_scp_operand_free(&src);
	T_OK(kg_scp_operand_parse("h:remote/zz*", &src));
	T_OK(cap_begin(&c, 2));
	T_OK(kg_scp_sftp_download(&cl, &src, "back", 0));
	err = cap_end(&c);
	T_ASSERT(cl.errors == 2 && strstr(err, "remote/zz*: No such file or directory"));
	free(err);
	kg_scp_operand_free(&src);

	/* host to host through this machine (-3) */
	cl.errors = 0;
	T_OK(kg_scp_operand_parse("h1:remote/a.bin", &src));
	T_OK(kg_scp_operand_parse("h2:far", &dst));
	T_OK(kg_scp_sftp_through_local(&cl, &src, &dst, 0));
	T_ASSERT(cl.errors == 0 && same_file("a.bin", "far/a.bin"));
	kg_scp_operand_free(&src);
	kg_scp_operand_free(&dst);
	client_free(&cl);
	leave_tmp();
}

/* What counts as a connection failure (kscp exits 255 for those): a -S
 * program that cannot connect, one that cannot be run, and an in-process
 * connection whose configuration is bad (found before any network). */
static void test_failures(void)
{
	enter_tmp();
	T_OK(write_file("f", "x", 1));
	kg_scp_client cl;
	client_init(&cl);
	kg_scp_operand dst;
	T_OK(kg_scp_operand_parse("h:f", &dst));
	char *srcs[] = { "f" };
	fdcap c;

	setenv("FAKE_FAIL", "1", 1);
	T_OK(cap_begin(&c, 2));
	T_OK(kg_scp_sftp_upload(&cl, srcs, 1, &dst, 0));
	char *err = cap_end(&c);
	unsetenv("FAKE_FAIL");
	T_ASSERT(cl.errors == 1 && cl.conn_failed == 1);
	T_ASSERT(strstr(err, "fake: cannot connect") && strstr(err, "the SFTP session did not start"));
	free(err);

	client_init(&cl);
	cl.ssh_program = "/nonexistent/ssh";
	T_OK(cap_begin(&c, 2));
	T_OK(kg_scp_sftp_download(&cl, &dst, "g", 0));
	err = cap_end(&c);
	T_ASSERT(cl.errors == 1 && cl.conn_failed == 1 && strstr(err, "/nonexistent/ssh"));
	free(err);
	struct stat st;
	T_ASSERT(stat("g", &st) < 0);

	client_init(&cl);
	cl.ssh_program = NULL;
	T_OK(kg_cli_args_add(&cl.args, "NoSuchOption", "1"));
	kg_scp_remote rm;
	T_OK(cap_begin(&c, 2));
	int r = kg_scp_remote_open(&cl, 0, &dst, "true", NULL, &rm);
	err = cap_end(&c);
	T_ASSERT(r == KG_ERR_CONFIG && cl.conn_failed == 1 && strstr(err, "kscp: ") && strstr(err, "NoSuchOption"));
	free(err);
	cl.conn_failed = 0;
	T_OK(cap_begin(&c, 2));
	T_OK(kg_scp_sftp_upload(&cl, srcs, 1, &dst, 0));
	free(cap_end(&c));
	T_ASSERT(cl.errors == 1 && cl.conn_failed == 1);
	client_free(&cl);
	kg_scp_operand_free(&dst);
	leave_tmp();
}

/* The personalities the -S stand-in starts this binary in. */
static int other_role(int argc, char **argv)
{
	const char *b = strrchr(argv[0], '/');
	b = b ? b + 1 : argv[0];
	if (strcmp(b, "scp") == 0)
		return kg_scp_remote_main(argc, argv);
	if (argc > 1 && strcmp(argv[1], "--sftp-server") == 0) {
		kg_sftp_server srv;
		kg_sftp_server_opts so = { 0 };
		kg_sftp_server_init(&srv, &so);
		int r = kg_sftp_server_run(&srv, STDIN_FILENO, STDOUT_FILENO);
		kg_sftp_server_free(&srv);
		return r < 0 ? 1 : 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	int role = other_role(argc, argv);
	if (role >= 0)
		return role;
	signal(SIGPIPE, SIG_IGN);
	T_RUN(test_operand_helpers);
	T_RUN(test_program);
	T_RUN(test_sftp_copies);
	T_RUN(test_failures);
	return T_DONE();
}
