/* ssh_config reading: Host/Match selection, first value wins, Include. */
#include <glob.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include "config/client-config.h"
#include "config/client-match.h"
#include "config/client-tokens.h"

#define CC(f) offsetof(kg_client_config, f)
#define MAX_INCLUDE_DEPTH 16

static const kg_cfg_enum shkc_enums[] = {
	{ "yes", KG_SHKC_YES }, { "no", KG_SHKC_NO }, { "off", KG_SHKC_NO }, { "ask", KG_SHKC_ASK },
	{ "accept-new", KG_SHKC_ACCEPT_NEW }, { NULL, 0 },
};
static const kg_cfg_enum af_enums[] = {
	{ "any", AF_UNSPEC }, { "inet", AF_INET }, { "inet6", AF_INET6 }, { NULL, 0 },
};
static const kg_cfg_enum tty_enums[] = {
	{ "no", KG_TTY_NO }, { "yes", KG_TTY_YES }, { "force", KG_TTY_FORCE }, { "auto", KG_TTY_AUTO },
	{ NULL, 0 },
};
static const kg_cfg_enum session_type_enums[] = {
	{ "default", KG_SESSION_DEFAULT }, { "none", KG_SESSION_NONE }, { "subsystem", KG_SESSION_SUBSYSTEM },
	{ NULL, 0 },
};
/* OpenSSH 9 also takes "unbound"/"host-bound" for PubkeyAuthentication. */
static const kg_cfg_enum pubkey_enums[] = {
	{ "yes", 1 }, { "no", 0 }, { "unbound", 1 }, { "host-bound", 1 }, { NULL, 0 },
};

static const kg_cfg_enum uhk_enums[] = {
	{ "yes", KG_UHK_YES }, { "no", KG_UHK_NO }, { "ask", KG_UHK_ASK }, { "true", KG_UHK_YES },
	{ "false", KG_UHK_NO }, { NULL, 0 },
};
static const kg_cfg_enum vhkdns_enums[] = {
	{ "yes", KG_VHKDNS_YES }, { "no", KG_VHKDNS_NO }, { "ask", KG_VHKDNS_ASK }, { "true", KG_VHKDNS_YES },
	{ "false", KG_VHKDNS_NO }, { NULL, 0 },
};

static const kg_cfg_enum canon_enums[] = {
	{ "no", KG_CANON_NO }, { "yes", KG_CANON_YES }, { "always", KG_CANON_ALWAYS }, { "none", KG_CANON_NO },
	{ NULL, 0 },
};

enum { SP_HOST, SP_MATCH, SP_INCLUDE, SP_REKEY, SP_SETENV, SP_REFUSE };

static const kg_cfg_kw client_kws[] = {
	{ "Host", KG_CFG_SPECIAL, SP_HOST, 0, 0, NULL },
	{ "Match", KG_CFG_SPECIAL, SP_MATCH, 0, 0, NULL },
	{ "Include", KG_CFG_SPECIAL, SP_INCLUDE, 0, 0, NULL },
	{ "RekeyLimit", KG_CFG_SPECIAL, SP_REKEY, 0, 0, NULL },
	{ "SetEnv", KG_CFG_SPECIAL, SP_SETENV, 0, 0, NULL },
	{ "Hostname", KG_CFG_STR, CC(hostname), 0, 0, NULL },
	{ "User", KG_CFG_STR, CC(user), 0, 0, NULL },
	{ "Port", KG_CFG_INT, CC(port), 1, 65535, NULL },
	{ "IdentityFile", KG_CFG_LIST_ACC, CC(identity_files), 0, 0, NULL },
	{ "UserKnownHostsFile", KG_CFG_LIST_FIRST, CC(user_known_hosts_files), 0, 0, NULL },
	{ "GlobalKnownHostsFile", KG_CFG_LIST_FIRST, CC(global_known_hosts_files), 0, 0, NULL },
	{ "StrictHostKeyChecking", KG_CFG_ENUM, CC(strict_host_key_checking), 0, 0, shkc_enums },
	{ "BatchMode", KG_CFG_FLAG, CC(batch_mode), 0, 0, NULL },
	{ "LogLevel", KG_CFG_ENUM, CC(log_level), 0, 0, kg_cfg_loglevels },
	{ "KexAlgorithms", KG_CFG_STR, CC(kex_algorithms), 0, 0, NULL },
	{ "HostKeyAlgorithms", KG_CFG_STR, CC(host_key_algorithms), 0, 0, NULL },
	{ "Ciphers", KG_CFG_STR, CC(ciphers), 0, 0, NULL },
	{ "MACs", KG_CFG_STR, CC(macs), 0, 0, NULL },
	{ "PubkeyAcceptedAlgorithms", KG_CFG_STR, CC(pubkey_accepted_algorithms), 0, 0, NULL },
	{ "PubkeyAcceptedKeyTypes", KG_CFG_STR, CC(pubkey_accepted_algorithms), 0, 0, NULL },
	{ "PreferredAuthentications", KG_CFG_STR, CC(preferred_authentications), 0, 0, NULL },
	{ "PubkeyAuthentication", KG_CFG_ENUM, CC(pubkey_authentication), 0, 0, pubkey_enums },
	{ "PasswordAuthentication", KG_CFG_FLAG, CC(password_authentication), 0, 0, NULL },
	{ "KbdInteractiveAuthentication", KG_CFG_FLAG, CC(kbd_interactive_authentication), 0, 0, NULL },
	{ "ChallengeResponseAuthentication", KG_CFG_FLAG, CC(kbd_interactive_authentication), 0, 0, NULL },
	{ "NumberOfPasswordPrompts", KG_CFG_INT, CC(number_of_password_prompts), 0, 1000, NULL },
	{ "KbdInteractiveDevices", KG_CFG_STR, CC(kbd_interactive_devices), 0, 0, NULL },
	{ "ConnectTimeout", KG_CFG_TIME, CC(connect_timeout), 0, 0, NULL },
	{ "Compression", KG_CFG_FLAG, CC(compression), 0, 0, NULL },
	{ "ProxyJump", KG_CFG_STR, CC(proxy_jump), 0, 0, NULL },
	{ "ProxyCommand", KG_CFG_RAW, CC(proxy_command), 0, 0, NULL },
	{ "ServerAliveInterval", KG_CFG_TIME, CC(server_alive_interval), 0, 0, NULL },
	{ "TCPKeepAlive", KG_CFG_FLAG, CC(tcp_keepalive), 0, 0, NULL },
	{ "ServerAliveCountMax", KG_CFG_INT, CC(server_alive_count_max), 0, 1000000, NULL },
	{ "AddressFamily", KG_CFG_ENUM, CC(address_family), 0, 0, af_enums },
	{ "RequestTTY", KG_CFG_ENUM, CC(request_tty), 0, 0, tty_enums },
	{ "SendEnv", KG_CFG_LIST_ACC, CC(send_env), 0, 0, NULL },
	{ "HashKnownHosts", KG_CFG_FLAG, CC(hash_known_hosts), 0, 0, NULL },
	{ "IdentitiesOnly", KG_CFG_FLAG, CC(identities_only), 0, 0, NULL },
	{ "ForwardAgent", KG_CFG_STR, CC(forward_agent_spec), 0, 0, NULL },
	{ "ExitOnForwardFailure", KG_CFG_FLAG, CC(exit_on_forward_failure), 0, 0, NULL },
	{ "LocalForward", KG_CFG_RAW_ACC, CC(local_forwards), 0, 0, NULL },
	{ "RemoteForward", KG_CFG_RAW_ACC, CC(remote_forwards), 0, 0, NULL },
	{ "ControlMaster", KG_CFG_STR, CC(control_master), 0, 0, NULL },
	{ "ControlPath", KG_CFG_STR, CC(control_path), 0, 0, NULL },
	{ "ControlPersist", KG_CFG_STR, CC(control_persist), 0, 0, NULL },
	{ "DynamicForward", KG_CFG_RAW_ACC, CC(dynamic_forwards), 0, 0, NULL },
	/* What OpenSSH's scp passes to ssh ("-S kssh"). */
	{ "ClearAllForwardings", KG_CFG_FLAG, CC(clear_all_forwardings), 0, 0, NULL },
	{ "PermitLocalCommand", KG_CFG_FLAG, CC(permit_local_command), 0, 0, NULL },
	{ "LocalCommand", KG_CFG_RAW, CC(local_command), 0, 0, NULL },
	{ "RemoteCommand", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "IgnoreUnknown", KG_CFG_STR, CC(ignore_unknown), 0, 0, NULL },
	{ "EscapeChar", KG_CFG_STR, CC(escape_char), 0, 0, NULL },
	/* cfg: the rest of OpenSSH 10's ssh_config(5).  Those kagi acts on
	 * are stored; KG_CFG_IGNORE ones are decided in unsupported_rules. */
	{ "Tag", KG_CFG_STR, CC(tag), 0, 0, NULL },
	{ "RefuseConnection", KG_CFG_SPECIAL, SP_REFUSE, 0, 0, NULL },
	{ "CanonicalizeHostname", KG_CFG_ENUM, CC(canonicalize_hostname), 0, 0, canon_enums },
	{ "CanonicalDomains", KG_CFG_LIST_FIRST, CC(canonical_domains), 0, 0, NULL },
	{ "CanonicalizeMaxDots", KG_CFG_INT, CC(canonicalize_max_dots), 0, 255, NULL },
	{ "CanonicalizeFallbackLocal", KG_CFG_FLAG, CC(canonicalize_fallback_local), 0, 0, NULL },
	{ "CanonicalizePermittedCNAMEs", KG_CFG_LIST_FIRST, CC(canonicalize_permitted_cnames), 0, 0, NULL },
	{ "RequiredRSASize", KG_CFG_INT, CC(required_rsa_size), 1024, 16384, NULL },
	{ "BindAddress", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "BindInterface", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "CASignatureAlgorithms", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "CertificateFile", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "ChannelTimeout", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "EnableEscapeCommandline", KG_CFG_FLAG, CC(enable_escape_commandline), 0, 0, NULL },
	{ "EnableSSHKeysign", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "FingerprintHash", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "ForwardX11Timeout", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "GatewayPorts", KG_CFG_FLAG, CC(gateway_ports), 0, 0, NULL },
	{ "HostbasedAcceptedAlgorithms", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "HostbasedKeyTypes", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "HostbasedAuthentication", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "IPQoS", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "KnownHostsCommand", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "LogVerbose", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "NoHostAuthenticationForLocalhost", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "ObscureKeystrokeTiming", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "PKCS11Provider", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "SmartcardDevice", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "ProxyUseFdpass", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "RevokedHostKeys", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "SecurityKeyProvider", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "StreamLocalBindMask", KG_CFG_STR, CC(stream_local_bind_mask), 0, 0, NULL },
	{ "StreamLocalBindUnlink", KG_CFG_FLAG, CC(stream_local_bind_unlink), 0, 0, NULL },
	{ "SyslogFacility", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "Tunnel", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "TunnelDevice", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "VersionAddendum", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "WarnWeakCrypto", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "XAuthLocation", KG_CFG_IGNORE, 0, 0, 0, NULL },
	/* Gone from OpenSSH (it only notes them at debug level). */
	{ "Protocol", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "UseRoaming", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "RSAAuthentication", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "RhostsRSAAuthentication", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "CompressionLevel", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "UsePrivilegedPort", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "Cipher", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "GSSAPIKeyExchange", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "GSSAPITrustDNS", KG_CFG_IGNORE, 0, 0, 0, NULL },
	/* Known to OpenSSH, not done by kagi: values other than what kagi
	 * does anyway are reported (see unsupported_rules). */
	{ "GSSAPIAuthentication", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "GSSAPIDelegateCredentials", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "ForwardX11", KG_CFG_IGNORE, 0, 0, 0, NULL },
	{ "ForwardX11Trusted", KG_CFG_IGNORE, 0, 0, 0, NULL },
	/* hk */
	{ "HostKeyAlias", KG_CFG_STR, CC(host_key_alias), 0, 0, NULL },
	{ "CheckHostIP", KG_CFG_FLAG, CC(check_host_ip), 0, 0, NULL },
	{ "UpdateHostKeys", KG_CFG_ENUM, CC(update_host_keys), 0, 0, uhk_enums },
	{ "VisualHostKey", KG_CFG_FLAG, CC(visual_host_key), 0, 0, NULL },
	{ "VerifyHostKeyDNS", KG_CFG_ENUM, CC(verify_host_key_dns), 0, 0, vhkdns_enums },
	/* proc */
	{ "SessionType", KG_CFG_ENUM, CC(session_type), 0, 0, session_type_enums },
	{ "StdinNull", KG_CFG_FLAG, CC(stdin_null), 0, 0, NULL },
	{ "ForkAfterAuthentication", KG_CFG_FLAG, CC(fork_after_authentication), 0, 0, NULL },
	{ "ConnectionAttempts", KG_CFG_INT, CC(connection_attempts), 1, 2147483647, NULL },
	/* agent */
	{ "IdentityAgent", KG_CFG_STR, CC(identity_agent), 0, 0, NULL },
	/* rfwd */
	{ "PermitRemoteOpen", KG_CFG_LIST_FIRST, CC(permit_remote_open), 0, 0, NULL },
	/* agentfwd */
	{ "AddKeysToAgent", KG_CFG_RAW, CC(add_keys_to_agent), 0, 0, NULL },
};

/* Keywords kagi does not act on.  The first value that applies to the
 * host decides (as for any keyword); when it is not one of ok (the
 * comma-separated values that mean what kagi does anyway; NULL: every
 * value), the line is reported once per keyword: to cfg->unsupported, or
 * as a -v note in cfg->warnings (quiet: Debian's stock ssh_config turns
 * GSSAPI on, and going without an extra method weakens nothing), or, for
 * refuse, as an error, because going on would connect differently from
 * what was asked. */
enum { UNSUP_WARN, UNSUP_QUIET, UNSUP_REFUSE };
static const struct unsupported_rule {
	const char *kw;
	const char *ok;
	int how;
} unsupported_rules[] = {
	{ "ForwardX11", "no", UNSUP_WARN },
	{ "PubkeyAcceptedAlgorithms", NULL, UNSUP_WARN },
	{ "PubkeyAcceptedKeyTypes", NULL, UNSUP_WARN },
	{ "VerifyHostKeyDNS", "no", UNSUP_WARN },
	{ "GSSAPIAuthentication", "no", UNSUP_QUIET },
	{ "GSSAPIDelegateCredentials", "no", UNSUP_QUIET },
	/* LocalCommand: reported (not only under -v), as the user set it up
	 * to run; the place is kept in local_command_where. */
	{ "PermitLocalCommand", "no", UNSUP_QUIET },
	{ "LocalCommand", NULL, UNSUP_WARN },
	{ "ProxyCommand", "none", UNSUP_REFUSE },
	{ "RemoteCommand", "none", UNSUP_REFUSE },
	/* cfg: the decision for each remaining ssh_config(5) keyword. */
	/* Connecting from another address or interface than asked is
	 * connecting differently (firewalls, routes): refused. */
	{ "BindAddress", "none", UNSUP_REFUSE },
	{ "BindInterface", "none", UNSUP_REFUSE },
	/* Host key trust from elsewhere than known_hosts, or revocations:
	 * going on without them would trust keys the user distrusts. */
	{ "KnownHostsCommand", "none", UNSUP_REFUSE },
	{ "RevokedHostKeys", "none", UNSUP_REFUSE },
	/* Keys that live in a token: kagi cannot reach them, and the user
	 * asked for exactly those keys. */
	{ "PKCS11Provider", "none", UNSUP_REFUSE },
	{ "SmartcardDevice", NULL, UNSUP_REFUSE },
	{ "SecurityKeyProvider", "internal", UNSUP_REFUSE },
	/* A tunnel device is a different service altogether (-w is refused too). */
	{ "Tunnel", "no", UNSUP_REFUSE },
	/* Certificates: without them the plain key is offered and the server
	 * says no; nothing is weakened, but the user should know why. */
	{ "CertificateFile", NULL, UNSUP_WARN },
	{ "CASignatureAlgorithms", NULL, UNSUP_QUIET },
	/* Keystroke timing obfuscation: kagi sends keystrokes as typed. */
	{ "ObscureKeystrokeTiming", "no", UNSUP_WARN },
	/* Rows of other lanes, warn-and-ignore until they flip them. */
	/* Going without these changes nothing the user relies on: -v notes. */
	{ "ChannelTimeout", "none", UNSUP_QUIET },
	{ "EnableSSHKeysign", "no", UNSUP_QUIET },
	{ "FingerprintHash", "sha256", UNSUP_QUIET },
	{ "ForwardX11Timeout", NULL, UNSUP_QUIET },
	{ "ForwardX11Trusted", NULL, UNSUP_QUIET },  /* X11 is not forwarded at all */
	{ "HostbasedAcceptedAlgorithms", NULL, UNSUP_QUIET },
	{ "HostbasedKeyTypes", NULL, UNSUP_QUIET },
	{ "HostbasedAuthentication", "no", UNSUP_QUIET },
	{ "IPQoS", NULL, UNSUP_QUIET },
	{ "LogVerbose", "none", UNSUP_QUIET },
	/* Ignoring it keeps checking localhost's key: stricter, not weaker. */
	{ "NoHostAuthenticationForLocalhost", "no", UNSUP_QUIET },
	{ "ProxyUseFdpass", "no", UNSUP_QUIET },
	{ "SyslogFacility", NULL, UNSUP_QUIET },
	{ "TunnelDevice", "any:any", UNSUP_QUIET },
	{ "VersionAddendum", "none", UNSUP_QUIET },
	{ "WarnWeakCrypto", NULL, UNSUP_QUIET },
	{ "XAuthLocation", NULL, UNSUP_QUIET },
	{ "Protocol", "2", UNSUP_QUIET },
	{ "UseRoaming", NULL, UNSUP_QUIET },
	{ "RSAAuthentication", NULL, UNSUP_QUIET },
	{ "RhostsRSAAuthentication", NULL, UNSUP_QUIET },
	{ "CompressionLevel", NULL, UNSUP_QUIET },
	{ "UsePrivilegedPort", "no", UNSUP_QUIET },
	{ "Cipher", NULL, UNSUP_QUIET },
	{ "GSSAPIKeyExchange", "no", UNSUP_QUIET },
	{ "GSSAPITrustDNS", "no", UNSUP_QUIET },
};
_Static_assert(KG_ARRAY_LEN(unsupported_rules) <= KG_CLIENT_UNSUP_MAX, "grow KG_CLIENT_UNSUP_MAX");

void kg_client_config_init(kg_client_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < KG_ARRAY_LEN(client_kws); i++) {
		const kg_cfg_kw *kw = &client_kws[i];
		if (kw->type == KG_CFG_FLAG || kw->type == KG_CFG_INT || kw->type == KG_CFG_TIME ||
		    kw->type == KG_CFG_ENUM)
			*(int *)(void *)((char *)cfg + kw->off) = KG_CFG_UNSET;
	}
}

void kg_client_config_free(kg_client_config *cfg)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(client_kws); i++) {
		const kg_cfg_kw *kw = &client_kws[i];
		char *field = (char *)cfg + kw->off;
		if (kw->type == KG_CFG_STR || kw->type == KG_CFG_RAW) {
			free(*(char **)(void *)field);
			*(char **)(void *)field = NULL;
		} else if (kw->type == KG_CFG_LIST_ACC || kw->type == KG_CFG_LIST_FIRST ||
			   kw->type == KG_CFG_RAW_ACC) {
			kg_strlist_free((kg_strlist *)(void *)field);
		}
	}
	kg_strlist_free(&cfg->set_env);
	free(cfg->local_command_where);
	free(cfg->original_host);
	kg_strlist_free(&cfg->warnings);
	kg_strlist_free(&cfg->unsupported);
	memset(cfg, 0, sizeof(*cfg));
}

struct apply_ctx {
	kg_client_config *cfg;
	const char *host;
	const char *include_dir;  /* NULL: Include not allowed */
	const char *home;
	int depth;
};

/* Reports the first applying line of a keyword kagi does not act on. */
static int check_unsupported(kg_client_config *cfg, const kg_cfg_kw *kw, const kg_cfg_reader *r,
			     kg_cfg_err *err)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(unsupported_rules); i++) {
		const struct unsupported_rule *u = &unsupported_rules[i];
		if (strcasecmp(kw->name, u->kw) != 0)
			continue;
		if (cfg->unsupported_seen[i])
			return KG_OK;  /* decided by an earlier line */
		cfg->unsupported_seen[i] = 1;
		if (strcasecmp(u->kw, "LocalCommand") == 0) {
			kg_cfg_err e;
			kg_cfg_errf(&e, r->filename, kg_cfg_line(r), "LocalCommand");
			free(cfg->local_command_where);
			cfg->local_command_where = strdup(e.msg);
			ENSURE(cfg->local_command_where != NULL, KG_ERR_ALLOC);
		}
		const char *v = r->nargs ? r->args[0] : "";
		if (u->ok && r->nargs == 1 && kg_pattern_list_match(v, u->ok, 1) == 1)
			return KG_OK;
		if (u->how == UNSUP_REFUSE) {
			kg_cfg_errf(err, r->filename, kg_cfg_line(r), "%s is not supported yet", u->kw);
			return KG_ERR_CONFIG;
		}
		kg_cfg_err e;
		kg_cfg_errf(&e, r->filename, kg_cfg_line(r), "%s is not supported yet, ignored", u->kw);
		return kg_strlist_add(u->how == UNSUP_QUIET ? &cfg->warnings : &cfg->unsupported, e.msg);
	}
	return KG_OK;
}

void kg_client_config_log_unsupported(const kg_client_config *cfg, const kg_logger *lg)
{
	for (size_t i = 0; i < cfg->unsupported.n; i++)
		kg_error(lg, "%s: %s", lg && lg->ident ? lg->ident : "kssh", cfg->unsupported.v[i]);
}

/* "Host p1 !p2 ...": active if some pattern matches and no negated one
 * (case-sensitive, as ssh compares Host patterns; Match host is not). */
static int host_line(const struct apply_ctx *c, const kg_cfg_reader *r)
{
	int hit = 0;
	for (size_t i = 0; i < r->nargs; i++) {
		const char *p = r->args[i];
		int neg = p[0] == '!';
		if (kg_pattern_match(c->host, p + neg, 0)) {
			if (neg)
				return 0;
			hit = 1;
		}
	}
	return hit;
}

static int setenv_line(kg_client_config *cfg, const kg_cfg_reader *r, int store, kg_cfg_err *err)
{
	if (r->nargs == 0) {
		kg_cfg_errf(err, r->filename, kg_cfg_line(r), "SetEnv: missing argument");
		return KG_ERR_CONFIG;
	}
	for (size_t i = 0; i < r->nargs; i++) {
		const char *eq = strchr(r->args[i], '=');
		if (!eq || eq == r->args[i]) {
			kg_cfg_errf(err, r->filename, kg_cfg_line(r), "SetEnv: invalid '%s'", r->args[i]);
			return KG_ERR_CONFIG;
		}
		if (!store)
			continue;
		size_t nl = (size_t)(eq - r->args[i]) + 1;
		int dup = 0;
		for (size_t j = 0; j < cfg->set_env.n && !dup; j++)
			dup = strncmp(cfg->set_env.v[j], r->args[i], nl) == 0;
		if (!dup)
			GUARD(kg_strlist_add(&cfg->set_env, r->args[i]));
	}
	return KG_OK;
}

static int load(struct apply_ctx *c, const char *path, int required, kg_cfg_err *err);

static int include_line(struct apply_ctx *c, const kg_cfg_reader *r, kg_cfg_err *err)
{
	if (!c->include_dir) {
		kg_cfg_errf(err, r->filename, kg_cfg_line(r), "Include not allowed here");
		return KG_ERR_CONFIG;
	}
	if (c->depth >= MAX_INCLUDE_DEPTH) {
		kg_cfg_errf(err, r->filename, kg_cfg_line(r), "Include nested too deeply");
		return KG_ERR_CONFIG;
	}
	for (size_t i = 0; i < r->nargs; i++) {
		char *pat = NULL, *a = NULL;
		/* Tokens and ${ENV} first (ssh_config(5) allows both here). */
		kg_cfg_err e;
		int xr = kg_cli_expand(c->cfg, c->home, c->cfg->local_user, "Include", r->args[i], &a, &e);
		if (xr == KG_ERR_CONFIG)
			kg_cfg_errf(err, r->filename, kg_cfg_line(r), "%s", e.msg);
		GUARD(xr);
		int pr = KG_OK;
		if (a[0] == '~') {
			pr = kg_expand_tilde(a, c->home ? c->home : "/", &pat);
		} else if (a[0] != '/') {
			size_t dn = strlen(c->include_dir), an = strlen(a);
			if ((pat = malloc(dn + an + 2)) != NULL) {
				memcpy(pat, c->include_dir, dn);
				pat[dn] = '/';
				memcpy(pat + dn + 1, a, an + 1);
			}
		} else {
			pat = strdup(a);
		}
		free(a);
		GUARD(pr);
		ENSURE(pat != NULL, KG_ERR_ALLOC);
		glob_t g;
		memset(&g, 0, sizeof(g));
		int gr = glob(pat, 0, NULL, &g);
		free(pat);
		int rr = KG_OK;
		if (gr == 0) {
			c->depth++;
			for (size_t j = 0; j < g.gl_pathc && rr == KG_OK; j++)
				rr = load(c, g.gl_pathv[j], 1, err);
			c->depth--;
		} else if (gr != GLOB_NOMATCH) {
			kg_cfg_errf(err, r->filename, kg_cfg_line(r), "Include: cannot expand '%s'", r->args[i]);
			rr = KG_ERR_CONFIG;
		}
		globfree(&g);
		GUARD(rr);
	}
	return KG_OK;
}

/* CanonicalizePermittedCNAMEs: "none" alone, or source:target rules. */
static int check_cnames(const kg_cfg_kw *kw, const kg_cfg_reader *r, kg_cfg_err *err)
{
	if (strcasecmp(kw->name, "CanonicalizePermittedCNAMEs") != 0)
		return KG_OK;
	for (size_t i = 0; i < r->nargs; i++) {
		const char *a = r->args[i], *colon = strchr(a, ':');
		if (strcasecmp(a, "none") == 0 && r->nargs == 1)
			continue;
		if (!colon || colon == a || !colon[1]) {
			kg_cfg_errf(err, r->filename, kg_cfg_line(r), "Invalid permitted CNAME \"%s\"", a);
			return KG_ERR_CONFIG;
		}
	}
	return KG_OK;
}

static int apply_text(struct apply_ctx *c, const char *text, size_t len, const char *filename,
		      int single, kg_cfg_err *err)
{
	kg_client_config *cfg = c->cfg;
	kg_cfg_reader r;
	kg_cfg_reader_init(&r, text, len, filename);
	r.single = single;
	int active = 1, got, ret = KG_OK;
	while ((got = kg_cfg_next(&r, err)) > 0) {
		const kg_cfg_kw *kw = kg_cfg_find_kw(client_kws, KG_ARRAY_LEN(client_kws), r.keyword);
		if (!kw) {
			if (cfg->ignore_unknown && kg_pattern_list_match(r.keyword, cfg->ignore_unknown, 1) == 1)
				continue;
			kg_cfg_errf(err, filename, kg_cfg_line(&r), "Bad configuration option: %s", r.keyword);
			ret = KG_ERR_CONFIG;
			break;
		}
		if (single && kw->type == KG_CFG_SPECIAL && kw->off != SP_REKEY && kw->off != SP_SETENV) {
			kg_cfg_errf(err, filename, 0, "%s is not allowed as an option", kw->name);
			ret = KG_ERR_CONFIG;
			break;
		}
		if (kw->type != KG_CFG_SPECIAL) {
			GUARD_GOTO(ret, check_cnames(kw, &r, err), out);
			GUARD_GOTO(ret, kg_cfg_store(cfg, kw, &r, active, err), out);
			if (active)
				GUARD_GOTO(ret, check_unsupported(cfg, kw, &r, err), out);
			continue;
		}
		switch (kw->off) {
		case SP_HOST:
			if (r.nargs == 0) {
				kg_cfg_errf(err, filename, kg_cfg_line(&r), "Host: missing argument");
				ret = KG_ERR_CONFIG;
				goto out;
			}
			active = host_line(c, &r);
			break;
		case SP_MATCH:
			GUARD_GOTO(ret, kg_cli_match_line(cfg, c->host, r.args, r.nargs, filename, kg_cfg_line(&r),
							  &active, err), out);
			break;
		case SP_INCLUDE:
			if (active)
				GUARD_GOTO(ret, include_line(c, &r, err), out);
			break;
		case SP_REKEY:
			GUARD_GOTO(ret, kg_cfg_parse_rekey(&r, &cfg->rekey_limit, active, err), out);
			break;
		case SP_SETENV:
			GUARD_GOTO(ret, setenv_line(cfg, &r, active, err), out);
			break;
		case SP_REFUSE:
			/* The configuration says not to connect: stop with its text. */
			if (r.nargs == 0) {
				kg_cfg_errf(err, filename, kg_cfg_line(&r), "Missing argument.");
				ret = KG_ERR_CONFIG;
				goto out;
			}
			if (active) {
				kg_cfg_errf(err, filename, kg_cfg_line(&r), "RefuseConnection: %s", r.args[0]);
				ret = KG_ERR_CONFIG;
				goto out;
			}
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

int kg_client_config_apply_file(kg_client_config *cfg, const char *text, size_t len,
				const char *filename, const char *host, kg_cfg_err *err)
{
	ENSURE(cfg != NULL && host != NULL, KG_ERR_ARG);
	struct apply_ctx c = { cfg, host, NULL, NULL, 0 };
	return apply_text(&c, text, len, filename, 0, err);
}

int kg_client_config_apply_option(kg_client_config *cfg, const char *opt, kg_cfg_err *err)
{
	ENSURE(cfg != NULL && opt != NULL, KG_ERR_ARG);
	ENSURE(strchr(opt, '\n') == NULL, KG_ERR_CONFIG);
	struct apply_ctx c = { cfg, "", NULL, NULL, 0 };
	return apply_text(&c, opt, strlen(opt), "command line", 1, err);
}

static int load(struct apply_ctx *c, const char *path, int required, kg_cfg_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int r = kg_read_text_file(path, 0, &text, &len, NULL);
	if (r == KG_ERR_NOT_FOUND && !required)
		return KG_OK;
	if (r < 0) {
		kg_cfg_errf(err, path, 0, "cannot read: %s", kg_err_str(r));
		return r;
	}
	r = apply_text(c, text, len, path, 0, err);
	free(text);
	return r;
}

int kg_client_config_load_file(kg_client_config *cfg, const char *path, const char *host,
			       const char *include_dir, const char *home, int required, kg_cfg_err *err)
{
	ENSURE(cfg != NULL && path != NULL && host != NULL, KG_ERR_ARG);
	struct apply_ctx c = { cfg, host, include_dir ? include_dir : "/etc/ssh", home, 0 };
	return load(&c, path, required, err);
}

static int default_list(kg_strlist *l, const char *a, const char *b)
{
	if (l->n > 0)
		return KG_OK;
	GUARD(kg_strlist_add(l, a));
	return b ? kg_strlist_add(l, b) : KG_OK;
}

static void default_int(int *f, int v)
{
	if (*f == KG_CFG_UNSET)
		*f = v;
}

static void dedupe(kg_strlist *l)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++) {
		int dup = 0;
		for (size_t j = 0; j < n && !dup; j++)
			dup = strcmp(l->v[j], l->v[i]) == 0;
		if (dup)
			free(l->v[i]);
		else
			l->v[n++] = l->v[i];
	}
	l->n = n;
}

int kg_client_config_finish(kg_client_config *cfg, const char *host, const char *local_user)
{
	ENSURE(host != NULL, KG_ERR_ARG);
	/* Hostname may name the original host as %h ("%h.example.com"). */
	if (!cfg->hostname_done) {
		const kg_token tok[] = { { 'h', host } };
		char *hn = NULL;
		GUARD(kg_expand_tokens(cfg->hostname ? cfg->hostname : host, tok, 1, &hn));
		free(cfg->hostname);
		cfg->hostname = hn;
		cfg->hostname_done = 1;
	}
	if (!cfg->original_host)
		ENSURE((cfg->original_host = strdup(host)) != NULL, KG_ERR_ALLOC);
	/* The final pass reads the files again: a file or forwarding named
	 * twice is kept once, as ssh does. */
	dedupe(&cfg->identity_files);
	dedupe(&cfg->local_forwards);
	dedupe(&cfg->remote_forwards);
	if (!cfg->user && local_user) {
		cfg->user = strdup(local_user);
		ENSURE(cfg->user != NULL, KG_ERR_ALLOC);
	}
	default_int(&cfg->port, 22);
	if (cfg->identity_files.n == 0) {
		static const char *const ids[] = { "~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ed25519" };
		for (size_t i = 0; i < KG_ARRAY_LEN(ids); i++)
			GUARD(kg_strlist_add(&cfg->identity_files, ids[i]));
		cfg->identity_files_default = 1;
	}
	cfg->user_known_hosts_set = cfg->user_known_hosts_files.n > 0;
	GUARD(default_list(&cfg->user_known_hosts_files, "~/.ssh/known_hosts", "~/.ssh/known_hosts2"));
	GUARD(default_list(&cfg->global_known_hosts_files, "/etc/ssh/ssh_known_hosts",
			   "/etc/ssh/ssh_known_hosts2"));
	default_int(&cfg->strict_host_key_checking, KG_SHKC_ASK);
	default_int(&cfg->batch_mode, 0);
	default_int(&cfg->enable_escape_commandline, 0);
	default_int(&cfg->log_level, KG_LOG_INFO);
	default_int(&cfg->pubkey_authentication, 1);
	default_int(&cfg->password_authentication, 1);
	default_int(&cfg->kbd_interactive_authentication, 1);
	default_int(&cfg->number_of_password_prompts, 3);
	default_int(&cfg->connect_timeout, 0);
	default_int(&cfg->compression, 0);
	default_int(&cfg->server_alive_interval, 0);
	default_int(&cfg->tcp_keepalive, 1);
	default_int(&cfg->server_alive_count_max, 3);
	default_int(&cfg->address_family, AF_UNSPEC);
	default_int(&cfg->request_tty, KG_TTY_AUTO);
	default_int(&cfg->hash_known_hosts, 0);
	default_int(&cfg->identities_only, 0);
	cfg->forward_agent = KG_CFG_UNSET;
	if (cfg->forward_agent_spec) {
		const char *v = cfg->forward_agent_spec;
		if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0)
			cfg->forward_agent = 1;
		else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0)
			cfg->forward_agent = 0;
		else
			cfg->forward_agent = 2;  /* a socket path or $VAR: forward that agent */
	}
	default_int(&cfg->forward_agent, 0);
	default_int(&cfg->exit_on_forward_failure, 0);
	/* hk: UpdateHostKeys is on unless UserKnownHostsFile was given or
	 * VerifyHostKeyDNS is on, as ssh_config(5) says. */
	default_int(&cfg->check_host_ip, 0);
	default_int(&cfg->visual_host_key, 0);
	default_int(&cfg->verify_host_key_dns, KG_VHKDNS_NO);
	default_int(&cfg->update_host_keys,
		    !cfg->user_known_hosts_set && cfg->verify_host_key_dns == KG_VHKDNS_NO ? KG_UHK_YES : KG_UHK_NO);
	/* proc */
	default_int(&cfg->session_type, KG_SESSION_DEFAULT);
	default_int(&cfg->stdin_null, 0);
	default_int(&cfg->fork_after_authentication, 0);
	default_int(&cfg->connection_attempts, 1);
	/* fwd */
	default_int(&cfg->gateway_ports, 0);
	default_int(&cfg->stream_local_bind_unlink, 0);
	default_int(&cfg->clear_all_forwardings, 0);
	if (cfg->clear_all_forwardings == 1) {
		kg_strlist_free(&cfg->local_forwards);
		kg_strlist_free(&cfg->remote_forwards);
		kg_strlist_free(&cfg->dynamic_forwards);
	}
	/* cfg */
	default_int(&cfg->canonicalize_hostname, KG_CANON_NO);
	default_int(&cfg->canonicalize_max_dots, 1);
	default_int(&cfg->canonicalize_fallback_local, 1);
	default_int(&cfg->required_rsa_size, 1024);
	default_int(&cfg->permit_local_command, 0);
	return KG_OK;
}
