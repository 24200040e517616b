/* Internal to the key exchange files: the per-method entry points that the
 * table in kex.c points at, helpers they share, and test hooks.  Not for
 * use outside src/core/kex*.c and the kex unit test.
 *
 * State for every method is the EVP_PKEY holding our ephemeral key pair.
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

/* ---- kex.c: shared helpers ---- */
/* Frees an EVP_PKEY state (which wipes its private key). */
void kg_kex_pkey_free(void *state);
/* Derives the raw shared secret between ours and peer and appends it to
 * secret_out as a magnitude with leading zeros removed.  The caller must
 * have validated peer already.  An all-zero secret is refused
 * (KG_ERR_PROTOCOL).  On error secret_out is unchanged. */
int kg_kex_agree(EVP_PKEY *ours, EVP_PKEY *peer, kg_buf *secret_out) KG_WUR;
/* Wipes and drops whatever was appended to b after it had length keep. */
void kg_kex_rollback(kg_buf *b, size_t keep);

/* ---- kex-curve25519.c (both curve25519-sha256 names) ---- */
int kg_kex_x25519_keygen(void **state, kg_buf *pub_out) KG_WUR;
int kg_kex_x25519_client_derive(void *state, const uint8_t *peer, size_t len,
				kg_buf *secret_out) KG_WUR;
int kg_kex_x25519_server_derive(const uint8_t *peer, size_t len, kg_buf *pub_out,
				kg_buf *secret_out) KG_WUR;
/* Test hook: like keygen, but with the given private scalar, so RFC 7748
 * vectors can be run through the same code. */
int kg_kex_x25519_keygen_fixed(const uint8_t priv[32], void **state, kg_buf *pub_out) KG_WUR;

/* ---- kex-ecdh.c ---- */
int kg_kex_p256_keygen(void **state, kg_buf *pub_out) KG_WUR;
int kg_kex_p256_client_derive(void *state, const uint8_t *peer, size_t len, kg_buf *secret_out) KG_WUR;
int kg_kex_p256_server_derive(const uint8_t *peer, size_t len, kg_buf *pub_out, kg_buf *secret_out) KG_WUR;
int kg_kex_p384_keygen(void **state, kg_buf *pub_out) KG_WUR;
int kg_kex_p384_client_derive(void *state, const uint8_t *peer, size_t len, kg_buf *secret_out) KG_WUR;
int kg_kex_p384_server_derive(const uint8_t *peer, size_t len, kg_buf *pub_out, kg_buf *secret_out) KG_WUR;
int kg_kex_p521_keygen(void **state, kg_buf *pub_out) KG_WUR;
int kg_kex_p521_client_derive(void *state, const uint8_t *peer, size_t len, kg_buf *secret_out) KG_WUR;
int kg_kex_p521_server_derive(const uint8_t *peer, size_t len, kg_buf *pub_out, kg_buf *secret_out) KG_WUR;

/* ---- kex-dh.c ---- */
int kg_kex_modp2048_keygen(void **state, kg_buf *pub_out) KG_WUR;
int kg_kex_modp2048_client_derive(void *state, const uint8_t *peer, size_t len, kg_buf *secret_out) KG_WUR;
int kg_kex_modp2048_server_derive(const uint8_t *peer, size_t len, kg_buf *pub_out, kg_buf *secret_out) KG_WUR;
int kg_kex_modp4096_keygen(void **state, kg_buf *pub_out) KG_WUR;
int kg_kex_modp4096_client_derive(void *state, const uint8_t *peer, size_t len, kg_buf *secret_out) KG_WUR;
int kg_kex_modp4096_server_derive(const uint8_t *peer, size_t len, kg_buf *pub_out, kg_buf *secret_out) KG_WUR;
int kg_kex_modp8192_keygen(void **state, kg_buf *pub_out) KG_WUR;
int kg_kex_modp8192_client_derive(void *state, const uint8_t *peer, size_t len, kg_buf *secret_out) KG_WUR;
int kg_kex_modp8192_server_derive(const uint8_t *peer, size_t len, kg_buf *pub_out, kg_buf *secret_out) KG_WUR;

#endif
