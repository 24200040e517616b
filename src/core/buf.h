/* kg_buf: the one bounds-checked byte buffer used for every byte kagi parses
 * or writes.  Reads consume from the front, writes append at the end.
 * Every function returns KG_OK or a negative KG_ERR_*; values come back
 * through out-pointers, and a NULL out-pointer skips the value.  A buffer
 * never grows past its cap (max_size), so a peer cannot make it huge.
 *
 * A buffer made with kg_buf_view() is a read-only window onto memory it does
 * not own (e.g. one field inside a packet); writing to it fails. */
#ifndef KAGI_BUF_H
#define KAGI_BUF_H

#include <stddef.h>
#include <stdint.h>
#include "core/safety.h"

#define KG_BUF_DEFAULT_MAX (8u * 1024 * 1024)  /* cap when 0 is given */
#define KG_BUF_HARD_MAX    (256u * 1024 * 1024)

typedef struct kg_buf {
	uint8_t *d;        /* storage */
	size_t off;        /* read offset */
	size_t size;       /* end of valid data */
	size_t alloc;      /* bytes allocated */
	size_t max_size;   /* hard cap on size - off growth */
	int readonly;      /* a view: d is not ours */
} kg_buf;

void kg_buf_init(kg_buf *b, size_t max_size);
void kg_buf_view(kg_buf *b, const void *data, size_t len);
/* Wipes (OPENSSL_cleanse) and frees the storage; safe on a zeroed buf. */
void kg_buf_free(kg_buf *b);
/* Empties the buffer (wiping old contents), keeping the allocation. */
void kg_buf_reset(kg_buf *b);

static inline size_t kg_buf_len(const kg_buf *b) { return b->size - b->off; }
static inline const uint8_t *kg_buf_ptr(const kg_buf *b) { return b->d ? b->d + b->off : (const uint8_t *)""; }
/* Writable pointer to the unread data; NULL for a view. */
uint8_t *kg_buf_mutable_ptr(kg_buf *b);

int kg_buf_set_max(kg_buf *b, size_t max_size) KG_WUR;
/* Makes room for len more bytes without changing the contents. */
int kg_buf_allocate(kg_buf *b, size_t len) KG_WUR;
/* Appends len uninitialised bytes and returns a pointer to them. */
int kg_buf_reserve(kg_buf *b, size_t len, uint8_t **dpp) KG_WUR;
/* Drops len bytes from the front / from the end. */
int kg_buf_consume(kg_buf *b, size_t len) KG_WUR;
int kg_buf_consume_end(kg_buf *b, size_t len) KG_WUR;
/* Moves unread data to the start of the allocation (cheap compaction). */
void kg_buf_pack(kg_buf *b);

/* ---- reading (consumes) ---- */
int kg_buf_get(kg_buf *b, void *v, size_t len) KG_WUR;
int kg_buf_get_u8(kg_buf *b, uint8_t *v) KG_WUR;
int kg_buf_get_u32(kg_buf *b, uint32_t *v) KG_WUR;
int kg_buf_get_u64(kg_buf *b, uint64_t *v) KG_WUR;
int kg_buf_get_bool(kg_buf *b, int *v) KG_WUR;
int kg_buf_peek_u32(const kg_buf *b, uint32_t *v) KG_WUR;
/* A string's bytes in place (no copy); valid while b is unchanged. */
int kg_buf_get_string_direct(kg_buf *b, const uint8_t **valp, size_t *lenp) KG_WUR;
/* A string as a read-only view buffer. */
int kg_buf_get_stringb(kg_buf *b, kg_buf *view) KG_WUR;
/* A copy, malloc'ed, with a NUL appended (binary-safe). Free with free(). */
int kg_buf_get_string(kg_buf *b, uint8_t **valp, size_t *lenp) KG_WUR;
/* A text string: malloc'ed, NUL-terminated; an embedded NUL is an error. */
int kg_buf_get_cstring(kg_buf *b, char **valp, size_t *lenp) KG_WUR;
/* An mpint's magnitude in place (leading zero stripped); negative values
 * are rejected, as SSH never sends them for the fields kagi reads. */
int kg_buf_get_mpint_direct(kg_buf *b, const uint8_t **valp, size_t *lenp) KG_WUR;
/* Skips a string. */
int kg_buf_skip_string(kg_buf *b) KG_WUR;

/* ---- writing (appends) ---- */
int kg_buf_put(kg_buf *b, const void *v, size_t len) KG_WUR;
int kg_buf_put_u8(kg_buf *b, uint8_t v) KG_WUR;
int kg_buf_put_u32(kg_buf *b, uint32_t v) KG_WUR;
int kg_buf_put_u64(kg_buf *b, uint64_t v) KG_WUR;
int kg_buf_put_bool(kg_buf *b, int v) KG_WUR;
int kg_buf_put_string(kg_buf *b, const void *v, size_t len) KG_WUR;
int kg_buf_put_cstring(kg_buf *b, const char *s) KG_WUR;
/* Appends the unread contents of src as a string. */
int kg_buf_put_stringb(kg_buf *b, const kg_buf *src) KG_WUR;
/* Appends an unsigned big-endian magnitude as an mpint (adds a zero byte
 * when the top bit is set, strips leading zeros). */
int kg_buf_put_mpint(kg_buf *b, const uint8_t *mag, size_t len) KG_WUR;
int kg_buf_putf(kg_buf *b, const char *fmt, ...) KG_WUR __attribute__((format(printf, 2, 3)));

/* ---- helpers ---- */
static inline uint32_t kg_peek_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void kg_poke_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline uint64_t kg_peek_u64(const uint8_t *p)
{
	return ((uint64_t)kg_peek_u32(p) << 32) | kg_peek_u32(p + 4);
}
static inline void kg_poke_u64(uint8_t *p, uint64_t v)
{
	kg_poke_u32(p, (uint32_t)(v >> 32)); kg_poke_u32(p + 4, (uint32_t)v);
}

/* Hex of data ("a1b2..."), into out (2*len+1 bytes). */
void kg_hex(const uint8_t *data, size_t len, char *out);
/* Base64 (standard alphabet, padded) of data appended to b. */
int kg_buf_put_base64(kg_buf *b, const uint8_t *data, size_t len, int pad) KG_WUR;
/* Decodes base64 text (whitespace ignored) and appends the bytes to b. */
int kg_buf_get_base64(kg_buf *b, const char *text, size_t len) KG_WUR;
/* Constant-time comparison: 0 when equal. */
int kg_ct_memcmp(const void *a, const void *b, size_t len);

#endif
