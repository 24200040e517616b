/* sshd_config reading: first value wins, lists accumulate, Include. */
#include <glob.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include "config/match-criteria.h"
#include "config/server-config.h"
#include "config/server-limits.h"
#include "config/authorized-keys.h"
#include "config/svr-access.h"

#define SC(f) offsetof(kg_server_config, f)
#define MAX_INCLUDE_DEPTH 16

static const kg_cfg_enum root_enums[] = {
	{ "yes", KG_ROOT_YES }, { "no", KG_ROOT_NO },
	{ "prohibit-password", KG_ROOT_PROHIBIT_PASSWORD },
	{ "without-password", KG_ROOT_PROHIBIT_PASSWORD },
	{ "forced-commands-only", KG_ROOT_FORCED_COMMANDS_ONLY }, { NULL, 0 },
};
static const kg_cfg_enum fwd_enums[] = {
	{ "yes", KG_FWD_YES }, { "all", KG_FWD_YES }, { "no", KG_FWD_NO }, { "local", KG_FWD_LOCAL },
	{ "remote", KG_FWD_REMOTE }, { NULL, 0 },
};
static const kg_cfg_enum gateway_enums[] = {
	{ "no", KG_GW_NO }, { "yes", KG_GW_YES }, { "clientspecified", KG_GW_CLIENTSPECIFIED }, { NULL, 0 },
};
static const kg_cfg_enum comp_enums[] = {
	{ "yes", KG_COMP_YES }, { "delayed", KG_COMP_DELAYED }, { "no", KG_COMP_NO }, { NULL, 0 },
};
static const kg_cfg_enum pubkey_enums[] = {
	{ "yes", 1 }, { "no", 0 }, { NULL, 0 },
};
static const kg_cfg_enum facility_enums[] = {
	{ "DAEMON", LOG_DAEMON }, { "USER", LOG_USER }, { "AUTH", LOG_AUTH },
	{ "AUTHPRIV", LOG_AUTHPRIV }, { "LOCAL0", LOG_LOCAL0 }, { "LOCAL1", LOG_LOCAL1 },
	{ "LOCAL2", LOG_LOCAL2 }, { "LOCAL3", LOG_LOCAL3 }, { "LOCAL4", LOG_LOCAL4 },
	{ "LOCAL5", LOG_LOCAL5 }, { "LOCAL6", LOG_LOCAL6 }, { "LOCAL7", LOG_LOCAL7 }, { NULL, 0 },
};

enum { SP_MATCH, SP_INCLUDE, SP_PORT, SP_MAXSTARTUPS, SP_SUBSYSTEM, SP_REKEY };

static const kg_cfg_kw server_kws[] = {
	{ "Match", KG_CFG_SPECIAL, SP_MATCH, 0, 0, NULL },
	{ "Include", KG_CFG_SPECIAL, SP_INCLUDE, 0, 0, NULL },
	{ "Port", KG_CFG_SPECIAL, SP_PORT, 0, 0, NULL },
	{ "MaxStartups", KG_CFG_SPECIAL, SP_MAXSTARTUPS, 0, 0, NULL },
	{ "PerSourceMaxStartups", KG_CFG_STR, SC(per_source_max_startups), 0, 0, NULL },
	{ "PerSourceNetBlockSize", KG_CFG_STR, SC(per_source_netblock_size), 0, 0, NULL },
	{ "PerSourcePenalties", KG_CFG_RAW, SC(per_source_penalties), 0, 0, NULL },
	{ "PerSourcePenaltyExemptList", KG_CFG_STR, SC(per_source_penalty_exempt), 0, 0, NULL },
	{ "Subsystem", KG_CFG_SPECIAL, SP_SUBSYSTEM, 0, 0, NULL },
	{ "RekeyLimit", KG_CFG_SPECIAL, SP_REKEY, 0, 0, NULL },
	{ "ListenAddress", KG_CFG_LIST_ACC, SC(listen_addresses), 0, 0, NULL },
	{ "HostKey", KG_CFG_LIST_ACC, SC(host_keys), 0, 0, NULL },
	{ "AuthorizedKeysFile", KG_CFG_LIST_FIRST, SC(authorized_keys_files), 0, 0, NULL },
	{ "Ciphers", KG_CFG_STR, SC(ciphers), 0, 0, NULL },
	{ "MACs", KG_CFG_STR, SC(macs), 0, 0, NULL },
	{ "KexAlgorithms", KG_CFG_STR, SC(kex_algorithms), 0, 0, NULL },
	{ "HostKeyAlgorithms", KG_CFG_STR, SC(host_key_algorithms), 0, 0, NULL },
	{ "PubkeyAcceptedAlgorithms", KG_CFG_STR, SC(pubkey_accepted_algorithms), 0, 0, NULL },
	{ "PubkeyAcceptedKeyTypes", KG_CFG_STR, SC(pubkey_accepted_algorithms), 0, 0, NULL },
	{ "LoginGraceTime", KG_CFG_TIME, SC(login_grace_time), 0, 0, NULL },
	{ "MaxAuthTries", KG_CFG_INT, SC(max_auth_tries), 1, 1000, NULL },
	{ "MaxSessions", KG_CFG_INT, SC(max_sessions), 0, 100000, NULL },
	{ "AcceptEnv", KG_CFG_LIST_ACC, SC(accept_env), 0, 0, NULL },
	{ "PrintMotd", KG_CFG_FLAG, SC(print_motd), 0, 0, NULL },
	{ "PermitRootLogin", KG_CFG_ENUM, SC(permit_root_login), 0, 0, root_enums },
	{ "PasswordAuthentication", KG_CFG_FLAG, SC(password_authentication), 0, 0, NULL },
	{ "PubkeyAuthentication", KG_CFG_ENUM, SC(pubkey_authentication), 0, 0, pubkey_enums },
	{ "KbdInteractiveAuthentication", KG_CFG_FLAG, SC(kbd_interactive_authentication), 0, 0, NULL },
	{ "ChallengeResponseAuthentication", KG_CFG_FLAG, SC(kbd_interactive_authentication), 0, 0, NULL },
	{ "StrictModes", KG_CFG_FLAG, SC(strict_modes), 0, 0, NULL },
	{ "UsePAM", KG_CFG_FLAG, SC(use_pam), 0, 0, NULL },
	{ "AllowTcpForwarding", KG_CFG_ENUM, SC(allow_tcp_forwarding), 0, 0, fwd_enums },
	{ "AllowStreamLocalForwarding", KG_CFG_ENUM, SC(allow_streamlocal_forwarding), 0, 0, fwd_enums },
	{ "GatewayPorts", KG_CFG_ENUM, SC(gateway_ports), 0, 0, gateway_enums },
	{ "PermitOpen", KG_CFG_LIST_FIRST, SC(permit_open), 0, 0, NULL },
	{ "PermitListen", KG_CFG_LIST_FIRST, SC(permit_listen), 0, 0, NULL },
	{ "StreamLocalBindMask", KG_CFG_STR, SC(streamlocal_bind_mask_text), 0, 0, NULL },
	{ "StreamLocalBindUnlink", KG_CFG_FLAG, SC(streamlocal_bind_unlink), 0, 0, NULL },
	{ "DisableForwarding", KG_CFG_FLAG, SC(disable_forwarding), 0, 0, NULL },
	{ "AllowAgentForwarding", KG_CFG_FLAG, SC(allow_agent_forwarding), 0, 0, NULL },
	{ "PermitTTY", KG_CFG_FLAG, SC(permit_tty), 0, 0, NULL },
	{ "PermitUserRC", KG_CFG_FLAG, SC(permit_user_rc), 0, 0, NULL },
	{ "X11Forwarding", KG_CFG_FLAG, SC(x11_forwarding), 0, 0, NULL },
	{ "ClientAliveInterval", KG_CFG_TIME, SC(client_alive_interval), 0, 0, NULL },
	{ "ClientAliveCountMax", KG_CFG_INT, SC(client_alive_count_max), 0, 1000000, NULL },
	{ "Compression", KG_CFG_ENUM, SC(compression), 0, 0, comp_enums },
	{ "LogLevel", KG_CFG_ENUM, SC(log_level), 0, 0, kg_cfg_loglevels },
	{ "SyslogFacility", KG_CFG_ENUM, SC(syslog_facility), 0, 0, facility_enums },
	{ "PidFile", KG_CFG_STR, SC(pid_file), 0, 0, NULL },
	{ "Banner", KG_CFG_STR, SC(banner), 0, 0, NULL },
	{ "PermitEmptyPasswords", KG_CFG_FLAG, SC(permit_empty_passwords), 0, 0, NULL },
	{ "UseDNS", KG_CFG_FLAG, SC(use_dns), 0, 0, NULL },
	{ "TCPKeepAlive", KG_CFG_FLAG, SC(tcp_keepalive), 0, 0, NULL },
	{ "AllowUsers", KG_CFG_LIST_ACC, SC(allow_users), 0, 0, NULL },
	{ "DenyUsers", KG_CFG_LIST_ACC, SC(deny_users), 0, 0, NULL },
	{ "AllowGroups", KG_CFG_LIST_ACC, SC(allow_groups), 0, 0, NULL },
	{ "DenyGroups", KG_CFG_LIST_ACC, SC(deny_groups), 0, 0, NULL },
	/* Known to sshd; each only enables something kagi does not offer (a
	 * value asking for it is warned about, see unsupported[]). */
	{ "GSSAPIAuthentication", KG_CFG_FLAG, SC(gssapi_authentication), 0, 0, NULL },
	{ "KerberosAuthentication", KG_CFG_FLAG, SC(kerberos_authentication), 0, 0, NULL },
	{ "HostbasedAuthentication", KG_CFG_FLAG, SC(hostbased_authentication), 0, 0, NULL },
	{ "IgnoreRhosts", KG_CFG_FLAG, SC(ignore_rhosts), 0, 0, NULL },
	{ "PermitUserEnvironment", KG_CFG_STR, SC(permit_user_environment), 0, 0, NULL },
	{ "ForceCommand", KG_CFG_RAW, SC(force_command), 0, 0, NULL },
	{ "ChrootDirectory", KG_CFG_STR, SC(chroot_directory), 0, 0, NULL },
	{ "SetEnv", KG_CFG_LIST_FIRST, SC(set_env), 0, 0, NULL },
	{ "PrintLastLog", KG_CFG_FLAG, SC(print_last_log), 0, 0, NULL },
	/* Known to sshd, no effect on who gets in or what they may do. */
	{ "GSSAPICleanupCredentials", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "UsePrivilegeSeparation", KG_CFG_IGNORE, 0, 0, 0, NULL },
};

/* Values asking for a feature kagi lacks (value NULL: anything but "no").
 * The line loads, the feature stays off, and a warning says so. */
static const struct {
	const char *kw, *value, *why;
} unsupported[] = {
	{ "X11Forwarding", "yes", "not supported, X11 forwarding stays off" },
	{ "GSSAPIAuthentication", "yes", "not supported, GSSAPI authentication is not offered" },
	{ "KerberosAuthentication", "yes", "not supported, Kerberos password checks are not done" },
	{ "HostbasedAuthentication", "yes", "not supported, host-based authentication is not offered" },
	{ "IgnoreRhosts", "no", "not supported, .rhosts and .shosts files are never read" },
	{ "PermitEmptyPasswords", "yes", "not supported, an empty password is always refused" },
	{ "UseDNS", "yes", "not supported, client addresses are not looked up (patterns match the address)" },
};

/* What sshd_config(5) allows inside a Match block, of what kagi knows.
 * Names not in server_kws (kept for the forwarding keywords) are harmless. */
static const char *const match_allowed[] = {
	"AcceptEnv", "AllowAgentForwarding", "AllowGroups", "AllowStreamLocalForwarding", "AllowTcpForwarding",
	"AllowUsers", "AuthorizedKeysFile", "ChallengeResponseAuthentication", "ChrootDirectory",
	"ClientAliveCountMax", "ClientAliveInterval", "DenyGroups", "DenyUsers", "DisableForwarding",
	"ForceCommand", "GatewayPorts", "GSSAPIAuthentication", "HostbasedAuthentication", "IgnoreRhosts",
	"KbdInteractiveAuthentication", "KerberosAuthentication", "MaxSessions", "PasswordAuthentication",
	"PermitEmptyPasswords", "PermitListen", "PermitOpen", "PermitRootLogin", "PermitTTY", "PermitUserRC",
	"PubkeyAuthentication", "SetEnv", "X11Forwarding",
};
/* sshd allows these in a Match block, kagi applies them once for the
 * server (before the user is known), so a Match value is refused. */
static const char *const match_unsupported[] = {
	"Banner", "LogLevel", "MaxAuthTries", "PubkeyAcceptedAlgorithms", "PubkeyAcceptedKeyTypes", "RekeyLimit",
	"Include",
};

static int in_names(const char *const *names, size_t n, const char *kw)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(names[i], kw) == 0)
			return 1;
	return 0;
}

static int warn_unsupported(kg_server_config *cfg, const kg_cfg_kw *kw, const kg_cfg_reader *r)
{
	if (r->nargs != 1)
		return KG_OK;
	const char *v = r->args[0];
	for (size_t i = 0; i < KG_ARRAY_LEN(unsupported); i++) {
		if (strcasecmp(unsupported[i].kw, kw->name) != 0)
			continue;
		if (unsupported[i].value ? strcasecmp(v, unsupported[i].value) != 0 : strcasecmp(v, "no") == 0)
			continue;
		kg_cfg_err w;
		kg_cfg_errf(&w, r->filename, kg_cfg_line(r), "%s %s: %s", kw->name, v, unsupported[i].why);
		return kg_strlist_add(&cfg->warnings, w.msg);
	}
	return KG_OK;
}

/* With UseDNS yes sshd matches the host part of user@host against the
 * client's name; kagi never looks it up, so a DenyUsers entry naming a
 * host would never deny.  Refused rather than failing open. */
static int check_dns_deny(const kg_server_config *cfg, const kg_cfg_reader *r, kg_cfg_err *err)
{
	if (cfg->use_dns != 1)
		return KG_OK;
	for (size_t i = 0; i < cfg->deny_users.n; i++) {
		if (kg_access_entry_names_host(cfg->deny_users.v[i])) {
			kg_cfg_errf(err, r->filename, kg_cfg_line(r),
				    "DenyUsers %s with UseDNS yes: not supported, host names are not looked up",
				    cfg->deny_users.v[i]);
			return KG_ERR_CONFIG;
		}
	}
	return KG_OK;
}

static int is_int_type(enum kg_cfg_type t)
{
	return t == KG_CFG_FLAG || t == KG_CFG_INT || t == KG_CFG_TIME || t == KG_CFG_ENUM;
}

void kg_server_config_init(kg_server_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < KG_ARRAY_LEN(server_kws); i++)
		if (is_int_type(server_kws[i].type))
			*(int *)(void *)((char *)cfg + server_kws[i].off) = KG_CFG_UNSET;
	cfg->max_startups_begin = cfg->max_startups_rate = cfg->max_startups_full = KG_CFG_UNSET;
}

void kg_server_config_free(kg_server_config *cfg)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(server_kws); i++) {
		const kg_cfg_kw *kw = &server_kws[i];
		char *field = (char *)cfg + kw->off;
		if (kw->type == KG_CFG_STR || kw->type == KG_CFG_RAW) {
			free(*(char **)(void *)field);
			*(char **)(void *)field = NULL;
		} else if (kw->type == KG_CFG_LIST_ACC || kw->type == KG_CFG_LIST_FIRST ||
			   kw->type == KG_CFG_RAW_ACC) {
			kg_strlist_free((kg_strlist *)(void *)field);
		}
	}
	for (size_t i = 0; i < cfg->nsubsystems; i++) {
		free(cfg->subsystems[i].name);
		free(cfg->subsystems[i].command);
	}
	free(cfg->subsystems);
	for (size_t i = 0; i < cfg->nmatches; i++) {
		kg_strlist_free(&cfg->matches[i].criteria);
		kg_strlist_free(&cfg->matches[i].lines);
		kg_strlist_free(&cfg->matches[i].line_names);
		free(cfg->matches[i].file);
	}
	free(cfg->matches);
	kg_strlist_free(&cfg->warnings);
	memset(cfg, 0, sizeof(*cfg));
}

static int bad_value(const kg_cfg_reader *r, const char *what, kg_cfg_err *err)
{
	kg_cfg_errf(err, r->filename, kg_cfg_line(r), "%s: invalid value '%s'", what, r->rest);
	return KG_ERR_CONFIG;
}

static int port_line(kg_server_config *cfg, const kg_cfg_reader *r, kg_cfg_err *err)
{
	long p;
	if (r->nargs != 1 || kg_cfg_parse_int(r->args[0], 1, 65535, &p) != KG_OK)
		return bad_value(r, "Port", err);
	if (cfg->ports_locked)
		return KG_OK;
	for (size_t i = 0; i < cfg->nports; i++)
		if (cfg->ports[i] == (int)p)
			return KG_OK;
	if (cfg->nports == KG_SCFG_MAX_PORTS) {
		kg_cfg_errf(err, r->filename, kg_cfg_line(r), "too many ports");
		return KG_ERR_CONFIG;
	}
	cfg->ports[cfg->nports++] = (int)p;
	return KG_OK;
}

/* "start" or "start:rate:full" (rate a percentage). */
static int maxstartups_line(kg_server_config *cfg, const kg_cfg_reader *r, kg_cfg_err *err)
{
	if (r->nargs != 1)
		return bad_value(r, "MaxStartups", err);
	char buf[64];
	size_t n = strlen(r->args[0]);
	if (n >= sizeof(buf))
		return bad_value(r, "MaxStartups", err);
	memcpy(buf, r->args[0], n + 1);
	char *f1 = strchr(buf, ':'), *f2 = f1 ? strchr(f1 + 1, ':') : NULL;
	if (f1 && !f2)
		return bad_value(r, "MaxStartups", err);
	if (f1)
		*f1++ = '\0';
	if (f2)
		*f2++ = '\0';
	long begin, rate = 100, full;
	if (kg_cfg_parse_int(buf, 1, 1000000, &begin) != KG_OK)
		return bad_value(r, "MaxStartups", err);
	full = begin;
	if (f1 && (kg_cfg_parse_int(f1, 1, 100, &rate) != KG_OK ||
		   kg_cfg_parse_int(f2, begin, 1000000, &full) != KG_OK))
		return bad_value(r, "MaxStartups", err);
	if (cfg->max_startups_begin == KG_CFG_UNSET) {
		cfg->max_startups_begin = (int)begin;
		cfg->max_startups_rate = (int)rate;
		cfg->max_startups_full = (int)full;
	}
	return KG_OK;
}

static int subsystem_line(kg_server_config *cfg, const kg_cfg_reader *r, kg_cfg_err *err)
{
	if (r->nargs < 2) {
		kg_cfg_errf(err, r->filename, kg_cfg_line(r), "Subsystem: needs a name and a command");
		return KG_ERR_CONFIG;
	}
	if (kg_server_config_subsystem(cfg, r->args[0])) {
		kg_cfg_errf(err, r->filename, kg_cfg_line(r), "Subsystem '%s' already defined", r->args[0]);
		return KG_ERR_CONFIG;
	}
	/* The command is the raw text after the name, so quoting survives. */
	const char *cmd = r->rest;
	while (*cmd && *cmd != ' ' && *cmd != '\t')
		cmd++;
	while (*cmd == ' ' || *cmd == '\t')
		cmd++;
	ENSURE(cfg->nsubsystems < 256, KG_ERR_TOO_LARGE);
	kg_subsystem *ns = realloc(cfg->subsystems, (cfg->nsubsystems + 1) * sizeof(*ns));
	ENSURE(ns != NULL, KG_ERR_ALLOC);
	cfg->subsystems = ns;
	kg_subsystem *s = &ns[cfg->nsubsystems];
	s->name = strdup(r->args[0]);
	s->command = strdup(cmd);
	if (!s->name || !s->command) {
		free(s->name);
		free(s->command);
		return KG_ERR_ALLOC;
	}
	cfg->nsubsystems++;
	return KG_OK;
}

const char *kg_server_config_subsystem(const kg_server_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nsubsystems; i++)
		if (strcmp(cfg->subsystems[i].name, name) == 0)
			return cfg->subsystems[i].command;
	return NULL;
}

static int kw_unset(const kg_server_config *cfg, const kg_cfg_kw *kw)
{
	const char *field = (const char *)cfg + kw->off;
	if (is_int_type(kw->type))
		return *(const int *)(const void *)field == KG_CFG_UNSET;
	if (kw->type == KG_CFG_STR)
		return *(char *const *)(const void *)field == NULL;
	return 0;
}

/* PermitOpen host:port, PermitListen [host:]port ('*' for any host or
 * port), or "any" / "none" alone; StreamLocalBindMask an octal mask. */
static int check_forward_value(const kg_cfg_kw *kw, const kg_cfg_reader *r, kg_cfg_err *err)
{
	int open = kw->off == SC(permit_open), listen = kw->off == SC(permit_listen);
	if (kw->off == SC(streamlocal_bind_mask_text)) {
		long m = -1;
		char *end = NULL;
		if (r->nargs == 1 && r->args[0][0] >= '0' && r->args[0][0] <= '7')
			m = strtol(r->args[0], &end, 8);
		if (m < 0 || m > 0777 || !end || *end) {
			kg_cfg_errf(err, r->filename, kg_cfg_line(r), "StreamLocalBindMask: bad mask '%s'", r->rest);
			return KG_ERR_CONFIG;
		}
		return KG_OK;
	}
	if (!open && !listen)
		return KG_OK;
	for (size_t i = 0; i < r->nargs; i++) {
		const char *a = r->args[i];
		if (strcmp(a, "any") == 0 || strcmp(a, "none") == 0) {
			if (r->nargs == 1)
				continue;
			kg_cfg_errf(err, r->filename, kg_cfg_line(r), "%s: \"%s\" must appear alone", kw->name, a);
			return KG_ERR_CONFIG;
		}
		if (!kg_permit_entry_valid(a, listen)) {
			kg_cfg_errf(err, r->filename, kg_cfg_line(r), "%s: bad %s specification '%s'", kw->name,
				    listen ? "[host:]port" : "host:port", a);
			return KG_ERR_CONFIG;
		}
	}
	return KG_OK;
}

/* Values a keyword may not have although its type allows them. */
static int check_value(const kg_cfg_kw *kw, const kg_cfg_reader *r, kg_cfg_err *err)
{
	if (kw->off == SC(set_env)) {
		for (size_t i = 0; i < r->nargs; i++) {
			if (!strchr(r->args[i], '=') || r->args[i][0] == '=') {
				kg_cfg_errf(err, r->filename, kg_cfg_line(r), "Invalid environment.");
				return KG_ERR_CONFIG;
			}
		}
	}
	if (kw->off == SC(allow_users) || kw->off == SC(deny_users)) {
		for (size_t i = 0; i < r->nargs; i++) {
			if (kg_access_entry_check(r->args[i]) != KG_OK) {
				kg_cfg_errf(err, r->filename, kg_cfg_line(r), "%s: invalid pattern '%s'", kw->name,
					    r->args[i]);
				return KG_ERR_CONFIG;
			}
		}
	}
	return check_forward_value(kw, r, err);
}

static int apply_text(kg_server_config *cfg, const char *text, size_t len, const char *filename,
		      int single, const char *include_dir, int depth, kg_cfg_err *err);

/* "Match ...": checks the criteria and starts a block. */
static int match_line(kg_server_config *cfg, const kg_cfg_reader *r, kg_svr_match **cur, kg_cfg_err *err)
{
	if (r->single) {
		kg_cfg_errf(err, r->filename, 0, "Match is not allowed in a command-line option");
		return KG_ERR_CONFIG;
	}
	GUARD(kg_match_check(r->args, r->nargs, r->filename, kg_cfg_line(r), err));
	ENSURE(cfg->nmatches < 4096, KG_ERR_TOO_LARGE);
	kg_svr_match *nm = realloc(cfg->matches, (cfg->nmatches + 1) * sizeof(*nm));
	ENSURE(nm != NULL, KG_ERR_ALLOC);
	cfg->matches = nm;
	kg_svr_match *m = &nm[cfg->nmatches++];
	memset(m, 0, sizeof(*m));
	m->line = kg_cfg_line(r);
	m->file = strdup(r->filename);
	ENSURE(m->file != NULL, KG_ERR_ALLOC);
	for (size_t i = 0; i < r->nargs; i++)
		GUARD(kg_strlist_add(&m->criteria, r->args[i]));
	*cur = m;
	return KG_OK;
}

/* A line inside a Match block: only what sshd allows there, its value
 * checked now; kept as text for each connection it applies to. */
static int block_line(kg_server_config *cfg, kg_svr_match *m, const kg_cfg_kw *kw, const kg_cfg_reader *r,
		      kg_cfg_err *err)
{
	if (in_names(match_unsupported, KG_ARRAY_LEN(match_unsupported), kw->name)) {
		kg_cfg_errf(err, r->filename, kg_cfg_line(r), "%s in a Match block: not supported", kw->name);
		return KG_ERR_CONFIG;
	}
	if (!in_names(match_allowed, KG_ARRAY_LEN(match_allowed), kw->name) || kw->type == KG_CFG_SPECIAL) {
		kg_cfg_errf(err, r->filename, kg_cfg_line(r), "Directive '%s' is not allowed within a Match block",
			    kw->name);
		return KG_ERR_CONFIG;
	}
	GUARD(check_value(kw, r, err));
	GUARD(kg_cfg_store(cfg, kw, r, 0, err));
	GUARD(warn_unsupported(cfg, kw, r));
	size_t kn = strlen(kw->name), vn = strlen(r->rest);
	char *line = malloc(kn + vn + 2);
	ENSURE(line != NULL, KG_ERR_ALLOC);
	memcpy(line, kw->name, kn);
	line[kn] = ' ';
	memcpy(line + kn + 1, r->rest, vn + 1);
	int rr = kg_strlist_add(&m->lines, line);
	free(line);
	GUARD(rr);
	char where[KG_CFG_ERRLEN];
	snprintf(where, sizeof(where), "%s line %zu", r->filename, kg_cfg_line(r));
	return kg_strlist_add(&m->line_names, where);
}

static int load(kg_server_config *cfg, const char *path, const char *include_dir, int depth,
		kg_cfg_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int r = kg_read_text_file(path, 0, &text, &len, NULL);
	if (r < 0) {
		kg_cfg_errf(err, path, 0, "cannot read: %s", kg_err_str(r));
		return r;
	}
	r = apply_text(cfg, text, len, path, 0, include_dir, depth, err);
	free(text);
	return r;
}

static int include_line(kg_server_config *cfg, const kg_cfg_reader *r, const char *include_dir,
			int depth, kg_cfg_err *err)
{
	if (!include_dir || depth >= MAX_INCLUDE_DEPTH) {
		kg_cfg_errf(err, r->filename, kg_cfg_line(r), "%s",
			    include_dir ? "Include nested too deeply" : "Include not allowed here");
		return KG_ERR_CONFIG;
	}
	for (size_t i = 0; i < r->nargs; i++) {
		const char *a = r->args[i];
		size_t dn = strlen(include_dir), an = strlen(a);
		char *pat = malloc(dn + an + 2);
		ENSURE(pat != NULL, KG_ERR_ALLOC);
		if (a[0] == '/') {
			memcpy(pat, a, an + 1);
		} else {
			memcpy(pat, include_dir, dn);
			pat[dn] = '/';
			memcpy(pat + dn + 1, a, an + 1);
		}
		glob_t g;
		memset(&g, 0, sizeof(g));
		int gr = glob(pat, 0, NULL, &g);
		free(pat);
		int rr = KG_OK;
		if (gr == 0) {
			for (size_t j = 0; j < g.gl_pathc && rr == KG_OK; j++)
				rr = load(cfg, g.gl_pathv[j], include_dir, depth + 1, err);
		} else if (gr != GLOB_NOMATCH) {
			kg_cfg_errf(err, r->filename, kg_cfg_line(r), "Include: cannot expand '%s'", a);
			rr = KG_ERR_CONFIG;
		}
		globfree(&g);
		GUARD(rr);
	}
	return KG_OK;
}

static int apply_text(kg_server_config *cfg, const char *text, size_t len, const char *filename,
		      int single, const char *include_dir, int depth, kg_cfg_err *err)
{
	kg_cfg_reader r;
	kg_cfg_reader_init(&r, text, len, filename);
	r.single = single;
	int got, ret = KG_OK;
	kg_svr_match *cur = NULL;  /* the Match block being read; it ends with the file */
	while ((got = kg_cfg_next(&r, err)) > 0) {
		const kg_cfg_kw *kw = kg_cfg_find_kw(server_kws, KG_ARRAY_LEN(server_kws), r.keyword);
		if (!kw) {
			kg_cfg_errf(err, filename, kg_cfg_line(&r), "Bad configuration option: %s", r.keyword);
			ret = KG_ERR_CONFIG;
			break;
		}
		if (cur && kw->off != SP_MATCH) {
			GUARD_GOTO(ret, block_line(cfg, cur, kw, &r, err), out);
			continue;
		}
		if (kw->type != KG_CFG_SPECIAL) {
			GUARD_GOTO(ret, check_value(kw, &r, err), out);
			GUARD_GOTO(ret, kg_svr_limits_line(&r, err), out);
			/* Only the value that takes effect (the first) is warned about. */
			int first = kw_unset(cfg, kw);
			GUARD_GOTO(ret, kg_cfg_store(cfg, kw, &r, 1, err), out);
			if (first)
				GUARD_GOTO(ret, warn_unsupported(cfg, kw, &r), out);
			GUARD_GOTO(ret, check_dns_deny(cfg, &r, err), out);
			continue;
		}
		switch (kw->off) {
		case SP_MATCH:
			GUARD_GOTO(ret, match_line(cfg, &r, &cur, err), out);
			break;
		case SP_INCLUDE:
			GUARD_GOTO(ret, include_line(cfg, &r, include_dir, depth, err), out);
			break;
		case SP_PORT:
			GUARD_GOTO(ret, port_line(cfg, &r, err), out);
			break;
		case SP_MAXSTARTUPS:
			GUARD_GOTO(ret, maxstartups_line(cfg, &r, err), out);
			break;
		case SP_SUBSYSTEM:
			GUARD_GOTO(ret, subsystem_line(cfg, &r, err), out);
			break;
		case SP_REKEY:
			GUARD_GOTO(ret, kg_cfg_parse_rekey(&r, &cfg->rekey_limit, 1, err), out);
			break;
		default:
			ret = KG_ERR_INTERNAL;
			goto out;
		}
	}
	if (got < 0)
		ret = got;
out:
	kg_cfg_reader_free(&r);
	return ret;
}

int kg_server_config_apply_file(kg_server_config *cfg, const char *text, size_t len,
				const char *filename, kg_cfg_err *err)
{
	ENSURE(cfg != NULL, KG_ERR_ARG);
	return apply_text(cfg, text, len, filename, 0, NULL, 0, err);
}

int kg_server_config_apply_option(kg_server_config *cfg, const char *opt, kg_cfg_err *err)
{
	ENSURE(cfg != NULL && opt != NULL, KG_ERR_ARG);
	ENSURE(strchr(opt, '\n') == NULL, KG_ERR_CONFIG);
	return apply_text(cfg, opt, strlen(opt), "command line", 1, NULL, 0, err);
}

int kg_server_config_load_file(kg_server_config *cfg, const char *path, const char *include_dir,
			       kg_cfg_err *err)
{
	ENSURE(cfg != NULL && path != NULL, KG_ERR_ARG);
	return load(cfg, path, include_dir ? include_dir : "/etc/ssh", 0, err);
}

static void dflt(int *f, int v)
{
	if (*f == KG_CFG_UNSET)
		*f = v;
}

static int dflt_str(char **f, const char *v)
{
	if (*f)
		return KG_OK;
	*f = strdup(v);
	return *f ? KG_OK : KG_ERR_ALLOC;
}

int kg_server_config_finish(kg_server_config *cfg)
{
	if (cfg->nports == 0)
		cfg->ports[cfg->nports++] = 22;
	if (cfg->authorized_keys_files.n == 0) {
		GUARD(kg_strlist_add(&cfg->authorized_keys_files, ".ssh/authorized_keys"));
		GUARD(kg_strlist_add(&cfg->authorized_keys_files, ".ssh/authorized_keys2"));
	}
	if (cfg->host_keys.n == 0) {
		static const char *const hk[] = { "/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_ecdsa_key",
						  "/etc/ssh/ssh_host_ed25519_key" };
		for (size_t i = 0; i < KG_ARRAY_LEN(hk); i++)
			GUARD(kg_strlist_add(&cfg->host_keys, hk[i]));
	}
	dflt(&cfg->login_grace_time, 120);
	if (cfg->max_startups_begin == KG_CFG_UNSET) {
		cfg->max_startups_begin = 10;
		cfg->max_startups_rate = 30;
		cfg->max_startups_full = 100;
	}
	dflt(&cfg->max_auth_tries, 6);
	dflt(&cfg->max_sessions, 10);
	dflt(&cfg->print_motd, 1);
	dflt(&cfg->permit_root_login, KG_ROOT_PROHIBIT_PASSWORD);
	dflt(&cfg->password_authentication, 1);
	dflt(&cfg->pubkey_authentication, 1);
	dflt(&cfg->kbd_interactive_authentication, 1);  /* as sshd */
	dflt(&cfg->strict_modes, 1);
	dflt(&cfg->use_pam, 0);
	dflt(&cfg->allow_tcp_forwarding, KG_FWD_YES);
	dflt(&cfg->allow_agent_forwarding, 1);
	dflt(&cfg->allow_streamlocal_forwarding, KG_FWD_YES);
	dflt(&cfg->gateway_ports, KG_GW_NO);
	dflt(&cfg->streamlocal_bind_unlink, 0);
	dflt(&cfg->disable_forwarding, 0);
	cfg->streamlocal_bind_mask = cfg->streamlocal_bind_mask_text
		? (int)strtol(cfg->streamlocal_bind_mask_text, NULL, 8) : 0177;
	dflt(&cfg->permit_tty, 1);
	dflt(&cfg->permit_user_rc, 1);
	dflt(&cfg->x11_forwarding, 0);
	dflt(&cfg->print_last_log, 1);  /* pamsess: lastlog is kept (conn/svr-login.c) */
	dflt(&cfg->client_alive_interval, 0);
	dflt(&cfg->client_alive_count_max, 3);
	dflt(&cfg->compression, KG_COMP_YES);
	dflt(&cfg->log_level, KG_LOG_INFO);
	dflt(&cfg->syslog_facility, LOG_AUTH);
	dflt(&cfg->permit_empty_passwords, 0);
	dflt(&cfg->use_dns, 0);
	dflt(&cfg->tcp_keepalive, 1);
	dflt(&cfg->gssapi_authentication, 0);
	dflt(&cfg->kerberos_authentication, 0);
	dflt(&cfg->hostbased_authentication, 0);
	dflt(&cfg->ignore_rhosts, 1);
	GUARD(dflt_str(&cfg->permit_user_environment, "no"));
	GUARD(dflt_str(&cfg->pid_file, "/run/ksshd.pid"));
	if (cfg->banner && strcasecmp(cfg->banner, "none") == 0) {
		free(cfg->banner);
		cfg->banner = NULL;
	}
	return KG_OK;
}

static int is_list_type(enum kg_cfg_type t)
{
	return t == KG_CFG_LIST_ACC || t == KG_CFG_LIST_FIRST || t == KG_CFG_RAW_ACC;
}

static int strlist_copy(kg_strlist *dst, const kg_strlist *src)
{
	for (size_t i = 0; i < src->n; i++)
		GUARD(kg_strlist_add(dst, src->v[i]));
	return KG_OK;
}

int kg_server_config_copy(kg_server_config *dst, const kg_server_config *src)
{
	*dst = *src;
	/* Every pointer is cleared first, so a failure half-way frees cleanly. */
	for (size_t i = 0; i < KG_ARRAY_LEN(server_kws); i++) {
		char *f = (char *)dst + server_kws[i].off;
		if (server_kws[i].type == KG_CFG_STR || server_kws[i].type == KG_CFG_RAW)
			*(char **)(void *)f = NULL;
		else if (is_list_type(server_kws[i].type))
			*(kg_strlist *)(void *)f = (kg_strlist){ NULL, 0 };
	}
	dst->subsystems = NULL;
	dst->nsubsystems = 0;
	dst->matches = NULL;
	dst->nmatches = 0;
	dst->warnings = (kg_strlist){ NULL, 0 };
	for (size_t i = 0; i < KG_ARRAY_LEN(server_kws); i++) {
		const kg_cfg_kw *kw = &server_kws[i];
		char *f = (char *)dst + kw->off;
		const char *sf = (const char *)src + kw->off;
		if (kw->type == KG_CFG_STR || kw->type == KG_CFG_RAW) {
			char **d = (char **)(void *)f;
			const char *v = *(char *const *)(const void *)sf;
			if (v && !*d && !(*d = strdup(v)))
				return KG_ERR_ALLOC;
		} else if (is_list_type(kw->type)) {
			kg_strlist *d = (kg_strlist *)(void *)f;
			if (d->n == 0)  /* two names for one field: copied once */
				GUARD(strlist_copy(d, (const kg_strlist *)(const void *)sf));
		}
	}
	if (src->nsubsystems) {
		dst->subsystems = calloc(src->nsubsystems, sizeof(*dst->subsystems));
		ENSURE(dst->subsystems != NULL, KG_ERR_ALLOC);
		for (size_t i = 0; i < src->nsubsystems; i++) {
			dst->subsystems[i].name = strdup(src->subsystems[i].name);
			dst->subsystems[i].command = strdup(src->subsystems[i].command);
			dst->nsubsystems++;
			ENSURE(dst->subsystems[i].name && dst->subsystems[i].command, KG_ERR_ALLOC);
		}
	}
	return KG_OK;
}

int kg_server_config_override(kg_server_config *cfg, kg_server_config *over)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(server_kws); i++) {
		const kg_cfg_kw *kw = &server_kws[i];
		char *f = (char *)cfg + kw->off, *of = (char *)over + kw->off;
		if (is_int_type(kw->type)) {
			int *o = (int *)(void *)of;
			if (*o != KG_CFG_UNSET)
				*(int *)(void *)f = *o;
		} else if (kw->type == KG_CFG_STR || kw->type == KG_CFG_RAW) {
			char **o = (char **)(void *)of, **d = (char **)(void *)f;
			if (*o) {
				free(*d);
				*d = *o;
				*o = NULL;
			}
		} else if (is_list_type(kw->type)) {
			kg_strlist *o = (kg_strlist *)(void *)of, *d = (kg_strlist *)(void *)f;
			if (o->n) {
				kg_strlist_free(d);
				*d = *o;
				*o = (kg_strlist){ NULL, 0 };
			}
		}
	}
	return KG_OK;
}

int kg_server_config_apply_match(kg_server_config *cfg, const kg_svr_match *m, kg_cfg_err *err)
{
	for (size_t i = 0; i < m->lines.n; i++) {
		const char *l = m->lines.v[i];
		GUARD(apply_text(cfg, l, strlen(l), m->line_names.v[i], 1, NULL, 0, err));
	}
	return KG_OK;
}

int kg_server_expand_authorized_keys(const char *entry, const char *home, const char *user, char **out)
{
	ENSURE(entry && home && user, KG_ERR_ARG);
	const kg_token tok[] = { { 'h', home }, { 'u', user } };
	char *e = NULL;
	GUARD(kg_expand_tokens(entry, tok, KG_ARRAY_LEN(tok), &e));
	if (e[0] == '/') {
		*out = e;
		return KG_OK;
	}
	size_t hn = strlen(home), en = strlen(e);
	char *full = malloc(hn + en + 2);
	if (!full) {
		free(e);
		return KG_ERR_ALLOC;
	}
	memcpy(full, home, hn);
	full[hn] = '/';
	memcpy(full + hn + 1, e, en + 1);
	free(e);
	*out = full;
	return KG_OK;
}
