/* Key exchange methods and key derivation (RFC 4253 7-8, RFC 5656, RFC 8731,
 * RFC 8268, the post-quantum hybrids of draft-ietf-sshm-mlkem-hybrid-kex).  Each family of methods lives in its own file (kex-*.c) and
 * provides only what differs: making a key pair and encoding and checking
 * public values; kex.c does the rest for all of them.  No I/O: the transport moves the values. */
#ifndef KAGI_KEX_H
#define KAGI_KEX_H

#include <openssl/evp.h>
#include "core/buf.h"

struct kg_kex_family;

/* A method: a family of key agreement (X25519, ECDH, finite-field DH) with
 * its parameters (the curve or the group) and the hash it uses. */
typedef struct kg_kex_alg {
	const char *name;
	/* 1: public values travel as mpint (DH e/f); 0: as string (ECDH Q_C/Q_S). */
	int pub_is_mpint;
	const EVP_MD *(*md)(void);  /* exchange hash and key derivation hash */
	const struct kg_kex_family *family;
	const void *params;         /* the family's parameters: curve, group or KEM */
	/* 1: the shared secret K is hashed as a string (the hybrid KEMs, whose K
	 * is a hash output); 0: as an mpint (RFC 4253 8). */
	int k_is_string;
} kg_kex_alg;

/* Client: make an ephemeral key pair; append our public value's bytes (the
 * field contents, without the uint32 length) to pub_out. */
int kg_kex_client_keygen(const kg_kex_alg *alg, void **state, kg_buf *pub_out) KG_WUR;
/* Client: from the server's public value, compute the shared secret K and
 * append it to secret_out: an unsigned big-endian magnitude, or for a
 * k_is_string method the raw bytes.  A public value of the wrong length
 * is refused. */
int kg_kex_client_derive(const kg_kex_alg *alg, void *state, const uint8_t *peer_pub, size_t len,
			 kg_buf *secret_out) KG_WUR;
/* Server: from the client's public value make our ephemeral pair; append our
 * public value to pub_out and K to secret_out. */
int kg_kex_server_derive(const kg_kex_alg *alg, const uint8_t *peer_pub, size_t len, kg_buf *pub_out,
			 kg_buf *secret_out) KG_WUR;
/* Wipes and frees a client's ephemeral key; NULL is fine. */
void kg_kex_state_free(void *state);

const kg_kex_alg *kg_kex_find(const char *name);
const char *kg_kex_all_names(void);

/* RFC 4253 7.2: out = HASH(K || H || letter || session_id), extended with
 * HASH(K || H || K1 || ...) to outlen bytes.  K is the unsigned magnitude
 * (it is hashed as an mpint). */
int kg_kex_derive(const EVP_MD *md, const uint8_t *K, size_t klen, const uint8_t *H, size_t hlen,
		  char letter, const uint8_t *session_id, size_t sidlen, uint8_t *out, size_t outlen) KG_WUR;
/* The same with the method's hash and its encoding of K (mpint or string). */
int kg_kex_derive_alg(const kg_kex_alg *alg, const uint8_t *K, size_t klen, const uint8_t *H, size_t hlen,
		      char letter, const uint8_t *session_id, size_t sidlen, uint8_t *out, size_t outlen) KG_WUR;
/* Appends K as the exchange hash carries it: string or mpint by method. */
int kg_kex_put_secret(const kg_kex_alg *alg, kg_buf *b, const uint8_t *K, size_t klen) KG_WUR;

#endif
