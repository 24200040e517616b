/* kscp's byte channel over an SSH channel or two descriptors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "scp/scp-io.h"
#include "sys/loop.h"

void kg_scp_io_init_stream(kg_scp_io *io, kg_stream *st)
{
	memset(io, 0, sizeof(*io));
	io->st = st;
	io->rfd = io->wfd = -1;
}

int kg_scp_io_init_fds(kg_scp_io *io, int rfd, int wfd)
{
	memset(io, 0, sizeof(*io));
	io->rfd = rfd;
	io->wfd = wfd;
	io->rbuf = malloc(KG_SCP_IO_RBUF);
	return io->rbuf ? KG_OK : KG_ERR_ALLOC;
}

void kg_scp_io_free(kg_scp_io *io)
{
	free(io->rbuf);
	io->rbuf = NULL;
}

static int fill(kg_scp_io *io)
{
	for (;;) {
		ssize_t n = read(io->rfd, io->rbuf, KG_SCP_IO_RBUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = io->rfd, .events = POLLIN };
			(void)!kg_wait_fds(&p, 1, -1);
			continue;
		}
		if (n < 0)
			return KG_ERR_SYSTEM;
		io->rpos = 0;
		io->rlen = (size_t)n;
		if (n == 0)
			io->eof = 1;
		return KG_OK;
	}
}

int kg_scp_io_read(kg_scp_io *io, void *buf, size_t len, size_t *got)
{
	*got = 0;
	if (len == 0)
		return KG_OK;
	if (io->st)
		return kg_stream_read(io->st, buf, len, got);
	if (io->rpos == io->rlen) {
		if (io->eof)
			return KG_OK;
		/* A big read goes straight to the caller's buffer. */
		if (len >= KG_SCP_IO_RBUF) {
			for (;;) {
				ssize_t n = read(io->rfd, buf, len);
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0 && errno == EAGAIN) {
					struct pollfd p = { .fd = io->rfd, .events = POLLIN };
					(void)!kg_wait_fds(&p, 1, -1);
					continue;
				}
				if (n < 0)
					return KG_ERR_SYSTEM;
				if (n == 0)
					io->eof = 1;
				*got = (size_t)n;
				return KG_OK;
			}
		}
		GUARD(fill(io));
		if (io->rlen == 0)
			return KG_OK;
	}
	size_t n = io->rlen - io->rpos < len ? io->rlen - io->rpos : len;
	memcpy(buf, io->rbuf + io->rpos, n);
	io->rpos += n;
	*got = n;
	return KG_OK;
}

int kg_scp_io_read_full(kg_scp_io *io, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len > 0) {
		size_t got;
		GUARD(kg_scp_io_read(io, p, len, &got));
		ENSURE(got > 0, KG_ERR_CLOSED);
		p += got;
		len -= got;
	}
	return KG_OK;
}

int kg_scp_io_getc(kg_scp_io *io, int *ch)
{
	uint8_t b;
	size_t got;
	GUARD(kg_scp_io_read(io, &b, 1, &got));
	*ch = got ? b : -1;
	return KG_OK;
}

int kg_scp_io_read_line(kg_scp_io *io, char *line, size_t cap, size_t *len)
{
	size_t n = 0;
	ENSURE(cap > 0, KG_ERR_ARG);
	for (;;) {
		int ch;
		GUARD(kg_scp_io_getc(io, &ch));
		ENSURE(ch >= 0, KG_ERR_CLOSED);
		if (ch == '\n')
			break;
		ENSURE(n + 1 < cap, KG_ERR_TOO_LARGE);
		line[n++] = (char)ch;
	}
	line[n] = '\0';
	*len = n;
	return KG_OK;
}

int kg_scp_io_write(kg_scp_io *io, const void *buf, size_t len)
{
	if (io->st)
		return kg_stream_write(io->st, buf, len);
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = write(io->wfd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pf = { .fd = io->wfd, .events = POLLOUT };
			(void)!kg_wait_fds(&pf, 1, -1);
			continue;
		}
		if (n < 0)
			return errno == EPIPE ? KG_ERR_CLOSED : KG_ERR_SYSTEM;
		p += n;
		len -= (size_t)n;
	}
	return KG_OK;
}

void kg_scp_io_pace(kg_scp_io *io, size_t n)
{
	if (!io->limit_bps)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (io->lim_bytes == 0 && io->lim_t0.tv_sec == 0 && io->lim_t0.tv_nsec == 0)
		io->lim_t0 = now;
	io->lim_bytes += n;
	double elapsed = (double)(now.tv_sec - io->lim_t0.tv_sec) + (double)(now.tv_nsec - io->lim_t0.tv_nsec) / 1e9;
	double due = (double)io->lim_bytes / (double)io->limit_bps;
	if (due > elapsed) {
		double wait = due - elapsed;
		struct timespec ts = { .tv_sec = (time_t)wait, .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9) };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	/* A fresh window now and then, so an idle pause is not made up for
	 * with a burst later. */
	if (elapsed > 5.0) {
		clock_gettime(CLOCK_MONOTONIC, &io->lim_t0);
		io->lim_bytes = 0;
	}
}
