/* ProxyJump / -J: the connection to the last hop's target runs over the
 * stdio of a child "kssh -W target hop", which itself carries any earlier
 * hops, so every hop authenticates from this machine with local keys. */
#ifndef KAGI_CLI_JUMP_H
#define KAGI_CLI_JUMP_H

#include <stddef.h>
#include "conn/cli-conn.h"

/* Builds the child's argv (at most KG_CLI_JUMP_ARGV entries with the
 * final NULL) for reaching target ("host:port" or "[v6]:port") through
 * the jump list spec; pointers go into spec, which is modified.  config
 * file may be NULL; verbose is the -v count.  KG_ERR_ARG for a list whose
 * last hop names no host (or looks like an option). */
#define KG_CLI_JUMP_ARGV 24
int kg_cli_jump_argv(char *spec, const char *config_file, int verbose, const char *target,
		     char *vflag, const char **argv) KG_WUR;
/* Starts the child and makes its socket c->fd (c->jump_pid is set). */
int kg_cli_jump_connect(kg_client *c) KG_WUR;
/* Waits briefly for the child once our end is closed, then stops it. */
void kg_cli_jump_reap(kg_client *c);

#endif
