/* Blocking length-prefixed frames on a local socket, retrying EINTR and waiting out EAGAIN through the loop's wait. */
#include <poll.h>
#include "sys/frame-io.h"
#include "sys/loop.h"
#include "sys/net.h"

int kg_frame_write(int fd, const uint8_t *p, size_t len)
{
	return kg_fd_write_all(fd, p, len, -1);
}

/* Exactly len bytes; *got says how many came before an end of file. */
static int read_exact(int fd, uint8_t *p, size_t len, size_t *got)
{
	*got = 0;
	while (*got < len) {
		size_t done = 0;
		int r = kg_fd_read(fd, p + *got, len - *got, &done);
		if (r == KG_ERR_AGAIN) {
			struct pollfd pf = { .fd = fd, .events = POLLIN };
			GUARD(kg_wait_fds(&pf, 1, -1));
			continue;
		}
		GUARD(r);
		*got += done;
	}
	return KG_OK;
}

int kg_frame_read(int fd, kg_buf *out, size_t max)
{
	uint8_t hdr[4];
	size_t got;
	kg_buf_reset(out);
	int r = read_exact(fd, hdr, 4, &got);
	if (r == KG_ERR_CLOSED)
		return got == 0 ? KG_ERR_CLOSED : KG_ERR_INCOMPLETE;
	GUARD(r);
	size_t n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	ENSURE(n <= max, KG_ERR_TOO_LARGE);
	uint8_t *dst;
	GUARD(kg_buf_reserve(out, n, &dst));
	r = read_exact(fd, dst, n, &got);
	return r == KG_ERR_CLOSED ? KG_ERR_INCOMPLETE : r;
}
