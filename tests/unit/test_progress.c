/* Exercises src/sys/progress.c: the meter's line (name, percent, size, rate, time), its redraw limit, width and the size format. */
#include <fcntl.h>
#include <pty.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "t.h"
#include "sys/progress.h"

/* What the meter wrote to the pipe so far (NUL-terminated). */
static size_t drain(int fd, char *buf, size_t cap)
{
	ssize_t n = read(fd, buf, cap - 1);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return (size_t)n;
}

static int ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);
	return a >= b && strcmp(s + a - b, tail) == 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void test_format_size(void)
{
	char out[32];
	kg_progress_format_size(0, out, sizeof(out));
	T_ASSERT(strcmp(out, "   0B") == 0);
	kg_progress_format_size(9999, out, sizeof(out));
	T_ASSERT(strcmp(out, "9999B") == 0);
	kg_progress_format_size(10000, out, sizeof(out));   /* 9.77 KiB, rounded */
	T_ASSERT(strcmp(out, "  10KB") == 0);
	kg_progress_format_size(1ull << 30, out, sizeof(out));
	T_ASSERT(strcmp(out, "1024MB") == 0);
	kg_progress_format_size(UINT64_MAX, out, sizeof(out));
	T_ASSERT(strcmp(out, "  16EB") == 0);
}

static void test_meter_lines(void)
{
	int p[2];
	char out[512];
	kg_progress m;
	T_ASSERT(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);

	kg_progress_start(&m, 1, p[1], "file.txt", 8, 1000, 0);
	size_t n = drain(p[0], out, sizeof(out));
	/* not a terminal: 80 columns, the line one short of them after "\r" */
	T_ASSERT(n == 80 && out[0] == '\r' && strncmp(out + 1, "file.txt ", 9) == 0);
	T_ASSERT(ends_with(out, "   0%    0B   0.0B/s 00:00 ETA"));

	/* within a quarter second nothing is redrawn */
	kg_progress_update(&m, 500);
	T_ASSERT(drain(p[0], out, sizeof(out)) == 0);
	sleep_ms(300);
	kg_progress_update(&m, 500);
	n = drain(p[0], out, sizeof(out));
	T_ASSERT(n == 80 && strstr(out, "  50%  500B ") != NULL && ends_with(out, " ETA"));
	T_ASSERT(strstr(out, "  0.0B/s") == NULL);   /* a rate was measured */

	kg_progress_update(&m, 1000);
	kg_progress_finish(&m);
	n = drain(p[0], out, sizeof(out));
	/* the final line: 100 %, the total time, a newline */
	T_ASSERT(n == 81 && out[0] == '\r' && strstr(out, " 100% 1000B ") != NULL);
	T_ASSERT(ends_with(out, "00:00    \n"));
	kg_progress_finish(&m);   /* finished meters stay quiet */
	kg_progress_update(&m, 1000);
	T_ASSERT(drain(p[0], out, sizeof(out)) == 0);
	close(p[0]);
	close(p[1]);
}

static void test_meter_resumed_and_escaped(void)
{
	int p[2];
	char out[512];
	kg_progress m;
	T_ASSERT(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
	/* a resumed copy starts at its offset */
	kg_progress_start(&m, 1, p[1], "a\x1b[2Jb", 6, 1000, 400);
	size_t n = drain(p[0], out, sizeof(out));
	T_ASSERT(n == 80 && strstr(out, "  40%  400B ") != NULL);
	/* a peer's name cannot carry terminal escapes */
	T_ASSERT(strchr(out, '\x1b') == NULL && strncmp(out, "\ra\\033[2Jb ", 11) == 0);

	/* disabled: nothing at all */
	kg_progress_start(&m, 0, p[1], "x", 1, 10, 0);
	kg_progress_update(&m, 5);
	kg_progress_finish(&m);
	T_ASSERT(drain(p[0], out, sizeof(out)) == 0);
	close(p[0]);
	close(p[1]);
}

static void test_meter_terminal_width(void)
{
	int master, slave;
	struct winsize ws = { .ws_row = 24, .ws_col = 50 };
	char out[512];
	T_ASSERT(openpty(&master, &slave, NULL, NULL, &ws) == 0);
	kg_progress m;
	kg_progress_start(&m, 1, slave, "name", 4, 100, 0);
	size_t n = 0;
	for (int i = 0; i < 100 && n < 50; i++) {
		ssize_t r = read(master, out + n, sizeof(out) - 1 - n);
		if (r > 0)
			n += (size_t)r;
	}
	out[n] = '\0';
	T_ASSERT(n == 50 && out[0] == '\r' && strncmp(out + 1, "name ", 5) == 0);
	close(slave);
	close(master);
}

int main(void)
{
	T_RUN(test_format_size);
	T_RUN(test_meter_lines);
	T_RUN(test_meter_resumed_and_escaped);
	T_RUN(test_meter_terminal_width);
	return T_DONE();
}
