/* The client's host key helpers (see cli-hostkey.h): known host key
 * types first in the algorithm order, so that a known ecdsa or rsa key is
 * the one the server shows instead of a new type that would need a
 * prompt; and OpenSSH's changed-key warning. */
#include <stdlib.h>
#include <string.h>
#include "conn/cli-hostkey.h"
#include "config/config-common.h"
#include "config/known-hosts.h"
#include "config/known-hosts-edit.h"
#include "core/safety.h"

/* The key type a host key algorithm signs with (rsa-sha2-* are RSA). */
static enum kg_keytype alg_keytype(const char *alg, size_t n)
{
	char name[64];
	if (n >= sizeof(name))
		return KG_KEY_UNSPEC;
	memcpy(name, alg, n);
	name[n] = '\0';
	if (strncmp(name, "rsa-sha2-", 9) == 0)
		return KG_KEY_RSA;
	return kg_key_type_from_name(name);
}

struct known_types {
	unsigned mask;  /* bit per enum kg_keytype */
};

static int known_type_cb(const kg_khe_line *l, void *arg)
{
	struct known_types *kt = arg;
	if (l->status == KG_KHE_MATCHED && l->marker == KG_KHE_MK_NONE && l->key)
		kt->mask |= 1u << l->key->type;
	return KG_OK;
}

int kg_cli_hostkey_order(const char *host, int port, const char *const *files, size_t nfiles, char **algs,
			 int *changed)
{
	ENSURE(host != NULL && algs != NULL && *algs != NULL && changed != NULL, KG_ERR_ARG);
	*changed = 0;
	char *name = NULL;
	GUARD(kg_known_hosts_name(host, port, &name));
	struct known_types kt = { 0 };
	for (size_t i = 0; i < nfiles; i++) {
		char *text = NULL;
		size_t len = 0;
		if (files[i] && kg_read_text_file(files[i], 64u * 1024 * 1024, &text, &len, NULL) == KG_OK)
			(void)!kg_khe_foreach(text, len, name, 1, 1, known_type_cb, &kt);
		free(text);
	}
	free(name);
	if (kt.mask == 0)
		return KG_OK;
	const char *in = *algs;
	size_t n = strlen(in);
	char *out = malloc(n + 2);
	ENSURE(out != NULL, KG_ERR_ALLOC);
	size_t o = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (const char *p = in; *p;) {
			size_t l = strcspn(p, ",");
			enum kg_keytype t = alg_keytype(p, l);
			int known = t != KG_KEY_UNSPEC && (kt.mask & (1u << t));
			if (known == (pass == 0)) {
				if (o)
					out[o++] = ',';
				memcpy(out + o, p, l);
				o += l;
			}
			p += l + (p[l] == ',');
		}
	}
	out[o] = '\0';
	*changed = strcmp(out, in) != 0;
	free(*algs);
	*algs = out;
	return KG_OK;
}

void kg_cli_hostkey_changed(const kg_logger *log, const kg_key *key, const char *fp, const kg_kh_result *res,
			    const char *name)
{
	kg_error(log, "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
	kg_error(log, "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @");
	kg_error(log, "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
	kg_error(log, "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!");
	kg_error(log, "Someone could be eavesdropping on you right now (man-in-the-middle attack)!");
	kg_error(log, "It is also possible that a host key has just been changed.");
	/* Two records: the logger escapes a newline inside one. */
	kg_error(log, "The fingerprint for the %s key sent by the remote host is", kg_key_type_short(key->type));
	kg_error(log, "%s.", fp);
	kg_error(log, "Please contact your system administrator.");
	kg_error(log, "Add correct host key in %s to get rid of this message.", res->file);
	kg_error(log, "Offending %s key in %s:%zu", kg_key_type_short(key->type), res->file, res->line);
	kg_error(log, "  remove with:");
	kg_error(log, "  kssh-keygen -f '%s' -R '%s'", res->file, name);
	kg_error(log, "Host key for %s has changed and you have requested strict checking.", name);
}
