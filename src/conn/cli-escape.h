/* kssh's escape sequences (~. ~? ~C ...) as a state machine with no I/O:
 * the bytes typed on the terminal go in; the bytes for the session channel,
 * the text for the user's terminal and the actions the session must take
 * come out.  The escape character counts only at the start of a line (after
 * \r or \n, or before anything was typed). */
#ifndef KAGI_CLI_ESCAPE_H
#define KAGI_CLI_ESCAPE_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "config/escape-char.h"

/* Longest ~C command line. */
#define KG_ESC_LINE_MAX 512

typedef enum kg_esc_action {
	KG_ESC_NONE = 0,
	KG_ESC_DISCONNECT,  /* ~. */
	KG_ESC_SUSPEND,     /* ~^Z */
	KG_ESC_LIST,        /* ~# */
	KG_ESC_BACKGROUND,  /* ~& */
	KG_ESC_BREAK,       /* ~B */
	KG_ESC_REKEY,       /* ~R */
	KG_ESC_LOG_LESS,    /* ~V */
	KG_ESC_LOG_MORE,    /* ~v */
	KG_ESC_FORWARD,     /* ~C line with -L -R -D -KL -KR -KD: kg_cli_escape.line */
} kg_esc_action;

typedef struct kg_cli_escape {
	int ch;            /* the escape character, or KG_ESCAPE_NONE */
	int line_start;    /* the last byte passed on ended a line (or none was) */
	int pending;       /* the escape character was typed at a line start */
	int in_cmd;        /* ~C: a command line is being typed */
	int cmdline_off;   /* EnableEscapeCommandline no: ~C only says so */
	size_t len;
	char line[KG_ESC_LINE_MAX + 1];  /* the ~C line (trimmed once entered) */
} kg_cli_escape;

void kg_cli_escape_init(kg_cli_escape *e, int ch);

/* Takes bytes from in[0..n) until one completes an escape the session must
 * act on (returned, with *used counting that byte) or all are taken
 * (KG_ESC_NONE, *used == n).  Bytes for the channel are appended to send,
 * text for the terminal (with \r\n line ends) to local.  ~? and the ~C
 * help and errors are answered here. */
int kg_cli_escape_feed(kg_cli_escape *e, const uint8_t *in, size_t n, kg_buf *send, kg_buf *local,
		       size_t *used, kg_esc_action *act) KG_WUR;

/* Whether the machine holds keystrokes back (~ typed, or a ~C line). */
int kg_cli_escape_busy(const kg_cli_escape *e);

/* The forwarding commands ~C takes: 1 if line (already trimmed) is one of
 * -L -R -D -KL -KR -KD with a specification, 0 if not. */
int kg_cli_escape_is_forward(const char *line);

#endif
