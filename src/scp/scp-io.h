/* The byte channel kscp's protocols run over: an SSH channel (kg_stream),
 * or a pair of file descriptors (the remote side's stdin/stdout, or the
 * pipes of a -S transport program).  Optionally paced to a bandwidth
 * limit (-l). */
#ifndef KAGI_SCP_IO_H
#define KAGI_SCP_IO_H

#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include "conn/cli-stream.h"

#define KG_SCP_IO_RBUF (64u * 1024)

typedef struct kg_scp_io {
	kg_stream *st;            /* non-NULL: an SSH channel */
	int rfd, wfd;             /* otherwise */
	uint64_t limit_bps;       /* bytes per second; 0: unlimited */
	struct timespec lim_t0;
	uint64_t lim_bytes;
	uint8_t *rbuf;            /* read-ahead for the descriptor case */
	size_t rpos, rlen;
	int eof;
} kg_scp_io;

void kg_scp_io_init_stream(kg_scp_io *io, kg_stream *st);
int kg_scp_io_init_fds(kg_scp_io *io, int rfd, int wfd) KG_WUR;
void kg_scp_io_free(kg_scp_io *io);

/* At least one byte, up to len; *got = 0 at end of stream. */
int kg_scp_io_read(kg_scp_io *io, void *buf, size_t len, size_t *got) KG_WUR;
/* Exactly len bytes; KG_ERR_CLOSED if the stream ends first. */
int kg_scp_io_read_full(kg_scp_io *io, void *buf, size_t len) KG_WUR;
/* One byte; *ch = -1 at end of stream. */
int kg_scp_io_getc(kg_scp_io *io, int *ch) KG_WUR;
/* Bytes up to '\n' (not stored) into line (cap bytes, NUL-terminated);
 * KG_ERR_TOO_LARGE past cap-1, KG_ERR_CLOSED at end of stream. */
int kg_scp_io_read_line(kg_scp_io *io, char *line, size_t cap, size_t *len) KG_WUR;
int kg_scp_io_write(kg_scp_io *io, const void *buf, size_t len) KG_WUR;
/* Waits as needed so that data moved so far keeps to limit_bps. */
void kg_scp_io_pace(kg_scp_io *io, size_t n);

#endif
