/* Parsing and naming the escape character (kssh -e, EscapeChar). */
#include <stdio.h>
#include <string.h>
#include "config/escape-char.h"

int kg_escape_char_parse(const char *s, int *out)
{
	ENSURE(s != NULL && out != NULL, KG_ERR_ARG);
	if (strcmp(s, "none") == 0) {
		*out = KG_ESCAPE_NONE;
		return KG_OK;
	}
	size_t n = strlen(s);
	if (n == 1) {
		*out = (unsigned char)s[0];
		return KG_OK;
	}
	if (n == 2 && s[0] == '^') {
		*out = (unsigned char)s[1] & 31;
		return KG_OK;
	}
	return KG_ERR_ARG;
}

const char *kg_escape_char_name(int ch, char *buf, size_t len)
{
	if (ch == KG_ESCAPE_NONE || ch < 0 || ch > 255)
		snprintf(buf, len, "none");
	else if (ch < 32)
		snprintf(buf, len, "^%c", ch + 64);
	else
		snprintf(buf, len, "%c", ch);
	return buf;
}
