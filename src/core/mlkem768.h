/* ML-KEM-768 (FIPS 203): key generation, encapsulation, decapsulation. */
#ifndef KAGI_MLKEM768_H
#define KAGI_MLKEM768_H

#include <stdint.h>
#include "core/kem.h"
#include "core/safety.h"

#define KG_MLKEM768_PK_LEN 1184  /* encapsulation key ek */
#define KG_MLKEM768_SK_LEN 2400  /* decapsulation key dk (expanded form) */
#define KG_MLKEM768_CT_LEN 1088
#define KG_MLKEM768_SS_LEN 32

/* FIPS 203 ML-KEM.KeyGen_internal (Alg. 16) from the seeds d and z: the
 * deterministic entry point the known-answer tests drive. */
int kg_mlkem768_keypair_derand(uint8_t *pk, uint8_t *sk, const uint8_t d[32], const uint8_t z[32]) KG_WUR;
/* FIPS 203 ML-KEM.Encaps_internal (Alg. 17) with the message m, after the
 * encapsulation key check of 7.2 (KG_ERR_FORMAT when a coefficient is not
 * below q). */
int kg_mlkem768_encaps_derand(uint8_t *ct, uint8_t *ss, const uint8_t *pk, const uint8_t m[32]) KG_WUR;
/* FIPS 203 ML-KEM.Decaps (Alg. 18 after the checks of 7.3): a modified
 * ciphertext gives the implicit-rejection secret J(z || c), chosen in
 * constant time.  KG_ERR_FORMAT when sk's embedded H(ek) does not match. */
int kg_mlkem768_decaps_own(uint8_t *ss, const uint8_t *ct, const uint8_t *sk) KG_WUR;

/* 1 when kg_kem_mlkem768 uses OpenSSL's ML-KEM (OpenSSL 3.5 or later and not
 * built with KAGI_MLKEM_OWN), 0 when it uses the code here. */
int kg_mlkem768_uses_openssl(void);

#endif
