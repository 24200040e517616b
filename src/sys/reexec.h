/* Re-exec per connection: finding the server's own executable, and the exec that hands one connection to a fresh process on fixed descriptors. */
#ifndef KAGI_SYS_REEXEC_H
#define KAGI_SYS_REEXEC_H

#include <stddef.h>
#include "core/err.h"
#include "core/safety.h"

/* The descriptors the per-connection process finds its connection on:
 * the accepted socket, and the write end of the listener's startup pipe
 * (closed when there is none). */
#define KG_REEXEC_SOCK_FD 3
#define KG_REEXEC_NOTIFY_FD 4
/* A pipe holding the listener's secrets the connection must share with
 * every other one (read once, then closed; at most KG_REEXEC_STATE_MAX
 * bytes, so the write never blocks). */
#define KG_REEXEC_STATE_FD 5
#define KG_REEXEC_STATE_MAX 512

/* The absolute path of the running executable (/proc/self/exe), read once
 * at start so a later chdir/chroot does not matter.  Fails with a message
 * in err when it cannot be read, is not absolute, has been deleted or is
 * not executable. */
int kg_reexec_self_path(char *out, size_t outsz, char *err, size_t errsz) KG_WUR;

/* In a freshly forked child: puts sock on KG_REEXEC_SOCK_FD, notify (or
 * nothing, -1) on KG_REEXEC_NOTIFY_FD and a pipe holding the state bytes
 * on KG_REEXEC_STATE_FD, marks every other descriptor close-on-exec,
 * unblocks every signal and execs path with argv.  Returns only on
 * failure (errno set). */
int kg_reexec_exec(const char *path, char *const argv[], int sock, int notify, const void *state,
		   size_t state_len) KG_WUR;

/* In the re-executed process: checks that KG_REEXEC_SOCK_FD is a socket
 * (*sock) and whether KG_REEXEC_NOTIFY_FD is open (*notify, else -1), and
 * makes both close-on-exec so the sessions' programs do not inherit them. */
int kg_reexec_take_fds(int *sock, int *notify) KG_WUR;
/* In the re-executed process: reads exactly len state bytes from
 * KG_REEXEC_STATE_FD and closes it. */
int kg_reexec_take_state(void *buf, size_t len) KG_WUR;

#endif
