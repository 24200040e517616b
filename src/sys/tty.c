/* Terminal raw mode, window size, RFC 4254 terminal modes, prompts on /dev/tty. */
#include "sys/tty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <openssl/crypto.h>

int kg_tty_raw_enter(int fd, kg_tty_saved *saved)
{
	struct termios tio;

	ENSURE(saved != NULL, KG_ERR_ARG);
	saved->active = 0;
	saved->fd = fd;
	ENSURE(tcgetattr(fd, &saved->tio) == 0, KG_ERR_SYSTEM);
	tio = saved->tio;
	/* Every byte goes to the remote side untouched: the remote pty does
	 * the line editing, signal keys and output translation. */
	tio.c_iflag |= IGNPAR;
	tio.c_iflag &= ~(tcflag_t)(ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXANY | IXOFF);
#ifdef IUCLC
	tio.c_iflag &= ~(tcflag_t)IUCLC;
#endif
	tio.c_lflag &= ~(tcflag_t)(ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHONL | IEXTEN);
	tio.c_oflag &= ~(tcflag_t)OPOST;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	ENSURE(tcsetattr(fd, TCSADRAIN, &tio) == 0, KG_ERR_SYSTEM);
	saved->active = 1;
	return KG_OK;
}

int kg_tty_raw_restore(kg_tty_saved *saved)
{
	ENSURE(saved != NULL, KG_ERR_ARG);
	if (!saved->active)
		return KG_OK;
	saved->active = 0;
	ENSURE(tcsetattr(saved->fd, TCSADRAIN, &saved->tio) == 0, KG_ERR_SYSTEM);
	return KG_OK;
}

int kg_tty_window_size(int fd, uint32_t *cols, uint32_t *rows, uint32_t *px, uint32_t *py)
{
	struct winsize ws;

	memset(&ws, 0, sizeof(ws));
	if (ioctl(fd, TIOCGWINSZ, &ws) != 0)
		memset(&ws, 0, sizeof(ws));
	if (cols != NULL)
		*cols = ws.ws_col;
	if (rows != NULL)
		*rows = ws.ws_row;
	if (px != NULL)
		*px = ws.ws_xpixel;
	if (py != NULL)
		*py = ws.ws_ypixel;
	return KG_OK;
}

/* ---- encoded terminal modes ---- */

enum mode_kind { MODE_CC, MODE_IFLAG, MODE_LFLAG, MODE_OFLAG, MODE_CFLAG };

struct mode_entry {
	uint8_t opcode;
	uint8_t kind;
	tcflag_t bit;    /* flag bit, or the c_cc index for MODE_CC */
};

static const struct mode_entry mode_table[] = {
	{ 1, MODE_CC, VINTR }, { 2, MODE_CC, VQUIT }, { 3, MODE_CC, VERASE },
	{ 4, MODE_CC, VKILL }, { 5, MODE_CC, VEOF }, { 6, MODE_CC, VEOL },
	{ 7, MODE_CC, VEOL2 }, { 8, MODE_CC, VSTART }, { 9, MODE_CC, VSTOP },
	{ 10, MODE_CC, VSUSP },
#ifdef VDSUSP
	{ 11, MODE_CC, VDSUSP },
#endif
	{ 12, MODE_CC, VREPRINT }, { 13, MODE_CC, VWERASE }, { 14, MODE_CC, VLNEXT },
#ifdef VFLUSH
	{ 15, MODE_CC, VFLUSH },
#endif
#if defined(VSWTCH)
	{ 16, MODE_CC, VSWTCH },
#elif defined(VSWTC)
	{ 16, MODE_CC, VSWTC },
#endif
#ifdef VSTATUS
	{ 17, MODE_CC, VSTATUS },
#endif
	{ 18, MODE_CC, VDISCARD },
	{ 30, MODE_IFLAG, IGNPAR }, { 31, MODE_IFLAG, PARMRK }, { 32, MODE_IFLAG, INPCK },
	{ 33, MODE_IFLAG, ISTRIP }, { 34, MODE_IFLAG, INLCR }, { 35, MODE_IFLAG, IGNCR },
	{ 36, MODE_IFLAG, ICRNL },
#ifdef IUCLC
	{ 37, MODE_IFLAG, IUCLC },
#endif
	{ 38, MODE_IFLAG, IXON }, { 39, MODE_IFLAG, IXANY }, { 40, MODE_IFLAG, IXOFF },
	{ 41, MODE_IFLAG, IMAXBEL },
#ifdef IUTF8
	{ 42, MODE_IFLAG, IUTF8 },   /* RFC 8160 */
#endif
	{ 50, MODE_LFLAG, ISIG }, { 51, MODE_LFLAG, ICANON },
#ifdef XCASE
	{ 52, MODE_LFLAG, XCASE },
#endif
	{ 53, MODE_LFLAG, ECHO }, { 54, MODE_LFLAG, ECHOE }, { 55, MODE_LFLAG, ECHOK },
	{ 56, MODE_LFLAG, ECHONL }, { 57, MODE_LFLAG, NOFLSH }, { 58, MODE_LFLAG, TOSTOP },
	{ 59, MODE_LFLAG, IEXTEN }, { 60, MODE_LFLAG, ECHOCTL }, { 61, MODE_LFLAG, ECHOKE },
	{ 62, MODE_LFLAG, PENDIN },
	{ 70, MODE_OFLAG, OPOST },
#ifdef OLCUC
	{ 71, MODE_OFLAG, OLCUC },
#endif
	{ 72, MODE_OFLAG, ONLCR }, { 73, MODE_OFLAG, OCRNL }, { 74, MODE_OFLAG, ONOCR },
	{ 75, MODE_OFLAG, ONLRET },
	{ 90, MODE_CFLAG, CS7 }, { 91, MODE_CFLAG, CS8 },
	{ 92, MODE_CFLAG, PARENB }, { 93, MODE_CFLAG, PARODD },
};

static const struct { speed_t s; uint32_t baud; } speed_table[] = {
	{ B0, 0 }, { B50, 50 }, { B75, 75 }, { B110, 110 }, { B134, 134 }, { B150, 150 },
	{ B200, 200 }, { B300, 300 }, { B600, 600 }, { B1200, 1200 }, { B1800, 1800 },
	{ B2400, 2400 }, { B4800, 4800 }, { B9600, 9600 }, { B19200, 19200 },
	{ B38400, 38400 }, { B57600, 57600 }, { B115200, 115200 }, { B230400, 230400 },
#ifdef B460800
	{ B460800, 460800 },
#endif
#ifdef B921600
	{ B921600, 921600 },
#endif
};

uint32_t kg_tty_speed_to_baud(speed_t s)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(speed_table); i++)
		if (speed_table[i].s == s)
			return speed_table[i].baud;
	return 0;
}

int kg_tty_baud_to_speed(uint32_t baud, speed_t *s)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(speed_table); i++) {
		if (speed_table[i].baud == baud) {
			*s = speed_table[i].s;
			return KG_OK;
		}
	}
	return KG_ERR_NOT_FOUND;
}

static tcflag_t flag_value(const struct termios *tio, int kind)
{
	switch (kind) {
	case MODE_IFLAG: return tio->c_iflag;
	case MODE_LFLAG: return tio->c_lflag;
	case MODE_OFLAG: return tio->c_oflag;
	default: return tio->c_cflag;
	}
}

static tcflag_t *flag_word(struct termios *tio, int kind)
{
	switch (kind) {
	case MODE_IFLAG: return &tio->c_iflag;
	case MODE_LFLAG: return &tio->c_lflag;
	case MODE_OFLAG: return &tio->c_oflag;
	default: return &tio->c_cflag;
	}
}

/* "No character" is _POSIX_VDISABLE locally and 255 on the wire. */
static uint32_t cc_encode(cc_t c)
{
	return c == _POSIX_VDISABLE ? 255u : c;
}

static cc_t cc_decode(uint32_t v)
{
	return v == 255u || v > 255u ? (cc_t)_POSIX_VDISABLE : (cc_t)v;
}

static int put_mode(kg_buf *out, uint8_t op, uint32_t v)
{
	GUARD(kg_buf_put_u8(out, op));
	return kg_buf_put_u32(out, v);
}

int kg_tty_modes_from_termios(const struct termios *tio, kg_buf *out)
{
	ENSURE(tio != NULL && out != NULL, KG_ERR_ARG);
	GUARD(put_mode(out, KG_TTY_OP_ISPEED, kg_tty_speed_to_baud(cfgetispeed(tio))));
	GUARD(put_mode(out, KG_TTY_OP_OSPEED, kg_tty_speed_to_baud(cfgetospeed(tio))));
	for (size_t i = 0; i < KG_ARRAY_LEN(mode_table); i++) {
		const struct mode_entry *m = &mode_table[i];
		uint32_t v;
		if (m->kind == MODE_CC)
			v = cc_encode(tio->c_cc[m->bit]);
		else if (m->kind == MODE_CFLAG && (m->bit == CS7 || m->bit == CS8))
			v = (tio->c_cflag & CSIZE) == m->bit;
		else
			v = (flag_value(tio, m->kind) & m->bit) != 0;
		GUARD(put_mode(out, m->opcode, v));
	}
	return kg_buf_put_u8(out, KG_TTY_OP_END);
}

static const struct mode_entry *find_mode(uint8_t op)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(mode_table); i++)
		if (mode_table[i].opcode == op)
			return &mode_table[i];
	return NULL;
}

static void apply_one(struct termios *tio, uint8_t op, uint32_t v)
{
	speed_t sp;

	if (op == KG_TTY_OP_ISPEED || op == KG_TTY_OP_OSPEED) {
		/* An odd rate is not worth failing the session over. */
		if (kg_tty_baud_to_speed(v, &sp) == KG_OK) {
			if (op == KG_TTY_OP_ISPEED)
				(void)cfsetispeed(tio, sp);
			else
				(void)cfsetospeed(tio, sp);
		}
		return;
	}
	const struct mode_entry *m = find_mode(op);
	if (m == NULL)
		return;  /* a mode this system lacks: ignored, as RFC 4254 allows */
	if (m->kind == MODE_CC) {
		tio->c_cc[m->bit] = cc_decode(v);
	} else if (m->kind == MODE_CFLAG && (m->bit == CS7 || m->bit == CS8)) {
		if (v != 0)
			tio->c_cflag = (tio->c_cflag & ~(tcflag_t)CSIZE) | m->bit;
	} else if (v != 0) {
		*flag_word(tio, m->kind) |= m->bit;
	} else {
		*flag_word(tio, m->kind) &= ~m->bit;
	}
}

int kg_tty_modes_apply(const uint8_t *modes, size_t len, struct termios *tio)
{
	kg_buf b;
	struct termios t;

	ENSURE(tio != NULL && (modes != NULL || len == 0), KG_ERR_ARG);
	t = *tio;
	kg_buf_view(&b, modes, len);
	while (kg_buf_len(&b) > 0) {
		uint8_t op;
		uint32_t v;
		GUARD(kg_buf_get_u8(&b, &op));
		if (op == KG_TTY_OP_END || op >= 160)
			break;
		GUARD(kg_buf_get_u32(&b, &v));
		apply_one(&t, op, v);
	}
	*tio = t;
	return KG_OK;
}

/* ---- prompts on /dev/tty ---- */

/* Signals that must not leave the terminal with echo off. */
static const int prompt_signals[] = {
	SIGALRM, SIGHUP, SIGINT, SIGPIPE, SIGQUIT, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU,
};

static void tty_write(int fd, const char *s)
{
	size_t n = strlen(s);
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		s += w;
		n -= (size_t)w;
	}
}

static int is_job_stop(int sig)
{
	return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* ---- waiting for a key or a signal ---- */

static void waiter_fd(void *ctx, int fd, int revents)
{
	kg_tty_waiter *w = ctx;
	(void)fd;
	if (revents & (POLLIN | POLLHUP | POLLERR))
		w->ready = 1;
}

static void waiter_sig(void *ctx, int signo)
{
	kg_tty_waiter *w = ctx;
	if (signo == SIGWINCH)
		w->winch = 1;
	else if (w->sig == 0)
		w->sig = signo;
}

int kg_tty_waiter_open(kg_tty_waiter *w, int fd, const int *signals, size_t n)
{
	memset(w, 0, sizeof(*w));
	kg_loop_init(&w->loop);
	GUARD(kg_loop_watch_signals(&w->loop, signals, n, waiter_sig, w));
	return kg_loop_add_fd(&w->loop, fd, KG_LOOP_READ, waiter_fd, w);
}

int kg_tty_wait(kg_tty_waiter *w, int *sig)
{
	for (;;) {
		/* A signal first: the terminal must be restored before it acts. */
		if (w->sig != 0) {
			*sig = w->sig;
			w->sig = 0;
			return KG_OK;
		}
		if (w->winch) {
			*sig = SIGWINCH;
			w->winch = 0;
			return KG_OK;
		}
		if (w->ready) {
			*sig = 0;
			w->ready = 0;
			return KG_OK;
		}
		int r = kg_loop_run_once(&w->loop, -1);
		if (r < 0 && r != KG_ERR_AGAIN)
			return r;
	}
}

void kg_tty_waiter_close(kg_tty_waiter *w)
{
	kg_loop_free(&w->loop);
}

/* Reads a line from fd into buf; returns KG_OK, KG_ERR_CLOSED on EOF,
 * KG_ERR_TOO_LARGE on overflow, or a signal number in *sig (> 0) with
 * KG_ERR_SYSTEM when one of the watched signals arrived. */
static int read_line_fd(int fd, kg_tty_waiter *w, char *buf, size_t len, int *sig)
{
	size_t pos = 0;
	int overflow = 0;

	for (;;) {
		int s = 0, r = kg_tty_wait(w, &s);
		if (r < 0 || s != 0) {
			*sig = s;
			OPENSSL_cleanse(buf, len);
			return r < 0 ? r : KG_ERR_SYSTEM;
		}
		char c;
		ssize_t got = read(fd, &c, 1);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0) {
			OPENSSL_cleanse(buf, len);
			return got == 0 || errno == EIO ? KG_ERR_CLOSED : KG_ERR_SYSTEM;
		}
		if (c == '\n' || c == '\r') {
			buf[pos] = '\0';
			if (overflow) {
				OPENSSL_cleanse(buf, len);
				return KG_ERR_TOO_LARGE;
			}
			return KG_OK;
		}
		if (pos + 1 < len)
			buf[pos++] = c;
		else
			overflow = 1;
		c = 0;
	}
}

/* The common prompt: watched signals are blocked and read through the
 * waiter's signalfd, so no handler (and no static flag) is needed, and
 * the terminal is restored before any signal takes effect. */
static int tty_prompt(const char *prompt, char *buf, size_t len, int echo)
{
	int r, sig;

	ENSURE(buf != NULL && len > 0, KG_ERR_ARG);
	buf[0] = '\0';
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	ENSURE(fd >= 0, KG_ERR_NOT_FOUND);
	for (;;) {
		kg_tty_waiter w;
		/* Signals the caller already blocks stay the caller's business. */
		if (kg_tty_waiter_open(&w, fd, prompt_signals, KG_ARRAY_LEN(prompt_signals)) < 0) {
			kg_tty_waiter_close(&w);
			close(fd);
			return KG_ERR_SYSTEM;
		}
		struct termios orig, quiet;
		int have_tio = tcgetattr(fd, &orig) == 0;
		/* Echo asked for on a terminal in raw mode (a question during a
		 * session): a normal line discipline for the prompt's time. */
		int cooked = echo && have_tio && !(orig.c_lflag & ECHO);
		if (!echo && have_tio) {
			quiet = orig;
			quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
			(void)tcsetattr(fd, TCSAFLUSH, &quiet);
		} else if (cooked) {
			quiet = orig;
			quiet.c_lflag |= ECHO | ECHOE | ECHOK | ICANON | ISIG | IEXTEN;
			quiet.c_iflag |= ICRNL;
			quiet.c_oflag |= OPOST | ONLCR;
			(void)tcsetattr(fd, TCSAFLUSH, &quiet);
		}
		if (prompt != NULL)
			tty_write(fd, prompt);
		sig = 0;
		r = read_line_fd(fd, &w, buf, len, &sig);
		if (!echo && have_tio) {
			(void)tcsetattr(fd, TCSAFLUSH, &orig);
			tty_write(fd, "\n");  /* the newline the user typed was not echoed */
		} else if (cooked) {
			(void)tcsetattr(fd, TCSAFLUSH, &orig);
		}
		kg_tty_waiter_close(&w);
		if (sig == 0)
			break;
		/* Deliver the signal with the terminal sane again.  A stop
		 * returns here on SIGCONT and the prompt starts over. */
		raise(sig);
		if (!is_job_stop(sig)) {
			errno = EINTR;
			break;
		}
	}
	close(fd);
	return r;
}

int kg_tty_read_secret(const char *prompt, char *buf, size_t len)
{
	return tty_prompt(prompt, buf, len, 0);
}

int kg_tty_read_line(const char *prompt, char *buf, size_t len, int echo)
{
	return tty_prompt(prompt, buf, len, echo != 0);
}

/* Drops leading and trailing blanks in place. */
static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

int kg_tty_ask_confirm(const char *question, const char *fingerprint)
{
	char line[1024];
	const char *prompt = question;

	for (;;) {
		int r = tty_prompt(prompt, line, sizeof(line), 1);
		if (r == KG_ERR_CLOSED)
			return 0;
		if (r != KG_ERR_TOO_LARGE) {
			GUARD(r);
			char *a = trim(line);
			if (strcasecmp(a, "yes") == 0)
				return 1;
			if (strcasecmp(a, "no") == 0)
				return 0;
			if (fingerprint != NULL && *a != '\0' && strcmp(a, fingerprint) == 0)
				return 1;
		}
		prompt = fingerprint != NULL ? "Please type 'yes', 'no' or the fingerprint: "
					     : "Please type 'yes' or 'no': ";
	}
}

int kg_tty_ask_yes_no(const char *question)
{
	return kg_tty_ask_confirm(question, NULL);
}
