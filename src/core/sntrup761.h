/* Streamlined NTRU Prime sntrup761 (p=761, q=4591, w=286): sizes and the
 * deterministic entry points the tests use to inject randomness. */
#ifndef KAGI_SNTRUP761_H
#define KAGI_SNTRUP761_H

#include <stddef.h>
#include <stdint.h>
#include "core/kem.h"

#define KG_SNTRUP761_PK_LEN 1158
#define KG_SNTRUP761_SK_LEN 1763
#define KG_SNTRUP761_CT_LEN 1039
#define KG_SNTRUP761_SS_LEN 32

/* Fills out with len bytes of randomness; 0 on success, negative on error.
 * The KEM asks for 4 bytes per coefficient, then the 191 bytes of rho, as
 * the specification's randombytes() calls do, so a deterministic stream
 * reproduces another implementation's draws. */
typedef int (*kg_sntrup761_rng)(void *ctx, uint8_t *out, size_t len);

/* Key generation and encapsulation with randomness from rng.  Encapsulation
 * refuses (KG_ERR_FORMAT) a public key that is not the canonical encoding
 * of a polynomial mod q. */
int kg_sntrup761_keypair_rng(uint8_t *pk, uint8_t *sk, kg_sntrup761_rng rng,
		void *ctx) KG_WUR;
int kg_sntrup761_encaps_rng(uint8_t *ct, uint8_t *ss, const uint8_t *pk,
		kg_sntrup761_rng rng, void *ctx) KG_WUR;
/* Decapsulation never fails on a wrong ciphertext: it returns the
 * implicit-rejection secret derived from the key's rho instead. */
int kg_sntrup761_decaps(uint8_t *ss, const uint8_t *ct, const uint8_t *sk) KG_WUR;

#endif
