/* ProxyJump / -J through a child kssh -W (see cli-jump.h). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "conn/cli-jump.h"
#include "sys/net.h"

/* "[user@]host[:port]" or "[user@][v6]:port"; an ssh:// URI is left
 * whole, for the child to parse. */
static void split_hop(char *hop, char **user, char **host, char **port)
{
	*user = *port = NULL;
	*host = hop;
	if (strncmp(hop, "ssh://", 6) == 0)
		return;
	char *at = strrchr(hop, '@');
	if (at) {
		*at = '\0';
		*user = hop;
		*host = at + 1;
	}
	if (**host == '[') {
		char *end = strchr(*host, ']');
		if (end) {
			*end = '\0';
			*port = end[1] == ':' ? end + 2 : NULL;
			(*host)++;
		}
	} else {
		char *colon = strchr(*host, ':');
		if (colon && !strchr(colon + 1, ':')) {
			*colon = '\0';
			*port = colon + 1;
		}
	}
}

int kg_cli_jump_argv(char *spec, const char *config_file, int verbose, const char *target, char *vflag,
		     const char **argv)
{
	char *hop = spec, *earlier = NULL, *comma = strrchr(spec, ',');
	if (comma) {
		*comma = '\0';
		earlier = spec;
		hop = comma + 1;
	}
	char *user, *host, *port;
	split_hop(hop, &user, &host, &port);
	ENSURE(*host != '\0' && *host != '-', KG_ERR_ARG);
	size_t a = 0;
	argv[a++] = "kssh";
	if (config_file) {
		argv[a++] = "-F";
		argv[a++] = config_file;
	}
	/* vflag holds room for "-vvv". */
	strcpy(vflag, "-v");
	for (int v = 1; v < verbose && v < 3; v++)
		vflag[v + 1] = 'v', vflag[v + 2] = '\0';
	if (verbose)
		argv[a++] = vflag;
	if (earlier) {
		argv[a++] = "-J";
		argv[a++] = earlier;
	}
	if (user) {
		argv[a++] = "-l";
		argv[a++] = user;
	}
	if (port) {
		argv[a++] = "-p";
		argv[a++] = port;
	}
	argv[a++] = "-W";
	argv[a++] = target;
	argv[a++] = "--";  /* a hop named "-o..." must stay a host name */
	argv[a++] = host;
	argv[a] = NULL;
	return KG_OK;
}

int kg_cli_jump_connect(kg_client *c)
{
	const char *prog = c->log && c->log->ident ? c->log->ident : "kssh";
	char *spec = strdup(c->cfg->proxy_jump);
	ENSURE(spec != NULL, KG_ERR_ALLOC);
	char self[PATH_MAX], target[600], vflag[8];
	const char *argv[KG_CLI_JUMP_ARGV];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 16);
	snprintf(target, sizeof(target), strchr(c->cfg->hostname, ':') ? "[%s]:%d" : "%s:%d", c->cfg->hostname,
		 c->cfg->port);
	int r = KG_ERR_SYSTEM;
	if (n <= 0 || *c->cfg->hostname == '\0' ||
	    kg_cli_jump_argv(spec, c->config_file, c->verbose, target, vflag, argv) < 0) {
		kg_error(c->log, "%s: bad jump host specification '%s'", prog, c->cfg->proxy_jump);
		r = KG_ERR_ARG;
		goto out;
	}
	self[n] = '\0';
	strcpy(strrchr(self, '/') + 1, "kssh");
	kg_debug(c->log, "Jumping to %s through %s", target, c->cfg->proxy_jump);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		goto out;
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		goto out;
	}
	if (pid == 0) {
		if (dup2(sv[1], STDIN_FILENO) < 0 || dup2(sv[1], STDOUT_FILENO) < 0)
			_exit(255);
		execv(self, (char *const *)argv);
		_exit(255);
	}
	close(sv[1]);
	c->fd = sv[0];
	c->jump_pid = pid;
	snprintf(c->peer_ip, sizeof(c->peer_ip), "%s", c->cfg->hostname);
	c->peer_port = c->cfg->port;
	r = kg_net_set_nonblock(c->fd, 1);
out:
	if (r == KG_ERR_SYSTEM)
		kg_error(c->log, "%s: cannot start the jump connection: %s", prog, strerror(errno));
	free(spec);
	return r;
}

void kg_cli_jump_reap(kg_client *c)
{
	if (c->jump_pid > 0) {
		/* The hop process ends once its stdin closes; do not wait forever. */
		for (int i = 0; i < 50 && waitpid(c->jump_pid, NULL, WNOHANG) == 0; i++)
			usleep(20000);
		if (waitpid(c->jump_pid, NULL, WNOHANG) == 0) {
			kill(c->jump_pid, SIGTERM);
			waitpid(c->jump_pid, NULL, 0);
		}
		c->jump_pid = 0;
	}
}
