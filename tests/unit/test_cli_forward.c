/* Exercises src/conn/cli-forward.c and src/conn/cli-fwd-remote.c as they
 * stand before forwarding is built: a connection with no forwardings
 * starts, one asked for is refused plainly (the outcome callback says so)
 * rather than silently ignored. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "t.h"
#include "conn/cli-forward.h"

static int outcomes, last_ok = -1;
static char last_msg[128];

static void done(void *arg, const kg_fwd_spec *spec, int ok, int port, const char *msg)
{
	(void)arg;
	(void)spec;
	(void)port;
	outcomes++;
	last_ok = ok;
	snprintf(last_msg, sizeof(last_msg), "%s", msg ? msg : "");
}

static void test_refused(void)
{
	kg_client_config cfg;
	kg_client_config_init(&cfg);
	kg_logger log;
	kg_log_init(&log, "test", 0, 0, 0);
	log.fd = open("/dev/null", O_WRONLY);
	kg_client c;
	memset(&c, 0, sizeof(c));
	c.cfg = &cfg;
	c.log = &log;
	kg_cli_forwards *f = NULL;
	T_OK(kg_cli_forwards_new(&c, &f));
	T_OK(kg_cli_forwards_start(f));
	T_OK(kg_strlist_add(&cfg.local_forwards, "8080 127.0.0.1:80"));
	T_ASSERT(kg_cli_forwards_start(f) == KG_ERR_CONFIG);
	kg_fwd_spec spec;
	T_OK(kg_fwd_spec_parse("8080:127.0.0.1:80", KG_FWDSPEC_LOCAL, &spec));
	T_ASSERT(kg_cli_forwards_add(f, &spec, done, NULL) < 0);
	T_ASSERT(outcomes == 1 && last_ok == 0 && strstr(last_msg, "not supported"));
	char msg[128];
	T_ASSERT(kg_cli_forwards_command(f, "-L 8080:127.0.0.1:80", msg, sizeof(msg)) < 0 && strstr(msg, "not available"));
	kg_cli_forwards_free(f);

	kg_cli_dispatch d;
	kg_cli_dispatch_init(&d);
	kg_cli_rfwd *r = NULL;
	T_OK(kg_cli_rfwd_new(NULL, &d, &log, &cfg, &r));
	T_ASSERT(kg_cli_rfwd_add(r, &spec, done, NULL) < 0 && outcomes == 2 && last_ok == 0);
	kg_cli_rfwd_free(r);
	kg_fwd_spec_free(&spec);
	close(log.fd);
	kg_client_config_free(&cfg);
}

int main(void)
{
	T_RUN(test_refused);
	return T_DONE();
}
