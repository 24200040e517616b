/* All of one client connection's port forwardings: local (-L,
 * LocalForward), dynamic (-D, DynamicForward: a SOCKS4/4a/5 proxy) and
 * remote (-R, RemoteForward, through cli-fwd-remote.h), from the command
 * line and the configuration, set up once the connection is
 * authenticated; ExitOnForwardFailure; and the ~C command line's -L -R -D
 * -KL -KR -KD on a live connection.  Connection sharing's master adds and
 * cancels forwardings for its clients through the same calls. */
#ifndef KAGI_CLI_FORWARD_H
#define KAGI_CLI_FORWARD_H

#include <stddef.h>
#include "config/forward-spec.h"
#include "conn/cli-conn.h"
#include "conn/cli-fwd-remote.h"

typedef struct kg_cli_forwards kg_cli_forwards;

/* A -L, -R or -D argument (flag 'L', 'R' or 'D'): KG_ERR_ARG with
 * OpenSSH's message ("Bad local forwarding specification 'x'") in msg
 * when it is malformed. */
int kg_cli_forwards_check_arg(int flag, const char *arg, char *msg, size_t msglen) KG_WUR;
/* The same for every LocalForward, RemoteForward and DynamicForward value
 * of cfg, before connecting. */
int kg_cli_forwards_check_config(const kg_client_config *cfg, char *msg, size_t msglen) KG_WUR;

/* For the authenticated client c (kept, not owned). */
int kg_cli_forwards_new(kg_client *c, kg_cli_forwards **out) KG_WUR;
/* Sets up what the configuration (LocalForward, RemoteForward,
 * DynamicForward, with the command line's ahead of them) asks for and
 * waits for the server's answers to the remote ones; with
 * ExitOnForwardFailure a failure is an error (reported).  The remote
 * ones' outcomes are told to the user by cli-fwd-remote.c. */
int kg_cli_forwards_start(kg_cli_forwards *f) KG_WUR;
/* One forwarding more; done (may be NULL) gets its outcome.  spec is
 * copied. */
int kg_cli_forwards_add(kg_cli_forwards *f, const kg_fwd_spec *spec, kg_cli_fwd_done done, void *arg) KG_WUR;
/* Stops one (its listen side names it). */
int kg_cli_forwards_cancel(kg_cli_forwards *f, const kg_fwd_spec *spec, kg_cli_fwd_done done,
			   void *arg) KG_WUR;
/* The ~C command line (kg_cli_session_opts.forward_cmd): "-L spec",
 * "-KR spec", ...; what to tell the user goes to msg. */
int kg_cli_forwards_command(void *f, const char *line, char *msg, size_t msglen);
/* kg_cli_session_opts.idle: 1 once no forwarded connection is open (any
 * channel with a consumer; the listeners do not count). */
int kg_cli_forwards_idle(void *f);
void kg_cli_forwards_free(kg_cli_forwards *f);

#endif
