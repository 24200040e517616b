/* Blowfish for bcrypt_pbkdf.  The initial state is defined as the
 * fractional hexadecimal digits of pi, so it is computed here (Machin's
 * formula in fixed point with BIGNUM) instead of being carried as a table. */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include "core/blowfish.h"
#include "core/safety.h"

#define PI_WORDS (KG_BF_PWORDS + 4 * KG_BF_SWORDS)
#define PI_FRAC_BITS (32 * PI_WORDS)
/* Extra low bits that absorb the truncation error of the series terms
 * (at most a few units per term, about 10^4 terms). */
#define PI_GUARD_BITS 64
/* One byte for the integer part 3, then the fraction. */
#define PI_BYTES (1 + 4 * PI_WORDS)

static uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

#define GROUP_MAX 4
#define WORD_MAX ((BN_ULONG)-1)

static int mul_fits(BN_ULONG a, BN_ULONG b, BN_ULONG *out)
{
	if (b != 0 && a > WORD_MAX / b)
		return 0;
	*out = a * b;
	return 1;
}

/* Terms k..k+m-1 of atan(1/x) = sum (-1)^j / ((2j+1) x^(2j+1)), taken
 * relative to the first one's x^(2k+1), as one fraction num/den: most of
 * the cost is dividing long numbers by words, so fewer and larger
 * divisors make the series several times faster.  Picks the largest m
 * whose num and den fit a word; *xpow = x^(2m). */
static int term_group(BN_ULONG x, BN_ULONG k, BN_ULONG *m, BN_ULONG *num, BN_ULONG *den, BN_ULONG *xpow)
{
	const BN_ULONG x2 = x * x;
	for (BN_ULONG g = GROUP_MAX; g >= 1; g--) {
		BN_ULONG pos = 0, neg = 0, d = 1, xp = 1;
		int ok = 1;
		for (BN_ULONG i = 0; i < g && ok; i++)
			ok = mul_fits(d, 2 * (k + i) + 1, &d) && mul_fits(xp, x2, &xp);
		/* den = x^(2(g-1)) * prod(2(k+i)+1) */
		ok = ok && mul_fits(d, xp / x2, &d);
		for (BN_ULONG j = 0; j < g && ok; j++) {
			/* x^(2(g-1-j)) * prod over i != j of (2(k+i)+1) */
			BN_ULONG t = 1;
			for (BN_ULONG i = 0; i < g && ok; i++)
				if (i != j)
					ok = mul_fits(t, 2 * (k + i) + 1, &t);
			for (BN_ULONG i = j + 1; i < g && ok; i++)
				ok = mul_fits(t, x2, &t);
			if (!ok)
				break;
			BN_ULONG *acc = (j & 1) ? &neg : &pos;
			ok = *acc <= WORD_MAX - t;
			*acc += t;
		}
		if (ok && pos > neg) {
			*m = g;
			*num = pos - neg;
			*den = d;
			*xpow = xp;
			return KG_OK;
		}
	}
	return KG_ERR_INTERNAL;
}

/* sum ~ scale * atan(1/x); the error is a few units per group of terms. */
static int atan_inv(BIGNUM *sum, const BIGNUM *scale, BN_ULONG x, BIGNUM *power, BIGNUM *term)
{
	/* power = floor(scale / x^(2k+1)) for the current k. */
	ENSURE(BN_copy(power, scale) != NULL, KG_ERR_CRYPTO);
	ENSURE(BN_div_word(power, x) != (BN_ULONG)-1, KG_ERR_CRYPTO);
	BN_zero(sum);
	for (BN_ULONG k = 0; !BN_is_zero(power);) {
		BN_ULONG m, num, den, xpow;
		GUARD(term_group(x, k, &m, &num, &den, &xpow));
		ENSURE(BN_copy(term, power) != NULL && BN_mul_word(term, num), KG_ERR_CRYPTO);
		ENSURE(BN_div_word(term, den) != (BN_ULONG)-1, KG_ERR_CRYPTO);
		if (k & 1)
			ENSURE(BN_sub(sum, sum, term), KG_ERR_CRYPTO);
		else
			ENSURE(BN_add(sum, sum, term), KG_ERR_CRYPTO);
		ENSURE(BN_div_word(power, xpow) != (BN_ULONG)-1, KG_ERR_CRYPTO);
		k += m;
	}
	return KG_OK;
}

/* out = floor(pi * 2^(PI_FRAC_BITS)) as PI_BYTES big-endian bytes. */
static int pi_digits(uint8_t *out)
{
	int r = KG_ERR_CRYPTO;
	BIGNUM *scale = BN_new(), *a = BN_new(), *b = BN_new();
	BIGNUM *power = BN_new(), *term = BN_new();
	if (!scale || !a || !b || !power || !term) {
		r = KG_ERR_ALLOC;
		goto out;
	}
	ENSURE_GOTO(r, BN_set_bit(scale, PI_FRAC_BITS + PI_GUARD_BITS), KG_ERR_CRYPTO, out);
	/* pi = 16 atan(1/5) - 4 atan(1/239) */
	GUARD_GOTO(r, atan_inv(a, scale, 5, power, term), out);
	GUARD_GOTO(r, atan_inv(b, scale, 239, power, term), out);
	ENSURE_GOTO(r, BN_lshift(a, a, 4) && BN_lshift(b, b, 2) && BN_sub(a, a, b), KG_ERR_CRYPTO, out);
	ENSURE_GOTO(r, BN_rshift(a, a, PI_GUARD_BITS), KG_ERR_CRYPTO, out);
	ENSURE_GOTO(r, BN_bn2binpad(a, out, PI_BYTES) == PI_BYTES, KG_ERR_INTERNAL, out);
	r = KG_OK;
out:
	BN_free(scale);
	BN_free(a);
	BN_free(b);
	BN_free(power);
	BN_free(term);
	return r;
}

int kg_bf_pi_state(kg_bf_state *init)
{
	uint8_t digits[PI_BYTES];
	GUARD(pi_digits(digits));
	/* Self-check: pi = 3.243f6a8885a308d3... in hexadecimal. */
	ENSURE(digits[0] == 3 && be32(digits + 1) == 0x243f6a88u &&
	       be32(digits + 5) == 0x85a308d3u, KG_ERR_INTERNAL);
	const uint8_t *p = digits + 1;
	for (size_t i = 0; i < KG_BF_PWORDS; i++, p += 4)
		init->p[i] = be32(p);
	for (size_t box = 0; box < 4; box++)
		for (size_t i = 0; i < KG_BF_SWORDS; i++, p += 4)
			init->s[box][i] = be32(p);
	return KG_OK;
}

static inline uint32_t bf_f(const kg_bf_state *st, uint32_t x)
{
	return ((st->s[0][x >> 24] + st->s[1][(x >> 16) & 0xff]) ^ st->s[2][(x >> 8) & 0xff]) +
	       st->s[3][x & 0xff];
}

void kg_bf_encipher(const kg_bf_state *st, uint32_t *l, uint32_t *r)
{
	uint32_t xl = *l ^ st->p[0], xr = *r;
	for (size_t i = 1; i < 17; i += 2) {
		xr ^= bf_f(st, xl) ^ st->p[i];
		xl ^= bf_f(st, xr) ^ st->p[i + 1];
	}
	*l = xr ^ st->p[17];
	*r = xl;
}

void kg_bf_encipher_words(const kg_bf_state *st, uint32_t *w, size_t nblocks)
{
	for (size_t i = 0; i < nblocks; i++)
		kg_bf_encipher(st, &w[2 * i], &w[2 * i + 1]);
}

/* Next big-endian word of data, read cyclically from *pos. */
static uint32_t stream_word(const uint8_t *data, size_t len, size_t *pos)
{
	uint32_t w = 0;
	for (int i = 0; i < 4; i++) {
		if (*pos >= len)
			*pos = 0;
		w = (w << 8) | data[(*pos)++];
	}
	return w;
}

static void expand(kg_bf_state *st, const uint8_t *data, size_t datalen,
		   const uint8_t *key, size_t keylen)
{
	size_t kpos = 0, dpos = 0;
	for (size_t i = 0; i < KG_BF_PWORDS; i++)
		st->p[i] ^= stream_word(key, keylen, &kpos);
	uint32_t l = 0, r = 0;
	uint32_t *words[5] = { st->p, st->s[0], st->s[1], st->s[2], st->s[3] };
	size_t counts[5] = { KG_BF_PWORDS, KG_BF_SWORDS, KG_BF_SWORDS, KG_BF_SWORDS, KG_BF_SWORDS };
	for (size_t t = 0; t < 5; t++) {
		for (size_t i = 0; i < counts[t]; i += 2) {
			if (data) {
				l ^= stream_word(data, datalen, &dpos);
				r ^= stream_word(data, datalen, &dpos);
			}
			kg_bf_encipher(st, &l, &r);
			words[t][i] = l;
			words[t][i + 1] = r;
		}
	}
}

void kg_bf_expand(kg_bf_state *st, const uint8_t *data, size_t datalen,
		  const uint8_t *key, size_t keylen)
{
	expand(st, data, datalen, key, keylen);
}

void kg_bf_expand0(kg_bf_state *st, const uint8_t *key, size_t keylen)
{
	expand(st, NULL, 0, key, keylen);
}
