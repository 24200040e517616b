/* SFTP client transfers: reads and writes kept in flight, as many bytes as
 * bandwidth x round trip calls for (sftp-client-flow.h; -R fixes the
 * count), so a transfer runs at the link's speed rather than one round trip
 * per block; and whole-file get/put with temporary files and resume. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "sftp/sftp-client-int.h"

#define RESUME_CHECK (64u * 1024)
/* Queued writes go out once they reach this much: the server starts on
 * them while more are read from the disk, and the request buffer stays
 * bounded whatever num_requests x block_size comes to. */
#define WRITE_BATCH (1024u * 1024)

typedef struct xreq {
	uint32_t id;
	uint64_t off;
	uint32_t len;
	int used;
	uint64_t sent_us;
} xreq;

typedef struct xfer {
	xreq *r;
	unsigned n, inflight;     /* slots; requests in flight */
	uint64_t bytes;           /* bytes they ask for or carry */
	kg_sftp_flow flow;
} xfer;

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int xfer_init(kg_sftp *s, xfer *x)
{
	unsigned start = s->num_requests ? s->num_requests : KG_SFTP_DEFAULT_REQUESTS;
	uint64_t bs = s->block_size ? s->block_size : KG_SFTP_DEFAULT_BLOCK;
	uint64_t floor = start * bs, cap = s->fixed_requests ? floor : s->inflight_cap;
	/* enough slots for cap bytes in blocks, within KG_SFTP_MAX_REQUESTS */
	uint64_t slots = (cap + bs - 1) / bs;
	if (slots > KG_SFTP_MAX_REQUESTS)
		slots = KG_SFTP_MAX_REQUESTS;
	if (slots < start)
		slots = start;
	x->n = (unsigned)slots;
	x->inflight = 0;
	x->bytes = 0;
	kg_sftp_flow_init(&x->flow, floor, cap, now_us());
	s->inflight_peak = floor;
	x->r = calloc(x->n, sizeof(*x->r));
	return x->r ? KG_OK : KG_ERR_ALLOC;
}

static void xfer_log(kg_sftp *s, const xfer *x)
{
	kg_debug(s->log, "transfer: up to %llu bytes in flight (cap %llu), shortest round trip %llu us, best rate %llu bytes/s",
		 (unsigned long long)s->inflight_peak, (unsigned long long)x->flow.cap,
		 (unsigned long long)x->flow.rtt_min_us, (unsigned long long)x->flow.bw);
}

/* Room for one more request: a free slot and bytes under the target. */
static int xfer_room(const xfer *x)
{
	return x->inflight < x->n && x->bytes < kg_sftp_flow_target(&x->flow);
}

/* q's reply came, carrying got bytes. */
static void xfer_done(kg_sftp *s, xfer *x, xreq *q, uint64_t got)
{
	q->used = 0;
	x->inflight--;
	x->bytes -= q->len;
	kg_sftp_flow_reply(&x->flow, got, q->sent_us, now_us());
	if (kg_sftp_flow_target(&x->flow) > s->inflight_peak)
		s->inflight_peak = kg_sftp_flow_target(&x->flow);
}

static xreq *xfer_slot(xfer *x, uint32_t id)
{
	for (unsigned k = 0; k < x->n; k++) {
		xreq *q = &x->r[(id + k) % x->n];
		if (!q->used)
			return q;
	}
	return NULL;
}

static xreq *xfer_find(xfer *x, uint32_t id)
{
	for (unsigned k = 0; k < x->n; k++) {
		xreq *q = &x->r[(id + k) % x->n];
		if (q->used && q->id == id)
			return q;
	}
	return NULL;
}

static int queue_read(kg_sftp *s, xfer *x, const kg_sftp_handle *h, uint64_t off, uint32_t len)
{
	uint32_t id;
	size_t mark;
	GUARD(cl_begin(s, SSH_FXP_READ, &id, &mark));
	GUARD(cl_put_handle(s, h));
	GUARD(kg_buf_put_u64(&s->out, off));
	GUARD(kg_buf_put_u32(&s->out, len));
	GUARD(cl_end(s, mark));
	xreq *q = xfer_slot(x, id);
	ENSURE(q != NULL, KG_ERR_INTERNAL);
	*q = (xreq){ .id = id, .off = off, .len = len, .used = 1, .sent_us = now_us() };
	x->inflight++;
	x->bytes += len;
	return KG_OK;
}

/* Writes data at off; a pipe or terminal takes it only in order. */
static int local_write(int fd, const uint8_t *d, size_t len, uint64_t off, uint64_t *seq_pos)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, d, len, (off_t)off);
		if (n < 0 && errno == ESPIPE) {
			if (off != *seq_pos)
				return EINVAL;
			n = write(fd, d, len);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : ENOSPC;
		d += n;
		len -= (size_t)n;
		off += (uint64_t)n;
		*seq_pos = off;
	}
	return 0;
}

/* known: the file's attributes from a stat or readdir just made (or NULL):
 * its size saves asking for it again. */
static int download(kg_sftp *s, const char *remote_path, int local_fd, uint64_t offset,
		    const kg_sftp_attrs *known, kg_sftp_progress_fn cb, void *cb_arg)
{
	kg_sftp_handle h;
	kg_sftp_attrs a;
	xfer x;
	GUARD(kg_sftp_openf(s, remote_path, SSH_FXF_READ, NULL, &h));
	int size_known;
	if (known && (known->flags & SSH_FILEXFER_ATTR_SIZE))
		a = *known;
	else if (kg_sftp_fstat(s, &h, &a) != KG_OK)
		a.flags = 0;
	size_known = (a.flags & SSH_FILEXFER_ATTR_SIZE) != 0;
	uint64_t size = size_known ? a.size : 0;
	int r = xfer_init(s, &x);
	if (r < 0) {
		(void)!kg_sftp_closef(s, &h);
		return r;
	}
	uint64_t next = offset, end = offset, done = offset, seq = offset, start_ms = cl_now_ms();
	int eof = 0, failed = 0, fatal = 0;
	int fail_r = KG_OK;  /* the first failure; later flushes must not hide it */
	uint32_t bs = (uint32_t)s->block_size;
	/* Reads stop at the size fstat gave, plus one read there that finds the
	 * end: a small file costs one round trip and not a window full of reads
	 * past its end.  Should that read bring data, the file grew and is read
	 * on to its real end. */
	uint64_t known_end = size_known ? size : UINT64_MAX;
	int probing = 0;
	for (;;) {
		while (!eof && !failed && xfer_room(&x) && !(next >= known_end && probing)) {
			uint32_t len = bs;
			if (next < known_end && known_end - next < bs)
				len = (uint32_t)(known_end - next);
			if (next >= known_end)
				probing = 1;
			GUARD_GOTO(r, queue_read(s, &x, &h, next, len), out);
			next += len;
		}
		GUARD_GOTO(r, cl_flush(s), out);
		if (x.inflight == 0)
			break;
		GUARD_GOTO(r, cl_recv(s), out);
		xreq *q = xfer_find(&x, s->reply.id);
		ENSURE_GOTO(r, q != NULL, KG_ERR_PROTOCOL, out);
		kg_buf *b = &s->reply.body;
		if (s->reply.type == SSH_FXP_DATA) {
			const uint8_t *d;
			size_t dl;
			GUARD_GOTO(r, kg_buf_get_string_direct(b, &d, &dl), out);
			ENSURE_GOTO(r, dl <= q->len, KG_ERR_PROTOCOL, out);
			xfer_done(s, &x, q, dl);
			if (failed)
				continue;
			int e = local_write(local_fd, d, dl, q->off, &seq);
			if (e) {
				fail_r = cl_fail_local(s, e, "write");
				failed = 1;
				continue;
			}
			done += dl;
			if (q->off + dl > end)
				end = q->off + dl;
			if (dl > 0 && q->off + dl > known_end)
				known_end = UINT64_MAX;  /* it grew */
			/* a short read: ask again for the rest of the block */
			if (dl < q->len && !eof) {
				GUARD_GOTO(r, queue_read(s, &x, &h, q->off + dl, q->len - (uint32_t)dl), out);
			}
			if (cb)
				cb(cb_arg, remote_path, done, size);
			cl_throttle(s, start_ms, done - offset);
		} else if (s->reply.type == SSH_FXP_STATUS) {
			uint32_t code;
			const uint8_t *msg;
			size_t ml;
			xfer_done(s, &x, q, 0);
			GUARD_GOTO(r, kg_sftp_parse_status(b, &code, &msg, &ml), out);
			if (code == SSH_FX_EOF || code == SSH_FX_OK) {
				eof = 1;
			} else if (!failed) {
				fail_r = cl_fail_remote(s, code, msg, ml);
				failed = 1;
			}
		} else {
			r = KG_ERR_PROTOCOL;
			goto out;
		}
	}
	if (failed)
		r = fail_r;
	if (!failed) {
		struct stat st;
		if (fstat(local_fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > end &&
		    ftruncate(local_fd, (off_t)end) < 0)
			r = cl_fail_local(s, errno, "truncate");
		else
			r = KG_OK;
	}
out:
	if (r < 0 && !failed && r != KG_ERR_SYSTEM)
		fatal = 1;
	xfer_log(s, &x);
	free(x.r);
	if (!fatal) {
		int rc = kg_sftp_closef(s, &h);
		if (r == KG_OK)
			r = rc;
	}
	return r;
}

int kg_sftp_download(kg_sftp *s, const char *remote_path, int local_fd, uint64_t offset,
		     kg_sftp_progress_fn cb, void *cb_arg)
{
	return download(s, remote_path, local_fd, offset, NULL, cb, cb_arg);
}

/* Queues a WRITE whose data is read from the local file straight into the
 * message.  *n = 0 at end of the local file. */
static int queue_write(kg_sftp *s, xfer *x, const kg_sftp_handle *h, int fd, uint64_t off, size_t *n)
{
	uint32_t id;
	size_t mark, start = kg_buf_len(&s->out);
	uint8_t *p;
	*n = 0;
	GUARD(cl_begin(s, SSH_FXP_WRITE, &id, &mark));
	GUARD(cl_put_handle(s, h));
	GUARD(kg_buf_put_u64(&s->out, off));
	size_t lenpos = kg_buf_len(&s->out);
	GUARD(kg_buf_put_u32(&s->out, 0));
	GUARD(kg_buf_reserve(&s->out, s->block_size, &p));
	ssize_t got;
	do
		got = read(fd, p, s->block_size);
	while (got < 0 && errno == EINTR);
	int err = errno;
	if (got <= 0) {
		GUARD(kg_buf_consume_end(&s->out, kg_buf_len(&s->out) - start));
		return got < 0 ? cl_fail_local(s, err, "read") : KG_OK;
	}
	GUARD(kg_buf_consume_end(&s->out, s->block_size - (size_t)got));
	kg_poke_u32(kg_buf_mutable_ptr(&s->out) + lenpos, (uint32_t)got);
	GUARD(cl_end(s, mark));
	xreq *q = xfer_slot(x, id);
	ENSURE(q != NULL, KG_ERR_INTERNAL);
	*q = (xreq){ .id = id, .off = off, .len = (uint32_t)got, .used = 1, .sent_us = now_us() };
	x->inflight++;
	x->bytes += (uint64_t)got;
	*n = (size_t)got;
	return KG_OK;
}

int kg_sftp_upload(kg_sftp *s, int local_fd, const char *remote_path, uint64_t offset, unsigned flags,
		   kg_sftp_progress_fn cb, void *cb_arg)
{
	struct stat st;
	kg_sftp_handle h;
	kg_sftp_attrs a;
	xfer x;
	if (fstat(local_fd, &st) < 0)
		return cl_fail_local(s, errno, "stat");
	if (offset && lseek(local_fd, (off_t)offset, SEEK_SET) < 0)
		return cl_fail_local(s, errno, "seek");
	memset(&a, 0, sizeof(a));
	a.flags = SSH_FILEXFER_ATTR_PERMISSIONS;
	a.perm = (uint32_t)(st.st_mode & 0777);
	uint32_t pflags = SSH_FXF_WRITE | SSH_FXF_CREAT;
	if (!(flags & KG_SFTP_UP_RESUME) && offset == 0)
		pflags |= SSH_FXF_TRUNC;
	GUARD(kg_sftp_openf(s, remote_path, pflags, &a, &h));
	int r = xfer_init(s, &x);
	if (r < 0) {
		(void)!kg_sftp_closef(s, &h);
		return r;
	}
	uint64_t next = offset, done = offset, start_ms = cl_now_ms(), size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	int leof = 0, failed = 0, fatal = 0;
	int fail_r = KG_OK;  /* the first failure; later flushes must not hide it */
	for (;;) {
		while (!leof && !failed && xfer_room(&x)) {
			size_t n;
			r = queue_write(s, &x, &h, local_fd, next, &n);
			if (r == KG_ERR_SYSTEM) {
				fail_r = r;
				failed = 1;
				break;
			}
			GUARD_GOTO(r, r, out);
			if (n == 0)
				leof = 1;
			next += n;
			if (kg_buf_len(&s->out) >= WRITE_BATCH)
				GUARD_GOTO(r, cl_flush(s), out);
		}
		GUARD_GOTO(r, cl_flush(s), out);
		if (x.inflight == 0)
			break;
		GUARD_GOTO(r, cl_recv(s), out);
		xreq *q = xfer_find(&x, s->reply.id);
		ENSURE_GOTO(r, q != NULL && s->reply.type == SSH_FXP_STATUS, KG_ERR_PROTOCOL, out);
		uint32_t len = q->len;
		xfer_done(s, &x, q, len);
		uint32_t code;
		const uint8_t *msg;
		size_t ml;
		GUARD_GOTO(r, kg_sftp_parse_status(&s->reply.body, &code, &msg, &ml), out);
		if (code != SSH_FX_OK) {
			if (!failed)
				fail_r = cl_fail_remote(s, code, msg, ml);
			failed = 1;
			continue;
		}
		done += len;
		if (cb)
			cb(cb_arg, remote_path, done, size);
		cl_throttle(s, start_ms, done - offset);
	}
	if (failed)
		r = fail_r;
	if (!failed) {
		r = KG_OK;
		if ((flags & KG_SFTP_UP_FSYNC) && kg_sftp_has_ext(s, KG_SFTP_EXT_FSYNC))
			r = kg_sftp_fsync(s, &h);
		if (r == KG_OK && (flags & KG_SFTP_UP_PRESERVE)) {
			a.flags = SSH_FILEXFER_ATTR_PERMISSIONS | SSH_FILEXFER_ATTR_ACMODTIME;
			a.perm = (uint32_t)(st.st_mode & 07777);
			a.atime = (uint32_t)st.st_atime;
			a.mtime = (uint32_t)st.st_mtime;
			r = kg_sftp_fsetstat(s, &h, &a);
		}
	}
out:
	if (r < 0 && !failed && r != KG_ERR_SYSTEM)
		fatal = 1;
	xfer_log(s, &x);
	free(x.r);
	if (!fatal) {
		int rc = kg_sftp_closef(s, &h);
		if (r == KG_OK)
			r = rc;
	}
	return r;
}

/* ---- resume checks ---- */

/* Compares [off, off+len) of the remote file with the local fd. 1: same. */
static int tail_matches(kg_sftp *s, const char *remote_path, int fd, uint64_t off, size_t len, int *same)
{
	kg_sftp_handle h;
	uint8_t *rb = malloc(len ? len : 1), *lb = malloc(len ? len : 1);
	int r = KG_ERR_ALLOC;
	*same = 0;
	if (!rb || !lb)
		goto out;
	GUARD_GOTO(r, kg_sftp_openf(s, remote_path, SSH_FXF_READ, NULL, &h), out);
	size_t have = 0;
	while (have < len) {
		size_t got;
		GUARD_GOTO(r, kg_sftp_read(s, &h, off + have, rb + have, len - have, &got), close);
		if (got == 0)
			break;
		have += got;
	}
	ssize_t lg = pread(fd, lb, len, (off_t)off);
	*same = have == len && lg == (ssize_t)len && memcmp(rb, lb, len) == 0;
	r = KG_OK;
close:
	{
		int rc = kg_sftp_closef(s, &h);
		if (r == KG_OK)
			r = rc;
	}
out:
	free(rb);
	free(lb);
	return r;
}

static int check_tail(kg_sftp *s, const char *remote_path, int fd, uint64_t resume_at, int *same)
{
	size_t n = resume_at < RESUME_CHECK ? (size_t)resume_at : RESUME_CHECK;
	if (n == 0) {
		*same = 1;
		return KG_OK;
	}
	return tail_matches(s, remote_path, fd, resume_at - n, n, same);
}

/* ---- whole files ---- */

static char *part_name(const char *local_path)
{
	const char *slash = strrchr(local_path, '/');
	size_t dl = slash ? (size_t)(slash - local_path + 1) : 0;
	const char *base = local_path + dl;
	size_t len = strlen(local_path) + 8;
	char *p = malloc(len);
	if (p)
		snprintf(p, len, "%.*s.%s.part", (int)dl, local_path, base);
	return p;
}

static mode_t current_umask(void)
{
	mode_t m = umask(022);
	umask(m);
	return m;
}

int kg_sftp_get_file(kg_sftp *s, const char *remote_path, const char *local_path, const kg_sftp_xfer_opts *o)
{
	return cl_get_file(s, remote_path, local_path, o, NULL);
}

int cl_get_file(kg_sftp *s, const char *remote_path, const char *local_path, const kg_sftp_xfer_opts *o,
		const kg_sftp_attrs *known)
{
	kg_sftp_attrs ra;
	struct stat lst;
	if (known)
		ra = *known;
	else
		GUARD(kg_sftp_stat(s, remote_path, &ra));
	if ((ra.flags & SSH_FILEXFER_ATTR_PERMISSIONS) && !S_ISREG(ra.perm))
		return cl_fail_text(s, EISDIR, "%s: not a regular file", remote_path);
	uint64_t rsize = (ra.flags & SSH_FILEXFER_ATTR_SIZE) ? ra.size : 0;
	int have_target = lstat(local_path, &lst) == 0;
	if (have_target && S_ISDIR(lst.st_mode))
		return cl_fail_text(s, EISDIR, "%s: is a directory", local_path);
	char *part = part_name(local_path);
	if (!part)
		return KG_ERR_ALLOC;
	int fd = -1, in_place = 0, r;
	uint64_t start = 0;
	struct stat pst;
	if (o && o->resume) {
		if (lstat(part, &pst) == 0 && S_ISREG(pst.st_mode)) {
			fd = open(part, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
			start = fd >= 0 ? (uint64_t)pst.st_size : 0;
		} else if (have_target && S_ISREG(lst.st_mode) && (uint64_t)lst.st_size <= rsize) {
			/* the target itself is the partial copy (OpenSSH's reget) */
			fd = open(local_path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
			start = fd >= 0 ? (uint64_t)lst.st_size : 0;
			in_place = fd >= 0;
		}
		if (fd >= 0 && start > rsize) {
			r = cl_fail_text(s, EINVAL, "%s: partial file is larger than the source", local_path);
			goto fail;
		}
		if (fd >= 0 && start > 0) {
			int same;
			GUARD_GOTO(r, check_tail(s, remote_path, fd, start, &same), fail);
			if (!same && in_place) {
				r = cl_fail_text(s, EINVAL, "%s: local file does not match the start of %s; not resuming",
						 local_path, remote_path);
				goto fail;
			}
			if (!same)
				start = 0;  /* a stale part of another version: start over */
		}
	}
	if (fd < 0) {
		fd = open(part, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			r = cl_fail_local(s, errno, local_path);
			goto fail_nofd;
		}
	}
	r = download(s, remote_path, fd, start, known ? &ra : NULL, o ? o->progress : NULL,
		     o ? o->progress_arg : NULL);
	if (r < 0)
		goto fail;
	mode_t mode;
	if (o && o->preserve)
		mode = (mode_t)(ra.perm & 07777);
	else if (have_target && S_ISREG(lst.st_mode))
		mode = lst.st_mode & 07777;
	else
		mode = (mode_t)(ra.perm & 0777) & ~current_umask();
	if (!(ra.flags & SSH_FILEXFER_ATTR_PERMISSIONS) && !have_target)
		mode = 0666 & ~current_umask();
	if (!in_place || (o && o->preserve)) {
		if (fchmod(fd, mode) < 0) {
			r = cl_fail_local(s, errno, "chmod");
			goto fail;
		}
	}
	if (o && o->preserve && (ra.flags & SSH_FILEXFER_ATTR_ACMODTIME)) {
		struct timespec ts[2] = { { .tv_sec = ra.atime }, { .tv_sec = ra.mtime } };
		if (futimens(fd, ts) < 0) {
			r = cl_fail_local(s, errno, "set times");
			goto fail;
		}
	}
	if (close(fd) < 0) {
		fd = -1;
		r = cl_fail_local(s, errno, local_path);
		goto fail;
	}
	fd = -1;
	if (!in_place && rename(part, local_path) < 0) {
		r = cl_fail_local(s, errno, local_path);
		goto fail;
	}
	free(part);
	return KG_OK;
fail:
	if (fd >= 0)
		close(fd);
fail_nofd:
	/* A part file is kept for a later resume only when the connection
	 * failed; local or remote errors (disk full ...) remove it. */
	if (!in_place && r == KG_ERR_SYSTEM)
		unlink(part);
	free(part);
	return r;
}

int kg_sftp_put_file(kg_sftp *s, const char *local_path, const char *remote_path, const kg_sftp_xfer_opts *o)
{
	int fd = open(local_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cl_fail_local(s, errno, local_path);
	struct stat st;
	int r;
	if (fstat(fd, &st) < 0) {
		r = cl_fail_local(s, errno, local_path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = cl_fail_text(s, EISDIR, "%s: not a regular file", local_path);
		goto out;
	}
	uint64_t start = 0;
	unsigned flags = 0;
	if (o && o->preserve)
		flags |= KG_SFTP_UP_PRESERVE;
	if (o && o->fsync)
		flags |= KG_SFTP_UP_FSYNC;
	if (o && o->resume) {
		kg_sftp_attrs ra;
		if (kg_sftp_stat(s, remote_path, &ra) == KG_OK && (ra.flags & SSH_FILEXFER_ATTR_SIZE) &&
		    (!(ra.flags & SSH_FILEXFER_ATTR_PERMISSIONS) || S_ISREG(ra.perm))) {
			if (ra.size > (uint64_t)st.st_size) {
				r = cl_fail_text(s, EINVAL, "%s: remote file is larger than the source", remote_path);
				goto out;
			}
			int same;
			GUARD_GOTO(r, check_tail(s, remote_path, fd, ra.size, &same), out);
			if (!same) {
				r = cl_fail_text(s, EINVAL, "%s: remote file does not match the start of %s; not resuming",
						 remote_path, local_path);
				goto out;
			}
			start = ra.size;
			flags |= KG_SFTP_UP_RESUME;
		}
	}
	r = kg_sftp_upload(s, fd, remote_path, start, flags, o ? o->progress : NULL, o ? o->progress_arg : NULL);
out:
	close(fd);
	return r;
}
