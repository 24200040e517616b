/* ksshd -T / -G: the effective configuration printed as sshd -T prints
 * it, one "keyword value" line each, keywords in lower case, in sshd's
 * order for the keywords kagi knows. */
#ifndef KAGI_SERVER_DUMP_H
#define KAGI_SERVER_DUMP_H

#include <stdio.h>
#include "config/server-config.h"

/* The algorithm lists as the server would offer them (assembled by the
 * caller from the defaults and the configured specs); a NULL field leaves
 * its line out. */
typedef struct kg_svr_dump_algs {
	const char *ciphers, *macs, *kex, *hostkey, *pubkey;
} kg_svr_dump_algs;

/* Writes cfg (after kg_server_config_finish) to out. */
int kg_server_config_dump(const kg_server_config *cfg, const kg_svr_dump_algs *algs, FILE *out) KG_WUR;

#endif
