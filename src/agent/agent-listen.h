/* The agent's socket side: accepting clients on the loop (only the agent's
 * own user or root, by SO_PEERCRED), reading framed requests into a
 * capped buffer per client, answering through agent-server.c and writing
 * the answers without blocking. */
#ifndef KAGI_AGENT_LISTEN_H
#define KAGI_AGENT_LISTEN_H

#include <sys/types.h>
#include "agent/agent-server.h"
#include "core/buf.h"
#include "sys/loop.h"

#define KG_AGENT_MAX_CLIENTS 256u
/* Answers waiting beyond this stop reading from that client. */
#define KG_AGENT_OUT_MAX (1024u * 1024)

typedef struct kg_agent_client {
	int fd;
	kg_buf in, out;
	kg_agent_binds binds;
} kg_agent_client;

typedef struct kg_agent_listener {
	kg_loop *loop;
	kg_agent_server *srv;
	const kg_logger *log;
	int lfd;
	uid_t uid;                 /* the agent's own uid */
	kg_agent_client *clients[KG_AGENT_MAX_CLIENTS];
	size_t nclients;
} kg_agent_listener;

/* May a peer with peer_uid use an agent running as self? (root or self) */
int kg_agent_peer_allowed(uid_t peer_uid, uid_t self);
/* Serves lfd (a listening socket, which the listener closes at stop). */
int kg_agent_listen_start(kg_agent_listener *l, kg_loop *loop, kg_agent_server *srv, int lfd,
			  const kg_logger *log) KG_WUR;
/* Closes every client (wiping its buffers) and the listening socket. */
void kg_agent_listen_stop(kg_agent_listener *l);

#endif
