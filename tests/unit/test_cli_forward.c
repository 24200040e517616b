/* Exercises src/conn/cli-forward.c (specifications checked with OpenSSH's
 * messages, the ~C command line's answers) and src/conn/cli-fwd-local.c
 * (listeners), with src/conn/cli-fwd-remote.c taking the remote ones. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "t.h"
#include "conn/cli-forward.h"

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
	kg_client_config cfg;
	kg_client_config_init(&cfg);
	T_OK(kg_strlist_add(&cfg.local_forwards, "8080 127.0.0.1:80"));
	T_OK(kg_strlist_add(&cfg.dynamic_forwards, "1080"));
	T_OK(kg_cli_forwards_check_config(&cfg, msg, sizeof(msg)));
	T_OK(kg_strlist_add(&cfg.remote_forwards, "9"));
	T_OK(kg_cli_forwards_check_config(&cfg, msg, sizeof(msg)));
	T_OK(kg_strlist_add(&cfg.local_forwards, "x y z"));
	T_ASSERT(kg_cli_forwards_check_config(&cfg, msg, sizeof(msg)) == KG_ERR_CONFIG &&
		 strstr(msg, "Bad local forwarding specification 'x y z'"));
	kg_client_config_free(&cfg);
}

int main(void)
{
	T_RUN(test_check);
	return T_DONE();
}
