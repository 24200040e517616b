/* kscp, the client: connections and the copy directions, in the legacy
 * protocol (scp-client.c) or over SFTP (scp-sftp.c); the command line and
 * --explain are src/programs/kscp.c's.  Connections are made in-process,
 * or with -S by a transport program run like OpenSSH's scp runs ssh. */
#ifndef KAGI_SCP_CLIENT_H
#define KAGI_SCP_CLIENT_H

#include <stdint.h>
#include <sys/types.h>
#include "config/cli-args.h"
#include "conn/cli-conn.h"
#include "conn/cli-mux.h"
#include "scp/scp-io.h"
#include "scp/scp-proto.h"

typedef struct kg_scp_conn kg_scp_conn;

/* Told of each in-process connection and of what went through it (kscp's
 * --explain); every member may be NULL.  open runs once the connection's
 * configuration is read and before it connects: it may set k->c.hooks and
 * k->story.  close runs once when the connection ends (outcome: how) and
 * must clear both; transfer runs for each file copied whole. */
typedef struct kg_scp_observer {
	int (*open)(void *arg, kg_scp_conn *k);
	void (*close)(void *arg, kg_scp_conn *k, int outcome);
	void (*transfer)(void *arg, kg_scp_conn *k, const char *protocol, const char *local_path,
			 const char *remote_path, uint64_t bytes, int upload);
	void *arg;
} kg_scp_observer;

struct kg_scp_conn {
	char *key;                /* "user@host:port": reused for the same destination */
	int open;
	kg_client c;
	kg_client_config cfg;
	kg_logger lg;
	void *story;              /* the observer's, for this connection, or NULL */
	const kg_scp_observer *obs;
};

/* A command or subsystem running on a remote host. */
typedef struct kg_scp_remote {
	kg_scp_io io;
	kg_stream st;
	int has_stream;
	pid_t pid;                /* -S program */
	int rfd, wfd;
	kg_scp_conn *conn;
	kg_cli_mux_pipe mux;      /* mux: through a connection-sharing master */
	int has_mux;
} kg_scp_remote;

typedef struct kg_scp_client {
	kg_cli_args args;
	const char *prog;
	int legacy, three, recursive, preserve, quiet, resume, no_name_check, progress;
	const char *ssh_program;  /* -S */
	uint64_t limit_kbps;      /* -l */
	char *local_user, *home;
	int errors;               /* sources that failed */
	kg_scp_conn conns[2];     /* [1] only for -3's second host */
	kg_scp_observer obs;      /* kscp's --explain, or all NULL */
	/* Where the remote side's stderr goes: STDERR_FILENO, or on a
	 * terminal the pipe to the filter process err_pid (scp-stderr.c). */
	int err_fd;
	pid_t err_pid;
	/* Set when a connection could not be made or authenticated (exit
	 * 255 in SFTP mode, as OpenSSH's scp; see kg_scp_client_main). */
	int conn_failed;
} kg_scp_client;

/* Copies args[0..n-2] to args[n-1] (n >= 2), counting failures in
 * cl->errors; cl is set up by the caller (command line, user, home). */
void kg_scp_run_copies(kg_scp_client *cl, char **args, size_t n);

/* scp-stderr.c: sets err_fd, starting the filter when stderr is a
 * terminal; finish closes the pipe and waits for the filter to drain. */
int kg_scp_stderr_start(kg_scp_client *cl) KG_WUR;
void kg_scp_stderr_finish(kg_scp_client *cl);

/* scp-conn.c: starts command (or subsystem when not NULL) as the user and
 * on the host of op, on connection slot 0 or 1.  Errors are printed. */
int kg_scp_remote_open(kg_scp_client *cl, int slot, const kg_scp_operand *op, const char *command,
		       const char *subsystem, kg_scp_remote *rm) KG_WUR;
/* Ends the remote command; *status: its exit status (255 if unknown). */
int kg_scp_remote_close(kg_scp_remote *rm, int *status);
void kg_scp_conns_close(kg_scp_client *cl);
/* A file went through rm's connection ("sftp" or "scp"): tells the
 * observer, when there is one and it holds a story for the connection. */
void kg_scp_note_transfer(const kg_scp_remote *rm, const char *protocol, const char *local_path,
			     const char *remote_path, uint64_t bytes, int upload);

/* scp-sftp.c: the copy directions over SFTP. */
int kg_scp_sftp_upload(kg_scp_client *cl, char **srcs, size_t n, const kg_scp_operand *dst, int dst_dir) KG_WUR;
int kg_scp_sftp_download(kg_scp_client *cl, const kg_scp_operand *src, const char *dst, int dst_dir) KG_WUR;
int kg_scp_sftp_through_local(kg_scp_client *cl, const kg_scp_operand *src, const kg_scp_operand *dst,
			      int dst_dir) KG_WUR;

#endif
