/* zlib@openssh.com: one zlib stream per direction for the whole connection,
 * each packet flushed with Z_PARTIAL_FLUSH so it can be inflated alone. */
#include <string.h>
#include "core/transport-impl.h"

int tr_zlib_start(tr_zlib *z, int compress)
{
	memset(&z->zs, 0, sizeof(z->zs));
	int zr = compress ? deflateInit(&z->zs, Z_DEFAULT_COMPRESSION) : inflateInit(&z->zs);
	ENSURE(zr == Z_OK, KG_ERR_COMPRESS);
	z->initialized = compress ? 1 : 2;
	z->active = 1;
	return KG_OK;
}

void tr_zlib_free(tr_zlib *z)
{
	if (z->initialized == 1)
		deflateEnd(&z->zs);
	else if (z->initialized == 2)
		inflateEnd(&z->zs);
	z->initialized = z->active = 0;
	kg_buf_free(&z->buf);
}

int tr_zlib_deflate(tr_zlib *z, const uint8_t *in, size_t len, kg_buf *out)
{
	z->zs.next_in = (Bytef *)(uintptr_t)in;
	z->zs.avail_in = (uInt)len;
	do {
		size_t chunk = len / 2 + 512;
		uint8_t *p;
		GUARD(kg_buf_reserve(out, chunk, &p));
		z->zs.next_out = p;
		z->zs.avail_out = (uInt)chunk;
		int zr = deflate(&z->zs, Z_PARTIAL_FLUSH);
		size_t unused = z->zs.avail_out;
		GUARD(kg_buf_consume_end(out, unused));
		ENSURE(zr == Z_OK || zr == Z_BUF_ERROR, KG_ERR_COMPRESS);
		if (unused > 0 && z->zs.avail_in == 0)
			break;
	} while (1);
	return KG_OK;
}

/* Inflates one packet into z->buf, refusing more than max_out bytes so a
 * small packet cannot expand without bound. */
int tr_zlib_inflate(tr_zlib *z, const uint8_t *in, size_t len, size_t max_out)
{
	kg_buf_reset(&z->buf);
	z->zs.next_in = (Bytef *)(uintptr_t)in;
	z->zs.avail_in = (uInt)len;
	for (;;) {
		size_t room = max_out - kg_buf_len(&z->buf);
		size_t chunk = room < 64 * 1024 ? room : 64 * 1024;
		ENSURE(chunk > 0, KG_ERR_TOO_LARGE);
		uint8_t *p;
		GUARD(kg_buf_reserve(&z->buf, chunk, &p));
		z->zs.next_out = p;
		z->zs.avail_out = (uInt)chunk;
		int zr = inflate(&z->zs, Z_SYNC_FLUSH);
		size_t unused = z->zs.avail_out;
		GUARD(kg_buf_consume_end(&z->buf, unused));
		if (zr == Z_BUF_ERROR && z->zs.avail_in == 0)
			return KG_OK;  /* all input used, all output produced */
		ENSURE(zr == Z_OK, KG_ERR_COMPRESS);
		if (z->zs.avail_in == 0 && unused > 0)
			return KG_OK;
	}
}
