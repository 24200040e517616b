/* The SFTP client's bytes in flight, following bandwidth x round trip (the rule is in sftp-client-flow.h). */
#include "sftp/sftp-client-flow.h"

/* A sample also spans at least a millisecond: on loopback a round trip is
 * tens of microseconds, and replies read in one burst would make a rate of
 * their own. */
#define MIN_SAMPLE_US 1000u

void kg_sftp_flow_init(kg_sftp_flow *f, uint64_t floor, uint64_t cap, uint64_t now_us)
{
	if (cap < floor)
		cap = floor;
	*f = (kg_sftp_flow){ .floor = floor, .cap = cap, .target = floor, .mark_us = now_us };
}

void kg_sftp_flow_reply(kg_sftp_flow *f, uint64_t bytes, uint64_t sent_us, uint64_t now_us)
{
	f->delivered += bytes;
	if (now_us >= sent_us) {
		uint64_t rtt = now_us - sent_us;
		if (rtt == 0)
			rtt = 1;
		if (f->rtt_min_us == 0 || rtt < f->rtt_min_us)
			f->rtt_min_us = rtt;
	}
	if (f->cap == f->floor || f->rtt_min_us == 0 || now_us < f->mark_us)
		return;
	uint64_t span = now_us - f->mark_us;
	if (span < f->rtt_min_us || span < MIN_SAMPLE_US)
		return;
	/* bytes x 1e6 stays far inside 64 bits for any sample a transfer makes
	 * (a sample is cut at every shortest round trip) */
	uint64_t got = f->delivered - f->mark_delivered;
	uint64_t rate = got > UINT64_MAX / 1000000u ? UINT64_MAX / span : got * 1000000u / span;
	f->mark_us = now_us;
	f->mark_delivered = f->delivered;
	if (rate <= f->bw)
		return;
	f->bw = rate;
	uint64_t want = f->bw / 1000000u * f->rtt_min_us + f->bw % 1000000u * f->rtt_min_us / 1000000u;
	want = want > UINT64_MAX / 2 ? UINT64_MAX : want * 2;
	if (want < f->floor)
		want = f->floor;
	if (want > f->cap)
		want = f->cap;
	if (want > f->target)
		f->target = want;
}
