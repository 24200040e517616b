/* The agent's key table with lifetimes on the loop's monotonic timers. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "agent/agent-keys.h"

void kg_agent_keys_init(kg_agent_keys *t, kg_loop *loop)
{
	memset(t, 0, sizeof(*t));
	t->loop = loop;
	t->now = kg_monotonic_ms;
}

static void entry_free(kg_agent_entry *e)
{
	kg_key_free(e->key);  /* libcrypto clears private key material */
	kg_agent_dest_free(e->dest, e->ndest);
	free(e->blob);
	if (e->comment) {
		OPENSSL_cleanse(e->comment, strlen(e->comment));
		free(e->comment);
	}
	memset(e, 0, sizeof(*e));
}

static void drop(kg_agent_keys *t, size_t i)
{
	entry_free(&t->v[i]);
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(*t->v));
	t->n--;
}

static void on_timer(void *ctx, uint64_t id);

/* Sets the timer for the nearest deadline (or none). */
static void rearm(kg_agent_keys *t)
{
	if (!t->loop)
		return;
	if (t->timer_set)
		(void)!kg_loop_cancel_timer(t->loop, t->timer);
	t->timer_set = 0;
	uint64_t next = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].expires_ms && (!next || t->v[i].expires_ms < next))
			next = t->v[i].expires_ms;
	if (!next)
		return;
	uint64_t now = t->now();
	if (kg_loop_add_timer(t->loop, next > now ? next - now : 0, on_timer, t, &t->timer) == KG_OK)
		t->timer_set = 1;
}

static void on_timer(void *ctx, uint64_t id)
{
	kg_agent_keys *t = ctx;
	(void)id;
	t->timer_set = 0;
	(void)kg_agent_keys_expire(t);
	rearm(t);
}

void kg_agent_keys_free(kg_agent_keys *t)
{
	kg_agent_keys_clear(t);
	free(t->v);
	t->v = NULL;
	t->cap = 0;
}

void kg_agent_keys_clear(kg_agent_keys *t)
{
	while (t->n > 0)
		drop(t, t->n - 1);
	rearm(t);
}

static kg_agent_entry *lookup(kg_agent_keys *t, const uint8_t *blob, size_t len, size_t *at)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].blob_len == len && memcmp(t->v[i].blob, blob, len) == 0) {
			if (at)
				*at = i;
			return &t->v[i];
		}
	return NULL;
}

int kg_agent_keys_add(kg_agent_keys *t, kg_key *key, uint32_t lifetime, int confirm, kg_agent_dest *dest,
		      size_t ndest)
{
	kg_agent_entry e;
	memset(&e, 0, sizeof(e));
	e.key = key;
	e.dest = dest;
	e.ndest = dest ? ndest : 0;
	if (!key || !key->has_private) {
		entry_free(&e);
		return KG_ERR_ARG;
	}
	kg_buf b;
	kg_buf_init(&b, 64 * 1024);
	int r = kg_key_to_blob(key, &b);
	if (r >= 0) {
		e.blob_len = kg_buf_len(&b);
		e.blob = malloc(e.blob_len ? e.blob_len : 1);
		if (!e.blob)
			r = KG_ERR_ALLOC;
		else
			memcpy(e.blob, kg_buf_ptr(&b), e.blob_len);
	}
	kg_buf_free(&b);
	if (r >= 0) {
		e.comment = strdup(key->comment ? key->comment : "");
		if (!e.comment)
			r = KG_ERR_ALLOC;
	}
	e.confirm = confirm != 0;
	e.expires_ms = lifetime ? t->now() + (uint64_t)lifetime * 1000u : 0;
	size_t at;
	kg_agent_entry *old = r >= 0 ? lookup(t, e.blob, e.blob_len, &at) : NULL;
	if (r >= 0 && old) {
		entry_free(old);
		*old = e;
		rearm(t);
		return KG_OK;
	}
	if (r >= 0 && t->n >= KG_AGENT_TABLE_MAX)
		r = KG_ERR_NO_SPACE;
	if (r >= 0 && t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 8;
		kg_agent_entry *nv = realloc(t->v, nc * sizeof(*nv));
		if (!nv)
			r = KG_ERR_ALLOC;
		else {
			t->v = nv;
			t->cap = nc;
		}
	}
	if (r < 0) {
		entry_free(&e);
		return r;
	}
	t->v[t->n++] = e;
	rearm(t);
	return KG_OK;
}

kg_agent_entry *kg_agent_keys_find(kg_agent_keys *t, const uint8_t *blob, size_t len)
{
	(void)kg_agent_keys_expire(t);
	return lookup(t, blob, len, NULL);
}

int kg_agent_keys_remove(kg_agent_keys *t, const uint8_t *blob, size_t len)
{
	size_t at;
	(void)kg_agent_keys_expire(t);
	ENSURE(lookup(t, blob, len, &at) != NULL, KG_ERR_NOT_FOUND);
	drop(t, at);
	rearm(t);
	return KG_OK;
}

size_t kg_agent_keys_expire(kg_agent_keys *t)
{
	uint64_t now = t->now();
	size_t gone = 0;
	for (size_t i = t->n; i-- > 0;)
		if (t->v[i].expires_ms && t->v[i].expires_ms <= now) {
			drop(t, i);
			gone++;
		}
	if (gone)
		rearm(t);
	return gone;
}
