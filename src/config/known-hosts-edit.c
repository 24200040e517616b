/* known_hosts line classification and the -F / -R / -H edits, matching
 * OpenSSH's ssh-keygen line for line. */
#include <stdlib.h>
#include <string.h>
#include "config/config-common.h"
#include "config/known-hosts.h"
#include "config/known-hosts-edit.h"

#define KHE_TYPE_MAX 128   /* longest key type name OpenSSH knows is < 64 */

/* Key type names OpenSSH's ssh-keygen accepts on a known_hosts line (it
 * checks only the name unless it needs the key), so kagi keeps the same
 * lines valid even for types it cannot use. */
static const char *const known_types[] = {
	"ssh-ed25519", "sk-ssh-ed25519@openssh.com", "ssh-rsa", "rsa-sha2-256", "rsa-sha2-512", "ssh-dss",
	"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
	"sk-ecdsa-sha2-nistp256@openssh.com", "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
	"ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com",
	"ssh-rsa-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com", "rsa-sha2-512-cert-v01@openssh.com",
	"ssh-dss-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
	"ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp521-cert-v01@openssh.com",
	"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
};

static int known_type(const char *p, size_t n)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(known_types); i++)
		if (strlen(known_types[i]) == n && memcmp(known_types[i], p, n) == 0)
			return 1;
	return 0;
}

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

/* "@cert-authority" / "@revoked" followed by a blank; anything else is an error. */
static int markers(const char *p, size_t n, size_t *i, enum kg_khe_marker *mk)
{
	*mk = KG_KHE_MK_NONE;
	while (*i < n && p[*i] == '@') {
		if (*mk != KG_KHE_MK_NONE)
			return -1;  /* only one marker per line */
		static const char ca[] = "@cert-authority", rv[] = "@revoked";
		size_t rest = n - *i;
		if (rest > sizeof(ca) - 1 && memcmp(p + *i, ca, sizeof(ca) - 1) == 0 && blank(p[*i + sizeof(ca) - 1])) {
			*mk = KG_KHE_MK_CA;
			*i += sizeof(ca) - 1;
		} else if (rest > sizeof(rv) - 1 && memcmp(p + *i, rv, sizeof(rv) - 1) == 0 &&
			   blank(p[*i + sizeof(rv) - 1])) {
			*mk = KG_KHE_MK_REVOKED;
			*i += sizeof(rv) - 1;
		} else {
			return -1;
		}
		while (*i < n && blank(p[*i]))
			(*i)++;
	}
	return 0;
}

/* 1 if host matches the host field, 0 if not, -1 for a malformed hash.
 * Like OpenSSH, patterns compare without case but a hashed name is the
 * hash of the name exactly as given. */
static int host_matches(const char *field, size_t flen, const char *host, const char *lhost)
{
	if (field[0] == '|') {
		int r = kg_known_hosts_hash_matches(field, flen, host);
		return r < 0 ? (r == KG_ERR_FORMAT ? -1 : r) : r;
	}
	char *pat = strndup(field, flen);
	ENSURE(pat != NULL, KG_ERR_ALLOC);
	int r = kg_pattern_list_match(lhost, pat, 1) == 1;
	free(pat);
	return r;
}

/* Fills l from one line (p, n); returns 0, or 1 to skip the line (not
 * wanted), or a negative error. */
static int classify(const char *p, size_t n, const char *host, const char *lhost, int want_match, int parse_key,
		    kg_khe_line *l)
{
	size_t i = 0;
	while (i < n && blank(p[i]))
		i++;
	if (i == n || p[i] == '#' || memchr(p, '\0', n) != NULL) {
		l->status = KG_KHE_COMMENT;
		return want_match ? 1 : 0;
	}
	l->status = KG_KHE_OK;
	if (markers(p, n, &i, &l->marker) < 0) {
		l->status = KG_KHE_INVALID;
		return want_match ? 1 : 0;
	}
	l->hosts = p + i;
	while (i < n && !blank(p[i]))
		i++;
	l->hosts_len = (size_t)(p + i - l->hosts);
	if (host) {
		int m = l->hosts_len ? host_matches(l->hosts, l->hosts_len, host, lhost) : 0;
		if (m == KG_ERR_ALLOC || m == KG_ERR_CRYPTO)
			return m;
		if (m < 0) {
			l->status = KG_KHE_INVALID;
			return 0;
		}
		if (m == 1)
			l->status = KG_KHE_MATCHED;
		else if (want_match)
			return 1;
	}
	while (i < n && blank(p[i]))
		i++;
	if (i == n || p[i] == '#')
		goto bad;  /* truncated before the key type */
	l->rawkey = p + i;
	l->rawkey_len = n - i;
	size_t t = i;
	while (i < n && !blank(p[i]))
		i++;
	size_t tl = i - t;
	if (tl <= 1 || tl >= KHE_TYPE_MAX || i == n || !known_type(p + t, tl))
		goto bad;
	while (i < n && blank(p[i]))
		i++;
	if (i == n || p[i] == '#')
		goto bad;  /* truncated after the key type */
	while (i < n && !blank(p[i]))
		i++;
	size_t be = i;
	while (i < n && blank(p[i]))
		i++;
	l->comment = p + i;
	l->comment_len = n - i;
	if (parse_key) {
		char *text = strndup(p + t, be - t);
		ENSURE(text != NULL, KG_ERR_ALLOC);
		int r = kg_key_from_line(text, &l->key);
		free(text);
		if (r == KG_ERR_ALLOC)
			return r;
		if (r < 0)
			goto bad;
	}
	return 0;
bad:
	kg_key_free(l->key);
	l->key = NULL;
	l->status = KG_KHE_INVALID;
	return 0;
}

int kg_khe_foreach(const char *text, size_t len, const char *host, int want_match, int parse_key,
		   kg_khe_cb cb, void *arg)
{
	ENSURE((text != NULL || len == 0) && cb != NULL, KG_ERR_ARG);
	char *lhost = NULL;
	if (host) {
		lhost = strdup(host);
		ENSURE(lhost != NULL, KG_ERR_ALLOC);
		for (char *c = lhost; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c + 32);
	}
	int r = KG_OK;
	size_t pos = 0, lineno = 0;
	while (pos < len && r >= 0) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		kg_khe_line l = { .lineno = ++lineno, .line = text + pos, .len = n };
		r = classify(text + pos, n, host, lhost, want_match, parse_key, &l);
		if (r == 0)
			r = cb(&l, arg);
		else if (r == 1)
			r = KG_OK;
		kg_key_free(l.key);
		pos += n + (nl ? 1 : 0);
	}
	free(lhost);
	return r < 0 ? r : KG_OK;
}

void kg_khe_result_init(kg_khe_result *res)
{
	memset(res, 0, sizeof(*res));
	kg_buf_init(&res->out, 64u * 1024 * 1024);
	kg_buf_init(&res->msgs, 0);
	kg_buf_init(&res->errs, 0);
}

void kg_khe_result_free(kg_khe_result *res)
{
	kg_buf_free(&res->out);
	kg_buf_free(&res->msgs);
	kg_buf_free(&res->errs);
}

struct edit {
	kg_khe_result *res;
	const char *host, *path;
	enum kg_khe_show show;
	enum kg_fp_hash fp;
	int quiet, find;
};

static int put_line(kg_buf *b, const char *p, size_t n)
{
	GUARD(kg_buf_put(b, p, n));
	return kg_buf_put_u8(b, '\n');
}

/* One entry hashed: "|1|..|.. rawkey" per comma-separated name, or the
 * line unchanged when it is hashed already, has wildcards or a marker. */
static int hash_entry(const kg_khe_line *l, struct edit *e)
{
	kg_khe_result *res = e->res;
	int was_hashed = l->hosts_len && l->hosts[0] == '|';
	int wild = 0;
	for (size_t i = 0; i < l->hosts_len; i++)
		wild |= l->hosts[i] == '*' || l->hosts[i] == '?' || l->hosts[i] == '!';
	if (was_hashed || wild || l->marker != KG_KHE_MK_NONE) {
		GUARD(put_line(&res->out, l->line, l->len));
		if (wild && !e->find)
			GUARD(kg_buf_putf(&res->errs, "%s:%zu: ignoring host name with wildcard: %.*s\n", e->path,
					  l->lineno, (int)(l->hosts_len > 64 ? 64 : l->hosts_len), l->hosts));
		return KG_OK;
	}
	size_t s = 0;
	while (s < l->hosts_len) {
		size_t c = s;
		while (c < l->hosts_len && l->hosts[c] != ',')
			c++;
		if (c == s)
			break;  /* an empty name ends the list, as strsep does for OpenSSH */
		char name[1100];
		size_t nn = c - s < sizeof(name) - 1 ? c - s : sizeof(name) - 1;
		for (size_t i = 0; i < nn; i++) {
			char ch = l->hosts[s + i];
			name[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
		}
		name[nn] = '\0';
		GUARD(kg_known_hosts_hash_name(name, &res->out));
		GUARD(kg_buf_put_u8(&res->out, ' '));
		GUARD(put_line(&res->out, l->rawkey, l->rawkey_len));
		res->has_unhashed = 1;
		s = c + 1;
	}
	return KG_OK;
}

static int invalid_line(const kg_khe_line *l, struct edit *e)
{
	e->res->invalid = 1;
	return kg_buf_putf(&e->res->errs, "%s:%zu: invalid line\n", e->path, l->lineno);
}

static int find_cb(const kg_khe_line *l, void *arg)
{
	struct edit *e = arg;
	kg_khe_result *res = e->res;
	if (l->status != KG_KHE_MATCHED)
		return KG_OK;
	res->found = 1;
	if (!e->quiet)
		GUARD(kg_buf_putf(&res->out, "# Host %s found: line %zu %s\n", e->host, l->lineno,
				  l->marker == KG_KHE_MK_CA ? "CA" : l->marker == KG_KHE_MK_REVOKED ? "REVOKED" : ""));
	if (e->show == KG_KHE_SHOW_HASHED)
		return hash_entry(l, e);
	if (e->show == KG_KHE_SHOW_FP && l->key) {
		char fp[128];
		GUARD(kg_key_fingerprint_hash(l->key, e->fp, fp, sizeof(fp)));
		return kg_buf_putf(&res->out, "%s %s %s%s%.*s\n", e->host, kg_key_type_short(l->key->type), fp,
				   l->comment_len ? " " : "", (int)l->comment_len, l->comment);
	}
	return put_line(&res->out, l->line, l->len);
}

int kg_khe_find(const char *text, size_t len, const char *host, enum kg_khe_show show, enum kg_fp_hash fp,
		int quiet, kg_khe_result *res)
{
	ENSURE(host != NULL && res != NULL, KG_ERR_ARG);
	struct edit e = { .res = res, .host = host, .path = "", .show = show, .fp = fp, .quiet = quiet, .find = 1 };
	return kg_khe_foreach(text, len, host, 1, show == KG_KHE_SHOW_FP, find_cb, &e);
}

static int remove_cb(const kg_khe_line *l, void *arg)
{
	struct edit *e = arg;
	kg_khe_result *res = e->res;
	if (l->status == KG_KHE_MATCHED && l->marker == KG_KHE_MK_NONE) {
		res->found = 1;  /* dropped: not written to out */
		if (!e->quiet)
			GUARD(kg_buf_putf(&res->msgs, "# Host %s found: line %zu\n", e->host, l->lineno));
		return KG_OK;
	}
	if (l->status == KG_KHE_INVALID)
		GUARD(invalid_line(l, e));
	return put_line(&res->out, l->line, l->len);
}

int kg_khe_remove(const char *text, size_t len, const char *path, const char *host, int quiet,
		  kg_khe_result *res)
{
	ENSURE(host != NULL && path != NULL && res != NULL, KG_ERR_ARG);
	struct edit e = { .res = res, .host = host, .path = path, .quiet = quiet };
	return kg_khe_foreach(text, len, host, 0, 0, remove_cb, &e);
}

static int hash_cb(const kg_khe_line *l, void *arg)
{
	struct edit *e = arg;
	if (l->status == KG_KHE_OK || l->status == KG_KHE_MATCHED)
		return hash_entry(l, e);
	if (l->status == KG_KHE_INVALID)
		GUARD(invalid_line(l, e));
	return put_line(&e->res->out, l->line, l->len);
}

int kg_khe_hash(const char *text, size_t len, const char *path, kg_khe_result *res)
{
	ENSURE(path != NULL && res != NULL, KG_ERR_ARG);
	struct edit e = { .res = res, .path = path };
	return kg_khe_foreach(text, len, NULL, 0, 0, hash_cb, &e);
}
