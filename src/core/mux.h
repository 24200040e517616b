/* The connection-sharing (multiplexing) protocol between a master kssh and
 * its clients over the control socket: message framing, encoding and
 * decoding, no I/O.  Each message is a uint32 length, then the body: a
 * uint32 type and the fields of that type. */
#ifndef KAGI_CORE_MUX_H
#define KAGI_CORE_MUX_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"

#define KG_MUX_VERSION 4
/* Largest message body either side accepts. */
#define KG_MUX_MAX_PACKET (256u * 1024)
/* Environment strings one session request may carry. */
#define KG_MUX_MAX_ENV 256

#define KG_MUX_HELLO            0x00000001u
#define KG_MUX_C_NEW_SESSION    0x10000002u
#define KG_MUX_C_ALIVE_CHECK    0x10000004u
#define KG_MUX_C_TERMINATE      0x10000005u
#define KG_MUX_C_OPEN_FWD       0x10000006u
#define KG_MUX_C_CLOSE_FWD      0x10000007u
#define KG_MUX_C_NEW_STDIO_FWD  0x10000008u
#define KG_MUX_C_STOP_LISTENING 0x10000009u
#define KG_MUX_C_PROXY          0x1000000fu
#define KG_MUX_S_OK             0x80000001u
#define KG_MUX_S_PERMISSION_DENIED 0x80000002u
#define KG_MUX_S_FAILURE        0x80000003u
#define KG_MUX_S_EXIT_MESSAGE   0x80000004u
#define KG_MUX_S_ALIVE          0x80000005u
#define KG_MUX_S_SESSION_OPENED 0x80000006u
#define KG_MUX_S_REMOTE_PORT    0x80000007u
#define KG_MUX_S_TTY_ALLOC_FAIL 0x80000008u
#define KG_MUX_S_PROXY          0x8000000fu

#define KG_MUX_FWD_LOCAL   1
#define KG_MUX_FWD_REMOTE  2
#define KG_MUX_FWD_DYNAMIC 3

#define KG_MUX_NO_ESCAPE 0xffffffffu

/* One message.  Which fields are meaningful depends on type; strings are
 * NUL-terminated copies owned by the message (kg_mux_msg_free).  id is the
 * request id (client requests, replies) or the session id (exit message,
 * tty allocation failure). */
typedef struct kg_mux_msg {
	uint32_t type;
	uint32_t id;
	uint32_t version;                   /* HELLO */
	/* NEW_SESSION (the booleans travel as uint32) */
	uint32_t want_tty, want_x11, want_agent, subsystem, escape_char;
	char *term, *command;
	char **env;
	size_t n_env;
	/* NEW_STDIO_FWD (host, port) and OPEN_FWD / CLOSE_FWD */
	uint32_t fwd_type;
	char *listen_host, *connect_host;
	uint32_t listen_port, connect_port;
	/* replies: SESSION_OPENED session id, ALIVE pid, EXIT_MESSAGE
	 * status, REMOTE_PORT port; PERMISSION_DENIED / FAILURE reason */
	uint32_t value;
	char *reason;
} kg_mux_msg;

/* Whether in holds a whole message: KG_OK with body and len set to it and
 * total to the bytes it takes (with the length field); KG_ERR_AGAIN if
 * more is needed; KG_ERR_TOO_LARGE for a length over KG_MUX_MAX_PACKET,
 * KG_ERR_FORMAT for one too short to hold a type. */
int kg_mux_frame(const uint8_t *in, size_t n, const uint8_t **body, size_t *len, size_t *total) KG_WUR;

/* Parses one message body into m (zeroed first).  Unknown types decode
 * to their type (and the request id, when there is one) with KG_OK, so the
 * master can refuse them by id.  Truncated or malformed fields are
 * KG_ERR_INCOMPLETE / KG_ERR_FORMAT and leave m freed. */
int kg_mux_decode(const uint8_t *body, size_t len, kg_mux_msg *m) KG_WUR;

/* Appends m as a framed message (length, type, fields) to out. */
int kg_mux_encode(const kg_mux_msg *m, kg_buf *out) KG_WUR;

void kg_mux_msg_free(kg_mux_msg *m);

/* The name of a message type, for logs ("unknown" for others). */
const char *kg_mux_type_name(uint32_t type);

#endif
