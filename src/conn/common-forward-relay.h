/* A forwarded connection on the server: one socket relayed to one channel
 * as an engine consumer, for direct-tcpip and direct-streamlocal (the
 * server connects, without waiting: the channel is confirmed once the
 * connect succeeds, or refused with CONNECT_FAILED when every address
 * failed) and for forwarded-tcpip and forwarded-streamlocal (a connection
 * accepted on a listener, relayed once the client confirms the channel).
 *
 * Flow control on both sides: the socket is read only while the remote
 * window and the engine's backlog allow, and channel data is granted back
 * only once written to the socket, so what is held for it is at most the
 * window we granted.  EOF from the socket is sent as channel EOF; the
 * peer's EOF shuts the socket's write side once what was held is written;
 * the channel is closed once both directions are done. */
#ifndef KAGI_COMMON_FORWARD_RELAY_H
#define KAGI_COMMON_FORWARD_RELAY_H

#include <stdint.h>
#include "core/channel.h"
#include "conn/conn.h"
#include "sys/log.h"
#include "sys/session-proc.h"

/* Runs fn(arg) with the effective identity of user u (NULL: as itself)
 * when the server is root, so socket files and privileged ports follow the
 * user's rights, as in sshd's unprivileged child.  Ends the process (after
 * logging to log) if the server's identity cannot be restored. */
int kg_fwd_as_user(kg_logger *log, const kg_spawn_user *u, int (*fn)(void *arg), void *arg);

/* Answers the open request ch (INCOMING) for direct-tcpip: connects to
 * host:port as user u and confirms or refuses ch. */
int kg_fwd_relay_connect_tcp(kg_engine *e, kg_logger *log, const kg_spawn_user *u, kg_channel *ch,
			     const char *host, uint32_t port) KG_WUR;
/* The same for direct-streamlocal@openssh.com to the socket at path. */
int kg_fwd_relay_connect_unix(kg_engine *e, kg_logger *log, const kg_spawn_user *u, kg_channel *ch,
			      const char *path) KG_WUR;
/* Answers the open request ch (INCOMING) with fd, a socket already
 * connected (taken in every case; made non-blocking): confirms ch and
 * relays (the client's auth-agent@openssh.com, after session-bind). */
int kg_fwd_relay_confirm_fd(kg_engine *e, kg_logger *log, kg_channel *ch, int fd, const char *target) KG_WUR;
/* Relays fd (taken in every case) on ch, a channel we are opening. */
int kg_fwd_relay_opening(kg_engine *e, kg_logger *log, kg_channel *ch, int fd) KG_WUR;

#endif
