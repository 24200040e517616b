/* Private-part test on an EVP_PKEY, below the per-algorithm key files. */
#ifndef KAGI_KEY_PARAM_H
#define KAGI_KEY_PARAM_H

#include <openssl/evp.h>

/* 1 if pkey holds the BIGNUM parameter name (a private part such as "priv"
 * or "d"), else 0; leaves libcrypto's error queue as it was. */
int kg_key_has_bn_param(const EVP_PKEY *pkey, const char *name);

#endif
