/* The sending half of the transport: building, compressing and sealing packets, holding them during key exchange, DISCONNECT. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "core/transport-impl.h"

int tr_fail(kg_transport *t, int err, uint32_t reason, const char *fmt, ...)
{
	if (t->closed)
		return err;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->errtext, sizeof(t->errtext), fmt, ap);
	va_end(ap);
	if (reason != 0 && t->banner_done) {
		char text[sizeof(t->errtext)];
		memcpy(text, t->errtext, sizeof(text));
		kg_tr_disconnect(t, reason, text);
	}
	t->closed = 1;
	return err;
}

/* SERVICE_* and everything from userauth up wait while our key exchange
 * runs (RFC 4253 7.1); transport messages do not. */
static int held_during_kex(uint8_t type)
{
	return type == SSH_MSG_SERVICE_REQUEST || type == SSH_MSG_SERVICE_ACCEPT || type >= 50;
}

static int tx_in_kex(const kg_transport *t)
{
	return t->kex_state != TR_KEX_NONE && !t->our_newkeys_sent;
}

int tr_out_begin(kg_transport *t, uint8_t type, kg_buf **payload)
{
	ENSURE(!t->building, KG_ERR_INTERNAL);
	ENSURE(!t->closed, KG_ERR_CLOSED);
	if (tx_in_kex(t) && held_during_kex(type)) {
		t->build_target = &t->held;
		GUARD(kg_buf_reserve(&t->held, 4, NULL));
		t->build_start = kg_buf_len(&t->held);
	} else if (t->zout.active) {
		t->build_target = &t->zout.buf;
		kg_buf_reset(&t->zout.buf);
		t->build_start = 0;
	} else {
		t->build_target = &t->out;
		GUARD(kg_buf_reserve(&t->out, 5, NULL));
		t->build_start = kg_buf_len(&t->out) - 5;
	}
	t->building = 1;
	int r = kg_buf_put_u8(t->build_target, type);
	if (r < 0) {
		/* Takes the header reserved above back out as well. */
		tr_out_abort(t);
		return r;
	}
	*payload = t->build_target;
	return KG_OK;
}

/* Cuts the output back to `start` bytes, wiping what is removed. */
static void drop_output_from(kg_transport *t, size_t start)
{
	size_t len = kg_buf_len(&t->out);
	if (len <= start)
		return;
	OPENSSL_cleanse(kg_buf_mutable_ptr(&t->out) + start, len - start);
	if (kg_buf_consume_end(&t->out, len - start) < 0)
		t->closed = 1;  /* cannot happen: len - start bytes are there */
}

/* Pads, encrypts and MACs, in place, the packet whose 5-byte header starts
 * at offset `start` of the output and whose payload runs to its end. */
static int seal_packet(kg_transport *t, size_t start)
{
	kg_pktcrypt *tx = t->tx;
	/* The next sequence number (chacha20-poly1305's nonce) would be one
	 * already used: close without sending anything more, not even a
	 * DISCONNECT.  Rekeying at TR_REKEY_PACKETS keeps this from happening
	 * with any peer that answers a KEXINIT. */
	if (t->tx_seq_wrapped)
		return tr_fail(t, KG_ERR_PROTOCOL, 0, "outgoing sequence number wrapped");
	size_t payload_len = kg_buf_len(&t->out) - start - 5;
	ENSURE(payload_len >= 1 && payload_len <= TR_MAX_PAYLOAD + 1024, KG_ERR_PACKET_TOO_LARGE);
	size_t bs = kg_pktcrypt_block_size(tx), aad = kg_pktcrypt_aad_len(tx);
	size_t padlen = bs - ((5 + payload_len - aad) % bs);
	if (padlen < 4)
		padlen += bs;
	size_t tag = kg_pktcrypt_tag_len(tx);
	uint8_t *pad;
	GUARD(kg_buf_reserve(&t->out, padlen + tag, &pad));
	ENSURE(RAND_bytes(pad, (int)padlen) == 1, KG_ERR_CRYPTO);
	uint8_t *pkt = kg_buf_mutable_ptr(&t->out) + start;
	uint32_t packet_length = (uint32_t)(1 + payload_len + padlen);
	kg_poke_u32(pkt, packet_length);
	pkt[4] = (uint8_t)padlen;
	int r = kg_pktcrypt_seal(tx, t->tx_seq, pkt, 4 + (size_t)packet_length);
	if (r < 0) {
		/* The cipher may have moved on: later packets could not be read. */
		t->closed = 1;
		return r;
	}
	if (++t->tx_seq == 0)
		t->tx_seq_wrapped = 1;
	t->tx_packets++;
	t->tx_bytes += 4 + (size_t)packet_length + tag;
	return KG_OK;
}

int tr_out_end(kg_transport *t)
{
	ENSURE(t->building, KG_ERR_INTERNAL);
	t->building = 0;
	kg_buf *target = t->build_target;
	const uint8_t *payload = kg_buf_ptr(target) + t->build_start;
	size_t len = kg_buf_len(target) - t->build_start;
	if (target == &t->held) {
		kg_poke_u32(kg_buf_mutable_ptr(&t->held) + t->build_start - 4, (uint32_t)len);
		return KG_OK;
	}
	if (t->cfg.trace) {
		/* In t->out the message follows the 5-byte packet header. */
		size_t hdr = target == &t->out ? 5 : 0;
		t->cfg.trace(t->cfg.cb_arg, 1, payload + hdr, len - hdr);
	}
	size_t start;
	int r;
	if (target == &t->zout.buf) {
		GUARD(kg_buf_reserve(&t->out, 5, NULL));
		start = kg_buf_len(&t->out) - 5;
		r = tr_zlib_deflate(&t->zout, payload, len, &t->out);
		if (r >= 0)
			r = seal_packet(t, start);
		/* The deflate stream already holds this message, so the peer
		 * could not inflate anything after a dropped packet. */
		if (r < 0)
			t->closed = 1;
	} else {
		start = t->build_start;
		r = seal_packet(t, start);
	}
	if (r < 0) {
		/* Never leave an unsealed (plaintext) packet in the output. */
		drop_output_from(t, start);
		return r;
	}
	t->payload_sent += len;
	return KG_OK;
}

/* In `out` build_start is where the packet header starts; in `held` it is
 * where the payload starts, after a 4-byte length. */
void tr_out_abort(kg_transport *t)
{
	if (!t->building)
		return;
	t->building = 0;
	kg_buf *b = t->build_target;
	size_t header = b == &t->held ? 4 : 0;
	if (kg_buf_consume_end(b, kg_buf_len(b) - t->build_start + header) < 0)
		t->closed = 1;  /* the output is no longer well-formed */
}

int tr_send_raw(kg_transport *t, const uint8_t *payload, size_t len)
{
	ENSURE(len >= 1, KG_ERR_ARG);
	kg_buf *b;
	GUARD(tr_out_begin(t, payload[0], &b));
	int r = kg_buf_put(b, payload + 1, len - 1);
	if (r < 0) {
		tr_out_abort(t);
		return r;
	}
	return tr_out_end(t);
}

int tr_flush_held(kg_transport *t)
{
	kg_buf held = t->held;
	/* Take the list out first: sending may start another exchange. */
	kg_buf_init(&t->held, TR_HELD_MAX);
	int r = KG_OK;
	while (kg_buf_len(&held) > 0 && r >= 0) {
		const uint8_t *p;
		size_t n;
		r = kg_buf_get_string_direct(&held, &p, &n);
		if (r >= 0)
			r = tr_send_raw(t, p, n);
	}
	kg_buf_free(&held);
	return r;
}

void kg_tr_disconnect(kg_transport *t, uint32_t reason, const char *text)
{
	if (t->closed)
		return;
	/* An error may have interrupted a message: drop it. */
	tr_out_abort(t);
	kg_buf *b;
	if (tr_out_begin(t, SSH_MSG_DISCONNECT, &b) == KG_OK) {
		if (kg_buf_put_u32(b, reason) < 0 || kg_buf_put_cstring(b, text) < 0 ||
		    kg_buf_put_cstring(b, "") < 0)
			tr_out_abort(t);
		else if (tr_out_end(t) < 0)
			t->building = 0;
	}
	if (t->errtext[0] == '\0')
		snprintf(t->errtext, sizeof(t->errtext), "%s", text);
	t->closed = 1;
}
