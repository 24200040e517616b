/* Exercises src/conn/cli-agent-fwd.c: which socket ForwardAgent forwards
 * (yes, $VAR, a path with ~ and tokens, no), the warning's text, the
 * auth-agent-req@openssh.com request on the session (only when forwarding
 * is on, no reply asked), and the refusal of an auth-agent@openssh.com
 * open when forwarding was not asked for (OpenSSH's warning goes to the
 * log); session-bind@openssh.com (the transport keeps the host key's
 * signature over the session id, the agent receives host key, session id,
 * signature and the forwarding flag; an agent's FAILURE is reported as
 * KG_ERR_NOT_FOUND). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "t.h"
#include "chan_fake.h"
#include "tr_pair.h"
#include "conn/cli-agent-fwd.h"
#include "core/packet.h"

static void cfg_with(kg_client_config *cfg, const char *spec)
{
	kg_client_config_init(cfg);
	kg_cfg_err err;
	char o[256];
	snprintf(o, sizeof(o), "ForwardAgent=%s", spec);
	if (kg_client_config_apply_option(cfg, o, &err) != KG_OK ||
	    kg_client_config_apply_option(cfg, "User=alice", &err) != KG_OK ||
	    kg_client_config_apply_option(cfg, "Port=2222", &err) != KG_OK ||
	    kg_client_config_finish(cfg, "far.example", "bob") != KG_OK)
		fprintf(stderr, "config set-up failed\n");
}

static void test_path(void)
{
	kg_client_config cfg;
	char *p = NULL;
	setenv("SSH_AUTH_SOCK", "/run/agent.sock", 1);
	setenv("KAGI_TEST_AGENT", "/run/other.sock", 1);
	cfg_with(&cfg, "yes");
	T_OK(kg_cli_agent_fwd_path(&cfg, "/home/bob", "bob", &p));
	T_ASSERT(p && strcmp(p, "/run/agent.sock") == 0);
	free(p);
	kg_client_config_free(&cfg);
	cfg_with(&cfg, "no");
	T_OK(kg_cli_agent_fwd_path(&cfg, "/home/bob", "bob", &p));
	T_ASSERT(p == NULL);
	kg_client_config_free(&cfg);
	cfg_with(&cfg, "$KAGI_TEST_AGENT");
	T_OK(kg_cli_agent_fwd_path(&cfg, "/home/bob", "bob", &p));
	T_ASSERT(p && strcmp(p, "/run/other.sock") == 0);
	free(p);
	kg_client_config_free(&cfg);
	cfg_with(&cfg, "~/a-%u-%r@%h:%p");
	T_OK(kg_cli_agent_fwd_path(&cfg, "/home/bob", "bob", &p));
	T_ASSERT(p && strcmp(p, "/home/bob/a-bob-alice@far.example:2222") == 0);
	free(p);
	kg_client_config_free(&cfg);
	/* yes forwards the IdentityAgent kssh uses; none means none */
	kg_client_config_init(&cfg);
	kg_cfg_err err;
	T_OK(kg_client_config_apply_option(&cfg, "IdentityAgent=~/agent.%u", &err));
	T_OK(kg_client_config_apply_option(&cfg, "ForwardAgent=yes", &err));
	T_OK(kg_client_config_finish(&cfg, "far.example", "bob"));
	T_OK(kg_cli_agent_fwd_path(&cfg, "/home/bob", "bob", &p));
	T_ASSERT(p && strcmp(p, "/home/bob/agent.bob") == 0);
	free(p);
	kg_client_config_free(&cfg);
	kg_client_config_init(&cfg);
	T_OK(kg_client_config_apply_option(&cfg, "IdentityAgent=none", &err));
	T_OK(kg_client_config_apply_option(&cfg, "ForwardAgent=yes", &err));
	T_OK(kg_client_config_finish(&cfg, "far.example", "bob"));
	T_OK(kg_cli_agent_fwd_path(&cfg, "/home/bob", "bob", &p));
	T_ASSERT(p == NULL);
	kg_client_config_free(&cfg);
	/* yes with no agent in the environment: nothing to forward */
	unsetenv("SSH_AUTH_SOCK");
	cfg_with(&cfg, "yes");
	T_OK(kg_cli_agent_fwd_path(&cfg, "/home/bob", "bob", &p));
	T_ASSERT(p == NULL);
	kg_client_config_free(&cfg);
	cfg_with(&cfg, "/x/%Q");
	T_ASSERT(kg_cli_agent_fwd_path(&cfg, "/home/bob", "bob", &p) == KG_ERR_CONFIG);
	kg_client_config_free(&cfg);
}

static void test_flags(void)
{
	kg_strlist l = { NULL, 0 };
	T_OK(kg_strlist_add(&l, "LogLevel=DEBUG1"));
	T_OK(kg_cli_agent_fwd_flag(&l, 1));
	T_OK(kg_cli_agent_fwd_flag(&l, 0));
	T_ASSERT(l.n == 2 && strcmp(l.v[1], "ForwardAgent=no") == 0);
	T_OK(kg_cli_agent_fwd_flag(&l, 1));
	T_ASSERT(l.n == 2 && strcmp(l.v[1], "ForwardAgent=yes") == 0);
	kg_strlist_free(&l);
}

static void test_warning(void)
{
	char m[512];
	kg_cli_agent_fwd_warning("bastion", 2, m, sizeof(m));
	T_ASSERT(strstr(m, "agent forwarded to bastion") && strstr(m, "its 2 keys") && strstr(m, "-J"));
	T_ASSERT(strstr(m, "ssh-add -c or -h") && !strchr(m, '\n'));
	kg_cli_agent_fwd_warning("h", 1, m, sizeof(m));
	T_ASSERT(strstr(m, "its 1 key ("));
}

/* The request goes on the session only when forwarding is on. */
static void test_request(void)
{
	peer *cli = peer_new(KG_CONN_CLIENT, NULL), *srv = peer_new(KG_CONN_SERVER, NULL);
	T_ASSERT(cli && srv);
	kg_channel *cch, *sch;
	T_OK(establish(cli, srv, &cch, &sch));
	kg_logger lg;
	kg_log_init(&lg, "kssh", KG_LOG_ERROR, 0, 0);
	kg_client c;
	memset(&c, 0, sizeof(c));
	c.log = &lg;
	T_OK(kg_cli_agent_fwd_request(&c, &cli->c, cch));
	T_ASSERT(pending(cli) == 0);
	c.agent_fwd_path = strdup("/run/agent.sock");
	T_OK(kg_cli_agent_fwd_request(&c, &cli->c, cch));
	kg_conn_event ev;
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(ev.type == KG_CEV_REQUEST && strcmp(ev.name, "auth-agent-req@openssh.com") == 0 && !ev.want_reply &&
		 ev.len == 0);
	free(c.agent_fwd_path);
	peer_free(cli);
	peer_free(srv);
}

/* Forwarding not asked for: the server's open is refused, with
 * OpenSSH's two warning lines. */
static void test_refused_unasked(void)
{
	peer *cli = peer_new(KG_CONN_CLIENT, NULL), *srv = peer_new(KG_CONN_SERVER, NULL);
	T_ASSERT(cli && srv);
	kg_client_config cfg;
	cfg_with(&cfg, "no");
	char logpath[] = "/tmp/kagi-agentfwd-XXXXXX";
	int lfd = mkstemp(logpath);
	T_ASSERT(lfd >= 0);
	kg_logger lg;
	kg_log_init(&lg, "kssh", KG_LOG_INFO, 0, 0);
	lg.fd = lfd;
	kg_client c;
	memset(&c, 0, sizeof(c));
	c.cfg = &cfg;
	c.log = &lg;
	c.home = "/home/bob";
	c.local_user = "bob";
	kg_cli_dispatch_init(&c.dispatch);
	T_OK(kg_cli_agent_fwd_start(&c));
	T_ASSERT(c.agent_fwd_path == NULL);
	kg_channel *sch = NULL;
	kg_conn_event ev;
	T_OK(kg_conn_open(&srv->c, "auth-agent@openssh.com", NULL, 0, &sch));
	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_OPEN_REQUEST);
	T_OK(kg_cli_dispatch_open(&c.dispatch, &cli->c, ev.ch, &ev));
	T_ASSERT(next_type(cli) == SSH_MSG_CHANNEL_OPEN_FAILURE);
	char text[512] = "";
	ssize_t n = pread(lfd, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	close(lfd);
	unlink(logpath);
	T_ASSERT(strstr(text, "Warning: ssh server tried agent forwarding.\n") &&
		 strstr(text, "Warning: this is probably a break-in attempt by a malicious server.\n"));
	kg_client_config_free(&cfg);
	peer_free(cli);
	peer_free(srv);
}

/* A stand-in agent on one end of a socketpair: reads one request,
 * answers FAILURE, and hands the request back through out. */
static pid_t stand_in(int fd, int out)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	uint8_t buf[8192];
	size_t got = 0;
	while (got < 4 || got < 4 + ((size_t)buf[0] << 24 | (size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3])) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);
		if (n <= 0)
			_exit(1);
		got += (size_t)n;
	}
	static const uint8_t failure[5] = { 0, 0, 0, 1, KG_AGENT_FAILURE };
	(void)!write(out, buf, got);
	(void)!write(fd, failure, sizeof(failure));
	_exit(0);
}

static void test_session_bind(void)
{
	pair p;
	memset(&p, 0, sizeof(p));
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &p.hostkey));
	p.hostkeys[0] = p.hostkey;
	kg_tr_config base = { .kex_algs = "curve25519-sha256", .hostkey_algs = "ssh-ed25519", .ciphers = "aes128-ctr",
			      .macs = "hmac-sha2-256", .compression = "none", .cb_arg = &p };
	p.cc = base;
	p.cc.verify_hostkey = accept_key;
	p.sc = base;
	p.sc.is_server = 1;
	p.sc.hostkeys = p.hostkeys;
	p.sc.n_hostkeys = 1;
	T_OK(kg_tr_new(&p.c, &p.cc));
	T_OK(kg_tr_new(&p.s, &p.sc));
	const uint8_t *m;
	size_t n;
	T_OK(pump(p.c, p.s, &m, &n, NULL));
	T_ASSERT(kg_tr_ready(p.c));
	size_t sid_len, sig_len;
	const uint8_t *sid = kg_tr_session_id(p.c, &sid_len);
	const uint8_t *sig = kg_tr_session_sig(p.c, &sig_len);
	T_ASSERT(sig && sig_len > 0 && kg_key_verify(p.hostkey, "ssh-ed25519", sig, sig_len, sid, sid_len) == KG_OK);
	T_ASSERT(kg_tr_session_sig(p.s, &n) == NULL);

	int sv[2], pp[2];
	T_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && pipe(pp) == 0);
	pid_t pid = stand_in(sv[1], pp[1]);
	close(sv[1]);
	close(pp[1]);
	kg_agent_conn a = { sv[0] };
	T_ASSERT(kg_agent_session_bind(&a, p.c, 1) == KG_ERR_NOT_FOUND);
	uint8_t msg[8192];
	ssize_t got = 0, r;
	while ((r = read(pp[0], msg + got, sizeof(msg) - (size_t)got)) > 0)
		got += r;
	close(pp[0]);
	close(sv[0]);
	int st;
	waitpid(pid, &st, 0);
	kg_agent_request req;
	memset(&req, 0, sizeof(req));
	T_ASSERT(got > 4);
	T_OK(kg_agent_request_parse(msg + 4, (size_t)got - 4, &req));
	kg_buf blob;
	kg_buf_init(&blob, 0);
	T_OK(kg_key_to_blob(p.hostkey, &blob));
	int ok = req.type == KG_AGENTC_EXTENSION && strcmp(req.ext_name, "session-bind@openssh.com") == 0 &&
		 req.bind_forwarding == 1 && req.bind_sid_len == sid_len && memcmp(req.bind_sid, sid, sid_len) == 0 &&
		 req.bind_sig_len == sig_len && memcmp(req.bind_sig, sig, sig_len) == 0 &&
		 req.bind_hostkey_len == kg_buf_len(&blob) && memcmp(req.bind_hostkey, kg_buf_ptr(&blob), kg_buf_len(&blob)) == 0;
	kg_buf_free(&blob);
	kg_agent_request_free(&req);
	/* no agent connection: nothing to bind */
	kg_agent_conn none = { -1 };
	int none_r = kg_agent_session_bind(&none, p.c, 0);
	pair_free(&p);
	T_ASSERT(ok && none_r == KG_ERR_ARG);
}

int main(void)
{
	T_RUN(test_session_bind);
	T_RUN(test_path);
	T_RUN(test_flags);
	T_RUN(test_warning);
	T_RUN(test_request);
	T_RUN(test_refused_unasked);
	return T_DONE();
}
