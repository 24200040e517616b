/* A small line editor for interactive prompts (ksftp's "sftp>").
 *
 * Two layers: kg_le is the pure editor (a line, a cursor, a history and an
 * escape-sequence decoder) that turns input bytes into edits and never
 * touches a terminal, so it can be tested and fuzzed on its own;
 * kg_lineedit adds the terminal: raw mode, reading keys and redrawing the
 * prompt line with plain ANSI sequences.
 *
 * Keys: printable text (UTF-8) is inserted at the cursor; Backspace,
 * Delete / Ctrl-D (on a non-empty line), Left/Right and Ctrl-B/Ctrl-F,
 * Home/End and Ctrl-A/Ctrl-E, Alt-B/Alt-F (word left/right), Ctrl-U (kill
 * to the start), Ctrl-K (kill to the end), Ctrl-W (delete the word before
 * the cursor), Up/Down and Ctrl-P/Ctrl-N (history), Ctrl-L (redraw),
 * Ctrl-C (abandon the line), Ctrl-D on an empty line (end of input),
 * Ctrl-Z (suspend), Enter (accept). */
#ifndef KAGI_SYS_LINEEDIT_H
#define KAGI_SYS_LINEEDIT_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "sys/tty.h"

#define KG_LE_MAX_LINE 4096   /* bytes in a line, NUL included */
#define KG_LE_HISTORY  200    /* lines kept for Up/Down */

/* What one input byte did. */
enum kg_le_event {
	KG_LE_NONE = 0,     /* nothing visible changed (e.g. inside an escape) */
	KG_LE_CHANGED,      /* line or cursor changed: redraw */
	KG_LE_ACCEPT,       /* Enter: the line is complete */
	KG_LE_CANCEL,       /* Ctrl-C: the line was abandoned (now empty) */
	KG_LE_EOF,          /* Ctrl-D on an empty line */
	KG_LE_SUSPEND,      /* Ctrl-Z */
	KG_LE_REDRAW,       /* Ctrl-L: clear the screen and redraw */
	KG_LE_BELL          /* refused (line full, no more history ...) */
};

typedef struct kg_le {
	char line[KG_LE_MAX_LINE];  /* always NUL-terminated valid UTF-8 */
	size_t len, pos;            /* bytes used; cursor as a byte offset */
	/* escape sequences: ESC, then '[' or 'O', parameters, a final byte */
	int esc;                    /* 0 none, 1 after ESC, 2 in CSI, 3 after ESC O */
	char params[16];
	size_t nparams;
	/* a UTF-8 character still arriving */
	unsigned char mb[4];
	size_t mb_have, mb_need;
	int after_cr;               /* a '\n' right after '\r' is the same Enter */
	/* history: hist[0] oldest; browsing at hist_n means the new line */
	char *hist[KG_LE_HISTORY];
	size_t hist_n, hist_pos;
	char draft[KG_LE_MAX_LINE]; /* the new line while browsing history */
} kg_le;

void kg_le_init(kg_le *e);
/* Frees the history. */
void kg_le_free(kg_le *e);
/* Starts a new, empty line (history and pending input state reset). */
void kg_le_begin(kg_le *e);
/* Feeds one input byte; returns a kg_le_event. */
int kg_le_feed(kg_le *e, uint8_t byte);
/* Adds a line to the history (blank lines and repeats of the newest entry
 * are skipped; the oldest entry goes when full). */
int kg_le_history_add(kg_le *e, const char *line) KG_WUR;

/* Display width of the UTF-8 text s[0..len): wide (East Asian) characters
 * count 2, combining marks 0, anything else (invalid bytes too) 1. */
size_t kg_le_width(const char *s, size_t len);

/* The bytes that redraw the prompt line for a terminal cols wide:
 * "\r", the prompt, the part of the line that fits (scrolled so the cursor
 * shows), ESC[K, then "\r" and ESC[nC to put the cursor in place.  Appended
 * to out. */
int kg_le_render(const kg_le *e, const char *prompt, uint32_t cols, kg_buf *out) KG_WUR;

typedef struct kg_lineedit {
	kg_le ed;
	int in_fd, out_fd;
	kg_tty_saved saved;
	uint8_t pending[256];       /* bytes read but not yet fed (typeahead) */
	size_t pend_off, pend_len;
	kg_buf out;
} kg_lineedit;

/* 1 when in_fd and out_fd are both terminals able to take the editing
 * sequences (TERM is not "dumb"). */
int kg_lineedit_usable(int in_fd, int out_fd);
void kg_lineedit_init(kg_lineedit *le, int in_fd, int out_fd);
void kg_lineedit_free(kg_lineedit *le);
/* Shows prompt and reads one edited line; *line points into le and stays
 * valid until the next call.  Ctrl-C gives an empty line.  KG_ERR_CLOSED on
 * Ctrl-D or end of input; KG_ERR_SYSTEM when the terminal fails or a
 * signal with a handler interrupted the read.  The terminal is back in its
 * own mode whenever this returns, and before any signal takes effect. */
int kg_lineedit_read(kg_lineedit *le, const char *prompt, const char **line) KG_WUR;

#endif
