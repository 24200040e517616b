/* Private key files: finding the armor, telling the kinds apart, and PEM/PKCS#8
 * through libcrypto's decoders; openssh-key-v1 is keyfile-openssh.c, the per-type
 * key material both use is keyfile-pkey.c. */
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include "core/keyfile-int.h"

#define BEGIN_MARK "-----BEGIN "
#define END_MARK "-----END "
#define DASHES "-----"
#define MAX_LABEL 64

static const struct {
	const char *label;
	enum kg_keyfile_kind kind;
} kinds[] = {
	{ "OPENSSH PRIVATE KEY", KG_KF_OPENSSH },
	{ "RSA PRIVATE KEY", KG_KF_PEM_RSA },
	{ "EC PRIVATE KEY", KG_KF_PEM_EC },
	{ "PRIVATE KEY", KG_KF_PKCS8 },
	{ "ENCRYPTED PRIVATE KEY", KG_KF_PKCS8_ENC },
};

/* ---- armor ---- */

static const uint8_t *find(const uint8_t *hay, size_t haylen, const char *needle, size_t nlen)
{
	return memmem(hay, haylen, needle, nlen);
}

int kg_keyfile_find_armor(const uint8_t *data, size_t len, kg_armor *a, enum kg_keyfile_kind *kind)
{
	const size_t blen = strlen(BEGIN_MARK), elen = strlen(END_MARK), dlen = strlen(DASHES);
	int unknown_private = 0;
	const uint8_t *p = data, *end = data + len;
	while ((p = find(p, (size_t)(end - p), BEGIN_MARK, blen)) != NULL) {
		const uint8_t *label = p + blen;
		const uint8_t *eol = memchr(label, '\n', (size_t)(end - label));
		const uint8_t *line_end = eol ? eol : end;
		const uint8_t *dash = find(label, (size_t)(line_end - label), DASHES, dlen);
		p = label;
		if (!dash || dash - label > MAX_LABEL || !eol)
			continue;
		size_t label_len = (size_t)(dash - label);
		size_t k;
		for (k = 0; k < KG_ARRAY_LEN(kinds); k++)
			if (strlen(kinds[k].label) == label_len && memcmp(kinds[k].label, label, label_len) == 0)
				break;
		if (k == KG_ARRAY_LEN(kinds)) {
			static const char suffix[] = "PRIVATE KEY";
			if (label_len >= sizeof(suffix) - 1 &&
			    memcmp(label + label_len - (sizeof(suffix) - 1), suffix, sizeof(suffix) - 1) == 0)
				unknown_private = 1;
			continue;
		}
		/* The END line must name the same label. */
		char endline[sizeof(END_MARK) + MAX_LABEL + sizeof(DASHES)];
		memcpy(endline, END_MARK, elen);
		memcpy(endline + elen, label, label_len);
		memcpy(endline + elen + label_len, DASHES, dlen);
		const uint8_t *body = eol + 1;
		const uint8_t *fin = find(body, (size_t)(end - body), endline, elen + label_len + dlen);
		if (!fin)
			return KG_ERR_FORMAT;
		a->label = (const char *)label;
		a->label_len = label_len;
		a->body = body;
		a->body_len = (size_t)(fin - body);
		a->block = label - blen;
		a->block_len = (size_t)(fin + elen + label_len + dlen - a->block);
		*kind = kinds[k].kind;
		return KG_OK;
	}
	return unknown_private ? KG_ERR_KEY_TYPE : KG_ERR_FORMAT;
}

/* Traditional PEM encryption is announced by "Proc-Type: 4,ENCRYPTED". */
static int pem_encrypted(const kg_armor *a, enum kg_keyfile_kind kind)
{
	static const char proc[] = "Proc-Type: 4,ENCRYPTED";
	if (kind == KG_KF_PKCS8_ENC)
		return 1;
	if (kind == KG_KF_PKCS8)
		return 0;
	return find(a->body, a->body_len, proc, sizeof(proc) - 1) != NULL;
}

int kg_keyfile_is_private(const uint8_t *data, size_t len)
{
	kg_armor a;
	enum kg_keyfile_kind kind;
	if (!data || len > KG_KEYFILE_MAX_SIZE)
		return 0;
	return kg_keyfile_find_armor(data, len, &a, &kind) == KG_OK;
}

int kg_keyfile_is_encrypted(const uint8_t *data, size_t len)
{
	kg_armor a;
	enum kg_keyfile_kind kind;
	ENSURE(data != NULL, KG_ERR_ARG);
	ENSURE(len <= KG_KEYFILE_MAX_SIZE, KG_ERR_TOO_LARGE);
	GUARD(kg_keyfile_find_armor(data, len, &a, &kind));
	if (kind == KG_KF_OPENSSH)
		return kg_keyfile_openssh_encrypted(&a);
	return pem_encrypted(&a, kind);
}

int kg_keyfile_parse_private_ex(const uint8_t *data, size_t len, const char *passphrase,
				unsigned int max_rounds, kg_key **out)
{
	kg_armor a;
	enum kg_keyfile_kind kind;
	ENSURE(data != NULL && out != NULL, KG_ERR_ARG);
	*out = NULL;
	ENSURE(len <= KG_KEYFILE_MAX_SIZE, KG_ERR_TOO_LARGE);
	GUARD(kg_keyfile_find_armor(data, len, &a, &kind));
	if (kind == KG_KF_OPENSSH)
		return kg_keyfile_openssh_parse(&a, passphrase, max_rounds, out);
	return kg_keyfile_pem_parse(&a, kind, passphrase, out);
}

int kg_keyfile_parse_private(const uint8_t *data, size_t len, const char *passphrase, kg_key **out)
{
	return kg_keyfile_parse_private_ex(data, len, passphrase, KG_KEYFILE_MAX_ROUNDS, out);
}

/* ---- PEM / PKCS#8 via libcrypto ---- */

/* Refuses to supply a passphrase, so libcrypto never prompts on a tty. */
static int no_passphrase(char *pass, size_t size, size_t *len, const OSSL_PARAM params[], void *arg)
{
	(void)pass; (void)size; (void)params; (void)arg;
	*len = 0;
	return 0;
}

int kg_keyfile_pem_parse(const kg_armor *a, enum kg_keyfile_kind kind, const char *passphrase,
			 kg_key **out)
{
	const int enc = pem_encrypted(a, kind);
	ENSURE(!enc || passphrase != NULL, KG_ERR_NEED_PASSPHRASE);
	EVP_PKEY *pkey = NULL;
	kg_key *k = NULL;
	kg_buf scratch;
	int r = KG_ERR_CRYPTO;
	kg_buf_init(&scratch, 0);
	/* Decoders that do not match leave errors behind; drop only ours. */
	ERR_set_mark();
	OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", NULL, NULL,
							       EVP_PKEY_KEYPAIR, NULL, NULL);
	ENSURE_GOTO(r, dctx != NULL, KG_ERR_CRYPTO, out);
	if (enc)
		ENSURE_GOTO(r, OSSL_DECODER_CTX_set_passphrase(dctx, (const unsigned char *)passphrase,
							       strlen(passphrase)) == 1, KG_ERR_CRYPTO, out);
	else
		ENSURE_GOTO(r, OSSL_DECODER_CTX_set_passphrase_cb(dctx, no_passphrase, NULL) == 1,
			    KG_ERR_CRYPTO, out);
	const unsigned char *p = a->block;
	size_t left = a->block_len;
	/* A failed decryption and a corrupt body look the same from here; for
	 * an encrypted file the passphrase is the likely culprit. */
	ENSURE_GOTO(r, OSSL_DECODER_from_data(dctx, &p, &left) == 1 && pkey != NULL,
		    enc ? KG_ERR_PASSPHRASE : KG_ERR_FORMAT, out);
	enum kg_keytype t;
	GUARD_GOTO(r, kg_keyfile_pkey_type(pkey, &t), out);
	if (t != KG_KEY_ED25519 && t != KG_KEY_RSA)
		ENSURE_GOTO(r, EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
							      "uncompressed") == 1, KG_ERR_CRYPTO, out);
	/* The key must really carry its private half and be self-consistent. */
	GUARD_GOTO(r, kg_keyfile_private_fields(t, pkey, &scratch), out);
	GUARD_GOTO(r, kg_keyfile_check_pkey(t, pkey), out);
	k = kg_key_new();
	ENSURE_GOTO(r, k != NULL, KG_ERR_ALLOC, out);
	k->type = t;
	k->pkey = pkey;
	k->has_private = 1;
	pkey = NULL;
	*out = k;
	r = KG_OK;
out:
	ERR_pop_to_mark();
	OSSL_DECODER_CTX_free(dctx);
	EVP_PKEY_free(pkey);
	kg_buf_free(&scratch);
	return r;
}
