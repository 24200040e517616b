/* Minimal unit-test harness: each T_RUN(case) prints "PASS: name" or
 * "FAIL: name"; tests/run-all.sh counts those lines. */
#ifndef KAGI_T_H
#define KAGI_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failed_now, t_npass, t_nfail;

#define T_ASSERT(c) do { if (!(c)) { \
	fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #c); \
	t_failed_now = 1; return; } } while (0)
#define T_OK(x) do { int t_r_ = (x); if (t_r_ != 0) { \
	fprintf(stderr, "%s:%d: %s returned %d\n", __FILE__, __LINE__, #x, t_r_); \
	t_failed_now = 1; return; } } while (0)
#define T_RUN(fn) do { t_failed_now = 0; fn(); \
	printf("%s: %s\n", t_failed_now ? "FAIL" : "PASS", #fn); fflush(stdout); \
	if (t_failed_now) t_nfail++; else t_npass++; } while (0)
#define T_DONE() (t_nfail ? 1 : 0)

/* Decodes hex into out (caller gives room for strlen(hex)/2 bytes). */
static inline size_t t_unhex(const char *hex, unsigned char *out)
{
	size_t n = 0;
	for (; hex[0] && hex[1]; hex += 2) {
		unsigned v;
		sscanf(hex, "%2x", &v);
		out[n++] = (unsigned char)v;
	}
	return n;
}

#endif
