/* SFTP server: executes SFTP v3 requests (and OpenSSH's extensions) on
 * the local file system as the running user.  The request handler works
 * on byte buffers, so the same code serves stdin/stdout under an SSH
 * server and is driven directly by tests and fuzzers. */
#ifndef KAGI_SFTP_SERVER_H
#define KAGI_SFTP_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "core/buf.h"
#include "core/sftp.h"
#include "sys/log.h"

#define KG_SFTP_SERVER_HANDLES 256   /* open files and directories at once */

typedef struct kg_sftp_server_opts {
	int read_only;            /* -R: refuse every change */
	/* Refuse absolute paths, "..", links and symlinks: keeps a fuzzer (or
	 * a test) inside the current directory. */
	int confine;
	kg_logger *log;
	/* -P / -p: comma lists of request names (kg_sftp_server_request_name;
	 * an extension also by its wire name) refused, or alone permitted;
	 * NULL for none.  A refused request gets SSH_FX_PERMISSION_DENIED. */
	const char *deny_requests;
	const char *allow_requests;
} kg_sftp_server_opts;

typedef struct kg_sftp_srv_handle {
	int kind;                 /* 0 free, 1 file, 2 directory */
	uint32_t gen;             /* bumped on reuse: stale handles fail */
	int fd;
	void *dir;                /* DIR * */
	int writable;
} kg_sftp_srv_handle;

typedef struct kg_sftp_server {
	kg_sftp_server_opts o;
	int inited;
	uint32_t client_version;
	kg_sftp_srv_handle h[KG_SFTP_SERVER_HANDLES];
	kg_buf out;               /* replies not yet written */
	/* a one-entry cache for ls -l owner names */
	uint32_t cached_uid, cached_gid;
	char uname[33], gname[33];
	int uid_ok, gid_ok;
} kg_sftp_server;

void kg_sftp_server_init(kg_sftp_server *s, const kg_sftp_server_opts *o);
/* Closes every handle and frees the reply buffer. */
void kg_sftp_server_free(kg_sftp_server *s);

/* Handles one complete message (length field included); the reply is
 * appended to s->out.  A malformed request gets a status reply; an error
 * return (no INIT first) means the session should end. */
int kg_sftp_server_handle(kg_sftp_server *s, const uint8_t *msg, size_t len) KG_WUR;
/* Handles every complete message in in, consuming them.  A framing error
 * (a length over the cap) returns KG_ERR_TOO_LARGE / KG_ERR_FORMAT. */
int kg_sftp_server_input(kg_sftp_server *s, kg_buf *in) KG_WUR;
/* The i-th request name ("open", ..., "posix-rename", ...), in OpenSSH's
 * order; NULL past the last. */
const char *kg_sftp_server_request_name(size_t i);
/* KG_OK if every element of the comma list names a request this server or
 * OpenSSH's knows; else KG_ERR_ARG with the first unknown one in bad. */
int kg_sftp_server_check_requests(const char *list, char *bad, size_t badsz) KG_WUR;
/* Serves requests from in_fd, replies to out_fd, until end of input. */
int kg_sftp_server_run(kg_sftp_server *s, int in_fd, int out_fd) KG_WUR;

#endif
