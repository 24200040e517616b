/* Exercises src/sys/lineedit.c: the pure editor (keys, history, UTF-8, width, rendering). */
#include "t.h"
#include "sys/lineedit.h"

/* Feeds s (n bytes) and returns the last event that was not KG_LE_NONE. */
static int feed(kg_le *e, const char *s, size_t n)
{
	int last = KG_LE_NONE;
	for (size_t i = 0; i < n; i++) {
		int ev = kg_le_feed(e, (uint8_t)s[i]);
		if (ev != KG_LE_NONE)
			last = ev;
	}
	return last;
}
#define FEED(e, lit) feed((e), (lit), sizeof(lit) - 1)

#define LEFT "\x1b[D"
#define RIGHT "\x1b[C"
#define UP "\x1b[A"
#define DOWN "\x1b[B"

static void test_insert_and_accept(void)
{
	kg_le e;
	kg_le_init(&e);
	kg_le_begin(&e);
	T_ASSERT(FEED(&e, "mkdir foo") == KG_LE_CHANGED);
	T_ASSERT(e.len == 9 && e.pos == 9);
	T_ASSERT(FEED(&e, "\r") == KG_LE_ACCEPT);
	T_ASSERT(strcmp(e.line, "mkdir foo") == 0);
	kg_le_free(&e);
}

static void test_arrows_fix_typo(void)
{
	kg_le e;
	kg_le_init(&e);
	kg_le_begin(&e);
	/* "mkdir fo" + Left Left + insert -> "mkdir xfo"; Right, Right, insert. */
	FEED(&e, "mkdir fo" LEFT LEFT "x");
	T_ASSERT(strcmp(e.line, "mkdir xfo") == 0 && e.pos == 7);
	FEED(&e, RIGHT RIGHT "o");
	T_ASSERT(strcmp(e.line, "mkdir xfoo") == 0 && e.pos == 10);
	/* Right at the end and Left at the start refuse. */
	T_ASSERT(FEED(&e, RIGHT) == KG_LE_BELL);
	FEED(&e, "\x01");
	T_ASSERT(e.pos == 0);
	T_ASSERT(FEED(&e, LEFT) == KG_LE_BELL);
	/* Ctrl-B / Ctrl-F and the ESC O forms move too. */
	FEED(&e, "\x06\x06\x1bOC");
	T_ASSERT(e.pos == 3);
	FEED(&e, "\x02\x1bOD");
	T_ASSERT(e.pos == 1);
	kg_le_free(&e);
}

static void test_delete_keys(void)
{
	kg_le e;
	kg_le_init(&e);
	kg_le_begin(&e);
	FEED(&e, "abcdef\x7f");            /* Backspace (DEL) */
	T_ASSERT(strcmp(e.line, "abcde") == 0);
	FEED(&e, "\b");                    /* Backspace (^H) */
	T_ASSERT(strcmp(e.line, "abcd") == 0);
	FEED(&e, "\x01\x1b[3~");           /* Home, Delete */
	T_ASSERT(strcmp(e.line, "bcd") == 0 && e.pos == 0);
	FEED(&e, "\x04");                  /* Ctrl-D on a non-empty line deletes */
	T_ASSERT(strcmp(e.line, "cd") == 0);
	T_ASSERT(FEED(&e, "\x7f") == KG_LE_BELL);   /* nothing before the cursor */
	FEED(&e, "\x05");
	T_ASSERT(FEED(&e, "\x1b[3~") == KG_LE_BELL); /* nothing after it */
	kg_le_free(&e);
}

static void test_home_end_variants(void)
{
	static const char *const home[] = { "\x1b[H", "\x1bOH", "\x1b[1~", "\x1b[7~", "\x01" };
	static const char *const end[] = { "\x1b[F", "\x1bOF", "\x1b[4~", "\x1b[8~", "\x05" };
	kg_le e;
	kg_le_init(&e);
	kg_le_begin(&e);
	FEED(&e, "hello world");
	for (size_t i = 0; i < KG_ARRAY_LEN(home); i++) {
		feed(&e, home[i], strlen(home[i]));
		T_ASSERT(e.pos == 0);
		feed(&e, end[i], strlen(end[i]));
		T_ASSERT(e.pos == e.len);
	}
	T_ASSERT(strcmp(e.line, "hello world") == 0);
	kg_le_free(&e);
}

static void test_kill_keys(void)
{
	kg_le e;
	kg_le_init(&e);
	kg_le_begin(&e);
	FEED(&e, "get  remote.txt local" "\x17");   /* Ctrl-W */
	T_ASSERT(strcmp(e.line, "get  remote.txt ") == 0);
	FEED(&e, "\x17");
	T_ASSERT(strcmp(e.line, "get  ") == 0);
	FEED(&e, "\x17");
	T_ASSERT(strcmp(e.line, "") == 0);
	FEED(&e, "put a.txt b.txt" LEFT LEFT LEFT LEFT LEFT "\x0b");   /* Ctrl-K */
	T_ASSERT(strcmp(e.line, "put a.txt ") == 0 && e.pos == 10);
	FEED(&e, "c" LEFT "\x15");   /* Ctrl-U kills to the start only */
	T_ASSERT(strcmp(e.line, "c") == 0 && e.pos == 0);
	kg_le_free(&e);
}

static void test_word_moves(void)
{
	kg_le e;
	kg_le_init(&e);
	kg_le_begin(&e);
	FEED(&e, "ls -l  some/dir");
	FEED(&e, "\x1b" "b");
	T_ASSERT(e.pos == 7);
	FEED(&e, "\x1b[1;5D");
	T_ASSERT(e.pos == 3);
	FEED(&e, "\x1b[1;5C");
	T_ASSERT(e.pos == 5);
	FEED(&e, "\x1b" "f");
	T_ASSERT(e.pos == e.len);
	kg_le_free(&e);
}

static void test_history(void)
{
	kg_le e;
	kg_le_init(&e);
	T_OK(kg_le_history_add(&e, "one"));
	T_OK(kg_le_history_add(&e, "two"));
	T_OK(kg_le_history_add(&e, "two"));     /* a repeat is not kept twice */
	T_OK(kg_le_history_add(&e, "   "));     /* nor a blank line */
	T_ASSERT(e.hist_n == 2);
	kg_le_begin(&e);
	FEED(&e, "dra");
	FEED(&e, UP);
	T_ASSERT(strcmp(e.line, "two") == 0 && e.pos == 3);
	FEED(&e, UP);
	T_ASSERT(strcmp(e.line, "one") == 0);
	T_ASSERT(FEED(&e, UP) == KG_LE_BELL);
	T_ASSERT(strcmp(e.line, "one") == 0);
	FEED(&e, DOWN);
	T_ASSERT(strcmp(e.line, "two") == 0);
	FEED(&e, DOWN);
	T_ASSERT(strcmp(e.line, "dra") == 0);   /* the unfinished line is back */
	T_ASSERT(FEED(&e, DOWN) == KG_LE_BELL);
	/* Ctrl-P / Ctrl-N, then edit a recalled line and accept it. */
	FEED(&e, "\x10\x10" "\x7f" "x\r");
	T_ASSERT(strcmp(e.line, "onx") == 0);
	T_ASSERT(e.hist_n == 2 && strcmp(e.hist[0], "one") == 0);   /* history untouched */
	kg_le_free(&e);
}

static void test_history_bounded(void)
{
	kg_le e;
	kg_le_init(&e);
	char line[32];
	for (int i = 0; i < KG_LE_HISTORY + 50; i++) {
		snprintf(line, sizeof(line), "cmd %d", i);
		T_OK(kg_le_history_add(&e, line));
	}
	T_ASSERT(e.hist_n == KG_LE_HISTORY);
	T_ASSERT(strcmp(e.hist[0], "cmd 50") == 0);
	snprintf(line, sizeof(line), "cmd %d", KG_LE_HISTORY + 49);
	T_ASSERT(strcmp(e.hist[KG_LE_HISTORY - 1], line) == 0);
	kg_le_begin(&e);
	for (int i = 0; i < KG_LE_HISTORY; i++)
		T_ASSERT(FEED(&e, UP) == KG_LE_CHANGED);
	T_ASSERT(strcmp(e.line, "cmd 50") == 0);
	T_ASSERT(kg_le_history_add(&e, NULL) == KG_ERR_ARG);
	kg_le_free(&e);
}

static void test_cancel_and_eof(void)
{
	kg_le e;
	kg_le_init(&e);
	kg_le_begin(&e);
	T_ASSERT(FEED(&e, "rm important\x03") == KG_LE_CANCEL);
	T_ASSERT(e.len == 0 && e.line[0] == '\0');
	kg_le_begin(&e);
	T_ASSERT(FEED(&e, "\x04") == KG_LE_EOF);
	kg_le_begin(&e);
	T_ASSERT(FEED(&e, "\x1a") == KG_LE_SUSPEND);
	T_ASSERT(FEED(&e, "\x0c") == KG_LE_REDRAW);
	kg_le_free(&e);
}

static void test_crlf_is_one_enter(void)
{
	kg_le e;
	kg_le_init(&e);
	kg_le_begin(&e);
	T_ASSERT(FEED(&e, "pwd\r") == KG_LE_ACCEPT);
	kg_le_begin(&e);
	/* The '\n' of "\r\n" does not accept an empty second line. */
	T_ASSERT(FEED(&e, "\nls") == KG_LE_CHANGED);
	T_ASSERT(FEED(&e, "\n") == KG_LE_ACCEPT);
	T_ASSERT(strcmp(e.line, "ls") == 0);
	kg_le_free(&e);
}

static void test_utf8_cursor(void)
{
	kg_le e;
	kg_le_init(&e);
	kg_le_begin(&e);
	FEED(&e, "caf\xc3\xa9" LEFT "x");             /* café, Left, x */
	T_ASSERT(strcmp(e.line, "cafx\xc3\xa9") == 0 && e.pos == 4);
	FEED(&e, "\x05" "\xe6\x97\xa5\xe6\x9c\xac");   /* End, 日本 */
	FEED(&e, "\x7f");                              /* Backspace removes 本 whole */
	T_ASSERT(strcmp(e.line, "cafx\xc3\xa9\xe6\x97\xa5") == 0 && e.pos == e.len);
	FEED(&e, LEFT LEFT);
	T_ASSERT(e.pos == 4);
	FEED(&e, "\x1b[3~");                           /* Delete removes é whole */
	T_ASSERT(strcmp(e.line, "cafx\xe6\x97\xa5") == 0);
	/* a 4-byte character */
	FEED(&e, "\x05" "\xf0\x9f\x98\x80" LEFT);
	T_ASSERT(e.pos == 7);
	kg_le_free(&e);
}

static void test_utf8_invalid_dropped(void)
{
	static const char *const bad[] = {
		"\xff", "\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"\xc3", "\xe6\x97",
	};
	kg_le e;
	kg_le_init(&e);
	for (size_t i = 0; i < KG_ARRAY_LEN(bad); i++) {
		kg_le_begin(&e);
		feed(&e, bad[i], strlen(bad[i]));
		FEED(&e, "(");    /* an ASCII byte ends any unfinished sequence */
		T_ASSERT(strcmp(e.line, "(") == 0);
	}
	/* A broken sequence followed by a good one keeps the good one. */
	kg_le_begin(&e);
	FEED(&e, "\xc3\xc3\xa9");
	T_ASSERT(strcmp(e.line, "\xc3\xa9") == 0);
	kg_le_free(&e);
}

static void test_width(void)
{
	T_ASSERT(kg_le_width("abc", 3) == 3);
	T_ASSERT(kg_le_width("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 9) == 6);   /* 日本語 */
	T_ASSERT(kg_le_width("e\xcc\x81", 3) == 1);     /* e + combining acute */
	T_ASSERT(kg_le_width("\xc3\xa9", 2) == 1);
	T_ASSERT(kg_le_width("\xff\xfe", 2) == 2);     /* invalid bytes: one each */
	T_ASSERT(kg_le_width("\xf0\x9f\x98\x80", 4) == 2);
}

static void test_line_full(void)
{
	kg_le e;
	kg_le_init(&e);
	kg_le_begin(&e);
	int ev = KG_LE_NONE;
	for (int i = 0; i < KG_LE_MAX_LINE + 10; i++)
		ev = kg_le_feed(&e, 'a');
	T_ASSERT(ev == KG_LE_BELL);
	T_ASSERT(e.len == KG_LE_MAX_LINE - 1 && strlen(e.line) == e.len);
	/* A multibyte character that does not fit is refused whole. */
	FEED(&e, "\x7f\x7f" "\xf0\x9f\x98\x80");
	T_ASSERT(e.len == KG_LE_MAX_LINE - 3);
	FEED(&e, "\xc3\xa9");
	T_ASSERT(e.len == KG_LE_MAX_LINE - 1);
	kg_le_free(&e);
}

static void test_unknown_escapes_ignored(void)
{
	kg_le e;
	kg_le_init(&e);
	kg_le_begin(&e);
	/* page keys, bracketed paste markers, F-keys, an over-long parameter */
	FEED(&e, "a\x1b[5~\x1b[200~b\x1b[201~\x1bOP\x1b[1;2;3;4;5;6;7;8;9;10;11;12Zc\x1bxd");
	T_ASSERT(strcmp(e.line, "abcd") == 0);
	/* A control key inside a sequence ends it and still acts. */
	kg_le_begin(&e);
	T_ASSERT(FEED(&e, "ls\x1b[\r") == KG_LE_ACCEPT);
	T_ASSERT(strcmp(e.line, "ls") == 0);
	kg_le_free(&e);
}

static void test_render(void)
{
	kg_le e;
	kg_buf out;
	kg_le_init(&e);
	kg_buf_init(&out, 0);
	kg_le_begin(&e);
	FEED(&e, "abc" LEFT LEFT);
	T_OK(kg_le_render(&e, "sftp> ", 80, &out));
	const char want[] = "\rsftp> abc\x1b[K\r\x1b[7C";
	T_ASSERT(kg_buf_len(&out) == sizeof(want) - 1 && memcmp(kg_buf_ptr(&out), want, sizeof(want) - 1) == 0);
	/* Wide characters move the cursor two columns each. */
	kg_buf_reset(&out);
	kg_le_begin(&e);
	FEED(&e, "\xe6\x97\xa5\xe6\x9c\xac" LEFT);
	T_OK(kg_le_render(&e, "> ", 0, &out));
	const char want2[] = "\r> \xe6\x97\xa5\xe6\x9c\xac\x1b[K\r\x1b[4C";
	T_ASSERT(kg_buf_len(&out) == sizeof(want2) - 1 && memcmp(kg_buf_ptr(&out), want2, sizeof(want2) - 1) == 0);
	kg_buf_free(&out);
	kg_le_free(&e);
}

static void test_render_scrolls(void)
{
	kg_le e;
	kg_buf out;
	kg_le_init(&e);
	kg_buf_init(&out, 0);
	kg_le_begin(&e);
	for (int i = 0; i < 40; i++)
		T_ASSERT(kg_le_feed(&e, (uint8_t)('A' + i % 26)) == KG_LE_CHANGED);
	/* 20 columns, prompt 6, one kept free: 13 characters show, the tail. */
	T_OK(kg_le_render(&e, "sftp> ", 20, &out));
	const char want[] = "\rsftp> BCDEFGHIJKLMN\x1b[K\r\x1b[19C";
	T_ASSERT(kg_buf_len(&out) == sizeof(want) - 1 && memcmp(kg_buf_ptr(&out), want, sizeof(want) - 1) == 0);
	/* At the start the head shows. */
	kg_buf_reset(&out);
	FEED(&e, "\x01");
	T_OK(kg_le_render(&e, "sftp> ", 20, &out));
	const char want2[] = "\rsftp> ABCDEFGHIJKLM\x1b[K\r\x1b[6C";
	T_ASSERT(kg_buf_len(&out) == sizeof(want2) - 1 && memcmp(kg_buf_ptr(&out), want2, sizeof(want2) - 1) == 0);
	kg_buf_free(&out);
	kg_le_free(&e);
}

int main(void)
{
	T_RUN(test_insert_and_accept);
	T_RUN(test_arrows_fix_typo);
	T_RUN(test_delete_keys);
	T_RUN(test_home_end_variants);
	T_RUN(test_kill_keys);
	T_RUN(test_word_moves);
	T_RUN(test_history);
	T_RUN(test_history_bounded);
	T_RUN(test_cancel_and_eof);
	T_RUN(test_crlf_is_one_enter);
	T_RUN(test_utf8_cursor);
	T_RUN(test_utf8_invalid_dropped);
	T_RUN(test_width);
	T_RUN(test_line_full);
	T_RUN(test_unknown_escapes_ignored);
	T_RUN(test_render);
	T_RUN(test_render_scrolls);
	return T_DONE();
}
