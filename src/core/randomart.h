/* Fingerprints by hash name (SHA256 base64, MD5 hex pairs) and the "drunken
 * bishop" randomart picture ssh-keygen -v draws from a fingerprint digest. */
#ifndef KAGI_RANDOMART_H
#define KAGI_RANDOMART_H

#include <stddef.h>
#include <stdint.h>
#include "core/key.h"

enum kg_fp_hash { KG_FP_SHA256 = 0, KG_FP_MD5, KG_FP_SHA1 };

/* "sha256"/"md5"/"sha1" (any case) to the enum; KG_ERR_ARG for others. */
int kg_fp_hash_from_name(const char *name, enum kg_fp_hash *out) KG_WUR;
/* "SHA256", "MD5" or "SHA1", as in the randomart's lower border. */
const char *kg_fp_hash_label(enum kg_fp_hash h);

/* Raw digest of k's public blob; *len gets 32, 16 or 20. */
#define KG_FP_RAW_MAX 32
int kg_key_digest(const kg_key *k, enum kg_fp_hash h, uint8_t out[KG_FP_RAW_MAX], size_t *len) KG_WUR;
/* "SHA256:base64-without-padding" (SHA1 likewise) or "MD5:aa:bb:...". */
int kg_key_fingerprint_hash(const kg_key *k, enum kg_fp_hash h, char *out, size_t outlen) KG_WUR;

/* The randomart picture (11 lines of 19 characters, '\n' between lines, no
 * final newline) for a digest: title "[TYPE BITS]" on the upper border,
 * "[label]" on the lower.  KG_RANDOMART_LEN bytes of out are enough. */
#define KG_RANDOMART_LEN 256
int kg_randomart(const char *type, unsigned int bits, const char *label, const uint8_t *dgst,
		 size_t dlen, char *out, size_t outlen) KG_WUR;
/* The picture for k with hash h. */
int kg_key_randomart(const kg_key *k, enum kg_fp_hash h, char *out, size_t outlen) KG_WUR;

#endif
