/* Transport internals shared by transport.c (packets, banner, dispatch),
 * transport-kex.c (algorithm negotiation and key exchange) and
 * compress.c.  Not for use outside the transport. */
#ifndef KAGI_TRANSPORT_IMPL_H
#define KAGI_TRANSPORT_IMPL_H

#include <zlib.h>
#include "core/cipher.h"
#include "core/kex.h"
#include "core/transport.h"

#define TR_MAX_BANNER_LINE 255
#define TR_MAX_PRE_BANNER_LINES 1024
#define TR_DEFAULT_REKEY_BYTES (1ull << 30)
#define TR_DEFAULT_REKEY_SECONDS 3600
/* A rekey starts once this many packets went either way under one set of
 * keys, far below the 2^32 at which a sequence number (chacha20-poly1305's
 * nonce) would repeat; OpenSSH's MAX_PACKETS is the same. */
#define TR_REKEY_PACKETS (1ull << 31)
#define TR_MAX_PAYLOAD (KG_TR_MAX_PACKET)
#define TR_MAX_HASH 64
#define TR_HELD_MAX (16u * 1024 * 1024)

enum tr_kex_state {
	TR_KEX_NONE = 0,     /* keys in use, no exchange running */
	TR_KEX_INIT_SENT,    /* our KEXINIT sent, waiting for theirs */
	TR_KEX_RUNNING,      /* both KEXINITs seen: ECDH/DH messages */
	TR_KEX_NEWKEYS,      /* ECDH/DH done; waiting for NEWKEYS to cross */
};

/* One direction's negotiated algorithms and derived keys. */
typedef struct tr_dir_algs {
	const kg_cipher_alg *cipher;
	const kg_mac_alg *mac;
	int zlib;            /* zlib@openssh.com */
} tr_dir_algs;

typedef struct tr_zlib {
	z_stream zs;
	int initialized, active;
	kg_buf buf;          /* scratch: plain payload (tx) or inflated (rx) */
} tr_zlib;

struct kg_transport {
	kg_tr_config cfg;
	int is_server;
	kg_pkt_sink sink;

	/* identification */
	const char *my_version;
	char *own_version;               /* my_version's storage after kg_tr_import */
	char *peer_version;
	int banner_done;
	unsigned int pre_banner_lines;

	/* buffers */
	kg_buf in, out;
	size_t in_consume_pending;   /* bytes of the last packet still in `in` */

	/* packet protection */
	kg_pktcrypt *rx, *tx;
	kg_pktcrypt *rx_next, *tx_next;
	uint32_t rx_seq, tx_seq;
	int rx_seq_wrapped, tx_seq_wrapped;  /* went past 2^32 - 1: fatal on the next packet */
	int rx_have_len;
	uint32_t rx_packet_length;
	uint64_t rx_bytes, tx_bytes;       /* since the last key exchange */
	uint64_t rx_packets, tx_packets;   /* since the last key exchange */
	uint64_t payload_sent, payload_received;
	uint64_t rekey_bytes;
	uint32_t rekey_seconds;
	time_t now, kex_time;

	/* building a message (sink) */
	int building;
	kg_buf *build_target;
	size_t build_start;              /* offset from kg_buf_ptr(target) */
	kg_buf held;                     /* messages held during key exchange: [u32 len][payload] */

	/* key exchange */
	enum tr_kex_state kex_state;
	int our_newkeys_sent, their_newkeys_seen;
	int kex_count;                   /* completed exchanges */
	int strict_kex;
	int peer_ext_info;               /* server: client sent ext-info-c */
	int ext_info_window;             /* server: the next packet may be the client's EXT_INFO */
	int skip_guessed_packet;         /* wrong first_kex_packet_follows guess */
	kg_buf my_kexinit, peer_kexinit; /* payloads, type byte included */
	const kg_kex_alg *kex;
	void *kex_priv;                  /* client's ephemeral key */
	char *names[8];                  /* kex, hostkey, enc c2s, enc s2c, mac.., comp.. */
	tr_dir_algs algs_c2s, algs_s2c;
	kg_buf client_pub, server_pub;
	uint8_t H[TR_MAX_HASH];
	size_t hlen;
	uint8_t session_id[TR_MAX_HASH];
	size_t session_id_len;
	kg_key *peer_hostkey;            /* client: the server's key; an imported server:
	                                  * its own, when not among cfg.hostkeys */
	uint8_t *session_sig;            /* client: its signature over session_id (first exchange) */
	size_t session_sig_len;
	kg_kex_result result;

	tr_zlib zin, zout;
	int authenticated;
	char *server_sig_algs;
	int closed;
	char errtext[256];
	int last_rx_seq_valid;
	uint32_t last_rx_seq;
};

/* transport-out.c (below transport.c and transport-kex.c) */
/* Records the error text, sends DISCONNECT with reason unless 0, closes;
 * returns err. */
int tr_fail(kg_transport *t, int err, uint32_t reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Starts a message of the given type: in `held` while our key exchange
 * runs and type must wait, else in the (compression or) output buffer. */
int tr_out_begin(kg_transport *t, uint8_t type, kg_buf **payload) KG_WUR;
/* Finishes the message: compresses, pads, seals; no rekey check. */
int tr_out_end(kg_transport *t) KG_WUR;
/* Drops a half-built message (after an error while writing it). */
void tr_out_abort(kg_transport *t);
/* One whole message (payload[0] is the type), without a rekey check. */
int tr_send_raw(kg_transport *t, const uint8_t *payload, size_t len) KG_WUR;
/* Sends the messages held during key exchange. */
int tr_flush_held(kg_transport *t) KG_WUR;

/* transport.c */
/* A transport with cfg's settings and empty buffers, no packet state, no
 * identification sent, no key exchange started (kg_tr_new, kg_tr_import). */
int tr_alloc(kg_transport **out, const kg_tr_config *cfg) KG_WUR;

/* transport-kex.c */
int tr_kex_start(kg_transport *t) KG_WUR;
/* Negotiated names -> one direction's algorithms. */
int tr_set_dir_algs(tr_dir_algs *d, const char *enc, const char *mac, const char *comp) KG_WUR;
/* t->result from the negotiated names and the last exchange (hostkey apart). */
void tr_kex_fill_result(kg_transport *t);
int tr_kex_handle(kg_transport *t, uint8_t type, const uint8_t *payload, size_t len) KG_WUR;
void tr_kex_free(kg_transport *t);

/* compress.c */
int tr_zlib_start(tr_zlib *z, int compress) KG_WUR;
void tr_zlib_free(tr_zlib *z);
int tr_zlib_deflate(tr_zlib *z, const uint8_t *in, size_t len, kg_buf *out) KG_WUR;
int tr_zlib_inflate(tr_zlib *z, const uint8_t *in, size_t len, size_t max_out) KG_WUR;

#endif
