/* Destination restrictions: parsing, the hop check, user auth requests. */
#include <stdlib.h>
#include <string.h>
#include "agent/agent-dest.h"
#include "config/config-common.h"
#include "config/known-hosts.h"

#define MAX_DESTS 64u
#define MAX_HOP_KEYS 64u
#define MSG_USERAUTH_REQUEST 50

static void hop_free(kg_agent_hop *h)
{
	for (size_t i = 0; i < h->nkeys; i++)
		kg_key_free(h->keys[i]);
	free(h->keys);
	free(h->is_ca);
	free(h->user);
	free(h->host);
	memset(h, 0, sizeof(*h));
}

void kg_agent_dest_free(kg_agent_dest *d, size_t n)
{
	if (!d)
		return;
	for (size_t i = 0; i < n; i++) {
		hop_free(&d[i].from);
		hop_free(&d[i].to);
	}
	free(d);
}

/* string user, string host, string reserved, then (string key, bool ca)*. */
static int parse_hop(kg_buf *outer, kg_agent_hop *h)
{
	kg_buf b;
	GUARD(kg_buf_get_stringb(outer, &b));
	GUARD(kg_buf_get_cstring(&b, &h->user, NULL));
	GUARD(kg_buf_get_cstring(&b, &h->host, NULL));
	GUARD(kg_buf_skip_string(&b));
	h->keys = calloc(MAX_HOP_KEYS, sizeof(*h->keys));
	h->is_ca = calloc(MAX_HOP_KEYS, sizeof(*h->is_ca));
	ENSURE(h->keys && h->is_ca, KG_ERR_ALLOC);
	while (kg_buf_len(&b) > 0) {
		ENSURE(h->nkeys < MAX_HOP_KEYS, KG_ERR_TOO_LARGE);
		const uint8_t *blob;
		size_t blen;
		uint8_t ca;
		GUARD(kg_buf_get_string_direct(&b, &blob, &blen));
		GUARD(kg_buf_get_u8(&b, &ca));
		GUARD(kg_key_from_blob(blob, blen, &h->keys[h->nkeys]));
		h->is_ca[h->nkeys++] = ca != 0;
	}
	return KG_OK;
}

static int parse_one(kg_buf *outer, kg_agent_dest *d)
{
	kg_buf b;
	GUARD(kg_buf_get_stringb(outer, &b));
	GUARD(parse_hop(&b, &d->from));
	GUARD(parse_hop(&b, &d->to));
	GUARD(kg_buf_skip_string(&b));  /* reserved */
	ENSURE(kg_buf_len(&b) == 0, KG_ERR_FORMAT);
	/* As PROTOCOL.agent asks: no "from" user; a destination with keys; an
	 * empty "from" host (this machine) with no keys. */
	ENSURE(d->from.user[0] == '\0', KG_ERR_FORMAT);
	ENSURE(d->to.host[0] != '\0' && d->to.nkeys > 0, KG_ERR_FORMAT);
	ENSURE(d->from.host[0] != '\0' || d->from.nkeys == 0, KG_ERR_FORMAT);
	ENSURE(d->from.host[0] == '\0' || d->from.nkeys > 0, KG_ERR_FORMAT);
	return KG_OK;
}

int kg_agent_dest_parse(const uint8_t *p, size_t len, kg_agent_dest **out, size_t *n)
{
	kg_buf b;
	kg_buf_view(&b, p, len);
	kg_agent_dest *v = calloc(MAX_DESTS, sizeof(*v));
	ENSURE(v != NULL, KG_ERR_ALLOC);
	size_t count = 0;
	int r = KG_OK;
	while (r >= 0 && kg_buf_len(&b) > 0) {
		if (count >= MAX_DESTS)
			r = KG_ERR_TOO_LARGE;
		else
			r = parse_one(&b, &v[count++]);
	}
	if (r >= 0 && count == 0)
		r = KG_ERR_FORMAT;
	if (r < 0) {
		kg_agent_dest_free(v, count);
		return r;
	}
	*out = v;
	*n = count;
	return KG_OK;
}

static int hop_has_key(const kg_agent_hop *h, const uint8_t *blob, size_t len)
{
	kg_key *k = NULL;
	if (kg_key_from_blob(blob, len, &k) < 0)
		return 0;
	int found = 0;
	for (size_t i = 0; i < h->nkeys && !found; i++)
		found = !h->is_ca[i] && kg_key_equal_public(h->keys[i], k);
	kg_key_free(k);
	return found;
}

/* Is the hop from -> to (from NULL: this machine) allowed for user? */
static int hop_permitted(const kg_agent_dest *d, size_t n, const kg_agent_dest_hop *from,
			 const kg_agent_dest_hop *to, const char *user)
{
	for (size_t i = 0; i < n; i++) {
		if (!from) {
			if (d[i].from.host[0] != '\0' || d[i].from.nkeys != 0)
				continue;
		} else if (!hop_has_key(&d[i].from, from->hostkey, from->hostkey_len)) {
			continue;
		}
		if (!hop_has_key(&d[i].to, to->hostkey, to->hostkey_len))
			continue;
		if (user && d[i].to.user[0] != '\0' && !kg_pattern_match(user, d[i].to.user, 0))
			continue;
		return 1;
	}
	return 0;
}

int kg_agent_dest_permitted(const kg_agent_dest *d, size_t n, const kg_agent_dest_hop *h, size_t nh,
			    const char *user)
{
	if (n == 0 || nh == 0)
		return 1;
	for (size_t i = 0; i < nh; i++) {
		const char *test_user = NULL;
		if (i == nh - 1) {
			test_user = user;
			if (h[i].forwarding && user)
				return 0;  /* a signature over a forwarding hop */
		} else if (!h[i].forwarding) {
			return 0;  /* forwarding through a hop bound for authentication */
		}
		if (!hop_permitted(d, n, i ? &h[i - 1] : NULL, &h[i], test_user))
			return 0;
	}
	return 1;
}

int kg_agent_dest_userauth(const uint8_t *data, size_t len, const uint8_t *blob, size_t blob_len,
			   const uint8_t **sid, size_t *sid_len, char **user, const uint8_t **hostkey,
			   size_t *hostkey_len)
{
	kg_buf b;
	kg_buf_view(&b, data, len);
	uint8_t type;
	int yes;
	const uint8_t *service, *method, *alg, *kb;
	size_t service_len, method_len, alg_len, kb_len;
	*user = NULL;
	*hostkey = NULL;
	*hostkey_len = 0;
	GUARD(kg_buf_get_string_direct(&b, sid, sid_len));
	ENSURE(*sid_len > 0 && *sid_len <= 64, KG_ERR_FORMAT);
	GUARD(kg_buf_get_u8(&b, &type));
	ENSURE(type == MSG_USERAUTH_REQUEST, KG_ERR_FORMAT);
	int r = kg_buf_get_cstring(&b, user, NULL);
	if (r >= 0)
		r = kg_buf_get_string_direct(&b, &service, &service_len);
	if (r >= 0)
		r = kg_buf_get_string_direct(&b, &method, &method_len);
	if (r >= 0)
		r = kg_buf_get_bool(&b, &yes);
	if (r >= 0)
		r = kg_buf_get_string_direct(&b, &alg, &alg_len);
	if (r >= 0)
		r = kg_buf_get_string_direct(&b, &kb, &kb_len);
	if (r >= 0 && (!yes || kb_len != blob_len || memcmp(kb, blob, blob_len) != 0))
		r = KG_ERR_FORMAT;
	static const char hb[] = "publickey-hostbound-v00@openssh.com";
	if (r >= 0 && method_len == sizeof(hb) - 1 && memcmp(method, hb, method_len) == 0)
		r = kg_buf_get_string_direct(&b, hostkey, hostkey_len);
	else if (r >= 0 && !(method_len == 9 && memcmp(method, "publickey", 9) == 0))
		r = KG_ERR_FORMAT;
	if (r >= 0 && kg_buf_len(&b) != 0)
		r = KG_ERR_FORMAT;
	if (r < 0) {
		free(*user);
		*user = NULL;
	}
	return r;
}

/* Adds the keys files list for host to v (deduplicated). */
static int host_keys(const char *host, const char *const *files, size_t nfiles, kg_key **v, size_t *n)
{
	for (size_t f = 0; f < nfiles; f++) {
		char *text = NULL;
		size_t len = 0;
		int r = kg_read_text_file(files[f], 0, &text, &len, NULL);
		if (r == KG_ERR_NOT_FOUND || r == KG_ERR_SYSTEM)
			continue;
		GUARD(r);
		for (char *line = text, *next; line && *line; line = next) {
			next = strchr(line, '\n');
			size_t ll = next ? (size_t)(next - line) : strlen(line);
			if (next)
				*next++ = '\0';
			while (*line == ' ' || *line == '\t')
				line++;
			if (*line == '#' || *line == '@' || *line == '\0')
				continue;  /* markers: no certificate authorities, revoked keys never */
			char *sp = strpbrk(line, " \t");
			kg_key *k = NULL;
			if (!sp || kg_key_from_line(sp, &k) < 0)
				continue;
			kg_kh_result res;
			kg_kh_result_init(&res);
			int dup = 0;
			for (size_t i = 0; i < *n; i++)
				dup |= kg_key_equal_public(v[i], k);
			if (!dup && *n < MAX_HOP_KEYS && kg_known_hosts_check(line, ll, files[f], host, 22, k, &res) >= 0 &&
			    res.status == KG_KH_MATCH) {
				free(k->comment);
				k->comment = NULL;
				v[(*n)++] = k;
				k = NULL;
			}
			kg_key_free(k);
		}
		free(text);
	}
	return KG_OK;
}

/* One hop's string: user, host, reserved, then its keys. */
static int build_hop(const char *user, const char *host, const char *const *files, size_t nfiles, int need_keys,
		     kg_buf *out, const char **missing)
{
	kg_key *keys[MAX_HOP_KEYS];
	size_t n = 0;
	kg_buf h, blob;
	kg_buf_init(&h, 0);
	kg_buf_init(&blob, 0);
	int r = need_keys ? host_keys(host, files, nfiles, keys, &n) : KG_OK;
	if (r >= 0 && need_keys && n == 0) {
		*missing = host;
		r = KG_ERR_NOT_FOUND;
	}
	if (r >= 0)
		r = kg_buf_put_cstring(&h, user);
	if (r >= 0)
		r = kg_buf_put_cstring(&h, host);
	if (r >= 0)
		r = kg_buf_put_string(&h, NULL, 0);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		kg_buf_reset(&blob);
		r = kg_key_to_blob(keys[i], &blob);
		if (r >= 0)
			r = kg_buf_put_stringb(&h, &blob);
		if (r >= 0)
			r = kg_buf_put_u8(&h, 0);
	}
	if (r >= 0)
		r = kg_buf_put_stringb(out, &h);
	for (size_t i = 0; i < n; i++)
		kg_key_free(keys[i]);
	kg_buf_free(&h);
	kg_buf_free(&blob);
	return r;
}

int kg_agent_dest_build(const char *spec, const char *const *files, size_t nfiles, kg_buf *out,
			const char **missing)
{
	char *s = strdup(spec);
	ENSURE(s != NULL, KG_ERR_ALLOC);
	char *to = strchr(s, '>'), *from = NULL;
	if (to) {
		*to++ = '\0';
		from = s;
	} else {
		to = s;
	}
	char *at = strrchr(to, '@'), *user = (char *)"";
	if (at) {
		*at = '\0';
		user = to;
		to = at + 1;
	}
	int r = KG_OK;
	if (!*to || (from && (!*from || strchr(from, '@'))))
		r = KG_ERR_ARG;
	kg_buf d;
	kg_buf_init(&d, 0);
	if (r >= 0)
		r = build_hop("", from ? from : "", files, nfiles, from != NULL, &d, missing);
	if (r >= 0)
		r = build_hop(user, to, files, nfiles, 1, &d, missing);
	if (r >= 0)
		r = kg_buf_put_string(&d, NULL, 0);
	if (r >= 0)
		r = kg_buf_put_stringb(out, &d);
	if (r == KG_ERR_NOT_FOUND)
		*missing = spec + (*missing - s);  /* name it in the caller's string */
	kg_buf_free(&d);
	free(s);
	return r;
}
