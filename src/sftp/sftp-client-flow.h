/* How many bytes the SFTP client keeps in flight in a transfer: a floor to
 * start from, grown to twice the measured bandwidth x round trip, capped. */
#ifndef KAGI_SFTP_CLIENT_FLOW_H
#define KAGI_SFTP_CLIENT_FLOW_H

#include <stdint.h>

/* The most bytes one transfer keeps in flight: the largest receive window
 * a kagi channel grows to (KG_CONN_WINDOW_GROW_MAX).  More would only wait
 * in the server's queues; it carries no more data per round trip. */
#define KG_SFTP_INFLIGHT_MAX (32u * 1024 * 1024)

/* The rule.  A sample of the delivery rate spans at least one shortest
 * round trip (rtt_min, from the requests' own send-to-reply times); the
 * best sample is bw.  The target is 2 x bw x rtt_min, never below floor
 * and never above cap.  While the pipeline is what limits, a round trip
 * delivers about the target, so the target doubles (a
 * slow start); once the path or the peer's window limits, bw stops
 * growing and the target stays at twice what the path holds.  (A sample
 * measures requests sent a round trip before it, so the doubling takes
 * two round trips: 8 MiB to the cap in about 4 x RTT.)  Replies
 * delayed by queues do not inflate it: the round trip used is the
 * shortest seen, not the latest. */
typedef struct kg_sftp_flow {
	uint64_t floor, cap;      /* bytes */
	uint64_t target;          /* bytes allowed in flight now */
	uint64_t rtt_min_us;      /* 0: none measured yet */
	uint64_t bw;              /* best rate sample, bytes per second */
	uint64_t delivered;       /* bytes answered so far */
	uint64_t mark_us, mark_delivered;  /* where the current sample began */
} kg_sftp_flow;

/* fixed: floor == cap (a count asked for with -R stays as asked). */
void kg_sftp_flow_init(kg_sftp_flow *f, uint64_t floor, uint64_t cap, uint64_t now_us);
/* A reply carrying bytes (the data read, or the data a write took) to a
 * request sent at sent_us. */
void kg_sftp_flow_reply(kg_sftp_flow *f, uint64_t bytes, uint64_t sent_us, uint64_t now_us);
static inline uint64_t kg_sftp_flow_target(const kg_sftp_flow *f) { return f->target; }

#endif
