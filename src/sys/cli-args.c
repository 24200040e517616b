/* Command-line configuration shared by ksftp and kscp. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sys/cli-args.h"

int kg_cli_add_opt(kg_cli_args *a, const char *key, const char *val)
{
	size_t len = strlen(key) + strlen(val) + 2;
	char *s = malloc(len);
	if (!s)
		return KG_ERR_ALLOC;
	snprintf(s, len, "%s=%s", key, val);
	int r = kg_strlist_add(&a->opts, s);
	free(s);
	return r;
}

static int apply(kg_client_config *cfg, const char *prog, const char *key, const char *val)
{
	kg_cfg_err err;
	size_t len = strlen(key) + strlen(val) + 2;
	char *o = malloc(len);
	if (!o)
		return KG_ERR_ALLOC;
	snprintf(o, len, "%s=%s", key, val);
	int r = kg_client_config_apply_option(cfg, o, &err);
	free(o);
	if (r < 0)
		fprintf(stderr, "%s: %s\n", prog, err.msg);
	return r;
}

int kg_cli_load_config(kg_client_config *cfg, const kg_cli_args *a, const char *prog, const char *home,
		       const char *local_user)
{
	kg_cfg_err err;
	for (size_t i = 0; i < a->opts.n; i++)
		if (kg_client_config_apply_option(cfg, a->opts.v[i], &err) < 0) {
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			return KG_ERR_CONFIG;
		}
	if (a->user)
		GUARD(apply(cfg, prog, "User", a->user));
	if (a->port)
		GUARD(apply(cfg, prog, "Port", a->port));
	size_t dl = strlen(home) + 8;
	char *sshdir = malloc(dl);
	if (!sshdir)
		return KG_ERR_ALLOC;
	snprintf(sshdir, dl, "%s/.ssh", home);
	int r = KG_OK;
	if (a->config_file) {
		if (strcmp(a->config_file, "/dev/null") != 0)
			r = kg_client_config_load_file(cfg, a->config_file, a->host, sshdir, home, 1, &err);
	} else {
		size_t ul = dl + 8;
		char *user_cfg = malloc(ul);
		if (!user_cfg) {
			free(sshdir);
			return KG_ERR_ALLOC;
		}
		snprintf(user_cfg, ul, "%s/config", sshdir);
		r = kg_client_config_load_file(cfg, user_cfg, a->host, sshdir, home, 0, &err);
		free(user_cfg);
		if (r >= 0)
			r = kg_client_config_load_file(cfg, "/etc/ssh/ssh_config", a->host, "/etc/ssh", home, 0, &err);
	}
	free(sshdir);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		return r;
	}
	return kg_client_config_finish(cfg, a->host, local_user);
}

void kg_cli_args_free(kg_cli_args *a)
{
	kg_strlist_free(&a->opts);
	free(a->user);
	free(a->host);
	free(a->port);
	memset(a, 0, sizeof(*a));
}
