/* The public half of a private key file, read without a passphrase where
 * the format allows it (ssh-keygen -l / -y on a key without its .pub). */
#include "core/keyfile-int.h"

int kg_keyfile_public_of_private(const uint8_t *data, size_t len, kg_key **out)
{
	kg_armor a;
	enum kg_keyfile_kind kind;
	ENSURE(data != NULL && out != NULL, KG_ERR_ARG);
	*out = NULL;
	ENSURE(len <= KG_KEYFILE_MAX_SIZE, KG_ERR_TOO_LARGE);
	GUARD(kg_keyfile_find_armor(data, len, &a, &kind));
	if (kind == KG_KF_OPENSSH)
		return kg_keyfile_openssh_public(&a, out);
	kg_key *priv = NULL;
	GUARD(kg_keyfile_parse_private(data, len, NULL, &priv));
	int r = kg_key_public_copy(priv, out);
	kg_key_free(priv);
	return r;
}
