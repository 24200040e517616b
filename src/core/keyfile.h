/* Private key files: openssh-key-v1 (plain and bcrypt-pbkdf + aes256-ctr),
 * PEM "RSA PRIVATE KEY" (traditional, e.g. EC2 .pem), PEM "EC PRIVATE KEY"
 * (SEC1), and PKCS#8 "PRIVATE KEY" / "ENCRYPTED PRIVATE KEY".  Pure parsing
 * and formatting; reading the file and checking its mode is the caller's. */
#ifndef KAGI_KEYFILE_H
#define KAGI_KEYFILE_H

#include "core/key.h"

/* passphrase may be NULL: an encrypted key then gives KG_ERR_NEED_PASSPHRASE;
 * a wrong one gives KG_ERR_PASSPHRASE. */
int kg_keyfile_parse_private(const uint8_t *data, size_t len, const char *passphrase,
			     kg_key **out) KG_WUR;
/* Is this text a private key file of a kind kagi knows (without decrypting)? */
int kg_keyfile_is_private(const uint8_t *data, size_t len);
/* Is it encrypted (needs a passphrase)? 1 yes, 0 no, <0 not a key file. */
int kg_keyfile_is_encrypted(const uint8_t *data, size_t len);
/* Writes k as openssh-key-v1 PEM text; a non-empty passphrase encrypts it
 * with aes256-ctr + bcrypt_pbkdf (16 rounds). */
int kg_keyfile_write_private(const kg_key *k, const char *passphrase, const char *comment,
			     kg_buf *out) KG_WUR;

/* The same with the bcrypt_pbkdf rounds given (ssh-keygen -a; 1..100000). */
int kg_keyfile_write_private_rounds(const kg_key *k, const char *passphrase, const char *comment,
				    unsigned int rounds, kg_buf *out) KG_WUR;
/* The public key of a private key file without decrypting it (the
 * openssh-key-v1 header carries it); KG_ERR_NEED_PASSPHRASE for an
 * encrypted PEM / PKCS#8 file, which does not. */
int kg_keyfile_public_of_private(const uint8_t *data, size_t len, kg_key **out) KG_WUR;

/* One private key as the openssh-key-v1 list and the agent protocol carry
 * it: string type name, then the type's public and private fields.  Read
 * fills k (which must hold no key yet) with a checked private key. */
int kg_keyfile_read_private_key(kg_buf *b, kg_key *k) KG_WUR;
int kg_keyfile_write_private_key(const kg_key *k, kg_buf *out) KG_WUR;

/* bcrypt_pbkdf as in OpenBSD (used by openssh-key-v1). */
int kg_bcrypt_pbkdf(const char *pass, size_t passlen, const uint8_t *salt, size_t saltlen,
		    uint8_t *key, size_t keylen, unsigned int rounds) KG_WUR;

#endif
