/* A channel answered as a SOCKS4/4a/5 server, for kssh's -R with no target
 * (the server's side of the connection is the SOCKS client): the request
 * is read from channel data (src/core/socks.c), the target it names is
 * checked by the caller's rule, connected without waiting, the reply sent
 * back on the channel, and the channel then relayed to the socket
 * (common-forward-relay.h).  Channel data that arrives after the request
 * is written to the target once connected. */
#ifndef KAGI_CLI_RFWD_SOCKS_H
#define KAGI_CLI_RFWD_SOCKS_H

#include "conn/conn.h"
#include "sys/log.h"

/* Whether host:port may be connected to: 1 yes, 0 refused (the SOCKS
 * client is told "not allowed" and the channel closed). */
typedef int (*kg_cli_rfwd_socks_allow)(void *arg, const char *host, int port);

/* Answers ch, an incoming open (confirmed here) or an open channel with no
 * consumer.  allow NULL: every target.  allow's arg must stay valid until
 * kg_cli_rfwd_socks_forget(e, arg). */
int kg_cli_rfwd_socks_answer(kg_engine *e, kg_logger *log, kg_channel *ch, kg_cli_rfwd_socks_allow allow,
			     void *arg) KG_WUR;

/* allow's arg is going away: the exchanges still waiting for their
 * request on e are refused from now on. */
void kg_cli_rfwd_socks_forget(kg_engine *e, const void *arg);

#endif
