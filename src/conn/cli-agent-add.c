/* AddKeysToAgent: putting a key read from a file into the agent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "conn/cli-agent-add.h"
#include "config/add-keys.h"
#include "sys/tty.h"

int kg_cli_agent_add_check(kg_client *c)
{
	kg_add_keys a;
	if (kg_add_keys_parse(c->cfg->add_keys_to_agent, &a) == KG_OK)
		return KG_OK;
	kg_error(c->log, "%s: AddKeysToAgent: unsupported option \"%s\"", c->log && c->log->ident ? c->log->ident : "kssh",
		 c->cfg->add_keys_to_agent);
	return KG_ERR_CONFIG;
}

/* ask: "Add key FILE (COMMENT) to agent?" on the terminal; an empty
 * answer or yes adds it. */
static int ask(const char *path, const char *comment)
{
	char prompt[2200], line[64];
	snprintf(prompt, sizeof(prompt), "Add key %s (%s) to agent? ", path, comment);
	if (kg_tty_read_line(prompt, line, sizeof(line), 1) < 0)
		return 0;
	line[strcspn(line, "\r\n")] = '\0';
	return line[0] == '\0' || strncasecmp(line, "yes", 3) == 0;
}

void kg_cli_agent_add_key(kg_client *c, const kg_cli_identity *id)
{
	kg_add_keys a;
	if (!id->priv || id->from_agent || kg_add_keys_parse(c->cfg->add_keys_to_agent, &a) != KG_OK ||
	    a.mode == KG_ADDKEYS_NO)
		return;
	const char *ia = c->cfg->identity_agent;
	char *path = NULL;
	if (c->agent_path)
		path = strdup(c->agent_path);
	else if (kg_agent_socket_path(ia, &path) < 0)
		path = NULL;
	kg_agent_conn ag = { -1 };
	if (!path || kg_agent_open(path, &ag) < 0) {
		kg_debug3(c->log, "no authentication agent, not adding key");
		free(path);
		return;
	}
	const char *comment = id->priv->comment && *id->priv->comment ? id->priv->comment : id->path;
	if (a.mode == KG_ADDKEYS_ASK && !ask(id->path, comment)) {
		kg_debug3(c->log, "user denied adding this key");
	} else {
		kg_buf req;
		kg_buf_init(&req, 0);
		int r = kg_agent_put_add(&req, id->priv, comment, (uint32_t)a.lifetime, a.mode == KG_ADDKEYS_CONFIRM);
		if (r >= 0)
			r = kg_agent_call_status(&ag, &req);
		kg_buf_free(&req);  /* wiped */
		if (r == KG_OK)
			kg_debug(c->log, "identity added to agent: %s", id->path);
		else
			kg_debug(c->log, "could not add identity to agent: %s (%s)", id->path, kg_err_str(r));
	}
	kg_agent_close(&ag);
	free(path);
}
