/* The client's configuration: ssh_config(5) syntax, the subset kagi uses.
 *
 * Sources are applied in OpenSSH order, each keeping values already set
 * (first value wins): the -o options first, then ~/.ssh/config, then
 * /etc/ssh/ssh_config; kg_client_config_finish() then fills in defaults.
 * Within files only the lines before the first Host/Match and those in
 * blocks matching the host apply.  List keywords (IdentityFile, SendEnv,
 * LocalForward, RemoteForward, SetEnv) accumulate instead. */
#ifndef KAGI_CLIENT_CONFIG_H
#define KAGI_CLIENT_CONFIG_H

#include <stdint.h>
#include "config/config-common.h"

enum kg_shkc {  /* StrictHostKeyChecking */
	KG_SHKC_NO = 0, KG_SHKC_YES = 1, KG_SHKC_ASK = 2, KG_SHKC_ACCEPT_NEW = 3,
};
enum kg_request_tty {
	KG_TTY_NO = 0, KG_TTY_YES = 1, KG_TTY_FORCE = 2, KG_TTY_AUTO = 3,
};

/* int fields are KG_CFG_UNSET (-1) until set; strings NULL; lists empty. */
typedef struct kg_client_config {
	char *hostname;
	char *user;
	int port;
	kg_strlist identity_files;          /* raw: ~ and %-tokens not expanded */
	int identity_files_default;         /* 1 if finish() supplied them */
	kg_strlist user_known_hosts_files;
	kg_strlist global_known_hosts_files;
	int strict_host_key_checking;       /* enum kg_shkc */
	int batch_mode;
	int log_level;                      /* enum kg_log_level */
	char *kex_algorithms;               /* raw specs ("+x", "-y", "^z", list) */
	char *host_key_algorithms;
	char *ciphers;
	char *macs;
	char *pubkey_accepted_algorithms;
	char *preferred_authentications;
	int pubkey_authentication;
	int password_authentication;
	int kbd_interactive_authentication;
	int number_of_password_prompts;
	kg_cfg_rekey rekey_limit;
	int connect_timeout;                /* seconds; 0 = none */
	int compression;
	char *proxy_jump;
	char *proxy_command;                /* raw; kagi may refuse it */
	int server_alive_interval;          /* seconds; 0: no keepalives */
	int tcp_keepalive;
	int server_alive_count_max;
	int address_family;                 /* AF_UNSPEC, AF_INET, AF_INET6 */
	int request_tty;                    /* enum kg_request_tty */
	kg_strlist send_env;                /* patterns */
	kg_strlist set_env;                 /* "NAME=value", first per NAME */
	int hash_known_hosts;
	int identities_only;
	int forward_agent;
	int exit_on_forward_failure;
	kg_strlist local_forwards;          /* raw value text of each line */
	kg_strlist remote_forwards;
	char *control_master;               /* raw */
	char *control_path;                 /* raw */
	char *ignore_unknown;               /* pattern list */
	const char *local_user;             /* set by the caller before loading: Match user/localuser */
	kg_strlist warnings;                /* "FILE line N: ..." notes for -v */
	kg_strlist unsupported;             /* "FILE line N: K is not supported yet, ignored" */
	uint32_t unsupported_seen;          /* keywords of unsupported_rules already decided */
	/* kbd: keyboard-interactive */
	char *kbd_interactive_devices;      /* submethods sent as they are; NULL = none */
} kg_client_config;

void kg_client_config_init(kg_client_config *cfg);
void kg_client_config_free(kg_client_config *cfg);

/* Applies one config file's text for the host named on the command line.
 * Include is refused here (text has no place on disk): use
 * kg_client_config_load_file for files. */
int kg_client_config_apply_file(kg_client_config *cfg, const char *text, size_t len,
				const char *filename, const char *host, kg_cfg_err *err) KG_WUR;

/* Applies one -o option ("Key=Value" or "Key Value").  Apply all of them
 * before any file so that they win. */
int kg_client_config_apply_option(kg_client_config *cfg, const char *opt, kg_cfg_err *err) KG_WUR;

/* Reads and applies a config file; Include patterns are expanded with
 * glob(3), relative ones under include_dir (~/.ssh or /etc/ssh), "~/"
 * under home.  A missing file is KG_OK unless required. */
int kg_client_config_load_file(kg_client_config *cfg, const char *path, const char *host,
			       const char *include_dir, const char *home, int required,
			       kg_cfg_err *err) KG_WUR;

/* Prints each cfg->unsupported line at ERROR as "<ident>: <line>". */
void kg_client_config_log_unsupported(const kg_client_config *cfg, const kg_logger *lg);

/* Fills every unset field with OpenSSH's default (user: local_user). */
int kg_client_config_finish(kg_client_config *cfg, const char *host, const char *local_user) KG_WUR;

#endif
