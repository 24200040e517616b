/* The one event loop: the only place in src/ that waits on descriptors.
 * Callers register fds with read/write interest and a callback, one-shot
 * timers on the monotonic clock, and signals (delivered through a
 * signalfd, so a handler runs as an ordinary callback, never
 * asynchronously); kg_loop_run_once() waits once and dispatches.  Blocking
 * helpers that wait on one or two descriptors with a timeout use
 * kg_wait_fds().
 *
 * The pollfd array is rebuilt only when registrations are added or
 * removed; changing interest (kg_loop_set_events) updates it in place,
 * so toggling write interest per packet costs nothing.  Callbacks may add,
 * remove or change registrations and timers, including their own. */
#ifndef KAGI_SYS_LOOP_H
#define KAGI_SYS_LOOP_H

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "core/safety.h"

#define KG_LOOP_READ  1
#define KG_LOOP_WRITE 2

/* revents is the poll(2) revents (POLLIN, POLLOUT, POLLHUP, POLLERR...). */
typedef void (*kg_loop_fd_cb)(void *ctx, int fd, int revents);
typedef void (*kg_loop_timer_cb)(void *ctx, uint64_t timer_id);
typedef void (*kg_loop_signal_cb)(void *ctx, int signo);

struct kg_loop_fd {
	int fd;
	int events;   /* KG_LOOP_READ | KG_LOOP_WRITE */
	int active;   /* 0 once removed; compacted at the next rebuild */
	kg_loop_fd_cb cb;
	void *ctx;
};

struct kg_loop_timer {
	uint64_t id;
	uint64_t deadline_ms;
	kg_loop_timer_cb cb;
	void *ctx;
};

typedef struct kg_loop {
	struct kg_loop_fd *regs;
	size_t nregs, regs_cap;
	struct pollfd *pfds;     /* pfds[i] mirrors regs[i] for i < npfds */
	size_t npfds, pfds_cap;
	int dirty;               /* registrations added or removed */
	struct kg_loop_timer *timers;
	size_t ntimers, timers_cap;
	uint64_t next_timer_id;
	/* Signals: one signalfd for every registered signal, which stays
	 * blocked (so only the signalfd sees it) until kg_loop_free. */
	int sigfd;               /* -1 until a signal is registered */
	sigset_t sigs;           /* the registered signals */
	sigset_t saved_mask;     /* the mask before the first registration */
	sigset_t unblock;        /* the registered signals this loop blocked */
	kg_loop_signal_cb sig_cb[65];
	void *sig_ctx[65];
	int stop;                /* set by kg_loop_stop() */
} kg_loop;

void kg_loop_init(kg_loop *lp);
/* Closes the signalfd and unblocks the signals the loop blocked; the loop
 * is then empty again, as after kg_loop_init. */
void kg_loop_free(kg_loop *lp);

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t kg_monotonic_ms(void);

/* KG_ERR_ARG if fd is negative or already registered. */
int kg_loop_add_fd(kg_loop *lp, int fd, int events, kg_loop_fd_cb cb, void *ctx) KG_WUR;
/* KG_ERR_NOT_FOUND if fd is not registered. */
int kg_loop_set_events(kg_loop *lp, int fd, int events) KG_WUR;
int kg_loop_remove_fd(kg_loop *lp, int fd) KG_WUR;

/* A one-shot timer firing delay_ms from now; *id (optional) names it. */
int kg_loop_add_timer(kg_loop *lp, uint64_t delay_ms, kg_loop_timer_cb cb, void *ctx,
		      uint64_t *id) KG_WUR;
/* KG_ERR_NOT_FOUND if it already fired or never existed. */
int kg_loop_cancel_timer(kg_loop *lp, uint64_t id) KG_WUR;

/* Calls cb from the loop whenever signo arrives (several arrivals between
 * two waits may be reported once).  The signal is blocked for the whole
 * process thread from now until kg_loop_free; a child forked meanwhile
 * inherits that mask and must restore kg_loop_child_mask() before exec.
 * KG_ERR_ARG for a signal that cannot be caught or is already registered. */
int kg_loop_add_signal(kg_loop *lp, int signo, kg_loop_signal_cb cb, void *ctx) KG_WUR;
/* kg_loop_add_signal for each of signos[0..n) that the process does not
 * block now: a signal the caller already blocks stays the caller's (the
 * loop's signalfd would otherwise take the caller's pending instance). */
int kg_loop_watch_signals(kg_loop *lp, const int *signos, size_t n, kg_loop_signal_cb cb,
			  void *ctx) KG_WUR;
/* The signal mask the process had before the loop blocked any signal. */
const sigset_t *kg_loop_child_mask(const kg_loop *lp);

/* Waits up to timeout_ms (-1: without limit) for one of the n descriptors
 * in p to be ready, on the monotonic clock across EINTR; returns the
 * number ready (revents set), 0 on timeout, KG_ERR_SYSTEM on failure.
 * For blocking helpers (a connect with a timeout, a legacy scp read);
 * anything that runs alongside other work registers with a kg_loop. */
int kg_wait_fds(struct pollfd *p, size_t n, int timeout_ms) KG_WUR;

/* Waits up to timeout_ms (-1: until something happens, shortened by the
 * nearest timer), then runs due timers (earliest first; timers added while
 * dispatching wait for the next call) and fd callbacks.  Returns the
 * number of callbacks run (0 on timeout), KG_ERR_AGAIN if poll was
 * interrupted by a signal, KG_ERR_SYSTEM on other poll failures. */
int kg_loop_run_once(kg_loop *lp, int timeout_ms) KG_WUR;
/* Makes kg_loop_run() return after the current iteration. */
static inline void kg_loop_stop(kg_loop *lp) { lp->stop = 1; }
/* Runs iterations until kg_loop_stop(), or until no descriptor or timer is
 * registered (registered signals alone do not keep it running). */
int kg_loop_run(kg_loop *lp) KG_WUR;

#endif
