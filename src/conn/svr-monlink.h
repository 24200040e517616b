/* The unprivileged processes' side of the monitor protocol: one blocking request, one reply, for each thing only the monitor may do. */
#ifndef KAGI_SVR_MONLINK_H
#define KAGI_SVR_MONLINK_H

#include <stddef.h>
#include <sys/types.h>
#include "core/auth.h"
#include "core/buf.h"
#include "core/key.h"
#include "conn/svr-mon-proto.h"

typedef struct kg_svr_monlink {
	int fd;                       /* the socket to the monitor */
	kg_key *const *hostkeys;      /* public halves, in the monitor's order */
	size_t n_hostkeys;
	int user_valid;               /* what the monitor last said of the user */
	kg_buf req, rep;
} kg_svr_monlink;

void kg_svr_monlink_init(kg_svr_monlink *l, int fd, kg_key *const *hostkeys, size_t n);
void kg_svr_monlink_free(kg_svr_monlink *l);

/* Signatures with a host key (appended to sig, as kg_key_sign): for an
 * exchange hash, and for a hostkeys-prove answer. */
int kg_svr_mon_sign_kex(void *link, const kg_key *hostkey, const char *alg, const uint8_t *data, size_t len,
			kg_buf *sig) KG_WUR;
int kg_svr_mon_sign_proof(void *link, const kg_key *hostkey, const char *alg, const uint8_t *data, size_t len,
			  kg_buf *sig) KG_WUR;
/* The authentication methods, decided by the monitor; results as the
 * kg_svr_auth_config callbacks'. */
int kg_svr_mon_pubkey_query(kg_svr_monlink *l, const char *user, const kg_key *key) KG_WUR;
int kg_svr_mon_pubkey_verify(kg_svr_monlink *l, const char *user, const char *alg, const uint8_t *blob,
			     size_t blob_len, const uint8_t *sig, size_t sig_len) KG_WUR;
int kg_svr_mon_password(kg_svr_monlink *l, const char *user, const char *password) KG_WUR;
int kg_svr_mon_kbd_start(kg_svr_monlink *l, const char *user, const char *devices, kg_kbd_request *q) KG_WUR;
int kg_svr_mon_kbd_answer(kg_svr_monlink *l, const char *user, const kg_kbd_response *r, kg_kbd_request *q) KG_WUR;
void kg_svr_mon_kbd_end(kg_svr_monlink *l);
/* Hands the transport's state over once the monitor saw the success. */
int kg_svr_mon_auth_done(kg_svr_monlink *l, const char *user, const char *method, const uint8_t *state,
			 size_t state_len) KG_WUR;
/* The user's process: a pty session started (msg gets what to greet it
 * with, "" none) or ended, for the records the monitor writes. */
void kg_svr_mon_pty_started(void *link, pid_t pid, const char *tty, int greet, char *msg, size_t msgsz);
void kg_svr_mon_pty_ended(void *link, pid_t pid);
/* A pty pair opened by the monitor, the slave already the user's. */
int kg_svr_mon_pty_open(void *link, int *master, int *slave, char *name, size_t namesz) KG_WUR;

#endif
