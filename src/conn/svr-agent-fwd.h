/* Agent forwarding on the server (auth-agent-req@openssh.com on a session):
 * one listening socket per connection, "agent.<pid>" in a private 0700
 * directory /tmp/ssh-XXXXXXXXXX, both made with the user's identity so
 * they belong to the user; each connection accepted there (from the user
 * or root only, SO_PEERCRED) becomes an auth-agent@openssh.com channel to
 * the client, relayed (common-forward-relay.h).  The sessions that asked
 * get SSH_AUTH_SOCK.  Socket and directory are removed when the
 * connection ends, also when it is ended by SIGTERM (the server stopping).
 *
 * Allowed by AllowAgentForwarding, unless DisableForwarding or the key's
 * no-agent-forwarding / restrict (without agent-forwarding) say no. */
#ifndef KAGI_SVR_AGENT_FWD_H
#define KAGI_SVR_AGENT_FWD_H

#include "core/channel.h"
#include "config/authorized-keys.h"
#include "config/config-common.h"
#include "config/server-config.h"
#include "conn/conn.h"
#include "sys/log.h"
#include "sys/session-proc.h"

typedef struct kg_svr_agent_fwd kg_svr_agent_fwd;

/* Whether cfg and the key's options ak (NULL: none) allow it. */
int kg_svr_agent_fwd_allowed(const kg_server_config *cfg, const kg_ak_opts *ak);

/* The request ev on a session of user u: 1 when granted (the listener is
 * made on the first request of the connection, *af then set), 0 when
 * refused (logged), or an error ending the connection. */
int kg_svr_agent_fwd_request(kg_svr_agent_fwd **af, kg_engine *e, kg_logger *log, const kg_server_config *cfg,
			     const kg_ak_opts *ak, const kg_spawn_user *u, const kg_conn_event *ev) KG_WUR;

/* The socket's path ("" before any listener). */
const char *kg_svr_agent_fwd_path(const kg_svr_agent_fwd *af);
/* Appends "SSH_AUTH_SOCK=<path>" to env. */
int kg_svr_agent_fwd_env(const kg_svr_agent_fwd *af, kg_strlist *env) KG_WUR;

/* Closes the listener, removes socket and directory (as the user) and
 * frees af; after kg_engine_free, before the loop is freed.  NULL is fine. */
void kg_svr_agent_fwd_free(kg_svr_agent_fwd *af);

#endif
