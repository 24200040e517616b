/* Expanding ~, ${ENV} and %-tokens in ssh_config values, per keyword as ssh_config(5) lists them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "config/client-tokens.h"
#include "sys/host-facts.h"

#define T_FULL "%CdhijkLlnpru"
#define T_HOST "%h"
#define T_PROXY "%hnpr"
#define T_ALL "%CdhijkLlnpruT"

static const struct kw_rule {
	const char *kw;
	const char *tokens;  /* letters allowed after '%' */
	int env, tilde;
} rules[] = {
	{ "CertificateFile", T_FULL, 1, 1 },   { "ControlPath", T_FULL, 1, 1 },
	{ "IdentityAgent", T_FULL, 1, 1 },     { "IdentityFile", T_FULL, 1, 1 },
	{ "Include", T_FULL, 1, 1 },           { "KnownHostsCommand", T_FULL, 1, 0 },
	{ "LocalForward", T_FULL, 1, 1 },      { "RemoteForward", T_FULL, 1, 1 },
	{ "RemoteCommand", T_FULL, 0, 0 },     { "RevokedHostKeys", T_FULL, 0, 1 },
	{ "UserKnownHostsFile", T_FULL, 1, 1 }, { "VersionAddendum", T_FULL, 0, 0 },
	{ "exec", T_FULL, 0, 0 },              { "Hostname", T_HOST, 0, 0 },
	{ "ProxyCommand", T_PROXY, 0, 0 },     { "ProxyJump", T_PROXY, 0, 0 },
	{ "LocalCommand", T_ALL, 0, 0 },
};

/* ${NAME} from the environment; an unset NAME is an error. */
static int expand_env(const char *kw, const char *in, char **out, kg_cfg_err *err)
{
	size_t cap = strlen(in) + 1, n = 0;
	char *o = malloc(cap);
	ENSURE(o != NULL, KG_ERR_ALLOC);
	for (const char *p = in; *p;) {
		const char *val = NULL;
		size_t adv = 1;
		if (p[0] == '$' && p[1] == '{') {
			const char *end = strchr(p + 2, '}');
			size_t nl = end ? (size_t)(end - p - 2) : 0;
			int okname = end && nl > 0;
			for (size_t i = 0; okname && i < nl; i++) {
				char c = p[2 + i];
				okname = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
					 (i > 0 && c >= '0' && c <= '9');
			}
			if (!okname) {
				kg_cfg_errf(err, kw, 0, "invalid environment variable in \"%s\"", in);
				free(o);
				return KG_ERR_CONFIG;
			}
			char name[256];
			if (nl >= sizeof(name) || !(val = (snprintf(name, sizeof(name), "%.*s", (int)nl, p + 2), getenv(name)))) {
				kg_cfg_errf(err, kw, 0, "env var ${%.*s} has no value", (int)nl, p + 2);
				free(o);
				return KG_ERR_CONFIG;
			}
			adv = nl + 3;
		}
		size_t vl = val ? strlen(val) : 1;
		if (n + vl + 1 > cap) {
			cap = (n + vl + 1) * 2;
			char *no = realloc(o, cap);
			if (!no) {
				free(o);
				return KG_ERR_ALLOC;
			}
			o = no;
		}
		memcpy(o + n, val ? val : p, vl);
		n += vl;
		p += adv;
	}
	o[n] = '\0';
	*out = o;
	return KG_OK;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static const char *jump_of(const kg_client_config *cfg)
{
	return cfg->proxy_jump && strcasecmp(cfg->proxy_jump, "none") != 0 ? cfg->proxy_jump : "";
}

int kg_cli_conn_hash(const kg_client_config *cfg, const char *local_user, char hex[41])
{
	char lhost[256];
	GUARD(kg_sys_local_hostname(lhost, sizeof(lhost)));
	char port[16];
	snprintf(port, sizeof(port), "%d", cfg->port > 0 ? cfg->port : 22);
	const char *user = cfg->user ? cfg->user : or_empty(local_user);
	const char *host = cfg->hostname ? cfg->hostname : or_empty(cfg->original_host);
	const char *parts[] = { lhost, host, port, user, jump_of(cfg) };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ENSURE(ctx != NULL, KG_ERR_ALLOC);
	int ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1;
	for (size_t i = 0; ok && i < KG_ARRAY_LEN(parts); i++)
		ok = EVP_DigestUpdate(ctx, parts[i], strlen(parts[i])) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 20;
	EVP_MD_CTX_free(ctx);
	ENSURE(ok, KG_ERR_CRYPTO);
	for (unsigned i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return KG_OK;
}

int kg_cli_expand(const kg_client_config *cfg, const char *home, const char *local_user, const char *keyword,
		  const char *raw, char **out, kg_cfg_err *err)
{
	ENSURE(cfg != NULL && keyword != NULL && raw != NULL && out != NULL, KG_ERR_ARG);
	const struct kw_rule *rule = NULL;
	for (size_t i = 0; i < KG_ARRAY_LEN(rules) && !rule; i++)
		if (strcasecmp(rules[i].kw, keyword) == 0)
			rule = &rules[i];
	ENSURE(rule != NULL, KG_ERR_ARG);
	/* Every %x must be one the keyword takes (checked before running
	 * anything that costs, such as the host name or %C). */
	for (const char *p = raw; *p; p++) {
		if (*p != '%')
			continue;
		if (!p[1] || !strchr(rule->tokens, p[1])) {
			if (p[1])
				kg_cfg_errf(err, rule->kw, 0, "unknown key %%%c in \"%s\"", p[1], raw);
			else
				kg_cfg_errf(err, rule->kw, 0, "a lone %% at the end of \"%s\"", raw);
			return KG_ERR_CONFIG;
		}
		p++;
	}
	char *t = NULL, *e = NULL;
	if (rule->tilde && home)
		GUARD(kg_expand_tilde(raw, home, &t));
	else
		ENSURE((t = strdup(raw)) != NULL, KG_ERR_ALLOC);
	int r = KG_OK;
	if (rule->env)
		r = expand_env(rule->kw, t, &e, err);
	else
		e = t, t = NULL;
	free(t);
	GUARD(r);
	char lhost[256] = "", shost[256] = "", port[16], uid[24], hash[41] = "";
	if (strpbrk(e, "%") && (strstr(e, "%l") || strstr(e, "%L") || strstr(e, "%C"))) {
		if ((r = kg_sys_local_hostname(lhost, sizeof(lhost))) == KG_OK) {
			memcpy(shost, lhost, sizeof(shost));
			shost[strcspn(shost, ".")] = '\0';
		}
		if (r == KG_OK && strstr(e, "%C"))
			r = kg_cli_conn_hash(cfg, local_user, hash);
		if (r < 0) {
			free(e);
			return r;
		}
	}
	snprintf(port, sizeof(port), "%d", cfg->port > 0 ? cfg->port : 22);
	snprintf(uid, sizeof(uid), "%lu", (unsigned long)getuid());
	const char *orig = cfg->original_host ? cfg->original_host : or_empty(cfg->hostname);
	const kg_token tok[] = {
		{ 'C', hash }, { 'd', or_empty(home) }, { 'h', cfg->hostname ? cfg->hostname : orig },
		{ 'i', uid }, { 'j', jump_of(cfg) }, { 'k', cfg->host_key_alias ? cfg->host_key_alias : orig },
		{ 'L', shost }, { 'l', lhost }, { 'n', orig }, { 'p', port },
		{ 'r', cfg->user ? cfg->user : or_empty(local_user) }, { 'u', or_empty(local_user) },
		{ 'T', "NONE" },
	};
	r = kg_expand_tokens(e, tok, KG_ARRAY_LEN(tok), out);
	free(e);
	if (r == KG_ERR_CONFIG)
		kg_cfg_errf(err, rule->kw, 0, "cannot expand \"%s\"", raw);
	return r;
}
