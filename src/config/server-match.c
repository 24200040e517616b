/* Per-connection configuration: the Match blocks that hold, put over the server's. */
#include <string.h>
#include "config/server-match.h"

int kg_server_config_for_conn(const kg_server_config *base, const kg_match_conn *ci, int strict,
			      kg_server_config *out, kg_cfg_err *err)
{
	ENSURE(base && ci && out, KG_ERR_ARG);
	GUARD(kg_server_config_copy(out, base));
	kg_server_config mo;
	kg_server_config_init(&mo);
	int r = KG_OK;
	for (size_t i = 0; i < base->nmatches && r >= 0; i++) {
		const kg_svr_match *m = &base->matches[i];
		r = kg_match_eval(m->criteria.v, m->criteria.n, ci, strict, err);
		if (r == 1)
			r = kg_server_config_apply_match(&mo, m, err);
	}
	if (r >= 0)
		r = kg_server_config_override(out, &mo);
	kg_server_config_free(&mo);
	return r < 0 ? r : KG_OK;
}

int kg_server_config_needs_groups(const kg_server_config *cfg)
{
	for (size_t i = 0; i < cfg->nmatches; i++)
		if (kg_match_wants_groups(cfg->matches[i].criteria.v, cfg->matches[i].criteria.n))
			return 1;
	return 0;
}
