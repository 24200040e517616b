/* The client's local and dynamic forwardings (-L, LocalForward, -D,
 * DynamicForward): listeners on TCP ports (loopback only unless
 * GatewayPorts, -g or a bind address says otherwise) and Unix-domain
 * sockets, registered with the engine's loop; each accepted connection is
 * opened as direct-tcpip or direct-streamlocal@openssh.com (after a SOCKS
 * request for a dynamic one, cli-fwd-socks.h) and relayed. */
#ifndef KAGI_CLI_FWD_LOCAL_H
#define KAGI_CLI_FWD_LOCAL_H

#include "config/client-config.h"
#include "config/forward-spec.h"
#include "conn/conn.h"
#include "sys/log.h"

typedef struct kg_cli_lfwd kg_cli_lfwd;

/* StreamLocalBindMask of cfg (octal, at most 0777; 0177 when unset).
 * KG_ERR_CONFIG if it is malformed. */
int kg_cli_lfwd_mask(const kg_client_config *cfg, unsigned *mask) KG_WUR;

/* cfg (GatewayPorts, StreamLocalBindUnlink, StreamLocalBindMask) is
 * kept, not copied. */
int kg_cli_lfwd_new(kg_engine *e, kg_logger *log, const kg_client_config *cfg, kg_cli_lfwd **out) KG_WUR;
/* Listens as spec (kind LOCAL or DYNAMIC) says.  A failure is logged as
 * OpenSSH logs it ("bind [127.0.0.1]:N: Address already in use",
 * "channel_setup_fwd_listener_tcpip: cannot listen to port: N") and
 * returned (KG_ERR_SYSTEM). */
int kg_cli_lfwd_add(kg_cli_lfwd *l, const kg_fwd_spec *spec) KG_WUR;
/* Stops listening on the listen side of spec (bind address, port or path;
 * kind LOCAL and DYNAMIC both match); connections already made go on.
 * KG_ERR_NOT_FOUND if no such listener. */
int kg_cli_lfwd_cancel(kg_cli_lfwd *l, const kg_fwd_spec *spec) KG_WUR;
/* How many listeners there are. */
size_t kg_cli_lfwd_count(const kg_cli_lfwd *l);
/* Closes every listener (removing the socket files it made); NULL is fine. */
void kg_cli_lfwd_free(kg_cli_lfwd *l);

#endif
