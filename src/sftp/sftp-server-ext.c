/* SFTP server: version negotiation, OpenSSH's extensions (PROTOCOL
 * section 4), path resolution and "ls -l" lines. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include "sftp/sftp-server-int.h"

int srv_version(kg_sftp_server *s, uint32_t version)
{
	size_t mark;
	(void)version;  /* only version 3 is spoken; older clients get 3 too */
	GUARD(kg_sftp_msg_begin(&s->out, SSH_FXP_VERSION, KG_SFTP_VERSION, &mark));
	for (size_t i = 0; kg_sftp_srv_exts[i].name; i++) {
		GUARD(kg_buf_put_cstring(&s->out, kg_sftp_srv_exts[i].wire));
		GUARD(kg_buf_put_cstring(&s->out, kg_sftp_srv_exts[i].version));
	}
	return kg_sftp_msg_end(&s->out, mark);
}

int srv_realpath(const char *path, char **out)
{
	*out = realpath(path, NULL);
	if (*out)
		return 0;
	int err = errno;
	if (err != ENOENT)
		return err;
	/* The last component may be missing; everything before it may not. */
	char *copy = strdup(path);
	if (!copy)
		return ENOMEM;
	size_t n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	char *slash = strrchr(copy, '/');
	const char *dir = ".", *base = copy;
	if (slash == copy) {
		dir = "/";
		base = copy + 1;
	} else if (slash) {
		*slash = '\0';
		dir = copy;
		base = slash + 1;
	}
	char *rdir = NULL;
	if (strcmp(base, "..") == 0 || strcmp(base, ".") == 0 || !(rdir = realpath(dir, NULL))) {
		free(copy);
		return ENOENT;
	}
	size_t len = strlen(rdir) + strlen(base) + 2;
	*out = malloc(len);
	if (*out)
		snprintf(*out, len, "%s%s%s", rdir, strcmp(rdir, "/") == 0 ? "" : "/", base);
	free(rdir);
	free(copy);
	return *out ? 0 : ENOMEM;
}

static void owner_names(kg_sftp_server *s, const struct stat *st)
{
	if (!s->uid_ok || s->cached_uid != (uint32_t)st->st_uid) {
		struct passwd *pw = getpwuid(st->st_uid);
		if (pw)
			snprintf(s->uname, sizeof(s->uname), "%s", pw->pw_name);
		else
			snprintf(s->uname, sizeof(s->uname), "%lu", (unsigned long)st->st_uid);
		s->cached_uid = (uint32_t)st->st_uid;
		s->uid_ok = 1;
	}
	if (!s->gid_ok || s->cached_gid != (uint32_t)st->st_gid) {
		struct group *gr = getgrgid(st->st_gid);
		if (gr)
			snprintf(s->gname, sizeof(s->gname), "%s", gr->gr_name);
		else
			snprintf(s->gname, sizeof(s->gname), "%lu", (unsigned long)st->st_gid);
		s->cached_gid = (uint32_t)st->st_gid;
		s->gid_ok = 1;
	}
}

int srv_longname(kg_sftp_server *s, const char *name, const struct stat *st, char *out, size_t outsz)
{
	char mode[11], when[32];
	kg_sftp_mode_string((uint32_t)st->st_mode, mode);
	owner_names(s, st);
	time_t now = time(NULL), t = st->st_mtime;
	struct tm tm;
	if (!localtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	/* ls(1): the year instead of the time for files over six months old */
	size_t wl = (t + 182 * 86400 > now && t < now + 86400) ? strftime(when, sizeof(when), "%b %e %H:%M", &tm)
								 : strftime(when, sizeof(when), "%b %e  %Y", &tm);
	if (wl == 0)
		snprintf(when, sizeof(when), "?");
	return snprintf(out, outsz, "%s %3lu %-8s %-8s %8llu %s %s", mode, (unsigned long)st->st_nlink,
			s->uname, s->gname, (unsigned long long)st->st_size, when, name);
}

static int vfs_reply(kg_sftp_server *s, uint32_t id, const struct statvfs *sv)
{
	kg_sftp_vfs v = {
		.bsize = sv->f_bsize, .frsize = sv->f_frsize, .blocks = sv->f_blocks, .bfree = sv->f_bfree,
		.bavail = sv->f_bavail, .files = sv->f_files, .ffree = sv->f_ffree, .favail = sv->f_favail,
		.fsid = sv->f_fsid, .namemax = sv->f_namemax,
		.flag = ((sv->f_flag & ST_RDONLY) ? KG_SFTP_ST_RDONLY : 0) |
			((sv->f_flag & ST_NOSUID) ? KG_SFTP_ST_NOSUID : 0),
	};
	size_t mark;
	GUARD(kg_sftp_msg_begin(&s->out, SSH_FXP_EXTENDED_REPLY, id, &mark));
	GUARD(kg_sftp_statvfs_encode(&s->out, &v));
	return kg_sftp_msg_end(&s->out, mark);
}

static int ext_statvfs(kg_sftp_server *s, uint32_t id, kg_buf *b)
{
	char *path = NULL;
	int refused, r;
	struct statvfs sv;
	GUARD_GOTO(r, srv_get_path(s, b, &path, &refused), out);
	if (refused)
		r = srv_status(s, id, SSH_FX_PERMISSION_DENIED, NULL);
	else if (statvfs(path, &sv) < 0)
		r = srv_errno(s, id, errno);
	else
		r = vfs_reply(s, id, &sv);
out:
	free(path);
	return r;
}

static int ext_fstatvfs(kg_sftp_server *s, uint32_t id, kg_buf *b)
{
	int idx;
	struct statvfs sv;
	GUARD(srv_get_handle(s, b, SRV_FILE, &idx));
	if (idx < 0)
		return srv_status(s, id, SSH_FX_FAILURE, "Invalid handle");
	if (fstatvfs(s->h[idx].fd, &sv) < 0)
		return srv_errno(s, id, errno);
	return vfs_reply(s, id, &sv);
}

static int ext_fsync(kg_sftp_server *s, uint32_t id, kg_buf *b)
{
	int idx;
	GUARD(srv_get_handle(s, b, SRV_FILE, &idx));
	if (idx < 0)
		return srv_status(s, id, SSH_FX_FAILURE, "Invalid handle");
	if (fsync(s->h[idx].fd) < 0)
		return srv_errno(s, id, errno);
	return srv_status(s, id, SSH_FX_OK, NULL);
}

static int ext_limits(kg_sftp_server *s, uint32_t id)
{
	size_t mark;
	GUARD(kg_sftp_msg_begin(&s->out, SSH_FXP_EXTENDED_REPLY, id, &mark));
	GUARD(kg_buf_put_u64(&s->out, KG_SFTP_MAX_PACKET));
	GUARD(kg_buf_put_u64(&s->out, KG_SFTP_MAX_DATA));
	GUARD(kg_buf_put_u64(&s->out, KG_SFTP_MAX_DATA));
	GUARD(kg_buf_put_u64(&s->out, KG_SFTP_SERVER_HANDLES));
	return kg_sftp_msg_end(&s->out, mark);
}

/* The home directory of user ("" or NULL: the running user); malloc'ed. */
static char *home_of(const char *user)
{
	struct passwd *pw = (user && *user) ? getpwnam(user) : getpwuid(getuid());
	return pw && pw->pw_dir ? strdup(pw->pw_dir) : NULL;
}

/* "~", "~/x", "~user", "~user/x": the path with the home directory put in. */
static int tilde_expand(const char *path, char **out)
{
	const char *rest = strchr(path, '/');
	size_t ulen = rest ? (size_t)(rest - path - 1) : strlen(path) - 1;
	char user[256];
	if (ulen >= sizeof(user))
		return ENOENT;
	memcpy(user, path + 1, ulen);
	user[ulen] = '\0';
	char *home = home_of(user);
	if (!home)
		return ENOENT;
	size_t len = strlen(home) + (rest ? strlen(rest) : 0) + 1;
	*out = malloc(len);
	if (*out)
		snprintf(*out, len, "%s%s", home, rest ? rest : "");
	free(home);
	return *out ? 0 : ENOMEM;
}

static int ext_expand_path(kg_sftp_server *s, uint32_t id, kg_buf *b)
{
	char *path = NULL, *exp = NULL, *res = NULL;
	int refused, r, e = 0;
	GUARD_GOTO(r, srv_get_path(s, b, &path, &refused), out);
	if (refused || (s->o.confine && path[0] == '~')) {
		r = srv_status(s, id, SSH_FX_PERMISSION_DENIED, NULL);
		goto out;
	}
	if (path[0] == '~')
		e = tilde_expand(path, &exp);
	if (!e)
		e = srv_realpath(exp ? exp : path[0] ? path : ".", &res);
	r = e ? srv_errno(s, id, e) : srv_name_reply(s, id, res, NULL);
out:
	free(path);
	free(exp);
	free(res);
	return r;
}

static int ext_home_directory(kg_sftp_server *s, uint32_t id, kg_buf *b)
{
	char *user = NULL;
	int r;
	GUARD(kg_buf_get_cstring(b, &user, NULL));
	if (s->o.confine) {
		r = srv_status(s, id, SSH_FX_PERMISSION_DENIED, NULL);
	} else {
		char *home = home_of(user);
		r = home ? srv_name_reply(s, id, home, NULL) : srv_status(s, id, SSH_FX_NO_SUCH_FILE, "No such user");
		free(home);
	}
	free(user);
	return r;
}

static int ext_copy_data(kg_sftp_server *s, uint32_t id, kg_buf *b)
{
	int from, to;
	uint64_t roff, len, woff;
	GUARD(srv_get_handle(s, b, SRV_FILE, &from));
	GUARD(kg_buf_get_u64(b, &roff));
	GUARD(kg_buf_get_u64(b, &len));
	GUARD(srv_get_handle(s, b, SRV_FILE, &to));
	GUARD(kg_buf_get_u64(b, &woff));
	if (from < 0 || to < 0)
		return srv_status(s, id, SSH_FX_FAILURE, "Invalid handle");
	if (!s->h[to].writable || s->o.read_only)
		return srv_status(s, id, SSH_FX_PERMISSION_DENIED, NULL);
	if (roff > INT64_MAX || woff > INT64_MAX || (len && (len > INT64_MAX - roff || len > INT64_MAX - woff)))
		return srv_status(s, id, SSH_FX_FAILURE, "Bad offset");
	/* Overlapping ranges in one file would copy data already overwritten. */
	if (from == to && (len == 0 || (roff < woff + len && woff < roff + len)))
		return srv_status(s, id, SSH_FX_FAILURE, "Overlapping copy");
	uint8_t buf[32768];
	int unbounded = len == 0;
	while (unbounded || len > 0) {
		size_t want = (!unbounded && len < sizeof(buf)) ? (size_t)len : sizeof(buf);
		ssize_t n = pread(s->h[from].fd, buf, want, (off_t)roff);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return srv_errno(s, id, errno);
		if (n == 0)
			break;
		for (ssize_t done = 0; done < n; ) {
			ssize_t w = pwrite(s->h[to].fd, buf + done, (size_t)(n - done), (off_t)(woff + (uint64_t)done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return srv_errno(s, id, w < 0 ? errno : ENOSPC);
			done += w;
		}
		roff += (uint64_t)n;
		woff += (uint64_t)n;
		if (!unbounded)
			len -= (uint64_t)n;
	}
	/* A copy that ends early at end of file is an error (PROTOCOL 4.10). */
	if (!unbounded && len > 0)
		return srv_status(s, id, SSH_FX_EOF, NULL);
	return srv_status(s, id, SSH_FX_OK, NULL);
}

int srv_extended(kg_sftp_server *s, uint32_t id, kg_buf *b)
{
	const uint8_t *name;
	size_t n;
	GUARD(kg_buf_get_string_direct(b, &name, &n));
	if (!srv_ext_permitted(s, name, n))
		return srv_status(s, id, SSH_FX_PERMISSION_DENIED, NULL);
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(name, lit, n) == 0)
	if (IS("posix-rename@openssh.com"))
		return srv_two_paths(s, id, b, TWO_POSIX_RENAME);
	if (IS("hardlink@openssh.com"))
		return srv_two_paths(s, id, b, TWO_HARDLINK);
	if (IS("statvfs@openssh.com"))
		return ext_statvfs(s, id, b);
	if (IS("fstatvfs@openssh.com"))
		return ext_fstatvfs(s, id, b);
	if (IS("fsync@openssh.com"))
		return ext_fsync(s, id, b);
	if (IS("lsetstat@openssh.com"))
		return srv_setstat(s, id, b, 1);
	if (IS("limits@openssh.com"))
		return ext_limits(s, id);
	if (IS("expand-path@openssh.com"))
		return ext_expand_path(s, id, b);
	if (IS("copy-data"))
		return ext_copy_data(s, id, b);
	if (IS("home-directory"))
		return ext_home_directory(s, id, b);
#undef IS
	return srv_status(s, id, SSH_FX_OP_UNSUPPORTED, NULL);
}
