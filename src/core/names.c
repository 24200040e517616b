/* SSH name-lists: whole-element membership, RFC 4253 7.1 negotiation, and
 * OpenSSH's configuration list syntax ("a,b", "+a", "-a*", "^a").
 *
 * Elements are compared by length and bytes, never by prefix, so
 * "aes128-ctr" is not found in "aes128-ctr2".  Empty elements ("a,,b",
 * a leading or trailing comma) are skipped rather than treated as names. */
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/names.h"

/* Walks a comma-separated list: on each call sets elem and elen to the next
 * non-empty element and returns 1, or returns 0 at the end. */
typedef struct name_iter {
	const char *p;
	const char *end;
} name_iter;

static void iter_init(name_iter *it, const char *list, size_t len)
{
	it->p = list;
	it->end = list + len;
}

static int iter_next(name_iter *it, const char **elem, size_t *elen)
{
	while (it->p < it->end) {
		const char *start = it->p;
		const char *comma = memchr(start, ',', (size_t)(it->end - start));
		const char *stop = comma ? comma : it->end;
		it->p = comma ? comma + 1 : it->end;
		if (stop > start) {
			*elem = start;
			*elen = (size_t)(stop - start);
			return 1;
		}
	}
	return 0;
}

static int list_has_n(const char *list, size_t listlen, const char *name, size_t namelen)
{
	name_iter it;
	const char *e;
	size_t elen;
	if (namelen == 0)
		return 0;
	iter_init(&it, list, listlen);
	while (iter_next(&it, &e, &elen))
		if (elen == namelen && memcmp(e, name, namelen) == 0)
			return 1;
	return 0;
}

int kg_namelist_has(const char *list, const char *name)
{
	if (list == NULL || name == NULL)
		return 0;
	return list_has_n(list, strlen(list), name, strlen(name));
}

static int copy_name(const char *s, size_t len, char **out)
{
	char *c = malloc(len + 1);
	ENSURE(c != NULL, KG_ERR_ALLOC);
	memcpy(c, s, len);
	c[len] = '\0';
	*out = c;
	return KG_OK;
}

int kg_namelist_choose(const char *client_list, const char *server_list, char **out)
{
	ENSURE(client_list != NULL && server_list != NULL && out != NULL, KG_ERR_ARG);
	*out = NULL;
	size_t slen = strlen(server_list);
	name_iter it;
	const char *e;
	size_t elen;
	iter_init(&it, client_list, strlen(client_list));
	while (iter_next(&it, &e, &elen))
		if (list_has_n(server_list, slen, e, elen))
			return copy_name(e, elen, out);
	return KG_ERR_NOT_FOUND;
}

/* Glob match of * (any run) and ? (any one byte) over counted strings.
 * Greedy with a single backtrack point: linear-ish time, no recursion, so a
 * hostile pattern like "*a*a*a*a*b" cannot blow up. */
static int glob_match_n(const char *pat, size_t plen, const char *s, size_t slen)
{
	size_t p = 0, i = 0;
	size_t star_p = SIZE_MAX, star_i = 0;
	while (i < slen) {
		if (p < plen && (pat[p] == '?' || pat[p] == s[i])) {
			p++;
			i++;
		} else if (p < plen && pat[p] == '*') {
			star_p = p++;
			star_i = i;
		} else if (star_p != SIZE_MAX) {
			p = star_p + 1;
			i = ++star_i;
		} else {
			return 0;
		}
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}

int kg_glob_match(const char *pattern, const char *s)
{
	if (pattern == NULL || s == NULL)
		return 0;
	return glob_match_n(pattern, strlen(pattern), s, strlen(s));
}

static int has_wildcard(const char *s, size_t len)
{
	return memchr(s, '*', len) != NULL || memchr(s, '?', len) != NULL;
}

/* Appends name to the comma-separated result unless already there. */
static int add_unique(kg_buf *res, const char *name, size_t len)
{
	if (list_has_n((const char *)kg_buf_ptr(res), kg_buf_len(res), name, len))
		return KG_OK;
	if (kg_buf_len(res) > 0)
		GUARD(kg_buf_put_u8(res, ','));
	return kg_buf_put(res, name, len);
}

/* Adds every name the spec list names.  Each element is a literal name or a
 * glob pattern; a pattern adds every matching supported name in supported's
 * order.  A literal that is not supported, or a pattern matching nothing,
 * is a configuration error (most likely a typo). */
static int add_spec_names(kg_buf *res, const char *spec, size_t speclen,
			  const char *supported, size_t suplen)
{
	name_iter it, sit;
	const char *e, *s;
	size_t elen, slen;
	iter_init(&it, spec, speclen);
	while (iter_next(&it, &e, &elen)) {
		int matched = 0;
		if (!has_wildcard(e, elen)) {
			ENSURE(list_has_n(supported, suplen, e, elen), KG_ERR_CONFIG);
			GUARD(add_unique(res, e, elen));
			continue;
		}
		iter_init(&sit, supported, suplen);
		while (iter_next(&sit, &s, &slen)) {
			if (!glob_match_n(e, elen, s, slen))
				continue;
			matched = 1;
			GUARD(add_unique(res, s, slen));
		}
		ENSURE(matched, KG_ERR_CONFIG);
	}
	return KG_OK;
}

/* Adds the defaults, skipping names this build does not support and names
 * matching any pattern in `remove` (removelen 0 removes nothing). */
static int add_defaults(kg_buf *res, const char *defaults, const char *supported, size_t suplen,
			const char *remove, size_t removelen)
{
	name_iter it, rit;
	const char *e, *r;
	size_t elen, rlen;
	iter_init(&it, defaults, strlen(defaults));
	while (iter_next(&it, &e, &elen)) {
		if (!list_has_n(supported, suplen, e, elen))
			continue;
		int removed = 0;
		iter_init(&rit, remove, removelen);
		while (!removed && iter_next(&rit, &r, &rlen))
			removed = glob_match_n(r, rlen, e, elen);
		if (!removed)
			GUARD(add_unique(res, e, elen));
	}
	return KG_OK;
}

/* Literal names in a removal list must still be real names, so a typo in
 * "-aes128-cbcc" is reported instead of silently removing nothing. */
static int check_remove_names(const char *remove, size_t removelen, const char *supported,
			      size_t suplen)
{
	name_iter it;
	const char *e;
	size_t elen;
	iter_init(&it, remove, removelen);
	while (iter_next(&it, &e, &elen))
		if (!has_wildcard(e, elen))
			ENSURE(list_has_n(supported, suplen, e, elen), KG_ERR_CONFIG);
	return KG_OK;
}

static int assemble(kg_buf *res, const char *defaults, const char *supported, const char *spec)
{
	size_t suplen = strlen(supported);
	size_t speclen = strlen(spec);
	if (speclen == 0)
		return add_defaults(res, defaults, supported, suplen, "", 0);
	const char *rest = spec + 1;
	size_t restlen = speclen - 1;
	switch (spec[0]) {
	case '+':
		GUARD(add_defaults(res, defaults, supported, suplen, "", 0));
		return add_spec_names(res, rest, restlen, supported, suplen);
	case '-':
		GUARD(check_remove_names(rest, restlen, supported, suplen));
		return add_defaults(res, defaults, supported, suplen, rest, restlen);
	case '^':
		GUARD(add_spec_names(res, rest, restlen, supported, suplen));
		return add_defaults(res, defaults, supported, suplen, "", 0);
	default:
		return add_spec_names(res, spec, speclen, supported, suplen);
	}
}

int kg_alglist_assemble(const char *defaults, const char *supported, const char *spec, char **out)
{
	ENSURE(defaults != NULL && supported != NULL && out != NULL, KG_ERR_ARG);
	*out = NULL;
	if (spec == NULL)
		spec = "";
	/* Every result name is a default or a supported name, each at most
	 * once, so this bounds the result. */
	size_t cap = strlen(defaults) + strlen(supported) + 2;
	kg_buf res;
	kg_buf_init(&res, cap < KG_BUF_HARD_MAX ? cap : KG_BUF_HARD_MAX);
	int r;
	GUARD_GOTO(r, assemble(&res, defaults, supported, spec), done);
	ENSURE_GOTO(r, kg_buf_len(&res) > 0, KG_ERR_CONFIG, done);
	GUARD_GOTO(r, copy_name((const char *)kg_buf_ptr(&res), kg_buf_len(&res), out), done);
done:
	kg_buf_free(&res);
	return r;
}
