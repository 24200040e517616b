/* Unix-domain control sockets for connection sharing: a listener created
 * safely (0600, under a temporary name then linked into place), connect,
 * descriptor passing (SCM_RIGHTS, one descriptor per byte sent, as the
 * protocol's peers do) and the peer's uid. */
#ifndef KAGI_SYS_MUX_SOCK_H
#define KAGI_SYS_MUX_SOCK_H

#include <stddef.h>
#include <sys/types.h>
#include "core/safety.h"

/* Listens on path.  KG_ERR_ARG if path does not fit a socket address;
 * KG_ERR_CONFIG (with *why set) if its directory is writable by others
 * without the sticky bit; KG_ERR_AGAIN if something already exists at
 * path (OpenSSH's "already exists, disabling multiplexing"). */
int kg_mux_listen(const char *path, int *fdp, const char **why) KG_WUR;
/* Connects to path; KG_ERR_NOT_FOUND if nothing is there, KG_ERR_CLOSED if
 * nobody listens (a stale socket), KG_ERR_SYSTEM otherwise (errno set). */
int kg_mux_connect(const char *path, int *fdp) KG_WUR;
/* Sends one byte carrying fd. */
int kg_mux_send_fd(int sock, int fd) KG_WUR;
/* Reads up to len bytes; descriptors that came with them are appended
 * to fds (room for max, *nfds counts them; extra ones are closed).
 * *got 0: end of file.  KG_ERR_AGAIN when nothing is ready. */
int kg_mux_recv(int sock, void *buf, size_t len, size_t *got, int *fds, size_t max, size_t *nfds) KG_WUR;
/* The uid of the process at the other end. */
int kg_mux_peer_uid(int sock, uid_t *uid) KG_WUR;

#endif
