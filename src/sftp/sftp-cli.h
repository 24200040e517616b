/* ksftp's command interpreter: OpenSSH sftp's commands over a session. */
#ifndef KAGI_SFTP_CLI_H
#define KAGI_SFTP_CLI_H

#include <stdio.h>
#include "sftp/sftp-client.h"

typedef struct kg_sftp_cli {
	kg_sftp *s;
	char *rcwd;                 /* remote working directory, absolute */
	int batch;                  /* -b: stop at the first failing command */
	int interactive;            /* input is a terminal */
	int quiet;                  /* -q */
	int show_progress;          /* progress meter (a terminal and not -q) */
	kg_sftp_xfer_opts defaults; /* -r -p -a -f from the command line */
	/* progress meter state */
	uint64_t prog_start_ms, prog_last_ms;
} kg_sftp_cli;

/* Result of one command line. */
enum { KG_CLI_OK = 0, KG_CLI_FAILED = 1, KG_CLI_QUIT = 2 };

/* Sets rcwd to the login directory. */
int kg_sftp_cli_init(kg_sftp_cli *c, kg_sftp *s) KG_WUR;
void kg_sftp_cli_free(kg_sftp_cli *c);
/* Runs one command line; a negative result means the connection failed. */
int kg_sftp_cli_line(kg_sftp_cli *c, const char *line) KG_WUR;
/* Reads commands from in until end of input or "bye"; returns the exit
 * status (0, or 1 when a batch command failed or the connection broke). */
int kg_sftp_cli_loop(kg_sftp_cli *c, FILE *in);
/* Makes path absolute against rcwd ("~" expanded by the server). */
int kg_sftp_cli_abs(kg_sftp_cli *c, const char *path, char **out) KG_WUR;

#endif
