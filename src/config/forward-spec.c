/* Forwarding specifications: splitting at ':' (brackets keep an IPv6
 * address whole) and deciding what each field is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/forward-spec.h"

#define MAX_FIELDS 4

typedef struct field {
	char *s;
	int is_path;
} field;

/* A port number 0..65535, digits only; -1 otherwise. */
static int parse_port(const char *s)
{
	if (!*s || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
		return -1;
	long v = strtol(s, NULL, 10);
	return v <= 65535 ? (int)v : -1;
}

/* Splits p (modified) into fields; the count, or -1. */
static int split(char *p, field *f)
{
	int n = 0;
	for (;;) {
		if (n == MAX_FIELDS)
			return -1;
		char *start = p, *end;
		if (*p == '[') {
			char *close = strchr(p, ']');
			if (!close || (close[1] != ':' && close[1] != '\0'))
				return -1;
			start = p + 1;
			*close = '\0';
			end = close + 1;
		} else {
			end = p + strcspn(p, ":");
		}
		int last = *end == '\0';
		*end = '\0';
		f[n].s = start;
		f[n].is_path = strchr(start, '/') != NULL;
		n++;
		if (last)
			return n;
		p = end + 1;
	}
}

static int dup_to(char **dst, const char *s)
{
	*dst = strdup(s);
	return *dst ? KG_OK : KG_ERR_ALLOC;
}

void kg_fwd_spec_free(kg_fwd_spec *f)
{
	if (!f)
		return;
	free(f->listen_host);
	free(f->listen_path);
	free(f->connect_host);
	free(f->connect_path);
	memset(f, 0, sizeof(*f));
	f->listen_port = -1;
}

/* Fills out from the fields, as ssh decides by their count and kind. */
static int assign(kg_fwd_spec *o, const field *f, int n)
{
	int r = KG_OK;
	const char *lport = NULL, *cport = NULL;
	switch (n) {
	case 1:
		if (f[0].is_path)
			r = dup_to(&o->listen_path, f[0].s);
		else
			lport = f[0].s;
		o->dynamic = 1;
		break;
	case 2:
		if (f[0].is_path && f[1].is_path) {
			r = dup_to(&o->listen_path, f[0].s);
			if (r == KG_OK)
				r = dup_to(&o->connect_path, f[1].s);
		} else if (f[1].is_path) {
			lport = f[0].s;
			r = dup_to(&o->connect_path, f[1].s);
		} else {
			r = dup_to(&o->listen_host, f[0].s);
			lport = f[1].s;
			o->dynamic = 1;
		}
		break;
	case 3:
		if (f[0].is_path) {
			r = dup_to(&o->listen_path, f[0].s);
			if (r == KG_OK)
				r = dup_to(&o->connect_host, f[1].s);
			cport = f[2].s;
		} else if (f[2].is_path) {
			r = dup_to(&o->listen_host, f[0].s);
			lport = f[1].s;
			if (r == KG_OK)
				r = dup_to(&o->connect_path, f[2].s);
		} else {
			lport = f[0].s;
			r = dup_to(&o->connect_host, f[1].s);
			cport = f[2].s;
		}
		break;
	case 4:
		r = dup_to(&o->listen_host, f[0].s);
		lport = f[1].s;
		if (r == KG_OK)
			r = dup_to(&o->connect_host, f[2].s);
		cport = f[3].s;
		break;
	default:
		return KG_ERR_ARG;
	}
	GUARD(r);
	o->listen_port = lport ? parse_port(lport) : -1;
	o->connect_port = cport ? parse_port(cport) : 0;
	if (lport && o->listen_port < 0)
		return KG_ERR_ARG;
	if (cport && o->connect_port <= 0)
		return KG_ERR_ARG;
	return KG_OK;
}

static int check(const kg_fwd_spec *o, int kind)
{
	if (kind == KG_FWDSPEC_DYNAMIC) {
		if (!o->dynamic || o->listen_path)
			return KG_ERR_ARG;
	} else if (o->dynamic && (kind == KG_FWDSPEC_LOCAL || o->listen_path)) {
		return KG_ERR_ARG;
	}
	if (!o->dynamic && !o->connect_path && (!o->connect_host || !*o->connect_host || o->connect_port <= 0))
		return KG_ERR_ARG;
	if (!o->listen_path && (o->listen_port < 0 || (kind != KG_FWDSPEC_REMOTE && o->listen_port == 0)))
		return KG_ERR_ARG;
	if ((o->listen_path && (!*o->listen_path || strlen(o->listen_path) > KG_FWDSPEC_PATH_MAX)) ||
	    (o->connect_path && (!*o->connect_path || strlen(o->connect_path) > KG_FWDSPEC_PATH_MAX)))
		return KG_ERR_ARG;
	if ((o->listen_host && strlen(o->listen_host) > KG_FWDSPEC_HOST_MAX) ||
	    (o->connect_host && strlen(o->connect_host) > KG_FWDSPEC_HOST_MAX))
		return KG_ERR_ARG;
	return KG_OK;
}

int kg_fwd_spec_parse(const char *text, int kind, kg_fwd_spec *out)
{
	memset(out, 0, sizeof(*out));
	out->listen_port = -1;
	out->kind = kind;
	ENSURE(text != NULL, KG_ERR_ARG);
	char *copy = strdup(text);
	ENSURE(copy != NULL, KG_ERR_ALLOC);
	field f[MAX_FIELDS];
	int n = *copy ? split(copy, f) : -1;
	int r = n > 0 ? assign(out, f, n) : KG_ERR_ARG;
	if (r == KG_OK)
		r = check(out, kind);
	free(copy);
	if (r < 0) {
		kg_fwd_spec_free(out);
		out->kind = kind;
	}
	return r;
}

/* The next word of *p (quotes removed) into w; 0 when none is left. */
static int word(const char **p, char *w, size_t max)
{
	const char *s = *p + strspn(*p, " \t");
	if (!*s)
		return 0;
	size_t n = 0;
	int quoted = *s == '"';
	s += quoted;
	while (*s && (quoted ? *s != '"' : (*s != ' ' && *s != '\t'))) {
		if (n + 1 >= max)
			return -1;
		w[n++] = *s++;
	}
	if (quoted) {
		if (*s != '"')
			return -1;
		s++;
	}
	w[n] = '\0';
	*p = s;
	return 1;
}

int kg_fwd_spec_parse_config(const char *value, int kind, kg_fwd_spec *out)
{
	enum { W = KG_FWDSPEC_HOST_MAX + 16 };
	memset(out, 0, sizeof(*out));
	out->listen_port = -1;
	out->kind = kind;
	ENSURE(value != NULL, KG_ERR_ARG);
	char *a = malloc(W), *b = malloc(W), *j = malloc(2 * W + 2);
	int r = a && b && j ? KG_OK : KG_ERR_ALLOC;
	const char *p = value;
	int na = r == KG_OK ? word(&p, a, W) : 0, nb = na == 1 ? word(&p, b, W) : 0;
	char extra[2];
	if (r == KG_OK && (na != 1 || nb < 0 || (nb == 1 && word(&p, extra, sizeof(extra)) != 0)))
		r = KG_ERR_ARG;
	if (r == KG_OK) {
		snprintf(j, 2 * W + 2, "%s%s%s", a, nb == 1 ? ":" : "", nb == 1 ? b : "");
		r = kg_fwd_spec_parse(j, kind, out);
	}
	free(a);
	free(b);
	free(j);
	return r;
}

const char *kg_fwd_spec_target(const kg_fwd_spec *f, char *buf, size_t len)
{
	if (f->connect_path)
		snprintf(buf, len, "%s", f->connect_path);
	else if (f->connect_host)
		snprintf(buf, len, "%s:%d", f->connect_host, f->connect_port);
	else
		snprintf(buf, len, "socks");
	return buf;
}
