/* kscp over SFTP (the default): no remote shell is involved, so every name
 * is taken literally.  Files and trees go through the SFTP client's get
 * and put, which write downloads to a partial file renamed into place only
 * when complete, and resume (-a) after checking the data already there. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sys/progress.h"
#include "scp/scp-client.h"
#include "scp/scp.h"
#include "sftp/sftp-client.h"

#define CROSS_CHUNK (32u * 1024)

typedef struct sftp_sess {
	kg_scp_remote rm;
	kg_sftp s;
	kg_logger lg;
	int started;
	const kg_scp_operand *op; /* the host it talks to */
} sftp_sess;

typedef struct meter {
	kg_progress pm;
	int enabled;
	char name[PATH_MAX];
	const char *shown;        /* the name to show for a single file (else the library's) */
	uint64_t last;
	/* bytes moved, for --explain: files finished, and the current one */
	char acc_name[PATH_MAX];
	uint64_t acc_sum, acc_last;
} meter;

static int io_write(void *arg, const void *data, size_t len)
{
	return kg_scp_io_write(arg, data, len);
}

static int io_read(void *arg, void *buf, size_t len, size_t *got)
{
	return kg_scp_io_read(arg, buf, len, got);
}

static int sess_open(kg_scp_client *cl, int slot, const kg_scp_operand *op, sftp_sess *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->op = op;
	GUARD(kg_scp_remote_open(cl, slot, op, NULL, "sftp", &ss->rm));
	kg_log_init(&ss->lg, cl->prog, cl->args.verbose ? KG_LOG_DEBUG1 : cl->quiet ? KG_LOG_QUIET : KG_LOG_ERROR,
		    0, 0);
	kg_sftp_io io = { .write = io_write, .read = io_read, .arg = &ss->rm.io };
	kg_sftp_opts o = { .limit_kbps = cl->limit_kbps };
	int r = kg_sftp_start(&ss->s, &io, &o, &ss->lg);
	if (r < 0) {
		fprintf(stderr, "%s: the SFTP session did not start (%s); the server may have no SFTP "
			"(try -O for the legacy protocol)\n", cl->prog, kg_err_str(r));
		kg_sftp_free(&ss->s);
		kg_scp_remote_close(&ss->rm, NULL);
		/* A -S program that could not connect, or no SFTP server: no
		 * session, as OpenSSH's scp counts it (exit 255). */
		cl->conn_failed = 1;
		return r;
	}
	ss->started = 1;
	return KG_OK;
}

static void sess_close(sftp_sess *ss)
{
	if (ss->started) {
		(void)!kg_sftp_close(&ss->s);
		kg_sftp_free(&ss->s);
	}
	if (ss->rm.has_stream)
		(void)!kg_stream_send_eof(&ss->rm.st);
	else if (ss->rm.wfd >= 0) {
		close(ss->rm.wfd);
		ss->rm.wfd = -1;
	}
	kg_scp_remote_close(&ss->rm, NULL);
}

static void on_progress(void *arg, const char *name, uint64_t done, uint64_t total)
{
	meter *m = arg;
	if (strcmp(name, m->acc_name) != 0 || done < m->acc_last) {
		m->acc_sum += m->acc_last;
		snprintf(m->acc_name, sizeof(m->acc_name), "%s", name);
	}
	m->acc_last = done;
	if (!m->enabled)
		return;
	if (!m->pm.enabled || strcmp(name, m->name) != 0 || done < m->last) {
		kg_progress_finish(&m->pm);
		snprintf(m->name, sizeof(m->name), "%s", name);
		const char *slash = strrchr(m->name, '/');
		const char *shown = m->shown ? m->shown : slash && slash[1] ? slash + 1 : m->name;
		kg_progress_start(&m->pm, 1, STDOUT_FILENO, shown, strlen(shown), total, done);
	}
	m->last = done;
	kg_progress_update(&m->pm, done);
	if (total && done >= total)
		kg_progress_finish(&m->pm);
}

static void xfer_opts(kg_scp_client *cl, meter *m, kg_sftp_xfer_opts *o)
{
	memset(m, 0, sizeof(*m));
	m->enabled = cl->progress;
	memset(o, 0, sizeof(*o));
	o->preserve = cl->preserve;
	o->resume = cl->resume;
	o->recursive = cl->recursive;
	o->quiet = 1;
	o->progress = on_progress;
	o->progress_arg = m;
}

static void report(kg_scp_client *cl, kg_sftp *s, const char *path)
{
	char esc[PATH_MAX + 64];
	kg_term_escape(path, strlen(path), esc, sizeof(esc));
	/* The server's own words, or the local failure (escaped: a server
	 * chooses its messages). */
	const char *why = kg_sftp_error(s);
	char wesc[sizeof(s->errmsg) + 64];
	kg_term_escape(why, strlen(why), wesc, sizeof(wesc));
	if (strstr(why, path))
		fprintf(stderr, "%s: %s\n", cl->prog, wesc);
	else
		fprintf(stderr, "%s: %s: %s\n", cl->prog, esc, wesc);
	cl->errors++;
}

/* "~" and "~/x" are the remote home; other paths are used as given. */
static int remote_path(kg_sftp *s, const char *path, char **out)
{
	if (path[0] == '~')
		return kg_sftp_expand_path(s, path, out);
	*out = strdup(path);
	return *out ? KG_OK : KG_ERR_ALLOC;
}

static int join(char *out, size_t cap, const char *dir, const char *name)
{
	size_t dl = strlen(dir);
	int n = snprintf(out, cap, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", name);
	return n > 0 && (size_t)n < cap ? KG_OK : KG_ERR_TOO_LARGE;
}

/* nftw has no argument pointer: the program name is all the walk needs,
 * and it is constant. */
static int warn_key_walk(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)f;
	if (type == FTW_F && S_ISREG(st->st_mode) && st->st_size <= 65536 && kg_scp_is_private_key(path))
		kg_scp_warn_private_key("kscp", path);
	return 0;
}

int kg_scp_sftp_upload(kg_scp_client *cl, char **srcs, size_t n, const kg_scp_operand *dst, int dst_dir)
{
	sftp_sess ss;
	if (sess_open(cl, 0, dst, &ss) < 0) {
		cl->errors++;
		return KG_OK;
	}
	char *target = NULL;
	kg_sftp_attrs a;
	int target_is_dir = 0;
	if (remote_path(&ss.s, dst->path, &target) < 0) {
		report(cl, &ss.s, dst->path);
		goto out;
	}
	if (kg_sftp_stat(&ss.s, target, &a) == KG_OK && (a.flags & SSH_FILEXFER_ATTR_PERMISSIONS) &&
	    S_ISDIR(a.perm))
		target_is_dir = 1;
	if (dst_dir && !target_is_dir) {
		fprintf(stderr, "%s: %s: Not a directory\n", cl->prog, dst->path);
		cl->errors++;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		char to[PATH_MAX], base[NAME_MAX + 1];
		if (stat(srcs[i], &st) < 0) {
			fprintf(stderr, "%s: %s: %s\n", cl->prog, srcs[i], strerror(errno));
			cl->errors++;
			continue;
		}
		if (S_ISDIR(st.st_mode) && !cl->recursive) {
			fprintf(stderr, "%s: %s: not a regular file\n", cl->prog, srcs[i]);
			cl->errors++;
			continue;
		}
		if (S_ISDIR(st.st_mode))
			(void)nftw(srcs[i], warn_key_walk, 16, FTW_PHYS);
		else if (kg_scp_is_private_key(srcs[i]))
			kg_scp_warn_private_key(cl->prog, srcs[i]);
		kg_scp_basename(srcs[i], base, sizeof(base));
		if (!strcmp(base, ".") || !strcmp(base, "..")) {
			char *rp = realpath(srcs[i], NULL);
			kg_scp_basename(rp ? rp : "/", base, sizeof(base));
			free(rp);
		}
		if (target_is_dir ? join(to, sizeof(to), target, base) < 0 :
				    (size_t)snprintf(to, sizeof(to), "%s", target) >= sizeof(to)) {
			fprintf(stderr, "%s: %s: %s\n", cl->prog, srcs[i], strerror(ENAMETOOLONG));
			cl->errors++;
			continue;
		}
		meter m;
		kg_sftp_xfer_opts o;
		xfer_opts(cl, &m, &o);
		if (!S_ISDIR(st.st_mode))
			m.shown = base;
		int r = kg_sftp_put(&ss.s, srcs[i], to, &o);
		kg_progress_finish(&m.pm);
		if (r == KG_OK)
			kg_scp_note_transfer(&ss.rm, "sftp", srcs[i], to, m.acc_sum + m.acc_last, 1);
		if (r < 0) {
			report(cl, &ss.s, ss.s.remote_err ? to : srcs[i]);
			if (r != KG_ERR_SYSTEM)
				break;  /* the session itself failed */
		}
	}
out:
	free(target);
	sess_close(&ss);
	return KG_OK;
}

/* Downloads remote into the device or FIFO at path (opened, not
 * replaced); errors are printed and counted. */
static int direct_download(kg_scp_client *cl, kg_sftp *s, const char *remote, const char *path, meter *m)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		char esc[PATH_MAX * 4 + 8];
		kg_term_escape(path, strlen(path), esc, sizeof(esc));
		fprintf(stderr, "%s: %s: %s\n", cl->prog, esc, strerror(errno));
		cl->errors++;
		return KG_ERR_SYSTEM;
	}
	int r = kg_sftp_download(s, remote, fd, 0, on_progress, m);
	int e = errno;
	if (close(fd) < 0 && r == KG_OK) {
		e = errno;
		r = KG_ERR_SYSTEM;
	}
	if (r < 0) {
		errno = e;
		report(cl, s, s->remote_err ? remote : path);
	}
	return r;
}

static int local_is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int kg_scp_sftp_download(kg_scp_client *cl, const kg_scp_operand *src, const char *dst, int dst_dir)
{
	sftp_sess ss;
	if (sess_open(cl, 0, src, &ss) < 0) {
		cl->errors++;
		return KG_OK;
	}
	char *path = NULL, **matches = NULL;
	size_t nm = 0;
	int into_dir = dst_dir || local_is_dir(dst);
	if (remote_path(&ss.s, src->path, &path) < 0 || kg_sftp_glob(&ss.s, path, &matches, &nm) < 0) {
		report(cl, &ss.s, src->path);
		goto out;
	}
	if (nm == 0) {
		fprintf(stderr, "%s: %s: No such file or directory\n", cl->prog, src->path);
		cl->errors++;
		goto out;
	}
	if (nm > 1 && !into_dir) {
		fprintf(stderr, "%s: %s: Not a directory\n", cl->prog, dst);
		cl->errors++;
		goto out;
	}
	for (size_t i = 0; i < nm; i++) {
		char to[PATH_MAX], base[NAME_MAX + 1];
		kg_sftp_attrs a;
		if (kg_sftp_stat(&ss.s, matches[i], &a) < 0) {
			report(cl, &ss.s, matches[i]);
			continue;
		}
		if ((a.flags & SSH_FILEXFER_ATTR_PERMISSIONS) && S_ISDIR(a.perm) && !cl->recursive) {
			fprintf(stderr, "%s: %s: not a regular file\n", cl->prog, matches[i]);
			cl->errors++;
			continue;
		}
		kg_scp_basename(matches[i], base, sizeof(base));
		if (into_dir) {
			/* A name from the server (a glob match) stays inside dst. */
			if (!kg_scp_name_ok(base, strlen(base)) || join(to, sizeof(to), dst, base) < 0) {
				char esc[NAME_MAX * 4 + 8];
				kg_term_escape(base, strlen(base), esc, sizeof(esc));
				fprintf(stderr, "%s: refusing the name \"%s\" from the server\n", cl->prog, esc);
				cl->errors++;
				continue;
			}
		} else {
			snprintf(to, sizeof(to), "%s", dst);
		}
		meter m;
		kg_sftp_xfer_opts o;
		xfer_opts(cl, &m, &o);
		char real[PATH_MAX];
		int direct = 0, r;
		if (!((a.flags & SSH_FILEXFER_ATTR_PERMISSIONS) && S_ISDIR(a.perm)) &&
		    kg_scp_resolve_target(to, real, sizeof(real), &direct) == KG_OK && direct) {
			/* A device or FIFO (/dev/null, /dev/full) is written in
			 * place, as the legacy sink does: renaming a finished copy
			 * over it would replace the device node with a file. */
			r = direct_download(cl, &ss.s, matches[i], real, &m);
			if (r < 0) {
				kg_progress_finish(&m.pm);
				continue;
			}
		} else {
			r = kg_sftp_get(&ss.s, matches[i], to, &o);
		}
		kg_progress_finish(&m.pm);
		if (r == KG_OK)
			kg_scp_note_transfer(&ss.rm, "sftp", to, matches[i], m.acc_sum + m.acc_last, 0);
		if (r < 0) {
			report(cl, &ss.s, ss.s.remote_err ? matches[i] : to);
			if (r != KG_ERR_SYSTEM)
				break;
		}
	}
out:
	kg_sftp_glob_free(matches, nm);
	free(path);
	sess_close(&ss);
	return KG_OK;
}

/* -3 over SFTP: read from one server, write to the other. */
static int cross_file(kg_scp_client *cl, sftp_sess *a, sftp_sess *b, const char *from, const char *to,
		      const kg_sftp_attrs *at, uint8_t *buf)
{
	kg_sftp_handle hf, ht;
	kg_sftp_attrs na = { .flags = SSH_FILEXFER_ATTR_PERMISSIONS, .perm = at->perm & 0777 };
	if (kg_sftp_openf(&a->s, from, SSH_FXF_READ, NULL, &hf) < 0) {
		report(cl, &a->s, from);
		return KG_OK;
	}
	if (kg_sftp_openf(&b->s, to, SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC, &na, &ht) < 0) {
		report(cl, &b->s, to);
		(void)!kg_sftp_closef(&a->s, &hf);
		return KG_OK;
	}
	meter m;
	kg_sftp_xfer_opts o;
	xfer_opts(cl, &m, &o);
	uint64_t off = 0;
	int r = KG_OK, bad_a = 0;
	for (;;) {
		size_t got;
		if ((r = kg_sftp_read(&a->s, &hf, off, buf, CROSS_CHUNK, &got)) < 0) {
			bad_a = 1;
			break;
		}
		if (got == 0)
			break;
		if ((r = kg_sftp_write(&b->s, &ht, off, buf, got)) < 0)
			break;
		off += got;
		on_progress(&m, from, off, at->size);
	}
	kg_progress_finish(&m.pm);
	if (r < 0)
		report(cl, bad_a ? &a->s : &b->s, bad_a ? from : to);
	if (r == KG_OK && cl->preserve) {
		kg_sftp_attrs pa = { .flags = SSH_FILEXFER_ATTR_PERMISSIONS | SSH_FILEXFER_ATTR_ACMODTIME,
				     .perm = at->perm & 07777, .atime = at->atime, .mtime = at->mtime };
		if (kg_sftp_fsetstat(&b->s, &ht, &pa) < 0)
			report(cl, &b->s, to);
	}
	(void)!kg_sftp_closef(&a->s, &hf);
	if (kg_sftp_closef(&b->s, &ht) < 0 && r == KG_OK) {
		report(cl, &b->s, to);
		r = KG_ERR_PROTOCOL;
	}
	if (r == KG_OK) {
		/* Each connection carried the file once, through this computer;
		 * the far end is named by its host. */
		char far[PATH_MAX + 300];
		kg_scp_operand_label(b->op, to, far, sizeof(far));
		kg_scp_note_transfer(&a->rm, "sftp", far, from, off, 0);
		kg_scp_operand_label(a->op, from, far, sizeof(far));
		kg_scp_note_transfer(&b->rm, "sftp", far, to, off, 1);
	}
	return KG_OK;
}

static int cross_tree(kg_scp_client *cl, sftp_sess *a, sftp_sess *b, const char *from, const char *to,
		      uint8_t *buf, int depth)
{
	kg_sftp_attrs at;
	if (kg_sftp_stat(&a->s, from, &at) < 0) {
		report(cl, &a->s, from);
		return KG_OK;
	}
	if (!S_ISDIR(at.perm))
		return S_ISREG(at.perm) ? cross_file(cl, a, b, from, to, &at, buf) : KG_OK;
	if (!cl->recursive || depth > 64) {
		fprintf(stderr, "%s: %s: not a regular file\n", cl->prog, from);
		cl->errors++;
		return KG_OK;
	}
	kg_sftp_attrs da = { .flags = SSH_FILEXFER_ATTR_PERMISSIONS, .perm = (at.perm & 0777) | 0700 };
	kg_sftp_attrs ex;
	if (kg_sftp_stat(&b->s, to, &ex) < 0 && kg_sftp_mkdir(&b->s, to, &da) < 0) {
		report(cl, &b->s, to);
		return KG_OK;
	}
	kg_sftp_name *names = NULL;
	size_t nn = 0;
	if (kg_sftp_readdir_all(&a->s, from, 0, &names, &nn) < 0) {
		report(cl, &a->s, from);
		return KG_OK;
	}
	for (size_t i = 0; i < nn; i++) {
		const char *nm = names[i].filename;
		char f2[PATH_MAX], t2[PATH_MAX];
		if (!strcmp(nm, ".") || !strcmp(nm, ".."))
			continue;
		if (!kg_scp_name_ok(nm, strlen(nm)) || join(f2, sizeof(f2), from, nm) < 0 ||
		    join(t2, sizeof(t2), to, nm) < 0) {
			fprintf(stderr, "%s: %s: skipping an unusable name\n", cl->prog, from);
			cl->errors++;
			continue;
		}
		cross_tree(cl, a, b, f2, t2, buf, depth + 1);
	}
	kg_sftp_names_free(names, nn);
	if (cl->preserve) {
		kg_sftp_attrs pa = { .flags = SSH_FILEXFER_ATTR_PERMISSIONS | SSH_FILEXFER_ATTR_ACMODTIME,
				     .perm = at.perm & 07777, .atime = at.atime, .mtime = at.mtime };
		(void)!kg_sftp_setstat(&b->s, to, &pa);
	}
	return KG_OK;
}

int kg_scp_sftp_through_local(kg_scp_client *cl, const kg_scp_operand *src, const kg_scp_operand *dst,
			      int dst_dir)
{
	sftp_sess a, b;
	if (sess_open(cl, 0, src, &a) < 0) {
		cl->errors++;
		return KG_OK;
	}
	if (sess_open(cl, 1, dst, &b) < 0) {
		cl->errors++;
		sess_close(&a);
		return KG_OK;
	}
	char *from = NULL, *to = NULL, **matches = NULL;
	size_t nm = 0;
	uint8_t *buf = malloc(CROSS_CHUNK);
	kg_sftp_attrs at;
	if (!buf || remote_path(&a.s, src->path, &from) < 0 || remote_path(&b.s, dst->path, &to) < 0 ||
	    kg_sftp_glob(&a.s, from, &matches, &nm) < 0) {
		report(cl, &a.s, src->path);
		goto out;
	}
	int into_dir = kg_sftp_stat(&b.s, to, &at) == KG_OK && S_ISDIR(at.perm);
	if (nm == 0 || ((dst_dir || nm > 1) && !into_dir)) {
		fprintf(stderr, "%s: %s: %s\n", cl->prog, nm ? dst->path : src->path,
			nm ? "Not a directory" : "No such file or directory");
		cl->errors++;
		goto out;
	}
	for (size_t i = 0; i < nm; i++) {
		char t2[PATH_MAX], base[NAME_MAX + 1];
		kg_scp_basename(matches[i], base, sizeof(base));
		if (into_dir && (!kg_scp_name_ok(base, strlen(base)) || join(t2, sizeof(t2), to, base) < 0)) {
			cl->errors++;
			continue;
		}
		if (!into_dir)
			snprintf(t2, sizeof(t2), "%s", to);
		cross_tree(cl, &a, &b, matches[i], t2, buf, 0);
	}
out:
	free(buf);
	kg_sftp_glob_free(matches, nm);
	free(from);
	free(to);
	sess_close(&b);
	sess_close(&a);
	return KG_OK;
}
