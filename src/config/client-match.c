/* Client Match lines: criteria syntax and their value in the current pass (exec, localnetwork, canonical/final...). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "config/authorized-keys.h"
#include "config/client-match.h"
#include "config/client-tokens.h"
#include "core/transport.h"
#include "sys/host-facts.h"

const char *kg_cli_session_type_name(const kg_client_config *cfg)
{
	if (cfg->session_type == KG_SESSION_NONE)
		return "none";
	if (cfg->session_type == KG_SESSION_SUBSYSTEM)
		return "subsystem";
	return cfg->command_line ? "exec" : "shell";
}

/* The Hostname known so far with %h expanded (malloc'ed). */
static int current_host(const kg_client_config *cfg, const char *host, char **out)
{
	if (!cfg->hostname || cfg->hostname_done) {
		*out = strdup(cfg->hostname ? cfg->hostname : host);
		ENSURE(*out != NULL, KG_ERR_ALLOC);
		return KG_OK;
	}
	const kg_token tok[] = { { 'h', host } };
	return kg_expand_tokens(cfg->hostname, tok, 1, out);
}

static int localnetwork(const char *list, const char *file, size_t line, int *hit, kg_cfg_err *err)
{
	if (kg_addr_match_list("127.0.0.1", list) == -2) {
		kg_cfg_errf(err, file, line, "Invalid Match localnetwork list '%s'", list);
		return KG_ERR_CONFIG;
	}
	char **addrs = NULL;
	size_t n = 0;
	GUARD(kg_sys_if_addrs(&addrs, &n));
	*hit = 0;
	for (size_t i = 0; i < n && !*hit; i++)
		*hit = kg_addr_match_list(addrs[i], list) == 1;
	kg_sys_addrs_free(addrs, n);
	return KG_OK;
}

static int run_exec(const kg_client_config *cfg, const char *hname, const char *cmd, const char *file,
		    size_t line, int *hit, kg_cfg_err *err)
{
	kg_client_config view = *cfg;  /* the same values, Hostname as matched */
	view.hostname = (char *)hname;
	if (!view.host_key_alias)
		view.host_key_alias = (char *)hname;  /* %k in exec: the name as matched */
	char *x = NULL;
	kg_cfg_err e;
	int r = kg_cli_expand(&view, cfg->home, cfg->local_user, "exec", cmd, &x, &e);
	if (r == KG_ERR_CONFIG) {
		kg_cfg_errf(err, file, line, "Match %s", e.msg);
		return r;
	}
	GUARD(r);
	int status = 0;
	r = kg_sys_shell_status(x, &status);
	free(x);
	if (r < 0) {
		kg_cfg_errf(err, file, line, "Match exec: cannot run \"%s\"", cmd);
		return KG_ERR_CONFIG;
	}
	*hit = status == 0;
	return KG_OK;
}

static int is_flag_criterion(const char *w)
{
	return strcasecmp(w, "canonical") == 0 || strcasecmp(w, "final") == 0;
}

static int known_with_arg(const char *w)
{
	static const char *const names[] = { "exec", "localnetwork", "host", "originalhost", "user", "localuser",
					     "tagged", "command", "sessiontype", "version" };
	for (size_t i = 0; i < KG_ARRAY_LEN(names); i++)
		if (strcasecmp(w, names[i]) == 0)
			return 1;
	return 0;
}

/* The whole line's syntax, before anything is run. */
static int check_line(char *const *args, size_t nargs, const char *file, size_t line, kg_cfg_err *err)
{
	if (nargs == 0) {
		kg_cfg_errf(err, file, line, "Match: missing criteria");
		return KG_ERR_CONFIG;
	}
	int only_flags = 1;
	for (size_t i = 0; i < nargs; i++) {
		const char *w = args[i] + (args[i][0] == '!');
		if (strcasecmp(w, "all") == 0) {
			if (!only_flags || i + 1 != nargs) {
				kg_cfg_errf(err, file, line, "'all' cannot be combined with other Match attributes");
				return KG_ERR_CONFIG;
			}
			continue;
		}
		if (is_flag_criterion(w))
			continue;
		only_flags = 0;
		if (!known_with_arg(w)) {
			kg_cfg_errf(err, file, line, "Unsupported Match attribute %s", w);
			return KG_ERR_CONFIG;
		}
		if (i + 1 >= nargs || (args[i + 1][0] == '\0' && strcasecmp(w, "tagged") != 0 &&
					       strcasecmp(w, "command") != 0)) {
			kg_cfg_errf(err, file, line, "Missing Match criteria for %s", w);
			return KG_ERR_CONFIG;
		}
		i++;
	}
	return KG_OK;
}

/* "" matches an empty value only; otherwise a pattern list. */
static int match_or_empty(const char *have, const char *list, int nocase)
{
	if (*have == '\0' || *list == '\0')
		return *have == '\0' && *list == '\0';
	return kg_pattern_list_match(have, list, nocase) == 1;
}

int kg_cli_match_line(kg_client_config *cfg, const char *host, char *const *args, size_t nargs,
		      const char *file, size_t line, int *active, kg_cfg_err *err)
{
	GUARD(check_line(args, nargs, file, line, err));
	char *hname = NULL;
	GUARD(current_host(cfg, host, &hname));
	int result = 1, r = KG_OK;
	for (size_t i = 0; i < nargs && r == KG_OK; i++) {
		const char *w = args[i];
		int neg = w[0] == '!';
		w += neg;
		int hit = 0;
		if (strcasecmp(w, "all") == 0) {
			hit = 1;
		} else if (is_flag_criterion(w)) {
			if (strcasecmp(w, "final") == 0 && !neg)
				cfg->want_final_pass = 1;
			hit = cfg->final_pass;
		} else {
			const char *arg = args[++i];
			if (strcasecmp(w, "host") == 0) {
				hit = kg_pattern_list_match(hname, arg, 1) == 1;
			} else if (strcasecmp(w, "originalhost") == 0) {
				hit = kg_pattern_list_match(cfg->original_host ? cfg->original_host : host, arg, 1) == 1;
			} else if (strcasecmp(w, "user") == 0) {
				const char *u = cfg->user ? cfg->user : cfg->local_user ? cfg->local_user : "";
				hit = kg_pattern_list_match(u, arg, 0) == 1;
			} else if (strcasecmp(w, "localuser") == 0) {
				hit = kg_pattern_list_match(cfg->local_user ? cfg->local_user : "", arg, 0) == 1;
			} else if (strcasecmp(w, "tagged") == 0) {
				hit = match_or_empty(cfg->tag ? cfg->tag : "", arg, 0);
			} else if (strcasecmp(w, "command") == 0) {
				hit = match_or_empty(cfg->command_line ? cfg->command_line : "", arg, 0);
			} else if (strcasecmp(w, "sessiontype") == 0) {
				hit = kg_pattern_list_match(kg_cli_session_type_name(cfg), arg, 1) == 1;
			} else if (strcasecmp(w, "version") == 0) {
				hit = kg_pattern_list_match(&KG_TR_VERSION[8], arg, 0) == 1;
			} else if (strcasecmp(w, "localnetwork") == 0) {
				r = localnetwork(arg, file, line, &hit, err);
			} else if (strcasecmp(w, "exec") == 0) {
				/* As ssh: a command runs only if the criteria before it held. */
				if (!result)
					continue;
				r = run_exec(cfg, hname, arg, file, line, &hit, err);
			}
		}
		if (neg)
			hit = !hit;
		if (!hit)
			result = 0;
	}
	free(hname);
	GUARD(r);
	*active = result;
	return KG_OK;
}
