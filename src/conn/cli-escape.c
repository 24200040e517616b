/* kssh's escape sequences: the state machine between the terminal and the
 * session channel (see cli-escape.h); the session acts on what it returns. */
#include <stdio.h>
#include <string.h>
#include "conn/cli-escape.h"

void kg_cli_escape_init(kg_cli_escape *e, int ch)
{
	memset(e, 0, sizeof(*e));
	e->ch = ch;
	e->line_start = 1;
}

int kg_cli_escape_busy(const kg_cli_escape *e)
{
	return e->pending || e->in_cmd;
}

static int puts_local(kg_buf *local, const char *s)
{
	return kg_buf_put(local, s, strlen(s));
}

/* "~" for the default; a control character as ^X. */
static const char *esc_name(const kg_cli_escape *e, char *buf, size_t len)
{
	return kg_escape_char_name(e->ch, buf, len);
}

static int help(const kg_cli_escape *e, kg_buf *local)
{
	static const struct {
		const char *key, *what;
	} rows[] = {
		{ ".", "terminate connection (and any multiplexed sessions)" },
		{ "B", "send a BREAK to the remote system" },
		{ "C", "open a command line" },
		{ "R", "request rekey" },
		{ "V/v", "decrease/increase verbosity (LogLevel)" },
		{ "^Z", "suspend ssh" },
		{ "#", "list forwarded connections" },
		{ "&", "background ssh (when waiting for connections to terminate)" },
		{ "?", "this message" },
	};
	char nm[8], line[160];
	esc_name(e, nm, sizeof(nm));
	snprintf(line, sizeof(line), "%s?\r\nSupported escape sequences:\r\n", nm);
	GUARD(puts_local(local, line));
	for (size_t i = 0; i < KG_ARRAY_LEN(rows); i++) {
		if (e->cmdline_off && rows[i].key[0] == 'C')
			continue;
		char key[16];
		snprintf(key, sizeof(key), "%s%s", nm, rows[i].key);
		snprintf(line, sizeof(line), " %-4s - %s\r\n", key, rows[i].what);
		GUARD(puts_local(local, line));
	}
	char twice[16];
	snprintf(twice, sizeof(twice), "%s%s", nm, nm);
	snprintf(line, sizeof(line), " %-4s - send the escape character by typing it twice\r\n", twice);
	GUARD(puts_local(local, line));
	return puts_local(local, "(Note that escapes are only recognized immediately after newline.)\r\n");
}

static int cmd_help(kg_buf *local)
{
	return puts_local(local, "Commands:\r\n"
				 "      -L[bind_address:]port:host:hostport    Request local forward\r\n"
				 "      -R[bind_address:]port:host:hostport    Request remote forward\r\n"
				 "      -D[bind_address:]port                  Request dynamic forward\r\n"
				 "      -KL[bind_address:]port                 Cancel local forward\r\n"
				 "      -KR[bind_address:]port                 Cancel remote forward\r\n"
				 "      -KD[bind_address:]port                 Cancel dynamic forward\r\n");
}

int kg_cli_escape_is_forward(const char *line)
{
	const char *p = line;
	if (p[0] != '-')
		return 0;
	p++;
	if (*p == 'K')
		p++;
	if (*p != 'L' && *p != 'R' && *p != 'D')
		return 0;
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p != '\0';
}

/* Enter on the ~C line: trim it and decide. */
static int cmd_entered(kg_cli_escape *e, kg_buf *local, kg_esc_action *act)
{
	e->in_cmd = 0;
	e->line[e->len] = '\0';
	char *s = e->line;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	memmove(e->line, s, n);
	e->line[n] = '\0';
	e->len = n;
	GUARD(puts_local(local, "\r\n"));
	if (n == 0)
		return KG_OK;  /* an empty line cancels */
	if (strcmp(e->line, "?") == 0 || strcmp(e->line, "help") == 0 || strcmp(e->line, "-h") == 0)
		return cmd_help(local);
	if (kg_cli_escape_is_forward(e->line)) {
		*act = KG_ESC_FORWARD;
		return KG_OK;
	}
	return puts_local(local, "Invalid command.\r\n");
}

/* One byte typed while the ~C line is open. */
static int cmd_byte(kg_cli_escape *e, uint8_t c, kg_buf *local, kg_esc_action *act)
{
	switch (c) {
	case '\r':
	case '\n':
		return cmd_entered(e, local, act);
	case 3:  /* Ctrl-C cancels */
		e->in_cmd = 0;
		e->len = 0;
		e->line[0] = '\0';
		return puts_local(local, "^C\r\n");
	case 0x7f:
	case 8:
		if (e->len == 0)
			return KG_OK;
		/* a UTF-8 character goes as a whole */
		do
			e->len--;
		while (e->len > 0 && ((uint8_t)e->line[e->len] & 0xc0) == 0x80);
		return puts_local(local, "\b \b");
	case 0x15:  /* Ctrl-U */
		while (e->len > 0) {
			if (((uint8_t)e->line[--e->len] & 0xc0) != 0x80)
				GUARD(puts_local(local, "\b \b"));
		}
		return KG_OK;
	default:
		if (c < 0x20 || e->len >= KG_ESC_LINE_MAX)
			return KG_OK;  /* other control keys, and past the end: ignored */
		e->line[e->len++] = (char)c;
		return kg_buf_put_u8(local, c);
	}
}

/* The byte after the escape character. */
static int escaped(kg_cli_escape *e, uint8_t c, kg_buf *send, kg_buf *local, kg_esc_action *act)
{
	char nm[8];
	esc_name(e, nm, sizeof(nm));
	switch (c) {
	case '.': *act = KG_ESC_DISCONNECT; return KG_OK;
	case 'Z' - 64: *act = KG_ESC_SUSPEND; return KG_OK;
	case '#': *act = KG_ESC_LIST; return KG_OK;
	case '&': *act = KG_ESC_BACKGROUND; return KG_OK;
	case 'B': *act = KG_ESC_BREAK; return KG_OK;
	case 'R': *act = KG_ESC_REKEY; return KG_OK;
	case 'V': *act = KG_ESC_LOG_LESS; return KG_OK;
	case 'v': *act = KG_ESC_LOG_MORE; return KG_OK;
	case '?': return help(e, local);
	case 'C':
		if (e->cmdline_off)
			return puts_local(local, "commandline disabled\r\n");
		e->in_cmd = 1;
		e->len = 0;
		e->line[0] = '\0';
		return puts_local(local, "\r\nssh> ");
	default:
		break;
	}
	/* Typed twice: one goes out.  Anything else: both go out. */
	if (c != (uint8_t)e->ch)
		GUARD(kg_buf_put_u8(send, (uint8_t)e->ch));
	GUARD(kg_buf_put_u8(send, c));
	e->line_start = c == '\r' || c == '\n';
	return KG_OK;
}

int kg_cli_escape_feed(kg_cli_escape *e, const uint8_t *in, size_t n, kg_buf *send, kg_buf *local,
		       size_t *used, kg_esc_action *act)
{
	*act = KG_ESC_NONE;
	size_t i = 0;
	while (i < n && *act == KG_ESC_NONE) {
		uint8_t c = in[i++];
		if (e->in_cmd) {
			GUARD(cmd_byte(e, c, local, act));
		} else if (e->pending) {
			e->pending = 0;
			GUARD(escaped(e, c, send, local, act));
		} else if (e->ch != KG_ESCAPE_NONE && e->line_start && c == (uint8_t)e->ch) {
			e->pending = 1;
		} else {
			GUARD(kg_buf_put_u8(send, c));
			e->line_start = c == '\r' || c == '\n';
		}
	}
	*used = i;
	return KG_OK;
}
