/* Handing a transport to another process: src/core/transport-export.c and the
 * cipher state export in src/core/cipher.c, src/core/cipher-aesctr.c, and the
 * host key signing callback in src/core/transport-kex.c.  For each cipher a
 * server is exported mid-stream with client packets (one half-read) already
 * in its input, imported into a new transport, and both sides go on, rekey
 * with only public host keys, and go on again; compression starts after the
 * handover; states that cannot be exported and corrupt blobs are refused. */
#include "t.h"
#include "core/cipher.h"
#include "core/transport.h"
#include "core/transport-impl.h"

#include "tr_pair.h"

/* The "monitor": holds the private host key, signs for the transport. */
typedef struct signer {
	kg_key *priv;
	int calls;
} signer;

static int sign_cb(void *arg, const kg_key *hostkey, const char *alg, const uint8_t *data, size_t len,
		   kg_buf *sig)
{
	signer *s = arg;
	if (!kg_key_equal_public(hostkey, s->priv) || hostkey->has_private)
		return KG_ERR_ARG;  /* the transport must only hold the public half */
	s->calls++;
	return kg_key_sign(s->priv, alg, data, len, sig);
}

typedef struct xpair {
	pair p;            /* p.hostkey: the private key, p.hostkeys[0]: its public copy */
	signer sg;
	kg_key *pub;
} xpair;

static kg_tr_config server_cfg(xpair *x, const kg_tr_config *base)
{
	kg_tr_config s = *base;
	s.is_server = 1;
	s.hostkeys = x->p.hostkeys;
	s.n_hostkeys = 1;
	s.server_sig_algs = "ssh-ed25519,rsa-sha2-512";
	s.sign_hostkey = sign_cb;
	s.cb_arg = &x->sg;
	return s;
}

static int xpair_new(xpair *x, const char *cipher, const char *mac, const char *comp)
{
	memset(x, 0, sizeof(*x));
	int r = kg_key_generate(KG_KEY_ED25519, 0, &x->p.hostkey);
	if (r < 0 || (r = kg_key_public_copy(x->p.hostkey, &x->pub)) < 0)
		return r;
	x->sg.priv = x->p.hostkey;
	x->p.hostkeys[0] = x->pub;
	kg_tr_config base = { .kex_algs = "curve25519-sha256", .hostkey_algs = "ssh-ed25519", .ciphers = cipher,
			      .macs = mac, .compression = comp, .cb_arg = &x->p };
	x->p.cc = base;
	x->p.cc.verify_hostkey = accept_key;
	x->p.sc = server_cfg(x, &base);
	if ((r = kg_tr_new(&x->p.c, &x->p.cc)) < 0 || (r = kg_tr_new(&x->p.s, &x->p.sc)) < 0)
		return r;
	const uint8_t *m;
	size_t n;
	return pump(x->p.c, x->p.s, &m, &n, NULL);
}

static void xpair_free(xpair *x)
{
	pair_free(&x->p);
	kg_key_free(x->pub);
}

static void fill(uint8_t *buf, size_t size, uint8_t type, unsigned seed)
{
	buf[0] = type;
	for (size_t i = 1; i < size; i++)
		buf[i] = (uint8_t)(i * 7 + seed);
}

static int roundtrip(kg_transport *from, kg_transport *to, size_t size, unsigned seed)
{
	uint8_t *buf = malloc(size);
	fill(buf, size, SSH_MSG_CHANNEL_DATA, seed);
	int r = kg_tr_send(from, buf, size);
	const uint8_t *m = NULL;
	size_t n = 0;
	if (r >= 0)
		r = pump(from, to, &m, &n, to);
	int ok = r == SSH_MSG_CHANNEL_DATA && n == size && memcmp(m, buf, size) == 0;
	free(buf);
	return ok ? 0 : (r < 0 ? r : -1);
}

/* Reads the next message from t (no new input) and checks it. */
static int expect(kg_transport *t, size_t size, unsigned seed)
{
	const uint8_t *m;
	size_t n;
	int r = kg_tr_read_packet(t, &m, &n);
	if (r < 0)
		return r;
	uint8_t *buf = malloc(size);
	fill(buf, size, SSH_MSG_CHANNEL_DATA, seed);
	int ok = r == SSH_MSG_CHANNEL_DATA && n == size && memcmp(m, buf, size) == 0;
	free(buf);
	return ok ? 0 : -1;
}

/* Moves a's output to b's input without reading anything. */
static void move(kg_transport *a, kg_transport *b, size_t keep)
{
	size_t n;
	const uint8_t *o = kg_tr_output(a, &n);
	if (n > keep && kg_tr_input(b, o, n - keep) == KG_OK)
		kg_tr_output_consume(a, n - keep);
}

/* Moves bytes until both sides are idle (a re-exchange finished). */
static int settle(xpair *x)
{
	const uint8_t *m;
	size_t n;
	return pump(x->p.c, x->p.s, &m, &n, NULL);
}

/* Replaces x->p.s by its exported-then-imported self (cfg: a fresh copy). */
static int handover(xpair *x)
{
	kg_buf blob;
	kg_buf_init(&blob, KG_TR_EXPORT_MAX);
	int r = kg_tr_export(x->p.s, &blob);
	if (r < 0) {
		kg_buf_free(&blob);
		return r;
	}
	kg_tr_free(x->p.s);
	x->p.s = NULL;
	kg_tr_config base = x->p.sc;
	x->p.sc = server_cfg(x, &base);
	r = kg_tr_import(&x->p.s, &x->p.sc, kg_buf_ptr(&blob), kg_buf_len(&blob));
	kg_buf_free(&blob);  /* wipes the keys */
	return r;
}

struct combo { const char *cipher, *mac; };
static const struct combo combos[] = {
	{ "aes128-ctr", "hmac-sha2-256" },
	{ "aes128-ctr", "hmac-sha2-256-etm@openssh.com" },
	{ "aes256-ctr", "hmac-sha2-512" },
	{ "aes256-gcm@openssh.com", "hmac-sha2-256" },
	{ "chacha20-poly1305@openssh.com", "hmac-sha2-256" },
};

/* peeked: the server already learnt the length of the half-arrived packet. */
static void run_handover(const struct combo *c, int peeked)
{
	xpair x;
	T_OK(xpair_new(&x, c->cipher, c->mac, "none"));
	T_ASSERT(kg_tr_ready(x.p.c) && kg_tr_ready(x.p.s) && x.sg.calls == 1);
	T_ASSERT(strcmp(kg_tr_kex_result(x.p.c)->cipher_c2s, c->cipher) == 0);
	for (unsigned i = 0; i < 5; i++) {
		T_OK(roundtrip(x.p.c, x.p.s, 100 + i * 977, i));
		T_OK(roundtrip(x.p.s, x.p.c, 3000 + i, i));
	}
	/* The client pipelines four packets; the server gets three and a half. */
	for (unsigned i = 0; i < 4; i++) {
		uint8_t buf[700];
		fill(buf, sizeof(buf) - i * 50, SSH_MSG_CHANNEL_DATA, 40 + i);
		T_OK(kg_tr_send(x.p.c, buf, sizeof(buf) - i * 50));
	}
	move(x.p.c, x.p.s, 300);
	T_OK(expect(x.p.s, 700, 40));
	if (peeked) {
		T_OK(expect(x.p.s, 650, 41));
		T_OK(expect(x.p.s, 600, 42));
		const uint8_t *m;
		size_t n;
		T_ASSERT(kg_tr_read_packet(x.p.s, &m, &n) == KG_ERR_AGAIN);
		T_ASSERT(x.p.s->rx_have_len);
	}
	uint8_t sid[64];
	size_t sidlen;
	memcpy(sid, kg_tr_session_id(x.p.s, &sidlen), sizeof(sid));
	uint64_t sent0, recv0;
	kg_tr_counters(x.p.s, &sent0, &recv0);

	T_OK(handover(&x));

	const kg_kex_result *res = kg_tr_kex_result(x.p.s);
	size_t l = 0;
	const uint8_t *sid2 = kg_tr_session_id(x.p.s, &l);
	T_ASSERT(l == sidlen && memcmp(sid2, sid, l) == 0);
	T_ASSERT(strcmp(res->cipher_c2s, c->cipher) == 0 && strcmp(res->kex, "curve25519-sha256") == 0);
	T_ASSERT(res->count == 1 && res->strict_kex && res->hostkey == x.pub);
	T_ASSERT(strcmp(kg_tr_peer_version(x.p.s), KG_TR_VERSION) == 0);
	uint64_t sent1, recv1;
	kg_tr_counters(x.p.s, &sent1, &recv1);
	T_ASSERT(sent1 == sent0 && recv1 == recv0);
	if (!peeked) {
		T_OK(expect(x.p.s, 650, 41));
		T_OK(expect(x.p.s, 600, 42));
	}
	const uint8_t *m;
	size_t n;
	T_ASSERT(kg_tr_read_packet(x.p.s, &m, &n) == KG_ERR_AGAIN);
	move(x.p.c, x.p.s, 0);
	T_OK(expect(x.p.s, 550, 43));
	for (unsigned i = 0; i < 5; i++) {
		T_OK(roundtrip(x.p.s, x.p.c, 20000 + i, 60 + i));
		T_OK(roundtrip(x.p.c, x.p.s, 5 + i, 70 + i));
	}
	/* A re-exchange signed through the callback, from either side. */
	T_OK(kg_tr_rekey(x.p.s));
	T_OK(roundtrip(x.p.s, x.p.c, 1000, 80));
	T_OK(settle(&x));
	T_ASSERT(kg_tr_kex_result(x.p.c)->count == 2 && kg_tr_kex_result(x.p.s)->count == 2);
	T_ASSERT(x.sg.calls == 2 && x.p.verified);
	T_OK(kg_tr_rekey(x.p.c));
	T_OK(roundtrip(x.p.c, x.p.s, 1000, 81));
	T_OK(roundtrip(x.p.s, x.p.c, 70000, 82));
	T_OK(settle(&x));
	T_ASSERT(kg_tr_kex_result(x.p.s)->count == 3 && x.sg.calls == 3);
	T_ASSERT(memcmp(kg_tr_session_id(x.p.c, &l), sid, sidlen) == 0);
	/* And a second handover after the re-exchanges. */
	T_OK(handover(&x));
	T_OK(roundtrip(x.p.c, x.p.s, 333, 90));
	T_OK(roundtrip(x.p.s, x.p.c, 444, 91));
	xpair_free(&x);
}

static void test_handover_each_cipher(void)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(combos); i++) {
		run_handover(&combos[i], 0);
		if (t_failed_now) {
			fprintf(stderr, "  cipher %s mac %s\n", combos[i].cipher, combos[i].mac);
			return;
		}
	}
}

static void test_handover_length_peeked(void)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(combos); i++) {
		run_handover(&combos[i], 1);
		if (t_failed_now) {
			fprintf(stderr, "  cipher %s mac %s\n", combos[i].cipher, combos[i].mac);
			return;
		}
	}
}

/* zlib@openssh.com: USERAUTH_SUCCESS goes out, then the server hands over,
 * before (auth_first 0) or after (1) kg_tr_set_authenticated. */
static void run_zlib(int auth_first)
{
	xpair x;
	T_OK(xpair_new(&x, "aes256-gcm@openssh.com", "hmac-sha2-256", "zlib@openssh.com"));
	T_ASSERT(strcmp(kg_tr_kex_result(x.p.s)->comp_s2c, "zlib@openssh.com") == 0);
	const uint8_t ok = SSH_MSG_USERAUTH_SUCCESS;
	T_OK(kg_tr_send(x.p.s, &ok, 1));
	if (auth_first)
		T_OK(kg_tr_set_authenticated(x.p.s));
	const uint8_t *m;
	size_t n;
	T_ASSERT(pump(x.p.s, x.p.c, &m, &n, x.p.c) == SSH_MSG_USERAUTH_SUCCESS);
	T_OK(kg_tr_set_authenticated(x.p.c));
	/* The client goes on at once: compressed packets wait in the input. */
	uint8_t big[30000];
	fill(big, sizeof(big), SSH_MSG_CHANNEL_DATA, 5);
	memset(big + 100, 'z', 20000);
	T_OK(kg_tr_send(x.p.c, big, sizeof(big)));
	move(x.p.c, x.p.s, 0);
	T_OK(handover(&x));
	if (!auth_first)
		T_OK(kg_tr_set_authenticated(x.p.s));
	T_ASSERT(kg_tr_read_packet(x.p.s, &m, &n) == SSH_MSG_CHANNEL_DATA && n == sizeof(big) &&
		 memcmp(m, big, n) == 0);
	uint64_t before = x.p.s->tx_bytes;
	T_OK(kg_tr_send(x.p.s, big, sizeof(big)));
	T_ASSERT(x.p.s->tx_bytes - before < 15000);  /* it was compressed */
	T_ASSERT(pump(x.p.s, x.p.c, &m, &n, x.p.c) == SSH_MSG_CHANNEL_DATA && n == sizeof(big) &&
		 memcmp(m, big, n) == 0);
	for (unsigned i = 0; i < 4; i++) {
		T_OK(roundtrip(x.p.c, x.p.s, 1000 + i * 3000, i));
		T_OK(roundtrip(x.p.s, x.p.c, 2000 + i * 3000, i));
	}
	T_OK(kg_tr_rekey(x.p.s));
	T_OK(roundtrip(x.p.s, x.p.c, 5000, 9));
	T_OK(roundtrip(x.p.c, x.p.s, 5000, 9));
	T_OK(settle(&x));
	T_ASSERT(kg_tr_kex_result(x.p.s)->count == 2 && x.sg.calls == 2);
	/* Compressed bytes have passed: the streams cannot be handed over. */
	kg_buf blob;
	kg_buf_init(&blob, KG_TR_EXPORT_MAX);
	T_ASSERT(kg_tr_export(x.p.s, &blob) == KG_ERR_STATE && kg_buf_len(&blob) == 0);
	kg_buf_free(&blob);
	xpair_free(&x);
}

static void test_zlib_after_handover(void)
{
	run_zlib(0);
}

static void test_zlib_started_before_handover(void)
{
	run_zlib(1);
}

static int try_export(kg_transport *t)
{
	kg_buf blob;
	kg_buf_init(&blob, KG_TR_EXPORT_MAX);
	int r = kg_tr_export(t, &blob);
	if (r < 0 && kg_buf_len(&blob) != 0)
		r = -9999;  /* a refused export must leave nothing behind */
	kg_buf_free(&blob);
	return r;
}

static void test_refused_states(void)
{
	xpair x;
	memset(&x, 0, sizeof(x));
	/* Before the first key exchange (identification queued, KEXINIT sent). */
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &x.p.hostkey));
	kg_tr_config c = { .kex_algs = "curve25519-sha256", .hostkey_algs = "ssh-ed25519", .ciphers = "aes128-ctr",
			   .macs = "hmac-sha2-256", .compression = "none" };
	kg_transport *t;
	T_OK(kg_tr_new(&t, &c));
	T_ASSERT(try_export(t) == KG_ERR_STATE);
	kg_tr_output_consume(t, kg_tr_output_pending(t));
	T_ASSERT(try_export(t) == KG_ERR_STATE);
	kg_tr_free(t);
	kg_key_free(x.p.hostkey);

	T_OK(xpair_new(&x, "chacha20-poly1305@openssh.com", "hmac-sha2-256", "none"));
	T_OK(try_export(x.p.s));
	/* Output not flushed. */
	const uint8_t msg[3] = { SSH_MSG_CHANNEL_DATA, 1, 2 };
	T_OK(kg_tr_send(x.p.s, msg, sizeof(msg)));
	T_ASSERT(try_export(x.p.s) == KG_ERR_STATE);
	move(x.p.s, x.p.c, 0);
	T_OK(try_export(x.p.s));
	/* A message half-built. */
	kg_buf *b;
	const kg_pkt_sink *sink = kg_tr_sink(x.p.s);
	T_OK(sink->begin(sink->arg, SSH_MSG_CHANNEL_DATA, &b));
	T_ASSERT(try_export(x.p.s) == KG_ERR_STATE);
	T_OK(sink->end(sink->arg));
	move(x.p.s, x.p.c, 0);
	/* A key exchange running, with a message held for after it. */
	T_OK(kg_tr_rekey(x.p.s));
	move(x.p.s, x.p.c, 0);
	T_ASSERT(try_export(x.p.s) == KG_ERR_STATE);
	T_OK(kg_tr_send(x.p.s, msg, sizeof(msg)));
	T_ASSERT(kg_buf_len(&x.p.s->held) > 0);
	T_ASSERT(try_export(x.p.s) == KG_ERR_STATE);
	const uint8_t *m;
	size_t n;
	/* The two sent before the exchange, then the held one. */
	for (int i = 0; i < 3; i++)
		T_ASSERT(pump(x.p.s, x.p.c, &m, &n, x.p.c) == SSH_MSG_CHANNEL_DATA);
	T_ASSERT(n == sizeof(msg) && memcmp(m, msg, n) == 0);
	T_OK(settle(&x));
	T_ASSERT(kg_tr_kex_result(x.p.s)->count == 2);
	T_OK(try_export(x.p.s));
	/* Closed. */
	kg_tr_disconnect(x.p.s, SSH_DISCONNECT_BY_APPLICATION, "bye");
	T_ASSERT(try_export(x.p.s) == KG_ERR_STATE);
	xpair_free(&x);
}

/* The client's side hands over the same way: host key, its signature over
 * the session id, server-sig-algs; a re-exchange still checks the key. */
static void test_client_handover(void)
{
	xpair x;
	T_OK(xpair_new(&x, "aes128-ctr", "hmac-sha2-256-etm@openssh.com", "none"));
	size_t siglen, l;
	const uint8_t *sig0 = kg_tr_session_sig(x.p.c, &siglen);
	uint8_t sig[1024];
	T_ASSERT(sig0 != NULL && siglen > 0 && siglen <= sizeof(sig));
	memcpy(sig, sig0, siglen);
	const uint8_t msg[100] = { SSH_MSG_CHANNEL_DATA };
	T_OK(kg_tr_send(x.p.s, msg, sizeof(msg)));
	move(x.p.s, x.p.c, 0);
	kg_buf blob;
	kg_buf_init(&blob, KG_TR_EXPORT_MAX);
	T_OK(kg_tr_export(x.p.c, &blob));
	kg_tr_free(x.p.c);
	x.p.c = NULL;
	/* The client's blob is not a server's. */
	T_ASSERT(kg_tr_import(&x.p.c, &x.p.sc, kg_buf_ptr(&blob), kg_buf_len(&blob)) == KG_ERR_ARG);
	T_OK(kg_tr_import(&x.p.c, &x.p.cc, kg_buf_ptr(&blob), kg_buf_len(&blob)));
	kg_buf_free(&blob);
	const uint8_t *sig1 = kg_tr_session_sig(x.p.c, &l);
	T_ASSERT(l == siglen && memcmp(sig1, sig, l) == 0);
	T_ASSERT(strcmp(kg_tr_server_sig_algs(x.p.c), "ssh-ed25519,rsa-sha2-512") == 0);
	T_ASSERT(kg_key_equal_public(kg_tr_kex_result(x.p.c)->hostkey, x.pub));
	const uint8_t *m;
	size_t n;
	T_ASSERT(kg_tr_read_packet(x.p.c, &m, &n) == SSH_MSG_CHANNEL_DATA && n == sizeof(msg));
	x.p.verified = 0;
	T_OK(kg_tr_rekey(x.p.c));
	T_OK(roundtrip(x.p.c, x.p.s, 2000, 3));
	T_OK(settle(&x));
	T_ASSERT(kg_tr_kex_result(x.p.c)->count == 2 && x.sg.calls == 2);
	T_ASSERT(!x.p.verified);  /* asked only at the first exchange */
	T_OK(roundtrip(x.p.s, x.p.c, 2000, 4));
	xpair_free(&x);
}

/* Without the callback a transport with only the public key cannot sign. */
static void test_public_hostkey_needs_callback(void)
{
	xpair x;
	memset(&x, 0, sizeof(x));
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &x.p.hostkey));
	T_OK(kg_key_public_copy(x.p.hostkey, &x.pub));
	x.p.hostkeys[0] = x.pub;
	kg_tr_config base = { .kex_algs = "curve25519-sha256", .hostkey_algs = "ssh-ed25519",
			      .ciphers = "aes128-ctr", .macs = "hmac-sha2-256", .compression = "none",
			      .verify_hostkey = accept_key, .cb_arg = &x.p };
	x.p.cc = base;
	x.p.sc = server_cfg(&x, &base);
	x.p.sc.sign_hostkey = NULL;
	T_OK(kg_tr_new(&x.p.c, &x.p.cc));
	T_OK(kg_tr_new(&x.p.s, &x.p.sc));
	const uint8_t *m;
	size_t n;
	T_ASSERT(pump(x.p.c, x.p.s, &m, &n, NULL) < 0 && !kg_tr_ready(x.p.c));
	xpair_free(&x);
}

/* A valid blob of a server with pending input, for the corruption tests. */
static int make_blob(xpair *x, kg_buf *blob, const char *cipher, const char *mac)
{
	int r = xpair_new(x, cipher, mac, "zlib@openssh.com");
	if (r < 0)
		return r;
	const uint8_t msg[40] = { SSH_MSG_CHANNEL_DATA };
	if ((r = kg_tr_send(x->p.c, msg, sizeof(msg))) < 0 || (r = kg_tr_send(x->p.c, msg, sizeof(msg))) < 0)
		return r;
	move(x->p.c, x->p.s, 20);
	kg_buf_init(blob, KG_TR_EXPORT_MAX);
	return kg_tr_export(x->p.s, blob);
}

/* Imports and, when that works, uses the transport a little: must never crash. */
static int import_and_use(xpair *x, const uint8_t *blob, size_t len)
{
	kg_transport *t;
	int r = kg_tr_import(&t, &x->p.sc, blob, len);
	if (r < 0)
		return r;
	const uint8_t *m;
	size_t n;
	for (int i = 0; i < 3 && kg_tr_read_packet(t, &m, &n) > 0; i++)
		;
	const uint8_t msg[3] = { SSH_MSG_CHANNEL_DATA, 1, 2 };
	if (kg_tr_send(t, msg, sizeof(msg)) == KG_OK && kg_tr_rekey(t) == KG_OK)
		kg_tr_output_consume(t, kg_tr_output_pending(t));
	kg_tr_free(t);
	return KG_OK;
}

static void test_corrupt_blobs(void)
{
	const struct combo cs[] = { { "aes128-ctr", "hmac-sha2-256" }, { "aes256-gcm@openssh.com", "hmac-sha2-256" } };
	for (size_t k = 0; k < KG_ARRAY_LEN(cs); k++) {
		xpair x;
		kg_buf blob;
		T_OK(make_blob(&x, &blob, cs[k].cipher, cs[k].mac));
		const uint8_t *p = kg_buf_ptr(&blob);
		size_t len = kg_buf_len(&blob);
		T_OK(import_and_use(&x, p, len));
		/* Every truncation is refused. */
		for (size_t cut = 0; cut < len; cut++)
			T_ASSERT(import_and_use(&x, p, cut) < 0);
		/* A byte more is refused. */
		uint8_t *copy = malloc(len + 1);
		memcpy(copy, p, len);
		copy[len] = 0;
		T_ASSERT(import_and_use(&x, copy, len + 1) < 0);
		/* Every byte changed: refused or, if it is a key or a counter,
		 * taken, but never a crash (ASan and valgrind runs check). */
		int refused = 0;
		for (size_t i = 0; i < len; i++) {
			for (unsigned v = 0; v < 3; v++) {
				const uint8_t flip[3] = { 0x01, 0x80, 0xff };
				copy[i] ^= flip[v];
				refused += import_and_use(&x, copy, len) < 0;
				copy[i] ^= flip[v];
			}
		}
		T_ASSERT(refused > 0);
		/* The server's blob is not a client's. */
		kg_transport *t;
		T_ASSERT(kg_tr_import(&t, &x.p.cc, p, len) == KG_ERR_ARG);
		free(copy);
		kg_buf_free(&blob);
		xpair_free(&x);
	}
}

/* One direction's state alone, including the CTR counter's position. */
static void test_pktcrypt_export(void)
{
	const struct combo cs[] = {
		{ "aes128-ctr", "hmac-sha2-256" }, { "aes192-ctr", "hmac-sha2-512-etm@openssh.com" },
		{ "aes128-gcm@openssh.com", NULL }, { "chacha20-poly1305@openssh.com", NULL },
	};
	uint8_t key[64], iv[16], mk[64];
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 3 + 1), mk[i] = (uint8_t)(i * 5 + 2);
	memset(iv, 0xff, sizeof(iv));  /* the counter carries across all 128 bits */
	iv[0] = 0x12;
	for (size_t k = 0; k < KG_ARRAY_LEN(cs); k++) {
		const kg_cipher_alg *ca = kg_cipher_find(cs[k].cipher);
		const kg_mac_alg *ma = kg_cipher_is_aead(ca) ? NULL : kg_mac_find(cs[k].mac);
		kg_pktcrypt *enc, *dec, *enc2;
		T_OK(kg_pktcrypt_new(&enc, ca, ma, key, iv, mk, 1));
		T_OK(kg_pktcrypt_new(&dec, ca, ma, key, iv, mk, 0));
		uint8_t pkt[200];
		size_t tag = kg_pktcrypt_tag_len(enc);
		for (uint32_t seq = 0; seq < 6; seq++) {
			if (seq == 3) {
				kg_buf b;
				kg_buf_init(&b, 4096);
				T_OK(kg_pktcrypt_export(enc, &b));
				/* Wrong direction or algorithm: refused. */
				kg_buf v;
				kg_buf_view(&v, kg_buf_ptr(&b), kg_buf_len(&b));
				T_ASSERT(kg_pktcrypt_import(&enc2, ca, ma, 0, &v) == KG_ERR_FORMAT);
				kg_buf_view(&v, kg_buf_ptr(&b), kg_buf_len(&b));
				T_ASSERT(kg_pktcrypt_import(&enc2, kg_cipher_find("aes256-ctr"),
							    kg_mac_find("hmac-sha2-256"), 1, &v) == KG_ERR_FORMAT);
				T_OK(kg_pktcrypt_import(&enc2, ca, ma, 1, &b));
				T_ASSERT(kg_buf_len(&b) == 0);
				kg_buf_free(&b);
				kg_pktcrypt_free(enc);
				enc = enc2;
			}
			size_t aad = kg_pktcrypt_aad_len(enc), bs = kg_pktcrypt_block_size(enc);
			size_t pktlen = 4 + 1 + 50 + 4;
			pktlen += bs - ((pktlen - aad) % bs);
			for (size_t i = 0; i < pktlen; i++)
				pkt[i] = (uint8_t)(i + seq);
			kg_poke_u32(pkt, (uint32_t)(pktlen - 4));
			uint8_t want[200];
			memcpy(want, pkt, pktlen);
			T_OK(kg_pktcrypt_seal(enc, seq, pkt, pktlen));
			uint32_t plen;
			T_OK(kg_pktcrypt_peek_length(dec, seq, pkt, &plen));
			T_ASSERT(plen == pktlen - 4);
			T_OK(kg_pktcrypt_open(dec, seq, pkt, pktlen));
			T_ASSERT(memcmp(pkt, want, pktlen) == 0 && tag <= 16 + 64);
		}
		/* A CTR stream stopped inside a block has no exportable position. */
		if (ma != NULL && !kg_mac_is_etm(ma)) {
			memset(pkt, 0, sizeof(pkt));
			T_OK(kg_pktcrypt_seal(enc, 9, pkt, 20));
			kg_buf b;
			kg_buf_init(&b, 4096);
			T_ASSERT(kg_pktcrypt_export(enc, &b) == KG_ERR_STATE && kg_buf_len(&b) == 0);
			kg_buf_free(&b);
		}
		kg_pktcrypt_free(enc);
		kg_pktcrypt_free(dec);
	}
}

int main(void)
{
	T_RUN(test_pktcrypt_export);
	T_RUN(test_handover_each_cipher);
	T_RUN(test_handover_length_peeked);
	T_RUN(test_zlib_after_handover);
	T_RUN(test_zlib_started_before_handover);
	T_RUN(test_refused_states);
	T_RUN(test_client_handover);
	T_RUN(test_public_hostkey_needs_callback);
	T_RUN(test_corrupt_blobs);
	return T_DONE();
}
