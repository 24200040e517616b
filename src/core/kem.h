/* Key encapsulation mechanisms (post-quantum KEMs) behind one interface, so
 * a hybrid key exchange method is written once for every KEM. */
#ifndef KAGI_KEM_H
#define KAGI_KEM_H

#include <stddef.h>
#include <stdint.h>
#include "core/safety.h"

typedef struct kg_kem {
	const char *name;
	size_t pk_len, sk_len, ct_len, ss_len;
	/* New key pair: pk_len bytes into pk, sk_len bytes into sk (randomness
	 * from OpenSSL). */
	int (*keypair)(uint8_t *pk, uint8_t *sk);
	/* Encapsulates to pk: ct_len bytes of ciphertext, ss_len bytes of shared
	 * secret.  KG_ERR_FORMAT for a malformed public key. */
	int (*encaps)(uint8_t *ct, uint8_t *ss, const uint8_t *pk);
	/* Decapsulates ct with sk into ss (ss_len bytes); a modified ciphertext
	 * yields the implicit-rejection secret in constant time, not an error. */
	int (*decaps)(uint8_t *ss, const uint8_t *ct, const uint8_t *sk);
} kg_kem;

extern const kg_kem kg_kem_mlkem768;   /* FIPS 203, src/core/mlkem768.c */
extern const kg_kem kg_kem_sntrup761;  /* Streamlined NTRU Prime 761, src/core/sntrup761.c */

#endif
