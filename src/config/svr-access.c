/* AllowUsers / DenyUsers / AllowGroups / DenyGroups, as sshd applies them. */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "config/authorized-keys.h"
#include "config/svr-access.h"

#define MAX_GROUPS 65536

/* Checks the host part: a comma list whose elements are non-empty and
 * whose CIDR blocks parse. */
static int host_list_check(const char *list)
{
	if (!*list)
		return KG_ERR_CONFIG;
	for (const char *p = list;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == 0 || (n == 1 && *p == '!'))
			return KG_ERR_CONFIG;
		if (!comma)
			break;
		p = comma + 1;
	}
	return kg_addr_match_list(NULL, list) == -2 ? KG_ERR_CONFIG : KG_OK;
}

int kg_access_user_match(const char *entry, const char *user, const char *addr)
{
	const char *at = strrchr(entry, '@');
	if (!at) {
		ENSURE(*entry, KG_ERR_CONFIG);
		return user ? kg_pattern_match(user, entry, 0) : 0;
	}
	size_t un = (size_t)(at - entry);
	ENSURE(un > 0, KG_ERR_CONFIG);
	GUARD(host_list_check(at + 1));
	if (!user)
		return 0;
	char *upat = strndup(entry, un);
	ENSURE(upat != NULL, KG_ERR_ALLOC);
	int hit = kg_pattern_match(user, upat, 0);
	free(upat);
	if (!hit || !addr)
		return 0;
	/* An IPv4 client seen through an IPv6 socket is matched as IPv4. */
	static const char mapped[] = "::ffff:";
	if (strncasecmp(addr, mapped, sizeof(mapped) - 1) == 0 && strchr(addr, '.'))
		addr += sizeof(mapped) - 1;
	/* UseDNS no: the "host name" is the address text. */
	return kg_from_match(addr, addr, at + 1);
}

int kg_access_entry_check(const char *entry)
{
	int r = kg_access_user_match(entry, NULL, NULL);
	return r < 0 ? r : KG_OK;
}

int kg_access_entry_names_host(const char *entry)
{
	const char *at = strrchr(entry, '@');
	if (!at)
		return 0;
	for (const char *p = at + 1; *p;) {
		size_t n = strcspn(p, ",");
		int letter = 0, colon = 0;
		for (size_t i = 0; i < n; i++) {
			letter |= (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z');
			colon |= p[i] == ':';
		}
		if (letter && !colon)
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

int kg_access_groups_match(const kg_strlist *patterns, const char *const *groups, size_t ngroups)
{
	for (size_t i = 0; i < ngroups; i++)
		for (size_t j = 0; j < patterns->n; j++)
			if (kg_pattern_match(groups[i], patterns->v[j], 0))
				return 1;
	return 0;
}

/* 1 if some entry of l matches, 0 if none, < 0 for a malformed entry. */
static int users_match(const kg_strlist *l, const char *user, const char *addr)
{
	for (size_t i = 0; i < l->n; i++) {
		int r = kg_access_user_match(l->v[i], user, addr);
		if (r != 0)
			return r;
	}
	return 0;
}

const char *kg_access_check(const kg_server_config *cfg, const char *user, const char *const *groups,
			    size_t ngroups, const char *addr)
{
	int r = users_match(&cfg->deny_users, user, addr);
	if (r < 0)
		return "of an invalid DenyUsers entry";
	if (r > 0)
		return "listed in DenyUsers";
	if (cfg->allow_users.n > 0) {
		r = users_match(&cfg->allow_users, user, addr);
		if (r < 0)
			return "of an invalid AllowUsers entry";
		if (r == 0)
			return "not listed in AllowUsers";
	}
	if (cfg->deny_groups.n == 0 && cfg->allow_groups.n == 0)
		return NULL;
	if (ngroups == 0)
		return "not in any group";
	if (cfg->deny_groups.n > 0 && kg_access_groups_match(&cfg->deny_groups, groups, ngroups))
		return "a group is listed in DenyGroups";
	if (cfg->allow_groups.n > 0 && !kg_access_groups_match(&cfg->allow_groups, groups, ngroups))
		return "none of user's groups are listed in AllowGroups";
	return NULL;
}

int kg_access_user_groups(const char *user, gid_t gid, kg_strlist *out)
{
	int n = 64, r = KG_OK;
	gid_t *g = NULL;
	for (;;) {
		gid_t *ng = realloc(g, (size_t)n * sizeof(*g));
		if (!ng) {
			free(g);
			return KG_ERR_ALLOC;
		}
		g = ng;
		int want = n;
		if (getgrouplist(user, gid, g, &want) >= 0) {
			n = want;
			break;
		}
		if (want <= n || want > MAX_GROUPS) {
			free(g);
			return KG_ERR_SYSTEM;
		}
		n = want;
	}
	long bufsz = sysconf(_SC_GETGR_R_SIZE_MAX);
	size_t cap = bufsz > 0 ? (size_t)bufsz : 16384;
	char *buf = malloc(cap);
	if (!buf) {
		free(g);
		return KG_ERR_ALLOC;
	}
	for (int i = 0; i < n && r == KG_OK; i++) {
		struct group gr, *res = NULL;
		int e;
		while ((e = getgrgid_r(g[i], &gr, buf, cap, &res)) == ERANGE && cap < (1u << 24)) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				e = ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		if (e == ENOMEM)
			r = KG_ERR_ALLOC;
		else if (e == 0 && res)
			r = kg_strlist_add(out, gr.gr_name);
	}
	free(buf);
	free(g);
	return r;
}

const char *kg_access_denied(const kg_server_config *cfg, const kg_spawn_user *u, const char *addr)
{
	kg_strlist groups = { NULL, 0 };
	if ((cfg->allow_groups.n > 0 || cfg->deny_groups.n > 0) &&
	    kg_access_user_groups(u->name, u->gid, &groups) < 0) {
		kg_strlist_free(&groups);
		return "its groups could not be read";
	}
	const char *why = kg_access_check(cfg, u->name, (const char *const *)groups.v, groups.n, addr);
	kg_strlist_free(&groups);
	return why;
}
