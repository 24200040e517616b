/* The client's identities (key files and the agent's keys) and the
 * callbacks the authentication core uses for them; with two helpers the
 * rest of the client set-up shares. */
#ifndef KAGI_CLI_IDENTITIES_H
#define KAGI_CLI_IDENTITIES_H

#include "conn/cli-conn.h"

/* The program's own name for "prog: message" lines (kssh, kscp, ksftp). */
const char *kg_client_prog(const kg_client *c);
/* ~, ${ENV} and %-tokens as ssh_config(5) allows them for keyword kw; an
 * error is reported. */
int kg_client_expand_path(const kg_client *c, const char *kw, const char *raw, char **out) KG_WUR;

/* Fills c->ids from IdentityFile (public halves; a key file without one
 * is read, perhaps asking its passphrase) and then the agent's keys
 * (IdentityAgent, else SSH_AUTH_SOCK; IdentitiesOnly).  Unusable files
 * are skipped with a warning and told to the auth_event observer. */
int kg_cli_identities_prepare(kg_client *c) KG_WUR;
/* kg_cli_auth callbacks; arg is the kg_client. */
int kg_cli_identities_load_private(void *arg, kg_cli_identity *id);
int kg_cli_identities_agent_sign(void *arg, kg_cli_identity *id, const char *alg, const uint8_t *data,
				 size_t len, kg_buf *sig);

#endif
