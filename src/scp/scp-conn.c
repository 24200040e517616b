/* kscp's connections: in-process SSH clients (one per destination, reused
 * while the destination stays the same), or a -S transport program. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "scp/scp-client.h"

/* The observer (kscp's --explain) is told first: it may watch the
 * connection from before it opens. */
static int observe_open(kg_scp_client *cl, kg_scp_conn *k)
{
	k->obs = &cl->obs;
	return cl->obs.open ? cl->obs.open(cl->obs.arg, k) : KG_OK;
}

static void observe_close(kg_scp_conn *k, int outcome)
{
	if (k->obs && k->obs->close)
		k->obs->close(k->obs->arg, k, outcome);
	k->story = NULL;
	k->c.hooks = (kg_client_hooks){ 0 };
}

static void conn_close(kg_scp_conn *k, int outcome)
{
	observe_close(k, outcome);
	if (k->open) {
		kg_client_close(&k->c);
		kg_client_config_free(&k->cfg);
	}
	free(k->key);
	memset(k, 0, sizeof(*k));
}

void kg_scp_conns_close(kg_scp_client *cl)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(cl->conns); i++)
		conn_close(&cl->conns[i], KG_OK);
}

void kg_scp_note_transfer(const kg_scp_remote *rm, const char *protocol, const char *local_path,
			     const char *remote_path, uint64_t bytes, int upload)
{
	const kg_scp_conn *k = rm->conn;
	if (k && k->story && k->obs && k->obs->transfer)
		k->obs->transfer(k->obs->arg, rm->conn, protocol, local_path, remote_path, bytes, upload);
}

static int conn_get(kg_scp_client *cl, int slot, const kg_scp_operand *op, kg_scp_conn **out)
{
	kg_scp_conn *k = &cl->conns[slot];
	size_t kl = strlen(op->host) + (op->user ? strlen(op->user) : 0) + (op->port ? strlen(op->port) : 0) + 4;
	char *key = malloc(kl);
	ENSURE(key != NULL, KG_ERR_ALLOC);
	snprintf(key, kl, "%s@%s:%s", op->user ? op->user : "", op->host, op->port ? op->port : "");
	if (k->open && strcmp(k->key, key) == 0) {
		free(key);
		*out = k;
		return KG_OK;
	}
	conn_close(k, KG_OK);
	k->key = key;
	kg_client_config_init(&k->cfg);
	int r = kg_cli_args_config(&cl->args, cl->prog, op->host, op->user, op->port, cl->home, cl->local_user,
				   &k->cfg);
	if (r < 0) {
		kg_client_config_free(&k->cfg);
		return r;
	}
	kg_log_init(&k->lg, cl->prog, k->cfg.log_level, 0, 0);
	for (size_t i = 0; i < k->cfg.warnings.n; i++)
		kg_verbose(&k->lg, "%s", k->cfg.warnings.v[i]);
	k->c.cfg = &k->cfg;
	k->c.local_user = cl->local_user;
	k->c.home = cl->home;
	k->c.log = &k->lg;
	k->c.fd = -1;
	k->c.config_file = cl->args.config_file;
	k->c.verbose = cl->args.verbose;
	k->open = 1;
	if ((r = observe_open(cl, k)) < 0 || (r = kg_client_open(&k->c)) < 0) {
		conn_close(k, r);
		return r;
	}
	*out = k;
	return KG_OK;
}

/* Runs the -S program as OpenSSH's scp runs ssh: no forwarding, no tty, the
 * remote command (or -s subsystem) after "--". */
static int spawn_program(kg_scp_client *cl, const kg_scp_operand *op, const char *command,
			 const char *subsystem, kg_scp_remote *rm)
{
	const char *fixed[] = { "-x", "-oPermitLocalCommand=no", "-oClearAllForwardings=yes",
				"-oRemoteCommand=none", "-oRequestTTY=no", "-oControlMaster=no",
				"-oForwardAgent=no" };
	size_t max = KG_ARRAY_LEN(fixed) + cl->args.opts.n + 16;
	char **argv = calloc(max, sizeof(char *));
	char **owned = calloc(cl->args.opts.n + 1, sizeof(char *));
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, r = KG_ERR_SYSTEM;
	if (!argv || !owned) {
		r = KG_ERR_ALLOC;
		goto done;
	}
	size_t a = 0;
	argv[a++] = (char *)cl->ssh_program;
	for (size_t i = 0; i < KG_ARRAY_LEN(fixed); i++)
		argv[a++] = (char *)fixed[i];
	for (size_t i = 0; i < cl->args.opts.n; i++) {
		size_t l = strlen(cl->args.opts.v[i]) + 3;
		if (!(owned[i] = malloc(l))) {
			r = KG_ERR_ALLOC;
			goto done;
		}
		snprintf(owned[i], l, "-o%s", cl->args.opts.v[i]);
		argv[a++] = owned[i];
	}
	if (cl->args.config_file) {
		argv[a++] = "-F";
		argv[a++] = (char *)cl->args.config_file;
	}
	if (cl->args.verbose)
		argv[a++] = "-v";
	if (op->user) {
		argv[a++] = "-l";
		argv[a++] = op->user;
	}
	if (op->port) {
		argv[a++] = "-p";
		argv[a++] = op->port;
	}
	if (subsystem)
		argv[a++] = "-s";
	argv[a++] = "--";
	argv[a++] = op->host;
	argv[a++] = (char *)(subsystem ? subsystem : command);
	argv[a] = NULL;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		goto done;
	rm->pid = fork();
	if (rm->pid < 0)
		goto done;
	if (rm->pid == 0) {
		if (dup2(out[0], STDIN_FILENO) < 0 || dup2(in[1], STDOUT_FILENO) < 0 ||
		    (cl->err_fd != STDERR_FILENO && dup2(cl->err_fd, STDERR_FILENO) < 0))
			_exit(255);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: %s: %s\n", cl->prog, argv[0], strerror(errno));
		_exit(255);
	}
	close(in[1]);
	close(out[0]);
	in[1] = out[0] = -1;
	rm->rfd = in[0];
	rm->wfd = out[1];
	in[0] = out[1] = -1;
	r = kg_scp_io_init_fds(&rm->io, rm->rfd, rm->wfd);
done:
	if (r == KG_ERR_SYSTEM)
		fprintf(stderr, "%s: cannot run %s: %s\n", cl->prog, cl->ssh_program, strerror(errno));
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	if (owned)
		for (size_t i = 0; i < cl->args.opts.n; i++)
			free(owned[i]);
	free(owned);
	free(argv);
	return r;
}

/* mux: the destination's ControlPath names a master that answers: the
 * command runs through it (KG_ERR_NOT_FOUND: connect as usual). */
static int mux_open(kg_scp_client *cl, const kg_scp_operand *op, const char *command, const char *subsystem,
		    kg_scp_remote *rm)
{
	kg_client_config cfg;
	kg_client_config_init(&cfg);
	int r = kg_cli_args_config(&cl->args, cl->prog, op->host, op->user, op->port, cl->home, cl->local_user, &cfg);
	kg_logger lg;
	kg_log_init(&lg, cl->prog, r >= 0 ? cfg.log_level : KG_LOG_ERROR, 0, 0);
	kg_cli_mux mx;
	if (r >= 0)
		r = kg_cli_mux_init(&mx, &cfg, op->host, cl->local_user, cl->home, &lg);
	if (r >= 0) {
		r = kg_cli_mux_pipe_open(&mx, subsystem, command, cl->err_fd, &lg, &rm->mux);
		kg_cli_mux_free(&mx);
	} else {
		r = KG_ERR_NOT_FOUND;  /* the usual way reports the configuration's problems */
	}
	kg_client_config_free(&cfg);
	if (r < 0)
		return r;
	rm->has_mux = 1;
	return kg_scp_io_init_fds(&rm->io, rm->mux.fd, rm->mux.fd);
}

static int remote_open(kg_scp_client *cl, int slot, const kg_scp_operand *op, const char *command,
		       const char *subsystem, kg_scp_remote *rm)
{
	memset(rm, 0, sizeof(*rm));
	rm->rfd = rm->wfd = -1;
	int r;
	if (cl->ssh_program) {
		r = spawn_program(cl, op, command, subsystem, rm);
	} else if ((r = mux_open(cl, op, command, subsystem, rm)) != KG_ERR_NOT_FOUND) {
		if (r < 0)
			return r;
	} else {
		kg_scp_conn *k;
		GUARD(conn_get(cl, slot, op, &k));
		rm->conn = k;
		kg_debug(&k->lg, "Sending command: %s", subsystem ? subsystem : command);
		r = kg_stream_open(&k->c, &rm->st, subsystem, command, cl->err_fd);
		if (r < 0) {
			kg_stream_free(&rm->st);
			/* The connection may be unusable now: do not reuse it. */
			conn_close(k, r);
			return r;
		}
		rm->has_stream = 1;
		kg_scp_io_init_stream(&rm->io, &rm->st);
	}
	if (r == KG_OK)
		rm->io.limit_bps = cl->limit_kbps * 1024 / 8;
	return r;
}

/* Every way this fails (no connection, no authentication, an unknown
 * host key, a failed jump, the command or subsystem refused, no -S
 * program) is a connection failure: kscp exits 255, as ssh does. */
int kg_scp_remote_open(kg_scp_client *cl, int slot, const kg_scp_operand *op, const char *command,
		       const char *subsystem, kg_scp_remote *rm)
{
	int r = remote_open(cl, slot, op, command, subsystem, rm);
	if (r < 0)
		cl->conn_failed = 1;
	return r;
}

int kg_scp_remote_close(kg_scp_remote *rm, int *status)
{
	int r = KG_OK, st = 255;
	if (rm->has_stream) {
		r = kg_stream_close(&rm->st, &st);
		rm->has_stream = 0;
	}
	if (rm->has_mux) {
		r = kg_cli_mux_pipe_close(&rm->mux, &st);
		rm->has_mux = 0;
	}
	if (rm->wfd >= 0)
		close(rm->wfd);
	if (rm->pid > 0) {
		int ws;
		while (waitpid(rm->pid, &ws, 0) < 0 && errno == EINTR)
			;
		st = WIFEXITED(ws) ? WEXITSTATUS(ws) : 255;
		rm->pid = 0;
	}
	if (rm->rfd >= 0)
		close(rm->rfd);
	rm->rfd = rm->wfd = -1;
	kg_scp_io_free(&rm->io);
	if (status)
		*status = st;
	return r;
}
