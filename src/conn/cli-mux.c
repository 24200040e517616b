/* Connection sharing's settings: ControlMaster, ControlPersist, and the
 * control path with its tokens (config/client-tokens.h; see cli-mux.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "config/client-tokens.h"
#include "conn/cli-mux.h"

int kg_cli_mux_parse_master(const char *v, int *master)
{
	static const struct {
		const char *name;
		int v;
	} names[] = {
		{ "yes", KG_CLI_MUX_YES }, { "true", KG_CLI_MUX_YES }, { "no", KG_CLI_MUX_NO },
		{ "false", KG_CLI_MUX_NO }, { "ask", KG_CLI_MUX_ASK }, { "auto", KG_CLI_MUX_AUTO },
		{ "autoask", KG_CLI_MUX_AUTOASK },
	};
	ENSURE(v != NULL, KG_ERR_ARG);
	for (size_t i = 0; i < KG_ARRAY_LEN(names); i++)
		if (strcasecmp(v, names[i].name) == 0) {
			*master = names[i].v;
			return KG_OK;
		}
	return KG_ERR_CONFIG;
}

int kg_cli_mux_parse_persist(const char *v, int *secs)
{
	ENSURE(v != NULL, KG_ERR_ARG);
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0) {
		*secs = 0;
		return KG_OK;
	}
	if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0) {
		*secs = -1;
		return KG_OK;
	}
	long s;
	if (kg_cfg_parse_time(v, &s) < 0 || s < 0 || s > 0x7fffffffL)
		return KG_ERR_CONFIG;
	*secs = (int)s;
	return KG_OK;
}

int kg_cli_mux_init(kg_cli_mux *m, const kg_client_config *cfg, const char *orig_host, const char *local_user,
		    const char *home, const kg_logger *lg)
{
	memset(m, 0, sizeof(*m));
	m->persist = -1;
	if (cfg->control_master && kg_cli_mux_parse_master(cfg->control_master, &m->master) < 0) {
		kg_error(lg, "unsupported ControlMaster value \"%s\"", cfg->control_master);
		return KG_ERR_CONFIG;
	}
	if (cfg->control_persist && kg_cli_mux_parse_persist(cfg->control_persist, &m->persist) < 0) {
		kg_error(lg, "invalid ControlPersist value \"%s\"", cfg->control_persist);
		return KG_ERR_CONFIG;
	}
	(void)orig_host;  /* %n: cfg->original_host */
	if (!cfg->control_path || strcasecmp(cfg->control_path, "none") == 0)
		return KG_OK;
	kg_cfg_err err;
	int r = kg_cli_expand(cfg, home, local_user, "ControlPath", cfg->control_path, &m->path, &err);
	if (r < 0)
		kg_error(lg, "%s", err.msg);
	return r;
}

void kg_cli_mux_free(kg_cli_mux *m)
{
	free(m->path);
	m->path = NULL;
}

int kg_cli_mux_command_known(const char *cmd)
{
	static const char *const cmds[] = { "check", "exit", "stop", "forward", "cancel" };
	for (size_t i = 0; cmd && i < KG_ARRAY_LEN(cmds); i++)
		if (strcmp(cmd, cmds[i]) == 0)
			return 1;
	return 0;
}
