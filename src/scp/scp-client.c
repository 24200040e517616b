/* kscp's command line and the legacy-protocol copy directions. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "core/transport.h"
#include "scp/scp-client.h"
#include "scp/scp.h"

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-346aABCOpqRrTv] [-c cipher] [-F ssh_config] [-i identity_file]\n"
		"            [-J destination] [-l limit] [-o ssh_option] [-P port]\n"
		"            [-S program] [--explain] [--explain-html file] source ... target\n", prog);
}

void kg_scp_basename(const char *path, char *out, size_t cap)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	const char *b = memrchr(path, '/', len);
	b = b ? b + 1 : path;
	snprintf(out, cap, "%.*s", (int)(path + len - b), b);
}

/* Builds "scp [-v] [-r] [-p] [-d] -t|-f -- 'path'" for the remote shell. */
static int remote_command(kg_scp_client *cl, const char *role, int dir, const char *path, int keep_glob,
			  char **out)
{
	kg_buf b;
	kg_buf_init(&b, 2 * PATH_MAX + 256);
	int r = kg_buf_putf(&b, "scp%s%s%s%s %s -- ", cl->args.verbose ? " -v" : "", cl->recursive ? " -r" : "",
			    cl->preserve ? " -p" : "", dir ? " -d" : "", role);
	if (r == KG_OK)
		r = kg_scp_quote(&b, path, keep_glob);
	if (r == KG_OK)
		r = kg_buf_put_u8(&b, 0);
	if (r == KG_OK)
		*out = strdup((const char *)kg_buf_ptr(&b));
	kg_buf_free(&b);
	return r < 0 ? r : (*out ? KG_OK : KG_ERR_ALLOC);
}

static int setup_scp(kg_scp_client *cl, kg_scp *s, kg_scp_io *io)
{
	GUARD(kg_scp_init(s, io, cl->prog));
	s->recursive = cl->recursive;
	s->preserve = cl->preserve;
	s->resume = cl->resume;
	s->progress = cl->progress;
	s->no_name_check = cl->no_name_check;
	return KG_OK;
}

/* --explain for the legacy protocol: each whole file, named as the user
 * named the remote side. */
typedef struct legacy_note {
	const kg_scp_remote *rm;
	const char *remote_path;
	int upload;
} legacy_note;

static void legacy_file_done(void *arg, const char *local_path, uint64_t bytes)
{
	const legacy_note *n = arg;
	kg_scp_explain_transfer(n->rm, "scp", local_path, n->remote_path, bytes, n->upload);
}

/* Ends a remote command; a failure it reported only through its exit
 * status still counts. */
static void finish_remote(kg_scp_client *cl, kg_scp_remote *rm, int r, int errs)
{
	int status = 255, program = rm->pid > 0;
	if (r < 0)
		kg_scp_remote_close(rm, &status);
	else if (kg_scp_remote_close(rm, &status) == KG_OK && status != 0 && errs == 0)
		cl->errors++;
	/* A -S program (ssh) exits 255 when it could not connect or
	 * authenticate; the remote scp itself exits 0 or 1. */
	if (program && status == 255)
		cl->conn_failed = 1;
	if (r < 0 && errs == 0)
		cl->errors++;
	cl->errors += errs;
}

static int legacy_upload(kg_scp_client *cl, char **srcs, size_t n, const kg_scp_operand *dst, int dst_dir)
{
	char *cmd = NULL;
	kg_scp_remote rm;
	kg_scp s;
	GUARD(remote_command(cl, "-t", dst_dir, dst->path, 0, &cmd));
	int r = kg_scp_remote_open(cl, 0, dst, cmd, NULL, &rm);
	free(cmd);
	if (r < 0) {
		cl->errors++;
		return KG_OK;
	}
	legacy_note note = { .rm = &rm, .remote_path = dst->path, .upload = 1 };
	if ((r = setup_scp(cl, &s, &rm.io)) == KG_OK) {
		s.warn_keys = 1;
		s.file_done = legacy_file_done;
		s.file_done_arg = &note;
		r = kg_scp_source(&s, srcs, n);
	}
	if (r == KG_OK && rm.has_stream)
		r = kg_stream_send_eof(&rm.st);
	finish_remote(cl, &rm, r, s.errors);
	kg_scp_free(&s);
	return KG_OK;
}

static int legacy_download(kg_scp_client *cl, const kg_scp_operand *src, const char *dst, int dst_dir)
{
	char *cmd = NULL, base[PATH_MAX];
	kg_scp_remote rm;
	kg_scp s;
	GUARD(remote_command(cl, "-f", 0, src->path, 1, &cmd));
	int r = kg_scp_remote_open(cl, 0, src, cmd, NULL, &rm);
	free(cmd);
	if (r < 0) {
		cl->errors++;
		return KG_OK;
	}
	legacy_note note = { .rm = &rm, .remote_path = src->path, .upload = 0 };
	if ((r = setup_scp(cl, &s, &rm.io)) == KG_OK) {
		s.file_done = legacy_file_done;
		s.file_done_arg = &note;
		kg_scp_basename(src->path, base, sizeof(base));
		/* "." / ".." / "~" name a folder the server will call by its
		 * own name; only one entry may then come. */
		if (strcmp(base, ".") && strcmp(base, "..") && base[0] != '~' && base[0] != '/')
			s.expect = base;
		s.expect_single = strpbrk(src->path, "*?[") == NULL;
		s.target_dir = dst_dir;
		r = kg_scp_sink(&s, dst);
	}
	finish_remote(cl, &rm, r, s.errors);
	kg_scp_free(&s);
	return KG_OK;
}

/* -3: the two remote ends talk through this process, byte for byte;
 * *moved counts what went from a to b. */
static int relay(kg_scp_remote *a, kg_scp_remote *b, uint64_t *moved)
{
	uint8_t *buf = malloc(KG_SCP_CHUNK);
	ENSURE(buf != NULL, KG_ERR_ALLOC);
	int r = KG_OK, a_eof = 0;
	while (r >= 0 && !a_eof) {
		size_t got;
		/* Replies from the sink are few and small; data flows a -> b. */
		if (b->has_stream ? kg_stream_available(&b->st) > 0 : 0) {
			if ((r = kg_scp_io_read(&b->io, buf, KG_SCP_CHUNK, &got)) < 0 || got == 0)
				break;
			r = kg_scp_io_write(&a->io, buf, got);
			continue;
		}
		if (a->has_stream ? kg_stream_available(&a->st) > 0 : 0) {
			if ((r = kg_scp_io_read(&a->io, buf, KG_SCP_CHUNK, &got)) < 0)
				break;
			if (got == 0)
				a_eof = 1;
			else if ((r = kg_scp_io_write(&b->io, buf, got)) == KG_OK)
				*moved += got;
			continue;
		}
		if (a->has_stream && (a->st.eof_rcvd || a->st.closed)) {
			a_eof = 1;
			break;
		}
		if (b->has_stream && (b->st.eof_rcvd || b->st.closed))
			break;
		if (a->has_stream && b->has_stream) {
			struct pollfd p[2] = { { .fd = a->st.c->fd, .events = POLLIN }, { .fd = b->st.c->fd, .events = POLLIN } };
			(void)poll(p, 2, 1000);
			if ((r = kg_stream_pump(&a->st, 0)) < 0 || (r = kg_stream_pump(&b->st, 0)) < 0)
				break;
		} else {
			struct pollfd p[2] = { { .fd = a->rfd, .events = POLLIN }, { .fd = b->rfd, .events = POLLIN } };
			if (poll(p, 2, -1) < 0 && errno != EINTR) {
				r = KG_ERR_SYSTEM;
				break;
			}
			if (p[1].revents) {
				if ((r = kg_scp_io_read(&b->io, buf, KG_SCP_CHUNK, &got)) < 0 || got == 0)
					break;
				r = kg_scp_io_write(&a->io, buf, got);
			} else if (p[0].revents) {
				if ((r = kg_scp_io_read(&a->io, buf, KG_SCP_CHUNK, &got)) < 0)
					break;
				if (got == 0)
					a_eof = 1;
				else if ((r = kg_scp_io_write(&b->io, buf, got)) == KG_OK)
					*moved += got;
			}
		}
	}
	free(buf);
	return r;
}

void kg_scp_operand_label(const kg_scp_operand *op, const char *path, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s%s:%s", op->user ? op->user : "", op->user ? "@" : "", op->host,
		 path ? path : op->path);
}

static int legacy_through_local(kg_scp_client *cl, const kg_scp_operand *src, const kg_scp_operand *dst,
				int dst_dir)
{
	char *fcmd = NULL, *tcmd = NULL;
	kg_scp_remote a, b;
	GUARD(remote_command(cl, "-f", 0, src->path, 1, &fcmd));
	int r = remote_command(cl, "-t", dst_dir, dst->path, 0, &tcmd);
	if (r == KG_OK && (r = kg_scp_remote_open(cl, 0, src, fcmd, NULL, &a)) == KG_OK) {
		if ((r = kg_scp_remote_open(cl, 1, dst, tcmd, NULL, &b)) == KG_OK) {
			uint64_t moved = 0;
			r = relay(&a, &b, &moved);
			if (r == KG_OK) {
				/* The scp stream (records and file bytes) passed through
				 * here: each connection carried it once. */
				char from[PATH_MAX + 300], to[PATH_MAX + 300];
				kg_scp_operand_label(src, NULL, from, sizeof(from));
				kg_scp_operand_label(dst, NULL, to, sizeof(to));
				kg_scp_explain_transfer(&a, "scp", to, src->path, moved, 0);
				kg_scp_explain_transfer(&b, "scp", from, dst->path, moved, 1);
			}
			if (r == KG_OK && b.has_stream)
				r = kg_stream_send_eof(&b.st);
			else if (r == KG_OK && b.wfd >= 0) {
				close(b.wfd);
				b.wfd = -1;
			}
			finish_remote(cl, &b, r, 0);
		}
		finish_remote(cl, &a, r, 0);
	} else {
		cl->errors++;
	}
	free(fcmd);
	free(tcmd);
	return KG_OK;
}

/* Remote to remote, the default: the source host runs scp and copies to
 * the target itself (its own credentials), as OpenSSH's scp does. */
static int remote_to_remote(kg_scp_client *cl, const kg_scp_operand *src, const kg_scp_operand *dst)
{
	kg_buf b;
	kg_buf_init(&b, 4 * PATH_MAX + 512);
	int r = kg_buf_putf(&b, "scp%s%s%s%s -- ", cl->legacy ? " -O" : "", cl->args.verbose ? " -v" : "",
			    cl->recursive ? " -r" : "", cl->preserve ? " -p" : "");
	if (r == KG_OK)
		r = kg_scp_quote(&b, src->path, 1);
	if (r == KG_OK)
		r = kg_buf_put_u8(&b, ' ');
	/* The target as the remote scp will parse it: an scp:// URI when a
	 * port is needed (path percent-encoded), else [user@]host:path. */
	kg_buf spec;
	kg_buf_init(&spec, 2 * PATH_MAX + 512);
	if (r == KG_OK && dst->port) {
		r = kg_buf_putf(&spec, "scp://%s%s%s%s:%s/", dst->user ? dst->user : "", dst->user ? "@" : "",
				strchr(dst->host, ':') ? "[" : "", dst->host, dst->port);
		for (const char *p = dst->path; r == KG_OK && *p; p++) {
			unsigned char ch = (unsigned char)*p;
			if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			    strchr("._~/-", ch))
				r = kg_buf_put_u8(&spec, ch);
			else
				r = kg_buf_putf(&spec, "%%%02X", ch);
		}
	} else if (r == KG_OK) {
		r = kg_buf_putf(&spec, "%s%s%s%s%s:%s", dst->user ? dst->user : "", dst->user ? "@" : "",
				strchr(dst->host, ':') ? "[" : "", dst->host, strchr(dst->host, ':') ? "]" : "",
				dst->path);
	}
	if (r == KG_OK)
		r = kg_buf_put_u8(&spec, 0);
	if (r == KG_OK)
		r = kg_scp_quote(&b, (const char *)kg_buf_ptr(&spec), 0);
	if (r == KG_OK)
		r = kg_buf_put_u8(&b, 0);
	kg_buf_free(&spec);
	kg_scp_remote rm;
	if (r == KG_OK && (r = kg_scp_remote_open(cl, 0, src, (const char *)kg_buf_ptr(&b), NULL, &rm)) == KG_OK) {
		if (rm.has_stream)
			r = kg_stream_send_eof(&rm.st);
		else if (rm.wfd >= 0) {
			close(rm.wfd);
			rm.wfd = -1;
		}
		/* Whatever the remote scp prints is passed on. */
		uint8_t buf[4096];
		size_t got = 1;
		while (r == KG_OK && got > 0)
			if ((r = kg_scp_io_read(&rm.io, buf, sizeof(buf), &got)) == KG_OK && got > 0)
				(void)!write(STDOUT_FILENO, buf, got);
		finish_remote(cl, &rm, r, 0);
	} else {
		cl->errors++;
	}
	kg_buf_free(&b);
	return KG_OK;
}

/* Local to local: cp, as OpenSSH's scp does. */
static void local_copy(kg_scp_client *cl, const char *src, const char *dst)
{
	const char *argv[8];
	size_t a = 0;
	argv[a++] = "cp";
	if (cl->recursive)
		argv[a++] = "-r";
	if (cl->preserve)
		argv[a++] = "-p";
	argv[a++] = "--";
	argv[a++] = src;
	argv[a++] = dst;
	argv[a] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		execvp("cp", (char *const *)argv);
		_exit(127);
	}
	int ws = 0;
	if (pid < 0 || waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
		cl->errors++;
}

/* Takes --explain and --explain-html FILE out of the arguments (getopt
 * knows only short options); they may stand anywhere before "--". */
static int take_long_options(kg_scp_client *cl, int *argc, char **argv)
{
	int out = 1, i = 1;
	for (; i < *argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			break;
		if (strcmp(a, "--explain") == 0) {
			cl->explain = 1;
			continue;
		}
		if (strcmp(a, "--explain-html") == 0 || strncmp(a, "--explain-html=", 15) == 0) {
			if (a[14] == '=') {
				cl->explain_html = a + 15;
			} else if (i + 1 < *argc) {
				cl->explain_html = argv[++i];
			} else {
				fprintf(stderr, "%s: --explain-html needs a file name\n", cl->prog);
				return KG_ERR_ARG;
			}
			if (!*cl->explain_html) {
				fprintf(stderr, "%s: --explain-html needs a file name\n", cl->prog);
				return KG_ERR_ARG;
			}
			continue;
		}
		if (strncmp(a, "--", 2) == 0) {
			fprintf(stderr, "%s: unknown option %s\n", cl->prog, a);
			usage(cl->prog);
			return KG_ERR_ARG;
		}
		argv[out++] = argv[i];
		/* An option letter that takes a value, given separately. */
		size_t n = strlen(a);
		if (a[0] == '-' && n >= 2 && strchr("cDFiJloPSX", a[n - 1]) &&
		    strspn(a + 1, "346aABCOpqRrTv") == n - 2 && i + 1 < *argc)
			argv[out++] = argv[++i];
	}
	for (; i < *argc; i++)
		argv[out++] = argv[i];
	argv[out] = NULL;
	*argc = out;
	return KG_OK;
}

/* *argc: the arguments left once the long options are taken out. */
static int parse_args(kg_scp_client *cl, int *pargc, char **argv)
{
	int ch, r = KG_OK;
	char *end;
	GUARD(take_long_options(cl, pargc, argv));
	int argc = *pargc;
	optind = 1;
	while ((ch = getopt(argc, argv, "346aABCOpqRrTvc:D:F:i:J:l:o:P:S:X:")) != -1) {
		switch (ch) {
		case '3': cl->three = 1; break;
		case '4': r = kg_cli_args_add(&cl->args, "AddressFamily", "inet"); break;
		case '6': r = kg_cli_args_add(&cl->args, "AddressFamily", "inet6"); break;
		case 'a': cl->resume = 1; break;
		case 'B': r = kg_cli_args_add(&cl->args, "BatchMode", "yes"); break;
		case 'C': r = kg_cli_args_add(&cl->args, "Compression", "yes"); break;
		case 'O': cl->legacy = 1; break;
		case 'p': cl->preserve = 1; break;
		case 'q': cl->quiet = 1; cl->args.quiet = 1; break;
		case 'r': cl->recursive = 1; break;
		case 'T': cl->no_name_check = 1; break;
		case 'v': cl->args.verbose++; break;
		case 'c': r = kg_cli_args_add(&cl->args, "Ciphers", optarg); break;
		case 'F': cl->args.config_file = optarg; break;
		case 'i': r = kg_cli_args_add(&cl->args, "IdentityFile", optarg); break;
		case 'J': r = kg_cli_args_add(&cl->args, "ProxyJump", optarg); break;
		case 'o': r = kg_strlist_add(&cl->args.opts, optarg); break;
		case 'P': r = kg_cli_args_add(&cl->args, "Port", optarg); break;
		case 'S': cl->ssh_program = optarg; break;
		case 'l':
			errno = 0;
			cl->limit_kbps = strtoull(optarg, &end, 10);
			if (errno || *end || cl->limit_kbps == 0 || cl->limit_kbps > 100000000ull) {
				fprintf(stderr, "%s: bad bandwidth limit \"%s\"\n", cl->prog, optarg);
				return KG_ERR_ARG;
			}
			break;
		case 'A': case 'R': case 'D': case 'X':
			break;  /* OpenSSH's; nothing to do here */
		default:
			usage(cl->prog);
			return KG_ERR_ARG;
		}
		if (r < 0)
			return r;
	}
	if (argc - optind < 2) {
		usage(cl->prog);
		return KG_ERR_ARG;
	}
	return KG_OK;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void run_copies(kg_scp_client *cl, char **args, size_t n)
{
	kg_scp_operand dst;
	if (kg_scp_operand_parse(args[n - 1], &dst) < 0) {
		fprintf(stderr, "%s: invalid target: %s\n", cl->prog, args[n - 1]);
		cl->errors++;
		return;
	}
	size_t nsrc = n - 1;
	int dst_dir = nsrc > 1;
	kg_scp_operand *src = calloc(nsrc, sizeof(*src));
	char **locals = calloc(nsrc + 1, sizeof(char *));
	size_t nlocal = 0;
	if (!src || !locals) {
		cl->errors++;
		goto out;
	}
	for (size_t i = 0; i < nsrc; i++)
		if (kg_scp_operand_parse(args[i], &src[i]) < 0) {
			fprintf(stderr, "%s: invalid source: %s\n", cl->prog, args[i]);
			cl->errors++;
			src[i].remote = -1;
		}
	if (!dst.remote && dst_dir && !is_dir(dst.path)) {
		fprintf(stderr, "%s: %s: %s\n", cl->prog, dst.path, strerror(errno ? errno : ENOTDIR));
		if (!errno || errno != ENOENT)
			errno = ENOTDIR;
		cl->errors++;
		goto out;
	}
	for (size_t i = 0; i < nsrc && !cl->conn_failed; i++) {
		if (src[i].remote < 0)
			continue;
		int r = KG_OK;
		if (dst.remote && src[i].remote) {
			if (cl->three)
				r = cl->legacy ? legacy_through_local(cl, &src[i], &dst, dst_dir) :
					kg_scp_sftp_through_local(cl, &src[i], &dst, dst_dir);
			else
				r = remote_to_remote(cl, &src[i], &dst);
		} else if (dst.remote) {
			struct stat st;
			if (stat(src[i].path, &st) < 0) {
				fprintf(stderr, "%s: %s: %s\n", cl->prog, src[i].path, strerror(errno));
				cl->errors++;
				continue;
			}
			locals[nlocal++] = src[i].path;
		} else if (src[i].remote) {
			r = cl->legacy ? legacy_download(cl, &src[i], dst.path, dst_dir) :
				kg_scp_sftp_download(cl, &src[i], dst.path, dst_dir);
		} else {
			local_copy(cl, src[i].path, dst.path);
		}
		if (r < 0)
			cl->errors++;
	}
	if (nlocal > 0 && !cl->conn_failed) {
		int r = cl->legacy ? legacy_upload(cl, locals, nlocal, &dst, dst_dir) :
			kg_scp_sftp_upload(cl, locals, nlocal, &dst, dst_dir);
		if (r < 0)
			cl->errors++;
	}
out:
	if (src)
		for (size_t i = 0; i < nsrc; i++)
			kg_scp_operand_free(&src[i]);
	free(src);
	free(locals);
	kg_scp_operand_free(&dst);
}

int kg_scp_client_main(int argc, char **argv)
{
	kg_scp_client cl;
	memset(&cl, 0, sizeof(cl));
	cl.prog = "kscp";
	if (parse_args(&cl, &argc, argv) < 0) {
		kg_cli_args_free(&cl.args);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	cl.err_fd = STDERR_FILENO;
	cl.progress = !cl.quiet && isatty(STDOUT_FILENO);
	if (cl.explain || cl.explain_html) {
		if (cl.ssh_program) {
			/* The program makes the connection: kscp sees none of it. */
			fprintf(stderr, "%s: --explain needs kagi's own connection; with -S %s the connection is "
				"made by that program, so there is nothing to explain (copying anyway)\n",
				cl.prog, cl.ssh_program);
			cl.explain = 0;
			cl.explain_html = NULL;
		} else {
			kg_explain_i18n_init();
		}
	}
	struct passwd *pw = getpwuid(getuid());
	if (!pw) {
		fprintf(stderr, "%s: no user exists for uid %lu\n", cl.prog, (unsigned long)getuid());
		kg_cli_args_free(&cl.args);
		return 1;
	}
	if (kg_scp_stderr_start(&cl) < 0) {
		/* no copy that would show a server's raw bytes on the terminal */
		fprintf(stderr, "%s: cannot start the filter for remote messages: %s\n", cl.prog, strerror(errno));
		kg_cli_args_free(&cl.args);
		return 1;
	}
	cl.local_user = strdup(pw->pw_name);
	cl.home = strdup(pw->pw_dir);
	if (cl.local_user && cl.home)
		run_copies(&cl, argv + optind, (size_t)(argc - optind));
	else
		cl.errors++;
	kg_scp_conns_close(&cl);
	kg_scp_stderr_finish(&cl);
	if ((cl.explain || cl.explain_html) && cl.explained == 0)
		fprintf(stderr, "%s: --explain: no SSH connection was made, so there is nothing to explain\n", cl.prog);
	if (cl.explain_html && cl.explained > 1)
		fprintf(stderr, "%s: %s shows the first of the %u connections made%s\n", cl.prog, cl.explain_html,
			cl.explained, cl.explain ? " (all are told above)" : "");
	kg_cli_args_free(&cl.args);
	free(cl.local_user);
	free(cl.home);
	/* 255 when a connection could not be made or authenticated (kscp
	 * stops there), 1 for files that failed.  OpenSSH's scp 9.2 exits 255
	 * so in SFTP mode; in legacy mode (-O) it says "lost connection" and
	 * exits 1, and in SFTP mode a missing local source is fatal to it
	 * (255).  kscp keeps the one rule in both modes, so a script can tell
	 * a failed connection from a failed file. */
	return cl.conn_failed ? 255 : cl.errors ? 1 : 0;
}
