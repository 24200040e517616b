/* Shared by ksftp's command loop (sftp-cli-loop.c) and its commands
 * (sftp-cli-cmds.c). */
#ifndef KAGI_SFTP_CLI_INT_H
#define KAGI_SFTP_CLI_INT_H

#include "sftp/sftp-cli.h"
#include "sftp/sftp-client-int.h"

#define CLI_MAX_ARGS 256

char *cli_join(const char *dir, const char *name);
int cli_split(const char *line, char *buf, size_t bufsz, char **argv, int max);
/* Prints s with control characters as \ooo (names come from the server). */
void cli_progress(void *arg, const char *name, uint64_t done, uint64_t total);

#endif
