/* Helpers under ksftp's commands (sftp-cli-cmds.c) and loop (sftp-cli-loop.c). */
#ifndef KAGI_SFTP_CLI_UTIL_H
#define KAGI_SFTP_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include "sftp/sftp-cli.h"

/* Longest name kg_sftp_cli_shown takes (a server's names are far shorter). */
#define KG_SFTP_CLI_NAME_MAX (64u * 1024)

/* dir "/" name, without doubling a trailing slash; NULL if out of memory. */
char *cli_join(const char *dir, const char *name);
/* Words of a command line: blanks separate, '...' and "..." group, a
 * backslash escapes the next character.  Returns the count, or -1 on an
 * unterminated quote.  The words live in buf. */
int cli_split(const char *line, char *buf, size_t bufsz, char **argv, int max);
/* The progress meter (a kg_sftp_xfer_opts progress callback; arg is the cli). */
void cli_progress(void *arg, const char *name, uint64_t done, uint64_t total);
/* A name from the server as it may be shown on a terminal: control
 * characters (C0, DEL, C1) as \ooo escapes (kg_term_escape, so UTF-8
 * passes whole in a UTF-8 locale); malloc'd, NULL if out of memory or
 * longer than KG_SFTP_CLI_NAME_MAX. */
char *kg_sftp_cli_shown(const char *s);

#endif
