/* Two transports (client and server) joined in memory: every KEX method,
 * cipher and MAC, rekeying and its limits, sequence number wrap, ext-info,
 * compression, and hostile input. */
#include "t.h"
#include "core/auth.h"
#include "core/cipher.h"
#include "core/kex.h"
#include "core/names.h"
#include "core/transport.h"
#include "core/transport-impl.h"

#include "tr_pair.h"

static int pair_new(pair *p, const char *kex, const char *hk_alg, enum kg_keytype hk_type, int bits,
		    const char *cipher, const char *mac, const char *comp)
{
	memset(p, 0, sizeof(*p));
	int r = kg_key_generate(hk_type, bits, &p->hostkey);
	if (r < 0)
		return r;
	p->hostkeys[0] = p->hostkey;
	kg_tr_config base = { .kex_algs = kex, .hostkey_algs = hk_alg, .ciphers = cipher, .macs = mac,
			      .compression = comp, .cb_arg = p };
	p->cc = base;
	p->cc.verify_hostkey = accept_key;
	p->sc = base;
	p->sc.is_server = 1;
	p->sc.hostkeys = p->hostkeys;
	p->sc.n_hostkeys = 1;
	p->sc.server_sig_algs = "ssh-ed25519,rsa-sha2-512";
	if ((r = kg_tr_new(&p->c, &p->cc)) < 0 || (r = kg_tr_new(&p->s, &p->sc)) < 0)
		return r;
	const uint8_t *m;
	size_t n;
	return pump(p->c, p->s, &m, &n, NULL);
}

/* Sends a message from one side and checks the other receives it intact. */
static int roundtrip(kg_transport *from, kg_transport *to, size_t size)
{
	uint8_t *buf = malloc(size);
	buf[0] = SSH_MSG_CHANNEL_DATA;
	for (size_t i = 1; i < size; i++)
		buf[i] = (uint8_t)(i * 7 + size);
	int r = kg_tr_send(from, buf, size);
	const uint8_t *m = NULL;
	size_t n = 0;
	if (r >= 0)
		r = pump(from, to, &m, &n, to);
	int ok = r == SSH_MSG_CHANNEL_DATA && n == size && memcmp(m, buf, size) == 0;
	free(buf);
	return ok ? 0 : (r < 0 ? r : -1);
}

static void test_every_kex(void)
{
	const char *all = kg_kex_all_names();
	char list[1024];
	snprintf(list, sizeof(list), "%s", all);
	for (char *save = NULL, *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		pair p;
		int r = pair_new(&p, name, "ssh-ed25519", KG_KEY_ED25519, 0, "aes128-gcm@openssh.com",
				 "hmac-sha2-256-etm@openssh.com", "none");
		if (r < 0 || !kg_tr_ready(p.c) || !kg_tr_ready(p.s) || !p.verified)
			fprintf(stderr, "kex %s: r=%d %s / %s\n", name, r, kg_tr_error_text(p.c), kg_tr_error_text(p.s));
		T_ASSERT(r == 0 && kg_tr_ready(p.c) && kg_tr_ready(p.s) && p.verified);
		T_ASSERT(strcmp(kg_tr_kex_result(p.c)->kex, name) == 0);
		T_ASSERT(kg_tr_kex_result(p.c)->strict_kex && kg_tr_kex_result(p.s)->strict_kex);
		size_t l1, l2;
		const uint8_t *s1 = kg_tr_session_id(p.c, &l1), *s2 = kg_tr_session_id(p.s, &l2);
		T_ASSERT(l1 >= 32 && l1 == l2 && memcmp(s1, s2, l1) == 0);
		T_OK(roundtrip(p.c, p.s, 100));
		T_OK(roundtrip(p.s, p.c, 5000));
		T_ASSERT(strcmp(kg_tr_server_sig_algs(p.c), "ssh-ed25519,rsa-sha2-512") == 0);
		pair_free(&p);
	}
}

static void test_every_cipher_mac(void)
{
	const char *ciphers[] = { "chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com",
				  "aes128-ctr", "aes192-ctr", "aes256-ctr" };
	const char *macs[] = { "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256",
			       "hmac-sha2-512" };
	for (size_t i = 0; i < KG_ARRAY_LEN(ciphers); i++)
		for (size_t j = 0; j < KG_ARRAY_LEN(macs); j++) {
			pair p;
			T_OK(pair_new(&p, "curve25519-sha256", "ssh-ed25519", KG_KEY_ED25519, 0, ciphers[i], macs[j], "none"));
			T_ASSERT(kg_tr_ready(p.c));
			for (size_t size = 1; size < 70000; size = size * 3 + 1) {
				if (roundtrip(p.c, p.s, size)) fprintf(stderr, "size %zu cipher %s mac %s: %s\n", size, ciphers[i], macs[j], kg_tr_error_text(p.s));
				T_OK(roundtrip(p.c, p.s, size));
				T_OK(roundtrip(p.s, p.c, size));
			}
			pair_free(&p);
		}
}

static void test_hostkey_types(void)
{
	struct { const char *alg; enum kg_keytype type; int bits; } hk[] = {
		{ "ssh-ed25519", KG_KEY_ED25519, 0 }, { "ecdsa-sha2-nistp256", KG_KEY_ECDSA_P256, 256 },
		{ "ecdsa-sha2-nistp384", KG_KEY_ECDSA_P384, 384 }, { "ecdsa-sha2-nistp521", KG_KEY_ECDSA_P521, 521 },
		{ "rsa-sha2-256", KG_KEY_RSA, 2048 }, { "rsa-sha2-512", KG_KEY_RSA, 2048 },
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(hk); i++) {
		pair p;
		T_OK(pair_new(&p, "curve25519-sha256", hk[i].alg, hk[i].type, hk[i].bits, "aes256-ctr",
			      "hmac-sha2-512-etm@openssh.com", "none"));
		T_ASSERT(kg_tr_ready(p.c) && p.verified);
		T_ASSERT(strcmp(kg_tr_kex_result(p.c)->hostkey_alg, hk[i].alg) == 0);
		pair_free(&p);
	}
}

static void test_rekey_and_compression(void)
{
	pair p;
	T_OK(pair_new(&p, "curve25519-sha256", "ssh-ed25519", KG_KEY_ED25519, 0, "chacha20-poly1305@openssh.com",
		      "hmac-sha2-256-etm@openssh.com", "zlib@openssh.com"));
	T_OK(kg_tr_set_authenticated(p.c));
	T_OK(kg_tr_set_authenticated(p.s));
	T_OK(roundtrip(p.c, p.s, 3000));
	size_t l1;
	uint8_t sid[64];
	const uint8_t *sid_now = kg_tr_session_id(p.c, &l1);
	memcpy(sid, sid_now, l1);
	T_OK(kg_tr_rekey(p.c));
	/* A message sent during the exchange is held, then delivered. */
	T_OK(roundtrip(p.c, p.s, 200000));
	T_OK(roundtrip(p.s, p.c, 100));
	T_ASSERT(kg_tr_kex_result(p.c)->count == 2 && kg_tr_kex_result(p.s)->count == 2);
	size_t l2;
	T_ASSERT(memcmp(kg_tr_session_id(p.c, &l2), sid, l1) == 0);  /* session id stays */
	T_OK(kg_tr_rekey(p.s));
	T_OK(roundtrip(p.s, p.c, 100));
	T_ASSERT(kg_tr_kex_result(p.c)->count == 3);
	pair_free(&p);
}

static void test_no_common_algorithm(void)
{
	pair p;
	memset(&p, 0, sizeof(p));
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &p.hostkey));
	p.hostkeys[0] = p.hostkey;
	kg_tr_config c = { .kex_algs = "curve25519-sha256", .hostkey_algs = "ssh-ed25519", .ciphers = "aes128-ctr",
			   .macs = "hmac-sha2-256", .compression = "none", .verify_hostkey = accept_key, .cb_arg = &p };
	kg_tr_config s = c;
	s.is_server = 1;
	s.ciphers = "aes256-gcm@openssh.com";
	s.hostkeys = p.hostkeys;
	s.n_hostkeys = 1;
	T_OK(kg_tr_new(&p.c, &c));
	T_OK(kg_tr_new(&p.s, &s));
	const uint8_t *m;
	size_t n;
	int r = pump(p.c, p.s, &m, &n, NULL);
	T_ASSERT(r == KG_ERR_NO_CIPHER_MATCH || r == KG_ERR_PEER_DISCONNECT);
	T_ASSERT(!kg_tr_ready(p.c));
	pair_free(&p);
}

/* Feeds raw bytes to a fresh server and returns the read result. */
static int feed_server(const void *data, size_t len, int *closed)
{
	kg_key *hk;
	if (kg_key_generate(KG_KEY_ED25519, 0, &hk) < 0)
		return -9999;
	kg_key *hks[1] = { hk };
	kg_tr_config s = { .is_server = 1, .kex_algs = "curve25519-sha256", .hostkey_algs = "ssh-ed25519",
			   .ciphers = "aes128-ctr", .macs = "hmac-sha2-256", .compression = "none",
			   .hostkeys = hks, .n_hostkeys = 1 };
	kg_transport *t;
	if (kg_tr_new(&t, &s) < 0)
		return -9998;
	int r = kg_tr_input(t, data, len);
	const uint8_t *m;
	size_t n;
	if (r >= 0)
		r = kg_tr_read_packet(t, &m, &n);
	*closed = kg_tr_is_closed(t);
	kg_tr_free(t);
	kg_key_free(hk);
	return r;
}

static void test_hostile_input(void)
{
	int closed;
	T_ASSERT(feed_server("GET / HTTP/1.0\r\n", 16, &closed) == KG_ERR_BANNER && closed);
	char longline[400];
	memset(longline, 'A', sizeof(longline));
	memcpy(longline, "SSH-2.0-", 8);
	T_ASSERT(feed_server(longline, sizeof(longline), &closed) == KG_ERR_BANNER);
	T_ASSERT(feed_server("SSH-1.5-old\r\n", 13, &closed) == KG_ERR_BANNER);
	/* Huge packet length. */
	uint8_t pkt[64] = "SSH-2.0-x\r\n";
	size_t off = 11;
	kg_poke_u32(pkt + off, 0x7fffffff);
	T_ASSERT(feed_server(pkt, off + 16, &closed) == KG_ERR_PACKET_TOO_LARGE && closed);
	/* Length just over the 256 KiB cap. */
	kg_poke_u32(pkt + off, KG_TR_MAX_PACKET + 4);
	T_ASSERT(feed_server(pkt, off + 16, &closed) == KG_ERR_PACKET_TOO_LARGE);
	/* Bad padding length (padding longer than packet). */
	kg_poke_u32(pkt + off, 12);
	pkt[off + 4] = 200;
	T_ASSERT(feed_server(pkt, off + 16, &closed) == KG_ERR_PROTOCOL);
	/* Length not a multiple of the block size. */
	kg_poke_u32(pkt + off, 13);
	T_ASSERT(feed_server(pkt, off + 16, &closed) == KG_ERR_PROTOCOL);
	/* A userauth request before key exchange: strict KEX refuses it. */
	memset(pkt + off, 0, 32);
	kg_poke_u32(pkt + off, 12);
	pkt[off + 4] = 10;
	pkt[off + 5] = SSH_MSG_USERAUTH_REQUEST;
	T_ASSERT(feed_server(pkt, off + 16, &closed) == KG_ERR_UNEXPECTED_MSG && closed);
	/* Incomplete input just waits. */
	T_ASSERT(feed_server("SSH-2.0-x\r\n\0\0", 13, &closed) == KG_ERR_AGAIN && !closed);
}

static void test_corrupt_after_kex(void)
{
	pair p;
	T_OK(pair_new(&p, "curve25519-sha256", "ssh-ed25519", KG_KEY_ED25519, 0, "aes128-gcm@openssh.com",
		      "hmac-sha2-256-etm@openssh.com", "none"));
	uint8_t msg[100] = { SSH_MSG_CHANNEL_DATA };
	T_OK(kg_tr_send(p.c, msg, sizeof(msg)));
	size_t n;
	const uint8_t *o = kg_tr_output(p.c, &n);
	uint8_t *copy = malloc(n);
	memcpy(copy, o, n);
	copy[n / 2] ^= 1;
	T_OK(kg_tr_input(p.s, copy, n));
	free(copy);
	const uint8_t *m;
	size_t len;
	T_ASSERT(kg_tr_read_packet(p.s, &m, &len) == KG_ERR_MAC);
	T_ASSERT(kg_tr_is_closed(p.s));
	/* The server queued a DISCONNECT for the client. */
	o = kg_tr_output(p.s, &n);
	T_ASSERT(n > 0);
	T_OK(kg_tr_input(p.c, o, n));
	T_ASSERT(kg_tr_read_packet(p.c, &m, &len) == KG_ERR_PEER_DISCONNECT);
	pair_free(&p);
}

/* The output buffer's cap (TR_OUT_MAX in transport.c). */
#define OUT_CAP (64u * 1024 * 1024)

/* Before the first NEWKEYS the output is the banner line and then clear
 * packets; 1 when they tile it exactly (no partial or stray bytes). */
static int output_well_formed(kg_transport *t)
{
	size_t n;
	const uint8_t *o = kg_tr_output(t, &n);
	const uint8_t *nl = memchr(o, '\n', n);
	if (!nl)
		return 0;
	size_t off = (size_t)(nl - o) + 1;
	while (off < n) {
		if (n - off < 5)
			return 0;
		uint32_t plen = kg_peek_u32(o + off);
		if ((4 + (size_t)plen) % 8 != 0 || o[off + 4] < 4 || o[off + 4] >= plen || n - off - 4 < plen)
			return 0;
		off += 4 + (size_t)plen;
	}
	return off == n;
}

/* Sends an IGNORE message of len bytes; on failure the output must be
 * exactly as before. */
static int send_ignore(kg_transport *t, uint8_t *buf, size_t len)
{
	size_t before, after;
	kg_tr_output(t, &before);
	buf[0] = SSH_MSG_IGNORE;
	int r = kg_tr_send(t, buf, len);
	kg_tr_output(t, &after);
	if (r < 0 && after != before)
		return -9000;
	return r;
}

/* A message that does not fit in the full output is dropped whole, at
 * every point it can fail: the header, the payload, or the padding. */
static void test_full_output_keeps_packets_whole(void)
{
	/* 17 characters: with "\r\n" the banner is 3 mod 8 bytes, so the room
	 * left after whole packets is 5 mod 8, and exactly 5 can be reached. */
	kg_tr_config c = { .version = "SSH-2.0-kagitest_", .kex_algs = "curve25519-sha256",
			   .hostkey_algs = "ssh-ed25519", .ciphers = "aes128-ctr", .macs = "hmac-sha2-256",
			   .compression = "none" };
	kg_transport *t;
	T_OK(kg_tr_new(&t, &c));
	uint8_t *buf = calloc(1, 64 * 1024);
	T_ASSERT(buf != NULL);
	size_t used;
	kg_tr_output(t, &used);
	/* 32000 payload bytes make a 32016-byte packet, 0 mod 8. */
	while (OUT_CAP - used > 40000) {
		T_OK(send_ignore(t, buf, 32000));
		kg_tr_output(t, &used);
	}
	size_t room = OUT_CAP - used;
	T_ASSERT(room % 8 == 5 && room >= 21);
	/* The payload does not fit. */
	T_ASSERT(send_ignore(t, buf, room - 4) == KG_ERR_NO_SPACE);
	/* The payload fits but its padding does not. */
	T_ASSERT(send_ignore(t, buf, room - 5) == KG_ERR_NO_SPACE);
	T_ASSERT(!kg_tr_is_closed(t));
	/* room - 14 bytes take 4 bytes of padding: 5 bytes stay free. */
	T_OK(send_ignore(t, buf, room - 14));
	kg_tr_output(t, &used);
	T_ASSERT(OUT_CAP - used == 5);
	/* The 5-byte header fits but the type byte does not. */
	T_ASSERT(send_ignore(t, buf, 1) == KG_ERR_NO_SPACE);
	T_ASSERT(output_well_formed(t));
	free(buf);
	kg_tr_free(t);
}

/* Moves from's output to `to` and reads one packet there. */
static int deliver(kg_transport *from, kg_transport *to)
{
	size_t n;
	const uint8_t *o = kg_tr_output(from, &n);
	int r = kg_tr_input(to, o, n);
	kg_tr_output_consume(from, n);
	const uint8_t *m;
	size_t len;
	return r < 0 ? r : kg_tr_read_packet(to, &m, &len);
}

static int send_data(kg_transport *t)
{
	uint8_t msg[64] = { SSH_MSG_CHANNEL_DATA };
	return kg_tr_send(t, msg, sizeof(msg));
}

/* Lets a running re-exchange finish, dropping the data messages still on
 * the way; 1 when both sides ended it with count 2. */
static int rekey_done(pair *p)
{
	const uint8_t *m;
	size_t n;
	int r, rounds = 0;
	while ((r = pump(p->c, p->s, &m, &n, NULL)) == -2000 - SSH_MSG_CHANNEL_DATA && rounds++ < 100)
		;
	return r == 0 && kg_tr_kex_result(p->c)->count == 2 && kg_tr_kex_result(p->s)->count == 2 &&
	       p->c->kex_state == TR_KEX_NONE && p->s->kex_state == TR_KEX_NONE;
}

/* A rekey starts after 2^31 packets under one key, whichever way they went. */
static void test_rekey_at_packet_limit(void)
{
	pair p;
	/* Sending: the client's 2^31st packet makes it send KEXINIT. */
	T_OK(pair_new(&p, "curve25519-sha256", "ssh-ed25519", KG_KEY_ED25519, 0, "chacha20-poly1305@openssh.com",
		      "hmac-sha2-256-etm@openssh.com", "none"));
	p.c->tx_packets = TR_REKEY_PACKETS - 2;
	T_OK(send_data(p.c));
	T_ASSERT(p.c->kex_state == TR_KEX_NONE);
	T_OK(send_data(p.c));
	T_ASSERT(p.c->kex_state == TR_KEX_INIT_SENT);
	T_ASSERT(p.s->kex_state == TR_KEX_NONE);
	T_ASSERT(rekey_done(&p));
	T_ASSERT(p.c->tx_packets < 10 && p.s->rx_packets < 10);
	T_OK(roundtrip(p.c, p.s, 100));
	pair_free(&p);
	/* Receiving: the server starts it when its 2^31st packet comes in. */
	T_OK(pair_new(&p, "curve25519-sha256", "ssh-ed25519", KG_KEY_ED25519, 0, "chacha20-poly1305@openssh.com",
		      "hmac-sha2-256-etm@openssh.com", "none"));
	p.s->rx_packets = TR_REKEY_PACKETS - 1;
	T_OK(send_data(p.c));
	T_ASSERT(p.c->kex_state == TR_KEX_NONE);
	T_ASSERT(deliver(p.c, p.s) == SSH_MSG_CHANNEL_DATA);
	T_ASSERT(p.s->kex_state == TR_KEX_INIT_SENT);
	T_ASSERT(rekey_done(&p));
	T_ASSERT(p.s->rx_packets < 10);
	T_OK(roundtrip(p.s, p.c, 100));
	pair_free(&p);
	/* IGNOREs count too: a flood of them cannot avoid the rekey. */
	T_OK(pair_new(&p, "curve25519-sha256", "ssh-ed25519", KG_KEY_ED25519, 0, "chacha20-poly1305@openssh.com",
		      "hmac-sha2-256-etm@openssh.com", "none"));
	p.s->rx_packets = TR_REKEY_PACKETS - 1;
	uint8_t ign[8] = { SSH_MSG_IGNORE };
	T_OK(kg_tr_send(p.c, ign, sizeof(ign)));
	T_ASSERT(deliver(p.c, p.s) == KG_ERR_AGAIN);
	T_ASSERT(p.s->kex_state == TR_KEX_INIT_SENT);
	T_ASSERT(rekey_done(&p));
	pair_free(&p);
}

/* Sequence number 2^32 - 1 is the last one: the packet after it is never
 * sealed (it would reuse nonce 0 under the same key), and one arriving
 * from a peer that went on anyway is a fatal error. */
static void test_seq_wrap_is_fatal(void)
{
	pair p;
	T_OK(pair_new(&p, "curve25519-sha256", "ssh-ed25519", KG_KEY_ED25519, 0, "chacha20-poly1305@openssh.com",
		      "hmac-sha2-256-etm@openssh.com", "none"));
	/* Sending. */
	p.c->tx_seq = p.s->rx_seq = 0xfffffffe;
	T_OK(send_data(p.c));
	T_OK(send_data(p.c));
	size_t before, after;
	kg_tr_output(p.c, &before);
	T_ASSERT(send_data(p.c) == KG_ERR_PROTOCOL);
	T_ASSERT(kg_tr_is_closed(p.c));
	T_ASSERT(strstr(kg_tr_error_text(p.c), "sequence number wrapped") != NULL);
	kg_tr_disconnect(p.c, SSH_DISCONNECT_BY_APPLICATION, "bye");
	T_ASSERT(send_data(p.c) < 0);
	kg_tr_output(p.c, &after);
	T_ASSERT(after == before);  /* nothing sealed under sequence number 0 */
	/* The two packets before the wrap arrive intact. */
	T_ASSERT(deliver(p.c, p.s) == SSH_MSG_CHANNEL_DATA);
	const uint8_t *m;
	size_t len;
	T_ASSERT(kg_tr_read_packet(p.s, &m, &len) == SSH_MSG_CHANNEL_DATA);
	T_ASSERT(kg_tr_read_packet(p.s, &m, &len) == KG_ERR_AGAIN);
	pair_free(&p);
	/* Receiving: a peer that seals past the wrap (played here by a
	 * client whose guard is turned off) is cut off. */
	T_OK(pair_new(&p, "curve25519-sha256", "ssh-ed25519", KG_KEY_ED25519, 0, "chacha20-poly1305@openssh.com",
		      "hmac-sha2-256-etm@openssh.com", "none"));
	p.c->tx_seq = p.s->rx_seq = 0xffffffff;
	T_OK(send_data(p.c));
	T_ASSERT(deliver(p.c, p.s) == SSH_MSG_CHANNEL_DATA);
	p.c->tx_seq_wrapped = 0;
	T_OK(send_data(p.c));
	T_ASSERT(deliver(p.c, p.s) == KG_ERR_PROTOCOL);
	T_ASSERT(kg_tr_is_closed(p.s));
	T_ASSERT(strstr(kg_tr_error_text(p.s), "sequence number wrapped") != NULL);
	pair_free(&p);
}

/* RekeyLimit larger than the cipher can safely carry under one key is
 * clamped: 1 GiB for chacha20-poly1305, 2^32 16-byte blocks for AES. */
static void test_rekey_limit_cap(void)
{
	struct { const char *cipher; uint64_t cap; } c[] = {
		{ "chacha20-poly1305@openssh.com", 1ull << 30 }, { "aes128-gcm@openssh.com", 1ull << 36 },
		{ "aes256-ctr", 1ull << 36 },
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(c); i++) {
		for (int dir = 0; dir < 2; dir++) {
			pair p;
			T_OK(pair_new(&p, "curve25519-sha256", "ssh-ed25519", KG_KEY_ED25519, 0, c[i].cipher,
				      "hmac-sha2-256-etm@openssh.com", "none"));
			/* As if RekeyLimit were far above the cap. */
			p.c->rekey_bytes = p.s->rekey_bytes = 1ull << 50;
			if (dir == 0) {
				p.c->tx_bytes = c[i].cap - 150;
				T_OK(send_data(p.c));
				T_ASSERT(p.c->kex_state == TR_KEX_NONE);
				T_OK(send_data(p.c));
				T_ASSERT(p.c->kex_state == TR_KEX_INIT_SENT);
			} else {
				p.s->rx_bytes = c[i].cap - 150;
				T_OK(send_data(p.c));
				T_ASSERT(deliver(p.c, p.s) == SSH_MSG_CHANNEL_DATA);
				T_ASSERT(p.s->kex_state == TR_KEX_NONE);
				T_OK(send_data(p.c));
				T_ASSERT(deliver(p.c, p.s) == SSH_MSG_CHANNEL_DATA);
				T_ASSERT(p.s->kex_state == TR_KEX_INIT_SENT);
			}
			T_ASSERT(rekey_done(&p));
			pair_free(&p);
		}
	}
	/* Below the cap, the configured limit is what counts. */
	pair p;
	T_OK(pair_new(&p, "curve25519-sha256", "ssh-ed25519", KG_KEY_ED25519, 0, "aes128-gcm@openssh.com",
		      "hmac-sha2-256-etm@openssh.com", "none"));
	p.c->rekey_bytes = 1ull << 40;
	p.c->tx_bytes = (1ull << 36) - 1000000;
	T_OK(send_data(p.c));
	T_ASSERT(p.c->kex_state == TR_KEX_NONE);
	p.c->rekey_bytes = 1ull << 20;
	p.c->tx_bytes = 1ull << 20;
	T_OK(send_data(p.c));
	T_ASSERT(p.c->kex_state == TR_KEX_INIT_SENT);
	pair_free(&p);
}

/* 1 when the first name-list of a KEXINIT payload names `name`. */
static int kexinit_kex_has(const kg_buf *kexinit, const char *name)
{
	kg_buf b;
	kg_buf_view(&b, kg_buf_ptr(kexinit), kg_buf_len(kexinit));
	char *list = NULL;
	if (kg_buf_consume(&b, 17) < 0 || kg_buf_get_cstring(&b, &list, NULL) < 0)
		return -1;
	int has = kg_namelist_has(list, name);
	free(list);
	return has;
}

/* Sends EXT_INFO from the client with `n` as its count and the pairs in
 * `pairs` (NULL-terminated name, value, ...), plus `extra` raw bytes. */
static int send_ext_info(kg_transport *c, uint32_t n, const char *const *pairs, size_t extra)
{
	uint8_t msg[512];
	kg_buf b;
	kg_buf_init(&b, sizeof(msg));
	int r = kg_buf_put_u8(&b, SSH_MSG_EXT_INFO);
	if (r >= 0)
		r = kg_buf_put_u32(&b, n);
	for (size_t i = 0; pairs[i] && r >= 0; i++)
		r = kg_buf_put_cstring(&b, pairs[i]);
	for (size_t i = 0; i < extra && r >= 0; i++)
		r = kg_buf_put_u8(&b, 0);
	if (r >= 0)
		r = kg_tr_send(c, kg_buf_ptr(&b), kg_buf_len(&b));
	kg_buf_free(&b);
	return r;
}

/* RFC 8308: the server offers ext-info-s in its first KEXINIT only, and
 * takes one EXT_INFO from the client, right after the client's NEWKEYS. */
static void test_ext_info_server(void)
{
	static const char *const exts[] = { "publickey-hostbound@openssh.com", "0",
					    "no-such-extension@example.com", "x", NULL };
	pair p;
	T_OK(pair_new(&p, "curve25519-sha256", "ssh-ed25519", KG_KEY_ED25519, 0, "chacha20-poly1305@openssh.com",
		      "hmac-sha2-256-etm@openssh.com", "none"));
	T_ASSERT(kexinit_kex_has(&p.s->my_kexinit, "ext-info-s") == 1);
	T_ASSERT(kexinit_kex_has(&p.s->my_kexinit, "ext-info-c") == 0);
	T_ASSERT(kexinit_kex_has(&p.c->my_kexinit, "ext-info-s") == 0);
	/* Accepted, unknown names and all, and the connection goes on. */
	T_OK(send_ext_info(p.c, 2, exts, 0));
	T_OK(roundtrip(p.c, p.s, 100));
	T_ASSERT(!kg_tr_is_closed(p.s));
	/* A rekey KEXINIT carries no pseudo-algorithms. */
	T_OK(kg_tr_rekey(p.s));
	T_ASSERT(kexinit_kex_has(&p.s->my_kexinit, "ext-info-s") == 0);
	T_ASSERT(kexinit_kex_has(&p.s->my_kexinit, "kex-strict-s-v00@openssh.com") == 0);
	T_ASSERT(rekey_done(&p));
	/* Only once. */
	T_OK(send_ext_info(p.c, 2, exts, 0));
	T_ASSERT(deliver(p.c, p.s) == KG_ERR_UNEXPECTED_MSG && kg_tr_is_closed(p.s));
	pair_free(&p);
	/* Not after another packet. */
	T_OK(pair_new(&p, "curve25519-sha256", "ssh-ed25519", KG_KEY_ED25519, 0, "chacha20-poly1305@openssh.com",
		      "hmac-sha2-256-etm@openssh.com", "none"));
	T_OK(roundtrip(p.c, p.s, 100));
	T_OK(send_ext_info(p.c, 2, exts, 0));
	T_ASSERT(deliver(p.c, p.s) == KG_ERR_UNEXPECTED_MSG && kg_tr_is_closed(p.s));
	pair_free(&p);
	/* Malformed: fewer pairs than counted, an odd string out, trailing
	 * bytes, an absurd count. */
	static const char *const one_name[] = { "a", NULL };
	struct { uint32_t n; const char *const *pairs; size_t extra; } bad[] = {
		{ 3, exts, 0 }, { 1, one_name, 0 }, { 2, exts, 3 }, { 0xffffffff, exts, 0 },
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(bad); i++) {
		T_OK(pair_new(&p, "curve25519-sha256", "ssh-ed25519", KG_KEY_ED25519, 0, "aes128-ctr",
			      "hmac-sha2-256-etm@openssh.com", "none"));
		T_OK(send_ext_info(p.c, bad[i].n, bad[i].pairs, bad[i].extra));
		T_ASSERT(deliver(p.c, p.s) == KG_ERR_PROTOCOL && kg_tr_is_closed(p.s));
		pair_free(&p);
	}
}

int main(void)
{
	T_RUN(test_every_kex);
	T_RUN(test_every_cipher_mac);
	T_RUN(test_hostkey_types);
	T_RUN(test_rekey_and_compression);
	T_RUN(test_no_common_algorithm);
	T_RUN(test_hostile_input);
	T_RUN(test_corrupt_after_kex);
	T_RUN(test_full_output_keeps_packets_whole);
	T_RUN(test_rekey_at_packet_limit);
	T_RUN(test_seq_wrap_is_fatal);
	T_RUN(test_rekey_limit_cap);
	T_RUN(test_ext_info_server);
	return T_DONE();
}
