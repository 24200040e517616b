#include <openssl/rand.h>
#include "t.h"
#include "core/buf.h"
#include "core/cipher.h"
#include "core/cipher-impl.h"
#include "core/mac.h"

#define MAXPKT (40 * 1024)

/* Every cipher/MAC pairing the layer supports, plus "none". */
struct combo { const char *cipher, *mac; };
static const struct combo combos[] = {
	{ NULL, NULL },
	{ "chacha20-poly1305@openssh.com", NULL },
	{ "aes128-gcm@openssh.com", NULL },
	{ "aes256-gcm@openssh.com", NULL },
	{ "aes128-ctr", "hmac-sha2-256" }, { "aes128-ctr", "hmac-sha2-512" },
	{ "aes128-ctr", "hmac-sha2-256-etm@openssh.com" }, { "aes128-ctr", "hmac-sha2-512-etm@openssh.com" },
	{ "aes192-ctr", "hmac-sha2-256" }, { "aes192-ctr", "hmac-sha2-512" },
	{ "aes192-ctr", "hmac-sha2-256-etm@openssh.com" }, { "aes192-ctr", "hmac-sha2-512-etm@openssh.com" },
	{ "aes256-ctr", "hmac-sha2-256" }, { "aes256-ctr", "hmac-sha2-512" },
	{ "aes256-ctr", "hmac-sha2-256-etm@openssh.com" }, { "aes256-ctr", "hmac-sha2-512-etm@openssh.com" },
};

/* Keys shared by both directions of one test connection. */
struct keys { uint8_t key[64], iv[16], mac_key[64]; };

static int make_pair(const struct combo *c, const struct keys *k, kg_pktcrypt **enc, kg_pktcrypt **dec)
{
	const kg_cipher_alg *ca = c->cipher ? kg_cipher_find(c->cipher) : NULL;
	const kg_mac_alg *ma = c->mac ? kg_mac_find(c->mac) : NULL;
	int r = kg_pktcrypt_new(enc, ca, ma, k->key, k->iv, k->mac_key, 1);
	if (r == KG_OK && dec != NULL) {
		r = kg_pktcrypt_new(dec, ca, ma, k->key, k->iv, k->mac_key, 0);
		if (r < 0) {
			kg_pktcrypt_free(*enc);
			*enc = NULL;
		}
	}
	return r;
}

/* Lays out an RFC 4253 packet with payload_len pattern bytes and the
 * minimum padding for pc; returns pktlen. */
static size_t build_packet(const kg_pktcrypt *pc, uint8_t *pkt, size_t payload_len, uint8_t seed)
{
	size_t bs = kg_pktcrypt_block_size(pc), aad = kg_pktcrypt_aad_len(pc);
	size_t pad = bs - ((4 - aad) + 1 + payload_len) % bs;
	if (pad < 4)
		pad += bs;
	kg_poke_u32(pkt, (uint32_t)(1 + payload_len + pad));
	pkt[4] = (uint8_t)pad;
	for (size_t i = 0; i < payload_len + pad; i++)
		pkt[5 + i] = (uint8_t)(seed + i * 7);
	return 5 + payload_len + pad;
}

/* Receives one sealed packet the way the transport will: peek, check, open. */
static int receive(kg_pktcrypt *dec, uint32_t seqnr, uint8_t *pkt, size_t pktlen)
{
	uint32_t plen;
	int r = kg_pktcrypt_peek_length(dec, seqnr, pkt, &plen);
	if (r < 0)
		return r;
	if ((size_t)plen + 4 != pktlen)
		return KG_ERR_FORMAT;
	return kg_pktcrypt_open(dec, seqnr, pkt, pktlen);
}

static void test_lookup(void)
{
	static const struct { const char *n; size_t key, iv, bs; int aead; } want[] = {
		{ "chacha20-poly1305@openssh.com", 64, 0, 8, 1 },
		{ "aes128-gcm@openssh.com", 16, 12, 16, 1 },
		{ "aes256-gcm@openssh.com", 32, 12, 16, 1 },
		{ "aes128-ctr", 16, 16, 16, 0 },
		{ "aes192-ctr", 24, 16, 16, 0 },
		{ "aes256-ctr", 32, 16, 16, 0 },
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(want); i++) {
		const kg_cipher_alg *c = kg_cipher_find(want[i].n);
		T_ASSERT(c != NULL);
		T_ASSERT(strcmp(kg_cipher_name(c), want[i].n) == 0);
		T_ASSERT(kg_cipher_key_len(c) == want[i].key && kg_cipher_iv_len(c) == want[i].iv);
		T_ASSERT(kg_cipher_block_size(c) == want[i].bs && kg_cipher_is_aead(c) == want[i].aead);
	}
	static const struct { const char *n; size_t key, len; int etm; } mwant[] = {
		{ "hmac-sha2-256-etm@openssh.com", 32, 32, 1 },
		{ "hmac-sha2-512-etm@openssh.com", 64, 64, 1 },
		{ "hmac-sha2-256", 32, 32, 0 },
		{ "hmac-sha2-512", 64, 64, 0 },
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(mwant); i++) {
		const kg_mac_alg *m = kg_mac_find(mwant[i].n);
		T_ASSERT(m != NULL);
		T_ASSERT(strcmp(kg_mac_name(m), mwant[i].n) == 0);
		T_ASSERT(kg_mac_key_len(m) == mwant[i].key && kg_mac_len(m) == mwant[i].len);
		T_ASSERT(kg_mac_is_etm(m) == mwant[i].etm);
	}
	const char *bad[] = { "", "none", "aes128-cbc", "3des-cbc", "AES128-CTR", "aes128-ctr ",
			      "chacha20-poly1305", "hmac-sha1", "hmac-md5", "umac-64@openssh.com" };
	for (size_t i = 0; i < KG_ARRAY_LEN(bad); i++)
		T_ASSERT(kg_cipher_find(bad[i]) == NULL && kg_mac_find(bad[i]) == NULL);
	T_ASSERT(kg_cipher_find(NULL) == NULL && kg_mac_find(NULL) == NULL);
	T_ASSERT(kg_mac_find("aes128-ctr") == NULL && kg_cipher_find("hmac-sha2-256") == NULL);
	T_ASSERT(strcmp(kg_cipher_all_names(), "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,"
			"aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr") == 0);
	T_ASSERT(strcmp(kg_mac_all_names(), "hmac-sha2-256-etm@openssh.com,"
			"hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512") == 0);
}

static void test_params(void)
{
	struct keys k;
	memset(&k, 0x11, sizeof(k));
	for (size_t i = 0; i < KG_ARRAY_LEN(combos); i++) {
		kg_pktcrypt *e = NULL;
		T_OK(make_pair(&combos[i], &k, &e, NULL));
		const kg_mac_alg *m = combos[i].mac ? kg_mac_find(combos[i].mac) : NULL;
		int etm = m && kg_mac_is_etm(m);
		size_t bs = kg_pktcrypt_block_size(e), aad = kg_pktcrypt_aad_len(e);
		size_t tag = kg_pktcrypt_tag_len(e), lb = kg_pktcrypt_length_bytes(e);
		kg_pktcrypt_free(e);
		if (combos[i].cipher == NULL) {
			T_ASSERT(bs == 8 && aad == 0 && tag == 0 && lb == 4);
		} else if (strncmp(combos[i].cipher, "chacha", 6) == 0) {
			T_ASSERT(bs == 8 && aad == 4 && tag == 16 && lb == 4);
		} else if (m == NULL) {
			T_ASSERT(bs == 16 && aad == 4 && tag == 16 && lb == 4);
		} else {
			T_ASSERT(bs == 16 && tag == kg_mac_len(m));
			T_ASSERT(aad == (etm ? 4u : 0u) && lb == (etm ? 4u : 16u));
		}
	}
}

static void test_bad_args(void)
{
	struct keys k;
	memset(&k, 0x22, sizeof(k));
	kg_pktcrypt *pc = (kg_pktcrypt *)&k;  /* must be reset to NULL on failure */
	const kg_cipher_alg *gcm = kg_cipher_find("aes128-gcm@openssh.com");
	const kg_cipher_alg *ctr = kg_cipher_find("aes128-ctr");
	const kg_mac_alg *mac = kg_mac_find("hmac-sha2-256");
	T_ASSERT(kg_pktcrypt_new(&pc, gcm, mac, k.key, k.iv, k.mac_key, 1) == KG_ERR_ARG && pc == NULL);
	T_ASSERT(kg_pktcrypt_new(&pc, ctr, NULL, k.key, k.iv, k.mac_key, 1) == KG_ERR_ARG);
	T_ASSERT(kg_pktcrypt_new(&pc, ctr, mac, k.key, k.iv, NULL, 1) == KG_ERR_ARG);
	T_ASSERT(kg_pktcrypt_new(&pc, ctr, mac, NULL, k.iv, k.mac_key, 1) == KG_ERR_ARG);
	T_ASSERT(kg_pktcrypt_new(&pc, gcm, NULL, k.key, NULL, NULL, 1) == KG_ERR_ARG);
	T_ASSERT(kg_pktcrypt_new(&pc, NULL, mac, NULL, NULL, k.mac_key, 1) == KG_ERR_ARG);
	T_ASSERT(kg_pktcrypt_new(NULL, NULL, NULL, NULL, NULL, NULL, 1) == KG_ERR_ARG);
	kg_pktcrypt_free(NULL);

	/* Wrong direction and too-short packets are refused. */
	uint8_t pkt[64] = { 0 };
	uint32_t len;
	T_OK(kg_pktcrypt_new(&pc, ctr, mac, k.key, k.iv, k.mac_key, 1));
	T_ASSERT(kg_pktcrypt_open(pc, 0, pkt, 16) == KG_ERR_ARG);
	T_ASSERT(kg_pktcrypt_peek_length(pc, 0, pkt, &len) == KG_ERR_ARG);
	T_ASSERT(kg_pktcrypt_seal(pc, 0, pkt, 3) == KG_ERR_ARG);
	kg_pktcrypt_free(pc);
	T_OK(kg_pktcrypt_new(&pc, ctr, mac, k.key, k.iv, k.mac_key, 0));
	T_ASSERT(kg_pktcrypt_seal(pc, 0, pkt, 16) == KG_ERR_ARG);
	T_ASSERT(kg_pktcrypt_open(pc, 0, pkt, 15) == KG_ERR_ARG);
	kg_pktcrypt_free(pc);
}

static void test_none(void)
{
	kg_pktcrypt *e, *d;
	T_OK(kg_pktcrypt_new(&e, NULL, NULL, NULL, NULL, NULL, 1));
	T_OK(kg_pktcrypt_new(&d, NULL, NULL, NULL, NULL, NULL, 0));
	uint8_t pkt[64], ref[64];
	size_t n = build_packet(e, pkt, 10, 3);
	T_ASSERT(n % 8 == 0);
	memcpy(ref, pkt, n);
	T_OK(kg_pktcrypt_seal(e, 0, pkt, n));
	T_ASSERT(memcmp(pkt, ref, n) == 0);
	T_OK(receive(d, 0, pkt, n));
	T_ASSERT(memcmp(pkt, ref, n) == 0);
	kg_pktcrypt_free(e);
	kg_pktcrypt_free(d);
}

static void test_roundtrip(void)
{
	static const size_t sizes[] = { 0, 1, 3, 15, 16, 17, 100, 1000, 4095, 32768, 35000 };
	static const uint32_t seqs[] = { 0, 1, 2, 0x7fffffff, 0xfffffffe, 0xffffffff, 12345 };
	uint8_t *pkt = malloc(MAXPKT), *ref = malloc(MAXPKT);
	T_ASSERT(pkt != NULL && ref != NULL);
	for (size_t c = 0; c < KG_ARRAY_LEN(combos); c++) {
		struct keys k;
		T_ASSERT(RAND_bytes((uint8_t *)&k, sizeof(k)) == 1);
		kg_pktcrypt *e, *d;
		T_OK(make_pair(&combos[c], &k, &e, &d));
		size_t bs = kg_pktcrypt_block_size(e), aad = kg_pktcrypt_aad_len(e);
		/* Consecutive packets on one connection, as the transport does. */
		for (size_t s = 0; s < KG_ARRAY_LEN(seqs); s++) {
			for (size_t z = 0; z < KG_ARRAY_LEN(sizes); z++) {
				uint32_t seq = seqs[s] + (uint32_t)z;
				size_t n = build_packet(e, pkt, sizes[z], (uint8_t)(s * 31 + z));
				T_ASSERT((n - aad) % bs == 0 && n + 64 <= MAXPKT);
				memcpy(ref, pkt, n);
				T_OK(kg_pktcrypt_seal(e, seq, pkt, n));
				if (combos[c].cipher != NULL)
					T_ASSERT(memcmp(pkt + 5, ref + 5, n - 5) != 0);
				T_OK(receive(d, seq, pkt, n));
				T_ASSERT(memcmp(pkt, ref, n) == 0);
			}
		}
		kg_pktcrypt_free(e);
		kg_pktcrypt_free(d);
	}
	free(pkt);
	free(ref);
}

/* Any flipped bit anywhere in the sealed packet or its tag is caught. */
static void test_tamper(void)
{
	for (size_t c = 1; c < KG_ARRAY_LEN(combos); c++) {
		struct keys k;
		T_ASSERT(RAND_bytes((uint8_t *)&k, sizeof(k)) == 1);
		kg_pktcrypt *e, *d;
		T_OK(make_pair(&combos[c], &k, &e, NULL));
		uint8_t sealed[256], pkt[256];
		size_t n = build_packet(e, sealed, 21, 9);
		size_t total = n + kg_pktcrypt_tag_len(e);
		T_OK(kg_pktcrypt_seal(e, 77, sealed, n));
		kg_pktcrypt_free(e);
		for (size_t i = 0; i < total; i++) {
			for (int bit = 0; bit < 8; bit += 3) {
				memcpy(pkt, sealed, total);
				pkt[i] ^= (uint8_t)(1u << bit);
				const kg_cipher_alg *ca = kg_cipher_find(combos[c].cipher);
				const kg_mac_alg *ma = combos[c].mac ? kg_mac_find(combos[c].mac) : NULL;
				T_OK(kg_pktcrypt_new(&d, ca, ma, k.key, k.iv, k.mac_key, 0));
				uint32_t plen;
				T_OK(kg_pktcrypt_peek_length(d, 77, pkt, &plen));
				/* A tampered length is still opened at the true size, as
				 * if the peer had also sent the matching byte count. */
				int r = kg_pktcrypt_open(d, 77, pkt, n);
				kg_pktcrypt_free(d);
				if (r != KG_ERR_MAC)
					fprintf(stderr, "%s/%s byte %zu: %d\n", combos[c].cipher,
						combos[c].mac ? combos[c].mac : "-", i, r);
				T_ASSERT(r == KG_ERR_MAC);
			}
		}
		/* The untouched packet still opens with a fresh receiver. */
		T_OK(make_pair(&combos[c], &k, &e, &d));
		memcpy(pkt, sealed, total);
		T_OK(receive(d, 77, pkt, n));
		kg_pktcrypt_free(e);
		kg_pktcrypt_free(d);
	}
}

/* A packet opened under another sequence number (or, for GCM, out of
 * order) fails authentication. */
static void test_wrong_seqnr(void)
{
	for (size_t c = 1; c < KG_ARRAY_LEN(combos); c++) {
		struct keys k;
		T_ASSERT(RAND_bytes((uint8_t *)&k, sizeof(k)) == 1);
		kg_pktcrypt *e, *d;
		T_OK(make_pair(&combos[c], &k, &e, &d));
		uint8_t p1[128], p2[128];
		size_t n1 = build_packet(e, p1, 30, 1), n2 = build_packet(e, p2, 30, 2);
		T_OK(kg_pktcrypt_seal(e, 5, p1, n1));
		T_OK(kg_pktcrypt_seal(e, 6, p2, n2));
		uint32_t plen;
		if (strstr(combos[c].cipher, "gcm") != NULL) {
			/* Its nonce is an internal counter: skipping a packet breaks it. */
			T_OK(kg_pktcrypt_peek_length(d, 6, p2, &plen));
			T_ASSERT(kg_pktcrypt_open(d, 6, p2, n2) == KG_ERR_MAC);
		} else {
			T_OK(kg_pktcrypt_peek_length(d, 4, p1, &plen));
			T_ASSERT(kg_pktcrypt_open(d, 4, p1, n1) == KG_ERR_MAC);
		}
		kg_pktcrypt_free(e);
		kg_pktcrypt_free(d);
	}
}

/* Without EtM the receiver normally decrypts the first block in peek, but
 * open alone must handle the whole packet too. */
static void test_ctr_open_without_peek(void)
{
	struct keys k;
	memset(&k, 0x5a, sizeof(k));
	const struct combo c = { "aes256-ctr", "hmac-sha2-512" };
	kg_pktcrypt *e, *d;
	T_OK(make_pair(&c, &k, &e, &d));
	uint8_t pkt[256], ref[256];
	for (uint32_t s = 0; s < 4; s++) {
		size_t n = build_packet(e, pkt, 40 + s, (uint8_t)s);
		memcpy(ref, pkt, n);
		T_OK(kg_pktcrypt_seal(e, s, pkt, n));
		if (s % 2)
			T_OK(receive(d, s, pkt, n));
		else
			T_OK(kg_pktcrypt_open(d, s, pkt, n));
		T_ASSERT(memcmp(pkt, ref, n) == 0);
	}
	kg_pktcrypt_free(e);
	kg_pktcrypt_free(d);
}

/* RFC 4231 test cases 1, 2 and 6 through the SSH MAC code. */
static void test_hmac_rfc4231(void)
{
	uint8_t key6[131];
	memset(key6, 0xaa, sizeof(key6));
	uint8_t key1[20];
	memset(key1, 0x0b, sizeof(key1));
	const struct { const uint8_t *key; size_t klen; const char *data, *h256, *h512; } v[] = {
		{ key1, sizeof(key1), "Hi There",
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
		  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
		  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854" },
		{ (const uint8_t *)"Jefe", 4, "what do ya want for nothing?",
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
		{ key6, sizeof(key6), "Test Using Larger Than Block-Size Key - Hash Key First",
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
		  "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
		  "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598" },
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(v); i++) {
		uint8_t want[64], got[64];
		kg_hmac h;
		T_OK(kg_hmac_init(&h, "SHA256", v[i].key, v[i].klen));
		/* Twice: the context must restart cleanly with the same key. */
		for (int rep = 0; rep < 2; rep++) {
			T_OK(kg_hmac_compute(&h, (const uint8_t *)v[i].data, strlen(v[i].data), got));
			T_ASSERT(t_unhex(v[i].h256, want) == 32 && memcmp(got, want, 32) == 0);
		}
		kg_hmac_clear(&h);
		T_OK(kg_hmac_init(&h, "SHA512", v[i].key, v[i].klen));
		for (int rep = 0; rep < 2; rep++) {
			T_OK(kg_hmac_compute(&h, (const uint8_t *)v[i].data, strlen(v[i].data), got));
			T_ASSERT(t_unhex(v[i].h512, want) == 64 && memcmp(got, want, 64) == 0);
		}
		kg_hmac_clear(&h);
	}
	/* The packet form is HMAC over the 4-byte sequence number, then data. */
	kg_hmac h;
	uint8_t a[32], b[32], msg[4 + 8];
	T_OK(kg_hmac_init(&h, "SHA256", key1, sizeof(key1)));
	kg_poke_u32(msg, 0x01020304);
	memcpy(msg + 4, "Hi There", 8);
	T_OK(kg_hmac_packet(&h, 0x01020304, msg + 4, 8, a));
	T_OK(kg_hmac_compute(&h, msg, sizeof(msg), b));
	T_ASSERT(memcmp(a, b, 32) == 0);
	kg_hmac_clear(&h);
	kg_hmac_clear(&h);
}

/* McGrew-Viega GCM test case 4 (AES-128, 20-byte AAD, 60-byte text)
 * through the GCM code path, both ways. */
static void test_gcm_kat(void)
{
	uint8_t key[16], iv[12], pt[60], ct[60], aad[20], tag[16], buf[60], t[16];
	t_unhex("feffe9928665731c6d6a8f9467308308", key);
	t_unhex("cafebabefacedbaddecaf888", iv);
	t_unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39", pt);
	t_unhex("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		"21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091", ct);
	t_unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad);
	t_unhex("5bc94fbc3221a5db94fae95ae7121a47", tag);
	const kg_cipher_alg *c = kg_cipher_find("aes128-gcm@openssh.com");
	kg_pktcrypt *e, *d;
	T_OK(kg_pktcrypt_new(&e, c, NULL, key, iv, NULL, 1));
	T_OK(kg_pktcrypt_new(&d, c, NULL, key, iv, NULL, 0));
	memcpy(buf, pt, sizeof(buf));
	T_OK(kg_aesgcm_crypt(e, aad, sizeof(aad), buf, sizeof(buf), t));
	T_ASSERT(memcmp(buf, ct, sizeof(ct)) == 0 && memcmp(t, tag, 16) == 0);
	memcpy(buf, ct, sizeof(buf));
	T_OK(kg_aesgcm_crypt(d, aad, sizeof(aad), buf, sizeof(buf), tag));
	T_ASSERT(memcmp(buf, pt, sizeof(pt)) == 0);
	/* The counter moved on: the same input now gives other output. */
	memcpy(buf, pt, sizeof(buf));
	T_OK(kg_aesgcm_crypt(e, aad, sizeof(aad), buf, sizeof(buf), t));
	T_ASSERT(memcmp(buf, ct, sizeof(ct)) != 0);
	kg_pktcrypt_free(e);
	kg_pktcrypt_free(d);
}

/* RFC 8439 vectors for the primitives as the chacha code uses them: the
 * 64-bit BE sequence number fills the last 8 nonce bytes, and the RFC
 * vectors with such nonces (0 and 2) are the ones that apply. */
static void test_chacha_kat(void)
{
	const kg_cipher_alg *c = kg_cipher_find("chacha20-poly1305@openssh.com");
	uint8_t key[64] = { 0 }, want[64], got[64];
	kg_pktcrypt *e;

	/* A.1 #1 / A.4 #1: zero key, nonce 0, block 0. */
	T_OK(kg_pktcrypt_new(&e, c, NULL, key, NULL, NULL, 1));
	T_OK(kg_chachapoly_poly_key(e, 0, got));
	t_unhex("76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7", want);
	T_ASSERT(memcmp(got, want, 32) == 0);
	/* A.1 #5 (first half): zero key, nonce 2, block 0. */
	T_OK(kg_chachapoly_poly_key(e, 2, got));
	t_unhex("c2c64d378cd536374ae204b9ef933fcd1a8b2288b3dfa49672ab765b54ee27c7", want);
	T_ASSERT(memcmp(got, want, 32) == 0);

	/* A.1 #2: zero key, nonce 0, block 1 is the keystream over the
	 * payload; K_1 (also zero) gives the A.1 #1 bytes over the length. */
	uint8_t pkt[4 + 64 + 16] = { 0 };
	T_OK(kg_pktcrypt_seal(e, 0, pkt, 68));
	t_unhex("9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
		"29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f", want);
	T_ASSERT(memcmp(pkt + 4, want, 64) == 0);
	t_unhex("76b8e0ad", want);
	T_ASSERT(memcmp(pkt, want, 4) == 0);
	kg_pktcrypt_free(e);

	/* A.4 #2: key 00..01 as K_2 (the first half), nonce 2.  K_1 differs
	 * and must not matter. */
	memset(key, 0, sizeof(key));
	key[31] = 1;
	memset(key + 32, 0xee, 32);
	T_OK(kg_pktcrypt_new(&e, c, NULL, key, NULL, NULL, 1));
	T_OK(kg_chachapoly_poly_key(e, 2, got));
	t_unhex("ecfa254f845f647473d3cb140da9e87606cb33066c447b87bc2666dde3fbb739", want);
	T_ASSERT(memcmp(got, want, 32) == 0);

	/* 2.5.2: Poly1305. */
	uint8_t pk[32], tag[16];
	const char *msg = "Cryptographic Forum Research Group";
	t_unhex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b", pk);
	T_OK(kg_chachapoly_poly1305(e, pk, (const uint8_t *)msg, strlen(msg), tag));
	t_unhex("a8061dc1305136c6c22b8baf0c0127a9", want);
	T_ASSERT(memcmp(tag, want, 16) == 0);
	kg_pktcrypt_free(e);
}

/* Seals plain with (cipher, mac, keys) and compares with the reference
 * hex from tests/data/cipher_vectors.py, then opens the reference. */
static int check_vector(kg_pktcrypt *e, kg_pktcrypt *d, uint32_t seq, const char *plain_hex,
			const char *sealed_hex)
{
	uint8_t plain[128], want[256], pkt[256];
	size_t n = t_unhex(plain_hex, plain), total = t_unhex(sealed_hex, want);
	if (total != n + kg_pktcrypt_tag_len(e))
		return 1;
	memcpy(pkt, plain, n);
	if (kg_pktcrypt_seal(e, seq, pkt, n) != KG_OK || memcmp(pkt, want, total) != 0)
		return 2;
	memcpy(pkt, want, total);
	if (receive(d, seq, pkt, n) != KG_OK || memcmp(pkt, plain, n) != 0)
		return 3;
	return 0;
}

static void test_chachapoly_packet_vector(void)
{
	uint8_t key[64];
	for (int i = 0; i < 64; i++)
		key[i] = (uint8_t)i;
	const kg_cipher_alg *c = kg_cipher_find("chacha20-poly1305@openssh.com");
	kg_pktcrypt *e, *d;
	T_OK(kg_pktcrypt_new(&e, c, NULL, key, NULL, NULL, 1));
	T_OK(kg_pktcrypt_new(&d, c, NULL, key, NULL, NULL, 0));
	const char *plain = "0000001806050000000c7373682d7573657261757468000102030405";
	T_OK(check_vector(e, d, 7, plain,
			  "a39afcb22e4315434e8f592d0440ce83b2fdb25940da30377ce03986d0c1499b"
			  "200968b07658ff4b5aae7977"));
	T_OK(check_vector(e, d, 0xffffffff, plain,
			  "b90ee4a80f970c9bae08a791fe1bdec117f463db62d23917cd2cdf7d3e1dc78e"
			  "a0cbd9566b3834ad8b814e88"));
	uint8_t pkt[64];
	uint32_t len;
	t_unhex("a39afcb2", pkt);
	T_OK(kg_pktcrypt_peek_length(d, 7, pkt, &len));
	T_ASSERT(len == 0x18);
	/* peek leaves the received bytes alone: the tag covers them. */
	T_ASSERT(pkt[0] == 0xa3 && pkt[3] == 0xb2);
	kg_pktcrypt_free(e);
	kg_pktcrypt_free(d);
}

static void test_gcm_packet_vector(void)
{
	const char *plain = "000000200e050000000c7373682d7573657261757468000102030405060708090a0b0c0d";
	/* The second packet checks the invocation counter wraps to zero. */
	const struct { const char *name; size_t klen; const char *s1, *s2; } v[] = {
		{ "aes128-gcm@openssh.com", 16,
		  "00000020eaba872273a31efa9bd989404f08a792c7182b49f1e2fc1e017856014b8cec70"
		  "f84b880f8e9abcfba4f92f9cbc3758c4",
		  "00000020c043b775bce25f6d336c2b3ede4182f9ad484a9da39584695bf053e2570caccb"
		  "e6e67b2bfb4b5b807d3ee0e771ec7d2f" },
		{ "aes256-gcm@openssh.com", 32,
		  "000000209023f24f8d92a0ed7ca76c2f53971d130c4d69d5673323651976f5d36936683c"
		  "15751f12577fc8798854520a60b98f13",
		  "000000201f95701c499118ccdd876a9bf014fec8bb3627d66256034a16b544fffc901ebe"
		  "f08fd253c5eef9e89cdfb17c69c8aae4" },
	};
	uint8_t iv[12];
	t_unhex("a1a2a3a4ffffffffffffffff", iv);
	for (size_t i = 0; i < KG_ARRAY_LEN(v); i++) {
		uint8_t key[32];
		for (size_t j = 0; j < v[i].klen; j++)
			key[j] = (uint8_t)(0x40 + j);
		const kg_cipher_alg *c = kg_cipher_find(v[i].name);
		kg_pktcrypt *e, *d;
		T_OK(kg_pktcrypt_new(&e, c, NULL, key, iv, NULL, 1));
		T_OK(kg_pktcrypt_new(&d, c, NULL, key, iv, NULL, 0));
		/* The sequence number plays no part in GCM framing. */
		T_OK(check_vector(e, d, 3, plain, v[i].s1));
		T_OK(check_vector(e, d, 99, plain, v[i].s2));
		kg_pktcrypt_free(e);
		kg_pktcrypt_free(d);
	}
}

static void test_ctr_packet_vector(void)
{
	uint8_t key[16], iv[16], mk[32];
	for (int i = 0; i < 16; i++) {
		key[i] = (uint8_t)(0x80 + i);
		iv[i] = (uint8_t)(0x90 + i);
	}
	for (int i = 0; i < 32; i++)
		mk[i] = (uint8_t)(0xa0 + i);
	const kg_cipher_alg *c = kg_cipher_find("aes128-ctr");
	kg_pktcrypt *e, *d;
	/* Plain MAC: MAC(seqnr || plaintext), everything encrypted; the
	 * counter carries over into the second packet. */
	const kg_mac_alg *m = kg_mac_find("hmac-sha2-256");
	T_OK(kg_pktcrypt_new(&e, c, m, key, iv, mk, 1));
	T_OK(kg_pktcrypt_new(&d, c, m, key, iv, mk, 0));
	const char *plain = "0000001c0a050000000c7373682d757365726175746800010203040506070809";
	T_OK(check_vector(e, d, 3, plain,
			  "dbb253b4abc510f8fbc7eedad9c36e876ba8c9a794b370111ca279a6d1e28221"
			  "e15feca1689b80f3fd90dfc34ddd61eeb9a01f34074c1dc78c3df30801c52587"));
	T_OK(check_vector(e, d, 4, plain,
			  "4fc9c99e492270bc088439ecbfe0178736ef0ac224163afc9794a1d324dacbfa"
			  "89c09a3796bfcacff3d2c5b1cdfd64f553a5651bcdb55c79c61f2a2fcbfdc143"));
	kg_pktcrypt_free(e);
	kg_pktcrypt_free(d);
	/* EtM: length in clear, MAC(seqnr || length || ciphertext). */
	m = kg_mac_find("hmac-sha2-256-etm@openssh.com");
	T_OK(kg_pktcrypt_new(&e, c, m, key, iv, mk, 1));
	T_OK(kg_pktcrypt_new(&d, c, m, key, iv, mk, 0));
	plain = "000000200e050000000c7373682d7573657261757468000102030405060708090a0b0c0d";
	T_OK(check_vector(e, d, 3, plain,
			  "00000020d5b753a8a1cc638b93e6e8dad49c7a817ab2a8d3e2d8741518a675aaddee8625"
			  "37ffafb7198f61a45c615dd5d6a39c66179bee03b967280340e7c0a3481a52c1"));
	T_OK(check_vector(e, d, 4, plain,
			  "0000002041ccc982432b03cf60a53fecb2bf038127f56bb6527d3ef89390addf28d6cffe"
			  "5088ff170a889983fb494f5bde5c2fe0432af86b9169415647995874c4bc25db"));
	kg_pktcrypt_free(e);
	kg_pktcrypt_free(d);
}

/* A failed GCM or non-EtM open leaves no unauthenticated plaintext. */
static void test_failed_open_wipes(void)
{
	const struct combo cs[] = { { "aes128-gcm@openssh.com", NULL }, { "aes128-ctr", "hmac-sha2-256" } };
	for (size_t c = 0; c < KG_ARRAY_LEN(cs); c++) {
		struct keys k;
		memset(&k, 0x33, sizeof(k));
		kg_pktcrypt *e, *d;
		T_OK(make_pair(&cs[c], &k, &e, &d));
		uint8_t pkt[128];
		size_t n = build_packet(e, pkt, 40, 0x41);
		T_OK(kg_pktcrypt_seal(e, 1, pkt, n));
		pkt[n] ^= 1;  /* tag */
		T_ASSERT(receive(d, 1, pkt, n) == KG_ERR_MAC);
		for (size_t i = 5; i < n; i++)
			T_ASSERT(pkt[i] == 0);
		kg_pktcrypt_free(e);
		kg_pktcrypt_free(d);
	}
}

int main(void)
{
	T_RUN(test_lookup);
	T_RUN(test_params);
	T_RUN(test_bad_args);
	T_RUN(test_none);
	T_RUN(test_roundtrip);
	T_RUN(test_tamper);
	T_RUN(test_wrong_seqnr);
	T_RUN(test_ctr_open_without_peek);
	T_RUN(test_hmac_rfc4231);
	T_RUN(test_gcm_kat);
	T_RUN(test_chacha_kat);
	T_RUN(test_chachapoly_packet_vector);
	T_RUN(test_gcm_packet_vector);
	T_RUN(test_ctr_packet_vector);
	T_RUN(test_failed_open_wipes);
	return T_DONE();
}
