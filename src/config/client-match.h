/* ssh_config(5) "Match" lines: checking their criteria and deciding
 * whether the block applies in the pass being read.
 *
 * Criteria: all (alone, or right after canonical/final), canonical and
 * final (true only in the final pass; a plain "final" asks for that pass),
 * exec (a /bin/sh command with the exec tokens, run only when the
 * criteria before it held; exit 0 matches), localnetwork (CIDR list
 * against the interface addresses), host (the Hostname as known so far,
 * %h expanded), originalhost, user (User so far, else the local user),
 * localuser, tagged, command (the remote command or subsystem; "" when
 * none), sessiontype (shell, exec, subsystem or none) and version (kagi's
 * own).  Each may be negated with '!'. */
#ifndef KAGI_CLIENT_MATCH_H
#define KAGI_CLIENT_MATCH_H

#include "config/client-config.h"

/* host: the name this pass matches Host lines against.  Sets *active to
 * 1/0; an unknown criterion or a missing argument is KG_ERR_CONFIG with
 * "FILE line N: ..." in err. */
int kg_cli_match_line(kg_client_config *cfg, const char *host, char *const *args, size_t nargs,
		      const char *file, size_t line, int *active, kg_cfg_err *err) KG_WUR;

/* The session type Match sessiontype sees: "shell", "exec", "subsystem"
 * or "none". */
const char *kg_cli_session_type_name(const kg_client_config *cfg);

#endif
