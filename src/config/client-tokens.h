/* ssh_config(5) TOKENS and ENVIRONMENT VARIABLES: what each keyword's
 * value may contain, expanded the way ssh does at the time of use.
 *
 * One entry point for every lane: kg_cli_expand(cfg, home, local_user,
 * "ControlPath", cfg->control_path, &path, &err).  By keyword:
 *  - CertificateFile, ControlPath, IdentityAgent, IdentityFile, Include,
 *    KnownHostsCommand, LocalForward, RemoteForward (their Unix socket
 *    paths), RemoteCommand, RevokedHostKeys, UserKnownHostsFile,
 *    VersionAddendum and "exec" (Match exec): %% %C %d %h %i %j %k %L %l
 *    %n %p %r %u;
 *  - Hostname: %% %h;  ProxyCommand, ProxyJump: %% %h %n %p %r;
 *  - LocalCommand: all of the above and %T (always "NONE": no tunnels).
 * ${NAME} is replaced by the environment variable for CertificateFile,
 * ControlPath, IdentityAgent, IdentityFile, Include, KnownHostsCommand,
 * LocalForward, RemoteForward and UserKnownHostsFile; a leading ~ is the
 * home directory for the path keywords.  Order as ssh: ~, then ${}, then %.
 *
 * %h is cfg->hostname, %n cfg->original_host (the name on the command
 * line), %p cfg->port (22 if unset), %r cfg->user (local_user if unset),
 * %j cfg->proxy_jump ("" if unset or none), %k cfg->host_key_alias else
 * %n, %C the SHA-1 (hex) of %l%h%p%r%j as OpenSSH 10 computes it
 * (OpenSSH 9.2 hashed %l%h%p%r: the same whenever ProxyJump is unset),
 * %l the local host name, %L its part before the first dot, %i the uid.
 *
 * An unknown token or an unset variable is KG_ERR_CONFIG with err naming
 * the keyword. */
#ifndef KAGI_CLIENT_TOKENS_H
#define KAGI_CLIENT_TOKENS_H

#include "config/client-config.h"

int kg_cli_expand(const kg_client_config *cfg, const char *home, const char *local_user, const char *keyword,
		  const char *raw, char **out, kg_cfg_err *err) KG_WUR;

/* %C alone: 40 hex digits and a NUL into hex. */
int kg_cli_conn_hash(const kg_client_config *cfg, const char *local_user, char hex[41]) KG_WUR;

#endif
