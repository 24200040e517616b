/* allowed_signers lines: principals, options and key, matched against a
 * signature's key and namespace. */
#include <stdlib.h>
#include <string.h>
#include "config/config-common.h"
#include "config/allowed-signers.h"

#define AS_FIELD_MAX 4096  /* principals / options field cap */

struct as_line {
	char principals[AS_FIELD_MAX];
	char namespaces[AS_FIELD_MAX];   /* "" = any */
	int has_ns, cert_authority;
	time_t after, before;            /* 0 = unset */
	kg_key *key;
};

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int kg_allowed_signers_time(const char *s, time_t *out)
{
	ENSURE(s != NULL && out != NULL, KG_ERR_ARG);
	size_t n = strlen(s);
	int utc = n > 0 && (s[n - 1] == 'Z' || s[n - 1] == 'z');
	if (utc)
		n--;
	ENSURE(n == 8 || n == 12 || n == 14, KG_ERR_FORMAT);
	int v[6] = { 0 };
	static const int widths[6] = { 4, 2, 2, 2, 2, 2 };
	size_t o = 0;
	for (int f = 0; f < 6 && o < n; f++) {
		for (int i = 0; i < widths[f]; i++, o++) {
			ENSURE(s[o] >= '0' && s[o] <= '9', KG_ERR_FORMAT);
			v[f] = v[f] * 10 + (s[o] - '0');
		}
	}
	ENSURE(v[1] >= 1 && v[1] <= 12 && v[2] >= 1 && v[2] <= 31 && v[3] <= 23 && v[4] <= 59 && v[5] <= 60,
	       KG_ERR_FORMAT);
	struct tm tm = { .tm_year = v[0] - 1900, .tm_mon = v[1] - 1, .tm_mday = v[2], .tm_hour = v[3],
			 .tm_min = v[4], .tm_sec = v[5], .tm_isdst = -1 };
	time_t t = utc ? timegm(&tm) : mktime(&tm);
	ENSURE(t != (time_t)-1, KG_ERR_FORMAT);
	*out = t;
	return KG_OK;
}

/* Copies a field ending at an unquoted blank (quotes kept out when the
 * whole field is quoted, as for principals) into dst. */
static int take_field(const char *p, size_t n, size_t *i, char *dst, size_t cap, int strip_quotes)
{
	size_t o = 0;
	int q = 0;
	if (strip_quotes && *i < n && p[*i] == '"') {
		(*i)++;
		while (*i < n && p[*i] != '"') {
			ENSURE(o + 1 < cap, KG_ERR_TOO_LARGE);
			dst[o++] = p[(*i)++];
		}
		ENSURE(*i < n, KG_ERR_FORMAT);
		(*i)++;
	} else {
		while (*i < n && (q || !blank(p[*i]))) {
			if (p[*i] == '"')
				q = !q;
			ENSURE(o + 1 < cap, KG_ERR_TOO_LARGE);
			dst[o++] = p[(*i)++];
		}
	}
	dst[o] = '\0';
	ENSURE(o > 0, KG_ERR_FORMAT);
	return KG_OK;
}

/* name="value" at *s: copies value to dst and moves past it. */
static int opt_value(const char **s, const char *name, char *dst, size_t cap)
{
	size_t nl = strlen(name);
	if (strncasecmp(*s, name, nl) != 0 || (*s)[nl] != '=' || (*s)[nl + 1] != '"')
		return 0;
	const char *v = *s + nl + 2, *e = strchr(v, '"');
	ENSURE(e != NULL && (size_t)(e - v) < cap, KG_ERR_FORMAT);
	memcpy(dst, v, (size_t)(e - v));
	dst[e - v] = '\0';
	*s = e + 1;
	return 1;
}

static int parse_options(const char *opts, struct as_line *al)
{
	const char *s = opts;
	char val[AS_FIELD_MAX];
	while (*s) {
		int r;
		if (strncasecmp(s, "cert-authority", 14) == 0 && (s[14] == ',' || s[14] == '\0')) {
			al->cert_authority = 1;
			s += 14;
		} else if ((r = opt_value(&s, "namespaces", al->namespaces, sizeof(al->namespaces))) != 0) {
			GUARD(r);
			al->has_ns = 1;
		} else if ((r = opt_value(&s, "valid-after", val, sizeof(val))) != 0) {
			GUARD(r);
			GUARD(kg_allowed_signers_time(val, &al->after));
		} else if ((r = opt_value(&s, "valid-before", val, sizeof(val))) != 0) {
			GUARD(r);
			GUARD(kg_allowed_signers_time(val, &al->before));
		} else {
			return KG_ERR_FORMAT;
		}
		if (*s == ',')
			s++;
		else
			ENSURE(*s == '\0', KG_ERR_FORMAT);
	}
	return KG_OK;
}

/* Parses one line; 1 = a usable entry, 0 = blank/comment/bad, <0 error. */
static int parse_line(const char *p, size_t n, struct as_line *al)
{
	memset(al, 0, sizeof(*al));
	size_t i = 0;
	while (i < n && blank(p[i]))
		i++;
	if (i == n || p[i] == '#' || memchr(p, '\0', n))
		return 0;
	if (take_field(p, n, &i, al->principals, sizeof(al->principals), 1) < 0)
		return 0;
	while (i < n && blank(p[i]))
		i++;
	char *rest = strndup(p + i, n - i);
	ENSURE(rest != NULL, KG_ERR_ALLOC);
	int r = kg_key_from_line(rest, &al->key);
	if (r < 0 && r != KG_ERR_ALLOC) {
		char opts[AS_FIELD_MAX];
		size_t j = 0, rl = n - i;
		if (take_field(rest, rl, &j, opts, sizeof(opts), 0) == KG_OK && parse_options(opts, al) == KG_OK) {
			while (j < rl && blank(rest[j]))
				j++;
			r = kg_key_from_line(rest + j, &al->key);
		}
	}
	free(rest);
	if (r == KG_ERR_ALLOC)
		return r;
	return r == KG_OK ? 1 : 0;
}

static int usable(const struct as_line *al, const kg_key *key, const char *ns, time_t now)
{
	if (al->cert_authority || !kg_key_equal_public(al->key, key))
		return 0;
	if (al->after && now < al->after)
		return 0;
	if (al->before && now > al->before)
		return 0;
	if (ns && al->has_ns && kg_pattern_list_match(ns, al->namespaces, 0) != 1)
		return 0;
	return 1;
}

/* Walks the lines; for each usable one calls want(); stops at the first
 * it accepts, leaving that line in *al (caller frees al->key). */
static int walk(const char *text, size_t len, const kg_key *key, const char *ns, time_t now, const char *principal,
		struct as_line *al)
{
	ENSURE((text != NULL || len == 0) && key != NULL && al != NULL, KG_ERR_ARG);
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		int r = parse_line(text + pos, n, al);
		GUARD(r);
		pos += n + (nl ? 1 : 0);
		if (r == 1 && usable(al, key, ns, now) &&
		    (!principal || kg_pattern_list_match(principal, al->principals, 0) == 1))
			return KG_OK;
		kg_key_free(al->key);
		al->key = NULL;
	}
	return KG_ERR_NOT_FOUND;
}

int kg_allowed_signers_check(const char *text, size_t len, const char *principal, const kg_key *key,
			     const char *ns, time_t now)
{
	ENSURE(principal != NULL && ns != NULL, KG_ERR_ARG);
	struct as_line *al = calloc(1, sizeof(*al));
	ENSURE(al != NULL, KG_ERR_ALLOC);
	int r = walk(text, len, key, ns, now, principal, al);
	kg_key_free(al->key);
	free(al);
	return r;
}

int kg_allowed_signers_find(const char *text, size_t len, const kg_key *key, const char *ns, time_t now,
			    kg_buf *out)
{
	ENSURE(out != NULL, KG_ERR_ARG);
	struct as_line *al = calloc(1, sizeof(*al));
	ENSURE(al != NULL, KG_ERR_ALLOC);
	int r = walk(text, len, key, ns, now, NULL, al);
	for (char *s = al->principals, *c; r == KG_OK && s; s = c ? c + 1 : NULL) {
		c = strchr(s, ',');
		size_t n = c ? (size_t)(c - s) : strlen(s);
		r = kg_buf_put(out, s, n);
		if (r == KG_OK)
			r = kg_buf_put_u8(out, '\n');
	}
	kg_key_free(al->key);
	free(al);
	return r;
}
