/* Handing a running transport to another process (kg_tr_export, kg_tr_import): the whole state as one checked blob. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "core/transport-impl.h"

/* v1 layout, every field in order (u8 flags are 0 or 1):
 *   string  magic "kagi-transport-v1"
 *   u8      is_server
 *   string  our identification, string the peer's
 *   8 x (u8 present, string name)      kex, hostkey, enc/mac/comp c2s, s2c
 *   pktcrypt tx, pktcrypt rx           (kg_pktcrypt_export)
 *   u32 tx_seq, u32 rx_seq, u8 tx_seq_wrapped, u8 rx_seq_wrapped
 *   u64 tx_bytes, rx_bytes, tx_packets, rx_packets, payload_sent, payload_received
 *   u64 now, u64 kex_time              (monotonic seconds)
 *   u32 kex_count
 *   u8 strict_kex, peer_ext_info, ext_info_window, skip_guessed_packet
 *   u32 last_rx_seq
 *   string H, string session_id, string client_pub, string server_pub
 *   string host key blob, string session_sig (client; may be empty)
 *   u8 authenticated
 *   u8 present, string server_sig_algs
 *   u8 rx_have_len, u32 rx_packet_length
 *   string input not yet read as packets */
#define EXPORT_MAGIC "kagi-transport-v1"
#define N_NAMES 8
#define NAME_MAX_LEN 8192
#define SIG_ALGS_MAX_LEN 65536

enum { N_KEX, N_HOSTKEY, N_ENC_CS, N_ENC_SC, N_MAC_CS, N_MAC_SC, N_COMP_CS, N_COMP_SC };

static int zlib_untouched(const tr_zlib *z)
{
	return !z->active || (z->zs.total_in == 0 && z->zs.total_out == 0);
}

/* What kg_tr_export requires of t. */
static int exportable(const kg_transport *t)
{
	ENSURE(!t->closed, KG_ERR_STATE);
	ENSURE(t->banner_done && t->kex_count >= 1, KG_ERR_STATE);
	ENSURE(t->kex_state == TR_KEX_NONE && t->rx_next == NULL && t->tx_next == NULL &&
	       t->kex_priv == NULL && kg_buf_len(&t->peer_kexinit) == 0, KG_ERR_STATE);
	ENSURE(!t->building && kg_buf_len(&t->held) == 0, KG_ERR_STATE);
	ENSURE(kg_buf_len(&t->out) == 0, KG_ERR_STATE);
	ENSURE(zlib_untouched(&t->zin) && zlib_untouched(&t->zout), KG_ERR_STATE);
	ENSURE(t->result.hostkey != NULL && t->peer_version != NULL, KG_ERR_STATE);
	ENSURE(t->in_consume_pending <= kg_buf_len(&t->in), KG_ERR_INTERNAL);
	return KG_OK;
}

static int put_opt(kg_buf *b, const char *s)
{
	GUARD(kg_buf_put_u8(b, s != NULL));
	return kg_buf_put_cstring(b, s ? s : "");
}

static int put_fields(const kg_transport *t, kg_buf *b)
{
	GUARD(kg_buf_put_cstring(b, EXPORT_MAGIC));
	GUARD(kg_buf_put_u8(b, (uint8_t)(t->is_server != 0)));
	GUARD(kg_buf_put_cstring(b, t->my_version));
	GUARD(kg_buf_put_cstring(b, t->peer_version));
	for (size_t i = 0; i < N_NAMES; i++)
		GUARD(put_opt(b, t->names[i]));
	GUARD(kg_pktcrypt_export(t->tx, b));
	GUARD(kg_pktcrypt_export(t->rx, b));
	GUARD(kg_buf_put_u32(b, t->tx_seq));
	GUARD(kg_buf_put_u32(b, t->rx_seq));
	GUARD(kg_buf_put_u8(b, (uint8_t)(t->tx_seq_wrapped != 0)));
	GUARD(kg_buf_put_u8(b, (uint8_t)(t->rx_seq_wrapped != 0)));
	const uint64_t counts[] = { t->tx_bytes, t->rx_bytes, t->tx_packets, t->rx_packets,
				    t->payload_sent, t->payload_received,
				    (uint64_t)t->now, (uint64_t)t->kex_time };
	for (size_t i = 0; i < KG_ARRAY_LEN(counts); i++)
		GUARD(kg_buf_put_u64(b, counts[i]));
	GUARD(kg_buf_put_u32(b, (uint32_t)t->kex_count));
	GUARD(kg_buf_put_u8(b, (uint8_t)(t->strict_kex != 0)));
	GUARD(kg_buf_put_u8(b, (uint8_t)(t->peer_ext_info != 0)));
	GUARD(kg_buf_put_u8(b, (uint8_t)(t->ext_info_window != 0)));
	GUARD(kg_buf_put_u8(b, (uint8_t)(t->skip_guessed_packet != 0)));
	GUARD(kg_buf_put_u32(b, t->last_rx_seq));
	GUARD(kg_buf_put_string(b, t->H, t->hlen));
	GUARD(kg_buf_put_string(b, t->session_id, t->session_id_len));
	GUARD(kg_buf_put_stringb(b, &t->client_pub));
	GUARD(kg_buf_put_stringb(b, &t->server_pub));
	kg_buf blob;
	kg_buf_init(&blob, 64 * 1024);
	int r = kg_key_to_blob(t->result.hostkey, &blob);
	if (r == KG_OK)
		r = kg_buf_put_stringb(b, &blob);
	kg_buf_free(&blob);
	GUARD(r);
	GUARD(kg_buf_put_string(b, t->session_sig ? t->session_sig : (const uint8_t *)"",
				 t->session_sig ? t->session_sig_len : 0));
	GUARD(kg_buf_put_u8(b, (uint8_t)(t->authenticated != 0)));
	GUARD(put_opt(b, t->server_sig_algs));
	GUARD(kg_buf_put_u8(b, (uint8_t)(t->rx_have_len != 0)));
	GUARD(kg_buf_put_u32(b, t->rx_packet_length));
	return kg_buf_put_string(b, kg_buf_ptr(&t->in) + t->in_consume_pending,
				 kg_buf_len(&t->in) - t->in_consume_pending);
}

int kg_tr_export(const kg_transport *t, kg_buf *out)
{
	ENSURE(t != NULL && out != NULL, KG_ERR_ARG);
	GUARD(exportable(t));
	size_t before = kg_buf_len(out);
	int r = put_fields(t, out);
	if (r < 0 && kg_buf_len(out) > before) {
		/* Wipe and take back the partial blob. */
		OPENSSL_cleanse(kg_buf_mutable_ptr(out) + before, kg_buf_len(out) - before);
		if (kg_buf_consume_end(out, kg_buf_len(out) - before) < 0)
			r = KG_ERR_INTERNAL;
	}
	return r;
}

/* ------------------------------------------------------------------ */
/* import                                                               */

static int get_flag(kg_buf *b, int *v)
{
	uint8_t u;
	GUARD(kg_buf_get_u8(b, &u));
	ENSURE(u <= 1, KG_ERR_FORMAT);
	*v = u;
	return KG_OK;
}

/* A text field of at most max bytes, malloc'ed. */
static int get_text(kg_buf *b, size_t max, char **out)
{
	size_t n;
	const uint8_t *p;
	GUARD(kg_buf_get_string_direct(b, &p, &n));
	ENSURE(n <= max, KG_ERR_TOO_LARGE);
	ENSURE(memchr(p, '\0', n) == NULL, KG_ERR_FORMAT);
	*out = strndup((const char *)p, n);
	ENSURE(*out != NULL, KG_ERR_ALLOC);
	return KG_OK;
}

static int get_opt_text(kg_buf *b, size_t max, char **out)
{
	int present;
	GUARD(get_flag(b, &present));
	if (present)
		return get_text(b, max, out);
	*out = NULL;
	size_t n;
	GUARD(kg_buf_get_string_direct(b, NULL, &n));
	ENSURE(n == 0, KG_ERR_FORMAT);
	return KG_OK;
}

/* An identification line as the banner parser would have kept it. */
static int check_version(const char *v)
{
	size_t n = strlen(v);
	ENSURE(n >= 8 && n <= TR_MAX_BANNER_LINE - 2 && strncmp(v, "SSH-", 4) == 0, KG_ERR_FORMAT);
	for (size_t i = 0; i < n; i++)
		ENSURE(v[i] >= 0x20 && v[i] <= 0x7e, KG_ERR_FORMAT);
	return KG_OK;
}

/* A field copied into dst (at most cap bytes); *len gets its length. */
static int get_into(kg_buf *b, uint8_t *dst, size_t cap, size_t *len)
{
	const uint8_t *p;
	size_t n;
	GUARD(kg_buf_get_string_direct(b, &p, &n));
	ENSURE(n <= cap, KG_ERR_TOO_LARGE);
	memcpy(dst, p, n);
	*len = n;
	return KG_OK;
}

static int get_buf(kg_buf *b, kg_buf *dst)
{
	const uint8_t *p;
	size_t n;
	GUARD(kg_buf_get_string_direct(b, &p, &n));
	kg_buf_reset(dst);
	return n ? kg_buf_put(dst, p, n) : KG_OK;   /* dst's cap bounds it */
}

/* Names, algorithms and the packet protection of both directions. */
static int get_algs(kg_transport *t, kg_buf *b)
{
	for (size_t i = 0; i < N_NAMES; i++)
		GUARD(get_opt_text(b, NAME_MAX_LEN, &t->names[i]));
	for (size_t i = 0; i < N_NAMES; i++)
		if (i != N_MAC_CS && i != N_MAC_SC)
			ENSURE(t->names[i] != NULL, KG_ERR_FORMAT);
	t->kex = kg_kex_find(t->names[N_KEX]);
	ENSURE(t->kex != NULL, KG_ERR_NO_KEX_MATCH);
	GUARD(tr_set_dir_algs(&t->algs_c2s, t->names[N_ENC_CS], t->names[N_MAC_CS], t->names[N_COMP_CS]));
	GUARD(tr_set_dir_algs(&t->algs_s2c, t->names[N_ENC_SC], t->names[N_MAC_SC], t->names[N_COMP_SC]));
	const tr_dir_algs *txd = t->is_server ? &t->algs_s2c : &t->algs_c2s;
	const tr_dir_algs *rxd = t->is_server ? &t->algs_c2s : &t->algs_s2c;
	GUARD(kg_pktcrypt_import(&t->tx, txd->cipher, txd->mac, 1, b));
	return kg_pktcrypt_import(&t->rx, rxd->cipher, rxd->mac, 0, b);
}

static int get_counters(kg_transport *t, kg_buf *b)
{
	GUARD(kg_buf_get_u32(b, &t->tx_seq));
	GUARD(kg_buf_get_u32(b, &t->rx_seq));
	GUARD(get_flag(b, &t->tx_seq_wrapped));
	GUARD(get_flag(b, &t->rx_seq_wrapped));
	uint64_t *counts[] = { &t->tx_bytes, &t->rx_bytes, &t->tx_packets, &t->rx_packets,
			       &t->payload_sent, &t->payload_received };
	for (size_t i = 0; i < KG_ARRAY_LEN(counts); i++)
		GUARD(kg_buf_get_u64(b, counts[i]));
	uint64_t now, kex_time;
	GUARD(kg_buf_get_u64(b, &now));
	GUARD(kg_buf_get_u64(b, &kex_time));
	/* Monotonic seconds: anything beyond 2^62 is not a clock value. */
	ENSURE(now < (1ull << 62) && kex_time < (1ull << 62), KG_ERR_FORMAT);
	t->now = (time_t)now;
	t->kex_time = (time_t)kex_time;
	uint32_t count;
	GUARD(kg_buf_get_u32(b, &count));
	ENSURE(count >= 1 && count <= 0x7fffffff, KG_ERR_FORMAT);
	t->kex_count = (int)count;
	GUARD(get_flag(b, &t->strict_kex));
	GUARD(get_flag(b, &t->peer_ext_info));
	GUARD(get_flag(b, &t->ext_info_window));
	GUARD(get_flag(b, &t->skip_guessed_packet));
	ENSURE(t->is_server || (!t->peer_ext_info && !t->ext_info_window), KG_ERR_FORMAT);
	return kg_buf_get_u32(b, &t->last_rx_seq);
}

/* The exchange hash, session id, public values and host key. */
static int get_exchange(kg_transport *t, kg_buf *b, const kg_tr_config *cfg)
{
	GUARD(get_into(b, t->H, sizeof(t->H), &t->hlen));
	ENSURE(t->hlen == (size_t)EVP_MD_get_size(t->kex->md()), KG_ERR_FORMAT);
	GUARD(get_into(b, t->session_id, sizeof(t->session_id), &t->session_id_len));
	ENSURE(t->session_id_len >= 16, KG_ERR_FORMAT);
	GUARD(get_buf(b, &t->client_pub));
	GUARD(get_buf(b, &t->server_pub));
	const uint8_t *blob, *sig;
	size_t bloblen, siglen;
	GUARD(kg_buf_get_string_direct(b, &blob, &bloblen));
	kg_key *hk = NULL;
	GUARD(kg_key_from_blob(blob, bloblen, &hk));
	if (!kg_key_sigalg_ok(hk, t->names[N_HOSTKEY])) {
		kg_key_free(hk);
		return KG_ERR_KEY_TYPE;
	}
	const kg_key *use = NULL;
	for (size_t i = 0; t->is_server && i < cfg->n_hostkeys && use == NULL; i++)
		if (cfg->hostkeys[i] != NULL && kg_key_equal_public(cfg->hostkeys[i], hk))
			use = cfg->hostkeys[i];
	if (use != NULL) {
		kg_key_free(hk);
	} else {
		t->peer_hostkey = hk;
		use = hk;
	}
	GUARD(kg_buf_get_string_direct(b, &sig, &siglen));
	ENSURE(siglen <= 64 * 1024, KG_ERR_TOO_LARGE);
	ENSURE(siglen == 0 || !t->is_server, KG_ERR_FORMAT);
	if (siglen > 0) {
		t->session_sig = malloc(siglen);
		ENSURE(t->session_sig != NULL, KG_ERR_ALLOC);
		memcpy(t->session_sig, sig, siglen);
		t->session_sig_len = siglen;
	}
	tr_kex_fill_result(t);
	t->result.hostkey = use;
	return KG_OK;
}

/* Authentication, ext-info and the input not read yet. */
static int get_tail(kg_transport *t, kg_buf *b)
{
	GUARD(get_flag(b, &t->authenticated));
	GUARD(get_opt_text(b, SIG_ALGS_MAX_LEN, &t->server_sig_algs));
	ENSURE(t->server_sig_algs == NULL || !t->is_server, KG_ERR_FORMAT);
	GUARD(get_flag(b, &t->rx_have_len));
	GUARD(kg_buf_get_u32(b, &t->rx_packet_length));
	GUARD(get_buf(b, &t->in));
	kg_pktcrypt *rx = t->rx;
	if (!t->rx_have_len) {
		ENSURE(t->rx_packet_length == 0 || t->rx_packet_length >= 5, KG_ERR_FORMAT);
		ENSURE(!kg_pktcrypt_mid_packet(rx), KG_ERR_FORMAT);
	} else {
		/* The checks read_one made when it learnt the length. */
		uint32_t len = t->rx_packet_length;
		size_t bs = kg_pktcrypt_block_size(rx), aad = kg_pktcrypt_aad_len(rx);
		ENSURE(len >= 5 && len <= KG_TR_MAX_PACKET && (4 + (size_t)len - aad) % bs == 0, KG_ERR_FORMAT);
		ENSURE(kg_buf_len(&t->in) >= kg_pktcrypt_length_bytes(rx), KG_ERR_FORMAT);
		ENSURE(!t->rx_seq_wrapped, KG_ERR_FORMAT);
		/* A receiving CTR state without EtM decrypted the first block
		 * in place (and only it): its length field must be the one. */
		int in_place = kg_pktcrypt_length_bytes(rx) > 4;
		ENSURE(kg_pktcrypt_mid_packet(rx) == in_place, KG_ERR_FORMAT);
		if (in_place)
			ENSURE(kg_peek_u32(kg_buf_ptr(&t->in)) == len, KG_ERR_FORMAT);
	}
	/* zlib@openssh.com: no byte went through the streams before the
	 * handover, so fresh ones continue them exactly. */
	if (t->authenticated) {
		tr_dir_algs *tx = t->is_server ? &t->algs_s2c : &t->algs_c2s;
		tr_dir_algs *rxa = t->is_server ? &t->algs_c2s : &t->algs_s2c;
		if (tx->zlib)
			GUARD(tr_zlib_start(&t->zout, 1));
		if (rxa->zlib)
			GUARD(tr_zlib_start(&t->zin, 0));
	}
	return KG_OK;
}

static int import_fields(kg_transport *t, kg_buf *b, const kg_tr_config *cfg)
{
	const uint8_t *magic;
	size_t mlen;
	GUARD(kg_buf_get_string_direct(b, &magic, &mlen));
	ENSURE(mlen == strlen(EXPORT_MAGIC) && memcmp(magic, EXPORT_MAGIC, mlen) == 0, KG_ERR_FORMAT);
	int is_server;
	GUARD(get_flag(b, &is_server));
	ENSURE(is_server == (cfg->is_server != 0), KG_ERR_ARG);
	GUARD(get_text(b, TR_MAX_BANNER_LINE, &t->own_version));
	GUARD(check_version(t->own_version));
	t->my_version = t->own_version;
	GUARD(get_text(b, TR_MAX_BANNER_LINE, &t->peer_version));
	GUARD(check_version(t->peer_version));
	GUARD(get_algs(t, b));
	GUARD(get_counters(t, b));
	GUARD(get_exchange(t, b, cfg));
	GUARD(get_tail(t, b));
	ENSURE(kg_buf_len(b) == 0, KG_ERR_FORMAT);
	return KG_OK;
}

int kg_tr_import(kg_transport **out, const kg_tr_config *cfg, const uint8_t *blob, size_t len)
{
	ENSURE(out != NULL && cfg != NULL && (blob != NULL || len == 0), KG_ERR_ARG);
	*out = NULL;
	kg_transport *t;
	GUARD(tr_alloc(&t, cfg));
	kg_buf b;
	kg_buf_view(&b, blob, len);
	int r = import_fields(t, &b, cfg);
	if (r < 0) {
		kg_tr_free(t);
		return r;
	}
	/* Keys are in use and no exchange runs: both NEWKEYS were seen. */
	t->banner_done = 1;
	t->kex_state = TR_KEX_NONE;
	t->our_newkeys_sent = 1;
	t->their_newkeys_seen = 1;
	*out = t;
	return KG_OK;
}
