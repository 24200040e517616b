/* known_hosts lookup, entry formatting (optionally hashed) and append. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include "config/config-common.h"
#include "config/known-hosts.h"

#define KH_HASH_LEN 20  /* SHA-1 output and salt length of "|1|" entries */
#define KH_MAX_NAME 1100

void kg_kh_result_init(kg_kh_result *res)
{
	memset(res, 0, sizeof(*res));
	res->status = KG_KH_NEW;
}

int kg_known_hosts_name(const char *host, int port, char **out)
{
	ENSURE(host != NULL && host[0] != '\0', KG_ERR_ARG);
	size_t hn = strlen(host);
	ENSURE(hn < KH_MAX_NAME - 16, KG_ERR_TOO_LARGE);
	ENSURE(port >= 0 && port <= 65535, KG_ERR_ARG);
	char *s = malloc(hn + 16);
	ENSURE(s != NULL, KG_ERR_ALLOC);
	size_t o = 0;
	if (port != 0 && port != 22)
		s[o++] = '[';
	for (size_t i = 0; i < hn; i++) {
		char c = host[i];
		s[o++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	if (port != 0 && port != 22)
		o += (size_t)snprintf(s + o, hn + 16 - o, "]:%d", port);
	else
		s[o] = '\0';
	*out = s;
	return KG_OK;
}

static int hmac_sha1(EVP_MAC *mac, const uint8_t *salt, size_t saltlen, const char *name,
		     uint8_t out[KH_HASH_LEN])
{
	int r = KG_ERR_CRYPTO;
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	ENSURE(ctx != NULL, KG_ERR_ALLOC);
	char digest[] = "SHA1";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end(),
	};
	size_t outlen = 0;
	if (EVP_MAC_init(ctx, salt, saltlen, params) == 1 &&
	    EVP_MAC_update(ctx, (const uint8_t *)name, strlen(name)) == 1 &&
	    EVP_MAC_final(ctx, out, &outlen, KH_HASH_LEN) == 1 && outlen == KH_HASH_LEN)
		r = KG_OK;
	EVP_MAC_CTX_free(ctx);
	return r;
}

/* Decodes base64 text[0..n) that must yield exactly KH_HASH_LEN bytes. */
static int decode20(const char *text, size_t n, uint8_t out[KH_HASH_LEN])
{
	kg_buf b;
	kg_buf_init(&b, 64);
	int r = kg_buf_get_base64(&b, text, n);
	if (r == KG_OK)
		r = kg_buf_get(&b, out, KH_HASH_LEN);
	if (r == KG_OK && kg_buf_len(&b) != 0)
		r = KG_ERR_FORMAT;
	kg_buf_free(&b);
	return r < 0 ? KG_ERR_FORMAT : KG_OK;
}

static int hash_matches(EVP_MAC *mac, const char *field, size_t flen, const char *name)
{
	ENSURE(flen > 3 && memcmp(field, "|1|", 3) == 0, KG_ERR_FORMAT);
	const char *salt_b64 = field + 3;
	const char *bar = memchr(salt_b64, '|', flen - 3);
	ENSURE(bar != NULL, KG_ERR_FORMAT);
	uint8_t salt[KH_HASH_LEN], want[KH_HASH_LEN], got[KH_HASH_LEN];
	GUARD(decode20(salt_b64, (size_t)(bar - salt_b64), salt));
	GUARD(decode20(bar + 1, flen - (size_t)(bar + 1 - field), want));
	GUARD(hmac_sha1(mac, salt, sizeof(salt), name, got));
	return CRYPTO_memcmp(got, want, KH_HASH_LEN) == 0;
}

int kg_known_hosts_hash_matches(const char *field, size_t flen, const char *name)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	ENSURE(mac != NULL, KG_ERR_CRYPTO);
	int r = hash_matches(mac, field, flen, name);
	EVP_MAC_free(mac);
	return r;
}

static int is_sp(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

enum kh_marker { MK_NONE, MK_REVOKED, MK_CA };

/* One file's verdict, before merging. */
struct kh_scan {
	enum kg_kh_status status;
	size_t line, changed_line;
	int other_types;
	size_t skipped;
};

/* Looks at one line; returns KG_OK (including for skipped lines) or a
 * hard error (allocation, libcrypto). */
static int scan_line(EVP_MAC *mac, const char *p, size_t n, size_t lineno, const char *name,
		     const kg_key *key, struct kh_scan *sc)
{
	size_t i = 0;
	while (i < n && is_sp(p[i]))
		i++;
	if (i == n || p[i] == '#')
		return KG_OK;
	enum kh_marker mk = MK_NONE;
	if (p[i] == '@') {
		size_t s = i;
		while (i < n && !is_sp(p[i]))
			i++;
		if (i - s == 8 && memcmp(p + s, "@revoked", 8) == 0)
			mk = MK_REVOKED;
		else if (i - s == 15 && memcmp(p + s, "@cert-authority", 15) == 0)
			mk = MK_CA;
		else {
			sc->skipped++;
			return KG_OK;
		}
		while (i < n && is_sp(p[i]))
			i++;
	}
	size_t hs = i;
	while (i < n && !is_sp(p[i]))
		i++;
	size_t hlen = i - hs;
	while (i < n && is_sp(p[i]))
		i++;
	if (hlen == 0 || i == n || memchr(p, '\0', n) != NULL) {
		sc->skipped++;
		return KG_OK;
	}
	int hit;
	if (p[hs] == '|') {
		hit = hash_matches(mac, p + hs, hlen, name);
		if (hit == KG_ERR_ALLOC || hit == KG_ERR_CRYPTO)
			return hit;
		if (hit < 0) {
			sc->skipped++;
			return KG_OK;
		}
	} else {
		char *pat = strndup(p + hs, hlen);
		ENSURE(pat != NULL, KG_ERR_ALLOC);
		hit = kg_pattern_list_match(name, pat, 1) == 1;
		free(pat);
	}
	if (!hit || mk == MK_CA)
		return KG_OK;
	char *keytext = strndup(p + i, n - i);
	ENSURE(keytext != NULL, KG_ERR_ALLOC);
	kg_key *k = NULL;
	int r = kg_key_from_line(keytext, &k);
	free(keytext);
	if (r == KG_ERR_ALLOC)
		return r;
	if (r < 0 || k == NULL) {
		sc->skipped++;
		return KG_OK;
	}
	if (k->type != key->type) {
		if (mk == MK_NONE)
			sc->other_types++;
	} else if (kg_key_equal_public(k, key)) {
		if (mk == MK_REVOKED) {
			sc->status = KG_KH_REVOKED;
			sc->line = lineno;
		} else if (sc->status != KG_KH_REVOKED && sc->status != KG_KH_MATCH) {
			sc->status = KG_KH_MATCH;
			sc->line = lineno;
		}
	} else if (mk == MK_NONE && sc->changed_line == 0) {
		sc->changed_line = lineno;
	}
	kg_key_free(k);
	return KG_OK;
}

static int rank(enum kg_kh_status s)
{
	switch (s) {
	case KG_KH_REVOKED: return 3;
	case KG_KH_MATCH: return 2;
	case KG_KH_CHANGED: return 1;
	default: return 0;
	}
}

int kg_known_hosts_check(const char *text, size_t len, const char *filename, const char *host,
			 int port, const kg_key *key, kg_kh_result *res)
{
	ENSURE(key != NULL && res != NULL && (text != NULL || len == 0), KG_ERR_ARG);
	char *name = NULL;
	GUARD(kg_known_hosts_name(host, port, &name));
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac) {
		free(name);
		return KG_ERR_CRYPTO;
	}
	struct kh_scan sc = { .status = KG_KH_NEW };
	int r = KG_OK;
	size_t pos = 0, lineno = 0;
	while (pos < len && r == KG_OK) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		lineno++;
		r = scan_line(mac, text + pos, n, lineno, name, key, &sc);
		pos += n + (nl ? 1 : 0);
		if (sc.status == KG_KH_REVOKED)
			break;
	}
	EVP_MAC_free(mac);
	free(name);
	GUARD(r);
	if (sc.status == KG_KH_NEW && sc.changed_line) {
		sc.status = KG_KH_CHANGED;
		sc.line = sc.changed_line;
	}
	if (rank(sc.status) > rank(res->status)) {
		res->status = sc.status;
		res->file = filename;
		res->line = sc.line;
	}
	res->other_types += sc.other_types;
	res->skipped += sc.skipped;
	return KG_OK;
}

int kg_known_hosts_check_files(const char *const *files, size_t nfiles, const char *host, int port,
			       const kg_key *key, kg_kh_result *res)
{
	for (size_t i = 0; i < nfiles; i++) {
		char *text = NULL;
		size_t len = 0;
		int r = kg_read_text_file(files[i], 64u * 1024 * 1024, &text, &len, NULL);
		if (r == KG_ERR_NOT_FOUND)
			continue;
		GUARD(r);
		r = kg_known_hosts_check(text, len, files[i], host, port, key, res);
		free(text);
		GUARD(r);
	}
	return KG_OK;
}

static int put_hashed_name(const char *name, kg_buf *out)
{
	uint8_t salt[KH_HASH_LEN], h[KH_HASH_LEN];
	ENSURE(RAND_bytes(salt, sizeof(salt)) == 1, KG_ERR_CRYPTO);
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	ENSURE(mac != NULL, KG_ERR_CRYPTO);
	int r = hmac_sha1(mac, salt, sizeof(salt), name, h);
	EVP_MAC_free(mac);
	GUARD(r);
	GUARD(kg_buf_put(out, "|1|", 3));
	GUARD(kg_buf_put_base64(out, salt, sizeof(salt), 1));
	GUARD(kg_buf_put_u8(out, '|'));
	return kg_buf_put_base64(out, h, sizeof(h), 1);
}

int kg_known_hosts_hash_name(const char *name, kg_buf *out)
{
	ENSURE(name != NULL && out != NULL, KG_ERR_ARG);
	return put_hashed_name(name, out);
}

int kg_known_hosts_format_entry(const char *host, int port, const kg_key *key, int hash, kg_buf *out)
{
	ENSURE(key != NULL && out != NULL, KG_ERR_ARG);
	char *name = NULL;
	GUARD(kg_known_hosts_name(host, port, &name));
	/* Host names with blanks, commas or pattern characters would be read
	 * back as something else. */
	int r = KG_OK;
	ENSURE_GOTO(r, strpbrk(name, " \t\r\n,*?!#|@") == NULL, KG_ERR_ARG, done);
	kg_buf blob;
	kg_buf_init(&blob, 0);
	if (hash)
		r = put_hashed_name(name, out);
	else
		r = kg_buf_put(out, name, strlen(name));
	if (r == KG_OK)
		r = kg_buf_putf(out, " %s ", kg_key_type_name(key->type));
	if (r == KG_OK)
		r = kg_key_to_blob(key, &blob);
	if (r == KG_OK)
		r = kg_buf_put_base64(out, kg_buf_ptr(&blob), kg_buf_len(&blob), 1);
	if (r == KG_OK)
		r = kg_buf_put_u8(out, '\n');
	kg_buf_free(&blob);
done:
	free(name);
	return r;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		ENSURE(w > 0, KG_ERR_SYSTEM);
		p += w;
		n -= (size_t)w;
	}
	return KG_OK;
}

int kg_known_hosts_append(const char *path, const char *line, size_t len)
{
	ENSURE(path != NULL && path[0] != '\0' && line != NULL, KG_ERR_ARG);
	if (strcmp(path, "/dev/null") == 0)
		return KG_OK;  /* "UserKnownHostsFile /dev/null": keep nothing, as OpenSSH does */
	const char *slash = strrchr(path, '/');
	if (slash && slash != path) {
		char *dir = strndup(path, (size_t)(slash - path));
		ENSURE(dir != NULL, KG_ERR_ALLOC);
		int mr = mkdir(dir, 0700);
		int saved = errno;
		free(dir);
		ENSURE(mr == 0 || saved == EEXIST, KG_ERR_SYSTEM);
	}
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	ENSURE(fd >= 0, KG_ERR_SYSTEM);
	int r = KG_OK;
	struct stat st;
	ENSURE_GOTO(r, fstat(fd, &st) == 0, KG_ERR_SYSTEM, out);
	ENSURE_GOTO(r, S_ISREG(st.st_mode), KG_ERR_FORMAT, out);
	if (st.st_size > 0) {
		/* Reading needs its own descriptor: ours is write-only. */
		int rfd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		char last = '\n';
		if (rfd >= 0) {
			if (pread(rfd, &last, 1, st.st_size - 1) != 1)
				last = '\n';
			close(rfd);
		}
		if (last != '\n')
			GUARD_GOTO(r, write_all(fd, "\n", 1), out);
	}
	GUARD_GOTO(r, write_all(fd, line, len), out);
	if (len == 0 || line[len - 1] != '\n')
		GUARD_GOTO(r, write_all(fd, "\n", 1), out);
out:
	if (close(fd) != 0 && r == KG_OK)
		r = KG_ERR_SYSTEM;
	return r;
}
