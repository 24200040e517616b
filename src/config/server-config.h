/* The server's configuration: sshd_config(5) syntax, the subset kagi uses.
 * Single-valued keywords keep their first value (sshd semantics), so -o
 * options applied before the file win; list keywords accumulate.  Match
 * blocks are kept (criteria and their lines, checked at load: a keyword
 * sshd does not allow in a Match block is refused with file and line) and
 * applied per connection by server-match.c.  A value asking for a feature
 * kagi lacks (X11Forwarding yes, ...) loads with a warning; one whose
 * restriction kagi could not enforce is refused. */
#ifndef KAGI_SERVER_CONFIG_H
#define KAGI_SERVER_CONFIG_H

#include <stdint.h>
#include "config/config-common.h"

#define KG_SCFG_MAX_PORTS 64

enum kg_permit_root {
	KG_ROOT_NO = 0, KG_ROOT_YES = 1, KG_ROOT_PROHIBIT_PASSWORD = 2, KG_ROOT_FORCED_COMMANDS_ONLY = 3,
};
enum kg_tcp_fwd {  /* AllowTcpForwarding */
	KG_FWD_NO = 0, KG_FWD_YES = 1, KG_FWD_LOCAL = 2, KG_FWD_REMOTE = 3,
};
enum kg_gateway_ports {  /* GatewayPorts */
	KG_GW_NO = 0, KG_GW_YES = 1, KG_GW_CLIENTSPECIFIED = 2,
};
enum kg_compression {
	KG_COMP_NO = 0, KG_COMP_YES = 1, KG_COMP_DELAYED = 2,  /* "delayed" is "yes" today */
};

/* One Match block: its criteria words and its lines (keyword and raw
 * value, one per '\n'), applied when the criteria hold. */
typedef struct kg_svr_match {
	kg_strlist criteria;
	char *file;
	size_t line;                        /* of the Match line */
	kg_strlist lines;
	kg_strlist line_names;              /* "FILE line N" of each line, for messages */
} kg_svr_match;

typedef struct kg_subsystem {
	char *name;
	char *command;      /* the rest of the line, raw */
} kg_subsystem;

/* int fields are KG_CFG_UNSET (-1) until set; finish() fills defaults. */
typedef struct kg_server_config {
	kg_strlist listen_addresses;        /* raw "addr", "addr:port", "[v6]:port" */
	int ports[KG_SCFG_MAX_PORTS];
	size_t nports;
	int ports_locked;                   /* set after -p: file Port lines ignored */
	kg_strlist host_keys;
	kg_strlist authorized_keys_files;   /* raw, %h %u %% not expanded */
	char *ciphers;                      /* raw specs, assembled by the caller */
	char *macs;
	char *kex_algorithms;
	char *host_key_algorithms;
	char *pubkey_accepted_algorithms;
	kg_cfg_rekey rekey_limit;      /* RekeyLimit */
	int login_grace_time;               /* seconds; 0 = none */
	int max_startups_begin, max_startups_rate, max_startups_full;
	int max_auth_tries;
	int max_sessions;
	kg_subsystem *subsystems;
	size_t nsubsystems;
	kg_strlist accept_env;
	int print_motd;
	int permit_root_login;              /* enum kg_permit_root */
	int password_authentication;
	int pubkey_authentication;
	int kbd_interactive_authentication;
	int strict_modes;
	int use_pam;
	int allow_tcp_forwarding;           /* enum kg_tcp_fwd */
	/* Forwarding (svr-forward.c): AllowStreamLocalForwarding takes the
	 * AllowTcpForwarding values; PermitOpen/PermitListen hold "any",
	 * "none" or the entries of their first line (checked as parsed). */
	int allow_streamlocal_forwarding;   /* enum kg_tcp_fwd */
	int gateway_ports;                  /* enum kg_gateway_ports */
	kg_strlist permit_open, permit_listen;
	char *streamlocal_bind_mask_text;   /* octal, as written */
	int streamlocal_bind_mask;          /* its value (finish; default 0177) */
	int streamlocal_bind_unlink;
	int disable_forwarding;
	int allow_agent_forwarding;
	int permit_tty;
	int permit_user_rc;                 /* agentfwd: PermitUserRC (~/.ssh/rc) */
	int x11_forwarding;
	int client_alive_interval;
	int client_alive_count_max;
	int compression;                    /* enum kg_compression */
	int log_level;                      /* enum kg_log_level */
	int syslog_facility;                /* LOG_AUTH, LOG_DAEMON, ... */
	char *pid_file;
	char *banner;                       /* path, or NULL / "none" */
	int permit_empty_passwords;
	int use_dns;
	int tcp_keepalive;                  /* TCPKeepAlive: SO_KEEPALIVE on accepted sockets */
	kg_strlist allow_users, deny_users, allow_groups, deny_groups;
	/* Known to sshd, kept only to tell when a value asks for something
	 * kagi does not do (see warnings). */
	int gssapi_authentication, kerberos_authentication, hostbased_authentication, ignore_rhosts;
	char *permit_user_environment;      /* "yes", "no" or a pattern list of names */
	char *force_command;                /* ForceCommand; NULL or "none": none */
	char *chroot_directory;             /* ChrootDirectory; NULL or "none": none */
	kg_strlist set_env;                 /* SetEnv "NAME=value" */
	int print_last_log;
	kg_svr_match *matches;
	size_t nmatches;
	/* "FILE line N: <Keyword> <value>: not supported, ..." for each value
	 * that asks for a feature kagi lacks: the line loads, the feature stays
	 * off, and the caller shows these. */
	kg_strlist warnings;
	/* limits: raw values, checked as read, parsed by server-limits.c. */
	char *per_source_max_startups;      /* PerSourceMaxStartups */
	char *per_source_netblock_size;     /* PerSourceNetBlockSize */
	char *per_source_penalties;         /* PerSourcePenalties (the whole value) */
	char *per_source_penalty_exempt;    /* PerSourcePenaltyExemptList */
} kg_server_config;

void kg_server_config_init(kg_server_config *cfg);
void kg_server_config_free(kg_server_config *cfg);

/* Applies a config file's text.  Include is refused here (see load). */
int kg_server_config_apply_file(kg_server_config *cfg, const char *text, size_t len,
				const char *filename, kg_cfg_err *err) KG_WUR;
/* Applies one -o option line. */
int kg_server_config_apply_option(kg_server_config *cfg, const char *opt, kg_cfg_err *err) KG_WUR;
/* Reads and applies a file; Include patterns go through glob(3), relative
 * ones under include_dir (NULL = /etc/ssh).  A missing file is an error. */
int kg_server_config_load_file(kg_server_config *cfg, const char *path, const char *include_dir,
			       kg_cfg_err *err) KG_WUR;
/* Fills defaults (Port 22, AuthorizedKeysFile .ssh/authorized_keys
 * .ssh/authorized_keys2, LoginGraceTime 120, MaxAuthTries 6, ...). */
int kg_server_config_finish(kg_server_config *cfg) KG_WUR;

/* A deep copy of src without its Match blocks and warnings (dst is
 * overwritten; free it with kg_server_config_free). */
int kg_server_config_copy(kg_server_config *dst, const kg_server_config *src) KG_WUR;
/* Moves every value set in over into cfg, replacing cfg's (what sshd's
 * copy_set_server_options does with a Match block's values); over keeps
 * only what was not moved. */
int kg_server_config_override(kg_server_config *cfg, kg_server_config *over) KG_WUR;
/* Applies the lines of one Match block to cfg (first value wins). */
int kg_server_config_apply_match(kg_server_config *cfg, const kg_svr_match *m, kg_cfg_err *err) KG_WUR;

/* The subsystem command for name, or NULL. */
const char *kg_server_config_subsystem(const kg_server_config *cfg, const char *name);

/* Expands %h (home), %u (user) and %% in an AuthorizedKeysFile entry; a
 * relative result is taken relative to home.  malloc'ed in *out. */
int kg_server_expand_authorized_keys(const char *entry, const char *home, const char *user,
				     char **out) KG_WUR;

#endif
