/* kssh: the SSH client, with OpenSSH's flags and files. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "core/transport.h"
#include "explain/explain.h"
#include "conn/cli-agent-fwd.h"
#include "conn/cli-conn.h"
#include "conn/cli-forward.h"
#include "conn/cli-session.h"
#include "conn/cli-proc.h"
#include "conn/cli-verbose.h"
#include "conn/cli-mux.h"
#include "conn/cli-mux-server.h"
#include "config/client-config.h"
#include "config/client-dump.h"
#include "config/client-read.h"
#include "config/escape-char.h"
#include "config/cli-query.h"
#include "sys/log.h"

#define EXIT_KAGI_ERROR 255

static void usage(void)
{
	fprintf(stderr,
		"usage: kssh [-246AaCfGgkMNnqsTtVvx] [-c cipher_spec] [-D [bind_address:]port]\n"
		"            [-E log_file] [-e escape_char] [-F configfile] [-i identity_file]\n"
		"            [-J destination] [-L address] [-l login_name] [-m mac_spec]\n"
		"            [-O ctl_cmd] [-o option] [-p port] [-R address] [-S ctl_path]\n"
		"            [-W host:port] [--explain] [--explain-html file]\n"
		"            destination [command [argument ...]]\n");
}

/* OpenSSH flags kssh does not do yet: refused, never accepted and ignored.
 * (-x and -k ask for what kssh does anyway and are accepted.) */
static const struct {
	char flag;
	const char *what;
} unsupported_flags[] = {
	{ 'B', "bind interface" },
	{ 'b', "bind address" }, { 'I', "PKCS#11" },
	{ 'K', "GSSAPI authentication" }, { 'P', "tags" },
	{ 'w', "tunnel forwarding" },
	{ 'X', "X11 forwarding" }, { 'Y', "X11 forwarding" }, { 'y', "logging to syslog" },
};

static int refuse_flag(int c, const char *arg)
{
	(void)arg;
	if (c == '1') {
		fprintf(stderr, "kssh: SSH protocol v.1 is no longer supported\n");
		return KG_ERR_ARG;
	}
	for (size_t i = 0; i < KG_ARRAY_LEN(unsupported_flags); i++)
		if (unsupported_flags[i].flag == c) {
			fprintf(stderr, "kssh: -%c (%s) is not supported yet\n", c, unsupported_flags[i].what);
			return KG_ERR_ARG;
		}
	usage();
	return KG_ERR_ARG;
}

typedef struct cmdline {
	kg_strlist opts;      /* -o and flags turned into options, in order */
	const char *config_file;
	const char *log_file; /* -E: the log goes there (appended) */
	int verbose, quiet, stdin_null, fork;
	int gateway_ports;    /* -g */
	int request_tty;      /* -t/-tt/-T: enum kg_request_tty, -1 unset */
	int session_type;     /* -N/-s: enum kg_session_type, -1 unset */
	int log_level;        /* -v/-q: enum kg_log_level, -1 unset */
	kg_strlist flag_opts; /* the flags above as options: they win over -o */
	int print_config;     /* -G: print the resolved configuration, connect to nothing */
	char *dest_user, *dest_host, *dest_port;
	char *command;
	char *fwd_host;
	int fwd_port;
	int explain;              /* --explain: tell the connection's story */
	const char *explain_html; /* --explain-html FILE */
	int master;               /* -M count (mux) */
	const char *mux_cmd;      /* -O command (mux) */
} cmdline;

static int add_opt(cmdline *cl, const char *key, const char *val)
{
	char *s = malloc(strlen(key) + strlen(val) + 2);
	if (!s)
		return KG_ERR_ALLOC;
	sprintf(s, "%s=%s", key, val);
	int r = kg_strlist_add(&cl->opts, s);
	free(s);
	return r;
}

/* [user@]host, or ssh://[user@]host[:port][/] (the URI draft). */
static int parse_destination(cmdline *cl, const char *arg)
{
	char *d = strdup(arg);
	if (!d)
		return KG_ERR_ALLOC;
	char *host = d;
	if (strncmp(d, "ssh://", 6) == 0) {
		host = d + 6;
		size_t hl = strlen(host);
		if (hl && host[hl - 1] == '/')
			host[hl - 1] = '\0';
		if (strchr(host, '/')) {
			free(d);
			return KG_ERR_ARG;
		}
		char *at = strrchr(host, '@');
		if (at) {
			*at = '\0';
			char *semi = strchr(host, ';');  /* connection parameters: ignored */
			if (semi)
				*semi = '\0';
			cl->dest_user = strdup(host);
			host = at + 1;
		}
		char *colon = NULL;
		if (host[0] == '[') {
			char *end = strchr(host, ']');
			if (!end) {
				free(d);
				return KG_ERR_ARG;
			}
			*end = '\0';
			colon = end[1] == ':' ? end + 1 : NULL;
			host++;
		} else {
			colon = strrchr(host, ':');
		}
		if (colon) {
			*colon = '\0';
			cl->dest_port = strdup(colon + 1);
		}
	} else {
		char *at = strrchr(host, '@');
		if (at) {
			*at = '\0';
			cl->dest_user = strdup(host);
			host = at + 1;
		}
	}
	if (*host == '\0') {
		free(d);
		return KG_ERR_ARG;
	}
	cl->dest_host = strdup(host);
	free(d);
	return KG_OK;
}

/* OpenSSH's option letters (kssh refuses some of them, see above). */
#define OPTS_GETOPT "+1246AaB:b:Cc:D:E:e:F:fGgI:i:J:KkL:l:Mm:NnO:o:P:p:Q:qR:S:sTtVvW:w:XxYy"
#define OPTS_WITH_VALUE "BbcDEeFIiJLlmOoPpQRSWw"
#define OPTS_FLAGS "1246AaCfGgKkMNnqsTtVvXxYy"

/* Takes --explain and --explain-html FILE out of the options before the
 * destination (getopt knows only short options). */
static int take_long_options(cmdline *cl, int *argc, char **argv)
{
	int out = 1, i = 1;
	for (; i < *argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--explain") == 0) {
			cl->explain = 1;
			continue;
		}
		if (strcmp(a, "--explain-html") == 0 || strncmp(a, "--explain-html=", 15) == 0) {
			if (a[14] == '=') {
				cl->explain_html = a + 15;
			} else if (i + 1 < *argc) {
				cl->explain_html = argv[++i];
			} else {
				fprintf(stderr, "kssh: --explain-html needs a file name\n");
				return KG_ERR_ARG;
			}
			if (!*cl->explain_html)
				return KG_ERR_ARG;
			continue;
		}
		if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
			fprintf(stderr, "kssh: unknown option %s\n", a);
			usage();
			return KG_ERR_ARG;
		}
		argv[out++] = argv[i];
		if (a[0] != '-' || strcmp(a, "--") == 0)
			break;  /* the destination: the rest is the command */
		/* An option letter that takes a value, given separately. */
		size_t n = strlen(a);
		if (n >= 2 && strchr(OPTS_WITH_VALUE, a[n - 1]) && strspn(a + 1, OPTS_FLAGS) == n - 2 &&
		    i + 1 < *argc)
			argv[out++] = argv[++i];
	}
	for (i++; i < *argc; i++)
		argv[out++] = argv[i];
	argv[out] = NULL;
	*argc = out;
	return KG_OK;
}

static int parse_args(cmdline *cl, int argc, char **argv)
{
	int c;
	GUARD(take_long_options(cl, &argc, argv));
	optind = 1;
	while (optind < argc) {
		while ((c = getopt(argc, argv, OPTS_GETOPT)) != -1) {
			int r = KG_OK;
			switch (c) {
			case '4': r = add_opt(cl, "AddressFamily", "inet"); break;
			case '6': r = add_opt(cl, "AddressFamily", "inet6"); break;
			case 'C': r = add_opt(cl, "Compression", "yes"); break;
			case 'c': r = add_opt(cl, "Ciphers", optarg); break;
			case 'm': r = add_opt(cl, "MACs", optarg); break;
			case 'i': r = add_opt(cl, "IdentityFile", optarg); break;
			case 'J': r = add_opt(cl, "ProxyJump", optarg); break;
			case 'l': r = add_opt(cl, "User", optarg); break;
			case 'p': r = add_opt(cl, "Port", optarg); break;
			case 'o': r = kg_strlist_add(&cl->opts, optarg); break;
			case 'F': cl->config_file = optarg; break;
			case 'e': {
				int ec;
				if (kg_escape_char_parse(optarg, &ec) < 0) {
					fprintf(stderr, "kssh: Bad escape character '%s'.\n", optarg);
					return KG_ERR_ARG;
				}
				r = add_opt(cl, "EscapeChar", optarg);
				break;
			}
			case 'n': cl->stdin_null = 1; break;
			case 'f': cl->fork = cl->stdin_null = 1; break;
			case 'N': case 's': {
				int want = c == 'N' ? KG_SESSION_NONE : KG_SESSION_SUBSYSTEM;
				if (cl->session_type >= 0 && cl->session_type != want) {
					fprintf(stderr, "kssh: Cannot specify -%c with -%c/SessionType\n", c, c == 'N' ? 's' : 'N');
					return KG_ERR_ARG;
				}
				cl->session_type = want;
				break;
			}
			case 'W': {
				/* host:port or [v6addr]:port */
				char *spec = strdup(optarg), *colon = strrchr(spec, ':');
				char *h = spec;
				if (!colon || colon == spec || !colon[1]) {
					fprintf(stderr, "kssh: bad stdio forwarding specification '%s'\n", optarg);
					free(spec);
					return KG_ERR_ARG;
				}
				*colon = '\0';
				if (h[0] == '[' && colon[-1] == ']') {
					h++;
					colon[-1] = '\0';
				}
				cl->fwd_host = strdup(h);
				cl->fwd_port = atoi(colon + 1);
				free(spec);
				if (cl->fwd_port <= 0 || cl->fwd_port > 65535) {
					fprintf(stderr, "kssh: bad port in '%s'\n", optarg);
					return KG_ERR_ARG;
				}
				break;
			}
			case 'L': case 'R': case 'D': {
				/* fwd: checked now, set up after authentication ahead of the files' ones */
				char msg[160];
				if (kg_cli_forwards_check_arg(c, optarg, msg, sizeof(msg)) < 0) {
					fprintf(stderr, "%s\n", msg);
					return KG_ERR_ARG;
				}
				r = add_opt(cl, c == 'L' ? "LocalForward" : c == 'R' ? "RemoteForward" : "DynamicForward",
					    optarg);
				break;
			}
			case 'g': cl->gateway_ports = 1; break;
			case 'E': cl->log_file = optarg; break;
			case 'M': cl->master++; break;
			case 'S': r = add_opt(cl, "ControlPath", optarg); break;
			case 'O':
				if (!kg_cli_mux_command_known(optarg)) {
					fprintf(stderr, "kssh: Invalid multiplex command.\n");
					return KG_ERR_ARG;
				}
				cl->mux_cmd = optarg;
				break;
			case 'G': cl->print_config = 1; break;
			case 'Q':
				if (kg_cli_query(optarg, stdout) < 0) {
					fprintf(stderr, "kssh: Unsupported query \"%s\"\n", optarg);
					exit(EXIT_KAGI_ERROR);
				}
				exit(fflush(stdout) == 0 ? 0 : EXIT_KAGI_ERROR);
			case 'q': cl->quiet = 1; cl->log_level = KG_LOG_QUIET; break;
			case 't': cl->request_tty = cl->request_tty == KG_TTY_YES ? KG_TTY_FORCE : KG_TTY_YES; break;
			case 'T': cl->request_tty = KG_TTY_NO; break;
			case 'v':
				/* As ssh: the first -v means DEBUG1 whatever came before, each more one level up. */
				if (!cl->verbose) {
					cl->verbose = 1;
					cl->log_level = KG_LOG_DEBUG1;
				} else if (cl->log_level < KG_LOG_DEBUG3) {
					cl->verbose++;
					cl->log_level++;
				}
				break;
			case 'V':
				fprintf(stderr, "%s, %s\n", &KG_TR_VERSION[8], OpenSSL_version(OPENSSL_VERSION));
				exit(0);
			case 'A': case 'a':  /* agentfwd: -A / -a, winning over -o; the last one wins */
				r = kg_cli_agent_fwd_flag(&cl->flag_opts, c == 'A');
				break;
			case '2': case 'k': case 'x':
				break;  /* protocol 2, no GSSAPI/X11 forwarding: what kssh does */
			default:
				r = refuse_flag(c, optarg);
				break;
			}
			if (r < 0)
				return r;
		}
		if (optind >= argc)
			break;
		if (cl->dest_host) {
			/* Everything after the destination is the command. */
			break;
		}
		if (parse_destination(cl, argv[optind]) < 0) {
			fprintf(stderr, "kssh: invalid destination: %s\n", argv[optind]);
			return KG_ERR_ARG;
		}
		optind++;
		/* Options may follow the destination, as with OpenSSH. */
	}
	if (!cl->dest_host) {
		usage();
		return KG_ERR_ARG;
	}
	size_t len = 0;
	for (int i = optind; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (len) {
		cl->command = calloc(1, len);
		if (!cl->command)
			return KG_ERR_ALLOC;
		for (int i = optind; i < argc; i++) {
			if (i > optind)
				strcat(cl->command, " ");
			strcat(cl->command, argv[i]);
		}
	}
	return KG_OK;
}

/* errfd: where a bad option or file is reported (stderr, or -E's file). */
static int load_config(kg_client_config *cfg, cmdline *cl, const char *home, const char *local_user, int errfd)
{
	kg_cfg_err err;
	for (size_t i = 0; i < cl->flag_opts.n; i++)
		if (kg_client_config_apply_option(cfg, cl->flag_opts.v[i], &err) < 0) {
			dprintf(errfd, "kssh: %s\n", err.msg);
			return KG_ERR_CONFIG;
		}
	for (size_t i = 0; i < cl->opts.n; i++)
		if (kg_client_config_apply_option(cfg, cl->opts.v[i], &err) < 0) {
			dprintf(errfd, "kssh: %s\n", err.msg);
			return KG_ERR_CONFIG;
		}
	if (cl->dest_user) {
		char *o = malloc(strlen(cl->dest_user) + 6);
		if (!o)
			return KG_ERR_ALLOC;
		sprintf(o, "User=%s", cl->dest_user);
		int r = kg_client_config_apply_option(cfg, o, &err);
		free(o);
		if (r < 0) {
			dprintf(errfd, "kssh: %s\n", err.msg);
			return r;
		}
	}
	if (cl->dest_port) {
		char *o = malloc(strlen(cl->dest_port) + 6);
		if (!o)
			return KG_ERR_ALLOC;
		sprintf(o, "Port=%s", cl->dest_port);
		int r = kg_client_config_apply_option(cfg, o, &err);
		free(o);
		if (r < 0) {
			dprintf(errfd, "kssh: %s\n", err.msg);
			return r;
		}
	}
	/* Match command / sessiontype see the command asked for. */
	cfg->command_line = cl->command;
	kg_cli_read rd = {
		.host = cl->dest_host, .config_file = cl->config_file, .home = home, .local_user = local_user,
	};
	err.msg[0] = '\0';
	int r = kg_client_config_read(cfg, &rd, &err);
	if (r < 0)
		dprintf(errfd, "kssh: %s\n", err.msg[0] ? err.msg : kg_err_str(r));
	return r;
}

static int start_explain(const cmdline *cl, const kg_client_config *cfg, kg_client *c, kg_explain **out)
{
	kg_explain_i18n_init();
	kg_explain *ex;
	GUARD(kg_explain_new(&ex, "kssh"));
	if (cl->explain)
		kg_explain_set_live(ex, stderr);
	int r = kg_explain_set_target(ex, cfg->user, cfg->hostname, cfg->port);
	for (size_t i = 0; r >= 0 && !cfg->identity_files_default && i < cfg->identity_files.n; i++)
		r = kg_explain_note_identity_file(ex, cfg->identity_files.v[i]);
	if (r >= 0 && cfg->proxy_jump && strcmp(cfg->proxy_jump, "none") != 0)
		r = kg_explain_note_jump(ex, cfg->proxy_jump);
	if (r < 0) {
		kg_explain_free(ex);
		return r;
	}
	c->hooks = (kg_client_hooks){
		.trace = kg_explain_on_trace, .kex_done = kg_explain_on_kex, .hostkey = kg_explain_on_hostkey,
		.auth_event = kg_explain_on_auth, .peer_version = kg_explain_on_peer_version, .arg = ex,
	};
	*out = ex;
	return KG_OK;
}

static void finish_explain(const cmdline *cl, kg_explain *ex, int result)
{
	kg_explain_note_outcome(ex, result);
	if (cl->explain)
		kg_explain_text_finish(ex, stderr);
	if (cl->explain_html && kg_explain_html_write(ex, cl->explain_html) < 0)
		fprintf(stderr, "kssh: cannot write %s\n", cl->explain_html);
}

static void free_cmdline(cmdline *cl)
{
	kg_strlist_free(&cl->opts);
	kg_strlist_free(&cl->flag_opts);
	free(cl->command);
	free(cl->dest_user);
	free(cl->dest_host);
	free(cl->dest_port);
	free(cl->fwd_host);
}

/* The flags that set options directly (they win over -o and the files). */
static int flag_options(cmdline *cl)
{
	static const char *const tty[] = { "no", "yes", "force" };
	static const char *const st[] = { "default", "none", "subsystem" };
	kg_strlist *l = &cl->flag_opts;
	char o[64];
	if (cl->request_tty >= 0) {
		snprintf(o, sizeof(o), "RequestTTY=%s", tty[cl->request_tty]);
		GUARD(kg_strlist_add(l, o));
	}
	if (cl->session_type >= 0) {
		snprintf(o, sizeof(o), "SessionType=%s", st[cl->session_type]);
		GUARD(kg_strlist_add(l, o));
	}
	if (cl->log_level >= 0) {
		snprintf(o, sizeof(o), "LogLevel=%s", kg_log_level_name(cl->log_level));
		GUARD(kg_strlist_add(l, o));
	}
	if (cl->stdin_null)
		GUARD(kg_strlist_add(l, "StdinNull=yes"));
	if (cl->fork)
		GUARD(kg_strlist_add(l, "ForkAfterAuthentication=yes"));
	if (cl->gateway_ports)
		GUARD(kg_strlist_add(l, "GatewayPorts=yes"));
	if (cl->master)
		GUARD(kg_strlist_add(l, cl->master > 1 ? "ControlMaster=ask" : "ControlMaster=yes"));
	return KG_OK;
}

int main(int argc, char **argv)
{
	cmdline cl;
	memset(&cl, 0, sizeof(cl));
	cl.request_tty = cl.session_type = cl.log_level = -1;
	if (parse_args(&cl, argc, argv) < 0 || flag_options(&cl) < 0) {
		free_cmdline(&cl);  /* refused flags exit here: leave nothing behind */
		return EXIT_KAGI_ERROR;
	}
	struct passwd *pw = getpwuid(getuid());
	if (!pw) {
		fprintf(stderr, "kssh: no user exists for uid %lu\n", (unsigned long)getuid());
		return EXIT_KAGI_ERROR;
	}
	char *local_user = strdup(pw->pw_name);
	char *home = strdup(pw->pw_dir);
	if (!local_user || !home)
		return EXIT_KAGI_ERROR;
	/* -E first: what is wrong with the configuration goes there too. */
	int lfd = -1;
	if (cl.log_file) {
		lfd = open(cl.log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (lfd < 0)
			fprintf(stderr, "Couldn't open logfile %s: %s\n", cl.log_file, strerror(errno));
	}
	kg_client_config cfg;
	kg_client_config_init(&cfg);
	if (load_config(&cfg, &cl, home, local_user, lfd >= 0 ? lfd : STDERR_FILENO) < 0) {
		kg_client_config_free(&cfg);
		free_cmdline(&cl);
		free(local_user);
		free(home);
		return EXIT_KAGI_ERROR;
	}
	kg_logger lg;
	kg_log_init(&lg, "kssh", cfg.log_level, 0, 0);
	if (lfd >= 0)
		lg.fd = lfd;
	if (cl.verbose)  /* hk: the version first, as ssh -v */
		kg_info(&lg, "%s, %s", &KG_TR_VERSION[8], OpenSSL_version(OPENSSL_VERSION));
	int esc_ch = KG_ESCAPE_DEFAULT;
	if (cfg.escape_char && kg_escape_char_parse(cfg.escape_char, &esc_ch) < 0) {
		fprintf(stderr, "kssh: Bad escape character '%s'.\n", cfg.escape_char);
		kg_client_config_free(&cfg);
		free_cmdline(&cl);
		free(local_user);
		free(home);
		return EXIT_KAGI_ERROR;
	}
	int session_none = cfg.session_type == KG_SESSION_NONE || cl.fwd_host;
	if (cfg.session_type == KG_SESSION_SUBSYSTEM && !cl.command && !cl.fwd_host) {
		fprintf(stderr, "You must specify a subsystem to invoke.\n");
		usage();
		return EXIT_KAGI_ERROR;
	}
	if (cfg.fork_after_authentication == 1 && !cl.command && !session_none) {
		kg_error(&lg, "Cannot fork into background without a command to execute.");
		return EXIT_KAGI_ERROR;
	}
	int stdin_null = cfg.stdin_null == 1 || cfg.fork_after_authentication == 1;
	/* A pty for an interactive shell on a terminal, or when asked (ssh's rules and warning). */
	kg_cli_tty_in ti = {
		.request_tty = cfg.request_tty, .has_command = cl.command != NULL, .session_none = session_none,
		.stdin_tty = isatty(STDIN_FILENO), .stdin_null = stdin_null,
	};
	int tty_warn;
	int want_tty = kg_cli_want_tty(&ti, &tty_warn);
	if (tty_warn)
		kg_info(&lg, KG_CLI_NO_TTY_MSG);
	char fmsg[256];
	if (kg_cli_forwards_check_config(&cfg, fmsg, sizeof(fmsg)) < 0 ||
	    kg_cli_rfwd_check_config(&cfg, fmsg, sizeof(fmsg)) < 0) {  /* rfwd: PermitRemoteOpen */
		fprintf(stderr, "kssh: %s\n", fmsg);
		kg_client_config_free(&cfg);
		free_cmdline(&cl);
		free(local_user);
		free(home);
		return EXIT_KAGI_ERROR;
	}
	if (cl.print_config) {
		int pr = kg_client_config_dump(&cfg, cl.dest_host, home, local_user, &lg, stdout);
		if (fflush(stdout) != 0 && pr == KG_OK)
			pr = KG_ERR_SYSTEM;
		kg_client_config_free(&cfg);
		free_cmdline(&cl);
		free(local_user);
		free(home);
		return pr == KG_OK ? 0 : EXIT_KAGI_ERROR;
	}
	kg_client_config_log_unsupported(&cfg, &lg);
	for (size_t i = 0; i < cfg.warnings.n; i++)
		kg_verbose(&lg, "%s", cfg.warnings.v[i]);

	/* mux: -O, or a session through a master already there. */
	kg_cli_mux mx;
	kg_cli_mux_request mrq = {
		.command = cl.command, .subsystem = cfg.session_type == KG_SESSION_SUBSYSTEM, .want_tty = want_tty,
		.stdin_null = stdin_null, .session_none = session_none, .hostname = cfg.hostname,
		.escape_char = esc_ch == KG_ESCAPE_NONE ? (int)KG_MUX_NO_ESCAPE : esc_ch,
		.fwd_host = cl.fwd_host, .fwd_port = cl.fwd_port, .quiet = cl.quiet, .cfg = &cfg,
		.send_forwards = 1,
	};
	int mux_status = -1;
	if (kg_cli_mux_init(&mx, &cfg, cl.dest_host, local_user, home, &lg) < 0) {
		mux_status = EXIT_KAGI_ERROR;
	} else if (cl.mux_cmd) {
		mux_status = kg_cli_mux_command(&mx, cl.mux_cmd, &cfg, &lg);
	} else if (mx.path && mx.master != KG_CLI_MUX_YES && mx.master != KG_CLI_MUX_ASK) {
		int st = EXIT_KAGI_ERROR;
		int mr = kg_cli_mux_client_session(&mx, &mrq, &lg, &st);
		if (mr != KG_ERR_NOT_FOUND)  /* else no master there: connect */
			mux_status = mr < 0 ? EXIT_KAGI_ERROR : st;
	}
	if (mux_status >= 0) {
		kg_cli_mux_free(&mx);
		kg_client_config_free(&cfg);
		free_cmdline(&cl);
		free(local_user);
		free(home);
		return mux_status;
	}

	kg_client c;
	memset(&c, 0, sizeof(c));
	c.cfg = &cfg;
	c.local_user = local_user;
	c.home = home;
	c.log = &lg;
	c.fd = -1;
	c.config_file = cl.config_file;
	c.verbose = cl.verbose;
	c.hk_ask_ok = !cl.command && !cl.fwd_host && cfg.request_tty != KG_TTY_NO && cfg.log_level >= KG_LOG_INFO;
	kg_explain *ex = NULL;
	if ((cl.explain || cl.explain_html) && start_explain(&cl, &cfg, &c, &ex) < 0)
		return EXIT_KAGI_ERROR;
	int status = EXIT_KAGI_ERROR;
	int r = kg_client_open(&c);
	uint64_t hk_start = kg_monotonic_ms();  /* hk: for the -v transfer totals */
	kg_cli_session_opts so = {
		.escape_on = 1, .escape_char = esc_ch,
		.escape_cmdline = cfg.enable_escape_commandline,
		.command = cl.command, .subsystem = cfg.session_type == KG_SESSION_SUBSYSTEM, .want_tty = want_tty,
		.stdin_null = stdin_null, .quiet = cl.quiet,
		.forward_host = cl.fwd_host, .forward_port = cl.fwd_port,
	};
	if (r == KG_OK)
		r = kg_cli_agent_fwd_start(&c);  /* agentfwd: -A / ForwardAgent */
	if (r == KG_OK && ex && c.agent_fwd_path)
		kg_explain_note_agent_forward(ex);
	/* mux: this connection is shared from here on. */
	kg_cli_mux_server *msrv = NULL;
	if (r == KG_OK && mx.path && mx.master != KG_CLI_MUX_NO)
		(void)!kg_cli_mux_server_start(&c, mx.path, mx.master == KG_CLI_MUX_ASK || mx.master == KG_CLI_MUX_AUTOASK,
					       &msrv);
	if (msrv) {
		so.keep_open = 1;
		so.stop = kg_cli_mux_server_stop_flag(msrv);
		so.add_signal = kg_cli_mux_server_add_signal;
		so.signal_arg = msrv;
	}
	/* fwd: the forwardings are set up here, before -f goes to the background. */
	kg_cli_forwards *fw = NULL;
	if (r == KG_OK)
		r = kg_cli_forwards_new(&c, &fw);
	if (r == KG_OK)
		r = kg_cli_forwards_start(fw);
	so.forward_cmd = kg_cli_forwards_command;
	so.forward_arg = fw;
	if (msrv && fw)
		kg_cli_mux_server_set_forwards(msrv, fw);
	/* mux: ControlPersist: the master goes on in the background, this
	 * process runs the session through it. */
	if (r == KG_OK && msrv && mx.persist >= 0 && cfg.fork_after_authentication != 1)
		kg_cli_mux_server_persist(msrv, &mx, &mrq, mx.persist);
	if (fw)
		so.idle = kg_cli_forwards_idle;
	if (r == KG_OK && cfg.fork_after_authentication == 1)
		r = kg_cli_proc_background(&c, session_none && !cl.fwd_host ? NULL : &so);
	if (r == KG_OK && msrv && session_none && !cl.fwd_host) {
		status = kg_cli_mux_server_end(msrv, mx.persist > 0 ? mx.persist : KG_CLI_MUX_RUN_FOREVER);
		msrv = NULL;
	} else if (r == KG_OK && session_none && !cl.fwd_host) {
		status = kg_cli_proc_wait(&c);
	} else if (r == KG_OK) {
		if (want_tty && isatty(STDIN_FILENO))
			lg.crlf = 1;
		r = kg_cli_session_run(&c, &so, &status);
		if (r < 0)
			status = EXIT_KAGI_ERROR;
		if (msrv) {
			/* The shared sessions end before the connection does. */
			int stopped = *so.stop;
			int ms = kg_cli_mux_server_end(msrv, mx.persist > 0 ? mx.persist : KG_CLI_MUX_RUN_SESSIONS);
			msrv = NULL;
			if (r >= 0 && stopped)
				status = ms ? ms : EXIT_KAGI_ERROR;
		}
		lg.crlf = 0;
	}
	if (r == KG_OK)
		kg_cli_verbose_end(&lg, c.tr, hk_start, status);
	if (ex)
		finish_explain(&cl, ex, r < 0 ? r : KG_OK);
	kg_cli_forwards_free(fw);
	kg_cli_mux_server_free(msrv);
	kg_cli_mux_free(&mx);
	kg_client_close(&c);
	kg_explain_free(ex);
	kg_client_config_free(&cfg);
	free_cmdline(&cl);
	free(local_user);
	free(home);
	return status;
}
