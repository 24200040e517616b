/* Key formats for ssh-keygen -e / -i and -m: public keys as RFC 4716
 * ("---- BEGIN SSH2 PUBLIC KEY ----"), PKCS#8 ("PUBLIC KEY") and PEM (RSA
 * "RSA PUBLIC KEY"; others "PUBLIC KEY", as OpenSSH writes them), and
 * private keys written as PEM (traditional) or PKCS#8.  Pure formatting. */
#ifndef KAGI_KEYFILE_EXPORT_H
#define KAGI_KEYFILE_EXPORT_H

#include "core/buf.h"
#include "core/key.h"

enum kg_keyfmt { KG_FMT_RFC4716 = 0, KG_FMT_PKCS8, KG_FMT_PEM, KG_FMT_OPENSSH };

/* "RFC4716", "PKCS8", "PEM" (any case); KG_ERR_ARG for others. */
int kg_keyfmt_from_name(const char *name, enum kg_keyfmt *out) KG_WUR;

/* Appends k's public key in fmt.  comment (RFC 4716 only, may be NULL) goes
 * in a quoted Comment: header.  Ed25519 in PKCS8/PEM is KG_ERR_KEY_TYPE,
 * as in OpenSSH. */
int kg_keyfile_export_public(const kg_key *k, enum kg_keyfmt fmt, const char *comment, kg_buf *out) KG_WUR;

/* Reads a public key in fmt (PEM also takes "PUBLIC KEY"). */
int kg_keyfile_import_public(const char *text, size_t len, enum kg_keyfmt fmt, kg_key **out) KG_WUR;

/* Writes private key k as PEM ("RSA PRIVATE KEY" / "EC PRIVATE KEY") or
 * PKCS8 ("PRIVATE KEY", or "ENCRYPTED PRIVATE KEY" with a passphrase),
 * encrypted with AES-128-CBC when passphrase is not empty.  Ed25519 has no
 * PEM form in OpenSSH: callers write it as openssh-key-v1. */
int kg_keyfile_write_private_pem(const kg_key *k, enum kg_keyfmt fmt, const char *passphrase,
				 kg_buf *out) KG_WUR;

#endif
