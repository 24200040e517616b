/* The client's host key algorithm order: key types known_hosts already
 * holds for the host go first. */
#ifndef KAGI_CLI_HOSTKEY_ORDER_H
#define KAGI_CLI_HOSTKEY_ORDER_H

#include <stddef.h>
#include "core/safety.h"

/* Reorders *algs (a comma list, replaced on change) so that the algorithms
 * of key types that the known_hosts files (paths already expanded; missing
 * ones skipped) list for host:port come first, each group in its own
 * order; rsa-sha2-* count as RSA.  Revoked and CA lines do not count.
 * *changed says whether anything moved. */
int kg_cli_hostkey_order(const char *host, int port, const char *const *files, size_t nfiles, char **algs,
			 int *changed) KG_WUR;

#endif
