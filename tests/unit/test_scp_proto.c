/* Legacy scp records, the name rule, shell quoting, escaping, operands. */
#include <stdint.h>
#include "core/buf.h"
#include "sys/scp-proto.h"
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
	T_ASSERT(kg_scp_escape("a\033[2Jb\n", 7, out, sizeof(out)) == 13);
	T_ASSERT(strcmp(out, "a\\033[2Jb\\012") == 0);
	T_ASSERT(kg_scp_escape("ünï", strlen("ünï"), out, sizeof(out)) == strlen("ünï"));
	T_ASSERT(kg_scp_escape("\x01\x01\x01", 3, out, 6) == 4);  /* truncated, terminated */
	T_ASSERT(strcmp(out, "\\001") == 0);
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
	T_RUN(test_operands);
	return T_DONE();
}
