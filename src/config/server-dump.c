/* Printing the effective sshd_config as sshd -T does. */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include "config/server-dump.h"
#include "config/server-limits.h"

static const char *yn(int v)
{
	return v == 1 ? "yes" : "no";
}

static const char *or_none(const char *s)
{
	return s && *s ? s : "none";
}

static const char *root_name(int v)
{
	switch (v) {
	case KG_ROOT_YES: return "yes";
	case KG_ROOT_PROHIBIT_PASSWORD: return "without-password";  /* sshd -T's spelling */
	case KG_ROOT_FORCED_COMMANDS_ONLY: return "forced-commands-only";
	default: return "no";
	}
}

static const char *fwd_name(int v)
{
	switch (v) {
	case KG_FWD_YES: return "yes";
	case KG_FWD_LOCAL: return "local";
	case KG_FWD_REMOTE: return "remote";
	default: return "no";
	}
}

static const char *level_name(int v)
{
	/* DEBUG and DEBUG1 are one level; sshd prints DEBUG1. */
	for (const kg_cfg_enum *e = kg_cfg_loglevels; e->name; e++)
		if (e->value == v && strcmp(e->name, "DEBUG") != 0)
			return e->name;
	return "INFO";
}

static const char *facility_name(int v)
{
	static const struct {
		int f;
		const char *n;
	} t[] = {
		{ LOG_DAEMON, "DAEMON" }, { LOG_USER, "USER" }, { LOG_AUTH, "AUTH" }, { LOG_AUTHPRIV, "AUTHPRIV" },
		{ LOG_LOCAL0, "LOCAL0" }, { LOG_LOCAL1, "LOCAL1" }, { LOG_LOCAL2, "LOCAL2" }, { LOG_LOCAL3, "LOCAL3" },
		{ LOG_LOCAL4, "LOCAL4" }, { LOG_LOCAL5, "LOCAL5" }, { LOG_LOCAL6, "LOCAL6" }, { LOG_LOCAL7, "LOCAL7" },
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(t); i++)
		if (t[i].f == v)
			return t[i].n;
	return "AUTH";
}

static void each(FILE *out, const char *kw, const kg_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		fprintf(out, "%s %s\n", kw, l->v[i]);
}

/* As sshd: every ListenAddress with every Port unless it names its own;
 * none given: the wildcard addresses of both families. */
static void listen_lines(FILE *out, const kg_server_config *cfg)
{
	for (size_t p = 0; p < cfg->nports && cfg->listen_addresses.n == 0; p++) {
		fprintf(out, "listenaddress [::]:%d\n", cfg->ports[p]);
		fprintf(out, "listenaddress 0.0.0.0:%d\n", cfg->ports[p]);
	}
	for (size_t i = 0; i < cfg->listen_addresses.n; i++) {
		const char *a = cfg->listen_addresses.v[i];
		const char *colon = strrchr(a, ':');
		int has_port = a[0] == '[' ? strstr(a, "]:") != NULL : colon && strchr(a, ':') == colon;
		if (has_port) {
			fprintf(out, "listenaddress %s\n", a);
			continue;
		}
		int v6 = strchr(a, ':') != NULL && a[0] != '[';
		for (size_t p = 0; p < cfg->nports; p++)
			fprintf(out, "listenaddress %s%s%s:%d\n", v6 ? "[" : "", a, v6 ? "]" : "", cfg->ports[p]);
	}
}

static void opt(FILE *out, const char *kw, const char *v)
{
	if (v)
		fprintf(out, "%s %s\n", kw, v);
}

int kg_server_config_dump(const kg_server_config *c, const kg_svr_dump_algs *algs, FILE *out)
{
	static const kg_svr_dump_algs none = { NULL, NULL, NULL, NULL, NULL };
	const kg_svr_dump_algs *a = algs ? algs : &none;
	for (size_t p = 0; p < c->nports; p++)
		fprintf(out, "port %d\n", c->ports[p]);
	listen_lines(out, c);
	fprintf(out, "usepam %s\n", yn(c->use_pam));
	fprintf(out, "logingracetime %d\n", c->login_grace_time);
	fprintf(out, "maxauthtries %d\n", c->max_auth_tries);
	fprintf(out, "maxsessions %d\n", c->max_sessions);
	fprintf(out, "clientaliveinterval %d\n", c->client_alive_interval);
	fprintf(out, "clientalivecountmax %d\n", c->client_alive_count_max);
	fprintf(out, "permitrootlogin %s\n", root_name(c->permit_root_login));
	fprintf(out, "ignorerhosts %s\n", yn(c->ignore_rhosts));
	fprintf(out, "hostbasedauthentication %s\n", yn(c->hostbased_authentication));
	fprintf(out, "pubkeyauthentication %s\n", yn(c->pubkey_authentication));
	fprintf(out, "kerberosauthentication %s\n", yn(c->kerberos_authentication));
	fprintf(out, "gssapiauthentication %s\n", yn(c->gssapi_authentication));
	fprintf(out, "passwordauthentication %s\n", yn(c->password_authentication));
	fprintf(out, "kbdinteractiveauthentication %s\n", yn(c->kbd_interactive_authentication));
	fprintf(out, "printmotd %s\n", yn(c->print_motd));
	fprintf(out, "printlastlog %s\n", yn(c->print_last_log));
	fprintf(out, "x11forwarding %s\n", yn(c->x11_forwarding));
	fprintf(out, "permittty %s\n", yn(c->permit_tty));
	fprintf(out, "permituserrc %s\n", yn(c->permit_user_rc));
	fprintf(out, "strictmodes %s\n", yn(c->strict_modes));
	fprintf(out, "permitemptypasswords %s\n", yn(c->permit_empty_passwords));
	fprintf(out, "compression %s\n", c->compression == KG_COMP_NO ? "no" : "yes");
	fprintf(out, "usedns %s\n", yn(c->use_dns));
	fprintf(out, "tcpkeepalive %s\n", yn(c->tcp_keepalive));
	fprintf(out, "allowtcpforwarding %s\n", fwd_name(c->allow_tcp_forwarding));
	fprintf(out, "allowagentforwarding %s\n", yn(c->allow_agent_forwarding));
	fprintf(out, "pidfile %s\n", or_none(c->pid_file));
	opt(out, "ciphers", a->ciphers);
	opt(out, "macs", a->macs);
	fprintf(out, "banner %s\n", or_none(c->banner));
	fprintf(out, "forcecommand %s\n", or_none(c->force_command));
	fprintf(out, "chrootdirectory %s\n", or_none(c->chroot_directory));
	opt(out, "kexalgorithms", a->kex);
	opt(out, "hostkeyalgorithms", a->hostkey);
	opt(out, "pubkeyacceptedalgorithms", a->pubkey);
	fprintf(out, "loglevel %s\n", level_name(c->log_level));
	fprintf(out, "syslogfacility %s\n", facility_name(c->syslog_facility));
	fprintf(out, "authorizedkeysfile");
	for (size_t i = 0; i < c->authorized_keys_files.n; i++)
		fprintf(out, " %s", c->authorized_keys_files.v[i]);
	fprintf(out, "%s\n", c->authorized_keys_files.n ? "" : " none");
	each(out, "hostkey", &c->host_keys);
	each(out, "allowusers", &c->allow_users);
	each(out, "denyusers", &c->deny_users);
	each(out, "allowgroups", &c->allow_groups);
	each(out, "denygroups", &c->deny_groups);
	each(out, "acceptenv", &c->accept_env);
	each(out, "setenv", &c->set_env);
	kg_svr_limits lim;
	if (kg_svr_limits_get(c, &lim) == KG_OK)
		kg_svr_limits_dump(&lim, c, out);
	fprintf(out, "rekeylimit %llu %d\n", (unsigned long long)c->rekey_limit.bytes, c->rekey_limit.seconds);
	fprintf(out, "permituserenvironment %s\n", c->permit_user_environment ? c->permit_user_environment : "no");
	for (size_t i = 0; i < c->nsubsystems; i++)
		fprintf(out, "subsystem %s %s\n", c->subsystems[i].name, c->subsystems[i].command);
	return fflush(out) == 0 && !ferror(out) ? KG_OK : KG_ERR_SYSTEM;
}
