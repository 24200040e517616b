/* The connection-sharing protocol (src/core/mux.c) and its control sockets
 * (src/sys/mux-sock.c): round trips, truncated and corrupt input, fd passing. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "t.h"
#include "core/err.h"
#include "core/mux.h"
#include "sys/mux-sock.h"

static void test_session_round_trip(void)
{
	char *env[] = { "LANG=C", "FOO=bar" };
	kg_mux_msg m = { .type = KG_MUX_C_NEW_SESSION, .id = 7, .want_tty = 1, .escape_char = '~',
			 .term = "xterm", .command = "echo hi", .env = env, .n_env = 2 };
	kg_buf b;
	kg_buf_init(&b, 0);
	T_OK(kg_mux_encode(&m, &b));
	const uint8_t *body;
	size_t len, total;
	T_OK(kg_mux_frame(kg_buf_ptr(&b), kg_buf_len(&b), &body, &len, &total));
	T_ASSERT(total == kg_buf_len(&b));
	kg_mux_msg d;
	T_OK(kg_mux_decode(body, len, &d));
	T_ASSERT(d.type == KG_MUX_C_NEW_SESSION && d.id == 7 && d.want_tty == 1 && d.escape_char == '~');
	T_ASSERT(strcmp(d.term, "xterm") == 0 && strcmp(d.command, "echo hi") == 0);
	T_ASSERT(d.n_env == 2 && strcmp(d.env[1], "FOO=bar") == 0);
	kg_mux_msg_free(&d);
	/* Every truncation is incomplete, never a crash or a partial message. */
	for (size_t n = 0; n < len; n++) {
		int r = kg_mux_decode(body, n, &d);
		/* Cut at an environment string boundary: fewer strings, still whole. */
		T_ASSERT(r == KG_ERR_INCOMPLETE || (r == KG_OK && (n == len - 11 || n == len - 21)));
		kg_mux_msg_free(&d);
	}
	/* Frames: short reads wait for more. */
	for (size_t n = 0; n < total; n++)
		T_ASSERT(kg_mux_frame(kg_buf_ptr(&b), n, &body, &len, &total) == KG_ERR_AGAIN);
	kg_buf_free(&b);
}

static void test_replies_and_corrupt(void)
{
	kg_mux_msg m = { .type = KG_MUX_S_FAILURE, .id = 3, .reason = "not supported" };
	kg_buf b;
	kg_buf_init(&b, 0);
	T_OK(kg_mux_encode(&m, &b));
	kg_mux_msg d;
	T_OK(kg_mux_decode(kg_buf_ptr(&b) + 4, kg_buf_len(&b) - 4, &d));
	T_ASSERT(d.type == KG_MUX_S_FAILURE && d.id == 3 && strcmp(d.reason, "not supported") == 0);
	kg_mux_msg_free(&d);
	kg_buf_reset(&b);
	kg_mux_msg h = { .type = KG_MUX_HELLO, .version = KG_MUX_VERSION };
	T_OK(kg_mux_encode(&h, &b));
	T_OK(kg_mux_decode(kg_buf_ptr(&b) + 4, kg_buf_len(&b) - 4, &d));
	T_ASSERT(d.type == KG_MUX_HELLO && d.version == 4);
	kg_mux_msg_free(&d);
	kg_buf_free(&b);
	/* Oversized and undersized lengths. */
	const uint8_t big[8] = { 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1 };
	const uint8_t *body;
	size_t len, total;
	T_ASSERT(kg_mux_frame(big, sizeof(big), &body, &len, &total) == KG_ERR_TOO_LARGE);
	const uint8_t tiny[6] = { 0, 0, 0, 2, 0, 1 };
	T_ASSERT(kg_mux_frame(tiny, sizeof(tiny), &body, &len, &total) == KG_ERR_FORMAT);
	/* A string length past the end; a NUL inside a string. */
	const uint8_t bad1[] = { 0x80, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 50, 'x' };
	T_ASSERT(kg_mux_decode(bad1, sizeof(bad1), &d) == KG_ERR_INCOMPLETE);
	const uint8_t bad2[] = { 0x80, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 3, 'a', 0, 'b' };
	T_ASSERT(kg_mux_decode(bad2, sizeof(bad2), &d) == KG_ERR_FORMAT);
	/* An unknown type keeps its id so it can be refused. */
	const uint8_t unk[] = { 0x10, 0, 0, 0x77, 0, 0, 0, 9 };
	T_OK(kg_mux_decode(unk, sizeof(unk), &d));
	T_ASSERT(d.type == 0x10000077u && d.id == 9);
	T_ASSERT(strcmp(kg_mux_type_name(KG_MUX_C_ALIVE_CHECK), "alive check") == 0);
	kg_mux_msg_free(&d);
}

static void test_fd_passing(void)
{
	int sv[2];
	T_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	int p[2];
	T_ASSERT(pipe(p) == 0);
	T_OK(kg_mux_send_fd(sv[0], p[1]));
	uint8_t c;
	size_t got = 0, nfds = 0;
	int fds[4];
	T_OK(kg_mux_recv(sv[1], &c, 1, &got, fds, 4, &nfds));
	T_ASSERT(got == 1 && c == 0 && nfds == 1);
	T_ASSERT(write(fds[0], "z", 1) == 1);
	char r;
	T_ASSERT(read(p[0], &r, 1) == 1 && r == 'z');
	uid_t uid;
	T_OK(kg_mux_peer_uid(sv[1], &uid));
	T_ASSERT(uid == getuid());
	close(fds[0]);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

static void test_listen_connect(void)
{
	char dir[] = "/tmp/kagi-mux-XXXXXX";
	T_ASSERT(mkdtemp(dir) != NULL);
	char path[128];
	snprintf(path, sizeof(path), "%s/cm", dir);
	int l = -1, c = -1, l2 = -1;
	const char *why;
	T_ASSERT(kg_mux_connect(path, &c) == KG_ERR_NOT_FOUND);
	T_OK(kg_mux_listen(path, &l, &why));
	struct stat st;
	T_ASSERT(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 077) == 0);
	T_ASSERT(kg_mux_listen(path, &l2, &why) == KG_ERR_AGAIN);
	T_OK(kg_mux_connect(path, &c));
	close(c);
	close(l);
	T_ASSERT(kg_mux_connect(path, &c) == KG_ERR_CLOSED);
	unlink(path);
	/* A directory others may write to (no sticky bit) is refused. */
	T_ASSERT(chmod(dir, 0777) == 0);
	T_ASSERT(kg_mux_listen(path, &l, &why) == KG_ERR_CONFIG && why != NULL);
	T_ASSERT(chmod(dir, 0700) == 0);
	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	T_ASSERT(kg_mux_connect(longp, &c) == KG_ERR_ARG);
	rmdir(dir);
}

int main(void)
{
	T_RUN(test_session_round_trip);
	T_RUN(test_replies_and_corrupt);
	T_RUN(test_fd_passing);
	T_RUN(test_listen_connect);
	return T_DONE();
}
