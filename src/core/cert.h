/* OpenSSH certificates (PROTOCOL.certkeys, *-cert-v01@openssh.com): parse,
 * build, sign with a CA key, check the CA signature and the validity. */
#ifndef KAGI_CERT_H
#define KAGI_CERT_H

#include <stdint.h>
#include "core/key.h"

#define KG_CERT_USER 1
#define KG_CERT_HOST 2

/* Caps on what a hostile certificate can make us hold. */
#define KG_CERT_BLOB_MAX  (64u * 1024)
#define KG_CERT_MAX_PRINCIPALS 256
#define KG_CERT_MAX_OPTIONS 64

/* One critical option or extension: name and its raw data field. */
typedef struct kg_cert_opt {
	char *name;
	uint8_t *data;
	size_t len;
} kg_cert_opt;

typedef struct kg_cert {
	kg_key *key;              /* the certified (plain) public key */
	uint8_t *nonce;
	size_t nonce_len;
	uint64_t serial;
	uint32_t type;            /* KG_CERT_USER / KG_CERT_HOST */
	char *key_id;
	char **principals;        /* empty = any principal */
	size_t nprincipals;
	uint64_t valid_after, valid_before;
	kg_cert_opt *crit;        /* sorted by name, unique */
	size_t ncrit;
	kg_cert_opt *ext;         /* sorted by name, unique */
	size_t next;
	/* Set when a critical option is not force-command, source-address or
	 * verify-required: kg_cert_check then refuses the certificate. */
	int unknown_critical;
	kg_key *ca;               /* signature key (never itself a certificate) */
	uint8_t *sig;             /* signature blob */
	size_t siglen;
	uint8_t *blob;            /* the whole certificate as parsed or signed */
	size_t bloblen;
	size_t signed_len;        /* bytes of blob covered by sig */
	char *comment;            /* from a public key line, may be NULL */
} kg_cert;

/* "ssh-ed25519-cert-v01@openssh.com", ... for a plain key type, or NULL. */
const char *kg_cert_type_name(enum kg_keytype t);
/* The plain key type of a certificate type name (NUL-terminated), or
 * KG_KEY_UNSPEC when name is not a certificate type. */
enum kg_keytype kg_cert_key_type_from_name(const char *name);

/* The public key algorithm name for a certificate used with signature
 * algorithm sigalg (NULL = the key's default): the certificate type name,
 * or for RSA "rsa-sha2-512-cert-v01@openssh.com" / "rsa-sha2-256-...".
 * NULL for an unknown type or a sigalg the key cannot make. */
const char *kg_cert_alg_name(const kg_cert *c, const char *sigalg);
/* For a certificate algorithm name (as in KEXINIT or a userauth request):
 * the plain key type and the plain signature algorithm ("rsa-sha2-256",
 * "ssh-ed25519", ...).  KG_ERR_KEY_TYPE when name is not one. */
int kg_cert_alg_parse(const char *name, enum kg_keytype *type, const char **sigalg) KG_WUR;

/* A new unsigned certificate for a copy of key's public half. */
int kg_cert_new(const kg_key *key, kg_cert **out) KG_WUR;
void kg_cert_free(kg_cert *c);

/* Parses a certificate blob: every field present, no trailing byte, options
 * sorted and unique, the CA key not a certificate.  The CA signature is NOT
 * checked here (kg_cert_verify_sig). */
int kg_cert_from_blob(const uint8_t *blob, size_t len, kg_cert **out) KG_WUR;
/* Appends the signed blob (KG_ERR_STATE if the certificate is unsigned). */
int kg_cert_to_blob(const kg_cert *c, kg_buf *out) KG_WUR;
/* "type base64 [comment]" lines, as in id_ed25519-cert.pub. */
int kg_cert_from_line(const char *line, kg_cert **out) KG_WUR;
int kg_cert_to_line(const kg_cert *c, kg_buf *out) KG_WUR;

/* Building (before kg_cert_sign). */
int kg_cert_add_principal(kg_cert *c, const char *name) KG_WUR;
/* Adds or replaces option name (critical or extension); data is the raw
 * field (for force-command/source-address: a string inside). */
int kg_cert_set_option(kg_cert *c, int critical, const char *name, const uint8_t *data,
		       size_t len) KG_WUR;
void kg_cert_clear_options(kg_cert *c, int critical);
/* The option's data, or NULL when absent. */
const kg_cert_opt *kg_cert_get_option(const kg_cert *c, int critical, const char *name);

/* Signs with a private CA key (sigalg NULL = its default; rsa-sha2-512 for
 * RSA): fills in a random nonce when none is set, the CA key, the blob and
 * the signature. */
int kg_cert_sign(kg_cert *c, const kg_key *ca, const char *sigalg) KG_WUR;
/* KG_OK when sig is a valid signature by c->ca over the signed part. */
int kg_cert_verify_sig(const kg_cert *c) KG_WUR;

/* Why kg_cert_check refused a certificate. */
enum kg_cert_why {
	KG_CERT_OK = 0,
	KG_CERT_WRONG_TYPE,       /* a user cert where a host cert is wanted or the reverse */
	KG_CERT_NOT_YET_VALID,
	KG_CERT_EXPIRED,
	KG_CERT_NO_PRINCIPAL,     /* principal not listed */
	KG_CERT_UNKNOWN_CRITICAL, /* an unrecognised critical option */
	KG_CERT_BAD_SIGNATURE,
};
/* Checks type, validity window (valid_after <= now < valid_before), the
 * principal (NULL = do not check; an empty list matches any), unknown
 * critical options and the CA signature.  Returns KG_OK, or
 * KG_ERR_SIGNATURE for a bad CA signature and KG_ERR_STATE for any other
 * refusal, with the reason in *why (may be NULL).  Whether the CA itself is
 * trusted is the caller's question. */
int kg_cert_check(const kg_cert *c, uint64_t now, const char *principal, int want_host,
		  enum kg_cert_why *why) KG_WUR;
/* Text for a kg_cert_why, in OpenSSH's words ("Certificate invalid: expired"). */
const char *kg_cert_why_str(enum kg_cert_why why);

#endif
