/* The sink: receives files and directories from a legacy scp source. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "scp/scp-proto.h"
#include "scp/scp.h"

typedef struct sink_times {
	int set;
	int64_t mtime, atime;
} sink_times;

static int ack(kg_scp *s)
{
	return kg_scp_io_write(s->io, "", 1);
}

static void times_of(const sink_times *t, struct timespec ts[2])
{
	ts[0] = (struct timespec){ .tv_sec = (time_t)t->atime };
	ts[1] = (struct timespec){ .tv_sec = (time_t)t->mtime };
}

/* Joins dir and name into out. */
static int join(char *out, size_t cap, const char *dir, const char *name, size_t nlen)
{
	size_t dl = strlen(dir);
	int slash = dl > 0 && dir[dl - 1] == '/';
	int n = snprintf(out, cap, "%s%s%.*s", dir, slash ? "" : "/", (int)nlen, name);
	ENSURE(n > 0 && (size_t)n < cap, KG_ERR_TOO_LARGE);
	return KG_OK;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		if (w == 0)
			return ENOSPC;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One 'C' record: the data goes into a partial file that replaces the
 * target only once all of it has arrived and the source reported success. */
__attribute__((noinline)) static int recv_file(kg_scp *s, const kg_scp_ctl *c, const char *np, const sink_times *t)
{
	char final[PATH_MAX], partial[PATH_MAX];
	int direct = 0, fd = -1, werr = 0, existed = 0;
	uint64_t have = 0;
	mode_t mode = (mode_t)c->mode;
	struct stat st;
	if (kg_scp_resolve_target(np, final, sizeof(final), &direct) < 0) {
		kg_scp_error(s, "%s: %s", np, strerror(errno));
		return KG_OK;  /* the source skips the data */
	}
	if (!direct && stat(final, &st) == 0) {
		existed = 1;
		if (!s->preserve)
			mode = st.st_mode & KG_SCP_MODE_MASK;  /* an existing file keeps its mode */
	}
	size_t fl = strlen(final);
	if (fl > 0 && final[fl - 1] == '/') {
		/* "dir/" that is not a folder: say why, as open(2) would. */
		errno = stat(final, &st) < 0 ? errno : ENOTDIR;
	} else if (direct) {
		fd = open(final, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	} else if (kg_scp_partial_path(final, partial, sizeof(partial)) == KG_OK) {
		/* The old data must match to be kept; the legacy protocol resends
		 * every byte, so a partial file is simply rewritten. */
		if (kg_scp_open_partial(partial, 0, mode & 0777, &fd, &have) < 0)
			fd = -1;
	} else {
		errno = ENAMETOOLONG;
	}
	if (fd < 0) {
		kg_scp_error(s, "%s: %s", np, strerror(errno));
		return KG_OK;  /* the source skips the data */
	}
	GUARD(ack(s));
	const char *slash = strrchr(np, '/');
	kg_progress_start(&s->pm, s->progress, STDOUT_FILENO, slash ? slash + 1 : np,
			  strlen(slash ? slash + 1 : np), c->size, 0);
	uint64_t left = c->size, done = 0;
	int r = KG_OK;
	while (left > 0) {
		size_t want = left < KG_SCP_CHUNK ? (size_t)left : KG_SCP_CHUNK, got;
		if ((r = kg_scp_io_read(s->io, s->buf, want, &got)) < 0)
			break;
		if (got == 0) {
			r = KG_ERR_CLOSED;
			break;
		}
		if (!werr)
			werr = write_all(fd, s->buf, got);
		left -= got;
		done += got;
		kg_progress_update(&s->pm, done);
		kg_scp_io_pace(s->io, got);
	}
	if (r < 0) {
		/* The connection broke mid-file: the target stays as it was. */
		close(fd);
		if (!direct)
			unlink(partial);
		s->pm.enabled = 0;
		if (!s->remote)
			fprintf(stderr, "\n%s: lost connection while receiving a file\n", s->prog);
		return r;
	}
	kg_progress_finish(&s->pm);
	int resp = kg_scp_response(s);
	if (resp < 0) {
		close(fd);
		if (!direct)
			unlink(partial);
		return resp;
	}
	if (!werr && s->preserve) {
		if (fchmod(fd, mode) < 0)
			werr = errno;
	} else if (!werr && !existed && !direct) {
		if (fchmod(fd, mode & 0777 & ~s->umask) < 0)
			werr = errno;
	}
	if (!werr && t->set) {
		struct timespec ts[2];
		times_of(t, ts);
		(void)futimens(fd, ts);
	}
	if (close(fd) < 0 && !werr)
		werr = errno;
	if (!werr && !resp && !direct && rename(partial, final) < 0)
		werr = errno;
	if (werr || resp) {
		if (!direct)
			unlink(partial);
		if (werr) {
			kg_scp_error(s, "%s: %s", np, strerror(werr));
			return KG_OK;
		}
		/* The source failed to read its file: it knows, and the
		 * incomplete copy is not kept. */
		return ack(s);
	}
	if (s->file_done)
		s->file_done(s->file_done_arg, np, c->size);
	return ack(s);
}

#define SINK_MAX_DEPTH 256   /* a peer cannot nest directories without end */

static int has_glob(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

/* Names are the peer's choice: anything that could leave the target
 * folder, or that the user did not ask for, ends the copy. */
__attribute__((noinline)) static int check_name(kg_scp *s, const kg_scp_ctl *c, const char *name, int depth, int *count)
{
	char esc[KG_SCP_LINE_MAX];
	kg_term_escape(c->name, c->name_len, esc, sizeof(esc));
	if (!kg_scp_name_ok(c->name, c->name_len)) {
		kg_scp_error(s, "refusing a file name the server should not send: \"%s\"", esc);
		return KG_ERR_PROTOCOL;
	}
	if (depth > 0 || s->no_name_check)
		return KG_OK;
	if (s->expect) {
		int match = has_glob(s->expect) ? fnmatch(s->expect, name, 0) == 0 : strcmp(s->expect, name) == 0;
		if (!match) {
			kg_scp_error(s, "refusing \"%s\": the server sent a name that was not asked for", esc);
			return KG_ERR_PROTOCOL;
		}
	}
	if (s->expect_single && ++*count > 1) {
		kg_scp_error(s, "refusing \"%s\": the server sent more than the one file asked for", esc);
		return KG_ERR_PROTOCOL;
	}
	return KG_OK;
}

static int recv_dir(kg_scp *s, const kg_scp_ctl *c, const char *np, const sink_times *t, int depth);

/* Out of line: its buffer should not sit in every level's stack frame. */
__attribute__((noinline)) static void print_peer_message(const char *line, size_t len)
{
	char esc[KG_SCP_LINE_MAX];
	kg_term_escape(line, len, esc, sizeof(esc));
	fprintf(stderr, "%s\n", esc);
}

static int sink_loop(kg_scp *s, const char *targ, int targisdir, int depth)
{
	sink_times t = { 0 };
	int count = 0;
	/* Only np lives on across the recursion; the record buffers are
	 * shared, so deep trees cost little stack. */
	char np[PATH_MAX], *line = s->line, *name = s->name;
	for (;;) {
		int ch;
		size_t len;
		GUARD(kg_scp_io_getc(s->io, &ch));
		if (ch < 0) {
			if (depth == 0)
				return KG_OK;
			if (!s->remote)
				fprintf(stderr, "%s: lost connection\n", s->prog);
			return KG_ERR_CLOSED;
		}
		if (ch == 1 || ch == 2) {
			GUARD(kg_scp_io_read_line(s->io, line, KG_SCP_LINE_MAX, &len));
			if (!s->remote)
				print_peer_message(line, len);
			s->errors++;
			if (ch == 2)
				return KG_ERR_PROTOCOL;
			continue;
		}
		line[0] = (char)ch;
		int r = ch == '\n' ? KG_ERR_FORMAT : kg_scp_io_read_line(s->io, line + 1, KG_SCP_LINE_MAX - 1, &len);
		kg_scp_ctl c;
		if (r == KG_OK)
			r = kg_scp_parse_ctl(line, len + 1, &c);
		if (r == KG_OK && c.type == 'E' && depth == 0)
			r = KG_ERR_FORMAT;
		if (r < 0) {
			if (r == KG_ERR_CLOSED)
				return r;
			kg_scp_error(s, "protocol error: unexpected record from the source");
			return KG_ERR_PROTOCOL;
		}
		switch (c.type) {
		case 'E':
			return ack(s);
		case 'T':
			t.set = 1;
			t.mtime = c.mtime;
			t.atime = c.atime;
			GUARD(ack(s));
			continue;
		default:
			break;
		}
		memcpy(name, c.name, c.name_len);
		name[c.name_len] = '\0';
		GUARD(check_name(s, &c, name, depth, &count));
		if (targisdir) {
			if (join(np, sizeof(np), targ, name, c.name_len) < 0) {
				kg_scp_error(s, "%s/%s: %s", targ, name, strerror(ENAMETOOLONG));
				t.set = 0;
				continue;
			}
		} else {
			snprintf(np, sizeof(np), "%s", targ);
		}
		if (c.type == 'D')
			GUARD(recv_dir(s, &c, np, &t, depth));
		else
			GUARD(recv_file(s, &c, np, &t));
		t.set = 0;
	}
}

static int recv_dir(kg_scp *s, const kg_scp_ctl *c, const char *np, const sink_times *t, int depth)
{
	struct stat st;
	int created = 0;
	if (!s->recursive) {
		kg_scp_error(s, "received a directory without -r");
		return KG_ERR_PROTOCOL;
	}
	if (depth + 1 >= SINK_MAX_DEPTH) {
		kg_scp_error(s, "%s: directories nested too deeply", np);
		return KG_ERR_PROTOCOL;
	}
	if (stat(np, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			kg_scp_error(s, "%s: %s", np, strerror(ENOTDIR));
			return KG_OK;
		}
		if (s->preserve)
			(void)chmod(np, (mode_t)c->mode);
	} else if (mkdir(np, ((mode_t)c->mode & 0777) | S_IRWXU) < 0) {
		kg_scp_error(s, "%s: %s", np, strerror(errno));
		return KG_OK;
	} else {
		created = 1;
	}
	GUARD(ack(s));
	GUARD(sink_loop(s, np, 1, depth + 1));
	if (s->preserve || created)
		(void)chmod(np, s->preserve ? (mode_t)c->mode : (mode_t)c->mode & 0777 & ~s->umask);
	if (t->set) {
		struct timespec ts[2];
		times_of(t, ts);
		(void)utimensat(AT_FDCWD, np, ts, 0);
	}
	return KG_OK;
}

int kg_scp_sink(kg_scp *s, const char *target)
{
	struct stat st;
	int isdir = stat(target, &st) == 0 && S_ISDIR(st.st_mode);
	if (s->target_dir && !isdir) {
		kg_scp_error(s, "%s: %s", target, strerror(stat(target, &st) == 0 ? ENOTDIR : errno));
		return KG_ERR_ARG;
	}
	GUARD(ack(s));
	return sink_loop(s, target, isdir, 0);
}
