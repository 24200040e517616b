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
enum kg_canon { KG_CANON_NO = 0, KG_CANON_YES = 1, KG_CANON_ALWAYS = 2 };
#define KG_CLIENT_UNSUP_MAX 160

enum kg_request_tty {
	KG_TTY_NO = 0, KG_TTY_YES = 1, KG_TTY_FORCE = 2, KG_TTY_AUTO = 3,
};
enum kg_session_type {  /* SessionType (-N: none, -s: subsystem) */
	KG_SESSION_DEFAULT = 0, KG_SESSION_NONE = 1, KG_SESSION_SUBSYSTEM = 2,
};

enum kg_update_hostkeys {  /* UpdateHostKeys */
	KG_UHK_NO = 0, KG_UHK_YES = 1, KG_UHK_ASK = 2,
};
enum kg_vhkdns {  /* VerifyHostKeyDNS */
	KG_VHKDNS_NO = 0, KG_VHKDNS_YES = 1, KG_VHKDNS_ASK = 2,
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
	unsigned char unsupported_seen[KG_CLIENT_UNSUP_MAX];  /* rules of unsupported_rules already decided */
	/* esc */
	char *escape_char;                  /* EscapeChar as written (escape-char.h); NULL: "~" */
	/* hk: host keys on the client */
	char *host_key_alias;               /* HostKeyAlias: known_hosts name instead of [host]:port */
	int check_host_ip;
	int update_host_keys;               /* enum kg_update_hostkeys */
	int visual_host_key;
	int verify_host_key_dns;            /* enum kg_vhkdns; only "no" is done */
	int user_known_hosts_set;           /* 1 if UserKnownHostsFile was given (finish) */
	/* proc: process control */
	int session_type;                   /* enum kg_session_type */
	int stdin_null;                     /* StdinNull (-n) */
	int fork_after_authentication;      /* ForkAfterAuthentication (-f) */
	int connection_attempts;            /* ConnectionAttempts: tries, 1 s apart */
	/* cfg: */
	char *tag;                          /* Tag, for Match tagged */
	int canonicalize_hostname;          /* enum kg_canon */
	kg_strlist canonical_domains;
	int canonicalize_max_dots;
	int canonicalize_fallback_local;
	kg_strlist canonicalize_permitted_cnames;
	int required_rsa_size;
	int permit_local_command;
	char *local_command;                /* raw */
	char *local_command_where;          /* "FILE line N" of the LocalCommand used */
	const char *command_line;           /* set by the caller: the command to run (Match command/sessiontype) */
	int final_pass;                     /* 1 while the second (final) pass is read */
	int want_final_pass;                /* a Match final or CanonicalizeHostname asked for one */
	int hostname_done;                  /* hostname holds the final name (tokens expanded) */
	char *original_host;                /* the host as given (%n, Match originalhost); kg_client_config_read */
	const char *home;                   /* set by the caller: ~ and %d (Match exec) */
	int canonicalized;                  /* hostname was canonicalised (CanonicalizeHostname) */
	/* agent */
	char *identity_agent;               /* raw IdentityAgent: none, SSH_AUTH_SOCK, $VAR or a path */
	char *forward_agent_spec;           /* raw ForwardAgent: yes, no, a path or $VAR (sets forward_agent) */
	/* esc: ~C (EnableEscapeCommandline; off unless asked for, as OpenSSH) */
	int enable_escape_commandline;
	/* kbd: keyboard-interactive */
	char *kbd_interactive_devices;      /* submethods sent as they are; NULL = none */
	/* fwd: forwarding */
	kg_strlist dynamic_forwards;        /* raw DynamicForward values, as local_forwards */
	int gateway_ports;                  /* GatewayPorts (-g): listen on every address */
	int stream_local_bind_unlink;       /* StreamLocalBindUnlink: replace a stale socket file */
	int clear_all_forwardings;          /* ClearAllForwardings: finish() empties the lists */
	char *stream_local_bind_mask;       /* StreamLocalBindMask as written (octal); NULL: 0177 */
	/* rfwd */
	kg_strlist permit_remote_open;      /* PermitRemoteOpen's words (first line); empty: any */
	/* agentfwd */
	char *add_keys_to_agent;            /* raw AddKeysToAgent (config/add-keys.h); NULL = no */
	/* mux: connection sharing */
	char *control_persist;              /* raw ControlPersist: yes, no or a time */
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
