/* SSH signatures (PROTOCOL.sshsig): the armored "SSH SIGNATURE" block that
 * ssh-keygen -Y sign writes and git uses for commit signing.  Pure: the
 * caller hashes the message (kg_sshsig_md) and does all I/O. */
#ifndef KAGI_SSHSIG_H
#define KAGI_SSHSIG_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "core/buf.h"
#include "core/key.h"

#define KG_SSHSIG_MAX (64u * 1024)   /* armored text; real ones are under 2 KiB */
#define KG_SSHSIG_NS_MAX 256         /* namespace length cap */

/* A parsed signature: owns key and the strings. */
typedef struct kg_sshsig {
	kg_key *key;          /* the signer's public key */
	char *ns;             /* namespace, never empty */
	char *hashalg;        /* "sha256" or "sha512" */
	uint8_t *sig;         /* SSH signature blob (string alg, string sig) */
	size_t siglen;
} kg_sshsig;

void kg_sshsig_free(kg_sshsig *s);

/* The digest for "sha256" / "sha512"; NULL for any other name. */
const EVP_MD *kg_sshsig_md(const char *hashalg);

/* Signs a message digest (made with hashalg) with private key k under
 * namespace ns and appends the armored signature (with final newline) to
 * out.  RSA keys sign with rsa-sha2-512, as OpenSSH does. */
int kg_sshsig_sign(const kg_key *k, const char *ns, const char *hashalg, const uint8_t *digest,
		   size_t dlen, kg_buf *out) KG_WUR;

/* Parses an armored signature.  KG_ERR_FORMAT for anything malformed (no
 * header, bad base64, wrong magic, version other than 1, trailing bytes,
 * empty namespace, unknown hash). */
int kg_sshsig_parse(const char *text, size_t len, kg_sshsig *out) KG_WUR;

/* Checks a parsed signature against the digest of the message (made with
 * s->hashalg) for namespace ns.  KG_OK only when it verifies; a namespace
 * mismatch or bad signature is KG_ERR_SIGNATURE. */
int kg_sshsig_verify(const kg_sshsig *s, const char *ns, const uint8_t *digest, size_t dlen) KG_WUR;

#endif
