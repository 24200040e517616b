/* The source: sends files and directories to a legacy scp sink. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "scp/scp-proto.h"
#include "scp/scp.h"

#define SOURCE_MAX_DEPTH 256

static int send_path(kg_scp *s, const char *path, const char *name, int depth);

static int send_times(kg_scp *s, const struct stat *st)
{
	char rec[96];
	int n = snprintf(rec, sizeof(rec), "T%lld 0 %lld 0\n", (long long)st->st_mtime, (long long)st->st_atime);
	GUARD(kg_scp_io_write(s->io, rec, (size_t)n));
	return kg_scp_response(s);
}

/* The name a path is sent under: its last component; "." and ".." and
 * "dir/" become the real folder's name. */
static int name_of(const char *path, char *out, size_t cap)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	const char *b = memrchr(path, '/', len);
	b = b ? b + 1 : path;
	size_t bl = (size_t)(path + len - b);
	if (bl == 0 || (bl == 1 && b[0] == '.') || (bl == 2 && b[0] == '.' && b[1] == '.')) {
		char *rp = realpath(path, NULL);
		if (!rp)
			return KG_ERR_SYSTEM;
		const char *rb = strrchr(rp, '/');
		rb = rb ? rb + 1 : rp;
		int ok = *rb != '\0' && strlen(rb) < cap;
		if (ok)
			strcpy(out, rb);
		free(rp);
		ENSURE(ok, KG_ERR_ARG);
		return KG_OK;
	}
	ENSURE(bl < cap, KG_ERR_TOO_LARGE);
	memcpy(out, b, bl);
	out[bl] = '\0';
	return KG_OK;
}

static int send_dir(kg_scp *s, const char *path, const char *name, const struct stat *st, int depth)
{
	if (depth >= SOURCE_MAX_DEPTH) {
		kg_scp_error(s, "%s: directories nested too deeply", path);
		return KG_OK;
	}
	DIR *d = opendir(path);
	if (!d) {
		kg_scp_error(s, "%s: %s", path, strerror(errno));
		return KG_OK;
	}
	int r;
	if (s->preserve && (r = send_times(s, st)) != 0) {
		closedir(d);
		return r < 0 ? r : KG_OK;
	}
	char rec[KG_SCP_LINE_MAX];
	int n = snprintf(rec, sizeof(rec), "D%04o 0 %s\n", (unsigned)(st->st_mode & KG_SCP_MODE_MASK), name);
	if (n <= 0 || (size_t)n >= sizeof(rec)) {
		closedir(d);
		kg_scp_error(s, "%s: %s", path, strerror(ENAMETOOLONG));
		return KG_OK;
	}
	if ((r = kg_scp_io_write(s->io, rec, (size_t)n)) < 0 || (r = kg_scp_response(s)) != 0) {
		closedir(d);
		return r < 0 ? r : KG_OK;
	}
	struct dirent *e;
	char child[PATH_MAX];
	r = KG_OK;
	while (r >= 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		int cl = snprintf(child, sizeof(child), "%s%s%s", path,
				  path[strlen(path) - 1] == '/' ? "" : "/", e->d_name);
		if (cl <= 0 || (size_t)cl >= sizeof(child)) {
			kg_scp_error(s, "%s/%s: %s", path, e->d_name, strerror(ENAMETOOLONG));
			continue;
		}
		r = send_path(s, child, e->d_name, depth + 1);
	}
	closedir(d);
	GUARD(r);
	GUARD(kg_scp_io_write(s->io, "E\n", 2));
	r = kg_scp_response(s);
	return r < 0 ? r : KG_OK;
}

static int send_file(kg_scp *s, const char *path, const char *name, int fd, const struct stat *st)
{
	int r;
	if (s->warn_keys && kg_scp_is_private_key(path))
		kg_scp_warn_private_key(s->prog, path);
	if (s->preserve && (r = send_times(s, st)) != 0)
		return r < 0 ? r : KG_OK;
	char rec[KG_SCP_LINE_MAX];
	int n = snprintf(rec, sizeof(rec), "C%04o %lld %s\n", (unsigned)(st->st_mode & KG_SCP_MODE_MASK),
			 (long long)st->st_size, name);
	if (n <= 0 || (size_t)n >= sizeof(rec)) {
		kg_scp_error(s, "%s: %s", path, strerror(ENAMETOOLONG));
		return KG_OK;
	}
	GUARD(kg_scp_io_write(s->io, rec, (size_t)n));
	if ((r = kg_scp_response(s)) != 0)
		return r < 0 ? r : KG_OK;
	uint64_t size = (uint64_t)st->st_size, done = 0;
	int rerr = 0;
	kg_progress_start(&s->pm, s->progress, STDOUT_FILENO, name, strlen(name), size, 0);
	while (done < size) {
		size_t want = size - done < KG_SCP_CHUNK ? (size_t)(size - done) : KG_SCP_CHUNK;
		if (!rerr) {
			ssize_t got = read(fd, s->buf, want);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				/* The file shrank or failed: the sink still expects
				 * size bytes; pad, then report the error. */
				rerr = got < 0 ? errno : EIO;
				memset(s->buf, 0, KG_SCP_CHUNK);
			} else {
				want = (size_t)got;
			}
		}
		if ((r = kg_scp_io_write(s->io, s->buf, want)) < 0) {
			s->pm.enabled = 0;
			if (!s->remote)
				fprintf(stderr, "\n%s: lost connection while sending %s\n", s->prog, path);
			return r;
		}
		done += want;
		kg_progress_update(&s->pm, done);
		kg_scp_io_pace(s->io, want);
	}
	kg_progress_finish(&s->pm);
	if (rerr)
		kg_scp_error(s, "%s: %s", path, strerror(rerr));
	else
		GUARD(kg_scp_io_write(s->io, "", 1));
	r = kg_scp_response(s);
	if (r == 0 && !rerr && s->file_done)
		s->file_done(s->file_done_arg, path, size);
	return r < 0 ? r : KG_OK;
}

static int send_path(kg_scp *s, const char *path, const char *name, int depth)
{
	if (strchr(name, '\n')) {
		kg_scp_error(s, "%s: skipping, the name contains a newline", path);
		return KG_OK;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		kg_scp_error(s, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return KG_OK;
	}
	int r = KG_OK;
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		fd = -1;
		if (s->recursive)
			r = send_dir(s, path, name, &st, depth);
		else
			kg_scp_error(s, "%s: not a regular file", path);
	} else if (!S_ISREG(st.st_mode)) {
		kg_scp_error(s, "%s: not a regular file", path);
	} else {
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		r = send_file(s, path, name, fd, &st);
	}
	if (fd >= 0)
		close(fd);
	return r;
}

int kg_scp_source(kg_scp *s, char *const *paths, size_t n)
{
	int r = kg_scp_response(s);
	if (r != 0)
		return r < 0 ? r : KG_ERR_PROTOCOL;
	for (size_t i = 0; i < n; i++) {
		char name[NAME_MAX + 1];
		if (name_of(paths[i], name, sizeof(name)) < 0) {
			kg_scp_error(s, "%s: %s", paths[i], strerror(errno ? errno : EINVAL));
			continue;
		}
		GUARD(send_path(s, paths[i], name, 0));
	}
	return KG_OK;
}
