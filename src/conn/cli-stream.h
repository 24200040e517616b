/* A channel as a blocking byte stream, for programs that talk a protocol
 * over SSH (kscp's scp and SFTP, ksftp): open a session channel running a
 * subsystem or a command, then write and read bytes.  The stream is a
 * consumer on the client's engine; every blocking call runs the engine's
 * loop until what it waits for holds, so the remote window, rekeying and
 * the server's other messages are handled while the caller waits. */
#ifndef KAGI_CLI_STREAM_H
#define KAGI_CLI_STREAM_H

#include "core/channel.h"
#include "conn/cli-conn.h"

typedef struct kg_stream {
	kg_consumer k;      /* on the client's engine; k.ch NULL once gone */
	kg_client *c;
	kg_buf in;          /* received data the caller has not read yet */
	int stderr_fd;      /* where the remote stderr goes (-1: dropped) */
	int confirmed, request_done, request_ok;
	int eof_rcvd, eof_sent, closed;
	int exit_status, got_exit;
	int reported;       /* the connection's end was reported */
} kg_stream;

/* Opens a session channel and starts subsystem (e.g. "sftp") or, when
 * subsystem is NULL, command (e.g. "scp -t dir").  Remote stderr is copied
 * to stderr_fd.  KG_ERR_CHANNEL if the server refuses. */
int kg_stream_open(kg_client *c, kg_stream *s, const char *subsystem, const char *command,
		   int stderr_fd) KG_WUR;
/* Opens a direct-tcpip channel to host:port through the server (for -W
 * and jump hosts). */
int kg_stream_open_tcpip(kg_client *c, kg_stream *s, const char *host, int port) KG_WUR;
/* Sends all of data (waiting for the remote window as needed). */
int kg_stream_write(kg_stream *s, const void *data, size_t len) KG_WUR;
/* Reads at least one byte (up to len); *got = 0 at end of stream. */
int kg_stream_read(kg_stream *s, void *buf, size_t len, size_t *got) KG_WUR;
/* Reads exactly len bytes; KG_ERR_CLOSED if the stream ends first. */
int kg_stream_read_full(kg_stream *s, void *buf, size_t len) KG_WUR;
/* Bytes already received and buffered (readable without waiting). */
size_t kg_stream_available(const kg_stream *s);
/* Handles whatever has arrived without waiting (timeout_ms 0) or waiting
 * up to timeout_ms for something to arrive. */
int kg_stream_pump(kg_stream *s, int timeout_ms) KG_WUR;
/* Writes out everything queued for the server. */
int kg_stream_flush(kg_stream *s) KG_WUR;
int kg_stream_send_eof(kg_stream *s) KG_WUR;
/* Sends EOF, waits for the channel to close and returns the remote exit
 * status (255 when none was sent). Frees the stream's resources. */
int kg_stream_close(kg_stream *s, int *exit_status) KG_WUR;
/* Frees without waiting (after errors). */
void kg_stream_free(kg_stream *s);

#endif
