/* The checks sshd makes on a ChrootDirectory before chroot(2): an absolute
 * path whose every component is a directory owned by root and writable by
 * neither group nor others. */
#ifndef KAGI_SYS_CHROOT_CHECK_H
#define KAGI_SYS_CHROOT_CHECK_H

#include <stddef.h>
#include "core/safety.h"

/* KG_OK, or KG_ERR_CONFIG with sshd's message in msg ("bad ownership or
 * modes for chroot directory component \"/srv/\"", ...).  Uses only
 * stat(2) and snprintf, so a forked child may call it. */
int kg_chroot_check(const char *path, char *msg, size_t msgsz) KG_WUR;

#endif
