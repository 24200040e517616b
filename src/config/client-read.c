/* The client configuration's passes: files, Hostname, canonicalisation, the final pass, defaults. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include "config/client-read.h"
#include "sys/host-facts.h"

static int sys_resolve(void *arg, const char *name, int family, char **canon)
{
	(void)arg;
	return kg_sys_resolve_canon(name, family, canon);
}

static int is_address(const char *s)
{
	unsigned char b[16];
	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

/* CanonicalizePermittedCNAMEs: "source_list:target_list" rules. */
static int cname_permitted(const kg_strlist *rules, const char *from, const char *to)
{
	for (size_t i = 0; i < rules->n; i++) {
		const char *rule = rules->v[i];
		const char *colon = strchr(rule, ':');
		if (!colon)
			continue;
		char src[512];
		if ((size_t)(colon - rule) >= sizeof(src))
			continue;
		memcpy(src, rule, (size_t)(colon - rule));
		src[colon - rule] = '\0';
		if (kg_pattern_list_match(from, src, 1) == 1 && kg_pattern_list_match(to, colon + 1, 1) == 1)
			return 1;
	}
	return 0;
}

static int set_hostname(kg_client_config *cfg, const char *name, size_t len)
{
	char *n = strndup(name, len);
	ENSURE(n != NULL, KG_ERR_ALLOC);
	char note[600];
	snprintf(note, sizeof(note), "Canonicalized hostname \"%s\" => \"%s\"", cfg->hostname, n);
	if (kg_strlist_add(&cfg->warnings, note) < 0) {
		free(n);
		return KG_ERR_ALLOC;
	}
	free(cfg->hostname);
	cfg->hostname = n;
	cfg->canonicalized = 1;
	return 1;
}

int kg_client_canonicalize(kg_client_config *cfg, kg_cli_resolve_fn resolve, void *arg, kg_cfg_err *err)
{
	ENSURE(cfg != NULL && cfg->hostname != NULL, KG_ERR_ARG);
	if (!resolve)
		resolve = sys_resolve;
	int mode = cfg->canonicalize_hostname == KG_CFG_UNSET ? KG_CANON_NO : cfg->canonicalize_hostname;
	int proxied = (cfg->proxy_jump && strcasecmp(cfg->proxy_jump, "none") != 0) ||
		      (cfg->proxy_command && strcasecmp(cfg->proxy_command, "none") != 0);
	if (mode == KG_CANON_NO || (proxied && mode != KG_CANON_ALWAYS) || is_address(cfg->hostname))
		return 0;
	for (char *p = cfg->hostname; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	const char *name = cfg->hostname;
	size_t len = strlen(name);
	int family = cfg->address_family == KG_CFG_UNSET ? 0 : cfg->address_family;
	int fallback = cfg->canonicalize_fallback_local != 0;
	char *canon = NULL;
	if (len > 1 && name[len - 1] == '.') {
		/* Fully qualified already: the name without its dot, if it resolves. */
		char *bare = strndup(name, len - 1);
		ENSURE(bare != NULL, KG_ERR_ALLOC);
		int r = resolve(arg, bare, family, &canon);
		free(canon);
		free(bare);
		GUARD(r);
		if (r == 1)
			return set_hostname(cfg, name, len - 1);
	} else {
		size_t dots = 0;
		for (const char *p = name; *p; p++)
			dots += *p == '.';
		int maxdots = cfg->canonicalize_max_dots == KG_CFG_UNSET ? 1 : cfg->canonicalize_max_dots;
		if ((int)dots > maxdots)
			return 0;
		for (size_t i = 0; i < cfg->canonical_domains.n; i++) {
			const char *dom = cfg->canonical_domains.v[i];
			size_t fl = len + strlen(dom) + 3;
			char *full = malloc(fl);
			ENSURE(full != NULL, KG_ERR_ALLOC);
			snprintf(full, fl, "%s.%s.", name, dom);  /* the dot: no search list */
			int r = resolve(arg, full, family, &canon);
			if (r != 1) {
				free(full);
				GUARD(r);
				continue;
			}
			full[strlen(full) - 1] = '\0';
			size_t cl = strlen(canon);
			if (cl && canon[cl - 1] == '.')
				canon[--cl] = '\0';
			int rr;
			if (strcasecmp(canon, full) != 0 && cname_permitted(&cfg->canonicalize_permitted_cnames, full, canon))
				rr = set_hostname(cfg, canon, cl);
			else
				rr = set_hostname(cfg, full, strlen(full));
			free(canon);
			free(full);
			return rr;
		}
	}
	if (!fallback) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "Could not resolve host \"%s\"", cfg->hostname);
		return KG_ERR_CONFIG;
	}
	return 0;
}

static int load_all(kg_client_config *cfg, const kg_cli_read *rd, const char *host, kg_cfg_err *err)
{
	const char *home = rd->home ? rd->home : "/";
	size_t dl = strlen(home) + 16;
	char *sshdir = malloc(dl), *user_cfg = malloc(dl);
	int r = KG_ERR_ALLOC;
	if (!sshdir || !user_cfg)
		goto out;
	snprintf(sshdir, dl, "%s/.ssh", home);
	snprintf(user_cfg, dl, "%s/.ssh/config", home);
	if (rd->config_file) {
		/* -F /dev/null or -F none: no configuration file at all. */
		r = strcmp(rd->config_file, "/dev/null") == 0 || strcmp(rd->config_file, "none") == 0 ? KG_OK :
			kg_client_config_load_file(cfg, rd->config_file, host, sshdir, home, 1, err);
	} else {
		r = kg_client_config_load_file(cfg, rd->user_file ? rd->user_file : user_cfg, host, sshdir, home, 0, err);
		if (r >= 0)
			r = kg_client_config_load_file(cfg, rd->system_file ? rd->system_file : "/etc/ssh/ssh_config",
						       host, "/etc/ssh", home, 0, err);
	}
out:
	free(sshdir);
	free(user_cfg);
	return r;
}

int kg_client_config_read(kg_client_config *cfg, const kg_cli_read *rd, kg_cfg_err *err)
{
	ENSURE(cfg != NULL && rd != NULL && rd->host != NULL, KG_ERR_ARG);
	cfg->local_user = rd->local_user;
	cfg->home = rd->home;
	free(cfg->original_host);
	ENSURE((cfg->original_host = strdup(rd->host)) != NULL, KG_ERR_ALLOC);
	GUARD(load_all(cfg, rd, rd->host, err));
	/* Hostname may name the original host as %h ("%h.example.com"). */
	const kg_token tok[] = { { 'h', rd->host } };
	char *hn = NULL;
	GUARD(kg_expand_tokens(cfg->hostname ? cfg->hostname : rd->host, tok, 1, &hn));
	free(cfg->hostname);
	cfg->hostname = hn;
	cfg->hostname_done = 1;
	/* ssh goes on with the name in lower case (%h, %C, known_hosts). */
	for (char *p = hn; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	int c = kg_client_canonicalize(cfg, rd->resolve, rd->resolve_arg, err);
	GUARD(c);
	if (c == 1 || cfg->want_final_pass) {
		cfg->final_pass = 1;
		char *h = strdup(cfg->hostname);
		ENSURE(h != NULL, KG_ERR_ALLOC);
		int r = load_all(cfg, rd, h, err);
		free(h);
		GUARD(r);
	}
	return kg_client_config_finish(cfg, rd->host, rd->local_user);
}
