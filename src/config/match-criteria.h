/* sshd_config(5) Match criteria: checking a Match line's words and testing
 * them against one connection (User, Group, Host, Address, LocalAddress,
 * LocalPort, RDomain, All).  Pure: everything about the connection comes
 * in a kg_match_conn, so the rules are tested directly.
 *
 * kagi never resolves names (UseDNS no), so "Match Host" is matched
 * against the client's address text, as sshd does with UseDNS no.  kagi
 * has no routing domains: a connection's rdomain is unknown and an
 * RDomain criterion never matches on a live connection. */
#ifndef KAGI_MATCH_CRITERIA_H
#define KAGI_MATCH_CRITERIA_H

#include <stddef.h>
#include "config/config-common.h"

/* What a Match line is tested against.  A NULL field is not known: a
 * criterion that needs it does not match (for ksshd -T -C it is an error,
 * see kg_match_eval). */
typedef struct kg_match_conn {
	const char *user;
	const char *const *groups;  /* the user's group names */
	size_t ngroups;
	int groups_known;           /* groups/ngroups were filled in */
	const char *host;           /* the client's name; with UseDNS no its address */
	const char *addr;           /* the client's address */
	const char *laddr;          /* the address the client connected to */
	int lport;                  /* the port it connected to; -1 unknown */
	const char *rdomain;
} kg_match_conn;

/* Checks the words after "Match" (args[0..n)): pairs of criterion and
 * pattern list, or "All" alone.  KG_ERR_CONFIG with sshd's wording in err
 * (file/line given by the caller). */
int kg_match_check(char *const *args, size_t n, const char *file, size_t line, kg_cfg_err *err) KG_WUR;

/* 1 if every criterion holds for ci, else 0.  With strict (ksshd -T -C),
 * a criterion whose connection value is missing is KG_ERR_CONFIG ("'Match
 * user' in configuration but 'user' not in connection test
 * specification."); otherwise it does not match.  Pattern lists follow
 * OpenSSH: comma separated, '!' negates, a negated hit fails the
 * criterion. */
int kg_match_eval(char *const *args, size_t n, const kg_match_conn *ci, int strict, kg_cfg_err *err) KG_WUR;

/* 1 if the criteria name Group (the caller must then look the groups up). */
int kg_match_wants_groups(char *const *args, size_t n);

#endif
