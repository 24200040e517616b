/* Connection sharing's settings: ControlMaster, ControlPersist, and the
 * control path with its tokens (see cli-mux.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <openssl/evp.h>
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

int kg_cli_mux_hash_C(const char *l, const char *h, int port, const char *r, char out[41])
{
	char *s = NULL;
	ENSURE(asprintf(&s, "%s%s%d%s", l, h, port, r) >= 0, KG_ERR_ALLOC);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int ok = EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha1(), NULL) == 1 && mdlen == 20;
	free(s);
	ENSURE(ok, KG_ERR_CRYPTO);
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return KG_OK;
}

int kg_cli_mux_path(const char *raw, const kg_cli_mux_tokens *t, char **out)
{
	*out = NULL;
	if (!raw || strcasecmp(raw, "none") == 0)
		return KG_OK;
	char lhost[256], shost[256], port[16], uid[24], hashC[41];
	if (t->local_host)
		snprintf(lhost, sizeof(lhost), "%s", t->local_host);
	else if (gethostname(lhost, sizeof(lhost)) != 0)
		snprintf(lhost, sizeof(lhost), "localhost");
	lhost[sizeof(lhost) - 1] = '\0';
	snprintf(shost, sizeof(shost), "%s", lhost);
	shost[strcspn(shost, ".")] = '\0';
	snprintf(port, sizeof(port), "%d", t->port);
	snprintf(uid, sizeof(uid), "%lu", (unsigned long)getuid());
	GUARD(kg_cli_mux_hash_C(lhost, t->host, t->port, t->user, hashC));
	const kg_token tok[] = {
		{ 'C', hashC }, { 'd', t->home }, { 'h', t->host }, { 'i', uid },
		{ 'j', t->jump ? t->jump : "" }, { 'k', t->orig_host }, { 'L', shost }, { 'l', lhost },
		{ 'n', t->orig_host }, { 'p', port }, { 'r', t->user }, { 'u', t->local_user },
	};
	char *tilde = NULL;
	GUARD(kg_expand_tilde(raw, t->home, &tilde));
	int r = kg_expand_tokens(tilde, tok, KG_ARRAY_LEN(tok), out);
	free(tilde);
	return r;
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
	kg_cli_mux_tokens t = {
		.host = cfg->hostname, .orig_host = orig_host, .port = cfg->port, .user = cfg->user,
		.local_user = local_user, .home = home,
		.jump = cfg->proxy_jump && strcmp(cfg->proxy_jump, "none") != 0 ? cfg->proxy_jump : NULL,
	};
	int r = kg_cli_mux_path(cfg->control_path, &t, &m->path);
	if (r < 0)
		kg_error(lg, "ControlPath: bad token in \"%s\"", cfg->control_path);
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
