/* kssh-agent's modes, called by the thin main: printing the environment
 * lines (sh or csh), going to the background, -D/-d in the foreground,
 * running a command with the agent, and -k (ending the agent
 * SSH_AGENT_PID names).  Each returns the process exit status. */
#ifndef KAGI_AGENT_RUN_H
#define KAGI_AGENT_RUN_H

#include <stdint.h>
#include "core/randomart.h"

typedef struct kg_agentd_opts {
	int csh;                 /* 1 csh, 0 sh, -1 from $SHELL */
	int foreground;          /* -D */
	int debug;               /* -d */
	const char *bind;        /* -a */
	uint32_t life;           /* -t, seconds; 0 = none */
	enum kg_fp_hash fp;      /* -E: fingerprints in log lines */
	char **cmd;              /* command and arguments, or NULL */
} kg_agentd_opts;

/* 1 when $SHELL names a csh (csh, tcsh). */
int kg_agentd_shell_is_csh(void);
int kg_agentd_run(kg_agentd_opts *o);
int kg_agentd_kill(int csh);

#endif
