/* The connection protocol's channel state machine and flow control
 * (RFC 4254 4, 5).  Every incoming message is parsed completely and checked
 * against the channel state before anything is changed, so an error leaves
 * the state as it was. */
#include <stdlib.h>
#include <string.h>
#include "core/channel.h"
#include "core/channel-int.h"

void kg_conn_config_default(kg_conn_config *cfg)
{
	cfg->max_channels = KG_CONN_MAX_CHANNELS_DEFAULT;
	cfg->window = KG_CONN_WINDOW_DEFAULT;
	cfg->max_packet = KG_CONN_MAXPKT_DEFAULT;
	cfg->max_send = KG_CONN_MAXPKT_LIMIT;
	cfg->max_window = 0;  /* fixed windows unless a program asks for growth */
	cfg->clock_ms = NULL;
	cfg->clock_arg = NULL;
	cfg->total_window = KG_CONN_WINDOW_TOTAL_DEFAULT;
}

int kg_conn_init(kg_conn *c, const kg_conn_config *cfg, const kg_pkt_sink *sink,
		 kg_conn_role role)
{
	memset(c, 0, sizeof(*c));
	ENSURE(sink != NULL && sink->begin != NULL && sink->end != NULL, KG_ERR_ARG);
	ENSURE(role == KG_CONN_CLIENT || role == KG_CONN_SERVER, KG_ERR_ARG);
	if (cfg)
		c->cfg = *cfg;
	else
		kg_conn_config_default(&c->cfg);
	ENSURE(c->cfg.max_channels >= 1 && c->cfg.max_channels <= KG_CONN_MAX_CHANNELS_LIMIT,
	       KG_ERR_ARG);
	ENSURE(c->cfg.window >= 1, KG_ERR_ARG);
	ENSURE(c->cfg.max_packet >= 1 && c->cfg.max_packet <= KG_CONN_MAXPKT_LIMIT, KG_ERR_ARG);
	ENSURE(c->cfg.max_send >= 1 && c->cfg.max_send <= KG_CONN_MAXPKT_LIMIT, KG_ERR_ARG);
	if (c->cfg.total_window == 0)
		c->cfg.total_window = KG_CONN_WINDOW_TOTAL_DEFAULT;
	c->chans = calloc(c->cfg.max_channels, sizeof(*c->chans));
	ENSURE(c->chans != NULL, KG_ERR_ALLOC);
	c->sink = *sink;
	c->role = role;
	return KG_OK;
}

void kg_conn_free(kg_conn *c)
{
	free(c->chans);
	memset(c, 0, sizeof(*c));
}

kg_channel *kg_conn_channel(kg_conn *c, uint32_t local_id)
{
	if (!c->chans || local_id >= c->cfg.max_channels)
		return NULL;
	kg_channel *ch = &c->chans[local_id];
	return ch->state == KG_CH_FREE ? NULL : ch;
}

/* The program's pointer must be one of our slots, in use. */
int kg_conn_check_channel(const kg_conn *c, const kg_channel *ch)
{
	ENSURE(ch != NULL && c->chans != NULL, KG_ERR_ARG);
	uintptr_t p = (uintptr_t)ch, lo = (uintptr_t)c->chans;
	ENSURE(p >= lo && (p - lo) / sizeof(*ch) < c->cfg.max_channels &&
	       (p - lo) % sizeof(*ch) == 0, KG_ERR_ARG);
	ENSURE(ch->state != KG_CH_FREE, KG_ERR_ARG);
	return KG_OK;
}

/* ---- the connection-wide window budget ---- */

/* What a channel has committed: what the peer may still send plus what we
 * hold, or the target when that is larger (the room granted next).  Once
 * the peer's EOF is in, or our CLOSE out, nothing more is granted: only
 * what is held (and, after our CLOSE, what may still arrive) counts. */
static uint64_t commitment(const kg_channel *ch)
{
	uint64_t inflight = (uint64_t)ch->local_window + ch->local_held;
	if (ch->eof_rcvd)
		return ch->local_held;
	if (ch->close_sent)
		return inflight;
	return inflight > ch->local_target ? inflight : ch->local_target;
}

/* After ch changed from committing `before`. */
static void recount(kg_conn *c, const kg_channel *ch, uint64_t before)
{
	c->window_sum = c->window_sum - before + commitment(ch);
}

/* What the budget has left. */
static uint64_t budget_left(const kg_conn *c)
{
	return c->window_sum < c->cfg.total_window ? c->cfg.total_window - c->window_sum : 0;
}

/* The window a new channel starts with: the configured one while the
 * budget lasts, what is left of it, but at least the floor. */
uint32_t kg_conn_initial_window(const kg_conn *c)
{
	uint64_t w = c->cfg.window, left = budget_left(c);
	if (w > left)
		w = left > KG_CONN_WINDOW_FLOOR ? left : KG_CONN_WINDOW_FLOOR;
	return w < c->cfg.window ? (uint32_t)w : c->cfg.window;
}

void kg_conn_take_slot(kg_conn *c, kg_channel *ch)
{
	ch->local_window = ch->local_target = kg_conn_initial_window(c);
	ch->local_maxpkt = c->cfg.max_packet;
	c->window_sum += ch->local_target;
	c->nopen++;
}

void kg_conn_release_slot(kg_conn *c, kg_channel *ch)
{
	uint32_t id = ch->local_id;
	c->window_sum -= commitment(ch);
	memset(ch, 0, sizeof(*ch));
	ch->local_id = id;
	c->nopen--;
}

int kg_conn_channel_free(kg_conn *c, kg_channel *ch)
{
	GUARD(kg_conn_check_channel(c, ch));
	ENSURE(ch->state == KG_CH_CLOSED, KG_ERR_ARG);
	kg_conn_release_slot(c, ch);
	return KG_OK;
}

/* RFC 4251 6: 1..64 printable US-ASCII characters, no spaces. */
static int name_ok(const uint8_t *p, size_t len)
{
	if (len == 0 || len > KG_CONN_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return 0;
	return 1;
}

int kg_conn_name_ok(const char *name)
{
	return name != NULL && name_ok((const uint8_t *)name, strnlen(name, KG_CONN_NAME_MAX + 1));
}

static int get_name(kg_buf *b, char out[KG_CONN_NAME_MAX + 1])
{
	const uint8_t *p;
	size_t len;
	ENSURE(kg_buf_get_string_direct(b, &p, &len) == KG_OK, KG_ERR_PROTOCOL);
	ENSURE(name_ok(p, len), KG_ERR_PROTOCOL);
	memcpy(out, p, len);
	out[len] = '\0';
	return KG_OK;
}

#define PGET(x) ENSURE((x) == KG_OK, KG_ERR_PROTOCOL)
#define PEND(b) ENSURE(kg_buf_len(b) == 0, KG_ERR_PROTOCOL)

/* ---- small senders ---- */

static int send_id_only(kg_conn *c, uint8_t type, uint32_t remote_id)
{
	kg_buf *b;
	GUARD(kg_sink_begin(&c->sink, type, &b));
	GUARD(kg_buf_put_u32(b, remote_id));
	return kg_sink_end(&c->sink);
}

static int send_close(kg_conn *c, kg_channel *ch)
{
	GUARD(send_id_only(c, SSH_MSG_CHANNEL_CLOSE, ch->remote_id));
	uint64_t before = commitment(ch);
	ch->close_sent = 1;
	recount(c, ch, before);
	if (ch->state == KG_CH_OPEN)
		ch->state = KG_CH_CLOSING;
	return KG_OK;
}

/* Whether the window limited what the peer sent: over the rate sample
 * (at least one round trip long) it sent at least 3/8 of the target per
 * round trip (see kg_conn_config.max_window).  A sample ends when it is
 * looked at here. */
static int rate_limited_by_window(kg_conn *c, kg_channel *ch)
{
	if (c->cfg.clock_ms == NULL || c->rtt_ms == 0 || !ch->rx_started)
		return 0;
	uint64_t now = c->cfg.clock_ms(c->cfg.clock_arg);
	if (now < ch->rx_t0_ms + c->rtt_ms)
		return 0;
	uint64_t per_rtt = ch->rx_bytes * c->rtt_ms / (now - ch->rx_t0_ms);
	ch->rx_t0_ms = now;
	ch->rx_bytes = 0;
	return per_rtt * 8 >= (uint64_t)ch->local_target * 3;
}

/* Grants back the room the program has freed once it amounts to half of the
 * target window (any amount when forced, after the target was raised), so
 * a steady stream costs one adjust per half window, whatever the packet
 * size.  Whenever the program has consumed everything it was given, the
 * peer therefore still has more than half a window: no stall.  No adjust
 * once the peer has sent EOF: it will send no more data. */
static int try_adjust(kg_conn *c, kg_channel *ch, int force)
{
	if (ch->state != KG_CH_OPEN || ch->close_sent || ch->eof_rcvd)
		return KG_OK;
	int64_t grant = (int64_t)ch->local_target - ch->local_window - ch->local_held;
	if (grant <= 0)
		return KG_OK;
	if (!force && (uint64_t)grant * 2 < ch->local_target)
		return KG_OK;
	/* The peer had less than an eighth of the window left (it was about to
	 * stall on us), or it sent 3/8 of a window or more per round trip: the
	 * window is the bottleneck.  Grow it. */
	if (!force && c->cfg.max_window > ch->local_target &&
	    (ch->local_window < ch->local_target / 8 || rate_limited_by_window(c, ch))) {
		uint64_t bigger = (uint64_t)ch->local_target * 2, before = commitment(ch);
		if (bigger > c->cfg.max_window)
			bigger = c->cfg.max_window;
		/* Only as far as the connection's budget allows. */
		uint64_t most = before + budget_left(c);
		if (bigger > most)
			bigger = most;
		if (bigger > ch->local_target) {
			ch->local_target = (uint32_t)bigger;
			recount(c, ch, before);
			grant = (int64_t)ch->local_target - ch->local_window - ch->local_held;
		}
	} else if (!force && ch->local_target > c->cfg.window && ch->local_window >= ch->local_target / 4 &&
		   budget_left(c) < c->cfg.window) {
		/* A grown window the peer no longer fills, while others wait
		 * for room in the budget: it shrinks back (the room already
		 * granted stays the peer's until used). */
		uint64_t before = commitment(ch);
		uint32_t smaller = ch->local_target / 2;
		ch->local_target = smaller > c->cfg.window ? smaller : c->cfg.window;
		recount(c, ch, before);
		grant = (int64_t)ch->local_target - ch->local_window - ch->local_held;
		if (grant <= 0 || (uint64_t)grant * 2 < ch->local_target)
			return KG_OK;
	}
	kg_buf *b;
	GUARD(kg_sink_begin(&c->sink, SSH_MSG_CHANNEL_WINDOW_ADJUST, &b));
	GUARD(kg_buf_put_u32(b, ch->remote_id));
	GUARD(kg_buf_put_u32(b, (uint32_t)grant));
	GUARD(kg_sink_end(&c->sink));
	ch->local_window += (uint32_t)grant;
	return KG_OK;
}

/* ---- incoming ---- */

static int h_open(kg_conn *c, kg_buf *b, kg_conn_event *ev)
{
	uint32_t sender, window, maxpkt;
	GUARD(get_name(b, ev->name));
	PGET(kg_buf_get_u32(b, &sender));
	PGET(kg_buf_get_u32(b, &window));
	PGET(kg_buf_get_u32(b, &maxpkt));
	/* The rest is type-specific; the program parses it. */
	kg_channel *ch = NULL;
	for (uint32_t i = 0; i < c->cfg.max_channels && !ch; i++)
		if (c->chans[i].state == KG_CH_FREE)
			ch = &c->chans[i];
	if (!ch) {
		kg_buf *o;
		ev->name[0] = '\0';
		GUARD(kg_sink_begin(&c->sink, SSH_MSG_CHANNEL_OPEN_FAILURE, &o));
		GUARD(kg_buf_put_u32(o, sender));
		GUARD(kg_buf_put_u32(o, SSH_OPEN_RESOURCE_SHORTAGE));
		GUARD(kg_buf_put_cstring(o, "too many channels"));
		GUARD(kg_buf_put_cstring(o, ""));
		return kg_sink_end(&c->sink);
	}
	uint32_t id = (uint32_t)(ch - c->chans);
	memset(ch, 0, sizeof(*ch));
	ch->local_id = id;
	ch->remote_id = sender;
	ch->state = KG_CH_INCOMING;
	memcpy(ch->type, ev->name, sizeof(ch->type));
	ch->remote_window = window;
	ch->remote_maxpkt = maxpkt;
	kg_conn_take_slot(c, ch);
	ev->type = KG_CEV_OPEN_REQUEST;
	ev->ch = ch;
	ev->data = kg_buf_ptr(b);
	ev->len = kg_buf_len(b);
	return KG_OK;
}

static int h_global_request(kg_conn *c, kg_buf *b, kg_conn_event *ev)
{
	GUARD(get_name(b, ev->name));
	PGET(kg_buf_get_bool(b, &ev->want_reply));
	if (ev->want_reply) {
		ENSURE(c->greplies_due_peer < UINT32_MAX, KG_ERR_PROTOCOL);
		c->greplies_due_peer++;
	}
	ev->type = KG_CEV_GLOBAL_REQUEST;
	ev->data = kg_buf_ptr(b);
	ev->len = kg_buf_len(b);
	return KG_OK;
}

static int h_global_reply(kg_conn *c, uint8_t type, kg_buf *b, kg_conn_event *ev)
{
	/* Only a success carries data (e.g. tcpip-forward's bound port). */
	if (type == SSH_MSG_REQUEST_FAILURE)
		PEND(b);
	ENSURE(c->greplies_due_us > 0, KG_ERR_PROTOCOL);
	c->greplies_due_us--;
	ev->type = KG_CEV_GLOBAL_REPLY;
	ev->ok = type == SSH_MSG_REQUEST_SUCCESS;
	ev->data = kg_buf_ptr(b);
	ev->len = kg_buf_len(b);
	return KG_OK;
}

static int h_open_confirm(kg_conn *c, kg_channel *ch, kg_buf *b, kg_conn_event *ev)
{
	uint32_t sender, window, maxpkt;
	PGET(kg_buf_get_u32(b, &sender));
	PGET(kg_buf_get_u32(b, &window));
	PGET(kg_buf_get_u32(b, &maxpkt));
	ENSURE(ch->state == KG_CH_OPENING, KG_ERR_CHANNEL);
	ch->remote_id = sender;
	ch->remote_window = window;
	ch->remote_maxpkt = maxpkt;
	ch->state = KG_CH_OPEN;
	if (ch->close_wanted)
		GUARD(send_close(c, ch));
	ev->type = KG_CEV_OPEN_CONFIRMED;
	ev->ch = ch;
	ev->data = kg_buf_ptr(b);
	ev->len = kg_buf_len(b);
	return KG_OK;
}

static int h_open_failure(kg_channel *ch, kg_buf *b, kg_conn_event *ev)
{
	uint32_t reason;
	const uint8_t *desc;
	size_t desc_len;
	PGET(kg_buf_get_u32(b, &reason));
	PGET(kg_buf_get_string_direct(b, &desc, &desc_len));
	PGET(kg_buf_skip_string(b));  /* language tag */
	PEND(b);
	ENSURE(ch->state == KG_CH_OPENING, KG_ERR_CHANNEL);
	ch->state = KG_CH_CLOSED;
	ev->type = KG_CEV_OPEN_FAILED;
	ev->ch = ch;
	ev->reason = reason;
	ev->data = desc;
	ev->len = desc_len;
	return KG_OK;
}

static int h_window_adjust(kg_channel *ch, kg_buf *b, kg_conn_event *ev)
{
	uint32_t add;
	PGET(kg_buf_get_u32(b, &add));
	PEND(b);
	/* RFC 4254 5.2: the window may not be raised beyond 2^32 - 1. */
	ENSURE(add <= UINT32_MAX - ch->remote_window, KG_ERR_CHANNEL);
	ch->remote_window += add;
	if (add == 0 || ch->close_sent)
		return KG_OK;
	ev->type = KG_CEV_WINDOW;
	ev->ch = ch;
	ev->window_add = add;
	return KG_OK;
}

static int h_data(kg_conn *c, kg_channel *ch, uint8_t type, kg_buf *b, kg_conn_event *ev)
{
	uint32_t code = 0;
	const uint8_t *p;
	size_t len;
	if (type == SSH_MSG_CHANNEL_EXTENDED_DATA)
		PGET(kg_buf_get_u32(b, &code));
	PGET(kg_buf_get_string_direct(b, &p, &len));
	PEND(b);
	ENSURE(!ch->eof_rcvd, KG_ERR_CHANNEL);
	ENSURE(len <= ch->local_maxpkt, KG_ERR_CHANNEL);
	ENSURE(len <= ch->local_window, KG_ERR_CHANNEL);
	uint64_t before = commitment(ch);
	ch->local_window -= (uint32_t)len;
	/* Data that crossed our CLOSE is no longer wanted; no other extended
	 * stream than stderr is defined: dropped, its room given back. */
	int drop = ch->close_sent || len == 0 ||
		   (type == SSH_MSG_CHANNEL_EXTENDED_DATA && code != SSH_EXTENDED_DATA_STDERR);
	if (!drop) {
		ch->local_held += (uint32_t)len;
		if (!ch->rx_started && c->cfg.clock_ms) {
			ch->rx_started = 1;
			ch->rx_t0_ms = c->cfg.clock_ms(c->cfg.clock_arg);
		}
		ch->rx_bytes += len;
	}
	recount(c, ch, before);
	if (drop)
		return ch->close_sent || len == 0 ? KG_OK : try_adjust(c, ch, 0);
	ev->type = KG_CEV_DATA;
	ev->ch = ch;
	ev->ext = code;
	ev->data = p;
	ev->len = len;
	return KG_OK;
}

static int h_eof(kg_conn *c, kg_channel *ch, kg_buf *b, kg_conn_event *ev)
{
	PEND(b);
	/* A repeated EOF says nothing new. */
	if (ch->eof_rcvd)
		return KG_OK;
	uint64_t before = commitment(ch);
	ch->eof_rcvd = 1;
	recount(c, ch, before);
	if (ch->close_sent)
		return KG_OK;
	ev->type = KG_CEV_EOF;
	ev->ch = ch;
	return KG_OK;
}

static int h_close(kg_conn *c, kg_channel *ch, kg_buf *b, kg_conn_event *ev)
{
	PEND(b);
	/* RFC 4254 5.3: answer with our own CLOSE unless already sent. */
	if (!ch->close_sent)
		GUARD(send_close(c, ch));
	ch->close_rcvd = 1;
	ch->state = KG_CH_CLOSED;
	ev->type = KG_CEV_CLOSE;
	ev->ch = ch;
	return KG_OK;
}

static int h_request(kg_channel *ch, kg_buf *b, kg_conn_event *ev)
{
	GUARD(get_name(b, ev->name));
	PGET(kg_buf_get_bool(b, &ev->want_reply));
	if (ch->close_sent) {
		/* No reply may follow our CLOSE; the peer expects none. */
		ev->name[0] = '\0';
		ev->want_reply = 0;
		return KG_OK;
	}
	if (ev->want_reply) {
		ENSURE(ch->replies_due_peer < UINT32_MAX, KG_ERR_CHANNEL);
		ch->replies_due_peer++;
	}
	ev->type = KG_CEV_REQUEST;
	ev->ch = ch;
	ev->data = kg_buf_ptr(b);
	ev->len = kg_buf_len(b);
	return KG_OK;
}

static int h_request_reply(kg_channel *ch, uint8_t type, kg_buf *b, kg_conn_event *ev)
{
	PEND(b);
	ENSURE(ch->replies_due_us > 0, KG_ERR_CHANNEL);
	ch->replies_due_us--;
	if (ch->close_sent)
		return KG_OK;
	ev->type = type == SSH_MSG_CHANNEL_SUCCESS ? KG_CEV_REQUEST_SUCCESS : KG_CEV_REQUEST_FAILURE;
	ev->ch = ch;
	return KG_OK;
}

/* Messages naming one of our channels by its local id (91..100). */
static int h_channel_msg(kg_conn *c, uint8_t type, kg_buf *b, kg_conn_event *ev)
{
	uint32_t id;
	PGET(kg_buf_get_u32(b, &id));
	ENSURE(id < c->cfg.max_channels, KG_ERR_CHANNEL);
	kg_channel *ch = &c->chans[id];
	/* The peer has no id of ours for a channel it asked for until we
	 * confirm, and may say nothing after its CLOSE. */
	ENSURE(ch->state != KG_CH_FREE && ch->state != KG_CH_INCOMING &&
	       ch->state != KG_CH_CLOSED, KG_ERR_CHANNEL);
	if (type == SSH_MSG_CHANNEL_OPEN_CONFIRMATION)
		return h_open_confirm(c, ch, b, ev);
	if (type == SSH_MSG_CHANNEL_OPEN_FAILURE)
		return h_open_failure(ch, b, ev);
	/* Until the peer answers our open, it cannot use the channel. */
	ENSURE(ch->state == KG_CH_OPEN || ch->state == KG_CH_CLOSING, KG_ERR_CHANNEL);
	switch (type) {
	case SSH_MSG_CHANNEL_WINDOW_ADJUST:
		return h_window_adjust(ch, b, ev);
	case SSH_MSG_CHANNEL_DATA:
	case SSH_MSG_CHANNEL_EXTENDED_DATA:
		return h_data(c, ch, type, b, ev);
	case SSH_MSG_CHANNEL_EOF:
		return h_eof(c, ch, b, ev);
	case SSH_MSG_CHANNEL_CLOSE:
		return h_close(c, ch, b, ev);
	case SSH_MSG_CHANNEL_REQUEST:
		return h_request(ch, b, ev);
	case SSH_MSG_CHANNEL_SUCCESS:
	case SSH_MSG_CHANNEL_FAILURE:
		return h_request_reply(ch, type, b, ev);
	default:
		return KG_ERR_INTERNAL;
	}
}

int kg_conn_handle(kg_conn *c, uint8_t type, const uint8_t *payload, size_t len,
		   kg_conn_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = KG_CEV_NONE;
	ENSURE(c->chans != NULL, KG_ERR_ARG);
	ENSURE(payload != NULL || len == 0, KG_ERR_ARG);
	kg_buf b;
	kg_buf_view(&b, payload, len);
	int r;
	switch (type) {
	case SSH_MSG_GLOBAL_REQUEST:
		r = h_global_request(c, &b, ev);
		break;
	case SSH_MSG_REQUEST_SUCCESS:
	case SSH_MSG_REQUEST_FAILURE:
		r = h_global_reply(c, type, &b, ev);
		break;
	case SSH_MSG_CHANNEL_OPEN:
		r = h_open(c, &b, ev);
		break;
	default:
		if (type < SSH_MSG_CHANNEL_OPEN_CONFIRMATION || type > SSH_MSG_CHANNEL_FAILURE)
			return KG_ERR_UNEXPECTED_MSG;
		r = h_channel_msg(c, type, &b, ev);
		break;
	}
	if (r < 0)
		memset(ev, 0, sizeof(*ev));
	return r;
}

/* ---- data, flow control, EOF, CLOSE ---- */

/* May we still send on this channel at all? */
int kg_conn_check_sendable(const kg_conn *c, const kg_channel *ch)
{
	GUARD(kg_conn_check_channel(c, ch));
	ENSURE(!ch->close_sent && ch->state != KG_CH_CLOSED, KG_ERR_CLOSED);
	ENSURE(ch->state == KG_CH_OPEN, KG_ERR_ARG);
	return KG_OK;
}

/* How much of left the next data packet on ch may carry: the peer's
 * window, its packet size and ours (0: nothing may go now). */
static size_t data_chunk(const kg_conn *c, const kg_channel *ch, size_t left)
{
	size_t n = left < ch->remote_window ? left : ch->remote_window;
	if (n > ch->remote_maxpkt)
		n = ch->remote_maxpkt;
	return n < c->cfg.max_send ? n : c->cfg.max_send;
}

int kg_conn_send_data(kg_conn *c, kg_channel *ch, uint32_t ext, const uint8_t *data,
		      size_t len, size_t *sent)
{
	ENSURE(sent != NULL, KG_ERR_ARG);
	*sent = 0;
	ENSURE(data != NULL || len == 0, KG_ERR_ARG);
	GUARD(kg_conn_check_sendable(c, ch));
	ENSURE(!ch->eof_sent, KG_ERR_ARG);
	size_t n;
	while ((n = data_chunk(c, ch, len - *sent)) > 0) {
		kg_buf *b;
		GUARD(kg_sink_begin(&c->sink, ext ? SSH_MSG_CHANNEL_EXTENDED_DATA
						  : SSH_MSG_CHANNEL_DATA, &b));
		/* Room for the whole message first, so the fields cannot fail
		 * half-way; then the one copy into the packet buffer. */
		GUARD(kg_buf_allocate(b, 12 + n));
		GUARD(kg_buf_put_u32(b, ch->remote_id));
		if (ext)
			GUARD(kg_buf_put_u32(b, ext));
		GUARD(kg_buf_put_string(b, data + *sent, n));
		GUARD(kg_sink_end(&c->sink));
		ch->remote_window -= (uint32_t)n;
		*sent += n;
	}
	return KG_OK;
}

int kg_conn_send_data_fill(kg_conn *c, kg_channel *ch, uint32_t ext, size_t max,
			   kg_conn_fill_fn fill, void *arg, size_t *sent)
{
	ENSURE(sent != NULL, KG_ERR_ARG);
	*sent = 0;
	ENSURE(fill != NULL && c->sink.abort != NULL, KG_ERR_ARG);
	GUARD(kg_conn_check_sendable(c, ch));
	ENSURE(!ch->eof_sent, KG_ERR_ARG);
	size_t n;
	while ((n = data_chunk(c, ch, max - *sent)) > 0) {
		kg_buf *b;
		GUARD(kg_sink_begin(&c->sink, ext ? SSH_MSG_CHANNEL_EXTENDED_DATA
						  : SSH_MSG_CHANNEL_DATA, &b));
		uint8_t *len_at, *dst;
		int r = kg_buf_allocate(b, 12 + n);
		if (r >= 0)
			r = kg_buf_put_u32(b, ch->remote_id);
		if (r >= 0 && ext)
			r = kg_buf_put_u32(b, ext);
		if (r >= 0)
			r = kg_buf_reserve(b, 4, &len_at);
		if (r >= 0)
			r = kg_buf_reserve(b, n, &dst);
		size_t got = 0;
		if (r >= 0)
			r = fill(arg, dst, n, &got);
		if (r >= 0 && got > n)
			r = KG_ERR_INTERNAL;
		if (r < 0 || got == 0) {
			c->sink.abort(c->sink.arg);
			if (r >= 0 || *sent > 0)
				return KG_OK;
			return r;
		}
		/* The room not filled goes; len_at stays valid (nothing moved). */
		GUARD(kg_buf_consume_end(b, n - got));
		kg_poke_u32(len_at, (uint32_t)got);
		GUARD(kg_sink_end(&c->sink));
		ch->remote_window -= (uint32_t)got;
		*sent += got;
		if (got < n)
			break;
	}
	return KG_OK;
}

int kg_conn_consumed(kg_conn *c, kg_channel *ch, size_t n)
{
	GUARD(kg_conn_check_channel(c, ch));
	ENSURE(n <= ch->local_held, KG_ERR_ARG);
	uint64_t before = commitment(ch);
	ch->local_held -= (uint32_t)n;
	recount(c, ch, before);
	return try_adjust(c, ch, 0);
}

int kg_conn_set_window(kg_conn *c, kg_channel *ch, uint32_t target)
{
	GUARD(kg_conn_check_channel(c, ch));
	ENSURE(target >= 1, KG_ERR_ARG);
	uint64_t before = commitment(ch), most = before + budget_left(c);
	if (target > ch->local_target && target > most)
		target = most > ch->local_target ? (uint32_t)most : ch->local_target;
	ch->local_target = target;
	recount(c, ch, before);
	return try_adjust(c, ch, 1);
}

void kg_conn_set_rtt(kg_conn *c, uint32_t rtt_ms)
{
	c->rtt_ms = rtt_ms;
}

int kg_conn_send_eof(kg_conn *c, kg_channel *ch)
{
	GUARD(kg_conn_check_sendable(c, ch));
	if (ch->eof_sent)
		return KG_OK;
	GUARD(send_id_only(c, SSH_MSG_CHANNEL_EOF, ch->remote_id));
	ch->eof_sent = 1;
	return KG_OK;
}

int kg_conn_send_close(kg_conn *c, kg_channel *ch)
{
	GUARD(kg_conn_check_channel(c, ch));
	if (ch->close_sent || ch->state == KG_CH_CLOSED)
		return KG_OK;
	ENSURE(ch->state != KG_CH_INCOMING, KG_ERR_ARG);  /* refuse an incoming open instead */
	if (ch->state == KG_CH_OPENING) {
		/* No remote id yet: CLOSE goes out with the confirmation. */
		ch->close_wanted = 1;
		return KG_OK;
	}
	return send_close(c, ch);
}

