/* The story's items: one line each, a kind letter, a tab and the text;
 * section titles numbered as they are written.  Shared by the parts of
 * the story (explain-text.c, explain-fail.c). */
#include <stdarg.h>
#include <stdio.h>
#include "explain/explain-int.h"

int ex_item(kg_buf *o, char kind, const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* Items are lines: no newline may hide inside one. */
	for (char *p = text; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return kg_buf_putf(o, "%c\t%s\n", kind, text);
}

int ex_title(kg_buf *o, unsigned *section, const char *text)
{
	return ex_item(o, 'T', "%u. %s", ++*section, text);
}
