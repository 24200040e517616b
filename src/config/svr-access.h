/* Who may log in: DenyUsers, AllowUsers, DenyGroups and AllowGroups,
 * checked in that order as sshd does.  The matchers are pure (user, group
 * names, peer address in; a verdict out) so they are tested directly. */
#ifndef KAGI_SVR_ACCESS_H
#define KAGI_SVR_ACCESS_H

#include <stddef.h>
#include <sys/types.h>
#include "config/config-common.h"
#include "config/server-config.h"
#include "sys/session-proc.h"

/* One AllowUsers / DenyUsers entry: "userpat" or "userpat@hostlist".  The
 * user part is one '*'/'?' pattern (case-sensitive).  The host part, after
 * the last '@', is a comma list of addresses, CIDR blocks ("127.0.0.0/8",
 * "::1/128") and '*'/'?' patterns, each optionally negated with '!', matched
 * against the peer address addr (UseDNS no: a name pattern is matched
 * against the address text).  A negated match makes the entry not match.
 * 1 match, 0 no match, KG_ERR_CONFIG for a malformed entry (empty user or
 * host part, empty list element, bad CIDR block).  With user NULL the entry
 * is only checked. */
int kg_access_user_match(const char *entry, const char *user, const char *addr);

/* KG_OK if entry is a well-formed AllowUsers / DenyUsers entry. */
int kg_access_entry_check(const char *entry) KG_WUR;

/* 1 if the host part of a user@host entry has an element that names a
 * host (a letter and no ':'), which only a DNS lookup could match. */
int kg_access_entry_names_host(const char *entry);

/* 1 if one of the group names matches one of the '*'/'?' patterns. */
int kg_access_groups_match(const kg_strlist *patterns, const char *const *groups, size_t ngroups);

/* NULL if user, a member of groups[0..ngroups), may log in from addr;
 * otherwise why not, worded as sshd logs it after "not allowed because"
 * ("listed in DenyUsers", "not listed in AllowUsers", "not in any group",
 * "a group is listed in DenyGroups", "none of user's groups are listed in
 * AllowGroups").  A malformed entry denies. */
const char *kg_access_check(const kg_server_config *cfg, const char *user, const char *const *groups,
			    size_t ngroups, const char *addr);

/* The names of the groups user belongs to: its primary group gid and its
 * supplementary groups (getgrouplist(3)); a gid without a name is left out.
 * Appended to out. */
int kg_access_user_groups(const char *user, gid_t gid, kg_strlist *out) KG_WUR;

/* kg_access_check for a looked-up user; its groups are read only when
 * AllowGroups or DenyGroups is set.  A failed group lookup denies. */
const char *kg_access_denied(const kg_server_config *cfg, const kg_spawn_user *u, const char *addr);

#endif
