/* Temporary identity switch (effective ids only; the real and saved uid
 * stay root so the switch can be undone). */
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sys/user-id.h"

#define MAX_GROUPS 1024

/* Callers always call kg_user_id_leave afterwards, also when this fails. */
int kg_user_id_enter(kg_user_id *t, const kg_spawn_user *u)
{
	memset(t, 0, sizeof(*t));
	if (geteuid() != 0 || u->uid == 0)
		return KG_OK;
	t->euid = geteuid();
	t->egid = getegid();
	int n = getgroups(0, NULL);
	ENSURE(n >= 0 && n <= MAX_GROUPS, KG_ERR_SYSTEM);
	t->groups = calloc((size_t)n + 1, sizeof(gid_t));
	ENSURE(t->groups != NULL, KG_ERR_ALLOC);
	t->ngroups = getgroups(n, t->groups);
	int r = KG_ERR_SYSTEM;
	gid_t *ug = calloc(MAX_GROUPS, sizeof(gid_t));
	int nug = MAX_GROUPS;
	if (t->ngroups < 0 || !ug || getgrouplist(u->name, u->gid, ug, &nug) < 0)
		goto fail;
	/* Groups and gid first: once the uid is the user's, they cannot change. */
	if (setgroups((size_t)nug, ug) < 0)
		goto fail;
	t->active = 1;
	if (setegid(u->gid) < 0 || seteuid(u->uid) < 0) {
		/* Still active: the caller's kg_user_id_leave restores (or fails). */
		free(ug);
		return KG_ERR_SYSTEM;
	}
	free(ug);
	return KG_OK;
fail:
	free(ug);
	free(t->groups);
	t->groups = NULL;
	return r;
}

int kg_user_id_leave(kg_user_id *t)
{
	if (!t->active)
		return KG_OK;
	int ok = seteuid(t->euid) == 0 && setegid(t->egid) == 0 &&
		 setgroups((size_t)t->ngroups, t->groups) == 0 && geteuid() == t->euid;
	free(t->groups);
	t->groups = NULL;
	t->active = 0;
	return ok ? KG_OK : KG_ERR_SYSTEM;
}

int kg_user_become(const kg_spawn_user *u)
{
	if (geteuid() != 0)
		return u->uid == geteuid() ? KG_OK : KG_ERR_ARG;
	gid_t *ug = calloc(MAX_GROUPS, sizeof(gid_t));
	int nug = MAX_GROUPS;
	ENSURE(ug != NULL, KG_ERR_ALLOC);
	int ok = getgrouplist(u->name, u->gid, ug, &nug) >= 0 && setgroups((size_t)nug, ug) == 0 &&
		 setresgid(u->gid, u->gid, u->gid) == 0 && setresuid(u->uid, u->uid, u->uid) == 0;
	free(ug);
	ENSURE(ok, KG_ERR_SYSTEM);
	uid_t ru, eu, su;
	ENSURE(getresuid(&ru, &eu, &su) == 0 && ru == u->uid && eu == u->uid && su == u->uid, KG_ERR_SYSTEM);
	if (u->uid != 0)
		ENSURE(setuid(0) != 0 && seteuid(0) != 0, KG_ERR_SYSTEM);
	return KG_OK;
}
