/* The client's connection, shared by kssh, kscp and ksftp: TCP connect,
 * transport, host key check against known_hosts, identities, and user
 * authentication.  After kg_client_open() returns KG_OK the connection is
 * authenticated and runs on the engine c->eng (over c->loop): the program
 * attaches its channel consumers (cli-session.c, cli-stream.c) there. */
#ifndef KAGI_CLI_CONN_H
#define KAGI_CLI_CONN_H

#include <sys/types.h>
#include "core/auth.h"
#include "core/channel.h"
#include "core/transport.h"
#include "config/client-config.h"
#include "conn/cli-agent.h"
#include "conn/cli-alive.h"
#include "conn/cli-dispatch.h"
#include "conn/conn.h"
#include "sys/log.h"
#include "sys/loop.h"

typedef struct kg_client_hooks {
	/* Optional observers (--explain): transport messages, the finished key
	 * exchange, the host key decision, auth events. */
	void (*trace)(void *arg, int sent, const uint8_t *payload, size_t len);
	void (*kex_done)(void *arg, const kg_kex_result *kex);
	void (*hostkey)(void *arg, const kg_key *key, const char *status, const char *file, size_t line);
	void (*auth_event)(void *arg, const kg_cli_auth_event *ev);
	/* The server's identification line, once its host key is checked. */
	void (*peer_version)(void *arg, const char *version);
	void *arg;
} kg_client_hooks;

typedef struct kg_client {
	/* set by the caller before kg_client_open */
	kg_client_config *cfg;      /* finished (kg_client_config_finish) */
	const char *local_user, *home;
	kg_logger *log;
	kg_client_hooks hooks;
	int fd;                     /* -1: connect to cfg->hostname:port; else use this fd */
	const char *config_file;    /* -F file, passed on to jump hops */
	int verbose;                /* -v count, passed on to jump hops */

	/* state */
	kg_transport *tr;
	kg_tr_config trc;
	char *kex_algs, *hostkey_algs, *ciphers, *macs;
	kg_cli_identity *ids;
	size_t n_ids;
	kg_cli_auth *auth;
	char *auth_methods;         /* the server's last "can continue" list */
	int password_disabled;      /* host key changed: no passwords to this host */
	char peer_ip[64];
	int peer_port;
	pid_t jump_pid;             /* the kssh -W process carrying us through a jump host */
	kg_loop loop;
	kg_engine eng;
	kg_cli_alive alive;         /* ServerAliveInterval, once authenticated */
	/* The server's channel opens and global requests, routed to the
	 * features that registered for them (valid zeroed, as c is). */
	kg_cli_dispatch dispatch;
	int loop_ready, eng_ready;
	int authenticated;
	/* agent (cli-agent.c): the connection to IdentityAgent / SSH_AUTH_SOCK */
	kg_agent_conn agent;
	char *agent_path;
	/* agentfwd (cli-agent-fwd.c): the agent socket forwarded (-A); NULL: none */
	char *agent_fwd_path;
} kg_client;

/* Channel windows of the client's channels. */
#define KG_CLIENT_WINDOW (8u * 1024 * 1024)
#define KG_CLIENT_MAXPKT (128u * 1024)
/* How long the final writes may wait. */
#define KG_CLIENT_FLUSH_MS 10000

/* Connects, exchanges keys, verifies the host and authenticates.  Errors
 * have been reported through c->log; the caller exits 255. */
int kg_client_open(kg_client *c) KG_WUR;
void kg_client_close(kg_client *c);

/* A channel request from the server, for the client's consumers: an
 * exit-status records the status in *status, an exit-signal 255 (as
 * OpenSSH's client exits), and sets *got_exit; any request that wants a
 * reply is refused. */
int kg_client_channel_request(const kg_client *c, kg_consumer *k, const kg_conn_event *ev, int *status,
			      int *got_exit) KG_WUR;


#endif
