/* Exercises src/conn/cli-forward.c, src/conn/cli-fwd-local.c and
 * src/conn/cli-fwd-socks.c (with src/conn/cli-fwd-remote.c taking the
 * remote ones): a kg_client engine joined by pipes to a server engine on
 * the same loop whose open hook records each channel opened and echoes
 * its data, or refuses it.  Covered: specifications checked with OpenSSH's
 * messages; LocalForward from the configuration listening on loopback, a
 * connection opened as direct-tcpip (target and originator) and relayed
 * both ways; a refusal logged as "channel N: open failed: administratively
 * prohibited: ..." with the local connection closed; SOCKS5 (domain name)
 * and SOCKS4a answered after the server's answer, refused ones too; Unix
 * socket listeners and targets (direct-streamlocal@openssh.com), the
 * socket file removed when cancelled and a file not ours left alone;
 * ExitOnForwardFailure with the port taken (bind and cannot-listen lines)
 * and without it; the ~C command line's answers. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "t.h"
#include "conn/cli-forward.h"
#include "conn/cli-fwd-local.h"
#include "conn/cli-fwd-socks.h"
#include "sys/net.h"

#define WIN (64u * 1024)

typedef struct echo {
	kg_consumer k;
	int released;
} echo;

typedef struct fixture {
	kg_client c;
	kg_client_config ccfg;
	kg_logger log;
	int logfd;
	kg_engine srv;
	kg_transport *str;
	kg_tr_config ctc, stc;
	kg_key *hostkey;
	kg_key *hostkeys[1];
	int a2b[2], b2a[2];
	int refuse;                /* refuse the next opens */
	int opens;
	char open_type[KG_CONN_NAME_MAX + 1], open_host[300], orig[64];
	uint32_t open_port, orig_port;
	echo cons[8];
	char dir[64];
} fixture;

static int accept_any(void *arg, const kg_key *key, const kg_kex_result *kex)
{
	(void)arg;
	(void)key;
	(void)kex;
	return KG_OK;
}

static int e_data(kg_consumer *k, uint32_t ext, const uint8_t *d, size_t n)
{
	size_t sent = 0;
	(void)ext;
	GUARD(kg_conn_send_data(&k->eng->conn, k->ch, 0, d, n, &sent));
	return kg_conn_consumed(&k->eng->conn, k->ch, n);
}

static int e_eof(kg_consumer *k)
{
	GUARD(kg_conn_send_eof(&k->eng->conn, k->ch));
	return kg_conn_send_close(&k->eng->conn, k->ch);
}

static void e_release(kg_consumer *k)
{
	KG_CONSUMER_OF(k, echo, k)->released = 1;
}

static const kg_consumer_ops e_ops = { .data = e_data, .eof = e_eof, .release = e_release };

/* Records the open (type, first string and uint32, the originator) and
 * echoes, or refuses. */
static int t_open(void *arg, kg_channel *ch, const kg_conn_event *ev)
{
	fixture *f = arg;
	kg_buf b;
	const uint8_t *s;
	size_t n;
	snprintf(f->open_type, sizeof(f->open_type), "%s", ev->name);
	kg_buf_view(&b, ev->data, ev->len);
	f->open_host[0] = f->orig[0] = '\0';
	f->open_port = f->orig_port = 0;
	if (kg_buf_get_string_direct(&b, &s, &n) == KG_OK)
		snprintf(f->open_host, sizeof(f->open_host), "%.*s", (int)n, (const char *)s);
	if (strcmp(ev->name, "direct-tcpip") == 0 && kg_buf_get_u32(&b, &f->open_port) == KG_OK &&
	    kg_buf_get_string_direct(&b, &s, &n) == KG_OK) {
		snprintf(f->orig, sizeof(f->orig), "%.*s", (int)n, (const char *)s);
		(void)!kg_buf_get_u32(&b, &f->orig_port);
	}
	if (f->refuse || f->opens >= 8) {
		f->opens++;
		return kg_conn_open_fail(&f->srv.conn, ch, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "nope");
	}
	kg_engine_attach(&f->srv, ch, &f->cons[f->opens++].k, &e_ops);
	return kg_conn_open_confirm(&f->srv.conn, ch);
}

static int t_global(void *arg, const kg_conn_event *ev)
{
	fixture *f = arg;
	return ev->want_reply ? kg_conn_global_reply(&f->srv.conn, 0, NULL, 0) : KG_OK;
}

static int both_ready(void *arg)
{
	fixture *f = arg;
	return kg_tr_ready(f->c.tr) && kg_tr_ready(f->str);
}

static int fx_setup(fixture *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/kagi-tcf.XXXXXX");
	if (!mkdtemp(f->dir))
		return KG_ERR_SYSTEM;
	if (pipe2(f->a2b, O_NONBLOCK | O_CLOEXEC) != 0 || pipe2(f->b2a, O_NONBLOCK | O_CLOEXEC) != 0)
		return KG_ERR_SYSTEM;
	char lp[96];
	snprintf(lp, sizeof(lp), "%s/log", f->dir);
	f->logfd = open(lp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
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
	kg_client_config_init(&f->ccfg);
	f->ccfg.hostname = strdup("peer");
	kg_log_init(&f->log, "test", KG_LOG_INFO, 0, 0);
	f->log.fd = f->logfd;
	kg_client *c = &f->c;
	c->cfg = &f->ccfg;
	c->log = &f->log;
	c->fd = -1;
	GUARD(kg_tr_new(&c->tr, &f->ctc));
	GUARD(kg_tr_new(&f->str, &f->stc));
	kg_loop_init(&c->loop);
	c->loop_ready = 1;
	GUARD(kg_engine_init(&c->eng, &c->loop, f->b2a[0], f->a2b[1], c->tr, NULL));
	c->eng_ready = 1;
	kg_engine_hooks h = { .open_request = t_open, .global_request = t_global, .arg = f };
	GUARD(kg_engine_init(&f->srv, &c->loop, f->a2b[0], f->b2a[1], f->str, &h));
	GUARD(kg_engine_run(&c->eng, both_ready, f, 5000));
	kg_conn_config cc;
	kg_conn_config_default(&cc);
	cc.window = WIN;
	cc.max_packet = 16 * 1024;
	GUARD(kg_engine_start_channels(&c->eng, &cc, KG_CONN_CLIENT));
	GUARD(kg_engine_start_channels(&f->srv, &cc, KG_CONN_SERVER));
	return kg_client_config_finish(&f->ccfg, "peer", "me");
}

static void fx_free(fixture *f)
{
	kg_engine_free(&f->srv);
	kg_client_close(&f->c);
	kg_tr_free(f->str);
	kg_key_free(f->hostkey);
	kg_client_config_free(&f->ccfg);
	for (int i = 0; i < 2; i++) {
		close(f->a2b[i]);
		close(f->b2a[i]);
	}
	close(f->logfd);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	(void)!system(cmd);
}

/* Everything logged so far. */
static const char *logged(fixture *f)
{
	static char buf[4096];
	ssize_t n = pread(f->logfd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* A port nobody listens on now. */
static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || getsockname(s, (struct sockaddr *)&a, &l) != 0)
		return -1;
	close(s);
	return ntohs(a.sin_port);
}

static int dial_tcp(int port)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) != 0)
		return -1;
	return s;
}

static int dial_unix(const char *path)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) != 0)
		return -1;
	return s;
}

/* Reading a socket while the loop runs: want bytes, or EOF. */
typedef struct reader {
	int fd;
	uint8_t buf[512];
	size_t len, want;
	int eof;
} reader;

static int got_enough(void *arg)
{
	reader *r = arg;
	while (!r->eof && r->len < r->want) {
		ssize_t n = recv(r->fd, r->buf + r->len, sizeof(r->buf) - r->len, MSG_DONTWAIT);
		if (n > 0)
			r->len += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			r->eof = 1;
		else
			break;
	}
	return r->eof || r->len >= r->want;
}

/* Runs the loop until want bytes came back on fd (or EOF). */
static size_t read_back(fixture *f, int fd, size_t want, uint8_t *out, int *eof)
{
	reader r = { .fd = fd, .want = want };
	(void)!kg_engine_run(&f->c.eng, got_enough, &r, 3000);
	memcpy(out, r.buf, r.len);
	if (eof)
		*eof = r.eof;
	return r.len;
}

static void test_check(void)
{
	char msg[200];
	T_OK(kg_cli_forwards_check_arg('L', "8080:127.0.0.1:80", msg, sizeof(msg)));
	T_OK(kg_cli_forwards_check_arg('D', "1080", msg, sizeof(msg)));
	T_OK(kg_cli_forwards_check_arg('R', "0:localhost:22", msg, sizeof(msg)));
	T_ASSERT(kg_cli_forwards_check_arg('L', "bad", msg, sizeof(msg)) == KG_ERR_ARG &&
		 strcmp(msg, "Bad local forwarding specification 'bad'") == 0);
	T_ASSERT(kg_cli_forwards_check_arg('D', "bad:x:y", msg, sizeof(msg)) == KG_ERR_ARG &&
		 strcmp(msg, "Bad dynamic forwarding specification 'bad:x:y'") == 0);
	T_ASSERT(kg_cli_forwards_check_arg('R', "x", msg, sizeof(msg)) == KG_ERR_ARG &&
		 strcmp(msg, "Bad remote forwarding specification 'x'") == 0);
	kg_client_config cfg;
	kg_client_config_init(&cfg);
	T_OK(kg_strlist_add(&cfg.local_forwards, "8080 127.0.0.1:80"));
	T_OK(kg_strlist_add(&cfg.dynamic_forwards, "1080"));
	T_OK(kg_strlist_add(&cfg.remote_forwards, "9"));
	T_OK(kg_cli_forwards_check_config(&cfg, msg, sizeof(msg)));
	cfg.stream_local_bind_mask = strdup("0999");
	T_ASSERT(kg_cli_forwards_check_config(&cfg, msg, sizeof(msg)) == KG_ERR_CONFIG && strstr(msg, "Bad mask '0999'"));
	free(cfg.stream_local_bind_mask);
	cfg.stream_local_bind_mask = NULL;
	T_OK(kg_strlist_add(&cfg.local_forwards, "x y z"));
	T_ASSERT(kg_cli_forwards_check_config(&cfg, msg, sizeof(msg)) == KG_ERR_CONFIG &&
		 strstr(msg, "Bad local forwarding specification 'x y z'"));
	kg_client_config_free(&cfg);
	/* ClearAllForwardings yes (as scp passes it): none are left. */
	kg_client_config_init(&cfg);
	kg_cfg_err err;
	T_OK(kg_client_config_apply_option(&cfg, "ClearAllForwardings=yes", &err));
	T_OK(kg_client_config_apply_option(&cfg, "LocalForward=1 h:2", &err));
	T_OK(kg_client_config_apply_option(&cfg, "DynamicForward=3", &err));
	T_OK(kg_client_config_apply_option(&cfg, "GatewayPorts=yes", &err));
	T_ASSERT(cfg.local_forwards.n == 1 && cfg.dynamic_forwards.n == 1 && cfg.gateway_ports == 1);
	T_OK(kg_client_config_finish(&cfg, "h", "me"));
	T_ASSERT(cfg.local_forwards.n == 0 && cfg.dynamic_forwards.n == 0 && cfg.remote_forwards.n == 0 &&
		 cfg.stream_local_bind_unlink == 0);
	kg_client_config_free(&cfg);
}

/* LocalForward from the configuration: loopback only, direct-tcpip to the
 * target with the originator, data both ways; then a refusal. */
static void test_local_tcp(void)
{
	fixture f;
	T_OK(fx_setup(&f));
	int port = free_port();
	char spec[64];
	snprintf(spec, sizeof(spec), "%d 127.0.0.1:7", port);
	T_OK(kg_strlist_add(&f.ccfg.local_forwards, spec));
	kg_cli_forwards *fw = NULL;
	T_OK(kg_cli_forwards_new(&f.c, &fw));
	T_OK(kg_cli_forwards_start(fw));
	int s = dial_tcp(port);
	T_ASSERT(s >= 0);
	T_ASSERT(send(s, "hello", 5, 0) == 5);
	uint8_t out[64];
	int eof = 0;
	T_ASSERT(read_back(&f, s, 5, out, &eof) == 5 && memcmp(out, "hello", 5) == 0);
	T_ASSERT(strcmp(f.open_type, "direct-tcpip") == 0 && strcmp(f.open_host, "127.0.0.1") == 0 &&
		 f.open_port == 7 && strcmp(f.orig, "127.0.0.1") == 0 && f.orig_port > 0);
	shutdown(s, SHUT_WR);
	T_ASSERT(read_back(&f, s, 1, out, &eof) == 0 && eof);
	close(s);

	/* Refused: the message as ssh prints it, the socket closed, the
	 * listener still there. */
	f.refuse = 1;
	s = dial_tcp(port);
	T_ASSERT(s >= 0);
	T_ASSERT(read_back(&f, s, 1, out, &eof) == 0 && eof);
	close(s);
	T_ASSERT(strstr(logged(&f), ": open failed: administratively prohibited: nope\n") &&
		 strncmp(logged(&f), "channel ", 8) == 0);
	f.refuse = 0;
	s = dial_tcp(port);
	T_ASSERT(s >= 0 && send(s, "x", 1, 0) == 1 && read_back(&f, s, 1, out, NULL) == 1);
	close(s);
	kg_cli_forwards_free(fw);
	T_ASSERT(dial_tcp(port) < 0);  /* the listener is gone */
	fx_free(&f);
}

/* SOCKS5 with a domain name: the method choice at once, the CONNECT's
 * answer only once the channel is confirmed; SOCKS4a refused. */
static void test_socks(void)
{
	fixture f;
	T_OK(fx_setup(&f));
	kg_cli_lfwd *l = NULL;
	T_OK(kg_cli_lfwd_new(&f.c.eng, &f.log, &f.ccfg, &l));
	int port = free_port();
	kg_fwd_spec spec;
	char txt[32];
	snprintf(txt, sizeof(txt), "127.0.0.1:%d", port);
	T_OK(kg_fwd_spec_parse(txt, KG_FWDSPEC_DYNAMIC, &spec));
	T_OK(kg_cli_lfwd_add(l, &spec));
	T_ASSERT(kg_cli_lfwd_count(l) == 1);
	int s = dial_tcp(port);
	T_ASSERT(s >= 0);
	uint8_t out[64];
	T_ASSERT(send(s, "\x05\x01\x00", 3, 0) == 3);
	T_ASSERT(read_back(&f, s, 2, out, NULL) == 2 && out[0] == 5 && out[1] == 0);
	static const uint8_t req[] = { 5, 1, 0, 3, 11, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'o', 'r', 'g', 0, 80 };
	T_ASSERT(send(s, req, sizeof(req), 0) == (ssize_t)sizeof(req));
	T_ASSERT(read_back(&f, s, 10, out, NULL) == 10 && out[0] == 5 && out[1] == 0);
	T_ASSERT(strcmp(f.open_type, "direct-tcpip") == 0 && strcmp(f.open_host, "example.org") == 0 &&
		 f.open_port == 80);
	T_ASSERT(send(s, "ping", 4, 0) == 4 && read_back(&f, s, 4, out, NULL) == 4 && memcmp(out, "ping", 4) == 0);
	close(s);

	/* SOCKS4a, refused by the server: 0x5b, then closed. */
	f.refuse = 1;
	s = dial_tcp(port);
	T_ASSERT(s >= 0);
	static const uint8_t req4[] = { 4, 1, 0, 22, 0, 0, 0, 1, 'u', 0, 'h', '.', 'e', 'x', 0 };
	T_ASSERT(send(s, req4, sizeof(req4), 0) == (ssize_t)sizeof(req4));
	int eof = 0;
	T_ASSERT(read_back(&f, s, 9, out, &eof) == 8 && eof && out[1] == 0x5b);
	T_ASSERT(strcmp(f.open_host, "h.ex") == 0 && f.open_port == 22);
	close(s);
	/* Garbage is not a SOCKS request: closed. */
	s = dial_tcp(port);
	T_ASSERT(s >= 0 && send(s, "GET / HTTP/1.0\r\n\r\n", 18, 0) == 18);
	T_ASSERT(read_back(&f, s, 1, out, &eof) <= 8 && eof);
	close(s);
	/* A request left half-typed when the forwardings end is dropped. */
	s = dial_tcp(port);
	T_ASSERT(s >= 0 && send(s, "\x05", 1, 0) == 1);
	(void)read_back(&f, s, 1, out, NULL);
	T_OK(kg_cli_lfwd_cancel(l, &spec));
	T_ASSERT(kg_cli_lfwd_cancel(l, &spec) == KG_ERR_NOT_FOUND && kg_cli_lfwd_count(l) == 0);
	kg_fwd_spec_free(&spec);
	kg_cli_lfwd_free(l);
	close(s);
	fx_free(&f);
}

/* Unix sockets both sides: direct-streamlocal to a path, direct-tcpip
 * from a path listener with the originator ssh uses; the socket file
 * removed on cancel; a file that is not ours stays. */
static void test_unix(void)
{
	fixture f;
	T_OK(fx_setup(&f));
	kg_cli_forwards *fw = NULL;
	T_OK(kg_cli_forwards_new(&f.c, &fw));
	char line[200], path[100], msg[128];
	snprintf(path, sizeof(path), "%s/l.sock", f.dir);
	snprintf(line, sizeof(line), "-L %s:/srv/target.sock", path);
	T_OK(kg_cli_forwards_command(fw, line, msg, sizeof(msg)));
	struct stat st;
	T_ASSERT(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600);
	int s = dial_unix(path);
	T_ASSERT(s >= 0 && send(s, "abc", 3, 0) == 3);
	uint8_t out[16];
	T_ASSERT(read_back(&f, s, 3, out, NULL) == 3 && memcmp(out, "abc", 3) == 0);
	T_ASSERT(strcmp(f.open_type, "direct-streamlocal@openssh.com") == 0 &&
		 strcmp(f.open_host, "/srv/target.sock") == 0);
	close(s);
	snprintf(line, sizeof(line), "-KL %s", path);
	T_OK(kg_cli_forwards_command(fw, line, msg, sizeof(msg)));
	T_ASSERT(lstat(path, &st) != 0 && errno == ENOENT);

	/* From a path to TCP: the originator is 127.0.0.1 port 65535. */
	snprintf(line, sizeof(line), "-L %s:198.51.100.7:99", path);
	T_OK(kg_cli_forwards_command(fw, line, msg, sizeof(msg)));
	s = dial_unix(path);
	T_ASSERT(s >= 0 && send(s, "z", 1, 0) == 1 && read_back(&f, s, 1, out, NULL) == 1);
	T_ASSERT(strcmp(f.open_type, "direct-tcpip") == 0 && strcmp(f.open_host, "198.51.100.7") == 0 &&
		 f.open_port == 99 && strcmp(f.orig, "127.0.0.1") == 0 && f.orig_port == 65535);
	close(s);
	/* StreamLocalBindMask and StreamLocalBindUnlink: a stale socket file
	 * replaced, with the mask's mode. */
	f.ccfg.stream_local_bind_mask = strdup("077");
	f.ccfg.stream_local_bind_unlink = 1;
	char path2[100];
	snprintf(path2, sizeof(path2), "%s/m.sock", f.dir);
	int stale = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path2);
	T_ASSERT(stale >= 0 && bind(stale, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(stale);
	snprintf(line, sizeof(line), "-L %s:h:1", path2);
	T_OK(kg_cli_forwards_command(fw, line, msg, sizeof(msg)));
	T_ASSERT(stat(path2, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0700);
	f.ccfg.stream_local_bind_unlink = 0;
	/* Someone else's file in its place: not removed at the end. */
	T_ASSERT(unlink(path) == 0);
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	T_ASSERT(fd >= 0);
	close(fd);
	kg_cli_forwards_free(fw);
	T_ASSERT(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
	/* ... and in the way of a new listener. */
	T_OK(kg_cli_forwards_new(&f.c, &fw));
	snprintf(line, sizeof(line), "-L %s:h:1", path);
	T_OK(kg_cli_forwards_command(fw, line, msg, sizeof(msg)));
	T_ASSERT(strstr(logged(&f), "unix_listener: cannot bind to path ") && strstr(logged(&f), "Port forwarding failed."));
	kg_cli_forwards_free(fw);
	T_ASSERT(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
	fx_free(&f);
}

/* The port taken: with ExitOnForwardFailure start fails with ssh's lines;
 * without it, it goes on. */
static void test_exit_on_failure(void)
{
	fixture f;
	T_OK(fx_setup(&f));
	int hold = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	T_ASSERT(hold >= 0 && bind(hold, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(hold, 1) == 0 &&
		 getsockname(hold, (struct sockaddr *)&a, &al) == 0);
	int port = ntohs(a.sin_port);
	char spec[64], want[256];
	snprintf(spec, sizeof(spec), "127.0.0.1:%d:h:1", port);
	T_OK(kg_strlist_add(&f.ccfg.local_forwards, spec));
	kg_cli_forwards *fw = NULL;
	T_OK(kg_cli_forwards_new(&f.c, &fw));
	T_OK(kg_cli_forwards_start(fw));
	snprintf(want, sizeof(want), "bind [127.0.0.1]:%d: Address already in use\n"
		 "channel_setup_fwd_listener_tcpip: cannot listen to port: %d\n"
		 "Could not request local forwarding.\n", port, port);
	T_ASSERT(strcmp(logged(&f), want) == 0);
	kg_cli_forwards_free(fw);
	f.ccfg.exit_on_forward_failure = 1;
	T_OK(kg_cli_forwards_new(&f.c, &fw));
	T_ASSERT(kg_cli_forwards_start(fw) == KG_ERR_CONFIG);
	kg_cli_forwards_free(fw);
	/* A remote one the server refuses fails start too. */
	kg_strlist_free(&f.ccfg.local_forwards);
	T_OK(kg_strlist_add(&f.ccfg.remote_forwards, "0 localhost:22"));
	T_OK(kg_cli_forwards_new(&f.c, &fw));
	T_ASSERT(kg_cli_forwards_start(fw) == KG_ERR_CONFIG);
	kg_cli_forwards_free(fw);
	close(hold);
	fx_free(&f);
}

/* ~C: what each line answers (logged at INFO, as ssh does). */
static void test_command(void)
{
	fixture f;
	T_OK(fx_setup(&f));
	kg_cli_forwards *fw = NULL;
	T_OK(kg_cli_forwards_new(&f.c, &fw));
	char msg[128], line[64];
	int port = free_port();
	snprintf(line, sizeof(line), "-L %d:h:1", port);
	T_OK(kg_cli_forwards_command(fw, line, msg, sizeof(msg)));
	T_ASSERT(msg[0] == '\0');
	int s = dial_tcp(port);
	T_ASSERT(s >= 0);
	close(s);
	snprintf(line, sizeof(line), "-KL %d", port);
	T_OK(kg_cli_forwards_command(fw, line, msg, sizeof(msg)));
	T_OK(kg_cli_forwards_command(fw, line, msg, sizeof(msg)));
	T_ASSERT(kg_cli_forwards_command(fw, "-L nonsense", msg, sizeof(msg)) == KG_ERR_ARG);
	T_ASSERT(kg_cli_forwards_command(fw, "-KL a:b:c", msg, sizeof(msg)) == KG_ERR_ARG);
	T_ASSERT(kg_cli_forwards_command(fw, "-X 1", msg, sizeof(msg)) == KG_ERR_ARG);
	snprintf(line, sizeof(line), "-D %d", port);
	T_OK(kg_cli_forwards_command(fw, line, msg, sizeof(msg)));
	snprintf(line, sizeof(line), "-KD %d", port);
	T_OK(kg_cli_forwards_command(fw, line, msg, sizeof(msg)));
	T_ASSERT(strcmp(logged(&f), "Forwarding port.\nCanceled forwarding.\nUnknown port forwarding.\n"
				    "Bad local forwarding specification.\nBad forwarding close specification.\n"
				    "Invalid command.\nForwarding port.\nCanceled forwarding.\n") == 0);
	/* -R goes to the remote side, whatever it answers. */
	(void)kg_cli_forwards_command(fw, "-R 0:h:1", msg, sizeof(msg));
	T_ASSERT(kg_cli_forwards_command(NULL, "-L 1:h:2", msg, sizeof(msg)) < 0 && strstr(msg, "not available"));
	kg_cli_forwards_free(fw);
	kg_cli_forwards_free(NULL);
	fx_free(&f);
}

int main(void)
{
	T_RUN(test_check);
	T_RUN(test_local_tcp);
	T_RUN(test_socks);
	T_RUN(test_unix);
	T_RUN(test_exit_on_failure);
	T_RUN(test_command);
	return T_DONE();
}
