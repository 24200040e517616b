/* kssh -Q: listing the supported algorithm names (see cli-query.h). */
#include <string.h>
#include <strings.h>
#include "config/cli-query.h"
#include "core/cipher.h"
#include "core/defaults.h"
#include "core/kex.h"

#define KEYS_PLAIN "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ssh-rsa"

static const char *const queries =
	"cipher,cipher-auth,compression,kex,kex-gss,key,key-cert,key-plain,key-sig,mac,protocol-version,sig";

static void print_list(const char *list, FILE *out, int aead_only)
{
	while (list && *list) {
		size_t n = strcspn(list, ",");
		char name[128];
		if (n > 0 && n < sizeof(name)) {
			memcpy(name, list, n);
			name[n] = '\0';
			if (!aead_only || (kg_cipher_find(name) && kg_cipher_is_aead(kg_cipher_find(name))))
				fprintf(out, "%s\n", name);
		}
		list += n + (list[n] == ',');
	}
}

int kg_cli_query(const char *q, FILE *out)
{
	ENSURE(q != NULL && out != NULL, KG_ERR_ARG);
	if (strcmp(q, "cipher") == 0 || strcasecmp(q, "Ciphers") == 0)
		print_list(kg_cipher_all_names(), out, 0);
	else if (strcmp(q, "cipher-auth") == 0)
		print_list(kg_cipher_all_names(), out, 1);
	else if (strcmp(q, "mac") == 0 || strcasecmp(q, "MACs") == 0)
		print_list(kg_mac_all_names(), out, 0);
	else if (strcmp(q, "kex") == 0 || strcasecmp(q, "KexAlgorithms") == 0)
		print_list(kg_kex_all_names(), out, 0);
	else if (strcmp(q, "kex-gss") == 0 || strcmp(q, "key-cert") == 0)
		;  /* no GSSAPI key exchange, no certificates */
	else if (strcmp(q, "key") == 0 || strcmp(q, "key-plain") == 0)
		print_list(KEYS_PLAIN, out, 0);
	else if (strcmp(q, "key-sig") == 0 || strcasecmp(q, "HostKeyAlgorithms") == 0 ||
		 strcasecmp(q, "PubkeyAcceptedAlgorithms") == 0 || strcasecmp(q, "PubkeyAcceptedKeyTypes") == 0)
		print_list(KG_HOSTKEY_ALL, out, 0);
	else if (strcmp(q, "sig") == 0)
		print_list(KG_HOSTKEY_ALL, out, 0);
	else if (strcmp(q, "compression") == 0)
		print_list(KG_COMP_ALL, out, 0);
	else if (strcmp(q, "protocol-version") == 0)
		fputs("2\n", out);
	else if (strcmp(q, "help") == 0)
		print_list(queries, out, 0);
	else
		return KG_ERR_ARG;
	return KG_OK;
}
