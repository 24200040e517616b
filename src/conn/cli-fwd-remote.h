/* The client's remote forwardings (-R, RemoteForward, ~C -R/-KR): the
 * tcpip-forward and streamlocal-forward@openssh.com requests to the server,
 * and the forwarded-tcpip / forwarded-streamlocal@openssh.com channels the
 * server then opens, relayed to the target (or, with no target, answered
 * as a SOCKS proxy).  PermitRemoteOpen limits where those may lead. */
#ifndef KAGI_CLI_FWD_REMOTE_H
#define KAGI_CLI_FWD_REMOTE_H

#include "config/client-config.h"
#include "config/forward-spec.h"
#include "conn/cli-dispatch.h"
#include "conn/conn.h"
#include "sys/log.h"

/* A forwarding's outcome, once known: ok, and for a remote port 0 the port
 * the server allocated (else 0); msg says why it failed (NULL when ok).
 * A local forwarding answers at once, a remote one when the server
 * replies. */
typedef void (*kg_cli_fwd_done)(void *arg, const kg_fwd_spec *spec, int ok, int allocated_port,
				const char *msg);

typedef struct kg_cli_rfwd kg_cli_rfwd;

/* Registers the forwarded channel types with d.  cfg (may be NULL) is read
 * here for PermitRemoteOpen; a bad value is reported and refused. */
int kg_cli_rfwd_new(kg_engine *e, kg_cli_dispatch *d, kg_logger *log, const kg_client_config *cfg,
		    kg_cli_rfwd **out) KG_WUR;
/* Asks the server to listen as spec (kind KG_FWDSPEC_REMOTE) says; done
 * (may be NULL) gets the answer.  spec is copied. */
int kg_cli_rfwd_add(kg_cli_rfwd *r, const kg_fwd_spec *spec, kg_cli_fwd_done done, void *arg) KG_WUR;
/* Asks the server to stop listening (the listen side of spec names it). */
int kg_cli_rfwd_cancel(kg_cli_rfwd *r, const kg_fwd_spec *spec, kg_cli_fwd_done done, void *arg) KG_WUR;
/* Forgets d's registrations and every pending answer; NULL is fine. */
void kg_cli_rfwd_free(kg_cli_rfwd *r);

/* PermitRemoteOpen: where a remote forwarding used as a SOCKS proxy may
 * connect.  Empty or "any": anywhere; "none": nowhere; else host:port
 * entries ("[v6]:port"; "*" for any host or port), compared as written. */
typedef struct kg_cli_rfwd_permit_ent {
	char *host;
	int port;               /* -1: any */
} kg_cli_rfwd_permit_ent;
typedef struct kg_cli_rfwd_permit {
	int none, restricted;
	kg_cli_rfwd_permit_ent *v;
	size_t n;
} kg_cli_rfwd_permit;

/* words: the keyword's arguments (NULL or empty: any).  A bad entry is
 * KG_ERR_CONFIG with the reason in err. */
int kg_cli_rfwd_permit_parse(const kg_strlist *words, kg_cli_rfwd_permit *out, char *err, size_t errlen) KG_WUR;
int kg_cli_rfwd_permit_allows(const kg_cli_rfwd_permit *p, const char *host, int port);
void kg_cli_rfwd_permit_free(kg_cli_rfwd_permit *p);
/* Checks cfg's PermitRemoteOpen before connecting: KG_ERR_CONFIG with the
 * reason in msg. */
int kg_cli_rfwd_check_config(const kg_client_config *cfg, char *msg, size_t len) KG_WUR;

#endif
