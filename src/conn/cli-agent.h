/* The agent's client side, shared by kssh (identities and signatures) and
 * kssh-add: finding the socket (IdentityAgent, SSH_AUTH_SOCK), listing
 * keys, signing and the other requests, each a blocking call. */
#ifndef KAGI_CLI_AGENT_H
#define KAGI_CLI_AGENT_H

#include "core/agent.h"
#include "core/auth.h"
#include "core/key.h"
#include "core/transport.h"

typedef struct kg_agent_conn {
	int fd;
} kg_agent_conn;

/* The socket an IdentityAgent value names: NULL or "SSH_AUTH_SOCK" is
 * $SSH_AUTH_SOCK, "$VAR" that variable, "none" none (NULL result, KG_OK),
 * anything else the path itself (already ~/%-expanded by the caller).
 * *path is malloc'ed or NULL when there is no agent. */
int kg_agent_socket_path(const char *identity_agent, char **path) KG_WUR;

int kg_agent_open(const char *path, kg_agent_conn *a) KG_WUR;
void kg_agent_close(kg_agent_conn *a);
/* The agent's keys (kg_agent_ids_free). */
int kg_agent_list(kg_agent_conn *a, kg_agent_id **ids, size_t *n) KG_WUR;
/* An SSH signature blob over data by the agent's key blob, appended to
 * sig; KG_ERR_NOT_FOUND when the agent refuses. */
int kg_agent_sign(kg_agent_conn *a, const uint8_t *blob, size_t blob_len, const uint8_t *data, size_t len,
		  uint32_t flags, kg_buf *sig) KG_WUR;
/* Sends a request built with the core/agent.h kg_agent_put_* calls and
 * waits for SUCCESS (KG_OK) or FAILURE (KG_ERR_NOT_FOUND). */
int kg_agent_call_status(kg_agent_conn *a, const kg_buf *req) KG_WUR;

/* session-bind@openssh.com (PROTOCOL.agent): binds this agent connection
 * to tr's session (host key, session id, the host key's signature over
 * it), for authentication or (forwarding) for a forwarded agent.
 * KG_ERR_NOT_FOUND when the agent refuses or does not know it. */
int kg_agent_session_bind(kg_agent_conn *a, const kg_transport *tr, int forwarding) KG_WUR;

/* Merges the agent's keys into a client's identity list (*ids, *n, from
 * calloc): without identities_only every agent key comes first (from_agent,
 * named by its comment) and the files the agent already holds drop out;
 * with it only the files stay, those the agent holds marked from_agent.
 * Returns the number of keys the agent listed, or an error (the list is
 * then unchanged). */
int kg_agent_merge_identities(kg_agent_conn *a, int identities_only, kg_cli_identity **ids, size_t *n) KG_WUR;

#endif
