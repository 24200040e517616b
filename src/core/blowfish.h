/* Blowfish, only as far as bcrypt_pbkdf needs it: the block function, the
 * standard key schedule and the "expensive" schedule of eksblowfish.
 * Internal to kagi's key file code; not a general-purpose cipher API. */
#ifndef KAGI_BLOWFISH_H
#define KAGI_BLOWFISH_H

#include <stddef.h>
#include <stdint.h>

#define KG_BF_PWORDS 18
#define KG_BF_SWORDS 256

typedef struct kg_bf_state {
	uint32_t p[KG_BF_PWORDS];
	uint32_t s[4][KG_BF_SWORDS];
} kg_bf_state;

/* Fills init with Blowfish's initial state: the fractional hexadecimal
 * digits of pi, computed here (P first, then S0..S3).  KG_ERR_INTERNAL if
 * the self-check on the first digits fails. */
int kg_bf_pi_state(kg_bf_state *init);

/* Encrypts one 64-bit block held as two big-endian words. */
void kg_bf_encipher(const kg_bf_state *st, uint32_t *l, uint32_t *r);
/* Encrypts nblocks consecutive (l, r) word pairs in place. */
void kg_bf_encipher_words(const kg_bf_state *st, uint32_t *w, size_t nblocks);

/* Key schedule mixing key (cyclically) into P and re-encrypting the
 * state; with data, each block first has the next data words XORed in
 * (the eksblowfish "ExpandKey(state, salt, key)").  Lengths must be > 0. */
void kg_bf_expand(kg_bf_state *st, const uint8_t *data, size_t datalen,
		  const uint8_t *key, size_t keylen);
void kg_bf_expand0(kg_bf_state *st, const uint8_t *key, size_t keylen);

#endif
