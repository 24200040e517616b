/* The listening server: sockets for every ListenAddress and Port, the
 * accept loop on a kg_loop with one forked process per connection,
 * MaxStartups, and SIGCHLD/SIGTERM/SIGINT/SIGHUP as loop callbacks. */
#ifndef KAGI_SVR_LISTEN_H
#define KAGI_SVR_LISTEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "conn/svr-conn.h"
#include "conn/svr-penalty.h"
#include "sys/loop.h"

#define KG_SVR_MAX_LISTEN 64

/* Why the accept loop stopped (a later signal may only raise it). */
enum { KG_SVR_STOP_NONE = 0, KG_SVR_STOP_HUP = 1, KG_SVR_STOP_TERM = 2 };

typedef struct kg_svr_child {
	pid_t pid;
	int startup_fd;   /* read end; KG_SVR_NOTIFY_AUTH then EOF once the child authenticated; -1 after */
	int authed;       /* it wrote KG_SVR_NOTIFY_AUTH */
	int has_key;      /* key is its source's network */
	int exempt;       /* PerSourcePenaltyExemptList matched */
	kg_netkey key;
	char ip[KG_NET_IPSTR];
} kg_svr_child;

typedef struct kg_svr_listener {
	kg_logger *log;
	int fds[KG_SVR_MAX_LISTEN];
	size_t nfds;
	kg_loop loop;      /* listening sockets, startup pipes, signals */
	unsigned char ready[KG_SVR_MAX_LISTEN];  /* fds[i] had a connection this wait */
	int stop;          /* KG_SVR_STOP_* */
	kg_svr_child *children;
	size_t nchildren, cap;
	size_t unauth;     /* children still authenticating */
	int single;        /* -d: serve one connection, then return */
	/* Re-exec per connection: each forked child execs reexec_path with
	 * reexec_argv (the program's own re-exec mode), the socket on
	 * KG_REEXEC_SOCK_FD and the startup pipe on KG_REEXEC_NOTIFY_FD
	 * (sys/reexec.h) and the text of the configuration file
 * on KG_REEXEC_CONFIG_FD, so it gets a fresh address layout and none of this
	 * process's memory.  NULL: the child serves from the fork's memory, and
	 * single serves in this process. */
	const char *reexec_path;
	char *const *reexec_argv;
	int reexec_config_fd;  /* the configuration text for KG_REEXEC_CONFIG_FD; -1 */
	pid_t single_pid;  /* single with re-exec: the one child; its end stops run */
	int single_done;
	/* limits: PerSourceMaxStartups, PerSourcePenalties (svr-penalty.h). */
	kg_svr_limits lim;
	kg_penalty_table pen;
} kg_svr_listener;

/* Splits a ListenAddress value: "addr", "addr:port", "[addr]:port" or a
 * bare IPv6 address.  *port is 0 when none is given. */
int kg_svr_parse_listen_address(const char *spec, char *host, size_t hostsz, int *port) KG_WUR;

/* MaxStartups "start:rate:full": whether to drop a new connection when
 * unauth connections are still authenticating (rnd is uniform in
 * 0..UINT32_MAX).  Beyond start, drops with probability rising linearly
 * from rate% to 100% at full. */
int kg_svr_maxstartups_drop(int start, int rate, int full, size_t unauth, uint32_t rnd);

/* Blocks the signals the loop takes through its signalfd and binds every
 * listening socket.  Errors are logged. */
int kg_svr_listen_open(kg_svr_listener *l, const kg_server_config *cfg, kg_logger *log) KG_WUR;
/* Accepts connections until SIGTERM/SIGINT (returns KG_OK) or SIGHUP
 * (returns 1: the caller restarts); with single, returns after serving
 * one connection (re-exec: once its process ended). */
int kg_svr_listen_run(kg_svr_listener *l, const kg_svr_ctx *ctx) KG_WUR;
void kg_svr_listen_close(kg_svr_listener *l);

#endif
