/* What the server asks of the client once the channels run: channels it
 * opens towards us (forwarded-tcpip for -R, forwarded-streamlocal@openssh.com,
 * auth-agent@openssh.com for -A) and global requests it sends
 * (hostkeys-00@openssh.com for UpdateHostKeys).  Each feature registers a
 * handler for the names it serves; kg_client routes the engine's
 * open_request and global_request hooks here.  A name nobody serves is
 * refused as OpenSSH's client refuses it. */
#ifndef KAGI_CLI_DISPATCH_H
#define KAGI_CLI_DISPATCH_H

#include <stddef.h>
#include "core/channel.h"

/* Handlers per kind.  One more is refused with KG_ERR_ARG. */
#define KG_CLI_HANDLERS_MAX 8

/* Attach a consumer and confirm (kg_conn_open_confirm), or refuse
 * (kg_conn_open_fail); a negative return ends the connection. */
typedef int (*kg_cli_open_fn)(void *arg, kg_conn *c, kg_channel *ch, const kg_conn_event *ev);
/* Answer with kg_conn_global_reply when ev->want_reply. */
typedef int (*kg_cli_global_fn)(void *arg, kg_conn *c, const kg_conn_event *ev);

typedef struct kg_cli_handler {
	const char *name;       /* channel type or request name; not copied */
	union {
		kg_cli_open_fn open;
		kg_cli_global_fn global;
	} fn;
	void *arg;
} kg_cli_handler;

typedef struct kg_cli_dispatch {
	kg_cli_handler open[KG_CLI_HANDLERS_MAX];
	size_t n_open;
	kg_cli_handler global[KG_CLI_HANDLERS_MAX];
	size_t n_global;
} kg_cli_dispatch;

void kg_cli_dispatch_init(kg_cli_dispatch *d);
/* A second handler for a name already served is refused (KG_ERR_ARG). */
int kg_cli_on_open(kg_cli_dispatch *d, const char *type, kg_cli_open_fn fn, void *arg) KG_WUR;
int kg_cli_on_global(kg_cli_dispatch *d, const char *name, kg_cli_global_fn fn, void *arg) KG_WUR;
/* Removes every handler registered with arg (its owner is going away). */
void kg_cli_dispatch_forget(kg_cli_dispatch *d, const void *arg);

/* For ev (KG_CEV_OPEN_REQUEST / KG_CEV_GLOBAL_REQUEST): the handler, or the
 * refusal. */
int kg_cli_dispatch_open(kg_cli_dispatch *d, kg_conn *c, kg_channel *ch, const kg_conn_event *ev) KG_WUR;
int kg_cli_dispatch_global(kg_cli_dispatch *d, kg_conn *c, const kg_conn_event *ev) KG_WUR;

#endif
