/* SFTP server: the v3 requests, the handle table and the I/O loop.
 * Every reply is built in s->out; a request that cannot be parsed gets
 * SSH_FX_BAD_MESSAGE and the session goes on. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include "sys/net.h"
#include "sftp/sftp-server-int.h"
#include "sys/loop.h"

#define OUT_HIGH (2u * 1024 * 1024)     /* stop handling requests until written */
#define OUT_MAX (OUT_HIGH + 2 * KG_SFTP_MAX_PACKET)
#define IN_MAX (4u * KG_SFTP_MAX_PACKET)
#define READDIR_MAX_ENTRIES 100
#define READDIR_MAX_BYTES (192u * 1024)

void kg_sftp_server_init(kg_sftp_server *s, const kg_sftp_server_opts *o)
{
	memset(s, 0, sizeof(*s));
	if (o)
		s->o = *o;
	for (size_t i = 0; i < KG_SFTP_SERVER_HANDLES; i++)
		s->h[i].fd = -1;
	kg_buf_init(&s->out, OUT_MAX);
}

static void handle_release(kg_sftp_srv_handle *h)
{
	if (h->kind == SRV_DIR && h->dir)
		closedir(h->dir);
	else if (h->kind == SRV_FILE && h->fd >= 0)
		close(h->fd);
	h->kind = SRV_FREE;
	h->dir = NULL;
	h->fd = -1;
	h->gen++;
}

void kg_sftp_server_free(kg_sftp_server *s)
{
	for (size_t i = 0; i < KG_SFTP_SERVER_HANDLES; i++)
		handle_release(&s->h[i]);
	kg_buf_free(&s->out);
}

static int bad_handle(kg_sftp_server *s, uint32_t id)
{
	return srv_status(s, id, SSH_FX_FAILURE, "Invalid handle");
}

static int handle_new(kg_sftp_server *s, uint32_t id, int kind, int fd, DIR *dir, int writable)
{
	for (uint32_t i = 0; i < KG_SFTP_SERVER_HANDLES; i++) {
		kg_sftp_srv_handle *h = &s->h[i];
		if (h->kind != SRV_FREE)
			continue;
		h->kind = kind;
		h->fd = fd;
		h->dir = dir;
		h->writable = writable;
		uint8_t hb[8];
		kg_poke_u32(hb, i);
		kg_poke_u32(hb + 4, h->gen);
		return kg_sftp_put_handle(&s->out, id, hb, sizeof(hb));
	}
	if (dir)
		closedir(dir);
	else
		close(fd);
	return srv_status(s, id, SSH_FX_FAILURE, "Too many open handles");
}

static int attrs_reply(kg_sftp_server *s, uint32_t id, const struct stat *st)
{
	kg_sftp_attrs a;
	size_t mark;
	srv_stat_to_attrs(st, &a);
	GUARD(kg_sftp_msg_begin(&s->out, SSH_FXP_ATTRS, id, &mark));
	GUARD(kg_sftp_attrs_encode(&s->out, &a));
	return kg_sftp_msg_end(&s->out, mark);
}

/* ---- requests ---- */

static int do_open(kg_sftp_server *s, uint32_t id, kg_buf *b)
{
	char *path = NULL;
	int refused, r;
	uint32_t pflags;
	kg_sftp_attrs a;
	GUARD_GOTO(r, srv_get_path(s, b, &path, &refused), out);
	GUARD_GOTO(r, kg_buf_get_u32(b, &pflags), out);
	GUARD_GOTO(r, kg_sftp_attrs_decode(b, &a), out);
	int flags = O_NOCTTY;
	int wr = (pflags & SSH_FXF_WRITE) != 0;
	if (wr && (pflags & SSH_FXF_READ))
		flags |= O_RDWR;
	else if (wr)
		flags |= O_WRONLY;
	else
		flags |= O_RDONLY;
	if (pflags & SSH_FXF_APPEND)
		flags |= O_APPEND;
	if (pflags & SSH_FXF_CREAT)
		flags |= O_CREAT;
	if (pflags & SSH_FXF_TRUNC)
		flags |= O_TRUNC;
	if (pflags & SSH_FXF_EXCL)
		flags |= O_EXCL;
	if (s->o.confine)
		flags |= O_NOFOLLOW;
	if (refused || (s->o.read_only && (wr || (pflags & (SSH_FXF_CREAT | SSH_FXF_TRUNC))))) {
		r = srv_status(s, id, SSH_FX_PERMISSION_DENIED, NULL);
		goto out;
	}
	mode_t mode = (a.flags & SSH_FILEXFER_ATTR_PERMISSIONS) ? (mode_t)(a.perm & 07777) : 0666;
	int fd = open(path, flags, mode);
	if (fd < 0) {
		r = srv_errno(s, id, errno);
		goto out;
	}
	kg_verbose(s->o.log, "open \"%s\" flags 0x%x", path, (unsigned)pflags);
	r = handle_new(s, id, SRV_FILE, fd, NULL, wr);
out:
	free(path);
	return r;
}

static int do_close(kg_sftp_server *s, uint32_t id, kg_buf *b)
{
	int idx;
	const uint8_t *h;
	size_t len;
	kg_buf peek = *b;
	GUARD(kg_sftp_parse_handle(&peek, &h, &len));
	GUARD(srv_get_handle(s, b, SRV_FILE, &idx));
	if (idx < 0) {
		kg_buf again;
		kg_buf_view(&again, h - 4, len + 4);
		GUARD(srv_get_handle(s, &again, SRV_DIR, &idx));
	}
	if (idx < 0)
		return bad_handle(s, id);
	kg_sftp_srv_handle *hd = &s->h[idx];
	int err = 0;
	if (hd->kind == SRV_FILE) {
		if (close(hd->fd) < 0)
			err = errno;
		hd->fd = -1;
	}
	handle_release(hd);
	return err ? srv_errno(s, id, err) : srv_status(s, id, SSH_FX_OK, NULL);
}

static int do_read(kg_sftp_server *s, uint32_t id, kg_buf *b)
{
	int idx;
	uint64_t off;
	uint32_t len;
	GUARD(srv_get_handle(s, b, SRV_FILE, &idx));
	GUARD(kg_buf_get_u64(b, &off));
	GUARD(kg_buf_get_u32(b, &len));
	if (idx < 0)
		return bad_handle(s, id);
	if (off > (uint64_t)INT64_MAX)
		return srv_status(s, id, SSH_FX_FAILURE, "Bad offset");
	/* Huge requests are answered with a short read, as the draft allows. */
	if (len > KG_SFTP_MAX_DATA)
		len = KG_SFTP_MAX_DATA;
	size_t mark;
	uint8_t *p;
	GUARD(kg_sftp_msg_begin(&s->out, SSH_FXP_DATA, id, &mark));
	GUARD(kg_buf_put_u32(&s->out, 0));
	GUARD(kg_buf_reserve(&s->out, len, &p));
	ssize_t n;
	do
		n = pread(s->h[idx].fd, p, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	int err = errno;
	if (n <= 0) {
		GUARD(kg_buf_consume_end(&s->out, kg_buf_len(&s->out) - mark));
		return n == 0 ? srv_status(s, id, SSH_FX_EOF, NULL) : srv_errno(s, id, err);
	}
	GUARD(kg_buf_consume_end(&s->out, len - (size_t)n));
	kg_poke_u32(kg_buf_mutable_ptr(&s->out) + mark + 9, (uint32_t)n);
	return kg_sftp_msg_end(&s->out, mark);
}

static int do_write(kg_sftp_server *s, uint32_t id, kg_buf *b)
{
	int idx;
	uint64_t off;
	const uint8_t *data;
	size_t len;
	GUARD(srv_get_handle(s, b, SRV_FILE, &idx));
	GUARD(kg_buf_get_u64(b, &off));
	GUARD(kg_buf_get_string_direct(b, &data, &len));
	if (idx < 0)
		return bad_handle(s, id);
	if (!s->h[idx].writable || s->o.read_only)
		return srv_status(s, id, SSH_FX_PERMISSION_DENIED, NULL);
	if (off > (uint64_t)INT64_MAX - len)
		return srv_status(s, id, SSH_FX_FAILURE, "Bad offset");
	while (len > 0) {
		ssize_t n = pwrite(s->h[idx].fd, data, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return srv_errno(s, id, n < 0 ? errno : ENOSPC);
		data += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return srv_status(s, id, SSH_FX_OK, NULL);
}

static int do_stat(kg_sftp_server *s, uint32_t id, kg_buf *b, int follow)
{
	char *path = NULL;
	int refused, r;
	struct stat st;
	GUARD_GOTO(r, srv_get_path(s, b, &path, &refused), out);
	if (refused)
		r = srv_status(s, id, SSH_FX_PERMISSION_DENIED, NULL);
	else if ((follow ? stat(path, &st) : lstat(path, &st)) < 0)
		r = srv_errno(s, id, errno);
	else
		r = attrs_reply(s, id, &st);
out:
	free(path);
	return r;
}

static int do_fstat(kg_sftp_server *s, uint32_t id, kg_buf *b)
{
	int idx;
	struct stat st;
	GUARD(srv_get_handle(s, b, SRV_FILE, &idx));
	if (idx < 0)
		return bad_handle(s, id);
	if (fstat(s->h[idx].fd, &st) < 0)
		return srv_errno(s, id, errno);
	return attrs_reply(s, id, &st);
}

static int do_fsetstat(kg_sftp_server *s, uint32_t id, kg_buf *b)
{
	int idx;
	kg_sftp_attrs a;
	GUARD(srv_get_handle(s, b, SRV_FILE, &idx));
	GUARD(kg_sftp_attrs_decode(b, &a));
	if (idx < 0)
		return bad_handle(s, id);
	if (s->o.read_only)
		return srv_status(s, id, SSH_FX_PERMISSION_DENIED, NULL);
	int e = srv_apply_attrs(NULL, s->h[idx].fd, 0, &a);
	return e ? srv_errno(s, id, -e) : srv_status(s, id, SSH_FX_OK, NULL);
}

static int do_opendir(kg_sftp_server *s, uint32_t id, kg_buf *b)
{
	char *path = NULL;
	int refused, r;
	GUARD_GOTO(r, srv_get_path(s, b, &path, &refused), out);
	if (refused) {
		r = srv_status(s, id, SSH_FX_PERMISSION_DENIED, NULL);
		goto out;
	}
	DIR *d = opendir(path);
	if (!d) {
		r = srv_errno(s, id, errno);
		goto out;
	}
	r = handle_new(s, id, SRV_DIR, -1, d, 0);
out:
	free(path);
	return r;
}

static int do_readdir(kg_sftp_server *s, uint32_t id, kg_buf *b)
{
	int idx;
	GUARD(srv_get_handle(s, b, SRV_DIR, &idx));
	if (idx < 0)
		return bad_handle(s, id);
	DIR *d = s->h[idx].dir;
	size_t mark, n = 0, start = kg_buf_len(&s->out);
	GUARD(kg_sftp_names_begin(&s->out, id, &mark));
	while (n < READDIR_MAX_ENTRIES && kg_buf_len(&s->out) - start < READDIR_MAX_BYTES) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de)
			break;
		struct stat st;
		kg_sftp_attrs a;
		char longname[1024];
		memset(&a, 0, sizeof(a));
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			srv_stat_to_attrs(&st, &a);
			srv_longname(s, de->d_name, &st, longname, sizeof(longname));
		} else {
			snprintf(longname, sizeof(longname), "%s", de->d_name);
		}
		GUARD(kg_sftp_names_add(&s->out, mark, de->d_name, longname, &a));
		n++;
	}
	if (n == 0) {
		int err = errno;
		GUARD(kg_buf_consume_end(&s->out, kg_buf_len(&s->out) - start));
		return err ? srv_errno(s, id, err) : srv_status(s, id, SSH_FX_EOF, NULL);
	}
	return kg_sftp_names_end(&s->out, mark);
}

typedef int (*path_op)(const char *path, mode_t mode);

static int op_remove(const char *p, mode_t m) { (void)m; return unlink(p); }
static int op_rmdir(const char *p, mode_t m) { (void)m; return rmdir(p); }
static int op_mkdir(const char *p, mode_t m) { return mkdir(p, m); }

static int do_path_op(kg_sftp_server *s, uint32_t id, kg_buf *b, path_op op, int with_attrs)
{
	char *path = NULL;
	int refused, r;
	kg_sftp_attrs a;
	GUARD_GOTO(r, srv_get_path(s, b, &path, &refused), out);
	mode_t mode = 0777;
	if (with_attrs) {
		GUARD_GOTO(r, kg_sftp_attrs_decode(b, &a), out);
		if (a.flags & SSH_FILEXFER_ATTR_PERMISSIONS)
			mode = (mode_t)(a.perm & 07777);
	}
	if (refused || s->o.read_only)
		r = srv_status(s, id, SSH_FX_PERMISSION_DENIED, NULL);
	else if (op(path, mode) < 0)
		r = srv_errno(s, id, errno);
	else
		r = srv_status(s, id, SSH_FX_OK, NULL);
out:
	free(path);
	return r;
}

static int do_realpath(kg_sftp_server *s, uint32_t id, kg_buf *b)
{
	char *path = NULL, *res = NULL;
	int refused, r;
	GUARD_GOTO(r, srv_get_path(s, b, &path, &refused), out);
	if (refused) {
		r = srv_status(s, id, SSH_FX_PERMISSION_DENIED, NULL);
		goto out;
	}
	int e = srv_realpath(path[0] ? path : ".", &res);
	r = e ? srv_errno(s, id, e) : srv_name_reply(s, id, res, NULL);
out:
	free(path);
	free(res);
	return r;
}

static int do_readlink(kg_sftp_server *s, uint32_t id, kg_buf *b)
{
	char *path = NULL;
	int refused, r;
	char target[4096];
	GUARD_GOTO(r, srv_get_path(s, b, &path, &refused), out);
	if (refused) {
		r = srv_status(s, id, SSH_FX_PERMISSION_DENIED, NULL);
		goto out;
	}
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		r = srv_errno(s, id, errno);
		goto out;
	}
	target[n] = '\0';
	r = srv_name_reply(s, id, target, NULL);
out:
	free(path);
	return r;
}

static int dispatch(kg_sftp_server *s, uint8_t type, uint32_t id, kg_buf *b)
{
	if (!srv_request_permitted(s, type))
		return srv_status(s, id, SSH_FX_PERMISSION_DENIED, NULL);
	switch (type) {
	case SSH_FXP_OPEN: return do_open(s, id, b);
	case SSH_FXP_CLOSE: return do_close(s, id, b);
	case SSH_FXP_READ: return do_read(s, id, b);
	case SSH_FXP_WRITE: return do_write(s, id, b);
	case SSH_FXP_LSTAT: return do_stat(s, id, b, 0);
	case SSH_FXP_STAT: return do_stat(s, id, b, 1);
	case SSH_FXP_FSTAT: return do_fstat(s, id, b);
	case SSH_FXP_SETSTAT: return srv_setstat(s, id, b, 0);
	case SSH_FXP_FSETSTAT: return do_fsetstat(s, id, b);
	case SSH_FXP_OPENDIR: return do_opendir(s, id, b);
	case SSH_FXP_READDIR: return do_readdir(s, id, b);
	case SSH_FXP_REMOVE: return do_path_op(s, id, b, op_remove, 0);
	case SSH_FXP_MKDIR: return do_path_op(s, id, b, op_mkdir, 1);
	case SSH_FXP_RMDIR: return do_path_op(s, id, b, op_rmdir, 0);
	case SSH_FXP_REALPATH: return do_realpath(s, id, b);
	case SSH_FXP_RENAME: return srv_two_paths(s, id, b, TWO_RENAME);
	case SSH_FXP_READLINK: return do_readlink(s, id, b);
	case SSH_FXP_SYMLINK: return srv_two_paths(s, id, b, TWO_SYMLINK);
	case SSH_FXP_EXTENDED: return srv_extended(s, id, b);
	default: return srv_status(s, id, SSH_FX_OP_UNSUPPORTED, NULL);
	}
}

int kg_sftp_server_handle(kg_sftp_server *s, const uint8_t *msg, size_t len)
{
	kg_sftp_msg m;
	int r = kg_sftp_msg_parse(msg, len, &m);
	if (r < 0) {
		/* no readable id: a 5..8 byte message; answer id 0 */
		ENSURE(s->inited, KG_ERR_PROTOCOL);
		return srv_status(s, 0, SSH_FX_BAD_MESSAGE, NULL);
	}
	if (!s->inited) {
		ENSURE(m.type == SSH_FXP_INIT, KG_ERR_PROTOCOL);
		s->inited = 1;
		s->client_version = m.id;
		return srv_version(s, m.id);
	}
	if (m.type == SSH_FXP_INIT)
		return srv_status(s, m.id, SSH_FX_BAD_MESSAGE, "Duplicate INIT");
	size_t before = kg_buf_len(&s->out);
	r = dispatch(s, m.type, m.id, &m.body);
	if (r == KG_ERR_INCOMPLETE || r == KG_ERR_FORMAT || r == KG_ERR_TOO_LARGE) {
		/* drop any partial reply, then say why */
		GUARD(kg_buf_consume_end(&s->out, kg_buf_len(&s->out) - before));
		return srv_status(s, m.id, SSH_FX_BAD_MESSAGE, NULL);
	}
	return r;
}

int kg_sftp_server_input(kg_sftp_server *s, kg_buf *in)
{
	while (kg_buf_len(&s->out) < OUT_HIGH) {
		size_t total;
		int r = kg_sftp_frame_check(kg_buf_ptr(in), kg_buf_len(in), 0, &total);
		if (r == KG_ERR_AGAIN)
			return KG_OK;
		GUARD(r);
		GUARD(kg_sftp_server_handle(s, kg_buf_ptr(in), total));
		GUARD(kg_buf_consume(in, total));
	}
	return KG_OK;
}

static int write_out(kg_sftp_server *s, int fd)
{
	int r = kg_fd_write_all(fd, kg_buf_ptr(&s->out), kg_buf_len(&s->out), -1);
	GUARD(kg_buf_consume(&s->out, kg_buf_len(&s->out)));
	return r;
}

int kg_sftp_server_run(kg_sftp_server *s, int in_fd, int out_fd)
{
	kg_buf in;
	int r = KG_OK;
	kg_buf_init(&in, IN_MAX);
	for (;;) {
		GUARD_GOTO(r, kg_sftp_server_input(s, &in), out);
		if (kg_buf_len(&s->out) > 0) {
			GUARD_GOTO(r, write_out(s, out_fd), out);
			continue;
		}
		/* nothing to write: the input holds no complete message */
		uint8_t *p;
		size_t room = 64 * 1024, got = 0;
		kg_buf_pack(&in);
		GUARD_GOTO(r, kg_buf_reserve(&in, room, &p), out);
		r = kg_fd_read(in_fd, p, room, &got);
		int r2 = kg_buf_consume_end(&in, room - got);
		if (r2 < 0) {
			r = r2;
			break;
		}
		if (r == KG_ERR_AGAIN) {
			struct pollfd pf = { .fd = in_fd, .events = POLLIN };
			(void)!kg_wait_fds(&pf, 1, -1);
			continue;
		}
		if (r == KG_ERR_CLOSED) {
			r = KG_OK;
			break;
		}
		if (r < 0)
			break;
	}
out:
	kg_buf_free(&in);
	return r;
}
