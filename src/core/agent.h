/* The agent protocol (draft-miller-ssh-agent): message framing, request and
 * answer encoding and parsing, for both the agent and its clients.  No I/O. */
#ifndef KAGI_AGENT_H
#define KAGI_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/key.h"

enum kg_agent_msg {
	KG_AGENT_FAILURE = 5,
	KG_AGENT_SUCCESS = 6,
	KG_AGENTC_REQUEST_IDENTITIES = 11,
	KG_AGENT_IDENTITIES_ANSWER = 12,
	KG_AGENTC_SIGN_REQUEST = 13,
	KG_AGENT_SIGN_RESPONSE = 14,
	KG_AGENTC_ADD_IDENTITY = 17,
	KG_AGENTC_REMOVE_IDENTITY = 18,
	KG_AGENTC_REMOVE_ALL_IDENTITIES = 19,
	KG_AGENTC_LOCK = 22,
	KG_AGENTC_UNLOCK = 23,
	KG_AGENTC_ADD_ID_CONSTRAINED = 25,
	KG_AGENTC_EXTENSION = 27,
	KG_AGENT_EXTENSION_FAILURE = 28,
};

#define KG_AGENT_CONSTRAIN_LIFETIME 1
#define KG_AGENT_CONSTRAIN_CONFIRM 2
#define KG_AGENT_CONSTRAIN_EXTENSION 3
/* The number OpenSSH sends for an extension constraint (PROTOCOL.agent). */
#define KG_AGENT_CONSTRAIN_EXTENSION_OPENSSH 255
#define KG_AGENT_RESTRICT_DEST "restrict-destination-v00@openssh.com"
#define KG_AGENT_RSA_SHA2_256 2
#define KG_AGENT_RSA_SHA2_512 4

/* The largest message either side accepts (as a length prefix). */
#define KG_AGENT_MAX_MSG (256u * 1024)
/* The most identities an answer may list. */
#define KG_AGENT_MAX_KEYS 2048u

/* Framing: with avail bytes at p, KG_OK and *msglen (the contents after the
 * 4-byte length) when a whole message is there, KG_ERR_AGAIN when more is
 * needed, KG_ERR_TOO_LARGE / KG_ERR_FORMAT for an impossible length. */
int kg_agent_frame(const uint8_t *p, size_t avail, size_t *msglen) KG_WUR;

/* ---- requests (a client builds them; each appends one framed message) ---- */
int kg_agent_put_simple(kg_buf *out, uint8_t type) KG_WUR;  /* 11, 19; or a bare answer 5/6 */
int kg_agent_put_sign_request(kg_buf *out, const uint8_t *blob, size_t blob_len, const uint8_t *data,
			      size_t data_len, uint32_t flags) KG_WUR;
/* ADD_IDENTITY, or ADD_ID_CONSTRAINED when lifetime > 0 or confirm. */
int kg_agent_put_add(kg_buf *out, const kg_key *priv, const char *comment, uint32_t lifetime,
		     int confirm) KG_WUR;
/* The same with a destination restriction: dest (dest_len bytes, the
 * constraint[] list of PROTOCOL.agent) sent as OpenSSH's
 * restrict-destination-v00@openssh.com extension constraint; dest NULL is
 * kg_agent_put_add. */
int kg_agent_put_add_dest(kg_buf *out, const kg_key *priv, const char *comment, uint32_t lifetime, int confirm,
			  const uint8_t *dest, size_t dest_len) KG_WUR;
int kg_agent_put_remove(kg_buf *out, const uint8_t *blob, size_t blob_len) KG_WUR;
int kg_agent_put_lock(kg_buf *out, int lock, const char *pass) KG_WUR;
int kg_agent_put_extension(kg_buf *out, const char *name, const uint8_t *data, size_t len) KG_WUR;
/* The session-bind@openssh.com extension: the server's host key blob, the
 * session id, the host key's signature over it, and whether the
 * connection forwards the agent. */
int kg_agent_put_session_bind(kg_buf *out, const uint8_t *hostkey, size_t hk_len, const uint8_t *sid,
			      size_t sid_len, const uint8_t *sig, size_t sig_len, int forwarding) KG_WUR;
/* The flags asking for the signature algorithm sigalg of key type t. */
uint32_t kg_agent_sign_flags(enum kg_keytype t, const char *sigalg);
/* The signature algorithm flags select for key type t. */
const char *kg_agent_flags_sigalg(enum kg_keytype t, uint32_t flags);

/* ---- requests (the agent parses them) ---- */
typedef struct kg_agent_request {
	uint8_t type;
	/* SIGN_REQUEST (blob, data, flags), REMOVE_IDENTITY (blob) */
	const uint8_t *blob, *data;
	size_t blob_len, data_len;
	uint32_t flags;
	/* ADD_*: a private key (its comment in key->comment), constraints */
	kg_key *key;
	uint32_t lifetime;      /* seconds, 0 = none */
	int confirm;
	/* the restrict-destination-v00@openssh.com constraint's contents (the
	 * agent parses them), or NULL */
	const uint8_t *dest;
	size_t dest_len;
	/* LOCK/UNLOCK: the passphrase */
	const uint8_t *pass;
	size_t pass_len;
	/* EXTENSION: name and contents; for session-bind@openssh.com the
	 * fields below are parsed too. */
	char *ext_name;
	const uint8_t *ext_data;
	size_t ext_len;
	const uint8_t *bind_hostkey, *bind_sid, *bind_sig;
	size_t bind_hostkey_len, bind_sid_len, bind_sig_len;
	int bind_forwarding;
} kg_agent_request;

/* Parses one message's contents (after the length).  Views point into msg.
 * A type the codec does not know parses as just its type (the agent
 * answers FAILURE); a known type with bad fields, trailing bytes or an
 * unknown constraint is an error. */
int kg_agent_request_parse(const uint8_t *msg, size_t len, kg_agent_request *req) KG_WUR;
void kg_agent_request_free(kg_agent_request *req);

/* ---- answers ---- */
typedef struct kg_agent_id {
	uint8_t *blob;
	size_t blob_len;
	char *comment;
} kg_agent_id;

/* The agent builds IDENTITIES_ANSWER by starting it, adding each key and
 * finishing it (which writes the count and the frame length). */
int kg_agent_put_identities_begin(kg_buf *out, size_t *mark) KG_WUR;
int kg_agent_put_identity(kg_buf *out, const uint8_t *blob, size_t blob_len, const char *comment) KG_WUR;
int kg_agent_put_identities_end(kg_buf *out, size_t mark, uint32_t n) KG_WUR;
int kg_agent_put_sign_response(kg_buf *out, const uint8_t *sig, size_t sig_len) KG_WUR;

/* A client parses an answer's contents: the list (malloc'ed, free with
 * kg_agent_ids_free), a signature (malloc'ed), or SUCCESS/FAILURE (KG_OK,
 * or KG_ERR_NOT_FOUND for FAILURE / EXTENSION_FAILURE). */
int kg_agent_parse_identities(const uint8_t *msg, size_t len, kg_agent_id **ids, size_t *n) KG_WUR;
void kg_agent_ids_free(kg_agent_id *ids, size_t n);
int kg_agent_parse_sign_response(const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len) KG_WUR;
int kg_agent_parse_status(const uint8_t *msg, size_t len) KG_WUR;

#endif
