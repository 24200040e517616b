/* Editing known_hosts files as ssh-keygen -F / -R / -H does: each line is
 * classified the way OpenSSH's hostkeys_foreach classifies it (comment,
 * ok, matched, invalid), and the edits reproduce OpenSSH's output and file
 * contents byte for byte (hashing aside: salts are random).  Pure text in,
 * text out; the caller reads and replaces the file. */
#ifndef KAGI_KNOWN_HOSTS_EDIT_H
#define KAGI_KNOWN_HOSTS_EDIT_H

#include <stddef.h>
#include "core/buf.h"
#include "core/key.h"
#include "core/randomart.h"

enum kg_khe_status { KG_KHE_COMMENT = 0, KG_KHE_OK, KG_KHE_MATCHED, KG_KHE_INVALID };
enum kg_khe_marker { KG_KHE_MK_NONE = 0, KG_KHE_MK_CA, KG_KHE_MK_REVOKED };

typedef struct kg_khe_line {
	size_t lineno;
	const char *line;       /* the whole line, without its '\n' */
	size_t len;
	enum kg_khe_status status;
	enum kg_khe_marker marker;
	const char *hosts;      /* host field (OK/MATCHED) */
	size_t hosts_len;
	const char *rawkey;     /* from the key type to the end of the line */
	size_t rawkey_len;
	kg_key *key;            /* parsed key (only when asked), owned by the walk */
	const char *comment;    /* after the key, leading blanks skipped */
	size_t comment_len;
} kg_khe_line;

/* Calls cb for each line of text.  host (lower-cased for patterns, as
 * given for hashed names), when not NULL, makes matching lines MATCHED; with want_match only those are
 * reported.  parse_key parses each key (an unparsable one is INVALID).
 * A negative return from cb stops the walk and is returned. */
typedef int (*kg_khe_cb)(const kg_khe_line *l, void *arg);
int kg_khe_foreach(const char *text, size_t len, const char *host, int want_match, int parse_key,
		   kg_khe_cb cb, void *arg) KG_WUR;

/* What one edit produced.  out: the new file text (-R, -H) or what goes to
 * standard output (-F); msgs: other standard output lines ("# Host ...
 * found", for -R); errs: standard error lines, in order. */
typedef struct kg_khe_result {
	kg_buf out, msgs, errs;
	int found;           /* a matching entry was seen */
	int invalid;         /* an invalid line makes the edit refused */
	int has_unhashed;    /* -H hashed some entries (the .old keeps them in clear) */
} kg_khe_result;

void kg_khe_result_init(kg_khe_result *res);
void kg_khe_result_free(kg_khe_result *res);

enum kg_khe_show { KG_KHE_SHOW_LINE = 0, KG_KHE_SHOW_FP, KG_KHE_SHOW_HASHED };

/* ssh-keygen -F host [-l | -H]: entries for host, each after a
 * "# Host ... found: line N" header unless quiet.  host is shown as given. */
int kg_khe_find(const char *text, size_t len, const char *host, enum kg_khe_show show, enum kg_fp_hash fp,
		int quiet, kg_khe_result *res) KG_WUR;
/* ssh-keygen -R host: the file without host's plain entries (@revoked and
 * @cert-authority lines stay).  path is used in messages. */
int kg_khe_remove(const char *text, size_t len, const char *path, const char *host, int quiet,
		  kg_khe_result *res) KG_WUR;
/* ssh-keygen -H: every plain, wildcard-free, unmarked entry hashed, one
 * line per comma-separated name. */
int kg_khe_hash(const char *text, size_t len, const char *path, kg_khe_result *res) KG_WUR;

#endif
