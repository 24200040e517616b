#include "t.h"
#include "core/blowfish.h"
#include "core/keyfile.h"

static void test_pi_tables(void)
{
	kg_bf_state g_state;
	T_OK(kg_bf_pi_state(&g_state));
	/* First and last words of the published initial state. */
	T_ASSERT(g_state.p[0] == 0x243f6a88u && g_state.p[1] == 0x85a308d3u);
	T_ASSERT(g_state.p[17] == 0x8979fb1bu);
	T_ASSERT(g_state.s[0][0] == 0xd1310ba6u && g_state.s[0][255] == 0x6e85076au);
	T_ASSERT(g_state.s[3][0] == 0x3a39ce37u && g_state.s[3][255] == 0x3ac372e6u);
}

/* Eric Young's Blowfish ECB vectors: key, plaintext, ciphertext. */
static void test_blowfish_ecb(void)
{
	static const char *vec[][3] = {
		{ "0000000000000000", "0000000000000000", "4ef997456198dd78" },
		{ "ffffffffffffffff", "ffffffffffffffff", "51866fd5b85ecb8a" },
		{ "3000000000000000", "1000000000000001", "7d856f9a613063f2" },
		{ "0123456789abcdef", "1111111111111111", "61f9c3802281b096" },
		{ "fedcba9876543210", "0123456789abcdef", "0aceab0fc6a0a28d" },
	};
	kg_bf_state init, st;
	T_OK(kg_bf_pi_state(&init));
	for (size_t i = 0; i < KG_ARRAY_LEN(vec); i++) {
		uint8_t key[8], pt[8], ct[8];
		t_unhex(vec[i][0], key);
		t_unhex(vec[i][1], pt);
		t_unhex(vec[i][2], ct);
		st = init;
		kg_bf_expand0(&st, key, sizeof(key));
		uint32_t l = kg_peek_u32(pt), r = kg_peek_u32(pt + 4);
		kg_bf_encipher(&st, &l, &r);
		T_ASSERT(l == kg_peek_u32(ct) && r == kg_peek_u32(ct + 4));
	}
}

/* Vectors from OpenBSD's regress (the first) and from an independent
 * implementation (pyca bcrypt.kdf); they cover several rounds, key lengths
 * that are not multiples of 32 and multi-block output (stride > 1). */
static void test_pbkdf_vectors(void)
{
	static const struct {
		const char *pass; size_t passlen;
		const char *salt; size_t saltlen;
		unsigned rounds;
		const char *hex;
	} vec[] = {
		{ "password", 8, "salt", 4, 4,
		  "5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9" },
		{ "password", 8, "salt", 4, 8, "e17e1533acc14423155493c99b9c3bbe62" },
		{ "\0\0\0\0", 4, "\0\0\0\0\0\0\0\0", 8, 42,
		  "b833a51417a5d6c7abf01b3c68f7a170da68bd552725c7492c17c012f4dac72bb55d46c372" },
		{ "passwordPASSWORDpassword", 24, "saltSALTsaltSALTsaltSALTsaltSALTsalt", 36, 1,
		  "24102548ed5c443ddfb61be48049e125c2a4d25ce609fea27f4f3627da73775a42f852438c101933"
		  "746348982f61941988bbd5262c454d407f9d1493b85a7b37dc70787c514836f5d0d099d80fa084"
		  "e2db722f79cd5c39c6" },
		{ "kagi pass", 9, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", 16, 16,
		  "8d4d524067a97ec0c81297dee353217914ed738d8670f125dd1d3d2b6435f7c124daa045ec542f06"
		  "a21757335bdbfdeb" },
		{ "x", 1, "y", 1, 2, "0f" },
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(vec); i++) {
		uint8_t want[128], got[128];
		size_t n = t_unhex(vec[i].hex, want);
		memset(got, 0xaa, sizeof(got));
		T_OK(kg_bcrypt_pbkdf(vec[i].pass, vec[i].passlen, (const uint8_t *)vec[i].salt,
				     vec[i].saltlen, got, n, vec[i].rounds));
		T_ASSERT(memcmp(got, want, n) == 0);
		T_ASSERT(got[n] == 0xaa);  /* nothing written past keylen */
	}
}

static void test_pbkdf_args(void)
{
	uint8_t key[32];
	const uint8_t salt[4] = { 1, 2, 3, 4 };
	T_ASSERT(kg_bcrypt_pbkdf("p", 1, salt, 4, key, 32, 0) == KG_ERR_ARG);
	T_ASSERT(kg_bcrypt_pbkdf("p", 0, salt, 4, key, 32, 1) == KG_ERR_ARG);
	T_ASSERT(kg_bcrypt_pbkdf("p", 1, salt, 0, key, 32, 1) == KG_ERR_ARG);
	T_ASSERT(kg_bcrypt_pbkdf("p", 1, salt, 4, key, 0, 1) == KG_ERR_ARG);
	T_ASSERT(kg_bcrypt_pbkdf(NULL, 1, salt, 4, key, 32, 1) == KG_ERR_ARG);
	T_ASSERT(kg_bcrypt_pbkdf("p", 1, salt, 4, key, 1025, 1) == KG_ERR_TOO_LARGE);
}

int main(void)
{
	T_RUN(test_pi_tables);
	T_RUN(test_blowfish_ecb);
	T_RUN(test_pbkdf_vectors);
	T_RUN(test_pbkdf_args);
	return T_DONE();
}
