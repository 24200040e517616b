/* Client configuration from the command line and the config files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/cli-args.h"
#include "config/client-read.h"
#include "sys/log.h"

int kg_cli_args_add(kg_cli_args *a, const char *key, const char *val)
{
	size_t n = strlen(key) + strlen(val) + 2;
	char *s = malloc(n);
	ENSURE(s != NULL, KG_ERR_ALLOC);
	snprintf(s, n, "%s=%s", key, val);
	int r = kg_strlist_add(&a->opts, s);
	free(s);
	return r;
}

void kg_cli_args_free(kg_cli_args *a)
{
	kg_strlist_free(&a->opts);
}

static int apply_kv(kg_client_config *cfg, const char *prog, const char *key, const char *val)
{
	size_t n = strlen(key) + strlen(val) + 2;
	char *o = malloc(n);
	ENSURE(o != NULL, KG_ERR_ALLOC);
	snprintf(o, n, "%s=%s", key, val);
	kg_cfg_err err;
	int r = kg_client_config_apply_option(cfg, o, &err);
	free(o);
	if (r < 0)
		fprintf(stderr, "%s: %s\n", prog, err.msg);
	return r;
}

int kg_cli_args_config(const kg_cli_args *a, const char *prog, const char *host, const char *user,
		       const char *port, const char *home, const char *local_user, kg_client_config *cfg)
{
	kg_cfg_err err;
	if (a->verbose) {
		const char *lv = a->verbose == 1 ? "DEBUG1" : a->verbose == 2 ? "DEBUG2" : "DEBUG3";
		GUARD(apply_kv(cfg, prog, "LogLevel", lv));
	} else if (a->quiet) {
		GUARD(apply_kv(cfg, prog, "LogLevel", "QUIET"));
	}
	if (user && *user)
		GUARD(apply_kv(cfg, prog, "User", user));
	if (port && *port)
		GUARD(apply_kv(cfg, prog, "Port", port));
	for (size_t i = 0; i < a->opts.n; i++)
		if (kg_client_config_apply_option(cfg, a->opts.v[i], &err) < 0) {
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			return KG_ERR_CONFIG;
		}
	kg_cli_read rd = { .host = host, .config_file = a->config_file, .home = home, .local_user = local_user };
	err.msg[0] = '\0';
	int r = kg_client_config_read(cfg, &rd, &err);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.msg[0] ? err.msg : kg_err_str(r));
		return r;
	}
	kg_logger lg;
	kg_log_init(&lg, prog, cfg->log_level, 0, 0);
	kg_client_config_log_unsupported(cfg, &lg);
	return r;
}
