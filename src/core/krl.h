/* Key revocation lists (the "SSHKRL" format of PROTOCOL.krl): parse, build,
 * serialize and the two queries ksshd (RevokedKeys) and kssh
 * (RevokedHostKeys) need.  Keys are handled as wire blobs so this file does
 * not depend on certificate parsing. */
#ifndef KAGI_KRL_H
#define KAGI_KRL_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"

#define KG_KRL_MAGIC 0x5353484b524c0a00ULL
#define KG_KRL_FORMAT_VERSION 1
/* Caps: a KRL file, and the serial ranges/ids/keys/hashes it may hold. */
#define KG_KRL_MAX_FILE (64u * 1024 * 1024)
#define KG_KRL_MAX_ENTRIES (4u * 1024 * 1024)

typedef struct kg_krl kg_krl;

/* What a certificate is revoked by: its CA's public key blob (the
 * signature key), serial and key id (NUL-terminated; NULL = none). */
typedef struct kg_krl_cert_ref {
	const uint8_t *ca_blob;
	size_t ca_len;
	uint64_t serial;
	const char *key_id;
} kg_krl_cert_ref;

kg_krl *kg_krl_new(void);
void kg_krl_free(kg_krl *k);

/* 1 if data starts with the KRL magic (else a caller may treat the file as
 * a list of public keys, as RevokedKeys allows). */
int kg_krl_is_krl(const uint8_t *data, size_t len);
/* Parses a whole KRL.  Truncation, trailing bytes, an unknown section,
 * a critical extension, serial 0, an inverted range, unsorted or wrongly
 * sized hashes, or a non-signature section after a signature give
 * KG_ERR_FORMAT (KG_ERR_INCOMPLETE for truncation).  Signature sections
 * are parsed and ignored. */
int kg_krl_parse(const uint8_t *data, size_t len, kg_krl **out) KG_WUR;

/* ---- queries: KG_OK = not revoked, KG_ERR_REVOKED = revoked ---- */
/* A plain (non-certificate) key's public blob: explicit key, SHA1 or
 * SHA256 of the blob. */
int kg_krl_check_key_blob(const kg_krl *k, const uint8_t *blob, size_t len) KG_WUR;
/* A certificate by CA + serial range/list/bitmap or CA + key id; a section
 * with an empty CA applies to every CA.  (The caller also checks the
 * certificate's plain key with kg_krl_check_key_blob, and the CA key's.) */
int kg_krl_check_cert(const kg_krl *k, const kg_krl_cert_ref *c) KG_WUR;

/* ---- building (ca_len 0 = any CA) ---- */
void kg_krl_set_version(kg_krl *k, uint64_t v);
void kg_krl_set_date(kg_krl *k, uint64_t t);
int kg_krl_set_comment(kg_krl *k, const char *c) KG_WUR;
uint64_t kg_krl_version(const kg_krl *k);
uint64_t kg_krl_date(const kg_krl *k);
const char *kg_krl_comment(const kg_krl *k);  /* "" when none */
/* lo..hi inclusive; 0 < lo <= hi (KG_ERR_ARG otherwise). */
int kg_krl_revoke_serials(kg_krl *k, const uint8_t *ca, size_t ca_len, uint64_t lo, uint64_t hi) KG_WUR;
int kg_krl_revoke_key_id(kg_krl *k, const uint8_t *ca, size_t ca_len, const char *id) KG_WUR;
int kg_krl_revoke_key_blob(kg_krl *k, const uint8_t *blob, size_t len) KG_WUR;
int kg_krl_revoke_sha1(kg_krl *k, const uint8_t *h, size_t len) KG_WUR;     /* 20 bytes */
int kg_krl_revoke_sha256(kg_krl *k, const uint8_t *h, size_t len) KG_WUR;   /* 32 bytes */
/* Appends the binary KRL (sorted, ranges merged) to out. */
int kg_krl_serialize(kg_krl *k, kg_buf *out) KG_WUR;

/* ---- walking the contents (for ssh-keygen -Q -l style dumps) ---- */
typedef struct kg_krl_visit {
	void *arg;
	/* ca_len 0 = any CA */
	int (*range)(void *arg, const uint8_t *ca, size_t ca_len, uint64_t lo, uint64_t hi);
	int (*key_id)(void *arg, const uint8_t *ca, size_t ca_len, const char *id);
	int (*key)(void *arg, const uint8_t *blob, size_t len);
	int (*sha1)(void *arg, const uint8_t *h, size_t len);
	int (*sha256)(void *arg, const uint8_t *h, size_t len);
} kg_krl_visit;
/* Calls the non-NULL callbacks in serialized order; stops at an error. */
int kg_krl_walk(kg_krl *k, const kg_krl_visit *v) KG_WUR;

#endif

/* ---- krl-spec.c: certificates as blobs, and ssh-keygen -k's text specs ---- */
/* Reads the CA (signature key) blob, serial and key id out of a
 * *-cert-v01@openssh.com blob (pointers into blob; key_id copied into
 * idbuf), and appends the certificate's plain key blob to plain (may be
 * NULL).  KG_ERR_KEY_TYPE if blob is not a certificate. */
int kg_krl_cert_fields(const uint8_t *blob, size_t len, kg_krl_cert_ref *ref,
		       char *idbuf, size_t idlen, kg_buf *plain) KG_WUR;
/* The whole check for any key blob a peer presents: a certificate by its
 * CA/serial/id, its plain key and its CA key; a plain key by its blob and
 * hashes.  KG_OK = not revoked, KG_ERR_REVOKED, or an error. */
int kg_krl_check_blob(const kg_krl *k, const uint8_t *blob, size_t len) KG_WUR;
/* One line of a text KRL spec (as ssh-keygen -k reads): "serial: N",
 * "serial: A-B", "id: X", "hash: SHA256:b64", "key: <pubkey line>",
 * "sha1: <pubkey line>", "sha256: <pubkey line>" or a bare public key or
 * certificate line.  ca (ca_len 0 with wild = "-s none") is the CA of
 * serial:/id: lines.  Blank and '#' lines are ignored.  On error why holds
 * the message ssh-keygen prints (without "file:line: " when nolinepfx). */
#define KG_KRL_WHY_LEN 160
int kg_krl_spec_line(kg_krl *k, const char *line, const uint8_t *ca, size_t ca_len, int wild,
		     char *why, int *nolinepfx) KG_WUR;  /* why: KG_KRL_WHY_LEN bytes */
