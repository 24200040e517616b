/* Exercises src/core/sntrup761.c: round trips, implicit rejection, key
 * structure, and vectors made by liboqs (tests/vectors/gen-sntrup.mjs);
 * with arguments it is the cross-check tool that script drives. */
#include <stdint.h>
#include <openssl/evp.h>
#include "t.h"
#include "core/err.h"
#include "core/kem.h"
#include "core/sntrup761.h"
#include "sntrup761_vectors.h"

#define PK_LEN KG_SNTRUP761_PK_LEN
#define SK_LEN KG_SNTRUP761_SK_LEN
#define CT_LEN KG_SNTRUP761_CT_LEN
#define SS_LEN KG_SNTRUP761_SS_LEN
#define SK_PK_OFF 382           /* f (191 bytes), 1/g mod 3 (191), pk, rho, cache */
#define SK_RHO_OFF (SK_PK_OFF + PK_LEN)
#define SK_CACHE_OFF (SK_RHO_OFF + 191)

/* A deterministic byte stream (splitmix64), the same however it is asked
 * for, so a seed stands for one key pair or one encapsulation. */
struct stream { uint64_t state, word; int left; size_t used; };

static int stream_rng(void *ctx, uint8_t *out, size_t len)
{
	struct stream *s = ctx;
	for (size_t i = 0; i < len; i++) {
		if (s->left == 0) {
			uint64_t z = (s->state += 0x9e3779b97f4a7c15u);
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
			s->word = z ^ (z >> 31);
			s->left = 8;
		}
		out[i] = (uint8_t)s->word;
		s->word >>= 8;
		s->left--;
	}
	s->used += len;
	return 0;
}

static int failing_rng(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx; (void)out; (void)len;
	return KG_ERR_CRYPTO;
}

/* The first 32 bytes of SHA-512(b || x1 || x2), computed here on its own. */
static void hash32(uint8_t *out, uint8_t b, const uint8_t *x1, size_t n1,
		const uint8_t *x2, size_t n2)
{
	uint8_t h[64];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, EVP_sha512(), NULL);
	EVP_DigestUpdate(c, &b, 1);
	EVP_DigestUpdate(c, x1, n1);
	if (n2)
		EVP_DigestUpdate(c, x2, n2);
	EVP_DigestFinal_ex(c, h, NULL);
	EVP_MD_CTX_free(c);
	memcpy(out, h, 32);
}

/* The implicit-rejection secret the specification defines for ct:
 * Hash0(Hash3(rho) || ct). */
static void rejection_secret(uint8_t *ss, const uint8_t *sk, const uint8_t *ct)
{
	uint8_t h3[32];
	hash32(h3, 3, sk + SK_RHO_OFF, 191, NULL, 0);
	hash32(ss, 0, h3, 32, ct, CT_LEN);
}

static void test_sizes(void)
{
	const kg_kem *k = &kg_kem_sntrup761;
	T_ASSERT(strcmp(k->name, "sntrup761") == 0);
	T_ASSERT(k->pk_len == 1158 && k->sk_len == 1763);
	T_ASSERT(k->ct_len == 1039 && k->ss_len == 32);
}

static void test_round_trip(void)
{
	static uint8_t pk[PK_LEN], sk[SK_LEN], ct[CT_LEN], ct2[CT_LEN];
	uint8_t ss1[SS_LEN], ss2[SS_LEN], ss3[SS_LEN], cache[32];
	const kg_kem *k = &kg_kem_sntrup761;

	T_OK(k->keypair(pk, sk));
	T_ASSERT(memcmp(sk + SK_PK_OFF, pk, PK_LEN) == 0);
	hash32(cache, 4, pk, PK_LEN, NULL, 0);
	T_ASSERT(memcmp(sk + SK_CACHE_OFF, cache, 32) == 0);
	T_OK(k->encaps(ct, ss1, pk));
	T_OK(k->decaps(ss2, ct, sk));
	T_ASSERT(memcmp(ss1, ss2, SS_LEN) == 0);
	/* A second encapsulation draws a new r: new ciphertext, new secret. */
	T_OK(k->encaps(ct2, ss3, pk));
	T_ASSERT(memcmp(ct, ct2, CT_LEN) != 0 && memcmp(ss1, ss3, SS_LEN) != 0);
	T_OK(k->decaps(ss2, ct2, sk));
	T_ASSERT(memcmp(ss3, ss2, SS_LEN) == 0);
}

/* Changing any part of the ciphertext (the rounded polynomial or the
 * confirmation hash) yields the rejection secret, not the real one. */
static void test_implicit_rejection(void)
{
	static uint8_t pk[PK_LEN], sk[SK_LEN], ct[CT_LEN];
	uint8_t ss[SS_LEN], bad[SS_LEN], want[SS_LEN];
	const size_t pos[] = { 0, 500, 1006, 1007, 1038 };
	struct stream st = { .state = 7 };

	T_OK(kg_sntrup761_keypair_rng(pk, sk, stream_rng, &st));
	T_OK(kg_sntrup761_encaps_rng(ct, ss, pk, stream_rng, &st));
	for (size_t i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
		ct[pos[i]] ^= 0x04;
		T_OK(kg_sntrup761_decaps(bad, ct, sk));
		rejection_secret(want, sk, ct);
		T_ASSERT(memcmp(bad, ss, SS_LEN) != 0);
		T_ASSERT(memcmp(bad, want, SS_LEN) == 0);
		ct[pos[i]] ^= 0x04;
	}
	T_OK(kg_sntrup761_decaps(bad, ct, sk));
	T_ASSERT(memcmp(bad, ss, SS_LEN) == 0);
}

/* Injected randomness reproduces keys and ciphertexts; the key uses
 * 4 bytes per coefficient of g (one or more tries), of f, then 191 of rho. */
static void test_deterministic(void)
{
	static uint8_t pk1[PK_LEN], sk1[SK_LEN], pk2[PK_LEN], sk2[SK_LEN];
	static uint8_t ct1[CT_LEN], ct2[CT_LEN];
	uint8_t ss1[SS_LEN], ss2[SS_LEN];
	struct stream a = { .state = 42 }, b = { .state = 42 }, c = { .state = 43 };

	T_OK(kg_sntrup761_keypair_rng(pk1, sk1, stream_rng, &a));
	T_OK(kg_sntrup761_keypair_rng(pk2, sk2, stream_rng, &b));
	T_ASSERT(memcmp(pk1, pk2, PK_LEN) == 0 && memcmp(sk1, sk2, SK_LEN) == 0);
	T_ASSERT(a.used % (4 * 761) == 191 && a.used >= 2 * 4 * 761 + 191);
	T_OK(kg_sntrup761_keypair_rng(pk2, sk2, stream_rng, &c));
	T_ASSERT(memcmp(pk1, pk2, PK_LEN) != 0);
	a.used = b.used = 0;
	T_OK(kg_sntrup761_encaps_rng(ct1, ss1, pk1, stream_rng, &a));
	T_OK(kg_sntrup761_encaps_rng(ct2, ss2, pk1, stream_rng, &b));
	T_ASSERT(a.used == 4 * 761);
	T_ASSERT(memcmp(ct1, ct2, CT_LEN) == 0 && memcmp(ss1, ss2, SS_LEN) == 0);
	/* f in the secret key is short: exactly 286 coefficients are +-1, and
	 * no 2-bit field holds the unused value 3. */
	int weight = 0;
	for (int i = 0; i < 761; i++) {
		int v = (sk1[i / 4] >> (2 * (i % 4))) & 3;
		T_ASSERT(v != 3);
		weight += v != 1;
	}
	T_ASSERT(weight == 286);
	T_ASSERT(sk1[190] >> 2 == 0);
}

static void test_errors(void)
{
	static uint8_t pk[PK_LEN], sk[SK_LEN], ct[CT_LEN];
	uint8_t ss[SS_LEN];
	struct stream st = { .state = 1 };

	T_ASSERT(kg_sntrup761_keypair_rng(pk, sk, failing_rng, NULL) == KG_ERR_CRYPTO);
	T_OK(kg_sntrup761_keypair_rng(pk, sk, stream_rng, &st));
	T_ASSERT(kg_sntrup761_encaps_rng(ct, ss, pk, failing_rng, NULL) == KG_ERR_CRYPTO);
	/* All-ones bytes decode only after reduction mod q: not canonical. */
	memset(pk, 0xff, sizeof(pk));
	T_ASSERT(kg_sntrup761_encaps_rng(ct, ss, pk, stream_rng, &st) == KG_ERR_FORMAT);
	T_ASSERT(kg_kem_sntrup761.encaps(ct, ss, pk) == KG_ERR_FORMAT);
}

/* liboqs's key pair, ciphertext and secret: kagi decapsulates to the same
 * secret, gets liboqs's rejection secret for a changed ciphertext, and its
 * own encapsulation to liboqs's public key round-trips with that key. */
static void test_liboqs_vectors(void)
{
	static uint8_t sk[SK_LEN], ct[CT_LEN], ct2[CT_LEN];
	uint8_t ss[SS_LEN], want[SS_LEN], got[SS_LEN];

	for (size_t v = 0; v < sizeof(oqs_vec) / sizeof(oqs_vec[0]); v++) {
		T_ASSERT(t_unhex(oqs_vec[v].sk, sk) == SK_LEN);
		T_ASSERT(t_unhex(oqs_vec[v].ct, ct) == CT_LEN);
		T_ASSERT(t_unhex(oqs_vec[v].ss, want) == SS_LEN);
		T_OK(kg_sntrup761_decaps(got, ct, sk));
		T_ASSERT(memcmp(got, want, SS_LEN) == 0);
		ct[oqs_vec[v].flip] ^= 1;
		T_ASSERT(t_unhex(oqs_vec[v].ss_reject, want) == SS_LEN);
		T_OK(kg_sntrup761_decaps(got, ct, sk));
		T_ASSERT(memcmp(got, want, SS_LEN) == 0);
		T_OK(kg_kem_sntrup761.encaps(ct2, ss, sk + SK_PK_OFF));
		T_OK(kg_sntrup761_decaps(got, ct2, sk));
		T_ASSERT(memcmp(got, ss, SS_LEN) == 0);
	}
}

/* Key pairs made here from a seed, ciphertexts made by liboqs for them. */
static void test_liboqs_encaps_vectors(void)
{
	static uint8_t pk[PK_LEN], sk[SK_LEN], ct[CT_LEN];
	uint8_t want[SS_LEN], got[SS_LEN];

	for (size_t v = 0; v < sizeof(oqs_enc) / sizeof(oqs_enc[0]); v++) {
		struct stream st = { .state = oqs_enc[v].seed };
		T_OK(kg_sntrup761_keypair_rng(pk, sk, stream_rng, &st));
		T_ASSERT(t_unhex(oqs_enc[v].ct, ct) == CT_LEN);
		T_ASSERT(t_unhex(oqs_enc[v].ss, want) == SS_LEN);
		T_OK(kg_sntrup761_decaps(got, ct, sk));
		T_ASSERT(memcmp(got, want, SS_LEN) == 0);
	}
}

/* ---- tool mode for the cross-check script: hex on argv, hex on stdout ---- */

static void put_hex(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	putchar('\n');
}

static int get_hex(const char *hex, uint8_t *out, size_t want)
{
	return strlen(hex) == 2 * want && t_unhex(hex, out) == want ? 0 : -1;
}

static int tool(int argc, char **argv)
{
	static uint8_t pk[PK_LEN], sk[SK_LEN], ct[CT_LEN];
	uint8_t ss[SS_LEN];
	const char *cmd = argv[1];

	if (strcmp(cmd, "keypair") == 0 && argc <= 3) {
		struct stream st = { .state = argc == 3 ? strtoull(argv[2], NULL, 10) : 0 };
		if ((argc == 3 ? kg_sntrup761_keypair_rng(pk, sk, stream_rng, &st)
				: kg_kem_sntrup761.keypair(pk, sk)) != 0)
			return 1;
		put_hex(pk, PK_LEN);
		put_hex(sk, SK_LEN);
		return 0;
	}
	if (strcmp(cmd, "encaps") == 0 && argc == 3) {
		if (get_hex(argv[2], pk, PK_LEN) || kg_kem_sntrup761.encaps(ct, ss, pk))
			return 1;
		put_hex(ct, CT_LEN);
		put_hex(ss, SS_LEN);
		return 0;
	}
	if (strcmp(cmd, "decaps") == 0 && argc == 4) {
		if (get_hex(argv[2], sk, SK_LEN) || get_hex(argv[3], ct, CT_LEN) ||
				kg_sntrup761_decaps(ss, ct, sk))
			return 1;
		put_hex(ss, SS_LEN);
		return 0;
	}
	fprintf(stderr, "usage: %s [keypair [SEED] | encaps PK | decaps SK CT]\n", argv[0]);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return tool(argc, argv);
	T_RUN(test_sizes);
	T_RUN(test_round_trip);
	T_RUN(test_implicit_rejection);
	T_RUN(test_deterministic);
	T_RUN(test_errors);
	T_RUN(test_liboqs_vectors);
	T_RUN(test_liboqs_encaps_vectors);
	return T_DONE();
}
