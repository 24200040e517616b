/* authorized_keys: option parsing, from= address matching, key lookup, and
 * the StrictModes ownership/permission check of the file and its parents. */
#include <arpa/inet.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "config/authorized-keys.h"

void kg_ak_opts_free(kg_ak_opts *o)
{
	free(o->command);
	free(o->from);
	free(o->principals);
	free(o->tunnel);
	kg_strlist_free(&o->environment);
	kg_strlist_free(&o->permitopen);
	kg_strlist_free(&o->permitlisten);
	memset(o, 0, sizeof(*o));
}

/* ---------- options ---------- */

/* Reads a double-quoted value at *pp (end at e); \" is a quote, other
 * backslashes stay.  malloc'ed result in *out. */
static int quoted_value(const char **pp, const char *e, char **out)
{
	const char *p = *pp;
	ENSURE(p < e && *p == '"', KG_ERR_FORMAT);
	p++;
	char *v = malloc((size_t)(e - p) + 1);
	ENSURE(v != NULL, KG_ERR_ALLOC);
	size_t n = 0;
	for (;;) {
		if (p == e || *p == '\0') {
			free(v);
			return KG_ERR_FORMAT;
		}
		if (*p == '"')
			break;
		if (*p == '\\' && p + 1 < e && p[1] == '"')
			p++;
		v[n++] = *p++;
	}
	v[n] = '\0';
	*pp = p + 1;
	*out = v;
	return KG_OK;
}

static int digits_only(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

int kg_ak_parse_time(const char *s, int64_t *out)
{
	size_t n = strlen(s);
	int utc = n > 0 && (s[n - 1] == 'Z' || s[n - 1] == 'z');
	if (utc)
		n--;
	ENSURE((n == 8 || n == 12 || n == 14) && digits_only(s, n), KG_ERR_FORMAT);
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = two(s) * 100 + two(s + 2) - 1900;
	tm.tm_mon = two(s + 4) - 1;
	tm.tm_mday = two(s + 6);
	if (n >= 12) {
		tm.tm_hour = two(s + 8);
		tm.tm_min = two(s + 10);
	}
	if (n == 14)
		tm.tm_sec = two(s + 12);
	ENSURE(tm.tm_year >= 70 && tm.tm_mon >= 0 && tm.tm_mon < 12 && tm.tm_mday >= 1 &&
	       tm.tm_mday <= 31 && tm.tm_hour < 24 && tm.tm_min < 60 && tm.tm_sec < 61, KG_ERR_FORMAT);
	tm.tm_isdst = -1;
	time_t t = utc ? timegm(&tm) : mktime(&tm);
	ENSURE(t != (time_t)-1, KG_ERR_FORMAT);
	*out = (int64_t)t;
	return KG_OK;
}

static int valid_env(const char *v)
{
	const char *eq = strchr(v, '=');
	if (!eq || eq == v)
		return 0;
	for (const char *p = v; p < eq; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return 0;
	return 1;
}

/* "host:port" where port is a number or '*'; "[v6]:port" allowed.  For
 * permitlisten the host part may be missing. */
static int valid_hostport(const char *v, int host_optional)
{
	const char *colon = strrchr(v, ':');
	const char *port = colon ? colon + 1 : v;
	if (!colon && !host_optional)
		return 0;
	if (colon && colon == v)
		return 0;
	if (strcmp(port, "*") == 0)
		return 1;
	long pn = 0;
	if (*port == '\0' || kg_cfg_parse_int(port, 1, 65535, &pn) != KG_OK)
		return 0;
	return 1;
}

/* Flags that come in a plain and a "no-" form: offset of the int field
 * that the "no-" form sets. */
static const struct flagopt {
	const char *name;
	size_t off;
} flag_opts[] = {
	{ "pty", offsetof(kg_ak_opts, no_pty) },
	{ "port-forwarding", offsetof(kg_ak_opts, no_port_forwarding) },
	{ "agent-forwarding", offsetof(kg_ak_opts, no_agent_forwarding) },
	{ "x11-forwarding", offsetof(kg_ak_opts, no_x11_forwarding) },
	{ "user-rc", offsetof(kg_ak_opts, no_user_rc) },
};

/* Matches option name at p (case-insensitive); advances *pp past it. */
static int opt_is(const char **pp, const char *e, const char *name)
{
	size_t n = strlen(name);
	if ((size_t)(e - *pp) < n || strncasecmp(*pp, name, n) != 0)
		return 0;
	*pp += n;
	return 1;
}

static int parse_one(const char **pp, const char *e, kg_ak_opts *o, const char **why)
{
	const char *p = *pp;
	char *v = NULL;
	int r;
	if (opt_is(&p, e, "restrict")) {
		o->restricted = 1;
		o->no_pty = o->no_port_forwarding = o->no_agent_forwarding = 1;
		o->no_x11_forwarding = o->no_user_rc = 1;
		goto done;
	}
	if (opt_is(&p, e, "cert-authority")) {
		o->cert_authority = 1;
		goto done;
	}
	if (opt_is(&p, e, "no-touch-required")) {
		o->no_touch_required = 1;
		goto done;
	}
	if (opt_is(&p, e, "verify-required")) {
		o->verify_required = 1;
		goto done;
	}
	for (size_t i = 0; i < KG_ARRAY_LEN(flag_opts); i++) {
		const char *q = p;
		int neg = opt_is(&q, e, "no-");
		if (opt_is(&q, e, flag_opts[i].name) && (q == e || *q == ',' || *q == ' ' || *q == '\t')) {
			*(int *)(void *)((char *)o + flag_opts[i].off) = neg;
			p = q;
			goto done;
		}
	}
	static const char *const valued[] = { "command=", "from=", "principals=", "expiry-time=",
					      "environment=", "permitopen=", "permitlisten=", "tunnel=" };
	size_t which;
	for (which = 0; which < KG_ARRAY_LEN(valued); which++)
		if (opt_is(&p, e, valued[which]))
			break;
	if (which == KG_ARRAY_LEN(valued)) {
		*why = "unknown option";
		return KG_ERR_FORMAT;
	}
	r = quoted_value(&p, e, &v);
	if (r == KG_ERR_FORMAT)
		*why = "missing or unterminated quoted value";
	GUARD(r);
	char **single = NULL;
	switch (which) {
	case 0: single = &o->command; break;
	case 1: single = &o->from; break;
	case 2: single = &o->principals; break;
	case 7:
		single = &o->tunnel;
		ENSURE_GOTO(r, strcasecmp(v, "any") == 0 || (*v && digits_only(v, strlen(v))),
			    KG_ERR_FORMAT, bad);
		break;
	case 3: {
		int64_t t;
		ENSURE_GOTO(r, kg_ak_parse_time(v, &t) == KG_OK, KG_ERR_FORMAT, bad);
		/* Several expiry times: the earliest applies. */
		if (o->expiry_time == 0 || t < o->expiry_time)
			o->expiry_time = t;
		break;
	}
	case 4:
		ENSURE_GOTO(r, valid_env(v), KG_ERR_FORMAT, bad);
		GUARD_GOTO(r, kg_strlist_add(&o->environment, v), out);
		break;
	case 5:
		ENSURE_GOTO(r, valid_hostport(v, 0), KG_ERR_FORMAT, bad);
		GUARD_GOTO(r, kg_strlist_add(&o->permitopen, v), out);
		break;
	case 6:
		ENSURE_GOTO(r, valid_hostport(v, 1), KG_ERR_FORMAT, bad);
		GUARD_GOTO(r, kg_strlist_add(&o->permitlisten, v), out);
		break;
	default:
		break;
	}
	if (single) {
		if (*single) {
			*why = "option given more than once";
			r = KG_ERR_FORMAT;
			goto out;
		}
		*single = v;
		v = NULL;
	}
	free(v);
done:
	*pp = p;
	return KG_OK;
bad:
	*why = "invalid option value";
out:
	free(v);
	return r;
}

int kg_ak_parse_options(const char *text, size_t len, kg_ak_opts *o, const char **why)
{
	const char *p = text, *e = text + len;
	const char *dummy;
	if (!why)
		why = &dummy;
	*why = NULL;
	for (;;) {
		GUARD(parse_one(&p, e, o, why));
		if (p == e || *p == ' ' || *p == '\t')
			return KG_OK;
		if (*p != ',' || p + 1 == e) {
			*why = "garbage after option";
			return KG_ERR_FORMAT;
		}
		p++;
	}
}

/* ---------- permitopen= ---------- */

static int permitopen_entry_allows(const char *entry, const char *host, uint32_t port)
{
	const char *colon = strrchr(entry, ':');
	if (!colon || colon == entry)
		return 0;
	const char *h = entry;
	size_t hlen = (size_t)(colon - entry);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (!(hlen == 1 && h[0] == '*') && (strlen(host) != hlen || memcmp(h, host, hlen) != 0))
		return 0;
	if (strcmp(colon + 1, "*") == 0)
		return 1;
	long pn = 0;
	return kg_cfg_parse_int(colon + 1, 1, 65535, &pn) == KG_OK && (uint32_t)pn == port;
}

int kg_permit_entry_valid(const char *entry, int listen)
{
	return valid_hostport(entry, listen);
}

/* permitlisten: a bare port means any host; the host part is a pattern
 * matched without regard to case, as OpenSSH's remote_open_match. */
static int permitlisten_entry_allows(const char *entry, const char *host, uint32_t port)
{
	const char *colon = strrchr(entry, ':');
	const char *ps = colon ? colon + 1 : entry;
	if (strcmp(ps, "*") != 0) {
		long pn = 0;
		if (kg_cfg_parse_int(ps, 1, 65535, &pn) != KG_OK || (uint32_t)pn != port)
			return 0;
	}
	if (!colon)
		return 1;
	size_t hlen = (size_t)(colon - entry);
	const char *h = entry;
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	char pat[256];
	if (hlen == 0 || hlen >= sizeof(pat))
		return 0;
	memcpy(pat, h, hlen);
	pat[hlen] = '\0';
	return kg_pattern_match(host, pat, 1) == 1;
}

int kg_permit_entry_allows(const char *entry, int listen, const char *host, uint32_t port)
{
	return listen ? permitlisten_entry_allows(entry, host, port) : permitopen_entry_allows(entry, host, port);
}

int kg_ak_permitlisten_allows(const kg_ak_opts *o, const char *host, uint32_t port)
{
	if (o->permitlisten.n == 0)
		return 1;
	for (size_t i = 0; i < o->permitlisten.n; i++)
		if (permitlisten_entry_allows(o->permitlisten.v[i], host, port))
			return 1;
	return 0;
}

int kg_ak_permitopen_allows(const kg_ak_opts *o, const char *host, uint32_t port)
{
	if (o->permitopen.n == 0)
		return 1;
	for (size_t i = 0; i < o->permitopen.n; i++)
		if (permitopen_entry_allows(o->permitopen.v[i], host, port))
			return 1;
	return 0;
}

/* ---------- from= ---------- */

struct addr {
	int family;         /* AF_INET or AF_INET6 */
	uint8_t a[16];
};

static int parse_addr(const char *s, struct addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = AF_INET;
		return KG_OK;
	}
	if (inet_pton(AF_INET6, s, out->a) != 1)
		return KG_ERR_FORMAT;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(out->a, mapped, 12) == 0) {
		/* ::ffff:a.b.c.d is the IPv4 client seen through an IPv6 socket. */
		memmove(out->a, out->a + 12, 4);
		memset(out->a + 4, 0, 12);
		out->family = AF_INET;
	} else {
		out->family = AF_INET6;
	}
	return KG_OK;
}

/* "addr" or "addr/bits"; host bits past the mask must be zero. */
static int parse_cidr(const char *s, struct addr *net, unsigned *bits)
{
	char tmp[64];
	size_t n = strlen(s);
	ENSURE(n < sizeof(tmp), KG_ERR_FORMAT);
	memcpy(tmp, s, n + 1);
	char *slash = strchr(tmp, '/');
	if (slash)
		*slash = '\0';
	GUARD(parse_addr(tmp, net));
	unsigned max = net->family == AF_INET ? 32 : 128;
	*bits = max;
	if (slash) {
		long b;
		ENSURE(digits_only(slash + 1, strlen(slash + 1)), KG_ERR_FORMAT);
		GUARD(kg_cfg_parse_int(slash + 1, 0, (long)max, &b));
		*bits = (unsigned)b;
	}
	for (unsigned i = *bits; i < max; i++)
		ENSURE((net->a[i / 8] & (0x80 >> (i % 8))) == 0, KG_ERR_FORMAT);
	return KG_OK;
}

static int in_net(const struct addr *a, const struct addr *net, unsigned bits)
{
	if (a->family != net->family)
		return 0;
	for (unsigned i = 0; i < bits; i++) {
		uint8_t m = (uint8_t)(0x80 >> (i % 8));
		if ((a->a[i / 8] & m) != (net->a[i / 8] & m))
			return 0;
	}
	return 1;
}

int kg_addr_match_list(const char *addr, const char *list)
{
	struct addr a;
	int have_addr = addr && parse_addr(addr, &a) == KG_OK;
	int got = 0;
	const char *p = list;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char *ent = strndup(p, n);
		if (!ent)
			return -2;
		int neg = ent[0] == '!';
		const char *pat = ent + neg;
		struct addr net;
		unsigned bits;
		int hit;
		if (parse_cidr(pat, &net, &bits) == KG_OK) {
			hit = have_addr && in_net(&a, &net, bits);
		} else if (strchr(pat, '/')) {
			free(ent);
			return -2;
		} else {
			hit = addr && kg_pattern_match(addr, pat, 1);
		}
		free(ent);
		if (hit) {
			if (neg)
				return -1;
			got = 1;
		}
		if (!comma)
			return got;
		p = comma + 1;
	}
}

int kg_from_match(const char *host, const char *addr, const char *list)
{
	int mip = kg_addr_match_list(addr, list);
	if (mip == -2 || mip == -1)
		return 0;
	int mhost = host ? kg_pattern_list_match(host, list, 1) : 0;
	if (mhost == -1)
		return 0;
	return mip == 1 || mhost == 1;
}

/* ---------- lookup ---------- */

/* Key type names that can start a line without options. */
static int is_keytype(const char *p, size_t n)
{
	static const char *const types[] = {
		"ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
		"ecdsa-sha2-nistp521", "sk-ecdsa-sha2-nistp256@openssh.com", "sk-ssh-ed25519@openssh.com",
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(types); i++)
		if (strlen(types[i]) == n && memcmp(types[i], p, n) == 0)
			return 1;
	static const char cert[] = "-cert-v01@openssh.com";
	return n > sizeof(cert) - 1 && memcmp(p + n - (sizeof(cert) - 1), cert, sizeof(cert) - 1) == 0;
}

static int is_sp(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Splits a line into options [os, oe) and key text starting at *ks.
 * Returns 0 for a blank/comment line, 1 otherwise. */
static int split_entry(const char *p, size_t n, size_t *os, size_t *oe, size_t *ks)
{
	size_t i = 0;
	while (i < n && is_sp(p[i]))
		i++;
	if (i == n || p[i] == '#')
		return 0;
	size_t s = i;
	int inq = 0;
	while (i < n && (inq || !is_sp(p[i]))) {
		if (p[i] == '\\' && inq && i + 1 < n && p[i + 1] == '"')
			i++;
		else if (p[i] == '"')
			inq = !inq;
		i++;
	}
	if (is_keytype(p + s, i - s)) {
		*os = *oe = s;
		*ks = s;
		return 1;
	}
	*os = s;
	*oe = i;
	while (i < n && is_sp(p[i]))
		i++;
	*ks = i;
	return 1;
}

int kg_authorized_keys_find(const char *text, size_t len, const char *filename, const kg_key *key,
			    const char *addr, const char *host, time_t now, kg_ak_result *res)
{
	ENSURE(key != NULL && res != NULL && (text != NULL || len == 0), KG_ERR_ARG);
	memset(res, 0, sizeof(*res));
	if (!filename)
		filename = "authorized_keys";
	size_t pos = 0, lineno = 0;
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl ? 1 : 0);
		lineno++;
		size_t os, oe, ks;
		if (memchr(line, '\0', n) || !split_entry(line, n, &os, &oe, &ks) || ks == n)
			continue;
		char *keytext = strndup(line + ks, n - ks);
		ENSURE(keytext != NULL, KG_ERR_ALLOC);
		kg_key *k = NULL;
		int r = kg_key_from_line(keytext, &k);
		free(keytext);
		if (r == KG_ERR_ALLOC)
			return r;
		if (r < 0 || !k)
			continue;
		int same = kg_key_equal_public(k, key);
		kg_key_free(k);
		if (!same)
			continue;
		kg_ak_opts o;
		memset(&o, 0, sizeof(o));
		const char *why = NULL;
		if (oe > os) {
			r = kg_ak_parse_options(line + os, oe - os, &o, &why);
			if (r == KG_ERR_ALLOC) {
				kg_ak_opts_free(&o);
				return r;
			}
			if (r < 0) {
				kg_cfg_errf(&res->note, filename, lineno, "bad options: %s",
					    why ? why : "invalid");
				kg_ak_opts_free(&o);
				continue;
			}
		}
		if (o.cert_authority)
			why = "key is a certificate authority, not a user key";
		else if (o.from && !kg_from_match(host, addr, o.from))
			why = "client address not permitted by from=";
		else if (o.expiry_time != 0 && (int64_t)now > o.expiry_time)
			why = "key has expired (expiry-time)";
		if (why) {
			kg_cfg_errf(&res->note, filename, lineno, "%s", why);
			kg_ak_opts_free(&o);
			continue;
		}
		res->line = lineno;
		res->opts = o;
		res->note.msg[0] = '\0';
		return KG_OK;
	}
	return KG_ERR_NOT_FOUND;
}

/* ---------- reading with StrictModes ---------- */

static int bad_owner_or_mode(const struct stat *st, uid_t uid)
{
	return (st->st_uid != 0 && st->st_uid != uid) || (st->st_mode & 022) != 0;
}

int kg_authorized_keys_check_modes(const char *path, const struct stat *st, uid_t uid,
				   const char *home, kg_cfg_err *err)
{
	if (!S_ISREG(st->st_mode) || bad_owner_or_mode(st, uid)) {
		kg_cfg_errf(err, path, 0, "bad ownership or modes for file");
		return KG_ERR_KEY_PERMS;
	}
	char *real = realpath(path, NULL);
	if (!real) {
		kg_cfg_errf(err, path, 0, "cannot resolve path");
		return KG_ERR_SYSTEM;
	}
	char *rhome = home ? realpath(home, NULL) : NULL;
	int r = KG_OK;
	for (;;) {
		char *slash = strrchr(real, '/');
		if (!slash)
			break;
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
		struct stat ds;
		if (stat(real, &ds) != 0 || !S_ISDIR(ds.st_mode) || bad_owner_or_mode(&ds, uid)) {
			kg_cfg_errf(err, path, 0, "bad ownership or modes for directory %s", real);
			r = KG_ERR_KEY_PERMS;
			break;
		}
		if ((rhome && strcmp(real, rhome) == 0) || strcmp(real, "/") == 0)
			break;
	}
	free(rhome);
	free(real);
	return r;
}

int kg_authorized_keys_read(const char *path, int strict, uid_t uid, const char *home, char **text,
			    size_t *len, kg_cfg_err *err)
{
	struct stat st;
	char *t = NULL;
	size_t n = 0;
	int r = kg_read_text_file(path, 0, &t, &n, &st);
	if (r == KG_ERR_NOT_FOUND)
		return r;
	if (r < 0) {
		kg_cfg_errf(err, path, 0, "cannot read: %s", kg_err_str(r));
		return r;
	}
	if (strict) {
		r = kg_authorized_keys_check_modes(path, &st, uid, home, err);
		if (r < 0) {
			free(t);
			return r;
		}
	}
	*text = t;
	*len = n;
	return KG_OK;
}
