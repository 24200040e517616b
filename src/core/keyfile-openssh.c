/* openssh-key-v1 private keys (PROTOCOL.key): parsing (unencrypted, or
 * bcrypt_pbkdf + AES in CTR/CBC/GCM mode) and writing (none or aes256-ctr,
 * laid out like ssh-keygen's output). */
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include "core/keyfile-int.h"

#define MAGIC "openssh-key-v1"          /* followed by a NUL in the file */
#define MAGIC_LEN (sizeof(MAGIC))
#define ARMOR_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----\n"
#define ARMOR_END "-----END OPENSSH PRIVATE KEY-----\n"
#define LINE_COLS 70
#define SALT_LEN 16
#define MAX_SALT_LEN 1024
#define MAX_COMMENT 4096
#define MAX_KEYIV 64

typedef struct cipher_info {
	const char *name;
	const char *evp;        /* libcrypto name; NULL for "none" */
	size_t keylen, ivlen, block, taglen;
} cipher_info;

static const cipher_info ciphers[] = {
	{ "none", NULL, 0, 0, 8, 0 },
	{ "aes256-ctr", "AES-256-CTR", 32, 16, 16, 0 },
	{ "aes192-ctr", "AES-192-CTR", 24, 16, 16, 0 },
	{ "aes128-ctr", "AES-128-CTR", 16, 16, 16, 0 },
	{ "aes256-cbc", "AES-256-CBC", 32, 16, 16, 0 },
	{ "aes128-cbc", "AES-128-CBC", 16, 16, 16, 0 },
	{ "aes256-gcm@openssh.com", "AES-256-GCM", 32, 12, 16, 16 },
	{ "aes128-gcm@openssh.com", "AES-128-GCM", 16, 12, 16, 16 },
};

/* The parts of the outer structure; views into the decoded bytes. */
typedef struct ossh_file {
	const cipher_info *ci;
	int bcrypt;
	const uint8_t *salt;
	size_t saltlen;
	uint32_t rounds;
	kg_buf pub;
	kg_buf enc;
	const uint8_t *tag;
} ossh_file;

static int name_is(const uint8_t *p, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(p, name, len) == 0;
}

static int parse_outer(kg_buf *raw, ossh_file *f)
{
	uint8_t magic[MAGIC_LEN];
	const uint8_t *cname, *kname;
	size_t clen, klen;
	kg_buf kdfopts;
	uint32_t nkeys;
	memset(f, 0, sizeof(*f));
	GUARD(kg_buf_get(raw, magic, MAGIC_LEN));
	ENSURE(memcmp(magic, MAGIC, MAGIC_LEN) == 0, KG_ERR_FORMAT);
	GUARD(kg_buf_get_string_direct(raw, &cname, &clen));
	GUARD(kg_buf_get_string_direct(raw, &kname, &klen));
	GUARD(kg_buf_get_stringb(raw, &kdfopts));
	for (size_t i = 0; i < KG_ARRAY_LEN(ciphers) && !f->ci; i++)
		if (name_is(cname, clen, ciphers[i].name))
			f->ci = &ciphers[i];
	ENSURE(f->ci != NULL, KG_ERR_NO_CIPHER_MATCH);
	if (name_is(kname, klen, "bcrypt")) {
		ENSURE(f->ci->evp != NULL, KG_ERR_FORMAT);
		f->bcrypt = 1;
		GUARD(kg_buf_get_string_direct(&kdfopts, &f->salt, &f->saltlen));
		GUARD(kg_buf_get_u32(&kdfopts, &f->rounds));
		ENSURE(f->saltlen > 0 && f->saltlen <= MAX_SALT_LEN && f->rounds > 0, KG_ERR_FORMAT);
	} else {
		/* Without a KDF there is no key, so there can be no cipher. */
		ENSURE(name_is(kname, klen, "none") && f->ci->evp == NULL, KG_ERR_FORMAT);
	}
	ENSURE(kg_buf_len(&kdfopts) == 0, KG_ERR_FORMAT);
	GUARD(kg_buf_get_u32(raw, &nkeys));
	ENSURE(nkeys == 1, KG_ERR_FORMAT);
	GUARD(kg_buf_get_stringb(raw, &f->pub));
	GUARD(kg_buf_get_stringb(raw, &f->enc));
	ENSURE(kg_buf_len(&f->enc) > 0 && kg_buf_len(&f->enc) % f->ci->block == 0, KG_ERR_FORMAT);
	if (f->ci->taglen) {
		f->tag = kg_buf_ptr(raw);
		GUARD(kg_buf_consume(raw, f->ci->taglen));
	}
	ENSURE(kg_buf_len(raw) == 0, KG_ERR_FORMAT);
	return KG_OK;
}

static int decode_outer(const kg_armor *a, kg_buf *raw, ossh_file *f)
{
	kg_buf_init(raw, KG_KEYFILE_MAX_SIZE);
	GUARD(kg_buf_get_base64(raw, (const char *)a->body, a->body_len));
	return parse_outer(raw, f);
}

int kg_keyfile_openssh_encrypted(const kg_armor *a)
{
	kg_buf raw;
	ossh_file f;
	int r = decode_outer(a, &raw, &f);
	if (r == KG_OK)
		r = f.ci->evp != NULL;
	kg_buf_free(&raw);
	return r;
}

/* En/decrypts len bytes in place.  For GCM, tag is read (decrypt) or
 * written (encrypt); a tag mismatch means a wrong passphrase. */
static int crypt_section(const cipher_info *ci, const uint8_t *keyiv, int encrypt, uint8_t *data,
			 size_t len, uint8_t *tag)
{
	int r = KG_ERR_CRYPTO, outl = 0, finl = 0;
	ENSURE(len <= KG_KEYFILE_MAX_SIZE, KG_ERR_TOO_LARGE);
	ERR_set_mark();
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, ci->evp, NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (!c || !ctx)
		goto out;
	if (EVP_CipherInit_ex2(ctx, c, keyiv, keyiv + ci->keylen, encrypt, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1)
		goto out;
	if (ci->taglen && !encrypt &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)ci->taglen, tag) != 1)
		goto out;
	if (EVP_CipherUpdate(ctx, data, &outl, data, (int)len) != 1 || (size_t)outl != len)
		goto out;
	if (EVP_CipherFinal_ex(ctx, data + outl, &finl) != 1 || finl != 0) {
		r = ci->taglen ? KG_ERR_PASSPHRASE : KG_ERR_CRYPTO;
		goto out;
	}
	if (ci->taglen && encrypt &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, (int)ci->taglen, tag) != 1)
		goto out;
	r = KG_OK;
out:
	ERR_pop_to_mark();
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	return r;
}

static BIGNUM *bn_from(const uint8_t *p, size_t len)
{
	return BN_bin2bn(p, (int)len, NULL);
}

static int fromdata(const char *alg, OSSL_PARAM_BLD *bld, EVP_PKEY **pkey)
{
	int r = KG_ERR_CRYPTO;
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
	if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, pkey, EVP_PKEY_KEYPAIR, params) == 1)
		r = KG_OK;
	else
		r = KG_ERR_FORMAT;
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static int read_ed25519(kg_buf *b, EVP_PKEY **pkey)
{
	const uint8_t *pk, *sk;
	size_t pklen, sklen;
	uint8_t derived[32];
	size_t dlen = sizeof(derived);
	GUARD(kg_buf_get_string_direct(b, &pk, &pklen));
	GUARD(kg_buf_get_string_direct(b, &sk, &sklen));
	/* sk is seed || public key. */
	ENSURE(pklen == 32 && sklen == 64 && memcmp(sk + 32, pk, 32) == 0, KG_ERR_FORMAT);
	*pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, 32);
	ENSURE(*pkey != NULL, KG_ERR_CRYPTO);
	ENSURE(EVP_PKEY_get_raw_public_key(*pkey, derived, &dlen) == 1 && dlen == 32, KG_ERR_CRYPTO);
	ENSURE(memcmp(derived, pk, 32) == 0, KG_ERR_FORMAT);
	return KG_OK;
}

static int read_ecdsa(kg_buf *b, enum kg_keytype t, EVP_PKEY **pkey)
{
	const uint8_t *curve, *q, *d;
	size_t curvelen, qlen, dlen;
	const size_t plen = kg_keyfile_point_len(t);
	GUARD(kg_buf_get_string_direct(b, &curve, &curvelen));
	GUARD(kg_buf_get_string_direct(b, &q, &qlen));
	GUARD(kg_buf_get_mpint_direct(b, &d, &dlen));
	ENSURE(name_is(curve, curvelen, kg_keyfile_curve_name(t)), KG_ERR_FORMAT);
	ENSURE(qlen == plen && q[0] == 0x04 && dlen > 0 && dlen <= (plen - 1) / 2, KG_ERR_FORMAT);
	int r = KG_ERR_ALLOC;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *dbn = bn_from(d, dlen);
	if (bld && dbn) {
		r = KG_ERR_CRYPTO;
		if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, kg_keyfile_group_name(t), 0) &&
		    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q, qlen) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, dbn))
			r = fromdata("EC", bld, pkey);
	}
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(dbn);
	return r;
}

static int read_rsa(kg_buf *b, EVP_PKEY **pkey)
{
	enum { N, E, D, IQMP, P, Q, NFIELDS };
	BIGNUM *v[NFIELDS] = { 0 };
	BIGNUM *dmp1 = BN_new(), *dmq1 = BN_new(), *tmp = BN_new();
	BN_CTX *ctx = BN_CTX_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	int r = KG_ERR_ALLOC;
	ENSURE_GOTO(r, dmp1 && dmq1 && tmp && ctx && bld, KG_ERR_ALLOC, out);
	for (size_t i = 0; i < NFIELDS; i++) {
		const uint8_t *p;
		size_t len;
		GUARD_GOTO(r, kg_buf_get_mpint_direct(b, &p, &len), out);
		ENSURE_GOTO(r, (v[i] = bn_from(p, len)) != NULL, KG_ERR_ALLOC, out);
	}
	ENSURE_GOTO(r, BN_num_bits(v[N]) >= KG_RSA_MIN_BITS, KG_ERR_KEY_TOO_SMALL, out);
	ENSURE_GOTO(r, BN_cmp(v[P], BN_value_one()) > 0 && BN_cmp(v[Q], BN_value_one()) > 0,
		    KG_ERR_FORMAT, out);
	/* The file has no CRT exponents; libcrypto wants them. */
	ENSURE_GOTO(r, BN_sub(tmp, v[P], BN_value_one()) && BN_mod(dmp1, v[D], tmp, ctx) &&
		    BN_sub(tmp, v[Q], BN_value_one()) && BN_mod(dmq1, v[D], tmp, ctx), KG_ERR_CRYPTO, out);
	ENSURE_GOTO(r, OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, v[N]) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, v[E]) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, v[D]) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, v[P]) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, v[Q]) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dmp1) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dmq1) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, v[IQMP]),
		    KG_ERR_CRYPTO, out);
	r = fromdata("RSA", bld, pkey);
out:
	for (size_t i = 0; i < NFIELDS; i++)
		BN_clear_free(v[i]);
	BN_clear_free(dmp1);
	BN_clear_free(dmq1);
	BN_clear_free(tmp);
	BN_CTX_free(ctx);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

int kg_keyfile_read_private_key(kg_buf *b, kg_key *k)
{
	const uint8_t *tname;
	size_t tlen;
	enum kg_keytype t = KG_KEY_UNSPEC;
	ENSURE(k != NULL && k->pkey == NULL, KG_ERR_ARG);
	GUARD(kg_buf_get_string_direct(b, &tname, &tlen));
	for (int i = KG_KEY_ED25519; i <= KG_KEY_RSA && t == KG_KEY_UNSPEC; i++)
		if (name_is(tname, tlen, kg_keyfile_type_name((enum kg_keytype)i)))
			t = (enum kg_keytype)i;
	ENSURE(t != KG_KEY_UNSPEC, KG_ERR_KEY_TYPE);
	int r;
	if (t == KG_KEY_ED25519)
		r = read_ed25519(b, &k->pkey);
	else if (t == KG_KEY_RSA)
		r = read_rsa(b, &k->pkey);
	else
		r = read_ecdsa(b, t, &k->pkey);
	enum kg_keytype got = KG_KEY_UNSPEC;
	if (r == KG_OK)
		r = kg_keyfile_pkey_type(k->pkey, &got);
	if (r == KG_OK && got != t)
		r = KG_ERR_FORMAT;
	if (r == KG_OK)
		r = kg_keyfile_check_pkey(t, k->pkey);
	if (r < 0) {
		EVP_PKEY_free(k->pkey);
		k->pkey = NULL;
		return r;
	}
	k->type = t;
	k->has_private = 1;
	return KG_OK;
}

int kg_keyfile_write_private_key(const kg_key *k, kg_buf *out)
{
	enum kg_keytype t;
	ENSURE(k != NULL && k->pkey != NULL && k->has_private, KG_ERR_ARG);
	GUARD(kg_keyfile_pkey_type(k->pkey, &t));
	GUARD(kg_buf_put_cstring(out, kg_keyfile_type_name(t)));
	return kg_keyfile_private_fields(t, k->pkey, out);
}

/* The decrypted list: checkints, one key, its comment, then padding. */
static int parse_private(kg_buf *b, const ossh_file *f, kg_key *k)
{
	uint32_t check1, check2;
	const uint8_t *comment;
	size_t clen;
	enum kg_keytype t = KG_KEY_UNSPEC;
	GUARD(kg_buf_get_u32(b, &check1));
	GUARD(kg_buf_get_u32(b, &check2));
	ENSURE(check1 == check2, f->ci->evp ? KG_ERR_PASSPHRASE : KG_ERR_FORMAT);
	GUARD(kg_keyfile_read_private_key(b, k));
	t = k->type;

	GUARD(kg_buf_get_string_direct(b, &comment, &clen));
	ENSURE(clen <= MAX_COMMENT, KG_ERR_TOO_LARGE);
	ENSURE(clen == 0 || memchr(comment, '\0', clen) == NULL, KG_ERR_FORMAT);
	/* Padding: 1, 2, 3, ... shorter than one block. */
	size_t padlen = kg_buf_len(b);
	ENSURE(padlen < f->ci->block, KG_ERR_FORMAT);
	for (size_t i = 0; i < padlen; i++)
		ENSURE(kg_buf_ptr(b)[i] == (uint8_t)(i + 1), KG_ERR_FORMAT);
	if (clen > 0) {
		k->comment = malloc(clen + 1);
		ENSURE(k->comment != NULL, KG_ERR_ALLOC);
		memcpy(k->comment, comment, clen);
		k->comment[clen] = '\0';
	}
	/* The clear public key in the header must be this key's. */
	kg_buf blob;
	kg_buf_init(&blob, 0);
	int r = kg_keyfile_public_blob(t, k->pkey, &blob);
	if (r == KG_OK && (kg_buf_len(&blob) != kg_buf_len(&f->pub) ||
			   memcmp(kg_buf_ptr(&blob), kg_buf_ptr(&f->pub), kg_buf_len(&blob)) != 0))
		r = KG_ERR_FORMAT;
	kg_buf_free(&blob);
	return r;
}

int kg_keyfile_openssh_parse(const kg_armor *a, const char *passphrase, unsigned int max_rounds,
			     kg_key **out)
{
	kg_buf raw, plain;
	ossh_file f;
	uint8_t keyiv[MAX_KEYIV];
	kg_key *k = NULL;
	int r;
	ERR_set_mark();
	kg_buf_init(&plain, KG_KEYFILE_MAX_SIZE);
	GUARD_GOTO(r, decode_outer(a, &raw, &f), out);
	GUARD_GOTO(r, kg_buf_put(&plain, kg_buf_ptr(&f.enc), kg_buf_len(&f.enc)), out);
	if (f.ci->evp) {
		ENSURE_GOTO(r, passphrase != NULL, KG_ERR_NEED_PASSPHRASE, out);
		ENSURE_GOTO(r, f.rounds <= max_rounds, KG_ERR_TOO_LARGE, out);
		/* bcrypt_pbkdf cannot take an empty passphrase; it cannot be right. */
		ENSURE_GOTO(r, passphrase[0] != '\0', KG_ERR_PASSPHRASE, out);
		const size_t kivlen = f.ci->keylen + f.ci->ivlen;
		GUARD_GOTO(r, kg_bcrypt_pbkdf(passphrase, strlen(passphrase), f.salt, f.saltlen, keyiv, kivlen,
					      f.rounds), out);
		uint8_t tag[16];
		if (f.ci->taglen)
			memcpy(tag, f.tag, f.ci->taglen);
		GUARD_GOTO(r, crypt_section(f.ci, keyiv, 0, kg_buf_mutable_ptr(&plain), kg_buf_len(&plain), tag),
			   out);
	}
	k = kg_key_new();
	ENSURE_GOTO(r, k != NULL, KG_ERR_ALLOC, out);
	GUARD_GOTO(r, parse_private(&plain, &f, k), out);
	*out = k;
	k = NULL;
	r = KG_OK;
out:
	ERR_pop_to_mark();
	kg_key_free(k);
	kg_buf_free(&plain);
	kg_buf_free(&raw);
	OPENSSL_cleanse(keyiv, sizeof(keyiv));
	return r;
}

/* ---- writing ---- */

static int build_private(const kg_key *k, enum kg_keytype t, const char *comment, size_t block, kg_buf *b)
{
	uint32_t check;
	ENSURE(RAND_bytes((unsigned char *)&check, sizeof(check)) == 1, KG_ERR_CRYPTO);
	GUARD(kg_buf_put_u32(b, check));
	GUARD(kg_buf_put_u32(b, check));
	GUARD(kg_buf_put_cstring(b, kg_keyfile_type_name(t)));
	GUARD(kg_keyfile_private_fields(t, k->pkey, b));
	GUARD(kg_buf_put_cstring(b, comment));
	for (uint8_t i = 1; kg_buf_len(b) % block != 0; i++)
		GUARD(kg_buf_put_u8(b, i));
	return KG_OK;
}

static int build_file(const kg_key *k, enum kg_keytype t, const char *passphrase, const char *comment,
		      unsigned int rounds, kg_buf *file, kg_buf *pub, kg_buf *priv, kg_buf *kdfopts)
{
	const cipher_info *ci = &ciphers[passphrase ? 1 : 0];
	uint8_t salt[SALT_LEN], keyiv[MAX_KEYIV];
	GUARD(kg_keyfile_public_blob(t, k->pkey, pub));
	GUARD(build_private(k, t, comment, ci->block, priv));
	if (passphrase) {
		ENSURE(RAND_bytes(salt, sizeof(salt)) == 1, KG_ERR_CRYPTO);
		GUARD(kg_buf_put_string(kdfopts, salt, sizeof(salt)));
		GUARD(kg_buf_put_u32(kdfopts, rounds));
		GUARD(kg_bcrypt_pbkdf(passphrase, strlen(passphrase), salt, sizeof(salt), keyiv,
				      ci->keylen + ci->ivlen, rounds));
		int r = crypt_section(ci, keyiv, 1, kg_buf_mutable_ptr(priv), kg_buf_len(priv), NULL);
		OPENSSL_cleanse(keyiv, sizeof(keyiv));
		GUARD(r);
	}
	GUARD(kg_buf_put(file, MAGIC, MAGIC_LEN));
	GUARD(kg_buf_put_cstring(file, ci->name));
	GUARD(kg_buf_put_cstring(file, passphrase ? "bcrypt" : "none"));
	GUARD(kg_buf_put_stringb(file, kdfopts));
	GUARD(kg_buf_put_u32(file, 1));
	GUARD(kg_buf_put_stringb(file, pub));
	return kg_buf_put_stringb(file, priv);
}

static int armor(const kg_buf *file, kg_buf *b64, kg_buf *out)
{
	GUARD(kg_buf_put_base64(b64, kg_buf_ptr(file), kg_buf_len(file), 1));
	GUARD(kg_buf_put(out, ARMOR_BEGIN, strlen(ARMOR_BEGIN)));
	for (size_t off = 0; off < kg_buf_len(b64); off += LINE_COLS) {
		size_t n = kg_buf_len(b64) - off < LINE_COLS ? kg_buf_len(b64) - off : LINE_COLS;
		GUARD(kg_buf_put(out, kg_buf_ptr(b64) + off, n));
		GUARD(kg_buf_put_u8(out, '\n'));
	}
	return kg_buf_put(out, ARMOR_END, strlen(ARMOR_END));
}

int kg_keyfile_write_private(const kg_key *k, const char *passphrase, const char *comment, kg_buf *out)
{
	return kg_keyfile_write_private_rounds(k, passphrase, comment, KG_KEYFILE_WRITE_ROUNDS, out);
}

int kg_keyfile_openssh_public(const kg_armor *a, kg_key **out)
{
	kg_buf raw;
	ossh_file f;
	int r = decode_outer(a, &raw, &f);
	if (r == KG_OK)
		r = kg_key_from_blob(kg_buf_ptr(&f.pub), kg_buf_len(&f.pub), out);
	kg_buf_free(&raw);
	return r;
}

int kg_keyfile_write_private_rounds(const kg_key *k, const char *passphrase, const char *comment,
				    unsigned int rounds, kg_buf *out)
{
	enum kg_keytype t;
	ENSURE(k != NULL && k->pkey != NULL && k->has_private && out != NULL, KG_ERR_ARG);
	ENSURE(rounds > 0 && rounds <= KG_KEYFILE_MAX_ROUNDS, KG_ERR_ARG);
	GUARD(kg_keyfile_pkey_type(k->pkey, &t));
	ENSURE(t == k->type, KG_ERR_ARG);
	if (!comment)
		comment = k->comment ? k->comment : "";
	ENSURE(strlen(comment) <= MAX_COMMENT, KG_ERR_TOO_LARGE);
	if (passphrase && passphrase[0] == '\0')
		passphrase = NULL;
	kg_buf file, pub, priv, kdfopts, b64;
	kg_buf_init(&file, KG_KEYFILE_MAX_SIZE);
	kg_buf_init(&pub, 0);
	kg_buf_init(&priv, KG_KEYFILE_MAX_SIZE);
	kg_buf_init(&kdfopts, 0);
	kg_buf_init(&b64, 2 * KG_KEYFILE_MAX_SIZE);
	const size_t out_len = kg_buf_len(out);
	int r = build_file(k, t, passphrase, comment, rounds, &file, &pub, &priv, &kdfopts);
	if (r == KG_OK)
		r = armor(&file, &b64, out);
	/* Leave out as it was on failure, with no partial key text. */
	if (r < 0 && kg_buf_len(out) > out_len) {
		OPENSSL_cleanse(kg_buf_mutable_ptr(out) + out_len, kg_buf_len(out) - out_len);
		if (kg_buf_consume_end(out, kg_buf_len(out) - out_len) < 0)
			r = KG_ERR_INTERNAL;
	}
	kg_buf_free(&file);
	kg_buf_free(&pub);
	kg_buf_free(&priv);
	kg_buf_free(&kdfopts);
	kg_buf_free(&b64);
	return r;
}
