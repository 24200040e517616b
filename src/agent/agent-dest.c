/* Destination restrictions: parsing, the hop check, user auth requests. */
#include <stdlib.h>
#include <string.h>
#include "agent/agent-dest.h"
#include "config/config-common.h"

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
