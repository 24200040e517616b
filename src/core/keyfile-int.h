/* Internals shared by keyfile.c (armor, PEM, key types, blobs) and
 * keyfile-openssh.c (openssh-key-v1); also used by their tests and fuzzers. */
#ifndef KAGI_KEYFILE_INT_H
#define KAGI_KEYFILE_INT_H

#include "core/keyfile.h"
#include "core/keyfile-pkey.h"

#define KG_KEYFILE_MAX_SIZE (1024u * 1024)   /* bigger than any real key file */
#define KG_KEYFILE_MAX_ROUNDS 100000u        /* ssh-keygen -a; default 16 */
#define KG_KEYFILE_WRITE_ROUNDS 16u

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

int kg_keyfile_openssh_parse(const kg_armor *a, const char *passphrase, unsigned int max_rounds,
			     kg_key **out) KG_WUR;
int kg_keyfile_openssh_encrypted(const kg_armor *a);
int kg_keyfile_openssh_public(const kg_armor *a, kg_key **out) KG_WUR;
int kg_keyfile_pem_parse(const kg_armor *a, enum kg_keyfile_kind kind, const char *passphrase,
			 kg_key **out) KG_WUR;

#endif
