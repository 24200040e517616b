/* The legacy scp protocol's wire pieces and kscp's command-line operands,
 * as pure functions: control records ("C0644 12 name", "D0755 0 dir",
 * "T<mtime> 0 <atime> 0", "E"), the name rule that keeps a peer inside
 * the target folder, quoting for the remote shell, and escaping of names
 * shown to the user. */
#ifndef KAGI_SCP_PROTO_H
#define KAGI_SCP_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "sys/term-escape.h"

#define KG_SCP_LINE_MAX 8192   /* longest control record accepted */
#define KG_SCP_MODE_MASK 07777u

typedef struct kg_scp_ctl {
	int type;                 /* 'C' file, 'D' directory, 'E' end of directory, 'T' times */
	unsigned mode;            /* C, D */
	uint64_t size;            /* C */
	int64_t mtime, atime;     /* T (seconds) */
	const char *name;         /* C, D: points into the parsed line */
	size_t name_len;
} kg_scp_ctl;

/* Parses one control record (without its '\n'). */
int kg_scp_parse_ctl(const char *line, size_t len, kg_scp_ctl *c) KG_WUR;

/* 1 when a name sent by the peer may be created in the target folder:
 * not empty, not "." or "..", no '/' and no NUL. */
int kg_scp_name_ok(const char *name, size_t len);

/* Appends path quoted for a POSIX shell.  With keep_glob, the pattern
 * characters * ? [ ] stay unquoted (the remote shell expands them, but
 * nothing can run); a leading ~ or ~user is always left for the shell. */
int kg_scp_quote(kg_buf *out, const char *path, int keep_glob) KG_WUR;

/* A command-line operand: "[user@]host:path", "scp://[user@]host[:port][/path]"
 * or a local path. */
typedef struct kg_scp_operand {
	int remote;
	char *user, *host, *port;  /* NULL when not given */
	char *path;                /* never NULL ("." for "host:") */
} kg_scp_operand;

int kg_scp_operand_parse(const char *arg, kg_scp_operand *op) KG_WUR;
void kg_scp_operand_free(kg_scp_operand *op);

/* "[user@]host:path" into out (--explain's name for a -3 copy's far end);
 * path NULL: the operand's own. */
void kg_scp_operand_label(const kg_scp_operand *op, const char *path, char *out, size_t cap);

/* The last path component, without trailing slashes, into out. */
void kg_scp_basename(const char *path, char *out, size_t cap);

#endif
