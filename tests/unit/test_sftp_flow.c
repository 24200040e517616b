/* Exercises src/sftp/sftp-client-flow.c: the SFTP client's bytes in flight
 * grow with bandwidth x round trip on a simulated path and keep to their
 * floor and cap. */
#include <stdint.h>
#include "t.h"
#include "sftp/sftp-client-flow.h"

#define MIB (1024u * 1024)
#define BS (255u * 1024)

typedef struct sim {
	uint64_t rtt_us, bw;      /* the path: round trip, bytes per second */
	uint64_t now, link_free;  /* the bottleneck is busy until link_free */
	uint64_t sent[4096], arrive[4096];
	unsigned head, tail;
	uint64_t inflight, delivered, peak, max_inflight;
} sim;

/* Runs the pipeline as the client's transfer loop does (requests while the
 * bytes in flight are under the target; one reply at a time) until t_end. */
static void run(sim *m, kg_sftp_flow *f, uint64_t t_end)
{
	while (m->now < t_end) {
		while (m->inflight < kg_sftp_flow_target(f) && m->tail - m->head < 4096) {
			/* the reply leaves the server rtt/2 on, queues for the link */
			uint64_t at = m->now + m->rtt_us / 2;
			if (at < m->link_free)
				at = m->link_free;
			m->link_free = at + (uint64_t)BS * 1000000u / m->bw;
			m->sent[m->tail % 4096] = m->now;
			m->arrive[m->tail % 4096] = m->link_free + m->rtt_us / 2;
			m->tail++;
			m->inflight += BS;
		}
		if (m->inflight > m->max_inflight)
			m->max_inflight = m->inflight;
		unsigned k = m->head++ % 4096;
		if (m->arrive[k] > m->now)
			m->now = m->arrive[k];
		m->inflight -= BS;
		m->delivered += BS;
		kg_sftp_flow_reply(f, BS, m->sent[k], m->now);
		if (kg_sftp_flow_target(f) > m->peak)
			m->peak = kg_sftp_flow_target(f);
	}
}

/* A fast long path (a 20 MiB bandwidth x delay): the target climbs from
 * its floor to the cap within a second and stays there; the pipeline then
 * carries about what the path does. */
static void test_grows_to_cap(void)
{
	sim m = { .rtt_us = 50000, .bw = 400ull * MIB };
	kg_sftp_flow f;
	kg_sftp_flow_init(&f, 2 * MIB, KG_SFTP_INFLIGHT_MAX, 0);
	T_ASSERT(kg_sftp_flow_target(&f) == 2 * MIB);
	run(&m, &f, 1000000);
	T_ASSERT(kg_sftp_flow_target(&f) == KG_SFTP_INFLIGHT_MAX);
	T_ASSERT(m.max_inflight <= KG_SFTP_INFLIGHT_MAX + BS);
	uint64_t before = m.delivered, t0 = m.now;
	run(&m, &f, 3000000);
	uint64_t rate = (m.delivered - before) * 1000000u / (m.now - t0);
	/* 32 MiB per 50 ms would be 640 MiB/s: the path's 400 limits */
	T_ASSERT(rate > 380ull * MIB && rate <= 401ull * MIB);
	T_ASSERT(m.peak == KG_SFTP_INFLIGHT_MAX);
}

/* A slower path (5 MiB bandwidth x delay): the target settles at about
 * twice that, the queue it builds does not push it on to the cap. */
static void test_follows_bandwidth_delay(void)
{
	sim m = { .rtt_us = 50000, .bw = 100ull * MIB };
	kg_sftp_flow f;
	kg_sftp_flow_init(&f, 1 * MIB, KG_SFTP_INFLIGHT_MAX, 0);
	run(&m, &f, 5000000);
	uint64_t t = kg_sftp_flow_target(&f);
	T_ASSERT(t >= 8 * MIB && t <= 12 * MIB);
	uint64_t before = m.delivered, t0 = m.now;
	run(&m, &f, 7000000);
	uint64_t rate = (m.delivered - before) * 1000000u / (m.now - t0);
	T_ASSERT(rate > 95ull * MIB);
}

/* Growth is a slow start: the target doubles every second round trip
 * (a sample measures requests sent one round trip before), no jump. */
static void test_doubles_per_round_trip(void)
{
	sim m = { .rtt_us = 50000, .bw = 4000ull * MIB };
	kg_sftp_flow f;
	kg_sftp_flow_init(&f, 1 * MIB, KG_SFTP_INFLIGHT_MAX, 0);
	run(&m, &f, 50000 * 2 + 5000);
	T_ASSERT(kg_sftp_flow_target(&f) >= 2 * MIB && kg_sftp_flow_target(&f) <= 4 * MIB);
	run(&m, &f, 50000 * 4 + 5000);
	T_ASSERT(kg_sftp_flow_target(&f) >= 4 * MIB && kg_sftp_flow_target(&f) <= 8 * MIB);
	run(&m, &f, 50000 * 11);
	T_ASSERT(kg_sftp_flow_target(&f) == KG_SFTP_INFLIGHT_MAX);
}

/* A short path never needs more than the floor; -R's fixed count (floor ==
 * cap) never moves. */
static void test_floor_and_fixed(void)
{
	sim m = { .rtt_us = 100, .bw = 1000ull * MIB };
	kg_sftp_flow f;
	kg_sftp_flow_init(&f, 8 * MIB, KG_SFTP_INFLIGHT_MAX, 0);
	run(&m, &f, 2000000);
	T_ASSERT(kg_sftp_flow_target(&f) == 8 * MIB);

	sim l = { .rtt_us = 50000, .bw = 400ull * MIB };
	kg_sftp_flow_init(&f, 4 * MIB, 4 * MIB, 0);
	run(&l, &f, 2000000);
	T_ASSERT(kg_sftp_flow_target(&f) == 4 * MIB);
	T_ASSERT(l.max_inflight <= 4 * MIB + BS);
	/* a cap under the floor is the floor */
	kg_sftp_flow_init(&f, 4 * MIB, 1 * MIB, 0);
	T_ASSERT(f.cap == 4 * MIB && kg_sftp_flow_target(&f) == 4 * MIB);
}

/* Replies whose send time lies ahead of now (a clock step) and huge
 * counts do not break the arithmetic. */
static void test_odd_inputs(void)
{
	kg_sftp_flow f;
	kg_sftp_flow_init(&f, 1 * MIB, KG_SFTP_INFLIGHT_MAX, 1000);
	kg_sftp_flow_reply(&f, BS, 5000, 2000);
	T_ASSERT(kg_sftp_flow_target(&f) == 1 * MIB);
	kg_sftp_flow_reply(&f, BS, 1000, 1000);
	T_ASSERT(f.rtt_min_us == 1);
	kg_sftp_flow_reply(&f, UINT64_MAX / 2, 1500, 200000);
	T_ASSERT(kg_sftp_flow_target(&f) == KG_SFTP_INFLIGHT_MAX);
}

int main(void)
{
	T_RUN(test_grows_to_cap);
	T_RUN(test_follows_bandwidth_delay);
	T_RUN(test_doubles_per_round_trip);
	T_RUN(test_floor_and_fixed);
	T_RUN(test_odd_inputs);
	return T_DONE();
}
