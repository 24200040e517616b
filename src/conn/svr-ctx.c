/* The server's shared set-up: host keys loaded once, algorithm lists assembled from defaults and config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "core/cipher.h"
#include "core/defaults.h"
#include "core/kex.h"
#include "core/keyfile.h"
#include "core/names.h"
#include "config/config-common.h"
#include "conn/svr-ctx.h"

#define KG_SVR_SFTP_DEFAULT KAGI_PREFIX "/sbin/ksftp-server"
#define KG_SVR_SCP_DEFAULT KAGI_PREFIX "/bin/kscp"

/* kagi's helper program `name`: beside this ksshd (a build tree), or in
 * the bin/sbin next to its own (an install, wherever its PREFIX), else the
 * path compiled in. */
static char *helper_path(const char *name, const char *installed)
{
	static const char *const dirs[] = { "", "../bin/", "../sbin/" };
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 80);
	char *slash = NULL;
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
	}
	for (size_t i = 0; slash && i < KG_ARRAY_LEN(dirs); i++) {
		snprintf(slash + 1, 80, "%s%s", dirs[i], name);
		if (access(self, X_OK) == 0)
			return strdup(self);
	}
	return strdup(installed);
}
int kg_svr_load_hostkey(const char *path, kg_key **out)
{
	char *text = NULL;
	size_t len = 0;
	GUARD(kg_read_text_file(path, 1024 * 1024, &text, &len, NULL));
	int r = kg_keyfile_parse_private((const uint8_t *)text, len, NULL, out);
	OPENSSL_cleanse(text, len);
	free(text);
	return r;
}

int kg_svr_filter_hostkey_algs(const char *algs, kg_key *const *keys, size_t n, char **out)
{
	size_t alen = strlen(algs);
	char *res = malloc(alen + 1), *copy = strdup(algs);
	if (!res || !copy) {
		free(res);
		free(copy);
		return KG_ERR_ALLOC;
	}
	res[0] = '\0';
	char *save = NULL;
	for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		int ok = 0;
		for (size_t i = 0; i < n && !ok; i++)
			ok = kg_key_sigalg_ok(keys[i], name);
		if (!ok)
			continue;
		if (res[0])
			strcat(res, ",");
		strcat(res, name);
	}
	free(copy);
	if (res[0] == '\0') {
		free(res);
		return KG_ERR_NOT_FOUND;
	}
	*out = res;
	return KG_OK;
}

int kg_svr_ctx_init(kg_svr_ctx *s, const kg_server_config *cfg, kg_logger *log)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->log = log;
	s->is_root = geteuid() == 0;
	s->self_uid = geteuid();
	s->sftp_default = helper_path("ksftp-server", KG_SVR_SFTP_DEFAULT);
	s->scp_program = helper_path("kscp", KG_SVR_SCP_DEFAULT);
	ENSURE(s->sftp_default && s->scp_program, KG_ERR_ALLOC);
	GUARD(kg_fail_delay_salt(s->fail_salt));
	GUARD(kg_cfg_algorithms(log, "KexAlgorithms", KG_KEX_SERVER_DEFAULT, kg_kex_all_names(), cfg->kex_algorithms,
		       &s->kex_algs));
	GUARD(kg_cfg_algorithms(log, "Ciphers", KG_CIPHERS_SERVER_DEFAULT, kg_cipher_all_names(), cfg->ciphers, &s->ciphers));
	GUARD(kg_cfg_algorithms(log, "MACs", KG_MACS_SERVER_DEFAULT, kg_mac_all_names(), cfg->macs, &s->macs));
	GUARD(kg_cfg_algorithms(log, "PubkeyAcceptedAlgorithms", KG_PUBKEY_ALGS_DEFAULT, KG_HOSTKEY_ALL,
		       cfg->pubkey_accepted_algorithms, &s->pubkey_algs));
	char *hk = NULL;
	GUARD(kg_cfg_algorithms(log, "HostKeyAlgorithms", KG_HOSTKEY_SERVER_DEFAULT, KG_HOSTKEY_ALL, cfg->host_key_algorithms,
		       &hk));
	s->hostkeys = calloc(cfg->host_keys.n ? cfg->host_keys.n : 1, sizeof(*s->hostkeys));
	if (!s->hostkeys) {
		free(hk);
		return KG_ERR_ALLOC;
	}
	for (size_t i = 0; i < cfg->host_keys.n; i++) {
		kg_key *k = NULL;
		int r = kg_svr_load_hostkey(cfg->host_keys.v[i], &k);
		if (r < 0) {
			if (r != KG_ERR_NOT_FOUND)
				kg_error(log, "Unable to load host key \"%s\": %s", cfg->host_keys.v[i], kg_err_str(r));
			else
				kg_debug(log, "Unable to load host key: %s", cfg->host_keys.v[i]);
			continue;
		}
		kg_debug(log, "host key: %s type %s", cfg->host_keys.v[i], kg_key_type_name(k->type));
		/* A key no offered algorithm can use is loaded for nothing: say so
		 * (an ECDSA-only server offers nothing with the default list). */
		char *one = NULL;
		if (kg_svr_filter_hostkey_algs(hk, &k, 1, &one) == KG_ERR_NOT_FOUND)
			kg_info(log, "HostKey %s (%s) is not offered: HostKeyAlgorithms names none of its algorithms",
				cfg->host_keys.v[i], kg_key_type_name(k->type));
		free(one);
		s->hostkeys[s->n_hostkeys++] = k;
	}
	if (s->n_hostkeys == 0) {
		free(hk);
		kg_error(log, "sshd: no hostkeys available -- exiting.");
		return KG_ERR_NOT_FOUND;
	}
	int r = kg_svr_filter_hostkey_algs(hk, s->hostkeys, s->n_hostkeys, &s->hostkey_algs);
	free(hk);
	if (r < 0)
		kg_error(log, "No host key algorithm of HostKeyAlgorithms matches a loaded host key");
	return r;
}

void kg_svr_ctx_free(kg_svr_ctx *s)
{
	for (size_t i = 0; i < s->n_hostkeys; i++)
		kg_key_free(s->hostkeys[i]);
	free(s->hostkeys);
	free(s->kex_algs);
	free(s->hostkey_algs);
	free(s->ciphers);
	free(s->macs);
	free(s->pubkey_algs);
	free(s->sftp_default);
	free(s->scp_program);
	OPENSSL_cleanse(s, sizeof(*s));
}


int kg_svr_ctx_drop_private(kg_svr_ctx *s)
{
	for (size_t i = 0; i < s->n_hostkeys; i++) {
		kg_key *pub = NULL;
		GUARD(kg_key_public_copy(s->hostkeys[i], &pub));
		kg_key_free(s->hostkeys[i]);
		s->hostkeys[i] = pub;
	}
	return KG_OK;
}
