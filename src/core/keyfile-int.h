/* Internals shared by keyfile.c (armor, PEM, key types, blobs) and
 * keyfile-openssh.c (openssh-key-v1); also used by their tests and fuzzers. */
#ifndef KAGI_KEYFILE_INT_H
#define KAGI_KEYFILE_INT_H

#include "core/keyfile.h"

#define KG_KEYFILE_MAX_SIZE (1024u * 1024)   /* bigger than any real key file */
#define KG_KEYFILE_MAX_ROUNDS 100000u        /* ssh-keygen -a; default 16 */
#define KG_KEYFILE_WRITE_ROUNDS 16u
#define KG_RSA_MAX_BITS 16384

/* One "-----BEGIN label-----" ... "-----END label-----" block. */
typedef struct kg_armor {
	const char *label;     /* not NUL-terminated */
	size_t label_len;
	const uint8_t *block;  /* from "-----BEGIN" through the END line */
	size_t block_len;
	const uint8_t *body;   /* between the BEGIN and END lines */
	size_t body_len;
} kg_armor;

enum kg_keyfile_kind {
	KG_KF_OPENSSH = 1,
	KG_KF_PEM_RSA,         /* "RSA PRIVATE KEY" (PKCS#1) */
	KG_KF_PEM_EC,          /* "EC PRIVATE KEY" (SEC1) */
	KG_KF_PKCS8,           /* "PRIVATE KEY" */
	KG_KF_PKCS8_ENC,       /* "ENCRYPTED PRIVATE KEY" */
};

/* Finds the first private-key armor block; KG_ERR_FORMAT if none. */
int kg_keyfile_find_armor(const uint8_t *data, size_t len, kg_armor *a, enum kg_keyfile_kind *kind);

/* Like kg_keyfile_parse_private with a lower bcrypt rounds cap (fuzzing). */
int kg_keyfile_parse_private_ex(const uint8_t *data, size_t len, const char *passphrase,
				unsigned int max_rounds, kg_key **out) KG_WUR;

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

int kg_keyfile_openssh_parse(const kg_armor *a, const char *passphrase, unsigned int max_rounds,
			     kg_key **out) KG_WUR;
int kg_keyfile_openssh_encrypted(const kg_armor *a);
int kg_keyfile_pem_parse(const kg_armor *a, enum kg_keyfile_kind kind, const char *passphrase,
			 kg_key **out) KG_WUR;

#endif
