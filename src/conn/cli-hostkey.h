/* Client host key helpers: the algorithm order (key types known_hosts
 * already holds for the host go first), the changed-key warning, and
 * CheckHostIP (the peer's address checked and recorded as well). */
#ifndef KAGI_CLI_HOSTKEY_H
#define KAGI_CLI_HOSTKEY_H

#include <stddef.h>
#include "core/safety.h"
#include "config/known-hosts.h"
#include "sys/log.h"

/* Reorders *algs (a comma list, replaced on change) so that the algorithms
 * of key types that the known_hosts files (paths already expanded; missing
 * ones skipped) list for host:port come first, each group in its own
 * order; rsa-sha2-* count as RSA.  Revoked and CA lines do not count.
 * *changed says whether anything moved. */
int kg_cli_hostkey_order(const char *host, int port, const char *const *files, size_t nfiles, char **algs,
			 int *changed) KG_WUR;

/* OpenSSH's REMOTE HOST IDENTIFICATION HAS CHANGED warning for key (its
 * fingerprint fp) against the known_hosts line in res, with the
 * kssh-keygen -R line for name. */
void kg_cli_hostkey_changed(const kg_logger *log, const kg_key *key, const char *fp, const kg_kh_result *res,
			    const char *name);

/* CheckHostIP: the peer address's own known_hosts entries. */
typedef struct kg_cli_hostip {
	char *name;          /* the address as known_hosts names it ("[ip]:port" off port 22); NULL: not checked */
	kg_kh_result res;    /* the key checked under that name */
} kg_cli_hostip;

/* Whether the address is checked: CheckHostIP yes, ip a numeric address
 * other than the host name itself, and not a loopback one (as OpenSSH). */
int kg_cli_hostip_wanted(int check_host_ip, const char *hostname, const char *ip);
/* Checks key under ip:port in files into h (h->name set). */
int kg_cli_hostip_check(kg_cli_hostip *h, const char *const *files, size_t nfiles, const char *ip, int port,
			const kg_key *key) KG_WUR;
void kg_cli_hostip_free(kg_cli_hostip *h);
/* The known_hosts line(s) for a new host key: "name,ipname key" (ipname
 * NULL: "name key"); hashed, one line for each name. */
int kg_cli_hostkey_entry(const char *name, const char *ipname, const kg_key *key, int hash, kg_buf *out) KG_WUR;
/* The host key matched: an address not listed yet is added to user_file
 * (NULL: none, only said), with OpenSSH's "Permanently added" warning. */
int kg_cli_hostip_matched(const kg_logger *log, const kg_cli_hostip *h, const kg_key *key, const char *user_file,
			  int hash) KG_WUR;
/* The host key changed but the address's did not (or is unknown):
 * OpenSSH's POSSIBLE DNS SPOOFING warning, before the changed-key one. */
void kg_cli_hostip_spoofing(const kg_logger *log, const kg_cli_hostip *h, const kg_key *key, const char *name);
/* The address's key differs while the host's does not: the warning, then
 * by StrictHostKeyChecking a question (ask), refusal (yes, accept-new:
 * KG_ERR_HOSTKEY_CHANGED) or nothing more (no). */
int kg_cli_hostip_mismatch(const kg_logger *log, const kg_cli_hostip *h, const kg_key *key, const char *name,
			   const kg_kh_result *host, int shkc, int batch) KG_WUR;

/* For the new-host question: "This key is not known by any other names."
 * or "This host key is known by the following other names/addresses:"
 * and a "    FILE:LINE: NAMES" line for each (at most 8; the home
 * directory shown as ~), each line ending in \r\n, appended to out. */
int kg_cli_hostkey_other_names(const char *const *files, size_t nfiles, const kg_key *key, const char *home,
			       kg_buf *out) KG_WUR;

/* The new-host question (ssh's words) for key (fingerprint fp) of name,
 * reached at ip:port, into q (n bytes), with the other names above. */
int kg_cli_hostkey_question(char *q, size_t n, const char *name, const char *ip, int port, const kg_key *key,
			    const char *fp, const char *const *files, size_t nfiles, const char *home) KG_WUR;

/* host:port (port not 22, no HostKeyAlias) is not listed: ssh then
 * accepts the key when it is listed for the host without a port (it is
 * not added, and UpdateHostKeys does not count it as trusted).  1 when it
 * is, 0 if not. */
int kg_cli_hostkey_portless(const kg_logger *log, const char *const *files, size_t nfiles, const char *host,
			    const kg_key *key) KG_WUR;

#endif
