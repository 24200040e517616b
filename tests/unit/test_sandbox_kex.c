/* Tests src/sys/sandbox.c with the real pre-authentication work: a
 * sandboxed server transport runs every key exchange and cipher (and a
 * rekey, signing again) against a client transport in the parent. */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "t.h"
#include "core/cipher.h"
#include "core/kex.h"
#include "core/key.h"
#include "core/packet.h"
#include "core/transport.h"
#include "sys/sandbox.h"
#include "sandbox_util.h"


/* Moves bytes between t and fd (poll + read + write) until a message for
 * the upper layers arrives (its type), the peer closes (0), or an error
 * or 5 s without progress (< 0). */
static int tr_step(kg_transport *t, int fd, const uint8_t **msg, size_t *len)
{
	for (;;) {
		int r = kg_tr_read_packet(t, msg, len);
		if (r != KG_ERR_AGAIN)
			return r;
		size_t n;
		const uint8_t *o = kg_tr_output(t, &n);
		struct pollfd p = { .fd = fd, .events = POLLIN | (n ? POLLOUT : 0) };
		if (poll(&p, 1, 5000) <= 0)
			return -1;
		if ((p.revents & POLLOUT) && n) {
			ssize_t w = write(fd, o, n);
			if (w < 0 && errno != EAGAIN && errno != EINTR)
				return -2;
			if (w > 0)
				kg_tr_output_consume(t, (size_t)w);
		}
		if (p.revents & (POLLIN | POLLHUP)) {
			uint8_t buf[16384];
			ssize_t got = read(fd, buf, sizeof(buf));
			if (got == 0)
				return 0;
			if (got < 0 && errno != EAGAIN && errno != EINTR)
				return -3;
			if (got > 0 && kg_tr_input(t, buf, (size_t)got) < 0)
				return -4;
		}
	}
}

/* Writes out everything t holds. */
static int tr_flush(kg_transport *t, int fd)
{
	size_t n;
	const uint8_t *o;
	while ((o = kg_tr_output(t, &n)), n) {
		ssize_t w = write(fd, o, n);
		if (w <= 0)
			return -1;
		kg_tr_output_consume(t, (size_t)w);
	}
	return 0;
}

static int trust_any(void *arg, const kg_key *key, const kg_kex_result *kex)
{
	(void)key;
	(void)kex;
	(*(int *)arg)++;
	return KG_OK;
}

/* The sandboxed server: echoes each CHANNEL_DATA until the peer closes;
 * the exit status says how it ended. */
static void tr_server(const sbx *s, int fd, kg_key *hk, const char *kex, const char *cipher, const char *mac)
{
	kg_key *hks[1] = { hk };
	kg_tr_config sc = { .is_server = 1, .kex_algs = kex ? kex : kg_kex_all_names(), .ciphers = cipher,
			    .macs = mac ? mac : kg_mac_all_names(), .hostkey_algs = "ssh-ed25519", .compression = "none",
			    .hostkeys = hks, .n_hostkeys = 1, .server_sig_algs = "ssh-ed25519" };
	kg_transport *t;
	if (kg_tr_new(&t, &sc) < 0)
		_exit(10);
	/* Not root: a non-root ksshd's sandbox (its own ids, no chroot). */
	kg_sandbox_cfg c = { .chroot_dir = s->dir[0] ? s->dir : NULL, .keep_ids = !s->dir[0], .uid = s->uid,
			     .gid = s->gid, .nofile = 8 };
	char err[256];
	if (kg_sandbox_enter(&c, err, sizeof(err)) != KG_OK)
		_exit(11);
	int echoed = 0;
	for (;;) {
		const uint8_t *m;
		size_t n;
		int r = tr_step(t, fd, &m, &n);
		if (r == 0)
			break;
		if (r != SSH_MSG_CHANNEL_DATA)
			_exit(12);
		uint8_t copy[4096];
		if (n > sizeof(copy))
			_exit(13);
		memcpy(copy, m, n);
		if (kg_tr_send(t, copy, n) < 0 || tr_flush(t, fd) < 0)
			_exit(14);
		echoed++;
	}
	kg_tr_free(t);
	_exit(echoed == 2 ? 0 : 15);
}

/* Client side in the parent: key exchange (the host key trusted once), a
 * message each way, a rekey
 * (the sandboxed side signs the new exchange hash), another message each way. */
static int tr_client(int fd, const char *kex, const char *cipher, const char *mac)
{
	int verified = 0;
	kg_tr_config cc = { .kex_algs = kex ? kex : kg_kex_all_names(), .ciphers = cipher,
			    .macs = mac ? mac : kg_mac_all_names(), .hostkey_algs = "ssh-ed25519", .compression = "none",
			    .verify_hostkey = trust_any,
			    .cb_arg = &verified };
	kg_transport *t;
	if (kg_tr_new(&t, &cc) < 0)
		return -1;
	int rc = -5;
	for (int round = 0; round < 2; round++) {
		uint8_t msg[1500];
		msg[0] = SSH_MSG_CHANNEL_DATA;
		for (size_t i = 1; i < sizeof(msg); i++)
			msg[i] = (uint8_t)(i * 13 + (size_t)round);
		if (round == 1 && kg_tr_rekey(t) < 0)
			goto out;
		if (kg_tr_send(t, msg, sizeof(msg)) < 0)
			goto out;
		const uint8_t *m;
		size_t n;
		int r = tr_step(t, fd, &m, &n);
		if (r != SSH_MSG_CHANNEL_DATA || n != sizeof(msg) || memcmp(m, msg, n) != 0) {
			fprintf(stderr, "%s %s: round %d got %d (%zu bytes)\n", kex ? kex : "default", cipher, round, r, n);
			goto out;
		}
	}
	const kg_kex_result *kr = kg_tr_kex_result(t);
	rc = verified == 1 && kr != NULL && kr->count == 2 ? 0 : -6;
	if (rc)
		fprintf(stderr, "%s %s: host key checked %d times, kex count %u\n", kex ? kex : "default", cipher, verified,
			kr ? (unsigned)kr->count : 0);
out:
	kg_tr_free(t);
	return rc;
}

/* One run: the server side sandboxed, the client here. */
static int tr_run(const sbx *s, kg_key *hk, const char *kex, const char *cipher, const char *mac)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(sv[0]);
		tr_server(s, sv[1], hk, kex, cipher, mac);
	}
	close(sv[1]);
	int rc = tr_client(sv[0], kex, cipher, mac);
	close(sv[0]);
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s %s %s: sandboxed server %s %d\n", kex ? kex : "default", cipher, mac ? mac : "-",
			WIFSIGNALED(status) ? "killed by signal" : "exited",
			WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		return -1;
	}
	return rc;
}

/* Every key exchange and cipher the transport has, run by a sandboxed
 * server: the allow-list holds for the real pre-authentication engine. */
static void t_transport_inside(void)
{
	sbx s;
	memset(&s, 0, sizeof(s));
	if (!is_root())
		fprintf(stderr, "note: not root: t_transport_inside runs with keep_ids and no chroot\n");
	else
		T_ASSERT(sbx_setup(&s) == 0);
	kg_key *hk = NULL;
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &hk));
	int bad = 0;
	static const char *const ciphers[][2] = {
		{ "chacha20-poly1305@openssh.com", NULL }, { "aes256-gcm@openssh.com", NULL },
		{ "aes128-ctr", "hmac-sha2-256" }, { "aes128-ctr", "hmac-sha2-256-etm@openssh.com" },
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(ciphers); i++)
		bad += tr_run(&s, hk, NULL, ciphers[i][0], ciphers[i][1]) != 0;
	char list[1024];
	snprintf(list, sizeof(list), "%s", kg_kex_all_names());
	for (char *save = NULL, *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save))
		bad += tr_run(&s, hk, name, "chacha20-poly1305@openssh.com", NULL) != 0;
	kg_key_free(hk);
	if (is_root())
		sbx_cleanup(&s);
	T_ASSERT(bad == 0);
}

int main(void)
{
	T_RUN(t_transport_inside);
	return T_DONE();
}
