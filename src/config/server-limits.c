/* Per-source limits: parses and checks PerSourceMaxStartups, PerSourceNetBlockSize, PerSourcePenalties, PerSourcePenaltyExemptList and prints them for -T. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "config/server-limits.h"

void kg_svr_penalty_defaults(kg_svr_penalty_cfg *p)
{
	*p = (kg_svr_penalty_cfg){
		.enabled = 1, .crash = 90, .authfail = 5, .noauth = 1, .invaliduser = 5, .grace_exceeded = 10,
		.refuseconnection = 10, .max = 600, .min = 15, .max_sources4 = 65536, .max_sources6 = 65536,
		.overflow4 = KG_PEN_OVERFLOW_PERMISSIVE, .overflow6 = KG_PEN_OVERFLOW_PERMISSIVE,
	};
}

static int fail(char *why, size_t whysz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
	return KG_ERR_CONFIG;
}

static int overflow_mode(const char *v, int *out)
{
	if (strcmp(v, "permissive") == 0)
		*out = KG_PEN_OVERFLOW_PERMISSIVE;
	else if (strcmp(v, "deny-all") == 0)
		*out = KG_PEN_OVERFLOW_DENY_ALL;
	else
		return KG_ERR_CONFIG;
	return KG_OK;
}

int kg_svr_penalty_parse(const char *value, kg_svr_penalty_cfg *p, char *why, size_t whysz)
{
	ENSURE(value != NULL && p != NULL, KG_ERR_ARG);
	char buf[1024];
	size_t n = strlen(value);
	if (n >= sizeof(buf))
		return fail(why, whysz, "value too long");
	memcpy(buf, value, n + 1);
	const char *seps = " \t";
	char *save = NULL;
	int words = 0, o6_set = 0;
	for (char *w = strtok_r(buf, seps, &save); w; w = strtok_r(NULL, seps, &save), words++) {
		if (strcasecmp(w, "no") == 0 || strcasecmp(w, "none") == 0 || strcasecmp(w, "yes") == 0) {
			if (words > 0 || strtok_r(NULL, seps, &save) != NULL)
				return fail(why, whysz, "\"%s\" must be the only word", w);
			p->enabled = strcasecmp(w, "yes") == 0;
			return KG_OK;
		}
		char *colon = strchr(w, ':');
		if (!colon || colon[1] == '\0')
			return fail(why, whysz, "bad penalty \"%s\"", w);
		*colon = '\0';
		const char *v = colon + 1;
		static const struct { const char *name; size_t off; } times[] = {
			{ "crash", offsetof(kg_svr_penalty_cfg, crash) },
			{ "authfail", offsetof(kg_svr_penalty_cfg, authfail) },
			{ "noauth", offsetof(kg_svr_penalty_cfg, noauth) },
			{ "invaliduser", offsetof(kg_svr_penalty_cfg, invaliduser) },
			{ "grace-exceeded", offsetof(kg_svr_penalty_cfg, grace_exceeded) },
			{ "refuseconnection", offsetof(kg_svr_penalty_cfg, refuseconnection) },
			{ "max", offsetof(kg_svr_penalty_cfg, max) },
			{ "min", offsetof(kg_svr_penalty_cfg, min) },
		};
		int done = 0;
		for (size_t i = 0; i < KG_ARRAY_LEN(times) && !done; i++) {
			if (strcmp(w, times[i].name) != 0)
				continue;
			long secs;
			if (kg_cfg_parse_time(v, &secs) != KG_OK || secs < 0 || secs > 0x7fffffffL)
				return fail(why, whysz, "bad duration \"%s\" for %s", v, w);
			*(int *)(void *)((char *)p + times[i].off) = (int)secs;
			done = 1;
		}
		if (done)
			continue;
		long num;
		if (strcmp(w, "max-sources4") == 0 || strcmp(w, "max-sources6") == 0) {
			if (kg_cfg_parse_int(v, 1, 0x7fffffffL, &num) != KG_OK)
				return fail(why, whysz, "bad number \"%s\" for %s", v, w);
			*(w[11] == '4' ? &p->max_sources4 : &p->max_sources6) = (int)num;
		} else if (strcmp(w, "overflow") == 0) {
			if (overflow_mode(v, &p->overflow4) != KG_OK)
				return fail(why, whysz, "bad overflow mode \"%s\"", v);
			if (!o6_set)
				p->overflow6 = p->overflow4;
		} else if (strcmp(w, "overflow6") == 0) {
			if (overflow_mode(v, &p->overflow6) != KG_OK)
				return fail(why, whysz, "bad overflow6 mode \"%s\"", v);
			o6_set = 1;
		} else {
			return fail(why, whysz, "unknown penalty \"%s\"", w);
		}
	}
	if (words == 0)
		return fail(why, whysz, "missing value");
	p->enabled = 1;
	return KG_OK;
}

int kg_svr_parse_cidr(const char *spec, int *family, unsigned char addr[16], int *bits)
{
	const char *slash = strchr(spec, '/');
	if (!slash)
		return 0;
	char a[64];
	size_t n = (size_t)(slash - spec);
	ENSURE(n > 0 && n < sizeof(a), KG_ERR_CONFIG);
	memcpy(a, spec, n);
	a[n] = '\0';
	long b;
	memset(addr, 0, 16);
	int fam = strchr(a, ':') ? AF_INET6 : AF_INET;
	int maxb = fam == AF_INET6 ? 128 : 32;
	ENSURE(inet_pton(fam, a, addr) == 1, KG_ERR_CONFIG);
	ENSURE(kg_cfg_parse_int(slash + 1, 0, maxb, &b) == KG_OK, KG_ERR_CONFIG);
	/* No bits set beyond the mask. */
	for (int i = (int)b; i < maxb; i++)
		ENSURE(!(addr[i / 8] & (0x80 >> (i % 8))), KG_ERR_CONFIG);
	*family = fam;
	*bits = (int)b;
	return 1;
}

static int check_exempt(const char *value, char *why, size_t whysz)
{
	if (strcasecmp(value, "none") == 0)
		return KG_OK;
	char buf[4096];
	size_t n = strlen(value);
	if (n >= sizeof(buf))
		return fail(why, whysz, "list too long");
	memcpy(buf, value, n + 1);
	char *save = NULL;
	for (char *e = strtok_r(buf, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
		const char *s = e[0] == '!' ? e + 1 : e;
		int fam, bits;
		unsigned char a[16];
		if (*s == '\0' || strspn(s, "0123456789abcdefABCDEF.:*?/") != strlen(s))
			return fail(why, whysz, "bad address \"%s\"", e);
		if (kg_svr_parse_cidr(s, &fam, a, &bits) < 0)
			return fail(why, whysz, "bad address/masklen \"%s\"", e);
	}
	return KG_OK;
}

static int parse_netblock(const char *v, int *b4, int *b6)
{
	char buf[32];
	size_t n = strlen(v);
	ENSURE(n > 0 && n < sizeof(buf), KG_ERR_CONFIG);
	memcpy(buf, v, n + 1);
	char *colon = strchr(buf, ':');
	if (colon)
		*colon++ = '\0';
	long a, b = 128;
	ENSURE(kg_cfg_parse_int(buf, 0, 32, &a) == KG_OK, KG_ERR_CONFIG);
	if (colon)
		ENSURE(kg_cfg_parse_int(colon, 0, 128, &b) == KG_OK, KG_ERR_CONFIG);
	*b4 = (int)a;
	*b6 = (int)b;
	return KG_OK;
}

static int parse_startups(const char *v, int *out)
{
	long n;
	if (strcasecmp(v, "none") == 0) {
		*out = 0;
		return KG_OK;
	}
	ENSURE(kg_cfg_parse_int(v, 1, 0x7fffffffL, &n) == KG_OK, KG_ERR_CONFIG);
	*out = (int)n;
	return KG_OK;
}

int kg_svr_limits_check(const char *keyword, const char *value, char *why, size_t whysz)
{
	int a, b;
	if (strcasecmp(keyword, "PerSourcePenalties") == 0) {
		kg_svr_penalty_cfg p;
		kg_svr_penalty_defaults(&p);
		return kg_svr_penalty_parse(value, &p, why, whysz);
	}
	if (strcasecmp(keyword, "PerSourcePenaltyExemptList") == 0)
		return check_exempt(value, why, whysz);
	if (strcasecmp(keyword, "PerSourceNetBlockSize") == 0 && parse_netblock(value, &a, &b) != KG_OK)
		return fail(why, whysz, "invalid value '%s'", value);
	if (strcasecmp(keyword, "PerSourceMaxStartups") == 0 && parse_startups(value, &a) != KG_OK)
		return fail(why, whysz, "invalid value '%s'", value);
	return KG_OK;
}

int kg_svr_limits_line(const kg_cfg_reader *r, kg_cfg_err *err)
{
	char why[200];
	if (kg_svr_limits_check(r->keyword, r->rest, why, sizeof(why)) == KG_OK)
		return KG_OK;
	kg_cfg_errf(err, r->filename, kg_cfg_line(r), "%s: %s", r->keyword, why);
	return KG_ERR_CONFIG;
}

int kg_svr_limits_get(const kg_server_config *cfg, kg_svr_limits *out)
{
	char why[256];
	memset(out, 0, sizeof(*out));
	out->netblock4 = 32;
	out->netblock6 = 128;
	kg_svr_penalty_defaults(&out->pen);
	if (cfg->per_source_max_startups)
		GUARD(parse_startups(cfg->per_source_max_startups, &out->per_source_max_startups));
	if (cfg->per_source_netblock_size)
		GUARD(parse_netblock(cfg->per_source_netblock_size, &out->netblock4, &out->netblock6));
	if (cfg->per_source_penalties)
		GUARD(kg_svr_penalty_parse(cfg->per_source_penalties, &out->pen, why, sizeof(why)));
	const char *ex = cfg->per_source_penalty_exempt;
	out->exempt = ex && strcasecmp(ex, "none") != 0 ? ex : NULL;
	return KG_OK;
}

static const char *mode_name(int m)
{
	return m == KG_PEN_OVERFLOW_DENY_ALL ? "deny-all" : "permissive";
}

void kg_svr_limits_dump(const kg_svr_limits *l, const kg_server_config *c, FILE *out)
{
	const kg_svr_penalty_cfg *p = &l->pen;
	fprintf(out, "persourcepenaltyexemptlist %s\n", l->exempt ? l->exempt : "none");
	fprintf(out, "maxstartups %d:%d:%d\n", c->max_startups_begin, c->max_startups_rate, c->max_startups_full);
	if (l->per_source_max_startups > 0)
		fprintf(out, "persourcemaxstartups %d\n", l->per_source_max_startups);
	else
		fprintf(out, "persourcemaxstartups none\n");
	fprintf(out, "persourcenetblocksize %d:%d\n", l->netblock4, l->netblock6);
	if (!p->enabled) {
		fprintf(out, "persourcepenalties no\n");
		return;
	}
	fprintf(out,
		"persourcepenalties crash:%d.000000 authfail:%d.000000 noauth:%d.000000 invaliduser:%d.000000 "
		"grace-exceeded:%d.000000 refuseconnection:%d.000000 max:%d.000000 min:%d.000000 "
		"max-sources4:%d max-sources6:%d overflow:%s overflow6:%s\n",
		p->crash, p->authfail, p->noauth, p->invaliduser, p->grace_exceeded, p->refuseconnection, p->max,
		p->min, p->max_sources4, p->max_sources6, mode_name(p->overflow4), mode_name(p->overflow6));
}
