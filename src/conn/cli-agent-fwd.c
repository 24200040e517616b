/* kssh's side of agent forwarding: the request, the server's opens
 * relayed to the local agent, and the warning. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "conn/cli-agent-fwd.h"
#include "conn/common-forward-relay.h"
#include "config/config-common.h"
#include "sys/agent-sock.h"

int kg_cli_agent_fwd_path(const kg_client_config *cfg, const char *home, const char *user, char **out)
{
	*out = NULL;
	if (cfg->forward_agent != 1 && cfg->forward_agent != 2)
		return KG_OK;
	/* yes forwards the agent kssh itself uses: IdentityAgent when set
	 * (none: no agent at all), else $SSH_AUTH_SOCK. */
	const char *spec = cfg->forward_agent == 1 ? cfg->identity_agent : cfg->forward_agent_spec;
	if (!spec || spec[0] == '$' || strcmp(spec, "SSH_AUTH_SOCK") == 0 ||
	    (cfg->forward_agent == 1 && strcasecmp(spec, "none") == 0))
		return kg_agent_socket_path(spec, out);
	char port[16];
	snprintf(port, sizeof(port), "%d", cfg->port);
	const kg_token tokens[] = {
		{ 'd', home }, { 'u', user }, { 'h', cfg->hostname }, { 'r', cfg->user }, { 'p', port },
		{ 'n', cfg->hostname },
	};
	char *tilde = NULL;
	GUARD(kg_expand_tilde(spec, home, &tilde));
	int r = kg_expand_tokens(tilde, tokens, KG_ARRAY_LEN(tokens), out);
	free(tilde);
	return r;
}

int kg_cli_agent_fwd_flag(kg_strlist *flag_opts, int on)
{
	const char *opt = on ? "ForwardAgent=yes" : "ForwardAgent=no";
	for (size_t i = 0; i < flag_opts->n; i++)
		if (strncmp(flag_opts->v[i], "ForwardAgent=", 13) == 0) {
			char *d = strdup(opt);
			ENSURE(d != NULL, KG_ERR_ALLOC);
			free(flag_opts->v[i]);
			flag_opts->v[i] = d;
			return KG_OK;
		}
	return kg_strlist_add(flag_opts, opt);
}

void kg_cli_agent_fwd_warning(const char *host, size_t nkeys, char *buf, size_t len)
{
	snprintf(buf, len,
		 "Warning: agent forwarded to %s: while you are connected, root there can use its %zu key%s "
		 "(unless added with ssh-add -c or -h); -J keeps the agent at home",
		 host, nkeys, nkeys == 1 ? "" : "s");
}

/* auth-agent@openssh.com from the server. */
static int on_agent_open(void *arg, kg_conn *cn, kg_channel *ch, const kg_conn_event *ev)
{
	kg_client *c = arg;
	(void)ev;
	if (!c->agent_fwd_path) {
		kg_error(c->log, "Warning: ssh server tried agent forwarding.");
		kg_error(c->log, "Warning: this is probably a break-in attempt by a malicious server.");
		return kg_conn_open_fail(cn, ch, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed");
	}
	kg_agent_conn a = { -1 };
	if (kg_agent_open(c->agent_fwd_path, &a) < 0) {
		int err = errno;
		kg_debug(c->log, "client_request_agent: %s: %s", c->agent_fwd_path, strerror(err));
		return kg_conn_open_fail(cn, ch, SSH_OPEN_CONNECT_FAILED, strerror(err));
	}
	/* Bound for forwarding, so the agent can check destination
	 * constraints (ssh-add -h) on the far side's requests; an agent
	 * without the extension is fine. */
	if (kg_agent_session_bind(&a, c->tr, 1) == KG_OK)
		kg_debug(c->log, "client_request_agent: bound agent to hostkey");
	else
		kg_debug2(c->log, "client_request_agent: ssh_agent_bind_hostkey: agent refused operation");
	kg_debug(c->log, "client_input_channel_open: ctype auth-agent@openssh.com");
	int fd = a.fd;
	a.fd = -1;
	return kg_fwd_relay_confirm_fd(&c->eng, c->log, ch, fd, c->agent_fwd_path);
}

int kg_cli_agent_fwd_start(kg_client *c)
{
	GUARD(kg_cli_on_open(&c->dispatch, "auth-agent@openssh.com", on_agent_open, c));
	char *path = NULL;
	GUARD(kg_cli_agent_fwd_path(c->cfg, c->home, c->local_user, &path));
	if (!path)
		return KG_OK;
	if (c->cfg->forward_agent == 2 && c->cfg->forward_agent_spec[0] != '$') {
		struct stat st;
		if (stat(path, &st) != 0) {
			kg_error(c->log, "Cannot forward agent socket path \"%s\": %s", path, strerror(errno));
			free(path);
			return c->cfg->exit_on_forward_failure == 1 ? KG_ERR_NOT_FOUND : KG_OK;
		}
	}
	/* As OpenSSH's client: no agent to be reached, no forwarding. */
	kg_agent_conn a = { -1 };
	if (kg_agent_open(path, &a) < 0) {
		kg_debug(c->log, "ssh_get_authentication_socket: %s", strerror(errno));
		free(path);
		return KG_OK;
	}
	kg_agent_id *ids = NULL;
	size_t n = 0;
	if (kg_agent_list(&a, &ids, &n) == KG_OK && n > 0) {
		/* Whether each key asks for confirmation or is bound to
		 * destinations is the agent's secret: the warning says so. */
		char msg[512];
		kg_cli_agent_fwd_warning(c->cfg->hostname, n, msg, sizeof(msg));
		kg_info(c->log, "%s", msg);
	}
	kg_agent_ids_free(ids, n);
	kg_agent_close(&a);
	free(c->agent_fwd_path);
	c->agent_fwd_path = path;
	return KG_OK;
}

int kg_cli_agent_fwd_request(kg_client *c, kg_conn *cn, kg_channel *ch)
{
	if (!c->agent_fwd_path)
		return KG_OK;
	kg_debug(c->log, "Requesting authentication agent forwarding.");
	return kg_conn_send_request(cn, ch, "auth-agent-req@openssh.com", 0, NULL, 0);
}
