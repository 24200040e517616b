/* All of one client connection's forwardings (see cli-forward.h).  Not
 * built yet: any forwarding asked for is refused plainly. */
#include <stdio.h>
#include <stdlib.h>
#include "conn/cli-forward.h"

struct kg_cli_forwards {
	kg_client *c;
};

int kg_cli_forwards_new(kg_client *c, kg_cli_forwards **out)
{
	kg_cli_forwards *f = calloc(1, sizeof(*f));
	ENSURE(f, KG_ERR_ALLOC);
	f->c = c;
	*out = f;
	return KG_OK;
}

int kg_cli_forwards_start(kg_cli_forwards *f)
{
	const kg_client_config *cfg = f->c->cfg;
	if (cfg->local_forwards.n || cfg->remote_forwards.n) {
		kg_error(f->c->log, "port forwarding is not supported yet");
		return KG_ERR_CONFIG;
	}
	return KG_OK;
}

static int refuse(const kg_fwd_spec *spec, kg_cli_fwd_done done, void *arg)
{
	if (done)
		done(arg, spec, 0, 0, "port forwarding is not supported yet");
	return KG_ERR_CONFIG;
}

int kg_cli_forwards_add(kg_cli_forwards *f, const kg_fwd_spec *spec, kg_cli_fwd_done done, void *arg)
{
	(void)f;
	return refuse(spec, done, arg);
}

int kg_cli_forwards_cancel(kg_cli_forwards *f, const kg_fwd_spec *spec, kg_cli_fwd_done done, void *arg)
{
	(void)f;
	return refuse(spec, done, arg);
}

int kg_cli_forwards_command(void *f, const char *line, char *msg, size_t msglen)
{
	(void)f;
	(void)line;
	snprintf(msg, msglen, "forwarding is not available in this connection");
	return KG_ERR_CONFIG;
}

void kg_cli_forwards_free(kg_cli_forwards *f)
{
	free(f);
}
