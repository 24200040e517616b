/* ML-KEM-768 (FIPS 203), written from the standard: K-PKE over R_q = Z_q[X]/(X^256+1) with q = 3329.
 *
 * Constant time: secret values (s, e, y, e1, e2, m, the decrypted message
 * and everything derived from them) never choose a branch or a table index.
 * Reduction mod q is a multiply and shift, not a division; the only
 * data-dependent loop is SampleNTT's rejection sampling, which reads the
 * public seed rho.  The implicit rejection of Decaps compares the
 * re-encrypted ciphertext and selects the secret with masks.  Hashes (SHA3-256,
 * SHA3-512, SHAKE128, SHAKE256) come from OpenSSL's EVP, randomness from
 * RAND_bytes; every secret buffer is wiped with OPENSSL_cleanse. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/rand.h>
#include "core/mlkem768.h"

/* OpenSSL 3.5 has ML-KEM; KAGI_MLKEM_OWN keeps ours, KAGI_MLKEM_OPENSSL
 * forces OpenSSL's (to compile that path against an older OpenSSL). */
#if defined(KAGI_MLKEM_OPENSSL) || (!defined(KAGI_MLKEM_OWN) && OPENSSL_VERSION_NUMBER >= 0x30500000L)
#define USE_OPENSSL_MLKEM 1
#else
#define USE_OPENSSL_MLKEM 0
#endif

#define N 256
#define Q 3329
#define K 3                /* module rank for ML-KEM-768 */
#define DU 10
#define DV 4
#define POLY_BYTES 384     /* ByteEncode_12 of one polynomial */
#define PKE_SK_BYTES (K * POLY_BYTES)
#define PK_BYTES (K * POLY_BYTES + 32)
#define SK_BYTES (2 * K * POLY_BYTES + 96)
#define CT_U_BYTES (K * 32 * DU)
#define CT_BYTES (CT_U_BYTES + 32 * DV)
/* floor(t / Q) == (t * BARRETT_M) >> 40 for every t < 2^28: BARRETT_M is
 * ceil(2^40 / Q), so the estimate exceeds t / Q by less than t / 2^40 < 1/Q,
 * too little to reach the next integer. */
#define BARRETT_M 330282857ULL

_Static_assert(PK_BYTES == KG_MLKEM768_PK_LEN && SK_BYTES == KG_MLKEM768_SK_LEN && CT_BYTES == KG_MLKEM768_CT_LEN,
	       "ML-KEM-768 sizes");

typedef struct {
	uint16_t c[N];  /* coefficients, always reduced to [0, Q) */
} poly;

/* zeta^BitRev7(i) mod q, zeta = 17 (FIPS 203 4.3). */
static const uint16_t zetas[128] = {
	1, 1729, 2580, 3289, 2642, 630, 1897, 848, 1062, 1919, 193, 797, 2786, 3260, 569, 1746,
	296, 2447, 1339, 1476, 3046, 56, 2240, 1333, 1426, 2094, 535, 2882, 2393, 2879, 1974, 821,
	289, 331, 3253, 1756, 1197, 2304, 2277, 2055, 650, 1977, 2513, 632, 2865, 33, 1320, 1915,
	2319, 1435, 807, 452, 1438, 2868, 1534, 2402, 2647, 2617, 1481, 648, 2474, 3110, 1227, 910,
	17, 2761, 583, 2649, 1637, 723, 2288, 1100, 1409, 2662, 3281, 233, 756, 2156, 3015, 3050,
	1703, 1651, 2789, 1789, 1847, 952, 1461, 2687, 939, 2308, 2437, 2388, 733, 2337, 268, 641,
	1584, 2298, 2037, 3220, 375, 2549, 2090, 1645, 1063, 319, 2773, 757, 2099, 561, 2466, 2594,
	2804, 1092, 403, 1026, 1143, 2150, 2775, 886, 1722, 1212, 1874, 1029, 2110, 2935, 885, 2154,
};
/* zeta^(2*BitRev7(i)+1) mod q, the moduli of the base-case products. */
static const uint16_t gammas[128] = {
	17, 3312, 2761, 568, 583, 2746, 2649, 680, 1637, 1692, 723, 2606, 2288, 1041, 1100, 2229,
	1409, 1920, 2662, 667, 3281, 48, 233, 3096, 756, 2573, 2156, 1173, 3015, 314, 3050, 279,
	1703, 1626, 1651, 1678, 2789, 540, 1789, 1540, 1847, 1482, 952, 2377, 1461, 1868, 2687, 642,
	939, 2390, 2308, 1021, 2437, 892, 2388, 941, 733, 2596, 2337, 992, 268, 3061, 641, 2688,
	1584, 1745, 2298, 1031, 2037, 1292, 3220, 109, 375, 2954, 2549, 780, 2090, 1239, 1645, 1684,
	1063, 2266, 319, 3010, 2773, 556, 757, 2572, 2099, 1230, 561, 2768, 2466, 863, 2594, 735,
	2804, 525, 1092, 2237, 403, 2926, 1026, 2303, 1143, 2186, 2150, 1179, 2775, 554, 886, 2443,
	1722, 1607, 1212, 2117, 1874, 1455, 1029, 2300, 2110, 1219, 2935, 394, 885, 2444, 2154, 1175,
};

/* ---- arithmetic mod q, branch-free ---- */

static uint32_t div_q(uint32_t t)  /* floor(t / Q) for t < 2^28 */
{
	return (uint32_t)(((uint64_t)t * BARRETT_M) >> 40);
}

static uint16_t mod_q(uint32_t t)  /* t mod Q for t < 2^28 */
{
	return (uint16_t)(t - div_q(t) * Q);
}

static uint16_t add_q(uint16_t a, uint16_t b)
{
	uint32_t t = (uint32_t)a + b - Q;       /* wraps below zero when a + b < Q */
	t += Q & (0u - (t >> 31));
	return (uint16_t)t;
}

static uint16_t sub_q(uint16_t a, uint16_t b)
{
	return add_q(a, (uint16_t)(Q - b));     /* Q - b is in (0, Q]; add_q copes with Q */
}

static uint16_t mul_q(uint16_t a, uint16_t b)
{
	return mod_q((uint32_t)a * b);
}

/* ---- hashing through EVP ---- */

/* out = md(a || b || c), outlen bytes (any length for the SHAKEs). */
static int hash3(const EVP_MD *md, uint8_t *out, size_t outlen, const uint8_t *a, size_t alen,
		 const uint8_t *b, size_t blen, const uint8_t *c, size_t clen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ENSURE(ctx != NULL && md != NULL, KG_ERR_CRYPTO);
	int ok = EVP_DigestInit_ex(ctx, md, NULL) == 1 && EVP_DigestUpdate(ctx, a, alen) == 1 &&
		 (blen == 0 || EVP_DigestUpdate(ctx, b, blen) == 1) &&
		 (clen == 0 || EVP_DigestUpdate(ctx, c, clen) == 1);
	if (ok) {
		if (EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF) {
			ok = EVP_DigestFinalXOF(ctx, out, outlen) == 1;
		} else {
			unsigned int n = 0;
			ok = (size_t)EVP_MD_get_size(md) == outlen && EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == outlen;
		}
	}
	EVP_MD_CTX_free(ctx);  /* wipes the sponge state */
	return ok ? KG_OK : KG_ERR_CRYPTO;
}

#define H_(out, a, alen) hash3(EVP_sha3_256(), (out), 32, (a), (alen), NULL, 0, NULL, 0)

/* PRF_eta2 with eta = 2: SHAKE256(s || b), 128 bytes. */
static int prf(uint8_t out[128], const uint8_t s[32], uint8_t b)
{
	return hash3(EVP_shake256(), out, 128, s, 32, &b, 1, NULL, 0);
}

/* ---- sampling ---- */

/* Accepts 12-bit candidates below Q from buf into a, from *have on. */
static void sample_take(poly *a, size_t *have, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i + 3 <= len && *have < N; i += 3) {
		uint16_t d1 = (uint16_t)(buf[i] | ((buf[i + 1] & 0x0f) << 8));
		uint16_t d2 = (uint16_t)((buf[i + 1] >> 4) | (buf[i + 2] << 4));
		if (d1 < Q)
			a->c[(*have)++] = d1;
		if (d2 < Q && *have < N)
			a->c[(*have)++] = d2;
	}
}

/* Alg. 7 SampleNTT(rho || col || row): entry [row][col] of A-hat.  The
 * rejection depends only on the public rho.  SHAKE128's output is taken in
 * one go (OpenSSL 3.0 cannot squeeze twice); in the astronomically rare case
 * that 4 blocks hold too few accepted values, a longer output is taken, whose
 * prefix is the same stream. */
static int sample_ntt(poly *a, const uint8_t rho[32], uint8_t col, uint8_t row)
{
	uint8_t ij[2] = { col, row };
	uint8_t buf[168 * 4];
	size_t have = 0;
	GUARD(hash3(EVP_shake128(), buf, sizeof(buf), rho, 32, ij, 2, NULL, 0));
	sample_take(a, &have, buf, sizeof(buf));
	if (have == N)
		return KG_OK;
	const size_t big = 168 * 256;  /* ~34000 candidates: cannot fall short */
	uint8_t *more = malloc(big);
	ENSURE(more != NULL, KG_ERR_ALLOC);
	int r = hash3(EVP_shake128(), more, big, rho, 32, ij, 2, NULL, 0);
	if (r == KG_OK) {
		sample_take(a, &have, more + sizeof(buf), big - sizeof(buf));
		r = have == N ? KG_OK : KG_ERR_CRYPTO;
	}
	free(more);
	return r;
}

/* Alg. 8 SamplePolyCBD_2 over 128 bytes: each coefficient is the difference
 * of two sums of two bits. */
static void cbd2(poly *a, const uint8_t buf[128])
{
	for (size_t i = 0; i < N / 8; i++) {
		uint32_t t = (uint32_t)buf[4 * i] | ((uint32_t)buf[4 * i + 1] << 8) | ((uint32_t)buf[4 * i + 2] << 16) |
			     ((uint32_t)buf[4 * i + 3] << 24);
		uint32_t d = (t & 0x55555555u) + ((t >> 1) & 0x55555555u);  /* 2-bit sums */
		for (size_t j = 0; j < 8; j++) {
			uint16_t x = (uint16_t)((d >> (4 * j)) & 3), y = (uint16_t)((d >> (4 * j + 2)) & 3);
			a->c[8 * i + j] = sub_q(x, y);
		}
	}
}

/* Samples CBD_2(PRF(s, nonce)) into a. */
static int sample_cbd(poly *a, const uint8_t s[32], uint8_t nonce)
{
	uint8_t buf[128];
	int r = prf(buf, s, nonce);
	if (r == KG_OK)
		cbd2(a, buf);
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

/* ---- the number-theoretic transform (Alg. 9-12) ---- */

static void ntt(poly *f)
{
	size_t k = 1;
	for (size_t len = 128; len >= 2; len /= 2)
		for (size_t start = 0; start < N; start += 2 * len) {
			uint16_t z = zetas[k++];
			for (size_t j = start; j < start + len; j++) {
				uint16_t t = mul_q(z, f->c[j + len]);
				f->c[j + len] = sub_q(f->c[j], t);
				f->c[j] = add_q(f->c[j], t);
			}
		}
}

static void invntt(poly *f)
{
	size_t k = 127;
	for (size_t len = 2; len <= 128; len *= 2)
		for (size_t start = 0; start < N; start += 2 * len) {
			uint16_t z = zetas[k--];
			for (size_t j = start; j < start + len; j++) {
				uint16_t t = f->c[j];
				f->c[j] = add_q(t, f->c[j + len]);
				f->c[j + len] = mul_q(z, sub_q(f->c[j + len], t));
			}
		}
	for (size_t j = 0; j < N; j++)
		f->c[j] = mul_q(f->c[j], 3303);  /* 128^-1 mod q */
}

/* acc += a * b in the NTT domain (Alg. 11 with Alg. 12's base case). */
static void mul_acc(poly *acc, const poly *a, const poly *b)
{
	for (size_t i = 0; i < N / 2; i++) {
		uint16_t a0 = a->c[2 * i], a1 = a->c[2 * i + 1], b0 = b->c[2 * i], b1 = b->c[2 * i + 1];
		uint16_t c0 = add_q(mul_q(a0, b0), mul_q(mul_q(a1, b1), gammas[i]));
		uint16_t c1 = add_q(mul_q(a0, b1), mul_q(a1, b0));
		acc->c[2 * i] = add_q(acc->c[2 * i], c0);
		acc->c[2 * i + 1] = add_q(acc->c[2 * i + 1], c1);
	}
}

/* ---- encoding and compression (Alg. 5, 6, 4.2.1) ---- */

/* ByteEncode_d: 256 values of d bits, least significant bit first. */
static void pack(uint8_t *out, const poly *a, unsigned d)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < N; i++) {
		acc |= (uint32_t)a->c[i] << bits;
		for (bits += d; bits >= 8; bits -= 8) {
			out[o++] = (uint8_t)acc;
			acc >>= 8;
		}
	}
}

/* ByteDecode_d for d < 12: values mod 2^d. */
static void unpack(poly *a, const uint8_t *in, unsigned d)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < N; i++) {
		for (; bits < d; bits += 8)
			acc |= (uint32_t)in[o++] << bits;
		a->c[i] = (uint16_t)(acc & ((1u << d) - 1));
		acc >>= d;
		bits -= d;
	}
}

/* ByteDecode_12: values mod q (reduced without a branch: s-hat is secret). */
static void unpack12(poly *a, const uint8_t *in)
{
	unpack(a, in, 12);
	for (size_t i = 0; i < N; i++)
		a->c[i] = mod_q(a->c[i]);
}

/* 1 when every 12-bit value in the 384 bytes is below q: ByteEncode_12 of
 * ByteDecode_12 is the identity (the modulus check of 7.2, on public data). */
static int canonical12(const uint8_t *in)
{
	poly a;
	unpack(&a, in, 12);
	for (size_t i = 0; i < N; i++)
		if (a.c[i] >= Q)
			return 0;
	return 1;
}

/* Compress_d: round(2^d x / q) mod 2^d. */
static void compress(poly *a, unsigned d)
{
	for (size_t i = 0; i < N; i++)
		a->c[i] = (uint16_t)(div_q(((uint32_t)a->c[i] << d) + Q / 2) & ((1u << d) - 1));
}

/* Decompress_d: round(q y / 2^d). */
static void decompress(poly *a, unsigned d)
{
	for (size_t i = 0; i < N; i++)
		a->c[i] = (uint16_t)(((uint32_t)a->c[i] * Q + (1u << (d - 1))) >> d);
}

/* ---- K-PKE (Alg. 13-15) ---- */

typedef struct {
	poly s[K], e[K], t[K], a;
	uint8_t rs[64];
} keygen_ws;

/* ek = ByteEncode_12(t-hat) || rho, dk_pke = ByteEncode_12(s-hat). */
static int pke_keygen(uint8_t *ek, uint8_t *dk, const uint8_t d[32], keygen_ws *w)
{
	uint8_t kbyte = K;
	GUARD(hash3(EVP_sha3_512(), w->rs, 64, d, 32, &kbyte, 1, NULL, 0));
	const uint8_t *rho = w->rs, *sigma = w->rs + 32;
	uint8_t nonce = 0;
	for (size_t i = 0; i < K; i++)
		GUARD(sample_cbd(&w->s[i], sigma, nonce++));
	for (size_t i = 0; i < K; i++)
		GUARD(sample_cbd(&w->e[i], sigma, nonce++));
	for (size_t i = 0; i < K; i++) {
		ntt(&w->s[i]);
		ntt(&w->e[i]);
	}
	for (size_t i = 0; i < K; i++) {
		w->t[i] = w->e[i];
		for (size_t j = 0; j < K; j++) {
			GUARD(sample_ntt(&w->a, rho, (uint8_t)j, (uint8_t)i));
			mul_acc(&w->t[i], &w->a, &w->s[j]);
		}
		pack(ek + i * POLY_BYTES, &w->t[i], 12);
		pack(dk + i * POLY_BYTES, &w->s[i], 12);
	}
	memcpy(ek + K * POLY_BYTES, rho, 32);
	return KG_OK;
}

typedef struct {
	poly t[K], y[K], u[K], v, a, e;
	uint8_t buf[128];
} encrypt_ws;

/* c = ByteEncode_du(Compress_du(u)) || ByteEncode_dv(Compress_dv(v)); ek
 * has passed the modulus check. */
static int pke_encrypt(uint8_t *ct, const uint8_t *ek, const uint8_t m[32], const uint8_t r[32], encrypt_ws *w)
{
	const uint8_t *rho = ek + K * POLY_BYTES;
	uint8_t nonce = 0;
	for (size_t i = 0; i < K; i++)
		unpack12(&w->t[i], ek + i * POLY_BYTES);
	for (size_t i = 0; i < K; i++) {
		GUARD(sample_cbd(&w->y[i], r, nonce++));
		ntt(&w->y[i]);
	}
	for (size_t i = 0; i < K; i++) {
		memset(&w->u[i], 0, sizeof(poly));
		for (size_t j = 0; j < K; j++) {
			GUARD(sample_ntt(&w->a, rho, (uint8_t)i, (uint8_t)j));  /* A-hat[j][i]: the transpose */
			mul_acc(&w->u[i], &w->a, &w->y[j]);
		}
		invntt(&w->u[i]);
		GUARD(sample_cbd(&w->e, r, nonce++));
		for (size_t n = 0; n < N; n++)
			w->u[i].c[n] = add_q(w->u[i].c[n], w->e.c[n]);
	}
	memset(&w->v, 0, sizeof(poly));
	for (size_t j = 0; j < K; j++)
		mul_acc(&w->v, &w->t[j], &w->y[j]);
	invntt(&w->v);
	GUARD(sample_cbd(&w->e, r, nonce++));
	for (size_t n = 0; n < N; n++) {
		/* mu = Decompress_1(bit) = bit * 1665, selected by a mask */
		uint16_t bit = (uint16_t)((m[n / 8] >> (n % 8)) & 1);
		uint16_t mu = (uint16_t)((0u - bit) & ((Q + 1) / 2));
		w->v.c[n] = add_q(add_q(w->v.c[n], w->e.c[n]), mu);
	}
	for (size_t i = 0; i < K; i++) {
		compress(&w->u[i], DU);
		pack(ct + i * 32 * DU, &w->u[i], DU);
	}
	compress(&w->v, DV);
	pack(ct + CT_U_BYTES, &w->v, DV);
	return KG_OK;
}

typedef struct {
	poly s, u, w, v;
} decrypt_ws;

/* m = ByteEncode_1(Compress_1(v' - NTT^-1(s-hat^T . NTT(u')))). */
static void pke_decrypt(uint8_t m[32], const uint8_t *dk, const uint8_t *ct, decrypt_ws *w)
{
	memset(&w->w, 0, sizeof(poly));
	for (size_t i = 0; i < K; i++) {
		unpack(&w->u, ct + i * 32 * DU, DU);
		decompress(&w->u, DU);
		ntt(&w->u);
		unpack12(&w->s, dk + i * POLY_BYTES);
		mul_acc(&w->w, &w->s, &w->u);
	}
	invntt(&w->w);
	unpack(&w->v, ct + CT_U_BYTES, DV);
	decompress(&w->v, DV);
	for (size_t n = 0; n < N; n++)
		w->v.c[n] = sub_q(w->v.c[n], w->w.c[n]);
	compress(&w->v, 1);
	pack(m, &w->v, 1);
}

/* ---- ML-KEM (Alg. 16-18) ---- */

int kg_mlkem768_keypair_derand(uint8_t *pk, uint8_t *sk, const uint8_t d[32], const uint8_t z[32])
{
	ENSURE(pk != NULL && sk != NULL && d != NULL && z != NULL, KG_ERR_ARG);
	keygen_ws *w = malloc(sizeof(*w));
	ENSURE(w != NULL, KG_ERR_ALLOC);
	/* dk = dk_pke || ek || H(ek) || z */
	int r = pke_keygen(pk, sk, d, w);
	if (r == KG_OK) {
		memcpy(sk + PKE_SK_BYTES, pk, PK_BYTES);
		r = H_(sk + PKE_SK_BYTES + PK_BYTES, pk, PK_BYTES);
		memcpy(sk + SK_BYTES - 32, z, 32);
	}
	if (r != KG_OK)
		OPENSSL_cleanse(sk, SK_BYTES);
	OPENSSL_cleanse(w, sizeof(*w));
	free(w);
	return r;
}

int kg_mlkem768_encaps_derand(uint8_t *ct, uint8_t *ss, const uint8_t *pk, const uint8_t m[32])
{
	ENSURE(ct != NULL && ss != NULL && pk != NULL && m != NULL, KG_ERR_ARG);
	for (size_t i = 0; i < K; i++)
		ENSURE(canonical12(pk + i * POLY_BYTES), KG_ERR_FORMAT);
	uint8_t h[32], kr[64];
	encrypt_ws *w = malloc(sizeof(*w));
	ENSURE(w != NULL, KG_ERR_ALLOC);
	int r;
	/* (K, r) = G(m || H(ek)) */
	GUARD_GOTO(r, H_(h, pk, PK_BYTES), out);
	GUARD_GOTO(r, hash3(EVP_sha3_512(), kr, 64, m, 32, h, 32, NULL, 0), out);
	GUARD_GOTO(r, pke_encrypt(ct, pk, m, kr + 32, w), out);
	memcpy(ss, kr, 32);
out:
	OPENSSL_cleanse(kr, sizeof(kr));
	OPENSSL_cleanse(w, sizeof(*w));
	free(w);
	return r;
}

typedef struct {
	decrypt_ws dec;
	encrypt_ws enc;
	uint8_t m[32], kr[64], kbar[32], ct2[CT_BYTES], hek[32];
} decaps_ws;

int kg_mlkem768_decaps_own(uint8_t *ss, const uint8_t *ct, const uint8_t *sk)
{
	ENSURE(ss != NULL && ct != NULL && sk != NULL, KG_ERR_ARG);
	const uint8_t *ek = sk + PKE_SK_BYTES, *h = ek + PK_BYTES, *z = h + 32;
	decaps_ws *w = malloc(sizeof(*w));
	ENSURE(w != NULL, KG_ERR_ALLOC);
	int r;
	/* The hash check of 7.3: dk must carry H of its own ek. */
	GUARD_GOTO(r, H_(w->hek, ek, PK_BYTES), out);
	ENSURE_GOTO(r, CRYPTO_memcmp(w->hek, h, 32) == 0, KG_ERR_FORMAT, out);
	pke_decrypt(w->m, sk, ct, &w->dec);
	GUARD_GOTO(r, hash3(EVP_sha3_512(), w->kr, 64, w->m, 32, h, 32, NULL, 0), out);
	/* K-bar = J(z || c) = SHAKE256(z || c, 32) */
	GUARD_GOTO(r, hash3(EVP_shake256(), w->kbar, 32, z, 32, ct, CT_BYTES, NULL, 0), out);
	GUARD_GOTO(r, pke_encrypt(w->ct2, ek, w->m, w->kr + 32, &w->enc), out);
	/* diff: OR of all byte differences; mask = 0xff when any byte differs. */
	uint32_t diff = 0;
	for (size_t i = 0; i < CT_BYTES; i++)
		diff |= (uint32_t)(ct[i] ^ w->ct2[i]);
	uint8_t mask = (uint8_t)(0u - ((diff + 0xffu) >> 8));
	for (size_t i = 0; i < 32; i++)
		ss[i] = (uint8_t)(w->kr[i] ^ (mask & (w->kr[i] ^ w->kbar[i])));
	r = KG_OK;
out:
	OPENSSL_cleanse(w, sizeof(*w));
	free(w);
	return r;
}

/* ---- the kg_kem object ---- */

#if USE_OPENSSL_MLKEM
/* OpenSSL's ML-KEM: the raw public key is ek, the raw private key the
 * expanded dk, so keys travel the same way as with our code. */
static int ossl_keypair(uint8_t *pk, uint8_t *sk)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "ML-KEM-768", NULL);
	ENSURE(ctx != NULL, KG_ERR_CRYPTO);
	EVP_PKEY *key = NULL;
	size_t pl = PK_BYTES, sl = SK_BYTES;
	int ok = EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_generate(ctx, &key) == 1 &&
		 EVP_PKEY_get_raw_public_key(key, pk, &pl) == 1 && pl == PK_BYTES &&
		 EVP_PKEY_get_raw_private_key(key, sk, &sl) == 1 && sl == SK_BYTES;
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(ctx);
	if (!ok)
		OPENSSL_cleanse(sk, SK_BYTES);
	return ok ? KG_OK : KG_ERR_CRYPTO;
}

static int ossl_encaps(uint8_t *ct, uint8_t *ss, const uint8_t *pk)
{
	for (size_t i = 0; i < K; i++)
		ENSURE(canonical12(pk + i * POLY_BYTES), KG_ERR_FORMAT);
	EVP_PKEY *key = EVP_PKEY_new_raw_public_key_ex(NULL, "ML-KEM-768", NULL, pk, PK_BYTES);
	ENSURE(key != NULL, KG_ERR_FORMAT);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	size_t cl = CT_BYTES, sl = KG_MLKEM768_SS_LEN;
	int ok = ctx != NULL && EVP_PKEY_encapsulate_init(ctx, NULL) == 1 &&
		 EVP_PKEY_encapsulate(ctx, ct, &cl, ss, &sl) == 1 && cl == CT_BYTES && sl == KG_MLKEM768_SS_LEN;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);
	if (!ok)
		OPENSSL_cleanse(ss, KG_MLKEM768_SS_LEN);
	return ok ? KG_OK : KG_ERR_CRYPTO;
}

static int ossl_decaps(uint8_t *ss, const uint8_t *ct, const uint8_t *sk)
{
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key_ex(NULL, "ML-KEM-768", NULL, sk, SK_BYTES);
	ENSURE(key != NULL, KG_ERR_FORMAT);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	size_t sl = KG_MLKEM768_SS_LEN;
	int ok = ctx != NULL && EVP_PKEY_decapsulate_init(ctx, NULL) == 1 &&
		 EVP_PKEY_decapsulate(ctx, ss, &sl, ct, CT_BYTES) == 1 && sl == KG_MLKEM768_SS_LEN;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);  /* wipes the key */
	if (!ok)
		OPENSSL_cleanse(ss, KG_MLKEM768_SS_LEN);
	return ok ? KG_OK : KG_ERR_CRYPTO;
}
#else
static int own_keypair(uint8_t *pk, uint8_t *sk)
{
	uint8_t dz[64];
	int r = RAND_bytes(dz, sizeof(dz)) == 1 ? kg_mlkem768_keypair_derand(pk, sk, dz, dz + 32) : KG_ERR_CRYPTO;
	OPENSSL_cleanse(dz, sizeof(dz));
	return r;
}

static int own_encaps(uint8_t *ct, uint8_t *ss, const uint8_t *pk)
{
	uint8_t m[32];
	int r = RAND_bytes(m, sizeof(m)) == 1 ? kg_mlkem768_encaps_derand(ct, ss, pk, m) : KG_ERR_CRYPTO;
	OPENSSL_cleanse(m, sizeof(m));
	return r;
}
#endif

int kg_mlkem768_uses_openssl(void)
{
	return USE_OPENSSL_MLKEM;
}

const kg_kem kg_kem_mlkem768 = {
	.name = "ML-KEM-768",
	.pk_len = PK_BYTES,
	.sk_len = SK_BYTES,
	.ct_len = CT_BYTES,
	.ss_len = KG_MLKEM768_SS_LEN,
#if USE_OPENSSL_MLKEM
	.keypair = ossl_keypair,
	.encaps = ossl_encaps,
	.decaps = ossl_decaps,
#else
	.keypair = own_keypair,
	.encaps = own_encaps,
	.decaps = kg_mlkem768_decaps_own,
#endif
};
