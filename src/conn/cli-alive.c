/* ServerAliveInterval: keepalive requests to a quiet server, and the end of
 * a connection whose server stopped answering them (see cli-alive.h). */
#include <string.h>
#include "conn/cli-alive.h"

static void alive_tick(void *ctx, uint64_t id);

static void arm(kg_cli_alive *a, uint64_t now)
{
	uint64_t due = a->quiet_since_ms + a->interval_ms;
	int r = kg_loop_add_timer(a->eng->loop, due > now ? due - now : 0, alive_tick, a, &a->timer);
	if (r < 0)
		kg_engine_fail(a->eng, r);
}

static void alive_tick(void *ctx, uint64_t id)
{
	kg_cli_alive *a = ctx;
	(void)id;
	a->timer = 0;
	if (a->eng->status != 0)
		return;
	uint64_t now = kg_monotonic_ms();
	if (a->eng->rx_packets != a->seen_rx) {  /* heard from: start counting again */
		a->seen_rx = a->eng->rx_packets;
		a->quiet_since_ms = a->eng->last_rx_ms;
		a->missed = 0;
	}
	if (now - a->quiet_since_ms >= a->interval_ms) {
		if (++a->missed > a->count_max) {
			kg_error(a->log, "Timeout, server %s not responding.", a->host);
			a->timed_out = 1;
			kg_engine_fail(a->eng, KG_ERR_TIMEOUT);
			return;
		}
		int r = kg_engine_send_global(a->eng, "keepalive@openssh.com", NULL, 0, kg_engine_global_ignored, NULL);
		if (r < 0) {
			kg_engine_fail(a->eng, r);
			return;
		}
		kg_engine_kick(a->eng);
		a->quiet_since_ms = now;
	}
	arm(a, now);
}

int kg_cli_alive_start(kg_cli_alive *a, kg_engine *e, const kg_logger *lg, const char *host,
		       uint64_t interval_ms, int count_max)
{
	memset(a, 0, sizeof(*a));
	if (interval_ms == 0)
		return KG_OK;
	ENSURE(e != NULL && lg != NULL && host != NULL && count_max >= 0, KG_ERR_ARG);
	a->eng = e;
	a->log = lg;
	a->host = host;
	a->interval_ms = interval_ms;
	a->count_max = count_max;
	a->seen_rx = e->rx_packets;
	a->quiet_since_ms = kg_monotonic_ms();
	uint64_t now = a->quiet_since_ms;
	arm(a, now);
	return e->status;
}

void kg_cli_alive_stop(kg_cli_alive *a)
{
	if (a->timer && a->eng)
		(void)!kg_loop_cancel_timer(a->eng->loop, a->timer);
	a->timer = 0;
}
