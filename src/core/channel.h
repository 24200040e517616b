/* The SSH connection protocol (RFC 4254): channels, flow control, channel
 * and global requests.  This module does no I/O.  The transport hands it
 * each incoming message of types 80..100 as (type, payload after the type
 * byte); it writes its own messages through a kg_pkt_sink.  The programs
 * own the sockets, fds and ptys and drive it.
 *
 * Model
 *   kg_conn      one per connection: the sink, a fixed table of channels
 *                (allocated once at init, so kg_channel pointers stay
 *                valid until the channel is freed), flow-control defaults.
 *   kg_channel   one slot of that table.  Its local id is its index, so ids
 *                are small and reused once a slot is freed; a slot is only
 *                freed after CLOSE was both sent and received (or the open
 *                failed), when the peer can no longer name the old channel.
 *
 * Incoming: kg_conn_handle() checks one message, updates the state and
 * describes what happened in ONE kg_conn_event (often KG_CEV_NONE).  Any
 * pointer in the event points into the payload (or the channel) and is valid
 * only until the next call.  A negative return (KG_ERR_PROTOCOL for a
 * malformed message, KG_ERR_CHANNEL for a message that breaks the channel
 * rules, KG_ERR_UNEXPECTED_MSG for a type outside 80..100, or a sink error)
 * means the transport should disconnect.  Some messages are answered by the
 * layer itself: a CLOSE is echoed, an open beyond the channel limit is
 * refused with RESOURCE_SHORTAGE.
 *
 * Flow control.  local_window is how much the peer may still send us; every
 * byte received is "held" until the program reports with kg_conn_consumed()
 * that it has delivered it.  Once the consumed room not yet granted back
 * reaches half of the channel's target window, it is granted in one
 * WINDOW_ADJUST (one adjust per half window, not per packet).
 * remote_window is how much we may send; kg_conn_send_data() takes what it
 * allows and says how much; KG_CEV_WINDOW says when more may be sent.
 * The windows of all channels share one budget (cfg.total_window, see
 * KG_CONN_WINDOW_TOTAL_DEFAULT), so a peer opening many channels cannot
 * make us buffer more than that in total.
 *
 * Sending.  A send on a channel that is closing or closed returns
 * KG_ERR_CLOSED; on one in the wrong state otherwise (not yet open, data
 * after EOF) KG_ERR_ARG.  Neither writes anything.  A sink error is fatal
 * for the connection: the sink has no way to drop a half-written message. */
#ifndef KAGI_CHANNEL_H
#define KAGI_CHANNEL_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/packet.h"

#define KG_CONN_MAX_CHANNELS_DEFAULT 64
#define KG_CONN_MAX_CHANNELS_LIMIT   4096
#define KG_CONN_WINDOW_DEFAULT       (2u * 1024 * 1024)
#define KG_CONN_MAXPKT_DEFAULT       (32u * 1024)
/* How far the programs let a channel's receive window grow. */
#define KG_CONN_WINDOW_GROW_MAX      (32u * 1024 * 1024)
/* Connection-wide cap on the receive windows of all channels together
 * (the sum of their targets, which bounds what the peer may have in
 * flight plus what we hold undelivered): a window grows only while the
 * sum stays under it, and a new channel starts with what is left of it,
 * but never less than KG_CONN_WINDOW_FLOOR (or cfg.window if smaller).
 * So the sum is at most KG_CONN_WINDOW_TOTAL_DEFAULT + max_channels x
 * KG_CONN_WINDOW_FLOOR: 80 MiB with the default 64 channels.  One
 * channel alone still grows to KG_CONN_WINDOW_GROW_MAX. */
#define KG_CONN_WINDOW_TOTAL_DEFAULT (64u * 1024 * 1024)
#define KG_CONN_WINDOW_FLOOR         (256u * 1024)
#define KG_CONN_MAXPKT_LIMIT         (256u * 1024)
/* RFC 4251 6: algorithm, channel-type and request names are at most 64
 * printable US-ASCII characters. */
#define KG_CONN_NAME_MAX 64

typedef enum {
	KG_CONN_CLIENT = 0,
	KG_CONN_SERVER = 1,
} kg_conn_role;

typedef enum {
	KG_CH_FREE = 0,   /* slot unused */
	KG_CH_INCOMING,   /* the peer asked to open it; we have not answered */
	KG_CH_OPENING,    /* we asked to open it; no answer yet */
	KG_CH_OPEN,
	KG_CH_CLOSING,    /* we sent CLOSE; the peer's CLOSE has not arrived */
	KG_CH_CLOSED,     /* CLOSE sent and received, or the open failed: free it */
} kg_ch_state;

typedef struct kg_channel {
	uint32_t local_id;
	uint32_t remote_id;
	kg_ch_state state;
	char type[KG_CONN_NAME_MAX + 1];
	unsigned eof_sent : 1, eof_rcvd : 1, close_sent : 1, close_rcvd : 1;
	unsigned close_wanted : 1;  /* closed by us before the open was answered */
	/* What the peer may still send us; our packet limit; the window we aim
	 * to keep granted; bytes received but not yet consumed by the program. */
	uint32_t local_window, local_maxpkt, local_target, local_held;
	/* What we may still send; the peer's packet limit. */
	uint32_t remote_window, remote_maxpkt;
	/* Our requests awaiting CHANNEL_SUCCESS/FAILURE; the peer's requests
	 * awaiting our reply. */
	uint32_t replies_due_us, replies_due_peer;
	/* What arrived since rx_t0_ms (the current rate sample, see
	 * kg_conn_config.max_window); rx_started once the first data came. */
	uint64_t rx_t0_ms, rx_bytes;
	unsigned rx_started : 1;
	void *user;  /* the program's */
} kg_channel;

typedef struct kg_conn_config {
	uint32_t max_channels;  /* 1..KG_CONN_MAX_CHANNELS_LIMIT */
	uint32_t window;        /* initial local window of new channels, >= 1 */
	uint32_t max_packet;    /* our max packet (data bytes), 1..KG_CONN_MAXPKT_LIMIT */
	uint32_t max_send;      /* our own cap on data bytes per sent packet */
	/* Receive-window growth (as HPN-SSH does): a channel's window follows
	 * the path's bandwidth x delay.  When, over at least one round trip
	 * (kg_conn_set_rtt), the peer sent at least 3/8 of the window per
	 * round trip (the room granted on growing reaches it only a round trip
	 * later, so a sample right after a doubling sees about half the new
	 * target: 3/8 keeps the doubling once per round trip), or it had used
	 * up nearly all of it by the time we grant more, the window is what
	 * limits the transfer, so its target doubles, up to max_window (and the
	 * connection's budget).  A peer sending R per round trip thus ends with
	 * a window of about 2.7-5.3 x R.  0 keeps windows fixed. */
	uint32_t max_window;
	/* The clock for those rate samples (milliseconds, monotonic), called
	 * with clock_arg; NULL: only the used-up test grows windows. */
	uint64_t (*clock_ms)(void *clock_arg);
	void *clock_arg;
	/* Cap on the sum of all channels' window targets (see
	 * KG_CONN_WINDOW_TOTAL_DEFAULT); 0 is the default, there is no "none". */
	uint32_t total_window;
} kg_conn_config;

typedef struct kg_conn {
	kg_pkt_sink sink;
	kg_conn_role role;
	kg_conn_config cfg;
	kg_channel *chans;  /* cfg.max_channels slots */
	uint32_t nopen;     /* slots in use */
	/* What the channels have committed: the sum over the slots in use of
	 * the larger of local_target and local_window + local_held (the two
	 * differ only after the target was lowered); at most about
	 * cfg.total_window (see KG_CONN_WINDOW_TOTAL_DEFAULT). */
	uint64_t window_sum;
	/* Our global requests awaiting a reply; the peer's awaiting ours. */
	uint32_t greplies_due_us, greplies_due_peer;
	/* The round trip to the peer as measured at the SSH layer (or by TCP
	 * until then), milliseconds; 0: unknown. */
	uint32_t rtt_ms;
} kg_conn;

typedef enum {
	KG_CEV_NONE = 0,
	KG_CEV_DATA,            /* ch, data/len, ext (0 data, 1 stderr) */
	KG_CEV_EOF,             /* ch: the peer will send no more data */
	KG_CEV_CLOSE,           /* ch: closed both ways; release, then kg_conn_channel_free */
	KG_CEV_OPEN_REQUEST,    /* ch (INCOMING), name = type, data = type-specific;
				 * answer kg_conn_open_confirm / kg_conn_open_fail */
	KG_CEV_OPEN_CONFIRMED,  /* ch, data = type-specific data (if any) */
	KG_CEV_OPEN_FAILED,     /* ch (CLOSED), reason, data = description;
				 * release, then kg_conn_channel_free */
	KG_CEV_REQUEST,         /* ch, name, want_reply, data; if want_reply,
				 * answer kg_conn_request_reply, in order */
	KG_CEV_REQUEST_SUCCESS, /* ch: reply to our oldest pending request */
	KG_CEV_REQUEST_FAILURE,
	KG_CEV_GLOBAL_REQUEST,  /* name, want_reply, data; answer kg_conn_global_reply */
	KG_CEV_GLOBAL_REPLY,    /* ok, data (e.g. the bound port of tcpip-forward) */
	KG_CEV_WINDOW,          /* ch, window_add: the peer's window grew */
} kg_cev;

typedef struct kg_conn_event {
	kg_cev type;
	kg_channel *ch;
	char name[KG_CONN_NAME_MAX + 1];  /* NUL-terminated */
	int want_reply;
	int ok;
	uint32_t ext;         /* extended data type code; 0 for CHANNEL_DATA */
	uint32_t reason;      /* open failure reason code */
	uint32_t window_add;
	const uint8_t *data;  /* into the payload */
	size_t len;
} kg_conn_event;

/* Defaults: 64 channels, 2 MiB window, 32 KiB packets, 256 KiB send cap,
 * fixed windows, 64 MiB for all windows together. */
void kg_conn_config_default(kg_conn_config *cfg);
/* cfg may be NULL for the defaults.  The sink is copied. */
int kg_conn_init(kg_conn *c, const kg_conn_config *cfg, const kg_pkt_sink *sink,
		 kg_conn_role role) KG_WUR;
void kg_conn_free(kg_conn *c);

/* NULL unless local_id names a slot in use. */
kg_channel *kg_conn_channel(kg_conn *c, uint32_t local_id);
/* Releases a CLOSED channel's slot; KG_ERR_ARG in any other state. */
int kg_conn_channel_free(kg_conn *c, kg_channel *ch) KG_WUR;

/* ---- incoming ---- */
int kg_conn_handle(kg_conn *c, uint8_t type, const uint8_t *payload, size_t len,
		   kg_conn_event *ev) KG_WUR;

/* ---- opening ---- */
int kg_conn_open(kg_conn *c, const char *type, const uint8_t *extra, size_t extra_len,
		 kg_channel **chp) KG_WUR;
int kg_conn_open_session(kg_conn *c, kg_channel **chp) KG_WUR;
/* "direct-tcpip" or "forwarded-tcpip" (RFC 4254 7.1, 7.2): the address and
 * port to connect to (or that were connected), then the originator's. */
int kg_conn_open_tcpip(kg_conn *c, const char *type, const char *host, uint32_t port,
		       const char *orig_host, uint32_t orig_port, kg_channel **chp) KG_WUR;
/* Answers a KG_CEV_OPEN_REQUEST.  open_fail releases the slot. */
int kg_conn_open_confirm(kg_conn *c, kg_channel *ch) KG_WUR;
int kg_conn_open_fail(kg_conn *c, kg_channel *ch, uint32_t reason, const char *text) KG_WUR;

/* ---- data, flow control, EOF, CLOSE ---- */
/* Sends up to len bytes as CHANNEL_DATA (ext 0) or CHANNEL_EXTENDED_DATA
 * (ext = type code, 1 for stderr), split to fit the remote window and packet
 * size; *sent says how many were taken (0 when the window is shut). */
int kg_conn_send_data(kg_conn *c, kg_channel *ch, uint32_t ext, const uint8_t *data,
		      size_t len, size_t *sent) KG_WUR;
/* The program delivered n received bytes; may send a WINDOW_ADJUST. */
int kg_conn_consumed(kg_conn *c, kg_channel *ch, size_t n) KG_WUR;
/* Sets the window this channel aims to keep granted; raising it grants the
 * difference at once.  A raise is cut to what the connection-wide cap
 * leaves (never below the current target); lowering takes effect as the
 * held data is consumed. */
int kg_conn_set_window(kg_conn *c, kg_channel *ch, uint32_t target) KG_WUR;
/* The round trip to the peer, in milliseconds (0: unknown), for window
 * growth (kg_conn_config.max_window). */
void kg_conn_set_rtt(kg_conn *c, uint32_t rtt_ms);
/* Both are sent at most once; repeating is a no-op.  Closing a channel that
 * is still opening sends CLOSE as soon as the confirmation arrives. */
int kg_conn_send_eof(kg_conn *c, kg_channel *ch) KG_WUR;
int kg_conn_send_close(kg_conn *c, kg_channel *ch) KG_WUR;

/* ---- channel requests ---- */
int kg_conn_send_request(kg_conn *c, kg_channel *ch, const char *name, int want_reply,
			 const uint8_t *extra, size_t extra_len) KG_WUR;
/* Answers the peer's oldest request that wanted a reply (nothing is sent if
 * the channel is closing: the peer no longer expects one). */
int kg_conn_request_reply(kg_conn *c, kg_channel *ch, int ok) KG_WUR;

/* The requests of a session (RFC 4254 6).  modes is the encoded terminal
 * modes string (see kg_tty_modes_encode). */
int kg_conn_req_pty(kg_conn *c, kg_channel *ch, int want_reply, const char *term,
		    uint32_t cols, uint32_t rows, uint32_t px, uint32_t py,
		    const uint8_t *modes, size_t modes_len) KG_WUR;
int kg_conn_req_window_change(kg_conn *c, kg_channel *ch, uint32_t cols, uint32_t rows,
			      uint32_t px, uint32_t py) KG_WUR;
int kg_conn_req_env(kg_conn *c, kg_channel *ch, int want_reply, const char *name,
		    const char *value) KG_WUR;
int kg_conn_req_exec(kg_conn *c, kg_channel *ch, int want_reply, const uint8_t *cmd,
		     size_t cmd_len) KG_WUR;
int kg_conn_req_shell(kg_conn *c, kg_channel *ch, int want_reply) KG_WUR;
int kg_conn_req_subsystem(kg_conn *c, kg_channel *ch, int want_reply, const char *name) KG_WUR;
int kg_conn_req_exit_status(kg_conn *c, kg_channel *ch, uint32_t status) KG_WUR;
/* signame without the "SIG" prefix, e.g. "TERM". */
int kg_conn_req_exit_signal(kg_conn *c, kg_channel *ch, const char *signame, int core_dumped,
			    const char *msg, const char *lang) KG_WUR;
int kg_conn_req_signal(kg_conn *c, kg_channel *ch, const char *signame) KG_WUR;

/* ---- global requests ---- */
int kg_conn_send_global(kg_conn *c, const char *name, int want_reply, const uint8_t *extra,
			size_t extra_len) KG_WUR;
/* Answers the peer's oldest global request that wanted a reply; data (may
 * be NULL) follows a success, e.g. the port bound for tcpip-forward. */
int kg_conn_global_reply(kg_conn *c, int ok, const uint8_t *data, size_t len) KG_WUR;

/* ---- request-specific data (channel-request.c) ----
 * Parsers take the data view of a KG_CEV_REQUEST; strings come back as
 * views into it.  A field missing or bytes left over is KG_ERR_PROTOCOL. */
typedef struct kg_str {
	const uint8_t *p;
	size_t len;
} kg_str;

typedef struct kg_pty_req {
	kg_str term;
	uint32_t cols, rows, px, py;
	kg_str modes;  /* encoded terminal modes: kg_tty_modes_parse */
} kg_pty_req;

typedef struct kg_win_change {
	uint32_t cols, rows, px, py;
} kg_win_change;

typedef struct kg_exit_signal {
	kg_str signame, msg, lang;
	int core_dumped;
} kg_exit_signal;

int kg_req_parse_pty(const uint8_t *d, size_t len, kg_pty_req *out) KG_WUR;
int kg_req_parse_window_change(const uint8_t *d, size_t len, kg_win_change *out) KG_WUR;
int kg_req_parse_env(const uint8_t *d, size_t len, kg_str *name, kg_str *value) KG_WUR;
/* exec's command, subsystem's name, signal's name: one string. */
int kg_req_parse_string(const uint8_t *d, size_t len, kg_str *out) KG_WUR;
/* exit-status; break (RFC 4335) has the same layout. */
int kg_req_parse_u32(const uint8_t *d, size_t len, uint32_t *out) KG_WUR;
int kg_req_parse_exit_signal(const uint8_t *d, size_t len, kg_exit_signal *out) KG_WUR;
/* Requests with no data (shell, auth-agent-req@openssh.com): only checks
 * there is none. */
int kg_req_parse_none(const uint8_t *d, size_t len) KG_WUR;

/* Encoded terminal modes (RFC 4254 8): opcode bytes, each of 1..159 followed
 * by a uint32 argument, ended by TTY_OP_END (0); an opcode of 160..255 ends
 * parsing, as its argument format is unknown. */
#define KG_TTY_OP_END 0
#define KG_TTY_OP_ISPEED 128
#define KG_TTY_OP_OSPEED 129
#define KG_TTY_OP_ARG_MAX 159

typedef struct kg_tty_mode {
	uint8_t opcode;
	uint32_t value;
} kg_tty_mode;

/* Fills up to max pairs; *n is how many.  More than max: KG_ERR_TOO_LARGE.
 * A truncated argument: KG_ERR_PROTOCOL.  A missing TTY_OP_END is accepted
 * (several clients omit it); whatever follows the end is ignored. */
int kg_tty_modes_parse(const uint8_t *d, size_t len, kg_tty_mode *out, size_t max,
		       size_t *n) KG_WUR;
/* Appends the encoding of the pairs plus TTY_OP_END to b (raw bytes: pass
 * them to kg_conn_req_pty as modes).  Opcodes must be 1..159. */
int kg_tty_modes_encode(kg_buf *b, const kg_tty_mode *modes, size_t n) KG_WUR;

#endif
