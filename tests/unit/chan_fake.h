/* Test helpers shared by the channel tests: a sink that records every
 * message, and peers (a kg_conn plus its sink) wired back to back. */
#ifndef KAGI_CHAN_FAKE_H
#define KAGI_CHAN_FAKE_H

#include "t.h"
#include "core/channel.h"

#define MAXQ 1024

typedef struct fsink {
	kg_buf q[MAXQ];
	size_t tail;  /* next free slot */
	int open;
	int fail;     /* begin() fails when set */
} fsink;

static inline int fs_begin(void *arg, uint8_t type, kg_buf **p)
{
	fsink *s = arg;
	if (s->fail)
		return KG_ERR_NO_SPACE;
	if (s->open || s->tail >= MAXQ)
		return KG_ERR_INTERNAL;
	kg_buf *b = &s->q[s->tail];
	kg_buf_init(b, 0);
	GUARD(kg_buf_put_u8(b, type));
	s->open = 1;
	*p = b;
	return KG_OK;
}

static inline int fs_end(void *arg)
{
	fsink *s = arg;
	if (!s->open)
		return KG_ERR_INTERNAL;
	s->open = 0;
	s->tail++;
	return KG_OK;
}

/* Drops the open message (the sink's abort). */
static inline void fs_abort(void *arg)
{
	fsink *s = arg;
	if (!s->open)
		return;
	s->open = 0;
	kg_buf_free(&s->q[s->tail]);
}

typedef struct peer {
	kg_conn c;
	fsink s;
	size_t rd;  /* next message to hand to the other side */
} peer;

static inline peer *peer_new(kg_conn_role role, const kg_conn_config *cfg)
{
	peer *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	kg_pkt_sink sink = { fs_begin, fs_end, &p->s, fs_abort };
	if (kg_conn_init(&p->c, cfg, &sink, role) != KG_OK) {
		free(p);
		return NULL;
	}
	return p;
}

static inline void peer_free(peer *p)
{
	if (!p)
		return;
	for (size_t i = 0; i <= p->s.tail && i < MAXQ; i++)
		kg_buf_free(&p->s.q[i]);
	kg_conn_free(&p->c);
	free(p);
}

static inline size_t pending(const peer *p)
{
	return p->s.tail - p->rd;
}

/* The type of the next undelivered message of p (0 if none). */
static inline uint8_t next_type(const peer *p)
{
	return pending(p) ? kg_buf_ptr(&p->s.q[p->rd])[0] : 0;
}

/* Hands from's next message to `to`.  Messages stay allocated until the
 * peer is freed, so event pointers stay valid in the tests. */
static inline int xfer(peer *from, peer *to, kg_conn_event *ev)
{
	if (!pending(from))
		return KG_ERR_INTERNAL;
	const kg_buf *m = &from->s.q[from->rd++];
	return kg_conn_handle(&to->c, kg_buf_ptr(m)[0], kg_buf_ptr(m) + 1, kg_buf_len(m) - 1, ev);
}

static inline int feed(peer *to, uint8_t type, const kg_buf *payload, kg_conn_event *ev)
{
	return kg_conn_handle(&to->c, type, kg_buf_ptr(payload), kg_buf_len(payload), ev);
}

/* Client opens a session, server confirms. */
static inline int establish(peer *cli, peer *srv, kg_channel **cch, kg_channel **sch)
{
	kg_conn_event ev;
	GUARD(kg_conn_open_session(&cli->c, cch));
	GUARD(xfer(cli, srv, &ev));
	ENSURE(ev.type == KG_CEV_OPEN_REQUEST && strcmp(ev.name, "session") == 0, KG_ERR_INTERNAL);
	*sch = ev.ch;
	GUARD(kg_conn_open_confirm(&srv->c, *sch));
	GUARD(xfer(srv, cli, &ev));
	ENSURE(ev.type == KG_CEV_OPEN_CONFIRMED && ev.ch == *cch, KG_ERR_INTERNAL);
	return KG_OK;
}

static inline int hex_eq(const kg_buf *b, const char *hex)
{
	unsigned char want[512];
	size_t n = t_unhex(hex, want);
	return kg_buf_len(b) == n && memcmp(kg_buf_ptr(b), want, n) == 0;
}

#endif
