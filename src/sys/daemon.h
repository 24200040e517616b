/* Going to the background (kssh -f): fork, a new session, stdio on /dev/null. */
#ifndef KAGI_SYS_DAEMON_H
#define KAGI_SYS_DAEMON_H

#include <sys/types.h>
#include "core/safety.h"

/* Forks.  In the parent *child is the new process's id and nothing else
 * changes (the caller exits at once, with _exit so nothing is flushed
 * twice).  In the child *child is 0, the child leads a new session
 * (setsid), and stdin and stdout, and stderr unless keep_stderr, are
 * /dev/null.  The working directory stays.  KG_ERR_SYSTEM on failure. */
int kg_daemonise(int keep_stderr, pid_t *child) KG_WUR;

#endif
