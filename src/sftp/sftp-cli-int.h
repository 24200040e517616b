/* Shared by ksftp's command loop (sftp-cli-loop.c) and its commands
 * (sftp-cli-cmds.c). */
#ifndef KAGI_SFTP_CLI_INT_H
#define KAGI_SFTP_CLI_INT_H

#include "sftp/sftp-cli.h"
#include "sftp/sftp-client-int.h"
#include "sftp/sftp-cli-util.h"

#define CLI_MAX_ARGS 256

#endif
