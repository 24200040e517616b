/* The unprivileged processes' side of the monitor protocol: builds each request, waits for the reply, checks it answers that request. */
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <unistd.h>
#include "sys/frame-io.h"
#include "sys/mux-sock.h"
#include "conn/svr-monlink.h"

void kg_svr_monlink_init(kg_svr_monlink *l, int fd, kg_key *const *hostkeys, size_t n)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->hostkeys = hostkeys;
	l->n_hostkeys = n;
	kg_buf_init(&l->req, KG_MON_MAX_FRAME + 16);
	kg_buf_init(&l->rep, KG_MON_MAX_FRAME);
}

void kg_svr_monlink_free(kg_svr_monlink *l)
{
	if (kg_buf_len(&l->req))
		OPENSSL_cleanse(kg_buf_mutable_ptr(&l->req), kg_buf_len(&l->req));
	kg_buf_free(&l->req);
	kg_buf_free(&l->rep);
}

static int begin(kg_svr_monlink *l, uint8_t type, size_t *start)
{
	if (kg_buf_len(&l->req))
		OPENSSL_cleanse(kg_buf_mutable_ptr(&l->req), kg_buf_len(&l->req));
	kg_buf_reset(&l->req);
	return kg_mon_begin(&l->req, type, start);
}

/* Sends the request built in l->req and reads its reply. */
static int call(kg_svr_monlink *l, size_t start, kg_mon_reply *rep)
{
	uint8_t type = kg_buf_ptr(&l->req)[start + 5];
	GUARD(kg_mon_end(&l->req, start));
	int r = kg_frame_write(l->fd, kg_buf_ptr(&l->req), kg_buf_len(&l->req));
	OPENSSL_cleanse(kg_buf_mutable_ptr(&l->req), kg_buf_len(&l->req));
	kg_buf_reset(&l->req);
	GUARD(r);
	GUARD(kg_frame_read(l->fd, &l->rep, KG_MON_MAX_FRAME));
	GUARD(kg_mon_parse_reply(kg_buf_ptr(&l->rep), kg_buf_len(&l->rep), rep));
	ENSURE(rep->type == (type | KG_MON_REPLY), KG_ERR_PROTOCOL);
	l->user_valid = rep->user_valid;
	return KG_OK;
}

static int hostkey_index(const kg_svr_monlink *l, const kg_key *k, uint32_t *idx)
{
	for (size_t i = 0; i < l->n_hostkeys; i++)
		if (l->hostkeys[i] == k || kg_key_equal_public(l->hostkeys[i], k)) {
			*idx = (uint32_t)i;
			return KG_OK;
		}
	return KG_ERR_NOT_FOUND;
}

static int sign(kg_svr_monlink *l, uint8_t purpose, const kg_key *hostkey, const char *alg, const uint8_t *data,
		size_t len, kg_buf *sig)
{
	uint32_t idx;
	size_t start;
	kg_mon_reply rep;
	GUARD(hostkey_index(l, hostkey, &idx));
	GUARD(begin(l, KG_MON_SIGN, &start));
	GUARD(kg_buf_put_u8(&l->req, purpose));
	GUARD(kg_buf_put_u32(&l->req, idx));
	GUARD(kg_buf_put_cstring(&l->req, alg ? alg : ""));
	GUARD(kg_buf_put_string(&l->req, data, len));
	GUARD(call(l, start, &rep));
	GUARD(rep.status);
	return kg_buf_put(sig, rep.payload, rep.payload_len);
}

int kg_svr_mon_sign_kex(void *link, const kg_key *hostkey, const char *alg, const uint8_t *data, size_t len,
			kg_buf *sig)
{
	return sign(link, KG_MON_SIGN_KEX, hostkey, alg, data, len, sig);
}

int kg_svr_mon_sign_proof(void *link, const kg_key *hostkey, const char *alg, const uint8_t *data, size_t len,
			  kg_buf *sig)
{
	return sign(link, KG_MON_SIGN_PROVE, hostkey, alg, data, len, sig);
}

/* A verdict reply: the monitor's status as the callback's result. */
static int verdict(kg_svr_monlink *l, size_t start)
{
	kg_mon_reply rep;
	int r = call(l, start, &rep);
	return r < 0 ? r : rep.status;
}

int kg_svr_mon_pubkey_query(kg_svr_monlink *l, const char *user, const kg_key *key)
{
	size_t start;
	kg_buf blob;
	kg_buf_init(&blob, 0);
	int r = kg_key_to_blob(key, &blob);
	if (r >= 0)
		r = begin(l, KG_MON_PUBKEY_QUERY, &start);
	if (r >= 0)
		r = kg_buf_put_cstring(&l->req, user);
	if (r >= 0)
		r = kg_buf_put_string(&l->req, kg_buf_ptr(&blob), kg_buf_len(&blob));
	kg_buf_free(&blob);
	return r < 0 ? r : verdict(l, start);
}

int kg_svr_mon_pubkey_verify(kg_svr_monlink *l, const char *user, const char *alg, const uint8_t *blob,
			     size_t blob_len, const uint8_t *sig, size_t sig_len)
{
	size_t start;
	GUARD(begin(l, KG_MON_PUBKEY_VERIFY, &start));
	GUARD(kg_buf_put_cstring(&l->req, user));
	GUARD(kg_buf_put_cstring(&l->req, alg));
	GUARD(kg_buf_put_string(&l->req, blob, blob_len));
	GUARD(kg_buf_put_string(&l->req, sig, sig_len));
	return verdict(l, start);
}

int kg_svr_mon_password(kg_svr_monlink *l, const char *user, const char *password)
{
	size_t start;
	GUARD(begin(l, KG_MON_PASSWORD, &start));
	GUARD(kg_buf_put_cstring(&l->req, user));
	GUARD(kg_buf_put_cstring(&l->req, password));
	return verdict(l, start);
}

/* A keyboard-interactive verdict; KG_KBD_ASK comes with the next prompts. */
static int kbd_verdict(kg_svr_monlink *l, size_t start, kg_kbd_request *q)
{
	kg_mon_reply rep;
	GUARD(call(l, start, &rep));
	if (rep.status == KG_KBD_ASK)
		GUARD(kg_kbd_request_decode(rep.payload, rep.payload_len, q));
	return rep.status;
}

int kg_svr_mon_kbd_start(kg_svr_monlink *l, const char *user, const char *devices, kg_kbd_request *q)
{
	size_t start;
	GUARD(begin(l, KG_MON_KBD_START, &start));
	GUARD(kg_buf_put_cstring(&l->req, user));
	GUARD(kg_buf_put_cstring(&l->req, devices ? devices : ""));
	return kbd_verdict(l, start, q);
}

int kg_svr_mon_kbd_answer(kg_svr_monlink *l, const char *user, const kg_kbd_response *r, kg_kbd_request *q)
{
	size_t start;
	kg_buf enc;
	kg_buf_init(&enc, 0);
	int e = kg_kbd_response_encode(r, &enc);
	if (e >= 0)
		e = begin(l, KG_MON_KBD_ANSWER, &start);
	if (e >= 0)
		e = kg_buf_put_cstring(&l->req, user);
	if (e >= 0)
		e = kg_buf_put_string(&l->req, kg_buf_ptr(&enc), kg_buf_len(&enc));
	if (kg_buf_len(&enc))
		OPENSSL_cleanse(kg_buf_mutable_ptr(&enc), kg_buf_len(&enc));
	kg_buf_free(&enc);
	return e < 0 ? e : kbd_verdict(l, start, q);
}

void kg_svr_mon_kbd_end(kg_svr_monlink *l)
{
	size_t start;
	if (begin(l, KG_MON_KBD_END, &start) >= 0)
		(void)!verdict(l, start);
}

int kg_svr_mon_auth_done(kg_svr_monlink *l, const char *user, const char *method, const uint8_t *state,
			 size_t state_len)
{
	size_t start;
	GUARD(begin(l, KG_MON_AUTH_DONE, &start));
	GUARD(kg_buf_put_cstring(&l->req, user));
	GUARD(kg_buf_put_cstring(&l->req, method));
	GUARD(kg_buf_put_string(&l->req, state, state_len));
	return verdict(l, start);
}

void kg_svr_mon_pty_started(void *link, pid_t pid, const char *tty, int greet, char *msg, size_t msgsz)
{
	kg_svr_monlink *l = link;
	size_t start;
	kg_mon_reply rep;
	msg[0] = '\0';
	if (begin(l, KG_MON_PTY_STARTED, &start) < 0 || kg_buf_put_u32(&l->req, (uint32_t)pid) < 0 ||
	    kg_buf_put_cstring(&l->req, tty) < 0 || kg_buf_put_bool(&l->req, greet) < 0 || call(l, start, &rep) < 0 ||
	    rep.status < 0)
		return;
	size_t n = rep.payload_len < msgsz - 1 ? rep.payload_len : msgsz - 1;
	memcpy(msg, rep.payload, n);
	msg[n] = '\0';
}

void kg_svr_mon_pty_ended(void *link, pid_t pid)
{
	kg_svr_monlink *l = link;
	size_t start;
	if (begin(l, KG_MON_PTY_ENDED, &start) >= 0 && kg_buf_put_u32(&l->req, (uint32_t)pid) >= 0)
		(void)!verdict(l, start);
}

/* One descriptor, sent on its own byte after the reply. */
static int recv_fd(int sock, int *fd)
{
	uint8_t byte;
	size_t got = 0, n = 0;
	int fds[1];
	GUARD(kg_mux_recv(sock, &byte, 1, &got, fds, 1, &n));
	ENSURE(got == 1, KG_ERR_CLOSED);
	ENSURE(n == 1, KG_ERR_PROTOCOL);
	*fd = fds[0];
	return KG_OK;
}

int kg_svr_mon_pty_open(void *link, int *master, int *slave, char *name, size_t namesz)
{
	kg_svr_monlink *l = link;
	size_t start;
	kg_mon_reply rep;
	*master = *slave = -1;
	GUARD(begin(l, KG_MON_PTY_OPEN, &start));
	GUARD(call(l, start, &rep));
	GUARD(rep.status);
	ENSURE(rep.payload_len > 0 && rep.payload_len < namesz && !memchr(rep.payload, '\0', rep.payload_len),
	       KG_ERR_PROTOCOL);
	memcpy(name, rep.payload, rep.payload_len);
	name[rep.payload_len] = '\0';
	GUARD(recv_fd(l->fd, master));
	int r = recv_fd(l->fd, slave);
	if (r < 0) {
		close(*master);
		*master = -1;
	}
	return r;
}
