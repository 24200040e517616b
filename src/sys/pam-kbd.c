/* keyboard-interactive through PAM: a child runs the PAM conversation and relays its prompts over a socket pair. */
#include "sys/pam-kbd.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <openssl/crypto.h>
#include <security/pam_appl.h>
#include "sys/password.h"

/* One message on the socket pair: a tag byte, then a body. */
enum { TAG_ASK = 'Q', TAG_ANSWER = 'A', TAG_OK = 'S', TAG_FAIL = 'F' };
#define MSG_MAX (256 * 1024)

struct child {
	int fd;
	int allow_empty;
	kg_buf info;   /* PAM's messages not yet shown */
};

static int send_msg(int fd, uint8_t tag, const kg_buf *body)
{
	size_t n = 1 + (body ? kg_buf_len(body) : 0);
	uint8_t *m = malloc(n);
	ENSURE(m != NULL, KG_ERR_ALLOC);
	m[0] = tag;
	if (body && kg_buf_len(body))
		memcpy(m + 1, kg_buf_ptr(body), kg_buf_len(body));
	ssize_t w;
	do
		w = send(fd, m, n, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	OPENSSL_cleanse(m, n);
	free(m);
	return w == (ssize_t)n ? KG_OK : KG_ERR_SYSTEM;
}

/* Receives one message into buf (MSG_MAX bytes); its length, or an error. */
static int recv_msg(int fd, uint8_t *buf, size_t *len)
{
	ssize_t r;
	do
		r = recv(fd, buf, MSG_MAX, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? KG_ERR_TIMEOUT : KG_ERR_SYSTEM;
	ENSURE(r > 0, KG_ERR_CLOSED);
	*len = (size_t)r;
	return KG_OK;
}

static void free_responses(struct pam_response *r, int n)
{
	for (int i = 0; i < n; i++)
		if (r[i].resp) {
			OPENSSL_cleanse(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	free(r);
}

/* Asks the parent for the prompts of one conversation call. */
static int relay(struct child *ch, const kg_kbd_request *q, kg_kbd_response *ans)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	int r = kg_kbd_request_encode(q, &b);
	if (r >= 0)
		r = send_msg(ch->fd, TAG_ASK, &b);
	kg_buf_free(&b);
	GUARD(r);
	uint8_t *m = malloc(MSG_MAX);
	size_t n = 0;
	ENSURE(m != NULL, KG_ERR_ALLOC);
	r = recv_msg(ch->fd, m, &n);
	if (r >= 0 && m[0] != TAG_ANSWER)
		r = KG_ERR_PROTOCOL;
	if (r >= 0)
		r = kg_kbd_response_decode(m + 1, n - 1, ans);
	if (r >= 0 && ans->n != q->n) {
		kg_kbd_response_free(ans);
		r = KG_ERR_PROTOCOL;
	}
	OPENSSL_cleanse(m, n);
	free(m);
	return r;
}

static int conversation(int n, const struct pam_message **msg, struct pam_response **resp, void *appdata)
{
	struct child *ch = appdata;
	if (n <= 0 || n > PAM_MAX_NUM_MSG || msg == NULL || resp == NULL)
		return PAM_CONV_ERR;
	struct pam_response *out = calloc((size_t)n, sizeof(*out));
	if (out == NULL)
		return PAM_BUF_ERR;
	kg_kbd_request q;
	memset(&q, 0, sizeof(q));
	int slot[PAM_MAX_NUM_MSG], ok = 1;
	for (int i = 0; i < n && ok; i++) {
		const char *text = msg[i]->msg ? msg[i]->msg : "";
		slot[i] = -1;
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			slot[i] = (int)q.n;
			ok = kg_kbd_request_add(&q, text, msg[i]->msg_style == PAM_PROMPT_ECHO_ON) == KG_OK;
			break;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			ok = kg_buf_put(&ch->info, text, strlen(text)) == KG_OK && kg_buf_put_u8(&ch->info, '\n') == KG_OK;
			break;
		default:
			ok = 0;
		}
	}
	if (ok && q.n > 0) {
		/* Messages are shown with the next prompts, as the instruction. */
		if (kg_buf_len(&ch->info) > 0) {
			q.instruction = strndup((const char *)kg_buf_ptr(&ch->info), kg_buf_len(&ch->info));
			kg_buf_reset(&ch->info);
			ok = q.instruction != NULL;
		}
		kg_kbd_response ans;
		if (ok && relay(ch, &q, &ans) == KG_OK) {
			for (int i = 0; i < n && ok; i++) {
				if (slot[i] < 0)
					continue;
				const char *a = ans.answers[slot[i]] ? ans.answers[slot[i]] : "";
				if (a[0] == '\0' && !ch->allow_empty)
					ok = 0;
				else if ((out[i].resp = strdup(a)) == NULL)
					ok = 0;
			}
			kg_kbd_response_free(&ans);
		} else {
			ok = 0;
		}
	}
	kg_kbd_request_free(&q);
	if (!ok) {
		free_responses(out, n);
		return PAM_CONV_ERR;
	}
	*resp = out;
	return PAM_SUCCESS;
}

static _Noreturn void child_main(int fd, const char *user, const char *service, const char *rhost, int allow_empty)
{
	sigset_t all;
	sigemptyset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
	struct child ch = { .fd = fd, .allow_empty = allow_empty };
	kg_buf_init(&ch.info, 64 * 1024);
	struct pam_conv conv = { .conv = conversation, .appdata_ptr = &ch };
	pam_handle_t *pamh = NULL;
	int flags = allow_empty ? 0 : PAM_DISALLOW_NULL_AUTHTOK;
	int rc = pam_start(kg_pam_service(service), user, &conv, &pamh);
	if (rc == PAM_SUCCESS && rhost != NULL)
		rc = pam_set_item(pamh, PAM_RHOST, rhost);
	if (rc == PAM_SUCCESS)
		rc = pam_set_item(pamh, PAM_TTY, "ssh");
	if (rc == PAM_SUCCESS)
		rc = pam_authenticate(pamh, flags);
	if (rc == PAM_SUCCESS)
		rc = pam_acct_mgmt(pamh, flags);  /* an expired password (NEW_AUTHTOK_REQD) fails too */
	if (pamh)
		pam_end(pamh, rc);
	kg_buf_free(&ch.info);
	(void)!send_msg(fd, rc == PAM_SUCCESS ? TAG_OK : TAG_FAIL, NULL);
	_exit(0);
}

int kg_pam_kbd_start(kg_pam_kbd *k, const char *user, const char *service, const char *rhost, int allow_empty)
{
	int sv[2];
	k->pid = 0;
	k->fd = -1;
	ENSURE(user != NULL && user[0] != '\0', KG_ERR_AUTH_FAILED);
	ENSURE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, KG_ERR_SYSTEM);
	int size = MSG_MAX;
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	struct timeval tv = { .tv_sec = KG_PAM_KBD_TIMEOUT_S };
	(void)setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return KG_ERR_SYSTEM;
	}
	if (pid == 0) {
		close(sv[0]);
		child_main(sv[1], user, service, rhost, allow_empty);
	}
	close(sv[1]);
	k->pid = pid;
	k->fd = sv[0];
	return KG_OK;
}

int kg_pam_kbd_next(kg_pam_kbd *k, kg_kbd_request *q)
{
	memset(q, 0, sizeof(*q));
	ENSURE(k->fd >= 0, KG_ERR_AUTH_FAILED);
	uint8_t *m = malloc(MSG_MAX);
	size_t n = 0;
	ENSURE(m != NULL, KG_ERR_ALLOC);
	int r = recv_msg(k->fd, m, &n);
	if (r >= 0) {
		if (m[0] == TAG_ASK && kg_kbd_request_decode(m + 1, n - 1, q) == KG_OK)
			r = KG_KBD_ASK;
		else
			r = m[0] == TAG_OK && n == 1 ? KG_KBD_OK : KG_ERR_AUTH_FAILED;
	} else {
		r = KG_ERR_AUTH_FAILED;
	}
	free(m);
	return r;
}

int kg_pam_kbd_answer(kg_pam_kbd *k, const kg_kbd_response *r)
{
	ENSURE(k->fd >= 0, KG_ERR_AUTH_FAILED);
	kg_buf b;
	kg_buf_init(&b, 0);
	int rc = kg_kbd_response_encode(r, &b);
	if (rc >= 0)
		rc = send_msg(k->fd, TAG_ANSWER, &b);
	if (kg_buf_len(&b))
		OPENSSL_cleanse((void *)kg_buf_ptr(&b), kg_buf_len(&b));
	kg_buf_free(&b);
	return rc;
}

void kg_pam_kbd_end(kg_pam_kbd *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	if (k->pid > 0) {
		/* Closing the socket ends a conversation waiting for answers; a
		 * PAM module still working is not waited for. */
		int st;
		if (waitpid(k->pid, &st, WNOHANG) == 0) {
			kill(k->pid, SIGTERM);
			(void)waitpid(k->pid, &st, 0);
		}
	}
	k->pid = 0;
}
