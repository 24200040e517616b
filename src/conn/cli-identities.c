/* The client's identities: key files (IdentityFile, their .pub halves or
 * the private key itself) and the agent's keys, loaded before user
 * authentication, and the signing and loading callbacks the
 * authentication core calls for them (see cli-identities.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "config/client-tokens.h"
#include "conn/cli-agent-add.h"
#include "conn/cli-identities.h"
#include "conn/cli-keyload.h"
#include "conn/cli-verbose.h"
#include "core/keyfile.h"

/* The program's own name for "prog: message" lines (kssh, kscp, ksftp). */
const char *kg_client_prog(const kg_client *c)
{
	return c->log && c->log->ident ? c->log->ident : "kssh";
}

int kg_cli_identities_load_private(void *arg, kg_cli_identity *id)
{
	kg_client *c = arg;
	if (id->priv)
		return KG_OK;
	int r = kg_client_load_private(c->log, id->path, c->cfg->batch_mode == 1, &id->priv);
	if (r == KG_OK)
		kg_cli_agent_add_key(c, id);  /* agentfwd: AddKeysToAgent */
	return r;
}

/* ~, ${ENV} and %-tokens as ssh_config(5) allows them for keyword kw. */
int kg_client_expand_path(const kg_client *c, const char *kw, const char *raw, char **out)
{
	kg_cfg_err e;
	int r = kg_cli_expand(c->cfg, c->home, c->local_user, kw, raw, out, &e);
	if (r == KG_ERR_CONFIG)
		kg_error(c->log, "%s: %s", kg_client_prog(c), e.msg);
	return r;
}

/* Tells the observer (--explain) about an identity or agent before
 * authentication starts: a key file that cannot be used, the agent. */
static void id_event(const kg_client *c, enum kg_cli_auth_event_type type, const char *path, int err,
		     size_t count)
{
	if (!c->hooks.auth_event)
		return;
	kg_cli_identity id = { .path = path, .from_cmdline = !c->cfg->identity_files_default };
	kg_cli_auth_event ev = { .type = type, .text = type == KG_AUTH_EV_AGENT ? path : NULL,
				 .id = type == KG_AUTH_EV_AGENT ? NULL : &id, .err = err, .count = count };
	c->hooks.auth_event(c->hooks.arg, &ev);
}

/* Connects to the agent (IdentityAgent, else SSH_AUTH_SOCK) and puts its
 * keys among the identities; an agent that cannot be reached is skipped. */
static int open_agent(kg_client *c)
{
	c->agent.fd = -1;
	if (c->cfg->pubkey_authentication == 0)
		return KG_OK;
	const char *ia = c->cfg->identity_agent;
	char *path = NULL;
	if (ia && strcasecmp(ia, "none") != 0 && strcmp(ia, "SSH_AUTH_SOCK") != 0 && ia[0] != '$') {
		GUARD(kg_client_expand_path(c, "IdentityAgent", ia, &path));
	} else {
		GUARD(kg_agent_socket_path(ia, &path));
	}
	if (!path)
		return KG_OK;
	if (kg_agent_open(path, &c->agent) < 0) {
		kg_debug(c->log, "get_agent_identities: ssh_get_authentication_socket: %s", strerror(errno));
		id_event(c, KG_AUTH_EV_AGENT, path, KG_ERR_SYSTEM, 0);
		free(path);
		return KG_OK;
	}
	c->agent_path = path;
	int n = kg_agent_merge_identities(&c->agent, c->cfg->identities_only == 1, &c->ids, &c->n_ids);
	if (n < 0) {
		kg_debug(c->log, "get_agent_identities: agent refused the list: %s", kg_err_str(n));
		id_event(c, KG_AUTH_EV_AGENT, path, n, 0);
		kg_agent_close(&c->agent);
		c->agent.fd = -1;
		return KG_OK;
	}
	kg_debug(c->log, "get_agent_identities: agent returned %d keys", n);
	id_event(c, KG_AUTH_EV_AGENT, path, KG_OK, (size_t)n);
	return KG_OK;
}

int kg_cli_identities_agent_sign(void *arg, kg_cli_identity *id, const char *alg, const uint8_t *data,
				size_t len, kg_buf *sig)
{
	kg_client *c = arg;
	ENSURE(c->agent.fd >= 0, KG_ERR_NOT_FOUND);
	kg_buf blob;
	kg_buf_init(&blob, 0);
	int r = kg_key_to_blob(id->pub, &blob);
	if (r >= 0)
		r = kg_agent_sign(&c->agent, kg_buf_ptr(&blob), kg_buf_len(&blob), data, len,
				  kg_agent_sign_flags(id->pub->type, alg), sig);
	if (r < 0)
		kg_debug(c->log, "agent refused to sign with %s: %s", id->path ? id->path : "", kg_err_str(r));
	kg_buf_free(&blob);
	return r;
}

/* Loads the public half of every identity: from "path.pub", or else from
 * the private key file itself (which may ask for its passphrase). */
int kg_cli_identities_prepare(kg_client *c)
{
	const kg_strlist *files = &c->cfg->identity_files;
	c->ids = calloc(files->n ? files->n : 1, sizeof(*c->ids));
	ENSURE(c->ids != NULL, KG_ERR_ALLOC);
	for (size_t i = 0; i < files->n; i++) {
		char *path = NULL;
		if (kg_client_expand_path(c, "IdentityFile", files->v[i], &path) < 0)
			continue;
		kg_cli_identity *id = &c->ids[c->n_ids];
		char *pubpath = malloc(strlen(path) + 5);
		ENSURE(pubpath != NULL, KG_ERR_ALLOC);
		sprintf(pubpath, "%s.pub", path);
		char *text = NULL;
		size_t len;
		if (kg_read_text_file(pubpath, 64 * 1024, &text, &len, NULL) == KG_OK) {
			if (kg_key_from_line(text, &id->pub) < 0)
				id->pub = NULL;
			free(text);
		}
		free(pubpath);
		/* IdentityFile naming the public key itself (the agent holds
		 * the private half), as OpenSSH allows. */
		if (!id->pub && kg_read_text_file(path, 64 * 1024, &text, &len, NULL) == KG_OK) {
			if (kg_key_from_line(text, &id->pub) < 0)
				id->pub = NULL;
			OPENSSL_cleanse(text, len);  /* it may have been the private key */
			free(text);
		}
		if (!id->pub) {
			if (access(path, F_OK) != 0) {
				if (!c->cfg->identity_files_default) {
					kg_info(c->log, "Warning: Identity file %s not accessible: %s.", path, strerror(errno));
					id_event(c, KG_AUTH_EV_KEY_UNUSABLE, path, KG_ERR_NOT_FOUND, 0);
				}
				free(path);
				continue;
			}
			int lr = kg_client_load_private(c->log, path, c->cfg->batch_mode == 1, &id->priv);
			if (lr >= 0)
				lr = kg_key_public_copy(id->priv, &id->pub);
			if (lr < 0) {
				id_event(c, KG_AUTH_EV_KEY_UNUSABLE, path, lr, 0);
				kg_key_free(id->priv);
				id->priv = NULL;
				free(path);
				continue;
			}
		}
		id->path = path;
		id->from_cmdline = !c->cfg->identity_files_default;
		kg_debug(c->log, "identity file %s type %d", path, kg_cli_verbose_keytype_num(id->pub->type));
		c->n_ids++;
	}
	return open_agent(c);
}
