/* Keys: fixtures made by OpenSSH's ssh-keygen (fingerprints as `ssh-keygen
 * -lf` printed them, SSHSIG signatures from `ssh-keygen -Y sign`) and
 * signatures made by paramiko/cryptography (tests/data/keys/vectors.txt). */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include "t.h"
#include "core/key.h"

struct fixture {
	const char *name;
	enum kg_keytype type;
	int bits;
	const char *fp;  /* ssh-keygen -lf */
};

static const struct fixture fixtures[] = {
	{ "ed25519", KG_KEY_ED25519, 256, "SHA256:ZWQlCHYBccddZ4D5+AnpJUSHYuLys9Yy8us95v8QYRA" },
	{ "ecdsa256", KG_KEY_ECDSA_P256, 256, "SHA256:X/FLcppzyysVjaBU30j/Ror7K67NnU7eO+WxgtFayfk" },
	{ "ecdsa384", KG_KEY_ECDSA_P384, 384, "SHA256:QoVaOiYR6xxwvWp2gUJ3h94jGZmH3emxzNUd4oY4lQ8" },
	{ "ecdsa521", KG_KEY_ECDSA_P521, 521, "SHA256:iXGKIH6AWbmY+h0C87LdOETVdg9Ak6vuAfinQ4oMTM8" },
	{ "rsa2048", KG_KEY_RSA, 2048, "SHA256:v+oZctqqSc/0vBZyEwh4QoSQFXZYhk3akKAIWrJef/o" },
	{ "rsa3072", KG_KEY_RSA, 3072, "SHA256:Nif1ZpXFkmO6gwQdLBSEwlmbbG6LZswMRgb3jrctThE" },
};

/* Reads tests/data/keys/<name> (from the source tree root or build dirs). */
static int read_data(const char *name, kg_buf *out)
{
	static const char *const dirs[] = { "tests/data/keys", "../tests/data/keys",
					    "../../tests/data/keys" };
	for (size_t i = 0; i < KG_ARRAY_LEN(dirs); i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		uint8_t chunk[4096];
		size_t n;
		int r = KG_OK;
		while (r == KG_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			r = kg_buf_put(out, chunk, n);
		fclose(f);
		return r;
	}
	fprintf(stderr, "missing fixture %s\n", name);
	return KG_ERR_NOT_FOUND;
}

/* The text of a fixture file as a NUL-terminated malloc'ed string. */
static char *read_text(const char *name)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	char *s = NULL;
	if (read_data(name, &b) == KG_OK && (s = malloc(kg_buf_len(&b) + 1)) != NULL) {
		memcpy(s, kg_buf_ptr(&b), kg_buf_len(&b));
		s[kg_buf_len(&b)] = '\0';
	}
	kg_buf_free(&b);
	return s;
}

static int load_pub(const char *name, kg_key **out)
{
	char file[64];
	snprintf(file, sizeof(file), "%s.pub", name);
	char *line = read_text(file);
	if (!line)
		return KG_ERR_NOT_FOUND;
	int r = kg_key_from_line(line, out);
	free(line);
	return r;
}

static void test_names(void)
{
	T_ASSERT(strcmp(kg_key_type_name(KG_KEY_ED25519), "ssh-ed25519") == 0);
	T_ASSERT(strcmp(kg_key_type_name(KG_KEY_ECDSA_P521), "ecdsa-sha2-nistp521") == 0);
	T_ASSERT(strcmp(kg_key_type_name(KG_KEY_RSA), "ssh-rsa") == 0);
	T_ASSERT(kg_key_type_from_name("ecdsa-sha2-nistp384") == KG_KEY_ECDSA_P384);
	T_ASSERT(kg_key_type_from_name("rsa-sha2-256") == KG_KEY_UNSPEC);
	T_ASSERT(kg_key_type_from_name("ssh-ed25519x") == KG_KEY_UNSPEC);
	T_ASSERT(kg_key_type_from_name(NULL) == KG_KEY_UNSPEC);
	T_ASSERT(strcmp(kg_key_type_short(KG_KEY_ECDSA_P256), "ECDSA") == 0);
	T_ASSERT(strcmp(kg_key_type_short(KG_KEY_ED25519), "ED25519") == 0);
	T_ASSERT(strcmp(kg_key_type_short(KG_KEY_RSA), "RSA") == 0);
}

/* Fingerprints equal ssh-keygen's; the line and blob round-trip exactly. */
static void test_fixtures(void)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];
		char file[64], fp[KG_KEY_FP_LEN], comment[64];
		snprintf(file, sizeof(file), "%s.pub", fx->name);
		char *line = read_text(file);
		T_ASSERT(line != NULL);
		kg_key *k = NULL, *k2 = NULL;
		int r = kg_key_from_line(line, &k);
		if (r != KG_OK)
			free(line);
		T_OK(r);
		T_ASSERT(k->type == fx->type && kg_key_bits(k) == fx->bits && !k->has_private);
		snprintf(comment, sizeof(comment), "kagi-test-%s", fx->name);
		T_ASSERT(k->comment && strcmp(k->comment, comment) == 0);
		T_OK(kg_key_fingerprint(k, fp, sizeof(fp)));
		T_ASSERT(strcmp(fp, fx->fp) == 0);
		/* Too small an output buffer is an error, not a truncation. */
		T_ASSERT(kg_key_fingerprint(k, fp, strlen(fx->fp)) == KG_ERR_NO_SPACE);

		kg_buf b, l;
		kg_buf_init(&b, 0);
		kg_buf_init(&l, 0);
		T_OK(kg_key_to_line(k, &l));
		line[strcspn(line, "\n")] = '\0';
		T_ASSERT(kg_buf_len(&l) == strlen(line) && memcmp(kg_buf_ptr(&l), line, strlen(line)) == 0);
		free(line);
		T_OK(kg_key_to_blob(k, &b));
		T_OK(kg_key_from_blob(kg_buf_ptr(&b), kg_buf_len(&b), &k2));
		T_ASSERT(k2->type == fx->type && kg_key_equal_public(k, k2) && k2->comment == NULL);
		kg_buf_reset(&l);
		T_OK(kg_key_to_blob(k2, &l));
		T_ASSERT(kg_buf_len(&l) == kg_buf_len(&b) &&
			 memcmp(kg_buf_ptr(&l), kg_buf_ptr(&b), kg_buf_len(&b)) == 0);
		/* A different fixture is a different key. */
		kg_key *other = NULL;
		T_OK(load_pub(fixtures[(i + 1) % KG_ARRAY_LEN(fixtures)].name, &other));
		T_ASSERT(!kg_key_equal_public(k, other));
		kg_key_free(other);
		kg_buf_free(&b);
		kg_buf_free(&l);
		kg_key_free(k);
		kg_key_free(k2);
	}
}

/* Decodes an armored SSHSIG file into its binary blob. */
static int sshsig_decode(const char *text, kg_buf *out)
{
	const char *begin = "-----BEGIN SSH SIGNATURE-----", *end = "-----END SSH SIGNATURE-----";
	const char *p = strstr(text, begin), *q = strstr(text, end);
	if (!p || !q || q < p)
		return KG_ERR_FORMAT;
	p += strlen(begin);
	return kg_buf_get_base64(out, p, (size_t)(q - p));
}

/* Checks ssh-keygen -Y sign output: rebuild the signed data of
 * PROTOCOL.sshsig section 3 and verify the inner signature blob. */
static void test_openssh_sshsig(void)
{
	kg_buf msg;
	kg_buf_init(&msg, 0);
	T_OK(read_data("msg.txt", &msg));
	for (size_t i = 0; i < KG_ARRAY_LEN(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];
		char file[64];
		snprintf(file, sizeof(file), "%s.sshsig", fx->name);
		char *armor = read_text(file);
		T_ASSERT(armor != NULL);
		kg_buf blob, kb, sd;
		kg_buf_init(&blob, 0);
		kg_buf_init(&kb, 0);
		kg_buf_init(&sd, 0);
		int r = sshsig_decode(armor, &blob);
		free(armor);
		T_OK(r);
		kg_key *k = NULL;
		T_OK(load_pub(fx->name, &k));

		uint8_t magic[6];
		uint32_t version;
		const uint8_t *pk, *ns, *resv, *halg, *sig;
		size_t pklen, nslen, resvlen, halglen, siglen;
		T_OK(kg_buf_get(&blob, magic, 6));
		T_ASSERT(memcmp(magic, "SSHSIG", 6) == 0);
		T_OK(kg_buf_get_u32(&blob, &version));
		T_ASSERT(version == 1);
		T_OK(kg_buf_get_string_direct(&blob, &pk, &pklen));
		T_OK(kg_buf_get_string_direct(&blob, &ns, &nslen));
		T_OK(kg_buf_get_string_direct(&blob, &resv, &resvlen));
		T_OK(kg_buf_get_string_direct(&blob, &halg, &halglen));
		T_OK(kg_buf_get_string_direct(&blob, &sig, &siglen));
		T_ASSERT(kg_buf_len(&blob) == 0);
		/* The embedded public key is our fixture's blob. */
		T_OK(kg_key_to_blob(k, &kb));
		T_ASSERT(pklen == kg_buf_len(&kb) && memcmp(pk, kg_buf_ptr(&kb), pklen) == 0);
		T_ASSERT(halglen == 6 && memcmp(halg, "sha512", 6) == 0);

		uint8_t h[64];
		unsigned int hlen = 0;
		T_ASSERT(EVP_Digest(kg_buf_ptr(&msg), kg_buf_len(&msg), h, &hlen, EVP_sha512(), NULL) == 1);
		T_OK(kg_buf_put(&sd, "SSHSIG", 6));
		T_OK(kg_buf_put_string(&sd, ns, nslen));
		T_OK(kg_buf_put_string(&sd, resv, resvlen));
		T_OK(kg_buf_put_string(&sd, halg, halglen));
		T_OK(kg_buf_put_string(&sd, h, hlen));
		T_OK(kg_key_verify(k, NULL, sig, siglen, kg_buf_ptr(&sd), kg_buf_len(&sd)));
		T_OK(kg_key_verify(k, fx->type == KG_KEY_RSA ? "rsa-sha2-512" : kg_key_type_name(fx->type),
				   sig, siglen, kg_buf_ptr(&sd), kg_buf_len(&sd)));
		/* Change one bit of the hash: no longer valid. */
		kg_buf_mutable_ptr(&sd)[kg_buf_len(&sd) - 1] ^= 1;
		T_ASSERT(kg_key_verify(k, NULL, sig, siglen, kg_buf_ptr(&sd), kg_buf_len(&sd)) != KG_OK);
		kg_buf_free(&blob);
		kg_buf_free(&kb);
		kg_buf_free(&sd);
		kg_key_free(k);
	}
	kg_buf_free(&msg);
}

/* One line of vectors.txt: key name, label, hex data, hex signature blob. */
static void check_vector(const char *name, const char *label, const uint8_t *data, size_t dlen,
			 uint8_t *sig, size_t slen, int *ok)
{
	*ok = 0;
	kg_key *k = NULL;
	if (load_pub(name, &k) != KG_OK)
		return;
	if (strcmp(label, "ssh-rsa") == 0) {
		/* A valid SHA-1 signature, still refused. */
		*ok = kg_key_verify(k, NULL, sig, slen, data, dlen) == KG_ERR_SIGNATURE &&
		      kg_key_verify(k, "ssh-rsa", sig, slen, data, dlen) == KG_ERR_SIGNATURE;
	} else if (strcmp(label, "short") == 0) {
		/* 255 bytes for a 256-byte modulus: left-padded and accepted. */
		size_t hdr = 4 + strlen("rsa-sha2-256"), raw = slen - hdr - 4;
		*ok = raw == 255 && kg_key_verify(k, "rsa-sha2-256", sig, slen, data, dlen) == KG_OK;
		/* The same value with one leading zero (full length) is fine, with
		 * two it is longer than the modulus and refused. */
		for (size_t zeros = 1; zeros <= 2; zeros++) {
			uint8_t padded[600];
			memcpy(padded, sig, hdr);
			kg_poke_u32(padded + hdr, (uint32_t)(raw + zeros));
			memset(padded + hdr + 4, 0, zeros);
			memcpy(padded + hdr + 4 + zeros, sig + hdr + 4, raw);
			int r = kg_key_verify(k, NULL, padded, slen + zeros, data, dlen);
			*ok = *ok && r == (zeros == 1 ? KG_OK : KG_ERR_SIGNATURE);
		}
	} else {
		*ok = kg_key_verify(k, NULL, sig, slen, data, dlen) == KG_OK &&
		      kg_key_verify(k, label, sig, slen, data, dlen) == KG_OK &&
		      kg_key_verify(k, NULL, sig, slen, data, dlen - 1) == KG_ERR_SIGNATURE;
		if (k->type == KG_KEY_RSA) {
			const char *other = strcmp(label, "rsa-sha2-256") == 0 ? "rsa-sha2-512" : "rsa-sha2-256";
			*ok = *ok && kg_key_verify(k, other, sig, slen, data, dlen) == KG_ERR_SIGNATURE;
		}
		sig[slen - 3] ^= 0x10;
		*ok = *ok && kg_key_verify(k, NULL, sig, slen, data, dlen) != KG_OK;
	}
	kg_key_free(k);
}

static void test_paramiko_vectors(void)
{
	char *text = read_text("vectors.txt");
	T_ASSERT(text != NULL);
	int n = 0, bad = 0, labels = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[32], label[32];
		static char dhex[256], shex[2048];
		if (sscanf(line, "%31s %31s %255s %2047s", name, label, dhex, shex) != 4) {
			bad++;
			continue;
		}
		uint8_t data[128], sig[1024];
		size_t dlen = t_unhex(dhex, data), slen = t_unhex(shex, sig);
		int ok;
		check_vector(name, label, data, dlen, sig, slen, &ok);
		if (!ok) {
			fprintf(stderr, "vector %s %s failed\n", name, label);
			bad++;
		}
		if (strcmp(label, "short") == 0 || strcmp(label, "ssh-rsa") == 0)
			labels++;
		n++;
	}
	free(text);
	T_ASSERT(bad == 0 && n == 10 && labels == 2);
}

/* sig must be rejected after any single-bit change, truncation or trailer. */
static int mangled_all_fail(const kg_key *k, const uint8_t *sig, size_t slen,
			    const uint8_t *data, size_t dlen)
{
	uint8_t buf[1200];
	if (slen + 1 > sizeof(buf))
		return 0;
	for (size_t n = 0; n < slen; n++)
		if (kg_key_verify(k, NULL, sig, n, data, dlen) == KG_OK)
			return 0;
	memcpy(buf, sig, slen);
	buf[slen] = 0;
	if (kg_key_verify(k, NULL, buf, slen + 1, data, dlen) != KG_ERR_FORMAT)
		return 0;
	/* Flip a bit in every byte (a stride keeps RSA-sized blobs quick). */
	size_t step = slen > 200 ? 7 : 1;
	for (size_t i = 0; i < slen; i += step) {
		buf[i] ^= (uint8_t)(1u << (i % 8));
		int r = kg_key_verify(k, NULL, buf, slen, data, dlen);
		buf[i] ^= (uint8_t)(1u << (i % 8));
		if (r == KG_OK)
			return 0;
	}
	return 1;
}

static void test_sign_verify(void)
{
	static const struct { enum kg_keytype t; int bits; } gens[] = {
		{ KG_KEY_ED25519, 0 }, { KG_KEY_ECDSA_P256, 0 }, { KG_KEY_ECDSA_P256, 384 },
		{ KG_KEY_ECDSA_P256, 521 }, { KG_KEY_RSA, 2048 },
	};
	static const char *const rsa_algs[] = { NULL, "rsa-sha2-256", "rsa-sha2-512" };
	const uint8_t data[] = "exchange hash stand-in";
	for (size_t i = 0; i < KG_ARRAY_LEN(gens); i++) {
		kg_key *k = NULL, *pub = NULL, *other = NULL;
		T_OK(kg_key_generate(gens[i].t, gens[i].bits, &k));
		T_ASSERT(k->has_private);
		T_OK(kg_key_generate(k->type, 0, &other));
		T_OK(kg_key_public_copy(k, &pub));
		T_ASSERT(!pub->has_private && kg_key_equal_public(k, pub));
		size_t nalgs = k->type == KG_KEY_RSA ? 3 : 1;
		for (size_t a = 0; a < nalgs; a++) {
			const char *alg = k->type == KG_KEY_RSA ? rsa_algs[a] : NULL;
			const char *want = alg ? alg : kg_key_default_sigalg(k);
			kg_buf sig;
			kg_buf_init(&sig, 0);
			T_OK(kg_key_sign(k, alg, data, sizeof(data), &sig));
			const uint8_t *s = kg_buf_ptr(&sig);
			size_t slen = kg_buf_len(&sig);
			/* The blob names the algorithm it was made with. */
			T_ASSERT(kg_peek_u32(s) == strlen(want) && memcmp(s + 4, want, strlen(want)) == 0);
			if (k->type == KG_KEY_RSA)
				T_ASSERT(kg_peek_u32(s + 4 + strlen(want)) == 256);
			if (k->type == KG_KEY_ED25519)
				T_ASSERT(slen == 4 + 11 + 4 + 64);
			T_OK(kg_key_verify(pub, NULL, s, slen, data, sizeof(data)));
			T_OK(kg_key_verify(k, want, s, slen, data, sizeof(data)));
			T_ASSERT(kg_key_verify(pub, NULL, s, slen, data, sizeof(data) - 1) == KG_ERR_SIGNATURE);
			T_ASSERT(kg_key_verify(other, NULL, s, slen, data, sizeof(data)) == KG_ERR_SIGNATURE);
			T_ASSERT(kg_key_verify(pub, "ssh-rsa", s, slen, data, sizeof(data)) == KG_ERR_SIGNATURE);
			T_ASSERT(mangled_all_fail(pub, s, slen, data, sizeof(data)));
			kg_buf_free(&sig);
		}
		/* A public key cannot sign; SHA-1 RSA is never produced. */
		kg_buf sig;
		kg_buf_init(&sig, 0);
		T_ASSERT(kg_key_sign(pub, NULL, data, sizeof(data), &sig) == KG_ERR_ARG);
		T_ASSERT(kg_key_sign(k, "ssh-rsa", data, sizeof(data), &sig) == KG_ERR_ARG);
		T_ASSERT(kg_buf_len(&sig) == 0);
		/* Empty data is valid data. */
		T_OK(kg_key_sign(k, NULL, NULL, 0, &sig));
		T_OK(kg_key_verify(pub, NULL, kg_buf_ptr(&sig), kg_buf_len(&sig), NULL, 0));
		kg_buf_free(&sig);
		kg_key_free(k);
		kg_key_free(pub);
		kg_key_free(other);
	}
}

static void test_sigalg_rules(void)
{
	kg_key *rsa = NULL, *ed = NULL, *ec = NULL;
	T_OK(load_pub("rsa2048", &rsa));
	T_OK(load_pub("ed25519", &ed));
	T_OK(load_pub("ecdsa384", &ec));
	T_ASSERT(kg_key_sigalg_ok(rsa, "rsa-sha2-256") && kg_key_sigalg_ok(rsa, "rsa-sha2-512"));
	T_ASSERT(!kg_key_sigalg_ok(rsa, "ssh-rsa") && !kg_key_sigalg_ok(rsa, NULL));
	T_ASSERT(strcmp(kg_key_default_sigalg(rsa), "rsa-sha2-512") == 0);
	T_ASSERT(kg_key_sigalg_ok(ed, "ssh-ed25519") && !kg_key_sigalg_ok(ed, "ecdsa-sha2-nistp384"));
	T_ASSERT(kg_key_sigalg_ok(ec, "ecdsa-sha2-nistp384") && !kg_key_sigalg_ok(ec, "ecdsa-sha2-nistp256"));
	T_ASSERT(strcmp(kg_key_default_sigalg(ec), "ecdsa-sha2-nistp384") == 0);
	kg_key_free(rsa);
	kg_key_free(ed);
	kg_key_free(ec);
}

static void test_rsa_limits(void)
{
	kg_key *k = NULL;
	T_ASSERT(load_pub("rsa1024", &k) == KG_ERR_KEY_TOO_SMALL && k == NULL);
	T_ASSERT(kg_key_generate(KG_KEY_RSA, 1024, &k) == KG_ERR_KEY_TOO_SMALL);
	T_ASSERT(kg_key_generate(KG_KEY_RSA, 16385, &k) == KG_ERR_ARG);
	/* Rebuild the 2048-bit blob with bad exponents / moduli. */
	T_OK(load_pub("rsa2048", &k));
	BIGNUM *n = NULL;
	T_ASSERT(EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1);
	uint8_t nb[256];
	T_ASSERT(BN_bn2bin(n, nb) == 256);
	BN_free(n);
	kg_key_free(k);
	k = NULL;
	static const struct { uint8_t e[9]; size_t elen; int even_n; int want; } cases[] = {
		{ { 1, 0, 1 }, 3, 0, KG_OK },
		{ { 3 }, 1, 0, KG_OK },
		{ { 1, 0, 0 }, 3, 0, KG_ERR_FORMAT },     /* even */
		{ { 1 }, 1, 0, KG_ERR_FORMAT },           /* e = 1 */
		{ { 0 }, 0, 0, KG_ERR_FORMAT },           /* e = 0 */
		{ { 1, 0, 0, 0, 0, 0, 0, 0, 1 }, 9, 0, KG_ERR_FORMAT },  /* > 64 bits */
		{ { 1, 0, 1 }, 3, 1, KG_ERR_FORMAT },     /* even modulus */
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(cases); i++) {
		kg_buf b;
		kg_buf_init(&b, 0);
		uint8_t nn[256];
		memcpy(nn, nb, sizeof(nn));
		if (cases[i].even_n)
			nn[255] &= 0xfe;
		T_OK(kg_buf_put_cstring(&b, "ssh-rsa"));
		T_OK(kg_buf_put_mpint(&b, cases[i].e, cases[i].elen));
		T_OK(kg_buf_put_mpint(&b, nn, sizeof(nn)));
		int r = kg_key_from_blob(kg_buf_ptr(&b), kg_buf_len(&b), &k);
		T_ASSERT(r == cases[i].want);
		kg_key_free(k);
		k = NULL;
		kg_buf_free(&b);
	}
	/* 16392-bit modulus: over the cap. */
	kg_buf b;
	kg_buf_init(&b, 0);
	uint8_t big[2049];
	memset(big, 0xff, sizeof(big));
	T_OK(kg_buf_put_cstring(&b, "ssh-rsa"));
	T_OK(kg_buf_put_mpint(&b, (const uint8_t *)"\x01\x00\x01", 3));
	T_OK(kg_buf_put_mpint(&b, big, sizeof(big)));
	T_ASSERT(kg_key_from_blob(kg_buf_ptr(&b), kg_buf_len(&b), &k) == KG_ERR_TOO_LARGE);
	kg_buf_free(&b);
}

/* Every proper prefix of a blob and any trailing byte are refused. */
static void test_truncated_blobs(void)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(fixtures); i++) {
		kg_key *k = NULL, *k2 = NULL;
		kg_buf b;
		kg_buf_init(&b, 0);
		T_OK(load_pub(fixtures[i].name, &k));
		T_OK(kg_key_to_blob(k, &b));
		size_t len = kg_buf_len(&b);
		for (size_t n = 0; n < len; n++) {
			T_ASSERT(kg_key_from_blob(kg_buf_ptr(&b), n, &k2) < 0);
			T_ASSERT(k2 == NULL);
		}
		T_OK(kg_buf_put_u8(&b, 0));
		T_ASSERT(kg_key_from_blob(kg_buf_ptr(&b), len + 1, &k2) == KG_ERR_FORMAT);
		kg_buf_free(&b);
		kg_key_free(k);
	}
	kg_key *k = NULL;
	T_ASSERT(kg_key_from_blob((const uint8_t *)"\0\0\0\x07ssh-dss", 11, &k) == KG_ERR_KEY_TYPE);
}

/* Rebuilds an ECDSA blob with the given name, curve id and point. */
static int ec_blob(kg_buf *b, const char *name, const char *id, const uint8_t *q, size_t qlen)
{
	GUARD(kg_buf_put_cstring(b, name));
	GUARD(kg_buf_put_cstring(b, id));
	return kg_buf_put_string(b, q, qlen);
}

static void test_ec_invalid(void)
{
	kg_key *k = NULL, *bad = NULL;
	T_OK(load_pub("ecdsa256", &k));
	uint8_t q[65];
	size_t qlen = 0;
	T_ASSERT(EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, q, sizeof(q), &qlen) == 1);
	T_ASSERT(qlen == 65 && q[0] == 4);
	kg_key_free(k);
	kg_buf b;
	kg_buf_init(&b, 0);
	T_OK(ec_blob(&b, "ecdsa-sha2-nistp256", "nistp256", q, qlen));
	T_OK(kg_key_from_blob(kg_buf_ptr(&b), kg_buf_len(&b), &k));
	kg_key_free(k);
	/* y changed: off the curve. */
	q[64] ^= 1;
	kg_buf_reset(&b);
	T_OK(ec_blob(&b, "ecdsa-sha2-nistp256", "nistp256", q, qlen));
	T_ASSERT(kg_key_from_blob(kg_buf_ptr(&b), kg_buf_len(&b), &bad) == KG_ERR_FORMAT);
	q[64] ^= 1;
	/* Curve id not matching the name. */
	kg_buf_reset(&b);
	T_OK(ec_blob(&b, "ecdsa-sha2-nistp256", "nistp384", q, qlen));
	T_ASSERT(kg_key_from_blob(kg_buf_ptr(&b), kg_buf_len(&b), &bad) == KG_ERR_FORMAT);
	kg_buf_reset(&b);
	T_OK(ec_blob(&b, "ecdsa-sha2-nistp384", "nistp256", q, qlen));
	T_ASSERT(kg_key_from_blob(kg_buf_ptr(&b), kg_buf_len(&b), &bad) == KG_ERR_FORMAT);
	/* Compressed form and the point at infinity are refused. */
	kg_buf_reset(&b);
	q[0] = 2 | (q[64] & 1);
	T_OK(ec_blob(&b, "ecdsa-sha2-nistp256", "nistp256", q, 33));
	T_ASSERT(kg_key_from_blob(kg_buf_ptr(&b), kg_buf_len(&b), &bad) == KG_ERR_FORMAT);
	kg_buf_reset(&b);
	T_OK(ec_blob(&b, "ecdsa-sha2-nistp256", "nistp256", (const uint8_t *)"", 1));
	T_ASSERT(kg_key_from_blob(kg_buf_ptr(&b), kg_buf_len(&b), &bad) == KG_ERR_FORMAT);
	/* (0, 0) has the right shape but is not a point. */
	memset(q + 1, 0, 64);
	q[0] = 4;
	kg_buf_reset(&b);
	T_OK(ec_blob(&b, "ecdsa-sha2-nistp256", "nistp256", q, qlen));
	T_ASSERT(kg_key_from_blob(kg_buf_ptr(&b), kg_buf_len(&b), &bad) == KG_ERR_FORMAT);
	T_ASSERT(bad == NULL);
	kg_buf_free(&b);
}

/* ECDSA r and s must be in [1, n-1]. */
static void test_ec_sig_range(void)
{
	kg_key *k = NULL;
	T_OK(kg_key_generate(KG_KEY_ECDSA_P256, 0, &k));
	const uint8_t data[] = "x";
	uint8_t n[32];
	BIGNUM *order = NULL;
	T_ASSERT(EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_ORDER, &order) == 1);
	T_ASSERT(BN_bn2binpad(order, n, 32) == 32);
	BN_free(order);
	kg_buf sig, inner;
	kg_buf_init(&sig, 0);
	kg_buf_init(&inner, 0);
	T_OK(kg_key_sign(k, NULL, data, 1, &sig));
	kg_buf v;
	kg_buf_view(&v, kg_buf_ptr(&sig), kg_buf_len(&sig));
	const uint8_t *in, *r, *s;
	size_t inlen, rlen, slen;
	T_OK(kg_buf_skip_string(&v));
	T_OK(kg_buf_get_string_direct(&v, &in, &inlen));
	kg_buf_view(&v, in, inlen);
	T_OK(kg_buf_get_mpint_direct(&v, &r, &rlen));
	T_OK(kg_buf_get_mpint_direct(&v, &s, &slen));
	/* s replaced by s + n would be the same value mod n: must be refused. */
	BIGNUM *bs = BN_bin2bn(s, (int)slen, NULL), *bn = BN_bin2bn(n, 32, NULL);
	T_ASSERT(bs && bn && BN_add(bs, bs, bn) == 1);
	uint8_t big[40];
	int blen = BN_bn2bin(bs, big);
	BN_free(bs);
	BN_free(bn);
	T_OK(kg_buf_put_mpint(&inner, r, rlen));
	T_OK(kg_buf_put_mpint(&inner, big, (size_t)blen));
	kg_buf out;
	kg_buf_init(&out, 0);
	T_OK(kg_buf_put_cstring(&out, "ecdsa-sha2-nistp256"));
	T_OK(kg_buf_put_stringb(&out, &inner));
	T_ASSERT(kg_key_verify(k, NULL, kg_buf_ptr(&out), kg_buf_len(&out), data, 1) == KG_ERR_SIGNATURE);
	/* r = 0 and s = 0. */
	kg_buf_reset(&inner);
	kg_buf_reset(&out);
	T_OK(kg_buf_put_mpint(&inner, NULL, 0));
	T_OK(kg_buf_put_mpint(&inner, s, slen));
	T_OK(kg_buf_put_cstring(&out, "ecdsa-sha2-nistp256"));
	T_OK(kg_buf_put_stringb(&out, &inner));
	T_ASSERT(kg_key_verify(k, NULL, kg_buf_ptr(&out), kg_buf_len(&out), data, 1) == KG_ERR_SIGNATURE);
	/* The untouched signature still verifies. */
	T_OK(kg_key_verify(k, NULL, kg_buf_ptr(&sig), kg_buf_len(&sig), data, 1));
	kg_buf_free(&out);
	kg_buf_free(&inner);
	kg_buf_free(&sig);
	kg_key_free(k);
}

static void test_lines(void)
{
	char *line = read_text("ed25519.pub");
	T_ASSERT(line != NULL);
	line[strcspn(line, "\n")] = '\0';
	char *b64 = strchr(line, ' ') + 1;
	*strchr(b64, ' ') = '\0';
	char text[256];
	kg_key *k = NULL;
	/* Blanks around fields, no comment, CRLF ending. */
	snprintf(text, sizeof(text), " \tssh-ed25519  %s \r\n", b64);
	T_OK(kg_key_from_line(text, &k));
	T_ASSERT(k->comment == NULL && k->type == KG_KEY_ED25519);
	kg_buf out;
	kg_buf_init(&out, 0);
	T_OK(kg_key_to_line(k, &out));
	T_ASSERT(kg_buf_len(&out) == 12 + strlen(b64));
	kg_key_free(k);
	/* A comment with inner spaces survives, trailing blanks do not. */
	snprintf(text, sizeof(text), "ssh-ed25519 %s me@host and more  ", b64);
	T_OK(kg_key_from_line(text, &k));
	T_ASSERT(k->comment && strcmp(k->comment, "me@host and more") == 0);
	kg_key_free(k);
	k = NULL;
	/* Type text must match the blob. */
	snprintf(text, sizeof(text), "ssh-rsa %s x", b64);
	T_ASSERT(kg_key_from_line(text, &k) == KG_ERR_FORMAT);
	snprintf(text, sizeof(text), "ssh-dss %s x", b64);
	T_ASSERT(kg_key_from_line(text, &k) == KG_ERR_KEY_TYPE);
	snprintf(text, sizeof(text), "ssh-ed25519 %s!", b64);
	T_ASSERT(kg_key_from_line(text, &k) == KG_ERR_FORMAT);
	/* Drop the last 4 characters: a truncated blob. */
	snprintf(text, sizeof(text), "ssh-ed25519 %.*s", (int)strlen(b64) - 4, b64);
	T_ASSERT(kg_key_from_line(text, &k) < 0);
	snprintf(text, sizeof(text), "ssh-ed25519 %s a\nb", b64);
	T_ASSERT(kg_key_from_line(text, &k) == KG_ERR_FORMAT);
	T_ASSERT(kg_key_from_line("", &k) == KG_ERR_FORMAT);
	T_ASSERT(kg_key_from_line("ssh-ed25519", &k) == KG_ERR_FORMAT);
	T_ASSERT(kg_key_from_line("ssh-ed25519   ", &k) == KG_ERR_FORMAT);
	T_ASSERT(k == NULL);
	free(line);
	kg_buf_free(&out);
}

/* Keys wrapped from EVP_PKEY, as the key-file code builds them. */
static void test_from_pkey(void)
{
	EVP_PKEY *p = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	T_ASSERT(p != NULL);
	kg_key *k = NULL, *pub = NULL;
	T_OK(kg_key_from_pkey(p, &k));
	T_ASSERT(k->type == KG_KEY_ECDSA_P384 && k->has_private && kg_key_bits(k) == 384);
	T_OK(kg_key_public_copy(k, &pub));
	/* The public half wrapped again has no private part. */
	T_ASSERT(EVP_PKEY_up_ref(pub->pkey) == 1);
	kg_key *pub2 = NULL;
	T_OK(kg_key_from_pkey(pub->pkey, &pub2));
	T_ASSERT(!pub2->has_private && pub2->type == KG_KEY_ECDSA_P384 && kg_key_equal_public(k, pub2));
	kg_key_free(pub2);
	kg_key_free(pub);
	kg_key_free(k);

	/* Public-only keys of every type are seen as such. */
	for (size_t i = 0; i < KG_ARRAY_LEN(fixtures); i++) {
		T_OK(load_pub(fixtures[i].name, &pub));
		T_ASSERT(EVP_PKEY_up_ref(pub->pkey) == 1);
		T_OK(kg_key_from_pkey(pub->pkey, &k));
		T_ASSERT(!k->has_private && k->type == fixtures[i].type && kg_key_equal_public(k, pub));
		kg_key_free(k);
		kg_key_free(pub);
	}

	p = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	T_OK(kg_key_from_pkey(p, &k));
	T_ASSERT(k->type == KG_KEY_ED25519 && k->has_private);
	kg_key_free(k);

	T_ASSERT(kg_key_from_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024), &k) ==
		 KG_ERR_KEY_TOO_SMALL);
	T_ASSERT(kg_key_from_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1"), &k) ==
		 KG_ERR_KEY_TYPE);
	T_ASSERT(kg_key_from_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "X25519"), &k) == KG_ERR_KEY_TYPE);
	T_ASSERT(kg_key_from_pkey(NULL, &k) == KG_ERR_ARG);

	/* Built by hand from type + pkey + has_private. */
	kg_key *hand = kg_key_new();
	T_ASSERT(hand != NULL);
	hand->type = KG_KEY_RSA;
	hand->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	hand->has_private = 1;
	T_ASSERT(hand->pkey != NULL && kg_key_bits(hand) == 2048);
	kg_buf sig;
	kg_buf_init(&sig, 0);
	char fp[KG_KEY_FP_LEN];
	T_OK(kg_key_sign(hand, "rsa-sha2-256", (const uint8_t *)"abc", 3, &sig));
	T_OK(kg_key_verify(hand, "rsa-sha2-256", kg_buf_ptr(&sig), kg_buf_len(&sig),
			   (const uint8_t *)"abc", 3));
	T_OK(kg_key_fingerprint(hand, fp, sizeof(fp)));
	T_ASSERT(strncmp(fp, "SHA256:", 7) == 0 && strlen(fp) == 7 + 43);
	kg_buf_free(&sig);
	kg_key_free(hand);
}

static void test_generate(void)
{
	kg_key *k = NULL;
	T_OK(kg_key_generate(KG_KEY_ECDSA_P521, 0, &k));
	T_ASSERT(k->type == KG_KEY_ECDSA_P521 && kg_key_bits(k) == 521);
	kg_key_free(k);
	T_OK(kg_key_generate(KG_KEY_ECDSA_P521, 256, &k));
	T_ASSERT(k->type == KG_KEY_ECDSA_P256);
	kg_key_free(k);
	k = NULL;
	T_ASSERT(kg_key_generate(KG_KEY_ECDSA_P256, 255, &k) == KG_ERR_ARG);
	T_ASSERT(kg_key_generate(KG_KEY_UNSPEC, 0, &k) == KG_ERR_KEY_TYPE);
	T_ASSERT(k == NULL);
	T_OK(kg_key_generate(KG_KEY_RSA, 0, &k));
	T_ASSERT(k->type == KG_KEY_RSA && kg_key_bits(k) == 3072 && k->has_private);
	kg_key_free(k);
}

int main(void)
{
	T_RUN(test_names);
	T_RUN(test_fixtures);
	T_RUN(test_openssh_sshsig);
	T_RUN(test_paramiko_vectors);
	T_RUN(test_sign_verify);
	T_RUN(test_sigalg_rules);
	T_RUN(test_rsa_limits);
	T_RUN(test_truncated_blobs);
	T_RUN(test_ec_invalid);
	T_RUN(test_ec_sig_range);
	T_RUN(test_lines);
	T_RUN(test_from_pkey);
	T_RUN(test_generate);
	return T_DONE();
}
