/* Exercises src/conn/cli-fwd-remote.c and src/conn/cli-rfwd-socks.c (and
 * kg_fwd_relay_open in src/conn/common-forward-relay.c): a client engine
 * whose server opens and global requests go through a kg_cli_dispatch,
 * joined by pipes to a server engine serving forwardings with
 * src/conn/svr-forward.c, both on one kg_loop.  Covered: -R 0 (the reply's
 * allocated port reported, OpenSSH's "Allocated port" line, a connection to it relayed to the target both
 * ways), a taken port failing with OpenSSH's message, an open for a port
 * never asked for refused as administratively prohibited, cancel (and an
 * unknown one), a Unix socket forwarding, -R with no target answering
 * SOCKS5 and SOCKS4a (with data sent ahead of the reply), PermitRemoteOpen
 * refusing a target (SOCKS "not allowed"), a SOCKS exchange outliving the
 * forwardings (refused), bad requests, PermitRemoteOpen's parsing, and the
 * config keyword. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "t.h"
#include "fdcap.h"
#include "conn/cli-fwd-remote.h"
#include "conn/svr-forward.h"
#include "sys/net.h"
#include "sys/net-fwd.h"

typedef struct fx {
	kg_loop loop;
	kg_logger log;
	kg_server_config scfg;
	kg_client_config ccfg;
	kg_key *hostkey, *hostkeys[1];
	kg_tr_config ctc, stc;
	kg_transport *ctr, *str;
	kg_engine cli, srv;
	kg_svr_fwd *sfwd;
	kg_cli_dispatch d;
	kg_cli_rfwd *r;
	int a2b[2], b2a[2];
	/* the last done() */
	int ndone, ok, allocated;
	char msg[256];
	/* a server-side test channel */
	kg_consumer probe;
	int probe_failed;
	uint32_t probe_reason;
} fx;

static int accept_any(void *arg, const kg_key *key, const kg_kex_result *kex)
{
	(void)arg, (void)key, (void)kex;
	return KG_OK;
}

static int srv_global(void *arg, const kg_conn_event *ev)
{
	fx *f = arg;
	int r = kg_svr_fwd_global_request(f->sfwd, ev);
	if (r == 0)
		return ev->want_reply ? kg_conn_global_reply(&f->srv.conn, 0, NULL, 0) : KG_OK;
	return r < 0 ? r : KG_OK;
}

static int srv_open(void *arg, kg_channel *ch, const kg_conn_event *ev)
{
	(void)ev;
	fx *f = arg;
	return kg_conn_open_fail(&f->srv.conn, ch, SSH_OPEN_UNKNOWN_CHANNEL_TYPE, "unknown");
}

static int cli_open(void *arg, kg_channel *ch, const kg_conn_event *ev)
{
	fx *f = arg;
	return kg_cli_dispatch_open(&f->d, &f->cli.conn, ch, ev);
}

static int cli_global(void *arg, const kg_conn_event *ev)
{
	fx *f = arg;
	return kg_cli_dispatch_global(&f->d, &f->cli.conn, ev);
}

static int both_ready(void *arg)
{
	fx *f = arg;
	return kg_tr_ready(f->ctr) && kg_tr_ready(f->str);
}

static void on_done(void *arg, const kg_fwd_spec *spec, int ok, int allocated, const char *msg)
{
	fx *f = arg;
	(void)spec;
	f->ndone++;
	f->ok = ok;
	f->allocated = allocated;
	snprintf(f->msg, sizeof(f->msg), "%s", msg ? msg : "");
}

/* permit: PermitRemoteOpen's value, or NULL. */
static int fx_setup(fx *f, const char *permit)
{
	memset(f, 0, sizeof(*f));
	kg_loop_init(&f->loop);
	kg_log_init(&f->log, "test", KG_LOG_QUIET, 0, 0);
	kg_server_config_init(&f->scfg);
	GUARD(kg_server_config_finish(&f->scfg));
	kg_client_config_init(&f->ccfg);
	if (permit) {
		char opt[256];
		kg_cfg_err err;
		snprintf(opt, sizeof(opt), "PermitRemoteOpen %s", permit);
		GUARD(kg_client_config_apply_option(&f->ccfg, opt, &err));
	}
	kg_cli_dispatch_init(&f->d);
	if (pipe2(f->a2b, O_NONBLOCK | O_CLOEXEC) != 0 || pipe2(f->b2a, O_NONBLOCK | O_CLOEXEC) != 0)
		return KG_ERR_SYSTEM;
	GUARD(kg_key_generate(KG_KEY_ED25519, 0, &f->hostkey));
	f->hostkeys[0] = f->hostkey;
	f->ctc = (kg_tr_config){ .kex_algs = "curve25519-sha256", .hostkey_algs = "ssh-ed25519",
				 .ciphers = "aes128-ctr", .macs = "hmac-sha2-256", .compression = "none",
				 .verify_hostkey = accept_any };
	f->stc = f->ctc;
	f->stc.is_server = 1;
	f->stc.hostkeys = f->hostkeys;
	f->stc.n_hostkeys = 1;
	f->stc.verify_hostkey = NULL;
	GUARD(kg_tr_new(&f->ctr, &f->ctc));
	GUARD(kg_tr_new(&f->str, &f->stc));
	kg_engine_hooks ch = { .open_request = cli_open, .global_request = cli_global, .arg = f };
	GUARD(kg_engine_init(&f->cli, &f->loop, f->b2a[0], f->a2b[1], f->ctr, &ch));
	kg_engine_hooks sh = { .open_request = srv_open, .global_request = srv_global, .arg = f };
	GUARD(kg_engine_init(&f->srv, &f->loop, f->a2b[0], f->b2a[1], f->str, &sh));
	GUARD(kg_engine_run(&f->cli, both_ready, f, 5000));
	kg_conn_config cc;
	kg_conn_config_default(&cc);
	GUARD(kg_engine_start_channels(&f->cli, &cc, KG_CONN_CLIENT));
	GUARD(kg_engine_start_channels(&f->srv, &cc, KG_CONN_SERVER));
	kg_svr_fwd_ctx ctx = { .eng = &f->srv, .log = &f->log, .cfg = &f->scfg, .peer_ip = "127.0.0.1",
			       .peer_port = 5555 };
	GUARD(kg_svr_fwd_new(&ctx, &f->sfwd));
	return kg_cli_rfwd_new(&f->cli, &f->d, &f->log, &f->ccfg, &f->r);
}

static void fx_free(fx *f)
{
	kg_cli_rfwd_free(f->r);
	kg_engine_free(&f->cli);
	kg_engine_free(&f->srv);
	kg_svr_fwd_free(f->sfwd);
	kg_loop_free(&f->loop);
	kg_tr_free(f->ctr);
	kg_tr_free(f->str);
	kg_key_free(f->hostkey);
	kg_server_config_free(&f->scfg);
	kg_client_config_free(&f->ccfg);
	for (int i = 0; i < 2; i++) {
		close(f->a2b[i]);
		close(f->b2a[i]);
	}
}

static int ndone_is(void *arg)
{
	return ((fx *)arg)->ndone > 0;
}

/* Asks for spec and runs until the answer. */
static int add(fx *f, const char *text)
{
	kg_fwd_spec s;
	GUARD(kg_fwd_spec_parse(text, KG_FWDSPEC_REMOTE, &s));
	f->ndone = 0;
	int rc = kg_cli_rfwd_add(f->r, &s, on_done, f);
	kg_fwd_spec_free(&s);
	GUARD(rc);
	return kg_engine_run(&f->cli, ndone_is, f, 3000);
}

static int cancel(fx *f, const char *text)
{
	kg_fwd_spec s;
	GUARD(kg_fwd_spec_parse(text, KG_FWDSPEC_REMOTE, &s));
	f->ndone = 0;
	int rc = kg_cli_rfwd_cancel(f->r, &s, on_done, f);
	kg_fwd_spec_free(&s);
	GUARD(rc);
	return kg_engine_run(&f->cli, ndone_is, f, 3000);
}

/* ---- sockets driven while the loop runs ---- */

typedef struct io {
	int fd;           /* read from, or accepted on */
	int accepted;     /* accept mode: the new fd */
	char buf[256];
	size_t have, want;
	int eof;
} io;

static int io_accepted(void *arg)
{
	io *x = arg;
	if (x->accepted < 0)
		(void)!kg_net_accept(x->fd, &x->accepted);
	return x->accepted >= 0;
}

static int io_read(void *arg)
{
	io *x = arg;
	while (x->have < x->want) {
		ssize_t n = read(x->fd, x->buf + x->have, x->want - x->have);
		if (n == 0) {
			x->eof = 1;
			return 1;
		}
		if (n < 0)
			return 0;
		x->have += (size_t)n;
	}
	return 1;
}

static int run_io(fx *f, int (*cond)(void *), io *x)
{
	return kg_engine_run(&f->cli, cond, x, 3000);
}

/* Waits for n bytes on fd (non-blocking); the count read. */
static size_t read_n(fx *f, int fd, char *out, size_t n)
{
	io x = { .fd = fd, .want = n };
	(void)!run_io(f, io_read, &x);
	memcpy(out, x.buf, x.have);
	return x.have;
}

static int accept_on(fx *f, int l)
{
	io x = { .fd = l, .accepted = -1 };
	(void)!run_io(f, io_accepted, &x);
	return x.accepted;
}

static int listen_local(int *port)
{
	int fds[1];
	size_t n = 0;
	if (kg_net_listen_tcp("127.0.0.1", 0, 0, fds, 1, &n, port, NULL, 0) < 0)
		return -1;
	return fds[0];
}

static int tcp_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	if (fd >= 0)
		(void)!kg_net_set_nonblock(fd, 1);
	return fd;
}

/* "ping" from outside reaches the target, "pong" comes back, EOF both ways. */
static void relay_both_ways(fx *f, int outside, int target)
{
	char b[8];
	T_ASSERT(write(outside, "ping", 4) == 4);
	T_ASSERT(read_n(f, target, b, 4) == 4 && memcmp(b, "ping", 4) == 0);
	T_ASSERT(write(target, "pong", 4) == 4);
	T_ASSERT(read_n(f, outside, b, 4) == 4 && memcmp(b, "pong", 4) == 0);
	shutdown(outside, SHUT_WR);
	io x = { .fd = target, .want = 1 };
	(void)!run_io(f, io_read, &x);
	T_ASSERT(x.eof);
	shutdown(target, SHUT_WR);
	io y = { .fd = outside, .want = 1 };
	(void)!run_io(f, io_read, &y);
	T_ASSERT(y.eof);
}

/* ---- cases ---- */

static void test_port0_relay_cancel(void)
{
	fx f;
	T_OK(fx_setup(&f, NULL));
	int tport = 0, l = listen_local(&tport);
	T_ASSERT(l >= 0);
	char spec[64];
	snprintf(spec, sizeof(spec), "127.0.0.1:0:127.0.0.1:%d", tport);
	/* OpenSSH's line on stderr, at the default level. */
	kg_log_init(&f.log, "test", KG_LOG_INFO, 0, 0);
	fdcap cap;
	T_ASSERT(cap_begin(&cap, 2) == 0);
	int rc = add(&f, spec);
	char *said = cap_end(&cap);
	kg_log_init(&f.log, "test", KG_LOG_QUIET, 0, 0);
	T_OK(rc);
	T_ASSERT(f.ok && f.allocated > 0 && f.allocated < 65536 && f.msg[0] == '\0');
	int port = f.allocated;
	char line[128];
	snprintf(line, sizeof(line), "Allocated port %d for remote forward to 127.0.0.1:%d\n", port, tport);
	T_ASSERT(said && strstr(said, line) != NULL);
	free(said);
	for (int round = 0; round < 2; round++) {
		int s = tcp_connect(port);
		T_ASSERT(s >= 0);
		int t = accept_on(&f, l);
		T_ASSERT(t >= 0);
		relay_both_ways(&f, s, t);
		close(s);
		close(t);
	}
	/* Cancelling by the allocated port closes the server's listener. */
	snprintf(spec, sizeof(spec), "127.0.0.1:%d:127.0.0.1:%d", port, tport);
	T_OK(cancel(&f, spec));
	T_ASSERT(f.ok && kg_svr_fwd_count(f.sfwd) == 0);
	T_ASSERT(tcp_connect(port) < 0);
	/* Once gone it is unknown. */
	kg_fwd_spec s;
	T_OK(kg_fwd_spec_parse(spec, KG_FWDSPEC_REMOTE, &s));
	f.ndone = 0;
	T_ASSERT(kg_cli_rfwd_cancel(f.r, &s, on_done, &f) == KG_ERR_NOT_FOUND);
	T_ASSERT(f.ndone == 1 && !f.ok);
	kg_fwd_spec_free(&s);
	close(l);
	fx_free(&f);
}

static void test_taken_port(void)
{
	fx f;
	T_OK(fx_setup(&f, NULL));
	int port = 0, l = listen_local(&port);
	T_ASSERT(l >= 0);
	char spec[64], want[96];
	snprintf(spec, sizeof(spec), "127.0.0.1:%d:127.0.0.1:9", port);
	T_OK(add(&f, spec));
	snprintf(want, sizeof(want), "remote port forwarding failed for listen port %d", port);
	T_ASSERT(!f.ok && f.allocated == 0 && strcmp(f.msg, want) == 0);
	close(l);
	fx_free(&f);
}

static int probe_open_failed(kg_consumer *k, const kg_conn_event *ev)
{
	fx *f = KG_CONSUMER_OF(k, fx, probe);
	f->probe_failed = 1;
	f->probe_reason = ev->reason;
	return KG_OK;
}

static int probe_done(void *arg)
{
	return ((fx *)arg)->probe_failed;
}

static const kg_consumer_ops probe_ops = { .open_failed = probe_open_failed };

/* An open for a port that was never asked for is refused. */
static void test_unknown_open_refused(void)
{
	fx f;
	T_OK(fx_setup(&f, NULL));
	T_OK(add(&f, "127.0.0.1:0:127.0.0.1:9"));
	T_ASSERT(f.ok);
	kg_channel *ch;
	T_OK(kg_conn_open_tcpip(&f.srv.conn, "forwarded-tcpip", "127.0.0.1", (uint32_t)f.allocated + 1,
				"198.51.100.1", 5, &ch));
	kg_engine_attach(&f.srv, ch, &f.probe, &probe_ops);
	kg_engine_kick(&f.srv);
	T_OK(kg_engine_run(&f.cli, probe_done, &f, 3000));
	T_ASSERT(f.probe_reason == SSH_OPEN_ADMINISTRATIVELY_PROHIBITED);
	/* A streamlocal one nobody asked for either. */
	f.probe_failed = 0;
	uint8_t extra[64];
	kg_poke_u32(extra, 8);
	memcpy(extra + 4, "/tmp/x.s", 8);
	kg_poke_u32(extra + 12, 0);
	T_OK(kg_conn_open(&f.srv.conn, "forwarded-streamlocal@openssh.com", extra, 16, &ch));
	kg_engine_attach(&f.srv, ch, &f.probe, &probe_ops);
	kg_engine_kick(&f.srv);
	T_OK(kg_engine_run(&f.cli, probe_done, &f, 3000));
	T_ASSERT(f.probe_reason == SSH_OPEN_ADMINISTRATIVELY_PROHIBITED);
	fx_free(&f);
}

static void test_streamlocal(void)
{
	char dir[64], lpath[96], tpath[96], spec[256];
	snprintf(dir, sizeof(dir), "/tmp/kagi-rfwd.XXXXXX");
	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(lpath, sizeof(lpath), "%s/listen.sock", dir);
	snprintf(tpath, sizeof(tpath), "%s/target.sock", dir);
	fx f;
	T_OK(fx_setup(&f, NULL));
	int l = -1;
	T_OK(kg_net_listen_unix(tpath, 1, 0077, &l, NULL, 0));
	snprintf(spec, sizeof(spec), "%s:%s", lpath, tpath);
	T_OK(add(&f, spec));
	T_ASSERT(f.ok && f.allocated == 0);
	int s = -1;
	T_OK(kg_net_connect_unix(lpath, &s));
	int t = accept_on(&f, l);
	T_ASSERT(t >= 0);
	relay_both_ways(&f, s, t);
	close(s);
	close(t);
	T_OK(cancel(&f, spec));
	T_ASSERT(f.ok && kg_svr_fwd_count(f.sfwd) == 0);
	close(l);
	fx_free(&f);
	unlink(lpath);
	unlink(tpath);
	rmdir(dir);
}

/* -R with no target: SOCKS5 with a host name, the client's first data sent
 * in the same write as the request. */
static void test_socks5(void)
{
	fx f;
	T_OK(fx_setup(&f, NULL));
	int tport = 0, l = listen_local(&tport);
	T_ASSERT(l >= 0);
	T_OK(add(&f, "0"));
	T_ASSERT(f.ok && f.allocated > 0);
	int s = tcp_connect(f.allocated);
	T_ASSERT(s >= 0);
	char b[16];
	T_ASSERT(write(s, "\x05\x01\x00", 3) == 3);
	T_ASSERT(read_n(&f, s, b, 2) == 2 && b[0] == 5 && b[1] == 0);
	uint8_t req[64] = { 5, 1, 0, 3, 9 };
	memcpy(req + 5, "localhost", 9);
	req[14] = (uint8_t)(tport >> 8);
	req[15] = (uint8_t)tport;
	memcpy(req + 16, "early", 5);
	T_ASSERT(write(s, req, 21) == 21);
	int t = accept_on(&f, l);
	T_ASSERT(t >= 0);
	T_ASSERT(read_n(&f, s, b, 10) == 10 && b[0] == 5 && b[1] == 0);
	T_ASSERT(read_n(&f, t, b, 5) == 5 && memcmp(b, "early", 5) == 0);
	relay_both_ways(&f, s, t);
	close(s);
	close(t);
	close(l);
	fx_free(&f);
}

/* SOCKS4a, and a SOCKS4 request to a closed port refused with 91. */
static void test_socks4(void)
{
	fx f;
	T_OK(fx_setup(&f, NULL));
	int tport = 0, l = listen_local(&tport);
	T_ASSERT(l >= 0);
	T_OK(add(&f, "localhost:0"));
	T_ASSERT(f.ok && f.allocated > 0);
	int s = tcp_connect(f.allocated);
	T_ASSERT(s >= 0);
	uint8_t req[64] = { 4, 1, (uint8_t)(tport >> 8), (uint8_t)tport, 0, 0, 0, 1, 'u', 0 };
	memcpy(req + 10, "127.0.0.1", 10);
	T_ASSERT(write(s, req, 20) == 20);
	int t = accept_on(&f, l);
	T_ASSERT(t >= 0);
	char b[16];
	T_ASSERT(read_n(&f, s, b, 8) == 8 && b[0] == 0 && b[1] == 90);
	relay_both_ways(&f, s, t);
	close(s);
	close(t);
	close(l);
	int cport = tport;  /* closed now */
	s = tcp_connect(f.allocated);
	T_ASSERT(s >= 0);
	uint8_t r4[16] = { 4, 1, (uint8_t)(cport >> 8), (uint8_t)cport, 127, 0, 0, 1, 0 };
	T_ASSERT(write(s, r4, 9) == 9);
	T_ASSERT(read_n(&f, s, b, 8) == 8 && b[1] == 91);
	io x = { .fd = s, .want = 1 };
	(void)!run_io(&f, io_read, &x);
	T_ASSERT(x.eof);
	close(s);
	fx_free(&f);
}

/* PermitRemoteOpen: a target not listed gets SOCKS5 "not allowed" (2) and
 * the channel closes; a listed one connects. */
static void test_permit_remote_open(void)
{
	fx f;
	int tport = 0, l = listen_local(&tport);
	T_ASSERT(l >= 0);
	char permit[64];
	snprintf(permit, sizeof(permit), "127.0.0.1:%d", tport);
	T_OK(fx_setup(&f, permit));
	T_OK(add(&f, "0"));
	T_ASSERT(f.ok);
	for (int allowed = 0; allowed < 2; allowed++) {
		int s = tcp_connect(f.allocated);
		T_ASSERT(s >= 0);
		char b[16];
		T_ASSERT(write(s, "\x05\x01\x00", 3) == 3);
		T_ASSERT(read_n(&f, s, b, 2) == 2 && b[1] == 0);
		int port = allowed ? tport : tport + 1;
		uint8_t req[10] = { 5, 1, 0, 1, 127, 0, 0, 1, (uint8_t)(port >> 8), (uint8_t)port };
		T_ASSERT(write(s, req, 10) == 10);
		T_ASSERT(read_n(&f, s, b, 10) == 10);
		if (!allowed) {
			T_ASSERT(b[1] == 2);
			io x = { .fd = s, .want = 1 };
			(void)!run_io(&f, io_read, &x);
			T_ASSERT(x.eof);
		} else {
			T_ASSERT(b[1] == 0);
			int t = accept_on(&f, l);
			T_ASSERT(t >= 0);
			relay_both_ways(&f, s, t);
			close(t);
		}
		close(s);
	}
	close(l);
	fx_free(&f);
}

/* The forwardings go away while a SOCKS exchange waits for its request:
 * it is refused, not served with a rule that is gone.  A bad spec and a
 * cancel of one not yet answered are refused at once. */
static void test_gone_and_bad(void)
{
	fx f;
	T_OK(fx_setup(&f, NULL));
	T_OK(add(&f, "0"));
	T_ASSERT(f.ok);
	int s = tcp_connect(f.allocated);
	T_ASSERT(s >= 0);
	char b[16];
	T_ASSERT(write(s, "\x05\x01\x00", 3) == 3);
	T_ASSERT(read_n(&f, s, b, 2) == 2 && b[1] == 0);
	kg_cli_rfwd_free(f.r);
	f.r = NULL;
	uint8_t req[10] = { 5, 1, 0, 1, 127, 0, 0, 1, 0, 80 };
	T_ASSERT(write(s, req, 10) == 10);
	T_ASSERT(read_n(&f, s, b, 10) == 10 && b[1] == 2);
	close(s);
	T_OK(kg_cli_rfwd_new(&f.cli, &f.d, &f.log, &f.ccfg, &f.r));
	kg_fwd_spec spec;
	T_OK(kg_fwd_spec_parse("1234:h:1", KG_FWDSPEC_LOCAL, &spec));
	f.ndone = 0;
	T_ASSERT(kg_cli_rfwd_add(f.r, &spec, on_done, &f) == KG_ERR_ARG);
	T_ASSERT(f.ndone == 1 && !f.ok && strcmp(f.msg, "remote port forwarding failed for listen port 1234") == 0);
	kg_fwd_spec_free(&spec);
	T_OK(kg_fwd_spec_parse("127.0.0.1:0:127.0.0.1:9", KG_FWDSPEC_REMOTE, &spec));
	f.ndone = 0;
	T_OK(kg_cli_rfwd_add(f.r, &spec, on_done, &f));
	T_ASSERT(kg_cli_rfwd_cancel(f.r, &spec, NULL, NULL) == KG_ERR_NOT_FOUND);
	T_OK(kg_engine_run(&f.cli, ndone_is, &f, 3000));
	T_ASSERT(f.ok && f.allocated > 0);
	kg_fwd_spec_free(&spec);
	fx_free(&f);
}

static int permit_of(const char *value, kg_cli_rfwd_permit *p, char *err)
{
	kg_client_config c;
	kg_cfg_err e;
	char opt[256];
	kg_client_config_init(&c);
	snprintf(opt, sizeof(opt), "PermitRemoteOpen %s", value);
	int rc = kg_client_config_apply_option(&c, opt, &e);
	if (rc >= 0)
		rc = kg_cli_rfwd_permit_parse(&c.permit_remote_open, p, err, 200);
	kg_client_config_free(&c);
	return rc;
}

static void test_permit_parse(void)
{
	kg_cli_rfwd_permit p;
	char err[200];
	T_OK(kg_cli_rfwd_permit_parse(NULL, &p, err, sizeof(err)));
	T_ASSERT(kg_cli_rfwd_permit_allows(&p, "x", 1));
	T_OK(permit_of("any", &p, err));
	T_ASSERT(kg_cli_rfwd_permit_allows(&p, "x", 1));
	T_OK(permit_of("none", &p, err));
	T_ASSERT(!kg_cli_rfwd_permit_allows(&p, "x", 1));
	T_OK(permit_of("web:80 *:443 [::1]:* db:*", &p, err));
	T_ASSERT(p.n == 4);
	T_ASSERT(kg_cli_rfwd_permit_allows(&p, "web", 80) && !kg_cli_rfwd_permit_allows(&p, "web", 81));
	T_ASSERT(!kg_cli_rfwd_permit_allows(&p, "Web", 80));  /* compared as written */
	T_ASSERT(kg_cli_rfwd_permit_allows(&p, "anything", 443) && kg_cli_rfwd_permit_allows(&p, "::1", 7));
	T_ASSERT(kg_cli_rfwd_permit_allows(&p, "db", 5432) && !kg_cli_rfwd_permit_allows(&p, "other", 5432));
	kg_cli_rfwd_permit_free(&p);
	static const char *const bad[] = { "any web:80", "web:80 none", "web", ":80", "web:0", "web:x",
					   "web:70000", "[::1]80" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		T_ASSERT(permit_of(bad[i], &p, err) == KG_ERR_CONFIG);
		T_ASSERT(strstr(err, "PermitRemoteOpen") != NULL);
	}
	/* The first line wins, as with OpenSSH; the keyword is no longer
	 * reported as unsupported. */
	kg_client_config c;
	kg_cfg_err e;
	kg_client_config_init(&c);
	T_OK(kg_client_config_apply_option(&c, "PermitRemoteOpen a:1 b:2", &e));
	T_OK(kg_client_config_apply_option(&c, "PermitRemoteOpen none", &e));
	T_ASSERT(c.permit_remote_open.n == 2 && strcmp(c.permit_remote_open.v[1], "b:2") == 0);
	T_ASSERT(c.unsupported.n == 0 && c.warnings.n == 0);
	kg_client_config_free(&c);
	/* A bad value stops kg_cli_rfwd_new. */
	fx f;
	T_ASSERT(fx_setup(&f, "web") == KG_ERR_CONFIG && f.r == NULL);
	fx_free(&f);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	T_RUN(test_port0_relay_cancel);
	T_RUN(test_taken_port);
	T_RUN(test_unknown_open_refused);
	T_RUN(test_streamlocal);
	T_RUN(test_socks5);
	T_RUN(test_socks4);
	T_RUN(test_permit_remote_open);
	T_RUN(test_gone_and_bad);
	T_RUN(test_permit_parse);
	return T_DONE();
}
