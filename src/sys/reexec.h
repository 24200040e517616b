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
/* A sealed memory file with the configuration text the listener applied
 * (closed when there is none: the process reads the file itself). */
#define KG_REEXEC_CONFIG_FD 6

/* What one connection's process is given. */
typedef struct kg_reexec_io {
	int sock;            /* the accepted socket */
	int notify;          /* the startup pipe's write end; -1 */
	int config;          /* kg_reexec_memfd of the configuration text; -1 */
	const void *state;   /* secrets, at most KG_REEXEC_STATE_MAX bytes */
	size_t state_len;
} kg_reexec_io;

/* The absolute path of the running executable (/proc/self/exe), read once
 * at start so a later chdir/chroot does not matter.  Fails with a message
 * in err when it cannot be read, is not absolute, has been deleted or is
 * not executable. */
int kg_reexec_self_path(char *out, size_t outsz, char *err, size_t errsz) KG_WUR;

/* In a freshly forked child: puts io->sock on KG_REEXEC_SOCK_FD,
 * io->notify and io->config (or nothing) on KG_REEXEC_NOTIFY_FD and
 * KG_REEXEC_CONFIG_FD, a pipe holding the state bytes on
 * KG_REEXEC_STATE_FD, marks every other descriptor close-on-exec, unblocks
 * every signal and execs path with argv.  Returns only on failure (errno
 * set). */
int kg_reexec_exec(const char *path, char *const argv[], const kg_reexec_io *io) KG_WUR;

/* A read-only (sealed) close-on-exec memory file holding data. */
int kg_reexec_memfd(const char *name, const void *data, size_t len, int *fd) KG_WUR;
/* In the re-executed process: the whole of KG_REEXEC_CONFIG_FD
 * (malloc'ed, NUL-terminated), then closed; KG_ERR_NOT_FOUND when it is
 * not open. */
int kg_reexec_take_config(char **text, size_t *len) KG_WUR;

/* In the re-executed process: checks that KG_REEXEC_SOCK_FD is a socket
 * (*sock) and whether KG_REEXEC_NOTIFY_FD is open (*notify, else -1), and
 * makes both close-on-exec so the sessions' programs do not inherit them. */
int kg_reexec_take_fds(int *sock, int *notify) KG_WUR;
/* In the re-executed process: reads exactly len state bytes from
 * KG_REEXEC_STATE_FD and closes it. */
int kg_reexec_take_state(void *buf, size_t len) KG_WUR;

#endif
