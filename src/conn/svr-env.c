/* Session environment from the server: environment=, ~/.ssh/environment, SetEnv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "conn/svr-env.h"
#include "sys/user-id.h"

/* Set by the server after the sources here, so never taken from them. */
static int reserved(const char *name, size_t n)
{
	static const char *const names[] = { "SSH_CLIENT", "SSH_CONNECTION", "SSH_TTY", "SSH_ORIGINAL_COMMAND",
					     "SSH_AUTH_SOCK" };
	for (size_t i = 0; i < KG_ARRAY_LEN(names); i++)
		if (strlen(names[i]) == n && memcmp(names[i], name, n) == 0)
			return 1;
	return 0;
}

int kg_svr_env_user_allowed(const char *permit, const char *name)
{
	if (!permit || strcasecmp(permit, "no") == 0)
		return 0;
	if (strcasecmp(permit, "yes") == 0)
		return 1;
	return kg_pattern_list_match(name, permit, 0) == 1;
}

/* Adds "NAME=value" (n bytes) when its name is allowed. */
static int add(kg_strlist *out, const char *nv, size_t n, const char *permit)
{
	const char *eq = memchr(nv, '=', n);
	if (!eq || eq == nv || (size_t)(eq - nv) > 256 || reserved(nv, (size_t)(eq - nv)))
		return KG_OK;
	char *s = strndup(nv, n);
	ENSURE(s != NULL, KG_ERR_ALLOC);
	s[eq - nv] = '\0';
	int ok = !permit || kg_svr_env_user_allowed(permit, s);
	s[eq - nv] = '=';
	int r = KG_OK;
	if (ok)
		r = out->n < KG_SVR_ENV_MAX ? kg_strlist_add(out, s) : KG_ERR_TOO_LARGE;
	free(s);
	return r;
}

int kg_svr_env_parse_file(const char *text, size_t len, const char *permit, kg_strlist *out)
{
	size_t i = 0;
	while (i < len) {
		size_t e = i;
		while (e < len && text[e] != '\n')
			e++;
		const char *l = text + i;
		size_t n = e - i;
		while (n > 0 && (*l == ' ' || *l == '\t')) {
			l++;
			n--;
		}
		if (n > 0 && l[n - 1] == '\r')
			n--;
		if (n > 0 && *l != '#' && !memchr(l, '\0', n))
			GUARD(add(out, l, n, permit));
		i = e + 1;
	}
	return KG_OK;
}

static int read_user_file(const kg_spawn_user *u, int as_user, kg_logger *log, char **text, size_t *len)
{
	size_t hn = strlen(u->home);
	char *path = malloc(hn + sizeof("/.ssh/environment"));
	ENSURE(path != NULL, KG_ERR_ALLOC);
	snprintf(path, hn + sizeof("/.ssh/environment"), "%s/.ssh/environment", u->home);
	kg_user_id id;
	int r = as_user ? kg_user_id_enter(&id, u) : KG_OK;
	if (r >= 0)
		r = kg_read_text_file(path, KG_SVR_ENV_FILE_MAX, text, len, NULL);
	if (as_user && kg_user_id_leave(&id) < 0) {
		/* Going on with the user's identity would be worse than stopping. */
		kg_error(log, "fatal: cannot restore the server's identity after reading %s", path);
		_exit(255);
	}
	free(path);
	return r;
}

int kg_svr_env_build(const kg_server_config *cfg, const kg_ak_opts *ak, const kg_spawn_user *u, int as_user,
		     kg_logger *log, kg_strlist *out)
{
	const char *permit = cfg->permit_user_environment;
	if (permit && strcasecmp(permit, "no") != 0) {
		for (size_t i = 0; ak && i < ak->environment.n; i++)
			GUARD(add(out, ak->environment.v[i], strlen(ak->environment.v[i]), permit));
		char *text = NULL;
		size_t len = 0;
		int r = read_user_file(u, as_user, log, &text, &len);
		if (r >= 0) {
			r = kg_svr_env_parse_file(text, len, permit, out);
			free(text);
			GUARD(r);
		} else if (r != KG_ERR_NOT_FOUND) {
			kg_verbose(log, "%s/.ssh/environment not read: %s", u->home, kg_err_str(r));
		}
	}
	for (size_t i = 0; i < cfg->set_env.n; i++)
		GUARD(add(out, cfg->set_env.v[i], strlen(cfg->set_env.v[i]), NULL));
	return KG_OK;
}
