/* Exercises src/sys/tty.c and src/sys/pty.c: terminal modes, raw mode and window size, prompts on /dev/tty and their signals, pty pairs. */
#include "t.h"
#include "sysproc_util.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "core/buf.h"
#include "sys/net.h"
#include "sys/pty.h"
#include "sys/session-proc.h"
#include "sys/tty.h"

/* ---- terminal modes ---- */

/* An independent decoder: opcode -> value, -1 when absent. */
struct decoded { long v[256]; int ended; size_t count; };

static int t_decode_modes(const uint8_t *p, size_t len, struct decoded *d)
{
	size_t i = 0;
	for (int k = 0; k < 256; k++)
		d->v[k] = -1;
	d->ended = 0;
	d->count = 0;
	while (i < len) {
		uint8_t op = p[i++];
		if (op == 0) {
			d->ended = 1;
			return i == len ? 0 : -1;   /* nothing may follow the end */
		}
		if (op >= 160 || i + 4 > len)
			return -1;
		d->v[op] = (long)(((uint32_t)p[i] << 24) | ((uint32_t)p[i + 1] << 16) |
				  ((uint32_t)p[i + 2] << 8) | p[i + 3]);
		i += 4;
		d->count++;
	}
	return -1;
}

static void test_modes_roundtrip(void)
{
	struct termios tio, back;
	struct decoded d;
	kg_buf b;

	memset(&tio, 0, sizeof(tio));
	tio.c_iflag = ICRNL | IXON | IUTF8;
	tio.c_oflag = OPOST | ONLCR;
	tio.c_cflag = CS8 | CREAD;
	tio.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | IEXTEN | ECHOCTL | ECHOKE;
	tio.c_cc[VINTR] = 3;
	tio.c_cc[VQUIT] = 0x1c;
	tio.c_cc[VERASE] = 0x7f;
	tio.c_cc[VEOF] = 4;
	tio.c_cc[VEOL] = _POSIX_VDISABLE;
	tio.c_cc[VSUSP] = 26;
	T_ASSERT(cfsetispeed(&tio, B38400) == 0 && cfsetospeed(&tio, B38400) == 0);

	kg_buf_init(&b, 0);
	T_OK(kg_tty_modes_from_termios(&tio, &b));
	T_OK(t_decode_modes(kg_buf_ptr(&b), kg_buf_len(&b), &d));
	T_ASSERT(d.ended && d.count > 40);
	T_ASSERT(d.v[128] == 38400 && d.v[129] == 38400);
	T_ASSERT(d.v[1] == 3 && d.v[2] == 0x1c && d.v[3] == 0x7f && d.v[5] == 4 && d.v[10] == 26);
	T_ASSERT(d.v[6] == 255);                   /* disabled character */
	T_ASSERT(d.v[36] == 1 && d.v[38] == 1 && d.v[42] == 1 && d.v[33] == 0);
	T_ASSERT(d.v[50] == 1 && d.v[51] == 1 && d.v[53] == 1 && d.v[56] == 0);
	T_ASSERT(d.v[70] == 1 && d.v[72] == 1 && d.v[73] == 0);
	T_ASSERT(d.v[90] == 0 && d.v[91] == 1 && d.v[92] == 0);
	for (int k = 0; k < 256; k++)   /* flags are 0/1 */
		if (k >= 30 && k < 128 && d.v[k] != -1)
			T_ASSERT(d.v[k] == 0 || d.v[k] == 1);

	/* applying it to opposite settings reproduces the original */
	memset(&back, 0, sizeof(back));
	back.c_iflag = (tcflag_t)~0u & ~(tcflag_t)(ICRNL | IXON | IUTF8);
	back.c_lflag = ECHONL | TOSTOP;
	back.c_cflag = CS7 | PARENB;
	T_OK(kg_tty_modes_apply(kg_buf_ptr(&b), kg_buf_len(&b), &back));
	T_ASSERT(back.c_lflag == tio.c_lflag);
	T_ASSERT((back.c_cflag & CSIZE) == CS8 && !(back.c_cflag & PARENB));
	T_ASSERT(back.c_iflag & ICRNL && back.c_iflag & IXON && !(back.c_iflag & ISTRIP));
	T_ASSERT(back.c_oflag == tio.c_oflag);
	T_ASSERT(back.c_cc[VINTR] == 3 && back.c_cc[VERASE] == 0x7f);
	T_ASSERT(back.c_cc[VEOL] == _POSIX_VDISABLE);
	T_ASSERT(cfgetospeed(&back) == B38400 && cfgetispeed(&back) == B38400);

	/* every truncation inside an argument fails and leaves tio alone */
	for (size_t n = 1; n < kg_buf_len(&b); n++) {
		if (n % 5 == 0)
			continue;   /* cut on an opcode boundary: a valid prefix */
		struct termios t2 = back;
		T_ASSERT(kg_tty_modes_apply(kg_buf_ptr(&b), n, &t2) == KG_ERR_INCOMPLETE);
		T_ASSERT(memcmp(&t2, &back, sizeof(t2)) == 0);
	}
	kg_buf_free(&b);

	/* unknown opcode 20 is skipped; 160+ stops parsing */
	const uint8_t odd[] = { 20, 0, 0, 0, 9, 53, 0, 0, 0, 0, 200, 53, 0, 0, 0, 1 };
	struct termios t3;
	memset(&t3, 0, sizeof(t3));
	t3.c_lflag = ECHO;
	T_OK(kg_tty_modes_apply(odd, sizeof(odd), &t3));
	T_ASSERT(!(t3.c_lflag & ECHO));
	T_OK(kg_tty_modes_apply(NULL, 0, &t3));
	uint32_t baud = kg_tty_speed_to_baud(B115200);
	speed_t sp;
	T_ASSERT(baud == 115200 && kg_tty_baud_to_speed(115200, &sp) == KG_OK && sp == B115200);
	T_ASSERT(kg_tty_baud_to_speed(12345, &sp) == KG_ERR_NOT_FOUND);
}

/* Opens a pty pair; the slave path goes to name. */
static int open_pty(int *master, char *name, size_t namesz)
{
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0 || grantpt(*master) != 0 || unlockpt(*master) != 0 ||
	    ptsname_r(*master, name, namesz) != 0)
		return -1;
	return 0;
}

static void test_tty_raw_and_size(void)
{
	int master;
	char name[64];
	kg_tty_saved saved;
	struct termios t;
	T_ASSERT(open_pty(&master, name, sizeof(name)) == 0);
	int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	T_ASSERT(slave >= 0);
	T_OK(kg_session_resize(master, 90, 30, 640, 480));
	uint32_t c, r, px, py;
	T_OK(kg_tty_window_size(slave, &c, &r, &px, &py));
	T_ASSERT(c == 90 && r == 30 && px == 640 && py == 480);
	T_OK(kg_tty_raw_enter(slave, &saved));
	T_ASSERT(tcgetattr(slave, &t) == 0);
	T_ASSERT(!(t.c_lflag & (ECHO | ICANON | ISIG | IEXTEN)) && !(t.c_oflag & OPOST));
	T_ASSERT(!(t.c_iflag & (ICRNL | IXON)) && t.c_cc[VMIN] == 1);
	T_OK(kg_tty_raw_restore(&saved));
	T_OK(kg_tty_raw_restore(&saved));   /* second restore is a no-op */
	T_ASSERT(tcgetattr(slave, &t) == 0);
	T_ASSERT((t.c_lflag & (ECHO | ICANON | ISIG)) == (ECHO | ICANON | ISIG));
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	T_ASSERT(kg_tty_raw_enter(devnull, &saved) == KG_ERR_SYSTEM);
	T_OK(kg_tty_window_size(devnull, &c, &r, NULL, NULL));
	T_ASSERT(c == 0 && r == 0);
	close(devnull);
	close(slave);
	close(master);
}

/* Runs fn in a child whose controlling terminal is a new pty; returns the
 * master and the child's pid. */
static pid_t child_on_pty(int *master, int (*fn)(void))
{
	char name[64];
	if (open_pty(master, name, sizeof(name)) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(*master);
		if (setsid() < 0)
			_exit(90);
		int fd = open(name, O_RDWR);   /* becomes the controlling tty */
		if (fd < 0)
			_exit(91);
		_exit(fn());
	}
	return pid;
}

static int child_secret(void)
{
	char buf[64];
	int r = kg_tty_read_secret("Password: ", buf, sizeof(buf));
	return r == KG_OK && strcmp(buf, "s3cret pass") == 0 ? 0 : 10 - r;
}

static int child_yes_no(void)
{
	return kg_tty_ask_confirm("Continue? ", "SHA256:abc") == 1 ? 0 : 20;
}

static int child_no_tty(void)
{
	char buf[16];
	if (setsid() < 0 && getsid(0) != getpid())
		return 30;
	return kg_tty_read_secret("x: ", buf, sizeof(buf)) == KG_ERR_NOT_FOUND &&
	       kg_tty_ask_yes_no("q? ") == KG_ERR_NOT_FOUND ? 0 : 31;
}

static void test_tty_read_secret(void)
{
	int master, st;
	char out[1024] = "";
	size_t n = 0;
	pid_t pid = child_on_pty(&master, child_secret);
	T_ASSERT(pid > 0);
	T_ASSERT(t_read_until(master, out, sizeof(out), &n, "Password: ", 5000) == 0);
	T_OK(kg_fd_write_all(master, "s3cret pass\n", 12, 1000));
	t_read_all(master, out + n, sizeof(out) - n, 5000);
	T_ASSERT(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_ASSERT(strstr(out, "s3cret") == NULL);   /* never echoed */
	close(master);

	/* yes/no: re-asks until a valid answer; the fingerprint counts as yes */
	n = 0;
	out[0] = '\0';
	pid = child_on_pty(&master, child_yes_no);
	T_ASSERT(pid > 0);
	T_ASSERT(t_read_until(master, out, sizeof(out), &n, "Continue? ", 5000) == 0);
	T_OK(kg_fd_write_all(master, "maybe\n", 6, 1000));
	T_ASSERT(t_read_until(master, out, sizeof(out), &n, "Please type 'yes', 'no' or the fingerprint: ", 5000) == 0);
	T_OK(kg_fd_write_all(master, "SHA256:abc\n", 11, 1000));
	T_ASSERT(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(master);

	/* without a terminal both fail cleanly */
	pid = fork();
	if (pid == 0)
		_exit(child_no_tty());
	T_ASSERT(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_tty_secret_signal_restores_echo(void)
{
	int master, st;
	char out[256] = "";
	size_t n = 0;
	struct termios t;
	pid_t pid = child_on_pty(&master, child_secret);
	T_ASSERT(pid > 0);
	T_ASSERT(t_read_until(master, out, sizeof(out), &n, "Password: ", 5000) == 0);
	T_ASSERT(tcgetattr(master, &t) == 0 && !(t.c_lflag & ECHO));   /* echo is off now */
	kill(pid, SIGTERM);
	T_ASSERT(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	T_ASSERT(tcgetattr(master, &t) == 0 && (t.c_lflag & ECHO));
	close(master);
}

/* A pty pair: close-on-exec both, the slave at /dev/pts/N and not this
 * process's terminal; what the slave writes the master reads. */
static void test_pty_open(void)
{
	int m = -1, sl = -1;
	char name[64];
	T_OK(kg_pty_open(&m, &sl, name, sizeof(name)));
	T_ASSERT(strncmp(name, "/dev/pts/", 9) == 0);
	T_ASSERT((fcntl(m, F_GETFD) & FD_CLOEXEC) && (fcntl(sl, F_GETFD) & FD_CLOEXEC));
	T_ASSERT(isatty(sl));
	pid_t fg = tcgetsid(sl);
	T_ASSERT(fg < 0 || fg != getsid(0));
	struct termios tio;
	T_ASSERT(tcgetattr(sl, &tio) == 0);
	cfmakeraw(&tio);
	T_ASSERT(tcsetattr(sl, TCSANOW, &tio) == 0);
	T_ASSERT(write(sl, "hi", 2) == 2);
	char buf[8];
	T_ASSERT(read(m, buf, sizeof(buf)) == 2 && memcmp(buf, "hi", 2) == 0);
	if (geteuid() == 0) {  /* given to another user: the slave changes owner */
		struct stat st;
		kg_pty_set_owner(sl, 65534, 65534);
		T_ASSERT(fstat(sl, &st) == 0 && st.st_uid == 65534);
	}
	close(sl);
	close(m);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	T_RUN(test_pty_open);
	T_RUN(test_modes_roundtrip);
	T_RUN(test_tty_raw_and_size);
	T_RUN(test_tty_read_secret);
	T_RUN(test_tty_secret_signal_restores_echo);
	return T_DONE();
}
