/* SFTP client: files or whole trees in either direction, and remote glob
 * patterns expanded with readdir and fnmatch(3). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "sftp/sftp-client-int.h"
#include "sys/term-escape.h"

#define MAX_DEPTH 128
#define GLOB_MAX 100000

static char *join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), len = dl + strlen(name) + 2;
	char *p = malloc(len);
	if (!p)
		return NULL;
	if (dl == 0)
		snprintf(p, len, "%s", name);
	else
		snprintf(p, len, "%s%s%s", dir, dir[dl - 1] == '/' ? "" : "/", name);
	return p;
}

void kg_sftp_print_safe(FILE *f, const char *s)
{
	/* In pieces through the one escaper (kg_term_escape): a piece never
	 * ends inside a UTF-8 character that the rest of s completes. */
	char out[4 * 1024 + 1];
	size_t len = strlen(s);
	while (len > 0) {
		size_t n = len > 1024 ? 1024 : len;
		if (n < len) {
			size_t keep = kg_term_utf8_pending(s, n);
			if (keep < n)
				n -= keep;
		}
		size_t w = kg_term_escape(s, n, out, sizeof(out));
		fwrite(out, 1, w, f);
		s += n;
		len -= n;
	}
}

/* "VERB FROM[/] to TO" on stdout; either path may hold a server's names. */
static void announce(const char *verb, const char *from, const char *slash, const char *to)
{
	printf("%s ", verb);
	kg_sftp_print_safe(stdout, from);
	printf("%s to ", slash);
	kg_sftp_print_safe(stdout, to);
	putchar('\n');
}

static const char *base_name(const char *path)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	const char *e = path + n;
	const char *b = e;
	while (b > path && b[-1] != '/')
		b--;
	return b;
}

/* basename as a new string (trailing slashes dropped) */
static char *base_dup(const char *path)
{
	const char *b = base_name(path);
	size_t n = strlen(b);
	while (n > 1 && b[n - 1] == '/')
		n--;
	char *r = malloc(n + 1);
	if (r) {
		memcpy(r, b, n);
		r[n] = '\0';
	}
	return r;
}

/* A name a server put in a listing: one plain component, nothing else. */
static int safe_name(const char *n)
{
	return n[0] && strcmp(n, ".") != 0 && strcmp(n, "..") != 0 && !strchr(n, '/');
}

static void report(kg_sftp *s)
{
	kg_error(s->log, "%s", kg_sftp_error(s));
}

static int get_tree(kg_sftp *s, const char *rdir, const char *ldir, const kg_sftp_attrs *ra,
		    const kg_sftp_xfer_opts *o, int depth)
{
	kg_sftp_name *v;
	size_t n;
	int failed = 0;
	if (depth > MAX_DEPTH)
		return cl_fail_text(s, ELOOP, "%s: directory tree too deep", rdir);
	mode_t mode = (ra->flags & SSH_FILEXFER_ATTR_PERMISSIONS) ? (mode_t)(ra->perm & 0777) : 0755;
	if (mkdir(ldir, mode | 0700) < 0) {
		struct stat st;
		if (errno != EEXIST || stat(ldir, &st) < 0 || !S_ISDIR(st.st_mode))
			return cl_fail_local(s, errno == EEXIST ? ENOTDIR : errno, ldir);
	}
	if (!o->quiet)
		announce("Fetching", rdir, "/", ldir);
	GUARD(kg_sftp_readdir_all(s, rdir, 0, &v, &n));
	for (size_t i = 0; i < n; i++) {
		const char *fn = v[i].filename;
		if (strcmp(fn, ".") == 0 || strcmp(fn, "..") == 0)
			continue;
		if (!safe_name(fn)) {
			kg_error(s->log, "%s: server sent an unsafe name; skipped", rdir);
			failed = 1;
			continue;
		}
		char *rp = join(rdir, fn), *lp = join(ldir, fn);
		int r = KG_ERR_ALLOC;
		if (rp && lp) {
			uint32_t m = v[i].attrs.perm;
			if (!(v[i].attrs.flags & SSH_FILEXFER_ATTR_PERMISSIONS)) {
				kg_sftp_attrs a;
				r = kg_sftp_lstat(s, rp, &a);
				m = r == KG_OK ? a.perm : 0;
			}
			if (S_ISDIR(m)) {
				r = get_tree(s, rp, lp, &v[i].attrs, o, depth + 1);
			} else if (S_ISREG(m)) {
				if (!o->quiet)
					announce("Fetching", rp, "", lp);
				r = cl_get_file(s, rp, lp, o,
						(v[i].attrs.flags & SSH_FILEXFER_ATTR_PERMISSIONS) ? &v[i].attrs : NULL);
				if (r < 0 && r == KG_ERR_SYSTEM)
					report(s);
			} else {
				kg_info(s->log, "%s: not a regular file", rp);
				r = KG_OK;
			}
		}
		free(rp);
		free(lp);
		if (r < 0 && r != KG_ERR_SYSTEM) {
			kg_sftp_names_free(v, n);
			return r;  /* the connection is gone */
		}
		if (r < 0)
			failed = 1;
	}
	kg_sftp_names_free(v, n);
	if (o->preserve) {
		if (chmod(ldir, (mode_t)(ra->perm & 07777)) < 0)
			failed = 1;
		if (ra->flags & SSH_FILEXFER_ATTR_ACMODTIME) {
			struct timespec ts[2] = { { .tv_sec = ra->atime }, { .tv_sec = ra->mtime } };
			if (utimensat(AT_FDCWD, ldir, ts, 0) < 0)
				failed = 1;
		}
	} else if ((mode | 0700) != mode && chmod(ldir, mode) < 0) {
		failed = 1;
	}
	return failed ? cl_fail_text(s, EIO, "%s: some files were not copied", rdir) : KG_OK;
}

int kg_sftp_get(kg_sftp *s, const char *remote_path, const char *local_path, const kg_sftp_xfer_opts *o)
{
	kg_sftp_xfer_opts none;
	kg_sftp_attrs ra;
	struct stat st;
	if (!o) {
		memset(&none, 0, sizeof(none));
		none.quiet = 1;
		o = &none;
	}
	GUARD(kg_sftp_stat(s, remote_path, &ra));
	char *target = NULL;
	if (stat(local_path, &st) == 0 && S_ISDIR(st.st_mode)) {
		char *b = base_dup(remote_path);
		if (!b)
			return KG_ERR_ALLOC;
		if (!safe_name(b)) {
			free(b);
			return cl_fail_text(s, EINVAL, "%s: cannot name a local file after it", remote_path);
		}
		target = join(local_path, b);
		free(b);
	} else {
		target = strdup(local_path);
	}
	if (!target)
		return KG_ERR_ALLOC;
	int r;
	if (S_ISDIR(ra.perm)) {
		r = o->recursive ? get_tree(s, remote_path, target, &ra, o, 0)
				 : cl_fail_text(s, EISDIR, "%s: is a directory (use -r)", remote_path);
	} else {
		if (!o->quiet)
			announce("Fetching", remote_path, "", target);
		r = cl_get_file(s, remote_path, target, o, &ra);
	}
	free(target);
	return r;
}

static int put_tree(kg_sftp *s, const char *ldir, const char *rdir, const struct stat *lst,
		    const kg_sftp_xfer_opts *o, int depth)
{
	int failed = 0;
	if (depth > MAX_DEPTH)
		return cl_fail_text(s, ELOOP, "%s: directory tree too deep", ldir);
	kg_sftp_attrs a;
	memset(&a, 0, sizeof(a));
	a.flags = SSH_FILEXFER_ATTR_PERMISSIONS;
	a.perm = (uint32_t)((lst->st_mode & 0777) | 0700);
	if (!o->quiet)
		printf("Entering %s\n", ldir);
	if (kg_sftp_mkdir(s, rdir, &a) < 0) {
		kg_sftp_attrs ra;
		int r = kg_sftp_stat(s, rdir, &ra);
		if (r == KG_ERR_SYSTEM || (r == KG_OK && !S_ISDIR(ra.perm)))
			return cl_fail_text(s, ENOTDIR, "%s: cannot create directory", rdir);
		GUARD(r);
	}
	DIR *d = opendir(ldir);
	if (!d)
		return cl_fail_local(s, errno, ldir);
	struct dirent *de;
	int r = KG_OK;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *lp = join(ldir, de->d_name), *rp = join(rdir, de->d_name);
		struct stat st;
		r = KG_ERR_ALLOC;
		if (lp && rp) {
			if (lstat(lp, &st) < 0) {
				r = cl_fail_local(s, errno, lp);
				report(s);
			} else if (S_ISDIR(st.st_mode)) {
				r = put_tree(s, lp, rp, &st, o, depth + 1);
			} else if (S_ISREG(st.st_mode)) {
				if (!o->quiet)
					announce("Uploading", lp, "", rp);
				r = kg_sftp_put_file(s, lp, rp, o);
				if (r == KG_ERR_SYSTEM)
					report(s);
			} else {
				kg_info(s->log, "%s: not a regular file", lp);
				r = KG_OK;
			}
		}
		free(lp);
		free(rp);
		if (r < 0 && r != KG_ERR_SYSTEM)
			break;
		if (r < 0)
			failed = 1;
		r = KG_OK;
	}
	closedir(d);
	GUARD(r);
	a.flags = SSH_FILEXFER_ATTR_PERMISSIONS;
	a.perm = (uint32_t)(lst->st_mode & (o->preserve ? 07777 : 0777));
	if (o->preserve) {
		a.flags |= SSH_FILEXFER_ATTR_ACMODTIME;
		a.atime = (uint32_t)lst->st_atime;
		a.mtime = (uint32_t)lst->st_mtime;
	}
	if ((o->preserve || (lst->st_mode & 0700) != 0700) && kg_sftp_setstat(s, rdir, &a) < 0)
		failed = 1;
	return failed ? cl_fail_text(s, EIO, "%s: some files were not copied", ldir) : KG_OK;
}

int kg_sftp_put(kg_sftp *s, const char *local_path, const char *remote_path, const kg_sftp_xfer_opts *o)
{
	kg_sftp_xfer_opts none;
	struct stat st;
	kg_sftp_attrs ra;
	if (!o) {
		memset(&none, 0, sizeof(none));
		none.quiet = 1;
		o = &none;
	}
	if (stat(local_path, &st) < 0)
		return cl_fail_local(s, errno, local_path);
	char *target = NULL;
	int r = kg_sftp_stat(s, remote_path, &ra);
	if (r < 0 && r != KG_ERR_SYSTEM)
		return r;
	if (r == KG_OK && S_ISDIR(ra.perm)) {
		char *b = base_dup(local_path);
		if (!b)
			return KG_ERR_ALLOC;
		target = join(remote_path, b);
		free(b);
	} else {
		target = strdup(remote_path);
	}
	if (!target)
		return KG_ERR_ALLOC;
	if (S_ISDIR(st.st_mode)) {
		r = o->recursive ? put_tree(s, local_path, target, &st, o, 0)
				 : cl_fail_text(s, EISDIR, "%s: is a directory (use -r)", local_path);
	} else {
		if (!o->quiet)
			announce("Uploading", local_path, "", target);
		r = kg_sftp_put_file(s, local_path, target, o);
	}
	free(target);
	return r;
}

/* ---- glob ---- */

static int has_magic(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n) {
			i++;
			continue;
		}
		if (p[i] == '*' || p[i] == '?' || p[i] == '[')
			return 1;
	}
	return 0;
}

typedef struct strvec {
	char **v;
	size_t n, cap;
} strvec;

static int sv_add(strvec *sv, char *p)
{
	if (!p)
		return KG_ERR_ALLOC;
	if (sv->n >= GLOB_MAX) {
		free(p);
		return KG_ERR_TOO_LARGE;
	}
	if (sv->n == sv->cap) {
		size_t nc = sv->cap ? sv->cap * 2 : 16;
		char **nv = realloc(sv->v, nc * sizeof(*nv));
		if (!nv) {
			free(p);
			return KG_ERR_ALLOC;
		}
		sv->v = nv;
		sv->cap = nc;
	}
	sv->v[sv->n++] = p;
	return KG_OK;
}

void kg_sftp_glob_free(char **paths, size_t n)
{
	for (size_t i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Removes backslash escapes from a literal component. */
static char *unescape(const char *p, size_t n)
{
	char *r = malloc(n + 1);
	size_t k = 0;
	if (!r)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n)
			i++;
		r[k++] = p[i];
	}
	r[k] = '\0';
	return r;
}

static int glob_step(kg_sftp *s, const strvec *cur, const char *comp, size_t cl, int last, strvec *next)
{
	char *pat = malloc(cl + 1);
	if (!pat)
		return KG_ERR_ALLOC;
	memcpy(pat, comp, cl);
	pat[cl] = '\0';
	int r = KG_OK;
	int magic = has_magic(comp, cl);
	for (size_t i = 0; i < cur->n && r >= 0; i++) {
		if (!magic) {
			char *lit = unescape(comp, cl);
			r = lit ? sv_add(next, join(cur->v[i], lit)) : KG_ERR_ALLOC;
			free(lit);
			continue;
		}
		kg_sftp_name *v;
		size_t n;
		int rr = kg_sftp_readdir_all(s, cur->v[i][0] ? cur->v[i] : ".", 0, &v, &n);
		if (rr == KG_ERR_SYSTEM)
			continue;  /* unreadable or not a directory: no matches there */
		if (rr < 0) {
			r = rr;
			break;
		}
		for (size_t k = 0; k < n && r >= 0; k++) {
			const char *fn = v[k].filename;
			if (!safe_name(fn) || fnmatch(pat, fn, FNM_PERIOD) != 0)
				continue;
			uint32_t m = v[k].attrs.perm;
			if (!last && (v[k].attrs.flags & SSH_FILEXFER_ATTR_PERMISSIONS) && !S_ISDIR(m) && !S_ISLNK(m))
				continue;
			r = sv_add(next, join(cur->v[i], fn));
		}
		kg_sftp_names_free(v, n);
	}
	free(pat);
	return r;
}

int kg_sftp_glob(kg_sftp *s, const char *pattern, char ***paths, size_t *n)
{
	strvec cur = { 0 }, next = { 0 };
	int r;
	*paths = NULL;
	*n = 0;
	if (!has_magic(pattern, strlen(pattern))) {
		GUARD(sv_add(&cur, strdup(pattern)));
		*paths = cur.v;
		*n = cur.n;
		return KG_OK;
	}
	GUARD_GOTO(r, sv_add(&cur, strdup(pattern[0] == '/' ? "/" : "")), out);
	const char *p = pattern;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchr(p, '/');
		size_t cl = e ? (size_t)(e - p) : strlen(p);
		const char *rest = p + cl;
		while (*rest == '/')
			rest++;
		GUARD_GOTO(r, glob_step(s, &cur, p, cl, *rest == '\0', &next), out);
		kg_sftp_glob_free(cur.v, cur.n);
		cur = next;
		memset(&next, 0, sizeof(next));
		p += cl;
	}
	if (cur.n > 1)
		qsort(cur.v, cur.n, sizeof(*cur.v), cmp_str);
	*paths = cur.v;
	*n = cur.n;
	return KG_OK;
out:
	kg_sftp_glob_free(cur.v, cur.n);
	kg_sftp_glob_free(next.v, next.n);
	return r;
}
