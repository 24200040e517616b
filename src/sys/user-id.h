/* Taking on a user's identity for a moment, so that the server opens that
 * user's files (authorized_keys) with the user's own permissions: a
 * symlink to a file only root may read then fails as it should. */
#ifndef KAGI_USER_ID_H
#define KAGI_USER_ID_H

#include <sys/types.h>
#include "core/safety.h"
#include "sys/session-proc.h"

typedef struct kg_user_id {
	int active;          /* identity switched; kg_user_id_leave restores */
	uid_t euid;
	gid_t egid;
	gid_t *groups;       /* the supplementary groups to restore */
	int ngroups;
} kg_user_id;

/* When running as root, switches the effective uid, gid and groups to u's;
 * otherwise does nothing (a non-root server reads as itself anyway).  Call
 * kg_user_id_leave afterwards whatever this returned. */
int kg_user_id_enter(kg_user_id *t, const kg_spawn_user *u) KG_WUR;
/* Restores what enter changed.  An error means the process is in an
 * unknown state and must end. */
int kg_user_id_leave(kg_user_id *t) KG_WUR;

/* Becomes u for good: groups, gid, uid (real, effective and saved), then
 * checks root cannot be regained.  Not root: u must already be who runs. */
int kg_user_become(const kg_spawn_user *u) KG_WUR;

#endif
