/* Making text a peer controls safe to show on a terminal: control
 * characters (C0, DEL, C1) become \ooo escapes, UTF-8 passes whole. */
#ifndef KAGI_SYS_TERM_ESCAPE_H
#define KAGI_SYS_TERM_ESCAPE_H

#include <stddef.h>

/* Copies len bytes of in to out (cap bytes, always NUL-terminated) with
 * control characters as \ooo escapes, so a peer's text cannot move the
 * cursor or fake output: C0 controls, DEL and C1 controls.  With
 * KG_TERM_ESC_UTF8 (a UTF-8 locale) multibyte characters pass whole, and a
 * byte that is not part of a well-formed UTF-8 sequence is escaped, as is
 * a decoded U+0080..U+009F; without it the bytes 0x80..0x9f are escaped.
 * KG_TERM_ESC_LINES keeps '\n' and '\t' (a stream of messages rather than
 * one name).  Output ends at a character boundary when cap is too small.
 * Returns the length written.  This is the one escaper for everything
 * kagi shows that a peer controls (names, messages, remote stderr). */
#define KG_TERM_ESC_UTF8 1
#define KG_TERM_ESC_LINES 2
size_t kg_term_escape_as(const char *in, size_t len, char *out, size_t cap, int flags);
/* kg_term_escape_as for a name, UTF-8 as the locale says (LC_CTYPE). */
size_t kg_term_escape(const char *in, size_t len, char *out, size_t cap);
/* 1 when LC_CTYPE's character set is UTF-8. */
int kg_term_locale_utf8(void);
/* How many bytes at the end of in begin a UTF-8 sequence that more input
 * could complete (0..3): a reader of a stream keeps them for the next
 * chunk instead of escaping half a character. */
size_t kg_term_utf8_pending(const char *in, size_t len);

#endif
