/* The client's local and dynamic forwardings (see cli-fwd-local.h).  Not
 * built yet: every one is refused plainly. */
#include <stdlib.h>
#include "conn/cli-fwd-local.h"

struct kg_cli_lfwd {
	kg_engine *e;
	kg_logger *log;
};

int kg_cli_lfwd_new(kg_engine *e, kg_logger *log, const kg_client_config *cfg, kg_cli_lfwd **out)
{
	(void)cfg;
	kg_cli_lfwd *l = calloc(1, sizeof(*l));
	ENSURE(l, KG_ERR_ALLOC);
	l->e = e;
	l->log = log;
	*out = l;
	return KG_OK;
}

int kg_cli_lfwd_add(kg_cli_lfwd *l, const kg_fwd_spec *spec)
{
	(void)spec;
	kg_error(l->log, "local port forwarding is not supported yet");
	return KG_ERR_CONFIG;
}

int kg_cli_lfwd_cancel(kg_cli_lfwd *l, const kg_fwd_spec *spec)
{
	(void)l;
	(void)spec;
	return KG_ERR_NOT_FOUND;
}

size_t kg_cli_lfwd_count(const kg_cli_lfwd *l)
{
	(void)l;
	return 0;
}

void kg_cli_lfwd_free(kg_cli_lfwd *l)
{
	free(l);
}
