/* kscp: secure copy, OpenSSH scp's flags and meaning, and its --explain; also
 * the remote end ("kscp -t" / "kscp -f") of a legacy scp copy. */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "explain/explain.h"
#include "scp/scp-client.h"
#include "scp/scp.h"

/* The client and what --explain adds to it. */
typedef struct kscp {
	kg_scp_client cl;
	/* --explain / --explain-html FILE: each in-process connection tells
	 * its story when it closes; the page shows the first one. */
	int explain;
	const char *explain_html;
	unsigned explained;       /* connections told so far */
} kscp;

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-346aABCOpqRrTv] [-c cipher] [-F ssh_config] [-i identity_file]\n"
		"            [-J destination] [-l limit] [-o ssh_option] [-P port]\n"
		"            [-S program] [--explain] [--explain-html file] source ... target\n", prog);
}

/* Takes --explain and --explain-html FILE out of the arguments (getopt
 * knows only short options); they may stand anywhere before "--". */
static int take_long_options(kscp *ks, int *argc, char **argv)
{
	int out = 1, i = 1;
	for (; i < *argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			break;
		if (strcmp(a, "--explain") == 0) {
			ks->explain = 1;
			continue;
		}
		if (strcmp(a, "--explain-html") == 0 || strncmp(a, "--explain-html=", 15) == 0) {
			if (a[14] == '=') {
				ks->explain_html = a + 15;
			} else if (i + 1 < *argc) {
				ks->explain_html = argv[++i];
			} else {
				fprintf(stderr, "%s: --explain-html needs a file name\n", ks->cl.prog);
				return KG_ERR_ARG;
			}
			if (!*ks->explain_html) {
				fprintf(stderr, "%s: --explain-html needs a file name\n", ks->cl.prog);
				return KG_ERR_ARG;
			}
			continue;
		}
		if (strncmp(a, "--", 2) == 0) {
			fprintf(stderr, "%s: unknown option %s\n", ks->cl.prog, a);
			usage(ks->cl.prog);
			return KG_ERR_ARG;
		}
		argv[out++] = argv[i];
		/* An option letter that takes a value, given separately. */
		size_t n = strlen(a);
		if (a[0] == '-' && n >= 2 && strchr("cDFiJloPSX", a[n - 1]) &&
		    strspn(a + 1, "346aABCOpqRrTv") == n - 2 && i + 1 < *argc)
			argv[out++] = argv[++i];
	}
	for (; i < *argc; i++)
		argv[out++] = argv[i];
	argv[out] = NULL;
	*argc = out;
	return KG_OK;
}

/* *argc: the arguments left once the long options are taken out. */
static int parse_args(kscp *ks, int *pargc, char **argv)
{
	kg_scp_client *cl = &ks->cl;
	int ch, r = KG_OK;
	char *end;
	GUARD(take_long_options(ks, pargc, argv));
	int argc = *pargc;
	optind = 1;
	while ((ch = getopt(argc, argv, "346aABCOpqRrTvc:D:F:i:J:l:o:P:S:X:")) != -1) {
		switch (ch) {
		case '3': cl->three = 1; break;
		case '4': r = kg_cli_args_add(&cl->args, "AddressFamily", "inet"); break;
		case '6': r = kg_cli_args_add(&cl->args, "AddressFamily", "inet6"); break;
		case 'a': cl->resume = 1; break;
		case 'B': r = kg_cli_args_add(&cl->args, "BatchMode", "yes"); break;
		case 'C': r = kg_cli_args_add(&cl->args, "Compression", "yes"); break;
		case 'O': cl->legacy = 1; break;
		case 'p': cl->preserve = 1; break;
		case 'q': cl->quiet = 1; cl->args.quiet = 1; break;
		case 'r': cl->recursive = 1; break;
		case 'T': cl->no_name_check = 1; break;
		case 'v': cl->args.verbose++; break;
		case 'c': r = kg_cli_args_add(&cl->args, "Ciphers", optarg); break;
		case 'F': cl->args.config_file = optarg; break;
		case 'i': r = kg_cli_args_add(&cl->args, "IdentityFile", optarg); break;
		case 'J': r = kg_cli_args_add(&cl->args, "ProxyJump", optarg); break;
		case 'o': r = kg_strlist_add(&cl->args.opts, optarg); break;
		case 'P': r = kg_cli_args_add(&cl->args, "Port", optarg); break;
		case 'S': cl->ssh_program = optarg; break;
		case 'l':
			errno = 0;
			cl->limit_kbps = strtoull(optarg, &end, 10);
			if (errno || *end || cl->limit_kbps == 0 || cl->limit_kbps > 100000000ull) {
				fprintf(stderr, "%s: bad bandwidth limit \"%s\"\n", ks->cl.prog, optarg);
				return KG_ERR_ARG;
			}
			break;
		case 'A': case 'R': case 'D': case 'X':
			break;  /* OpenSSH's; nothing to do here */
		default:
			usage(ks->cl.prog);
			return KG_ERR_ARG;
		}
		if (r < 0)
			return r;
	}
	if (argc - optind < 2) {
		usage(ks->cl.prog);
		return KG_ERR_ARG;
	}
	return KG_OK;
}

/* --explain: the story of k's connection starts before it opens.  It is
 * told as it happens unless another connection's story is still open (-3):
 * then it is told whole when it closes, so two stories never interleave. */
static int explain_start(void *arg, kg_scp_conn *k)
{
	kscp *ks = arg;
	kg_explain *ex;
	GUARD(kg_explain_new(&ex, ks->cl.prog));
	int others = 0;
	for (size_t i = 0; i < KG_ARRAY_LEN(ks->cl.conns); i++)
		others |= ks->cl.conns[i].story != NULL;
	if (ks->explain && !others)
		kg_explain_set_live(ex, stderr);
	const kg_client_config *cfg = &k->cfg;
	int r = kg_explain_set_target(ex, cfg->user, cfg->hostname, cfg->port);
	for (size_t i = 0; r >= 0 && !cfg->identity_files_default && i < cfg->identity_files.n; i++)
		r = kg_explain_note_identity_file(ex, cfg->identity_files.v[i]);
	if (r >= 0 && cfg->proxy_jump && strcmp(cfg->proxy_jump, "none") != 0)
		r = kg_explain_note_jump(ex, cfg->proxy_jump);
	if (r < 0) {
		kg_explain_free(ex);
		return r;
	}
	k->c.hooks = (kg_client_hooks){
		.trace = kg_explain_on_trace, .kex_done = kg_explain_on_kex, .hostkey = kg_explain_on_hostkey,
		.auth_event = kg_explain_on_auth, .peer_version = kg_explain_on_peer_version, .arg = ex,
	};
	k->story = ex;
	return KG_OK;
}

/* Tells the rest of the story (outcome: how the connection ended); the
 * page, when asked for, shows the first connection told. */
static void explain_finish(void *arg, kg_scp_conn *k, int outcome)
{
	kscp *ks = arg;
	kg_explain *ex = k->story;
	if (!ex)
		return;
	kg_explain_note_outcome(ex, outcome);
	if (ks->explain)
		kg_explain_text_finish(ex, stderr);
	if (ks->explain_html && ks->explained == 0 && kg_explain_html_write(ex, ks->explain_html) < 0)
		fprintf(stderr, "%s: cannot write %s\n", ks->cl.prog, ks->explain_html);
	ks->explained++;
	kg_explain_free(ex);
	k->story = NULL;
	k->c.hooks = (kg_client_hooks){ 0 };
}

/* A file went through k's connection ("sftp" or "scp"). */
static void explain_transfer(void *arg, kg_scp_conn *k, const char *protocol, const char *local_path,
			     const char *remote_path, uint64_t bytes, int upload)
{
	(void)arg;
	(void)!kg_explain_note_transfer(k->story, protocol, local_path, remote_path, bytes, upload);
}

static int client_main(int argc, char **argv)
{
	kscp ks;
	memset(&ks, 0, sizeof(ks));
	kg_scp_client *cl = &ks.cl;
	cl->prog = "kscp";
	if (parse_args(&ks, &argc, argv) < 0) {
		kg_cli_args_free(&cl->args);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	cl->err_fd = STDERR_FILENO;
	cl->progress = !cl->quiet && isatty(STDOUT_FILENO);
	if (ks.explain || ks.explain_html) {
		if (cl->ssh_program) {
			/* The program makes the connection: kscp sees none of it. */
			fprintf(stderr, "%s: --explain needs kagi's own connection; with -S %s the connection is "
				"made by that program, so there is nothing to explain (copying anyway)\n",
				cl->prog, cl->ssh_program);
			ks.explain = 0;
			ks.explain_html = NULL;
		} else {
			kg_explain_i18n_init();
			cl->obs = (kg_scp_observer){ .open = explain_start, .close = explain_finish,
						    .transfer = explain_transfer, .arg = &ks };
		}
	}
	struct passwd *pw = getpwuid(getuid());
	if (!pw) {
		fprintf(stderr, "%s: no user exists for uid %lu\n", cl->prog, (unsigned long)getuid());
		kg_cli_args_free(&cl->args);
		return 1;
	}
	if (kg_scp_stderr_start(cl) < 0) {
		/* no copy that would show a server's raw bytes on the terminal */
		fprintf(stderr, "%s: cannot start the filter for remote messages: %s\n", cl->prog, strerror(errno));
		kg_cli_args_free(&cl->args);
		return 1;
	}
	cl->local_user = strdup(pw->pw_name);
	cl->home = strdup(pw->pw_dir);
	if (cl->local_user && cl->home)
		kg_scp_run_copies(cl, argv + optind, (size_t)(argc - optind));
	else
		cl->errors++;
	kg_scp_conns_close(cl);
	kg_scp_stderr_finish(cl);
	if ((ks.explain || ks.explain_html) && ks.explained == 0)
		fprintf(stderr, "%s: --explain: no SSH connection was made, so there is nothing to explain\n", cl->prog);
	if (ks.explain_html && ks.explained > 1)
		fprintf(stderr, "%s: %s shows the first of the %u connections made%s\n", cl->prog, ks.explain_html,
			ks.explained, ks.explain ? " (all are told above)" : "");
	kg_cli_args_free(&cl->args);
	free(cl->local_user);
	free(cl->home);
	/* 255 when a connection could not be made or authenticated (kscp
	 * stops there), 1 for files that failed.  OpenSSH's scp 9.2 exits 255
	 * so in SFTP mode; in legacy mode (-O) it says "lost connection" and
	 * exits 1, and in SFTP mode a missing local source is fatal to it
	 * (255).  kscp keeps the one rule in both modes, so a script can tell
	 * a failed connection from a failed file. */
	return cl->conn_failed ? 255 : cl->errors ? 1 : 0;
}

/* The remote role is chosen by -t or -f among the leading options, as
 * the remote shell passes them ("scp -v -r -p -t -- target"). */
static int is_remote_role(int argc, char **argv)
{
	for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (argv[i][1] != '-' && (strchr(argv[i] + 1, 't') || strchr(argv[i] + 1, 'f')) &&
		    strspn(argv[i] + 1, "dfprtvq") == strlen(argv[i] + 1))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (is_remote_role(argc, argv))
		return kg_scp_remote_main(argc, argv);
	/* The character set decides which bytes of a peer's text are shown
	 * as they are (whole UTF-8 characters) and which escaped. */
	(void)setlocale(LC_CTYPE, "");
	return client_main(argc, argv);
}
