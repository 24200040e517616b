/* kssh's session: one "session" channel running a command or a shell,
 * with stdin, stdout and stderr passed through byte for byte and the remote
 * exit status returned. */
#ifndef KAGI_CLI_SESSION_H
#define KAGI_CLI_SESSION_H

#include "conn/cli-conn.h"

typedef struct kg_cli_session_opts {
	const char *command;      /* NULL: interactive shell */
	int subsystem;            /* command names a subsystem (-s) */
	int want_tty;             /* request a pty */
	int stdin_null;           /* -n: read nothing from stdin */
	int quiet;                /* no "Connection to ... closed." */
	uint32_t window;          /* channel window (0 = default) */
	const char *forward_host; /* -W host:port: a direct-tcpip channel on stdio */
	int forward_port;
	int in_fd, out_fd, err_fd; /* 0: stdin, stdout, stderr */
	/* esc: escape sequences (cli-escape.h), with a pty on a terminal only. */
	int escape_on;            /* 0: no escape character at all */
	int escape_char;          /* the byte, or KG_ESCAPE_NONE */
	int escape_cmdline;       /* EnableEscapeCommandline: ~C opens the command line */
	/* ~C's -L -R -D -KL -KR -KD line (trimmed): act on it and put what to
	 * tell the user in msg; NULL: forwarding is not available. */
	int (*forward_cmd)(void *arg, const char *line, char *msg, size_t msglen);
	void *forward_arg;
	/* mux: a master sharing this connection (cli-mux-server.h).
	 * keep_open: no disconnect at the end (the master serves on); stop:
	 * the session ends once *stop is set (-O exit); add_signal: the
	 * session's signals go through the master's handler (cb NULL once the
	 * session is over). */
	int keep_open;
	const int *stop;
	int (*add_signal)(void *arg, int signo, kg_loop_signal_cb cb, void *ctx);
	void *signal_arg;
	/* fwd: once the session's channel is closed the connection runs on
	 * until idle(forward_arg) holds (forwarded connections still open, as
	 * ssh waits for them); NULL: it ends at once. */
	int (*idle)(void *arg);
} kg_cli_session_opts;

/* Runs the session to its end.  *exit_status is the remote command's
 * status, or 255 when it did not report one.  Errors were reported. */
int kg_cli_session_run(kg_client *c, const kg_cli_session_opts *o, int *exit_status) KG_WUR;

#endif
