/* Printing the resolved client configuration as ssh -G does. */
#ifndef KAGI_CLIENT_DUMP_H
#define KAGI_CLIENT_DUMP_H

#include <stdio.h>
#include "config/client-config.h"
#include "sys/log.h"

/* Writes cfg (finished for host, the name given on the command line) to
 * out in ssh -G's format: lower-case keywords, one per line, in ssh's
 * order and spelling of values.  Only what kagi acts on is printed, so a
 * script reading it learns what this connection would really do; path
 * lists are expanded as ssh expands them (~ and %-tokens).  Algorithm
 * lists are the resolved ones; a bad one is logged to lg and fails. */
int kg_client_config_dump(const kg_client_config *cfg, const char *host, const char *home,
			  const char *local_user, const kg_logger *lg, FILE *out) KG_WUR;

#endif
