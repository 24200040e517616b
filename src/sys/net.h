/* TCP sockets: connecting with a timeout, listening, address strings and
 * EINTR-safe non-blocking read/write.  Every fd made here is close-on-exec.
 * Error text for the user (OpenSSH-style "connect to host H port P: ...")
 * goes to the caller's errbuf; nothing is printed. */
#ifndef KAGI_SYS_NET_H
#define KAGI_SYS_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "core/safety.h"

#define KG_NET_IPSTR 64   /* room for any numeric address string */

/* Resolves host/port (family AF_UNSPEC, AF_INET or AF_INET6) and tries
 * each address in turn with a non-blocking connect limited to timeout_ms
 * per address (<= 0: no limit).  On success *fdp is a connected,
 * non-blocking, close-on-exec socket with TCP_NODELAY set.
 * Errors: KG_ERR_NOT_FOUND (cannot resolve), KG_ERR_TIMEOUT (the last
 * attempt timed out), KG_ERR_SYSTEM (refused, unreachable...); errbuf
 * (optional) receives a message naming host, port and reason. */
int kg_net_connect(const char *host, const char *port, int family, int timeout_ms,
		   int *fdp, char *errbuf, size_t errlen) KG_WUR;

/* Listens on addr (NULL: all addresses) and port, one socket per resolved
 * address, up to max sockets, with SO_REUSEADDR and IPV6_V6ONLY on IPv6
 * sockets.  The sockets are non-blocking and close-on-exec.  Addresses
 * that cannot be bound are skipped (their reason goes to errbuf); it fails
 * only when none could be bound. */
int kg_net_listen(const char *addr, const char *port, int family, int *fds, size_t max,
		  size_t *n, char *errbuf, size_t errlen) KG_WUR;

/* Accepts one connection: *fdp is non-blocking and close-on-exec.
 * KG_ERR_AGAIN when nothing is pending. */
int kg_net_accept(int listen_fd, int *fdp) KG_WUR;

/* Numeric address and port of the peer / the local end.  IPv4-mapped
 * IPv6 addresses are shown as plain IPv4.  port may be NULL. */
int kg_net_peer_strings(int fd, char *ip, size_t ipsz, int *port) KG_WUR;
int kg_net_local_strings(int fd, char *ip, size_t ipsz, int *port) KG_WUR;

int kg_net_set_nonblock(int fd, int on) KG_WUR;
int kg_net_set_cloexec(int fd) KG_WUR;
int kg_net_set_nodelay(int fd) KG_WUR;
/* SO_SNDBUF/SO_RCVBUF hint; the kernel may round or cap it. */
int kg_net_set_buffers(int fd, int bytes) KG_WUR;
/* For bulk transfers on long paths: TCP must hold a round trip's worth of
 * unacknowledged data in the send buffer, and its send autotuning stops
 * at net.ipv4.tcp_wmem's maximum (often 4 MiB: 80 MiB/s at 50 ms).  When
 * setting SO_SNDBUF explicitly (capped by net.core.wmem_max and by
 * KG_NET_SNDBUF_MAX) gets more, it is set; *sndbuf is then the size the
 * kernel reports, else 0.  The receive buffer is left to autotuning
 * (net.ipv4.tcp_rmem, often up to 32 MiB), which SO_RCVBUF would stop. */
#define KG_NET_SNDBUF_MAX (16 * 1024 * 1024)
int kg_net_tune_bulk(int fd, int *sndbuf) KG_WUR;
/* TCP's smoothed round-trip time (TCP_INFO), in milliseconds, at least 1;
 * 0 when TCP has none yet.  An error for what is not a TCP socket. */
int kg_net_tcp_rtt_ms(int fd, uint32_t *rtt_ms) KG_WUR;
/* TCP keepalive on or off (TCPKeepAlive). */
int kg_net_set_keepalive(int fd, int on) KG_WUR;

/* One read/write that retries EINTR.  KG_OK with *done > 0;
 * KG_ERR_AGAIN when the fd would block; KG_ERR_CLOSED at end of
 * file (read) or a broken pipe (write); KG_ERR_SYSTEM otherwise. */
int kg_fd_read(int fd, void *buf, size_t len, size_t *done) KG_WUR;
int kg_fd_write(int fd, const void *buf, size_t len, size_t *done) KG_WUR;
/* Writes all of buf even to a non-blocking fd, waiting (kg_wait_fds) at
 * most timeout_ms in total (< 0: no limit).  KG_ERR_TIMEOUT on expiry. */
int kg_fd_write_all(int fd, const void *buf, size_t len, int timeout_ms) KG_WUR;

#endif
