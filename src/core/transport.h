/* SSH transport layer (RFC 4253) as a byte-pump with no I/O: the program
 * hands in what it read from the socket, takes out what to write, and pulls
 * the decrypted messages for the upper layers one at a time.  Key exchange,
 * rekeying, IGNORE/DEBUG/DISCONNECT/EXT_INFO and strict-KEX rules are
 * handled inside; upper layers never see those messages.
 *
 *   socket bytes -> kg_tr_input() -> kg_tr_read_packet() -> auth, channels
 *   auth, channels -> kg_tr_sink() (begin, end) -> kg_tr_output() -> socket */
#ifndef KAGI_TRANSPORT_H
#define KAGI_TRANSPORT_H

#include <stdint.h>
#include <time.h>
#include "core/buf.h"
#include "core/key.h"
#include "core/packet.h"

#define KG_TR_MAX_PACKET (256u * 1024)   /* largest packet_length accepted */
#define KG_TR_VERSION "SSH-2.0-kagi_0.1"

typedef struct kg_transport kg_transport;

/* What the key exchange settled on; public values only (no secrets). */
typedef struct kg_kex_result {
	const char *kex, *hostkey_alg;
	const char *cipher_c2s, *cipher_s2c, *mac_c2s, *mac_s2c, *comp_c2s, *comp_s2c;
	const uint8_t *client_pub, *server_pub;  /* ephemeral public values */
	size_t client_pub_len, server_pub_len;
	const uint8_t *exchange_hash;            /* H of the latest exchange */
	size_t hash_len;
	const kg_key *hostkey;                   /* the server's host key */
	int strict_kex;
	unsigned int count;                      /* number of completed exchanges */
} kg_kex_result;

typedef struct kg_tr_config {
	int is_server;
	const char *version;        /* our identification; NULL = KG_TR_VERSION */
	/* Preference lists (comma-separated names), used in both directions. */
	const char *kex_algs, *hostkey_algs, *ciphers, *macs, *compression;
	/* Server: host keys with private halves (hostkey_algs must only name
	 * algorithms that one of these keys can sign with). */
	kg_key *const *hostkeys;
	size_t n_hostkeys;
	/* Server: value sent as server-sig-algs in EXT_INFO. */
	const char *server_sig_algs;
	uint64_t rekey_bytes;       /* 0 = default (1 GiB); clamped to the cipher's safe maximum */
	uint32_t rekey_seconds;     /* 0 = default (3600) */
	/* Client: decides whether to trust the server's host key once its
	 * signature over the exchange hash has been verified.  Return KG_OK to
	 * accept, or a negative error (the connection is then closed). */
	int (*verify_hostkey)(void *arg, const kg_key *key, const kg_kex_result *kex);
	/* Optional: called with every plaintext message sent (sent=1) and
	 * received (sent=0), for --explain and -v. */
	void (*trace)(void *arg, int sent, const uint8_t *payload, size_t len);
	/* Optional: called when a key exchange completes. */
	void (*kex_done)(void *arg, const kg_kex_result *kex);
	/* Server, optional: signs the exchange hash with hostkey (one of
	 * hostkeys) under signature algorithm alg, appending the SSH signature
	 * blob (string alg, string signature) to sig; KG_OK or a negative
	 * error.  When set it is used instead of kg_key_sign, so hostkeys may
	 * hold public halves only (the private ones kept by another process). */
	int (*sign_hostkey)(void *arg, const kg_key *hostkey, const char *alg, const uint8_t *data,
			    size_t len, kg_buf *sig);
	void *cb_arg;
} kg_tr_config;

/* The config (and the strings and keys it points to) must outlive t. */
int kg_tr_new(kg_transport **out, const kg_tr_config *cfg) KG_WUR;
void kg_tr_free(kg_transport *t);

/* Input: either copy bytes in, or read straight into the buffer with
 * input_space (up to *avail bytes at *ptr) followed by input_commit(n). */
int kg_tr_input(kg_transport *t, const uint8_t *data, size_t len) KG_WUR;
int kg_tr_input_space(kg_transport *t, uint8_t **ptr, size_t *avail) KG_WUR;
void kg_tr_input_commit(kg_transport *t, size_t n);

/* Next message for the upper layers: returns its type (> 0) with the whole
 * payload (type byte first) in *payload and *len, valid until the next call to
 * any kg_tr function; KG_ERR_AGAIN when more input is needed; another
 * negative error when the connection must end (a DISCONNECT has then been
 * queued where possible: flush the output, then close). */
int kg_tr_read_packet(kg_transport *t, const uint8_t **payload, size_t *len) KG_WUR;

/* Output waiting to be written to the socket. */
const uint8_t *kg_tr_output(const kg_transport *t, size_t *len);
void kg_tr_output_consume(kg_transport *t, size_t n);
size_t kg_tr_output_pending(const kg_transport *t);
/* Bytes of messages held while our key exchange runs (at most 16 MiB;
 * one more is an error): part of the output not yet sealed. */
size_t kg_tr_held_pending(const kg_transport *t);

/* The sink upper layers write messages through.  Messages written while a
 * key exchange is in progress are held and sent after it. */
const kg_pkt_sink *kg_tr_sink(kg_transport *t);
int kg_tr_send(kg_transport *t, const uint8_t *payload, size_t len) KG_WUR;
int kg_tr_send_unimplemented(kg_transport *t) KG_WUR;  /* for the last packet read */

/* Queues SSH_MSG_DISCONNECT and marks the connection closed. */
void kg_tr_disconnect(kg_transport *t, uint32_t reason, const char *text);
int kg_tr_is_closed(const kg_transport *t);
/* Text of why the connection ended (peer's disconnect message, or ours). */
const char *kg_tr_error_text(const kg_transport *t);

/* Starts a key re-exchange now (no-op if one is running). */
int kg_tr_rekey(kg_transport *t) KG_WUR;
/* Lets time-based rekeying happen; call with the current monotonic seconds. */
int kg_tr_tick(kg_transport *t, time_t now) KG_WUR;
/* Call when user authentication succeeded: the server right after sending
 * USERAUTH_SUCCESS, the client right after receiving it.  Starts delayed
 * compression (zlib@openssh.com) if negotiated. */
int kg_tr_set_authenticated(kg_transport *t) KG_WUR;

/* Ready for the upper layers: the first key exchange has completed. */
int kg_tr_ready(const kg_transport *t);
const uint8_t *kg_tr_session_id(const kg_transport *t, size_t *len);
/* Client: the server host key's signature over the session id from the
 * first key exchange (for session-bind@openssh.com); NULL before it. */
const uint8_t *kg_tr_session_sig(const kg_transport *t, size_t *len);
const char *kg_tr_peer_version(const kg_transport *t);
const kg_kex_result *kg_tr_kex_result(const kg_transport *t);
/* Client: server-sig-algs from the server's EXT_INFO, or NULL. */
const char *kg_tr_server_sig_algs(const kg_transport *t);
/* Bytes of payload sent/received so far (for statistics). */
void kg_tr_counters(const kg_transport *t, uint64_t *sent, uint64_t *received);

/* Handing a running transport to another process with no renegotiation
 * (transport-export.c).  kg_tr_export appends to out everything the
 * transport needs to go on: both directions' keys and cipher positions,
 * sequence numbers, the counters since the last key exchange, the
 * negotiated names, session id and last exchange's result (host key as its
 * public blob), peer version, ext-info state, the authenticated flag, and
 * the input not yet read as packets (a packet whose length was already
 * learnt included).  Allowed only when the first key exchange has
 * completed and none is running, no message is being built or held,
 * kg_tr_output_pending() is 0 (flush first), the connection is not closed
 * and no compressed byte has passed yet (zlib@openssh.com started by
 * kg_tr_set_authenticated but not used is fine); else KG_ERR_STATE and out
 * is unchanged.  The blob is about 1 KiB plus the pending input; out
 * should be able to grow by KG_TR_EXPORT_MAX.  Time-based rekeying goes on
 * from the same monotonic clock (kg_tr_tick) in the new process.  The blob
 * holds keys: wipe it (kg_buf_free does) once sent; t stays usable but
 * must not send or read again (the peer would see the same state twice). */
#define KG_TR_EXPORT_MAX (4u * 1024 * 1024)
int kg_tr_export(const kg_transport *t, kg_buf *out) KG_WUR;
/* Makes a transport from a blob of kg_tr_export, with cfg as kg_tr_new
 * takes it (callbacks, preference lists for later re-exchanges, host keys,
 * rekey limits; cfg->is_server must match the blob).  The identification
 * strings are the blob's (the exchange hash of a re-exchange needs them).
 * Server: the host key of the last exchange is cfg's when one of
 * cfg->hostkeys has the same public key, else a copy of the blob's (a
 * re-exchange signs with one of cfg->hostkeys, so give the same ones).
 * No callback runs during the import (kex_done, verify_hostkey).  Every
 * field is checked; a corrupt or truncated blob gives a negative error and
 * no transport.  Nothing points into the blob afterwards.  The blob is the
 * sender's word: import does not make its session id or keys trustworthy. */
int kg_tr_import(kg_transport **out, const kg_tr_config *cfg, const uint8_t *blob, size_t len) KG_WUR;

#endif
