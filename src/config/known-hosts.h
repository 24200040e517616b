/* known_hosts files in OpenSSH's format:
 *
 *   [@marker] hostpatterns keytype base64 [comment]
 *
 * hostpatterns is a comma list of patterns with '*', '?' and '!' negation,
 * or one hashed name "|1|base64(salt)|base64(HMAC-SHA1(salt, name))".  The
 * name looked up is "host" for port 22 and "[host]:port" otherwise.
 * Markers: "@revoked" (that key is refused for matching hosts, wherever else
 * it is listed) and "@cert-authority" (read but ignored: kagi has no
 * certificates yet).  Malformed lines are skipped, as OpenSSH does. */
#ifndef KAGI_KNOWN_HOSTS_H
#define KAGI_KNOWN_HOSTS_H

#include <stddef.h>
#include "core/buf.h"
#include "core/key.h"

enum kg_kh_status {
	KG_KH_NEW = 0,      /* no entry for this host with this key type */
	KG_KH_MATCH,        /* the key is listed for this host */
	KG_KH_CHANGED,      /* host listed with a different key of the same type */
	KG_KH_REVOKED,      /* the key is marked @revoked for this host */
};

typedef struct kg_kh_result {
	enum kg_kh_status status;
	const char *file;   /* the filename given to the check (not copied) */
	size_t line;        /* entry that decided the status (0 for NEW) */
	int other_types;    /* entries for this host with other key types */
	size_t skipped;     /* malformed lines passed over */
} kg_kh_result;

void kg_kh_result_init(kg_kh_result *res);

/* The name known_hosts lines are matched against: lower-cased host, or
 * "[host]:port" when port is not 22 (port <= 0 means 22).  malloc'ed. */
int kg_known_hosts_name(const char *host, int port, char **out) KG_WUR;

/* Checks key for host:port against one file's text and merges the outcome
 * into res, so several files can be checked in turn into one result
 * (REVOKED beats MATCH beats CHANGED beats NEW; the first file that
 * decided the final status is kept).  Initialise res with
 * kg_kh_result_init() before the first call. */
int kg_known_hosts_check(const char *text, size_t len, const char *filename, const char *host,
			 int port, const kg_key *key, kg_kh_result *res) KG_WUR;

/* Checks each file in turn (missing files are skipped) into res. */
int kg_known_hosts_check_files(const char *const *files, size_t nfiles, const char *host, int port,
			       const kg_key *key, kg_kh_result *res) KG_WUR;

/* Appends "name keytype base64\n" for host:port and key to out; with hash
 * the name is replaced by "|1|salt|hmac" with a fresh random salt, as
 * HashKnownHosts does. */
int kg_known_hosts_format_entry(const char *host, int port, const kg_key *key, int hash,
				kg_buf *out) KG_WUR;

/* Appends "|1|salt|hmac" for name (already lower-cased) with a fresh
 * random salt: the hashed form ssh-keygen -H writes. */
int kg_known_hosts_hash_name(const char *name, kg_buf *out) KG_WUR;

/* 1 if the hashed host field "|1|salt|hmac" is the hash of name, 0 if not,
 * KG_ERR_FORMAT if the field is malformed. */
int kg_known_hosts_hash_matches(const char *field, size_t flen, const char *name);

/* Appends line (len bytes) to the file at path, creating it (mode 0600) and
 * its directory (mode 0700, one level, like ~/.ssh) when missing.  Adds a
 * newline first if the file does not end with one.  Appending to
 * /dev/null succeeds and writes nothing; other non-regular files are
 * KG_ERR_FORMAT. */
int kg_known_hosts_append(const char *path, const char *line, size_t len) KG_WUR;

#endif
