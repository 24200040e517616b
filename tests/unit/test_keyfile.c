#include <openssl/err.h>
#include <openssl/evp.h>
#include "t.h"
#include "core/keyfile.h"
#include "core/keyfile-int.h"

#define DATA_DIR "tests/data/keyfiles/"

/* Fixtures made with ssh-keygen / openssl; pub is what `ssh-keygen -y`
 * printed for each (pk8_ed25519: pyca cryptography, as ssh-keygen 9.2
 * cannot read PKCS#8 Ed25519). */
static const struct fixture {
	const char *file;
	const char *pass;
	enum kg_keytype type;
	const char *comment;
	const char *pub;
} fixtures[] = {
	{ "ossh_ecdsa256", NULL, KG_KEY_ECDSA_P256, "p256 plain",
	  "ecdsa-sha2-nistp256 "
	  "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBOqgLoh7NXFZaHOsa3EXq2Qh"
	  "7wJz9b2xpS4vflMKILMJUDoayH0Is0Wc5g5rCrGzlKUzaQFpMdP1KWnQyGjQkeQ=" },
	{ "ossh_ecdsa384_enc", "secret", KG_KEY_ECDSA_P384, "p384 enc",
	  "ecdsa-sha2-nistp384 "
	  "AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBETZA+1+lzwmIf3T1iHryJzn"
	  "6avesfgoe4EXJ00ldYNjsE3DUbdOKnGjkCbgoNH0fTHvyckOd9Lo0AxKqylU793z27jWQz6mmMnZ"
	  "3wGvUry4SghXU8t/k8y0OKTKdGPfew==" },
	{ "ossh_ecdsa521", NULL, KG_KEY_ECDSA_P521, "p521 plain",
	  "ecdsa-sha2-nistp521 "
	  "AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBABTJiTXdCGFHyvLtxof8ndH"
	  "kuKRYmsu/DrKQxxE4k3oTPQ4BzT2CfonZ7kWhXJEiYM1iYm4K/nwepBcwuYlKnOlFQCMCPYDMa8n"
	  "sPsqhKrfhd9cidVhGOPziULAKVaq+FQBkI4gkBRra6XGYfnlJWGtlIymLYE2yLvea7KRIggcGDHm"
	  "Mw==" },
	{ "ossh_ed25519", NULL, KG_KEY_ED25519, "ed25519 plain",
	  "ssh-ed25519 "
	  "AAAAC3NzaC1lZDI1NTE5AAAAIEoLkDYhmZnTAejSSi9ksbflTAuU5dbYcbtQo6sAI02A" },
	{ "ossh_ed25519_enc", "secret", KG_KEY_ED25519, "ed25519 enc",
	  "ssh-ed25519 "
	  "AAAAC3NzaC1lZDI1NTE5AAAAIHzuR2l/N63DTALx7qWtYMRRIj8R/lvmIqodh8iJyz8Q" },
	{ "ossh_ed25519_gcm", "secret", KG_KEY_ED25519, "ed25519 gcm",
	  "ssh-ed25519 "
	  "AAAAC3NzaC1lZDI1NTE5AAAAIKrGIRUEZZZzDj6HkKdqJVukAwIQdRW9Xh0ApVxShSL0" },
	{ "ossh_rsa", NULL, KG_KEY_RSA, "rsa plain",
	  "ssh-rsa "
	  "AAAAB3NzaC1yc2EAAAADAQABAAABAQC85R8GsNYnKpLjcjFJrsq79V7bEnxxYjCrL/nnI5DaB3Ol"
	  "C+buecCCnMWpVJGVSyw+tS0ZbvfY9R1ezZVixWTKJQG1u5FsfQFNC2/r4fuwGtzsHrA9wdRUnLHL"
	  "ZoH1ckKrX5wFjoMgArKjgUQ9lTD0dt7ZLBmenVgMEQBUSi+t1kigIw77BlHFHP2kboAMabdyKN77"
	  "yESqBIIKEkahY2koQbUyRmUPKm+6NVTk0FMxwS+7X9QN7sB11kjihhEcgVaSXLFUAL6YX7ggXZlP"
	  "ku0Yy6rejAh6Fe3vLFGjn73gys56mv5krW2YAYty3ejJaRDvNrQJVkxIfJgHoxJlApk3" },
	{ "ossh_rsa_enc", "secret", KG_KEY_RSA, "rsa enc",
	  "ssh-rsa "
	  "AAAAB3NzaC1yc2EAAAADAQABAAABAQCUuvBWCelMBsNfT8hyOU7cuw2i7nX5fsZxVsHw+dSDNPv2"
	  "NseaY7DK1VGFjy6AGUGGu8D+PhC4r9Vt0Ep2eCX2zL0OEWBxQSpgV8JB0I5Pp57ERVxQwCdZplC/"
	  "FKe0BJjCRhaIJLwQE2jBLOzWN+rDLjP7laTvPyRoY3G82niTh4a4emJGdYqvhUoRu/X0Gf+TZ0oO"
	  "cB2LMUZ9qYAWggkYqyj87afMrTRgGBozRIlW8dHWzRzx8xQGwCkXDb327vhnVqBpYlNL/35UzOXq"
	  "HM6WKuFWIxnVsy8NWI5/QIzh8LJfqmFX+0hZYFPjCpBLeROO0duRyG5sZu9Nlu6aSAwh" },
	{ "pem_rsa_trad", NULL, KG_KEY_RSA, NULL,
	  "ssh-rsa "
	  "AAAAB3NzaC1yc2EAAAADAQABAAABAQCxxOCZ4WXvM0rveYYY3hcGyTpDDDFthPIB2Z6kwD9mYEQ8"
	  "G7T9smgYdzGcTUjmcJ5CMuyreP4ODsJgv25lKL0UK3Nrh2AeTTaYK9NZ3GQEzHZHfeA4IgWd9NGh"
	  "cJfLo1urzW+G+NqgBHJ8tX4ryQcAdMJg9uunXOj+20o18I5rFAAvoWjT9PoCJUauURteUMjIWiDN"
	  "770HBIAopuiFZnSEi0uC9BGzrj6HuxzmDo6i03oqxcKfdq+v6C6S63BwGOhWIu4LvEtKTF3bw5YJ"
	  "oPsU0g2vQdK0Vo00ep69QOGuPUmvY1TxgVTZbgZalhxwKaTXPxEnp9VtAKyAulAzfx2t" },
	{ "pem_rsa_trad_enc", "secret", KG_KEY_RSA, NULL,
	  "ssh-rsa "
	  "AAAAB3NzaC1yc2EAAAADAQABAAABAQDjG6IOEDabYNyGsHEJ1MoImm31jcNP5UqTxoNtdPSiVZ15"
	  "PhhAmX7jSTELpzp8PWvJSLZAVUBtS1fbD+NgdVlln/JVWoV987Ba5Czwhfyz+si8LChaJ/cph3rB"
	  "WJ5pmIYGE5gql3I1CrGsd/K8AZOnLRLjeTYIPR5bbS+9oez3f7bOCQPfYXWm9MkGSiCj8qvUmb0K"
	  "HvKE16iiz3ZMF8602a+u6zajJ5IlieG6+PltHHuPRzThYPGz3q4qyEnpSDYI0rFut/oir78IrbBJ"
	  "AiUf1BWoLscToimWoVQ66tiORft0b3p1COVumzhvgucsIqBaSp+HFQ+DOmEA33L0jhDB" },
	{ "pk8_ed25519", NULL, KG_KEY_ED25519, NULL,
	  "ssh-ed25519 "
	  "AAAAC3NzaC1lZDI1NTE5AAAAIGDgaThutzW5lVXggt3+dpBsjDGcEH9PPayuySY2Dh7s" },
	{ "pk8_p521", NULL, KG_KEY_ECDSA_P521, NULL,
	  "ecdsa-sha2-nistp521 "
	  "AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBACNMR4X0jtVAKOqb5Q5fQI8"
	  "ZBV36Wfr1V7aSpzINKft6XGczJwQAGae1MgmRpNTcAwjgTALEB9H/Wy/sOHOa4NvEgCkKYf7auj8"
	  "9jZFZYMlglC+IqkjIrM1irwMbvMRn49oEagDkJlM/9GybC8D84mp5ySuc6TMP4eYhLVkmVVCKPOE"
	  "ig==" },
	{ "pk8_rsa_enc", "secret", KG_KEY_RSA, NULL,
	  "ssh-rsa "
	  "AAAAB3NzaC1yc2EAAAADAQABAAABAQDn9Z01r/o5hVFCSscWmrKK+QOERlhchQYmLctfcnXD65k9"
	  "pJIN+LvgMA9wXUpsTFrM+ZhjIZa6ywX2hjZayd++xqDJg57imjo9kkS72uuXgL2w01c6zJ0sZ+jw"
	  "1Vz7Q4PtOPzA62N+AgPeAmLjYbZJlR0VaCBKSDpeEO7NpA45DgqYIY3TGHCBKE9nZkXYJDsf2Ozs"
	  "XfbeYMmC1Sf96Do+kvLmfkDtMFynXYBdYArR6aExfavWB3rg64qdFUGmPb8MaFsuugVEeYDGdz2D"
	  "qi6NBw8usmBJpBBsYabm1BlhhSFPOOrhJZNuMfp6qRQuQqLaATn8VNFgXHfFINgeZuBZ" },
	{ "sec1_p256", NULL, KG_KEY_ECDSA_P256, NULL,
	  "ecdsa-sha2-nistp256 "
	  "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMDDkMTCGSArHRDKN4RZntMJ"
	  "rgMfltnWHC+KqIgd+TnOovHyLCxqT2XPyPOhr8cLCK3PBC7kOI+xSS5f70My3B0=" },
	{ "sec1_p384_enc", "secret", KG_KEY_ECDSA_P384, NULL,
	  "ecdsa-sha2-nistp384 "
	  "AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBHhk4AzxSBkZ5lo8NwDyFrP2"
	  "sXjdYteVUnTYkB9ShFh1ggTSeT27OTk7XHphBFumjGN57KYZwtcE6vAZ2qb4PjJdGiq+9Cu/kD6p"
	  "NhFXt655TkgrXAjHr7sDO4sPBlAekg==" },
};

static int load(const char *name, kg_buf *out)
{
	char path[256];
	snprintf(path, sizeof(path), DATA_DIR "%s", name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s (run from the source root)\n", path);
		return KG_ERR_SYSTEM;
	}
	kg_buf_init(out, 0);
	uint8_t chunk[4096];
	size_t n;
	int r = KG_OK;
	while (r == KG_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		r = kg_buf_put(out, chunk, n);
	fclose(f);
	return r;
}

static int parse_buf(const kg_buf *b, const char *pass, kg_key **k)
{
	return kg_keyfile_parse_private(kg_buf_ptr(b), kg_buf_len(b), pass, k);
}

/* "type base64" of k's public blob. */
static int pub_line(const kg_key *k, kg_buf *line)
{
	kg_buf blob;
	kg_buf_init(&blob, 0);
	kg_buf_init(line, 0);
	int r = kg_keyfile_public_blob(k->type, k->pkey, &blob);
	if (r == KG_OK)
		r = kg_buf_putf(line, "%s ", kg_keyfile_type_name(k->type));
	if (r == KG_OK)
		r = kg_buf_put_base64(line, kg_buf_ptr(&blob), kg_buf_len(&blob), 1);
	kg_buf_free(&blob);
	return r;
}

static int same_text(const kg_buf *b, const char *s)
{
	return kg_buf_len(b) == strlen(s) && memcmp(kg_buf_ptr(b), s, strlen(s)) == 0;
}

/* Private material of k as openssh-key-v1 fields, to compare keys. */
static int same_private(const kg_key *a, const kg_key *b)
{
	kg_buf x, y;
	kg_buf_init(&x, 0);
	kg_buf_init(&y, 0);
	int same = a->type == b->type && a->has_private && b->has_private &&
		   kg_keyfile_private_fields(a->type, a->pkey, &x) == KG_OK &&
		   kg_keyfile_private_fields(b->type, b->pkey, &y) == KG_OK &&
		   kg_buf_len(&x) == kg_buf_len(&y) && memcmp(kg_buf_ptr(&x), kg_buf_ptr(&y), kg_buf_len(&x)) == 0;
	kg_buf_free(&x);
	kg_buf_free(&y);
	return same;
}

static void test_fixtures_load(void)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];
		kg_buf text, line;
		kg_key *k = NULL;
		T_OK(load(fx->file, &text));
		int r = parse_buf(&text, fx->pass, &k);
		if (r != KG_OK)
			fprintf(stderr, "%s: %s\n", fx->file, kg_err_str(r));
		T_OK(r);
		T_ASSERT(k->type == fx->type && k->has_private && k->pkey);
		T_OK(pub_line(k, &line));
		T_ASSERT(same_text(&line, fx->pub));
		if (fx->comment)
			T_ASSERT(k->comment && strcmp(k->comment, fx->comment) == 0);
		else
			T_ASSERT(k->comment == NULL);
		T_ASSERT(kg_keyfile_is_private(kg_buf_ptr(&text), kg_buf_len(&text)) == 1);
		T_ASSERT(kg_keyfile_is_encrypted(kg_buf_ptr(&text), kg_buf_len(&text)) == (fx->pass != NULL));
		kg_key_free(k);
		kg_buf_free(&line);
		kg_buf_free(&text);
	}
}

static void test_passphrases(void)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];
		if (!fx->pass)
			continue;
		kg_buf text;
		kg_key *k = (kg_key *)&k;  /* must be reset to NULL on failure */
		T_OK(load(fx->file, &text));
		T_ASSERT(parse_buf(&text, NULL, &k) == KG_ERR_NEED_PASSPHRASE && k == NULL);
		T_ASSERT(parse_buf(&text, "wrong", &k) == KG_ERR_PASSPHRASE && k == NULL);
		T_ASSERT(parse_buf(&text, "", &k) == KG_ERR_PASSPHRASE && k == NULL);
		T_ASSERT(ERR_peek_error() == 0);  /* libcrypto's queue left clean */
		kg_buf_free(&text);
	}
}

static void test_rejected_keys(void)
{
	static const struct { const char *file; int err; } bad[] = {
		{ "ossh_rsa1024", KG_ERR_KEY_TOO_SMALL },
		{ "pem_rsa1024", KG_ERR_KEY_TOO_SMALL },
		{ "pk8_ed448", KG_ERR_KEY_TYPE },
		{ "sec1_k256", KG_ERR_KEY_TYPE },
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(bad); i++) {
		kg_buf text;
		kg_key *k = NULL;
		T_OK(load(bad[i].file, &text));
		T_ASSERT(parse_buf(&text, NULL, &k) == bad[i].err && k == NULL);
		kg_buf_free(&text);
	}
	static const char dsa[] = "-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n";
	kg_key *k = NULL;
	T_ASSERT(kg_keyfile_parse_private((const uint8_t *)dsa, strlen(dsa), NULL, &k) == KG_ERR_KEY_TYPE);
	T_ASSERT(kg_keyfile_is_private((const uint8_t *)dsa, strlen(dsa)) == 0);
}

static void test_not_keys(void)
{
	static const char *texts[] = {
		"",
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEoLkDYhmZnTAejSSi9ksbfl comment\n",
		"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
		"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n",  /* no END line */
		"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
		"-----BEGIN OPENSSH PRIVATE KEY-----",
		"-----BEGIN ",
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(texts); i++) {
		const uint8_t *d = (const uint8_t *)texts[i];
		kg_key *k = NULL;
		T_ASSERT(kg_keyfile_is_private(d, strlen(texts[i])) == 0);
		T_ASSERT(kg_keyfile_is_encrypted(d, strlen(texts[i])) < 0);
		T_ASSERT(kg_keyfile_parse_private(d, strlen(texts[i]), NULL, &k) < 0 && k == NULL);
	}
	kg_key *k = NULL;
	T_ASSERT(kg_keyfile_parse_private(NULL, 0, NULL, &k) == KG_ERR_ARG);
}

/* ---- openssh-key-v1 built from parts ---- */

static int armor_raw(const uint8_t *raw, size_t len, kg_buf *text)
{
	kg_buf_init(text, 0);
	GUARD(kg_buf_putf(text, "-----BEGIN OPENSSH PRIVATE KEY-----\n"));
	GUARD(kg_buf_put_base64(text, raw, len, 1));
	return kg_buf_putf(text, "\n-----END OPENSSH PRIVATE KEY-----\n");
}

static int parse_raw(const uint8_t *raw, size_t len, const char *pass, kg_key **k)
{
	kg_buf text;
	GUARD(armor_raw(raw, len, &text));
	int r = parse_buf(&text, pass, k);
	kg_buf_free(&text);
	return r;
}

/* The decoded bytes of a fixture. */
static int load_raw(const char *name, kg_buf *raw)
{
	kg_buf text;
	kg_armor a;
	enum kg_keyfile_kind kind;
	GUARD(load(name, &text));
	int r = kg_keyfile_find_armor(kg_buf_ptr(&text), kg_buf_len(&text), &a, &kind);
	kg_buf_init(raw, 0);
	if (r == KG_OK)
		r = kg_buf_get_base64(raw, (const char *)a.body, a.body_len);
	kg_buf_free(&text);
	return r;
}

typedef struct parts {
	kg_buf raw;       /* owns the bytes the views point into */
	kg_buf pub;       /* view */
	kg_buf priv;      /* view: the (unencrypted) private list */
	size_t prefix;    /* private list bytes before the comment */
} parts;

static int split_plain(const char *name, parts *p)
{
	GUARD(load_raw(name, &p->raw));
	kg_buf r;
	kg_buf_view(&r, kg_buf_ptr(&p->raw), kg_buf_len(&p->raw));
	GUARD(kg_buf_consume(&r, 15));
	GUARD(kg_buf_skip_string(&r));
	GUARD(kg_buf_skip_string(&r));
	GUARD(kg_buf_skip_string(&r));
	GUARD(kg_buf_get_u32(&r, NULL));
	GUARD(kg_buf_get_stringb(&r, &p->pub));
	GUARD(kg_buf_get_stringb(&r, &p->priv));
	/* checkints, type name, two key strings (ed25519) */
	kg_buf q = p->priv;
	GUARD(kg_buf_consume(&q, 8));
	for (int i = 0; i < 3; i++)
		GUARD(kg_buf_skip_string(&q));
	p->prefix = kg_buf_len(&p->priv) - kg_buf_len(&q);
	return KG_OK;
}

static int assemble(kg_buf *out, const char *cipher, const char *kdf, const kg_buf *kdfopts, uint32_t nkeys,
		    const kg_buf *pub, const uint8_t *priv, size_t privlen)
{
	kg_buf_init(out, 0);
	GUARD(kg_buf_put(out, "openssh-key-v1", 15));
	GUARD(kg_buf_put_cstring(out, cipher));
	GUARD(kg_buf_put_cstring(out, kdf));
	GUARD(kdfopts ? kg_buf_put_stringb(out, kdfopts) : kg_buf_put_string(out, NULL, 0));
	GUARD(kg_buf_put_u32(out, nkeys));
	for (uint32_t i = 0; i < nkeys; i++)
		GUARD(kg_buf_put_stringb(out, pub));
	return kg_buf_put_string(out, priv, privlen);
}

/* A private list from the fixture's key, a new comment and given padding. */
static int make_priv(const parts *p, const char *comment, const uint8_t *pad, size_t padlen, kg_buf *out)
{
	kg_buf_init(out, 0);
	GUARD(kg_buf_put(out, kg_buf_ptr(&p->priv), p->prefix));
	GUARD(kg_buf_put_cstring(out, comment));
	return kg_buf_put(out, pad, padlen);
}

static int try_file(const char *cipher, const char *kdf, const kg_buf *kdfopts, uint32_t nkeys,
		    const kg_buf *pub, const kg_buf *priv, const char *pass)
{
	kg_buf raw;
	kg_key *k = NULL;
	GUARD(assemble(&raw, cipher, kdf, kdfopts, nkeys, pub, kg_buf_ptr(priv), kg_buf_len(priv)));
	int r = parse_raw(kg_buf_ptr(&raw), kg_buf_len(&raw), pass, &k);
	kg_key_free(k);
	kg_buf_free(&raw);
	return r;
}

static void test_openssh_structure(void)
{
	parts p;
	kg_buf priv;
	const uint8_t pad_ok[] = { 1, 2, 3 }, pad_bad[] = { 1, 2, 4 };
	const uint8_t pad_long[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
	T_OK(split_plain("ossh_ed25519", &p));
	T_ASSERT(p.prefix == 127);
	/* 127 + 4 + 2 = 133: three bytes of padding make a multiple of 8. */
	T_OK(make_priv(&p, "ab", pad_ok, 3, &priv));
	T_OK(try_file("none", "none", NULL, 1, &p.pub, &priv, NULL));
	T_ASSERT(try_file("none", "none", NULL, 2, &p.pub, &priv, NULL) == KG_ERR_FORMAT);
	T_ASSERT(try_file("none", "none", NULL, 0, &p.pub, &priv, NULL) == KG_ERR_FORMAT);
	T_ASSERT(try_file("none", "bcrypt", NULL, 1, &p.pub, &priv, NULL) < 0);
	T_ASSERT(try_file("3des-cbc", "none", NULL, 1, &p.pub, &priv, NULL) == KG_ERR_NO_CIPHER_MATCH);
	T_ASSERT(try_file("aes256-ctr", "none", NULL, 1, &p.pub, &priv, NULL) == KG_ERR_FORMAT);
	/* Trailing bytes after the private list. */
	kg_buf raw;
	T_OK(assemble(&raw, "none", "none", NULL, 1, &p.pub, kg_buf_ptr(&priv), kg_buf_len(&priv)));
	T_OK(kg_buf_put_u8(&raw, 0));
	kg_key *k = NULL;
	T_ASSERT(parse_raw(kg_buf_ptr(&raw), kg_buf_len(&raw), NULL, &k) == KG_ERR_FORMAT && !k);
	kg_buf_free(&raw);
	/* Checkints differ: for an unencrypted key the file is simply bad. */
	kg_buf_mutable_ptr(&priv)[0] ^= 1;
	T_ASSERT(try_file("none", "none", NULL, 1, &p.pub, &priv, NULL) == KG_ERR_FORMAT);
	kg_buf_free(&priv);
	/* Wrong padding values, too much padding, an incomplete block. */
	T_OK(make_priv(&p, "ab", pad_bad, 3, &priv));
	T_ASSERT(try_file("none", "none", NULL, 1, &p.pub, &priv, NULL) == KG_ERR_FORMAT);
	kg_buf_free(&priv);
	T_OK(make_priv(&p, "ab", pad_long, 11, &priv));
	T_ASSERT(try_file("none", "none", NULL, 1, &p.pub, &priv, NULL) == KG_ERR_FORMAT);
	kg_buf_free(&priv);
	T_OK(make_priv(&p, "ab", pad_ok, 2, &priv));
	T_ASSERT(try_file("none", "none", NULL, 1, &p.pub, &priv, NULL) == KG_ERR_FORMAT);
	kg_buf_free(&priv);
	/* The public key in the header belongs to another key. */
	parts other;
	T_OK(split_plain("ossh_ecdsa256", &other));
	T_OK(make_priv(&p, "ab", pad_ok, 3, &priv));
	T_ASSERT(try_file("none", "none", NULL, 1, &other.pub, &priv, NULL) == KG_ERR_FORMAT);
	/* The public half stored inside sk disagrees with pk. */
	kg_buf_mutable_ptr(&priv)[p.prefix - 1] ^= 0x40;
	T_ASSERT(try_file("none", "none", NULL, 1, &p.pub, &priv, NULL) == KG_ERR_FORMAT);
	kg_buf_free(&priv);
	/* bcrypt with absurd rounds is refused before any work; with no
	 * passphrase it asks for one first. */
	kg_buf opts;
	kg_buf_init(&opts, 0);
	T_OK(kg_buf_put_string(&opts, "0123456789abcdef", 16));
	T_OK(kg_buf_put_u32(&opts, 4000000000u));
	T_OK(make_priv(&p, "ab", pad_ok, 3, &priv));
	T_OK(kg_buf_put(&priv, "12345678", 8));  /* 144: a multiple of 16 */
	T_ASSERT(try_file("aes256-ctr", "bcrypt", &opts, 1, &p.pub, &priv, "x") == KG_ERR_TOO_LARGE);
	T_ASSERT(try_file("aes256-ctr", "bcrypt", &opts, 1, &p.pub, &priv, NULL) == KG_ERR_NEED_PASSPHRASE);
	kg_buf_reset(&opts);
	T_OK(kg_buf_put_string(&opts, "", 0));  /* empty salt */
	T_OK(kg_buf_put_u32(&opts, 16));
	T_ASSERT(try_file("aes256-ctr", "bcrypt", &opts, 1, &p.pub, &priv, "x") == KG_ERR_FORMAT);
	kg_buf_free(&opts);
	kg_buf_free(&priv);
	kg_buf_free(&p.raw);
	kg_buf_free(&other.raw);
}

static void test_oversized_lengths(void)
{
	kg_buf raw;
	T_OK(load_raw("ossh_ed25519", &raw));
	uint8_t *d = kg_buf_mutable_ptr(&raw);
	size_t len = kg_buf_len(&raw);
	/* Every length field: string lengths at known offsets of the header. */
	size_t off = 15;
	for (int field = 0; field < 6; field++) {
		uint32_t keep = kg_peek_u32(d + off);
		static const uint32_t huge[] = { 0xffffffffu, 0x7fffffffu, 0x10000000u, 0x00ffffffu };
		for (size_t h = 0; h < KG_ARRAY_LEN(huge); h++) {
			kg_key *k = NULL;
			kg_poke_u32(d + off, huge[h]);
			T_ASSERT(parse_raw(d, len, NULL, &k) < 0 && k == NULL);
		}
		kg_poke_u32(d + off, keep);
		/* skip: strings carry their length; field 3 is nkeys */
		off += 4 + (field == 3 ? 0 : keep);
	}
	kg_key *k = NULL;
	T_OK(parse_raw(d, len, NULL, &k));  /* the bytes are intact again */
	kg_key_free(k);
	kg_buf_free(&raw);
}

static void test_truncated_and_corrupt(void)
{
	static const char *names[] = { "ossh_ed25519", "ossh_ecdsa256", "ossh_rsa", "ossh_ed25519_gcm",
				       "ossh_rsa_enc" };
	for (size_t i = 0; i < KG_ARRAY_LEN(names); i++) {
		kg_buf raw, text;
		T_OK(load_raw(names[i], &raw));
		for (size_t n = 0; n < kg_buf_len(&raw); n++) {
			kg_key *k = NULL;
			T_ASSERT(parse_raw(kg_buf_ptr(&raw), n, "secret", &k) < 0 && k == NULL);
		}
		T_OK(load(names[i], &text));
		/* Up to the END line's final newline, which is optional. */
		for (size_t n = 0; n + 1 < kg_buf_len(&text); n += 7) {
			kg_key *k = NULL;
			T_ASSERT(kg_keyfile_parse_private(kg_buf_ptr(&text), n, "secret", &k) < 0 && k == NULL);
		}
		/* A character outside the base64 alphabet in the body. */
		kg_buf_mutable_ptr(&text)[kg_buf_len(&text) / 2] = '*';
		kg_key *k = NULL;
		T_ASSERT(parse_buf(&text, "secret", &k) == KG_ERR_FORMAT && k == NULL);
		kg_buf_free(&raw);
		kg_buf_free(&text);
	}
}

/* Single bit flips anywhere in unencrypted files: errors or (for bits that
 * do not matter, like the comment) success, but never a crash. */
static void test_bit_flips(void)
{
	static const char *names[] = { "ossh_ed25519", "ossh_ecdsa521", "ossh_rsa" };
	for (size_t i = 0; i < KG_ARRAY_LEN(names); i++) {
		kg_buf raw;
		T_OK(load_raw(names[i], &raw));
		uint8_t *d = kg_buf_mutable_ptr(&raw);
		size_t step = kg_buf_len(&raw) > 600 ? 3 : 1;
		for (size_t n = 0; n < kg_buf_len(&raw); n += step) {
			kg_key *k = NULL;
			d[n] ^= (uint8_t)(1u << (n % 8));
			int r = parse_raw(d, kg_buf_len(&raw), NULL, &k);
			T_ASSERT((r == KG_OK) == (k != NULL));
			kg_key_free(k);
			d[n] ^= (uint8_t)(1u << (n % 8));
		}
		kg_buf_free(&raw);
	}
	/* Flips in the ciphertext of an encrypted key: checkints catch them. */
	kg_buf raw;
	T_OK(load_raw("ossh_ed25519_enc", &raw));
	uint8_t *d = kg_buf_mutable_ptr(&raw);
	size_t len = kg_buf_len(&raw);
	d[len - 140] ^= 0x01;  /* inside the first ciphertext block: a checkint */
	kg_key *k = NULL;
	T_ASSERT(parse_raw(d, len, "secret", &k) == KG_ERR_PASSPHRASE && k == NULL);
	kg_buf_free(&raw);
}

static void test_pem_corrupt(void)
{
	kg_buf text;
	kg_key *k = NULL;
	T_OK(load("sec1_p256", &text));
	kg_buf_mutable_ptr(&text)[40] ^= 0x01;
	T_ASSERT(parse_buf(&text, NULL, &k) < 0 && k == NULL);
	kg_buf_free(&text);
	T_OK(load("pem_rsa_trad", &text));
	T_ASSERT(kg_keyfile_parse_private(kg_buf_ptr(&text), kg_buf_len(&text) / 2, NULL, &k) < 0 && k == NULL);
	kg_buf_free(&text);
	T_OK(load("pk8_rsa_enc", &text));
	T_ASSERT(kg_keyfile_parse_private(kg_buf_ptr(&text), kg_buf_len(&text) - 60, "secret", &k) < 0 && !k);
	T_ASSERT(ERR_peek_error() == 0);
	kg_buf_free(&text);
}

/* ---- writing ---- */

/* The written text looks like ssh-keygen's and its header is as documented. */
static int check_written(const kg_buf *text, int encrypted)
{
	const char *s = (const char *)kg_buf_ptr(text);
	size_t len = kg_buf_len(text);
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
	static const char end[] = "-----END OPENSSH PRIVATE KEY-----\n";
	ENSURE(len > sizeof(begin) + sizeof(end), KG_ERR_FORMAT);
	ENSURE(memcmp(s, begin, sizeof(begin) - 1) == 0, KG_ERR_FORMAT);
	ENSURE(memcmp(s + len - (sizeof(end) - 1), end, sizeof(end) - 1) == 0, KG_ERR_FORMAT);
	size_t col = 0, lines = 0, last = 0;
	for (size_t i = sizeof(begin) - 1; i < len - (sizeof(end) - 1); i++) {
		if (s[i] == '\n') {
			last = col;
			col = 0;
			lines++;
			continue;
		}
		ENSURE(++col <= 70, KG_ERR_FORMAT);
		if (col == 70)
			ENSURE(s[i + 1] == '\n', KG_ERR_FORMAT);
	}
	ENSURE(lines > 0 && last > 0 && col == 0, KG_ERR_FORMAT);
	kg_armor a;
	enum kg_keyfile_kind kind;
	GUARD(kg_keyfile_find_armor(kg_buf_ptr(text), len, &a, &kind));
	kg_buf raw;
	kg_buf_init(&raw, 0);
	int r = kg_buf_get_base64(&raw, (const char *)a.body, a.body_len);
	const uint8_t *cipher = NULL, *kdf = NULL, *salt = NULL;
	size_t clen = 0, klen = 0, slen = 0;
	uint32_t rounds = 0;
	kg_buf opts;
	if (r == KG_OK)
		r = kg_buf_consume(&raw, 15);
	if (r == KG_OK)
		r = kg_buf_get_string_direct(&raw, &cipher, &clen);
	if (r == KG_OK)
		r = kg_buf_get_string_direct(&raw, &kdf, &klen);
	if (r == KG_OK)
		r = kg_buf_get_stringb(&raw, &opts);
	if (r == KG_OK && encrypted) {
		r = kg_buf_get_string_direct(&opts, &salt, &slen);
		if (r == KG_OK)
			r = kg_buf_get_u32(&opts, &rounds);
		if (r == KG_OK && !(clen == 10 && memcmp(cipher, "aes256-ctr", 10) == 0 && klen == 6 &&
				    memcmp(kdf, "bcrypt", 6) == 0 && slen == 16 && rounds == 16))
			r = KG_ERR_FORMAT;
	} else if (r == KG_OK && !(clen == 4 && memcmp(cipher, "none", 4) == 0 && klen == 4 &&
				   memcmp(kdf, "none", 4) == 0 && kg_buf_len(&opts) == 0)) {
		r = KG_ERR_FORMAT;
	}
	kg_buf_free(&raw);
	return r;
}

static int write_and_reparse(const kg_key *k, const char *pass, const char *comment)
{
	kg_buf text;
	kg_key *back = NULL;
	kg_buf_init(&text, 0);
	int r = kg_keyfile_write_private(k, pass, comment, &text);
	if (r == KG_OK)
		r = check_written(&text, pass && *pass);
	if (r == KG_OK && pass && *pass) {
		kg_key *none = NULL;
		if (parse_buf(&text, NULL, &none) != KG_ERR_NEED_PASSPHRASE ||
		    parse_buf(&text, "not it", &none) != KG_ERR_PASSPHRASE || none != NULL)
			r = KG_ERR_INTERNAL;
	}
	if (r == KG_OK)
		r = parse_buf(&text, pass, &back);
	if (r == KG_OK && !same_private(k, back))
		r = KG_ERR_INTERNAL;
	const char *want = comment ? comment : k->comment;
	if (r == KG_OK && (want && *want ? !back->comment || strcmp(back->comment, want) != 0 : back->comment != NULL))
		r = KG_ERR_INTERNAL;
	kg_key_free(back);
	kg_buf_free(&text);
	return r;
}

static void test_write_roundtrip_fixtures(void)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(fixtures); i++) {
		kg_buf text;
		kg_key *k = NULL;
		T_OK(load(fixtures[i].file, &text));
		T_OK(parse_buf(&text, fixtures[i].pass, &k));
		T_OK(write_and_reparse(k, NULL, NULL));
		T_OK(write_and_reparse(k, "", "empty passphrase means none"));
		/* Encrypted writing of every type: test_write_roundtrip_generated
		 * (each bcrypt_pbkdf run costs a noticeable fraction of a second). */
		if (i == 0)
			T_OK(write_and_reparse(k, "correct horse", "user@host"));
		kg_key_free(k);
		kg_buf_free(&text);
	}
}

static kg_key *generated(enum kg_keytype t)
{
	EVP_PKEY *pkey = NULL;
	switch (t) {
	case KG_KEY_ED25519: pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
	case KG_KEY_ECDSA_P256: pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); break;
	case KG_KEY_ECDSA_P384: pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"); break;
	case KG_KEY_ECDSA_P521: pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521"); break;
	case KG_KEY_RSA: pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048); break;
	default: break;
	}
	kg_key *k = kg_key_new();
	if (!pkey || !k) {
		EVP_PKEY_free(pkey);
		kg_key_free(k);
		return NULL;
	}
	k->type = t;
	k->pkey = pkey;
	k->has_private = 1;
	return k;
}

static void test_write_roundtrip_generated(void)
{
	for (int t = KG_KEY_ED25519; t <= KG_KEY_RSA; t++) {
		kg_key *k = generated((enum kg_keytype)t);
		T_ASSERT(k != NULL);
		T_OK(write_and_reparse(k, NULL, "generated"));
		T_OK(write_and_reparse(k, "pw", NULL));
		kg_key_free(k);
	}
}

static void test_write_errors(void)
{
	kg_key *k = generated(KG_KEY_ED25519);
	T_ASSERT(k != NULL);
	kg_buf out;
	kg_buf_init(&out, 0);
	T_OK(kg_buf_put(&out, "keep", 4));
	k->type = KG_KEY_RSA;  /* disagrees with the EVP_PKEY */
	T_ASSERT(kg_keyfile_write_private(k, NULL, NULL, &out) == KG_ERR_ARG);
	k->type = KG_KEY_ED25519;
	k->has_private = 0;
	T_ASSERT(kg_keyfile_write_private(k, NULL, NULL, &out) == KG_ERR_ARG);
	k->has_private = 1;
	T_ASSERT(kg_keyfile_write_private(NULL, NULL, NULL, &out) == KG_ERR_ARG);
	/* Output cap too small: fails and leaves out as it was. */
	T_OK(kg_buf_set_max(&out, 100));
	T_ASSERT(kg_keyfile_write_private(k, NULL, NULL, &out) == KG_ERR_NO_SPACE);
	T_ASSERT(kg_buf_len(&out) == 4 && memcmp(kg_buf_ptr(&out), "keep", 4) == 0);
	kg_buf_free(&out);
	kg_key_free(k);
}

int main(void)
{
	T_RUN(test_fixtures_load);
	T_RUN(test_passphrases);
	T_RUN(test_rejected_keys);
	T_RUN(test_not_keys);
	T_RUN(test_openssh_structure);
	T_RUN(test_oversized_lengths);
	T_RUN(test_truncated_and_corrupt);
	T_RUN(test_bit_flips);
	T_RUN(test_pem_corrupt);
	T_RUN(test_write_roundtrip_fixtures);
	T_RUN(test_write_roundtrip_generated);
	T_RUN(test_write_errors);
	return T_DONE();
}
