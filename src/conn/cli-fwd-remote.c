/* The client's remote forwardings (see cli-fwd-remote.h).  Not built yet:
 * every request is refused plainly. */
#include <stdlib.h>
#include "conn/cli-fwd-remote.h"

struct kg_cli_rfwd {
	kg_engine *eng;
	kg_logger *log;
};

int kg_cli_rfwd_new(kg_engine *e, kg_cli_dispatch *d, kg_logger *log, const kg_client_config *cfg,
		    kg_cli_rfwd **out)
{
	(void)d;
	(void)cfg;
	kg_cli_rfwd *r = calloc(1, sizeof(*r));
	ENSURE(r, KG_ERR_ALLOC);
	r->eng = e;
	r->log = log;
	*out = r;
	return KG_OK;
}

static int refuse(const kg_fwd_spec *spec, kg_cli_fwd_done done, void *arg)
{
	if (done)
		done(arg, spec, 0, 0, "remote forwarding is not supported yet");
	return KG_ERR_CONFIG;
}

int kg_cli_rfwd_add(kg_cli_rfwd *r, const kg_fwd_spec *spec, kg_cli_fwd_done done, void *arg)
{
	(void)r;
	return refuse(spec, done, arg);
}

int kg_cli_rfwd_cancel(kg_cli_rfwd *r, const kg_fwd_spec *spec, kg_cli_fwd_done done, void *arg)
{
	(void)r;
	return refuse(spec, done, arg);
}

void kg_cli_rfwd_free(kg_cli_rfwd *r)
{
	free(r);
}
