/* Destination restrictions on an agent key (ssh-add -h; the constraint
 * restrict-destination-v00@openssh.com in PROTOCOL.agent): which hops
 * (from host key, to host key, to user) the key may be used over, checked
 * against the sessions a connection bound (session-bind@openssh.com), and
 * the user authentication request a constrained key may sign. */
#ifndef KAGI_AGENT_DEST_H
#define KAGI_AGENT_DEST_H

#include <stddef.h>
#include <stdint.h>
#include "core/key.h"

typedef struct kg_agent_hop {
	char *user;          /* "" = any */
	char *host;          /* "" for the first hop's origin (this machine) */
	kg_key **keys;       /* host keys (certificate authorities are never matched) */
	int *is_ca;
	size_t nkeys;
} kg_agent_hop;

typedef struct kg_agent_dest {
	kg_agent_hop from, to;
} kg_agent_dest;

/* The constraint's contents (constraint[]) into *out (*n of them). */
int kg_agent_dest_parse(const uint8_t *p, size_t len, kg_agent_dest **out, size_t *n) KG_WUR;
void kg_agent_dest_free(kg_agent_dest *d, size_t n);

/* One hop a connection bound (the host key blob and whether forwarding). */
typedef struct kg_agent_dest_hop {
	const uint8_t *hostkey;
	size_t hostkey_len;
	int forwarding;
} kg_agent_dest_hop;

/* May a key restricted by d[0..n) be used over the bound hops h[0..nh)
 * (user: the target user of a signature, NULL when listing)?  No hops
 * bound is local use: allowed.  1 yes, 0 no. */
int kg_agent_dest_permitted(const kg_agent_dest *d, size_t n, const kg_agent_dest_hop *h, size_t nh,
			    const char *user);

/* A user authentication request as signed data: the session id, user,
 * and the server host key of publickey-hostbound-v00@openssh.com (NULL
 * for plain publickey).  The key blob inside must be blob.  Views into
 * data, except user (malloc'ed). */
int kg_agent_dest_userauth(const uint8_t *data, size_t len, const uint8_t *blob, size_t blob_len,
			   const uint8_t **sid, size_t *sid_len, char **user, const uint8_t **hostkey,
			   size_t *hostkey_len) KG_WUR;

/* kssh-add -h: appends the constraint spec names ("[user@]host" from this
 * machine, or "fromhost>[user@]host") to out, the hosts' keys taken from
 * the known_hosts files[0..nfiles) (missing files skipped).  KG_ERR_ARG
 * for a user on the "from" host, KG_ERR_NOT_FOUND (with *missing, not
 * copied, naming the host) when a host has no known key. */
int kg_agent_dest_build(const char *spec, const char *const *files, size_t nfiles, kg_buf *out,
			const char **missing) KG_WUR;

#endif
