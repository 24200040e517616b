/* Encoded terminal modes from a pty-req come straight from the peer. */
#include <stdint.h>
#include <string.h>
#include <termios.h>
#include "core/buf.h"
#include "sys/tty.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct termios tio, before;
	memset(&tio, 0, sizeof(tio));
	tio.c_lflag = ECHO | ICANON;
	tio.c_cflag = CS8;
	before = tio;
	int r = kg_tty_modes_apply(data, size, &tio);
	if (r < 0 && memcmp(&tio, &before, sizeof(tio)) != 0)
		__builtin_trap();   /* a failed parse must not change anything */
	if (r == 0) {
		/* what was applied encodes and re-applies to the same settings */
		kg_buf b;
		struct termios again = before;
		kg_buf_init(&b, 0);
		if (kg_tty_modes_from_termios(&tio, &b) != 0 ||
		    kg_tty_modes_apply(kg_buf_ptr(&b), kg_buf_len(&b), &again) != 0)
			__builtin_trap();
		if (again.c_lflag != tio.c_lflag || again.c_oflag != tio.c_oflag ||
		    (again.c_cflag & (CSIZE | PARENB | PARODD)) != (tio.c_cflag & (CSIZE | PARENB | PARODD)))
			__builtin_trap();
		kg_buf_free(&b);
	}
	return 0;
}
