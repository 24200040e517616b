/* The client's side of one forwarded connection: the channel opened for
 * an accepted socket (direct-tcpip or direct-streamlocal@openssh.com), the
 * server's refusal reported as OpenSSH reports it ("channel N: open failed:
 * administratively prohibited: ..."), the relay once confirmed; and for
 * -D the SOCKS4/4a/5 request read from the socket first (core/socks.h),
 * answered once the channel is confirmed or refused. */
#ifndef KAGI_CLI_FWD_SOCKS_H
#define KAGI_CLI_FWD_SOCKS_H

#include "conn/conn.h"
#include "sys/log.h"

/* Where an accepted connection goes: a TCP host and port, or a path. */
typedef struct kg_cli_fwd_target {
	const char *host;      /* NULL with path */
	int port;
	const char *path;      /* direct-streamlocal@openssh.com, or NULL */
	const char *orig_ip;   /* the originator, for direct-tcpip */
	int orig_port;
} kg_cli_fwd_target;

/* Opens the channel for fd (taken in every case) and relays it once
 * confirmed.  An open the connection cannot start (too many channels) is
 * logged and fd closed; only an engine error is returned. */
int kg_cli_fwd_open(kg_engine *e, kg_logger *log, int fd, const kg_cli_fwd_target *t) KG_WUR;

/* The SOCKS requests still being read, on their sockets. */
typedef struct kg_cli_socks_shake kg_cli_socks_shake;
typedef struct kg_cli_socks_list {
	kg_cli_socks_shake *head;
} kg_cli_socks_list;

void kg_cli_socks_list_init(kg_cli_socks_list *l);
/* Reads a SOCKS request from fd (taken in every case; orig_ip:orig_port
 * is the peer), then opens the channel it asks for. */
int kg_cli_socks_accept(kg_cli_socks_list *l, kg_engine *e, kg_logger *log, int fd, const char *orig_ip,
			int orig_port) KG_WUR;
/* Drops the requests not yet complete (their sockets are closed). */
void kg_cli_socks_list_free(kg_cli_socks_list *l);

#endif
