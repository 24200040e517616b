/* Feeds kg_tr_import corrupt transport blobs: the input itself (byte 0 even)
 * or a valid server blob with byte edits and a cut the input chooses (byte 0
 * odd).  A blob that is taken gets the rest of the input as packets, sends,
 * and starts a re-exchange, so the imported state is exercised too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/transport.h"

static struct {
	kg_key *priv, *pub;
	kg_key *pubs[1];
	uint8_t *blob;
	size_t len;
} g;

static int accept_any(void *arg, const kg_key *key, const kg_kex_result *kex)
{
	(void)arg;
	(void)key;
	(void)kex;
	return KG_OK;
}

static int sign_cb(void *arg, const kg_key *hostkey, const char *alg, const uint8_t *data, size_t len,
		   kg_buf *sig)
{
	(void)arg;
	(void)hostkey;
	return kg_key_sign(g.priv, alg, data, len, sig);
}

static kg_tr_config config(int server)
{
	kg_tr_config c = {
		.is_server = server, .kex_algs = "curve25519-sha256", .hostkey_algs = "ssh-ed25519",
		.ciphers = "aes128-ctr,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com",
		.macs = "hmac-sha2-256", .compression = "zlib@openssh.com,none",
		.hostkeys = g.pubs, .n_hostkeys = 1, .sign_hostkey = sign_cb, .verify_hostkey = accept_any,
	};
	return c;
}

/* Moves a's output into b; 0 when there was none. */
static int move(kg_transport *a, kg_transport *b, size_t keep)
{
	size_t n;
	const uint8_t *o = kg_tr_output(a, &n);
	if (n <= keep)
		return 0;
	if (kg_tr_input(b, o, n - keep) < 0)
		abort();
	kg_tr_output_consume(a, n - keep);
	return 1;
}

static void drain(kg_transport *t)
{
	const uint8_t *m;
	size_t n;
	int r;
	while ((r = kg_tr_read_packet(t, &m, &n)) > 0)
		;
	if (r != KG_ERR_AGAIN)
		abort();
}

/* A server after its key exchange, two client packets and part of a third
 * in its input, exported. */
static void make_blob(void)
{
	if (kg_key_generate(KG_KEY_ED25519, 0, &g.priv) < 0 || kg_key_public_copy(g.priv, &g.pub) < 0)
		abort();
	g.pubs[0] = g.pub;
	kg_tr_config cc = config(0), sc = config(1);
	kg_transport *c, *s;
	if (kg_tr_new(&c, &cc) < 0 || kg_tr_new(&s, &sc) < 0)
		abort();
	for (int i = 0; i < 50 && (move(c, s, 0) | move(s, c, 0)); i++) {
		drain(c);
		drain(s);
	}
	if (!kg_tr_ready(c) || !kg_tr_ready(s))
		abort();
	const uint8_t msg[64] = { 94, 0, 0, 0, 1 };
	for (int i = 0; i < 3; i++)
		if (kg_tr_send(c, msg, sizeof(msg)) < 0)
			abort();
	move(c, s, 40);
	kg_buf b;
	kg_buf_init(&b, KG_TR_EXPORT_MAX);
	if (kg_tr_export(s, &b) < 0)
		abort();
	g.len = kg_buf_len(&b);
	g.blob = malloc(g.len);
	if (g.blob == NULL)
		abort();
	memcpy(g.blob, kg_buf_ptr(&b), g.len);
	kg_buf_free(&b);
	kg_tr_free(c);
	kg_tr_free(s);
	/* The untouched blob must be taken. */
	kg_transport *t;
	if (kg_tr_import(&t, &sc, g.blob, g.len) < 0)
		abort();
	kg_tr_free(t);
}

static void use(kg_transport *t, const uint8_t *data, size_t size)
{
	const uint8_t *m;
	size_t n;
	int r;
	for (int i = 0; i < 8 && (r = kg_tr_read_packet(t, &m, &n)) > 0; i++)
		if (n == 0 || m[0] != (uint8_t)r)
			abort();
	if (size > 0 && kg_tr_input(t, data, size) == KG_OK)
		for (int i = 0; i < 8 && (r = kg_tr_read_packet(t, &m, &n)) > 0; i++)
			if (n == 0 || m[0] != (uint8_t)r)
				abort();
	const uint8_t msg[3] = { 94, 1, 2 };
	if (kg_tr_send(t, msg, sizeof(msg)) == KG_OK && kg_tr_rekey(t) == KG_OK)
		kg_tr_output_consume(t, kg_tr_output_pending(t));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (g.blob == NULL)
		make_blob();
	if (size == 0 || size > 300000)
		return 0;
	kg_tr_config sc = config(1);
	const uint8_t *blob = data + 1, *rest = NULL;
	size_t len = size - 1, rest_len = 0;
	uint8_t *copy = NULL;
	if (data[0] & 1) {
		/* [u16 cut][u8 n edits][n x (u16 offset, u8 xor)][packets...] */
		copy = malloc(g.len);
		if (copy == NULL)
			abort();
		memcpy(copy, g.blob, g.len);
		len = g.len;
		size_t i = 1;
		if (i + 3 <= size) {
			size_t cut = ((size_t)data[i] << 8 | data[i + 1]);
			if (cut < len)
				len = cut;
			size_t edits = data[i + 2];
			i += 3;
			for (; edits > 0 && i + 3 <= size; edits--, i += 3)
				copy[((size_t)data[i] << 8 | data[i + 1]) % g.len] ^= data[i + 2];
		}
		blob = copy;
		rest = data + i;
		rest_len = size - i;
	}
	kg_transport *t;
	if (kg_tr_import(&t, &sc, blob, len) == KG_OK) {
		use(t, rest, rest_len);
		kg_tr_free(t);
	}
	free(copy);
	return 0;
}
