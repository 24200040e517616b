/* The environment the server itself gives a session, after what the
 * client sent (AcceptEnv): with PermitUserEnvironment, the key's
 * environment= options and then ~/.ssh/environment (names filtered by the
 * pattern list when PermitUserEnvironment is one), then SetEnv — the
 * order of sshd's do_setup_env, so a later source wins.  The variables
 * sshd sets after these (SSH_CLIENT, SSH_CONNECTION, SSH_TTY,
 * SSH_ORIGINAL_COMMAND, SSH_AUTH_SOCK) are never taken from them. */
#ifndef KAGI_SVR_ENV_H
#define KAGI_SVR_ENV_H

#include <stddef.h>
#include "config/authorized-keys.h"
#include "config/config-common.h"
#include "config/server-config.h"
#include "sys/log.h"
#include "sys/session-proc.h"

#define KG_SVR_ENV_FILE_MAX (64u * 1024)
#define KG_SVR_ENV_MAX 1024     /* variables from all sources */

/* 1 if variable name (NUL-terminated) may come from the user under
 * PermitUserEnvironment value permit ("yes", "no" or a pattern list). */
int kg_svr_env_user_allowed(const char *permit, const char *name);

/* Appends the "NAME=value" lines of an environment file's text to out:
 * blank lines and '#' comments skipped, lines without '=' ignored (as
 * sshd), names filtered by permit. */
int kg_svr_env_parse_file(const char *text, size_t len, const char *permit, kg_strlist *out) KG_WUR;

/* The whole server-set list for a session of u (the file read with u's
 * rights when as_user). */
int kg_svr_env_build(const kg_server_config *cfg, const kg_ak_opts *ak, const kg_spawn_user *u, int as_user,
		     kg_logger *log, kg_strlist *out) KG_WUR;

#endif
