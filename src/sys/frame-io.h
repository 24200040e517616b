/* Blocking length-prefixed frames on a local socket (uint32 length, then that many bytes): the monitor's channel to its children. */
#ifndef KAGI_SYS_FRAME_IO_H
#define KAGI_SYS_FRAME_IO_H

#include <stddef.h>
#include "core/buf.h"
#include "core/safety.h"

/* Writes len bytes (a whole frame, length included), waiting as long as
 * it takes.  KG_ERR_CLOSED when the peer is gone. */
int kg_frame_write(int fd, const uint8_t *p, size_t len) KG_WUR;
/* Reads one frame's length, then its contents into out (reset first; the
 * length itself is not kept).  KG_ERR_CLOSED at end of file before a
 * frame began; KG_ERR_TOO_LARGE for a length over max; KG_ERR_INCOMPLETE
 * when the peer went away inside a frame. */
int kg_frame_read(int fd, kg_buf *out, size_t max) KG_WUR;

#endif
