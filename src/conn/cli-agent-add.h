/* AddKeysToAgent: a private key read from a file (its passphrase asked
 * once) is added to the running agent, as OpenSSH's client does: yes,
 * ask (confirmed on the terminal first), confirm (the agent asks before
 * each use), with a lifetime when one is given. */
#ifndef KAGI_CLI_AGENT_ADD_H
#define KAGI_CLI_AGENT_ADD_H

#include "core/auth.h"
#include "conn/cli-conn.h"

/* Checks c->cfg's AddKeysToAgent value: an error (reported) ends the
 * connection before it starts. */
int kg_cli_agent_add_check(kg_client *c) KG_WUR;

/* id's private key was just read from its file: adds it to the agent
 * (IdentityAgent / SSH_AUTH_SOCK) when AddKeysToAgent asks for it.  A
 * missing agent or a refusal is only a debug note. */
void kg_cli_agent_add_key(kg_client *c, const kg_cli_identity *id);

#endif
