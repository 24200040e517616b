/* kssh -Q: the algorithm names kagi supports, as ssh -Q lists them. */
#ifndef KAGI_CLI_QUERY_H
#define KAGI_CLI_QUERY_H

#include <stdio.h>
#include "core/safety.h"

/* Writes the names for query (cipher, cipher-auth, compression, kex, kex-gss,
 * key, key-cert, key-plain, key-sig, mac, protocol-version, sig, help, and
 * ssh's keyword aliases) one per line.  KG_ERR_ARG for an unknown query. */
int kg_cli_query(const char *query, FILE *out) KG_WUR;

#endif
