/* The monitor protocol of ksshd's privilege separation: the few requests the unprivileged processes may send the root monitor, their framing, their parser and which are allowed when. */
#ifndef KAGI_SVR_MON_PROTO_H
#define KAGI_SVR_MON_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/transport.h"
#include "core/safety.h"

/* Every frame: uint32 length (of what follows), byte version, byte type,
 * the body.  A frame with another version is refused, so a monitor and a
 * child from different builds never misread each other. */
#define KG_MON_VERSION 1
#define KG_MON_MAX_FRAME (KG_TR_EXPORT_MAX + 64u * 1024)  /* the transport hand-over is the largest */
#define KG_MON_MAX_NAME 1024                 /* user, algorithm, method, tty, devices */
#define KG_MON_MAX_SECRET 1024               /* a password */
#define KG_MON_MAX_DATA (64u * 1024)         /* data to sign, key blobs, signatures */

/* Requests.  A reply has the request's type | KG_MON_REPLY. */
enum kg_mon_type {
	KG_MON_SIGN = 1,          /* u8 purpose, u32 host key index, string alg, string data */
	KG_MON_PUBKEY_QUERY,      /* string user, string key blob */
	KG_MON_PUBKEY_VERIFY,     /* string user, string alg, string key blob, string signature */
	KG_MON_PASSWORD,          /* string user, string password */
	KG_MON_KBD_START,         /* string user, string devices */
	KG_MON_KBD_ANSWER,        /* string user, string INFO_RESPONSE body */
	KG_MON_KBD_END,           /* nothing */
	KG_MON_AUTH_DONE,         /* string user, string method, string transport state */
	KG_MON_PTY_STARTED,       /* u32 pid, string tty, bool greet */
	KG_MON_PTY_ENDED,         /* u32 pid */
	KG_MON_PTY_OPEN,          /* nothing; the reply (payload: the tty's path) is followed by the
				   * master and the slave, each on one byte (SCM_RIGHTS) */
	KG_MON_TYPE_MAX_
};
#define KG_MON_REPLY 0x80

/* What a KG_MON_SIGN signs: the exchange hash of a key exchange, or a
 * hostkeys-prove-00@openssh.com answer (whose layout the monitor checks). */
enum { KG_MON_SIGN_KEX = 1, KG_MON_SIGN_PROVE = 2 };

/* The monitor's view of the connection, for which requests it takes. */
enum kg_mon_phase {
	KG_MON_PHASE_PREAUTH = 0,  /* the unprivileged child: kex and authentication */
	KG_MON_PHASE_POSTAUTH,     /* the user's process: rekeys, host key proofs, pty records */
};

/* One parsed request.  Names are copied NUL-terminated ("" when the type
 * has none); data, blob, sig, secret and state point into the frame. */
typedef struct kg_mon_req {
	uint8_t type;
	uint8_t purpose;
	uint32_t index, pid;
	int greet;
	char user[KG_MON_MAX_NAME + 1], alg[KG_MON_MAX_NAME + 1], method[KG_MON_MAX_NAME + 1];
	char tty[KG_MON_MAX_NAME + 1], devices[KG_MON_MAX_NAME + 1];
	const uint8_t *data, *blob, *sig, *secret, *state;
	size_t data_len, blob_len, sig_len, secret_len, state_len;
} kg_mon_req;

/* Parses one frame's contents (after the length: version, type, body).
 * Refuses another version, an unknown type, a field over its cap, a name
 * holding a NUL, trailing bytes.  The views in r point into p. */
int kg_mon_parse(const uint8_t *p, size_t len, kg_mon_req *r) KG_WUR;
/* 1 when a request of this type is one the monitor answers in phase. */
int kg_mon_allowed(enum kg_mon_phase phase, uint8_t type);
const char *kg_mon_type_name(uint8_t type);

/* Builders: each appends one whole frame (length included) to out. */
int kg_mon_begin(kg_buf *out, uint8_t type, size_t *start) KG_WUR;
int kg_mon_end(kg_buf *out, size_t start) KG_WUR;

/* A reply's contents (after the length): version, type, int32 status, byte
 * user_valid, string payload. */
typedef struct kg_mon_reply {
	uint8_t type;
	int32_t status;
	int user_valid;
	const uint8_t *payload;
	size_t payload_len;
} kg_mon_reply;
int kg_mon_parse_reply(const uint8_t *p, size_t len, kg_mon_reply *r) KG_WUR;
int kg_mon_put_reply(kg_buf *out, uint8_t req_type, int32_t status, int user_valid, const uint8_t *payload,
		     size_t payload_len) KG_WUR;

#endif
