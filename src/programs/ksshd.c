/* ksshd: the SSH server.  Flags follow OpenSSH's sshd. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <pwd.h>
#include "core/cipher.h"
#include "core/defaults.h"
#include "core/kex.h"
#include "core/mac.h"
#include "sys/log.h"
#include "config/server-config.h"
#include "config/server-dump.h"
#include "config/server-match.h"
#include "config/svr-access.h"
#include "conn/svr-conn.h"
#include "conn/svr-privsep.h"
#include "conn/svr-listen.h"
#include "sys/reexec.h"
#include "sftp/sftp-server.h"

#define KSSHD_CONFIG_DEFAULT "/etc/kagi/ksshd_config"
#define KSSHD_INCLUDE_DIR "/etc/kagi"
#define MAX_OPTS 256

#define MAX_TEST_SPECS 16

typedef struct ksshd_args {
	int foreground, log_stderr, test_only, debug, quiet;
	int reexec_child;         /* -R (internal): serve the connection on KG_REEXEC_SOCK_FD */
	int no_reexec;            /* -r: connections are served from the fork, without exec */
	int dump;                 /* -T (1) or -G (2): print the effective configuration */
	const char *specs[MAX_TEST_SPECS];  /* -C connection test specifications */
	size_t nspecs;
	const char *config_file;
	const char *opts[MAX_OPTS];
	size_t nopts;
	const char *hostkeys[MAX_OPTS];
	size_t nhostkeys;
	int ports[KG_SCFG_MAX_PORTS];
	size_t nports;
} ksshd_args;

static void usage(void)
{
	fprintf(stderr, "usage: ksshd [-46DdeGqrTt] [-C connection_spec] [-f config_file] [-h host_key_file]\n"
			"             [-o option] [-p port]\n");
}

static int parse_args(int argc, char **argv, ksshd_args *a)
{
	int c;
	while ((c = getopt(argc, argv, "46DdeGqRrtTC:f:h:o:p:")) != -1) {
		switch (c) {
		case '4':
		case '6':
			break;  /* address family comes from ListenAddress */
		case 'D': a->foreground = 1; break;
		case 'd': a->debug++; break;
		case 'e': a->log_stderr = 1; break;
		case 'q': a->quiet = 1; break;
		case 'R': a->reexec_child = 1; break;
		case 'r': a->no_reexec = 1; break;
		case 't': a->test_only = 1; break;
		case 'T': a->test_only = 1; a->dump = 1; break;
		case 'G': a->test_only = 1; a->dump = 2; break;
		case 'C':
			if (a->nspecs == MAX_TEST_SPECS)
				return -1;
			a->specs[a->nspecs++] = optarg;
			break;
		case 'f': a->config_file = optarg; break;
		case 'h':
			if (a->nhostkeys == MAX_OPTS)
				return -1;
			a->hostkeys[a->nhostkeys++] = optarg;
			break;
		case 'o':
			if (a->nopts == MAX_OPTS)
				return -1;
			a->opts[a->nopts++] = optarg;
			break;
		case 'p': {
			char *end = NULL;
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 1 || v > 65535) {
				fprintf(stderr, "ksshd: Bad port number '%s'\n", optarg);
				return -1;
			}
			if (a->nports == KG_SCFG_MAX_PORTS)
				return -1;
			a->ports[a->nports++] = (int)v;
			break;
		}
		default:
			usage();
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ksshd: extra argument %s\n", argv[optind]);
		usage();
		return -1;
	}
	return 0;
}

/* Command-line settings go in before the file so they win (the first value
 * of a single-valued keyword is kept). */
/* The configuration file.  In the listener it is read once and its text
 * kept (*text) for the connections (sys/reexec.h KG_REEXEC_CONFIG_FD), so
 * they apply the very text the listener did even if the file is edited
 * before a SIGHUP; -R applies that text.  A file with Include is not whole
 * in its text: it is loaded from disk, by the connections too. */
static int apply_config_file(const ksshd_args *a, kg_server_config *cfg, const char *file, char **text,
			     size_t *tlen, kg_cfg_err *err)
{
	char *t = NULL;
	size_t n = 0;
	int r;
	if (a->reexec_child) {
		r = kg_reexec_take_config(&t, &n);
		if (r == KG_OK) {
			r = kg_server_config_apply_file(cfg, t, n, file, err);
			free(t);
			return r;
		}
		if (r != KG_ERR_NOT_FOUND) {
			kg_cfg_errf(err, file, 0, "configuration from the listener: %s", kg_err_str(r));
			return r;
		}
	} else if (kg_read_text_file(file, 0, &t, &n, NULL) == KG_OK) {
		kg_server_config scratch;
		kg_cfg_err e2 = { { 0 } };
		kg_server_config_init(&scratch);
		int whole = kg_server_config_apply_file(&scratch, t, n, file, &e2) == KG_OK;
		kg_server_config_free(&scratch);
		if (whole) {
			r = kg_server_config_apply_file(cfg, t, n, file, err);
			if (r == KG_OK) {
				*text = t;
				*tlen = n;
			} else {
				free(t);
			}
			return r;
		}
		free(t);
	}
	return kg_server_config_load_file(cfg, file, KSSHD_INCLUDE_DIR, err);
}

static int load_config(const ksshd_args *a, kg_server_config *cfg, const char **used, char **text, size_t *tlen)
{
	kg_cfg_err err = { { 0 } };
	for (size_t i = 0; i < a->nopts; i++) {
		if (kg_server_config_apply_option(cfg, a->opts[i], &err) < 0) {
			fprintf(stderr, "ksshd: command-line option -o %s: %s\n", a->opts[i], err.msg);
			return -1;
		}
	}
	for (size_t i = 0; i < a->nhostkeys; i++)
		if (kg_strlist_add(&cfg->host_keys, a->hostkeys[i]) < 0)
			return -1;
	if (a->nports) {
		cfg->nports = 0;
		for (size_t i = 0; i < a->nports; i++)
			cfg->ports[cfg->nports++] = a->ports[i];
		cfg->ports_locked = 1;
	}
	const char *file = a->config_file;
	/* -R: the listener names the file it read, or none (no default). */
	if (!file && !a->reexec_child && access(KSSHD_CONFIG_DEFAULT, F_OK) == 0)
		file = KSSHD_CONFIG_DEFAULT;
	*used = file;
	if (file && apply_config_file(a, cfg, file, text, tlen, &err) < 0) {
		if (err.msg[0])
			fprintf(stderr, "ksshd: %s\n", err.msg);
		else
			fprintf(stderr, "ksshd: %s: %s\n", file, strerror(errno));
		return -1;
	}
	if (kg_server_config_finish(cfg) < 0) {
		fprintf(stderr, "ksshd: bad configuration\n");
		return -1;
	}
	for (size_t i = 0; i < cfg->warnings.n; i++)
		fprintf(stderr, "ksshd: %s\n", cfg->warnings.v[i]);
	return 0;
}

/* -C specifications ("user=x,host=y,addr=z,laddr=a,lport=p,rdomain=r",
 * several -C adding up), as sshd's: the strings live in bufs. */
static int parse_specs(const ksshd_args *a, char **bufs, kg_match_conn *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->lport = -1;
	for (size_t i = 0; i < a->nspecs; i++) {
		bufs[i] = strdup(a->specs[i]);
		if (!bufs[i])
			return -1;
		char *save = NULL;
		for (char *w = strtok_r(bufs[i], ",", &save); w; w = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(w, '=');
			if (!eq) {
				fprintf(stderr, "Invalid test mode specification %s\n", w);
				return -1;
			}
			*eq++ = '\0';
			if (strcmp(w, "user") == 0) {
				ci->user = eq;
			} else if (strcmp(w, "host") == 0) {
				ci->host = eq;
			} else if (strcmp(w, "addr") == 0) {
				ci->addr = eq;
			} else if (strcmp(w, "laddr") == 0) {
				ci->laddr = eq;
			} else if (strcmp(w, "rdomain") == 0) {
				ci->rdomain = eq;
			} else if (strcmp(w, "lport") == 0) {
				char *end = NULL;
				long v = strtol(eq, &end, 10);
				if (!*eq || *end || v < 1 || v > 65535) {
					fprintf(stderr, "Invalid port '%s' in test mode specification %s\n", eq, w);
					return -1;
				}
				ci->lport = (int)v;
			} else {
				fprintf(stderr, "Invalid test mode specification %s=%s\n", w, eq);
				return -1;
			}
		}
	}
	return 0;
}

/* -T / -G: the configuration a connection described by -C would get,
 * printed as sshd -T prints it.  Exit status as sshd's. */
static int dump_config(const ksshd_args *a, const kg_server_config *cfg, kg_logger *log)
{
	char *bufs[MAX_TEST_SPECS] = { NULL };
	kg_match_conn ci;
	kg_strlist groups = { NULL, 0 };
	kg_server_config eff;
	kg_cfg_err err = { { 0 } };
	char *ciphers = NULL, *macs = NULL, *kex = NULL, *hk = NULL, *pk = NULL;
	int rc = 1;
	kg_server_config_init(&eff);
	if (parse_specs(a, bufs, &ci) < 0)
		goto out;
	if (ci.user) {
		struct passwd *pw = getpwnam(ci.user);  /* an unknown user is in no group */
		if (pw && kg_access_user_groups(ci.user, pw->pw_gid, &groups) < 0)
			goto out;
		ci.groups = (const char *const *)groups.v;
		ci.ngroups = groups.n;
		ci.groups_known = 1;
	}
	/* The live server matches Host against the address (UseDNS no). */
	if (!ci.host && ci.addr)
		ci.host = ci.addr;
	if (kg_server_config_for_conn(cfg, &ci, 0, &eff, &err) < 0) {
		fprintf(stderr, "ksshd: %s\n", err.msg[0] ? err.msg : "cannot apply Match blocks");
		rc = 255;
		goto out;
	}
	if (kg_cfg_algorithms(log, "Ciphers", KG_CIPHERS_SERVER_DEFAULT, kg_cipher_all_names(), cfg->ciphers,
			      &ciphers) < 0 ||
	    kg_cfg_algorithms(log, "MACs", KG_MACS_SERVER_DEFAULT, kg_mac_all_names(), cfg->macs, &macs) < 0 ||
	    kg_cfg_algorithms(log, "KexAlgorithms", KG_KEX_SERVER_DEFAULT, kg_kex_all_names(), cfg->kex_algorithms,
			      &kex) < 0 ||
	    kg_cfg_algorithms(log, "HostKeyAlgorithms", KG_HOSTKEY_SERVER_DEFAULT, KG_HOSTKEY_ALL,
			      cfg->host_key_algorithms, &hk) < 0 ||
	    kg_cfg_algorithms(log, "PubkeyAcceptedAlgorithms", KG_PUBKEY_ALGS_DEFAULT, KG_HOSTKEY_ALL,
			      cfg->pubkey_accepted_algorithms, &pk) < 0) {
		rc = 255;
		goto out;
	}
	kg_svr_dump_algs algs = { ciphers, macs, kex, hk, pk };
	rc = kg_server_config_dump(&eff, &algs, stdout) < 0 ? 1 : 0;
out:
	for (size_t i = 0; i < MAX_TEST_SPECS; i++)
		free(bufs[i]);
	kg_strlist_free(&groups);
	kg_server_config_free(&eff);
	free(ciphers);
	free(macs);
	free(kex);
	free(hk);
	free(pk);
	return rc;
}

/* internal-sftp: the SFTP server run inside the session's child (after
 * ChrootDirectory and the privilege drop), so a chroot needs no binaries.
 * args: the words after "internal-sftp"; -R, -u umask, -d dir, -P and -p
 * as sftp-server; other flags are refused.  Errors go to the channel's
 * stderr (no syslog inside a chroot). */
static int internal_sftp(void *arg)
{
	char *copy = strdup((const char *)arg);
	if (!copy)
		return 1;
	kg_sftp_server_opts o;
	memset(&o, 0, sizeof(o));
	kg_logger lg;
	kg_log_init(&lg, "internal-sftp", KG_LOG_ERROR, 0, 0);
	o.log = &lg;
	const char *dir = NULL;
	char *save = NULL;
	int rc = 0;
	for (char *w = strtok_r(copy, " \t", &save); w && !rc; w = strtok_r(NULL, " \t", &save)) {
		char *val = NULL;
		if (w[0] == '-' && strchr("udPp", w[1]) && w[1] && !w[2] && !(val = strtok_r(NULL, " \t", &save))) {
			fprintf(stderr, "internal-sftp: option %s needs a value\n", w);
			rc = 1;
		} else if (strcmp(w, "-R") == 0) {
			o.read_only = 1;
		} else if (strcmp(w, "-u") == 0) {
			char *end = NULL;
			unsigned long m = strtoul(val, &end, 8);
			if (*end || m > 0777) {
				fprintf(stderr, "internal-sftp: invalid umask %s\n", val);
				rc = 1;
			} else {
				umask((mode_t)m);
			}
		} else if (strcmp(w, "-d") == 0) {
			dir = val;
		} else if (strcmp(w, "-P") == 0 || strcmp(w, "-p") == 0) {
			char bad[256];
			if (kg_sftp_server_check_requests(val, bad, sizeof(bad)) < 0) {
				fprintf(stderr, "internal-sftp: %s: unknown request \"%s\"\n", w, bad);
				rc = 1;
			}
			if (w[1] == 'P')
				o.deny_requests = val;
			else
				o.allow_requests = val;
		} else {
			fprintf(stderr, "internal-sftp: option %s not supported\n", w);
			rc = 1;
		}
	}
	if (!rc && dir && chdir(dir) < 0)
		fprintf(stderr, "internal-sftp: chdir to \"%s\" failed: %s\n", dir, strerror(errno));
	if (!rc) {
		kg_sftp_server srv;
		kg_sftp_server_init(&srv, &o);
		rc = kg_sftp_server_run(&srv, STDIN_FILENO, STDOUT_FILENO) < 0;
		kg_sftp_server_free(&srv);
	}
	kg_log_close(&lg);
	free(copy);
	return rc;
}

/* Re-exec per connection (sys/reexec.h, conn/svr-listen.h): each
 * connection's process is this program again, "ksshd -R ...", rather than
 * a separate ksshd-session: nothing more to install or keep in step, and
 * ps shows -R.  It gets what it needs to rebuild the listener's state
 * without its memory: the configuration file the listener read and the
 * -o/-h/-p settings as given (paths made absolute: a daemon is in /), the
 * file's text as the listener applied it (apply_config_file), so the
 * effective configuration is the listener's until a SIGHUP (the listener
 * re-executes itself with the same arguments, and its later children
 * follow); the logging flags; the socket, the startup pipe and the
 * failure-delay secret on fixed descriptors.  The peer address comes from
 * the socket. */
static int add_path(kg_strlist *out, const char *flag, const char *path)
{
	char buf[4096];
	if (path[0] != '/') {
		char cwd[2048];
		if (!getcwd(cwd, sizeof(cwd)))
			return -1;
		if ((size_t)snprintf(buf, sizeof(buf), "%s/%s", cwd, path) >= sizeof(buf))
			return -1;
		path = buf;
	}
	return kg_strlist_add(out, flag) < 0 || kg_strlist_add(out, path) < 0 ? -1 : 0;
}

static int reexec_argv(const ksshd_args *a, const char *exe, const char *file, kg_strlist *out)
{
	if (kg_strlist_add(out, exe) < 0 || kg_strlist_add(out, "-R") < 0)
		return -1;
	for (int i = 0; i < a->debug; i++)
		if (kg_strlist_add(out, "-d") < 0)
			return -1;
	if ((a->log_stderr && kg_strlist_add(out, "-e") < 0) || (a->quiet && kg_strlist_add(out, "-q") < 0))
		return -1;
	if (file && add_path(out, "-f", file) < 0)
		return -1;
	for (size_t i = 0; i < a->nopts; i++)
		if (kg_strlist_add(out, "-o") < 0 || kg_strlist_add(out, a->opts[i]) < 0)
			return -1;
	for (size_t i = 0; i < a->nhostkeys; i++)
		if (add_path(out, "-h", a->hostkeys[i]) < 0)
			return -1;
	for (size_t i = 0; i < a->nports; i++) {
		char p[16];
		snprintf(p, sizeof(p), "%d", a->ports[i]);
		if (kg_strlist_add(out, "-p") < 0 || kg_strlist_add(out, p) < 0)
			return -1;
	}
	return 0;
}

/* ksshd -R: one connection, on the descriptors the listener left, with
 * the listener's failure-delay secret (the same time for a name on every
 * connection). */
static int serve_reexec(kg_svr_ctx *ctx, kg_logger *log)
{
	int sock, notify;
	if (kg_reexec_take_fds(&sock, &notify) < 0 ||
	    kg_reexec_take_state(ctx->fail_salt, sizeof(ctx->fail_salt)) < 0) {
		/* stderr too: run by hand, the log may be syslog */
		fprintf(stderr, "ksshd: -R is for ksshd's own use: no connection on descriptor %d\n",
			KG_REEXEC_SOCK_FD);
		kg_error(log, "-R is for ksshd's own use: no connection on descriptor %d", KG_REEXEC_SOCK_FD);
		return KG_SVR_EXIT_ERROR;
	}
	int code = KG_SVR_EXIT_ERROR;
	(void)!kg_svr_conn_serve(ctx, sock, notify, &code);
	return code;
}

static int daemonize(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	if (chdir("/") != 0)
		return -1;
	int fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return -1;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	return 0;
}

static void write_pidfile(const char *path, kg_logger *log)
{
	if (!path || !*path || strcmp(path, "none") == 0)
		return;
	FILE *f = fopen(path, "w");
	if (!f) {
		kg_error(log, "Couldn't create pid file \"%s\": %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
}

int main(int argc, char **argv)
{
	ksshd_args a;
	memset(&a, 0, sizeof(a));
	/* As sshd: sessions must not inherit whatever umask started the server
	 * (0000 would make every file a session creates world-writable). */
	umask(022);
	if (parse_args(argc, argv, &a) < 0)
		return 1;
	kg_server_config cfg;
	kg_server_config_init(&cfg);
	const char *cfg_file = NULL;
	char *cfg_text = NULL;  /* the file's text, for the connections; NULL: they read it */
	size_t cfg_len = 0;
	if (load_config(&a, &cfg, &cfg_file, &cfg_text, &cfg_len) < 0) {
		kg_server_config_free(&cfg);
		return a.test_only ? 255 : 1;  /* sshd -t exits 255 on a bad file */
	}
	int level = cfg.log_level;
	if (a.debug)
		level = KG_LOG_DEBUG1 + (a.debug > 3 ? 2 : a.debug - 1);
	if (a.quiet)
		level = KG_LOG_QUIET;
	int to_stderr = a.log_stderr || a.debug || a.test_only;
	kg_logger log;
	kg_log_init(&log, "ksshd", level, !to_stderr, cfg.syslog_facility);
	signal(SIGPIPE, SIG_IGN);

	kg_svr_ctx ctx;
	int rc = 1;
	if (a.nspecs && !a.dump) {
		fprintf(stderr, "ksshd: -C is only meaningful with -T or -G\n");
		goto out;
	}
	if (a.dump == 2) {  /* -G: no host keys needed */
		rc = dump_config(&a, &cfg, &log);
		goto out;
	}
	if (kg_svr_ctx_init(&ctx, &cfg, &log) < 0) {
		kg_svr_ctx_free(&ctx);
		goto out;
	}
	ctx.internal_sftp = internal_sftp;
	if (!a.reexec_child && kg_svr_privsep_check(&log) < 0) {
		kg_svr_ctx_free(&ctx);
		rc = 255;
		goto out;
	}
	if (a.reexec_child) {
		rc = serve_reexec(&ctx, &log);
		kg_svr_ctx_free(&ctx);
		goto out;
	}
	if (a.test_only) {
		rc = a.dump ? dump_config(&a, &cfg, &log) : 0;
		kg_svr_ctx_free(&ctx);
		goto out;
	}
	/* -r: no re-exec (connections share this process's layout). */
	char exe[4096];
	kg_strlist rargv = { NULL, 0 };
	int cfg_fd = -1;
	if (!a.no_reexec) {
		char why[512];
		if (kg_reexec_self_path(exe, sizeof(exe), why, sizeof(why)) < 0) {
			kg_error(&log, "re-exec per connection: %s (-r serves without it)", why);
			kg_svr_ctx_free(&ctx);
			goto out;
		}
		if (reexec_argv(&a, exe, cfg_file, &rargv) < 0) {
			kg_error(&log, "re-exec per connection: cannot build the arguments");
			kg_strlist_free(&rargv);
			kg_svr_ctx_free(&ctx);
			goto out;
		}
		if (cfg_text && kg_reexec_memfd("ksshd_config", cfg_text, cfg_len, &cfg_fd) < 0)
			kg_info(&log, "memfd for the configuration: %s; connections read %s", strerror(errno),
				cfg_file);
	}
	kg_svr_listener l;
	if (kg_svr_listen_open(&l, &cfg, &log) < 0) {
		kg_svr_listen_close(&l);
		kg_svr_ctx_free(&ctx);
		kg_strlist_free(&rargv);
		goto out;
	}
	l.single = a.debug > 0;
	if (!a.no_reexec) {
		l.reexec_path = exe;
		l.reexec_argv = rargv.v;
	}
	l.reexec_config_fd = cfg_fd;
	if (!a.foreground && !a.debug && daemonize() < 0) {
		kg_error(&log, "daemon: %s", strerror(errno));
		goto done;
	}
	/* As sshd: written also with -D, never with -d. */
	if (!a.debug)
		write_pidfile(cfg.pid_file, &log);
	int r = kg_svr_listen_run(&l, &ctx);
	rc = r < 0 ? 1 : 0;
	if (r == 1) {
		kg_svr_listen_close(&l);
		kg_svr_ctx_free(&ctx);
		kg_strlist_free(&rargv);
		kg_server_config_free(&cfg);
		free(cfg_text);
		kg_log_close(&log);
		execv("/proc/self/exe", argv);  /* cfg_fd is close-on-exec */
		return 1;
	}
done:
	kg_svr_listen_close(&l);
	kg_svr_ctx_free(&ctx);
	kg_strlist_free(&rargv);
	if (cfg_fd >= 0)
		close(cfg_fd);
out:
	free(cfg_text);
	kg_server_config_free(&cfg);
	kg_log_close(&log);
	return rc;
}
