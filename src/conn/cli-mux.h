/* Connection sharing on the client (ControlMaster, ControlPath,
 * ControlPersist, -M, -S, -O): the settings, the control path's tokens,
 * and kssh as a client of a master (PROTOCOL.mux): a session run through
 * the master with our stdin, stdout and stderr passed to it, and the -O
 * control commands.  The master side is cli-mux-server.h. */
#ifndef KAGI_CLI_MUX_H
#define KAGI_CLI_MUX_H

#include "config/client-config.h"
#include "core/mux.h"
#include "sys/log.h"

enum kg_cli_mux_master {
	KG_CLI_MUX_NO = 0, KG_CLI_MUX_YES, KG_CLI_MUX_ASK, KG_CLI_MUX_AUTO, KG_CLI_MUX_AUTOASK,
};

/* ControlMaster's value (yes/no/ask/auto/autoask; true/false as yes/no). */
int kg_cli_mux_parse_master(const char *v, int *master) KG_WUR;
/* ControlPersist's value: yes (0: for ever), no (-1), or a time in
 * seconds ("60", "10m"; 0 is "yes"). */
int kg_cli_mux_parse_persist(const char *v, int *secs) KG_WUR;

/* The settings from a finished configuration, the path with ~, ${ENV}
 * and its tokens (%% %C %d %h %i %j %k %L %l %n %p %r %u) expanded.  Bad
 * values are reported (as "kssh: ..." errors) and are KG_ERR_CONFIG. */
typedef struct kg_cli_mux {
	int master;        /* enum kg_cli_mux_master */
	int persist;       /* -1 no, 0 for ever, else seconds */
	char *path;        /* expanded; NULL: no sharing */
} kg_cli_mux;
int kg_cli_mux_init(kg_cli_mux *m, const kg_client_config *cfg, const char *orig_host, const char *local_user,
		    const char *home, const kg_logger *lg) KG_WUR;
void kg_cli_mux_free(kg_cli_mux *m);

/* Whether cmd is one of -O's commands (check, exit, stop, forward, cancel). */
int kg_cli_mux_command_known(const char *cmd);
/* -O check|exit|stop|forward|cancel: the exit status for kssh (messages
 * as ssh prints them).  forward and cancel send cfg's LocalForward,
 * RemoteForward and DynamicForward (the -L -R -D given) to the master;
 * cfg may be NULL for the others. */
int kg_cli_mux_command(const kg_cli_mux *m, const char *cmd, const kg_client_config *cfg, const kg_logger *lg);

/* What the session asks the master for. */
typedef struct kg_cli_mux_request {
	const char *command;   /* NULL: a shell */
	int subsystem, want_tty, stdin_null, session_none;
	int escape_char;       /* KG_MUX_NO_ESCAPE for none */
	const char *hostname;  /* for "Shared connection to %s closed." */
	const char *fwd_host;  /* -W host:port */
	int fwd_port;
	int quiet;
	const kg_client_config *cfg; /* SendEnv / SetEnv; the forwardings */
	int send_forwards;     /* ask the master for cfg's forwardings first */
} kg_cli_mux_request;

/* Runs the session through the master at m->path.  KG_OK: *status is the
 * remote command's exit status (255 when the master went away without
 * one).  KG_ERR_NOT_FOUND: no master answers there (a stale socket is
 * removed unless ControlMaster is no): connect directly.  Other errors
 * were reported. */
int kg_cli_mux_client_session(const kg_cli_mux *m, const kg_cli_mux_request *rq, const kg_logger *lg,
			      int *status) KG_WUR;

/* A session through the master whose stdin and stdout are one end of a
 * socket pair, for programs that speak a protocol over it (ksftp's sftp
 * subsystem): fd is the other end. */
typedef struct kg_cli_mux_pipe {
	int fd;
	int ctl;          /* the control connection, open while the session runs */
	void *conn;       /* its state */
	uint32_t sid;
} kg_cli_mux_pipe;
/* Runs subsystem (or command) through the master at m->path; remote
 * stderr goes to stderr_fd.  KG_ERR_NOT_FOUND: no master answers there
 * (connect directly); other errors were reported. */
int kg_cli_mux_pipe_open(const kg_cli_mux *m, const char *subsystem, const char *command, int stderr_fd,
			 const kg_logger *lg, kg_cli_mux_pipe *p) KG_WUR;
/* Byte pipe calls (kg_sftp_io's): arg is the kg_cli_mux_pipe. */
int kg_cli_mux_pipe_write(void *arg, const void *data, size_t len) KG_WUR;
int kg_cli_mux_pipe_read(void *arg, void *buf, size_t len, size_t *got) KG_WUR;
/* Ends our side, waits for the exit status (optional) and frees. */
int kg_cli_mux_pipe_close(kg_cli_mux_pipe *p, int *status);

#endif
