/* Printing the resolved client configuration as ssh -G does. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include "config/client-dump.h"
#include "config/forward-spec.h"
#include "config/add-keys.h"
#include "config/client-tokens.h"
#include "core/cipher.h"
#include "core/defaults.h"
#include "core/kex.h"

static const char *yn(int v)
{
	return v == 1 ? "yes" : "no";
}

/* ssh -G prints some flags as true/false (those with more than two values). */
static const char *tf(int v)
{
	return v == 1 ? "true" : "false";
}

static const char *shkc_name(int v)
{
	switch (v) {
	case KG_SHKC_YES: return "true";
	case KG_SHKC_NO: return "false";
	case KG_SHKC_ACCEPT_NEW: return "accept-new";
	default: return "ask";
	}
}

/* yes/no/ask keywords (UpdateHostKeys, VerifyHostKeyDNS): true/false/ask. */
static const char *ask_name(int v)
{
	return v == 2 ? "ask" : tf(v);
}

static const char *tty_name(int v)
{
	switch (v) {
	case KG_TTY_NO: return "false";
	case KG_TTY_YES: return "true";
	case KG_TTY_FORCE: return "force";
	default: return "auto";
	}
}

static const char *af_name(int v)
{
	return v == AF_INET ? "inet" : v == AF_INET6 ? "inet6" : "any";
}

static int print_algs(FILE *out, const char *kw, const kg_logger *lg, const char *what, const char *defaults,
		      const char *supported, const char *spec)
{
	char *list = NULL;
	GUARD(kg_cfg_algorithms(lg, what, defaults, supported, spec, &list));
	fprintf(out, "%s %s\n", kw, list);
	free(list);
	return KG_OK;
}

/* UserKnownHostsFile and GlobalKnownHostsFile: ~, ${ENV} and tokens
 * expanded (kg_cli_expand), on one line, as ssh -G shows them. */
static int print_paths(FILE *out, const char *kw, const kg_client_config *cfg, const kg_strlist *l,
		       const char *home, const char *local_user, const kg_logger *lg)
{
	fputs(kw, out);
	for (size_t i = 0; i < l->n; i++) {
		char *p = NULL;
		kg_cfg_err e;
		int r = kg_cli_expand(cfg, home, local_user, "UserKnownHostsFile", l->v[i], &p, &e);
		if (r == KG_ERR_CONFIG)
			kg_error(lg, "%s: %s", lg && lg->ident ? lg->ident : "kssh", e.msg);
		GUARD(r);
		fprintf(out, " %s", p);
		free(p);
	}
	fputc('\n', out);
	return KG_OK;
}

/* mux: ControlMaster, ControlPath (tokens expanded) and ControlPersist. */
static const char *mux_master_name(const char *v)
{
	if (!v || strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0)
		return "false";
	return strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ? "true" : v;
}

static int print_control_path(FILE *out, const kg_client_config *cfg, const char *home, const char *local_user)
{
	if (!cfg->control_path || strcasecmp(cfg->control_path, "none") == 0)
		return KG_OK;
	char *p = NULL;
	kg_cfg_err e;
	GUARD(kg_cli_expand(cfg, home, local_user, "ControlPath", cfg->control_path, &p, &e));
	fprintf(out, "controlpath %s\n", p);
	free(p);
	return KG_OK;
}

static void print_control_persist(FILE *out, const char *v)
{
	long secs;
	if (!v || strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0)
		fputs("controlpersist no\n", out);
	else if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0)
		fputs("controlpersist yes\n", out);
	else if (kg_cfg_parse_time(v, &secs) == KG_OK && secs > 0)
		fprintf(out, "controlpersist %ld\n", secs);
	else if (kg_cfg_parse_time(v, &secs) == KG_OK)
		fputs("controlpersist yes\n", out);
}

/* fwd: ssh -G's forwarding lines: the listen side ("port", "[host]:port"
 * or a path) and the target ("[host]:port", a path; "[socks]:0" for a
 * remote one with none). */
static void print_forward_side(FILE *out, const char *host, int port, const char *path, int bare_port)
{
	if (path)
		fprintf(out, "%s", path);
	else if (!host && bare_port)
		fprintf(out, "%d", port);
	else
		fprintf(out, "[%s]:%d", host ? host : "socks", port);
}

static void print_forwards(FILE *out, const char *kw, const kg_strlist *l, int kind)
{
	for (size_t i = 0; i < l->n; i++) {
		kg_fwd_spec f;
		if (kg_fwd_spec_parse_config(l->v[i], kind, &f) < 0)
			continue;
		fprintf(out, "%s ", kw);
		print_forward_side(out, f.listen_host, f.listen_port, f.listen_path, 1);
		if (kind != KG_FWDSPEC_DYNAMIC) {
			fputc(' ', out);
			print_forward_side(out, f.connect_host, f.dynamic ? 0 : f.connect_port, f.connect_path, 0);
		}
		fputc('\n', out);
		kg_fwd_spec_free(&f);
	}
}

/* A list on one line, "none" when empty. */
static void print_list(FILE *out, const char *kw, const kg_strlist *l)
{
	fputs(kw, out);
	for (size_t i = 0; i < l->n; i++)
		fprintf(out, " %s", l->v[i]);
	fputs(l->n ? "\n" : " none\n", out);
}

int kg_client_config_dump(const kg_client_config *cfg, const char *host, const char *home,
			  const char *local_user, const kg_logger *lg, FILE *out)
{
	ENSURE(cfg != NULL && host != NULL && home != NULL && out != NULL, KG_ERR_ARG);
	fprintf(out, "host %s\nuser %s\nhostname %s\nport %d\n", host, cfg->user, cfg->hostname, cfg->port);
	fprintf(out, "addressfamily %s\n", af_name(cfg->address_family));
	fprintf(out, "batchmode %s\n", yn(cfg->batch_mode));
	fprintf(out, "checkhostip %s\n", yn(cfg->check_host_ip));
	fprintf(out, "compression %s\n", yn(cfg->compression));
	fprintf(out, "controlmaster %s\n", mux_master_name(cfg->control_master));
	fprintf(out, "clearallforwardings %s\n", yn(cfg->clear_all_forwardings));
	fprintf(out, "exitonforwardfailure %s\n", yn(cfg->exit_on_forward_failure));
	fprintf(out, "gatewayports %s\n", yn(cfg->gateway_ports));
	fprintf(out, "hashknownhosts %s\n", yn(cfg->hash_known_hosts));
	fprintf(out, "identitiesonly %s\n", yn(cfg->identities_only));
	fprintf(out, "kbdinteractiveauthentication %s\n", yn(cfg->kbd_interactive_authentication));
	fprintf(out, "passwordauthentication %s\n", yn(cfg->password_authentication));
	fprintf(out, "pubkeyauthentication %s\n", tf(cfg->pubkey_authentication));
	fprintf(out, "requesttty %s\n", tty_name(cfg->request_tty));
	fprintf(out, "sessiontype %s\n", cfg->session_type == KG_SESSION_NONE ? "none" :
		cfg->session_type == KG_SESSION_SUBSYSTEM ? "subsystem" : "default");
	fprintf(out, "stdinnull %s\n", yn(cfg->stdin_null));
	fprintf(out, "forkafterauthentication %s\n", yn(cfg->fork_after_authentication));
	fprintf(out, "streamlocalbindunlink %s\n", yn(cfg->stream_local_bind_unlink));
	fprintf(out, "stricthostkeychecking %s\n", shkc_name(cfg->strict_host_key_checking));
	fprintf(out, "tcpkeepalive %s\n", yn(cfg->tcp_keepalive));
	fprintf(out, "verifyhostkeydns %s\n", ask_name(cfg->verify_host_key_dns));
	fprintf(out, "visualhostkey %s\n", yn(cfg->visual_host_key));
	fprintf(out, "updatehostkeys %s\n", ask_name(cfg->update_host_keys));
	fprintf(out, "enableescapecommandline %s\n", yn(cfg->enable_escape_commandline));
	fprintf(out, "connectionattempts %d\n", cfg->connection_attempts);
	fprintf(out, "numberofpasswordprompts %d\n", cfg->number_of_password_prompts);
	fprintf(out, "serveralivecountmax %d\n", cfg->server_alive_count_max);
	fprintf(out, "serveraliveinterval %d\n", cfg->server_alive_interval);
	GUARD(print_algs(out, "ciphers", lg, "cipher", KG_CIPHERS_CLIENT_DEFAULT, kg_cipher_all_names(),
			 cfg->ciphers));
	GUARD(print_control_path(out, cfg, home, local_user ? local_user : cfg->user));
	GUARD(print_algs(out, "hostkeyalgorithms", lg, "host key algorithm", KG_HOSTKEY_CLIENT_DEFAULT,
			 KG_HOSTKEY_ALL, cfg->host_key_algorithms));
	if (cfg->host_key_alias)
		fprintf(out, "hostkeyalias %s\n", cfg->host_key_alias);
	if (cfg->identity_agent)
		fprintf(out, "identityagent %s\n", cfg->identity_agent);
	if (cfg->kbd_interactive_devices)
		fprintf(out, "kbdinteractivedevices %s\n", cfg->kbd_interactive_devices);
	GUARD(print_algs(out, "kexalgorithms", lg, "key exchange", KG_KEX_CLIENT_DEFAULT, kg_kex_all_names(),
			 cfg->kex_algorithms));
	fprintf(out, "loglevel %s\n", kg_log_level_name(cfg->log_level));
	GUARD(print_algs(out, "macs", lg, "MAC", KG_MACS_CLIENT_DEFAULT, kg_mac_all_names(), cfg->macs));
	if (cfg->preferred_authentications)
		fprintf(out, "preferredauthentications %s\n", cfg->preferred_authentications);
	print_forwards(out, "dynamicforward", &cfg->dynamic_forwards, KG_FWDSPEC_DYNAMIC);
	print_forwards(out, "localforward", &cfg->local_forwards, KG_FWDSPEC_LOCAL);
	print_forwards(out, "remoteforward", &cfg->remote_forwards, KG_FWDSPEC_REMOTE);
	for (size_t i = 0; i < cfg->identity_files.n; i++)
		fprintf(out, "identityfile %s\n", cfg->identity_files.v[i]);
	const char *lu = local_user ? local_user : cfg->user;
	GUARD(print_paths(out, "globalknownhostsfile", cfg, &cfg->global_known_hosts_files, home, lu, lg));
	GUARD(print_paths(out, "userknownhostsfile", cfg, &cfg->user_known_hosts_files, home, lu, lg));
	for (size_t i = 0; i < cfg->send_env.n; i++)
		fprintf(out, "sendenv %s\n", cfg->send_env.v[i]);
	for (size_t i = 0; i < cfg->set_env.n; i++)
		fprintf(out, "setenv %s\n", cfg->set_env.v[i]);
	fputs("permitremoteopen", out);  /* rfwd */
	for (size_t i = 0; i < cfg->permit_remote_open.n; i++)
		fprintf(out, " %s", cfg->permit_remote_open.v[i]);
	fputs(cfg->permit_remote_open.n ? "\n" : " any\n", out);
	kg_add_keys ak;  /* agentfwd */
	char akv[64];
	if (kg_add_keys_parse(cfg->add_keys_to_agent, &ak) == KG_OK)
		kg_add_keys_format(&ak, akv, sizeof(akv));
	else
		snprintf(akv, sizeof(akv), "%.60s", cfg->add_keys_to_agent);
	fprintf(out, "addkeystoagent %s\n", akv);
	fprintf(out, "forwardagent %s\n", cfg->forward_agent_spec ? cfg->forward_agent_spec : "no");
	if (cfg->connect_timeout > 0)
		fprintf(out, "connecttimeout %d\n", cfg->connect_timeout);
	else
		fputs("connecttimeout none\n", out);
	print_control_persist(out, cfg->control_persist);
	fprintf(out, "escapechar %s\n", cfg->escape_char ? cfg->escape_char : "~");
	fprintf(out, "rekeylimit %llu %d\n", (unsigned long long)cfg->rekey_limit.bytes,
		cfg->rekey_limit.seconds > 0 ? cfg->rekey_limit.seconds : 0);
	fprintf(out, "streamlocalbindmask 0%lo\n",
		cfg->stream_local_bind_mask ? strtoul(cfg->stream_local_bind_mask, NULL, 8) & 0777 : 0177ul);
	if (cfg->proxy_jump && strcmp(cfg->proxy_jump, "none") != 0)
		fprintf(out, "proxyjump %s\n", cfg->proxy_jump);
	/* cfg: canonicalisation (ssh -G spells one keyword with a capital P). */
	fprintf(out, "canonicalizefallbacklocal %s\n", yn(cfg->canonicalize_fallback_local));
	fprintf(out, "canonicalizehostname %s\n", cfg->canonicalize_hostname == KG_CANON_ALWAYS ? "always" :
		tf(cfg->canonicalize_hostname));
	fprintf(out, "canonicalizemaxdots %d\n", cfg->canonicalize_max_dots);
	print_list(out, "canonicaldomains", &cfg->canonical_domains);
	print_list(out, "canonicalizePermittedcnames", &cfg->canonicalize_permitted_cnames);
	fprintf(out, "permitlocalcommand %s\n", yn(cfg->permit_local_command));
	if (cfg->local_command)
		fprintf(out, "localcommand %s\n", cfg->local_command);
	fprintf(out, "requiredrsasize %d\n", cfg->required_rsa_size);
	return ferror(out) ? KG_ERR_SYSTEM : KG_OK;
}
