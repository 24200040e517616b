/* Exercises src/conn/svr-agent-fwd.c: what allows agent forwarding
 * (AllowAgentForwarding, DisableForwarding, no-agent-forwarding, restrict
 * and restrict,agent-forwarding); a granted request making one listener
 * per connection in a private 0700 directory owned by the user, named
 * agent.<pid>; SSH_AUTH_SOCK for the session; a connection to the socket
 * becoming an auth-agent@openssh.com channel the server opens; a refused
 * request making nothing; bad request data ending the connection; socket
 * and directory removed at the end. */
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "t.h"
#include "conn/svr-agent-fwd.h"
#include "sys/agent-sock.h"
#include "sys/loop.h"

typedef struct fx {
	kg_loop loop;
	kg_logger log;
	kg_server_config cfg;
	kg_tr_config tc;
	kg_transport *tr;
	kg_engine eng;
	kg_spawn_user user;
	int p1[2], p2[2];
} fx;

static int fx_setup(fx *f, const char *opt)
{
	memset(f, 0, sizeof(*f));
	kg_loop_init(&f->loop);
	kg_log_init(&f->log, "test", KG_LOG_QUIET, 0, 0);
	kg_server_config_init(&f->cfg);
	kg_cfg_err err;
	if (opt)
		GUARD(kg_server_config_apply_option(&f->cfg, opt, &err));
	GUARD(kg_server_config_finish(&f->cfg));
	struct passwd *pw = getpwuid(geteuid());
	ENSURE(pw != NULL, KG_ERR_NOT_FOUND);
	GUARD(kg_spawn_user_lookup(pw->pw_name, &f->user));
	ENSURE(pipe2(f->p1, O_NONBLOCK | O_CLOEXEC) == 0 && pipe2(f->p2, O_NONBLOCK | O_CLOEXEC) == 0, KG_ERR_SYSTEM);
	f->tc = (kg_tr_config){ .kex_algs = "curve25519-sha256", .hostkey_algs = "ssh-ed25519", .ciphers = "aes128-ctr",
				.macs = "hmac-sha2-256", .compression = "none" };
	GUARD(kg_tr_new(&f->tr, &f->tc));
	kg_engine_hooks h = { 0 };
	GUARD(kg_engine_init(&f->eng, &f->loop, f->p1[0], f->p2[1], f->tr, &h));
	kg_conn_config cc;
	kg_conn_config_default(&cc);
	return kg_engine_start_channels(&f->eng, &cc, KG_CONN_SERVER);
}

/* As the connection ends: the engine, then the forwarded agent. */
static void fx_free(fx *f, kg_svr_agent_fwd *af)
{
	kg_engine_free(&f->eng);
	kg_svr_agent_fwd_free(af);
	kg_loop_free(&f->loop);
	kg_tr_free(f->tr);
	kg_server_config_free(&f->cfg);
	kg_spawn_user_free(&f->user);
	for (int i = 0; i < 2; i++) {
		close(f->p1[i]);
		close(f->p2[i]);
	}
}

static const kg_conn_event req_ev = { .type = KG_CEV_REQUEST, .name = "auth-agent-req@openssh.com" };

static int allowed(const char *opt, const char *ak_text)
{
	kg_server_config cfg;
	kg_server_config_init(&cfg);
	kg_cfg_err err;
	if (opt && kg_server_config_apply_option(&cfg, opt, &err) != KG_OK)
		return -1;
	if (kg_server_config_finish(&cfg) != KG_OK)
		return -1;
	kg_ak_opts ak;
	memset(&ak, 0, sizeof(ak));
	const char *why = NULL;
	if (ak_text && kg_ak_parse_options(ak_text, strlen(ak_text), &ak, &why) != KG_OK)
		return -1;
	int r = kg_svr_agent_fwd_allowed(&cfg, ak_text ? &ak : NULL);
	kg_ak_opts_free(&ak);
	kg_server_config_free(&cfg);
	return r;
}

static void test_allowed(void)
{
	T_ASSERT(allowed(NULL, NULL) == 1);
	T_ASSERT(allowed("AllowAgentForwarding=no", NULL) == 0);
	T_ASSERT(allowed("DisableForwarding=yes", NULL) == 0);
	T_ASSERT(allowed(NULL, "no-agent-forwarding") == 0);
	T_ASSERT(allowed(NULL, "restrict") == 0);
	T_ASSERT(allowed(NULL, "restrict,agent-forwarding") == 1);
	T_ASSERT(allowed(NULL, "no-pty") == 1);
}

static int channel_of_type(kg_conn *c, const char *type)
{
	for (uint32_t i = 0; i < c->cfg.max_channels; i++)
		if (c->chans[i].state != KG_CH_FREE && strcmp(c->chans[i].type, type) == 0)
			return 1;
	return 0;
}

static void test_listener(void)
{
	fx f;
	T_OK(fx_setup(&f, NULL));
	kg_svr_agent_fwd *af = NULL;
	T_ASSERT(strcmp(kg_svr_agent_fwd_path(af), "") == 0);
	T_ASSERT(kg_svr_agent_fwd_request(&af, &f.eng, &f.log, &f.cfg, NULL, &f.user, &req_ev) == 1 && af);
	char path[256], dir[256];
	snprintf(path, sizeof(path), "%s", kg_svr_agent_fwd_path(af));
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	T_ASSERT(slash != NULL);
	*slash = '\0';
	char want[32];
	snprintf(want, sizeof(want), "agent.%ld", (long)getpid());
	T_ASSERT(strncmp(path, "/tmp/ssh-", 9) == 0 && strcmp(slash + 1, want) == 0);
	struct stat st;
	T_ASSERT(lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700 && st.st_uid == f.user.uid);
	T_ASSERT(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid == f.user.uid);
	/* a second session of the connection shares it */
	kg_svr_agent_fwd *same = af;
	T_ASSERT(kg_svr_agent_fwd_request(&af, &f.eng, &f.log, &f.cfg, NULL, &f.user, &req_ev) == 1 && af == same);
	kg_strlist env = { NULL, 0 };
	T_OK(kg_svr_agent_fwd_env(af, &env));
	char nv[300];
	snprintf(nv, sizeof(nv), "SSH_AUTH_SOCK=%s", path);
	T_ASSERT(env.n == 1 && strcmp(env.v[0], nv) == 0);
	kg_strlist_free(&env);
	/* a process connecting to the socket: the server opens a channel */
	int cfd = -1;
	T_OK(kg_agent_sock_connect(path, &cfd));
	for (int i = 0; i < 20 && !channel_of_type(&f.eng.conn, "auth-agent@openssh.com"); i++)
		(void)!kg_loop_run_once(&f.loop, 100);
	T_ASSERT(channel_of_type(&f.eng.conn, "auth-agent@openssh.com"));
	close(cfd);
	fx_free(&f, af);
	T_ASSERT(lstat(path, &st) != 0 && lstat(dir, &st) != 0);
}

static void test_refused(void)
{
	fx f;
	T_OK(fx_setup(&f, "AllowAgentForwarding=no"));
	kg_svr_agent_fwd *af = NULL;
	T_ASSERT(kg_svr_agent_fwd_request(&af, &f.eng, &f.log, &f.cfg, NULL, &f.user, &req_ev) == 0 && af == NULL);
	/* the request carries no data */
	kg_server_config_free(&f.cfg);
	kg_server_config_init(&f.cfg);
	T_OK(kg_server_config_finish(&f.cfg));
	static const uint8_t junk[4] = { 0, 0, 0, 1 };
	kg_conn_event bad = req_ev;
	bad.data = junk;
	bad.len = sizeof(junk);
	T_ASSERT(kg_svr_agent_fwd_request(&af, &f.eng, &f.log, &f.cfg, NULL, &f.user, &bad) < 0 && af == NULL);
	fx_free(&f, af);
}

int main(void)
{
	T_RUN(test_allowed);
	T_RUN(test_listener);
	T_RUN(test_refused);
	return T_DONE();
}
