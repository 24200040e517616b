/* Feeds the server's user authentication handler (src/core/svr-auth.c,
 * kg_svr_auth_handle) a sequence of messages over a transport that has
 * run a real key exchange (so it has a session id), with callbacks that
 * accept or refuse as the input's bits say.  Checks, beyond the
 * sanitizers: success only after a callback accepted that very method
 * (publickey: only the final check after a verified signature), the user
 * and method known after success, and every keyboard-interactive attempt
 * started is ended exactly once.
 *
 * Input: byte 0 the configuration (bit 0 publickey, 1 password, 2
 * keyboard-interactive, 3 a banner, bits 4..6 MaxAuthTries - 1), bytes
 * 1..2 the callbacks' decisions (one bit each in turn, cycling), then
 * messages: a kind byte, a 16-bit big-endian length, that many body bytes.
 * Kinds (low two bits): 0 SERVICE_REQUEST, 1 USERAUTH_REQUEST, 2
 * INFO_RESPONSE, each with the body as its payload; 3: the type is
 * kind >> 2, except 0xff, a publickey request the harness signs over the
 * real session id (body[0] bit 0: as user "bob", bit 1: a bad signature,
 * bit 2: the query without a signature) and 0xfb, the same with an
 * ecdsa key the callbacks never saw. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/auth.h"
#include "core/transport.h"

typedef struct fz {
	const uint8_t *bits;
	unsigned nbit;
	int approved;        /* which method a callback approved last: 0 none */
	int kbd_started, kbd_ended;
} fz;

enum { OK_PUBKEY = 1, OK_PASSWORD, OK_KBD };

static int bit(fz *f)
{
	unsigned i = f->nbit++ % 16;
	return (f->bits[i / 8] >> (i % 8)) & 1;
}

static int check_pubkey(void *arg, const char *user, const kg_key *key, int final)
{
	fz *f = arg;
	if (!user || !key)
		abort();
	int ok = bit(f);
	if (ok && final)
		f->approved = OK_PUBKEY;
	return ok ? KG_OK : KG_ERR_AUTH_FAILED;
}

static int check_password(void *arg, const char *user, const char *pw)
{
	fz *f = arg;
	if (!user || !pw)
		abort();
	if (!bit(f))
		return KG_ERR_AUTH_FAILED;
	f->approved = OK_PASSWORD;
	return KG_OK;
}

/* ask one or two prompts, succeed, or fail, as two bits say */
static int kbd_verdict(fz *f, kg_kbd_request *q)
{
	int v = bit(f) | bit(f) << 1;
	if (v == 2) {
		f->approved = OK_KBD;
		return KG_KBD_OK;
	}
	if (v == 3)
		return KG_ERR_AUTH_FAILED;
	if (kg_kbd_request_add(q, "Password: ", 0) < 0 || (v == 1 && kg_kbd_request_add(q, "Code: ", 1) < 0))
		abort();
	return KG_KBD_ASK;
}

static int kbd_start(void *arg, const char *user, const char *devices, kg_kbd_request *q)
{
	fz *f = arg;
	if (!user || !devices)
		abort();
	f->kbd_started++;
	return kbd_verdict(f, q);
}

static int kbd_answer(void *arg, const char *user, const kg_kbd_response *r, kg_kbd_request *q)
{
	fz *f = arg;
	if (!user || !r)
		abort();
	return kbd_verdict(f, q);
}

static void kbd_end(void *arg)
{
	((fz *)arg)->kbd_ended++;
}

static int accept_any(void *arg, const kg_key *key, const kg_kex_result *kex)
{
	(void)arg, (void)key, (void)kex;
	return KG_OK;
}

/* Moves bytes both ways until the key exchange is done on both sides. */
static int handshake(kg_transport *c, kg_transport *s)
{
	for (int round = 0; round < 100; round++) {
		kg_transport *ends[2][2] = { { c, s }, { s, c } };
		for (int i = 0; i < 2; i++) {
			size_t n;
			const uint8_t *o = kg_tr_output(ends[i][0], &n);
			if (n && kg_tr_input(ends[i][1], o, n) < 0)
				return -1;
			kg_tr_output_consume(ends[i][0], n);
			const uint8_t *p;
			size_t len;
			int r = kg_tr_read_packet(ends[i][1], &p, &len);
			if (r > 0 || (r < 0 && r != KG_ERR_AGAIN))
				return -1;
		}
		if (kg_tr_ready(c) && kg_tr_ready(s))
			return 0;
	}
	return -1;
}

typedef struct keys {
	kg_key *host, *user, *stranger;
	uint8_t *blob, *sblob;
	size_t blob_len, sblob_len;
} keys;

static const keys *the_keys(void)
{
	static keys k;
	if (k.host)
		return &k;
	kg_buf b;
	kg_buf_init(&b, 0);
	if (kg_key_generate(KG_KEY_ED25519, 0, &k.host) < 0 || kg_key_generate(KG_KEY_ED25519, 0, &k.user) < 0 ||
	    kg_key_generate(KG_KEY_ECDSA_P256, 256, &k.stranger) < 0 || kg_key_to_blob(k.user, &b) < 0)
		abort();
	k.blob_len = kg_buf_len(&b);
	k.blob = malloc(k.blob_len);
	memcpy(k.blob, kg_buf_ptr(&b), k.blob_len);
	kg_buf_reset(&b);
	if (kg_key_to_blob(k.stranger, &b) < 0)
		abort();
	k.sblob_len = kg_buf_len(&b);
	k.sblob = malloc(k.sblob_len);
	memcpy(k.sblob, kg_buf_ptr(&b), k.sblob_len);
	kg_buf_free(&b);
	return &k;
}

/* A publickey USERAUTH_REQUEST (type byte first) signed over t's session
 * id, as a client builds it. */
static int signed_request(kg_transport *t, const keys *k, int stranger, uint8_t how, kg_buf *m)
{
	const char *user = how & 1 ? "bob" : "alice";
	const char *alg = stranger ? "ecdsa-sha2-nistp256" : "ssh-ed25519";
	const kg_key *key = stranger ? k->stranger : k->user;
	const uint8_t *blob = stranger ? k->sblob : k->blob;
	size_t blob_len = stranger ? k->sblob_len : k->blob_len, sid_len;
	int query = (how & 4) != 0;
	GUARD(kg_buf_put_u8(m, SSH_MSG_USERAUTH_REQUEST));
	GUARD(kg_buf_put_cstring(m, user));
	GUARD(kg_buf_put_cstring(m, KG_AUTH_SERVICE));
	GUARD(kg_buf_put_cstring(m, "publickey"));
	GUARD(kg_buf_put_bool(m, !query));
	GUARD(kg_buf_put_cstring(m, alg));
	GUARD(kg_buf_put_string(m, blob, blob_len));
	if (query)
		return KG_OK;
	const uint8_t *sid = kg_tr_session_id(t, &sid_len);
	kg_buf data, sig;
	kg_buf_init(&data, 0);
	kg_buf_init(&sig, 0);
	int r = kg_auth_pubkey_signed_data(sid, sid_len, user, KG_AUTH_SERVICE, alg, blob, blob_len, &data);
	if (r >= 0)
		r = kg_key_sign(key, alg, kg_buf_ptr(&data), kg_buf_len(&data), &sig);
	if (r >= 0 && (how & 2))
		kg_buf_mutable_ptr(&sig)[kg_buf_len(&sig) - 1] ^= 1;
	if (r >= 0)
		r = kg_buf_put_string(m, kg_buf_ptr(&sig), kg_buf_len(&sig));
	kg_buf_free(&data);
	kg_buf_free(&sig);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3 || size > 200000)
		return 0;
	const keys *k = the_keys();
	kg_key *hks[1] = { k->host };
	kg_tr_config cc = { .kex_algs = "curve25519-sha256", .hostkey_algs = "ssh-ed25519",
			    .ciphers = "aes128-ctr", .macs = "hmac-sha2-256", .compression = "none",
			    .verify_hostkey = accept_any };
	kg_tr_config sc = cc;
	sc.is_server = 1;
	sc.hostkeys = hks;
	sc.n_hostkeys = 1;
	sc.server_sig_algs = "ssh-ed25519,ecdsa-sha2-nistp256";
	sc.verify_hostkey = NULL;
	kg_transport *c = NULL, *s = NULL;
	if (kg_tr_new(&c, &cc) < 0 || kg_tr_new(&s, &sc) < 0 || handshake(c, s) < 0)
		abort();
	fz f = { .bits = data + 1 };
	static const char banner[] = "Authorized uses only.\n";
	kg_svr_auth_config ac = {
		.allow_pubkey = data[0] & 1, .allow_password = (data[0] >> 1) & 1, .allow_kbd = (data[0] >> 2) & 1,
		.banner = banner, .banner_len = data[0] & 8 ? sizeof(banner) - 1 : 0,
		.max_tries = 1 + ((data[0] >> 4) & 7),
		.pubkey_algs = "ssh-ed25519,ecdsa-sha2-nistp256",
		.check_pubkey = check_pubkey, .check_password = check_password,
		.kbd_start = kbd_start, .kbd_answer = kbd_answer, .kbd_end = kbd_end, .cb_arg = &f,
	};
	kg_svr_auth *a;
	if (kg_svr_auth_new(&a, &ac, s) < 0)
		abort();
	kg_buf m;
	kg_buf_init(&m, 0);
	size_t off = 3;
	int r = 0;
	while (r == 0 && off + 3 <= size) {
		uint8_t kind = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		const uint8_t *body = data + off;
		off += len;
		kg_buf_reset(&m);
		if (kind == 0xff || kind == 0xfb) {
			if (signed_request(s, k, kind == 0xfb, len ? body[0] : 0, &m) < 0)
				abort();
		} else {
			static const uint8_t types[3] = { SSH_MSG_SERVICE_REQUEST, SSH_MSG_USERAUTH_REQUEST,
							  SSH_MSG_USERAUTH_INFO_RESPONSE };
			uint8_t type = (kind & 3) == 3 ? (uint8_t)(kind >> 2) : types[kind & 3];
			if (kg_buf_put_u8(&m, type) < 0 || kg_buf_put(&m, body, len) < 0)
				abort();
		}
		f.approved = 0;
		r = kg_svr_auth_handle(a, kg_buf_ptr(&m)[0], kg_buf_ptr(&m), kg_buf_len(&m));
		if (r == 1) {
			/* Success only for what a callback has just approved. */
			const char *meth = kg_svr_auth_method(a);
			static const char *const names[] = { "", "publickey", "password", "keyboard-interactive" };
			if (!kg_svr_auth_user(a) || !meth || f.approved == 0 || strcmp(meth, names[f.approved]) != 0)
				abort();
		} else if (r > 1) {
			abort();
		}
		/* What the server sent goes nowhere; it must not pile up. */
		size_t n;
		(void)kg_tr_output(s, &n);
		kg_tr_output_consume(s, n);
	}
	kg_buf_free(&m);
	kg_svr_auth_free(a);
	if (f.kbd_started != f.kbd_ended)
		abort();
	kg_tr_free(c);
	kg_tr_free(s);
	return 0;
}
