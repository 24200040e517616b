/* Command-line pieces shared by the client programs that connect like kssh
 * (kscp, ksftp): options collected in order, then turned into a finished
 * client configuration for one destination with OpenSSH's precedence. */
#ifndef KAGI_CLI_ARGS_H
#define KAGI_CLI_ARGS_H

#include "config/client-config.h"

typedef struct kg_cli_args {
	kg_strlist opts;          /* "-o" options and flags turned into options, in order */
	const char *config_file;  /* -F file; NULL: ~/.ssh/config then /etc/ssh/ssh_config */
	int verbose, quiet;       /* -v count, -q */
} kg_cli_args;

/* Appends "key=val" to the option list. */
int kg_cli_args_add(kg_cli_args *a, const char *key, const char *val) KG_WUR;
void kg_cli_args_free(kg_cli_args *a);

/* Fills cfg (initialised by the caller) for host: the user and port named
 * in the destination first (they belong to this host), then the options,
 * then the configuration files, then defaults.  Errors are printed as
 * "prog: message". */
int kg_cli_args_config(const kg_cli_args *a, const char *prog, const char *host, const char *user,
		       const char *port, const char *home, const char *local_user,
		       kg_client_config *cfg) KG_WUR;

#endif
