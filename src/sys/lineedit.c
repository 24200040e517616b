/* The line editor: the pure editing state machine first, then the
 * terminal side (raw mode, reading keys, redrawing). */
#include "sys/lineedit.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 character at s[0..avail) and its code point,
 * or 0 when the bytes there are not one (a lone or truncated sequence,
 * an overlong form, a surrogate, beyond U+10FFFF). */
static size_t utf8_char(const unsigned char *s, size_t avail, uint32_t *cp)
{
	if (avail == 0)
		return 0;
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t n;
	uint32_t v;
	unsigned char lo = 0x80, hi = 0xbf;  /* allowed range of the second byte */
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;      /* overlong */
		else if (c == 0xed)
			hi = 0x9f;      /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;      /* above U+10FFFF */
	} else {
		return 0;
	}
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	*cp = v;
	return n;
}

struct cp_range { uint32_t lo, hi; };

/* Combining marks and zero-width characters (the common blocks). */
static const struct cp_range zero_width[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd }, { 0x0610, 0x061a },
	{ 0x064b, 0x065f }, { 0x0670, 0x0670 }, { 0x06d6, 0x06dc }, { 0x0e31, 0x0e31 },
	{ 0x0e34, 0x0e3a }, { 0x0e47, 0x0e4e }, { 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff },
	{ 0x200b, 0x200f }, { 0x202a, 0x202e }, { 0x2060, 0x2064 }, { 0x20d0, 0x20ff },
	{ 0x302a, 0x302f }, { 0x3099, 0x309a }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f },
	{ 0xfeff, 0xfeff }, { 0xe0100, 0xe01ef },
};

/* East Asian wide and fullwidth characters, and emoji. */
static const struct cp_range double_width[] = {
	{ 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a }, { 0x2e80, 0x303e },
	{ 0x3041, 0x3247 }, { 0x3250, 0x4dbf }, { 0x4e00, 0xa4cf }, { 0xa960, 0xa97f },
	{ 0xac00, 0xd7a3 }, { 0xf900, 0xfaff }, { 0xfe10, 0xfe19 }, { 0xfe30, 0xfe6f },
	{ 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f }, { 0x1f900, 0x1f9ff },
	{ 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
};

static int in_ranges(uint32_t cp, const struct cp_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cp >= r[i].lo && cp <= r[i].hi)
			return 1;
	return 0;
}

static size_t cp_width(uint32_t cp)
{
	if (in_ranges(cp, zero_width, KG_ARRAY_LEN(zero_width)))
		return 0;
	return in_ranges(cp, double_width, KG_ARRAY_LEN(double_width)) ? 2 : 1;
}

size_t kg_le_width(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0, i = 0;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_char(p + i, len - i, &cp);
		if (n == 0) {
			w++;        /* shown as one replacement glyph */
			i++;
		} else {
			w += cp_width(cp);
			i += n;
		}
	}
	return w;
}

/* Byte offset of the character before / after offset pos.  Continuation
 * bytes are skipped, so the cursor never lands inside a character. */
static size_t prev_char(const kg_le *e, size_t pos)
{
	if (pos == 0)
		return 0;
	pos--;
	while (pos > 0 && ((unsigned char)e->line[pos] & 0xc0) == 0x80)
		pos--;
	return pos;
}

static size_t next_char(const kg_le *e, size_t pos)
{
	if (pos >= e->len)
		return e->len;
	pos++;
	while (pos < e->len && ((unsigned char)e->line[pos] & 0xc0) == 0x80)
		pos++;
	return pos;
}

/* ---- the editor ---- */

void kg_le_init(kg_le *e)
{
	memset(e, 0, sizeof(*e));
}

void kg_le_free(kg_le *e)
{
	for (size_t i = 0; i < e->hist_n; i++)
		free(e->hist[i]);
	kg_le_init(e);
}

void kg_le_begin(kg_le *e)
{
	e->len = e->pos = 0;
	e->line[0] = '\0';
	e->esc = 0;
	e->nparams = 0;
	e->mb_have = e->mb_need = 0;
	e->hist_pos = e->hist_n;
}

int kg_le_history_add(kg_le *e, const char *line)
{
	ENSURE(line != NULL, KG_ERR_ARG);
	if (line[strspn(line, " \t")] == '\0')
		return KG_OK;
	if (e->hist_n > 0 && strcmp(e->hist[e->hist_n - 1], line) == 0)
		return KG_OK;
	size_t n = strnlen(line, KG_LE_MAX_LINE - 1);
	char *copy = malloc(n + 1);
	ENSURE(copy != NULL, KG_ERR_ALLOC);
	memcpy(copy, line, n);
	copy[n] = '\0';
	if (e->hist_n == KG_LE_HISTORY) {
		free(e->hist[0]);
		memmove(&e->hist[0], &e->hist[1], (KG_LE_HISTORY - 1) * sizeof(e->hist[0]));
		e->hist_n--;
	}
	e->hist[e->hist_n++] = copy;
	e->hist_pos = e->hist_n;
	return KG_OK;
}

static void set_line(kg_le *e, const char *s)
{
	size_t n = strnlen(s, KG_LE_MAX_LINE - 1);
	memcpy(e->line, s, n);
	e->line[n] = '\0';
	e->len = e->pos = n;
}

static int insert(kg_le *e, const unsigned char *s, size_t n)
{
	if (e->len + n >= KG_LE_MAX_LINE)
		return KG_LE_BELL;
	memmove(e->line + e->pos + n, e->line + e->pos, e->len - e->pos + 1);
	memcpy(e->line + e->pos, s, n);
	e->len += n;
	e->pos += n;
	return KG_LE_CHANGED;
}

/* Removes line[from..to). */
static int erase(kg_le *e, size_t from, size_t to)
{
	if (from >= to)
		return KG_LE_BELL;
	memmove(e->line + from, e->line + to, e->len - to + 1);
	e->len -= to - from;
	e->pos = from;
	return KG_LE_CHANGED;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static size_t word_start(const kg_le *e)
{
	size_t p = e->pos;
	while (p > 0 && is_blank(e->line[p - 1]))
		p--;
	while (p > 0 && !is_blank(e->line[p - 1]))
		p--;
	return p;
}

static size_t word_end(const kg_le *e)
{
	size_t p = e->pos;
	while (p < e->len && is_blank(e->line[p]))
		p++;
	while (p < e->len && !is_blank(e->line[p]))
		p++;
	return p;
}

static int move_to(kg_le *e, size_t pos)
{
	if (pos == e->pos)
		return KG_LE_NONE;
	e->pos = pos;
	return KG_LE_CHANGED;
}

static int history_move(kg_le *e, int up)
{
	if (up) {
		if (e->hist_pos == 0)
			return KG_LE_BELL;
		if (e->hist_pos == e->hist_n)
			memcpy(e->draft, e->line, e->len + 1);
		e->hist_pos--;
		set_line(e, e->hist[e->hist_pos]);
	} else {
		if (e->hist_pos >= e->hist_n)
			return KG_LE_BELL;
		e->hist_pos++;
		set_line(e, e->hist_pos == e->hist_n ? e->draft : e->hist[e->hist_pos]);
	}
	return KG_LE_CHANGED;
}

/* The first number of a CSI parameter string ("3" of "3~"), and the
 * modifier after ';' ("5" of "1;5C"); 0 when absent. */
static void csi_numbers(const kg_le *e, unsigned *first, unsigned *mod)
{
	unsigned v[2] = { 0, 0 };
	size_t k = 0;
	for (size_t i = 0; i < e->nparams; i++) {
		char c = e->params[i];
		if (c == ';') {
			if (++k >= 2)
				break;
		} else if (c >= '0' && c <= '9' && v[k] < 1000) {
			v[k] = v[k] * 10 + (unsigned)(c - '0');
		}
	}
	*first = v[0];
	*mod = v[1];
}

static int key_left(kg_le *e)
{
	return e->pos == 0 ? KG_LE_BELL : move_to(e, prev_char(e, e->pos));
}

static int key_right(kg_le *e)
{
	return e->pos == e->len ? KG_LE_BELL : move_to(e, next_char(e, e->pos));
}

static int key_delete(kg_le *e)
{
	return erase(e, e->pos, next_char(e, e->pos));
}

/* The final byte of ESC [ ... or ESC O ... */
static int escape_final(kg_le *e, uint8_t fin)
{
	unsigned num, mod;
	csi_numbers(e, &num, &mod);
	/* Ctrl (5) or Alt (3) with an arrow moves by words. */
	int word = mod == 3 || mod == 5;
	switch (fin) {
	case 'A': return history_move(e, 1);
	case 'B': return history_move(e, 0);
	case 'C': return word ? move_to(e, word_end(e)) : key_right(e);
	case 'D': return word ? move_to(e, word_start(e)) : key_left(e);
	case 'H': return move_to(e, 0);
	case 'F': return move_to(e, e->len);
	case '~':
		if (num == 1 || num == 7)
			return move_to(e, 0);
		if (num == 4 || num == 8)
			return move_to(e, e->len);
		if (num == 3)
			return key_delete(e);
		return KG_LE_NONE;
	default:
		return KG_LE_NONE;   /* keys the editor has no use for */
	}
}

/* A byte while an escape sequence is open; -1 when the byte ends the
 * sequence without belonging to it and must be handled as a key. */
static int feed_escape(kg_le *e, uint8_t b)
{
	if (e->esc == 1) {
		e->esc = 0;
		if (b == '[' || b == 'O') {
			e->esc = b == '[' ? 2 : 3;
			e->nparams = 0;
			return KG_LE_NONE;
		}
		if (b == 'b' || b == 'B')
			return move_to(e, word_start(e));
		if (b == 'f' || b == 'F')
			return move_to(e, word_end(e));
		if (b == 0x1b) {
			e->esc = 1;
			return KG_LE_NONE;
		}
		return b < 0x20 || b == 0x7f ? -1 : KG_LE_NONE;
	}
	if (b < 0x20 || b == 0x7f) {   /* a control key cuts the sequence short */
		e->esc = 0;
		return -1;
	}
	if (e->esc == 2 && b >= 0x20 && b <= 0x3f) {
		if (e->nparams < sizeof(e->params))
			e->params[e->nparams++] = (char)b;
		return KG_LE_NONE;
	}
	e->esc = 0;
	if (b >= 0x40 && b <= 0x7e)
		return escape_final(e, b);
	return KG_LE_NONE;
}

/* A byte of a multibyte character: the character goes in once complete
 * and valid; a broken sequence is dropped. */
static int feed_utf8(kg_le *e, uint8_t b)
{
	if (e->mb_have > 0 && (b & 0xc0) == 0x80) {
		e->mb[e->mb_have++] = b;
		if (e->mb_have < e->mb_need)
			return KG_LE_NONE;
		size_t n = e->mb_have;
		e->mb_have = e->mb_need = 0;
		uint32_t cp;
		if (utf8_char(e->mb, n, &cp) != n)
			return KG_LE_BELL;
		return insert(e, e->mb, n);
	}
	e->mb_have = e->mb_need = 0;
	if (b >= 0xc2 && b <= 0xf4) {
		e->mb[0] = b;
		e->mb_have = 1;
		e->mb_need = b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
		return KG_LE_NONE;
	}
	return KG_LE_BELL;
}

static int feed_control(kg_le *e, uint8_t b)
{
	switch (b) {
	case 0x01: return move_to(e, 0);                           /* Ctrl-A */
	case 0x02: return key_left(e);                             /* Ctrl-B */
	case 0x03:                                                 /* Ctrl-C */
		e->len = e->pos = 0;
		e->line[0] = '\0';
		e->hist_pos = e->hist_n;
		return KG_LE_CANCEL;
	case 0x04:                                                 /* Ctrl-D */
		return e->len == 0 ? KG_LE_EOF : key_delete(e);
	case 0x05: return move_to(e, e->len);                      /* Ctrl-E */
	case 0x06: return key_right(e);                            /* Ctrl-F */
	case 0x08: case 0x7f:                                      /* Backspace */
		return erase(e, prev_char(e, e->pos), e->pos);
	case 0x0a: case 0x0d:
		return KG_LE_ACCEPT;
	case 0x0b: return erase(e, e->pos, e->len);                /* Ctrl-K */
	case 0x0c: return KG_LE_REDRAW;                            /* Ctrl-L */
	case 0x0e: return history_move(e, 0);                      /* Ctrl-N */
	case 0x10: return history_move(e, 1);                      /* Ctrl-P */
	case 0x15: return erase(e, 0, e->pos);                     /* Ctrl-U */
	case 0x17: return erase(e, word_start(e), e->pos);         /* Ctrl-W */
	case 0x1a: return KG_LE_SUSPEND;                           /* Ctrl-Z */
	case 0x1b:
		e->esc = 1;
		return KG_LE_NONE;
	default:
		return KG_LE_NONE;   /* Tab and other control keys do nothing */
	}
}

int kg_le_feed(kg_le *e, uint8_t b)
{
	/* Terminals in raw mode send '\r' for Enter; text pasted from a file
	 * may carry "\r\n", which is still one Enter. */
	int after_cr = e->after_cr;
	e->after_cr = b == '\r';
	if (b == '\n' && after_cr && e->esc == 0)
		return KG_LE_NONE;
	if (e->esc != 0) {
		int r = feed_escape(e, b);
		if (r >= 0)
			return r;
	}
	if (b >= 0x80 || e->mb_have > 0) {
		if (b >= 0x80)
			return feed_utf8(e, b);
		e->mb_have = e->mb_need = 0;   /* an ASCII byte ends a broken sequence */
	}
	if (b < 0x20 || b == 0x7f)
		return feed_control(e, b);
	return insert(e, &b, 1);
}

/* ---- drawing ---- */

int kg_le_render(const kg_le *e, const char *prompt, uint32_t cols, kg_buf *out)
{
	size_t pw = kg_le_width(prompt, strlen(prompt));
	if (cols == 0)
		cols = 80;
	/* One column stays free so the cursor at the end never wraps. */
	size_t avail = cols > pw + 1 ? cols - pw - 1 : 1;
	size_t start = 0, before = kg_le_width(e->line, e->pos);
	while (start < e->pos && before > avail) {
		size_t nx = next_char(e, start);
		before -= kg_le_width(e->line + start, nx - start);
		start = nx;
	}
	size_t end = start, shown = 0;
	while (end < e->len) {
		size_t nx = next_char(e, end), w = kg_le_width(e->line + end, nx - end);
		if (shown + w > avail)
			break;
		shown += w;
		end = nx;
	}
	GUARD(kg_buf_put(out, "\r", 1));
	GUARD(kg_buf_put(out, prompt, strlen(prompt)));
	GUARD(kg_buf_put(out, e->line + start, end - start));
	GUARD(kg_buf_put(out, "\x1b[K\r", 4));
	size_t col = pw + before;
	if (col > 0) {
		char mv[32];
		int n = snprintf(mv, sizeof(mv), "\x1b[%zuC", col);
		ENSURE(n > 0 && (size_t)n < sizeof(mv), KG_ERR_INTERNAL);
		GUARD(kg_buf_put(out, mv, (size_t)n));
	}
	return KG_OK;
}

/* ---- the terminal ---- */

/* Signals that must not leave the terminal raw; SIGWINCH only redraws. */
static const int le_signals[] = {
	SIGALRM, SIGHUP, SIGINT, SIGPIPE, SIGQUIT, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH,
};

int kg_lineedit_usable(int in_fd, int out_fd)
{
	const char *term = getenv("TERM");
	if (term != NULL && strcmp(term, "dumb") == 0)
		return 0;
	return isatty(in_fd) && isatty(out_fd);
}

void kg_lineedit_init(kg_lineedit *le, int in_fd, int out_fd)
{
	memset(le, 0, sizeof(*le));
	kg_le_init(&le->ed);
	le->in_fd = in_fd;
	le->out_fd = out_fd;
	le->saved.fd = -1;
	kg_buf_init(&le->out, 64 * 1024);
}

void kg_lineedit_free(kg_lineedit *le)
{
	kg_le_free(&le->ed);
	kg_buf_free(&le->out);
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		ENSURE(w > 0, KG_ERR_SYSTEM);
		s += w;
		n -= (size_t)w;
	}
	return KG_OK;
}

/* Sends what le->out holds plus s (may be NULL). */
static int flush_out(kg_lineedit *le, const char *s)
{
	if (s != NULL)
		GUARD(kg_buf_put(&le->out, s, strlen(s)));
	int r = write_all(le->out_fd, kg_buf_ptr(&le->out), kg_buf_len(&le->out));
	kg_buf_reset(&le->out);
	return r;
}

static int redraw(kg_lineedit *le, const char *prompt)
{
	uint32_t cols = 0;
	GUARD(kg_tty_window_size(le->out_fd, &cols, NULL, NULL, NULL));
	GUARD(kg_le_render(&le->ed, prompt, cols, &le->out));
	return flush_out(le, NULL);
}

enum { STEP_MORE, STEP_DONE, STEP_EOF, STEP_SUSPEND };

/* Feeds pending bytes until the line ends or they run out. */
static int feed_pending(kg_lineedit *le, const char *prompt)
{
	int dirty = 0, bell = 0, step = STEP_MORE;
	while (step == STEP_MORE && le->pend_off < le->pend_len) {
		int ev = kg_le_feed(&le->ed, le->pending[le->pend_off++]);
		switch (ev) {
		case KG_LE_CHANGED: dirty = 1; break;
		case KG_LE_BELL: bell = 1; break;
		case KG_LE_ACCEPT: step = STEP_DONE; break;
		case KG_LE_CANCEL:
			/* shown where the cursor is, as the terminal echoes it */
			GUARD(flush_out(le, "^C\r\n"));
			return STEP_DONE;
		case KG_LE_EOF: step = STEP_EOF; break;
		case KG_LE_SUSPEND: step = STEP_SUSPEND; break;
		case KG_LE_REDRAW:
			GUARD(kg_buf_put(&le->out, "\x1b[H\x1b[2J", 7));
			dirty = 1;
			break;
		default: break;
		}
	}
	if (step == STEP_DONE || step == STEP_EOF) {
		le->ed.pos = le->ed.len;   /* leave the finished line whole on screen */
		GUARD(redraw(le, prompt));
		GUARD(flush_out(le, "\r\n"));
		return step;
	}
	if (bell)
		GUARD(kg_buf_put(&le->out, "\a", 1));
	if (dirty)
		GUARD(redraw(le, prompt));
	else if (bell)
		GUARD(flush_out(le, NULL));
	return step;
}

/* Reads keys in raw mode until the line ends, a watched signal arrives
 * (*sig) or the user suspends. */
static int read_keys(kg_lineedit *le, const char *prompt, kg_tty_waiter *w, int *sig)
{
	GUARD(redraw(le, prompt));
	for (;;) {
		int step = feed_pending(le, prompt);
		GUARD(step);
		if (step != STEP_MORE)
			return step;
		le->pend_off = le->pend_len = 0;
		int s = 0;
		GUARD(kg_tty_wait(w, &s));
		if (s == SIGWINCH) {
			GUARD(redraw(le, prompt));
			continue;
		}
		if (s != 0) {
			*sig = s;
			return STEP_MORE;
		}
		ssize_t n = read(le->in_fd, le->pending, sizeof(le->pending));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			if (n < 0 && errno != EIO)
				return KG_ERR_SYSTEM;
			GUARD(flush_out(le, "\r\n"));
			return STEP_EOF;
		}
		le->pend_len = (size_t)n;
	}
}

static int is_stop(int sig)
{
	return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

int kg_lineedit_read(kg_lineedit *le, const char *prompt, const char **line)
{
	ENSURE(le != NULL && prompt != NULL && line != NULL, KG_ERR_ARG);
	*line = NULL;
	kg_le_begin(&le->ed);
	for (;;) {
		/* Signals the caller already blocks stay the caller's business. */
		kg_tty_waiter w;
		if (kg_tty_waiter_open(&w, le->in_fd, le_signals, KG_ARRAY_LEN(le_signals)) < 0) {
			kg_tty_waiter_close(&w);
			return KG_ERR_SYSTEM;
		}
		int sig = 0, r = kg_tty_raw_enter(le->in_fd, &le->saved);
		if (r == KG_OK)
			r = read_keys(le, prompt, &w, &sig);
		int rr = kg_tty_raw_restore(&le->saved);
		if (r >= 0 && rr < 0)
			r = rr;
		kg_tty_waiter_close(&w);
		if (r == STEP_SUSPEND) {
			GUARD(write_all(le->out_fd, "\r\n", 2));
			sig = SIGTSTP;
		}
		if (sig != 0) {
			/* Delivered with the terminal sane; after a stop the same
			 * line is edited again. */
			raise(sig);
			if (is_stop(sig))
				continue;
			errno = EINTR;
			return KG_ERR_SYSTEM;
		}
		GUARD(r);
		if (r == STEP_EOF)
			return KG_ERR_CLOSED;
		int hr = kg_le_history_add(&le->ed, le->ed.line);
		(void)hr;   /* without memory for history the line still stands */
		*line = le->ed.line;
		return KG_OK;
	}
}
