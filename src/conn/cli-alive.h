/* ServerAliveInterval/ServerAliveCountMax: ending a connection whose
 * server stopped answering. */
#ifndef KAGI_CLI_ALIVE_H
#define KAGI_CLI_ALIVE_H

#include <stdint.h>
#include "conn/conn.h"
#include "sys/log.h"

/* After each interval with no packet from the server, a keepalive@openssh.com
 * request (wanting a reply, so a live server must answer) is sent; any
 * packet from the server counts as an answer.  Once more than count_max
 * go unanswered, "Timeout, server HOST not responding." is logged and the
 * engine ends with KG_ERR_TIMEOUT, as ssh's server_alive_check. */
typedef struct kg_cli_alive {
	kg_engine *eng;
	const kg_logger *log;
	const char *host;        /* for the message; not owned */
	uint64_t interval_ms;
	int count_max;
	uint64_t timer;          /* 0: none pending */
	uint64_t seen_rx;        /* the engine's packet count at the last look */
	uint64_t quiet_since_ms; /* when the server was last heard, or asked */
	int missed;              /* keepalives sent since the server was heard */
	int timed_out;
} kg_cli_alive;

/* interval_ms 0: does nothing.  host is kept (not copied) for the message. */
int kg_cli_alive_start(kg_cli_alive *a, kg_engine *e, const kg_logger *lg, const char *host,
		       uint64_t interval_ms, int count_max) KG_WUR;
void kg_cli_alive_stop(kg_cli_alive *a);

#endif
