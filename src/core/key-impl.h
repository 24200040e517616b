/* Internal to the key code: one table of operations per algorithm family
 * (key-ed25519.c, key-ecdsa.c, key-rsa.c); key.c dispatches through it. */
#ifndef KAGI_KEY_IMPL_H
#define KAGI_KEY_IMPL_H

#include "core/key.h"
#include "core/key-param.h"

struct kg_key_impl {
	/* Reads the blob fields after the type name (b is positioned there)
	 * and builds a public EVP_PKEY.  Trailing data is the caller's check. */
	int (*blob_read)(enum kg_keytype t, kg_buf *b, EVP_PKEY **out);
	/* Appends the blob fields after the type name. */
	int (*blob_write)(const kg_key *k, kg_buf *out);
	/* Appends the raw signature bytes (the contents of the "sig" string of
	 * an SSH signature blob) for an already validated sigalg.  On failure
	 * out may hold partial output; the caller discards it. */
	int (*sign)(const kg_key *k, const char *sigalg, const uint8_t *data, size_t len,
		    kg_buf *out);
	/* Checks raw signature bytes; KG_OK only when valid. */
	int (*verify)(const kg_key *k, const char *sigalg, const uint8_t *sig, size_t siglen,
		      const uint8_t *data, size_t len);
	/* New private key; bits already validated by key.c. */
	int (*generate)(enum kg_keytype t, int bits, EVP_PKEY **out);
	/* 1 when pkey holds the private half. */
	int (*has_private)(const EVP_PKEY *pkey);
};

extern const struct kg_key_impl kg_key_impl_ed25519;
extern const struct kg_key_impl kg_key_impl_ecdsa;
extern const struct kg_key_impl kg_key_impl_rsa;

/* The ECDSA key type of an EC EVP_PKEY by its curve, or KG_KEY_UNSPEC. */
enum kg_keytype kg_key_ecdsa_type(const EVP_PKEY *pkey);

#endif
