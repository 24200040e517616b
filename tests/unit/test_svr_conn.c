/* Exercises src/conn/svr-conn.c, src/conn/svr-ctx.c, src/conn/svr-authcheck.c,
 * src/conn/svr-privsep.c, src/conn/svr-monlink.c, src/sys/frame-io.c (the monitor and its
 * children, each login going through them), src/conn/svr-session.c, src/conn/cli-conn.c,
 * src/conn/cli-stream.c and src/conn/cli-session.c: a served connection end
 * to end over a socketpair.  The server half runs kg_svr_conn_serve in a
 * forked process; the test drives kagi's own client transport, auth and
 * channels against it, and also the whole client (kg_client_open, a stream
 * and an interactive session). */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "sys/loop.h"
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "t.h"
#include "core/auth.h"
#include "core/channel.h"
#include "core/defaults.h"
#include "conn/svr-conn.h"
#include "conn/svr-privsep.h"
#include "conn/cli-conn.h"
#include "conn/cli-session.h"
#include "conn/cli-stream.h"
#include "core/keyfile.h"

typedef struct fixture {
	char dir[64], ak[96];
	kg_key *hostkey, *userkey, *otherkey;
	kg_server_config cfg;
	kg_logger log;
	kg_svr_ctx ctx;
	int fd;
	pid_t pid;
	kg_transport *tr;
	kg_tr_config tc;
	kg_cli_auth *auth;
	kg_cli_identity id;
	char user[64];
} fixture;

static int accept_any(void *arg, const kg_key *key, const kg_kex_result *kex)
{
	(void)arg;
	(void)key;
	(void)kex;
	return KG_OK;
}

/* opts: an options field for the authorized_keys entry, or NULL. */
static int fx_setup_opts(fixture *f, int grace, const char *opts)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/kagi-svrconn.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->ak, sizeof(f->ak), "%s/ak", f->dir);
	GUARD(kg_key_generate(KG_KEY_ED25519, 0, &f->hostkey));
	GUARD(kg_key_generate(KG_KEY_ED25519, 0, &f->userkey));
	GUARD(kg_key_generate(KG_KEY_ED25519, 0, &f->otherkey));
	kg_buf line;
	kg_buf_init(&line, 0);
	GUARD(kg_key_to_line(f->userkey, &line));
	FILE *fp = fopen(f->ak, "w");
	if (!fp)
		return -1;
	fprintf(fp, "%s%s%.*s\n", opts ? opts : "", opts ? " " : "", (int)kg_buf_len(&line),
		(const char *)kg_buf_ptr(&line));
	fclose(fp);
	kg_buf_free(&line);
	struct passwd *pw = getpwuid(geteuid());
	if (!pw)
		return -1;
	snprintf(f->user, sizeof(f->user), "%s", pw->pw_name);

	kg_server_config_init(&f->cfg);
	GUARD(kg_strlist_add(&f->cfg.authorized_keys_files, f->ak));
	GUARD(kg_strlist_add(&f->cfg.host_keys, "/nonexistent"));
	f->cfg.strict_modes = 0;
	f->cfg.login_grace_time = grace;
	f->cfg.print_motd = 0;
	GUARD(kg_server_config_finish(&f->cfg));
	kg_log_init(&f->log, "test", KG_LOG_QUIET, 0, 0);
	/* The context by hand: the host key is generated, not read from a file. */
	kg_svr_ctx *c = &f->ctx;
	c->cfg = &f->cfg;
	c->log = &f->log;
	c->is_root = geteuid() == 0;
	c->self_uid = geteuid();
	c->sftp_default = strdup("/nonexistent/sftp-server");
	c->scp_program = strdup("/nonexistent/kscp");
	c->hostkeys = calloc(1, sizeof(kg_key *));
	if (!c->hostkeys)
		return -1;
	c->hostkeys[0] = f->hostkey;
	c->n_hostkeys = 1;
	f->hostkey = NULL;
	c->kex_algs = strdup(KG_KEX_SERVER_DEFAULT);
	c->hostkey_algs = strdup("ssh-ed25519");
	c->ciphers = strdup(KG_CIPHERS_SERVER_DEFAULT);
	c->macs = strdup(KG_MACS_SERVER_DEFAULT);
	c->pubkey_algs = strdup(KG_PUBKEY_ALGS_DEFAULT);

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	f->pid = fork();
	if (f->pid == 0) {
		close(sv[0]);
		int r = kg_svr_conn_serve(&f->ctx, sv[1], -1, NULL);
		_exit(r < 0 ? 1 : 0);
	}
	close(sv[1]);
	f->fd = sv[0];
	GUARD(kg_net_set_nonblock(f->fd, 1));
	f->tc.kex_algs = KG_KEX_CLIENT_DEFAULT;
	f->tc.hostkey_algs = KG_HOSTKEY_CLIENT_DEFAULT;
	f->tc.ciphers = KG_CIPHERS_CLIENT_DEFAULT;
	f->tc.macs = KG_MACS_CLIENT_DEFAULT;
	f->tc.compression = "none";
	f->tc.verify_hostkey = accept_any;
	return kg_tr_new(&f->tr, &f->tc);
}

static int fx_setup(fixture *f, int grace)
{
	return fx_setup_opts(f, grace, NULL);
}

/* Waits for the server process; its exit code, or -1 if it is still running
 * after the timeout (it is then killed). */
static int fx_wait_server(fixture *f, int seconds)
{
	for (int i = 0; i < seconds * 20; i++) {
		int st;
		pid_t p = waitpid(f->pid, &st, WNOHANG);
		if (p == f->pid) {
			f->pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		}
		usleep(50000);
	}
	kill(f->pid, SIGKILL);
	waitpid(f->pid, NULL, 0);
	f->pid = 0;
	return -1;
}

static void fx_free(fixture *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->pid > 0)
		(void)fx_wait_server(f, 5);
	kg_cli_auth_free(f->auth);
	kg_tr_free(f->tr);
	kg_svr_ctx_free(&f->ctx);
	kg_server_config_free(&f->cfg);
	kg_key_free(f->hostkey);
	kg_key_free(f->userkey);
	kg_key_free(f->otherkey);
	unlink(f->ak);
	rmdir(f->dir);
}

static int fx_flush(fixture *f)
{
	size_t n;
	const uint8_t *p = kg_tr_output(f->tr, &n);
	if (n == 0)
		return KG_OK;
	GUARD(kg_fd_write_all(f->fd, p, n, 5000));
	kg_tr_output_consume(f->tr, n);
	return KG_OK;
}

/* The next upper-layer message; 0 once the first key exchange is done if
 * until_ready; a negative error when the connection ended. */
static int fx_next(fixture *f, const uint8_t **p, size_t *n, int until_ready)
{
	for (int i = 0; i < 400; i++) {
		int r = kg_tr_read_packet(f->tr, p, n);
		if (r != KG_ERR_AGAIN)
			return r;
		if (until_ready && kg_tr_ready(f->tr))
			return 0;
		GUARD(fx_flush(f));
		struct pollfd pfd = { .fd = f->fd, .events = POLLIN };
		if (kg_wait_fds(&pfd, 1, 5000) <= 0)
			return KG_ERR_TIMEOUT;
		uint8_t *sp;
		size_t avail, got = 0;
		GUARD(kg_tr_input_space(f->tr, &sp, &avail));
		r = kg_fd_read(f->fd, sp, avail, &got);
		if (r == KG_ERR_AGAIN)
			continue;
		GUARD(r);
		kg_tr_input_commit(f->tr, got);
	}
	return KG_ERR_TIMEOUT;
}

static int fx_auth(fixture *f, kg_key *key)
{
	const uint8_t *p;
	size_t n;
	GUARD(fx_next(f, &p, &n, 1));
	f->id.pub = key;
	f->id.priv = key;
	f->id.path = "test";
	kg_cli_auth_config ac = { .user = f->user, .ids = &f->id, .n_ids = 1, .try_pubkey = 1 };
	GUARD(kg_cli_auth_start(&f->auth, &ac, f->tr));
	for (;;) {
		int t = fx_next(f, &p, &n, 0);
		GUARD(t);
		int r = kg_cli_auth_handle(f->auth, (uint8_t)t, p, n);
		if (r != 0) {
			if (r == 1)
				GUARD(kg_tr_set_authenticated(f->tr));
			return r;
		}
	}
}

static void test_exec_roundtrip(void)
{
	fixture f;
	T_OK(fx_setup(&f, 0));
	T_ASSERT(fx_auth(&f, f.userkey) == 1);
	kg_conn c;
	T_OK(kg_conn_init(&c, NULL, kg_tr_sink(f.tr), KG_CONN_CLIENT));
	kg_channel *ch = NULL;
	T_OK(kg_conn_open_session(&c, &ch));
	kg_buf out;
	kg_buf_init(&out, 0);
	const char *order[8];
	size_t norder = 0;
	uint32_t status = 999;
	int closed = 0, r = 0;
	while (!closed && r >= 0) {
		const uint8_t *p;
		size_t n;
		int t = fx_next(&f, &p, &n, 0);
		if (t < 0) {
			r = t;
			break;
		}
		kg_conn_event ev;
		if ((r = kg_conn_handle(&c, (uint8_t)t, p + 1, n - 1, &ev)) < 0)
			break;
		switch (ev.type) {
		case KG_CEV_OPEN_CONFIRMED: {
			const char *cmd = "printf 'hi\\n'; printf 'err' >&2; read x; echo \"got:$x\"; exit 7";
			r = kg_conn_req_exec(&c, ch, 1, (const uint8_t *)cmd, strlen(cmd));
			if (r >= 0) {
				size_t sent;
				r = kg_conn_send_data(&c, ch, 0, (const uint8_t *)"line\n", 5, &sent);
			}
			if (r >= 0)
				r = kg_conn_send_eof(&c, ch);
			break;
		}
		case KG_CEV_DATA:
			if (ev.ext == 0)
				r = kg_buf_put(&out, ev.data, ev.len);
			if (r >= 0)
				r = kg_conn_consumed(&c, ch, ev.len);
			break;
		case KG_CEV_REQUEST:
			if (strcmp(ev.name, "exit-status") == 0 && norder < 8) {
				order[norder++] = "status";
				r = kg_req_parse_u32(ev.data, ev.len, &status);
			}
			break;
		case KG_CEV_EOF:
			if (norder < 8)
				order[norder++] = "eof";
			break;
		case KG_CEV_CLOSE:
			if (norder < 8)
				order[norder++] = "close";
			closed = 1;
			break;
		default:
			break;
		}
	}
	T_OK(r);
	T_ASSERT(closed);
	T_ASSERT(status == 7);
	T_ASSERT(kg_buf_len(&out) == strlen("hi\ngot:line\n"));
	T_ASSERT(memcmp(kg_buf_ptr(&out), "hi\ngot:line\n", kg_buf_len(&out)) == 0);
	T_ASSERT(norder == 3 && strcmp(order[0], "status") == 0 && strcmp(order[1], "eof") == 0 &&
		 strcmp(order[2], "close") == 0);
	kg_buf_free(&out);
	T_OK(kg_conn_channel_free(&c, ch));
	kg_conn_free(&c);
	close(f.fd);
	f.fd = -1;
	T_ASSERT(fx_wait_server(&f, 5) == 0);
	fx_free(&f);
}

static void test_wrong_key_refused(void)
{
	fixture f;
	T_OK(fx_setup(&f, 0));
	T_ASSERT(fx_auth(&f, f.otherkey) == KG_ERR_AUTH_FAILED);
	fx_free(&f);
}

static void test_channel_before_auth_disconnects(void)
{
	fixture f;
	T_OK(fx_setup(&f, 0));
	const uint8_t *p;
	size_t n;
	T_OK(fx_next(&f, &p, &n, 1));
	kg_conn c;
	T_OK(kg_conn_init(&c, NULL, kg_tr_sink(f.tr), KG_CONN_CLIENT));
	kg_channel *ch;
	T_OK(kg_conn_open_session(&c, &ch));
	T_OK(fx_flush(&f));
	int r = fx_next(&f, &p, &n, 0);
	T_ASSERT(r == KG_ERR_PEER_DISCONNECT || r == KG_ERR_CLOSED);
	T_ASSERT(fx_wait_server(&f, 5) >= 0);
	kg_conn_free(&c);
	fx_free(&f);
}

static void test_login_grace_time(void)
{
	fixture f;
	T_OK(fx_setup(&f, 1));
	const uint8_t *p;
	size_t n;
	T_OK(fx_next(&f, &p, &n, 1));
	time_t t0 = time(NULL);
	int r = fx_next(&f, &p, &n, 0);  /* no auth attempt: the server gives up */
	T_ASSERT(r == KG_ERR_PEER_DISCONNECT || r == KG_ERR_CLOSED);
	T_ASSERT(time(NULL) - t0 <= 3);
	T_ASSERT(fx_wait_server(&f, 5) >= 0);
	fx_free(&f);
}

static void test_garbage_closes(void)
{
	fixture f;
	T_OK(fx_setup(&f, 0));
	const char junk[] = "SSH-2.0-x\r\n\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";
	T_OK(kg_fd_write_all(f.fd, junk, sizeof(junk) - 1, 2000));
	T_ASSERT(fx_wait_server(&f, 5) >= 0);
	fx_free(&f);
}

/* A listening socket on 127.0.0.1 with a kernel-chosen port. */
static int listen_local(uint32_t *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* Opens direct-tcpip to 127.0.0.1:port; 1 confirmed, 0 refused, <0 error. */
static int tcpip_open(fixture *f, kg_conn *c, uint32_t port)
{
	kg_channel *ch = NULL;
	GUARD(kg_conn_open_tcpip(c, "direct-tcpip", "127.0.0.1", port, "127.0.0.1", 5555, &ch));
	for (;;) {
		const uint8_t *p;
		size_t n;
		int t = fx_next(f, &p, &n, 0);
		GUARD(t);
		kg_conn_event ev;
		GUARD(kg_conn_handle(c, (uint8_t)t, p + 1, n - 1, &ev));
		if (ev.type == KG_CEV_OPEN_CONFIRMED)
			return 1;
		if (ev.type == KG_CEV_OPEN_FAILED) {
			GUARD(kg_conn_channel_free(c, ev.ch));
			return 0;
		}
	}
}

static void test_permitopen_enforced(void)
{
	uint32_t pa = 0, pb = 0;
	int la = listen_local(&pa), lb = listen_local(&pb);
	T_ASSERT(la >= 0 && lb >= 0);
	char opts[64];
	snprintf(opts, sizeof(opts), "permitopen=\"127.0.0.1:%u\"", pa);
	fixture f;
	T_OK(fx_setup_opts(&f, 0, opts));
	T_ASSERT(fx_auth(&f, f.userkey) == 1);
	kg_conn c;
	T_OK(kg_conn_init(&c, NULL, kg_tr_sink(f.tr), KG_CONN_CLIENT));
	T_ASSERT(tcpip_open(&f, &c, pb) == 0);  /* not listed */
	T_ASSERT(tcpip_open(&f, &c, pa) == 1);
	kg_conn_free(&c);
	close(f.fd);
	f.fd = -1;
	T_ASSERT(fx_wait_server(&f, 5) >= 0);
	fx_free(&f);
	close(la);
	close(lb);
}

/* "Key value" as -o gives it. */
static int client_opt(kg_client_config *cfg, const char *key, const char *value)
{
	char line[512];
	kg_cfg_err err;
	snprintf(line, sizeof(line), "%s %s", key, value);
	return kg_client_config_apply_option(cfg, line, &err);
}

/* Reads fd (blocking) to its end into b. */
static int read_all(int fd, kg_buf *b)
{
	uint8_t buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		GUARD(kg_buf_put(b, buf, (size_t)n));
	return n == 0 ? KG_OK : KG_ERR_SYSTEM;
}

/* kagi's own client against the server: kg_client_open on the socket
 * (host key learnt, public key auth), a stream running a command both
 * ways with its exit status, then kssh's session with stdout and stderr
 * kept apart. */
static void test_client_stream_and_session(void)
{
	fixture f;
	T_OK(fx_setup(&f, 0));
	char idpath[128], khpath[128];
	snprintf(idpath, sizeof(idpath), "%s/id", f.dir);
	snprintf(khpath, sizeof(khpath), "%s/kh", f.dir);
	kg_buf pem;
	kg_buf_init(&pem, 0);
	T_OK(kg_keyfile_write_private(f.userkey, NULL, "test", &pem));
	int kfd = open(idpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	T_ASSERT(kfd >= 0 && write(kfd, kg_buf_ptr(&pem), kg_buf_len(&pem)) == (ssize_t)kg_buf_len(&pem));
	close(kfd);
	kg_buf_free(&pem);
	kg_client_config cfg;
	kg_client_config_init(&cfg);
	T_OK(client_opt(&cfg, "IdentityFile", idpath));
	T_OK(client_opt(&cfg, "UserKnownHostsFile", khpath));
	T_OK(client_opt(&cfg, "User", f.user));
	T_OK(client_opt(&cfg, "GlobalKnownHostsFile", "/dev/null"));
	T_OK(client_opt(&cfg, "StrictHostKeyChecking", "no"));
	T_OK(client_opt(&cfg, "BatchMode", "yes"));
	T_OK(kg_client_config_finish(&cfg, "127.0.0.1", f.user));
	kg_client c;
	memset(&c, 0, sizeof(c));
	c.cfg = &cfg;
	c.local_user = f.user;
	c.home = f.dir;
	c.log = &f.log;
	c.fd = f.fd;
	f.fd = -1;  /* the client owns it now */
	T_OK(kg_client_open(&c));
	T_ASSERT(c.authenticated && access(khpath, F_OK) == 0);  /* the host key was added */

	kg_stream st;
	T_OK(kg_stream_open(&c, &st, NULL, "printf 'hi:'; cat; exit 3", -1));
	T_OK(kg_stream_write(&st, "abc", 3));
	T_OK(kg_stream_send_eof(&st));
	char buf[16];
	T_OK(kg_stream_read_full(&st, buf, 6));
	T_ASSERT(memcmp(buf, "hi:abc", 6) == 0);
	size_t got = 1;
	T_OK(kg_stream_read(&st, buf, sizeof(buf), &got));
	T_ASSERT(got == 0);
	int status = -1;
	T_OK(kg_stream_close(&st, &status));
	T_ASSERT(status == 3);

	int out[2], err[2];
	T_ASSERT(pipe(out) == 0 && pipe(err) == 0);
	kg_cli_session_opts o = { .command = "printf out; printf err >&2; exit 4", .stdin_null = 1, .quiet = 1,
				  .out_fd = out[1], .err_fd = err[1] };
	status = -1;
	T_OK(kg_cli_session_run(&c, &o, &status));
	T_ASSERT(status == 4);
	close(out[1]);
	close(err[1]);
	kg_buf bo, be;
	kg_buf_init(&bo, 0);
	kg_buf_init(&be, 0);
	T_OK(read_all(out[0], &bo));
	T_OK(read_all(err[0], &be));
	T_ASSERT(kg_buf_len(&bo) == 3 && memcmp(kg_buf_ptr(&bo), "out", 3) == 0);
	T_ASSERT(kg_buf_len(&be) == 3 && memcmp(kg_buf_ptr(&be), "err", 3) == 0);
	kg_buf_free(&bo);
	kg_buf_free(&be);
	close(out[0]);
	close(err[0]);
	kg_client_close(&c);
	kg_client_config_free(&cfg);
	T_ASSERT(fx_wait_server(&f, 5) == 0);
	unlink(idpath);
	unlink(khpath);
	fx_free(&f);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	T_RUN(test_exec_roundtrip);
	T_RUN(test_wrong_key_refused);
	T_RUN(test_channel_before_auth_disconnects);
	T_RUN(test_login_grace_time);
	T_RUN(test_garbage_closes);
	T_RUN(test_permitopen_enforced);
	T_RUN(test_client_stream_and_session);
	return T_DONE();
}
