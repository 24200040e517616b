/* Public key export/import (RFC 4716, PKCS#8, PEM) and private keys in PEM
 * or PKCS#8, through libcrypto's encoders and decoders. */
#include <string.h>
#include <strings.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include "core/keyfile-export.h"

#define RFC_BEGIN "---- BEGIN SSH2 PUBLIC KEY ----"
#define RFC_END "---- END SSH2 PUBLIC KEY ----"
#define RFC_WRAP 70
#define IMPORT_MAX (256u * 1024)

int kg_keyfmt_from_name(const char *name, enum kg_keyfmt *out)
{
	ENSURE(name != NULL && out != NULL, KG_ERR_ARG);
	if (strcasecmp(name, "RFC4716") == 0 || strcasecmp(name, "ssh2") == 0)
		*out = KG_FMT_RFC4716;
	else if (strcasecmp(name, "PKCS8") == 0)
		*out = KG_FMT_PKCS8;
	else if (strcasecmp(name, "PEM") == 0)
		*out = KG_FMT_PEM;
	else
		return KG_ERR_ARG;
	return KG_OK;
}

static int bio_to_buf(BIO *bio, kg_buf *out)
{
	char *p = NULL;
	long n = BIO_get_mem_data(bio, &p);
	ENSURE(n > 0 && p != NULL, KG_ERR_CRYPTO);
	int r = kg_buf_put(out, p, (size_t)n);
	OPENSSL_cleanse(p, (size_t)n);  /* private key text must not outlive the BIO */
	return r;
}

static int rfc4716(const kg_key *k, const char *comment, kg_buf *out)
{
	kg_buf blob, b64;
	kg_buf_init(&blob, 64u * 1024);
	kg_buf_init(&b64, 128u * 1024);
	int r = kg_key_to_blob(k, &blob);
	if (r == KG_OK)
		r = kg_buf_put_base64(&b64, kg_buf_ptr(&blob), kg_buf_len(&blob), 1);
	if (r == KG_OK)
		r = kg_buf_put(out, RFC_BEGIN "\n", strlen(RFC_BEGIN) + 1);
	if (r == KG_OK && comment)
		r = kg_buf_putf(out, "Comment: \"%s\"\n", comment);
	const uint8_t *p = kg_buf_ptr(&b64);
	size_t n = kg_buf_len(&b64);
	for (size_t i = 0; r == KG_OK && i < n; i += RFC_WRAP) {
		r = kg_buf_put(out, p + i, n - i < RFC_WRAP ? n - i : RFC_WRAP);
		if (r == KG_OK)
			r = kg_buf_put_u8(out, '\n');
	}
	if (r == KG_OK)
		r = kg_buf_put(out, RFC_END "\n", strlen(RFC_END) + 1);
	kg_buf_free(&blob);
	kg_buf_free(&b64);
	return r;
}

int kg_keyfile_export_public(const kg_key *k, enum kg_keyfmt fmt, const char *comment, kg_buf *out)
{
	ENSURE(k != NULL && k->pkey != NULL && out != NULL, KG_ERR_ARG);
	if (fmt == KG_FMT_RFC4716)
		return rfc4716(k, comment, out);
	ENSURE(fmt == KG_FMT_PKCS8 || fmt == KG_FMT_PEM, KG_ERR_ARG);
	ENSURE(k->type != KG_KEY_ED25519, KG_ERR_KEY_TYPE);
	/* PEM for RSA is PKCS#1 ("type-specific"); everything else is SPKI. */
	const char *structure = fmt == KG_FMT_PEM && k->type == KG_KEY_RSA ? "type-specific" : "SubjectPublicKeyInfo";
	OSSL_ENCODER_CTX *ctx = OSSL_ENCODER_CTX_new_for_pkey(k->pkey, EVP_PKEY_PUBLIC_KEY, "PEM", structure, NULL);
	BIO *bio = BIO_new(BIO_s_mem());
	int r = KG_ERR_CRYPTO;
	if (ctx && bio && OSSL_ENCODER_CTX_get_num_encoders(ctx) > 0 && OSSL_ENCODER_to_bio(ctx, bio) == 1)
		r = bio_to_buf(bio, out);
	BIO_free(bio);
	OSSL_ENCODER_CTX_free(ctx);
	return r;
}

static int is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
	       c == '=';
}

/* RFC 4716 section 3: BEGIN line, headers ("Tag: value", continued with a
 * trailing backslash), base64 body, END line. */
static int import_rfc4716(const char *text, size_t len, kg_key **out)
{
	const char *b = memmem(text, len, RFC_BEGIN, strlen(RFC_BEGIN));
	ENSURE(b != NULL, KG_ERR_FORMAT);
	const char *p = memchr(b, '\n', len - (size_t)(b - text));
	ENSURE(p != NULL, KG_ERR_FORMAT);
	p++;
	const char *end = text + len;
	kg_buf body;
	kg_buf_init(&body, IMPORT_MAX);
	int r = KG_ERR_FORMAT, cont = 0, done = 0;
	while (p < end && !done) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n >= strlen(RFC_END) && memcmp(p, RFC_END, strlen(RFC_END)) == 0) {
			done = 1;
		} else if (cont || memchr(p, ':', n)) {
			cont = n > 0 && p[n - 1] == '\\';  /* a header, maybe continued */
		} else {
			for (size_t i = 0; i < n; i++)
				if (!is_b64(p[i]))
					goto fail;
			if (kg_buf_put(&body, p, n) < 0)
				goto fail;
		}
		p = nl ? nl + 1 : end;
	}
	if (!done)
		goto fail;
	kg_buf blob;
	kg_buf_init(&blob, IMPORT_MAX);
	r = kg_buf_get_base64(&blob, (const char *)kg_buf_ptr(&body), kg_buf_len(&body));
	if (r == KG_OK)
		r = kg_key_from_blob(kg_buf_ptr(&blob), kg_buf_len(&blob), out);
	kg_buf_free(&blob);
fail:
	kg_buf_free(&body);
	return r;
}

static int import_pem(const char *text, size_t len, const char *structure, kg_key **out)
{
	EVP_PKEY *pkey = NULL;
	OSSL_DECODER_CTX *ctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", structure, NULL, EVP_PKEY_PUBLIC_KEY,
							     NULL, NULL);
	ENSURE(ctx != NULL, KG_ERR_CRYPTO);
	const unsigned char *p = (const unsigned char *)text;
	size_t left = len;
	int ok = OSSL_DECODER_from_data(ctx, &p, &left) == 1 && pkey != NULL;
	OSSL_DECODER_CTX_free(ctx);
	if (!ok) {
		EVP_PKEY_free(pkey);
		return KG_ERR_FORMAT;
	}
	return kg_key_from_pkey(pkey, out);
}

int kg_keyfile_import_public(const char *text, size_t len, enum kg_keyfmt fmt, kg_key **out)
{
	ENSURE(text != NULL && out != NULL, KG_ERR_ARG);
	ENSURE(len <= IMPORT_MAX, KG_ERR_TOO_LARGE);
	*out = NULL;
	if (fmt == KG_FMT_RFC4716)
		return import_rfc4716(text, len, out);
	if (fmt == KG_FMT_PEM && memmem(text, len, "-----BEGIN RSA PUBLIC KEY-----", 30))
		return import_pem(text, len, "type-specific", out);
	ENSURE(fmt == KG_FMT_PKCS8 || fmt == KG_FMT_PEM, KG_ERR_ARG);
	return import_pem(text, len, "SubjectPublicKeyInfo", out);
}

int kg_keyfile_write_private_pem(const kg_key *k, enum kg_keyfmt fmt, const char *passphrase, kg_buf *out)
{
	ENSURE(k != NULL && k->pkey != NULL && k->has_private && out != NULL, KG_ERR_ARG);
	ENSURE(fmt == KG_FMT_PEM || fmt == KG_FMT_PKCS8, KG_ERR_ARG);
	ENSURE(k->type != KG_KEY_ED25519, KG_ERR_KEY_TYPE);
	int enc = passphrase && passphrase[0];
	const EVP_CIPHER *cipher = enc ? EVP_aes_128_cbc() : NULL;
	int plen = enc ? (int)strlen(passphrase) : 0;
	BIO *bio = BIO_new(BIO_s_mem());
	ENSURE(bio != NULL, KG_ERR_ALLOC);
	int ok;
	if (fmt == KG_FMT_PEM)
		ok = PEM_write_bio_PrivateKey_traditional(bio, k->pkey, cipher, (unsigned char *)(enc ? passphrase : NULL),
							  plen, NULL, NULL);
	else
		ok = PEM_write_bio_PKCS8PrivateKey(bio, k->pkey, cipher, enc ? (char *)passphrase : NULL, plen, NULL,
						   NULL);
	int r = ok == 1 ? bio_to_buf(bio, out) : KG_ERR_CRYPTO;
	BIO_free(bio);
	return r;
}
