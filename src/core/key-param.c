/* Whether an EVP_PKEY holds a named BIGNUM (its private part): used by key-ecdsa.c and key-rsa.c. */
#include <openssl/bn.h>
#include <openssl/err.h>
#include "core/key-param.h"

int kg_key_has_bn_param(const EVP_PKEY *pkey, const char *name)
{
	BIGNUM *v = NULL;
	ERR_set_mark();
	int ok = EVP_PKEY_get_bn_param(pkey, name, &v) == 1 && v != NULL;
	ERR_pop_to_mark();
	BN_clear_free(v);
	return ok;
}
