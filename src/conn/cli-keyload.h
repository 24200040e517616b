/* Reading the private key files kssh is given (-i, IdentityFile). */
#ifndef KAGI_CLI_KEYLOAD_H
#define KAGI_CLI_KEYLOAD_H

#include "core/key.h"
#include "sys/log.h"

/* Reads a private key file the way kssh does (mode check with OpenSSH's
 * warning, passphrase prompt unless batch): KG_ERR_KEY_PERMS for a file
 * others may read, KG_ERR_NEED_PASSPHRASE for an encrypted one in batch
 * mode; other failures are logged as "Load key ...". */
int kg_client_load_private(kg_logger *log, const char *path, int batch, kg_key **out) KG_WUR;

#endif
