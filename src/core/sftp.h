/* SFTP version 3 (draft-ietf-secsh-filexfer-02) with OpenSSH's extensions
 * (PROTOCOL section 4): message framing, file attributes, name lists and
 * status replies.  No I/O: the client and the server feed bytes in and
 * take bytes out.  Every length and count a peer sends is checked against
 * the bytes actually present and against KG_SFTP_MAX_PACKET. */
#ifndef KAGI_SFTP_H
#define KAGI_SFTP_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"

#define KG_SFTP_VERSION 3

/* Largest message either side accepts, as OpenSSH: 256 KiB.  Reads and
 * writes carry at most KG_SFTP_MAX_DATA bytes so a reply always fits. */
#define KG_SFTP_MAX_PACKET (256u * 1024)
#define KG_SFTP_MAX_DATA   (KG_SFTP_MAX_PACKET - 1024)
#define KG_SFTP_MAX_HANDLE 256  /* the draft's bound on a handle string */

enum {
	SSH_FXP_INIT = 1, SSH_FXP_VERSION = 2, SSH_FXP_OPEN = 3, SSH_FXP_CLOSE = 4,
	SSH_FXP_READ = 5, SSH_FXP_WRITE = 6, SSH_FXP_LSTAT = 7, SSH_FXP_FSTAT = 8,
	SSH_FXP_SETSTAT = 9, SSH_FXP_FSETSTAT = 10, SSH_FXP_OPENDIR = 11, SSH_FXP_READDIR = 12,
	SSH_FXP_REMOVE = 13, SSH_FXP_MKDIR = 14, SSH_FXP_RMDIR = 15, SSH_FXP_REALPATH = 16,
	SSH_FXP_STAT = 17, SSH_FXP_RENAME = 18, SSH_FXP_READLINK = 19, SSH_FXP_SYMLINK = 20,
	SSH_FXP_STATUS = 101, SSH_FXP_HANDLE = 102, SSH_FXP_DATA = 103, SSH_FXP_NAME = 104,
	SSH_FXP_ATTRS = 105, SSH_FXP_EXTENDED = 200, SSH_FXP_EXTENDED_REPLY = 201,
};

enum {
	SSH_FX_OK = 0, SSH_FX_EOF = 1, SSH_FX_NO_SUCH_FILE = 2, SSH_FX_PERMISSION_DENIED = 3,
	SSH_FX_FAILURE = 4, SSH_FX_BAD_MESSAGE = 5, SSH_FX_NO_CONNECTION = 6,
	SSH_FX_CONNECTION_LOST = 7, SSH_FX_OP_UNSUPPORTED = 8,
};

/* SSH_FXP_OPEN pflags */
enum {
	SSH_FXF_READ = 0x01, SSH_FXF_WRITE = 0x02, SSH_FXF_APPEND = 0x04,
	SSH_FXF_CREAT = 0x08, SSH_FXF_TRUNC = 0x10, SSH_FXF_EXCL = 0x20,
};

/* attribute flags */
enum {
	SSH_FILEXFER_ATTR_SIZE = 0x01, SSH_FILEXFER_ATTR_UIDGID = 0x02,
	SSH_FILEXFER_ATTR_PERMISSIONS = 0x04, SSH_FILEXFER_ATTR_ACMODTIME = 0x08,
	SSH_FILEXFER_ATTR_EXTENDED = 0x80000000u,
};

/* statvfs@openssh.com f_flag bits */
enum { KG_SFTP_ST_RDONLY = 0x1, KG_SFTP_ST_NOSUID = 0x2 };

typedef struct kg_sftp_attrs {
	uint32_t flags;           /* which fields below are present */
	uint64_t size;
	uint32_t uid, gid;
	uint32_t perm;            /* st_mode: type and permission bits */
	uint32_t atime, mtime;
	/* Extended pairs, raw (string type, string data, ...), as a view into
	 * the decoded message: valid while that message is. */
	uint32_t ext_count;
	const uint8_t *ext;
	size_t ext_len;
} kg_sftp_attrs;

typedef struct kg_sftp_vfs {
	uint64_t bsize, frsize, blocks, bfree, bavail, files, ffree, favail, fsid, flag, namemax;
} kg_sftp_vfs;

/* One parsed message: type, request id (the version for INIT/VERSION) and
 * the rest of the body as a view into the caller's bytes. */
typedef struct kg_sftp_msg {
	uint8_t type;
	uint32_t id;
	kg_buf body;
} kg_sftp_msg;

/* Framing.  Given the bytes buffered so far, *total is the size of the
 * first complete message (length field included).  KG_ERR_AGAIN when
 * more bytes are needed; KG_ERR_TOO_LARGE when the peer's length exceeds
 * max (0: KG_SFTP_MAX_PACKET + 1024); KG_ERR_FORMAT for a zero length. */
int kg_sftp_frame_check(const uint8_t *p, size_t len, size_t max, size_t *total) KG_WUR;
/* Parses one complete message (as kg_sftp_frame_check measured it). */
int kg_sftp_msg_parse(const uint8_t *p, size_t len, kg_sftp_msg *m) KG_WUR;

/* Starts a message of type with id (or version) in b, remembering where
 * its length goes; kg_sftp_msg_end fills the length in. */
int kg_sftp_msg_begin(kg_buf *b, uint8_t type, uint32_t id, size_t *mark) KG_WUR;
int kg_sftp_msg_end(kg_buf *b, size_t mark) KG_WUR;

int kg_sftp_attrs_encode(kg_buf *b, const kg_sftp_attrs *a) KG_WUR;
int kg_sftp_attrs_decode(kg_buf *b, kg_sftp_attrs *a) KG_WUR;

/* Whole replies. */
int kg_sftp_put_status(kg_buf *b, uint32_t id, uint32_t code, const char *message) KG_WUR;
/* The message text and language tag are optional on decode, as some
 * servers omit them; *msg (not NUL-terminated) may be NULL. */
int kg_sftp_parse_status(kg_buf *body, uint32_t *code, const uint8_t **msg, size_t *msg_len) KG_WUR;
int kg_sftp_put_handle(kg_buf *b, uint32_t id, const void *h, size_t len) KG_WUR;
int kg_sftp_parse_handle(kg_buf *body, const uint8_t **h, size_t *len) KG_WUR;

/* Name lists: begin with count 0, add entries, end patches the count. */
int kg_sftp_names_begin(kg_buf *b, uint32_t id, size_t *mark) KG_WUR;
int kg_sftp_names_add(kg_buf *b, size_t mark, const char *filename, const char *longname,
		      const kg_sftp_attrs *a) KG_WUR;
int kg_sftp_names_end(kg_buf *b, size_t mark) KG_WUR;
/* Decoding: the count (checked against the bytes left: each entry needs
 * at least 12 bytes), then one entry at a time; the strings are views. */
int kg_sftp_names_count(kg_buf *body, uint32_t *count) KG_WUR;
int kg_sftp_names_next(kg_buf *body, const uint8_t **name, size_t *name_len,
		       const uint8_t **longname, size_t *longname_len, kg_sftp_attrs *a) KG_WUR;

int kg_sftp_statvfs_encode(kg_buf *b, const kg_sftp_vfs *v) KG_WUR;
int kg_sftp_statvfs_decode(kg_buf *b, kg_sftp_vfs *v) KG_WUR;

/* "No such file", "Permission denied", ... as OpenSSH prints them. */
const char *kg_sftp_status_text(uint32_t code);
/* The errno closest to a status code (ENOENT, EACCES, EIO, ENOTSUP, ...). */
int kg_sftp_status_errno(uint32_t code);
/* The status code for a local errno (what the server replies). */
uint32_t kg_sftp_errno_status(int err);
/* "drwxr-xr-x" from a mode; out has room for 11 bytes. */
void kg_sftp_mode_string(uint32_t mode, char out[11]);

#endif
