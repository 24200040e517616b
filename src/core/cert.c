/* OpenSSH certificates: the blob format, options, CA signing and checks. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "core/cert.h"

#define CERT_NONCE_LEN 32

static const struct {
	enum kg_keytype type;
	const char *name;
} cert_types[] = {
	{ KG_KEY_ED25519, "ssh-ed25519-cert-v01@openssh.com" },
	{ KG_KEY_ECDSA_P256, "ecdsa-sha2-nistp256-cert-v01@openssh.com" },
	{ KG_KEY_ECDSA_P384, "ecdsa-sha2-nistp384-cert-v01@openssh.com" },
	{ KG_KEY_ECDSA_P521, "ecdsa-sha2-nistp521-cert-v01@openssh.com" },
	{ KG_KEY_RSA, "ssh-rsa-cert-v01@openssh.com" },
};

static const char *const known_critical[] = { "force-command", "source-address", "verify-required" };

const char *kg_cert_type_name(enum kg_keytype t)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(cert_types); i++)
		if (cert_types[i].type == t)
			return cert_types[i].name;
	return NULL;
}

static enum kg_keytype type_by_name(const uint8_t *name, size_t len)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(cert_types); i++)
		if (strlen(cert_types[i].name) == len && memcmp(cert_types[i].name, name, len) == 0)
			return cert_types[i].type;
	return KG_KEY_UNSPEC;
}

enum kg_keytype kg_cert_key_type_from_name(const char *name)
{
	return name ? type_by_name((const uint8_t *)name, strlen(name)) : KG_KEY_UNSPEC;
}

static const struct {
	const char *alg, *sigalg;
	enum kg_keytype type;
} cert_algs[] = {
	{ "ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519", KG_KEY_ED25519 },
	{ "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256", KG_KEY_ECDSA_P256 },
	{ "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384", KG_KEY_ECDSA_P384 },
	{ "ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521", KG_KEY_ECDSA_P521 },
	{ "rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-512", KG_KEY_RSA },
	{ "rsa-sha2-256-cert-v01@openssh.com", "rsa-sha2-256", KG_KEY_RSA },
};

const char *kg_cert_alg_name(const kg_cert *c, const char *sigalg)
{
	if (!c || !c->key)
		return NULL;
	if (!sigalg)
		sigalg = kg_key_default_sigalg(c->key);
	if (!sigalg || !kg_key_sigalg_ok(c->key, sigalg))
		return NULL;
	for (size_t i = 0; i < KG_ARRAY_LEN(cert_algs); i++)
		if (cert_algs[i].type == c->key->type && strcmp(cert_algs[i].sigalg, sigalg) == 0)
			return cert_algs[i].alg;
	return NULL;
}

int kg_cert_alg_parse(const char *name, enum kg_keytype *type, const char **sigalg)
{
	ENSURE(name != NULL, KG_ERR_ARG);
	for (size_t i = 0; i < KG_ARRAY_LEN(cert_algs); i++) {
		if (strcmp(cert_algs[i].alg, name) == 0) {
			if (type)
				*type = cert_algs[i].type;
			if (sigalg)
				*sigalg = cert_algs[i].sigalg;
			return KG_OK;
		}
	}
	return KG_ERR_KEY_TYPE;
}

static void free_opts(kg_cert_opt *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(o[i].name);
		free(o[i].data);
	}
	free(o);
}

void kg_cert_free(kg_cert *c)
{
	if (!c)
		return;
	kg_key_free(c->key);
	kg_key_free(c->ca);
	free(c->nonce);
	free(c->key_id);
	for (size_t i = 0; i < c->nprincipals; i++)
		free(c->principals[i]);
	free(c->principals);
	free_opts(c->crit, c->ncrit);
	free_opts(c->ext, c->next);
	free(c->sig);
	free(c->blob);
	free(c->comment);
	free(c);
}

int kg_cert_new(const kg_key *key, kg_cert **out)
{
	ENSURE(key != NULL && out != NULL, KG_ERR_ARG);
	ENSURE(kg_cert_type_name(key->type) != NULL, KG_ERR_KEY_TYPE);
	kg_cert *c = calloc(1, sizeof(*c));
	ENSURE(c != NULL, KG_ERR_ALLOC);
	int r = kg_key_public_copy(key, &c->key);
	if (r != KG_OK) {
		free(c);
		return r;
	}
	free(c->key->comment);
	c->key->comment = NULL;
	c->type = KG_CERT_USER;
	c->valid_before = UINT64_MAX;
	*out = c;
	return KG_OK;
}

/* Reads an option list (critical options or extensions) from its string:
 * names strictly increasing (sorted and unique), each data a string. */
static int read_opts(kg_buf *field, int critical, kg_cert *c)
{
	kg_cert_opt **list = critical ? &c->crit : &c->ext;
	size_t *n = critical ? &c->ncrit : &c->next;
	const uint8_t *prev = NULL;
	size_t prevlen = 0;
	while (kg_buf_len(field) > 0) {
		ENSURE(*n < KG_CERT_MAX_OPTIONS, KG_ERR_TOO_LARGE);
		const uint8_t *name, *data;
		size_t namelen, datalen;
		GUARD(kg_buf_get_string_direct(field, &name, &namelen));
		GUARD(kg_buf_get_string_direct(field, &data, &datalen));
		ENSURE(namelen > 0 && memchr(name, '\0', namelen) == NULL, KG_ERR_FORMAT);
		if (prev) {
			size_t m = prevlen < namelen ? prevlen : namelen;
			int cmp = memcmp(prev, name, m);
			ENSURE(cmp < 0 || (cmp == 0 && prevlen < namelen), KG_ERR_FORMAT);
		}
		prev = name;
		prevlen = namelen;
		kg_cert_opt *grown = realloc(*list, (*n + 1) * sizeof(**list));
		ENSURE(grown != NULL, KG_ERR_ALLOC);
		*list = grown;
		kg_cert_opt *o = &grown[*n];
		o->name = strndup((const char *)name, namelen);
		o->data = malloc(datalen ? datalen : 1);
		o->len = datalen;
		if (!o->name || !o->data) {
			free(o->name);
			free(o->data);
			return KG_ERR_ALLOC;
		}
		memcpy(o->data, data, datalen);
		(*n)++;
		if (!critical)
			continue;
		int known = 0;
		for (size_t i = 0; i < KG_ARRAY_LEN(known_critical); i++)
			if (strcmp(o->name, known_critical[i]) == 0)
				known = 1;
		if (!known) {
			c->unknown_critical = 1;
			continue;
		}
		/* The known options' data: one string, or empty for verify-required. */
		kg_buf d;
		kg_buf_view(&d, data, datalen);
		if (strcmp(o->name, "verify-required") == 0) {
			ENSURE(datalen == 0, KG_ERR_FORMAT);
		} else {
			const uint8_t *s;
			size_t slen;
			GUARD(kg_buf_get_string_direct(&d, &s, &slen));
			ENSURE(kg_buf_len(&d) == 0 && memchr(s, '\0', slen) == NULL, KG_ERR_FORMAT);
		}
	}
	return KG_OK;
}

static int parse_body(kg_buf *b, enum kg_keytype t, kg_cert *c)
{
	kg_buf field;
	const uint8_t *p;
	size_t plen;
	GUARD(kg_buf_get_string_direct(b, &p, &plen));
	c->nonce = malloc(plen ? plen : 1);
	ENSURE(c->nonce != NULL, KG_ERR_ALLOC);
	memcpy(c->nonce, p, plen);
	c->nonce_len = plen;
	GUARD(kg_key_read_fields(t, b, &c->key));
	GUARD(kg_buf_get_u64(b, &c->serial));
	GUARD(kg_buf_get_u32(b, &c->type));
	ENSURE(c->type == KG_CERT_USER || c->type == KG_CERT_HOST, KG_ERR_FORMAT);
	GUARD(kg_buf_get_cstring(b, &c->key_id, NULL));
	GUARD(kg_buf_get_stringb(b, &field));
	while (kg_buf_len(&field) > 0) {
		ENSURE(c->nprincipals < KG_CERT_MAX_PRINCIPALS, KG_ERR_TOO_LARGE);
		char *name = NULL;
		GUARD(kg_buf_get_cstring(&field, &name, NULL));
		char **grown = realloc(c->principals, (c->nprincipals + 1) * sizeof(char *));
		if (!grown) {
			free(name);
			return KG_ERR_ALLOC;
		}
		c->principals = grown;
		c->principals[c->nprincipals++] = name;
	}
	GUARD(kg_buf_get_u64(b, &c->valid_after));
	GUARD(kg_buf_get_u64(b, &c->valid_before));
	GUARD(kg_buf_get_stringb(b, &field));
	GUARD(read_opts(&field, 1, c));
	GUARD(kg_buf_get_stringb(b, &field));
	GUARD(read_opts(&field, 0, c));
	GUARD(kg_buf_skip_string(b));  /* reserved */
	GUARD(kg_buf_get_string_direct(b, &p, &plen));
	/* The CA key must be a plain key: kg_key_from_blob knows no cert type. */
	GUARD(kg_key_from_blob(p, plen, &c->ca));
	return KG_OK;
}

int kg_cert_from_blob(const uint8_t *blob, size_t len, kg_cert **out)
{
	ENSURE(out != NULL && (blob != NULL || len == 0), KG_ERR_ARG);
	*out = NULL;
	ENSURE(len <= KG_CERT_BLOB_MAX, KG_ERR_TOO_LARGE);
	kg_buf b;
	const uint8_t *name;
	size_t namelen;
	kg_buf_view(&b, blob, len);
	GUARD(kg_buf_get_string_direct(&b, &name, &namelen));
	enum kg_keytype t = type_by_name(name, namelen);
	ENSURE(t != KG_KEY_UNSPEC, KG_ERR_KEY_TYPE);
	kg_cert *c = calloc(1, sizeof(*c));
	ENSURE(c != NULL, KG_ERR_ALLOC);
	int r = parse_body(&b, t, c);
	const uint8_t *sig = NULL;
	size_t siglen = 0;
	if (r == KG_OK) {
		c->signed_len = len - kg_buf_len(&b);
		r = kg_buf_get_string_direct(&b, &sig, &siglen);
	}
	if (r == KG_OK && kg_buf_len(&b) != 0)
		r = KG_ERR_FORMAT;
	if (r == KG_OK) {
		c->sig = malloc(siglen ? siglen : 1);
		c->blob = malloc(len);
		if (!c->sig || !c->blob)
			r = KG_ERR_ALLOC;
	}
	if (r != KG_OK) {
		kg_cert_free(c);
		return r == KG_ERR_NO_SPACE ? KG_ERR_INCOMPLETE : r;
	}
	memcpy(c->sig, sig, siglen);
	c->siglen = siglen;
	memcpy(c->blob, blob, len);
	c->bloblen = len;
	*out = c;
	return KG_OK;
}

int kg_cert_to_blob(const kg_cert *c, kg_buf *out)
{
	ENSURE(c != NULL && out != NULL, KG_ERR_ARG);
	ENSURE(c->blob != NULL, KG_ERR_STATE);
	return kg_buf_put(out, c->blob, c->bloblen);
}

int kg_cert_from_line(const char *line, kg_cert **out)
{
	ENSURE(line != NULL && out != NULL, KG_ERR_ARG);
	*out = NULL;
	kg_key_line f;
	kg_key_line_split(line, &f);
	enum kg_keytype t = type_by_name((const uint8_t *)f.type, f.type_len);
	ENSURE(t != KG_KEY_UNSPEC, KG_ERR_KEY_TYPE);
	ENSURE(f.b64_len > 0, KG_ERR_FORMAT);
	ENSURE(!kg_key_line_breaks(&f), KG_ERR_FORMAT);
	kg_buf blob;
	kg_cert *c = NULL;
	int r = kg_key_line_decode(&f, KG_CERT_BLOB_MAX, &blob);
	if (r == KG_OK)
		r = kg_cert_from_blob(kg_buf_ptr(&blob), kg_buf_len(&blob), &c);
	kg_buf_free(&blob);
	GUARD(r);
	if (c->key->type != t) {
		kg_cert_free(c);
		return KG_ERR_FORMAT;
	}
	if (f.comment_len > 0 && (c->comment = strndup(f.comment, f.comment_len)) == NULL) {
		kg_cert_free(c);
		return KG_ERR_ALLOC;
	}
	*out = c;
	return KG_OK;
}

int kg_cert_to_line(const kg_cert *c, kg_buf *out)
{
	ENSURE(c != NULL && out != NULL, KG_ERR_ARG);
	ENSURE(c->blob != NULL, KG_ERR_STATE);
	ENSURE(!c->comment || strpbrk(c->comment, "\r\n") == NULL, KG_ERR_ARG);
	size_t before = kg_buf_len(out);
	int r = kg_buf_putf(out, "%s ", kg_cert_type_name(c->key->type));
	if (r == KG_OK)
		r = kg_buf_put_base64(out, c->blob, c->bloblen, 1);
	if (r == KG_OK && c->comment && c->comment[0])
		r = kg_buf_putf(out, " %s", c->comment);
	if (r != KG_OK && kg_buf_len(out) > before && kg_buf_consume_end(out, kg_buf_len(out) - before) != KG_OK)
		kg_buf_reset(out);
	return r;
}

/* Any change to the contents drops an old signature. */
static void unsign(kg_cert *c)
{
	free(c->blob);
	free(c->sig);
	c->blob = NULL;
	c->sig = NULL;
	c->bloblen = c->siglen = c->signed_len = 0;
}

int kg_cert_add_principal(kg_cert *c, const char *name)
{
	ENSURE(c != NULL && name != NULL, KG_ERR_ARG);
	ENSURE(c->nprincipals < KG_CERT_MAX_PRINCIPALS, KG_ERR_TOO_LARGE);
	char **grown = realloc(c->principals, (c->nprincipals + 1) * sizeof(char *));
	ENSURE(grown != NULL, KG_ERR_ALLOC);
	c->principals = grown;
	ENSURE((grown[c->nprincipals] = strdup(name)) != NULL, KG_ERR_ALLOC);
	c->nprincipals++;
	unsign(c);
	return KG_OK;
}

static int opt_cmp(const void *a, const void *b)
{
	return strcmp(((const kg_cert_opt *)a)->name, ((const kg_cert_opt *)b)->name);
}

int kg_cert_set_option(kg_cert *c, int critical, const char *name, const uint8_t *data,
		       size_t len)
{
	ENSURE(c != NULL && name != NULL && name[0] && (data != NULL || len == 0), KG_ERR_ARG);
	kg_cert_opt **list = critical ? &c->crit : &c->ext;
	size_t *n = critical ? &c->ncrit : &c->next;
	uint8_t *copy = malloc(len ? len : 1);
	ENSURE(copy != NULL, KG_ERR_ALLOC);
	if (len)
		memcpy(copy, data, len);
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*list)[i].name, name) == 0) {
			free((*list)[i].data);
			(*list)[i].data = copy;
			(*list)[i].len = len;
			unsign(c);
			return KG_OK;
		}
	}
	kg_cert_opt *grown = NULL;
	if (*n < KG_CERT_MAX_OPTIONS)
		grown = realloc(*list, (*n + 1) * sizeof(**list));
	if (!grown) {
		free(copy);
		return *n < KG_CERT_MAX_OPTIONS ? KG_ERR_ALLOC : KG_ERR_TOO_LARGE;
	}
	*list = grown;
	if ((grown[*n].name = strdup(name)) == NULL) {
		free(copy);
		return KG_ERR_ALLOC;
	}
	grown[*n].data = copy;
	grown[*n].len = len;
	(*n)++;
	qsort(grown, *n, sizeof(*grown), opt_cmp);
	if (critical) {
		int known = 0;
		for (size_t i = 0; i < KG_ARRAY_LEN(known_critical); i++)
			if (strcmp(name, known_critical[i]) == 0)
				known = 1;
		if (!known)
			c->unknown_critical = 1;
	}
	unsign(c);
	return KG_OK;
}

void kg_cert_clear_options(kg_cert *c, int critical)
{
	if (!c)
		return;
	if (critical) {
		free_opts(c->crit, c->ncrit);
		c->crit = NULL;
		c->ncrit = 0;
		c->unknown_critical = 0;
	} else {
		free_opts(c->ext, c->next);
		c->ext = NULL;
		c->next = 0;
	}
	unsign(c);
}

const kg_cert_opt *kg_cert_get_option(const kg_cert *c, int critical, const char *name)
{
	if (!c || !name)
		return NULL;
	const kg_cert_opt *list = critical ? c->crit : c->ext;
	size_t n = critical ? c->ncrit : c->next;
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].name, name) == 0)
			return &list[i];
	return NULL;
}

static int put_opts(kg_buf *out, const kg_cert_opt *o, size_t n)
{
	kg_buf field;
	kg_buf_init(&field, KG_CERT_BLOB_MAX);
	int r = KG_OK;
	for (size_t i = 0; r == KG_OK && i < n; i++) {
		r = kg_buf_put_cstring(&field, o[i].name);
		if (r == KG_OK)
			r = kg_buf_put_string(&field, o[i].data, o[i].len);
	}
	if (r == KG_OK)
		r = kg_buf_put_stringb(out, &field);
	kg_buf_free(&field);
	return r;
}

/* The part of the blob the CA signs: every field up to the signature key. */
static int put_tbs(const kg_cert *c, const kg_key *ca, kg_buf *out)
{
	kg_buf field;
	int r;
	GUARD(kg_buf_put_cstring(out, kg_cert_type_name(c->key->type)));
	GUARD(kg_buf_put_string(out, c->nonce, c->nonce_len));
	GUARD(kg_key_write_fields(c->key, out));
	GUARD(kg_buf_put_u64(out, c->serial));
	GUARD(kg_buf_put_u32(out, c->type));
	GUARD(kg_buf_put_cstring(out, c->key_id ? c->key_id : ""));
	kg_buf_init(&field, KG_CERT_BLOB_MAX);
	r = KG_OK;
	for (size_t i = 0; r == KG_OK && i < c->nprincipals; i++)
		r = kg_buf_put_cstring(&field, c->principals[i]);
	if (r == KG_OK)
		r = kg_buf_put_stringb(out, &field);
	kg_buf_free(&field);
	GUARD(r);
	GUARD(kg_buf_put_u64(out, c->valid_after));
	GUARD(kg_buf_put_u64(out, c->valid_before));
	GUARD(put_opts(out, c->crit, c->ncrit));
	GUARD(put_opts(out, c->ext, c->next));
	GUARD(kg_buf_put_string(out, NULL, 0));  /* reserved */
	kg_buf_init(&field, KG_CERT_BLOB_MAX);
	r = kg_key_to_blob(ca, &field);
	if (r == KG_OK)
		r = kg_buf_put_stringb(out, &field);
	kg_buf_free(&field);
	return r;
}

int kg_cert_sign(kg_cert *c, const kg_key *ca, const char *sigalg)
{
	ENSURE(c != NULL && c->key != NULL && ca != NULL && ca->has_private, KG_ERR_ARG);
	ENSURE(c->type == KG_CERT_USER || c->type == KG_CERT_HOST, KG_ERR_ARG);
	ENSURE(sigalg == NULL || kg_key_sigalg_ok(ca, sigalg), KG_ERR_ARG);
	if (!c->nonce) {
		c->nonce = malloc(CERT_NONCE_LEN);
		ENSURE(c->nonce != NULL, KG_ERR_ALLOC);
		if (RAND_bytes(c->nonce, CERT_NONCE_LEN) != 1) {
			free(c->nonce);
			c->nonce = NULL;
			return KG_ERR_CRYPTO;
		}
		c->nonce_len = CERT_NONCE_LEN;
	}
	unsign(c);
	kg_key *capub = NULL;
	GUARD(kg_key_public_copy(ca, &capub));
	kg_buf b, sig;
	kg_buf_init(&b, KG_CERT_BLOB_MAX);
	kg_buf_init(&sig, KG_CERT_BLOB_MAX);
	int r = put_tbs(c, capub, &b);
	size_t tbs = kg_buf_len(&b);
	if (r == KG_OK)
		r = kg_key_sign(ca, sigalg, kg_buf_ptr(&b), tbs, &sig);
	if (r == KG_OK)
		r = kg_buf_put_stringb(&b, &sig);
	if (r == KG_OK) {
		c->blob = malloc(kg_buf_len(&b));
		c->sig = malloc(kg_buf_len(&sig));
		if (!c->blob || !c->sig)
			r = KG_ERR_ALLOC;
	}
	if (r == KG_OK) {
		memcpy(c->blob, kg_buf_ptr(&b), kg_buf_len(&b));
		c->bloblen = kg_buf_len(&b);
		c->signed_len = tbs;
		memcpy(c->sig, kg_buf_ptr(&sig), kg_buf_len(&sig));
		c->siglen = kg_buf_len(&sig);
		free(capub->comment);
		capub->comment = NULL;
		kg_key_free(c->ca);
		c->ca = capub;
		capub = NULL;
	} else {
		unsign(c);
	}
	kg_key_free(capub);
	kg_buf_free(&b);
	kg_buf_free(&sig);
	return r;
}

int kg_cert_verify_sig(const kg_cert *c)
{
	ENSURE(c != NULL, KG_ERR_ARG);
	ENSURE(c->blob != NULL && c->ca != NULL, KG_ERR_STATE);
	return kg_key_verify(c->ca, NULL, c->sig, c->siglen, c->blob, c->signed_len);
}

int kg_cert_check(const kg_cert *c, uint64_t now, const char *principal, int want_host,
		  enum kg_cert_why *why)
{
	enum kg_cert_why w = KG_CERT_OK;
	ENSURE(c != NULL, KG_ERR_ARG);
	if (c->type != (want_host ? KG_CERT_HOST : KG_CERT_USER)) {
		w = KG_CERT_WRONG_TYPE;
	} else if (kg_cert_verify_sig(c) != KG_OK) {
		w = KG_CERT_BAD_SIGNATURE;
	} else if (now < c->valid_after) {
		w = KG_CERT_NOT_YET_VALID;
	} else if (now >= c->valid_before) {
		w = KG_CERT_EXPIRED;
	} else if (c->unknown_critical) {
		w = KG_CERT_UNKNOWN_CRITICAL;
	} else if (principal && c->nprincipals > 0) {
		w = KG_CERT_NO_PRINCIPAL;
		for (size_t i = 0; i < c->nprincipals; i++)
			if (strcmp(c->principals[i], principal) == 0)
				w = KG_CERT_OK;
	}
	if (why)
		*why = w;
	if (w == KG_CERT_OK)
		return KG_OK;
	return w == KG_CERT_BAD_SIGNATURE ? KG_ERR_SIGNATURE : KG_ERR_STATE;
}

const char *kg_cert_why_str(enum kg_cert_why why)
{
	switch (why) {
	case KG_CERT_OK: return "Certificate valid";
	case KG_CERT_WRONG_TYPE: return "Certificate invalid: not a host certificate or not a user certificate";
	case KG_CERT_NOT_YET_VALID: return "Certificate invalid: not yet valid";
	case KG_CERT_EXPIRED: return "Certificate invalid: expired";
	case KG_CERT_NO_PRINCIPAL: return "Certificate invalid: name is not a listed principal";
	case KG_CERT_UNKNOWN_CRITICAL: return "Certificate invalid: unknown critical option";
	case KG_CERT_BAD_SIGNATURE: return "Certificate signature verification failed";
	}
	return "Certificate invalid";
}
