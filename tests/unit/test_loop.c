/* Exercises src/sys/loop.c: descriptors, timers, signals and kg_wait_fds. */
#include <signal.h>
#include <unistd.h>
#include "t.h"
#include "core/err.h"
#include "sys/loop.h"

struct seen { int reads, timers, signals, last_sig; uint64_t order[4]; int norder; kg_loop *lp; int fd; };

static void on_read(void *ctx, int fd, int rev)
{
	struct seen *s = ctx;
	char b[16];
	if (rev & POLLIN)
		(void)!read(fd, b, sizeof(b));
	s->reads++;
	(void)!kg_loop_remove_fd(s->lp, fd);  /* a callback may remove itself */
}

static void on_timer(void *ctx, uint64_t id)
{
	struct seen *s = ctx;
	s->timers++;
	if (s->norder < 4)
		s->order[s->norder++] = id;
}

static void on_sig(void *ctx, int signo)
{
	struct seen *s = ctx;
	s->signals++;
	s->last_sig = signo;
	kg_loop_stop(s->lp);
}

static void test_fd_dispatch(void)
{
	kg_loop lp;
	struct seen s = { .lp = &lp };
	int p[2];
	T_ASSERT(pipe(p) == 0);
	kg_loop_init(&lp);
	T_OK(kg_loop_add_fd(&lp, p[0], KG_LOOP_READ, on_read, &s));
	T_ASSERT(kg_loop_add_fd(&lp, p[0], KG_LOOP_READ, on_read, &s) == KG_ERR_ARG);
	T_ASSERT(kg_loop_run_once(&lp, 0) == 0);  /* nothing ready: a timeout */
	T_ASSERT(write(p[1], "x", 1) == 1);
	T_ASSERT(kg_loop_run_once(&lp, 1000) == 1 && s.reads == 1);
	T_ASSERT(kg_loop_set_events(&lp, p[0], KG_LOOP_READ) == KG_ERR_NOT_FOUND);  /* removed */
	T_OK(kg_loop_run(&lp));  /* nothing left: returns at once */
	kg_loop_free(&lp);
	close(p[0]);
	close(p[1]);
}

static void test_timers_in_order(void)
{
	kg_loop lp;
	struct seen s = { .lp = &lp };
	uint64_t a, b, c;
	kg_loop_init(&lp);
	T_OK(kg_loop_add_timer(&lp, 30, on_timer, &s, &a));
	T_OK(kg_loop_add_timer(&lp, 10, on_timer, &s, &b));
	T_OK(kg_loop_add_timer(&lp, 20, on_timer, &s, &c));
	T_OK(kg_loop_cancel_timer(&lp, c));
	T_ASSERT(kg_loop_cancel_timer(&lp, c) == KG_ERR_NOT_FOUND);
	uint64_t t0 = kg_monotonic_ms();
	T_OK(kg_loop_run(&lp));
	T_ASSERT(kg_monotonic_ms() - t0 >= 30);
	T_ASSERT(s.timers == 2 && s.order[0] == b && s.order[1] == a);
	kg_loop_free(&lp);
}

static void test_signal_through_loop(void)
{
	kg_loop lp;
	struct seen s = { .lp = &lp };
	sigset_t before, during, after;
	T_ASSERT(sigprocmask(SIG_SETMASK, NULL, &before) == 0);
	kg_loop_init(&lp);
	T_OK(kg_loop_add_signal(&lp, SIGUSR1, on_sig, &s));
	T_ASSERT(kg_loop_add_signal(&lp, SIGUSR1, on_sig, &s) == KG_ERR_ARG);
	T_ASSERT(kg_loop_add_signal(&lp, SIGKILL, on_sig, &s) == KG_ERR_ARG);
	T_ASSERT(sigprocmask(SIG_SETMASK, NULL, &during) == 0 && sigismember(&during, SIGUSR1));
	T_ASSERT(!sigismember(kg_loop_child_mask(&lp), SIGUSR1));
	T_ASSERT(kill(getpid(), SIGUSR1) == 0);  /* blocked: waits for the loop */
	uint64_t id;
	T_OK(kg_loop_add_timer(&lp, 5000, on_timer, &s, &id));  /* keeps the loop alive */
	T_OK(kg_loop_run(&lp));
	T_ASSERT(s.signals == 1 && s.last_sig == SIGUSR1 && s.timers == 0);
	kg_loop_free(&lp);
	T_ASSERT(sigprocmask(SIG_SETMASK, NULL, &after) == 0);
	T_ASSERT(sigismember(&after, SIGUSR1) == sigismember(&before, SIGUSR1));
}

static void test_wait_fds(void)
{
	int p[2];
	T_ASSERT(pipe(p) == 0);
	struct pollfd pf = { .fd = p[0], .events = POLLIN };
	uint64_t t0 = kg_monotonic_ms();
	T_ASSERT(kg_wait_fds(&pf, 1, 50) == 0);
	T_ASSERT(kg_monotonic_ms() - t0 >= 50);
	T_ASSERT(write(p[1], "x", 1) == 1);
	T_ASSERT(kg_wait_fds(&pf, 1, -1) == 1 && (pf.revents & POLLIN));
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	T_RUN(test_fd_dispatch);
	T_RUN(test_timers_in_order);
	T_RUN(test_signal_through_loop);
	T_RUN(test_wait_fds);
	return T_DONE();
}
