/* Per-type key material shared by keyfile.c and keyfile-openssh.c (they sit above it). */
#ifndef KAGI_KEYFILE_PKEY_H
#define KAGI_KEYFILE_PKEY_H

#include <stddef.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include "core/buf.h"
#include "core/key.h"
#include "core/safety.h"

/* Classifies an EVP_PKEY: ED25519, EC on P-256/384/521, RSA of
 * KG_RSA_MIN_BITS..KG_RSA_MAX_BITS.  Others give KG_ERR_KEY_TYPE. */
int kg_keyfile_pkey_type(EVP_PKEY *pkey, enum kg_keytype *type) KG_WUR;
/* "ssh-ed25519", "ecdsa-sha2-nistp256", ... and the ECDSA curve ids. */
const char *kg_keyfile_type_name(enum kg_keytype t);
const char *kg_keyfile_curve_name(enum kg_keytype t);
/* OpenSSL group name and uncompressed point length of an ECDSA type. */
const char *kg_keyfile_group_name(enum kg_keytype t);
size_t kg_keyfile_point_len(enum kg_keytype t);
/* Appends the SSH public key blob of pkey (type t) to out. */
int kg_keyfile_public_blob(enum kg_keytype t, EVP_PKEY *pkey, kg_buf *out) KG_WUR;
/* Appends the openssh-key-v1 private fields (after the type name). */
int kg_keyfile_private_fields(enum kg_keytype t, EVP_PKEY *pkey, kg_buf *out) KG_WUR;
/* Checks that a private key is self-consistent: the EC public point is
 * d*G, the RSA CRT values agree with n, e, d.  KG_ERR_FORMAT if not. */
int kg_keyfile_check_pkey(enum kg_keytype t, EVP_PKEY *pkey) KG_WUR;
/* Appends BN as an SSH mpint. */
int kg_keyfile_put_bn(kg_buf *out, const BIGNUM *bn) KG_WUR;

#endif
