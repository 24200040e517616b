/* Tokenizer and value parsers shared by ssh_config, sshd_config,
 * known_hosts and authorized_keys handling. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/sysmacros.h>
#include "core/buf.h"
#include "core/names.h"
#include "config/config-common.h"

void kg_cfg_errf(kg_cfg_err *e, const char *file, size_t line, const char *fmt, ...)
{
	if (!e)
		return;
	int n;
	if (line)
		n = snprintf(e->msg, sizeof(e->msg), "%s line %zu: ", file ? file : "(config)", line);
	else
		n = snprintf(e->msg, sizeof(e->msg), "%s: ", file ? file : "(config)");
	if (n < 0 || (size_t)n >= sizeof(e->msg))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg + n, sizeof(e->msg) - (size_t)n, fmt, ap);
	va_end(ap);
}

void kg_cfg_reader_init(kg_cfg_reader *r, const char *text, size_t len, const char *filename)
{
	memset(r, 0, sizeof(*r));
	r->text = text ? text : "";
	r->len = text ? len : 0;
	r->filename = filename ? filename : "(config)";
}

void kg_cfg_reader_free(kg_cfg_reader *r)
{
	free(r->scratch);
	r->scratch = NULL;
	r->scratch_cap = 0;
	r->keyword = r->rest = NULL;
	r->nargs = 0;
}

static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Splits line[0..n) (already known not to hold a NUL) into words.  Returns
 * 1 if the line has a keyword, 0 if it is blank or a comment. */
static int split_line(kg_cfg_reader *r, const char *line, size_t n, kg_cfg_err *err)
{
	size_t i = 0;
	while (i < n && is_blank(line[i]))
		i++;
	while (n > i && is_blank(line[n - 1]))
		n--;
	if (i == n || line[i] == '#')
		return 0;
	/* Room for the raw rest, then every word with its terminator. */
	size_t need = 2 * (n - i) + 4;
	if (need > r->scratch_cap) {
		char *p = realloc(r->scratch, need);
		ENSURE(p != NULL, KG_ERR_ALLOC);
		r->scratch = p;
		r->scratch_cap = need;
	}
	char *out = r->scratch;
	r->keyword = out;
	while (i < n && !is_blank(line[i]) && line[i] != '=')
		*out++ = line[i++];
	*out++ = '\0';
	while (i < n && is_blank(line[i]))
		i++;
	if (i < n && line[i] == '=') {
		i++;
		while (i < n && is_blank(line[i]))
			i++;
	}
	r->rest = out;
	memcpy(out, line + i, n - i);
	out += n - i;
	*out++ = '\0';
	r->nargs = 0;
	while (i < n) {
		if (line[i] == '#')
			break;
		if (r->nargs == KG_CFG_MAX_ARGS) {
			kg_cfg_errf(err, r->filename, r->lineno, "too many arguments");
			return KG_ERR_CONFIG;
		}
		r->args[r->nargs++] = out;
		char quote = 0;
		while (i < n) {
			char c = line[i];
			if (quote) {
				if (c == '\\' && i + 1 < n && (line[i + 1] == quote || line[i + 1] == '\\')) {
					*out++ = line[i + 1];
					i += 2;
					continue;
				}
				i++;
				if (c == quote)
					quote = 0;
				else
					*out++ = c;
				continue;
			}
			if (is_blank(c))
				break;
			if (c == '"' || c == '\'') {
				quote = c;
				i++;
				continue;
			}
			if (c == '\\' && i + 1 < n && (strchr("\"'\\ \t", line[i + 1]) != NULL)) {
				*out++ = line[i + 1];
				i += 2;
				continue;
			}
			*out++ = c;
			i++;
		}
		if (quote) {
			kg_cfg_errf(err, r->filename, r->lineno, "unterminated quoted argument");
			return KG_ERR_CONFIG;
		}
		*out++ = '\0';
		while (i < n && is_blank(line[i]))
			i++;
	}
	if (r->keyword[0] == '\0') {
		kg_cfg_errf(err, r->filename, r->lineno, "missing keyword");
		return KG_ERR_CONFIG;
	}
	return 1;
}

int kg_cfg_next(kg_cfg_reader *r, kg_cfg_err *err)
{
	while (r->pos < r->len) {
		const char *start = r->text + r->pos;
		size_t avail = r->len - r->pos;
		const char *nl = memchr(start, '\n', avail);
		size_t n = nl ? (size_t)(nl - start) : avail;
		r->pos += nl ? n + 1 : n;
		r->lineno++;
		if (memchr(start, '\0', n)) {
			kg_cfg_errf(err, r->filename, r->lineno, "NUL byte in line");
			return KG_ERR_CONFIG;
		}
		int got = split_line(r, start, n, err);
		if (got != 0)
			return got;
	}
	r->keyword = r->rest = NULL;
	r->nargs = 0;
	return 0;
}

int kg_cfg_parse_yesno(const char *s, int *out)
{
	if (strcasecmp(s, "yes") == 0)
		*out = 1;
	else if (strcasecmp(s, "no") == 0)
		*out = 0;
	else
		return KG_ERR_CONFIG;
	return KG_OK;
}

int kg_cfg_parse_int(const char *s, long min, long max, long *out)
{
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	ENSURE(*p >= '0' && *p <= '9', KG_ERR_CONFIG);
	errno = 0;
	char *end;
	long v = strtol(s, &end, 10);
	ENSURE(errno == 0 && *end == '\0', KG_ERR_CONFIG);
	ENSURE(v >= min && v <= max, KG_ERR_CONFIG);
	*out = v;
	return KG_OK;
}

/* Reads decimal digits at *pp; KG_ERR_CONFIG if none or above max. */
static int scan_digits(const char **pp, uint64_t max, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	ENSURE(*p >= '0' && *p <= '9', KG_ERR_CONFIG);
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		ENSURE(v <= (max - d) / 10, KG_ERR_CONFIG);
		v = v * 10 + d;
	}
	*pp = p;
	*out = v;
	return KG_OK;
}

int kg_cfg_parse_time(const char *s, long *seconds)
{
	const uint64_t cap = INT32_MAX;
	uint64_t total = 0;
	const char *p = s;
	ENSURE(*p != '\0', KG_ERR_CONFIG);
	while (*p) {
		uint64_t v, mult;
		GUARD(scan_digits(&p, cap, &v));
		switch (*p) {
		case '\0': mult = 1; break;
		case 's': case 'S': mult = 1; p++; break;
		case 'm': case 'M': mult = 60; p++; break;
		case 'h': case 'H': mult = 3600; p++; break;
		case 'd': case 'D': mult = 86400; p++; break;
		case 'w': case 'W': mult = 604800; p++; break;
		default: return KG_ERR_CONFIG;
		}
		ENSURE(v <= cap / mult, KG_ERR_CONFIG);
		v *= mult;
		ENSURE(total <= cap - v, KG_ERR_CONFIG);
		total += v;
	}
	*seconds = (long)total;
	return KG_OK;
}

int kg_cfg_parse_size(const char *s, uint64_t *bytes)
{
	const char *p = s;
	uint64_t v;
	GUARD(scan_digits(&p, UINT64_MAX, &v));
	unsigned shift = 0;
	switch (*p) {
	case '\0': break;
	case 'k': case 'K': shift = 10; p++; break;
	case 'm': case 'M': shift = 20; p++; break;
	case 'g': case 'G': shift = 30; p++; break;
	case 't': case 'T': shift = 40; p++; break;
	default: return KG_ERR_CONFIG;
	}
	ENSURE(*p == '\0', KG_ERR_CONFIG);
	ENSURE(v <= (UINT64_MAX >> shift), KG_ERR_CONFIG);
	*bytes = v << shift;
	return KG_OK;
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Glob match over counted strings: on a mismatch after '*', only the last
 * star is retried one character further, which is enough for '*'/'?' and
 * keeps the cost at O(len(s) * len(p)). */
static int match_n(const char *s, size_t sn, const char *p, size_t pn, int nocase)
{
	size_t si = 0, pi = 0, star_p = SIZE_MAX, star_s = 0;
	while (si < sn) {
		if (pi < pn && p[pi] == '*') {
			star_p = pi++;
			star_s = si;
			continue;
		}
		if (pi < pn && (p[pi] == '?' ||
				(nocase ? lower((unsigned char)p[pi]) == lower((unsigned char)s[si])
					: p[pi] == s[si]))) {
			pi++;
			si++;
			continue;
		}
		if (star_p != SIZE_MAX) {
			pi = star_p + 1;
			si = ++star_s;
			continue;
		}
		return 0;
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

int kg_pattern_match(const char *s, const char *pattern, int nocase)
{
	return match_n(s, strlen(s), pattern, strlen(pattern), nocase);
}

int kg_pattern_list_match(const char *s, const char *list, int nocase)
{
	size_t sn = strlen(s);
	int got = 0;
	const char *p = list;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t pn = comma ? (size_t)(comma - p) : strlen(p);
		int neg = pn > 0 && p[0] == '!';
		if (match_n(s, sn, p + neg, pn - (size_t)neg, nocase)) {
			if (neg)
				return -1;
			got = 1;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	return got;
}

int kg_expand_tokens(const char *in, const kg_token *tokens, size_t ntokens, char **out)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	int r = KG_OK;
	for (const char *p = in; *p; p++) {
		if (*p != '%') {
			GUARD_GOTO(r, kg_buf_put_u8(&b, (uint8_t)*p), out);
			continue;
		}
		p++;
		ENSURE_GOTO(r, *p != '\0', KG_ERR_CONFIG, out);
		if (*p == '%') {
			GUARD_GOTO(r, kg_buf_put_u8(&b, '%'), out);
			continue;
		}
		size_t i;
		for (i = 0; i < ntokens; i++)
			if (tokens[i].letter == *p)
				break;
		ENSURE_GOTO(r, i < ntokens && tokens[i].value != NULL, KG_ERR_CONFIG, out);
		GUARD_GOTO(r, kg_buf_put(&b, tokens[i].value, strlen(tokens[i].value)), out);
	}
	GUARD_GOTO(r, kg_buf_put_u8(&b, 0), out);
	*out = strdup((const char *)kg_buf_ptr(&b));
	ENSURE_GOTO(r, *out != NULL, KG_ERR_ALLOC, out);
out:
	kg_buf_free(&b);
	return r;
}

int kg_expand_tilde(const char *in, const char *home, char **out)
{
	const char *tail = in;
	const char *head = "";
	if (in[0] == '~' && (in[1] == '/' || in[1] == '\0')) {
		ENSURE(home != NULL, KG_ERR_ARG);
		head = home;
		tail = in + 1;
	}
	size_t hn = strlen(head), tn = strlen(tail);
	char *s = malloc(hn + tn + 1);
	ENSURE(s != NULL, KG_ERR_ALLOC);
	memcpy(s, head, hn);
	memcpy(s + hn, tail, tn + 1);
	*out = s;
	return KG_OK;
}

int kg_read_text_file(const char *path, size_t max, char **text, size_t *len, struct stat *st)
{
	if (max == 0)
		max = KG_CFG_MAX_FILE;
	/* O_NONBLOCK so a FIFO planted at the path cannot hang the open. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? KG_ERR_NOT_FOUND : KG_ERR_SYSTEM;
	int r = KG_OK;
	char *buf = NULL;
	struct stat sb;
	ENSURE_GOTO(r, fstat(fd, &sb) == 0, KG_ERR_SYSTEM, out);
	/* Regular files only, and /dev/null (the usual "no such file" option value). */
	ENSURE_GOTO(r, S_ISREG(sb.st_mode) || (S_ISCHR(sb.st_mode) && sb.st_rdev == (dev_t)makedev(1, 3)), KG_ERR_FORMAT, out);
	ENSURE_GOTO(r, (uint64_t)sb.st_size <= max, KG_ERR_TOO_LARGE, out);
	size_t cap = (size_t)sb.st_size + 1, used = 0;
	buf = malloc(cap + 1);
	ENSURE_GOTO(r, buf != NULL, KG_ERR_ALLOC, out);
	for (;;) {
		/* The file may grow while we read; never past max. */
		if (used == cap) {
			ENSURE_GOTO(r, cap <= max, KG_ERR_TOO_LARGE, out);
			size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *nb = realloc(buf, ncap + 1);
			ENSURE_GOTO(r, nb != NULL, KG_ERR_ALLOC, out);
			buf = nb;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		ENSURE_GOTO(r, n >= 0, KG_ERR_SYSTEM, out);
		if (n == 0)
			break;
		used += (size_t)n;
	}
	ENSURE_GOTO(r, used <= max, KG_ERR_TOO_LARGE, out);
	buf[used] = '\0';
	*text = buf;
	*len = used;
	buf = NULL;
	if (st)
		*st = sb;
out:
	free(buf);
	close(fd);
	return r;
}

int kg_strlist_add(kg_strlist *l, const char *s)
{
	ENSURE(l->n < SIZE_MAX / sizeof(char *) - 1, KG_ERR_TOO_LARGE);
	char *copy = strdup(s);
	ENSURE(copy != NULL, KG_ERR_ALLOC);
	char **nv = realloc(l->v, (l->n + 2) * sizeof(char *));
	if (!nv) {
		free(copy);
		return KG_ERR_ALLOC;
	}
	l->v = nv;
	l->v[l->n++] = copy;
	l->v[l->n] = NULL;
	return KG_OK;
}

void kg_strlist_free(kg_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const kg_cfg_enum kg_cfg_loglevels[] = {
	{ "QUIET", KG_LOG_QUIET }, { "FATAL", KG_LOG_FATAL }, { "ERROR", KG_LOG_ERROR },
	{ "INFO", KG_LOG_INFO }, { "VERBOSE", KG_LOG_VERBOSE }, { "DEBUG", KG_LOG_DEBUG1 },
	{ "DEBUG1", KG_LOG_DEBUG1 }, { "DEBUG2", KG_LOG_DEBUG2 }, { "DEBUG3", KG_LOG_DEBUG3 },
	{ NULL, 0 },
};

const kg_cfg_kw *kg_cfg_find_kw(const kg_cfg_kw *table, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

int kg_cfg_parse_enum(const kg_cfg_enum *t, const char *name, int *out)
{
	for (; t->name; t++)
		if (strcasecmp(t->name, name) == 0) {
			*out = t->value;
			return KG_OK;
		}
	return KG_ERR_CONFIG;
}

int kg_cfg_store(void *cfg, const kg_cfg_kw *kw, const kg_cfg_reader *r, int store, kg_cfg_err *err)
{
	char *field = (char *)cfg + kw->off;
	const char *file = r->filename;
	size_t line = kg_cfg_line(r);
	int one = kw->type == KG_CFG_STR || kw->type == KG_CFG_FLAG || kw->type == KG_CFG_INT ||
		  kw->type == KG_CFG_TIME || kw->type == KG_CFG_ENUM;
	if (kw->type == KG_CFG_IGNORE || kw->type == KG_CFG_SPECIAL)
		return KG_OK;
	if (r->nargs == 0) {
		kg_cfg_errf(err, file, line, "%s: missing argument", kw->name);
		return KG_ERR_CONFIG;
	}
	if (one && r->nargs != 1) {
		kg_cfg_errf(err, file, line, "%s: garbage at end of line: '%s'", kw->name, r->args[1]);
		return KG_ERR_CONFIG;
	}
	const char *a = r->args[0];
	int v = 0;
	int bad = 0;
	switch (kw->type) {
	case KG_CFG_STR:
	case KG_CFG_RAW: {
		char **sp = (char **)(void *)field;
		if (store && *sp == NULL) {
			*sp = strdup(kw->type == KG_CFG_RAW ? r->rest : a);
			ENSURE(*sp != NULL, KG_ERR_ALLOC);
		}
		return KG_OK;
	}
	case KG_CFG_FLAG:
		bad = kg_cfg_parse_yesno(a, &v) != KG_OK;
		break;
	case KG_CFG_INT: {
		long l = 0;
		bad = kg_cfg_parse_int(a, kw->min, kw->max, &l) != KG_OK;
		v = (int)l;
		break;
	}
	case KG_CFG_TIME: {
		long l = 0;
		if (strcasecmp(a, "none") != 0)
			bad = kg_cfg_parse_time(a, &l) != KG_OK || (kw->max > 0 && l > kw->max);
		v = (int)l;
		break;
	}
	case KG_CFG_ENUM:
		bad = kg_cfg_parse_enum(kw->enums, a, &v) != KG_OK;
		break;
	case KG_CFG_LIST_ACC:
	case KG_CFG_LIST_FIRST: {
		kg_strlist *l = (kg_strlist *)(void *)field;
		if (!store || (kw->type == KG_CFG_LIST_FIRST && l->n > 0))
			return KG_OK;
		for (size_t i = 0; i < r->nargs; i++)
			GUARD(kg_strlist_add(l, r->args[i]));
		return KG_OK;
	}
	case KG_CFG_RAW_ACC:
		return store ? kg_strlist_add((kg_strlist *)(void *)field, r->rest) : KG_OK;
	default:
		return KG_ERR_INTERNAL;
	}
	if (bad) {
		kg_cfg_errf(err, file, line, "%s: invalid argument '%s'", kw->name, a);
		return KG_ERR_CONFIG;
	}
	int *ip = (int *)(void *)field;
	if (store && *ip == KG_CFG_UNSET)
		*ip = v;
	return KG_OK;
}

/* A size above what the negotiated cipher may safely carry under one key
 * is accepted here and clamped by the transport (dir_rekey_bytes in
 * core/transport.c): the cipher is not known until key exchange, and
 * OpenSSH clamps the same way, so its configuration files keep working. */
int kg_cfg_parse_rekey(const kg_cfg_reader *r, kg_cfg_rekey *out, int store, kg_cfg_err *err)
{
	uint64_t b = 0;
	long t = 0;
	int ok = r->nargs == 1 || r->nargs == 2;
	if (ok && strcasecmp(r->args[0], "default") != 0 && strcasecmp(r->args[0], "none") != 0)
		ok = kg_cfg_parse_size(r->args[0], &b) == KG_OK && (b == 0 || b >= 16);
	if (ok && r->nargs == 2 && strcasecmp(r->args[1], "none") != 0)
		ok = kg_cfg_parse_time(r->args[1], &t) == KG_OK;
	if (!ok) {
		kg_cfg_errf(err, r->filename, kg_cfg_line(r), "RekeyLimit: invalid value '%s'", r->rest);
		return KG_ERR_CONFIG;
	}
	if (store && !out->set) {
		out->set = 1;
		out->bytes = b;
		out->seconds = (int)t;
	}
	return KG_OK;
}

int kg_cfg_algorithms(const kg_logger *log, const char *what, const char *defaults, const char *supported,
		      const char *spec, char **out)
{
	if (!spec) {
		*out = strdup(defaults);
		return *out ? KG_OK : KG_ERR_ALLOC;
	}
	int r = kg_alglist_assemble(defaults, supported, spec, out);
	if (r < 0)
		kg_error(log, "Bad %s specification '%s'", what, spec);
	return r;
}
