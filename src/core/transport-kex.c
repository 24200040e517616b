/* Key exchange in the transport: KEXINIT negotiation (RFC 4253 7.1), the
 * ECDH/DH message pair, the exchange hash and host key signature (RFC 4253
 * 8, RFC 5656 4), key derivation and NEWKEYS, strict KEX
 * (kex-strict-*-v00@openssh.com) and ext-info (RFC 8308). */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "core/names.h"
#include "core/transport-impl.h"

#define KEX_STRICT_C "kex-strict-c-v00@openssh.com"
#define KEX_STRICT_S "kex-strict-s-v00@openssh.com"
#define EXT_INFO_C "ext-info-c"
#define EXT_INFO_S "ext-info-s"

enum { N_KEX, N_HOSTKEY, N_ENC_CS, N_ENC_SC, N_MAC_CS, N_MAC_SC, N_COMP_CS, N_COMP_SC };

/* The ten name-lists of a KEXINIT, parsed. */
typedef struct kexinit_lists {
	char *l[10];
	int first_follows;
} kexinit_lists;

static void lists_free(kexinit_lists *k)
{
	for (size_t i = 0; i < 10; i++)
		free(k->l[i]);
	memset(k, 0, sizeof(*k));
}

static int parse_kexinit(const kg_buf *payload, kexinit_lists *k)
{
	kg_buf b;
	kg_buf_view(&b, kg_buf_ptr(payload), kg_buf_len(payload));
	memset(k, 0, sizeof(*k));
	int r;
	GUARD_GOTO(r, kg_buf_consume(&b, 1 + 16), out);  /* type, cookie */
	for (size_t i = 0; i < 10; i++) {
		size_t len;
		GUARD_GOTO(r, kg_buf_get_cstring(&b, &k->l[i], &len), out);
		ENSURE_GOTO(r, len <= 8192, KG_ERR_TOO_LARGE, out);
	}
	GUARD_GOTO(r, kg_buf_get_bool(&b, &k->first_follows), out);
	GUARD_GOTO(r, kg_buf_get_u32(&b, NULL), out);
	return KG_OK;
out:
	lists_free(k);
	return r;
}

void tr_kex_free(kg_transport *t)
{
	if (t->kex && t->kex_priv)
		kg_kex_state_free(t->kex_priv);
	t->kex_priv = NULL;
	for (size_t i = 0; i < KG_ARRAY_LEN(t->names); i++) {
		free(t->names[i]);
		t->names[i] = NULL;
	}
	kg_key_free(t->peer_hostkey);
	t->peer_hostkey = NULL;
	free(t->session_sig);
	t->session_sig = NULL;
	t->session_sig_len = 0;
}

/* Sends our KEXINIT (RFC 4253 7.1).  The pseudo-algorithms for strict KEX
 * and ext-info go only into the first one. */
int tr_kex_start(kg_transport *t)
{
	if (t->kex_state != TR_KEX_NONE)
		return KG_OK;
	const kg_tr_config *c = &t->cfg;
	kg_buf *b = &t->my_kexinit;
	kg_buf_reset(b);
	uint8_t *cookie;
	GUARD(kg_buf_put_u8(b, SSH_MSG_KEXINIT));
	GUARD(kg_buf_reserve(b, 16, &cookie));
	ENSURE(RAND_bytes(cookie, 16) == 1, KG_ERR_CRYPTO);
	kg_buf kexlist;
	kg_buf_init(&kexlist, 16384);
	int r = kg_buf_put(&kexlist, c->kex_algs, strlen(c->kex_algs));
	if (r >= 0 && t->kex_count == 0)
		r = kg_buf_putf(&kexlist, ",%s",
				t->is_server ? KEX_STRICT_S "," EXT_INFO_S : KEX_STRICT_C "," EXT_INFO_C);
	if (r >= 0)
		r = kg_buf_put_stringb(b, &kexlist);
	kg_buf_free(&kexlist);
	GUARD(r);
	GUARD(kg_buf_put_cstring(b, c->hostkey_algs));
	GUARD(kg_buf_put_cstring(b, c->ciphers));
	GUARD(kg_buf_put_cstring(b, c->ciphers));
	GUARD(kg_buf_put_cstring(b, c->macs));
	GUARD(kg_buf_put_cstring(b, c->macs));
	GUARD(kg_buf_put_cstring(b, c->compression));
	GUARD(kg_buf_put_cstring(b, c->compression));
	GUARD(kg_buf_put_cstring(b, ""));
	GUARD(kg_buf_put_cstring(b, ""));
	GUARD(kg_buf_put_bool(b, 0));
	GUARD(kg_buf_put_u32(b, 0));
	t->kex_state = TR_KEX_INIT_SENT;
	t->our_newkeys_sent = 0;
	t->their_newkeys_seen = 0;
	return tr_send_raw(t, kg_buf_ptr(b), kg_buf_len(b));
}

static int choose(const char *client, const char *server, int err, char **out)
{
	int r = kg_namelist_choose(client, server, out);
	return r == KG_ERR_NOT_FOUND ? err : r;
}

static int first_name_is(const char *list, const char *name)
{
	size_t n = strlen(name);
	return strncmp(list, name, n) == 0 && (list[n] == ',' || list[n] == '\0');
}

int tr_set_dir_algs(tr_dir_algs *d, const char *enc, const char *mac, const char *comp)
{
	d->cipher = kg_cipher_find(enc);
	ENSURE(d->cipher != NULL, KG_ERR_NO_CIPHER_MATCH);
	d->mac = NULL;
	if (!kg_cipher_is_aead(d->cipher)) {
		ENSURE(mac != NULL, KG_ERR_NO_MAC_MATCH);
		d->mac = kg_mac_find(mac);
		ENSURE(d->mac != NULL, KG_ERR_NO_MAC_MATCH);
	}
	ENSURE(strcmp(comp, "none") == 0 || strcmp(comp, "zlib@openssh.com") == 0, KG_ERR_NO_COMP_MATCH);
	d->zlib = strcmp(comp, "zlib@openssh.com") == 0;
	return KG_OK;
}

/* Chooses every algorithm from the two KEXINITs (RFC 4253 7.1). */
static int negotiate(kg_transport *t)
{
	kexinit_lists mine, theirs;
	GUARD(parse_kexinit(&t->my_kexinit, &mine));
	int r = parse_kexinit(&t->peer_kexinit, &theirs);
	if (r < 0) {
		lists_free(&mine);
		return r;
	}
	kexinit_lists *cl = t->is_server ? &theirs : &mine;
	kexinit_lists *sl = t->is_server ? &mine : &theirs;
	for (size_t i = 0; i < KG_ARRAY_LEN(t->names); i++) {
		free(t->names[i]);
		t->names[i] = NULL;
	}
	if (t->kex_count == 0) {
		t->strict_kex = kg_namelist_has(t->is_server ? cl->l[0] : sl->l[0],
						t->is_server ? KEX_STRICT_C : KEX_STRICT_S);
		if (t->is_server)
			t->peer_ext_info = kg_namelist_has(cl->l[0], EXT_INFO_C);
	}
	GUARD_GOTO(r, choose(cl->l[0], sl->l[0], KG_ERR_NO_KEX_MATCH, &t->names[N_KEX]), out);
	t->kex = kg_kex_find(t->names[N_KEX]);
	ENSURE_GOTO(r, t->kex != NULL, KG_ERR_NO_KEX_MATCH, out);
	GUARD_GOTO(r, choose(cl->l[1], sl->l[1], KG_ERR_NO_HOSTKEY_MATCH, &t->names[N_HOSTKEY]), out);
	for (size_t i = 0; i < 2; i++) {
		GUARD_GOTO(r, choose(cl->l[2 + i], sl->l[2 + i], KG_ERR_NO_CIPHER_MATCH, &t->names[N_ENC_CS + i]), out);
		/* AEAD ciphers need no MAC, so a failed MAC match is no error. */
		int mr = kg_namelist_choose(cl->l[4 + i], sl->l[4 + i], &t->names[N_MAC_CS + i]);
		ENSURE_GOTO(r, mr == KG_OK || mr == KG_ERR_NOT_FOUND, mr, out);
		GUARD_GOTO(r, choose(cl->l[6 + i], sl->l[6 + i], KG_ERR_NO_COMP_MATCH, &t->names[N_COMP_CS + i]), out);
	}
	GUARD_GOTO(r, tr_set_dir_algs(&t->algs_c2s, t->names[N_ENC_CS], t->names[N_MAC_CS], t->names[N_COMP_CS]), out);
	GUARD_GOTO(r, tr_set_dir_algs(&t->algs_s2c, t->names[N_ENC_SC], t->names[N_MAC_SC], t->names[N_COMP_SC]), out);
	/* A wrongly guessed first KEX packet from the peer is skipped. */
	if (theirs.first_follows &&
	    (!first_name_is(theirs.l[0], t->names[N_KEX]) || !first_name_is(theirs.l[1], t->names[N_HOSTKEY])))
		t->skip_guessed_packet = 1;
	r = KG_OK;
out:
	lists_free(&mine);
	lists_free(&theirs);
	return r;
}

static int put_pub(const kg_transport *t, kg_buf *b, const kg_buf *pub)
{
	if (t->kex->pub_is_mpint)
		return kg_buf_put_mpint(b, kg_buf_ptr(pub), kg_buf_len(pub));
	return kg_buf_put_stringb(b, pub);
}

/* H = HASH(V_C || V_S || I_C || I_S || K_S || Q_C || Q_S || K); K is an
 * mpint, or a string for the hybrid post-quantum methods. */
static int exchange_hash(kg_transport *t, const kg_buf *hostkey_blob, const kg_buf *K)
{
	kg_buf h;
	kg_buf_init(&h, 256 * 1024);
	const char *vc = t->is_server ? t->peer_version : t->my_version;
	const char *vs = t->is_server ? t->my_version : t->peer_version;
	const kg_buf *ic = t->is_server ? &t->peer_kexinit : &t->my_kexinit;
	const kg_buf *is = t->is_server ? &t->my_kexinit : &t->peer_kexinit;
	int r;
	GUARD_GOTO(r, kg_buf_put_cstring(&h, vc), out);
	GUARD_GOTO(r, kg_buf_put_cstring(&h, vs), out);
	GUARD_GOTO(r, kg_buf_put_stringb(&h, ic), out);
	GUARD_GOTO(r, kg_buf_put_stringb(&h, is), out);
	GUARD_GOTO(r, kg_buf_put_stringb(&h, hostkey_blob), out);
	GUARD_GOTO(r, put_pub(t, &h, &t->client_pub), out);
	GUARD_GOTO(r, put_pub(t, &h, &t->server_pub), out);
	GUARD_GOTO(r, kg_kex_put_secret(t->kex, &h, kg_buf_ptr(K), kg_buf_len(K)), out);
	const EVP_MD *md = t->kex->md();
	unsigned int hl = 0;
	ENSURE_GOTO(r, (size_t)EVP_MD_get_size(md) <= TR_MAX_HASH, KG_ERR_INTERNAL, out);
	ENSURE_GOTO(r, EVP_Digest(kg_buf_ptr(&h), kg_buf_len(&h), t->H, &hl, md, NULL) == 1, KG_ERR_CRYPTO, out);
	t->hlen = hl;
	if (t->session_id_len == 0) {
		memcpy(t->session_id, t->H, hl);
		t->session_id_len = hl;
	}
	r = KG_OK;
out:
	kg_buf_free(&h);
	return r;
}

#ifdef KAGI_TEST_KEYDUMP
/* Test builds only: appends the derived keys in hex to the file named by
 * $KAGI_TEST_KEYDUMP_FILE, so tests can prove no output ever shows them. */
#include <stdio.h>
static void keydump(const uint8_t *iv, size_t ivlen, const uint8_t *key, size_t klen, const uint8_t *mk, size_t mlen)
{
	const char *path = getenv("KAGI_TEST_KEYDUMP_FILE");
	FILE *f = path ? fopen(path, "a") : NULL;
	if (!f)
		return;
	const uint8_t *v[3] = { iv, key, mk };
	size_t n[3] = { ivlen, klen, mlen };
	for (size_t i = 0; i < 3; i++) {
		for (size_t j = 0; j < n[i]; j++)
			fprintf(f, "%02x", v[i][j]);
		if (n[i])
			fputc('\n', f);
	}
	fclose(f);
}
#endif

/* Derives one direction's keys (RFC 4253 7.2) into a new pktcrypt. */
static int derive_dir(kg_transport *t, const kg_buf *K, const tr_dir_algs *d, char iv_letter, int encrypt,
		      kg_pktcrypt **out)
{
	uint8_t iv[64], key[64], mackey[128];
	size_t klen = kg_cipher_key_len(d->cipher), ivlen = kg_cipher_iv_len(d->cipher);
	size_t mlen = d->mac ? kg_mac_key_len(d->mac) : 0;
	int r = KG_ERR_INTERNAL;
	ENSURE_GOTO(r, klen <= sizeof(key) && ivlen <= sizeof(iv) && mlen <= sizeof(mackey), KG_ERR_INTERNAL, out);
	if (ivlen)
		GUARD_GOTO(r, kg_kex_derive_alg(t->kex, kg_buf_ptr(K), kg_buf_len(K), t->H, t->hlen, iv_letter,
					    t->session_id, t->session_id_len, iv, ivlen), out);
	GUARD_GOTO(r, kg_kex_derive_alg(t->kex, kg_buf_ptr(K), kg_buf_len(K), t->H, t->hlen, (char)(iv_letter + 2),
				    t->session_id, t->session_id_len, key, klen), out);
	if (mlen)
		GUARD_GOTO(r, kg_kex_derive_alg(t->kex, kg_buf_ptr(K), kg_buf_len(K), t->H, t->hlen, (char)(iv_letter + 4),
					    t->session_id, t->session_id_len, mackey, mlen), out);
#ifdef KAGI_TEST_KEYDUMP
	keydump(iv, ivlen, key, klen, mackey, mlen);
#endif
	kg_pktcrypt_free(*out);
	*out = NULL;
	r = kg_pktcrypt_new(out, d->cipher, d->mac, key, iv, mlen ? mackey : NULL, encrypt);
out:
	OPENSSL_cleanse(iv, sizeof(iv));
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(mackey, sizeof(mackey));
	return r;
}

static int derive_keys(kg_transport *t, const kg_buf *K)
{
	/* Client to server uses A, C, E; server to client B, D, F. */
	const tr_dir_algs *txd = t->is_server ? &t->algs_s2c : &t->algs_c2s;
	const tr_dir_algs *rxd = t->is_server ? &t->algs_c2s : &t->algs_s2c;
	GUARD(derive_dir(t, K, txd, t->is_server ? 'B' : 'A', 1, &t->tx_next));
	return derive_dir(t, K, rxd, t->is_server ? 'A' : 'B', 0, &t->rx_next);
}

void tr_kex_fill_result(kg_transport *t)
{
	kg_kex_result *res = &t->result;
	res->kex = t->names[N_KEX];
	res->hostkey_alg = t->names[N_HOSTKEY];
	res->cipher_c2s = t->names[N_ENC_CS];
	res->cipher_s2c = t->names[N_ENC_SC];
	res->mac_c2s = kg_cipher_is_aead(t->algs_c2s.cipher) ? NULL : t->names[N_MAC_CS];
	res->mac_s2c = kg_cipher_is_aead(t->algs_s2c.cipher) ? NULL : t->names[N_MAC_SC];
	res->comp_c2s = t->names[N_COMP_CS];
	res->comp_s2c = t->names[N_COMP_SC];
	res->client_pub = kg_buf_ptr(&t->client_pub);
	res->client_pub_len = kg_buf_len(&t->client_pub);
	res->server_pub = kg_buf_ptr(&t->server_pub);
	res->server_pub_len = kg_buf_len(&t->server_pub);
	res->exchange_hash = t->H;
	res->hash_len = t->hlen;
	res->strict_kex = t->strict_kex;
	res->count = (unsigned int)t->kex_count;
}

static int send_ext_info(kg_transport *t)
{
	kg_buf *b;
	GUARD(t->sink.begin(t, SSH_MSG_EXT_INFO, &b));
	const char *algs = t->cfg.server_sig_algs ? t->cfg.server_sig_algs : "";
	if (kg_buf_put_u32(b, 1) < 0 || kg_buf_put_cstring(b, "server-sig-algs") < 0 ||
	    kg_buf_put_cstring(b, algs) < 0) {
		kg_tr_disconnect(t, SSH_DISCONNECT_BY_APPLICATION, "internal error");
		return KG_ERR_INTERNAL;
	}
	return t->sink.end(t);
}

static int kex_finish(kg_transport *t)
{
	if (t->kex_priv)
		kg_kex_state_free(t->kex_priv);
	t->kex_priv = NULL;
	t->kex_state = TR_KEX_NONE;
	t->kex_count++;
	t->kex_time = t->now;
	kg_buf_reset(&t->peer_kexinit);
	tr_kex_fill_result(t);
	if (t->cfg.kex_done)
		t->cfg.kex_done(t->cfg.cb_arg, &t->result);
	return KG_OK;
}

static int send_newkeys(kg_transport *t)
{
	const uint8_t msg = SSH_MSG_NEWKEYS;
	GUARD(tr_send_raw(t, &msg, 1));
	kg_pktcrypt_free(t->tx);
	t->tx = t->tx_next;
	t->tx_next = NULL;
	if (t->strict_kex) {
		t->tx_seq = 0;  /* new keys: the numbers start over */
		t->tx_seq_wrapped = 0;
	}
	t->tx_bytes = 0;
	t->tx_packets = 0;
	t->our_newkeys_sent = 1;
	t->kex_state = TR_KEX_NEWKEYS;
	/* RFC 8308: EXT_INFO goes right after the first NEWKEYS. */
	if (t->is_server && t->kex_count == 0 && t->peer_ext_info)
		GUARD(send_ext_info(t));
	GUARD(tr_flush_held(t));
	if (t->their_newkeys_seen)
		return kex_finish(t);
	return KG_OK;
}

static kg_key *find_hostkey(const kg_transport *t, const char *alg)
{
	for (size_t i = 0; i < t->cfg.n_hostkeys; i++)
		if (kg_key_sigalg_ok(t->cfg.hostkeys[i], alg))
			return t->cfg.hostkeys[i];
	return NULL;
}

static int get_pub(const kg_transport *t, kg_buf *b, kg_buf *into)
{
	const uint8_t *p;
	size_t n;
	if (t->kex->pub_is_mpint)
		GUARD(kg_buf_get_mpint_direct(b, &p, &n));
	else
		GUARD(kg_buf_get_string_direct(b, &p, &n));
	kg_buf_reset(into);
	return kg_buf_put(into, p, n);
}

/* Server: KEX_ECDH_INIT / KEXDH_INIT -> REPLY + NEWKEYS. */
static int server_kex_init(kg_transport *t, const uint8_t *payload, size_t len)
{
	kg_buf b, K, blob, sig;
	kg_buf_view(&b, payload + 1, len - 1);
	GUARD(get_pub(t, &b, &t->client_pub));
	ENSURE(kg_buf_len(&b) == 0, KG_ERR_FORMAT);
	kg_key *hk = find_hostkey(t, t->names[N_HOSTKEY]);
	ENSURE(hk != NULL, KG_ERR_NO_HOSTKEY_MATCH);
	kg_buf_init(&K, 4096);
	kg_buf_init(&blob, 8192);
	kg_buf_init(&sig, 8192);
	kg_buf_reset(&t->server_pub);
	int r;
	GUARD_GOTO(r, kg_kex_server_derive(t->kex, kg_buf_ptr(&t->client_pub), kg_buf_len(&t->client_pub),
					    &t->server_pub, &K), out);
	GUARD_GOTO(r, kg_key_to_blob(hk, &blob), out);
	GUARD_GOTO(r, exchange_hash(t, &blob, &K), out);
	if (t->cfg.sign_hostkey)
		r = t->cfg.sign_hostkey(t->cfg.cb_arg, hk, t->names[N_HOSTKEY], t->H, t->hlen, &sig);
	else
		r = kg_key_sign(hk, t->names[N_HOSTKEY], t->H, t->hlen, &sig);
	if (r < 0)
		goto out;
	ENSURE_GOTO(r, kg_buf_len(&sig) > 0, KG_ERR_SIGNATURE, out);
	kg_buf *m;
	GUARD_GOTO(r, t->sink.begin(t, SSH_MSG_KEX_ECDH_REPLY, &m), out);
	if ((r = kg_buf_put_stringb(m, &blob)) < 0 || (r = put_pub(t, m, &t->server_pub)) < 0 ||
	    (r = kg_buf_put_stringb(m, &sig)) < 0) {
		kg_tr_disconnect(t, SSH_DISCONNECT_KEY_EXCHANGE_FAILED, "internal error");
		goto out;
	}
	GUARD_GOTO(r, t->sink.end(t), out);
	t->result.hostkey = hk;
	GUARD_GOTO(r, derive_keys(t, &K), out);
	r = send_newkeys(t);
out:
	kg_buf_free(&K);
	kg_buf_free(&blob);
	kg_buf_free(&sig);
	return r;
}

/* Client: KEX_ECDH_REPLY: check the host key's signature over H, ask the
 * program whether to trust the key, then NEWKEYS. */
static int client_kex_reply(kg_transport *t, const uint8_t *payload, size_t len)
{
	kg_buf b, K, blob;
	const uint8_t *sigp;
	size_t siglen;
	kg_buf_view(&b, payload + 1, len - 1);
	GUARD(kg_buf_get_stringb(&b, &blob));
	GUARD(get_pub(t, &b, &t->server_pub));
	GUARD(kg_buf_get_string_direct(&b, &sigp, &siglen));
	ENSURE(kg_buf_len(&b) == 0, KG_ERR_FORMAT);
	kg_key *hk = NULL;
	GUARD(kg_key_from_blob(kg_buf_ptr(&blob), kg_buf_len(&blob), &hk));
	if (!kg_key_sigalg_ok(hk, t->names[N_HOSTKEY])) {
		kg_key_free(hk);
		return tr_fail(t, KG_ERR_KEY_TYPE, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
			       "host key type does not match negotiated %s", t->names[N_HOSTKEY]);
	}
	/* A re-exchange must present the same host key as the first one. */
	if (t->peer_hostkey) {
		int same = kg_key_equal_public(hk, t->peer_hostkey);
		kg_key_free(hk);
		if (!same)
			return tr_fail(t, KG_ERR_HOSTKEY_CHANGED, SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE,
				       "server host key changed during key re-exchange");
		hk = t->peer_hostkey;
	}
	int first = t->peer_hostkey == NULL;
	t->peer_hostkey = hk;
	kg_buf_init(&K, 4096);
	int r;
	GUARD_GOTO(r, kg_kex_client_derive(t->kex, t->kex_priv, kg_buf_ptr(&t->server_pub), kg_buf_len(&t->server_pub), &K), out);
	GUARD_GOTO(r, exchange_hash(t, &blob, &K), out);
	if (kg_key_verify(hk, t->names[N_HOSTKEY], sigp, siglen, t->H, t->hlen) != KG_OK) {
		r = tr_fail(t, KG_ERR_SIGNATURE, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
			    "host key signature over the exchange hash is invalid");
		goto out;
	}
	t->result.hostkey = hk;
	tr_kex_fill_result(t);
	if (first && !t->session_sig && siglen > 0) {
		/* kept for session-bind@openssh.com (PROTOCOL.agent) */
		GUARD_GOTO(r, (t->session_sig = malloc(siglen)) ? KG_OK : KG_ERR_ALLOC, out);
		memcpy(t->session_sig, sigp, siglen);
		t->session_sig_len = siglen;
	}
	if (first && t->cfg.verify_hostkey && (r = t->cfg.verify_hostkey(t->cfg.cb_arg, hk, &t->result)) < 0) {
		tr_fail(t, r, SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE, "host key verification failed");
		goto out;
	}
	GUARD_GOTO(r, derive_keys(t, &K), out);
	r = send_newkeys(t);
out:
	kg_buf_free(&K);
	return r;
}

static int on_kexinit(kg_transport *t, const uint8_t *payload, size_t len)
{
	ENSURE(kg_buf_len(&t->peer_kexinit) == 0, KG_ERR_UNEXPECTED_MSG);
	ENSURE(t->kex_state == TR_KEX_NONE || t->kex_state == TR_KEX_INIT_SENT, KG_ERR_UNEXPECTED_MSG);
	GUARD(kg_buf_put(&t->peer_kexinit, payload, len));
	if (t->kex_state == TR_KEX_NONE)
		GUARD(tr_kex_start(t));
	GUARD(negotiate(t));
	/* Strict KEX: the peer's KEXINIT must be its very first packet. */
	if (t->kex_count == 0 && t->strict_kex && t->last_rx_seq != 0)
		return tr_fail(t, KG_ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
			       "strict KEX violation: KEXINIT was not the first packet");
	t->kex_state = TR_KEX_RUNNING;
	if (t->is_server)
		return KG_OK;
	kg_buf_reset(&t->client_pub);
	GUARD(kg_kex_client_keygen(t->kex, &t->kex_priv, &t->client_pub));
	kg_buf *m;
	GUARD(t->sink.begin(t, SSH_MSG_KEX_ECDH_INIT, &m));
	if (put_pub(t, m, &t->client_pub) < 0) {
		kg_tr_disconnect(t, SSH_DISCONNECT_KEY_EXCHANGE_FAILED, "internal error");
		return KG_ERR_INTERNAL;
	}
	return t->sink.end(t);
}

static int on_newkeys(kg_transport *t, size_t len)
{
	ENSURE(len == 1, KG_ERR_FORMAT);
	ENSURE(t->rx_next != NULL && !t->their_newkeys_seen, KG_ERR_UNEXPECTED_MSG);
	kg_pktcrypt_free(t->rx);
	t->rx = t->rx_next;
	t->rx_next = NULL;
	if (t->strict_kex) {
		t->rx_seq = 0;
		t->rx_seq_wrapped = 0;
	}
	t->rx_bytes = 0;
	t->rx_packets = 0;
	t->their_newkeys_seen = 1;
	/* The server offered ext-info-s in its first KEXINIT (RFC 8308 2.1). */
	if (t->is_server && t->kex_count == 0)
		t->ext_info_window = 1;
	if (t->our_newkeys_sent)
		return kex_finish(t);
	return KG_OK;
}

int tr_kex_handle(kg_transport *t, uint8_t type, const uint8_t *payload, size_t len)
{
	if (type == SSH_MSG_KEXINIT)
		return on_kexinit(t, payload, len);
	if (type == SSH_MSG_NEWKEYS)
		return on_newkeys(t, len);
	ENSURE(t->kex_state == TR_KEX_RUNNING, KG_ERR_UNEXPECTED_MSG);
	if (t->is_server && type == SSH_MSG_KEX_ECDH_INIT)
		return server_kex_init(t, payload, len);
	if (!t->is_server && type == SSH_MSG_KEX_ECDH_REPLY)
		return client_kex_reply(t, payload, len);
	return KG_ERR_UNEXPECTED_MSG;
}
