/* Leveled logging to stderr or syslog, with the level names of OpenSSH's
 * LogLevel.  All settings live in a kg_logger the caller owns and passes
 * around; there is no process-wide logger.  A NULL logger drops messages,
 * so library code can take an optional logger without special cases.
 *
 * Messages are sanitised before output: control characters and bytes
 * that are not printable become "\ooo" octal escapes, so a peer-supplied
 * string (a user name, a banner) cannot inject terminal escapes or fake
 * log lines. */
#ifndef KAGI_SYS_LOG_H
#define KAGI_SYS_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include "core/safety.h"

enum kg_log_level {
	KG_LOG_QUIET = 0,
	KG_LOG_FATAL = 1,
	KG_LOG_ERROR = 2,
	KG_LOG_INFO = 3,
	KG_LOG_VERBOSE = 4,
	KG_LOG_DEBUG1 = 5,
	KG_LOG_DEBUG2 = 6,
	KG_LOG_DEBUG3 = 7
};

#define KG_LOG_MSG_MAX 1024   /* longer messages are truncated */

typedef struct kg_logger {
	int level;          /* messages above this level are dropped */
	int to_syslog;      /* 1: syslog(3), 0: write to fd */
	int fd;             /* output fd when not using syslog (2 by default) */
	int crlf;           /* end lines with \r\n (a client tty in raw mode) */
	int with_prefix;    /* prefix "ident[pid]: " on fd output */
	int facility;       /* syslog facility, e.g. LOG_AUTH */
	const char *ident;  /* program name; must outlive the logger */
} kg_logger;

/* Sets up lg: stderr output at level, no prefix.  With to_syslog, calls
 * openlog(3) — the syslog connection is process-wide by POSIX design,
 * so only one syslog logger per process makes sense. */
void kg_log_init(kg_logger *lg, const char *ident, int level, int to_syslog, int facility);
/* Closes the syslog connection if lg used it. */
void kg_log_close(kg_logger *lg);

/* LogLevel names: QUIET FATAL ERROR INFO VERBOSE DEBUG DEBUG1 DEBUG2
 * DEBUG3 (case-insensitive; DEBUG means DEBUG1).  KG_ERR_CONFIG if unknown. */
int kg_log_level_from_name(const char *name, int *level) KG_WUR;
const char *kg_log_level_name(int level);
/* SyslogFacility names: DAEMON USER AUTH AUTHPRIV LOCAL0..LOCAL7. */
int kg_log_facility_from_name(const char *name, int *facility) KG_WUR;

/* True when a message at level would be emitted (skip costly formatting). */
static inline int kg_log_enabled(const kg_logger *lg, int level)
{
	return lg != NULL && level > KG_LOG_QUIET && level <= lg->level;
}

void kg_log(const kg_logger *lg, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void kg_vlog(const kg_logger *lg, int level, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#define kg_error(lg, ...)   kg_log((lg), KG_LOG_ERROR, __VA_ARGS__)
#define kg_info(lg, ...)    kg_log((lg), KG_LOG_INFO, __VA_ARGS__)
#define kg_verbose(lg, ...) kg_log((lg), KG_LOG_VERBOSE, __VA_ARGS__)
#define kg_debug(lg, ...)   kg_log((lg), KG_LOG_DEBUG1, __VA_ARGS__)
#define kg_debug2(lg, ...)  kg_log((lg), KG_LOG_DEBUG2, __VA_ARGS__)
#define kg_debug3(lg, ...)  kg_log((lg), KG_LOG_DEBUG3, __VA_ARGS__)

#endif
