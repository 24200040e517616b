/* Transport: identification exchange, reading packets, the sink the upper
 * layers write through, and the dispatch of transport messages.  Sealing and
 * sending packets is transport-out.c, key exchange transport-kex.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "core/transport-impl.h"

#define TR_IN_MAX  (2u * 1024 * 1024)
#define TR_OUT_MAX (64u * 1024 * 1024)
#define TR_READ_CHUNK (256u * 1024)

static int rekey_if_due(kg_transport *t);

/* The sink the upper layers write through: the sending half
 * (transport-out.c), then a re-exchange when a limit was reached. */
static int sink_begin(void *arg, uint8_t type, kg_buf **payload)
{
	return tr_out_begin(arg, type, payload);
}

static int sink_end(void *arg)
{
	kg_transport *t = arg;
	GUARD(tr_out_end(t));
	return rekey_if_due(t);
}

static void sink_abort(void *arg)
{
	tr_out_abort(arg);
}

int tr_alloc(kg_transport **out, const kg_tr_config *cfg)
{
	*out = NULL;
	kg_transport *t = calloc(1, sizeof(*t));
	ENSURE(t != NULL, KG_ERR_ALLOC);
	t->cfg = *cfg;
	t->is_server = cfg->is_server;
	t->my_version = cfg->version ? cfg->version : KG_TR_VERSION;
	t->rekey_bytes = cfg->rekey_bytes ? cfg->rekey_bytes : TR_DEFAULT_REKEY_BYTES;
	t->rekey_seconds = cfg->rekey_seconds ? cfg->rekey_seconds : TR_DEFAULT_REKEY_SECONDS;
	t->sink.begin = sink_begin;
	t->sink.end = sink_end;
	t->sink.arg = t;
	t->sink.abort = sink_abort;
	kg_buf_init(&t->in, TR_IN_MAX);
	kg_buf_init(&t->out, TR_OUT_MAX);
	kg_buf_init(&t->held, TR_HELD_MAX);
	kg_buf_init(&t->my_kexinit, 64 * 1024);
	kg_buf_init(&t->peer_kexinit, 64 * 1024);
	kg_buf_init(&t->client_pub, 4096);
	kg_buf_init(&t->server_pub, 4096);
	kg_buf_init(&t->zin.buf, TR_MAX_PAYLOAD + 1024);
	kg_buf_init(&t->zout.buf, TR_MAX_PAYLOAD + 1024);
	*out = t;
	return KG_OK;
}

int kg_tr_new(kg_transport **out, const kg_tr_config *cfg)
{
	kg_transport *t;
	GUARD(tr_alloc(&t, cfg));
	*out = NULL;
	int r;
	GUARD_GOTO(r, kg_pktcrypt_new(&t->rx, NULL, NULL, NULL, NULL, NULL, 0), fail);
	GUARD_GOTO(r, kg_pktcrypt_new(&t->tx, NULL, NULL, NULL, NULL, NULL, 1), fail);
	ENSURE_GOTO(r, strlen(t->my_version) <= TR_MAX_BANNER_LINE - 2, KG_ERR_ARG, fail);
	GUARD_GOTO(r, kg_buf_putf(&t->out, "%s\r\n", t->my_version), fail);
	GUARD_GOTO(r, tr_kex_start(t), fail);
	*out = t;
	return KG_OK;
fail:
	kg_tr_free(t);
	return r;
}

void kg_tr_free(kg_transport *t)
{
	if (!t)
		return;
	tr_kex_free(t);
	kg_pktcrypt_free(t->rx);
	kg_pktcrypt_free(t->tx);
	kg_pktcrypt_free(t->rx_next);
	kg_pktcrypt_free(t->tx_next);
	kg_buf_free(&t->in);
	kg_buf_free(&t->out);
	kg_buf_free(&t->held);
	kg_buf_free(&t->my_kexinit);
	kg_buf_free(&t->peer_kexinit);
	kg_buf_free(&t->client_pub);
	kg_buf_free(&t->server_pub);
	tr_zlib_free(&t->zin);
	tr_zlib_free(&t->zout);
	free(t->peer_version);
	free(t->own_version);
	free(t->server_sig_algs);
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}

/* ------------------------------------------------------------------ */
/* input                                                                */

int kg_tr_input(kg_transport *t, const uint8_t *data, size_t len)
{
	if (t->in_consume_pending) {
		GUARD(kg_buf_consume(&t->in, t->in_consume_pending));
		t->in_consume_pending = 0;
	}
	return kg_buf_put(&t->in, data, len);
}

int kg_tr_input_space(kg_transport *t, uint8_t **ptr, size_t *avail)
{
	if (t->in_consume_pending) {
		GUARD(kg_buf_consume(&t->in, t->in_consume_pending));
		t->in_consume_pending = 0;
	}
	size_t room = t->in.max_size - kg_buf_len(&t->in);
	size_t want = room < TR_READ_CHUNK ? room : TR_READ_CHUNK;
	ENSURE(want > 0, KG_ERR_NO_SPACE);
	GUARD(kg_buf_reserve(&t->in, want, ptr));
	*avail = want;
	/* Give back what is not read yet; input_commit re-adds it. */
	return kg_buf_consume_end(&t->in, want);
}

void kg_tr_input_commit(kg_transport *t, size_t n)
{
	/* input_space made room for at least n bytes right past the end. */
	if (n <= t->in.alloc - t->in.size)
		t->in.size += n;
}

/* Reads the peer's identification line, skipping (client only) the lines
 * a server may send before it (RFC 4253 4.2). */
static int process_banner(kg_transport *t)
{
	for (;;) {
		const uint8_t *p = kg_buf_ptr(&t->in);
		size_t avail = kg_buf_len(&t->in);
		size_t scan = avail < TR_MAX_BANNER_LINE ? avail : TR_MAX_BANNER_LINE;
		const uint8_t *nl = memchr(p, '\n', scan);
		if (!nl) {
			if (avail >= TR_MAX_BANNER_LINE)
				return tr_fail(t, KG_ERR_BANNER, 0, "identification line too long");
			return KG_ERR_AGAIN;
		}
		size_t linelen = (size_t)(nl - p);
		size_t textlen = linelen;
		if (textlen > 0 && p[textlen - 1] == '\r')
			textlen--;
		int is_version = textlen >= 4 && memcmp(p, "SSH-", 4) == 0;
		if (!is_version) {
			if (t->is_server)
				return tr_fail(t, KG_ERR_BANNER, 0, "bad protocol identification from client");
			if (++t->pre_banner_lines > TR_MAX_PRE_BANNER_LINES)
				return tr_fail(t, KG_ERR_BANNER, 0, "too many lines before the identification");
			GUARD(kg_buf_consume(&t->in, linelen + 1));
			continue;
		}
		for (size_t i = 0; i < textlen; i++)
			if (p[i] < 0x20 || p[i] > 0x7e)
				return tr_fail(t, KG_ERR_BANNER, 0, "identification contains invalid characters");
		if (!(textlen >= 8 && memcmp(p, "SSH-2.0-", 8) == 0) &&
		    !(textlen >= 9 && memcmp(p, "SSH-1.99-", 9) == 0))
			return tr_fail(t, KG_ERR_BANNER, 0, "protocol major versions differ");
		t->peer_version = malloc(textlen + 1);
		ENSURE(t->peer_version != NULL, KG_ERR_ALLOC);
		memcpy(t->peer_version, p, textlen);
		t->peer_version[textlen] = '\0';
		GUARD(kg_buf_consume(&t->in, linelen + 1));
		t->banner_done = 1;
		return KG_OK;
	}
}

/* Decrypts the next whole packet in `in`; the payload stays in place. */
static int read_one(kg_transport *t, const uint8_t **payload, size_t *plen)
{
	kg_pktcrypt *rx = t->rx;
	uint8_t *p = kg_buf_mutable_ptr(&t->in);
	size_t avail = kg_buf_len(&t->in);
	if (!t->rx_have_len) {
		if (avail < kg_pktcrypt_length_bytes(rx))
			return KG_ERR_AGAIN;
		/* Sequence numbers (chacha20-poly1305's nonces) would repeat
		 * from here on: a rekey should have come long before, at
		 * TR_REKEY_PACKETS, so this is always fatal. */
		if (t->rx_seq_wrapped)
			return tr_fail(t, KG_ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
				       "incoming sequence number wrapped");
		uint32_t len;
		if (kg_pktcrypt_peek_length(rx, t->rx_seq, p, &len) < 0)
			return tr_fail(t, KG_ERR_MAC, SSH_DISCONNECT_MAC_ERROR, "cannot decrypt packet length");
		size_t bs = kg_pktcrypt_block_size(rx), aad = kg_pktcrypt_aad_len(rx);
		if (len > KG_TR_MAX_PACKET)
			return tr_fail(t, KG_ERR_PACKET_TOO_LARGE, SSH_DISCONNECT_PROTOCOL_ERROR,
				       "bad packet length %u", len);
		if (len < 5 || (4 + (size_t)len - aad) % bs != 0)
			return tr_fail(t, KG_ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
				       "invalid packet length %u", len);
		t->rx_have_len = 1;
		t->rx_packet_length = len;
	}
	size_t pktlen = 4 + (size_t)t->rx_packet_length;
	size_t total = pktlen + kg_pktcrypt_tag_len(rx);
	if (avail < total)
		return KG_ERR_AGAIN;
	if (kg_pktcrypt_open(rx, t->rx_seq, p, pktlen) < 0)
		return tr_fail(t, KG_ERR_MAC, SSH_DISCONNECT_MAC_ERROR, "corrupted MAC on input");
	uint8_t padlen = p[4];
	if (padlen < 4 || (size_t)padlen + 1 >= t->rx_packet_length)
		return tr_fail(t, KG_ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
			       "invalid padding length %u", padlen);
	t->rx_have_len = 0;
	t->in_consume_pending = total;
	t->last_rx_seq = t->rx_seq;
	if (++t->rx_seq == 0)
		t->rx_seq_wrapped = 1;
	t->rx_packets++;
	t->rx_bytes += total;
	size_t len = t->rx_packet_length - padlen - 1;
	const uint8_t *body = p + 5;
	if (t->zin.active) {
		if (tr_zlib_inflate(&t->zin, body, len, TR_MAX_PAYLOAD) < 0)
			return tr_fail(t, KG_ERR_COMPRESS, SSH_DISCONNECT_COMPRESSION_ERROR, "decompression failed");
		body = kg_buf_ptr(&t->zin.buf);
		len = kg_buf_len(&t->zin.buf);
		if (len == 0)
			return tr_fail(t, KG_ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR, "empty packet");
	}
	t->payload_received += len;
	*payload = body;
	*plen = len;
	return KG_OK;
}

/* SSH_MSG_EXT_INFO (RFC 8308 2.3): a count, then that many name/value
 * pairs, and nothing after them.  Unknown extensions are ignored; the
 * client keeps the server's server-sig-algs, and nothing a client announces
 * changes what the server does. */
static int handle_ext_info(kg_transport *t, const uint8_t *payload, size_t len)
{
	kg_buf b;
	kg_buf_view(&b, payload + 1, len - 1);
	uint32_t n;
	GUARD(kg_buf_get_u32(&b, &n));
	ENSURE(n <= 1024, KG_ERR_TOO_LARGE);
	for (uint32_t i = 0; i < n; i++) {
		char *name = NULL;
		const uint8_t *val;
		size_t vlen;
		GUARD(kg_buf_get_cstring(&b, &name, NULL));
		int r = kg_buf_get_string_direct(&b, &val, &vlen);
		int is_sig_algs = !t->is_server && strcmp(name, "server-sig-algs") == 0;
		free(name);
		GUARD(r);
		if (is_sig_algs) {
			ENSURE(memchr(val, '\0', vlen) == NULL, KG_ERR_FORMAT);
			free(t->server_sig_algs);
			t->server_sig_algs = strndup((const char *)val, vlen);
			ENSURE(t->server_sig_algs != NULL, KG_ERR_ALLOC);
		}
	}
	ENSURE(kg_buf_len(&b) == 0, KG_ERR_FORMAT);
	return KG_OK;
}

static int handle_disconnect(kg_transport *t, const uint8_t *payload, size_t len)
{
	kg_buf b;
	kg_buf_view(&b, payload + 1, len - 1);
	uint32_t reason = 0;
	const uint8_t *text = (const uint8_t *)"";
	size_t tlen = 0;
	if (kg_buf_get_u32(&b, &reason) < 0 || kg_buf_get_string_direct(&b, &text, &tlen) < 0)
		tlen = 0;
	/* Show only printable characters of the peer's text. */
	char clean[200];
	size_t n = 0;
	for (size_t i = 0; i < tlen && n + 1 < sizeof(clean); i++)
		clean[n++] = (text[i] >= 0x20 && text[i] < 0x7f) ? (char)text[i] : '?';
	clean[n] = '\0';
	snprintf(t->errtext, sizeof(t->errtext), "disconnected by peer: %u: %s", reason, clean);
	t->closed = 1;
	return KG_ERR_PEER_DISCONNECT;
}

int kg_tr_read_packet(kg_transport *t, const uint8_t **payload, size_t *len)
{
	for (;;) {
		if (t->closed)
			return KG_ERR_CLOSED;
		if (t->in_consume_pending) {
			GUARD(kg_buf_consume(&t->in, t->in_consume_pending));
			t->in_consume_pending = 0;
		}
		if (!t->banner_done) {
			GUARD(process_banner(t));
			continue;
		}
		const uint8_t *p = NULL;
		size_t n = 0;
		GUARD(read_one(t, &p, &n));
		uint8_t type = p[0];
		/* RFC 8308 2.4: a client's EXT_INFO is the packet right after its
		 * first NEWKEYS, or never. */
		int ext_info_ok = !t->is_server || t->ext_info_window;
		t->ext_info_window = 0;
		if (t->cfg.trace)
			t->cfg.trace(t->cfg.cb_arg, 0, p, n);
		int initial_kex = t->kex_count == 0;
		if (type == SSH_MSG_DISCONNECT)
			return handle_disconnect(t, p, n);
		/* Every packet counts, IGNOREs included, so a flood of them
		 * cannot run the sequence number up to a wrap. */
		GUARD(rekey_if_due(t));
		if (t->skip_guessed_packet && type >= 30 && type <= 49) {
			t->skip_guessed_packet = 0;
			continue;
		}
		if (type == SSH_MSG_KEXINIT || type == SSH_MSG_NEWKEYS || (type >= 30 && type <= 49)) {
			int r = tr_kex_handle(t, type, p, n);
			if (r < 0)
				return t->closed ? r : tr_fail(t, r, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
							      "key exchange failed: %s", kg_err_str(r));
			continue;
		}
		/* Strict KEX: nothing else may arrive during the first exchange. */
		if (initial_kex && (t->strict_kex || type > SSH_MSG_DEBUG))
			return tr_fail(t, KG_ERR_UNEXPECTED_MSG, SSH_DISCONNECT_PROTOCOL_ERROR,
				       "unexpected message %u during key exchange", type);
		if (type == SSH_MSG_IGNORE || type == SSH_MSG_DEBUG || type == SSH_MSG_UNIMPLEMENTED)
			continue;
		if (type == SSH_MSG_EXT_INFO) {
			if (!ext_info_ok)
				return tr_fail(t, KG_ERR_UNEXPECTED_MSG, SSH_DISCONNECT_PROTOCOL_ERROR,
					       "unexpected EXT_INFO");
			if (handle_ext_info(t, p, n) < 0)
				return tr_fail(t, KG_ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR, "bad EXT_INFO");
			continue;
		}
		/* After the peer's KEXINIT only key exchange messages may follow. */
		if (t->peer_kexinit.size > 0 && !t->their_newkeys_seen)
			return tr_fail(t, KG_ERR_UNEXPECTED_MSG, SSH_DISCONNECT_PROTOCOL_ERROR,
				       "unexpected message %u during key re-exchange", type);
		if (type < SSH_MSG_SERVICE_REQUEST || (type > SSH_MSG_EXT_INFO && type < 50)) {
			GUARD(kg_tr_send_unimplemented(t));
			continue;
		}
		*payload = p;
		*len = n;
		return type;
	}
}

/* ------------------------------------------------------------------ */
/* output                                                               */

const uint8_t *kg_tr_output(const kg_transport *t, size_t *len)
{
	*len = kg_buf_len(&t->out);
	return kg_buf_ptr(&t->out);
}

void kg_tr_output_consume(kg_transport *t, size_t n)
{
	if (n > kg_buf_len(&t->out))
		n = kg_buf_len(&t->out);
	if (kg_buf_consume(&t->out, n) < 0)
		t->closed = 1;  /* cannot happen: n was clamped */
}

size_t kg_tr_output_pending(const kg_transport *t)
{
	return kg_buf_len(&t->out);
}

size_t kg_tr_held_pending(const kg_transport *t)
{
	return kg_buf_len(&t->held);
}

const kg_pkt_sink *kg_tr_sink(kg_transport *t)
{
	return &t->sink;
}

int kg_tr_send(kg_transport *t, const uint8_t *payload, size_t len)
{
	GUARD(tr_send_raw(t, payload, len));
	return rekey_if_due(t);
}

int kg_tr_send_unimplemented(kg_transport *t)
{
	kg_buf *b;
	GUARD(tr_out_begin(t, SSH_MSG_UNIMPLEMENTED, &b));
	int r = kg_buf_put_u32(b, t->last_rx_seq);
	if (r < 0) {
		tr_out_abort(t);
		return r;
	}
	return sink_end(t);
}

int kg_tr_is_closed(const kg_transport *t)
{
	return t->closed;
}

const char *kg_tr_error_text(const kg_transport *t)
{
	return t->errtext;
}

/* The most bytes one direction may carry under one key: OpenSSH's limits,
 * 2^32 blocks for 16-byte block ciphers (the birthday bound of a 128-bit
 * block) and 1 GiB for the rest (chacha20-poly1305 counts as 8 bytes).  A
 * larger RekeyLimit is clamped to this rather than refused when the
 * configuration is read: the cipher is only known once negotiated, and a
 * file written for OpenSSH, which clamps the same way, keeps working. */
static uint64_t dir_rekey_bytes(const kg_transport *t, const kg_pktcrypt *pc)
{
	size_t bs = kg_pktcrypt_block_size(pc);
	uint64_t max = bs >= 16 ? (uint64_t)bs << 32 : (uint64_t)1 << 30;
	return t->rekey_bytes < max ? t->rekey_bytes : max;
}

/* Starts a re-exchange when either direction reached its byte or packet
 * limit since the last one. */
static int rekey_if_due(kg_transport *t)
{
	if (t->closed || t->kex_count == 0 || t->kex_state != TR_KEX_NONE)
		return KG_OK;
	if (t->tx_bytes > dir_rekey_bytes(t, t->tx) || t->rx_bytes > dir_rekey_bytes(t, t->rx) ||
	    t->tx_packets >= TR_REKEY_PACKETS || t->rx_packets >= TR_REKEY_PACKETS)
		return tr_kex_start(t);
	return KG_OK;
}

int kg_tr_rekey(kg_transport *t)
{
	ENSURE(!t->closed, KG_ERR_CLOSED);
	if (t->kex_count == 0 || t->kex_state != TR_KEX_NONE)
		return KG_OK;
	return tr_kex_start(t);
}

int kg_tr_tick(kg_transport *t, time_t now)
{
	t->now = now;
	if (t->kex_time == 0)
		t->kex_time = now;
	if (!t->closed && t->kex_count > 0 && t->kex_state == TR_KEX_NONE &&
	    now - t->kex_time >= (time_t)t->rekey_seconds)
		return tr_kex_start(t);
	return KG_OK;
}

int kg_tr_set_authenticated(kg_transport *t)
{
	if (t->authenticated)
		return KG_OK;
	t->authenticated = 1;
	/* zlib@openssh.com starts after authentication, in both directions. */
	tr_dir_algs *tx = t->is_server ? &t->algs_s2c : &t->algs_c2s;
	tr_dir_algs *rx = t->is_server ? &t->algs_c2s : &t->algs_s2c;
	if (tx->zlib && !t->zout.active)
		GUARD(tr_zlib_start(&t->zout, 1));
	if (rx->zlib && !t->zin.active)
		GUARD(tr_zlib_start(&t->zin, 0));
	return KG_OK;
}

int kg_tr_ready(const kg_transport *t)
{
	return t->kex_count > 0 && !t->closed;
}

const uint8_t *kg_tr_session_id(const kg_transport *t, size_t *len)
{
	*len = t->session_id_len;
	return t->session_id;
}

const uint8_t *kg_tr_session_sig(const kg_transport *t, size_t *len)
{
	*len = t->session_sig_len;
	return t->session_sig;
}

const char *kg_tr_peer_version(const kg_transport *t)
{
	return t->peer_version;
}

const kg_kex_result *kg_tr_kex_result(const kg_transport *t)
{
	return &t->result;
}

const char *kg_tr_server_sig_algs(const kg_transport *t)
{
	return t->server_sig_algs;
}

void kg_tr_counters(const kg_transport *t, uint64_t *sent, uint64_t *received)
{
	if (sent)
		*sent = t->payload_sent;
	if (received)
		*received = t->payload_received;
}
