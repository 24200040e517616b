/* Match criteria of sshd_config: syntax check and evaluation against one connection. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "config/authorized-keys.h"
#include "config/match-criteria.h"

enum crit { C_USER, C_GROUP, C_HOST, C_ADDRESS, C_LADDR, C_LPORT, C_RDOMAIN, C_ALL, C_BAD };

static const struct {
	const char *name, *field;  /* field: its name in a -C specification */
} crits[] = {
	[C_USER] = { "user", "user" },        [C_GROUP] = { "group", "user" },
	[C_HOST] = { "host", "host" },        [C_ADDRESS] = { "address", "addr" },
	[C_LADDR] = { "localaddress", "laddr" }, [C_LPORT] = { "localport", "lport" },
	[C_RDOMAIN] = { "rdomain", "rdomain" }, [C_ALL] = { "all", NULL },
};

static enum crit crit_of(const char *w)
{
	for (int i = 0; i < C_BAD; i++)
		if (strcasecmp(w, crits[i].name) == 0)
			return (enum crit)i;
	return C_BAD;
}

static int parse_port(const char *s, long *out)
{
	return kg_cfg_parse_int(s, 1, 65535, out);
}

int kg_match_check(char *const *args, size_t n, const char *file, size_t line, kg_cfg_err *err)
{
	if (n == 0) {
		kg_cfg_errf(err, file, line, "Match: missing criteria");
		return KG_ERR_CONFIG;
	}
	for (size_t i = 0; i < n; i++) {
		enum crit c = crit_of(args[i]);
		if (c == C_BAD) {
			kg_cfg_errf(err, file, line, "Unsupported Match attribute %s", args[i]);
			return KG_ERR_CONFIG;
		}
		if (c == C_ALL) {
			if (n != 1) {
				kg_cfg_errf(err, file, line, "'all' cannot be combined with other Match attributes");
				return KG_ERR_CONFIG;
			}
			continue;
		}
		if (i + 1 >= n || args[i + 1][0] == '\0') {
			kg_cfg_errf(err, file, line, "Missing Match criteria for %s", args[i]);
			return KG_ERR_CONFIG;
		}
		const char *v = args[++i];
		long port;
		if (c == C_LPORT && parse_port(v, &port) != KG_OK) {
			kg_cfg_errf(err, file, line, "Invalid LocalPort '%s' on Match line", v);
			return KG_ERR_CONFIG;
		}
		if ((c == C_ADDRESS || c == C_LADDR) && kg_addr_match_list(NULL, v) == -2) {
			kg_cfg_errf(err, file, line, "Invalid Match %s list '%s'", crits[c].name, v);
			return KG_ERR_CONFIG;
		}
	}
	return KG_OK;
}

int kg_match_wants_groups(char *const *args, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (crit_of(args[i]) == C_GROUP)
			return 1;
	return 0;
}

/* sshd's ga_match_pattern_list: a negated hit on any group fails. */
static int groups_match(const kg_match_conn *ci, const char *list)
{
	int found = 0;
	for (size_t i = 0; i < ci->ngroups; i++) {
		int r = kg_pattern_list_match(ci->groups[i], list, 0);
		if (r < 0)
			return 0;
		found |= r == 1;
	}
	return found;
}

static int missing(const kg_match_conn *ci, enum crit c)
{
	switch (c) {
	case C_USER: return ci->user == NULL;
	case C_GROUP: return ci->user == NULL || !ci->groups_known;
	case C_HOST: return ci->host == NULL;
	case C_ADDRESS: return ci->addr == NULL;
	case C_LADDR: return ci->laddr == NULL;
	case C_LPORT: return ci->lport < 0;
	case C_RDOMAIN: return ci->rdomain == NULL;
	default: return 0;
	}
}

/* An IPv4 client seen through an IPv6 socket is matched as IPv4. */
static const char *unmapped(const char *addr)
{
	static const char mapped[] = "::ffff:";
	if (strncasecmp(addr, mapped, sizeof(mapped) - 1) == 0 && strchr(addr, '.'))
		return addr + sizeof(mapped) - 1;
	return addr;
}

int kg_match_eval(char *const *args, size_t n, const kg_match_conn *ci, int strict, kg_cfg_err *err)
{
	GUARD(kg_match_check(args, n, NULL, 0, err));
	int result = 1;
	for (size_t i = 0; i < n; i++) {
		enum crit c = crit_of(args[i]);
		if (c == C_ALL)
			return 1;
		const char *v = args[++i];
		if (missing(ci, c)) {
			if (strict) {
				kg_cfg_errf(err, NULL, 0, "'Match %s' in configuration but '%s' not in connection test "
					    "specification.", crits[c].name, crits[c].field);
				return KG_ERR_CONFIG;
			}
			result = 0;
			continue;
		}
		int hit = 0;
		long port;
		switch (c) {
		case C_USER: hit = kg_pattern_list_match(ci->user, v, 0) == 1; break;
		case C_GROUP: hit = groups_match(ci, v); break;
		case C_HOST: hit = kg_pattern_list_match(ci->host, v, 1) == 1; break;
		case C_ADDRESS: hit = kg_addr_match_list(unmapped(ci->addr), v) == 1; break;
		case C_LADDR: hit = kg_addr_match_list(unmapped(ci->laddr), v) == 1; break;
		case C_LPORT: hit = parse_port(v, &port) == KG_OK && port == ci->lport; break;
		case C_RDOMAIN: hit = kg_pattern_list_match(ci->rdomain, v, 0) == 1; break;
		default: return KG_ERR_INTERNAL;
		}
		/* Every criterion is looked at (as sshd does, so -T reports a
		 * missing field even after a failed one). */
		if (!hit)
			result = 0;
	}
	return result;
}
