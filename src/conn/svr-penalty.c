/* The listener's per-source penalty table and netblock grouping (see svr-penalty.h). */
#include <arpa/inet.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "conn/svr-penalty.h"

int kg_svr_exit_code(int authenticated, int grace, int attempted, int invalid_user, int failed)
{
	if (authenticated)
		return failed ? KG_SVR_EXIT_ERROR : 0;
	if (grace)
		return KG_SVR_EXIT_GRACE;
	if (attempted)
		return invalid_user ? KG_SVR_EXIT_INVALIDUSER : KG_SVR_EXIT_AUTHFAIL;
	return KG_SVR_EXIT_NOAUTH;
}

int kg_pen_kind_from_status(int authenticated, int wstatus)
{
	if (authenticated)
		return KG_PEN_NONE;
	if (WIFSIGNALED(wstatus))
		return KG_PEN_CRASH;
	switch (WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1) {
	case KG_SVR_EXIT_GRACE: return KG_PEN_GRACE;
	case KG_SVR_EXIT_AUTHFAIL: return KG_PEN_AUTHFAIL;
	case KG_SVR_EXIT_INVALIDUSER: return KG_PEN_INVALIDUSER;
	case KG_SVR_EXIT_CRASH: return KG_PEN_CRASH;
	default: return KG_PEN_NOAUTH;
	}
}

/* Skips one SSH string at *off; 0 when it does not fit. */
static int skip_string(const uint8_t *p, size_t n, size_t *off, size_t *slen)
{
	if (n - *off < 4)
		return 0;
	uint32_t l = (uint32_t)p[*off] << 24 | (uint32_t)p[*off + 1] << 16 | (uint32_t)p[*off + 2] << 8 | p[*off + 3];
	*off += 4;
	if (n - *off < l)
		return 0;
	*slen = l;
	*off += l;
	return 1;
}

int kg_svr_userauth_is_none(const uint8_t *p, size_t n)
{
	size_t off = 1, l = 0;
	if (n < 1 || !skip_string(p, n, &off, &l) || !skip_string(p, n, &off, &l) || !skip_string(p, n, &off, &l))
		return 0;
	return l == 4 && memcmp(p + off - 4, "none", 4) == 0;
}

static void mask(uint8_t *a, int bits, int total)
{
	for (int i = bits; i < total; i++)
		a[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

int kg_netkey_from_ip(const char *ip, int bits4, int bits6, kg_netkey *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, ip, out->a) == 1) {
		mask(out->a, bits4, 32);
		return KG_OK;
	}
	uint8_t a6[16];
	ENSURE(inet_pton(AF_INET6, ip, a6) == 1, KG_ERR_FORMAT);
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(a6, mapped, 12) == 0) {
		memcpy(out->a, a6 + 12, 4);
		mask(out->a, bits4, 32);
		return KG_OK;
	}
	out->v6 = 1;
	memcpy(out->a, a6, 16);
	mask(out->a, bits6, 128);
	return KG_OK;
}

int kg_netkey_eq(const kg_netkey *a, const kg_netkey *b)
{
	return a->v6 == b->v6 && memcmp(a->a, b->a, a->v6 ? 16 : 4) == 0;
}

static int entry_match(const char *e, const char *ip)
{
	int fam, bits;
	unsigned char net[16];
	int c = kg_svr_parse_cidr(e, &fam, net, &bits);
	if (c < 0)
		return 0;
	if (c == 0)
		return fnmatch(e, ip, 0) == 0;
	kg_netkey k, n;
	if (kg_netkey_from_ip(ip, fam == AF_INET ? bits : 32, fam == AF_INET6 ? bits : 128, &k) < 0)
		return 0;
	if (k.v6 != (fam == AF_INET6))
		return 0;
	memset(&n, 0, sizeof(n));
	n.v6 = k.v6;
	memcpy(n.a, net, 16);
	return kg_netkey_eq(&k, &n);
}

int kg_svr_exempt_match(const char *list, const char *ip)
{
	if (!list || !ip)
		return 0;
	int hit = 0;
	const char *p = list;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char e[128];
		if (n > 0 && n < sizeof(e)) {
			memcpy(e, p, n);
			e[n] = '\0';
			int neg = e[0] == '!';
			if (entry_match(e + neg, ip)) {
				if (neg)
					return 0;
				hit = 1;
			}
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return hit;
}

const char *kg_pen_kind_name(int kind)
{
	switch (kind) {
	case KG_PEN_CRASH: return "caused crash";
	case KG_PEN_AUTHFAIL: return "failed authentication";
	case KG_PEN_NOAUTH: return "no authentication attempted";
	case KG_PEN_INVALIDUSER: return "invalid user";
	case KG_PEN_GRACE: return "exceeded LoginGraceTime";
	case KG_PEN_REFUSED: return "refused connection";
	default: return "none";
	}
}

int kg_pen_kind_secs(const kg_svr_penalty_cfg *cfg, int kind)
{
	switch (kind) {
	case KG_PEN_CRASH: return cfg->crash;
	case KG_PEN_AUTHFAIL: return cfg->authfail;
	case KG_PEN_NOAUTH: return cfg->noauth;
	case KG_PEN_INVALIDUSER: return cfg->invaliduser;
	case KG_PEN_GRACE: return cfg->grace_exceeded;
	case KG_PEN_REFUSED: return cfg->refuseconnection;
	default: return 0;
	}
}

void kg_penalty_init(kg_penalty_table *t, const kg_svr_penalty_cfg *cfg)
{
	memset(t, 0, sizeof(*t));
	t->cfg = *cfg;
}

void kg_penalty_free(kg_penalty_table *t)
{
	free(t->v[0]);
	free(t->v[1]);
	memset(t, 0, sizeof(*t));
}

static void expire(kg_penalty_table *t, int f, uint64_t now)
{
	for (size_t i = 0; i < t->n[f];) {
		if (t->v[f][i].expiry_ms <= now)
			t->v[f][i] = t->v[f][--t->n[f]];
		else
			i++;
	}
	size_t max = (size_t)(f ? t->cfg.max_sources6 : t->cfg.max_sources4);
	if (t->overflowed[f] && t->n[f] < max)
		t->overflowed[f] = 0;
}

static kg_penalty *find(kg_penalty_table *t, const kg_netkey *key)
{
	int f = key->v6;
	for (size_t i = 0; i < t->n[f]; i++)
		if (kg_netkey_eq(&t->v[f][i].key, key))
			return &t->v[f][i];
	return NULL;
}

size_t kg_penalty_count(kg_penalty_table *t, int v6, uint64_t now_ms)
{
	expire(t, v6 ? 1 : 0, now_ms);
	return t->n[v6 ? 1 : 0];
}

int kg_penalty_add(kg_penalty_table *t, const kg_netkey *key, int kind, uint64_t now_ms)
{
	int secs = kg_pen_kind_secs(&t->cfg, kind);
	if (!t->cfg.enabled || secs <= 0)
		return KG_OK;
	int f = key->v6;
	uint64_t add = (uint64_t)secs * 1000, max = (uint64_t)t->cfg.max * 1000, min = (uint64_t)t->cfg.min * 1000;
	expire(t, f, now_ms);
	kg_penalty *p = find(t, key);
	if (!p) {
		size_t cap = (size_t)(f ? t->cfg.max_sources6 : t->cfg.max_sources4);
		if (t->n[f] >= cap) {
			int mode = f ? t->cfg.overflow6 : t->cfg.overflow4;
			if (mode == KG_PEN_OVERFLOW_DENY_ALL || t->n[f] == 0) {
				t->overflowed[f] = 1;
				return KG_OK;
			}
			size_t soon = 0;
			for (size_t i = 1; i < t->n[f]; i++)
				if (t->v[f][i].expiry_ms < t->v[f][soon].expiry_ms)
					soon = i;
			t->v[f][soon] = t->v[f][--t->n[f]];
		}
		if (t->n[f] == t->cap[f]) {
			size_t nc = t->cap[f] ? t->cap[f] * 2 : 16;
			kg_penalty *nv = realloc(t->v[f], nc * sizeof(*nv));
			ENSURE(nv != NULL, KG_ERR_ALLOC);
			t->v[f] = nv;
			t->cap[f] = nc;
		}
		p = &t->v[f][t->n[f]++];
		*p = (kg_penalty){ .key = *key, .expiry_ms = now_ms, .active = 0 };
	}
	p->kind = kind;
	p->expiry_ms += add;
	if (max > 0 && p->expiry_ms - now_ms > max)
		p->expiry_ms = now_ms + max;
	if (p->expiry_ms - now_ms >= min)
		p->active = 1;
	return KG_OK;
}

int kg_penalty_check(kg_penalty_table *t, const kg_netkey *key, uint64_t now_ms, const char **why)
{
	if (!t->cfg.enabled)
		return 0;
	int f = key->v6;
	expire(t, f, now_ms);
	kg_penalty *p = find(t, key);
	if (p && p->active) {
		static const char *const label[] = {
			[KG_PEN_NONE] = "penalty", [KG_PEN_CRASH] = "penalty: caused crash",
			[KG_PEN_AUTHFAIL] = "penalty: failed authentication",
			[KG_PEN_NOAUTH] = "penalty: no authentication attempted",
			[KG_PEN_INVALIDUSER] = "penalty: invalid user",
			[KG_PEN_GRACE] = "penalty: exceeded LoginGraceTime",
			[KG_PEN_REFUSED] = "penalty: refused connection",
		};
		*why = p->kind >= 0 && p->kind <= KG_PEN_REFUSED ? label[p->kind] : label[0];
		return 1;
	}
	if (t->overflowed[f]) {
		*why = "penalty table full";
		return 1;
	}
	return 0;
}
