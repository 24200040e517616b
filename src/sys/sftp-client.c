/* SFTP client (being written). */
#include "sys/sftp-client.h"

int kg_sftp_open(kg_sftp *s, kg_client *c, const kg_sftp_opts *o, kg_logger *log, int stderr_fd)
{
	(void)s;
	(void)c;
	(void)o;
	(void)log;
	(void)stderr_fd;
	return KG_ERR_INTERNAL;
}

int kg_sftp_start(kg_sftp *s, const kg_sftp_io *io, const kg_sftp_opts *o, kg_logger *log)
{
	(void)s;
	(void)io;
	(void)o;
	(void)log;
	return KG_ERR_INTERNAL;
}

int kg_sftp_close(kg_sftp *s)
{
	(void)s;
	return KG_ERR_INTERNAL;
}

void kg_sftp_free(kg_sftp *s)
{
	(void)s;
}

int kg_sftp_realpath(kg_sftp *s, const char *path, char **out)
{
	(void)s;
	(void)path;
	(void)out;
	return KG_ERR_INTERNAL;
}

int kg_sftp_expand_path(kg_sftp *s, const char *path, char **out)
{
	(void)s;
	(void)path;
	(void)out;
	return KG_ERR_INTERNAL;
}

int kg_sftp_home_directory(kg_sftp *s, const char *user, char **out)
{
	(void)s;
	(void)user;
	(void)out;
	return KG_ERR_INTERNAL;
}

int kg_sftp_readlink(kg_sftp *s, const char *path, char **out)
{
	(void)s;
	(void)path;
	(void)out;
	return KG_ERR_INTERNAL;
}

int kg_sftp_stat(kg_sftp *s, const char *path, kg_sftp_attrs *a)
{
	(void)s;
	(void)path;
	(void)a;
	return KG_ERR_INTERNAL;
}

int kg_sftp_lstat(kg_sftp *s, const char *path, kg_sftp_attrs *a)
{
	(void)s;
	(void)path;
	(void)a;
	return KG_ERR_INTERNAL;
}

int kg_sftp_fstat(kg_sftp *s, const kg_sftp_handle *h, kg_sftp_attrs *a)
{
	(void)s;
	(void)h;
	(void)a;
	return KG_ERR_INTERNAL;
}

int kg_sftp_setstat(kg_sftp *s, const char *path, const kg_sftp_attrs *a)
{
	(void)s;
	(void)path;
	(void)a;
	return KG_ERR_INTERNAL;
}

int kg_sftp_lsetstat(kg_sftp *s, const char *path, const kg_sftp_attrs *a)
{
	(void)s;
	(void)path;
	(void)a;
	return KG_ERR_INTERNAL;
}

int kg_sftp_fsetstat(kg_sftp *s, const kg_sftp_handle *h, const kg_sftp_attrs *a)
{
	(void)s;
	(void)h;
	(void)a;
	return KG_ERR_INTERNAL;
}

int kg_sftp_openf(kg_sftp *s, const char *path, uint32_t pflags, const kg_sftp_attrs *a, kg_sftp_handle *h)
{
	(void)s;
	(void)path;
	(void)pflags;
	(void)a;
	(void)h;
	return KG_ERR_INTERNAL;
}

int kg_sftp_closef(kg_sftp *s, const kg_sftp_handle *h)
{
	(void)s;
	(void)h;
	return KG_ERR_INTERNAL;
}

int kg_sftp_read(kg_sftp *s, const kg_sftp_handle *h, uint64_t offset, void *buf, size_t len, size_t *got)
{
	(void)s;
	(void)h;
	(void)offset;
	(void)buf;
	(void)len;
	(void)got;
	return KG_ERR_INTERNAL;
}

int kg_sftp_write(kg_sftp *s, const kg_sftp_handle *h, uint64_t offset, const void *data, size_t len)
{
	(void)s;
	(void)h;
	(void)offset;
	(void)data;
	(void)len;
	return KG_ERR_INTERNAL;
}

int kg_sftp_fsync(kg_sftp *s, const kg_sftp_handle *h)
{
	(void)s;
	(void)h;
	return KG_ERR_INTERNAL;
}

int kg_sftp_opendir(kg_sftp *s, const char *path, kg_sftp_handle *h)
{
	(void)s;
	(void)path;
	(void)h;
	return KG_ERR_INTERNAL;
}

int kg_sftp_readdir(kg_sftp *s, const kg_sftp_handle *h, kg_sftp_name **names, size_t *n)
{
	(void)s;
	(void)h;
	(void)names;
	(void)n;
	return KG_ERR_INTERNAL;
}

int kg_sftp_readdir_all(kg_sftp *s, const char *path, size_t max_entries, kg_sftp_name **names, size_t *n)
{
	(void)s;
	(void)path;
	(void)max_entries;
	(void)names;
	(void)n;
	return KG_ERR_INTERNAL;
}

void kg_sftp_names_free(kg_sftp_name *names, size_t n)
{
	(void)names;
	(void)n;
}

int kg_sftp_mkdir(kg_sftp *s, const char *path, const kg_sftp_attrs *a)
{
	(void)s;
	(void)path;
	(void)a;
	return KG_ERR_INTERNAL;
}

int kg_sftp_rmdir(kg_sftp *s, const char *path)
{
	(void)s;
	(void)path;
	return KG_ERR_INTERNAL;
}

int kg_sftp_remove(kg_sftp *s, const char *path)
{
	(void)s;
	(void)path;
	return KG_ERR_INTERNAL;
}

int kg_sftp_rename(kg_sftp *s, const char *oldpath, const char *newpath, int legacy)
{
	(void)s;
	(void)oldpath;
	(void)newpath;
	(void)legacy;
	return KG_ERR_INTERNAL;
}

int kg_sftp_symlink(kg_sftp *s, const char *target, const char *linkpath)
{
	(void)s;
	(void)target;
	(void)linkpath;
	return KG_ERR_INTERNAL;
}

int kg_sftp_hardlink(kg_sftp *s, const char *oldpath, const char *newpath)
{
	(void)s;
	(void)oldpath;
	(void)newpath;
	return KG_ERR_INTERNAL;
}

int kg_sftp_statvfs(kg_sftp *s, const char *path, kg_sftp_vfs *v)
{
	(void)s;
	(void)path;
	(void)v;
	return KG_ERR_INTERNAL;
}

int kg_sftp_fstatvfs(kg_sftp *s, const kg_sftp_handle *h, kg_sftp_vfs *v)
{
	(void)s;
	(void)h;
	(void)v;
	return KG_ERR_INTERNAL;
}

int kg_sftp_copy_data(kg_sftp *s, const kg_sftp_handle *from, uint64_t from_off, uint64_t len, const kg_sftp_handle *to, uint64_t to_off)
{
	(void)s;
	(void)from;
	(void)from_off;
	(void)len;
	(void)to;
	(void)to_off;
	return KG_ERR_INTERNAL;
}

int kg_sftp_download(kg_sftp *s, const char *remote_path, int local_fd, uint64_t offset, kg_sftp_progress_fn cb, void *cb_arg)
{
	(void)s;
	(void)remote_path;
	(void)local_fd;
	(void)offset;
	(void)cb;
	(void)cb_arg;
	return KG_ERR_INTERNAL;
}

int kg_sftp_upload(kg_sftp *s, int local_fd, const char *remote_path, uint64_t offset, unsigned flags, kg_sftp_progress_fn cb, void *cb_arg)
{
	(void)s;
	(void)local_fd;
	(void)remote_path;
	(void)offset;
	(void)flags;
	(void)cb;
	(void)cb_arg;
	return KG_ERR_INTERNAL;
}

int kg_sftp_get_file(kg_sftp *s, const char *remote_path, const char *local_path, const kg_sftp_xfer_opts *o)
{
	(void)s;
	(void)remote_path;
	(void)local_path;
	(void)o;
	return KG_ERR_INTERNAL;
}

int kg_sftp_put_file(kg_sftp *s, const char *local_path, const char *remote_path, const kg_sftp_xfer_opts *o)
{
	(void)s;
	(void)local_path;
	(void)remote_path;
	(void)o;
	return KG_ERR_INTERNAL;
}

int kg_sftp_get(kg_sftp *s, const char *remote_path, const char *local_path, const kg_sftp_xfer_opts *o)
{
	(void)s;
	(void)remote_path;
	(void)local_path;
	(void)o;
	return KG_ERR_INTERNAL;
}

int kg_sftp_put(kg_sftp *s, const char *local_path, const char *remote_path, const kg_sftp_xfer_opts *o)
{
	(void)s;
	(void)local_path;
	(void)remote_path;
	(void)o;
	return KG_ERR_INTERNAL;
}

int kg_sftp_glob(kg_sftp *s, const char *pattern, char ***paths, size_t *n)
{
	(void)s;
	(void)pattern;
	(void)paths;
	(void)n;
	return KG_ERR_INTERNAL;
}

void kg_sftp_glob_free(char **paths, size_t n)
{
	(void)paths;
	(void)n;
}
