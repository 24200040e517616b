/* Agent sockets: Unix-domain connect and blocking request/answer calls for
 * agent clients; the private 0700 directory, listening socket and peer
 * credential check for an agent (kssh-agent, ksshd's forwarded agent). */
#ifndef KAGI_SYS_AGENT_SOCK_H
#define KAGI_SYS_AGENT_SOCK_H

#include <sys/types.h>
#include "core/buf.h"
#include "core/safety.h"

/* Connects to the agent socket at path (blocking, close-on-exec).
 * KG_ERR_SYSTEM with errno on failure. */
int kg_agent_sock_connect(const char *path, int *fd) KG_WUR;
/* Sends one framed request (req holds length and contents) and reads one
 * answer; reply receives the answer's contents (without the length). */
int kg_agent_sock_call(int fd, const kg_buf *req, kg_buf *reply) KG_WUR;

/* Makes a private directory "<tmpdir>/ssh-XXXXXXXXXX" (mode 0700; tmpdir
 * NULL: $TMPDIR or /tmp) and returns it malloc'ed. */
int kg_agent_sock_private_dir(const char *tmpdir, char **dir) KG_WUR;
/* Binds and listens on a Unix socket at path (mode 0600, non-blocking,
 * close-on-exec).  An existing file there is an error (EADDRINUSE). */
int kg_agent_sock_listen(const char *path, int *fd) KG_WUR;
/* Accepts one connection (non-blocking, close-on-exec) and tells the
 * peer's uid (SO_PEERCRED).  KG_ERR_AGAIN when none is pending. */
int kg_agent_sock_accept(int lfd, int *fd, uid_t *peer_uid) KG_WUR;

#endif
