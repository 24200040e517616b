/* The configuration one connection gets: the server's, with the values of
 * every Match block whose criteria hold for it put over (first value wins
 * among the blocks, as sshd). */
#ifndef KAGI_SERVER_MATCH_H
#define KAGI_SERVER_MATCH_H

#include "config/match-criteria.h"
#include "config/server-config.h"

/* Fills out (a new config; free it with kg_server_config_free, also on
 * error) from base and the Match blocks that hold for ci.  strict: see
 * kg_match_eval (ksshd -T -C). */
int kg_server_config_for_conn(const kg_server_config *base, const kg_match_conn *ci, int strict,
			      kg_server_config *out, kg_cfg_err *err) KG_WUR;

/* 1 if some Match block tests Group (the user's groups are then needed). */
int kg_server_config_needs_groups(const kg_server_config *cfg);

#endif
