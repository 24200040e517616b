/* Shared by the SFTP client's request calls (sftp-client.c) and its
 * transfers (sftp-client-xfer.c, sftp-client-tree.c). */
#ifndef KAGI_SFTP_CLIENT_INT_H
#define KAGI_SFTP_CLIENT_INT_H

#include "sftp/sftp-client.h"

/* Appends a request header (type, fresh id) to s->out. */
int cl_begin(kg_sftp *s, uint8_t type, uint32_t *id, size_t *mark) KG_WUR;
/* Finishes the request and writes everything queued in s->out. */
int cl_end_send(kg_sftp *s, size_t mark) KG_WUR;
/* Finishes the request without writing (pipelining batches). */
int cl_end(kg_sftp *s, size_t mark) KG_WUR;
int cl_flush(kg_sftp *s) KG_WUR;
/* Waits for the next reply; s->reply holds it until the next call. */
int cl_recv(kg_sftp *s) KG_WUR;
/* Waits for the reply to id (which must be the next one). */
int cl_recv_id(kg_sftp *s, uint32_t id) KG_WUR;
/* Handles a STATUS body: KG_OK for SSH_FX_OK, else records the failure. */
int cl_status(kg_sftp *s, kg_buf *body) KG_WUR;
/* Records a failure; returns KG_ERR_SYSTEM. */
int cl_fail_remote(kg_sftp *s, uint32_t code, const uint8_t *msg, size_t msg_len);
int cl_fail_local(kg_sftp *s, int err, const char *what);
int cl_fail_text(kg_sftp *s, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cl_put_handle(kg_sftp *s, const kg_sftp_handle *h) KG_WUR;
/* Sleeps as needed to keep to s->limit_bps; start_ms/bytes since start. */
void cl_throttle(const kg_sftp *s, uint64_t start_ms, uint64_t bytes);
uint64_t cl_now_ms(void);
/* kg_sftp_get_file; known (or NULL) holds the remote file's attributes
 * from a stat or readdir just made, which saves asking again. */
int cl_get_file(kg_sftp *s, const char *remote_path, const char *local_path, const kg_sftp_xfer_opts *o,
		const kg_sftp_attrs *known) KG_WUR;

#endif
