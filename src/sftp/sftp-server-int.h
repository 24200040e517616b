/* Shared between the SFTP server's request handlers (sftp-server.c), its
 * extensions (sftp-server-ext.c) and the pieces both use (sftp-server-ops.c). */
#ifndef KAGI_SFTP_SERVER_INT_H
#define KAGI_SFTP_SERVER_INT_H

#include <sys/stat.h>
#include "sftp/sftp-server.h"

enum { SRV_FREE = 0, SRV_FILE = 1, SRV_DIR = 2 };

/* ---- sftp-server-ops.c ---- */
/* Status replies. */
int srv_status(kg_sftp_server *s, uint32_t id, uint32_t code, const char *msg) KG_WUR;
int srv_errno(kg_sftp_server *s, uint32_t id, int err) KG_WUR;
/* A path argument: a NUL-free string (else KG_ERR_FORMAT), checked against
 * the confinement rules (*refused = 1 then).  *out points into a scratch
 * copy the caller frees. */
int srv_get_path(kg_sftp_server *s, kg_buf *body, char **out, int *refused) KG_WUR;
/* A handle argument: index of an open handle of kind, or -1. */
int srv_get_handle(kg_sftp_server *s, kg_buf *body, int kind, int *idx) KG_WUR;
void srv_stat_to_attrs(const struct stat *st, kg_sftp_attrs *a);
/* Applies the attributes in the order OpenSSH's server does: size,
 * permissions, times, owner.  fd >= 0 works on the open file; nofollow
 * (lsetstat) changes a symbolic link itself.  0 or -errno. */
int srv_apply_attrs(const char *path, int fd, int nofollow, const kg_sftp_attrs *a);
/* setstat (nofollow 0) and lsetstat@openssh.com (nofollow 1) */
int srv_setstat(kg_sftp_server *s, uint32_t id, kg_buf *b, int nofollow) KG_WUR;
/* Two-path requests: rename (v3: refuses to replace), symlink, and the
 * extensions posix-rename and hardlink. */
enum { TWO_RENAME, TWO_POSIX_RENAME, TWO_SYMLINK, TWO_HARDLINK };
int srv_two_paths(kg_sftp_server *s, uint32_t id, kg_buf *b, int what) KG_WUR;
/* ---- sftp-server-ext.c ---- */
/* Resolves path like realpath(3), but a missing last component is allowed
 * (as OpenSSH's server does, so a client can name a file to create). */
int srv_realpath(const char *path, char **out);
/* One NAME reply with a single entry. */
int srv_name_reply(kg_sftp_server *s, uint32_t id, const char *name, const struct stat *st) KG_WUR;
/* "ls -l" line for one entry. */
int srv_longname(kg_sftp_server *s, const char *name, const struct stat *st, char *out, size_t outsz);

/* OpenSSH's extensions this server implements: request name (for -P/-p,
 * as OpenSSH's sftp-server names it), the name on the wire, the version
 * advertised in VERSION.  Ends with a NULL name. */
typedef struct kg_sftp_srv_ext {
	const char *name, *wire, *version;
} kg_sftp_srv_ext;
extern const kg_sftp_srv_ext kg_sftp_srv_exts[];
/* Whether -P / -p let a request of this type (or this extension) through;
 * a refusal is logged.  Names not known here are let through (they are
 * answered SSH_FX_OP_UNSUPPORTED). */
int srv_request_permitted(kg_sftp_server *s, uint8_t type);
int srv_ext_permitted(kg_sftp_server *s, const uint8_t *wire, size_t n);

int srv_version(kg_sftp_server *s, uint32_t version) KG_WUR;
int srv_extended(kg_sftp_server *s, uint32_t id, kg_buf *body) KG_WUR;

#endif
