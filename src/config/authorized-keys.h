/* authorized_keys files in OpenSSH's format:
 *
 *   [options] keytype base64 [comment]
 *
 * options is a comma list; values are double-quoted with \" for a quote:
 * command="...", from="pattern-list", environment="NAME=value",
 * permitopen="host:port", permitlisten="[host:]port", principals="...",
 * expiry-time="YYYYMMDD[HHMM[SS]][Z]", tunnel="n", and the flags restrict,
 * cert-authority, [no-]pty, [no-]port-forwarding, [no-]agent-forwarding,
 * [no-]X11-forwarding, [no-]user-rc, no-touch-required, verify-required.
 * An unknown or malformed option makes the entry unusable ("bad options"),
 * as in OpenSSH. */
#ifndef KAGI_AUTHORIZED_KEYS_H
#define KAGI_AUTHORIZED_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "core/key.h"
#include "config/config-common.h"

typedef struct kg_ak_opts {
	int restricted;           /* "restrict" was given */
	int no_pty;
	int no_port_forwarding;
	int no_agent_forwarding;
	int no_x11_forwarding;
	int no_user_rc;
	int cert_authority;
	int no_touch_required, verify_required;
	char *command;            /* forced command, or NULL */
	char *from;               /* the from= pattern list, or NULL */
	char *principals;         /* certificates only; kept for completeness */
	char *tunnel;             /* tunnel device, or NULL */
	int64_t expiry_time;      /* seconds since the epoch; 0 = none */
	kg_strlist environment;   /* "NAME=value" */
	kg_strlist permitopen;    /* "host:port" */
	kg_strlist permitlisten;  /* "[host:]port" */
} kg_ak_opts;

void kg_ak_opts_free(kg_ak_opts *o);

/* Parses an options field (text[0..len), no key part).  On a bad option
 * returns KG_ERR_FORMAT with a reason in *why (static text). */
int kg_ak_parse_options(const char *text, size_t len, kg_ak_opts *o, const char **why) KG_WUR;

/* Parses "YYYYMMDD[HHMM[SS]]" as local time, or UTC with a trailing 'Z'. */
int kg_ak_parse_time(const char *s, int64_t *out) KG_WUR;

/* OpenSSH address list matching: entries are addresses, CIDR blocks
 * ("10.0.0.0/8", "::1/128") or '*'/'?' patterns against the address text,
 * optionally negated with '!'.  1 match, 0 no match, -1 negated match,
 * -2 invalid list (an unparseable CIDR block). */
int kg_addr_match_list(const char *addr, const char *list);
/* from= semantics: 1 if the client (address addr, optional host name)
 * is permitted by the pattern list, else 0. */
int kg_from_match(const char *host, const char *addr, const char *list);

/* permitopen= semantics: 1 if a direct-tcpip open to host:port is allowed
 * by o (always when o has no permitopen entries), else 0.  Entries compare
 * literally, without name lookup; '*' as host or port matches any. */
int kg_ak_permitopen_allows(const kg_ak_opts *o, const char *host, uint32_t port);

/* permitlisten= semantics: 1 if a tcpip-forward of host:port is allowed by
 * o (always when o has no permitlisten entries).  An entry's host is a
 * pattern matched without regard to case; a bare port means any host. */
int kg_ak_permitlisten_allows(const kg_ak_opts *o, const char *host, uint32_t port);
/* One entry of either kind, shared with sshd_config's PermitOpen (listen
 * 0: "host:port") and PermitListen (listen 1: "[host:]port"); '*' as host
 * or port matches any.  valid: 1 if the entry is well formed. */
int kg_permit_entry_valid(const char *entry, int listen);
int kg_permit_entry_allows(const char *entry, int listen, const char *host, uint32_t port);

typedef struct kg_ak_result {
	size_t line;                /* the entry used */
	kg_ak_opts opts;            /* its effective options (caller frees) */
	kg_cfg_err note;            /* why a line with this key was refused */
} kg_ak_result;

/* Finds the first entry for key usable by a client at addr (text form,
 * IPv4 or IPv6; host NULL or its name) at time now.  KG_OK with res
 * filled, or KG_ERR_NOT_FOUND; lines with the right key that were refused
 * (bad options, from=, expired, cert-authority) leave a reason in
 * res->note.msg ("FILE line N: ...").  Free res->opts with kg_ak_opts_free. */
int kg_authorized_keys_find(const char *text, size_t len, const char *filename, const kg_key *key,
			    const char *addr, const char *host, time_t now, kg_ak_result *res) KG_WUR;

/* StrictModes check for path: the file (already opened, st from fstat)
 * and each directory up to and including home (or "/" when the file is not
 * under home) must be owned by uid or root and not group/world writable.
 * KG_ERR_KEY_PERMS with a reason in err when not. */
int kg_authorized_keys_check_modes(const char *path, const struct stat *st, uid_t uid,
				   const char *home, kg_cfg_err *err) KG_WUR;

/* Reads an authorized_keys file, applying the StrictModes check when
 * strict.  KG_ERR_NOT_FOUND when it does not exist. */
int kg_authorized_keys_read(const char *path, int strict, uid_t uid, const char *home, char **text,
			    size_t *len, kg_cfg_err *err) KG_WUR;

#endif
