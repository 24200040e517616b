/* ksftp: the command loop, reading lines from the line editor or a batch file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sys/lineedit.h"
#include "sftp/sftp-cli-int.h"

int kg_sftp_cli_init(kg_sftp_cli *c, kg_sftp *s)
{
	kg_sftp_xfer_opts d = c->defaults;
	int batch = c->batch, quiet = c->quiet, inter = c->interactive, prog = c->show_progress;
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->defaults = d;
	c->batch = batch;
	c->quiet = quiet;
	c->interactive = inter;
	c->show_progress = prog;
	return kg_sftp_realpath(s, ".", &c->rcwd);
}

void kg_sftp_cli_free(kg_sftp_cli *c)
{
	free(c->rcwd);
	c->rcwd = NULL;
}

/* One command line: from the line editor on a terminal, else plainly.
 * *out points into le or *line; NULL at end of input. */
static int next_line(kg_sftp_cli *c, FILE *in, kg_lineedit *le, char **line, size_t *cap, const char **out)
{
	*out = NULL;
	if (le != NULL) {
		fflush(stdout);
		int r = kg_lineedit_read(le, "sftp> ", out);
		if (r == KG_ERR_CLOSED)
			return KG_OK;
		return r;
	}
	if (c->interactive) {
		printf("sftp> ");
		fflush(stdout);
	}
	ssize_t n = getline(line, cap, in);
	if (n < 0) {
		if (c->interactive)
			printf("\n");
		return KG_OK;
	}
	while (n > 0 && ((*line)[n - 1] == '\n' || (*line)[n - 1] == '\r'))
		(*line)[--n] = '\0';
	*out = *line;
	return KG_OK;
}

int kg_sftp_cli_loop(kg_sftp_cli *c, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	int status = 0;
	kg_lineedit *le = NULL;
	if (c->interactive && in == stdin && kg_lineedit_usable(STDIN_FILENO, STDOUT_FILENO)) {
		le = malloc(sizeof(*le));
		if (le)
			kg_lineedit_init(le, STDIN_FILENO, STDOUT_FILENO);
	}
	for (;;) {
		const char *cmd;
		if (next_line(c, in, le, &line, &cap, &cmd) < 0) {
			fprintf(stderr, "Couldn't read a command: %s\n", strerror(errno));
			status = 1;
			break;
		}
		if (cmd == NULL)
			break;
		while (*cmd == ' ' || *cmd == '\t')
			cmd++;
		if (*cmd == '\0' || *cmd == '#')
			continue;
		int ignore = 0, echo = !c->interactive;
		while (*cmd == '-' || *cmd == '@') {
			if (*cmd == '-')
				ignore = 1;
			else
				echo = 0;
			cmd++;
		}
		if (echo) {
			printf("sftp> %s\n", cmd);
			fflush(stdout);
		}
		int r = kg_sftp_cli_line(c, cmd);
		fflush(stdout);
		if (r < 0) {
			fprintf(stderr, "Connection closed: %s\n", kg_sftp_error(c->s));
			status = 1;
			break;
		}
		if (r == KG_CLI_QUIT)
			break;
		if (r == KG_CLI_FAILED && c->batch && !ignore) {
			status = 1;
			break;
		}
	}
	if (le) {
		kg_lineedit_free(le);
		free(le);
	}
	free(line);
	return status;
}
