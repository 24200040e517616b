/* Client host key helpers: the algorithm order (key types known_hosts
 * already holds for the host go first) and the changed-key warning. */
#ifndef KAGI_CLI_HOSTKEY_H
#define KAGI_CLI_HOSTKEY_H

#include <stddef.h>
#include "core/safety.h"
#include "config/known-hosts.h"
#include "sys/log.h"

/* Reorders *algs (a comma list, replaced on change) so that the algorithms
 * of key types that the known_hosts files (paths already expanded; missing
 * ones skipped) list for host:port come first, each group in its own
 * order; rsa-sha2-* count as RSA.  Revoked and CA lines do not count.
 * *changed says whether anything moved. */
int kg_cli_hostkey_order(const char *host, int port, const char *const *files, size_t nfiles, char **algs,
			 int *changed) KG_WUR;

/* OpenSSH's REMOTE HOST IDENTIFICATION HAS CHANGED warning for key (its
 * fingerprint fp) against the known_hosts line in res, with the
 * kssh-keygen -R line for name. */
void kg_cli_hostkey_changed(const kg_logger *log, const kg_key *key, const char *fp, const kg_kh_result *res,
			    const char *name);

#endif
