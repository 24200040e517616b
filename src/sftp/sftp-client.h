/* SFTP client: a session over a channel stream (the "sftp" subsystem) or
 * any byte pipe, one call per request, plus pipelined transfers that keep
 * many reads or writes in flight so throughput is not bound by round trips.
 *
 * Every function returns KG_OK or a negative KG_ERR_*.  When the server
 * answers with a failure status the result is KG_ERR_SYSTEM with errno set
 * to the closest match (ENOENT, EACCES, EIO, ENOTSUP ...), s->status set to
 * the SSH_FX_* code and s->remote_err = 1; a local failure during a
 * transfer is KG_ERR_SYSTEM with errno from the system call and
 * s->remote_err = 0.  kg_sftp_error() gives the text for either
 * ("No such file", "Permission denied", the server's own message ...). */
#ifndef KAGI_SFTP_CLIENT_H
#define KAGI_SFTP_CLIENT_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include "core/sftp.h"
#include "conn/cli-stream.h"
#include "sys/log.h"
#include "sftp/sftp-client-flow.h"

#define KG_SFTP_DEFAULT_BLOCK    32768u  /* sftp -B */
#define KG_SFTP_DEFAULT_REQUESTS 64u     /* sftp -R */
#define KG_SFTP_MAX_REQUESTS     1024u
/* Bytes in flight a transfer starts with when -R was not given; it grows
 * from there with bandwidth x round trip, up to KG_SFTP_INFLIGHT_MAX
 * (sftp-client-flow.h). */
#define KG_SFTP_DEFAULT_INFLIGHT (8u * 1024 * 1024)

/* Extensions the server offered in SSH_FXP_VERSION. */
enum {
	KG_SFTP_EXT_POSIX_RENAME = 1u << 0,   /* posix-rename@openssh.com */
	KG_SFTP_EXT_STATVFS = 1u << 1,        /* statvfs@openssh.com */
	KG_SFTP_EXT_FSTATVFS = 1u << 2,       /* fstatvfs@openssh.com */
	KG_SFTP_EXT_HARDLINK = 1u << 3,       /* hardlink@openssh.com */
	KG_SFTP_EXT_FSYNC = 1u << 4,          /* fsync@openssh.com */
	KG_SFTP_EXT_LSETSTAT = 1u << 5,       /* lsetstat@openssh.com */
	KG_SFTP_EXT_LIMITS = 1u << 6,         /* limits@openssh.com */
	KG_SFTP_EXT_EXPAND_PATH = 1u << 7,    /* expand-path@openssh.com */
	KG_SFTP_EXT_COPY_DATA = 1u << 8,      /* copy-data */
	KG_SFTP_EXT_HOME_DIR = 1u << 9,       /* home-directory */
};

/* The byte pipe under a session.  read returns at least one byte, or
 * *got = 0 at end of stream. */
typedef struct kg_sftp_io {
	int (*write)(void *arg, const void *data, size_t len);
	int (*read)(void *arg, void *buf, size_t len, size_t *got);
	void *arg;
} kg_sftp_io;

typedef struct kg_sftp_opts {
	size_t block_size;        /* bytes per read/write request; 0: default (capped by the server's limits) */
	unsigned num_requests;    /* requests in flight; 0: default */
	uint64_t limit_kbps;      /* bandwidth cap in Kbit/s (sftp -l); 0: none */
} kg_sftp_opts;

/* Called as a transfer progresses; total is the file size (0 if unknown). */
typedef void (*kg_sftp_progress_fn)(void *arg, const char *name, uint64_t done, uint64_t total);

typedef struct kg_sftp_handle {
	uint8_t h[KG_SFTP_MAX_HANDLE];
	size_t len;
} kg_sftp_handle;

/* One directory entry: filename, the server's "ls -l" line, attributes. */
typedef struct kg_sftp_name {
	char *filename;
	char *longname;
	kg_sftp_attrs attrs;      /* ext/ext_len are cleared: not kept */
} kg_sftp_name;

typedef struct kg_sftp {
	kg_sftp_io io;
	kg_stream *stream;        /* set by kg_sftp_open; closed by kg_sftp_close */
	kg_stream stream_store;
	kg_logger *log;
	uint32_t version;         /* negotiated (3) */
	uint32_t exts;            /* KG_SFTP_EXT_* */
	uint32_t next_id;
	uint64_t max_packet, max_read, max_write, max_handles;  /* from limits@ (0: unknown) */
	size_t block_size;        /* effective read/write size */
	unsigned num_requests;    /* requests in flight to start with (-R: always) */
	int fixed_requests;       /* -R given: no growth */
	uint64_t inflight_cap;    /* most bytes in flight (KG_SFTP_INFLIGHT_MAX unless -R) */
	uint64_t inflight_peak;   /* the largest target the last transfer reached (tests, -v) */
	uint64_t limit_bps;       /* bytes per second; 0: none */
	/* last failure */
	uint32_t status;
	int remote_err;
	char errmsg[256];
	/* I/O */
	kg_buf out;               /* messages being written */
	kg_buf in;                /* received bytes, a message or more */
	kg_sftp_msg reply;        /* the current reply (a view into in) */
	size_t reply_len;         /* bytes of in the reply occupies */
} kg_sftp;

/* Opens the "sftp" subsystem on c and negotiates the version; remote
 * stderr goes to stderr_fd (-1: dropped). */
int kg_sftp_open(kg_sftp *s, kg_client *c, const kg_sftp_opts *o, kg_logger *log, int stderr_fd) KG_WUR;
/* The same over any byte pipe (tests, an in-process server). */
int kg_sftp_start(kg_sftp *s, const kg_sftp_io *io, const kg_sftp_opts *o, kg_logger *log) KG_WUR;
/* Ends the session: closes the stream when kg_sftp_open made it. */
int kg_sftp_close(kg_sftp *s) KG_WUR;
void kg_sftp_free(kg_sftp *s);

static inline int kg_sftp_has_ext(const kg_sftp *s, uint32_t ext) { return (s->exts & ext) != 0; }
/* Text of the last failure. */
const char *kg_sftp_error(const kg_sftp *s);

/* ---- one request, one reply ---- */
/* Paths: *out is malloc'ed, NUL-terminated; free() it. */
int kg_sftp_realpath(kg_sftp *s, const char *path, char **out) KG_WUR;
/* "~", "~/x", "~user/x" and relative paths to absolute: expand-path@openssh.com
 * when offered, else realpath (with "~/" taken as the login directory). */
int kg_sftp_expand_path(kg_sftp *s, const char *path, char **out) KG_WUR;
/* user NULL or "" means the logged-in user; needs home-directory (else
 * realpath "."). */
int kg_sftp_home_directory(kg_sftp *s, const char *user, char **out) KG_WUR;
int kg_sftp_readlink(kg_sftp *s, const char *path, char **out) KG_WUR;

int kg_sftp_stat(kg_sftp *s, const char *path, kg_sftp_attrs *a) KG_WUR;
int kg_sftp_lstat(kg_sftp *s, const char *path, kg_sftp_attrs *a) KG_WUR;
int kg_sftp_fstat(kg_sftp *s, const kg_sftp_handle *h, kg_sftp_attrs *a) KG_WUR;
/* Only the fields named in a->flags are changed. */
int kg_sftp_setstat(kg_sftp *s, const char *path, const kg_sftp_attrs *a) KG_WUR;
int kg_sftp_lsetstat(kg_sftp *s, const char *path, const kg_sftp_attrs *a) KG_WUR;
int kg_sftp_fsetstat(kg_sftp *s, const kg_sftp_handle *h, const kg_sftp_attrs *a) KG_WUR;

/* pflags: SSH_FXF_*; a may be NULL (no attributes). */
int kg_sftp_openf(kg_sftp *s, const char *path, uint32_t pflags, const kg_sftp_attrs *a,
		  kg_sftp_handle *h) KG_WUR;
int kg_sftp_closef(kg_sftp *s, const kg_sftp_handle *h) KG_WUR;
/* Reads up to len bytes at offset; *got = 0 at end of file. */
int kg_sftp_read(kg_sftp *s, const kg_sftp_handle *h, uint64_t offset, void *buf, size_t len,
		 size_t *got) KG_WUR;
int kg_sftp_write(kg_sftp *s, const kg_sftp_handle *h, uint64_t offset, const void *data,
		  size_t len) KG_WUR;
int kg_sftp_fsync(kg_sftp *s, const kg_sftp_handle *h) KG_WUR;

int kg_sftp_opendir(kg_sftp *s, const char *path, kg_sftp_handle *h) KG_WUR;
/* The next batch of entries; *n = 0 at the end.  Free with kg_sftp_names_free. */
int kg_sftp_readdir(kg_sftp *s, const kg_sftp_handle *h, kg_sftp_name **names, size_t *n) KG_WUR;
/* opendir + readdir to the end + close; at most max_entries (0: 1,000,000). */
int kg_sftp_readdir_all(kg_sftp *s, const char *path, size_t max_entries, kg_sftp_name **names,
			size_t *n) KG_WUR;
void kg_sftp_names_free(kg_sftp_name *names, size_t n);

/* Writes s to f with control characters as \ooo: names from a server
 * must not drive the terminal. */
void kg_sftp_print_safe(FILE *f, const char *s);

int kg_sftp_mkdir(kg_sftp *s, const char *path, const kg_sftp_attrs *a) KG_WUR;
int kg_sftp_rmdir(kg_sftp *s, const char *path) KG_WUR;
int kg_sftp_remove(kg_sftp *s, const char *path) KG_WUR;
/* posix-rename@openssh.com (replaces newpath) when offered and !legacy;
 * otherwise SSH_FXP_RENAME (fails if newpath exists). */
int kg_sftp_rename(kg_sftp *s, const char *oldpath, const char *newpath, int legacy) KG_WUR;
/* Makes linkpath a symbolic link to target (sent in OpenSSH's order). */
int kg_sftp_symlink(kg_sftp *s, const char *target, const char *linkpath) KG_WUR;
int kg_sftp_hardlink(kg_sftp *s, const char *oldpath, const char *newpath) KG_WUR;
int kg_sftp_statvfs(kg_sftp *s, const char *path, kg_sftp_vfs *v) KG_WUR;
int kg_sftp_fstatvfs(kg_sftp *s, const kg_sftp_handle *h, kg_sftp_vfs *v) KG_WUR;
/* copy-data: len 0 copies to end of file. */
int kg_sftp_copy_data(kg_sftp *s, const kg_sftp_handle *from, uint64_t from_off, uint64_t len,
		      const kg_sftp_handle *to, uint64_t to_off) KG_WUR;

/* ---- pipelined transfers ---- */
/* Copies remote_path from offset to its end into local_fd at the same
 * offsets (pwrite), keeping num_requests reads of block_size in flight. */
int kg_sftp_download(kg_sftp *s, const char *remote_path, int local_fd, uint64_t offset,
		     kg_sftp_progress_fn cb, void *cb_arg) KG_WUR;
/* Upload flags */
enum {
	KG_SFTP_UP_RESUME = 1,    /* keep the remote file, write from offset (no truncation) */
	KG_SFTP_UP_FSYNC = 2,     /* fsync@openssh.com before closing (when offered) */
	KG_SFTP_UP_PRESERVE = 4,  /* copy the local mode and times */
};
/* Copies local_fd from offset to its end into remote_path (created with
 * the local file's permission bits; truncated unless KG_SFTP_UP_RESUME). */
int kg_sftp_upload(kg_sftp *s, int local_fd, const char *remote_path, uint64_t offset, unsigned flags,
		   kg_sftp_progress_fn cb, void *cb_arg) KG_WUR;

/* ---- whole files and trees, with the safety rules of get/put ---- */
typedef struct kg_sftp_xfer_opts {
	int preserve;             /* -p: copy mode and times */
	int resume;               /* -a: continue a partial copy once its tail matches */
	int recursive;            /* -r: directories (for kg_sftp_get/kg_sftp_put) */
	int fsync;                /* fsync@openssh.com after each upload */
	int quiet;                /* no "Fetching ..."/"Uploading ..." lines */
	kg_sftp_progress_fn progress;
	void *progress_arg;
} kg_sftp_xfer_opts;

/* Downloads one regular file into local_path: bytes go to a temporary
 * file ".NAME.part" next to it, renamed into place only when complete and
 * intact, so a failed or interrupted copy leaves an existing file as it
 * was.  With resume, an existing ".NAME.part" (or a shorter local_path
 * itself) is continued after the last 64 KiB before the resume point (or
 * the whole part, if smaller) is checked against the remote file. */
int kg_sftp_get_file(kg_sftp *s, const char *remote_path, const char *local_path,
		     const kg_sftp_xfer_opts *o) KG_WUR;
/* Uploads one regular file; with resume, continues a shorter remote file
 * after checking its tail matches the local bytes. */
int kg_sftp_put_file(kg_sftp *s, const char *local_path, const char *remote_path,
		     const kg_sftp_xfer_opts *o) KG_WUR;
/* A file, or with o->recursive a directory tree (local_path is created). */
int kg_sftp_get(kg_sftp *s, const char *remote_path, const char *local_path,
		const kg_sftp_xfer_opts *o) KG_WUR;
int kg_sftp_put(kg_sftp *s, const char *local_path, const char *remote_path,
		const kg_sftp_xfer_opts *o) KG_WUR;

/* Remote glob: expands * ? [..] per path component with readdir + fnmatch
 * (hidden names only when the pattern starts with '.').  A pattern with
 * no magic characters comes back as itself.  *n = 0 when nothing matches.
 * Free with kg_sftp_glob_free. */
int kg_sftp_glob(kg_sftp *s, const char *pattern, char ***paths, size_t *n) KG_WUR;
void kg_sftp_glob_free(char **paths, size_t n);

#endif
