/* Routing of the server's channel opens and global requests to the client
 * features that serve them (see cli-dispatch.h). */
#include <string.h>
#include "conn/cli-dispatch.h"
#include "core/packet.h"

void kg_cli_dispatch_init(kg_cli_dispatch *d)
{
	memset(d, 0, sizeof(*d));
}

static const kg_cli_handler *find(const kg_cli_handler *h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(h[i].name, name) == 0)
			return &h[i];
	return NULL;
}

static kg_cli_handler *add(kg_cli_handler *h, size_t *n, const char *name, void *arg)
{
	if (!name || *n >= KG_CLI_HANDLERS_MAX || find(h, *n, name))
		return NULL;
	kg_cli_handler *slot = &h[(*n)++];
	slot->name = name;
	slot->arg = arg;
	return slot;
}

int kg_cli_on_open(kg_cli_dispatch *d, const char *type, kg_cli_open_fn fn, void *arg)
{
	kg_cli_handler *h = fn ? add(d->open, &d->n_open, type, arg) : NULL;
	if (!h)
		return KG_ERR_ARG;
	h->fn.open = fn;
	return KG_OK;
}

int kg_cli_on_global(kg_cli_dispatch *d, const char *name, kg_cli_global_fn fn, void *arg)
{
	kg_cli_handler *h = fn ? add(d->global, &d->n_global, name, arg) : NULL;
	if (!h)
		return KG_ERR_ARG;
	h->fn.global = fn;
	return KG_OK;
}

static void forget(kg_cli_handler *h, size_t *n, const void *arg)
{
	size_t kept = 0;
	for (size_t i = 0; i < *n; i++)
		if (h[i].arg != arg)
			h[kept++] = h[i];
	*n = kept;
}

void kg_cli_dispatch_forget(kg_cli_dispatch *d, const void *arg)
{
	forget(d->open, &d->n_open, arg);
	forget(d->global, &d->n_global, arg);
}

int kg_cli_dispatch_open(kg_cli_dispatch *d, kg_conn *c, kg_channel *ch, const kg_conn_event *ev)
{
	const kg_cli_handler *h = find(d->open, d->n_open, ev->name);
	if (h)
		return h->fn.open(h->arg, c, ch, ev);
	/* OpenSSH's client: an unexpected open is prohibited, not unknown, so
	 * that a server cannot probe which features the client has built in. */
	return kg_conn_open_fail(c, ch, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed");
}

int kg_cli_dispatch_global(kg_cli_dispatch *d, kg_conn *c, const kg_conn_event *ev)
{
	const kg_cli_handler *h = find(d->global, d->n_global, ev->name);
	if (h)
		return h->fn.global(h->arg, c, ev);
	return ev->want_reply ? kg_conn_global_reply(c, 0, NULL, 0) : KG_OK;
}
