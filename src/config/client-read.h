/* Reading the client configuration the way ssh does: the files for the
 * host as given, then Hostname (%h) and CanonicalizeHostname, then (when a
 * name was canonicalised or a "Match final" asked for it) the files again
 * for the final name, with Match canonical/final true, and last the
 * defaults.  The -o options go in before (kg_client_config_apply_option).
 *
 * Canonicalisation as ssh_config(5): only with CanonicalizeHostname yes
 * (direct connections) or always (also through ProxyJump/ProxyCommand);
 * an address is left alone; "name." is taken as fully qualified; a name
 * with more than CanonicalizeMaxDots dots is left alone; otherwise
 * "name.domain." is tried for each CanonicalDomains entry, the first that
 * resolves wins (a CNAME is followed when CanonicalizePermittedCNAMEs
 * allows it); when none resolves, CanonicalizeFallbackLocal yes keeps the
 * name for the system resolver and no is an error. */
#ifndef KAGI_CLIENT_READ_H
#define KAGI_CLIENT_READ_H

#include "config/client-config.h"

/* 1 resolved (canonical name from the resolver in *canon, malloc'ed),
 * 0 not, KG_ERR_* on a local failure. */
typedef int (*kg_cli_resolve_fn)(void *arg, const char *name, int family, char **canon);

typedef struct kg_cli_read {
	const char *host;          /* the destination as given */
	const char *config_file;   /* -F; NULL: user_file then system_file; "/dev/null" or "none": no file */
	const char *user_file;     /* NULL: <home>/.ssh/config */
	const char *system_file;   /* NULL: /etc/ssh/ssh_config */
	const char *home;
	const char *local_user;
	kg_cli_resolve_fn resolve; /* NULL: getaddrinfo (sys/host-facts.h) */
	void *resolve_arg;
} kg_cli_read;

/* KG_ERR_CONFIG with "FILE line N: ..." (or "Could not resolve host") in
 * err on a bad file or a failed canonicalisation. */
int kg_client_config_read(kg_client_config *cfg, const kg_cli_read *rd, kg_cfg_err *err) KG_WUR;

/* The canonicalisation step alone, on cfg->hostname (already expanded):
 * 1 if it was replaced by a canonical name, 0 if left alone. */
int kg_client_canonicalize(kg_client_config *cfg, kg_cli_resolve_fn resolve, void *arg, kg_cfg_err *err) KG_WUR;

#endif
