/* kssh-keygen -k (build or update a KRL from text specs) and -Q [-l]
 * (check keys against a KRL, optionally dumping it), as ssh-keygen does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "core/err.h"
#include "core/krl.h"
#include "keygen/keygen.h"

/* The whole file ("-" = standard input), NUL-terminated past *len. */
static int read_binary(const char *path, uint8_t **out, size_t *len)
{
	int is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	if (!f)
		return KG_ERR_SYSTEM;
	size_t cap = 4096, n = 0;
	uint8_t *d = malloc(cap + 1);
	int r = d ? KG_OK : KG_ERR_ALLOC;
	while (r == KG_OK) {
		if (n == cap) {
			if (cap >= KG_KRL_MAX_FILE) {
				r = KG_ERR_TOO_LARGE;
				break;
			}
			uint8_t *nd = realloc(d, cap * 2 + 1);
			if (!nd) {
				r = KG_ERR_ALLOC;
				break;
			}
			d = nd;
			cap *= 2;
		}
		size_t g = fread(d + n, 1, cap - n, f);
		n += g;
		if (g == 0) {
			if (ferror(f))
				r = KG_ERR_SYSTEM;
			break;
		}
	}
	if (!is_stdin)
		fclose(f);
	if (r < 0) {
		free(d);
		return r;
	}
	d[n] = 0;
	*out = d;
	*len = n;
	return KG_OK;
}

static int load_krl(const char *path, kg_krl **out)
{
	uint8_t *d = NULL;
	size_t n = 0;
	int r = read_binary(path, &d, &n);
	if (r < 0) {
		kgk_log("Unable to load KRL %s: %s", path, r == KG_ERR_SYSTEM ? strerror(errno) : kg_err_str(r));
		return 255;
	}
	if (!kg_krl_is_krl(d, n)) {
		kgk_log("Invalid KRL file %s: KRL file has invalid magic number", path);
		free(d);
		return 255;
	}
	r = kg_krl_parse(d, n, out);
	free(d);
	if (r < 0) {
		kgk_log("Invalid KRL file %s: %s", path, kgk_load_err(r));
		return 255;
	}
	return 0;
}

/* The blob and comment of a public key or certificate file. */
static int load_blob(const char *path, kg_buf *blob, char *comment, size_t clen)
{
	char *text = NULL;
	size_t len = 0;
	comment[0] = 0;
	int r = kgk_read_file(path, 0, &text, &len);
	if (r < 0)
		return r;
	char *line = text, *nl;
	while (*line == '#' || *line == '\n')
		line = (nl = strchr(line, '\n')) ? nl + 1 : line + strlen(line);
	if ((nl = strchr(line, '\n')))
		*nl = 0;
	/* "type base64 [comment]" */
	char *sp = strpbrk(line, " \t");
	char *b64 = sp ? sp + strspn(sp, " \t") : NULL;
	size_t bl = b64 ? strcspn(b64, " \t\r") : 0;
	r = KG_ERR_FORMAT;
	if (bl && kg_buf_get_base64(blob, b64, bl) == KG_OK) {
		char *c = b64 + bl;
		c += strspn(c, " \t");
		snprintf(comment, clen, "%s", c);
		size_t cl = strlen(comment);
		while (cl && (comment[cl - 1] == '\r' || comment[cl - 1] == ' '))
			comment[--cl] = 0;
		r = KG_OK;
	}
	OPENSSL_cleanse(text, len);
	free(text);
	if (r == KG_OK)
		return r;
	kg_buf_reset(blob);
	kg_key *k = NULL;
	GUARD(kgk_load_public(path, &k));
	if (k->comment)
		snprintf(comment, clen, "%s", k->comment);
	r = kg_key_to_blob(k, blob);
	kg_key_free(k);
	return r;
}

static void print_time(uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[64];
	if (localtime_r(&tt, &tm) && strftime(s, sizeof(s), "%Y%m%dT%H%M%S", &tm))
		printf("# Generated at %s\n", s);
	else
		printf("# Generated at %llu\n", (unsigned long long)t);
}

typedef struct dump { const uint8_t *ca; size_t ca_len; int started; } dump;

static void hexline(const char *pfx, const uint8_t *h, size_t n)
{
	char hex[2 * 64 + 1];
	kg_hex(h, n > 64 ? 64 : n, hex);
	printf("%s%s\n", pfx, hex);
}

static int d_sha256(void *arg, const uint8_t *h, size_t n) { (void)arg; hexline("hash: SHA256:", h, n); return 0; }
static int d_sha1(void *arg, const uint8_t *h, size_t n) { (void)arg; hexline("# hash SHA1:", h, n); return 0; }

static int d_key(void *arg, const uint8_t *b, size_t n)
{
	(void)arg;
	kg_key *k = NULL;
	char fp[KG_KEY_FP_LEN];
	if (kg_key_from_blob(b, n, &k) == KG_OK && kg_key_fingerprint(k, fp, sizeof(fp)) == KG_OK)
		printf("hash: %s # %s\n", fp, kg_key_type_name(k->type));
	kg_key_free(k);
	return 0;
}

static void d_ca(dump *d, const uint8_t *ca, size_t ca_len)
{
	if (d->started && d->ca == ca && d->ca_len == ca_len)
		return;
	d->started = 1;
	d->ca = ca;
	d->ca_len = ca_len;
	putchar('\n');
	kg_key *k = NULL;
	char fp[KG_KEY_FP_LEN];
	if (!ca_len)
		printf("# Wildcard CA\n");
	else if (kg_key_from_blob(ca, ca_len, &k) == KG_OK && kg_key_fingerprint(k, fp, sizeof(fp)) == KG_OK)
		printf("# CA key %s %s\n", kg_key_type_name(k->type), fp);
	kg_key_free(k);
}

static int d_range(void *arg, const uint8_t *ca, size_t ca_len, uint64_t lo, uint64_t hi)
{
	d_ca(arg, ca, ca_len);
	if (lo == hi)
		printf("serial: %llu\n", (unsigned long long)lo);
	else
		printf("serial: %llu-%llu\n", (unsigned long long)lo, (unsigned long long)hi);
	return 0;
}

static int d_id(void *arg, const uint8_t *ca, size_t ca_len, const char *id)
{
	d_ca(arg, ca, ca_len);
	printf("id: %s\n", id);
	return 0;
}

static void krl_dump(kg_krl *k)
{
	printf("# KRL version %llu\n", (unsigned long long)kg_krl_version(k));
	print_time(kg_krl_date(k));
	if (*kg_krl_comment(k))
		printf("# Comment: %s\n", kg_krl_comment(k));
	putchar('\n');
	dump d = { NULL, 0, 0 };
	kg_krl_visit keys = { .arg = &d, .key = d_key, .sha256 = d_sha256 };
	kg_krl_visit sha1 = { .arg = &d, .sha1 = d_sha1 };
	kg_krl_visit certs = { .arg = &d, .range = d_range, .key_id = d_id };
	if (kg_krl_walk(k, &keys) < 0 || kg_krl_walk(k, &sha1) < 0 || kg_krl_walk(k, &certs) < 0)
		kgk_log("KRL dump failed");
}

int kgk_krl_check(kgk_opts *o, char **files, int n)
{
	if (!o->have_file) {
		kgk_log("KRL checking requires an input file");
		return 255;
	}
	kg_krl *k = NULL;
	int ret = load_krl(o->file, &k);
	if (ret)
		return ret;
	if (o->print_fp)
		krl_dump(k);
	for (int i = 0; i < n && ret != 255; i++) {
		kg_buf b;
		char comment[1024];
		kg_buf_init(&b, 64 * 1024);
		int r = load_blob(files[i], &b, comment, sizeof(comment));
		if (r < 0) {
			fflush(stdout);
			kgk_log("Cannot load public key %s: %s", files[i],
				r == KG_ERR_NOT_FOUND ? strerror(ENOENT) : kgk_load_err(r));
			ret = 255;
		} else {
			r = kg_krl_check_blob(k, kg_buf_ptr(&b), kg_buf_len(&b));
			printf("%s%s%s%s: %s\n", files[i], *comment ? " (" : "", comment, *comment ? ")" : "",
			       r == KG_OK ? "ok" : "REVOKED");
			if (r != KG_OK)
				ret = 1;
		}
		kg_buf_free(&b);
	}
	fflush(stdout);
	kg_krl_free(k);
	return ret;
}

/* "Revoking from" lines: shown at once on a terminal, else (like a
 * buffered stdout that a fatal error never flushes) only on success. */
static void revoking(kgk_opts *o, kg_buf *held, const char *path)
{
	if (o->quiet)
		return;
	if (isatty(STDOUT_FILENO) || kg_buf_putf(held, "Revoking from %s\n", path) < 0)
		printf("Revoking from %s\n", path);
}

static int update_from_file(kgk_opts *o, kg_krl *k, const char *path, const kg_buf *ca, int wild, kg_buf *held)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int is_stdin = strcmp(path, "-") == 0;
	if (read_binary(path, &data, &len) < 0) {
		kgk_log("fopen %s: %s", path, strerror(errno));
		return 255;
	}
	char *text = (char *)data;
	revoking(o, held, is_stdin ? "(standard input)" : path);
	unsigned long lnum = 0;
	int ret = 0;
	for (char *line = text, *nl; line && *line && !ret; line = nl) {
		lnum++;
		if ((nl = strchr(line, '\n')))
			*nl++ = 0;
		size_t ll = strlen(line);
		while (ll && (line[ll - 1] == ' ' || line[ll - 1] == '\t' || line[ll - 1] == '\r'))
			line[--ll] = 0;
		char why[KG_KRL_WHY_LEN];
		int nopfx;
		if (kg_krl_spec_line(k, line, kg_buf_ptr(ca), kg_buf_len(ca), wild, why, &nopfx) < 0) {
			fflush(stdout);
			if (nopfx)
				kgk_log("%s", why);
			else
				kgk_log("%s:%lu: %s", path, lnum, why);
			ret = 255;
		}
	}
	free(text);
	return ret;
}

int kgk_krl_gen(kgk_opts *o, int updating, const char *version, char **files, int n)
{
	if (!o->have_file) {
		kgk_log("KRL generation requires an output file");
		return 255;
	}
	struct stat st;
	if (stat(o->file, &st) < 0) {
		if (errno != ENOENT) {
			kgk_log("Cannot access KRL \"%s\": %s", o->file, strerror(errno));
			return 255;
		}
		if (updating) {
			kgk_log("KRL \"%s\" does not exist", o->file);
			return 255;
		}
	}
	unsigned long long ver = 0;
	if (version) {
		char *ep;
		errno = 0;
		ver = strtoull(version, &ep, 10);
		if (*version < '0' || *version > '9' || *ep || errno == ERANGE) {
			kgk_log("Invalid serial number \"%s\"", version);
			return 255;
		}
	}
	kg_buf ca;
	kg_buf_init(&ca, 64 * 1024);
	int wild = 0, ret = 0;
	kg_krl *k = NULL;
	if (o->sigfile && strcasecmp(o->sigfile, "none") == 0) {
		wild = 1;
	} else if (o->sigfile) {
		kg_key *key = NULL;
		int r = kgk_load_public(o->sigfile, &key);
		if (r == KG_OK)
			r = kg_key_to_blob(key, &ca);
		kg_key_free(key);
		if (r < 0) {
			kgk_log("Cannot load CA public key %s: %s", o->sigfile, kgk_load_err(r));
			ret = 255;
			goto out;
		}
	}
	if (updating) {
		if ((ret = load_krl(o->file, &k)) != 0)
			goto out;
	} else if (!(k = kg_krl_new())) {
		kgk_log("couldn't create KRL");
		ret = 255;
		goto out;
	}
	if (ver)
		kg_krl_set_version(k, ver);
	kg_buf held;
	kg_buf_init(&held, 0);
	for (int i = 0; i < n && !ret; i++)
		ret = update_from_file(o, k, files[i], &ca, wild, &held);
	if (!ret)
		fwrite(kg_buf_ptr(&held), 1, kg_buf_len(&held), stdout);
	kg_buf_free(&held);
	if (ret)
		goto out;
	kg_krl_set_date(k, (uint64_t)time(NULL));
	kg_buf out;
	kg_buf_init(&out, KG_KRL_MAX_FILE);
	if (kg_krl_serialize(k, &out) < 0) {
		kgk_log("Couldn't generate KRL");
		ret = 255;
	} else if (kgk_write_file(o->file, kg_buf_ptr(&out), kg_buf_len(&out), 0644) < 0) {
		kgk_log("write %s: %s", o->file, strerror(errno));
		ret = 255;
	}
	kg_buf_free(&out);
out:
	kg_krl_free(k);
	kg_buf_free(&ca);
	return ret;
}
