/* The event loop: descriptors, timers and signals (see loop.h). */
#include "sys/loop.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>

void kg_loop_init(kg_loop *lp)
{
	memset(lp, 0, sizeof(*lp));
	lp->next_timer_id = 1;
	lp->sigfd = -1;
	sigemptyset(&lp->sigs);
	sigemptyset(&lp->unblock);
	(void)sigprocmask(SIG_SETMASK, NULL, &lp->saved_mask);
}

void kg_loop_free(kg_loop *lp)
{
	if (lp->sigfd >= 0) {
		close(lp->sigfd);
		/* Unblock only what this loop blocked: another loop (a prompt
		 * inside a session) may have blocked more since. */
		(void)sigprocmask(SIG_UNBLOCK, &lp->unblock, NULL);
	}
	free(lp->regs);
	free(lp->pfds);
	free(lp->timers);
	kg_loop_init(lp);  /* freeing twice is harmless */
}

uint64_t kg_monotonic_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Grows *arr (of elem-sized items) so that it holds at least need items. */
static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return KG_OK;
	size_t ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	ENSURE(ncap <= SIZE_MAX / elem, KG_ERR_TOO_LARGE);
	void *p = realloc(*arr, ncap * elem);
	ENSURE(p != NULL, KG_ERR_ALLOC);
	*arr = p;
	*cap = ncap;
	return KG_OK;
}

static short poll_events(int events)
{
	short e = 0;
	if (events & KG_LOOP_READ)
		e |= POLLIN;
	if (events & KG_LOOP_WRITE)
		e |= POLLOUT;
	return e;
}

static struct kg_loop_fd *find_reg(kg_loop *lp, int fd, size_t *idx)
{
	for (size_t i = 0; i < lp->nregs; i++) {
		if (lp->regs[i].active && lp->regs[i].fd == fd) {
			if (idx != NULL)
				*idx = i;
			return &lp->regs[i];
		}
	}
	return NULL;
}

int kg_loop_add_fd(kg_loop *lp, int fd, int events, kg_loop_fd_cb cb, void *ctx)
{
	ENSURE(fd >= 0 && cb != NULL, KG_ERR_ARG);
	ENSURE(find_reg(lp, fd, NULL) == NULL, KG_ERR_ARG);
	GUARD(grow((void **)&lp->regs, &lp->regs_cap, lp->nregs + 1, sizeof(*lp->regs)));
	lp->regs[lp->nregs++] = (struct kg_loop_fd){
		.fd = fd, .events = events, .active = 1, .cb = cb, .ctx = ctx };
	lp->dirty = 1;
	return KG_OK;
}

int kg_loop_set_events(kg_loop *lp, int fd, int events)
{
	size_t i;
	struct kg_loop_fd *r = find_reg(lp, fd, &i);

	ENSURE(r != NULL, KG_ERR_NOT_FOUND);
	r->events = events;
	if (i < lp->npfds)
		lp->pfds[i].events = poll_events(events);
	return KG_OK;
}

int kg_loop_remove_fd(kg_loop *lp, int fd)
{
	size_t i;
	struct kg_loop_fd *r = find_reg(lp, fd, &i);

	ENSURE(r != NULL, KG_ERR_NOT_FOUND);
	r->active = 0;
	if (i < lp->npfds)
		lp->pfds[i].fd = -1;  /* poll ignores negative fds */
	lp->dirty = 1;
	return KG_OK;
}

int kg_loop_add_timer(kg_loop *lp, uint64_t delay_ms, kg_loop_timer_cb cb, void *ctx, uint64_t *id)
{
	ENSURE(cb != NULL, KG_ERR_ARG);
	GUARD(grow((void **)&lp->timers, &lp->timers_cap, lp->ntimers + 1, sizeof(*lp->timers)));
	uint64_t now = kg_monotonic_ms();
	uint64_t deadline = delay_ms > UINT64_MAX - now ? UINT64_MAX : now + delay_ms;
	lp->timers[lp->ntimers++] = (struct kg_loop_timer){
		.id = lp->next_timer_id, .deadline_ms = deadline, .cb = cb, .ctx = ctx };
	if (id != NULL)
		*id = lp->next_timer_id;
	lp->next_timer_id++;
	return KG_OK;
}

static void remove_timer_at(kg_loop *lp, size_t i)
{
	lp->timers[i] = lp->timers[lp->ntimers - 1];
	lp->ntimers--;
}

int kg_loop_cancel_timer(kg_loop *lp, uint64_t id)
{
	for (size_t i = 0; i < lp->ntimers; i++) {
		if (lp->timers[i].id == id) {
			remove_timer_at(lp, i);
			return KG_OK;
		}
	}
	return KG_ERR_NOT_FOUND;
}

/* Drops removed registrations and rebuilds the pollfd array to match. */
static int rebuild(kg_loop *lp)
{
	size_t n = 0;

	for (size_t i = 0; i < lp->nregs; i++)
		if (lp->regs[i].active)
			lp->regs[n++] = lp->regs[i];
	lp->nregs = n;
	GUARD(grow((void **)&lp->pfds, &lp->pfds_cap, n ? n : 1, sizeof(*lp->pfds)));
	for (size_t i = 0; i < n; i++) {
		lp->pfds[i].fd = lp->regs[i].fd;
		lp->pfds[i].events = poll_events(lp->regs[i].events);
		lp->pfds[i].revents = 0;
	}
	lp->npfds = n;
	lp->dirty = 0;
	return KG_OK;
}

/* Index of the earliest timer due by now with an id below limit_id
 * (so timers added during dispatch wait), or SIZE_MAX. */
static size_t earliest_due(const kg_loop *lp, uint64_t now, uint64_t limit_id)
{
	size_t best = SIZE_MAX;

	for (size_t i = 0; i < lp->ntimers; i++) {
		const struct kg_loop_timer *t = &lp->timers[i];
		if (t->deadline_ms > now || t->id >= limit_id)
			continue;
		if (best == SIZE_MAX || t->deadline_ms < lp->timers[best].deadline_ms ||
		    (t->deadline_ms == lp->timers[best].deadline_ms && t->id < lp->timers[best].id))
			best = i;
	}
	return best;
}

static int run_timers(kg_loop *lp)
{
	uint64_t now = kg_monotonic_ms();
	uint64_t limit = lp->next_timer_id;
	int ran = 0;
	size_t i;

	while ((i = earliest_due(lp, now, limit)) != SIZE_MAX) {
		struct kg_loop_timer t = lp->timers[i];
		remove_timer_at(lp, i);
		t.cb(t.ctx, t.id);
		ran++;
	}
	return ran;
}

/* The poll timeout: timeout_ms, shortened to the nearest timer. */
static int effective_timeout(const kg_loop *lp, int timeout_ms)
{
	if (lp->ntimers == 0)
		return timeout_ms;
	uint64_t now = kg_monotonic_ms(), nearest = UINT64_MAX;
	for (size_t i = 0; i < lp->ntimers; i++)
		if (lp->timers[i].deadline_ms < nearest)
			nearest = lp->timers[i].deadline_ms;
	uint64_t wait = nearest > now ? nearest - now : 0;
	if (wait > INT_MAX)
		wait = INT_MAX;
	if (timeout_ms < 0 || (uint64_t)timeout_ms > wait)
		return (int)wait;
	return timeout_ms;
}

int kg_loop_run_once(kg_loop *lp, int timeout_ms)
{
	int ran = 0;

	if (lp->dirty)
		GUARD(rebuild(lp));
	int rc = poll(lp->pfds, (nfds_t)lp->npfds, effective_timeout(lp, timeout_ms));
	if (rc < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return KG_ERR_AGAIN;
		return KG_ERR_SYSTEM;
	}
	ran += run_timers(lp);
	/* Registrations appended during dispatch sit at indices >= npfds and
	 * compaction waits for the next rebuild, so pfds[i] keeps naming
	 * regs[i]; lp->regs may move, hence indices rather than pointers. */
	size_t n = lp->npfds;
	for (size_t i = 0; i < n && rc > 0; i++) {
		short rev = lp->pfds[i].revents;
		if (rev == 0)
			continue;
		rc--;
		lp->pfds[i].revents = 0;
		if (!lp->regs[i].active || lp->pfds[i].fd < 0)
			continue;
		lp->regs[i].cb(lp->regs[i].ctx, lp->regs[i].fd, rev);
		ran++;
	}
	return ran;
}

/* The signalfd is readable: dispatch every queued signal. */
static void on_signals(void *ctx, int fd, int revents)
{
	kg_loop *lp = ctx;
	struct signalfd_siginfo si[8];

	(void)revents;
	for (;;) {
		ssize_t n = read(fd, si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (size_t i = 0; i < (size_t)n / sizeof(si[0]); i++) {
			int s = (int)si[i].ssi_signo;
			if (s > 0 && s < 65 && lp->sig_cb[s] != NULL)
				lp->sig_cb[s](lp->sig_ctx[s], s);
		}
		if ((size_t)n < sizeof(si))
			return;
	}
}

int kg_loop_add_signal(kg_loop *lp, int signo, kg_loop_signal_cb cb, void *ctx)
{
	ENSURE(signo > 0 && signo < 65 && signo != SIGKILL && signo != SIGSTOP && cb != NULL, KG_ERR_ARG);
	ENSURE(lp->sig_cb[signo] == NULL, KG_ERR_ARG);
	sigset_t add, old;
	sigemptyset(&add);
	sigaddset(&add, signo);
	ENSURE(sigprocmask(SIG_BLOCK, &add, &old) == 0, KG_ERR_SYSTEM);
	int was_blocked = sigismember(&old, signo) == 1;
	sigaddset(&lp->sigs, signo);
	int fd = signalfd(lp->sigfd, &lp->sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	int rc = fd < 0 ? KG_ERR_SYSTEM : KG_OK;
	if (rc == KG_OK && lp->sigfd < 0) {
		rc = kg_loop_add_fd(lp, fd, KG_LOOP_READ, on_signals, lp);
		if (rc != KG_OK)
			close(fd);
	}
	if (rc != KG_OK) {
		sigdelset(&lp->sigs, signo);
		if (!was_blocked)
			(void)sigprocmask(SIG_UNBLOCK, &add, NULL);
		return rc;
	}
	if (lp->sigfd < 0) {
		lp->saved_mask = old;
		lp->sigfd = fd;
	}
	if (!was_blocked)
		sigaddset(&lp->unblock, signo);
	lp->sig_cb[signo] = cb;
	lp->sig_ctx[signo] = ctx;
	return KG_OK;
}

int kg_loop_watch_signals(kg_loop *lp, const int *signos, size_t n, kg_loop_signal_cb cb, void *ctx)
{
	sigset_t cur;

	ENSURE(signos != NULL || n == 0, KG_ERR_ARG);
	ENSURE(sigprocmask(SIG_SETMASK, NULL, &cur) == 0, KG_ERR_SYSTEM);
	for (size_t i = 0; i < n; i++)
		if (sigismember(&cur, signos[i]) == 0)
			GUARD(kg_loop_add_signal(lp, signos[i], cb, ctx));
	return KG_OK;
}

const sigset_t *kg_loop_child_mask(const kg_loop *lp)
{
	return &lp->saved_mask;
}

int kg_wait_fds(struct pollfd *p, size_t n, int timeout_ms)
{
	uint64_t deadline = timeout_ms < 0 ? 0 : kg_monotonic_ms() + (uint64_t)timeout_ms;

	for (;;) {
		int wait = timeout_ms;
		if (timeout_ms >= 0) {
			uint64_t now = kg_monotonic_ms();
			wait = now >= deadline ? 0 : (int)(deadline - now);
		}
		int rc = poll(p, (nfds_t)n, wait);
		if (rc >= 0)
			return rc;
		if (errno != EINTR && errno != EAGAIN)
			return KG_ERR_SYSTEM;
	}
}

int kg_loop_run(kg_loop *lp)
{
	lp->stop = 0;
	while (!lp->stop) {
		size_t live = lp->ntimers;
		for (size_t i = 0; i < lp->nregs; i++)  /* signals alone keep nothing alive */
			live += lp->regs[i].active != 0 && lp->regs[i].fd != lp->sigfd;
		if (live == 0)
			break;
		int r = kg_loop_run_once(lp, -1);
		if (r < 0 && r != KG_ERR_AGAIN)
			return r;
	}
	return KG_OK;
}
