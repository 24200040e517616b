/* Pseudo-terminals for sessions: opening a pair and giving the slave to its user. */
#ifndef KAGI_SYS_PTY_H
#define KAGI_SYS_PTY_H

#include <stddef.h>
#include <sys/types.h>
#include "core/safety.h"

/* Opens a master (close-on-exec) and its slave (O_NOCTTY, close-on-exec);
 * name gets the slave's path (/dev/pts/N). */
int kg_pty_open(int *master, int *slave, char *name, size_t namesz) KG_WUR;
/* Gives the slave to uid: the tty group owns user ptys (mode 0620) so
 * write(1) works; without that group the pty is private to the user
 * (gid, 0600).  Needs root; a failure leaves the pty as it was. */
void kg_pty_set_owner(int slave, uid_t uid, gid_t gid);

#endif
