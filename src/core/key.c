/* Key objects, names, and the algorithm-independent halves of blob, signature,
 * fingerprint and one-line handling; the per-algorithm work is behind the
 * tables in key-ed25519.c, key-ecdsa.c and key-rsa.c. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include "core/key-impl.h"

/* Blobs are small (an RSA-16384 one is about 2 KiB); the cap only limits
 * what a hostile line or peer can make us allocate. */
#define KEY_BLOB_MAX (64u * 1024)
#define KEY_SIG_MAX  (64u * 1024)
#define RSA_DEFAULT_BITS 3072

struct type_info {
	enum kg_keytype type;
	const char *name;         /* key type name inside blobs */
	const char *short_name;   /* as ssh-keygen -l prints it */
	int bits;                 /* fixed size, 0 = from the key */
	const struct kg_key_impl *impl;
	const char *sigalgs[2];   /* first = default */
};

static const struct type_info types[] = {
	{ KG_KEY_ED25519, "ssh-ed25519", "ED25519", 256, &kg_key_impl_ed25519,
	  { "ssh-ed25519", NULL } },
	{ KG_KEY_ECDSA_P256, "ecdsa-sha2-nistp256", "ECDSA", 256, &kg_key_impl_ecdsa,
	  { "ecdsa-sha2-nistp256", NULL } },
	{ KG_KEY_ECDSA_P384, "ecdsa-sha2-nistp384", "ECDSA", 384, &kg_key_impl_ecdsa,
	  { "ecdsa-sha2-nistp384", NULL } },
	{ KG_KEY_ECDSA_P521, "ecdsa-sha2-nistp521", "ECDSA", 521, &kg_key_impl_ecdsa,
	  { "ecdsa-sha2-nistp521", NULL } },
	{ KG_KEY_RSA, "ssh-rsa", "RSA", 0, &kg_key_impl_rsa,
	  { "rsa-sha2-512", "rsa-sha2-256" } },
};

static const struct type_info *info_of(enum kg_keytype t)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(types); i++)
		if (types[i].type == t)
			return &types[i];
	return NULL;
}

/* A type by a name that is not NUL-terminated (straight from a blob). */
static const struct type_info *info_by_name(const uint8_t *name, size_t len)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(types); i++)
		if (strlen(types[i].name) == len && memcmp(types[i].name, name, len) == 0)
			return &types[i];
	return NULL;
}

/* The table entry for a usable key, or NULL. */
static const struct type_info *key_info(const kg_key *k)
{
	return k && k->pkey ? info_of(k->type) : NULL;
}

/* Drops what was appended to b after it held len unread bytes. */
static void truncate_to(kg_buf *b, size_t len)
{
	if (kg_buf_len(b) > len && kg_buf_consume_end(b, kg_buf_len(b) - len) != KG_OK)
		kg_buf_reset(b);
}

kg_key *kg_key_new(void)
{
	return calloc(1, sizeof(kg_key));
}

void kg_key_free(kg_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k->comment);
	free(k);
}

const char *kg_key_type_name(enum kg_keytype t)
{
	const struct type_info *ti = info_of(t);
	return ti ? ti->name : "unknown";
}

enum kg_keytype kg_key_type_from_name(const char *name)
{
	if (!name)
		return KG_KEY_UNSPEC;
	const struct type_info *ti = info_by_name((const uint8_t *)name, strlen(name));
	return ti ? ti->type : KG_KEY_UNSPEC;
}

const char *kg_key_type_short(enum kg_keytype t)
{
	const struct type_info *ti = info_of(t);
	return ti ? ti->short_name : "UNKNOWN";
}

int kg_key_bits(const kg_key *k)
{
	const struct type_info *ti = key_info(k);
	if (!ti)
		return 0;
	return ti->bits ? ti->bits : EVP_PKEY_get_bits(k->pkey);
}

/* Wraps pkey (owned) as a new public key of type t. */
static int wrap(enum kg_keytype t, EVP_PKEY *pkey, kg_key **out)
{
	kg_key *k = kg_key_new();
	if (!k) {
		EVP_PKEY_free(pkey);
		return KG_ERR_ALLOC;
	}
	k->type = t;
	k->pkey = pkey;
	*out = k;
	return KG_OK;
}

int kg_key_from_blob(const uint8_t *blob, size_t len, kg_key **out)
{
	ENSURE(out != NULL && (blob != NULL || len == 0), KG_ERR_ARG);
	kg_buf b;
	const uint8_t *name;
	size_t namelen;
	kg_buf_view(&b, blob, len);
	GUARD(kg_buf_get_string_direct(&b, &name, &namelen));
	const struct type_info *ti = info_by_name(name, namelen);
	ENSURE(ti != NULL, KG_ERR_KEY_TYPE);
	EVP_PKEY *pkey = NULL;
	GUARD(ti->impl->blob_read(ti->type, &b, &pkey));
	if (kg_buf_len(&b) != 0) {
		EVP_PKEY_free(pkey);
		return KG_ERR_FORMAT;
	}
	return wrap(ti->type, pkey, out);
}

int kg_key_to_blob(const kg_key *k, kg_buf *out)
{
	const struct type_info *ti = key_info(k);
	ENSURE(ti != NULL && out != NULL, KG_ERR_ARG);
	size_t before = kg_buf_len(out);
	int r = kg_buf_put_cstring(out, ti->name);
	if (r == KG_OK)
		r = ti->impl->blob_write(k, out);
	/* Leave out as it was on failure, not with half a blob. */
	if (r != KG_OK)
		truncate_to(out, before);
	return r;
}

int kg_key_public_copy(const kg_key *k, kg_key **out)
{
	ENSURE(key_info(k) != NULL && out != NULL, KG_ERR_ARG);
	kg_buf b;
	kg_key *copy = NULL;
	kg_buf_init(&b, KEY_BLOB_MAX);
	int r = kg_key_to_blob(k, &b);
	if (r == KG_OK)
		r = kg_key_from_blob(kg_buf_ptr(&b), kg_buf_len(&b), &copy);
	kg_buf_free(&b);
	GUARD(r);
	if (k->comment && (copy->comment = strdup(k->comment)) == NULL) {
		kg_key_free(copy);
		return KG_ERR_ALLOC;
	}
	*out = copy;
	return KG_OK;
}

int kg_key_equal_public(const kg_key *a, const kg_key *b)
{
	if (!key_info(a) || !key_info(b) || a->type != b->type)
		return 0;
	kg_buf ba, bb;
	kg_buf_init(&ba, KEY_BLOB_MAX);
	kg_buf_init(&bb, KEY_BLOB_MAX);
	int eq = kg_key_to_blob(a, &ba) == KG_OK && kg_key_to_blob(b, &bb) == KG_OK &&
		 kg_buf_len(&ba) == kg_buf_len(&bb) &&
		 memcmp(kg_buf_ptr(&ba), kg_buf_ptr(&bb), kg_buf_len(&ba)) == 0;
	kg_buf_free(&ba);
	kg_buf_free(&bb);
	return eq;
}

/* ti's own copy of a (possibly non-NUL-terminated) sigalg name, or NULL
 * when it is not one of ti's signature algorithms. */
static const char *sigalg_match(const struct type_info *ti, const uint8_t *name, size_t len)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(ti->sigalgs); i++)
		if (ti->sigalgs[i] && strlen(ti->sigalgs[i]) == len &&
		    memcmp(ti->sigalgs[i], name, len) == 0)
			return ti->sigalgs[i];
	return NULL;
}

int kg_key_sigalg_ok(const kg_key *k, const char *sigalg)
{
	const struct type_info *ti = key_info(k);
	return ti && sigalg && sigalg_match(ti, (const uint8_t *)sigalg, strlen(sigalg)) != NULL;
}

const char *kg_key_default_sigalg(const kg_key *k)
{
	const struct type_info *ti = key_info(k);
	return ti ? ti->sigalgs[0] : NULL;
}

int kg_key_sign(const kg_key *k, const char *sigalg, const uint8_t *data, size_t len,
		kg_buf *out)
{
	const struct type_info *ti = key_info(k);
	ENSURE(ti != NULL && out != NULL && (data != NULL || len == 0), KG_ERR_ARG);
	ENSURE(k->has_private, KG_ERR_ARG);
	if (!sigalg)
		sigalg = ti->sigalgs[0];
	ENSURE(kg_key_sigalg_ok(k, sigalg), KG_ERR_ARG);
	kg_buf sig;
	kg_buf_init(&sig, KEY_SIG_MAX);
	size_t before = kg_buf_len(out);
	int r = ti->impl->sign(k, sigalg, data ? data : (const uint8_t *)"", len, &sig);
	if (r == KG_OK)
		r = kg_buf_put_cstring(out, sigalg);
	if (r == KG_OK)
		r = kg_buf_put_stringb(out, &sig);
	if (r != KG_OK)
		truncate_to(out, before);
	kg_buf_free(&sig);
	return r;
}

int kg_key_verify(const kg_key *k, const char *sigalg, const uint8_t *sig, size_t siglen,
		  const uint8_t *data, size_t len)
{
	const struct type_info *ti = key_info(k);
	ENSURE(ti != NULL && (sig != NULL || siglen == 0) && (data != NULL || len == 0),
	       KG_ERR_ARG);
	kg_buf b;
	const uint8_t *alg, *raw;
	size_t alglen, rawlen;
	kg_buf_view(&b, sig, siglen);
	ENSURE(kg_buf_get_string_direct(&b, &alg, &alglen) == KG_OK, KG_ERR_FORMAT);
	ENSURE(kg_buf_get_string_direct(&b, &raw, &rawlen) == KG_OK, KG_ERR_FORMAT);
	ENSURE(kg_buf_len(&b) == 0, KG_ERR_FORMAT);
	/* The blob's algorithm must belong to this key (never SHA-1 "ssh-rsa")
	 * and be the one negotiated, when the caller names one. */
	const char *name = sigalg_match(ti, alg, alglen);
	ENSURE(name != NULL, KG_ERR_SIGNATURE);
	ENSURE(sigalg == NULL || strcmp(sigalg, name) == 0, KG_ERR_SIGNATURE);
	return ti->impl->verify(k, name, raw, rawlen, data ? data : (const uint8_t *)"", len);
}

int kg_key_fingerprint(const kg_key *k, char *out, size_t outlen)
{
	ENSURE(key_info(k) != NULL && out != NULL, KG_ERR_ARG);
	static const char prefix[] = "SHA256:";
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	kg_buf blob, text;
	kg_buf_init(&blob, KEY_BLOB_MAX);
	kg_buf_init(&text, 256);
	int r = kg_key_to_blob(k, &blob);
	if (r == KG_OK && EVP_Digest(kg_buf_ptr(&blob), kg_buf_len(&blob), md, &mdlen,
				     EVP_sha256(), NULL) != 1)
		r = KG_ERR_CRYPTO;
	if (r == KG_OK)
		r = kg_buf_put(&text, prefix, strlen(prefix));
	if (r == KG_OK)
		r = kg_buf_put_base64(&text, md, mdlen, 0);
	if (r == KG_OK && kg_buf_len(&text) >= outlen)
		r = KG_ERR_NO_SPACE;
	if (r == KG_OK) {
		memcpy(out, kg_buf_ptr(&text), kg_buf_len(&text));
		out[kg_buf_len(&text)] = '\0';
	}
	kg_buf_free(&blob);
	kg_buf_free(&text);
	return r;
}

static int has_line_break(const char *s, size_t len)
{
	return memchr(s, '\n', len) != NULL || memchr(s, '\r', len) != NULL;
}

int kg_key_to_line(const kg_key *k, kg_buf *out)
{
	const struct type_info *ti = key_info(k);
	ENSURE(ti != NULL && out != NULL, KG_ERR_ARG);
	/* A comment must not smuggle a second line into a key file. */
	ENSURE(!k->comment || !has_line_break(k->comment, strlen(k->comment)), KG_ERR_ARG);
	kg_buf blob;
	kg_buf_init(&blob, KEY_BLOB_MAX);
	size_t before = kg_buf_len(out);
	int r = kg_key_to_blob(k, &blob);
	if (r == KG_OK)
		r = kg_buf_putf(out, "%s ", ti->name);
	if (r == KG_OK)
		r = kg_buf_put_base64(out, kg_buf_ptr(&blob), kg_buf_len(&blob), 1);
	if (r == KG_OK && k->comment && k->comment[0])
		r = kg_buf_putf(out, " %s", k->comment);
	if (r != KG_OK)
		truncate_to(out, before);
	kg_buf_free(&blob);
	return r;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_space(char c)
{
	return is_blank(c) || c == '\r' || c == '\n';
}

void kg_key_line_split(const char *line, kg_key_line *f)
{
	const char *p = line;
	while (is_blank(*p))
		p++;
	f->type = p;
	while (*p && !is_space(*p))
		p++;
	f->type_len = (size_t)(p - f->type);
	while (is_blank(*p))
		p++;
	f->b64 = p;
	while (*p && !is_space(*p))
		p++;
	f->b64_len = (size_t)(p - f->b64);
	while (is_blank(*p))
		p++;
	f->comment = p;
	f->comment_len = strlen(p);
	while (f->comment_len > 0 && is_space(p[f->comment_len - 1]))
		f->comment_len--;
}

int kg_key_line_breaks(const kg_key_line *f)
{
	return has_line_break(f->comment, f->comment_len);
}

int kg_key_line_decode(const kg_key_line *f, size_t max, kg_buf *blob)
{
	kg_buf_init(blob, max);
	int r = kg_buf_get_base64(blob, f->b64, f->b64_len);
	return r == KG_ERR_NO_SPACE ? KG_ERR_TOO_LARGE : r;
}

int kg_key_from_line(const char *line, kg_key **out)
{
	ENSURE(line != NULL && out != NULL, KG_ERR_ARG);
	kg_key_line f;
	kg_key_line_split(line, &f);
	ENSURE(f.type_len > 0, KG_ERR_FORMAT);
	const struct type_info *ti = info_by_name((const uint8_t *)f.type, f.type_len);
	ENSURE(ti != NULL, KG_ERR_KEY_TYPE);
	ENSURE(f.b64_len > 0, KG_ERR_FORMAT);
	ENSURE(!kg_key_line_breaks(&f), KG_ERR_FORMAT);

	kg_buf blob;
	kg_key *k = NULL;
	int r = kg_key_line_decode(&f, KEY_BLOB_MAX, &blob);
	if (r == KG_OK)
		r = kg_key_from_blob(kg_buf_ptr(&blob), kg_buf_len(&blob), &k);
	kg_buf_free(&blob);
	GUARD(r);
	if (k->type != ti->type) {
		kg_key_free(k);
		return KG_ERR_FORMAT;
	}
	if (f.comment_len > 0) {
		k->comment = strndup(f.comment, f.comment_len);
		if (!k->comment) {
			kg_key_free(k);
			return KG_ERR_ALLOC;
		}
	}
	*out = k;
	return KG_OK;
}

int kg_key_generate(enum kg_keytype t, int bits, kg_key **out)
{
	ENSURE(out != NULL, KG_ERR_ARG);
	switch (t) {
	case KG_KEY_ED25519:
		break;
	case KG_KEY_ECDSA_P256:
	case KG_KEY_ECDSA_P384:
	case KG_KEY_ECDSA_P521:
		if (bits == 256)
			t = KG_KEY_ECDSA_P256;
		else if (bits == 384)
			t = KG_KEY_ECDSA_P384;
		else if (bits == 521)
			t = KG_KEY_ECDSA_P521;
		else
			ENSURE(bits == 0, KG_ERR_ARG);
		break;
	case KG_KEY_RSA:
		if (bits == 0)
			bits = RSA_DEFAULT_BITS;
		ENSURE(bits >= KG_RSA_MIN_BITS, KG_ERR_KEY_TOO_SMALL);
		ENSURE(bits <= KG_RSA_MAX_BITS, KG_ERR_ARG);
		break;
	default:
		return KG_ERR_KEY_TYPE;
	}
	const struct type_info *ti = info_of(t);
	ENSURE(ti != NULL, KG_ERR_INTERNAL);
	EVP_PKEY *pkey = NULL;
	GUARD(ti->impl->generate(t, bits, &pkey));
	kg_key *k = NULL;
	GUARD(wrap(t, pkey, &k));
	k->has_private = 1;
	*out = k;
	return KG_OK;
}

int kg_key_from_pkey(EVP_PKEY *pkey, kg_key **out)
{
	int r = KG_OK;
	enum kg_keytype t = KG_KEY_UNSPEC;
	if (!pkey || !out) {
		EVP_PKEY_free(pkey);
		return KG_ERR_ARG;
	}
	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		t = KG_KEY_ED25519;
	} else if (EVP_PKEY_is_a(pkey, "EC")) {
		t = kg_key_ecdsa_type(pkey);
	} else if (EVP_PKEY_is_a(pkey, "RSA")) {
		int bits = EVP_PKEY_get_bits(pkey);
		t = KG_KEY_RSA;
		if (bits < KG_RSA_MIN_BITS)
			r = KG_ERR_KEY_TOO_SMALL;
		else if (bits > KG_RSA_MAX_BITS)
			r = KG_ERR_TOO_LARGE;
	}
	const struct type_info *ti = info_of(t);
	if (r == KG_OK && !ti)
		r = KG_ERR_KEY_TYPE;
	if (r != KG_OK) {
		EVP_PKEY_free(pkey);
		return r;
	}
	kg_key *k = NULL;
	GUARD(wrap(t, pkey, &k));
	k->has_private = ti->impl->has_private(pkey);
	/* The public half must pass the same checks as a blob from a peer. */
	kg_buf blob;
	kg_key *check = NULL;
	kg_buf_init(&blob, KEY_BLOB_MAX);
	r = kg_key_to_blob(k, &blob);
	if (r == KG_OK)
		r = kg_key_from_blob(kg_buf_ptr(&blob), kg_buf_len(&blob), &check);
	kg_key_free(check);
	kg_buf_free(&blob);
	if (r != KG_OK) {
		kg_key_free(k);
		return r;
	}
	*out = k;
	return KG_OK;
}

int kg_key_read_fields(enum kg_keytype t, kg_buf *b, kg_key **out)
{
	const struct type_info *ti = info_of(t);
	ENSURE(ti != NULL && b != NULL && out != NULL, KG_ERR_ARG);
	EVP_PKEY *pkey = NULL;
	GUARD(ti->impl->blob_read(ti->type, b, &pkey));
	return wrap(ti->type, pkey, out);
}

int kg_key_write_fields(const kg_key *k, kg_buf *out)
{
	const struct type_info *ti = key_info(k);
	ENSURE(ti != NULL && out != NULL, KG_ERR_ARG);
	size_t before = kg_buf_len(out);
	int r = ti->impl->blob_write(k, out);
	if (r != KG_OK)
		truncate_to(out, before);
	return r;
}
