/* Shared pieces of the OpenSSH-style text files kagi reads: a line tokenizer
 * for "Keyword [=] value..." files, value parsers (yes/no, times, sizes,
 * integers), host pattern lists, %-token expansion, and a bounded file read.
 *
 * Parsing works on text in memory and never exits: a problem comes back as
 * KG_ERR_CONFIG with a message "FILE line N: ..." in a kg_cfg_err. */
#ifndef KAGI_CONFIG_COMMON_H
#define KAGI_CONFIG_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include "core/safety.h"
#include "sys/log.h"

#define KG_CFG_ERRLEN 512
#define KG_CFG_MAX_ARGS 256
#define KG_CFG_MAX_FILE (4u * 1024 * 1024)  /* config / key list files */

typedef struct kg_cfg_err {
	char msg[KG_CFG_ERRLEN];
} kg_cfg_err;

/* Writes "FILE line N: <fmt...>" into e (NULL e is allowed and ignored).
 * line 0 leaves out the line part. */
void kg_cfg_errf(kg_cfg_err *e, const char *file, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Splits text into lines and lines into words.  Blank lines and lines whose
 * first word starts with '#' are skipped.  The keyword ends at blank or '=',
 * one '=' between keyword and value is allowed ("Port=22", "Port = 22").
 * Values are split at blanks; "double" or 'single' quotes group a word, a
 * backslash escapes a quote, backslash or blank; an unquoted word starting
 * with '#' ends the line. */
typedef struct kg_cfg_reader {
	const char *text;
	size_t len, pos;
	const char *filename;
	size_t lineno;          /* of the line last returned */
	char *scratch;          /* words of the current line live here */
	size_t scratch_cap;
	char *keyword;          /* as written (compare case-insensitively) */
	char *args[KG_CFG_MAX_ARGS];
	size_t nargs;
	char *rest;             /* the value text after keyword/'=', trimmed, raw */
	int single;             /* one -o option: messages leave out the line */
} kg_cfg_reader;

void kg_cfg_reader_init(kg_cfg_reader *r, const char *text, size_t len, const char *filename);
void kg_cfg_reader_free(kg_cfg_reader *r);
/* 1 with the next line in r->keyword/args, 0 at the end, or KG_ERR_*. */
int kg_cfg_next(kg_cfg_reader *r, kg_cfg_err *err) KG_WUR;

/* The line number for messages about the current line (0 for -o). */
static inline size_t kg_cfg_line(const kg_cfg_reader *r)
{
	return r->single ? 0 : r->lineno;
}

/* Table-driven keywords.  Fields of the target struct: int for FLAG,
 * INT, TIME and ENUM (-1 = unset); char * for STR and RAW (NULL = unset);
 * kg_strlist for the list types.  Single-valued types keep the first value
 * (OpenSSH semantics); later values are still checked for errors. */
enum kg_cfg_type {
	KG_CFG_STR,        /* exactly one argument */
	KG_CFG_RAW,        /* the whole value text, as written */
	KG_CFG_FLAG,       /* yes / no */
	KG_CFG_INT,        /* integer in [min, max] */
	KG_CFG_TIME,       /* kg_cfg_parse_time or "none" (0); max if > 0 */
	KG_CFG_ENUM,       /* one of enums[] (any case) */
	KG_CFG_LIST_ACC,   /* every argument of every line is appended */
	KG_CFG_LIST_FIRST, /* the arguments of the first line only */
	KG_CFG_RAW_ACC,    /* the value text of every line is appended */
	KG_CFG_IGNORE,     /* known to OpenSSH, not used by kagi */
	KG_CFG_SPECIAL,    /* handled by the caller */
};

typedef struct kg_cfg_enum {
	const char *name;  /* NULL ends a table */
	int value;
} kg_cfg_enum;

typedef struct kg_cfg_kw {
	const char *name;
	enum kg_cfg_type type;
	size_t off;
	long min, max;
	const kg_cfg_enum *enums;
} kg_cfg_kw;

#define KG_CFG_UNSET (-1)

/* LogLevel values (enum kg_log_level in sys/log.h), as OpenSSH orders them. */
extern const kg_cfg_enum kg_cfg_loglevels[];

/* The entry for keyword name (any case), or NULL. */
const kg_cfg_kw *kg_cfg_find_kw(const kg_cfg_kw *table, size_t n, const char *name);
/* Checks the current line's arguments against kw and, when store is set,
 * saves them into the struct at cfg.  KG_ERR_CONFIG with a message naming
 * file and line on a bad value. */
int kg_cfg_store(void *cfg, const kg_cfg_kw *kw, const kg_cfg_reader *r, int store,
		 kg_cfg_err *err) KG_WUR;
/* Looks name up in an enum table (any case): KG_OK or KG_ERR_CONFIG. */
int kg_cfg_parse_enum(const kg_cfg_enum *t, const char *name, int *out) KG_WUR;

/* Value parsers: KG_OK or KG_ERR_CONFIG (nothing written on error). */
/* "yes"/"no" (any case). */
int kg_cfg_parse_yesno(const char *s, int *out) KG_WUR;
/* Decimal integer within [min, max]. */
int kg_cfg_parse_int(const char *s, long min, long max, long *out) KG_WUR;
/* sshd time format: "120", "2m", "1h30m", "1w2d"; units s m h d w (any
 * case); result in seconds, at most INT32_MAX. */
int kg_cfg_parse_time(const char *s, long *seconds) KG_WUR;
/* Byte size: digits with an optional K, M, G or T suffix (powers of 1024),
 * e.g. "500M", "1G"; overflow is an error. */
int kg_cfg_parse_size(const char *s, uint64_t *bytes) KG_WUR;

/* RekeyLimit, the same in ssh_config and sshd_config. */
typedef struct kg_cfg_rekey {
	int set;             /* a value was given (the first one wins) */
	uint64_t bytes;      /* 0: the cipher's default */
	int seconds;         /* 0: no time limit */
} kg_cfg_rekey;

/* Checks RekeyLimit's value ("default" | "none" | size [time | "none"]) and,
 * when store is set and no value was stored before, stores it in out. */
int kg_cfg_parse_rekey(const kg_cfg_reader *r, kg_cfg_rekey *out, int store, kg_cfg_err *err) KG_WUR;

/* An algorithm list from a configured value (OpenSSH's "a,b", "+a", "-a",
 * "^a" forms; NULL spec: the defaults), checked against supported.  A bad
 * value is logged as "Bad <what> specification". Result malloc'ed. */
int kg_cfg_algorithms(const kg_logger *log, const char *what, const char *defaults, const char *supported,
		      const char *spec, char **out) KG_WUR;

/* Shell-style match of '*' and '?' (no other specials), optionally
 * ASCII case-insensitive.  Linear-space, no exponential backtracking. */
int kg_pattern_match(const char *s, const char *pattern, int nocase);
/* OpenSSH pattern-list semantics over a comma-separated list of patterns,
 * each optionally negated with '!': -1 if a negated pattern matches s,
 * 1 if some plain pattern matches (and no negated one), else 0. */
int kg_pattern_list_match(const char *s, const char *list, int nocase);

/* One %-token for kg_expand_tokens. */
typedef struct kg_token {
	char letter;
	const char *value;
} kg_token;
/* Replaces %X by the value of token X and "%%" by "%".  An unknown token
 * or a lone trailing '%' is KG_ERR_CONFIG.  Result malloc'ed in *out. */
int kg_expand_tokens(const char *in, const kg_token *tokens, size_t ntokens, char **out) KG_WUR;
/* A leading "~/" (or a lone "~") becomes home; other text is copied. */
int kg_expand_tilde(const char *in, const char *home, char **out) KG_WUR;

/* Reads a whole regular file of at most max bytes (0 = KG_CFG_MAX_FILE)
 * into a malloc'ed NUL-terminated buffer.  st (optional) receives the
 * fstat of the opened file.  A missing file is KG_ERR_NOT_FOUND. */
int kg_read_text_file(const char *path, size_t max, char **text, size_t *len, struct stat *st) KG_WUR;

/* Growable list of malloc'ed strings. */
typedef struct kg_strlist {
	char **v;
	size_t n;
} kg_strlist;
int kg_strlist_add(kg_strlist *l, const char *s) KG_WUR;
void kg_strlist_free(kg_strlist *l);

#endif
