/* Exercises src/conn/svr-forward.c, src/conn/common-forward-relay.c and
 * src/sys/net-fwd.c: a server engine with the forwarding hooks, joined by
 * pipes to a client driven by hand on the same kg_loop (so every global
 * reply and open request is seen).  Covered: tcpip-forward with port 0
 * (the reply carries the port), a connection to it arriving as a
 * forwarded-tcpip channel with data both ways and EOF, cancel; refusals by
 * AllowTcpForwarding, DisableForwarding, PermitListen, permitlisten=,
 * no-port-forwarding and a privileged port for a non-root user; the
 * address GatewayPorts makes of the client's listen address;
 * direct-tcpip connecting without waiting (to "localhost", whatever
 * address family answers), refused by PermitOpen, failing with
 * CONNECT_FAILED, and one that stays pending while other requests are
 * answered; the window holding a fast socket back; streamlocal-forward
 * with StreamLocalBindMask and StreamLocalBindUnlink, and direct-streamlocal. */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "t.h"
#include "conn/svr-forward.h"
#include "sys/loop.h"
#include "sys/net.h"
#include "sys/net-fwd.h"

#define WIN (64u * 1024)
#define NGR 8

typedef struct fx {
	kg_loop loop;
	kg_logger log;
	kg_server_config cfg;
	kg_ak_opts ak;
	int use_ak;
	kg_spawn_user user;
	int use_user;
	kg_key *hostkey, *hostkeys[1];
	kg_tr_config ctc, stc;
	kg_transport *ctr, *str;
	kg_engine srv;
	kg_svr_fwd *fwd;
	int a2b[2], b2a[2];
	/* the hand-driven client */
	kg_conn c;
	int c_ready, c_wr_on, err;
	int ngr, gr_ok[NGR];
	uint32_t gr_port[NGR];
	kg_channel *ch;             /* the forwarded or direct channel */
	char open_name[KG_CONN_NAME_MAX + 1];
	char open_addr[128];
	uint32_t open_port;
	int opened, open_failed, eof, closed, hold;
	uint32_t fail_reason;
	kg_buf got;
	size_t held;
} fx;

static int accept_any(void *arg, const kg_key *key, const kg_kex_result *kex)
{
	(void)arg;
	(void)key;
	(void)kex;
	return KG_OK;
}

static void cli_fd(void *ctx, int fd, int revents);

/* Writes the client transport's output; write interest while some is left. */
static void cli_flush(fx *f)
{
	for (;;) {
		size_t len, done = 0;
		const uint8_t *p = kg_tr_output(f->ctr, &len);
		if (len == 0)
			break;
		int r = kg_fd_write(f->a2b[1], p, len, &done);
		if (r == KG_ERR_AGAIN)
			break;
		if (r < 0) {
			f->err = r;
			return;
		}
		kg_tr_output_consume(f->ctr, done);
	}
	size_t len;
	(void)kg_tr_output(f->ctr, &len);
	if (len && !f->c_wr_on)
		f->err = f->err ? f->err : kg_loop_add_fd(&f->loop, f->a2b[1], KG_LOOP_WRITE, cli_fd, f);
	else if (!len && f->c_wr_on)
		(void)!kg_loop_remove_fd(&f->loop, f->a2b[1]);
	f->c_wr_on = len > 0;
}

static int cli_event(fx *f, const kg_conn_event *ev)
{
	switch (ev->type) {
	case KG_CEV_GLOBAL_REPLY:
		if (f->ngr < NGR) {
			f->gr_ok[f->ngr] = ev->ok;
			f->gr_port[f->ngr] = ev->len >= 4 ? kg_peek_u32(ev->data) : 0;
			f->ngr++;
		}
		return KG_OK;
	case KG_CEV_OPEN_REQUEST: {
		kg_buf b;
		const uint8_t *s;
		size_t n;
		kg_buf_view(&b, ev->data, ev->len);
		snprintf(f->open_name, sizeof(f->open_name), "%s", ev->name);
		if (kg_buf_get_string_direct(&b, &s, &n) == KG_OK)
			snprintf(f->open_addr, sizeof(f->open_addr), "%.*s", (int)n, (const char *)s);
		if (strcmp(ev->name, "forwarded-tcpip") == 0)
			GUARD(kg_buf_get_u32(&b, &f->open_port));
		f->ch = ev->ch;
		f->opened = 1;
		return kg_conn_open_confirm(&f->c, ev->ch);
	}
	case KG_CEV_OPEN_CONFIRMED:
		f->opened = 1;
		return KG_OK;
	case KG_CEV_OPEN_FAILED:
		f->open_failed = 1;
		f->fail_reason = ev->reason;
		f->ch = NULL;
		return kg_conn_channel_free(&f->c, ev->ch);
	case KG_CEV_DATA:
		GUARD(kg_buf_put(&f->got, ev->data, ev->len));
		if (f->hold) {
			f->held += ev->len;
			return KG_OK;
		}
		return kg_conn_consumed(&f->c, ev->ch, ev->len);
	case KG_CEV_EOF:
		f->eof = 1;
		return KG_OK;
	case KG_CEV_CLOSE:
		f->closed = 1;
		f->ch = NULL;
		return kg_conn_channel_free(&f->c, ev->ch);
	default:
		return KG_OK;
	}
}

static void cli_fd(void *ctx, int fd, int revents)
{
	fx *f = ctx;
	(void)revents;
	if (fd == f->b2a[0]) {
		uint8_t *p;
		size_t avail, n = 0;
		int r = kg_tr_input_space(f->ctr, &p, &avail);
		if (r >= 0)
			r = kg_fd_read(fd, p, avail, &n);
		if (r == KG_OK)
			kg_tr_input_commit(f->ctr, n);
		const uint8_t *m;
		size_t mlen;
		while (r >= 0 && (r = kg_tr_read_packet(f->ctr, &m, &mlen)) > 0) {
			kg_conn_event ev;
			if (!f->c_ready)
				continue;
			r = kg_conn_handle(&f->c, (uint8_t)r, m + 1, mlen - 1, &ev);
			if (r >= 0)
				r = cli_event(f, &ev);
		}
		if (r < 0 && r != KG_ERR_AGAIN)
			f->err = r;
	}
	cli_flush(f);
}

static int srv_global(void *arg, const kg_conn_event *ev)
{
	fx *f = arg;
	int r = kg_svr_fwd_global_request(f->fwd, ev);
	if (r == 0)
		return ev->want_reply ? kg_conn_global_reply(&f->srv.conn, 0, NULL, 0) : KG_OK;
	return r < 0 ? r : KG_OK;
}

static int srv_open(void *arg, kg_channel *ch, const kg_conn_event *ev)
{
	fx *f = arg;
	int r = kg_svr_fwd_open_request(f->fwd, ch, ev);
	if (r == 0)
		return kg_conn_open_fail(&f->srv.conn, ch, SSH_OPEN_UNKNOWN_CHANNEL_TYPE, "unknown");
	return r < 0 ? r : KG_OK;
}

static int both_ready(void *arg)
{
	fx *f = arg;
	return f->err || (kg_tr_ready(f->ctr) && kg_tr_ready(f->str));
}

/* Runs the loop until cond holds (or 3 s pass). */
static int run_until(fx *f, int (*cond)(void *), void *arg)
{
	cli_flush(f);
	int r = kg_engine_run(&f->srv, cond, arg, 3000);
	return f->err ? f->err : r;
}

/* opts: sshd_config lines applied before the defaults, separated by ';'. */
static int fx_setup(fx *f, const char *opts)
{
	memset(f, 0, sizeof(*f));
	kg_buf_init(&f->got, 0);
	kg_loop_init(&f->loop);
	kg_log_init(&f->log, "test", KG_LOG_QUIET, 0, 0);
	kg_server_config_init(&f->cfg);
	char line[256];
	for (const char *p = opts; p && *p;) {
		const char *e = strchr(p, ';');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		kg_cfg_err err;
		GUARD(kg_server_config_apply_option(&f->cfg, line, &err));
		p += n + (e ? 1 : 0);
	}
	GUARD(kg_server_config_finish(&f->cfg));
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
	GUARD(kg_loop_add_fd(&f->loop, f->b2a[0], KG_LOOP_READ, cli_fd, f));
	kg_engine_hooks h = { .global_request = srv_global, .open_request = srv_open, .arg = f };
	GUARD(kg_engine_init(&f->srv, &f->loop, f->a2b[0], f->b2a[1], f->str, &h));
	GUARD(run_until(f, both_ready, f));
	kg_conn_config cc;
	kg_conn_config_default(&cc);
	cc.window = WIN;
	cc.max_packet = 16 * 1024;
	GUARD(kg_engine_start_channels(&f->srv, &cc, KG_CONN_SERVER));
	GUARD(kg_conn_init(&f->c, &cc, kg_tr_sink(f->ctr), KG_CONN_CLIENT));
	f->c_ready = 1;
	return KG_OK;
}

/* The forwarding context, once the test has set ak/user. */
static int fx_fwd(fx *f)
{
	kg_svr_fwd_ctx ctx = { .eng = &f->srv, .log = &f->log, .cfg = &f->cfg,
			       .user = f->use_user ? &f->user : NULL, .ak = f->use_ak ? &f->ak : NULL,
			       .peer_ip = "127.0.0.1", .peer_port = 5555 };
	return kg_svr_fwd_new(&ctx, &f->fwd);
}

static void fx_free(fx *f)
{
	kg_engine_free(&f->srv);
	kg_svr_fwd_free(f->fwd);
	if (f->c_ready)
		kg_conn_free(&f->c);
	kg_loop_free(&f->loop);
	kg_tr_free(f->ctr);
	kg_tr_free(f->str);
	kg_key_free(f->hostkey);
	kg_buf_free(&f->got);
	kg_server_config_free(&f->cfg);
	kg_ak_opts_free(&f->ak);
	if (f->use_user)
		kg_spawn_user_free(&f->user);
	for (int i = 0; i < 2; i++) {
		close(f->a2b[i]);
		close(f->b2a[i]);
	}
}

/* ---- client requests ---- */

static int send_fwd(fx *f, const char *name, const char *host, int port, int want_reply)
{
	uint8_t b[300];
	size_t n = strlen(host);
	kg_poke_u32(b, (uint32_t)n);
	memcpy(b + 4, host, n);
	if (port >= 0)
		kg_poke_u32(b + 4 + n, (uint32_t)port);
	return kg_conn_send_global(&f->c, name, want_reply, b, 4 + n + (port >= 0 ? 4 : 0));
}

static int ngr_is(void *arg)
{
	fx *f = arg;
	return f->err || f->ngr > 0;
}

/* Sends a forwarding request and waits for its reply: 1 ok, 0 refused. */
static int request(fx *f, const char *name, const char *host, int port, uint32_t *bound)
{
	f->ngr = 0;
	GUARD(send_fwd(f, name, host, port, 1));
	GUARD(run_until(f, ngr_is, f));
	if (bound)
		*bound = f->gr_port[0];
	return f->gr_ok[0];
}

static int opened_or_failed(void *arg)
{
	fx *f = arg;
	return f->err || f->opened || f->open_failed;
}

static int open_direct(fx *f, const char *host, uint32_t port)
{
	kg_channel *ch;
	f->opened = f->open_failed = 0;
	GUARD(kg_conn_open_tcpip(&f->c, "direct-tcpip", host, port, "127.0.0.1", 4444, &ch));
	f->ch = ch;
	GUARD(run_until(f, opened_or_failed, f));
	return f->opened;
}

static int listen_local(uint32_t *port)
{
	int fds[1];
	size_t n = 0;
	int bound = 0;
	if (kg_net_listen_tcp("127.0.0.1", 0, 0, fds, 1, &n, &bound, NULL, 0) < 0)
		return -1;
	*port = (uint32_t)bound;
	return fds[0];
}

static int tcp_connect(uint32_t port)
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
	return fd;
}

static int got_n(void *arg)
{
	fx *f = arg;
	return f->err || kg_buf_len(&f->got) >= 5;
}

static int got_eof(void *arg)
{
	fx *f = arg;
	return f->err || f->closed;
}

/* Reads fd (made blocking) to EOF while running nothing else: the server
 * has already written everything. */
static size_t read_to_eof(fx *f, int fd, char *buf, size_t max)
{
	size_t have = 0;
	GUARD(kg_net_set_nonblock(fd, 1));
	for (int i = 0; i < 300; i++) {
		ssize_t n = read(fd, buf + have, max - have);
		if (n == 0)
			return have;
		if (n > 0)
			have += (size_t)n;
		else
			(void)!kg_engine_run(&f->srv, NULL, NULL, 10);
	}
	return have;
}

/* Data both ways on f->ch relayed to/from sock, then EOF each way. */
static void exchange(fx *f, int sock)
{
	T_ASSERT(write(sock, "hello", 5) == 5);
	T_OK(run_until(f, got_n, f));
	T_ASSERT(kg_buf_len(&f->got) == 5 && memcmp(kg_buf_ptr(&f->got), "hello", 5) == 0);
	size_t sent = 0;
	T_OK(kg_conn_send_data(&f->c, f->ch, 0, (const uint8_t *)"world", 5, &sent));
	T_OK(kg_conn_send_eof(&f->c, f->ch));
	cli_flush(f);
	char buf[16];
	T_ASSERT(read_to_eof(f, sock, buf, sizeof(buf)) == 5 && memcmp(buf, "world", 5) == 0);
	shutdown(sock, SHUT_WR);
	T_OK(run_until(f, got_eof, f));
	T_ASSERT(f->closed);
}

/* ---- cases ---- */

static void test_remote_forward(void)
{
	fx f;
	T_OK(fx_setup(&f, NULL));
	T_OK(fx_fwd(&f));
	uint32_t port = 0;
	T_ASSERT(request(&f, "tcpip-forward", "localhost", 0, &port) == 1);
	T_ASSERT(port > 0 && port < 65536 && kg_svr_fwd_count(f.fwd) == 1);
	int s = tcp_connect(port);
	T_ASSERT(s >= 0);
	exchange(&f, s);
	T_ASSERT(strcmp(f.open_name, "forwarded-tcpip") == 0 && strcmp(f.open_addr, "localhost") == 0 &&
		 f.open_port == port);
	close(s);
	/* The wrong port cancels nothing; the right one closes the listener. */
	T_ASSERT(request(&f, "cancel-tcpip-forward", "localhost", (int)port + 1, NULL) == 0);
	T_ASSERT(request(&f, "cancel-tcpip-forward", "localhost", (int)port, NULL) == 1);
	T_ASSERT(kg_svr_fwd_count(f.fwd) == 0);
	s = tcp_connect(port);
	T_ASSERT(s < 0);
	/* No reply wanted with port 0: nothing is listened on. */
	T_OK(send_fwd(&f, "tcpip-forward", "localhost", 0, 0));
	T_ASSERT(request(&f, "tcpip-forward", "127.0.0.1", 0, &port) == 1);
	T_ASSERT(kg_svr_fwd_count(f.fwd) == 1);
	fx_free(&f);
}

/* 1 if opts allow tcpip-forward of host:port (asked as the given user). */
static int listen_allowed(const char *opts, const char *ak, const char *user, const char *host, int port)
{
	fx f;
	if (fx_setup(&f, opts) < 0)
		return -1;
	const char *why = NULL;
	if (ak && kg_ak_parse_options(ak, strlen(ak), &f.ak, &why) < 0)
		return -2;
	f.use_ak = ak != NULL;
	if (user) {
		if (kg_spawn_user_lookup(user, &f.user) < 0)
			return -3;
		f.use_user = 1;
	}
	int r = fx_fwd(&f);
	if (r >= 0)
		r = request(&f, "tcpip-forward", host, port, NULL);
	if (r == 1 && kg_svr_fwd_count(f.fwd) != 1)
		r = -4;
	fx_free(&f);
	return r;
}

static void test_listen_refusals(void)
{
	uint32_t p1 = 0, p2 = 0;
	int l1 = listen_local(&p1), l2 = listen_local(&p2);
	T_ASSERT(l1 >= 0 && l2 >= 0);
	close(l1);
	close(l2);  /* two ports free right now */
	char opt[128];
	T_ASSERT(listen_allowed(NULL, NULL, NULL, "localhost", (int)p1) == 1);
	T_ASSERT(listen_allowed("AllowTcpForwarding no", NULL, NULL, "localhost", (int)p1) == 0);
	T_ASSERT(listen_allowed("AllowTcpForwarding local", NULL, NULL, "localhost", (int)p1) == 0);
	T_ASSERT(listen_allowed("AllowTcpForwarding remote", NULL, NULL, "localhost", (int)p1) == 1);
	T_ASSERT(listen_allowed("DisableForwarding yes", NULL, NULL, "localhost", (int)p1) == 0);
	snprintf(opt, sizeof(opt), "PermitListen %u", p1);
	T_ASSERT(listen_allowed(opt, NULL, NULL, "localhost", (int)p1) == 1);
	T_ASSERT(listen_allowed(opt, NULL, NULL, "localhost", (int)p2) == 0);
	snprintf(opt, sizeof(opt), "PermitListen 127.0.0.1:%u", p1);
	T_ASSERT(listen_allowed(opt, NULL, NULL, "localhost", (int)p1) == 0);
	T_ASSERT(listen_allowed("PermitListen none", NULL, NULL, "localhost", (int)p1) == 0);
	snprintf(opt, sizeof(opt), "permitlisten=\"localhost:%u\"", p2);
	T_ASSERT(listen_allowed(NULL, opt, NULL, "LocalHost", (int)p2) == 1);
	T_ASSERT(listen_allowed(NULL, opt, NULL, "localhost", (int)p1) == 0);
	T_ASSERT(listen_allowed(NULL, "no-port-forwarding", NULL, "localhost", (int)p1) == 0);
	T_ASSERT(listen_allowed(NULL, "restrict", NULL, "localhost", (int)p1) == 0);
	T_ASSERT(listen_allowed(NULL, "restrict,port-forwarding", NULL, "localhost", (int)p1) == 1);
	/* A user other than root may not listen on a privileged port. */
	T_ASSERT(listen_allowed(NULL, NULL, "nobody", "localhost", 1000) == 0);
}

static void test_direct_tcpip(void)
{
	uint32_t port = 0, closed_port = 0;
	int l = listen_local(&port), l2 = listen_local(&closed_port);
	T_ASSERT(l >= 0 && l2 >= 0);
	close(l2);
	char opt[128];
	snprintf(opt, sizeof(opt), "PermitOpen localhost:%u 127.0.0.1:%u", port, closed_port);
	fx f;
	T_OK(fx_setup(&f, opt));
	T_OK(fx_fwd(&f));
	/* Not listed: refused before any connect. */
	T_ASSERT(open_direct(&f, "127.0.0.1", port) == 0 && f.fail_reason == SSH_OPEN_ADMINISTRATIVELY_PROHIBITED);
	/* Nobody listens: CONNECT_FAILED once the connect fails. */
	T_ASSERT(open_direct(&f, "127.0.0.1", closed_port) == 0 && f.fail_reason == SSH_OPEN_CONNECT_FAILED);
	/* "localhost": whichever of its addresses answers. */
	T_ASSERT(open_direct(&f, "localhost", port) == 1);
	int s = -1;
	for (int i = 0; i < 100 && s < 0; i++) {
		if (kg_net_accept(l, &s) != KG_OK)
			(void)!kg_engine_run(&f.srv, NULL, NULL, 10);
	}
	T_ASSERT(s >= 0);
	exchange(&f, s);
	close(s);
	close(l);
	fx_free(&f);
}

/* A loopback listener whose accept queue is full, so that a further
 * connect to it stays in progress (its SYN is dropped); the connections
 * that filled it go in fill[] (up to 16).  -1 if that could not be had. */
static int full_listener(uint32_t *port, int *fill, size_t *nfill)
{
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l, 0) != 0 ||
	    getsockname(l, (struct sockaddr *)&a, &alen) != 0)
		return -1;
	*port = ntohs(a.sin_port);
	*nfill = 0;
	while (*nfill < 16) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (s < 0)
			break;
		fill[(*nfill)++] = s;
		if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0)
			continue;
		struct pollfd p = { .fd = s, .events = POLLOUT };
		if (kg_wait_fds(&p, 1, 100) == 0)
			return l;  /* this one hangs: the queue is full */
	}
	close(l);
	return -1;
}

/* A connect that does not finish holds up nothing: other requests are
 * answered meanwhile, and the connection can end with it pending. */
static void test_connect_pending(void)
{
	int fill[16];
	size_t nfill = 0;
	uint32_t port = 0;
	int l = full_listener(&port, fill, &nfill);
	T_ASSERT(l >= 0);
	fx f;
	T_OK(fx_setup(&f, NULL));
	T_OK(fx_fwd(&f));
	kg_channel *ch;
	T_OK(kg_conn_open_tcpip(&f.c, "direct-tcpip", "127.0.0.1", port, "127.0.0.1", 4444, &ch));
	uint32_t rport = 0;
	T_ASSERT(request(&f, "tcpip-forward", "127.0.0.1", 0, &rport) == 1);
	for (int i = 0; i < 10; i++)
		(void)!kg_engine_run(&f.srv, NULL, NULL, 10);
	T_ASSERT(!f.opened && !f.open_failed && ch->state == KG_CH_OPENING);
	fx_free(&f);  /* with the connect still in progress */
	for (size_t i = 0; i < nfill; i++)
		close(fill[i]);
	close(l);
}

/* The IPv4 address a TCP socket listens on port with, from /proc/net/tcp
 * ("0100007F" loopback, "00000000" any), or "" if none. */
static void listen_addr4(uint32_t port, char out[9])
{
	char line[512], want[8];
	out[0] = '\0';
	snprintf(want, sizeof(want), ":%04X", port);
	FILE *fp = fopen("/proc/net/tcp", "r");
	while (fp && fgets(line, sizeof(line), fp)) {
		char local[64], remote[64], st[8];
		if (sscanf(line, "%*s %63s %63s %7s", local, remote, st) == 3 && strcmp(st, "0A") == 0 &&
		    strlen(local) == 13 && strcmp(local + 8, want) == 0) {
			memcpy(out, local, 8);
			out[8] = '\0';
		}
	}
	if (fp)
		fclose(fp);
}

/* GatewayPorts: what a listen address from the client becomes. */
static void test_gateway_ports(void)
{
	static const struct {
		const char *opt, *host, *want;
	} cases[] = {
		{ NULL, "0.0.0.0", "0100007F" },
		{ NULL, "", "0100007F" },
		{ "GatewayPorts yes", "localhost", "00000000" },
		{ "GatewayPorts clientspecified", "", "00000000" },
		{ "GatewayPorts clientspecified", "127.0.0.1", "0100007F" },
		{ "GatewayPorts clientspecified", "0.0.0.0", "00000000" },
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(cases); i++) {
		fx f;
		T_OK(fx_setup(&f, cases[i].opt));
		T_OK(fx_fwd(&f));
		uint32_t port = 0;
		T_ASSERT(request(&f, "tcpip-forward", cases[i].host, 0, &port) == 1);
		char got[9];
		listen_addr4(port, got);
		if (strcmp(got, cases[i].want) != 0)
			fprintf(stderr, "case %zu: listening on %s\n", i, got);
		T_ASSERT(strcmp(got, cases[i].want) == 0);
		fx_free(&f);
	}
}

static int window_shut(void *arg)
{
	fx *f = arg;
	return f->err || f->held >= WIN;
}

/* A socket that has more than the window to send: the client holding the
 * data keeps the rest in the socket, not in the server. */
static void test_window_holds_socket(void)
{
	fx f;
	T_OK(fx_setup(&f, NULL));
	T_OK(fx_fwd(&f));
	uint32_t port = 0;
	T_ASSERT(request(&f, "tcpip-forward", "127.0.0.1", 0, &port) == 1);
	int s = tcp_connect(port);
	T_ASSERT(s >= 0);
	T_OK(kg_net_set_nonblock(s, 1));
	f.hold = 1;
	static uint8_t big[1024 * 1024];
	memset(big, 'x', sizeof(big));
	size_t wrote = 0;
	for (int i = 0; i < 200; i++) {
		ssize_t n = write(s, big, sizeof(big));
		if (n > 0)
			wrote += (size_t)n;
		(void)!kg_engine_run(&f.srv, window_shut, &f, 5);
		if (f.held >= WIN && n < 0)
			break;
	}
	for (int i = 0; i < 20; i++)
		(void)!kg_engine_run(&f.srv, NULL, NULL, 5);
	T_ASSERT(f.held == WIN && kg_buf_len(&f.got) == WIN);
	T_ASSERT(wrote > 2 * WIN);  /* the rest waits in the socket */
	/* Granting lets more through. */
	f.hold = 0;
	T_OK(kg_conn_consumed(&f.c, f.ch, f.held));
	cli_flush(&f);  /* the WINDOW_ADJUST */
	size_t before = kg_buf_len(&f.got);
	for (int i = 0; i < 50 && kg_buf_len(&f.got) == before; i++)
		(void)!kg_engine_run(&f.srv, NULL, NULL, 10);
	T_ASSERT(kg_buf_len(&f.got) > before);
	close(s);
	fx_free(&f);
}

static int unix_listener(const char *path)
{
	int fd = -1;
	return kg_net_listen_unix(path, 1, 0077, &fd, NULL, 0) == KG_OK ? fd : -1;
}

static int unix_connect(const char *path)
{
	int fd = -1;
	return kg_net_connect_unix(path, &fd) == KG_OK ? fd : -1;
}

static void test_streamlocal(void)
{
	char dir[64], path[96], target[96];
	snprintf(dir, sizeof(dir), "/tmp/kagi-fwd.XXXXXX");
	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/r.sock", dir);
	snprintf(target, sizeof(target), "%s/t.sock", dir);
	fx f;
	T_OK(fx_setup(&f, NULL));
	T_OK(fx_fwd(&f));
	T_ASSERT(request(&f, "streamlocal-forward@openssh.com", path, -1, NULL) == 1);
	struct stat st;
	T_ASSERT(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600);
	int s = unix_connect(path);
	T_ASSERT(s >= 0);
	exchange(&f, s);
	T_ASSERT(strcmp(f.open_name, "forwarded-streamlocal@openssh.com") == 0 && strcmp(f.open_addr, path) == 0);
	close(s);
	T_ASSERT(request(&f, "cancel-streamlocal-forward@openssh.com", path, -1, NULL) == 1);
	/* The file stays (as with sshd); without StreamLocalBindUnlink it is in the way. */
	T_ASSERT(request(&f, "streamlocal-forward@openssh.com", path, -1, NULL) == 0);
	/* direct-streamlocal to a listener. */
	int l = unix_listener(target);
	T_ASSERT(l >= 0);
	uint8_t extra[128];
	size_t n = strlen(target);
	kg_poke_u32(extra, (uint32_t)n);
	memcpy(extra + 4, target, n);
	kg_poke_u32(extra + 4 + n, 0);
	kg_poke_u32(extra + 8 + n, 0);
	kg_channel *ch;
	f.opened = f.open_failed = f.closed = 0;
	kg_buf_reset(&f.got);
	T_OK(kg_conn_open(&f.c, "direct-streamlocal@openssh.com", extra, n + 12, &ch));
	f.ch = ch;
	T_OK(run_until(&f, opened_or_failed, &f));
	T_ASSERT(f.opened);
	int a = -1;
	T_ASSERT(kg_net_accept(l, &a) == KG_OK);
	exchange(&f, a);
	close(a);
	close(l);
	fx_free(&f);

	/* StreamLocalBindUnlink yes replaces the old file; the mask applies. */
	T_OK(fx_setup(&f, "StreamLocalBindUnlink yes;StreamLocalBindMask 0077"));
	T_OK(fx_fwd(&f));
	T_ASSERT(request(&f, "streamlocal-forward@openssh.com", path, -1, NULL) == 1);
	T_ASSERT(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700);
	fx_free(&f);
	/* AllowStreamLocalForwarding local: no remote socket. */
	T_OK(fx_setup(&f, "AllowStreamLocalForwarding local;StreamLocalBindUnlink yes"));
	T_OK(fx_fwd(&f));
	T_ASSERT(request(&f, "streamlocal-forward@openssh.com", path, -1, NULL) == 0);
	fx_free(&f);
	unlink(path);
	unlink(target);
	rmdir(dir);
}

static void test_config_values(void)
{
	kg_server_config c;
	kg_cfg_err err;
	static const char *const bad[] = { "PermitOpen nohostport", "PermitOpen any 1.2.3.4:5", "PermitListen 70000",
					   "StreamLocalBindMask 0999", "StreamLocalBindMask x", "GatewayPorts maybe" };
	for (size_t i = 0; i < KG_ARRAY_LEN(bad); i++) {
		kg_server_config_init(&c);
		T_ASSERT(kg_server_config_apply_option(&c, bad[i], &err) < 0);
		kg_server_config_free(&c);
	}
	kg_server_config_init(&c);
	T_OK(kg_server_config_apply_option(&c, "GatewayPorts clientspecified", &err));
	T_OK(kg_server_config_apply_option(&c, "PermitOpen *:80 [::1]:*", &err));
	T_OK(kg_server_config_apply_option(&c, "StreamLocalBindMask 0022", &err));
	T_OK(kg_server_config_finish(&c));
	T_ASSERT(c.gateway_ports == KG_GW_CLIENTSPECIFIED && c.permit_open.n == 2 && c.streamlocal_bind_mask == 022);
	T_ASSERT(kg_permit_entry_allows(c.permit_open.v[0], 0, "any.host", 80));
	T_ASSERT(!kg_permit_entry_allows(c.permit_open.v[0], 0, "any.host", 81));
	T_ASSERT(kg_permit_entry_allows(c.permit_open.v[1], 0, "::1", 5));
	kg_server_config_free(&c);
}

int main(void)
{
	T_RUN(test_remote_forward);
	T_RUN(test_listen_refusals);
	T_RUN(test_direct_tcpip);
	T_RUN(test_gateway_ports);
	T_RUN(test_connect_pending);
	T_RUN(test_window_holds_socket);
	T_RUN(test_streamlocal);
	T_RUN(test_config_values);
	return T_DONE();
}
