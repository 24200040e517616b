/* kscp's copy directions: which way each operand goes, and the legacy protocol's upload, download, -3 relay and remote-to-remote. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/transport.h"
#include "scp/scp-client.h"
#include "scp/scp.h"
#include "sys/loop.h"

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
	kg_scp_note_transfer(n->rm, "scp", local_path, n->remote_path, bytes, n->upload);
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
			(void)!kg_wait_fds(p, 2, 1000);
			if ((r = kg_stream_pump(&a->st, 0)) < 0 || (r = kg_stream_pump(&b->st, 0)) < 0)
				break;
		} else {
			struct pollfd p[2] = { { .fd = a->rfd, .events = POLLIN }, { .fd = b->rfd, .events = POLLIN } };
			if (kg_wait_fds(p, 2, -1) < 0) {
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
				kg_scp_note_transfer(&a, "scp", to, src->path, moved, 0);
				kg_scp_note_transfer(&b, "scp", from, dst->path, moved, 1);
			}
			if (r == KG_OK && b.has_stream)
				r = kg_stream_send_eof(&b.st);
			else if (r == KG_OK && b.has_mux)
				(void)shutdown(b.mux.fd, SHUT_WR);
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
		else if (rm.has_mux)
			(void)shutdown(rm.mux.fd, SHUT_WR);
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

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

void kg_scp_run_copies(kg_scp_client *cl, char **args, size_t n)
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
