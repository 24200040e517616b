/* Exercises src/core/mlkem768.c: FIPS 203 ML-KEM-768 known answers from an independent implementation
 * (@noble/post-quantum; the fixed vectors below, and more from a file given as argv[1], made by
 * tests/vectors/gen-mlkem.mjs), implicit rejection, the encapsulation and decapsulation key checks. */
#include <openssl/evp.h>
#include "t.h"
#include "core/mlkem768.h"

/* d z m flip sha3-256(ek) sha3-256(dk) sha3-256(ct) ss ss-after-flipping-bit-"flip"-of-ct */
static const char *const fixed[] = {
	"121621e112303df76a9d7cdef887696625367f88fd2aa9405faa2c3eb2b85ea5 c3feb3297631d5897ec05e2d820fc3257de8409a640e6e1364e8cac3dac6c120 fec0e416cdc3ec7943b547057d574fee6d4b7c682e9be86efccc9d883cb434ab 588 "
	"693b2152ce176c77d5a19f98b3c7410694f9731972ecaeae7c589c2535188c56 2ecb4882d37b0a5af2befda94ba6fbf0ed33f7fcc051667d551e27d020985a64 4bb3a9d052a810562fb8ecb380b2dd57fad73ad15cf82653838bbb78a0e0991c "
	"d5b02ed348e707841eb684279303be2072e4361df94463043f7445e29db2421f 4e703663a287759d31ee7297cf29e17caa67e9650b463333933090853265ec64",
	"9806dfa10a0e99bb7a46d8667a32cf3fee0b201fbba16952891a09160e39e9bd 7f79a9ec51636467c4137b59de7a7bafd39e0a27cc9e3bc6642e4394634f12e9 e8ebf613bbce17c08c10a8363302231fd6526044bd3a7e19018264e2677d0414 6910 "
	"44460e8a5e3049f4b4f72834fb414552ca99e5824da04fe63b1b341e31bd96c0 f4cf834ac8f415594475c5875eac6e8e1485d39c47c01448b7b6589e359cd640 cca9e76c86b437b7f2ed120055de3796b0081164e39a17b13234e0798e4457f1 "
	"1730e58d9fdfa986ae3832096335a2041ed4c1c7b8656f6519c3f4064b01d5e7 f297ed5928592c7347465933ccb05ca71c3d985a29b2286271791d57a5bc4f8f",
	"2a46af9ce4aec0c3dfbb96b7340358a6a544f9ca4db7215f961c79c399977f65 f2a52046db379641c0b1d4192ce4e31141d491e3f003fa9967a452e88a50889f 734368beb8c45e14ef29fedbc5b45609db50d30d198830439c937d3b7b37274b 3650 "
	"5e45f21f16b4045cf8bfb7a242ed25f08ef04195da53c9bb442bb3eb1a0e6aaf 3741140c79858bd3f7bce006170d315568fa6d15358fd8abf160285672fe4054 cff487909a791d27393ceeceec01fe89b1f37afda2d18cce9b0e4b2e73f824f1 "
	"cb32e30282c1b18e73460ff2fd45d11d3a02cc5d4602ef8569c2f6dfb34214aa 2b7505438620ec777196fadb3d730f9230cb648446573d77d5b0dd1286d2f059",
	"58767702847f3737422b4b4b425189bbe3d76d7ad9ee6c68e4cec650960dad22 0a0ab5f8a45b2b66039e6fbad157c5bcf9780dde28e5b7b6b5e154240e76ecbc ef0f0ea171386db56843477e8625a2fc6807afc754f28004a125888413ff2e9d 4505 "
	"080f42f875b2dd704cd150afa1b836b5a7a4f742434ad4d56345578ae225aadc 39d6d564ccb8a090353aad836ea7c6ca9d45656da0a66032914b3c6916c47516 fdbc07eb2602acac9fcf228043a157bee231ef1845cfcef95845c8c5802e5f52 "
	"2ef9e9dd65bd93e969bfd0d400fe73db66f6dba912bc8e381e2c819538819538 2c2fd06a6e2e2cdd8fa69aedb939dcc754447bab12c74edaea94acbca16a9a22",
	"196f2b3fb4c16befee70469f5d94cdece13ece7a68a254170a7ba3a6a3775aeb b6cb7716409c223f32a8b4c1ba30003c4e48d5df3762ddb2ed98f099932dd16e 159e616e255d5918790392263085be0275678a1b29fb21749d0bd512b96bb7ca 790 "
	"93417370035f5892c156a74e87ca703f01e85bb374ba95e45e75b7d355aebe7f b66672ffec94590da5f7f7b66be86bf4694bcfd999bd1935776110997f02b1bf b49e5595e45b0a5e0bd9d1175ac773cdac8a8e7cf1adf576b2017bc63f5dc570 "
	"320e4dad71e8f77eb5c06c11d165e0c399997c0e40387e6394326c2bfef40248 c7c3150a8388f40ffe8220a84409dcd13fe9ee8c322ea581f21c171fe866d98a",
};

static void sha3hex(const uint8_t *p, size_t n, char out[65])
{
	uint8_t h[32];
	unsigned int l = 0;
	if (EVP_Digest(p, n, h, &l, EVP_sha3_256(), NULL) != 1)
		memset(h, 0, sizeof(h));
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void tohex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* Runs one vector line; 0 when every value matches. */
static int run_vector(const char *line)
{
	char d[65], z[65], m[65], hek[65], hdk[65], hct[65], ss[65], rej[65], got[65];
	unsigned flip;
	if (sscanf(line, "%64s %64s %64s %u %64s %64s %64s %64s %64s", d, z, m, &flip, hek, hdk, hct, ss, rej) != 9)
		return -1;
	uint8_t bd[32], bz[32], bm[32], pk[KG_MLKEM768_PK_LEN], sk[KG_MLKEM768_SK_LEN], ct[KG_MLKEM768_CT_LEN];
	uint8_t key[32], key2[32];
	t_unhex(d, bd);
	t_unhex(z, bz);
	t_unhex(m, bm);
	if (flip >= 8 * sizeof(ct))
		return -1;
	if (kg_mlkem768_keypair_derand(pk, sk, bd, bz) != 0)
		return -2;
	sha3hex(pk, sizeof(pk), got);
	if (strcmp(got, hek) != 0)
		return -3;
	sha3hex(sk, sizeof(sk), got);
	if (strcmp(got, hdk) != 0)
		return -4;
	if (kg_mlkem768_encaps_derand(ct, key, pk, bm) != 0)
		return -5;
	sha3hex(ct, sizeof(ct), got);
	if (strcmp(got, hct) != 0)
		return -6;
	tohex(key, 32, got);
	if (strcmp(got, ss) != 0)
		return -7;
	if (kg_kem_mlkem768.decaps(key2, ct, sk) != 0 || memcmp(key, key2, 32) != 0)
		return -8;
	ct[flip / 8] ^= (uint8_t)(1u << (flip % 8));
	if (kg_kem_mlkem768.decaps(key2, ct, sk) != 0)
		return -9;
	tohex(key2, 32, got);
	if (strcmp(got, rej) != 0)
		return -10;
	return 0;
}

static void test_fixed_vectors(void)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(fixed); i++) {
		int r = run_vector(fixed[i]);
		if (r != 0)
			fprintf(stderr, "vector %zu: step %d\n", i, r);
		T_ASSERT(r == 0);
	}
}

/* A changed expected value must be noticed (the comparison is not vacuous). */
static void test_wrong_vector_fails(void)
{
	char line[1024];
	snprintf(line, sizeof(line), "%s", fixed[0]);
	char *last = strrchr(line, ' ');
	T_ASSERT(last != NULL && last[1] != 0);
	last[1] = last[1] == '0' ? '1' : '0';
	T_ASSERT(run_vector(line) == -10);
}

static void test_round_trip(void)
{
	uint8_t pk[KG_MLKEM768_PK_LEN], sk[KG_MLKEM768_SK_LEN], ct[KG_MLKEM768_CT_LEN], a[32], b[32];
	T_ASSERT(kg_kem_mlkem768.pk_len == sizeof(pk) && kg_kem_mlkem768.sk_len == sizeof(sk));
	T_ASSERT(kg_kem_mlkem768.ct_len == sizeof(ct) && kg_kem_mlkem768.ss_len == 32);
	for (int i = 0; i < 20; i++) {
		T_OK(kg_kem_mlkem768.keypair(pk, sk));
		T_OK(kg_kem_mlkem768.encaps(ct, a, pk));
		T_OK(kg_kem_mlkem768.decaps(b, ct, sk));
		T_ASSERT(memcmp(a, b, 32) == 0);
		/* The last byte of the ciphertext too is checked. */
		ct[sizeof(ct) - 1] ^= 0x80;
		T_OK(kg_kem_mlkem768.decaps(b, ct, sk));
		T_ASSERT(memcmp(a, b, 32) != 0);
	}
	/* Two key pairs differ: the randomness is used. */
	uint8_t pk2[KG_MLKEM768_PK_LEN];
	T_OK(kg_kem_mlkem768.keypair(pk2, sk));
	T_ASSERT(memcmp(pk, pk2, sizeof(pk)) != 0);
}

/* FIPS 203 7.2: an ek with a coefficient >= q is refused, 7.3: a dk whose
 * H(ek) does not match is refused. */
static void test_key_checks(void)
{
	uint8_t pk[KG_MLKEM768_PK_LEN], sk[KG_MLKEM768_SK_LEN], ct[KG_MLKEM768_CT_LEN], a[32], seed[32] = { 1 };
	T_OK(kg_mlkem768_keypair_derand(pk, sk, seed, seed));
	T_OK(kg_mlkem768_encaps_derand(ct, a, pk, seed));
	uint8_t bad[KG_MLKEM768_PK_LEN];
	/* coefficient 1 of polynomial 2 (bytes 768+1, 768+2) set to 3329 = 0xd01 */
	memcpy(bad, pk, sizeof(bad));
	bad[769] = (uint8_t)((bad[769] & 0x0f) | 0x10);
	bad[770] = 0xd0;
	T_ASSERT(kg_mlkem768_encaps_derand(ct, a, bad, seed) == KG_ERR_FORMAT);
	T_ASSERT(kg_kem_mlkem768.encaps(ct, a, bad) == KG_ERR_FORMAT);
	/* 4095 in the last coefficient */
	memcpy(bad, pk, sizeof(bad));
	bad[1150] |= 0xf0;
	bad[1151] = 0xff;
	T_ASSERT(kg_mlkem768_encaps_derand(ct, a, bad, seed) == KG_ERR_FORMAT);
	/* the largest legal value, 3328, passes */
	memcpy(bad, pk, sizeof(bad));
	bad[1150] = (uint8_t)((bad[1150] & 0x0f) | 0x00);
	bad[1151] = 0xd0;
	T_OK(kg_mlkem768_encaps_derand(ct, a, bad, seed));
	sk[1152 + 1184] ^= 1;
	T_ASSERT(kg_mlkem768_decaps_own(a, ct, sk) == KG_ERR_FORMAT);
	T_ASSERT(kg_mlkem768_keypair_derand(NULL, sk, seed, seed) == KG_ERR_ARG);
}

/* Extra vectors from a file, one per line (see tests/vectors/gen-mlkem.mjs). */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		return 1;
	}
	char line[1024];
	int n = 0, bad = 0;
	while (fgets(line, sizeof(line), f)) {
		int r = run_vector(line);
		n++;
		if (r != 0) {
			fprintf(stderr, "%s:%d: step %d\n", path, n, r);
			bad++;
		}
	}
	fclose(f);
	printf("%s: %d vectors, %d mismatches\n", bad || n == 0 ? "FAIL" : "PASS", n, bad);
	return bad || n == 0;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return run_file(argv[1]);
	printf("# ML-KEM through %s\n", kg_mlkem768_uses_openssl() ? "OpenSSL" : "kagi's own code");
	T_RUN(test_fixed_vectors);
	T_RUN(test_wrong_vector_fails);
	T_RUN(test_round_trip);
	T_RUN(test_key_checks);
	return T_DONE();
}
