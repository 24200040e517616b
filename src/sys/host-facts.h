/* What the client configuration asks the local machine: its host name,
 * the addresses of its interfaces (Match localnetwork), whether a shell
 * command succeeds (Match exec) and whether a name resolves
 * (CanonicalizeHostname). */
#ifndef KAGI_HOST_FACTS_H
#define KAGI_HOST_FACTS_H

#include <stddef.h>
#include "core/safety.h"

/* gethostname(3) into buf (NUL-terminated, truncated to n). */
int kg_sys_local_hostname(char *buf, size_t n) KG_WUR;

/* Runs cmd with /bin/sh -c, stdin and stdout on /dev/null, stderr
 * inherited; waits for it.  *status: its exit status (128+N when killed
 * by signal N). */
int kg_sys_shell_status(const char *cmd, int *status) KG_WUR;

/* The address of every interface that is up, as text ("192.0.2.1",
 * "fe80::1"), in a malloc'ed array of malloc'ed strings; free with
 * kg_sys_addrs_free. */
int kg_sys_if_addrs(char ***addrs, size_t *n) KG_WUR;
void kg_sys_addrs_free(char **addrs, size_t n);

/* Looks name up with getaddrinfo(3) (family AF_UNSPEC, AF_INET or
 * AF_INET6).  1 if it resolves, with the resolver's canonical name in
 * *canon (malloc'ed; the name itself when the resolver gives none); 0 if
 * it does not; KG_ERR_* on a local failure. */
int kg_sys_resolve_canon(const char *name, int family, char **canon) KG_WUR;

#endif
