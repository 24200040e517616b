/* Exercises src/conn/cli-escape.c and src/config/escape-char.c: the escape
 * state machine (newline rule, ~~, unknown escapes, none, ^X, ~C lines). */
#include "t.h"
#include "conn/cli-escape.h"
#include "config/client-config.h"

typedef struct {
	kg_buf send, local;
	kg_esc_action acts[8];
	size_t nacts;
} out_t;

static int feed(kg_cli_escape *e, const char *s, out_t *o)
{
	size_t n = strlen(s), off = 0;
	kg_buf_init(&o->send, 1 << 20);
	kg_buf_init(&o->local, 1 << 20);
	o->nacts = 0;
	while (off < n) {
		size_t used;
		kg_esc_action a;
		if (kg_cli_escape_feed(e, (const uint8_t *)s + off, n - off, &o->send, &o->local, &used, &a) < 0)
			return -1;
		off += used;
		if (a != KG_ESC_NONE && o->nacts < 8)
			o->acts[o->nacts++] = a;
	}
	return 0;
}

static int sent_is(out_t *o, const char *want)
{
	return kg_buf_len(&o->send) == strlen(want) && memcmp(kg_buf_ptr(&o->send), want, strlen(want)) == 0;
}

static void done(out_t *o)
{
	kg_buf_free(&o->send);
	kg_buf_free(&o->local);
}

static void test_newline_rule(void)
{
	kg_cli_escape e;
	out_t o;
	kg_cli_escape_init(&e, '~');
	T_ASSERT(feed(&e, "~.", &o) == 0 && o.nacts == 1 && o.acts[0] == KG_ESC_DISCONNECT && sent_is(&o, ""));
	done(&o);
	kg_cli_escape_init(&e, '~');
	T_ASSERT(feed(&e, "ab~.", &o) == 0 && o.nacts == 0 && sent_is(&o, "ab~."));
	done(&o);
	T_ASSERT(feed(&e, "\r~R\n~.", &o) == 0 && o.nacts == 2 && o.acts[0] == KG_ESC_REKEY &&
		 o.acts[1] == KG_ESC_DISCONNECT && sent_is(&o, "\r\n"));
	done(&o);
}

static void test_twice_and_unknown(void)
{
	kg_cli_escape e;
	out_t o;
	kg_cli_escape_init(&e, '~');
	T_ASSERT(feed(&e, "~~x", &o) == 0 && o.nacts == 0 && sent_is(&o, "~x"));
	done(&o);
	kg_cli_escape_init(&e, '~');
	T_ASSERT(feed(&e, "~x~.", &o) == 0 && o.nacts == 0 && sent_is(&o, "~x~."));
	done(&o);
	/* after an escape the line start still holds */
	kg_cli_escape_init(&e, '~');
	T_ASSERT(feed(&e, "~?~#", &o) == 0 && o.nacts == 1 && o.acts[0] == KG_ESC_LIST && sent_is(&o, ""));
	T_ASSERT(strstr((const char *)kg_buf_ptr(&o.local), "Supported escape sequences:\r\n") != NULL);
	done(&o);
	/* all the actions */
	kg_cli_escape_init(&e, '~');
	T_ASSERT(feed(&e, "~\x1a~&~B~V~v", &o) == 0 && o.nacts == 5 && o.acts[0] == KG_ESC_SUSPEND &&
		 o.acts[1] == KG_ESC_BACKGROUND && o.acts[2] == KG_ESC_BREAK && o.acts[3] == KG_ESC_LOG_LESS &&
		 o.acts[4] == KG_ESC_LOG_MORE);
	done(&o);
}

static void test_none_and_ctrl(void)
{
	kg_cli_escape e;
	out_t o;
	int ch;
	T_ASSERT(kg_escape_char_parse("none", &ch) == 0 && ch == KG_ESCAPE_NONE);
	kg_cli_escape_init(&e, ch);
	T_ASSERT(feed(&e, "~.\r~?", &o) == 0 && o.nacts == 0 && sent_is(&o, "~.\r~?"));
	done(&o);
	T_ASSERT(kg_escape_char_parse("^]", &ch) == 0 && ch == 0x1d);
	T_ASSERT(kg_escape_char_parse("%", &ch) == 0 && ch == '%');
	T_ASSERT(kg_escape_char_parse("ab", &ch) < 0 && kg_escape_char_parse("", &ch) < 0);
	kg_cli_escape_init(&e, 0x1d);
	T_ASSERT(feed(&e, "~.\x1d.", &o) == 0 && o.nacts == 0 && sent_is(&o, "~.\x1d."));
	done(&o);
	T_ASSERT(feed(&e, "\r\x1d.", &o) == 0 && o.nacts == 1 && o.acts[0] == KG_ESC_DISCONNECT);
	done(&o);
	char nm[8];
	T_ASSERT(strcmp(kg_escape_char_name(0x1d, nm, sizeof(nm)), "^]") == 0);
}

static void test_command_line(void)
{
	kg_cli_escape e;
	out_t o;
	kg_cli_escape_init(&e, '~');
	T_ASSERT(feed(&e, "~C", &o) == 0 && kg_cli_escape_busy(&e));
	T_ASSERT(strstr((const char *)kg_buf_ptr(&o.local), "ssh> ") != NULL);
	done(&o);
	T_ASSERT(feed(&e, "  -L 80x\x7f:h:80  \r", &o) == 0 && o.nacts == 1 && o.acts[0] == KG_ESC_FORWARD);
	T_ASSERT(strcmp(e.line, "-L 80:h:80") == 0 && sent_is(&o, "") && !kg_cli_escape_busy(&e));
	done(&o);
	T_ASSERT(feed(&e, "~Cfoo\r", &o) == 0 && o.nacts == 0 && sent_is(&o, ""));
	T_ASSERT(strstr((const char *)kg_buf_ptr(&o.local), "Invalid command.\r\n") != NULL);
	done(&o);
	T_ASSERT(feed(&e, "~C?\r", &o) == 0 && o.nacts == 0);
	T_ASSERT(strstr((const char *)kg_buf_ptr(&o.local), "-KD[bind_address:]port") != NULL);
	done(&o);
	T_ASSERT(feed(&e, "~C-KR 8080\x03x", &o) == 0 && o.nacts == 0 && sent_is(&o, "x"));
	done(&o);
	T_ASSERT(feed(&e, "\r~C\rz", &o) == 0 && o.nacts == 0 && sent_is(&o, "\rz"));
	done(&o);
	T_ASSERT(kg_cli_escape_is_forward("-KD 1080") && kg_cli_escape_is_forward("-R0:h:22"));
	T_ASSERT(!kg_cli_escape_is_forward("-L") && !kg_cli_escape_is_forward("-X 1") && !kg_cli_escape_is_forward("L 1"));
}

/* EnableEscapeCommandline no (the default, as OpenSSH): ~C only says so,
 * types nothing and opens no line; ~? leaves the C row out. */
static void test_command_line_disabled(void)
{
	kg_cli_escape e;
	out_t o;
	kg_cli_escape_init(&e, '~');
	e.cmdline_off = 1;
	T_ASSERT(feed(&e, "~C-L 1:h:2\r", &o) == 0 && o.nacts == 0 && !kg_cli_escape_busy(&e));
	T_ASSERT(strstr((const char *)kg_buf_ptr(&o.local), "commandline disabled\r\n") != NULL);
	T_ASSERT(strstr((const char *)kg_buf_ptr(&o.local), "ssh> ") == NULL && sent_is(&o, "-L 1:h:2\r"));
	done(&o);
	kg_cli_escape_init(&e, '~');
	e.cmdline_off = 1;
	T_ASSERT(feed(&e, "~?", &o) == 0 && strstr((const char *)kg_buf_ptr(&o.local), "~R   - request rekey"));
	T_ASSERT(strstr((const char *)kg_buf_ptr(&o.local), "open a command line") == NULL);
	done(&o);
	kg_cli_escape_init(&e, '~');
	T_ASSERT(feed(&e, "~?", &o) == 0 && strstr((const char *)kg_buf_ptr(&o.local), "~C   - open a command line"));
	done(&o);

	kg_client_config cfg;
	kg_cfg_err err;
	kg_client_config_init(&cfg);
	T_OK(kg_client_config_finish(&cfg, "h", "me"));
	T_ASSERT(cfg.enable_escape_commandline == 0);
	kg_client_config_free(&cfg);
	kg_client_config_init(&cfg);
	T_OK(kg_client_config_apply_option(&cfg, "EnableEscapeCommandline=yes", &err));
	T_OK(kg_client_config_finish(&cfg, "h", "me"));
	T_ASSERT(cfg.enable_escape_commandline == 1);
	kg_client_config_free(&cfg);
}

/* EscapeChar in a config file and as -o: first value wins, kept as written. */
static void test_config_keyword(void)
{
	kg_client_config cfg;
	kg_cfg_err err;
	kg_client_config_init(&cfg);
	const char *text = "EscapeChar ^]\nEscapeChar %\n";
	T_ASSERT(kg_client_config_apply_option(&cfg, "EscapeChar=none", &err) == 0);
	T_ASSERT(kg_client_config_apply_file(&cfg, text, strlen(text), "cfg", "h", &err) == 0);
	T_ASSERT(cfg.escape_char && strcmp(cfg.escape_char, "none") == 0);
	kg_client_config_free(&cfg);
	kg_client_config_init(&cfg);
	T_ASSERT(kg_client_config_apply_file(&cfg, text, strlen(text), "cfg", "h", &err) == 0);
	int ch;
	T_ASSERT(cfg.escape_char && kg_escape_char_parse(cfg.escape_char, &ch) == 0 && ch == 0x1d);
	kg_client_config_free(&cfg);
}

int main(void)
{
	T_RUN(test_config_keyword);
	T_RUN(test_newline_rule);
	T_RUN(test_twice_and_unknown);
	T_RUN(test_none_and_ctrl);
	T_RUN(test_command_line);
	T_RUN(test_command_line_disabled);
	return T_DONE();
}
