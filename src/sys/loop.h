/* A small poll(2) event loop used by both programs.  Callers register
 * fds with read/write interest and a callback, and one-shot timers on
 * the monotonic clock; kg_loop_run_once() waits once and dispatches.
 *
 * The pollfd array is rebuilt only when registrations are added or
 * removed; changing interest (kg_loop_set_events) updates it in place,
 * so toggling write interest per packet costs nothing.  Callbacks may add,
 * remove or change registrations and timers, including their own. */
#ifndef KAGI_SYS_LOOP_H
#define KAGI_SYS_LOOP_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include "core/safety.h"

#define KG_LOOP_READ  1
#define KG_LOOP_WRITE 2

/* revents is the poll(2) revents (POLLIN, POLLOUT, POLLHUP, POLLERR...). */
typedef void (*kg_loop_fd_cb)(void *ctx, int fd, int revents);
typedef void (*kg_loop_timer_cb)(void *ctx, uint64_t timer_id);

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
	int stop;                /* set by kg_loop_stop() */
} kg_loop;

void kg_loop_init(kg_loop *lp);
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

/* Waits up to timeout_ms (-1: until something happens, shortened by the
 * nearest timer), then runs due timers (earliest first; timers added while
 * dispatching wait for the next call) and fd callbacks.  Returns the
 * number of callbacks run (0 on timeout), KG_ERR_AGAIN if poll was
 * interrupted by a signal, KG_ERR_SYSTEM on other poll failures. */
int kg_loop_run_once(kg_loop *lp, int timeout_ms) KG_WUR;
/* Makes kg_loop_run() return after the current iteration. */
static inline void kg_loop_stop(kg_loop *lp) { lp->stop = 1; }
/* Runs iterations until kg_loop_stop(), or until nothing is registered. */
int kg_loop_run(kg_loop *lp) KG_WUR;

#endif
