/* bcrypt_pbkdf as defined by OpenBSD and used by openssh-key-v1: a PBKDF2-
 * like construction whose PRF is "bcrypt_hash" (eksblowfish keyed with the
 * SHA-512 of the passphrase and of the salt), and whose output bytes are
 * spread over the key with a stride rather than concatenated. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "core/blowfish.h"
#include "core/keyfile.h"

#define SHA512_LEN 64
#define HASH_WORDS 8
#define HASH_LEN (4 * HASH_WORDS)
#define BCRYPT_COST 64
#define MAX_SALT (1u << 20)

typedef struct bcrypt_ctx {
	kg_bf_state initial;   /* pi digits, computed once per call */
	kg_bf_state st;
	uint8_t sha2pass[SHA512_LEN];
	uint8_t sha2salt[SHA512_LEN];
	uint8_t tmp[HASH_LEN];
	uint8_t acc[HASH_LEN];
	uint32_t cdata[HASH_WORDS];
} bcrypt_ctx;

static int sha512(const uint8_t *data, size_t len, uint8_t *out)
{
	unsigned int n = 0;
	ENSURE(EVP_Digest(data, len, out, &n, EVP_sha512(), NULL) == 1 && n == SHA512_LEN, KG_ERR_CRYPTO);
	return KG_OK;
}

/* ctx->tmp = bcrypt_hash(ctx->sha2pass, ctx->sha2salt) */
static void bcrypt_hash(bcrypt_ctx *c)
{
	static const uint8_t magic[HASH_LEN] = "OxychromaticBlowfishSwatDynamite";
	memcpy(&c->st, &c->initial, sizeof(c->st));
	kg_bf_expand(&c->st, c->sha2salt, SHA512_LEN, c->sha2pass, SHA512_LEN);
	for (int i = 0; i < BCRYPT_COST; i++) {
		kg_bf_expand0(&c->st, c->sha2salt, SHA512_LEN);
		kg_bf_expand0(&c->st, c->sha2pass, SHA512_LEN);
	}
	for (size_t i = 0; i < HASH_WORDS; i++)
		c->cdata[i] = ((uint32_t)magic[4 * i] << 24) | ((uint32_t)magic[4 * i + 1] << 16) |
			      ((uint32_t)magic[4 * i + 2] << 8) | magic[4 * i + 3];
	for (int i = 0; i < BCRYPT_COST; i++)
		kg_bf_encipher_words(&c->st, c->cdata, HASH_WORDS / 2);
	/* The words come out little-endian (as OpenBSD defines it). */
	for (size_t i = 0; i < HASH_WORDS; i++) {
		c->tmp[4 * i] = (uint8_t)c->cdata[i];
		c->tmp[4 * i + 1] = (uint8_t)(c->cdata[i] >> 8);
		c->tmp[4 * i + 2] = (uint8_t)(c->cdata[i] >> 16);
		c->tmp[4 * i + 3] = (uint8_t)(c->cdata[i] >> 24);
	}
}

static int pbkdf(bcrypt_ctx *c, const char *pass, size_t passlen, const uint8_t *salt, size_t saltlen,
		 uint8_t *key, size_t keylen, unsigned int rounds, uint8_t *countsalt)
{
	GUARD(kg_bf_pi_state(&c->initial));
	GUARD(sha512((const uint8_t *)pass, passlen, c->sha2pass));
	memcpy(countsalt, salt, saltlen);
	/* Each block of HASH_LEN output bytes is spread over the key: byte i of
	 * block b lands at i * stride + b. */
	const size_t stride = (keylen + HASH_LEN - 1) / HASH_LEN;
	const size_t per_block = (keylen + stride - 1) / stride;
	for (uint32_t block = 0; (size_t)block < stride; block++) {
		kg_poke_u32(countsalt + saltlen, block + 1);
		GUARD(sha512(countsalt, saltlen + 4, c->sha2salt));
		bcrypt_hash(c);
		memcpy(c->acc, c->tmp, HASH_LEN);
		for (unsigned int i = 1; i < rounds; i++) {
			GUARD(sha512(c->tmp, HASH_LEN, c->sha2salt));
			bcrypt_hash(c);
			for (size_t j = 0; j < HASH_LEN; j++)
				c->acc[j] ^= c->tmp[j];
		}
		for (size_t i = 0; i < per_block; i++) {
			size_t dest = i * stride + block;
			if (dest >= keylen)
				break;
			key[dest] = c->acc[i];
		}
	}
	return KG_OK;
}

int kg_bcrypt_pbkdf(const char *pass, size_t passlen, const uint8_t *salt, size_t saltlen,
		    uint8_t *key, size_t keylen, unsigned int rounds)
{
	ENSURE(pass && salt && key, KG_ERR_ARG);
	ENSURE(rounds >= 1 && passlen > 0 && saltlen > 0 && keylen > 0, KG_ERR_ARG);
	ENSURE(keylen <= HASH_LEN * HASH_LEN && saltlen <= MAX_SALT, KG_ERR_TOO_LARGE);
	bcrypt_ctx *c = malloc(sizeof(*c));
	uint8_t *countsalt = malloc(saltlen + 4);
	int r = KG_ERR_ALLOC;
	if (c && countsalt)
		r = pbkdf(c, pass, passlen, salt, saltlen, key, keylen, rounds, countsalt);
	if (c) {
		OPENSSL_cleanse(c, sizeof(*c));
		free(c);
	}
	if (countsalt) {
		OPENSSL_cleanse(countsalt, saltlen + 4);
		free(countsalt);
	}
	if (r < 0)
		OPENSSL_cleanse(key, keylen);
	return r;
}
