/* Exercises src/sys/term-escape.c: control bytes as \ooo, UTF-8 whole or refused, the LINES flag, caps and pending bytes. */
#include <locale.h>
#include "t.h"
#include "sys/term-escape.h"

#define U KG_TERM_ESC_UTF8

/* kg_term_escape_as into a roomy buffer; 1 when the result is want. */
static int esc_is(const char *in, size_t len, int flags, const char *want)
{
	char out[256];
	size_t n = kg_term_escape_as(in, len, out, sizeof(out), flags);
	if (n != strlen(out) || strcmp(out, want) != 0) {
		fprintf(stderr, "got [%s] want [%s]\n", out, want);
		return 0;
	}
	return 1;
}

static void test_controls(void)
{
	T_ASSERT(esc_is("plain text", 10, 0, "plain text"));
	T_ASSERT(esc_is("a\tb\nc", 5, 0, "a\\011b\\012c"));
	T_ASSERT(esc_is("a\tb\nc", 5, KG_TERM_ESC_LINES, "a\tb\nc"));
	T_ASSERT(esc_is("\r\x1b[2J\x7f", 6, KG_TERM_ESC_LINES | U, "\\015\\033[2J\\177"));
	T_ASSERT(esc_is("nul\0x", 5, 0, "nul\\000x"));
}

static void test_utf8(void)
{
	T_ASSERT(esc_is("caf\xc3\xa9", 5, U, "caf\xc3\xa9"));
	T_ASSERT(esc_is("\xf0\x9f\x98\x80", 4, U, "\xf0\x9f\x98\x80"));   /* four bytes, U+1F600 */
	/* C1 controls, even well-formed */
	T_ASSERT(esc_is("\xc2\x85", 2, U, "\\302\\205"));
	T_ASSERT(esc_is("\xc2\x9b" "2J", 4, U, "\\302\\2332J"));
	/* malformed: overlong, surrogate, above U+10FFFF, lone continuation, cut short */
	T_ASSERT(esc_is("\xc0\x80", 2, U, "\\300\\200"));
	T_ASSERT(esc_is("\xed\xa0\x80", 3, U, "\\355\\240\\200"));
	T_ASSERT(esc_is("\xf4\x90\x80\x80", 4, U, "\\364\\220\\200\\200"));
	T_ASSERT(esc_is("a\x80z", 3, U, "a\\200z"));
	T_ASSERT(esc_is("\xe2\x82", 2, U, "\\342\\202"));
	/* without UTF-8, only 0x80..0x9f among the high bytes are controls */
	T_ASSERT(esc_is("\xc2\x85\xe9", 3, 0, "\xc2\\205\xe9"));
}

static void test_caps(void)
{
	char out[8];
	/* stops at a character boundary, always terminated */
	T_ASSERT(kg_term_escape_as("ab\xc3\xa9", 4, out, 4, U) == 2 && strcmp(out, "ab") == 0);
	T_ASSERT(kg_term_escape_as("ab\xc3\xa9", 4, out, 5, U) == 4 && strcmp(out, "ab\xc3\xa9") == 0);
	T_ASSERT(kg_term_escape_as("\x01\x02", 2, out, 5, 0) == 4 && strcmp(out, "\\001") == 0);
	T_ASSERT(kg_term_escape_as("\x01", 1, out, 4, 0) == 0 && out[0] == '\0');
	out[0] = 'x';
	T_ASSERT(kg_term_escape_as("abc", 3, out, 0, 0) == 0 && out[0] == 'x');   /* no room: untouched */
}

static void test_pending(void)
{
	T_ASSERT(kg_term_utf8_pending("", 0) == 0);
	T_ASSERT(kg_term_utf8_pending("a\xc3", 2) == 1);
	T_ASSERT(kg_term_utf8_pending("ab\xf0\x9f", 4) == 2);
	T_ASSERT(kg_term_utf8_pending("ab\xf0\x9f\x98", 5) == 3);
	T_ASSERT(kg_term_utf8_pending("ab\xf0\x9f\x98\x80", 6) == 0);   /* complete */
	T_ASSERT(kg_term_utf8_pending("\x80\x80", 2) == 0);             /* no lead byte */
	T_ASSERT(kg_term_utf8_pending("a\xff", 2) == 0);                /* not a lead byte */
}

static void test_locale(void)
{
	char out[32];
	T_ASSERT(setlocale(LC_CTYPE, "C") != NULL);
	T_ASSERT(!kg_term_locale_utf8());
	T_ASSERT(kg_term_escape("\xc2\x85", 2, out, sizeof(out)) == 5 && strcmp(out, "\xc2\\205") == 0);
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL) {
		fprintf(stderr, "skip: no C.UTF-8 locale\n");
		return;
	}
	T_ASSERT(kg_term_locale_utf8());
	T_ASSERT(kg_term_escape("\xc2\x85", 2, out, sizeof(out)) == 8 && strcmp(out, "\\302\\205") == 0);
	setlocale(LC_CTYPE, "C");
}

int main(void)
{
	T_RUN(test_controls);
	T_RUN(test_utf8);
	T_RUN(test_caps);
	T_RUN(test_pending);
	T_RUN(test_locale);
	return T_DONE();
}
