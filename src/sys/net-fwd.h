/* Sockets for port forwarding: a TCP connect started without waiting and
 * finished once the loop reports the socket writable (trying each resolved
 * address in turn), TCP listeners on loopback or every address with one
 * allocated port shared by all of them, and Unix-domain listeners and
 * connects.  Every fd made here is non-blocking and close-on-exec.  The
 * caller picks the identity they are made with (see user-id.h). */
#ifndef KAGI_SYS_NET_FWD_H
#define KAGI_SYS_NET_FWD_H

#include <stddef.h>
#include <sys/types.h>
#include "core/safety.h"

struct addrinfo;

/* A connect in progress. */
typedef struct kg_net_dial {
	struct addrinfo *res;   /* every resolved address */
	struct addrinfo *next;  /* the next one to try */
	int fd;                 /* the attempt in progress (or connected), or -1 */
	int err;                /* errno of the last failed attempt */
} kg_net_dial;

/* Resolves host and port (a number) for a TCP connect.  The look-up
 * itself may block, as OpenSSH's does.  KG_ERR_NOT_FOUND if it fails. */
int kg_net_dial_resolve(kg_net_dial *d, const char *host, const char *port) KG_WUR;
/* Starts connecting to the next address: 1 connected at once, 0 in
 * progress (wait until d->fd is writable, then kg_net_dial_check), or
 * KG_ERR_SYSTEM once no address is left (d->err says why the last failed). */
int kg_net_dial_next(kg_net_dial *d) KG_WUR;
/* After d->fd became writable: 1 connected, 0 this attempt failed (d->fd
 * is closed; try kg_net_dial_next). */
int kg_net_dial_check(kg_net_dial *d);
/* The connected socket, now the caller's (TCP_NODELAY set). */
int kg_net_dial_take(kg_net_dial *d);
void kg_net_dial_free(kg_net_dial *d);

/* TCP listeners on addr, or with addr NULL on the loopback addresses
 * (wildcard 0) or every address (wildcard 1).  Port 0 lets the kernel
 * pick one for the first address, which the others then use too.  Up to
 * max sockets; addresses that cannot be bound are skipped, and it fails
 * (KG_ERR_SYSTEM, errno kept, reason in errbuf) when none could be.
 * *bound is the port listened on. */
int kg_net_listen_tcp(const char *addr, int wildcard, int port, int *fds, size_t max, size_t *n, int *bound,
		      char *errbuf, size_t errlen) KG_WUR;
/* A Unix-domain stream listener at path, created under umask mask; an
 * existing file there is removed first when unlink_first (a missing one is
 * no error).  KG_ERR_TOO_LARGE for a path too long for sun_path. */
int kg_net_listen_unix(const char *path, int unlink_first, mode_t mask, int *fdp, char *errbuf,
		       size_t errlen) KG_WUR;
/* Connects to the Unix-domain socket at path without waiting (a listener
 * whose queue is full counts as refused).  KG_ERR_SYSTEM with errno set. */
int kg_net_connect_unix(const char *path, int *fdp) KG_WUR;

#endif
