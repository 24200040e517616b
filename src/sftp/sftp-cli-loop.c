/* ksftp: reading command lines, splitting them into words, remote paths
 * and the progress meter. */
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

char *cli_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), len = dl + strlen(name) + 2;
	char *p = malloc(len);
	if (p)
		snprintf(p, len, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", name);
	return p;
}

int kg_sftp_cli_abs(kg_sftp_cli *c, const char *path, char **out)
{
	if (path[0] == '~' && (path[1] == '\0' || path[1] == '/' || kg_sftp_has_ext(c->s, KG_SFTP_EXT_EXPAND_PATH)))
		return kg_sftp_expand_path(c->s, path, out);
	*out = path[0] == '/' ? strdup(path) : cli_join(c->rcwd, path);
	return *out ? KG_OK : KG_ERR_ALLOC;
}

/* Words of a command line: blanks separate, '...' and "..." group, a
 * backslash escapes the next character.  Returns the count, or -1 on an
 * unterminated quote.  The words live in buf. */
int cli_split(const char *line, char *buf, size_t bufsz, char **argv, int max)
{
	int argc = 0;
	size_t k = 0;
	const char *p = line;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (argc >= max - 1 || k >= bufsz - 1)
			return -1;
		argv[argc++] = buf + k;
		char q = 0;
		while (*p && (q || (*p != ' ' && *p != '\t'))) {
			if (k >= bufsz - 1)
				return -1;
			if (q && *p == q) {
				q = 0;
				p++;
			} else if (!q && (*p == '"' || *p == '\'')) {
				q = *p++;
			} else if (*p == '\\' && p[1] && q != '\'') {
				/* keep the escape before glob characters so fnmatch sees it */
				if (strchr("*?[]\\", p[1]))
					buf[k++] = *p;
				p++;
				buf[k++] = *p++;
			} else {
				buf[k++] = *p++;
			}
		}
		if (q)
			return -1;
		buf[k++] = '\0';
	}
	argv[argc] = NULL;
	return argc;
}

static void human(uint64_t v, char *out, size_t n)
{
	const char *u = "BKMGTP";
	double d = (double)v;
	int i = 0;
	while (d >= 1024 && i < 5) {
		d /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(out, n, "%lluB", (unsigned long long)v);
	else
		snprintf(out, n, "%.1f%cB", d, u[i]);
}

void cli_progress(void *arg, const char *name, uint64_t done, uint64_t total)
{
	kg_sftp_cli *c = arg;
	uint64_t now = cl_now_ms();
	if (done == 0 || c->prog_start_ms == 0)
		c->prog_start_ms = now;
	int finished = total && done >= total;
	if (!finished && now - c->prog_last_ms < 200)
		return;
	c->prog_last_ms = now;
	double secs = (double)(now - c->prog_start_ms) / 1000.0;
	char sz[32], rate[32];
	human(done, sz, sizeof(sz));
	human(secs > 0.05 ? (uint64_t)((double)done / secs) : 0, rate, sizeof(rate));
	const char *b = strrchr(name, '/');
	b = b ? b + 1 : name;
	int pct = total ? (int)(done * 100 / total) : 100;
	fprintf(stderr, "\r%-40.40s %3d%% %9s %9s/s", b, pct > 100 ? 100 : pct, sz, rate);
	if (finished) {
		fputc('\n', stderr);
		c->prog_start_ms = 0;
	}
	fflush(stderr);
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
