/* Leveled, sanitised logging to a file descriptor or syslog (see log.h). */
#include "sys/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

static const struct { const char *name; int level; } level_names[] = {
	{ "QUIET", KG_LOG_QUIET }, { "FATAL", KG_LOG_FATAL }, { "ERROR", KG_LOG_ERROR },
	{ "INFO", KG_LOG_INFO }, { "VERBOSE", KG_LOG_VERBOSE }, { "DEBUG", KG_LOG_DEBUG1 },
	{ "DEBUG1", KG_LOG_DEBUG1 }, { "DEBUG2", KG_LOG_DEBUG2 }, { "DEBUG3", KG_LOG_DEBUG3 },
};

static const struct { const char *name; int facility; } facility_names[] = {
	{ "DAEMON", LOG_DAEMON }, { "USER", LOG_USER }, { "AUTH", LOG_AUTH },
	{ "AUTHPRIV", LOG_AUTHPRIV }, { "LOCAL0", LOG_LOCAL0 }, { "LOCAL1", LOG_LOCAL1 },
	{ "LOCAL2", LOG_LOCAL2 }, { "LOCAL3", LOG_LOCAL3 }, { "LOCAL4", LOG_LOCAL4 },
	{ "LOCAL5", LOG_LOCAL5 }, { "LOCAL6", LOG_LOCAL6 }, { "LOCAL7", LOG_LOCAL7 },
};

void kg_log_init(kg_logger *lg, const char *ident, int level, int to_syslog, int facility)
{
	memset(lg, 0, sizeof(*lg));
	lg->ident = ident ? ident : "kagi";
	lg->level = level;
	lg->fd = STDERR_FILENO;
	lg->to_syslog = to_syslog;
	lg->facility = facility;
	if (to_syslog)
		openlog(lg->ident, LOG_PID | LOG_NDELAY, facility);  /* connected now: a sandbox cannot connect later */
}

void kg_log_close(kg_logger *lg)
{
	if (lg != NULL && lg->to_syslog) {
		closelog();
		lg->to_syslog = 0;
	}
}

int kg_log_level_from_name(const char *name, int *level)
{
	ENSURE(name != NULL, KG_ERR_ARG);
	for (size_t i = 0; i < KG_ARRAY_LEN(level_names); i++) {
		if (strcasecmp(name, level_names[i].name) == 0) {
			if (level != NULL)
				*level = level_names[i].level;
			return KG_OK;
		}
	}
	return KG_ERR_CONFIG;
}

const char *kg_log_level_name(int level)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(level_names); i++)
		if (level_names[i].level == level)
			return level_names[i].name;
	return "UNKNOWN";
}

int kg_log_facility_from_name(const char *name, int *facility)
{
	ENSURE(name != NULL, KG_ERR_ARG);
	for (size_t i = 0; i < KG_ARRAY_LEN(facility_names); i++) {
		if (strcasecmp(name, facility_names[i].name) == 0) {
			if (facility != NULL)
				*facility = facility_names[i].facility;
			return KG_OK;
		}
	}
	return KG_ERR_CONFIG;
}

static int syslog_priority(int level)
{
	switch (level) {
	case KG_LOG_FATAL: return LOG_CRIT;
	case KG_LOG_ERROR: return LOG_ERR;
	case KG_LOG_INFO:
	case KG_LOG_VERBOSE: return LOG_INFO;
	default: return LOG_DEBUG;
	}
}

/* Copies src into dst escaping what is not printable ASCII (tabs stay).
 * UTF-8 bytes are escaped too: a log line is not the place to render
 * a peer's text, and escapes keep it unambiguous. */
static size_t sanitise(char *dst, size_t dstsz, const char *src)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)src; *p != '\0'; p++) {
		if ((*p >= 0x20 && *p < 0x7f) || *p == '\t') {
			if (o + 1 >= dstsz)
				break;
			dst[o++] = (char)*p;
		} else {
			if (o + 4 >= dstsz)
				break;
			dst[o++] = '\\';
			dst[o++] = (char)('0' + ((*p >> 6) & 7));
			dst[o++] = (char)('0' + ((*p >> 3) & 7));
			dst[o++] = (char)('0' + (*p & 7));
		}
	}
	dst[o] = '\0';
	return o;
}

static void write_fully(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;  /* nowhere left to report a logging failure */
		}
		p += w;
		n -= (size_t)w;
	}
}

void kg_vlog(const kg_logger *lg, int level, const char *fmt, va_list ap)
{
	char raw[KG_LOG_MSG_MAX];
	char line[KG_LOG_MSG_MAX * 4 + 64];
	int saved_errno = errno;

	if (!kg_log_enabled(lg, level))
		return;
	/* Debug lines say their level ("debug1: "), as OpenSSH's do. */
	int pre = level >= KG_LOG_DEBUG1 ? snprintf(raw, sizeof(raw), "debug%d: ", level - KG_LOG_DEBUG1 + 1) : 0;
	vsnprintf(raw + pre, sizeof(raw) - (size_t)pre, fmt, ap);
	if (lg->to_syslog) {
		sanitise(line, sizeof(line), raw);
		syslog(lg->facility | syslog_priority(level), "%s", line);
	} else {
		size_t o = 0;
		if (lg->with_prefix) {
			int n = snprintf(line, sizeof(line), "%s[%ld]: ", lg->ident, (long)getpid());
			if (n > 0 && (size_t)n < sizeof(line))
				o = (size_t)n;
		}
		o += sanitise(line + o, sizeof(line) - o - 2, raw);
		if (lg->crlf)
			line[o++] = '\r';
		line[o++] = '\n';
		write_fully(lg->fd, line, o);
	}
	errno = saved_errno;
}

void kg_log(const kg_logger *lg, int level, const char *fmt, ...)
{
	va_list ap;

	if (!kg_log_enabled(lg, level))
		return;
	va_start(ap, fmt);
	kg_vlog(lg, level, fmt, ap);
	va_end(ap);
}
