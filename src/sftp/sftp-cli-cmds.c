/* ksftp's commands, with OpenSSH sftp's names, flags and messages. */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "sys/lineedit.h"
#include "sftp/sftp-cli-int.h"
#include "sys/tty.h"

typedef struct cmdctx {
	kg_sftp_cli *c;
	int argc;
	char **argv;
	unsigned flags;   /* letters given as -x, bit (x - 'a') */
	int first;        /* index of the first operand */
	int one;          /* -1: one name per line */
} cmdctx;

#define FLAG(x) (1u << ((x) - 'a'))

/* A library result: a failed command (KG_CLI_FAILED) after printing the
 * reason, or a lost connection (negative). */
static int failed(cmdctx *x, int r, const char *what)
{
	if (r == KG_OK)
		return KG_CLI_OK;
	if (r != KG_ERR_SYSTEM)
		return r;
	const char *msg = kg_sftp_error(x->c->s);
	size_t wl = what ? strlen(what) : 0;
	/* A local failure may already name its file ("x: No such file"). */
	if (what && !(strncmp(msg, what, wl) == 0 && msg[wl] == ':')) {
		kg_sftp_print_safe(stderr, what);
		fprintf(stderr, ": ");
	}
	fprintf(stderr, "%s\n", msg);
	return KG_CLI_FAILED;
}

static int usage_err(const char *msg)
{
	fprintf(stderr, "%s\n", msg);
	return KG_CLI_FAILED;
}

/* Remote operands: made absolute and glob-expanded.  "File not found" if
 * nothing matches. */
static int remote_glob(cmdctx *x, const char *arg, char ***paths, size_t *n)
{
	char *abs;
	GUARD(kg_sftp_cli_abs(x->c, arg, &abs));
	int r = kg_sftp_glob(x->c->s, abs, paths, n);
	free(abs);
	if (r == KG_OK && *n == 0) {
		fprintf(stderr, "File \"%s\" not found.\n", arg);
		return KG_ERR_NOT_FOUND;
	}
	return r;
}

static kg_sftp_xfer_opts xfer_opts(cmdctx *x)
{
	kg_sftp_xfer_opts o = x->c->defaults;
	if (x->flags & FLAG('r'))
		o.recursive = 1;
	if (x->flags & FLAG('p'))
		o.preserve = 1;
	if (x->flags & FLAG('a'))
		o.resume = 1;
	if (x->flags & FLAG('f'))
		o.fsync = 1;
	o.quiet = x->c->quiet;
	if (x->c->show_progress) {
		o.progress = cli_progress;
		o.progress_arg = x->c;
	}
	return o;
}

static int cmd_get(cmdctx *x, int resume)
{
	if (x->argc - x->first < 1 || x->argc - x->first > 2)
		return usage_err("usage: get [-afpPr] remote [local]");
	kg_sftp_xfer_opts o = xfer_opts(x);
	if (resume)
		o.resume = 1;
	const char *local = x->argc - x->first == 2 ? x->argv[x->first + 1] : ".";
	char **paths;
	size_t n;
	int r = remote_glob(x, x->argv[x->first], &paths, &n);
	if (r == KG_ERR_NOT_FOUND)
		return KG_CLI_FAILED;
	GUARD(failed(x, r, x->argv[x->first]));
	struct stat st;
	if (n > 1 && (stat(local, &st) < 0 || !S_ISDIR(st.st_mode))) {
		kg_sftp_glob_free(paths, n);
		return usage_err("Multiple source paths, but destination is not a directory");
	}
	int res = KG_CLI_OK;
	for (size_t i = 0; i < n && res >= 0; i++) {
		int rr = failed(x, kg_sftp_get(x->c->s, paths[i], local, &o), paths[i]);
		if (rr != KG_CLI_OK)
			res = rr;
	}
	kg_sftp_glob_free(paths, n);
	return res;
}

static int cmd_put(cmdctx *x, int resume)
{
	if (x->argc - x->first < 1 || x->argc - x->first > 2)
		return usage_err("usage: put [-afpPr] local [remote]");
	kg_sftp_xfer_opts o = xfer_opts(x);
	if (resume)
		o.resume = 1;
	char *remote;
	GUARD(kg_sftp_cli_abs(x->c, x->argc - x->first == 2 ? x->argv[x->first + 1] : ".", &remote));
	glob_t g;
	memset(&g, 0, sizeof(g));
	if (glob(x->argv[x->first], GLOB_NOCHECK | GLOB_BRACE, NULL, &g) != 0 || g.gl_pathc == 0) {
		free(remote);
		globfree(&g);
		fprintf(stderr, "File \"%s\" not found.\n", x->argv[x->first]);
		return KG_CLI_FAILED;
	}
	int res = KG_CLI_OK;
	kg_sftp_attrs ra;
	if (g.gl_pathc > 1 && (kg_sftp_stat(x->c->s, remote, &ra) < 0 || !S_ISDIR(ra.perm))) {
		res = usage_err("Multiple paths match, but destination is not a directory");
		g.gl_pathc = 0;
	}
	for (size_t i = 0; i < g.gl_pathc && res >= 0; i++) {
		int rr = failed(x, kg_sftp_put(x->c->s, g.gl_pathv[i], remote, &o), g.gl_pathv[i]);
		if (rr != KG_CLI_OK)
			res = rr;
	}
	globfree(&g);
	free(remote);
	return res;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const kg_sftp_name *)a)->filename, ((const kg_sftp_name *)b)->filename);
}

/* Names for a short listing, printed in columns once all are known. */
typedef struct namelist {
	char **v;
	size_t n, cap;
} namelist;

/* Keeps s escaped as kg_sftp_print_safe shows it (kg_sftp_cli_shown). */
static int names_add(namelist *l, const char *s)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		char **nv = realloc(l->v, nc * sizeof(*nv));
		ENSURE(nv != NULL, KG_ERR_ALLOC);
		l->v = nv;
		l->cap = nc;
	}
	char *out = kg_sftp_cli_shown(s);
	ENSURE(out != NULL, KG_ERR_ALLOC);
	l->v[l->n++] = out;
	return KG_OK;
}

static void names_free(namelist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* As OpenSSH's sftp: as many equal columns as the widest name (plus two
 * blanks) allows in the terminal's width, filled across. */
static void names_print(const namelist *l)
{
	if (l->n == 0)
		return;
	uint32_t width = 0;
	if (kg_tty_window_size(STDOUT_FILENO, &width, NULL, NULL, NULL) < 0 || width == 0)
		width = 80;
	size_t widest = 0;
	for (size_t i = 0; i < l->n; i++) {
		size_t w = kg_le_width(l->v[i], strlen(l->v[i]));
		if (w > widest)
			widest = w;
	}
	size_t columns = width / (widest + 2);
	if (columns == 0)
		columns = 1;
	size_t colspace = width / columns;
	for (size_t i = 0; i < l->n; i++) {
		int last = (i + 1) % columns == 0 || i + 1 == l->n;
		fputs(l->v[i], stdout);
		if (last) {
			putchar('\n');
		} else {
			for (size_t w = kg_le_width(l->v[i], strlen(l->v[i])); w < colspace; w++)
				putchar(' ');
		}
	}
}

/* A long line (-l), one name per line (-1), or a name kept for columns. */
static int ls_line(namelist *cols, const char *shown, const kg_sftp_attrs *a, const char *longname, int lflag)
{
	if (lflag && longname && longname[0]) {
		kg_sftp_print_safe(stdout, longname);
	} else if (lflag) {
		char mode[11], when[32];
		kg_sftp_mode_string(a->perm, mode);
		time_t t = a->mtime;
		struct tm tm;
		if (!localtime_r(&t, &tm) || strftime(when, sizeof(when), "%b %e %H:%M", &tm) == 0)
			snprintf(when, sizeof(when), "?");
		printf("%s    ? %-8u %-8u %8llu %s ", mode, (unsigned)a->uid, (unsigned)a->gid,
		       (unsigned long long)a->size, when);
		kg_sftp_print_safe(stdout, shown);
	} else if (cols != NULL) {
		return names_add(cols, shown);
	} else {
		kg_sftp_print_safe(stdout, shown);
	}
	putchar('\n');
	return KG_OK;
}

static int cmd_ls(cmdctx *x)
{
	int lflag = (x->flags & (FLAG('l') | FLAG('n'))) != 0, all = (x->flags & FLAG('a')) != 0;
	const char *arg = x->argc > x->first ? x->argv[x->first] : NULL;
	char **paths;
	size_t n;
	int r = remote_glob(x, arg ? arg : ".", &paths, &n);
	if (r == KG_ERR_NOT_FOUND)
		return KG_CLI_FAILED;
	GUARD(failed(x, r, arg));
	namelist names = { 0 };
	namelist *cols = lflag || x->one ? NULL : &names;
	int res = KG_CLI_OK;
	for (size_t i = 0; i < n && res >= 0; i++) {
		kg_sftp_attrs a;
		r = kg_sftp_stat(x->c->s, paths[i], &a);
		if (r == KG_OK && S_ISDIR(a.perm)) {
			kg_sftp_name *v;
			size_t k;
			r = kg_sftp_readdir_all(x->c->s, paths[i], 0, &v, &k);
			if (r == KG_OK) {
				qsort(v, k, sizeof(*v), cmp_name);
				for (size_t j = 0; j < k && r == KG_OK; j++) {
					if (!all && v[j].filename[0] == '.')
						continue;
					char *shown = arg && n == 1 ? cli_join(arg, v[j].filename) : NULL;
					r = ls_line(cols, shown ? shown : v[j].filename, &v[j].attrs,
						    lflag ? v[j].longname : NULL, lflag);
					free(shown);
				}
				kg_sftp_names_free(v, k);
			}
		} else if (r == KG_OK) {
			const char *shown = n == 1 && arg && !strpbrk(arg, "*?[") ? arg : paths[i];
			r = ls_line(cols, shown, &a, NULL, lflag);
		}
		int rr = failed(x, r, paths[i]);
		if (rr != KG_CLI_OK)
			res = rr;
	}
	if (res >= 0)
		names_print(&names);
	names_free(&names);
	kg_sftp_glob_free(paths, n);
	return res;
}

/* Commands that take remote paths, each glob-expanded: rm, chmod ... */
enum { EACH_RM, EACH_CHMOD, EACH_CHOWN, EACH_CHGRP };

static int cmd_each(cmdctx *x, int what)
{
	int first = x->first, need = what == EACH_RM ? 1 : 2;
	if (x->argc - first < need)
		return usage_err(what == EACH_RM ? "usage: rm path" : "usage: chmod|chown|chgrp value path");
	unsigned long val = 0;
	if (what != EACH_RM) {
		char *end;
		errno = 0;
		val = strtoul(x->argv[first], &end, what == EACH_CHMOD ? 8 : 10);
		if (errno || *end || (what == EACH_CHMOD && val > 07777) || val > UINT32_MAX)
			return usage_err("Invalid number");
		first++;
	}
	int res = KG_CLI_OK;
	for (int i = first; i < x->argc && res >= 0; i++) {
		char **paths;
		size_t n;
		int r = remote_glob(x, x->argv[i], &paths, &n);
		if (r == KG_ERR_NOT_FOUND) {
			res = KG_CLI_FAILED;
			continue;
		}
		GUARD(failed(x, r, x->argv[i]));
		for (size_t k = 0; k < n && res >= 0; k++) {
			kg_sftp_attrs a;
			memset(&a, 0, sizeof(a));
			if (what == EACH_RM) {
				if (!x->c->quiet) {
					printf("Removing ");
					kg_sftp_print_safe(stdout, paths[k]);
					putchar('\n');
				}
				r = kg_sftp_remove(x->c->s, paths[k]);
			} else if (what == EACH_CHMOD) {
				a.flags = SSH_FILEXFER_ATTR_PERMISSIONS;
				a.perm = (uint32_t)val;
				r = kg_sftp_setstat(x->c->s, paths[k], &a);
			} else {
				r = kg_sftp_stat(x->c->s, paths[k], &a);
				if (r == KG_OK && !(a.flags & SSH_FILEXFER_ATTR_UIDGID))
					r = cl_fail_text(x->c->s, EIO, "server did not send owner and group");
				if (r == KG_OK) {
					a.flags = SSH_FILEXFER_ATTR_UIDGID;
					if (what == EACH_CHOWN)
						a.uid = (uint32_t)val;
					else
						a.gid = (uint32_t)val;
					r = kg_sftp_setstat(x->c->s, paths[k], &a);
				}
			}
			int rr = failed(x, r, paths[k]);
			if (rr != KG_CLI_OK)
				res = rr;
		}
		kg_sftp_glob_free(paths, n);
	}
	return res;
}

static int cmd_cd(cmdctx *x)
{
	char *abs, *real;
	GUARD(kg_sftp_cli_abs(x->c, x->argc > x->first ? x->argv[x->first] : "~", &abs));
	int r = kg_sftp_realpath(x->c->s, abs, &real);
	free(abs);
	if (r < 0)
		return failed(x, r, x->argv[x->first]);
	kg_sftp_attrs a;
	r = kg_sftp_stat(x->c->s, real, &a);
	if (r == KG_OK && !S_ISDIR(a.perm)) {
		fprintf(stderr, "Can't change directory: \"%s\" is not a directory\n", real);
		free(real);
		return KG_CLI_FAILED;
	}
	if (r < 0) {
		free(real);
		return failed(x, r, x->argv[x->first]);
	}
	free(x->c->rcwd);
	x->c->rcwd = real;
	return KG_CLI_OK;
}

/* Two remote paths: rename and ln. */
static int cmd_two(cmdctx *x, int ln)
{
	if (x->argc - x->first != 2)
		return usage_err(ln ? "usage: ln [-s] oldpath newpath" : "usage: rename oldpath newpath");
	char *p1 = NULL, *p2 = NULL;
	int r;
	int sym = ln && (x->flags & FLAG('s'));
	if (sym)
		r = (p1 = strdup(x->argv[x->first])) ? KG_OK : KG_ERR_ALLOC;  /* the link's text, as given */
	else
		r = kg_sftp_cli_abs(x->c, x->argv[x->first], &p1);
	if (r == KG_OK)
		r = kg_sftp_cli_abs(x->c, x->argv[x->first + 1], &p2);
	if (r == KG_OK) {
		if (!ln)
			r = kg_sftp_rename(x->c->s, p1, p2, (x->flags & FLAG('l')) != 0);
		else if (sym)
			r = kg_sftp_symlink(x->c->s, p1, p2);
		else
			r = kg_sftp_hardlink(x->c->s, p1, p2);
	}
	free(p1);
	free(p2);
	return failed(x, r, x->argv[x->first]);
}

static int cmd_df(cmdctx *x)
{
	char *abs;
	kg_sftp_vfs v;
	GUARD(kg_sftp_cli_abs(x->c, x->argc > x->first ? x->argv[x->first] : ".", &abs));
	int r = kg_sftp_statvfs(x->c->s, abs, &v);
	free(abs);
	if (r < 0)
		return failed(x, r, "df");
	uint64_t fr = v.frsize ? v.frsize : v.bsize;
	uint64_t size = v.blocks * fr, avail = v.bavail * fr, freeb = v.bfree * fr, used = size - freeb;
	if (x->flags & FLAG('i')) {
		printf("      Inodes        Used       Avail      (root)    %%Capacity\n");
		printf("%12llu %11llu %11llu %11llu         %3llu%%\n", (unsigned long long)v.files,
		       (unsigned long long)(v.files - v.ffree), (unsigned long long)v.favail,
		       (unsigned long long)v.ffree,
		       (unsigned long long)(v.files ? 100 * (v.files - v.ffree) / v.files : 0));
	} else {
		printf("        Size         Used        Avail       (root)    %%Capacity\n");
		printf("%12llu %12llu %12llu %12llu         %3llu%%\n", (unsigned long long)(size / 1024),
		       (unsigned long long)(used / 1024), (unsigned long long)(avail / 1024),
		       (unsigned long long)(freeb / 1024), (unsigned long long)(size ? 100 * used / size : 0));
	}
	return KG_CLI_OK;
}

static int cmd_path1(cmdctx *x, int what)
{
	if (x->argc - x->first != 1)
		return usage_err("usage: mkdir|rmdir path");
	char *abs;
	GUARD(kg_sftp_cli_abs(x->c, x->argv[x->first], &abs));
	int r = what == 0 ? kg_sftp_mkdir(x->c->s, abs, NULL) : kg_sftp_rmdir(x->c->s, abs);
	free(abs);
	return failed(x, r, x->argv[x->first]);
}

static int run_local(const char *cmd)
{
	int st = system(cmd);
	return st == 0 ? KG_CLI_OK : KG_CLI_FAILED;
}

static const char help_text[] =
	"Available commands:\n"
	"bye                                Quit sftp\n"
	"cd path                            Change remote directory to 'path'\n"
	"chgrp grp path                     Change group of file 'path' to 'grp'\n"
	"chmod mode path                    Change permissions of file 'path' to 'mode'\n"
	"chown own path                     Change owner of file 'path' to 'own'\n"
	"df [-hi] [path]                    Display statistics for current directory or\n"
	"                                   filesystem containing 'path'\n"
	"exit                               Quit sftp\n"
	"get [-afpPr] remote [local]        Download file\n"
	"help                               Display this help text\n"
	"lcd path                           Change local directory to 'path'\n"
	"lls [ls-options [path]]            Display local directory listing\n"
	"lmkdir path                        Create local directory\n"
	"ln [-s] oldpath newpath            Link remote file (-s for symlink)\n"
	"lpwd                               Print local working directory\n"
	"ls [-1afhlnrSt] [path]             Display remote directory listing\n"
	"mkdir path                         Create remote directory\n"
	"progress                           Toggle display of progress meter\n"
	"put [-afpPr] local [remote]        Upload file\n"
	"pwd                                Display remote working directory\n"
	"quit                               Quit sftp\n"
	"reget [-fpPr] remote [local]       Resume download file\n"
	"rename oldpath newpath             Rename remote file\n"
	"reput [-fpPr] local [remote]       Resume upload file\n"
	"rm path                            Delete remote file\n"
	"rmdir path                         Remove remote directory\n"
	"version                            Show SFTP version\n"
	"!command                           Execute 'command' in local shell\n"
	"!                                  Escape to local shell\n"
	"?                                  Synonym for help\n";

int kg_sftp_cli_line(kg_sftp_cli *c, const char *line)
{
	if (line[0] == '!') {
		const char *sh = getenv("SHELL");
		return run_local(line[1] ? line + 1 : (sh ? sh : "/bin/sh"));
	}
	size_t bl = strlen(line) + 1;
	char *buf = malloc(bl + 1);
	char *argv[CLI_MAX_ARGS];
	if (!buf)
		return KG_ERR_ALLOC;
	int argc = cli_split(line, buf, bl + 1, argv, CLI_MAX_ARGS);
	int r = KG_CLI_OK;
	if (argc < 0) {
		free(buf);
		return usage_err("Invalid command line (unbalanced quotes?)");
	}
	if (argc == 0) {
		free(buf);
		return KG_CLI_OK;
	}
	cmdctx x = { .c = c, .argc = argc, .argv = argv, .first = 1 };
	while (x.first < argc && argv[x.first][0] == '-' && argv[x.first][1] && strcmp(argv[0], "lls") != 0) {
		if (strcmp(argv[x.first], "--") == 0) {
			x.first++;
			break;
		}
		for (const char *f = argv[x.first] + 1; *f; f++)
			if (*f >= 'a' && *f <= 'z')
				x.flags |= FLAG(*f);
			else if (*f == 'P')
				x.flags |= FLAG('p');
			else if (*f == '1')
				x.one = 1;
		x.first++;
	}
	const char *cmd = argv[0];
	if (!strcmp(cmd, "bye") || !strcmp(cmd, "exit") || !strcmp(cmd, "quit"))
		r = KG_CLI_QUIT;
	else if (!strcmp(cmd, "get"))
		r = cmd_get(&x, 0);
	else if (!strcmp(cmd, "reget"))
		r = cmd_get(&x, 1);
	else if (!strcmp(cmd, "put"))
		r = cmd_put(&x, 0);
	else if (!strcmp(cmd, "reput"))
		r = cmd_put(&x, 1);
	else if (!strcmp(cmd, "ls") || !strcmp(cmd, "dir"))
		r = cmd_ls(&x);
	else if (!strcmp(cmd, "cd") || !strcmp(cmd, "chdir"))
		r = cmd_cd(&x);
	else if (!strcmp(cmd, "pwd"))
		printf("Remote working directory: %s\n", c->rcwd);
	else if (!strcmp(cmd, "lpwd")) {
		char cwd[4096];
		if (getcwd(cwd, sizeof(cwd)))
			printf("Local working directory: %s\n", cwd);
		else
			r = usage_err("getcwd failed");
	} else if (!strcmp(cmd, "lcd") || !strcmp(cmd, "lchdir")) {
		const char *d = x.argc > x.first ? argv[x.first] : getenv("HOME");
		if (!d || chdir(d) < 0) {
			fprintf(stderr, "Couldn't change local directory to \"%s\": %s\n", d ? d : "", strerror(errno));
			r = KG_CLI_FAILED;
		}
	} else if (!strcmp(cmd, "lmkdir")) {
		if (x.argc - x.first != 1 || mkdir(argv[x.first], 0777) < 0) {
			fprintf(stderr, "Couldn't create local directory: %s\n", strerror(errno));
			r = KG_CLI_FAILED;
		}
	} else if (!strcmp(cmd, "lls") || !strcmp(cmd, "ldir")) {
		const char *rest = line + strspn(line, " \t") + strlen(cmd);
		size_t n = strlen(rest) + 4;
		char *sh = malloc(n);
		if (!sh) {
			r = KG_ERR_ALLOC;
		} else {
			snprintf(sh, n, "ls%s", rest);
			r = run_local(sh);
			free(sh);
		}
	} else if (!strcmp(cmd, "mkdir"))
		r = cmd_path1(&x, 0);
	else if (!strcmp(cmd, "rmdir"))
		r = cmd_path1(&x, 1);
	else if (!strcmp(cmd, "rm") || !strcmp(cmd, "del"))
		r = cmd_each(&x, EACH_RM);
	else if (!strcmp(cmd, "chmod"))
		r = cmd_each(&x, EACH_CHMOD);
	else if (!strcmp(cmd, "chown"))
		r = cmd_each(&x, EACH_CHOWN);
	else if (!strcmp(cmd, "chgrp"))
		r = cmd_each(&x, EACH_CHGRP);
	else if (!strcmp(cmd, "rename"))
		r = cmd_two(&x, 0);
	else if (!strcmp(cmd, "ln") || !strcmp(cmd, "symlink")) {
		if (!strcmp(cmd, "symlink"))
			x.flags |= FLAG('s');
		r = cmd_two(&x, 1);
	} else if (!strcmp(cmd, "df"))
		r = cmd_df(&x);
	else if (!strcmp(cmd, "help") || !strcmp(cmd, "?"))
		fputs(help_text, stdout);
	else if (!strcmp(cmd, "version"))
		printf("SFTP protocol version %u\n", (unsigned)c->s->version);
	else if (!strcmp(cmd, "progress")) {
		c->show_progress = !c->show_progress;
		printf("Progress meter %sabled\n", c->show_progress ? "en" : "dis");
	} else {
		fprintf(stderr, "Invalid command.\n");
		r = KG_CLI_FAILED;
	}
	free(buf);
	return r;
}
