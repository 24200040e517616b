/* Terminal-safe escaping of peer-controlled text (see term-escape.h). */
#include <langinfo.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sys/term-escape.h"

/* Length of the well-formed UTF-8 sequence at in (1..4), 0 when the
 * bytes there are not one (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF); *cp gets the code point.  Needs len >= 1. */
static size_t utf8_seq(const unsigned char *in, size_t len, uint32_t *cp)
{
	unsigned char b = in[0];
	size_t n;
	uint32_t c, min;
	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		n = 2, c = b & 0x1f, min = 0x80;
	} else if (b >= 0xe0 && b <= 0xef) {
		n = 3, c = b & 0x0f, min = 0x800;
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 4, c = b & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((in[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (in[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

size_t kg_term_utf8_pending(const char *in, size_t len)
{
	const unsigned char *u = (const unsigned char *)in;
	/* The last lead byte within three of the end, and whether what
	 * follows it is a prefix of a sequence it starts. */
	for (size_t k = 1; k <= 3 && k <= len; k++) {
		unsigned char b = u[len - k];
		if ((b & 0xc0) == 0x80)
			continue;
		size_t need = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
		return need > k ? k : 0;
	}
	return 0;
}

size_t kg_term_escape_as(const char *in, size_t len, char *out, size_t cap, int flags)
{
	static const char oct[] = "01234567";
	const unsigned char *u = (const unsigned char *)in;
	size_t o = 0;
	if (cap == 0)
		return 0;
	for (size_t i = 0; i < len;) {
		unsigned char ch = u[i];
		uint32_t cp = ch;
		size_t n = 1;
		int bad;
		if (ch < 0x80) {
			bad = (ch < 0x20 || ch == 0x7f) && !((flags & KG_TERM_ESC_LINES) && (ch == '\n' || ch == '\t'));
		} else if (flags & KG_TERM_ESC_UTF8) {
			n = utf8_seq(u + i, len - i, &cp);
			bad = n == 0 || (cp >= 0x80 && cp <= 0x9f);
			if (n == 0)
				n = 1;
		} else {
			bad = ch <= 0x9f;
		}
		if (bad) {
			/* each byte of a refused sequence, escaped on its own */
			if (o + 4 * n >= cap)
				break;
			for (size_t k = 0; k < n; k++) {
				unsigned char e = u[i + k];
				out[o++] = '\\';
				out[o++] = oct[(e >> 6) & 3];
				out[o++] = oct[(e >> 3) & 7];
				out[o++] = oct[e & 7];
			}
		} else {
			if (o + n >= cap)
				break;
			memcpy(out + o, u + i, n);
			o += n;
		}
		i += n;
	}
	out[o] = '\0';
	return o;
}

int kg_term_locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "UTF8") == 0);
}

size_t kg_term_escape(const char *in, size_t len, char *out, size_t cap)
{
	return kg_term_escape_as(in, len, out, cap, kg_term_locale_utf8() ? KG_TERM_ESC_UTF8 : 0);
}
