/* kssh-keygen -s (sign public keys into certificates with a CA key) and -L
 * (print a certificate), in ssh-keygen's words and layout. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/cert.h"
#include "keygen/keygen.h"

#define CERT_FILE_MAX (256u * 1024)

static const char *const default_ext[] = { "permit-X11-forwarding", "permit-agent-forwarding",
					   "permit-port-forwarding", "permit-pty", "permit-user-rc" };

/* "52w", "1h30m", "90": seconds, or -1. */
static long long time_spec(const char *s)
{
	long long total = 0;
	if (!*s)
		return -1;
	while (*s) {
		if (!isdigit((unsigned char)*s))
			return -1;
		char *end = NULL;
		errno = 0;
		long long v = strtoll(s, &end, 10);
		if (errno || v < 0)
			return -1;
		long long mul = 1;
		switch (*end) {
		case '\0': break;
		case 's': case 'S': end++; break;
		case 'm': case 'M': mul = 60; end++; break;
		case 'h': case 'H': mul = 3600; end++; break;
		case 'd': case 'D': mul = 86400; end++; break;
		case 'w': case 'W': mul = 604800; end++; break;
		default: return -1;
		}
		if (v > (1LL << 40) / mul)
			return -1;
		total += v * mul;
		s = end;
	}
	return total;
}

/* One end of a -V range: relative (+/-spec), YYYYMMDD[HHMM[SS]] local time,
 * or 0x<hex> seconds. */
static int time_point(const char *s, time_t now, uint64_t *out)
{
	if (s[0] == '+' || s[0] == '-') {
		long long d = time_spec(s + 1);
		if (d < 0)
			return -1;
		*out = (uint64_t)(s[0] == '+' ? (long long)now + d : (long long)now - d);
		return 0;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		char *end = NULL;
		errno = 0;
		unsigned long long v = strtoull(s + 2, &end, 16);
		if (!s[2] || *end || errno)
			return -1;
		*out = v;
		return 0;
	}
	size_t n = strlen(s);
	if (n != 8 && n != 12 && n != 14)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return -1;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	char buf[15];
	memcpy(buf, s, n + 1);
	if (n == 14) { tm.tm_sec = atoi(buf + 12); buf[12] = 0; }
	if (n >= 12) { tm.tm_min = atoi(buf + 10); buf[10] = 0; tm.tm_hour = atoi(buf + 8); }
	buf[8] = 0;
	tm.tm_mday = atoi(buf + 6); buf[6] = 0;
	tm.tm_mon = atoi(buf + 4) - 1; buf[4] = 0;
	tm.tm_year = atoi(buf) - 1900;
	tm.tm_isdst = -1;
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
		return -1;
	time_t t = mktime(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (uint64_t)t;
	return 0;
}

int kgk_cert_validity(const char *spec, time_t now, uint64_t *from, uint64_t *to)
{
	char buf[128];
	if (!spec || strlen(spec) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", spec);
	char *colon = strchr(buf, ':');
	if (!colon) {
		/* One value is the end; the start is a minute before now, rounded down. */
		*from = (uint64_t)((now / 60) * 60 - 60);
		return strcmp(buf, "forever") == 0 ? (*to = UINT64_MAX, 0) : time_point(buf, now, to);
	}
	*colon = '\0';
	const char *a = buf, *b = colon + 1;
	if (strcmp(a, "always") == 0)
		*from = 0;
	else if (time_point(a, now, from) < 0)
		return -1;
	if (strcmp(b, "forever") == 0)
		*to = UINT64_MAX;
	else if (time_point(b, now, to) < 0)
		return -1;
	return *to > *from ? 0 : -1;
}

static void fmt_time(uint64_t t, char *out, size_t n)
{
	time_t tt = t > (uint64_t)INT64_MAX ? (time_t)INT64_MAX : (time_t)t;
	struct tm tm;
	if (!localtime_r(&tt, &tm) || strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(out, n, "%llu", (unsigned long long)t);
}

/* "forever", "after X", "before Y" or "from X to Y". */
static void fmt_validity(const kg_cert *c, char *out, size_t n)
{
	char a[64], b[64];
	fmt_time(c->valid_after, a, sizeof(a));
	fmt_time(c->valid_before, b, sizeof(b));
	if (c->valid_after == 0 && c->valid_before == UINT64_MAX)
		snprintf(out, n, "forever");
	else if (c->valid_before == UINT64_MAX)
		snprintf(out, n, "after %s", a);
	else if (c->valid_after == 0)
		snprintf(out, n, "before %s", b);
	else
		snprintf(out, n, "from %s to %s", a, b);
}

/* A string field's data (string inside string), for force-command=. */
static int string_data(kg_cert *c, int critical, const char *name, const char *value)
{
	kg_buf d;
	kg_buf_init(&d, 0);
	int r = kg_buf_put_cstring(&d, value);
	if (r == KG_OK)
		r = kg_cert_set_option(c, critical, name, kg_buf_ptr(&d), kg_buf_len(&d));
	kg_buf_free(&d);
	return r;
}

static int set_flag(kg_cert *c, const char *name, int on)
{
	if (on)
		return kg_cert_set_option(c, 0, name, NULL, 0);
	/* Removing one extension: rebuild without it. */
	kg_cert_opt *old = c->ext;
	size_t n = c->next;
	c->ext = NULL;
	c->next = 0;
	int r = KG_OK;
	for (size_t i = 0; i < n; i++) {
		if (r == KG_OK && strcmp(old[i].name, name) != 0)
			r = kg_cert_set_option(c, 0, old[i].name, old[i].data, old[i].len);
		free(old[i].name);
		free(old[i].data);
	}
	free(old);
	return r;
}

/* Applies one -O option (ssh-keygen's names); -1 for an unknown one. */
static int apply_option(kg_cert *c, const char *opt)
{
	static const struct { const char *opt, *ext; } flags[] = {
		{ "x11-forwarding", "permit-X11-forwarding" },
		{ "agent-forwarding", "permit-agent-forwarding" },
		{ "port-forwarding", "permit-port-forwarding" },
		{ "pty", "permit-pty" },
		{ "user-rc", "permit-user-rc" },
	};
	if (strcasecmp(opt, "clear") == 0) {
		kg_cert_clear_options(c, 0);
		kg_cert_clear_options(c, 1);
		return 0;
	}
	for (size_t i = 0; i < KG_ARRAY_LEN(flags); i++) {
		if (strncasecmp(opt, "no-", 3) == 0 && strcasecmp(opt + 3, flags[i].opt) == 0)
			return set_flag(c, flags[i].ext, 0) == KG_OK ? 0 : -1;
		if (strncasecmp(opt, "permit-", 7) == 0 && strcasecmp(opt + 7, flags[i].opt) == 0)
			return set_flag(c, flags[i].ext, 1) == KG_OK ? 0 : -1;
	}
	if (strcasecmp(opt, "no-touch-required") == 0)
		return set_flag(c, "no-touch-required", 1) == KG_OK ? 0 : -1;
	if (strcasecmp(opt, "verify-required") == 0)
		return kg_cert_set_option(c, 1, "verify-required", NULL, 0) == KG_OK ? 0 : -1;
	if (strncasecmp(opt, "force-command=", 14) == 0)
		return string_data(c, 1, "force-command", opt + 14) == KG_OK ? 0 : -1;
	if (strncasecmp(opt, "source-address=", 15) == 0)
		return string_data(c, 1, "source-address", opt + 15) == KG_OK ? 0 : -1;
	int critical = strncasecmp(opt, "critical:", 9) == 0;
	if (critical || strncasecmp(opt, "extension:", 10) == 0) {
		char name[256];
		const char *rest = opt + (critical ? 9 : 10);
		const char *eq = strchr(rest, '=');
		size_t nl = eq ? (size_t)(eq - rest) : strlen(rest);
		if (nl == 0 || nl >= sizeof(name))
			return -1;
		memcpy(name, rest, nl);
		name[nl] = '\0';
		if (eq)
			return string_data(c, critical, name, eq + 1) == KG_OK ? 0 : -1;
		return kg_cert_set_option(c, critical, name, NULL, 0) == KG_OK ? 0 : -1;
	}
	return -1;
}

/* "dir/name.pub" -> "dir/name-cert.pub" (a name without .pub gets -cert.pub). */
static void cert_path(const char *in, char *out, size_t n)
{
	size_t len = strlen(in);
	if (len > 4 && strcmp(in + len - 4, ".pub") == 0)
		len -= 4;
	snprintf(out, n, "%.*s-cert.pub", (int)len, in);
}

int kgk_cert_sign(kgk_opts *o, const kgk_cert_opts *co, char **files, int nfiles)
{
	if (!co->key_id) {
		kgk_log("Must specify key id (-I) when certifying");
		return 255;
	}
	if (nfiles < 1) {
		kgk_log("Too few arguments.");
		return 255;
	}
	kg_key *ca = NULL;
	int r = kgk_load_private(o->sigfile, o->old_pass, 1, &ca, NULL, 0);
	if (r < 0) {
		kgk_log("Load key \"%s\": %s", o->sigfile, kgk_load_err(r));
		return 255;
	}
	uint64_t from = 0, to = UINT64_MAX;
	if (co->validity && kgk_cert_validity(co->validity, time(NULL), &from, &to) < 0) {
		kgk_log("Invalid certificate life specification %s", co->validity);
		kg_key_free(ca);
		return 255;
	}
	int status = 0;
	for (int i = 0; i < nfiles && status == 0; i++) {
		kg_key *k = NULL;
		kg_cert *c = NULL;
		char out[KGK_PATH_MAX];
		r = kgk_load_public(files[i], &k);
		if (r < 0) {
			kgk_log("load pubkey \"%s\": %s", files[i], kgk_load_err(r));
			status = 255;
			break;
		}
		r = kg_cert_new(k, &c);
		if (r == KG_OK) {
			c->type = co->host ? KG_CERT_HOST : KG_CERT_USER;
			c->serial = co->serial;
			c->valid_after = from;
			c->valid_before = to;
			c->key_id = strdup(co->key_id);
			if (!c->key_id)
				r = KG_ERR_ALLOC;
		}
		if (r == KG_OK && co->principals) {
			char *list = strdup(co->principals), *save = NULL;
			for (char *p = list ? strtok_r(list, ",", &save) : NULL; p && r == KG_OK;
			     p = strtok_r(NULL, ",", &save))
				r = kg_cert_add_principal(c, p);
			if (!list)
				r = KG_ERR_ALLOC;
			free(list);
		}
		for (size_t j = 0; r == KG_OK && !co->host && j < KG_ARRAY_LEN(default_ext); j++)
			r = kg_cert_set_option(c, 0, default_ext[j], NULL, 0);
		for (int j = 0; r == KG_OK && j < co->nopts; j++) {
			if (apply_option(c, co->opts[j]) < 0) {
				kgk_log("Unsupported certificate option \"%s\"", co->opts[j]);
				status = 255;
				r = KG_ERR_ARG;
			}
		}
		if (r == KG_OK)
			r = kg_cert_sign(c, ca, NULL);
		kg_buf line;
		kg_buf_init(&line, 0);
		if (r == KG_OK && k->comment && (c->comment = strdup(k->comment)) == NULL)
			r = KG_ERR_ALLOC;
		if (r == KG_OK)
			r = kg_cert_to_line(c, &line);
		if (r == KG_OK)
			r = kg_buf_put_u8(&line, '\n');
		cert_path(files[i], out, sizeof(out));
		if (r == KG_OK && kgk_write_file(out, kg_buf_ptr(&line), kg_buf_len(&line), 0644) < 0) {
			kgk_log("Could not write certified key to %s", out);
			status = 255;
		} else if (r != KG_OK && status == 0) {
			kgk_log("Couldn't certify key %s: %s", files[i], kg_err_str(r));
			status = 255;
		} else if (r == KG_OK && !o->quiet) {
			char valid[160], forwho[1024] = "";
			fmt_validity(c, valid, sizeof(valid));
			if (co->principals)
				snprintf(forwho, sizeof(forwho), "for %s ", co->principals);
			kgk_log("Signed %s key %s: id \"%s\" serial %llu %svalid %s",
				co->host ? "host" : "user", out, c->key_id,
				(unsigned long long)c->serial, forwho, valid);
		}
		kg_buf_free(&line);
		kg_cert_free(c);
		kg_key_free(k);
	}
	kg_key_free(ca);
	return status;
}

static void print_opts(const kg_cert_opt *opts, size_t n, int critical)
{
	if (n == 0) {
		printf("(none)\n");
		return;
	}
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		const kg_cert_opt *op = &opts[i];
		printf("                %s", op->name);
		int flag = critical ? strcmp(op->name, "verify-required") == 0
				    : strcmp(op->name, "no-touch-required") == 0 ||
				      strncmp(op->name, "permit-", 7) == 0;
		static const char *const cext[] = { "permit-X11-forwarding", "permit-agent-forwarding",
						    "permit-port-forwarding", "permit-pty", "permit-user-rc" };
		if (!critical && flag) {
			flag = strcmp(op->name, "no-touch-required") == 0;
			for (size_t j = 0; j < KG_ARRAY_LEN(cext); j++)
				flag |= strcmp(op->name, cext[j]) == 0;
		}
		int str = critical && (strcmp(op->name, "force-command") == 0 ||
				       strcmp(op->name, "source-address") == 0);
		if (flag && op->len == 0) {
			printf("\n");
		} else if (str) {
			kg_buf d;
			const uint8_t *s;
			size_t sl;
			kg_buf_view(&d, op->data, op->len);
			if (kg_buf_get_string_direct(&d, &s, &sl) == KG_OK)
				printf(" %.*s\n", (int)sl, (const char *)s);
			else
				printf("\n");
		} else if (op->len == 0) {
			printf(" UNKNOWN FLAG OPTION\n");
		} else {
			printf(" UNKNOWN OPTION: ");
			for (size_t j = 0; j < op->len; j++)
				printf("%02x", op->data[j]);
			printf(" (len %zu)\n", op->len);
		}
	}
}

int kgk_cert_list(kgk_opts *o)
{
	char *text = NULL;
	size_t len = 0;
	if (kgk_read_file(o->file, CERT_FILE_MAX, &text, &len) < 0) {
		kgk_log("%s: %s", o->file, strerror(errno ? errno : ENOENT));
		return 255;
	}
	kg_cert *c = NULL;
	int r = kg_cert_from_line(text, &c);
	free(text);
	if (r < 0) {
		kgk_log("%s is not a certificate", o->file);
		return 255;
	}
	char fp[KG_KEY_FP_LEN], cafp[KG_KEY_FP_LEN], valid[160];
	if (kg_key_fingerprint(c->key, fp, sizeof(fp)) < 0 || kg_key_fingerprint(c->ca, cafp, sizeof(cafp)) < 0) {
		kg_cert_free(c);
		return 255;
	}
	/* The signature's algorithm name, from its blob. */
	char sigalg[64] = "unknown";
	kg_buf sb;
	const uint8_t *an;
	size_t al;
	kg_buf_view(&sb, c->sig, c->siglen);
	if (kg_buf_get_string_direct(&sb, &an, &al) == KG_OK && al < sizeof(sigalg))
		snprintf(sigalg, sizeof(sigalg), "%.*s", (int)al, (const char *)an);
	fmt_validity(c, valid, sizeof(valid));
	printf("%s:\n", o->file);
	printf("        Type: %s %s certificate\n", kg_cert_type_name(c->key->type),
	       c->type == KG_CERT_HOST ? "host" : "user");
	printf("        Public key: %s-CERT %s\n", kg_key_type_short(c->key->type), fp);
	printf("        Signing CA: %s %s (using %s)\n", kg_key_type_short(c->ca->type), cafp, sigalg);
	printf("        Key ID: \"%s\"\n", c->key_id);
	printf("        Serial: %llu\n", (unsigned long long)c->serial);
	printf("        Valid: %s\n", valid);
	printf("        Principals: ");
	if (c->nprincipals == 0)
		printf("(none)\n");
	else
		printf("\n");
	for (size_t i = 0; i < c->nprincipals; i++)
		printf("                %s\n", c->principals[i]);
	printf("        Critical Options: ");
	print_opts(c->crit, c->ncrit, 1);
	printf("        Extensions: ");
	print_opts(c->ext, c->next, 0);
	kg_cert_free(c);
	return 0;
}
