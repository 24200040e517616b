/* The progress meter. */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "sys/progress.h"
#include "sys/term-escape.h"

#define REDRAW_NS 250000000L   /* at most four redraws a second */

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void kg_progress_format_size(uint64_t bytes, char *out, size_t cap)
{
	static const char *const units[] = { "B", "KB", "MB", "GB", "TB", "PB", "EB" };
	size_t u = 0;
	uint64_t v = bytes;
	while (v >= 10000 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v = v / 1024 + (v % 1024 >= 512);   /* rounded, without overflow near 2^64 */
		u++;
	}
	snprintf(out, cap, "%4llu%s", (unsigned long long)v, units[u]);
}

static void format_rate(double rate, char *out, size_t cap)
{
	static const char *const units[] = { "B", "KB", "MB", "GB", "TB" };
	size_t u = 0;
	while (rate >= 1000.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		rate /= 1024.0;
		u++;
	}
	snprintf(out, cap, "%5.1f%s/s", rate, units[u]);
}

static int term_width(int fd)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static void draw(kg_progress *p, int final)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double elapsed = since(&p->start, &now);
	int pct = p->size ? (int)((p->done * 100) / p->size) : 100;
	if (pct > 100)
		pct = 100;
	char sz[32], rate[32], eta[32];
	kg_progress_format_size(p->done, sz, sizeof(sz));
	double r = final && elapsed > 0 ? (double)(p->done - p->offset) / elapsed : p->rate;
	format_rate(r, rate, sizeof(rate));
	double left = final ? elapsed : (r > 0 && p->size > p->done ? (double)(p->size - p->done) / r : 0);
	long secs = (long)(left + 0.5);
	if (secs >= 100L * 3600)
		snprintf(eta, sizeof(eta), "--:-- ETA");
	else if (secs >= 3600)
		snprintf(eta, sizeof(eta), "%ld:%02ld:%02ld%s", secs / 3600, (secs / 60) % 60, secs % 60,
			 final ? "" : " ETA");
	else
		snprintf(eta, sizeof(eta), "%02ld:%02ld%s", secs / 60, secs % 60, final ? "    " : " ETA");
	char tail[128];
	int tl = snprintf(tail, sizeof(tail), " %3d%% %s %s %s", pct, sz, rate, eta);
	int width = term_width(p->fd);
	int namew = width - tl - 1;
	if (namew < 1)
		namew = 1;
	char line[1024];
	int n = snprintf(line, sizeof(line), "\r%-*.*s%s%s", namew, namew, p->name, tail, final ? "\n" : "");
	if (n > 0)
		(void)!write(p->fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	p->last_draw = now;
}

void kg_progress_start(kg_progress *p, int enabled, int fd, const char *name, size_t name_len,
		       uint64_t size, uint64_t offset)
{
	memset(p, 0, sizeof(*p));
	p->enabled = enabled;
	if (!enabled)
		return;
	p->fd = fd;
	kg_term_escape(name, name_len, p->name, sizeof(p->name));
	p->size = size;
	p->done = p->rate_done = p->offset = offset;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	draw(p, 0);
}

void kg_progress_update(kg_progress *p, uint64_t done)
{
	if (!p->enabled)
		return;
	p->done = done;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double dt = since(&p->last_draw, &now);
	if (dt * 1e9 < (double)REDRAW_NS)
		return;
	/* Exponential smoothing keeps the rate and ETA from jumping about. */
	double inst = (double)(done - p->rate_done) / dt;
	p->rate = p->rate > 0 ? p->rate * 0.7 + inst * 0.3 : inst;
	p->rate_done = done;
	draw(p, 0);
}

void kg_progress_finish(kg_progress *p)
{
	if (!p->enabled)
		return;
	draw(p, 1);
	p->enabled = 0;
}
