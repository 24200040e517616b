/* SSH name-lists (RFC 4251 5): negotiation and OpenSSH's list syntax. */
#ifndef KAGI_NAMES_H
#define KAGI_NAMES_H

#include <stddef.h>
#include "core/safety.h"

/* 1 if name is an element of the comma-separated list. */
int kg_namelist_has(const char *list, const char *name);
/* The first name in client_list that is also in server_list (RFC 4253
 * 7.1), copied (malloc) into *out; KG_ERR_NOT_FOUND if none. */
int kg_namelist_choose(const char *client_list, const char *server_list, char **out) KG_WUR;
/* OpenSSH-style configuration value: "a,b" replaces the defaults, "+a,b"
 * appends to them, "-a*,b" removes (wildcards * and ?), "^a,b" prepends.
 * Every name (after wildcard expansion for '-') must be in `supported`;
 * otherwise KG_ERR_CONFIG.  Result (malloc) in *out. */
int kg_alglist_assemble(const char *defaults, const char *supported, const char *spec,
			char **out) KG_WUR;
/* Shell-style glob match of * and ? (used for algorithm and host patterns). */
int kg_glob_match(const char *pattern, const char *s);

#endif
