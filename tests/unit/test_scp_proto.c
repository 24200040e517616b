/* Exercises src/scp/scp-proto.c and src/sys/term-escape.c: legacy scp
 * records, the name rule, shell quoting, escaping, operands. */
#include <locale.h>
#include <stdint.h>
#include "core/buf.h"
#include "scp/scp-proto.h"
#include "t.h"

static int parse(const char *line, kg_scp_ctl *c)
{
	return kg_scp_parse_ctl(line, strlen(line), c);
}

static void test_file_record(void)
{
	kg_scp_ctl c;
	T_OK(parse("C0644 12345 hello world.txt", &c));
	T_ASSERT(c.type == 'C' && c.mode == 0644 && c.size == 12345);
	T_ASSERT(c.name_len == 15 && memcmp(c.name, "hello world.txt", 15) == 0);
	T_OK(parse("D0755 0 dir", &c));
	T_ASSERT(c.type == 'D' && c.mode == 0755 && c.name_len == 3);
	T_OK(parse("C7777 9223372036854775807 x", &c));
	T_ASSERT(c.mode == 07777 && c.size == 9223372036854775807ull);
}

static void test_bad_records(void)
{
	kg_scp_ctl c;
	const char *bad[] = {
		"", "C", "C0644", "C0644 ", "C0644 12", "C0644 12 ", "C0648 1 x", "C10000 1 x", "C 1 x",
		"C0644 -1 x", "C0644 1x x", "C0644 9223372036854775808 x", "C0644  1 x", "X0644 1 x",
		"T1 0 2", "T1 1000000 2 0", "T1 0 2 0 ", "Tx 0 2 0", "T99999999999999999999 0 1 0", "E ", "Ex",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &c) == KG_OK) {
			fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
			T_ASSERT(0);
		}
	}
	T_ASSERT(kg_scp_parse_ctl("C0644 1 a\0b", 11, &c) != KG_OK);  /* NUL in a name */
}

static void test_time_and_end(void)
{
	kg_scp_ctl c;
	T_OK(parse("T1700000000 0 1600000000 999999", &c));
	T_ASSERT(c.type == 'T' && c.mtime == 1700000000 && c.atime == 1600000000);
	T_OK(parse("E", &c));
	T_ASSERT(c.type == 'E');
}

static void test_names(void)
{
	T_ASSERT(kg_scp_name_ok("file", 4));
	T_ASSERT(kg_scp_name_ok("..hidden", 8));
	T_ASSERT(kg_scp_name_ok("a b 'c' $(d)", 12));
	T_ASSERT(!kg_scp_name_ok("", 0));
	T_ASSERT(!kg_scp_name_ok(".", 1));
	T_ASSERT(!kg_scp_name_ok("..", 2));
	T_ASSERT(!kg_scp_name_ok("../x", 4));
	T_ASSERT(!kg_scp_name_ok("/etc/passwd", 11));
	T_ASSERT(!kg_scp_name_ok("a/b", 3));
	T_ASSERT(!kg_scp_name_ok("a\0b", 3));
}

static int quoted_is(const char *path, int glob, const char *want)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	int ok = kg_scp_quote(&b, path, glob) == KG_OK && kg_buf_len(&b) == strlen(want) &&
		 memcmp(kg_buf_ptr(&b), want, strlen(want)) == 0;
	if (!ok)
		fprintf(stderr, "quote(%s) = %.*s, want %s\n", path, (int)kg_buf_len(&b), kg_buf_ptr(&b), want);
	kg_buf_free(&b);
	return ok;
}

static void test_quote(void)
{
	T_ASSERT(quoted_is("plain", 0, "'plain'"));
	T_ASSERT(quoted_is("", 0, "''"));
	T_ASSERT(quoted_is("it's", 0, "'it'\\''s'"));
	T_ASSERT(quoted_is("$(rm -rf /)`x`", 0, "'$(rm -rf /)`x`'"));
	T_ASSERT(quoted_is("a*b", 0, "'a*b'"));
	T_ASSERT(quoted_is("dir/*.txt", 1, "'dir/'*'.txt'"));
	T_ASSERT(quoted_is("~/x y", 0, "~'/x y'"));
	T_ASSERT(quoted_is("~root/f", 0, "~root'/f'"));
	T_ASSERT(quoted_is("~", 0, "~"));
	T_ASSERT(quoted_is("~$(x)/f", 0, "'~$(x)/f'"));
	T_ASSERT(quoted_is("'", 0, "\\'"));
}

static void test_escape(void)
{
	char out[64];
	T_ASSERT(kg_term_escape("a\033[2Jb\n", 7, out, sizeof(out)) == 13);
	T_ASSERT(strcmp(out, "a\\033[2Jb\\012") == 0);
	T_ASSERT(kg_term_escape("ünï", strlen("ünï"), out, sizeof(out)) == strlen("ünï"));
	T_ASSERT(kg_term_escape("\x01\x01\x01", 3, out, 6) == 4);  /* truncated, terminated */
	T_ASSERT(strcmp(out, "\\001") == 0);
}

/* esc_is(IN, FLAGS, WANT): IN (a string literal) escapes to exactly WANT. */
static int esc_is(const char *in, size_t len, int flags, const char *want)
{
	char out[256];
	size_t n = kg_term_escape_as(in, len, out, sizeof(out), flags);
	return n == strlen(want) && strcmp(out, want) == 0;
}
#define ESC_IS(in, flags, want) esc_is(in, sizeof(in) - 1, flags, want)

static void test_escape_c1_utf8(void)
{
	const int U = KG_TERM_ESC_UTF8;
	/* C1 controls standing alone (CSI 0x9b is ESC [ in one byte) */
	T_ASSERT(ESC_IS("a\x9b" "2Jb", 0, "a\\2332Jb"));
	T_ASSERT(ESC_IS("a\x9b" "2Jb", U, "a\\2332Jb"));
	T_ASSERT(ESC_IS("\x80\x85\x9f", U, "\\200\\205\\237"));
	T_ASSERT(ESC_IS("\x80\x85\x9f\xa0", 0, "\\200\\205\\237\xa0"));
	/* valid UTF-8 whose continuation bytes are 0x80..0x9f passes whole */
	T_ASSERT(ESC_IS("caf\xc3\xa9", U, "caf\xc3\xa9"));             /* é U+00E9 */
	T_ASSERT(ESC_IS("wait\xe2\x80\xa6", U, "wait\xe2\x80\xa6"));   /* … U+2026 */
	T_ASSERT(ESC_IS("\xf0\x9f\x98\x80", U, "\xf0\x9f\x98\x80"));  /* U+1F600 */
	/* the same bytes outside a UTF-8 locale: 0x80..0x9f escaped */
	T_ASSERT(ESC_IS("wait\xe2\x80\xa6", 0, "wait\xe2\\200\xa6"));
	/* U+0085 (NEL) and U+009B (CSI) encoded as UTF-8 are C1 controls */
	T_ASSERT(ESC_IS("a\xc2\x85z", U, "a\\302\\205z"));
	T_ASSERT(ESC_IS("\xc2\x9b" "31m", U, "\\302\\23331m"));
	T_ASSERT(ESC_IS("\xc2\xa0", U, "\xc2\xa0"));                    /* U+00A0 is not */
	/* ESC, CR and erase-line: the CVE-2019-6110 trick */
	T_ASSERT(ESC_IS("\033[2K\rok", U, "\\033[2K\\015ok"));
	T_ASSERT(ESC_IS("\177", U, "\\177"));
	/* truncated and malformed UTF-8: each byte escaped */
	T_ASSERT(ESC_IS("x\xe2\x80", U, "x\\342\\200"));
	T_ASSERT(ESC_IS("\xe2\x80z", U, "\\342\\200z"));
	T_ASSERT(ESC_IS("\xc0\xaf", U, "\\300\\257"));                /* overlong '/' */
	T_ASSERT(ESC_IS("\xed\xa0\x80", U, "\\355\\240\\200"));     /* surrogate */
	T_ASSERT(ESC_IS("\xf4\x90\x80\x80", U, "\\364\\220\\200\\200")); /* > U+10FFFF */
	T_ASSERT(ESC_IS("\xff", U, "\\377"));
	/* lines: \n and \t kept only when asked */
	T_ASSERT(ESC_IS("a\tb\n", U, "a\\011b\\012"));
	T_ASSERT(ESC_IS("a\tb\n", U | KG_TERM_ESC_LINES, "a\tb\n"));
	T_ASSERT(ESC_IS("a\r\n", KG_TERM_ESC_LINES, "a\\015\n"));
	/* no room: stops before a character, never inside one */
	char out[8];
	T_ASSERT(kg_term_escape_as("ab\xe2\x80\xa6", 5, out, 5, U) == 2 && strcmp(out, "ab") == 0);
	T_ASSERT(kg_term_escape_as("ab\xe2\x80\xa6", 5, out, 6, U) == 5);
}

/* kg_term_escape follows LC_CTYPE (kscp sets it from the environment). */
static void test_escape_locale(void)
{
	char out[64];
	T_ASSERT(setlocale(LC_CTYPE, "C") != NULL);
	T_ASSERT(kg_term_escape("a\x9b" "2J", 4, out, sizeof(out)) == 7 && strcmp(out, "a\\2332J") == 0);
	if (!setlocale(LC_CTYPE, "C.UTF-8")) {
		fprintf(stderr, "# no C.UTF-8 locale: UTF-8 part not run\n");
		return;
	}
	T_ASSERT(kg_term_locale_utf8());
	T_ASSERT(kg_term_escape("\xc2\x85\xe2\x80\xa6", 5, out, sizeof(out)) == 11);
	T_ASSERT(strcmp(out, "\\302\\205\xe2\x80\xa6") == 0);
	T_ASSERT(setlocale(LC_CTYPE, "C") != NULL);
	T_ASSERT(!kg_term_locale_utf8());
}

static void test_utf8_pending(void)
{
	T_ASSERT(kg_term_utf8_pending("", 0) == 0);
	T_ASSERT(kg_term_utf8_pending("abc", 3) == 0);
	T_ASSERT(kg_term_utf8_pending("a\xe2", 2) == 1);
	T_ASSERT(kg_term_utf8_pending("a\xe2\x80", 3) == 2);
	T_ASSERT(kg_term_utf8_pending("a\xe2\x80\xa6", 4) == 0);       /* complete */
	T_ASSERT(kg_term_utf8_pending("\xf0\x9f\x98", 3) == 3);
	T_ASSERT(kg_term_utf8_pending("a\x80", 2) == 0);                /* stray: no wait */
	T_ASSERT(kg_term_utf8_pending("a\xc3", 2) == 1);
	T_ASSERT(kg_term_utf8_pending("a\xff", 2) == 0);
}

static void test_operands(void)
{
	kg_scp_operand o;
	T_OK(kg_scp_operand_parse("user@host:dir/f", &o));
	T_ASSERT(o.remote && !strcmp(o.user, "user") && !strcmp(o.host, "host") && !strcmp(o.path, "dir/f") && !o.port);
	kg_scp_operand_free(&o);
	T_OK(kg_scp_operand_parse("host:", &o));
	T_ASSERT(o.remote && !o.user && !strcmp(o.path, "."));
	kg_scp_operand_free(&o);
	T_OK(kg_scp_operand_parse("./a:b", &o));
	T_ASSERT(!o.remote && !strcmp(o.path, "./a:b"));
	kg_scp_operand_free(&o);
	T_OK(kg_scp_operand_parse(":x", &o));
	T_ASSERT(!o.remote);
	kg_scp_operand_free(&o);
	T_OK(kg_scp_operand_parse("u@[::1]:/p", &o));
	T_ASSERT(o.remote && !strcmp(o.host, "::1") && !strcmp(o.path, "/p"));
	kg_scp_operand_free(&o);
	T_OK(kg_scp_operand_parse("a@b@host:p", &o));
	T_ASSERT(!strcmp(o.user, "a@b") && !strcmp(o.host, "host"));
	kg_scp_operand_free(&o);
	T_OK(kg_scp_operand_parse("scp://me;x=y@example.org:2222/dir/a%20b", &o));
	T_ASSERT(o.remote && !strcmp(o.user, "me") && !strcmp(o.host, "example.org") && !strcmp(o.port, "2222"));
	T_ASSERT(!strcmp(o.path, "dir/a b"));
	kg_scp_operand_free(&o);
	T_OK(kg_scp_operand_parse("scp://[::1]//abs", &o));
	T_ASSERT(!strcmp(o.host, "::1") && !o.port && !strcmp(o.path, "/abs"));
	kg_scp_operand_free(&o);
	T_OK(kg_scp_operand_parse("scp://h", &o));
	T_ASSERT(!strcmp(o.path, "."));
	kg_scp_operand_free(&o);
	T_ASSERT(kg_scp_operand_parse("scp://h:port/x", &o) != KG_OK);
	T_ASSERT(kg_scp_operand_parse("scp:///x", &o) != KG_OK);
	T_ASSERT(kg_scp_operand_parse("scp://h/%00", &o) != KG_OK);
	T_ASSERT(kg_scp_operand_parse("scp://h/%zz", &o) != KG_OK);
	T_ASSERT(kg_scp_operand_parse("@h:x", &o) != KG_OK);
}

int main(void)
{
	T_RUN(test_file_record);
	T_RUN(test_bad_records);
	T_RUN(test_time_and_end);
	T_RUN(test_names);
	T_RUN(test_quote);
	T_RUN(test_escape);
	T_RUN(test_escape_c1_utf8);
	T_RUN(test_escape_locale);
	T_RUN(test_utf8_pending);
	T_RUN(test_operands);
	return T_DONE();
}
