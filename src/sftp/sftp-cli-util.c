/* ksftp's helpers below its commands and its loop: joining and splitting words, remote paths, escaped names, the progress meter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sftp/sftp-cli-util.h"
#include "sftp/sftp-client-int.h"
#include "sys/term-escape.h"

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

char *kg_sftp_cli_shown(const char *s)
{
	size_t len = strlen(s);
	/* Each byte becomes at most a 4-byte \ooo escape. */
	if (len > KG_SFTP_CLI_NAME_MAX)
		return NULL;
	size_t cap = 4 * len + 1;
	char *out = malloc(cap);
	if (out)
		(void)kg_term_escape(s, len, out, cap);
	return out;
}
