/* The escape character's spellings, for kssh -e and EscapeChar: one
 * character, ^X for a control character, or "none". */
#ifndef KAGI_ESCAPE_CHAR_H
#define KAGI_ESCAPE_CHAR_H

#include <stddef.h>
#include "core/safety.h"

/* No escape character: the session is fully transparent. */
#define KG_ESCAPE_NONE (-2)
#define KG_ESCAPE_DEFAULT '~'

/* *out: the byte (0..255) or KG_ESCAPE_NONE; KG_ERR_ARG for anything else
 * ("Bad escape character"). */
int kg_escape_char_parse(const char *s, int *out) KG_WUR;
/* The character as the user would write it: "~", "^]", "none"; buf of at
 * least 8 bytes. */
const char *kg_escape_char_name(int ch, char *buf, size_t len);

#endif
