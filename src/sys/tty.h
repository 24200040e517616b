/* Terminal handling: the client's raw mode and window size, the RFC 4254
 * section 8 encoded terminal modes (client encodes, server applies), and
 * prompts read from /dev/tty (passwords with echo off, yes/no questions). */
#ifndef KAGI_SYS_TTY_H
#define KAGI_SYS_TTY_H

#include <stddef.h>
#include <stdint.h>
#include <termios.h>
#include "core/buf.h"
#include "sys/loop.h"

/* RFC 4254 section 8 opcodes kagi names outside the table. */
#define KG_TTY_OP_END    0
#define KG_TTY_OP_ISPEED 128
#define KG_TTY_OP_OSPEED 129

typedef struct kg_tty_saved {
	struct termios tio;
	int fd;
	int active;   /* raw mode is on and tio holds what to restore */
} kg_tty_saved;

/* Puts fd into raw mode (no echo, no line editing, no signals from keys,
 * no output processing), keeping the old settings in *saved. */
int kg_tty_raw_enter(int fd, kg_tty_saved *saved) KG_WUR;
/* Restores what kg_tty_raw_enter changed; does nothing if not active. */
int kg_tty_raw_restore(kg_tty_saved *saved) KG_WUR;

/* Size in characters and pixels; zeros when fd is not a terminal. */
int kg_tty_window_size(int fd, uint32_t *cols, uint32_t *rows, uint32_t *px, uint32_t *py) KG_WUR;

/* Appends the encoded modes string for tio (opcode byte + uint32 each,
 * ending with TTY_OP_END) to out.  The caller wraps it as an SSH string. */
int kg_tty_modes_from_termios(const struct termios *tio, kg_buf *out) KG_WUR;
/* Applies an encoded modes string to *tio.  Unknown opcodes 1..159 are
 * skipped, 160..255 stop parsing (RFC 4254 section 8).  A string that ends
 * inside an argument is KG_ERR_INCOMPLETE; *tio is then left as it was. */
int kg_tty_modes_apply(const uint8_t *modes, size_t len, struct termios *tio) KG_WUR;

/* Baud rate in bits per second for a speed_t and back; 0 / KG_ERR_NOT_FOUND
 * when unknown. */
uint32_t kg_tty_speed_to_baud(speed_t s);
int kg_tty_baud_to_speed(uint32_t baud, speed_t *s) KG_WUR;

/* Waiting for a key on a terminal while some signals are held: they are
 * blocked and taken through a kg_loop's signalfd from open to close, so a
 * caller in raw mode can restore the terminal before one acts. */
typedef struct kg_tty_waiter {
	kg_loop loop;
	int ready;    /* the fd is readable (or hung up) */
	int sig;      /* the first watched signal that arrived, SIGWINCH aside */
	int winch;    /* SIGWINCH arrived */
} kg_tty_waiter;

/* Watches fd and those of signals[0..n) the process does not block now
 * (signals the caller blocks stay the caller's).  Call
 * kg_tty_waiter_close afterwards, also when this fails. */
int kg_tty_waiter_open(kg_tty_waiter *w, int fd, const int *signals, size_t n) KG_WUR;
/* Waits until fd can be read (*sig = 0) or a watched signal arrived
 * (*sig = its number; any other signal comes before SIGWINCH, and both
 * before input).  KG_ERR_SYSTEM if waiting fails. */
int kg_tty_wait(kg_tty_waiter *w, int *sig) KG_WUR;
/* Stops watching and unblocks the signals open blocked. */
void kg_tty_waiter_close(kg_tty_waiter *w);

/* Prints prompt on /dev/tty and reads one line with echo off into buf
 * (NUL-terminated, newline stripped).  Echo is restored before returning,
 * also when a signal arrives: the signal is then delivered and the read
 * fails (job control stops resume the prompt instead).  KG_ERR_NOT_FOUND
 * when there is no controlling terminal, KG_ERR_CLOSED on EOF,
 * KG_ERR_TOO_LARGE if the line does not fit (it is discarded). */
int kg_tty_read_secret(const char *prompt, char *buf, size_t len) KG_WUR;
/* kg_tty_read_secret, with echo on when echo is non-zero (a
 * keyboard-interactive prompt says which). */
int kg_tty_read_line(const char *prompt, char *buf, size_t len, int echo) KG_WUR;
/* Asks question on /dev/tty until the answer is yes or no
 * (case-insensitive).  1 for yes, 0 for no or EOF, negative on errors. */
int kg_tty_ask_yes_no(const char *question) KG_WUR;
/* Like kg_tty_ask_yes_no, but typing fingerprint also means yes (the
 * host key confirmation). fingerprint may be NULL. */
int kg_tty_ask_confirm(const char *question, const char *fingerprint) KG_WUR;

#endif
