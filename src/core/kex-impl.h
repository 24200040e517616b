/* Internal to the key exchange files: the per-method entry points that the
 * table in kex.c points at, helpers they share, and test hooks.  Not for
 * use outside src/core/kex*.c and the kex unit test.
 *
 * A client's state (kg_kex_state) holds our ephemeral key pair and, for the
 * hybrid methods, the KEM's secret key.
 *
 * Public value conventions (see kg_kex_alg):
 *  - string methods (ECDH, X25519): the raw point / 32-byte value.
 *  - mpint methods (DH): pub_out gets the mpint's contents, i.e. the
 *    magnitude with a zero byte in front when its top bit is set, so it can
 *    be written with kg_buf_put_string or kg_buf_put_mpint alike; a peer's
 *    value is read as an unsigned magnitude (leading zero bytes allowed),
 *    e.g. as returned by kg_buf_get_mpint_direct.
 * The shared secret is appended as a magnitude without leading zeros. */
#ifndef KAGI_KEX_IMPL_H
#define KAGI_KEX_IMPL_H

#include <openssl/evp.h>
#include "core/buf.h"
#include "core/kex.h"

/* A client's ephemeral state: kg_kex_state_free wipes and frees it all. */
typedef struct kg_kex_state {
	EVP_PKEY *key;      /* X25519, ECDH or DH key pair */
	uint8_t *kem_sk;    /* hybrid methods: the KEM secret key (kem_sk_len bytes) */
	size_t kem_sk_len;
} kg_kex_state;

/* ---- kex.c: shared helpers ---- */
/* Derives the raw shared secret between ours and peer and appends it to
 * secret_out as a magnitude with leading zeros removed.  The caller must
 * have validated peer already.  An all-zero secret is refused
 * (KG_ERR_PROTOCOL).  On error secret_out is unchanged. */
int kg_kex_agree(EVP_PKEY *ours, EVP_PKEY *peer, kg_buf *secret_out) KG_WUR;
/* Wipes and drops whatever was appended to b after it had length keep. */
void kg_kex_rollback(kg_buf *b, size_t keep);

/* What each family provides (params: its curve or group, or NULL). */
typedef struct kg_kex_family {
	/* A fresh ephemeral key pair. */
	int (*generate)(const void *params, EVP_PKEY **key);
	/* Appends our public value as it travels; on error pub_out is unchanged. */
	int (*put_public)(const void *params, EVP_PKEY *key, kg_buf *pub_out);
	/* Checks the peer's public value (size, range, on the curve) and makes
	 * a key of it. */
	int (*peer_key)(const void *params, const uint8_t *peer, size_t len, EVP_PKEY **key);
	/* Methods that are more than one key agreement (the hybrid KEMs) do the
	 * whole exchange themselves, with kex.c's contracts; NULL for the rest. */
	int (*client_keygen)(const kg_kex_alg *alg, kg_kex_state *st, kg_buf *pub_out);
	int (*client_derive)(const kg_kex_alg *alg, kg_kex_state *st, const uint8_t *peer, size_t len,
			     kg_buf *secret_out);
	int (*server_derive)(const kg_kex_alg *alg, const uint8_t *peer, size_t len, kg_buf *pub_out,
			     kg_buf *secret_out);
} kg_kex_family;

/* ---- kex-curve25519.c (both curve25519-sha256 names) ---- */
extern const kg_kex_family kg_kex_family_x25519;
/* Test hook: keygen with the given private scalar, so RFC 7748 vectors can
 * be run through the same code. */
int kg_kex_x25519_keygen_fixed(const uint8_t priv[32], void **state, kg_buf *pub_out) KG_WUR;

/* ---- kex-ecdh.c ---- */
struct kg_ec_curve;
extern const kg_kex_family kg_kex_family_ecdh;
extern const struct kg_ec_curve kg_kex_curve_p256, kg_kex_curve_p384, kg_kex_curve_p521;

/* ---- kex-dh.c ---- */
struct kg_dh_group;
extern const kg_kex_family kg_kex_family_dh;
extern const struct kg_dh_group kg_kex_group_modp2048, kg_kex_group_modp4096, kg_kex_group_modp8192;

/* ---- kex-hybrid.c: a post-quantum KEM (params: its kg_kem) with X25519 ---- */
extern const kg_kex_family kg_kex_family_hybrid;

#endif
