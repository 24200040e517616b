/* Exercises src/config/add-keys.c (AddKeysToAgent values: yes, no, ask,
 * confirm, true/false, a lifetime, "confirm <lifetime>"; bad ones refused;
 * ssh -G's form) and src/conn/cli-agent-add.c (a key read from a file
 * added to an agent with its constraints, read back by a stand-in agent;
 * nothing sent for "no" or for a key the agent already holds; a bad value
 * stops the connection). */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "t.h"
#include "config/add-keys.h"
#include "conn/cli-agent-add.h"
#include "sys/agent-sock.h"

static void test_parse(void)
{
	static const struct {
		const char *in;
		int mode;
		long life;
		const char *shown;
	} ok[] = {
		{ NULL, KG_ADDKEYS_NO, 0, "false" },       { "no", KG_ADDKEYS_NO, 0, "false" },
		{ "yes", KG_ADDKEYS_YES, 0, "true" },      { "TRUE", KG_ADDKEYS_YES, 0, "true" },
		{ "ask", KG_ADDKEYS_ASK, 0, "ask" },       { "confirm", KG_ADDKEYS_CONFIRM, 0, "confirm" },
		{ "1h", KG_ADDKEYS_YES, 3600, "3600" },    { "confirm 5m", KG_ADDKEYS_CONFIRM, 300, "confirm 300" },
		{ " confirm\t90 ", KG_ADDKEYS_CONFIRM, 90, "confirm 90" },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		kg_add_keys a = { -1, -1 };
		char shown[64];
		T_OK(kg_add_keys_parse(ok[i].in, &a));
		kg_add_keys_format(&a, shown, sizeof(shown));
		if (a.mode != ok[i].mode || a.lifetime != ok[i].life || strcmp(shown, ok[i].shown) != 0)
			fprintf(stderr, "%s: mode %d life %ld shown %s\n", ok[i].in ? ok[i].in : "NULL", a.mode, a.lifetime, shown);
		T_ASSERT(a.mode == ok[i].mode && a.lifetime == ok[i].life && strcmp(shown, ok[i].shown) == 0);
	}
	static const char *const bad[] = { "", "maybe", "ask 5m", "yes 5m", "confirm soon", "confirm 5m x", "0" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kg_add_keys a = { 7, 7 };
		T_ASSERT(kg_add_keys_parse(bad[i], &a) == KG_ERR_CONFIG && a.mode == 7 && a.lifetime == 7);
	}
}

typedef struct fixture {
	kg_client_config cfg;
	kg_logger lg;
	kg_client c;
	kg_cli_identity id;
	char path[64];
	int lfd;
} fixture;

static int setup(fixture *f, const char *value)
{
	memset(f, 0, sizeof(*f));
	kg_client_config_init(&f->cfg);
	kg_cfg_err err;
	char o[128];
	snprintf(o, sizeof(o), "AddKeysToAgent=%s", value);
	GUARD(kg_client_config_apply_option(&f->cfg, o, &err));
	GUARD(kg_client_config_finish(&f->cfg, "h", "u"));
	kg_log_init(&f->lg, "kssh", KG_LOG_QUIET, 0, 0);
	f->c.cfg = &f->cfg;
	f->c.log = &f->lg;
	f->c.agent.fd = -1;
	GUARD(kg_key_generate(KG_KEY_ED25519, 0, &f->id.priv));
	f->id.path = "/home/u/.ssh/id_ed25519";
	snprintf(f->path, sizeof(f->path), "/tmp/kagi-addkeys-%ld.sock", (long)getpid());
	unlink(f->path);
	GUARD(kg_agent_sock_listen(f->path, &f->lfd));
	f->c.agent_path = f->path;
	return KG_OK;
}

static void teardown(fixture *f)
{
	close(f->lfd);
	unlink(f->path);
	kg_key_free(f->id.priv);
	kg_client_config_free(&f->cfg);
}

/* A stand-in agent in a child: takes one request, answers SUCCESS and
 * passes the request's bytes back through a pipe (nothing: no request
 * within a second). */
static pid_t stand_in(int lfd, int out)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	struct pollfd p = { lfd, POLLIN, 0 };
	int fd = -1;
	uid_t uid;
	if (poll(&p, 1, 1000) != 1 || kg_agent_sock_accept(lfd, &fd, &uid) != KG_OK)
		_exit(0);
	(void)fcntl(fd, F_SETFL, 0);
	uint8_t buf[8192];
	size_t got = 0;
	while (got < 4 || got < 4 + ((size_t)buf[0] << 24 | (size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3])) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);
		if (n <= 0)
			_exit(1);
		got += (size_t)n;
	}
	static const uint8_t success[5] = { 0, 0, 0, 1, KG_AGENT_SUCCESS };
	(void)!write(out, buf, got);
	(void)!write(fd, success, sizeof(success));
	_exit(0);
}

/* What the stand-in agent received for value, parsed into req. */
static int added(const char *value, int from_agent, kg_agent_request *req, size_t *len)
{
	fixture f;
	GUARD(setup(&f, value));
	f.id.from_agent = from_agent;
	int pp[2];
	ENSURE(pipe(pp) == 0, KG_ERR_SYSTEM);
	pid_t pid = stand_in(f.lfd, pp[1]);
	close(pp[1]);
	kg_cli_agent_add_key(&f.c, &f.id);
	static uint8_t msg[8192];
	ssize_t n = 0, r;
	while ((r = read(pp[0], msg + n, sizeof(msg) - (size_t)n)) > 0)
		n += r;
	close(pp[0]);
	int st;
	waitpid(pid, &st, 0);
	teardown(&f);
	*len = (size_t)n;
	if (n < 5)
		return KG_OK;
	return kg_agent_request_parse(msg + 4, (size_t)n - 4, req);
}

static void test_add(void)
{
	kg_agent_request req;
	size_t len;
	memset(&req, 0, sizeof(req));
	T_OK(added("confirm 10m", 0, &req, &len));
	T_ASSERT(len > 0 && req.type == KG_AGENTC_ADD_ID_CONSTRAINED && req.confirm && req.lifetime == 600 && req.key);
	T_ASSERT(req.key->comment && strcmp(req.key->comment, "/home/u/.ssh/id_ed25519") == 0);
	kg_agent_request_free(&req);
	memset(&req, 0, sizeof(req));
	T_OK(added("yes", 0, &req, &len));
	T_ASSERT(len > 0 && req.type == KG_AGENTC_ADD_IDENTITY && !req.confirm && req.lifetime == 0);
	kg_agent_request_free(&req);
	memset(&req, 0, sizeof(req));
	T_OK(added("no", 0, &req, &len));
	T_ASSERT(len == 0);
	T_OK(added("yes", 1, &req, &len));  /* the agent signs for it already */
	T_ASSERT(len == 0);
}

static void test_check(void)
{
	fixture f;
	T_OK(setup(&f, "confirm 1h"));
	T_OK(kg_cli_agent_add_check(&f.c));
	teardown(&f);
	T_OK(setup(&f, "sometimes"));
	T_ASSERT(kg_cli_agent_add_check(&f.c) == KG_ERR_CONFIG);
	teardown(&f);
}

int main(void)
{
	T_RUN(test_parse);
	T_RUN(test_add);
	T_RUN(test_check);
	return T_DONE();
}
