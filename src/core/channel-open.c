/* Channels opened by this side (RFC 4254 5.1), the answers to the peer's opens, and global requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/channel-int.h"

/* ---- opening ---- */

int kg_conn_open_begin(kg_conn *c, const char *type, kg_channel **chp, kg_buf **bp)
{
	ENSURE(c->chans != NULL && chp != NULL && kg_conn_name_ok(type), KG_ERR_ARG);
	kg_channel *ch = NULL;
	for (uint32_t i = 0; i < c->cfg.max_channels && !ch; i++)
		if (c->chans[i].state == KG_CH_FREE)
			ch = &c->chans[i];
	ENSURE(ch != NULL, KG_ERR_NO_SPACE);
	GUARD(kg_sink_begin(&c->sink, SSH_MSG_CHANNEL_OPEN, bp));
	uint32_t id = (uint32_t)(ch - c->chans);
	GUARD(kg_buf_put_cstring(*bp, type));
	GUARD(kg_buf_put_u32(*bp, id));
	GUARD(kg_buf_put_u32(*bp, kg_conn_initial_window(c)));
	GUARD(kg_buf_put_u32(*bp, c->cfg.max_packet));
	memset(ch, 0, sizeof(*ch));
	ch->local_id = id;
	ch->state = KG_CH_OPENING;
	strcpy(ch->type, type);
	kg_conn_take_slot(c, ch);
	*chp = ch;
	return KG_OK;
}

int kg_conn_open_end(kg_conn *c, kg_channel *ch)
{
	int r = kg_sink_end(&c->sink);
	if (r < 0)
		kg_conn_release_slot(c, ch);
	return r;
}

int kg_conn_open(kg_conn *c, const char *type, const uint8_t *extra, size_t extra_len,
		 kg_channel **chp)
{
	kg_buf *b;
	kg_channel *ch;
	ENSURE(extra != NULL || extra_len == 0, KG_ERR_ARG);
	GUARD(kg_conn_open_begin(c, type, &ch, &b));
	int r = kg_buf_put(b, extra, extra_len);
	if (r < 0) {
		kg_conn_release_slot(c, ch);
		return r;
	}
	GUARD(kg_conn_open_end(c, ch));
	*chp = ch;
	return KG_OK;
}

int kg_conn_open_session(kg_conn *c, kg_channel **chp)
{
	return kg_conn_open(c, "session", NULL, 0, chp);
}

int kg_conn_open_tcpip(kg_conn *c, const char *type, const char *host, uint32_t port,
		       const char *orig_host, uint32_t orig_port, kg_channel **chp)
{
	ENSURE(host != NULL && orig_host != NULL, KG_ERR_ARG);
	kg_buf *b;
	kg_channel *ch;
	GUARD(kg_conn_open_begin(c, type, &ch, &b));
	int r;
	GUARD_GOTO(r, kg_buf_put_cstring(b, host), fail);
	GUARD_GOTO(r, kg_buf_put_u32(b, port), fail);
	GUARD_GOTO(r, kg_buf_put_cstring(b, orig_host), fail);
	GUARD_GOTO(r, kg_buf_put_u32(b, orig_port), fail);
	GUARD(kg_conn_open_end(c, ch));
	*chp = ch;
	return KG_OK;
fail:
	kg_conn_release_slot(c, ch);
	return r;
}

int kg_conn_open_confirm(kg_conn *c, kg_channel *ch)
{
	GUARD(kg_conn_check_channel(c, ch));
	ENSURE(ch->state == KG_CH_INCOMING, KG_ERR_ARG);
	kg_buf *b;
	GUARD(kg_sink_begin(&c->sink, SSH_MSG_CHANNEL_OPEN_CONFIRMATION, &b));
	GUARD(kg_buf_put_u32(b, ch->remote_id));
	GUARD(kg_buf_put_u32(b, ch->local_id));
	GUARD(kg_buf_put_u32(b, ch->local_window));
	GUARD(kg_buf_put_u32(b, ch->local_maxpkt));
	GUARD(kg_sink_end(&c->sink));
	ch->state = KG_CH_OPEN;
	return KG_OK;
}

int kg_conn_open_fail(kg_conn *c, kg_channel *ch, uint32_t reason, const char *text)
{
	GUARD(kg_conn_check_channel(c, ch));
	ENSURE(ch->state == KG_CH_INCOMING, KG_ERR_ARG);
	kg_buf *b;
	GUARD(kg_sink_begin(&c->sink, SSH_MSG_CHANNEL_OPEN_FAILURE, &b));
	GUARD(kg_buf_put_u32(b, ch->remote_id));
	GUARD(kg_buf_put_u32(b, reason));
	GUARD(kg_buf_put_cstring(b, text ? text : ""));
	GUARD(kg_buf_put_cstring(b, ""));
	GUARD(kg_sink_end(&c->sink));
	kg_conn_release_slot(c, ch);
	return KG_OK;
}

/* ---- global requests ---- */

int kg_conn_send_global(kg_conn *c, const char *name, int want_reply, const uint8_t *extra,
			size_t extra_len)
{
	ENSURE(c->chans != NULL && kg_conn_name_ok(name), KG_ERR_ARG);
	ENSURE(extra != NULL || extra_len == 0, KG_ERR_ARG);
	ENSURE(!want_reply || c->greplies_due_us < UINT32_MAX, KG_ERR_ARG);
	kg_buf *b;
	GUARD(kg_sink_begin(&c->sink, SSH_MSG_GLOBAL_REQUEST, &b));
	GUARD(kg_buf_put_cstring(b, name));
	GUARD(kg_buf_put_bool(b, want_reply));
	GUARD(kg_buf_put(b, extra, extra_len));
	GUARD(kg_sink_end(&c->sink));
	if (want_reply)
		c->greplies_due_us++;
	return KG_OK;
}

int kg_conn_global_reply(kg_conn *c, int ok, const uint8_t *data, size_t len)
{
	ENSURE(c->greplies_due_peer > 0, KG_ERR_ARG);
	ENSURE(data != NULL || len == 0, KG_ERR_ARG);
	ENSURE(ok || len == 0, KG_ERR_ARG);
	kg_buf *b;
	GUARD(kg_sink_begin(&c->sink, ok ? SSH_MSG_REQUEST_SUCCESS : SSH_MSG_REQUEST_FAILURE, &b));
	GUARD(kg_buf_put(b, data, len));
	GUARD(kg_sink_end(&c->sink));
	c->greplies_due_peer--;
	return KG_OK;
}
