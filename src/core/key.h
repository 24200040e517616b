/* Public-key algorithms: SSH key blobs, signatures, fingerprints and the
 * one-line public key format.  All crypto is libcrypto EVP. */
#ifndef KAGI_KEY_H
#define KAGI_KEY_H

#include <openssl/evp.h>
#include "core/buf.h"

enum kg_keytype {
	KG_KEY_UNSPEC = 0,
	KG_KEY_ED25519,
	KG_KEY_ECDSA_P256,
	KG_KEY_ECDSA_P384,
	KG_KEY_ECDSA_P521,
	KG_KEY_RSA,
};

#define KG_RSA_MIN_BITS 2048
/* The largest RSA modulus kagi accepts from anywhere. */
#define KG_RSA_MAX_BITS 16384

typedef struct kg_key {
	enum kg_keytype type;
	EVP_PKEY *pkey;     /* public, or private+public */
	int has_private;
	char *comment;      /* malloc'ed, may be NULL */
} kg_key;

kg_key *kg_key_new(void);
void kg_key_free(kg_key *k);
/* A new key holding only the public half of k. */
int kg_key_public_copy(const kg_key *k, kg_key **out) KG_WUR;

/* "ssh-ed25519", "ecdsa-sha2-nistp256", ..., "ssh-rsa" (the key type name
 * inside blobs; RSA signatures use "rsa-sha2-256"/"rsa-sha2-512"). */
const char *kg_key_type_name(enum kg_keytype t);
enum kg_keytype kg_key_type_from_name(const char *name);
/* Short human name: "ED25519", "ECDSA", "RSA" (as ssh-keygen -l prints). */
const char *kg_key_type_short(enum kg_keytype t);
int kg_key_bits(const kg_key *k);

/* Public key blob (RFC 4253 6.6, RFC 5656, RFC 8709). Parse refuses RSA keys
 * under KG_RSA_MIN_BITS with KG_ERR_KEY_TOO_SMALL. */
int kg_key_from_blob(const uint8_t *blob, size_t len, kg_key **out) KG_WUR;
int kg_key_to_blob(const kg_key *k, kg_buf *out) KG_WUR;  /* appends */
/* 1 if both keys have the same public part, else 0. */
int kg_key_equal_public(const kg_key *a, const kg_key *b);

/* Signature algorithm names valid for a key: for ed25519/ecdsa the key type
 * name; for RSA "rsa-sha2-512" and "rsa-sha2-256" (never SHA-1 "ssh-rsa"). */
int kg_key_sigalg_ok(const kg_key *k, const char *sigalg);
/* Default signature algorithm for k (rsa-sha2-512 for RSA). */
const char *kg_key_default_sigalg(const kg_key *k);

/* Makes an SSH signature blob (string alg-name, string sig) over data and
 * appends it to out. sigalg NULL = default. */
int kg_key_sign(const kg_key *k, const char *sigalg, const uint8_t *data, size_t len, kg_buf *out) KG_WUR;
/* Checks an SSH signature blob over data.  If sigalg is not NULL the blob's
 * algorithm must equal it.  KG_OK only for a valid signature; a malformed
 * blob (or trailing bytes) gives KG_ERR_FORMAT, a wrong or unacceptable
 * algorithm (e.g. SHA-1 "ssh-rsa") or a bad signature KG_ERR_SIGNATURE. */
int kg_key_verify(const kg_key *k, const char *sigalg, const uint8_t *sig, size_t siglen,
		  const uint8_t *data, size_t len) KG_WUR;

/* "SHA256:<base64 without padding>" of the public blob, as ssh-keygen -l.
 * KG_KEY_FP_LEN bytes of out are always enough. */
#define KG_KEY_FP_LEN 64
int kg_key_fingerprint(const kg_key *k, char *out, size_t outlen) KG_WUR;

/* "type base64 [comment]" (no newline) appended to out. */
int kg_key_to_line(const kg_key *k, kg_buf *out) KG_WUR;
/* Parses "type base64 [comment]"; leading/trailing blanks allowed.  The
 * comment (if any) is stored in the key. The type field must match the blob. */
int kg_key_from_line(const char *line, kg_key **out) KG_WUR;
/* The fields of a public key line, "type base64 [comment]": leading
 * blanks skipped, the comment's trailing spaces left out; views into
 * line, any of them may be empty (the callers say which may not). */
typedef struct kg_key_line {
	const char *type, *b64, *comment;
	size_t type_len, b64_len, comment_len;
} kg_key_line;
void kg_key_line_split(const char *line, kg_key_line *f);
/* 1 when the comment holds a line break (a line that is two lines). */
int kg_key_line_breaks(const kg_key_line *f);
/* Decodes the base64 field into blob (initialised here with cap max;
 * the caller frees it): KG_ERR_TOO_LARGE past max. */
int kg_key_line_decode(const kg_key_line *f, size_t max, kg_buf *blob) KG_WUR;

/* New random private key. bits: RSA 2048..16384 (0 = 3072); for any ECDSA
 * type 256/384/521 selects the curve (0 = the curve t names); ignored for
 * ed25519. */
int kg_key_generate(enum kg_keytype t, int bits, kg_key **out) KG_WUR;

/* Wraps a libcrypto key (Ed25519, EC on P-256/384/521, or RSA within the
 * size limits) in a new kg_key, inferring the type and has_private.  Always
 * takes ownership of pkey: on failure it is freed. */
int kg_key_from_pkey(EVP_PKEY *pkey, kg_key **out) KG_WUR;

/* For certificate blobs (core/cert.c), which carry a key's fields after a
 * nonce: reads the fields of a t key at b's read position (consuming them),
 * and appends k's fields without the type name. */
int kg_key_read_fields(enum kg_keytype t, kg_buf *b, kg_key **out) KG_WUR;
int kg_key_write_fields(const kg_key *k, kg_buf *out) KG_WUR;

#endif
