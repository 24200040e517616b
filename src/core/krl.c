/* Key revocation lists: the SSHKRL binary format (parse, serialize) and
 * the revocation queries, over key blobs. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "core/err.h"
#include "core/krl.h"

enum {
	SEC_CERTIFICATES = 1, SEC_EXPLICIT_KEY = 2, SEC_FP_SHA1 = 3, SEC_SIGNATURE = 4,
	SEC_FP_SHA256 = 5, SEC_EXTENSION = 255,
	CSEC_SERIAL_LIST = 0x20, CSEC_SERIAL_RANGE = 0x21, CSEC_SERIAL_BITMAP = 0x22,
	CSEC_KEY_ID = 0x23, CSEC_EXTENSION = 0x39,
};

typedef struct blob { uint8_t *d; size_t len; } blob;
typedef struct blobs { blob *v; size_t n, cap; int sorted; } blobs;
typedef struct range { uint64_t lo, hi; } range;

typedef struct ca_sect {
	blob ca;            /* len 0 = any CA */
	range *r;
	size_t nr, cr;
	int r_sorted;
	blobs ids;          /* NUL-terminated strings (len excludes the NUL) */
} ca_sect;

struct kg_krl {
	uint64_t version, date;
	char *comment;
	ca_sect *cas;
	size_t nca, cca;
	blobs keys, sha1, sha256;
	size_t entries;
};

kg_krl *kg_krl_new(void)
{
	return calloc(1, sizeof(kg_krl));
}

static void blobs_free(blobs *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].d);
	free(b->v);
	memset(b, 0, sizeof(*b));
}

void kg_krl_free(kg_krl *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->nca; i++) {
		free(k->cas[i].ca.d);
		free(k->cas[i].r);
		blobs_free(&k->cas[i].ids);
	}
	free(k->cas);
	blobs_free(&k->keys);
	blobs_free(&k->sha1);
	blobs_free(&k->sha256);
	free(k->comment);
	free(k);
}

int kg_krl_is_krl(const uint8_t *data, size_t len)
{
	return len >= 8 && kg_peek_u64(data) == KG_KRL_MAGIC;
}

void kg_krl_set_version(kg_krl *k, uint64_t v) { k->version = v; }
void kg_krl_set_date(kg_krl *k, uint64_t t) { k->date = t; }
uint64_t kg_krl_version(const kg_krl *k) { return k->version; }
uint64_t kg_krl_date(const kg_krl *k) { return k->date; }
const char *kg_krl_comment(const kg_krl *k) { return k->comment ? k->comment : ""; }

int kg_krl_set_comment(kg_krl *k, const char *c)
{
	char *n = strdup(c ? c : "");
	ENSURE(n, KG_ERR_ALLOC);
	free(k->comment);
	k->comment = n;
	return KG_OK;
}

static int blob_cmp(const blob *a, const blob *b)
{
	size_t m = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->d, b->d, m);
	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

static int blob_qcmp(const void *a, const void *b)
{
	return blob_cmp(a, b);
}

static int blobs_has(const blobs *b, const uint8_t *d, size_t len)
{
	blob key = { (uint8_t *)d, len };
	if (b->sorted)
		return bsearch(&key, b->v, b->n, sizeof(blob), blob_qcmp) != NULL;
	for (size_t i = 0; i < b->n; i++)
		if (blob_cmp(&b->v[i], &key) == 0)
			return 1;
	return 0;
}

static int blobs_add(kg_krl *k, blobs *b, const uint8_t *d, size_t len, int nul)
{
	ENSURE(k->entries < KG_KRL_MAX_ENTRIES, KG_ERR_TOO_LARGE);
	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 8;
		blob *nv = realloc(b->v, nc * sizeof(blob));
		ENSURE(nv, KG_ERR_ALLOC);
		b->v = nv;
		b->cap = nc;
	}
	uint8_t *c = malloc(len + (nul ? 1 : 0) + 1);
	ENSURE(c, KG_ERR_ALLOC);
	if (len)
		memcpy(c, d, len);
	c[len] = 0;
	b->v[b->n].d = c;
	b->v[b->n].len = len;
	b->n++;
	b->sorted = 0;
	k->entries++;
	return KG_OK;
}

/* Sorts and drops duplicates. */
static void blobs_finish(blobs *b)
{
	if (b->n > 1)
		qsort(b->v, b->n, sizeof(blob), blob_qcmp);
	size_t o = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (o && blob_cmp(&b->v[o - 1], &b->v[i]) == 0) {
			free(b->v[i].d);
			continue;
		}
		b->v[o++] = b->v[i];
	}
	b->n = o;
	b->sorted = 1;
}

static int range_qcmp(const void *a, const void *b)
{
	const range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorts and merges overlapping or adjacent ranges. */
static void ranges_finish(ca_sect *s)
{
	if (s->nr > 1)
		qsort(s->r, s->nr, sizeof(range), range_qcmp);
	size_t o = 0;
	for (size_t i = 0; i < s->nr; i++) {
		if (o && s->r[i].lo <= s->r[o - 1].hi + 1 && s->r[o - 1].hi != UINT64_MAX) {
			if (s->r[i].hi > s->r[o - 1].hi)
				s->r[o - 1].hi = s->r[i].hi;
			continue;
		}
		if (o && s->r[o - 1].hi == UINT64_MAX)
			continue;
		s->r[o++] = s->r[i];
	}
	s->nr = o;
	s->r_sorted = 1;
}

static void krl_finish(kg_krl *k)
{
	for (size_t i = 0; i < k->nca; i++) {
		ranges_finish(&k->cas[i]);
		blobs_finish(&k->cas[i].ids);
	}
	blobs_finish(&k->keys);
	blobs_finish(&k->sha1);
	blobs_finish(&k->sha256);
}

static int ca_get(kg_krl *k, const uint8_t *ca, size_t ca_len, ca_sect **out)
{
	for (size_t i = 0; i < k->nca; i++) {
		blob *b = &k->cas[i].ca;
		if (b->len == ca_len && (ca_len == 0 || memcmp(b->d, ca, ca_len) == 0)) {
			*out = &k->cas[i];
			return KG_OK;
		}
	}
	if (k->nca == k->cca) {
		size_t nc = k->cca ? k->cca * 2 : 4;
		ca_sect *nv = realloc(k->cas, nc * sizeof(ca_sect));
		ENSURE(nv, KG_ERR_ALLOC);
		k->cas = nv;
		k->cca = nc;
	}
	ca_sect *s = &k->cas[k->nca];
	memset(s, 0, sizeof(*s));
	if (ca_len) {
		s->ca.d = malloc(ca_len);
		ENSURE(s->ca.d, KG_ERR_ALLOC);
		memcpy(s->ca.d, ca, ca_len);
		s->ca.len = ca_len;
	}
	k->nca++;
	*out = s;
	return KG_OK;
}

static int range_add(kg_krl *k, ca_sect *s, uint64_t lo, uint64_t hi)
{
	ENSURE(lo != 0 && lo <= hi, KG_ERR_ARG);
	if (s->nr && s->r[s->nr - 1].hi != UINT64_MAX && s->r[s->nr - 1].hi + 1 == lo) {
		s->r[s->nr - 1].hi = hi;  /* consecutive bitmap bits stay one range */
		return KG_OK;
	}
	ENSURE(k->entries < KG_KRL_MAX_ENTRIES, KG_ERR_TOO_LARGE);
	if (s->nr == s->cr) {
		size_t nc = s->cr ? s->cr * 2 : 8;
		range *nv = realloc(s->r, nc * sizeof(range));
		ENSURE(nv, KG_ERR_ALLOC);
		s->r = nv;
		s->cr = nc;
	}
	s->r[s->nr].lo = lo;
	s->r[s->nr].hi = hi;
	s->nr++;
	s->r_sorted = 0;
	k->entries++;
	return KG_OK;
}

int kg_krl_revoke_serials(kg_krl *k, const uint8_t *ca, size_t ca_len, uint64_t lo, uint64_t hi)
{
	/* serials only mean something for a named CA */
	ENSURE(k && ca && ca_len && lo != 0 && lo <= hi, KG_ERR_ARG);
	ca_sect *s;
	GUARD(ca_get(k, ca, ca_len, &s));
	return range_add(k, s, lo, hi);
}

int kg_krl_revoke_key_id(kg_krl *k, const uint8_t *ca, size_t ca_len, const char *id)
{
	ENSURE(k && id, KG_ERR_ARG);
	ca_sect *s;
	GUARD(ca_get(k, ca, ca_len, &s));
	if (blobs_has(&s->ids, (const uint8_t *)id, strlen(id)))
		return KG_OK;
	return blobs_add(k, &s->ids, (const uint8_t *)id, strlen(id), 1);
}

int kg_krl_revoke_key_blob(kg_krl *k, const uint8_t *b, size_t len)
{
	ENSURE(k && b && len, KG_ERR_ARG);
	return blobs_add(k, &k->keys, b, len, 0);
}

int kg_krl_revoke_sha1(kg_krl *k, const uint8_t *h, size_t len)
{
	ENSURE(k && h && len == 20, KG_ERR_ARG);
	return blobs_add(k, &k->sha1, h, len, 0);
}

int kg_krl_revoke_sha256(kg_krl *k, const uint8_t *h, size_t len)
{
	ENSURE(k && h && len == 32, KG_ERR_ARG);
	return blobs_add(k, &k->sha256, h, len, 0);
}

/* ---- queries ---- */

static int hash_blob(const EVP_MD *md, const uint8_t *b, size_t len, uint8_t *out, unsigned *olen)
{
	return EVP_Digest(b, len, out, olen, md, NULL) == 1 ? KG_OK : KG_ERR_CRYPTO;
}

int kg_krl_check_key_blob(const kg_krl *k, const uint8_t *b, size_t len)
{
	ENSURE(k && b, KG_ERR_ARG);
	if (blobs_has(&k->keys, b, len))
		return KG_ERR_REVOKED;
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned hl = 0;
	if (k->sha1.n) {
		GUARD(hash_blob(EVP_sha1(), b, len, h, &hl));
		if (blobs_has(&k->sha1, h, hl))
			return KG_ERR_REVOKED;
	}
	if (k->sha256.n) {
		GUARD(hash_blob(EVP_sha256(), b, len, h, &hl));
		if (blobs_has(&k->sha256, h, hl))
			return KG_ERR_REVOKED;
	}
	return KG_OK;
}

static int serial_in(const ca_sect *s, uint64_t serial)
{
	if (s->r_sorted) {
		size_t lo = 0, hi = s->nr;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (serial < s->r[mid].lo)
				hi = mid;
			else if (serial > s->r[mid].hi)
				lo = mid + 1;
			else
				return 1;
		}
		return 0;
	}
	for (size_t i = 0; i < s->nr; i++)
		if (serial >= s->r[i].lo && serial <= s->r[i].hi)
			return 1;
	return 0;
}

int kg_krl_check_cert(const kg_krl *k, const kg_krl_cert_ref *c)
{
	ENSURE(k && c, KG_ERR_ARG);
	for (size_t i = 0; i < k->nca; i++) {
		const ca_sect *s = &k->cas[i];
		if (s->ca.len && (s->ca.len != c->ca_len || !c->ca_blob ||
				  memcmp(s->ca.d, c->ca_blob, c->ca_len) != 0))
			continue;
		if (c->key_id && blobs_has(&s->ids, (const uint8_t *)c->key_id, strlen(c->key_id)))
			return KG_ERR_REVOKED;
		/* Serials only ever apply to a named CA; serial 0 is never revoked. */
		if (s->ca.len && c->serial && serial_in(s, c->serial))
			return KG_ERR_REVOKED;
	}
	return KG_OK;
}

/* ---- parsing ---- */

static int parse_extension(kg_buf *sec)
{
	const uint8_t *name, *body;
	size_t nl, bl;
	int crit;
	GUARD(kg_buf_get_string_direct(sec, &name, &nl));
	GUARD(kg_buf_get_bool(sec, &crit));
	GUARD(kg_buf_get_string_direct(sec, &body, &bl));
	ENSURE(kg_buf_len(sec) == 0, KG_ERR_FORMAT);
	/* No extension is known: a critical one refuses the KRL. */
	ENSURE(!crit, KG_ERR_FORMAT);
	return KG_OK;
}

static int parse_bitmap(kg_krl *k, ca_sect *s, kg_buf *sub)
{
	uint64_t off;
	const uint8_t *m;
	size_t ml;
	GUARD(kg_buf_get_u64(sub, &off));
	GUARD(kg_buf_get_mpint_direct(sub, &m, &ml));
	ENSURE(kg_buf_len(sub) == 0, KG_ERR_FORMAT);
	for (size_t bit = 0; bit < ml * 8; bit++) {
		if (!((m[ml - 1 - bit / 8] >> (bit % 8)) & 1))
			continue;
		ENSURE(off <= UINT64_MAX - bit, KG_ERR_FORMAT);
		uint64_t serial = off + bit;
		ENSURE(serial != 0, KG_ERR_FORMAT);
		GUARD(range_add(k, s, serial, serial));
	}
	return KG_OK;
}

static int parse_certs(kg_krl *k, kg_buf *sec)
{
	const uint8_t *ca;
	size_t cl;
	ca_sect *s;
	GUARD(kg_buf_get_string_direct(sec, &ca, &cl));
	GUARD(kg_buf_skip_string(sec));  /* reserved */
	GUARD(ca_get(k, ca, cl, &s));
	while (kg_buf_len(sec)) {
		uint8_t t;
		kg_buf sub;
		GUARD(kg_buf_get_u8(sec, &t));
		GUARD(kg_buf_get_stringb(sec, &sub));
		ENSURE(cl || t == CSEC_KEY_ID || t == CSEC_EXTENSION, KG_ERR_FORMAT);
		switch (t) {
		case CSEC_SERIAL_LIST:
			while (kg_buf_len(&sub)) {
				uint64_t v;
				GUARD(kg_buf_get_u64(&sub, &v));
				ENSURE(v != 0, KG_ERR_FORMAT);
				GUARD(range_add(k, s, v, v));
			}
			break;
		case CSEC_SERIAL_RANGE: {
			uint64_t lo, hi;
			GUARD(kg_buf_get_u64(&sub, &lo));
			GUARD(kg_buf_get_u64(&sub, &hi));
			ENSURE(kg_buf_len(&sub) == 0 && lo != 0 && lo <= hi, KG_ERR_FORMAT);
			GUARD(range_add(k, s, lo, hi));
			break;
		}
		case CSEC_SERIAL_BITMAP:
			GUARD(parse_bitmap(k, s, &sub));
			break;
		case CSEC_KEY_ID:
			while (kg_buf_len(&sub)) {
				char *id;
				size_t il;
				GUARD(kg_buf_get_cstring(&sub, &id, &il));
				int r = blobs_add(k, &s->ids, (const uint8_t *)id, il, 1);
				free(id);
				GUARD(r);
			}
			break;
		case CSEC_EXTENSION:
			GUARD(parse_extension(&sub));
			break;
		default:
			return KG_ERR_FORMAT;
		}
	}
	return KG_OK;
}

static int parse_blobs(kg_krl *k, blobs *b, kg_buf *sec, size_t want_len)
{
	ENSURE(kg_buf_len(sec) > 0, KG_ERR_FORMAT);
	const uint8_t *prev = NULL;
	while (kg_buf_len(sec)) {
		const uint8_t *d;
		size_t l;
		GUARD(kg_buf_get_string_direct(sec, &d, &l));
		ENSURE(l > 0 && (!want_len || l == want_len), KG_ERR_FORMAT);
		if (want_len) {
			/* hashes in strictly increasing numeric order */
			ENSURE(!prev || memcmp(prev, d, l) < 0, KG_ERR_FORMAT);
			prev = d;
		}
		GUARD(blobs_add(k, b, d, l, 0));
	}
	return KG_OK;
}

static int parse_body(kg_krl *k, kg_buf *b)
{
	uint64_t magic;
	uint32_t fv;
	GUARD(kg_buf_get_u64(b, &magic));
	ENSURE(magic == KG_KRL_MAGIC, KG_ERR_FORMAT);
	GUARD(kg_buf_get_u32(b, &fv));
	ENSURE(fv == KG_KRL_FORMAT_VERSION, KG_ERR_FORMAT);
	uint64_t flags;
	GUARD(kg_buf_get_u64(b, &k->version));
	GUARD(kg_buf_get_u64(b, &k->date));
	GUARD(kg_buf_get_u64(b, &flags));
	GUARD(kg_buf_skip_string(b));  /* reserved */
	size_t cl;
	GUARD(kg_buf_get_cstring(b, &k->comment, &cl));
	int in_sigs = 0;
	while (kg_buf_len(b)) {
		uint8_t t;
		GUARD(kg_buf_get_u8(b, &t));
		if (t == SEC_SIGNATURE) {
			/* string signature_key, string signature: parsed, not trusted */
			GUARD(kg_buf_skip_string(b));
			GUARD(kg_buf_skip_string(b));
			in_sigs = 1;
			continue;
		}
		ENSURE(!in_sigs, KG_ERR_FORMAT);
		kg_buf sec;
		GUARD(kg_buf_get_stringb(b, &sec));
		switch (t) {
		case SEC_CERTIFICATES: GUARD(parse_certs(k, &sec)); break;
		case SEC_EXPLICIT_KEY: GUARD(parse_blobs(k, &k->keys, &sec, 0)); break;
		case SEC_FP_SHA1: GUARD(parse_blobs(k, &k->sha1, &sec, 20)); break;
		case SEC_FP_SHA256: GUARD(parse_blobs(k, &k->sha256, &sec, 32)); break;
		case SEC_EXTENSION: GUARD(parse_extension(&sec)); break;
		default: return KG_ERR_FORMAT;
		}
	}
	return KG_OK;
}

int kg_krl_parse(const uint8_t *data, size_t len, kg_krl **out)
{
	ENSURE(data && out, KG_ERR_ARG);
	*out = NULL;
	ENSURE(len <= KG_KRL_MAX_FILE, KG_ERR_TOO_LARGE);
	kg_krl *k = kg_krl_new();
	ENSURE(k, KG_ERR_ALLOC);
	kg_buf b;
	kg_buf_view(&b, data, len);
	int r = parse_body(k, &b);
	if (r < 0) {
		kg_krl_free(k);
		return r;
	}
	krl_finish(k);
	*out = k;
	return KG_OK;
}

/* ---- serializing ---- */

static int put_sub(kg_buf *sec, uint8_t t, kg_buf *sub)
{
	GUARD(kg_buf_put_u8(sec, t));
	GUARD(kg_buf_put_stringb(sec, sub));
	kg_buf_reset(sub);
	return KG_OK;
}

static int put_ca_sect(const ca_sect *s, kg_buf *sec, kg_buf *sub)
{
	GUARD(kg_buf_put_string(sec, s->ca.d, s->ca.len));
	GUARD(kg_buf_put_string(sec, NULL, 0));
	for (size_t i = 0; i < s->nr; i++)
		if (s->r[i].lo == s->r[i].hi)
			GUARD(kg_buf_put_u64(sub, s->r[i].lo));
	if (kg_buf_len(sub))
		GUARD(put_sub(sec, CSEC_SERIAL_LIST, sub));
	for (size_t i = 0; i < s->nr; i++) {
		if (s->r[i].lo == s->r[i].hi)
			continue;
		GUARD(kg_buf_put_u64(sub, s->r[i].lo));
		GUARD(kg_buf_put_u64(sub, s->r[i].hi));
		GUARD(put_sub(sec, CSEC_SERIAL_RANGE, sub));
	}
	for (size_t i = 0; i < s->ids.n; i++)
		GUARD(kg_buf_put_string(sub, s->ids.v[i].d, s->ids.v[i].len));
	if (kg_buf_len(sub))
		GUARD(put_sub(sec, CSEC_KEY_ID, sub));
	return KG_OK;
}

static int put_blobs(const blobs *b, uint8_t t, kg_buf *out, kg_buf *sec)
{
	if (!b->n)
		return KG_OK;
	for (size_t i = 0; i < b->n; i++)
		GUARD(kg_buf_put_string(sec, b->v[i].d, b->v[i].len));
	return put_sub(out, t, sec);
}

static int serialize(kg_krl *k, kg_buf *out, kg_buf *sec, kg_buf *sub)
{
	GUARD(kg_buf_put_u64(out, KG_KRL_MAGIC));
	GUARD(kg_buf_put_u32(out, KG_KRL_FORMAT_VERSION));
	GUARD(kg_buf_put_u64(out, k->version));
	GUARD(kg_buf_put_u64(out, k->date));
	GUARD(kg_buf_put_u64(out, 0));
	GUARD(kg_buf_put_string(out, NULL, 0));
	GUARD(kg_buf_put_cstring(out, kg_krl_comment(k)));
	for (size_t i = 0; i < k->nca; i++) {
		if (!k->cas[i].nr && !k->cas[i].ids.n)
			continue;
		GUARD(put_ca_sect(&k->cas[i], sec, sub));
		GUARD(put_sub(out, SEC_CERTIFICATES, sec));
	}
	GUARD(put_blobs(&k->keys, SEC_EXPLICIT_KEY, out, sec));
	GUARD(put_blobs(&k->sha1, SEC_FP_SHA1, out, sec));
	GUARD(put_blobs(&k->sha256, SEC_FP_SHA256, out, sec));
	return KG_OK;
}

int kg_krl_serialize(kg_krl *k, kg_buf *out)
{
	ENSURE(k && out, KG_ERR_ARG);
	krl_finish(k);
	kg_buf sec, sub;
	kg_buf_init(&sec, KG_KRL_MAX_FILE);
	kg_buf_init(&sub, KG_KRL_MAX_FILE);
	int r = serialize(k, out, &sec, &sub);
	kg_buf_free(&sec);
	kg_buf_free(&sub);
	return r;
}

int kg_krl_walk(kg_krl *k, const kg_krl_visit *v)
{
	ENSURE(k && v, KG_ERR_ARG);
	krl_finish(k);
	for (size_t i = 0; i < k->nca; i++) {
		const ca_sect *s = &k->cas[i];
		for (size_t j = 0; v->range && j < s->nr; j++)
			GUARD(v->range(v->arg, s->ca.d, s->ca.len, s->r[j].lo, s->r[j].hi));
		for (size_t j = 0; v->key_id && j < s->ids.n; j++)
			GUARD(v->key_id(v->arg, s->ca.d, s->ca.len, (const char *)s->ids.v[j].d));
	}
	for (size_t i = 0; v->key && i < k->keys.n; i++)
		GUARD(v->key(v->arg, k->keys.v[i].d, k->keys.v[i].len));
	for (size_t i = 0; v->sha1 && i < k->sha1.n; i++)
		GUARD(v->sha1(v->arg, k->sha1.v[i].d, k->sha1.v[i].len));
	for (size_t i = 0; v->sha256 && i < k->sha256.n; i++)
		GUARD(v->sha256(v->arg, k->sha256.v[i].d, k->sha256.v[i].len));
	return KG_OK;
}
