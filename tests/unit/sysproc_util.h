/* Helpers for test_sysproc.c: reading a child's output with a deadline
 * and searching it. */
#ifndef KAGI_TEST_SYSPROC_UTIL_H
#define KAGI_TEST_SYSPROC_UTIL_H

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include "sys/loop.h"

/* Reads fd until EOF/EIO or timeout_ms; returns the byte count (buf is
 * NUL-terminated) or -1 on timeout. */
static inline long t_read_all(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t n = 0;
	uint64_t deadline = kg_monotonic_ms() + (uint64_t)timeout_ms;

	for (;;) {
		uint64_t now = kg_monotonic_ms();
		if (now >= deadline) {
			buf[n] = '\0';
			return -1;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		ssize_t got = read(fd, buf + n, cap - 1 - n);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0 || n + (size_t)got >= cap - 1) {
			if (got > 0)
				n += (size_t)got;
			buf[n] = '\0';
			return (long)n;
		}
		n += (size_t)got;
	}
}

/* Reads from fd until needle shows up in what was read (or timeout). */
static inline int t_read_until(int fd, char *buf, size_t cap, size_t *n, const char *needle,
			       int timeout_ms)
{
	uint64_t deadline = kg_monotonic_ms() + (uint64_t)timeout_ms;

	while (strstr(buf, needle) == NULL) {
		uint64_t now = kg_monotonic_ms();
		if (now >= deadline || *n + 1 >= cap)
			return -1;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)(deadline - now)) <= 0)
			continue;
		ssize_t got = read(fd, buf + *n, cap - 1 - *n);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0)
			return -1;
		*n += (size_t)got;
		buf[*n] = '\0';
	}
	return 0;
}

#endif
