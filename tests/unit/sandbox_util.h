/* Helpers shared by test_sandbox.c and test_sandbox_kex.c: an empty
 * chroot directory for the sandbox and the privilege separation user. */
#ifndef KAGI_TEST_SANDBOX_UTIL_H
#define KAGI_TEST_SANDBOX_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "sys/sandbox.h"

/* The empty chroot directory (under a root-owned, non-writable base in
 * /run, since every component must pass the chroot checks). */
typedef struct sbx {
	char base[64];
	char dir[96];
	uid_t uid;
	gid_t gid;
} sbx;

static inline int is_root(void) { return geteuid() == 0; }

static inline int sbx_setup(sbx *s)
{
	snprintf(s->base, sizeof(s->base), "/run/kagi-sandbox-test.XXXXXX");
	if (mkdtemp(s->base) == NULL)
		return -1;
	snprintf(s->dir, sizeof(s->dir), "%s/empty", s->base);
	char err[256];
	if (kg_sandbox_dir(s->dir, err, sizeof(err)) != KG_OK) {
		fprintf(stderr, "kg_sandbox_dir: %s\n", err);
		return -1;
	}
	if (kg_privsep_user(KG_PRIVSEP_USER, &s->uid, &s->gid, err, sizeof(err)) != KG_OK) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static inline void sbx_cleanup(sbx *s)
{
	(void)rmdir(s->dir);
	(void)rmdir(s->base);
}

#endif
