/* Streamlined NTRU Prime sntrup761 KEM (the NTRU Prime round-3 specification),
 * constant-time, for the sntrup761x25519-sha512 key exchange. */
#include "core/sntrup761.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "core/safety.h"

/* Parameters.  The ring is Z[x]/(x^p - x - 1); "small" polynomials have
 * coefficients in {-1,0,1}, "short" ones are small with exactly w nonzero
 * coefficients. */
#define P 761
#define Q 4591
#define W 286
#define Q12 ((Q - 1) / 2)          /* Fq elements are kept in -Q12..Q12 */
#define SMALL_BYTES ((P + 3) / 4)  /* 191: four coefficients a byte */
#define RQ_BYTES KG_SNTRUP761_PK_LEN
#define ROUNDED_BYTES 1007
#define HASH_BYTES 32
#define ROUNDED_M ((Q + 2) / 3)    /* 1531 values of a rounded coefficient */
#define SK_F 0
#define SK_GINV (SK_F + SMALL_BYTES)
#define SK_PK (SK_GINV + SMALL_BYTES)
#define SK_RHO (SK_PK + RQ_BYTES)
#define SK_CACHE (SK_RHO + SMALL_BYTES)

_Static_assert(SK_CACHE + HASH_BYTES == KG_SNTRUP761_SK_LEN, "secret key layout");
_Static_assert(ROUNDED_BYTES + HASH_BYTES == KG_SNTRUP761_CT_LEN, "ciphertext layout");

/* ---- constant-time integer helpers (no branch or index on data) ---- */

/* -1 when x != 0, else 0. */
static int32_t nonzero_mask(int32_t x)
{
	uint32_t u = (uint32_t)x;
	return -(int32_t)((u | (0u - u)) >> 31);
}

/* -1 when x < 0, else 0. */
static int32_t negative_mask(int32_t x)
{
	return -(int32_t)((uint32_t)x >> 31);
}

/* x mod m and x / m for a public m < 2^14, without a division instruction
 * (whose time depends on its operands on many CPUs).  v = floor(2^32/m)
 * makes the estimate at most one below the true quotient. */
static uint32_t divmod_u14(uint32_t *quot, uint32_t x, uint32_t m)
{
	uint32_t v = (uint32_t)(((uint64_t)1 << 32) / m);
	uint32_t qt = (uint32_t)(((uint64_t)x * v) >> 32);
	uint32_t r = x - qt * m;
	uint32_t ge = ((r - m) >> 31) - 1; /* all ones when r >= m */
	r -= m & ge;
	qt += 1 & ge;
	if (quot)
		*quot = qt;
	return r;
}

/* The representative of x mod m in -(m-1)/2..(m-1)/2, for |x| < 2^30 and
 * odd m (3 or q).  The offset, a multiple of m, makes x non-negative. */
static int16_t freeze(int32_t x, int32_t m)
{
	uint32_t off = (uint32_t)m * (((uint32_t)1 << 30) / (uint32_t)m + 1);
	int32_t h = (m - 1) / 2;
	return (int16_t)((int32_t)divmod_u14(NULL, (uint32_t)(x + h) + off,
			(uint32_t)m) - h);
}

static int16_t fq(int32_t x) { return freeze(x, Q); }
static int16_t f3(int32_t x) { return freeze(x, 3); }

/* a^e in Fq for a public exponent. */
static int16_t fq_pow(int16_t a, uint32_t e)
{
	int32_t r = 1, b = a;
	for (; e; e >>= 1) {
		if (e & 1)
			r = fq(r * b);
		b = fq(b * b);
	}
	return (int16_t)r;
}

/* ---- polynomial arithmetic ---- */

/* out = a * b in Z[x]/(x^p - x - 1) reduced with red (fq or f3); a has
 * coefficients below 2^12 in size, b is small, so the sums stay in int32
 * and are reduced once. */
static void poly_mul(int16_t *out, const int16_t *a, const int8_t *b,
		int16_t (*red)(int32_t))
{
	int32_t acc[2 * P - 1];
	memset(acc, 0, sizeof(acc));
	for (int i = 0; i < P; i++)
		for (int j = 0; j < P; j++)
			acc[i + j] += (int32_t)a[i] * b[j];
	/* x^k = x^(k-p+1) + x^(k-p) for k >= p; k-p+1 < p, so one pass. */
	for (int k = 2 * P - 2; k >= P; k--) {
		acc[k - P] += acc[k];
		acc[k - P + 1] += acc[k];
	}
	for (int i = 0; i < P; i++)
		out[i] = red(acc[i]);
	OPENSSL_cleanse(acc, sizeof(acc));
}

/* Reciprocal of s modulo x^p - x - 1 over the field Fm (m = 3 or q),
 * multiplied by r0, by the constant-time "divstep" iteration of Bernstein
 * and Yang on reversed polynomials: f starts as the reversed modulus, g as
 * reversed s; 2p-1 steps, each a masked swap and an elimination of g's
 * constant term.  The inverse exists exactly when delta ends at 0.
 * Returns 0 on success, -1 when s is not invertible. */
static int poly_recip(int16_t *out, const int8_t *s, int16_t r0,
		int16_t (*red)(int32_t), int is_fq)
{
	int16_t f[P + 1], g[P + 1], v[P + 1], r[P + 1];
	int32_t delta = 1;

	memset(f, 0, sizeof(f));
	memset(v, 0, sizeof(v));
	memset(r, 0, sizeof(r));
	f[0] = 1;
	f[P - 1] = f[P] = -1;      /* x^p * (x^-p - x^-1 - 1) */
	for (int i = 0; i < P; i++)
		g[P - 1 - i] = s[i];
	g[P] = 0;
	r[0] = r0;
	for (int step = 0; step < 2 * P - 1; step++) {
		memmove(v + 1, v, P * sizeof(v[0]));   /* v *= x */
		v[0] = 0;
		int32_t swap = negative_mask(-delta) & nonzero_mask(g[0]);
		delta ^= swap & (delta ^ -delta);
		delta += 1;
		for (int i = 0; i <= P; i++) {
			int16_t t = (int16_t)(swap & (f[i] ^ g[i]));
			f[i] ^= t;
			g[i] ^= t;
			t = (int16_t)(swap & (v[i] ^ r[i]));
			v[i] ^= t;
			r[i] ^= t;
		}
		int32_t f0 = f[0], g0 = g[0];
		for (int i = 0; i <= P; i++) {
			g[i] = red(f0 * g[i] - g0 * f[i]);
			r[i] = red(f0 * r[i] - g0 * v[i]);
		}
		memmove(g, g + 1, P * sizeof(g[0]));    /* g /= x */
		g[P] = 0;
	}
	/* f[0] is a unit; its inverse is f0 itself in F3, f0^(q-2) in Fq. */
	int16_t scale = is_fq ? fq_pow(f[0], Q - 2) : f[0];
	for (int i = 0; i < P; i++)
		out[i] = red((int32_t)scale * v[P - 1 - i]);
	int ret = (int)nonzero_mask(delta);
	OPENSSL_cleanse(f, sizeof(f));
	OPENSSL_cleanse(g, sizeof(g));
	OPENSSL_cleanse(v, sizeof(v));
	OPENSSL_cleanse(r, sizeof(r));
	return ret;
}

/* ---- encodings ---- */

static void small_encode(uint8_t *out, const int8_t *s)
{
	for (int i = 0; i < P / 4; i++) {
		const int8_t *c = s + 4 * i;
		out[i] = (uint8_t)((c[0] + 1) | (c[1] + 1) << 2 | (c[2] + 1) << 4 |
				(c[3] + 1) << 6);
	}
	out[P / 4] = (uint8_t)(s[P - 1] + 1);
}

/* The value 3 (two bits 11) has no meaning; it decodes as 2, like the
 * specification's reference, so every byte string is a valid input. */
static void small_decode(int8_t *s, const uint8_t *in)
{
	for (int i = 0; i < P / 4; i++)
		for (int j = 0; j < 4; j++)
			s[4 * i + j] = (int8_t)(((in[i] >> (2 * j)) & 3) - 1);
	s[P - 1] = (int8_t)((in[P / 4] & 3) - 1);
}

/* The specification's Encode: values R[i] < M[i] are merged pairwise,
 * R[i] + M[i]*R[i+1] with bound M[i]*M[i+1]; while a bound reaches 2^14 its
 * low byte goes out.  The next level is written in place over R and M.
 * Which bytes go out depends on the public bounds only. */
static size_t mixed_encode(uint8_t *out, uint16_t *R, uint16_t *M, int len)
{
	size_t n = 0;
	while (len > 1) {
		int i;
		for (i = 0; i + 1 < len; i += 2) {
			uint32_t r = R[i] + (uint32_t)R[i + 1] * M[i];
			uint32_t m = (uint32_t)M[i] * M[i + 1];
			while (m >= 16384) {
				out[n++] = (uint8_t)r;
				r >>= 8;
				m = (m + 255) >> 8;
			}
			R[i / 2] = (uint16_t)r;
			M[i / 2] = (uint16_t)m;
		}
		if (i < len) {
			R[i / 2] = R[i];
			M[i / 2] = M[i];
		}
		len = (len + 1) / 2;
	}
	uint32_t r = R[0], m = M[0];
	while (m > 1) {
		out[n++] = (uint8_t)r;
		r >>= 8;
		m = (m + 255) >> 8;
	}
	return n;
}

/* The levels of the merge tree: ceil(log2 761) + 1 = 11; together they
 * hold 761 + 381 + ... + 2 + 1 = 1525 values, under 2p plus one per level. */
#define MAX_LEVELS 12
#define TREE_SLOTS (2 * P + MAX_LEVELS)

/* Inverse of mixed_encode for len = P values, all with bound m.  The bounds
 * of every level are computed first (public), then values are split from
 * the top level down.  Out-of-range input is reduced, never rejected. */
static void mixed_decode(uint16_t *out, const uint8_t *in, uint32_t m)
{
	uint16_t M[TREE_SLOTS], R[TREE_SLOTS];
	int base[MAX_LEVELS], lens[MAX_LEVELS];
	size_t boff[MAX_LEVELS];
	int lv = 0, len = P;
	size_t n = 0;

	for (int i = 0; i < P; i++)
		M[i] = (uint16_t)m;
	base[0] = 0;
	while (len > 1) {
		int nxt = base[lv] + len, i;
		boff[lv] = n;
		for (i = 0; i + 1 < len; i += 2) {
			uint32_t mm = (uint32_t)M[base[lv] + i] * M[base[lv] + i + 1];
			while (mm >= 16384) {
				n++;
				mm = (mm + 255) >> 8;
			}
			M[nxt + i / 2] = (uint16_t)mm;
		}
		if (i < len)
			M[nxt + i / 2] = M[base[lv] + i];
		lens[lv] = len;
		len = (len + 1) / 2;
		base[++lv] = nxt;
	}
	/* Top: a single value in as many bytes as its bound needs. */
	{
		uint32_t r = 0, mm = M[base[lv]];
		int sh = 0;
		while (mm > 1) {
			r |= (uint32_t)in[n++] << sh;
			sh += 8;
			mm = (mm + 255) >> 8;
		}
		R[base[lv]] = (uint16_t)divmod_u14(NULL, r, M[base[lv]]);
	}
	while (lv-- > 0) {
		const uint16_t *Mk = M + base[lv];
		const uint16_t *up = R + base[lv + 1];
		uint16_t *Rk = R + base[lv];
		size_t b = boff[lv];
		int i;
		for (i = 0; i + 1 < lens[lv]; i += 2) {
			uint32_t mm = (uint32_t)Mk[i] * Mk[i + 1], r = 0, t = 1;
			while (mm >= 16384) {
				r += (uint32_t)in[b++] * t;
				t <<= 8;
				mm = (mm + 255) >> 8;
			}
			r += t * up[i / 2];
			uint32_t hi;
			Rk[i] = (uint16_t)divmod_u14(&hi, r, Mk[i]);
			Rk[i + 1] = (uint16_t)divmod_u14(NULL, hi, Mk[i + 1]);
		}
		if (i < lens[lv])
			Rk[i] = up[i / 2];
	}
	memcpy(out, R, P * sizeof(out[0]));
}

static void rq_encode(uint8_t *out, const int16_t *h)
{
	uint16_t R[P], M[P];
	for (int i = 0; i < P; i++) {
		R[i] = (uint16_t)(h[i] + Q12);
		M[i] = Q;
	}
	mixed_encode(out, R, M, P);
}

static void rq_decode(int16_t *h, const uint8_t *in)
{
	uint16_t R[P];
	mixed_decode(R, in, Q);
	for (int i = 0; i < P; i++)
		h[i] = (int16_t)(R[i] - Q12);
}

/* Rounded coefficients are multiples of 3 in -Q12..Q12: stored divided by
 * 3 (exact, by multiplication with 10923 = (2^15 + 1) / 3). */
static void rounded_encode(uint8_t *out, const int16_t *c)
{
	uint16_t R[P], M[P];
	for (int i = 0; i < P; i++) {
		R[i] = (uint16_t)(((uint32_t)(c[i] + Q12) * 10923) >> 15);
		M[i] = ROUNDED_M;
	}
	mixed_encode(out, R, M, P);
}

static void rounded_decode(int16_t *c, const uint8_t *in)
{
	uint16_t R[P];
	mixed_decode(R, in, ROUNDED_M);
	for (int i = 0; i < P; i++)
		c[i] = (int16_t)(R[i] * 3 - Q12);
}

/* ---- hashing: the first 32 bytes of SHA-512(b || x1 || x2) ---- */

static int hash_prefix(uint8_t out[HASH_BYTES], uint8_t b, const uint8_t *x1,
		size_t n1, const uint8_t *x2, size_t n2)
{
	uint8_t h[64];
	int ok;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	ok = c && EVP_DigestInit_ex(c, EVP_sha512(), NULL) &&
		EVP_DigestUpdate(c, &b, 1) && EVP_DigestUpdate(c, x1, n1) &&
		(n2 == 0 || EVP_DigestUpdate(c, x2, n2)) &&
		EVP_DigestFinal_ex(c, h, NULL);
	EVP_MD_CTX_free(c);
	if (ok)
		memcpy(out, h, HASH_BYTES);
	OPENSSL_cleanse(h, sizeof(h));
	return ok ? 0 : KG_ERR_CRYPTO;
}

/* HashConfirm = Hash2(Hash3(r_enc) || Hash4(pk)). */
static int hash_confirm(uint8_t *out, const uint8_t *r_enc, const uint8_t *cache)
{
	uint8_t x[HASH_BYTES];
	int ret = hash_prefix(x, 3, r_enc, SMALL_BYTES, NULL, 0);
	if (ret == 0)
		ret = hash_prefix(out, 2, x, sizeof(x), cache, HASH_BYTES);
	OPENSSL_cleanse(x, sizeof(x));
	return ret;
}

/* HashSession = Hash_b(Hash3(r_enc) || ct); b = 1 for a valid ciphertext,
 * 0 for the implicit rejection. */
static int hash_session(uint8_t *out, uint8_t b, const uint8_t *r_enc,
		const uint8_t *ct)
{
	uint8_t x[HASH_BYTES];
	int ret = hash_prefix(x, 3, r_enc, SMALL_BYTES, NULL, 0);
	if (ret == 0)
		ret = hash_prefix(out, b, x, sizeof(x), ct, KG_SNTRUP761_CT_LEN);
	OPENSSL_cleanse(x, sizeof(x));
	return ret;
}

/* ---- random polynomials ---- */

static int rand_u32(kg_sntrup761_rng rng, void *ctx, uint32_t *out)
{
	uint8_t b[4];
	GUARD(rng(ctx, b, 4));
	*out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		(uint32_t)b[3] << 24;
	OPENSSL_cleanse(b, sizeof(b));
	return 0;
}

/* Ascending order of a[i], a[j] in constant time. */
static void cswap_u32(uint32_t *a, uint32_t *b)
{
	uint32_t x = *a, y = *b;
	uint32_t mask = (uint32_t)0 - (uint32_t)(((uint64_t)y - x) >> 63);
	uint32_t t = mask & (x ^ y);
	*a = x ^ t;
	*b = y ^ t;
}

/* Sorts n <= 1024 values with a bitonic network over 1024 slots, padded
 * with the largest value: the comparisons depend only on positions. */
#define SORT_N 1024
static void sort_u32(uint32_t *a, int n)
{
	uint32_t x[SORT_N];
	for (int i = 0; i < SORT_N; i++)
		x[i] = i < n ? a[i] : UINT32_MAX;
	for (int k = 2; k <= SORT_N; k <<= 1)
		for (int j = k >> 1; j > 0; j >>= 1)
			for (int i = 0; i < SORT_N; i++) {
				int l = i ^ j;
				if (l <= i)
					continue;
				if ((i & k) == 0)
					cswap_u32(&x[i], &x[l]);
				else
					cswap_u32(&x[l], &x[i]);
			}
	memcpy(a, x, (size_t)n * sizeof(a[0]));
	OPENSSL_cleanse(x, sizeof(x));
}

/* A short polynomial: w values marked +-1 (low bits 00 or 10) and p-w
 * marked 0 (low bits 01), put in random order by sorting on the high bits. */
static int short_random(int8_t *out, kg_sntrup761_rng rng, void *ctx)
{
	uint32_t L[P];
	int ret = 0;
	for (int i = 0; i < P && ret == 0; i++)
		ret = rand_u32(rng, ctx, &L[i]);
	if (ret == 0) {
		for (int i = 0; i < W; i++)
			L[i] &= ~(uint32_t)1;
		for (int i = W; i < P; i++)
			L[i] = (L[i] & ~(uint32_t)2) | 1;
		sort_u32(L, P);
		for (int i = 0; i < P; i++)
			out[i] = (int8_t)((L[i] & 3) - 1);
	}
	OPENSSL_cleanse(L, sizeof(L));
	return ret;
}

/* A uniformly random small polynomial: each coefficient from 30 bits. */
static int small_random(int8_t *out, kg_sntrup761_rng rng, void *ctx)
{
	for (int i = 0; i < P; i++) {
		uint32_t u;
		GUARD(rand_u32(rng, ctx, &u));
		out[i] = (int8_t)((((u & 0x3fffffff) * 3) >> 30) - 1);
	}
	return 0;
}

/* ---- the KEM ---- */

struct keygen_state {
	int8_t g[P], f[P], ginv8[P];
	int16_t ginv[P], finv3[P], h[P];
};

int kg_sntrup761_keypair_rng(uint8_t *pk, uint8_t *sk, kg_sntrup761_rng rng,
		void *ctx)
{
	struct keygen_state s;
	int ret;

	/* g must be invertible mod 3; a rejected g is discarded, so the retry
	 * tells nothing about the g that is kept. */
	for (;;) {
		GUARD_GOTO(ret, small_random(s.g, rng, ctx), out);
		if (poly_recip(s.ginv, s.g, 1, f3, 0) == 0)
			break;
	}
	GUARD_GOTO(ret, short_random(s.f, rng, ctx), out);
	/* Always invertible: x^p - x - 1 is irreducible mod q and f != 0. */
	(void)poly_recip(s.finv3, s.f, fq_pow(3, Q - 2), fq, 1);
	poly_mul(s.h, s.finv3, s.g, fq);               /* h = g / (3f) */
	rq_encode(pk, s.h);
	for (int i = 0; i < P; i++)
		s.ginv8[i] = (int8_t)s.ginv[i];
	small_encode(sk + SK_F, s.f);
	small_encode(sk + SK_GINV, s.ginv8);
	memcpy(sk + SK_PK, pk, RQ_BYTES);
	GUARD_GOTO(ret, rng(ctx, sk + SK_RHO, SMALL_BYTES), out);
	GUARD_GOTO(ret, hash_prefix(sk + SK_CACHE, 4, pk, RQ_BYTES, NULL, 0), out);
	ret = 0;
out:
	if (ret < 0)
		OPENSSL_cleanse(sk, KG_SNTRUP761_SK_LEN);
	OPENSSL_cleanse(&s, sizeof(s));
	return ret;
}

/* Hide: ct = Rounded(h*r) || HashConfirm(r, pk); r_enc = Small(r). */
static int hide(uint8_t *ct, uint8_t *r_enc, const int8_t *r,
		const int16_t *h, const uint8_t *cache)
{
	int16_t hr[P];
	small_encode(r_enc, r);
	poly_mul(hr, h, r, fq);
	for (int i = 0; i < P; i++)
		hr[i] = (int16_t)(hr[i] - f3(hr[i]));  /* round to a multiple of 3 */
	rounded_encode(ct, hr);
	OPENSSL_cleanse(hr, sizeof(hr));
	return hash_confirm(ct + ROUNDED_BYTES, r_enc, cache);
}

struct encaps_state {
	int16_t h[P];
	int8_t r[P];
	uint8_t r_enc[SMALL_BYTES], cache[HASH_BYTES], check[RQ_BYTES];
};

int kg_sntrup761_encaps_rng(uint8_t *ct, uint8_t *ss, const uint8_t *pk,
		kg_sntrup761_rng rng, void *ctx)
{
	struct encaps_state s;
	int ret;

	/* Public data: a non-canonical encoding is refused, not reduced. */
	rq_decode(s.h, pk);
	rq_encode(s.check, s.h);
	ENSURE_GOTO(ret, memcmp(s.check, pk, RQ_BYTES) == 0, KG_ERR_FORMAT, out);
	GUARD_GOTO(ret, hash_prefix(s.cache, 4, pk, RQ_BYTES, NULL, 0), out);
	GUARD_GOTO(ret, short_random(s.r, rng, ctx), out);
	GUARD_GOTO(ret, hide(ct, s.r_enc, s.r, s.h, s.cache), out);
	GUARD_GOTO(ret, hash_session(ss, 1, s.r_enc, ct), out);
	ret = 0;
out:
	OPENSSL_cleanse(&s, sizeof(s));
	return ret;
}

struct decaps_state {
	int8_t f[P], ginv[P], r[P];
	int16_t c[P], cf[P], e[P], h[P];
	uint8_t r_enc[SMALL_BYTES], cnew[KG_SNTRUP761_CT_LEN];
};

int kg_sntrup761_decaps(uint8_t *ss, const uint8_t *ct, const uint8_t *sk)
{
	struct decaps_state s;
	const uint8_t *rho = sk + SK_RHO;
	int ret;

	small_decode(s.f, sk + SK_F);
	small_decode(s.ginv, sk + SK_GINV);
	rounded_decode(s.c, ct);
	/* e = 3*c*f mod q, lifted, mod 3; then r = e / g mod 3. */
	poly_mul(s.cf, s.c, s.f, fq);
	for (int i = 0; i < P; i++) {
		s.e[i] = f3(fq(3 * (int32_t)s.cf[i]));
	}
	poly_mul(s.e, s.e, s.ginv, f3);
	/* A result without weight w is replaced by a fixed short vector. */
	int32_t weight = 0;
	for (int i = 0; i < P; i++)
		weight += s.e[i] & 1;
	int32_t bad = nonzero_mask(weight - W);
	for (int i = 0; i < P; i++) {
		int8_t fixed = i < W ? 1 : 0;
		s.r[i] = (int8_t)((s.e[i] & ~bad) | (fixed & bad));
	}
	/* Re-encrypt and compare the whole ciphertext in constant time. */
	rq_decode(s.h, sk + SK_PK);
	GUARD_GOTO(ret, hide(s.cnew, s.r_enc, s.r, s.h, sk + SK_CACHE), out);
	uint32_t diff = 0;
	for (int i = 0; i < KG_SNTRUP761_CT_LEN; i++)
		diff |= (uint32_t)(ct[i] ^ s.cnew[i]);
	int32_t mismatch = nonzero_mask((int32_t)diff);    /* -1: reject */
	for (int i = 0; i < SMALL_BYTES; i++)
		s.r_enc[i] ^= (uint8_t)(mismatch & (s.r_enc[i] ^ rho[i]));
	GUARD_GOTO(ret, hash_session(ss, (uint8_t)(1 + mismatch), s.r_enc, ct), out);
	ret = 0;
out:
	OPENSSL_cleanse(&s, sizeof(s));
	return ret;
}

/* ---- the kg_kem object, randomness from OpenSSL ---- */

static int openssl_rng(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	return RAND_bytes(out, (int)len) == 1 ? 0 : KG_ERR_CRYPTO;
}

static int kem_keypair(uint8_t *pk, uint8_t *sk)
{
	return kg_sntrup761_keypair_rng(pk, sk, openssl_rng, NULL);
}

static int kem_encaps(uint8_t *ct, uint8_t *ss, const uint8_t *pk)
{
	return kg_sntrup761_encaps_rng(ct, ss, pk, openssl_rng, NULL);
}

const kg_kem kg_kem_sntrup761 = {
	.name = "sntrup761",
	.pk_len = KG_SNTRUP761_PK_LEN,
	.sk_len = KG_SNTRUP761_SK_LEN,
	.ct_len = KG_SNTRUP761_CT_LEN,
	.ss_len = KG_SNTRUP761_SS_LEN,
	.keypair = kem_keypair,
	.encaps = kem_encaps,
	.decaps = kg_sntrup761_decaps,
};
