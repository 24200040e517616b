/* kssh -A / ForwardAgent (yes, no, a socket path or $VAR): the session asks
 * for agent forwarding (auth-agent-req@openssh.com), and each
 * auth-agent@openssh.com channel the server opens is answered by
 * connecting to the local agent, binding that agent connection to this
 * session for forwarding (session-bind@openssh.com), and relaying it.
 * An open that comes when forwarding was not asked for is refused with
 * OpenSSH's warning.  Beyond OpenSSH, kssh -A says once what a forwarded
 * agent exposes. */
#ifndef KAGI_CLI_AGENT_FWD_H
#define KAGI_CLI_AGENT_FWD_H

#include <stddef.h>
#include "core/channel.h"
#include "config/client-config.h"
#include "conn/cli-conn.h"

/* The agent socket cfg forwards (*out malloc'ed; NULL: none): yes is the
 * agent kssh uses (IdentityAgent, or $SSH_AUTH_SOCK), "$VAR" that
 * variable, anything else a path with ~ and the %d %u %h %r %p %n %%
 * tokens expanded (user: the local user). */
int kg_cli_agent_fwd_path(const kg_client_config *cfg, const char *home, const char *user, char **out) KG_WUR;

/* kssh -A (on) / -a: sets ForwardAgent in the flag options (which win
 * over -o and the files); the last of the two flags wins, as in OpenSSH. */
int kg_cli_agent_fwd_flag(kg_strlist *flag_opts, int on) KG_WUR;

/* The one-line warning for forwarding an agent holding nkeys keys to
 * host, into buf. */
void kg_cli_agent_fwd_warning(const char *host, size_t nkeys, char *buf, size_t len);

/* After kg_client_open: serves auth-agent@openssh.com on c's dispatch,
 * and when ForwardAgent asks for it and the agent answers, turns
 * forwarding on (c->agent_fwd_path) and warns (at INFO) about what it
 * exposes when the agent holds keys. */
int kg_cli_agent_fwd_start(kg_client *c) KG_WUR;

/* On a session channel ch just opened: asks for agent forwarding when it
 * is on (no reply is asked for, as OpenSSH's client). */
int kg_cli_agent_fwd_request(kg_client *c, kg_conn *cn, kg_channel *ch) KG_WUR;

#endif
