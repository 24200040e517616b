/* Exercises src/conn/cli-dispatch.c: the server's channel opens and global
 * requests reach the handler registered for their name; other names are
 * refused (an open as administratively prohibited, a global request with
 * REQUEST_FAILURE only when a reply is wanted); registrations are bounded
 * and forgotten with their owner. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "t.h"
#include "chan_fake.h"
#include "conn/cli-dispatch.h"
#include "core/packet.h"

typedef struct seen {
	int opens, globals;
	char last[KG_CONN_NAME_MAX + 1];
} seen;

static int on_open(void *arg, kg_conn *c, kg_channel *ch, const kg_conn_event *ev)
{
	seen *s = arg;
	s->opens++;
	snprintf(s->last, sizeof(s->last), "%s", ev->name);
	return kg_conn_open_confirm(c, ch);
}

static int on_global(void *arg, kg_conn *c, const kg_conn_event *ev)
{
	seen *s = arg;
	s->globals++;
	snprintf(s->last, sizeof(s->last), "%s", ev->name);
	return ev->want_reply ? kg_conn_global_reply(c, 1, NULL, 0) : KG_OK;
}

static void test_routes(void)
{
	peer *cli = peer_new(KG_CONN_CLIENT, NULL), *srv = peer_new(KG_CONN_SERVER, NULL);
	T_ASSERT(cli && srv);
	kg_cli_dispatch d;
	kg_cli_dispatch_init(&d);
	seen a = { 0 }, b = { 0 };
	T_OK(kg_cli_on_open(&d, "forwarded-tcpip", on_open, &a));
	T_OK(kg_cli_on_open(&d, "auth-agent@openssh.com", on_open, &b));
	T_ASSERT(kg_cli_on_open(&d, "forwarded-tcpip", on_open, &b) == KG_ERR_ARG);
	T_OK(kg_cli_on_global(&d, "hostkeys-00@openssh.com", on_global, &a));

	kg_conn_event ev;
	kg_channel *sch = NULL;
	/* the server opens an agent channel: b confirms it */
	T_OK(kg_conn_open(&srv->c, "auth-agent@openssh.com", NULL, 0, &sch));
	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_OPEN_REQUEST);
	T_OK(kg_cli_dispatch_open(&d, &cli->c, ev.ch, &ev));
	T_ASSERT(b.opens == 1 && a.opens == 0 && strcmp(b.last, "auth-agent@openssh.com") == 0);
	T_ASSERT(next_type(cli) == SSH_MSG_CHANNEL_OPEN_CONFIRMATION);
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(ev.type == KG_CEV_OPEN_CONFIRMED);

	/* x11 nobody serves: refused as prohibited */
	T_OK(kg_conn_open(&srv->c, "x11", NULL, 0, &sch));
	T_OK(xfer(srv, cli, &ev));
	T_OK(kg_cli_dispatch_open(&d, &cli->c, ev.ch, &ev));
	T_OK(xfer(cli, srv, &ev));
	T_ASSERT(ev.type == KG_CEV_OPEN_FAILED && ev.reason == SSH_OPEN_ADMINISTRATIVELY_PROHIBITED);
	T_ASSERT(a.opens == 0 && b.opens == 1);

	/* global requests: the registered one is answered by its handler */
	T_OK(kg_conn_send_global(&srv->c, "hostkeys-00@openssh.com", 1, NULL, 0));
	T_OK(xfer(srv, cli, &ev));
	T_ASSERT(ev.type == KG_CEV_GLOBAL_REQUEST);
	T_OK(kg_cli_dispatch_global(&d, &cli->c, &ev));
	T_ASSERT(a.globals == 1 && next_type(cli) == SSH_MSG_REQUEST_SUCCESS);
	cli->rd = cli->s.tail;
	/* an unknown one wanting a reply fails; without want_reply, silence */
	T_OK(kg_conn_send_global(&srv->c, "keepalive@openssh.com", 1, NULL, 0));
	T_OK(xfer(srv, cli, &ev));
	T_OK(kg_cli_dispatch_global(&d, &cli->c, &ev));
	T_ASSERT(next_type(cli) == SSH_MSG_REQUEST_FAILURE);
	cli->rd = cli->s.tail;
	T_OK(kg_conn_send_global(&srv->c, "whatever@example.com", 0, NULL, 0));
	T_OK(xfer(srv, cli, &ev));
	T_OK(kg_cli_dispatch_global(&d, &cli->c, &ev));
	T_ASSERT(pending(cli) == 0);

	/* a forgets: its names are refused from now on; b's stay */
	kg_cli_dispatch_forget(&d, &a);
	T_ASSERT(d.n_open == 1 && d.n_global == 0);
	T_OK(kg_conn_send_global(&srv->c, "hostkeys-00@openssh.com", 1, NULL, 0));
	T_OK(xfer(srv, cli, &ev));
	T_OK(kg_cli_dispatch_global(&d, &cli->c, &ev));
	T_ASSERT(a.globals == 1 && next_type(cli) == SSH_MSG_REQUEST_FAILURE);
	peer_free(cli);
	peer_free(srv);
}

static void test_bounds(void)
{
	kg_cli_dispatch d;
	kg_cli_dispatch_init(&d);
	static const char *names[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i" };
	seen s = { 0 };
	for (size_t i = 0; i < KG_CLI_HANDLERS_MAX; i++)
		T_OK(kg_cli_on_global(&d, names[i], on_global, &s));
	T_ASSERT(kg_cli_on_global(&d, names[KG_CLI_HANDLERS_MAX], on_global, &s) == KG_ERR_ARG);
	T_ASSERT(kg_cli_on_open(&d, NULL, on_open, &s) == KG_ERR_ARG);
	T_ASSERT(kg_cli_on_open(&d, "x", NULL, &s) == KG_ERR_ARG);
	kg_cli_dispatch_forget(&d, &s);
	T_ASSERT(d.n_global == 0);
	T_OK(kg_cli_on_global(&d, "a", on_global, &s));
}

int main(void)
{
	T_RUN(test_routes);
	T_RUN(test_bounds);
	return T_DONE();
}
