/* Exercises src/conn/cli-agent-fwd.c: which socket ForwardAgent forwards
 * (yes, $VAR, a path with ~ and tokens, no), the warning's text, the
 * auth-agent-req@openssh.com request on the session (only when forwarding
 * is on, no reply asked), and the refusal of an auth-agent@openssh.com
 * open when forwarding was not asked for (OpenSSH's warning goes to the
 * log). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "t.h"
#include "chan_fake.h"
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

int main(void)
{
	T_RUN(test_path);
	T_RUN(test_warning);
	T_RUN(test_request);
	T_RUN(test_refused_unasked);
	return T_DONE();
}
