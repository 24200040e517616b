/* SFTP server pieces the request handlers (sftp-server.c) and the extensions (sftp-server-ext.c) share: status replies, path and handle arguments, setstat, two-path requests. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include "sftp/sftp-server-int.h"

int srv_status(kg_sftp_server *s, uint32_t id, uint32_t code, const char *msg)
{
	return kg_sftp_put_status(&s->out, id, code, msg);
}

int srv_errno(kg_sftp_server *s, uint32_t id, int err)
{
	uint32_t code = kg_sftp_errno_status(err);
	/* OpenSSH's clients print the message text; strerror is more useful
	 * than the generic "Failure" for what has no status code of its own. */
	return srv_status(s, id, code, code == SSH_FX_FAILURE ? strerror(err) : NULL);
}

static int path_confined_ok(const char *p)
{
	if (p[0] == '/')
		return 0;
	for (const char *c = p; *c; ) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return 0;
		if (!e)
			break;
		c = e + 1;
	}
	return 1;
}

int srv_get_path(kg_sftp_server *s, kg_buf *body, char **out, int *refused)
{
	*refused = 0;
	GUARD(kg_buf_get_cstring(body, out, NULL));
	if (s->o.confine && !path_confined_ok(*out))
		*refused = 1;
	return KG_OK;
}

int srv_get_handle(kg_sftp_server *s, kg_buf *body, int kind, int *idx)
{
	const uint8_t *h;
	size_t len;
	*idx = -1;
	GUARD(kg_sftp_parse_handle(body, &h, &len));
	if (len != 8)
		return KG_OK;
	uint32_t i = kg_peek_u32(h), gen = kg_peek_u32(h + 4);
	if (i < KG_SFTP_SERVER_HANDLES && s->h[i].kind == kind && s->h[i].gen == gen)
		*idx = (int)i;
	return KG_OK;
}

void srv_stat_to_attrs(const struct stat *st, kg_sftp_attrs *a)
{
	memset(a, 0, sizeof(*a));
	a->flags = SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_UIDGID | SSH_FILEXFER_ATTR_PERMISSIONS |
		   SSH_FILEXFER_ATTR_ACMODTIME;
	a->size = (uint64_t)st->st_size;
	a->uid = (uint32_t)st->st_uid;
	a->gid = (uint32_t)st->st_gid;
	a->perm = (uint32_t)st->st_mode;
	a->atime = (uint32_t)st->st_atime;
	a->mtime = (uint32_t)st->st_mtime;
}

int srv_name_reply(kg_sftp_server *s, uint32_t id, const char *name, const struct stat *st)
{
	kg_sftp_attrs a;
	size_t mark;
	memset(&a, 0, sizeof(a));
	if (st)
		srv_stat_to_attrs(st, &a);
	GUARD(kg_sftp_names_begin(&s->out, id, &mark));
	GUARD(kg_sftp_names_add(&s->out, mark, name, name, &a));
	return kg_sftp_names_end(&s->out, mark);
}

/* Applies the attributes in the order OpenSSH's server does: size,
 * permissions, times, owner.  fd >= 0 works on the open file; nofollow
 * (lsetstat) changes a symbolic link itself. */
int srv_apply_attrs(const char *path, int fd, int nofollow, const kg_sftp_attrs *a)
{
	int flag = nofollow ? AT_SYMLINK_NOFOLLOW : 0;
	if (a->flags & SSH_FILEXFER_ATTR_SIZE) {
		if (nofollow)
			return -EINVAL;
		if ((fd >= 0 ? ftruncate(fd, (off_t)a->size) : truncate(path, (off_t)a->size)) < 0)
			return -errno;
	}
	if (a->flags & SSH_FILEXFER_ATTR_PERMISSIONS) {
		mode_t m = (mode_t)(a->perm & 07777);
		if ((fd >= 0 ? fchmod(fd, m) : fchmodat(AT_FDCWD, path, m, flag)) < 0)
			return -errno;
	}
	if (a->flags & SSH_FILEXFER_ATTR_ACMODTIME) {
		struct timespec ts[2] = { { .tv_sec = a->atime }, { .tv_sec = a->mtime } };
		if ((fd >= 0 ? futimens(fd, ts) : utimensat(AT_FDCWD, path, ts, flag)) < 0)
			return -errno;
	}
	if (a->flags & SSH_FILEXFER_ATTR_UIDGID) {
		if ((fd >= 0 ? fchown(fd, a->uid, a->gid) : fchownat(AT_FDCWD, path, a->uid, a->gid, flag)) < 0)
			return -errno;
	}
	return 0;
}

/* setstat (nofollow 0) and lsetstat@openssh.com (nofollow 1) */
int srv_setstat(kg_sftp_server *s, uint32_t id, kg_buf *b, int nofollow)
{
	char *path = NULL;
	int refused, r;
	kg_sftp_attrs a;
	GUARD_GOTO(r, srv_get_path(s, b, &path, &refused), out);
	GUARD_GOTO(r, kg_sftp_attrs_decode(b, &a), out);
	if (refused || s->o.read_only) {
		r = srv_status(s, id, SSH_FX_PERMISSION_DENIED, NULL);
		goto out;
	}
	int e = srv_apply_attrs(path, -1, nofollow, &a);
	r = e ? srv_errno(s, id, -e) : srv_status(s, id, SSH_FX_OK, NULL);
out:
	free(path);
	return r;
}

/* Two-path requests: rename (v3: refuses to replace), symlink, and the
 * extensions posix-rename and hardlink (sftp-server-ext.c) */
int srv_two_paths(kg_sftp_server *s, uint32_t id, kg_buf *b, int what)
{
	char *p1 = NULL, *p2 = NULL;
	int ref1, ref2, r;
	GUARD_GOTO(r, srv_get_path(s, b, &p1, &ref1), out);
	GUARD_GOTO(r, srv_get_path(s, b, &p2, &ref2), out);
	if (ref2 || s->o.read_only || (ref1 && what != TWO_SYMLINK) ||
	    (s->o.confine && (what == TWO_SYMLINK || what == TWO_HARDLINK))) {
		r = srv_status(s, id, SSH_FX_PERMISSION_DENIED, NULL);
		goto out;
	}
	int rc;
	switch (what) {
	case TWO_RENAME:
		rc = renameat2(AT_FDCWD, p1, AT_FDCWD, p2, RENAME_NOREPLACE);
		if (rc < 0 && (errno == EINVAL || errno == ENOSYS)) {
			/* file systems without RENAME_NOREPLACE */
			struct stat st;
			if (lstat(p2, &st) == 0) {
				errno = EEXIST;
				rc = -1;
			} else {
				rc = rename(p1, p2);
			}
		}
		break;
	case TWO_POSIX_RENAME: rc = rename(p1, p2); break;
	/* OpenSSH sends the link's target first and the link's name second
	 * (the reverse of the draft); every client follows it. */
	case TWO_SYMLINK: rc = symlink(p1, p2); break;
	default: rc = link(p1, p2); break;
	}
	r = rc < 0 ? srv_errno(s, id, errno) : srv_status(s, id, SSH_FX_OK, NULL);
out:
	free(p1);
	free(p2);
	return r;
}
