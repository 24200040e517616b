/* Port and socket forwarding on the server, as OpenSSH's sshd serves it:
 * the global requests tcpip-forward / cancel-tcpip-forward (RFC 4254 7.1)
 * and streamlocal-forward@openssh.com / cancel-streamlocal-forward@
 * openssh.com (PROTOCOL 2.4), whose listeners open forwarded-tcpip and
 * forwarded-streamlocal@openssh.com channels for each connection they
 * accept; and the channel opens direct-tcpip (RFC 4254 7.2) and
 * direct-streamlocal@openssh.com.  Sockets are listened on and connected
 * with the user's identity (common-forward-relay.h), so a user cannot bind a
 * privileged port and socket files belong to the user.
 *
 * What is allowed follows sshd_config (AllowTcpForwarding,
 * AllowStreamLocalForwarding, DisableForwarding, GatewayPorts,
 * PermitListen, PermitOpen, StreamLocalBindMask, StreamLocalBindUnlink)
 * and the key's authorized_keys options (no-port-forwarding, restrict,
 * permitlisten=, permitopen=).  A refused request is answered with
 * failure, as sshd does, and logged. */
#ifndef KAGI_SVR_FORWARD_H
#define KAGI_SVR_FORWARD_H

#include <stdint.h>
#include "core/channel.h"
#include "config/authorized-keys.h"
#include "config/server-config.h"
#include "conn/conn.h"
#include "sys/log.h"
#include "sys/session-proc.h"

/* At most this many forwardings (listeners) per connection; each listens
 * on at most KG_SVR_FWD_ADDRS addresses. */
#define KG_SVR_FWD_MAX 256
#define KG_SVR_FWD_ADDRS 8
/* Connections taken from one listener per loop wake-up. */
#define KG_SVR_FWD_ACCEPT_BURST 16

/* What the forwarding of one connection works with; the pointers must
 * outlive it. */
typedef struct kg_svr_fwd_ctx {
	kg_engine *eng;
	kg_logger *log;
	const kg_server_config *cfg;
	const kg_spawn_user *user;    /* sockets are made with this identity */
	const kg_ak_opts *ak;         /* options of the key used; NULL */
	const char *peer_ip;
	int peer_port;
} kg_svr_fwd_ctx;

typedef struct kg_svr_fwd kg_svr_fwd;

int kg_svr_fwd_new(const kg_svr_fwd_ctx *ctx, kg_svr_fwd **out) KG_WUR;
/* Closes every listener; call after kg_engine_free (which releases the
 * forwarded channels) and before the loop is freed.  NULL is fine. */
void kg_svr_fwd_free(kg_svr_fwd *f);

/* A global request: 1 if it was a forwarding request (answered), 0 if it
 * is not one of them (left to the caller), or an error. */
int kg_svr_fwd_global_request(kg_svr_fwd *f, const kg_conn_event *ev) KG_WUR;
/* A channel open request: 1 if it was direct-tcpip or direct-streamlocal
 * (answered now, or once the connect finishes), 0 if not, or an error. */
int kg_svr_fwd_open_request(kg_svr_fwd *f, kg_channel *ch, const kg_conn_event *ev) KG_WUR;

/* How many forwardings are listening now. */
size_t kg_svr_fwd_count(const kg_svr_fwd *f);

#endif
