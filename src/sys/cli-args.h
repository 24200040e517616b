/* What kssh-style client programs (ksftp, kscp) share on the command
 * line: flags turned into ssh_config options, and loading the
 * configuration in OpenSSH's order (-o options, the destination's user
 * and port, then -F file or ~/.ssh/config and /etc/ssh/ssh_config). */
#ifndef KAGI_CLI_ARGS_H
#define KAGI_CLI_ARGS_H

#include "sys/client-config.h"
#include "sys/config-common.h"

typedef struct kg_cli_args {
	kg_strlist opts;            /* "Key=Value", in command-line order */
	const char *config_file;    /* -F (NULL: the default files) */
	char *user, *host, *port;   /* from the destination; malloc'ed */
} kg_cli_args;

/* Appends "key=val" to a->opts. */
int kg_cli_add_opt(kg_cli_args *a, const char *key, const char *val) KG_WUR;
/* Loads and finishes cfg for a->host; problems are printed as "prog: ...". */
int kg_cli_load_config(kg_client_config *cfg, const kg_cli_args *a, const char *prog, const char *home,
		       const char *local_user) KG_WUR;
void kg_cli_args_free(kg_cli_args *a);

#endif
