/* A transfer progress meter in OpenSSH's style: name, percent, bytes so
 * far, rate and time left, redrawn in place on a terminal, and a final line
 * with the total time.  Disabled meters cost nothing. */
#ifndef KAGI_PROGRESS_H
#define KAGI_PROGRESS_H

#include <stdint.h>
#include <time.h>

typedef struct kg_progress {
	int enabled;
	int fd;                   /* the terminal */
	char name[512];           /* escaped for display */
	uint64_t size, done, offset;
	struct timespec start, last_draw;
	double rate;              /* smoothed bytes per second */
	uint64_t rate_done;       /* done at the last rate sample */
} kg_progress;

/* enabled: the caller's decision (a tty on fd, no -q).  offset: bytes that
 * were already there (a resumed copy), counted but not in the rate. */
void kg_progress_start(kg_progress *p, int enabled, int fd, const char *name, size_t name_len,
		       uint64_t size, uint64_t offset);
void kg_progress_update(kg_progress *p, uint64_t done);
/* Draws the final line and ends it. */
void kg_progress_finish(kg_progress *p);

/* "1023B", "64KB", "1.2MB"...: a short size for humans into out (>= 16). */
void kg_progress_format_size(uint64_t bytes, char *out, size_t cap);

#endif
