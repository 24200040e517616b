/* KRL helpers over key blobs: certificate fields for revocation checks,
 * the full revocation check of a presented key, and text KRL spec lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include "core/err.h"
#include "core/key.h"
#include "core/krl.h"

#define CERT_SUFFIX "-cert-v01@openssh.com"

int kg_krl_cert_fields(const uint8_t *blob, size_t len, kg_krl_cert_ref *ref,
		       char *idbuf, size_t idlen, kg_buf *plain)
{
	kg_buf b;
	const uint8_t *t, *f;
	size_t tl, fl, sl = strlen(CERT_SUFFIX);
	kg_buf_view(&b, blob, len);
	GUARD(kg_buf_get_string_direct(&b, &t, &tl));
	ENSURE(tl > sl && memcmp(t + tl - sl, CERT_SUFFIX, sl) == 0, KG_ERR_KEY_TYPE);
	size_t base = tl - sl;
	int nf;
	if (base == 11 && memcmp(t, "ssh-ed25519", 11) == 0)
		nf = 1;
	else if ((base == 7 && memcmp(t, "ssh-rsa", 7) == 0) ||
		 (base == 19 && memcmp(t, "ecdsa-sha2-nistp", 16) == 0))
		nf = 2;
	else
		return KG_ERR_KEY_TYPE;
	GUARD(kg_buf_skip_string(&b));  /* nonce */
	if (plain)
		GUARD(kg_buf_put_string(plain, t, base));
	for (int i = 0; i < nf; i++) {
		GUARD(kg_buf_get_string_direct(&b, &f, &fl));
		if (plain)
			GUARD(kg_buf_put_string(plain, f, fl));
	}
	uint32_t ctype;
	GUARD(kg_buf_get_u64(&b, &ref->serial));
	GUARD(kg_buf_get_u32(&b, &ctype));
	GUARD(kg_buf_get_string_direct(&b, &f, &fl));
	ENSURE(fl < idlen && !memchr(f, 0, fl), KG_ERR_FORMAT);
	memcpy(idbuf, f, fl);
	idbuf[fl] = 0;
	ref->key_id = idbuf;
	uint64_t va, vb;
	GUARD(kg_buf_skip_string(&b));  /* principals */
	GUARD(kg_buf_get_u64(&b, &va));
	GUARD(kg_buf_get_u64(&b, &vb));
	for (int i = 0; i < 3; i++)
		GUARD(kg_buf_skip_string(&b));  /* critical options, extensions, reserved */
	GUARD(kg_buf_get_string_direct(&b, &ref->ca_blob, &ref->ca_len));
	ENSURE(ref->ca_len > 0, KG_ERR_FORMAT);
	GUARD(kg_buf_skip_string(&b));  /* signature */
	ENSURE(kg_buf_len(&b) == 0, KG_ERR_FORMAT);
	return KG_OK;
}

int kg_krl_check_blob(const kg_krl *k, const uint8_t *blob, size_t len)
{
	kg_krl_cert_ref ref;
	char id[1024];
	kg_buf plain;
	kg_buf_init(&plain, 64 * 1024);
	int r = kg_krl_cert_fields(blob, len, &ref, id, sizeof(id), &plain);
	if (r == KG_ERR_KEY_TYPE) {
		kg_buf_free(&plain);
		return kg_krl_check_key_blob(k, blob, len);
	}
	if (r == KG_OK)
		r = kg_krl_check_cert(k, &ref);
	if (r == KG_OK)
		r = kg_krl_check_key_blob(k, kg_buf_ptr(&plain), kg_buf_len(&plain));
	if (r == KG_OK)
		r = kg_krl_check_key_blob(k, ref.ca_blob, ref.ca_len);
	kg_buf_free(&plain);
	return r;
}

static const char *skip_ws(const char *s)
{
	return s + strspn(s, " \t");
}

/* "type base64 [comment]" to a blob (certificate lines included). */
static int line_blob(const char *s, kg_buf *out)
{
	s = skip_ws(s);
	const char *sp = s + strcspn(s, " \t");
	ENSURE(sp > s && *sp, KG_ERR_FORMAT);
	const char *b64 = skip_ws(sp);
	size_t bl = strcspn(b64, " \t\r\n");
	ENSURE(bl > 0, KG_ERR_FORMAT);
	GUARD(kg_buf_get_base64(out, b64, bl));
	kg_buf v;
	const uint8_t *t;
	size_t tl;
	kg_buf_view(&v, kg_buf_ptr(out), kg_buf_len(out));
	GUARD(kg_buf_get_string_direct(&v, &t, &tl));
	ENSURE(tl == (size_t)(sp - s) && memcmp(t, s, tl) == 0, KG_ERR_FORMAT);
	kg_krl_cert_ref ref;
	char id[1024];
	int r = kg_krl_cert_fields(kg_buf_ptr(out), kg_buf_len(out), &ref, id, sizeof(id), NULL);
	if (r == KG_OK)
		return KG_OK;
	ENSURE(r == KG_ERR_KEY_TYPE, KG_ERR_FORMAT);
	kg_key *key = NULL;
	GUARD(kg_key_from_blob(kg_buf_ptr(out), kg_buf_len(out), &key));
	kg_key_free(key);
	return KG_OK;
}

static int prefix(const char **s, const char *p)
{
	size_t n = strlen(p);
	if (strncasecmp(*s, p, n) != 0)
		return 0;
	*s = skip_ws(*s + n);
	return 1;
}

static int spec_serial(kg_krl *k, const char *s, const uint8_t *ca, size_t ca_len, char *why, int *nopfx)
{
	char *ep;
	errno = 0;
	unsigned long long a = strtoull(s, &ep, 0), b;
	if (!*s || (*ep && *ep != '-')) {
		snprintf(why, KG_KRL_WHY_LEN, "invalid serial \"%s\"", s);
		return KG_ERR_FORMAT;
	}
	if (errno == ERANGE) {
		snprintf(why, KG_KRL_WHY_LEN, "%s", "serial out of range");
		return KG_ERR_FORMAT;
	}
	b = a;
	if (*ep == '-') {
		const char *c = ep + 1;
		errno = 0;
		b = strtoull(c, &ep, 0);
		if (!*c || *ep) {
			snprintf(why, KG_KRL_WHY_LEN, "invalid serial \"%s\"", c);
			return KG_ERR_FORMAT;
		}
		if (errno == ERANGE) {
			snprintf(why, KG_KRL_WHY_LEN, "%s", "serial out of range");
			return KG_ERR_FORMAT;
		}
		if (b <= a) {
			snprintf(why, KG_KRL_WHY_LEN, "invalid serial range %llu:%llu", a, b);
			return KG_ERR_FORMAT;
		}
	}
	int r = kg_krl_revoke_serials(k, ca, ca_len, a, b);
	if (r < 0) {
		snprintf(why, KG_KRL_WHY_LEN, "%s", "update_krl_from_file: revoke serial failed");
		*nopfx = 1;
	}
	return r;
}

static int spec_key(kg_krl *k, const char *s, int how, char *why)
{
	kg_buf b;
	kg_buf_init(&b, 64 * 1024);
	int r = line_blob(s, &b);
	if (r < 0) {
		snprintf(why, KG_KRL_WHY_LEN, "invalid key: %s", r == KG_ERR_KEY_TYPE ? "unknown or unsupported key type" : "invalid format");
		kg_buf_free(&b);
		return r;
	}
	kg_krl_cert_ref ref;
	char id[1024];
	kg_buf plain;
	kg_buf_init(&plain, 64 * 1024);
	int cert = kg_krl_cert_fields(kg_buf_ptr(&b), kg_buf_len(&b), &ref, id, sizeof(id), &plain) == KG_OK;
	const uint8_t *kb = cert ? kg_buf_ptr(&plain) : kg_buf_ptr(&b);
	size_t kl = cert ? kg_buf_len(&plain) : kg_buf_len(&b);
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned hl = 0;
	if (how == 'k') {
		r = kg_krl_revoke_key_blob(k, kb, kl);
	} else if (how == '1' || how == '2') {
		r = EVP_Digest(kb, kl, h, &hl, how == '1' ? EVP_sha1() : EVP_sha256(), NULL) == 1 ? KG_OK : KG_ERR_CRYPTO;
		if (r == KG_OK)
			r = how == '1' ? kg_krl_revoke_sha1(k, h, hl) : kg_krl_revoke_sha256(k, h, hl);
	} else if (cert) {
		/* a certificate: by serial, or by key id when it has none */
		if (ref.serial)
			r = kg_krl_revoke_serials(k, ref.ca_blob, ref.ca_len, ref.serial, ref.serial);
		else
			r = kg_krl_revoke_key_id(k, ref.ca_blob, ref.ca_len, ref.key_id);
	} else {
		r = EVP_Digest(kb, kl, h, &hl, EVP_sha256(), NULL) == 1 ? KG_OK : KG_ERR_CRYPTO;
		if (r == KG_OK)
			r = kg_krl_revoke_sha256(k, h, hl);
	}
	if (r < 0)
		snprintf(why, KG_KRL_WHY_LEN, "%s", "revoke key failed");
	kg_buf_free(&plain);
	kg_buf_free(&b);
	return r;
}

static int spec_hash(kg_krl *k, const char *s, char *why)
{
	if (strncmp(s, "SHA256:", 7) != 0) {
		snprintf(why, KG_KRL_WHY_LEN, "%s", "unsupported hash algorithm");
		return KG_ERR_FORMAT;
	}
	s += 7;
	size_t n = strcspn(s, " \t\r\n");
	char pad[64];
	if (n == 0 || n > 44) {
		snprintf(why, KG_KRL_WHY_LEN, "%s", "invalid base64 hash");
		return KG_ERR_FORMAT;
	}
	memcpy(pad, s, n);
	while (n % 4)
		pad[n++] = '=';
	kg_buf b;
	kg_buf_init(&b, 256);
	int r = kg_buf_get_base64(&b, pad, n);
	if (r == KG_OK && kg_buf_len(&b) != 32)
		r = KG_ERR_FORMAT;
	if (r == KG_OK)
		r = kg_krl_revoke_sha256(k, kg_buf_ptr(&b), 32);
	if (r < 0)
		snprintf(why, KG_KRL_WHY_LEN, "%s", "invalid base64 hash");
	kg_buf_free(&b);
	return r;
}

int kg_krl_spec_line(kg_krl *k, const char *line, const uint8_t *ca, size_t ca_len, int wild,
		     char *why, int *nolinepfx)
{
	snprintf(why, KG_KRL_WHY_LEN, "%s", "");
	*nolinepfx = 0;
	const char *s = skip_ws(line);
	if (!*s || *s == '#' || *s == '\n' || *s == '\r')
		return KG_OK;
	if (prefix(&s, "serial:")) {
		if (!ca_len && !wild) {
			snprintf(why, KG_KRL_WHY_LEN, "%s", "revoking certificates by serial number requires specification of a CA key");
			*nolinepfx = 1;
			return KG_ERR_ARG;
		}
		return spec_serial(k, s, ca, ca_len, why, nolinepfx);
	}
	if (prefix(&s, "id:")) {
		if (!ca_len && !wild) {
			snprintf(why, KG_KRL_WHY_LEN, "%s", "revoking certificates by key ID requires specification of a CA key");
			*nolinepfx = 1;
			return KG_ERR_ARG;
		}
		int r = kg_krl_revoke_key_id(k, ca, ca_len, s);
		if (r < 0)
			snprintf(why, KG_KRL_WHY_LEN, "%s", "revoke key ID failed");
		return r;
	}
	if (prefix(&s, "hash:"))
		return spec_hash(k, s, why);
	if (prefix(&s, "key:"))
		return spec_key(k, s, 'k', why);
	if (prefix(&s, "sha1:"))
		return spec_key(k, s, '1', why);
	if (prefix(&s, "sha256:"))
		return spec_key(k, s, '2', why);
	return spec_key(k, s, 0, why);
}
