/* The connection engine, one for both sides: socket <-> kg_transport <->
 * kg_conn <-> channel consumers, on a kg_loop.
 *
 * The engine owns the socket's registration with the loop: it reads in
 * large chunks into the transport, writes the transport's output (write
 * interest only while output is queued), stops reading the socket while
 * more than KG_ENGINE_BACKLOG bytes wait to be sent, ticks the transport
 * for time-based rekeying, and hands each connection-layer event to the
 * consumer registered on its channel.  Client and server differ only in
 * their set-up (a hook for the messages before the channels start, such
 * as user authentication) and in the consumers they register.
 *
 * A consumer is a small object (kg_consumer plus its ops) attached to one
 * channel; it owns whatever local descriptors it feeds and registers them
 * with the same loop itself.  Adding a kind of consumer never touches the
 * engine.  Flow control is the consumer's: received data is granted back
 * (kg_conn_consumed) only once delivered, so a consumer that cannot write
 * its output stops consuming and the peer's window stays shut; data to
 * send is read from a local source only while the remote window and the
 * engine (kg_engine_may_send) allow, and `writable` says when either grew.
 *
 * Errors inside loop callbacks end the engine: the first one is kept in
 * status and kg_engine_run returns it.
 *
 * Memory a peer can make one connection hold (the server's and the
 * client's alike: the same code), each with its cap:
 *   channels            KG_CONN_MAX_CHANNELS_DEFAULT (64) at once; one more
 *                       is refused with RESOURCE_SHORTAGE.
 *   receive windows     each channel's up to KG_CONN_WINDOW_GROW_MAX
 *                       (32 MiB), all together KG_CONN_WINDOW_TOTAL_DEFAULT
 *                       (64 MiB; a window grows only within it, a new
 *                       channel gets what is left but at least
 *                       KG_CONN_WINDOW_FLOOR, 256 KiB: 80 MiB at most with
 *                       64 channels).  This bounds everything below that
 *                       holds received channel data.  A window grows (on
 *                       both sides, doubling) only while the peer sends
 *                       3/8 of it or more per round trip: it follows the
 *                       path's bandwidth x delay, the round trip measured
 *                       by keepalive probes (KG_ENGINE_PROBE_MS), first
 *                       by TCP_INFO (src/core/channel.h max_window).
 *   socket send buffer  raised for long paths to net.core.wmem_max, at
 *                       most KG_NET_SNDBUF_MAX (16 MiB, 32 MiB as the
 *                       kernel counts it), only where TCP's autotuning
 *                       stops lower (src/sys/net.h kg_net_tune_bulk); the
 *                       receive buffer is left to autotuning.
 *   data for local fds  kg_chan_out (sessions' stdin, forwarded sockets),
 *                       the client's streams: at most the channel's window,
 *                       as it is granted back only once written (and
 *                       CHAN_OUT_MAX in conn.c for a peer ignoring it).
 *   data from local fds none waits for the peer's window: it is read only
 *                       up to the remote window, KG_ENGINE_READ_CHUNK
 *                       (256 KiB) at a time into one buffer per engine.
 *   output              consumers stop, and the socket is not read, while
 *                       KG_ENGINE_BACKLOG (4 MiB) waits to be written; the
 *                       transport's hard cap is 64 MiB.
 *   held messages       what is written during our key exchange counts in
 *                       the same 4 MiB backlog for consumers; the
 *                       transport's hard cap is 16 MiB (then an error).
 *   input               the transport buffers at most 2 MiB, packets of at
 *                       most KG_TR_MAX_PACKET (256 KiB).
 *   global requests     ours awaiting an answer: KG_ENGINE_GLOBAL_PENDING
 *                       (64); the peer's are answered as they come.
 *   SFTP server         (a process of its own) 1 MiB of input, stops
 *                       reading requests while 2 MiB of replies wait,
 *                       256 handles: src/sftp/sftp-server.c.
 *   session requests    term 256 bytes, modes 4 KiB, environment 256
 *                       variables and KG_SVR_ENV_BYTES_MAX (256 KiB) in all
 *                       per session, MaxSessions sessions:
 *                       src/conn/svr-session.c. */
#ifndef KAGI_CONN_CONN_H
#define KAGI_CONN_CONN_H

#include <stddef.h>
#include <stdint.h>
#include "core/channel.h"
#include "core/transport.h"
#include "sys/loop.h"

/* Stop reading the socket while this much output waits to be sent. */
#define KG_ENGINE_BACKLOG (4u * 1024 * 1024)
/* Largest read from a consumer's local descriptor in one go. */
#define KG_ENGINE_READ_CHUNK (256u * 1024)
/* How often the transport is ticked for time-based rekeying. */
#define KG_ENGINE_TICK_MS 30000
/* While a channel with growing windows receives data, the round trip is
 * measured with a keepalive@openssh.com global request (any answer will
 * do; every implementation answers one) at most this often; the smallest
 * of the last KG_ENGINE_RTT_SAMPLES is the path's round trip (the others
 * also waited behind the peer's queued data), until then TCP's. */
#define KG_ENGINE_PROBE_MS 1000
#define KG_ENGINE_RTT_SAMPLES 4
/* Our global requests that may await a reply at once (forwards, keepalives,
 * host key proofs); one more is refused with KG_ERR_ARG. */
#define KG_ENGINE_GLOBAL_PENDING 64

typedef struct kg_engine kg_engine;
typedef struct kg_consumer kg_consumer;

/* The peer's answer to one of our global requests: ok, and what a success
 * carried (tcpip-forward's bound port, hostkeys-prove-00's signatures).
 * A negative return ends the connection. */
typedef int (*kg_global_reply_cb)(void *arg, int ok, const uint8_t *data, size_t len);
typedef struct kg_engine_greq {
	kg_global_reply_cb cb;   /* NULL: the answer is not wanted any more */
	void *arg;
} kg_engine_greq;

/* Every op is optional.  An op returning a negative error ends the
 * connection.  data: deliver, then grant with kg_conn_consumed (a missing
 * op grants at once).  request: answer with kg_conn_request_reply if
 * want_reply (a missing op refuses).  reply: our oldest request was
 * answered.  writable: the remote window grew, or the engine's backlog
 * fell below its cap.  release: the channel is gone (closed both ways,
 * the open failed, or the engine is freed); k->ch is NULL from now on and
 * the consumer may free itself. */
typedef struct kg_consumer_ops {
	int (*opened)(kg_consumer *k, const kg_conn_event *ev);
	int (*open_failed)(kg_consumer *k, const kg_conn_event *ev);
	int (*data)(kg_consumer *k, uint32_t ext, const uint8_t *d, size_t n);
	int (*eof)(kg_consumer *k);
	int (*request)(kg_consumer *k, const kg_conn_event *ev);
	int (*reply)(kg_consumer *k, int ok);
	int (*writable)(kg_consumer *k);
	void (*release)(kg_consumer *k);
} kg_consumer_ops;

/* Embedded in the consumer's own struct (see KG_CONSUMER_OF). */
struct kg_consumer {
	const kg_consumer_ops *ops;
	kg_engine *eng;
	kg_channel *ch;
};

#define KG_CONSUMER_OF(k, type, member) ((type *)(void *)((char *)(k) - offsetof(type, member)))

/* What differs between the sides.  message: every packet outside the
 * connection protocol until kg_engine_start_channels (NULL: refused
 * with UNIMPLEMENTED); afterwards userauth messages are ignored (RFC 4252
 * 5.1) and others answered UNIMPLEMENTED.  open_request: the peer opens a
 * channel; attach a consumer and confirm, or refuse (NULL: refused as
 * administratively prohibited).  global_request: answer it (NULL:
 * refused). */
typedef struct kg_engine_hooks {
	int (*message)(void *arg, int type, const uint8_t *p, size_t n);
	int (*open_request)(void *arg, kg_channel *ch, const kg_conn_event *ev);
	int (*global_request)(void *arg, const kg_conn_event *ev);
	void *arg;
} kg_engine_hooks;

struct kg_engine {
	kg_loop *loop;
	int rfd, wfd;            /* the socket (both the same), or two pipes */
	kg_transport *tr;
	kg_conn conn;            /* valid once conn_ready */
	int conn_ready;
	kg_engine_hooks hooks;
	const char *proto_error; /* DISCONNECT text for a broken channel message */
	int status;              /* 0 while running; the error that ended it */
	int peer_eof;            /* the socket reached end of file */
	int rd_on, wr_on;        /* interest currently registered */
	int registered;          /* the fds are registered with the loop */
	int blocked;             /* consumers were held back by the backlog */
	uint64_t tick_id;
	uint64_t rx_packets;     /* packets received so far */
	uint64_t last_rx_ms;     /* when the last one arrived */
	uint64_t last_io_ms;     /* when bytes last moved on the socket */
	uint8_t *rdbuf;          /* KG_ENGINE_READ_CHUNK bytes for consumers */
	/* Replies come in the order of the requests (RFC 4254 4): a ring. */
	kg_engine_greq greq[KG_ENGINE_GLOBAL_PENDING];
	unsigned greq_head, greq_count;
	/* Round-trip probes for window growth (KG_ENGINE_PROBE_MS): when the
	 * one in flight was sent, and the last KG_ENGINE_RTT_SAMPLES answers'
	 * round trips (ms), the smallest of which is the path's. */
	int probe_pending;
	uint64_t probe_sent_ms;
	uint32_t rtt_sample[KG_ENGINE_RTT_SAMPLES];
	unsigned rtt_samples;
};

/* Registers rfd/wfd (non-blocking; may be the same descriptor) with lp
 * and starts pumping tr.  Neither the fds nor tr are owned. */
int kg_engine_init(kg_engine *e, kg_loop *lp, int rfd, int wfd, kg_transport *tr,
		   const kg_engine_hooks *hooks) KG_WUR;
/* Releases every consumer, frees the channels and unregisters. */
void kg_engine_free(kg_engine *e);

/* Starts the connection protocol (after user authentication). */
int kg_engine_start_channels(kg_engine *e, const kg_conn_config *cc, kg_conn_role role) KG_WUR;
/* Puts k on ch: its events go to ops from now on. */
void kg_engine_attach(kg_engine *e, kg_channel *ch, kg_consumer *k, const kg_consumer_ops *ops);

/* Ends the engine with err (the first error is kept); reading stops,
 * queued output is still written. */
void kg_engine_fail(kg_engine *e, int err);
/* Writes what the socket takes now and updates the loop interest; for
 * code that wrote through the transport outside the engine's callbacks. */
void kg_engine_kick(kg_engine *e);
/* Handles the messages already waiting in the transport's input, for a
 * transport that arrived with some (handed over by another process). */
void kg_engine_pump(kg_engine *e);
/* Whether consumers may queue more output (the backlog is under its cap). */
int kg_engine_may_send(const kg_engine *e);

/* Runs the loop until done(arg) holds (checked before every wait; done
 * may be NULL to run until the engine ends), the engine ends (its status
 * is returned), or, with timeout_ms >= 0, nothing moved on the socket for
 * that long (KG_ERR_TIMEOUT). */
int kg_engine_run(kg_engine *e, int (*done)(void *arg), void *arg, int timeout_ms) KG_WUR;
/* Writes out everything queued, waiting up to timeout_ms. */
int kg_engine_flush(kg_engine *e, int timeout_ms) KG_WUR;

/* Reads once from fd (up to the remote window, the chunk size and while
 * the engine may send) and sends it on ch as data (ext 0) or extended
 * data.  *eof is set at end of file, on a read error, or when the channel
 * no longer takes data. */
int kg_engine_send_from_fd(kg_engine *e, kg_channel *ch, uint32_t ext, int fd, int *eof) KG_WUR;

/* Sends global request name with data.  cb NULL: no reply is asked for.
 * Otherwise cb(arg, ...) gets the answer; every global request that wants
 * a reply must go through here, so that answers meet their requests. */
int kg_engine_send_global(kg_engine *e, const char *name, const uint8_t *data, size_t len,
			  kg_global_reply_cb cb, void *arg) KG_WUR;
/* Whoever arg is is going away: its pending answers are dropped unread. */
void kg_engine_forget_global(kg_engine *e, const void *arg);
/* Asks for a reply that nobody reads (a keepalive: any answer will do). */
int kg_engine_global_ignored(void *arg, int ok, const uint8_t *data, size_t len);

/* Puts k's channel back to no consumer (its events get the defaults). */
void kg_engine_detach(kg_consumer *k);

/* A consumer's local descriptor and its registration with the loop, which
 * follows the interest wanted: with none, the fd is not registered at all
 * (a pipe with no interest still reports a hang-up).  A registration
 * failure ends the engine. */
typedef struct kg_watch {
	int fd;       /* registered, or -1 */
	int events;
} kg_watch;

static inline void kg_watch_init(kg_watch *w)
{
	w->fd = -1;
	w->events = 0;
}
/* fd < 0 or events 0: unregistered.  cb gets ctx. */
void kg_watch_set(kg_engine *e, kg_watch *w, int fd, int events, kg_loop_fd_cb cb, void *ctx);

/* Channel data for a local descriptor (a pipe, pty, stdout): written at
 * once as far as the fd takes it, the rest held until kg_chan_out_flush.
 * What is held is at most what the peer may send, the window we granted:
 * bytes are granted back only once written, so a full descriptor shuts the
 * window.  After a write error the fd is "failed": what arrives is dropped
 * and granted back at once.  fd < 0: held until an fd is set. */
typedef struct kg_chan_out {
	int fd;
	kg_buf pending;
	int failed;
} kg_chan_out;

void kg_chan_out_init(kg_chan_out *o, int fd);
void kg_chan_out_free(kg_chan_out *o);
/* ch may be NULL (the channel is gone): nothing is then granted. */
int kg_chan_out_put(kg_chan_out *o, kg_conn *c, kg_channel *ch, const uint8_t *d, size_t n) KG_WUR;
/* Once everything is written after the peer's EOF (or with ch NULL), the
 * buffer's memory is freed as well. */
int kg_chan_out_flush(kg_chan_out *o, kg_conn *c, kg_channel *ch) KG_WUR;
/* Drops what is held (granting it back) and marks the fd failed. */
int kg_chan_out_drop(kg_chan_out *o, kg_conn *c, kg_channel *ch) KG_WUR;
static inline size_t kg_chan_out_pending(const kg_chan_out *o)
{
	return kg_buf_len(&o->pending);
}

#endif
