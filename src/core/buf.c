/* Bounds-checked buffer.  Every length from outside is checked against what
 * is actually there before it is used, in a form that cannot overflow
 * (compare against "available", never add to an untrusted length). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "core/buf.h"

void kg_buf_init(kg_buf *b, size_t max_size)
{
	memset(b, 0, sizeof(*b));
	b->max_size = max_size ? max_size : KG_BUF_DEFAULT_MAX;
	if (b->max_size > KG_BUF_HARD_MAX)
		b->max_size = KG_BUF_HARD_MAX;
}

void kg_buf_view(kg_buf *b, const void *data, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->d = (uint8_t *)(uintptr_t)data;
	b->size = len;
	b->alloc = len;
	b->max_size = len;
	b->readonly = 1;
}

void kg_buf_free(kg_buf *b)
{
	if (!b->readonly && b->d) {
		OPENSSL_cleanse(b->d, b->alloc);
		free(b->d);
	}
	size_t max = b->readonly ? KG_BUF_DEFAULT_MAX : b->max_size;
	memset(b, 0, sizeof(*b));
	b->max_size = max;
}

void kg_buf_reset(kg_buf *b)
{
	if (b->readonly) {
		b->off = b->size;
		return;
	}
	if (b->d && b->size)
		OPENSSL_cleanse(b->d, b->size);
	b->off = b->size = 0;
}

uint8_t *kg_buf_mutable_ptr(kg_buf *b)
{
	if (b->readonly || !b->d)
		return NULL;
	return b->d + b->off;
}

int kg_buf_set_max(kg_buf *b, size_t max_size)
{
	ENSURE(!b->readonly, KG_ERR_ARG);
	ENSURE(max_size <= KG_BUF_HARD_MAX, KG_ERR_TOO_LARGE);
	ENSURE(kg_buf_len(b) <= max_size, KG_ERR_NO_SPACE);
	b->max_size = max_size;
	return KG_OK;
}

void kg_buf_pack(kg_buf *b)
{
	if (b->readonly || b->off == 0)
		return;
	size_t len = b->size - b->off;
	memmove(b->d, b->d + b->off, len);
	b->off = 0;
	b->size = len;
}

int kg_buf_allocate(kg_buf *b, size_t len)
{
	ENSURE(!b->readonly, KG_ERR_ARG);
	size_t used = b->size - b->off;
	ENSURE(len <= b->max_size && used <= b->max_size - len, KG_ERR_NO_SPACE);
	if (b->alloc - b->size >= len)
		return KG_OK;
	/* Reclaim consumed space at the front before growing. */
	if (b->off > 0 && b->alloc - used >= len) {
		kg_buf_pack(b);
		return KG_OK;
	}
	/* Growing: the unread data is copied once, to the new storage's start. */
	size_t need = used + len;
	size_t nalloc = b->alloc ? b->alloc : 256;
	while (nalloc < need)
		nalloc = nalloc > SIZE_MAX / 2 ? need : nalloc * 2;
	if (nalloc > b->max_size + 64 && need <= b->max_size + 64)
		nalloc = need;
	uint8_t *nd = malloc(nalloc);
	ENSURE(nd != NULL, KG_ERR_ALLOC);
	if (b->d) {
		memcpy(nd, b->d + b->off, used);
		OPENSSL_cleanse(b->d, b->alloc);
		free(b->d);
	}
	b->d = nd;
	b->off = 0;
	b->size = used;
	b->alloc = nalloc;
	return KG_OK;
}

int kg_buf_reserve(kg_buf *b, size_t len, uint8_t **dpp)
{
	GUARD(kg_buf_allocate(b, len));
	if (dpp)
		*dpp = b->d ? b->d + b->size : NULL;  /* nothing allocated yet when len is 0 */
	b->size += len;
	return KG_OK;
}

int kg_buf_consume(kg_buf *b, size_t len)
{
	ENSURE(len <= kg_buf_len(b), KG_ERR_INCOMPLETE);
	b->off += len;
	if (b->off == b->size && !b->readonly)
		b->off = b->size = 0;
	return KG_OK;
}

int kg_buf_consume_end(kg_buf *b, size_t len)
{
	ENSURE(len <= kg_buf_len(b), KG_ERR_INCOMPLETE);
	b->size -= len;
	return KG_OK;
}

int kg_buf_get(kg_buf *b, void *v, size_t len)
{
	ENSURE(len <= kg_buf_len(b), KG_ERR_INCOMPLETE);
	if (v && len)
		memcpy(v, kg_buf_ptr(b), len);
	return kg_buf_consume(b, len);
}

int kg_buf_get_u8(kg_buf *b, uint8_t *v)
{
	return kg_buf_get(b, v, 1);
}

int kg_buf_peek_u32(const kg_buf *b, uint32_t *v)
{
	ENSURE(kg_buf_len(b) >= 4, KG_ERR_INCOMPLETE);
	if (v)
		*v = kg_peek_u32(kg_buf_ptr(b));
	return KG_OK;
}

int kg_buf_get_u32(kg_buf *b, uint32_t *v)
{
	GUARD(kg_buf_peek_u32(b, v));
	return kg_buf_consume(b, 4);
}

int kg_buf_get_u64(kg_buf *b, uint64_t *v)
{
	ENSURE(kg_buf_len(b) >= 8, KG_ERR_INCOMPLETE);
	if (v)
		*v = kg_peek_u64(kg_buf_ptr(b));
	return kg_buf_consume(b, 8);
}

int kg_buf_get_bool(kg_buf *b, int *v)
{
	uint8_t c;
	GUARD(kg_buf_get_u8(b, &c));
	if (v)
		*v = c != 0;
	return KG_OK;
}

/* Validates a string header without consuming anything. */
static int peek_string(const kg_buf *b, const uint8_t **valp, size_t *lenp)
{
	uint32_t len;
	GUARD(kg_buf_peek_u32(b, &len));
	ENSURE(len <= KG_BUF_HARD_MAX, KG_ERR_TOO_LARGE);
	ENSURE(kg_buf_len(b) - 4 >= len, KG_ERR_INCOMPLETE);
	*valp = kg_buf_ptr(b) + 4;
	*lenp = len;
	return KG_OK;
}

int kg_buf_get_string_direct(kg_buf *b, const uint8_t **valp, size_t *lenp)
{
	const uint8_t *p;
	size_t len;
	GUARD(peek_string(b, &p, &len));
	if (valp)
		*valp = p;
	if (lenp)
		*lenp = len;
	return kg_buf_consume(b, 4 + len);
}

int kg_buf_get_stringb(kg_buf *b, kg_buf *view)
{
	const uint8_t *p;
	size_t len;
	GUARD(kg_buf_get_string_direct(b, &p, &len));
	kg_buf_view(view, p, len);
	return KG_OK;
}

int kg_buf_get_string(kg_buf *b, uint8_t **valp, size_t *lenp)
{
	const uint8_t *p;
	size_t len;
	GUARD(peek_string(b, &p, &len));
	if (valp) {
		uint8_t *copy = malloc(len + 1);
		ENSURE(copy != NULL, KG_ERR_ALLOC);
		memcpy(copy, p, len);
		copy[len] = '\0';
		*valp = copy;
	}
	if (lenp)
		*lenp = len;
	return kg_buf_consume(b, 4 + len);
}

int kg_buf_get_cstring(kg_buf *b, char **valp, size_t *lenp)
{
	const uint8_t *p;
	size_t len;
	GUARD(peek_string(b, &p, &len));
	ENSURE(len == 0 || memchr(p, '\0', len) == NULL, KG_ERR_FORMAT);
	return kg_buf_get_string(b, (uint8_t **)valp, lenp);
}

int kg_buf_get_mpint_direct(kg_buf *b, const uint8_t **valp, size_t *lenp)
{
	const uint8_t *p;
	size_t len;
	GUARD(peek_string(b, &p, &len));
	ENSURE(len <= 16384 / 8 + 1, KG_ERR_TOO_LARGE);
	ENSURE(len == 0 || (p[0] & 0x80) == 0, KG_ERR_FORMAT);
	/* A leading zero is only allowed when needed for the sign bit. */
	ENSURE(!(len > 1 && p[0] == 0 && (p[1] & 0x80) == 0), KG_ERR_FORMAT);
	if (len > 0 && p[0] == 0) {
		p++;
		len--;
	}
	if (valp)
		*valp = p;
	if (lenp)
		*lenp = len;
	return kg_buf_skip_string(b);
}

int kg_buf_skip_string(kg_buf *b)
{
	return kg_buf_get_string_direct(b, NULL, NULL);
}

int kg_buf_put(kg_buf *b, const void *v, size_t len)
{
	uint8_t *p;
	GUARD(kg_buf_reserve(b, len, &p));
	if (len)
		memcpy(p, v, len);
	return KG_OK;
}

int kg_buf_put_u8(kg_buf *b, uint8_t v)
{
	return kg_buf_put(b, &v, 1);
}

int kg_buf_put_u32(kg_buf *b, uint32_t v)
{
	uint8_t *p;
	GUARD(kg_buf_reserve(b, 4, &p));
	kg_poke_u32(p, v);
	return KG_OK;
}

int kg_buf_put_u64(kg_buf *b, uint64_t v)
{
	uint8_t *p;
	GUARD(kg_buf_reserve(b, 8, &p));
	kg_poke_u64(p, v);
	return KG_OK;
}

int kg_buf_put_bool(kg_buf *b, int v)
{
	return kg_buf_put_u8(b, v ? 1 : 0);
}

int kg_buf_put_string(kg_buf *b, const void *v, size_t len)
{
	ENSURE(len <= KG_BUF_HARD_MAX, KG_ERR_TOO_LARGE);
	uint8_t *p;
	GUARD(kg_buf_reserve(b, 4 + len, &p));
	kg_poke_u32(p, (uint32_t)len);
	if (len)
		memcpy(p + 4, v, len);
	return KG_OK;
}

int kg_buf_put_cstring(kg_buf *b, const char *s)
{
	return kg_buf_put_string(b, s, s ? strlen(s) : 0);
}

int kg_buf_put_stringb(kg_buf *b, const kg_buf *src)
{
	return kg_buf_put_string(b, kg_buf_ptr(src), kg_buf_len(src));
}

int kg_buf_put_mpint(kg_buf *b, const uint8_t *mag, size_t len)
{
	while (len > 0 && mag[0] == 0) {
		mag++;
		len--;
	}
	int pad = len > 0 && (mag[0] & 0x80) != 0;
	uint8_t *p;
	GUARD(kg_buf_reserve(b, 4 + pad + len, &p));
	kg_poke_u32(p, (uint32_t)(len + pad));
	if (pad)
		p[4] = 0;
	if (len)
		memcpy(p + 4 + pad, mag, len);
	return KG_OK;
}

int kg_buf_putf(kg_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	ENSURE(n >= 0, KG_ERR_ARG);
	uint8_t *p;
	GUARD(kg_buf_reserve(b, (size_t)n + 1, &p));
	va_start(ap, fmt);
	vsnprintf((char *)p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	/* Keep the text, drop the terminator from the contents. */
	return kg_buf_consume_end(b, 1);
}

void kg_hex(const uint8_t *data, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 15];
	}
	out[2 * len] = '\0';
}

int kg_buf_put_base64(kg_buf *b, const uint8_t *data, size_t len, int pad)
{
	ENSURE(len <= KG_BUF_HARD_MAX / 2, KG_ERR_TOO_LARGE);
	size_t outlen = 4 * ((len + 2) / 3);
	uint8_t *p;
	GUARD(kg_buf_reserve(b, outlen + 1, &p));
	int n = EVP_EncodeBlock(p, data, (int)len);
	ENSURE(n >= 0 && (size_t)n == outlen, KG_ERR_INTERNAL);
	size_t drop = 1;
	if (!pad)
		while (outlen > 0 && p[outlen - 1] == '=') {
			outlen--;
			drop++;
		}
	return kg_buf_consume_end(b, drop);
}

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

int kg_buf_get_base64(kg_buf *b, const char *text, size_t len)
{
	uint32_t acc = 0;
	int bits = 0, seen_pad = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)text[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			seen_pad = 1;
			continue;
		}
		ENSURE(!seen_pad, KG_ERR_FORMAT);
		int v = b64_value(c);
		ENSURE(v >= 0, KG_ERR_FORMAT);
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			GUARD(kg_buf_put_u8(b, (uint8_t)(acc >> bits)));
		}
	}
	/* Leftover bits must be zero padding, fewer than a byte. */
	ENSURE(bits < 6 && (acc & ((1u << bits) - 1)) == 0, KG_ERR_FORMAT);
	return KG_OK;
}

int kg_ct_memcmp(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) != 0;
}
