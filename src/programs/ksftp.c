/* ksftp: an interactive and batch SFTP client with OpenSSH sftp's flags. */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config/cli-args.h"
#include "conn/cli-conn.h"
#include "conn/cli-mux.h"
#include "sftp/sftp-cli.h"
#include "sftp/sftp-client.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: ksftp [-246aCfNpqrv] [-B buffer_size] [-b batchfile] [-c cipher]\n"
		"             [-F ssh_config] [-i identity_file] [-J destination] [-l limit]\n"
		"             [-o ssh_option] [-P port] [-R num_requests] [-s sftp] destination\n");
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* %XX escapes of a URI, in place; -1 on a bad escape or an encoded NUL. */
static int urldecode(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (*r == '%') {
			int h = r[1] ? hexval(r[1]) : -1, l = h >= 0 && r[2] ? hexval(r[2]) : -1;
			if (h < 0 || l < 0 || (h == 0 && l == 0))
				return -1;
			*w++ = (char)(h * 16 + l);
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return 0;
}

typedef struct dest {
	char *user, *host, *port;   /* from the destination; malloc'ed */
} dest;

/* [user@]host[:path] or sftp://[user@]host[:port][/path] */
static int parse_destination(dest *a, const char *arg, char **path)
{
	char *d = strdup(arg);
	if (!d)
		return KG_ERR_ALLOC;
	char *host = d, *p = NULL;
	int uri = strncmp(d, "sftp://", 7) == 0;
	if (uri) {
		host = d + 7;
		char *slash = strchr(host, '/');
		if (slash) {
			*slash = '\0';
			p = slash + 1;  /* relative to the login directory, as OpenSSH */
			if (urldecode(p) < 0)
				goto bad;
		}
	}
	char *at = strrchr(host, '@');
	if (at) {
		*at = '\0';
		if (uri) {
			char *semi = strchr(host, ';');
			if (semi)
				*semi = '\0';
			if (urldecode(host) < 0)
				goto bad;
		}
		a->user = strdup(host);
		host = at + 1;
	}
	char *colon = NULL;
	if (host[0] == '[') {
		char *end = strchr(host, ']');
		if (!end)
			goto bad;
		*end = '\0';
		colon = end[1] == ':' ? end + 1 : NULL;
		host++;
	} else {
		colon = strchr(host, ':');
	}
	if (colon) {
		*colon = '\0';
		if (uri)
			a->port = strdup(colon + 1);
		else
			p = colon + 1;
	}
	if (!*host)
		goto bad;
	a->host = strdup(host);
	*path = p && *p ? strdup(p) : NULL;
	free(d);
	return a->host ? KG_OK : KG_ERR_ALLOC;
bad:
	free(d);
	return KG_ERR_ARG;
}

typedef struct opts {
	kg_cli_args a;
	dest d;
	const char *batch_file;
	int quiet, verbose;
	kg_sftp_opts so;
	kg_sftp_xfer_opts xo;
	char *path;
} opts;

static int parse_args(opts *o, int argc, char **argv)
{
	int ch;
	while ((ch = getopt(argc, argv, "1246AaB:b:Cc:D:F:fhi:J:l:No:P:pqR:rS:s:vX:")) != -1) {
		int r = KG_OK;
		char *end;
		switch (ch) {
		case '4': r = kg_cli_args_add(&o->a, "AddressFamily", "inet"); break;
		case '6': r = kg_cli_args_add(&o->a, "AddressFamily", "inet6"); break;
		case 'C': r = kg_cli_args_add(&o->a, "Compression", "yes"); break;
		case 'c': r = kg_cli_args_add(&o->a, "Ciphers", optarg); break;
		case 'i': r = kg_cli_args_add(&o->a, "IdentityFile", optarg); break;
		case 'J': r = kg_cli_args_add(&o->a, "ProxyJump", optarg); break;
		case 'P': r = kg_cli_args_add(&o->a, "Port", optarg); break;
		case 'o': r = kg_strlist_add(&o->a.opts, optarg); break;
		case 'F': o->a.config_file = optarg; break;
		case 'a': o->xo.resume = 1; break;
		case 'f': o->xo.fsync = 1; break;
		case 'p': o->xo.preserve = 1; break;
		case 'r': o->xo.recursive = 1; break;
		case 'q': o->quiet = 1; break;
		case 'v': o->verbose++; break;
		case 'b':
			o->batch_file = optarg;
			r = kg_cli_args_add(&o->a, "BatchMode", "yes");
			break;
		case 'B':
			o->so.block_size = strtoul(optarg, &end, 10);
			if (*end || o->so.block_size == 0 || o->so.block_size > KG_SFTP_MAX_DATA) {
				fprintf(stderr, "ksftp: invalid buffer size \"%s\"\n", optarg);
				return KG_ERR_ARG;
			}
			break;
		case 'R':
			o->so.num_requests = (unsigned)strtoul(optarg, &end, 10);
			if (*end || o->so.num_requests == 0 || o->so.num_requests > KG_SFTP_MAX_REQUESTS) {
				fprintf(stderr, "ksftp: invalid number of requests \"%s\"\n", optarg);
				return KG_ERR_ARG;
			}
			break;
		case 'l':
			o->so.limit_kbps = strtoull(optarg, &end, 10);
			if (*end || o->so.limit_kbps == 0) {
				fprintf(stderr, "ksftp: invalid limit \"%s\"\n", optarg);
				return KG_ERR_ARG;
			}
			break;
		case '2': case 'N':
			break;  /* protocol 2; not quiet with -b: what ksftp does */
		case 's':
			if (strcmp(optarg, "sftp") == 0)
				break;  /* the subsystem ksftp asks for */
			/* fall through */
		case '1': case 'A': case 'D': case 'S': case 'X':
			fprintf(stderr, "ksftp: -%c (%s) is not supported yet\n", ch,
				ch == '1' ? "SSH protocol 1" : ch == 'A' ? "agent forwarding" :
				ch == 'D' ? "a local sftp server" : ch == 'S' ? "another ssh program" :
				ch == 's' ? "another subsystem or server" : "sftp options");
			return KG_ERR_ARG;
		default:
			usage();
			return KG_ERR_ARG;
		}
		if (r < 0)
			return r;
	}
	if (optind != argc - 1) {
		usage();
		return KG_ERR_ARG;
	}
	if (parse_destination(&o->d, argv[optind], &o->path) < 0) {
		fprintf(stderr, "ksftp: invalid destination: %s\n", argv[optind]);
		return KG_ERR_ARG;
	}
	return KG_OK;
}

/* "ksftp host:path": a directory becomes the working directory; files
 * are fetched into the local one. */
static int start_path(kg_sftp_cli *cli, const char *path, int *fetched)
{
	char *abs;
	kg_sftp_attrs a;
	*fetched = 0;
	GUARD(kg_sftp_cli_abs(cli, path, &abs));
	int r = kg_sftp_stat(cli->s, abs, &a);
	if (r == KG_OK && S_ISDIR(a.perm)) {
		free(cli->rcwd);
		cli->rcwd = abs;
		return KG_OK;
	}
	free(abs);
	*fetched = 1;
	size_t n = strlen(path) + 8;
	char *cmd = malloc(n);
	if (!cmd)
		return KG_ERR_ALLOC;
	snprintf(cmd, n, "get %s", path);
	r = kg_sftp_cli_line(cli, cmd);
	free(cmd);
	return r;
}

int main(int argc, char **argv)
{
	opts o;
	memset(&o, 0, sizeof(o));
	if (parse_args(&o, argc, argv) < 0)
		return 1;
	/* The character set decides which bytes of a server's names are shown
	 * as they are (whole UTF-8 characters) and which escaped. */
	(void)setlocale(LC_CTYPE, "");
	struct passwd *pw = getpwuid(getuid());
	if (!pw) {
		fprintf(stderr, "ksftp: no user exists for uid %lu\n", (unsigned long)getuid());
		return 1;
	}
	char *local_user = strdup(pw->pw_name), *home = strdup(pw->pw_dir);
	if (!local_user || !home)
		return 1;
	if (o.verbose) {
		const char *lv = o.verbose == 1 ? "DEBUG1" : o.verbose == 2 ? "DEBUG2" : "DEBUG3";
		if (kg_cli_args_add(&o.a, "LogLevel", lv) < 0)
			return 1;
	} else if (o.quiet && kg_cli_args_add(&o.a, "LogLevel", "ERROR") < 0) {
		return 1;
	}
	kg_client_config cfg;
	kg_client_config_init(&cfg);
	if (kg_cli_args_config(&o.a, "ksftp", o.d.host, o.d.user, o.d.port, home, local_user, &cfg) < 0)
		return 1;
	kg_logger lg;
	kg_log_init(&lg, "ksftp", cfg.log_level, 0, 0);
	for (size_t i = 0; i < cfg.warnings.n; i++)
		kg_verbose(&lg, "%s", cfg.warnings.v[i]);

	FILE *in = stdin;
	if (o.batch_file && strcmp(o.batch_file, "-") != 0) {
		in = fopen(o.batch_file, "r");
		if (!in) {
			fprintf(stderr, "ksftp: couldn't open \"%s\": %s\n", o.batch_file, strerror(errno));
			return 1;
		}
	}
	kg_client c;
	memset(&c, 0, sizeof(c));
	c.cfg = &cfg;
	c.local_user = local_user;
	c.home = home;
	c.log = &lg;
	c.fd = -1;
	c.config_file = o.a.config_file;  /* jump hops read the same -F file */
	c.verbose = o.verbose;
	int status = 1;
	kg_sftp s;
	memset(&s, 0, sizeof(s));
	/* mux: through a connection-sharing master when one answers at ControlPath. */
	kg_cli_mux mx;
	kg_cli_mux_pipe mp;
	memset(&mp, 0, sizeof(mp));
	int mr = kg_cli_mux_init(&mx, &cfg, o.d.host, local_user, home, &lg);
	if (mr == KG_OK)
		mr = kg_cli_mux_pipe_open(&mx, "sftp", NULL, STDERR_FILENO, &lg, &mp);
	kg_cli_mux_free(&mx);
	kg_sftp_io mio = { .write = kg_cli_mux_pipe_write, .read = kg_cli_mux_pipe_read, .arg = &mp };
	if (mr == KG_OK || (mr == KG_ERR_NOT_FOUND && kg_client_open(&c) == KG_OK)) {
		if ((mr == KG_OK ? kg_sftp_start(&s, &mio, &o.so, &lg) : kg_sftp_open(&s, &c, &o.so, &lg, STDERR_FILENO)) < 0) {
			fprintf(stderr, "Connection closed: %s\n", kg_sftp_error(&s));
			kg_sftp_free(&s);
		} else {
			kg_sftp_cli cli;
			memset(&cli, 0, sizeof(cli));
			cli.defaults = o.xo;
			cli.batch = o.batch_file != NULL;
			cli.quiet = o.quiet;
			cli.interactive = !o.batch_file && isatty(STDIN_FILENO);
			cli.show_progress = !o.quiet && isatty(STDOUT_FILENO);
			if (kg_sftp_cli_init(&cli, &s) < 0) {
				fprintf(stderr, "Need cwd: %s\n", kg_sftp_error(&s));
			} else {
				int fetched = 0, r = KG_OK;
				if (o.path)
					r = start_path(&cli, o.path, &fetched);
				if (r < 0)
					fprintf(stderr, "Connection closed: %s\n", kg_sftp_error(&s));
				else if (fetched)
					status = r == KG_CLI_OK ? 0 : 1;
				else {
					if (!o.quiet && !o.batch_file)
						printf("Connected to %s.\n", cfg.hostname);
					status = kg_sftp_cli_loop(&cli, in);
				}
			}
			kg_sftp_cli_free(&cli);
			if (kg_sftp_close(&s) < 0 && status == 0)
				status = 1;
		}
	}
	if (mr == KG_OK)
		(void)kg_cli_mux_pipe_close(&mp, NULL);
	kg_client_close(&c);
	if (in != stdin)
		fclose(in);
	kg_client_config_free(&cfg);
	kg_cli_args_free(&o.a);
	free(o.d.user);
	free(o.d.host);
	free(o.d.port);
	free(o.path);
	free(local_user);
	free(home);
	return status;
}
