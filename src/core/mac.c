/* HMAC via EVP_MAC, plus the table of SSH MAC algorithms. */
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include "core/buf.h"
#include "core/mac.h"

/* Preference order: EtM first (the length stays out of the MAC-then-encrypt
 * construction), larger digest last since it costs more per byte. */
static const kg_mac_alg mac_algs[] = {
	{ "hmac-sha2-256-etm@openssh.com", "SHA256", 32, 32, 1 },
	{ "hmac-sha2-512-etm@openssh.com", "SHA512", 64, 64, 1 },
	{ "hmac-sha2-256", "SHA256", 32, 32, 0 },
	{ "hmac-sha2-512", "SHA512", 64, 64, 0 },
};

const kg_mac_alg *kg_mac_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < KG_ARRAY_LEN(mac_algs); i++)
		if (strcmp(mac_algs[i].name, name) == 0)
			return &mac_algs[i];
	return NULL;
}

const char *kg_mac_all_names(void)
{
	return "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
	       "hmac-sha2-256,hmac-sha2-512";
}

const char *kg_mac_name(const kg_mac_alg *m) { return m->name; }
size_t kg_mac_key_len(const kg_mac_alg *m) { return m->key_len; }
size_t kg_mac_len(const kg_mac_alg *m) { return m->mac_len; }
int kg_mac_is_etm(const kg_mac_alg *m) { return m->etm; }

int kg_hmac_init(kg_hmac *h, const char *digest, const uint8_t *key, size_t key_len)
{
	memset(h, 0, sizeof(*h));
	ENSURE(digest != NULL && key != NULL && key_len > 0, KG_ERR_ARG);
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	ENSURE(mac != NULL, KG_ERR_CRYPTO);
	h->ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);  /* the context keeps its own reference */
	ENSURE(h->ctx != NULL, KG_ERR_ALLOC);
	OSSL_PARAM params[2];
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(h->ctx, key, key_len, params) != 1) {
		kg_hmac_clear(h);
		return KG_ERR_CRYPTO;
	}
	h->mac_len = EVP_MAC_CTX_get_mac_size(h->ctx);
	if (h->mac_len == 0 || h->mac_len > KG_MAC_MAX_LEN) {
		kg_hmac_clear(h);
		return KG_ERR_CRYPTO;
	}
	return KG_OK;
}

void kg_hmac_clear(kg_hmac *h)
{
	EVP_MAC_CTX_free(h->ctx);
	h->ctx = NULL;
	h->mac_len = 0;
}

/* HMAC(key, prefix || data); prefix may be empty. */
static int hmac_two(kg_hmac *h, const uint8_t *prefix, size_t plen,
		    const uint8_t *data, size_t len, uint8_t *out)
{
	ENSURE(h->ctx != NULL, KG_ERR_ARG);
	size_t outl = 0;
	/* A NULL key restarts the MAC with the key already loaded. */
	ENSURE(EVP_MAC_init(h->ctx, NULL, 0, NULL) == 1, KG_ERR_CRYPTO);
	if (plen > 0)
		ENSURE(EVP_MAC_update(h->ctx, prefix, plen) == 1, KG_ERR_CRYPTO);
	if (len > 0)
		ENSURE(EVP_MAC_update(h->ctx, data, len) == 1, KG_ERR_CRYPTO);
	ENSURE(EVP_MAC_final(h->ctx, out, &outl, h->mac_len) == 1, KG_ERR_CRYPTO);
	ENSURE(outl == h->mac_len, KG_ERR_CRYPTO);
	return KG_OK;
}

int kg_hmac_compute(kg_hmac *h, const uint8_t *data, size_t len, uint8_t *out)
{
	return hmac_two(h, NULL, 0, data, len, out);
}

int kg_hmac_packet(kg_hmac *h, uint32_t seqnr, const uint8_t *data, size_t len, uint8_t *out)
{
	uint8_t seq[4];
	kg_poke_u32(seq, seqnr);
	return hmac_two(h, seq, sizeof(seq), data, len, out);
}
