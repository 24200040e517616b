/* TCP sockets: connect with a timeout, listen, accept, address strings, fd I/O. */
#include "sys/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include "sys/loop.h"

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errbuf == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

int kg_net_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);
	ENSURE(fl >= 0, KG_ERR_SYSTEM);
	int nfl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	if (nfl != fl)
		ENSURE(fcntl(fd, F_SETFL, nfl) == 0, KG_ERR_SYSTEM);
	return KG_OK;
}

int kg_net_set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	ENSURE(fl >= 0, KG_ERR_SYSTEM);
	if (!(fl & FD_CLOEXEC))
		ENSURE(fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == 0, KG_ERR_SYSTEM);
	return KG_OK;
}

int kg_net_set_nodelay(int fd)
{
	int one = 1;
	ENSURE(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0, KG_ERR_SYSTEM);
	return KG_OK;
}

int kg_net_set_buffers(int fd, int bytes)
{
	ENSURE(bytes > 0, KG_ERR_ARG);
	ENSURE(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)) == 0, KG_ERR_SYSTEM);
	ENSURE(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) == 0, KG_ERR_SYSTEM);
	return KG_OK;
}

/* The last number on the first line of a /proc/sys file (tcp_wmem holds
 * "min default max"); 0 when it cannot be read. */
static long proc_last_number(const char *path)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return 0;
	char line[128];
	long v = 0;
	if (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *end;
		for (;;) {
			long x = strtol(p, &end, 10);
			if (end == p)
				break;
			v = x;
			p = end;
		}
	}
	fclose(f);
	return v > 0 ? v : 0;
}

int kg_net_tune_bulk(int fd, int *sndbuf)
{
	*sndbuf = 0;
	long auto_max = proc_last_number("/proc/sys/net/ipv4/tcp_wmem");
	long allowed = proc_last_number("/proc/sys/net/core/wmem_max");
	if (allowed > KG_NET_SNDBUF_MAX)
		allowed = KG_NET_SNDBUF_MAX;
	/* The kernel doubles what is set (for its bookkeeping), as it counts
	 * the autotuning maximum; setting it fixes the size (no autotuning). */
	if (allowed <= 0 || auto_max <= 0 || 2 * allowed <= auto_max)
		return KG_OK;
	int v = (int)allowed;
	ENSURE(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) == 0, KG_ERR_SYSTEM);
	socklen_t len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &len) == 0)
		*sndbuf = v;
	return KG_OK;
}

int kg_net_tcp_rtt_ms(int fd, uint32_t *rtt_ms)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	*rtt_ms = 0;
	ENSURE(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0, KG_ERR_SYSTEM);
	ENSURE(len >= offsetof(struct tcp_info, tcpi_rtt) + sizeof(ti.tcpi_rtt), KG_ERR_SYSTEM);
	/* Smoothed, in microseconds; at least 1 ms once there is one. */
	if (ti.tcpi_rtt > 0)
		*rtt_ms = ti.tcpi_rtt < 1000 ? 1 : ti.tcpi_rtt / 1000;
	return KG_OK;
}

int kg_net_set_keepalive(int fd, int on)
{
	int v = on ? 1 : 0;
	ENSURE(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)) == 0, KG_ERR_SYSTEM);
	return KG_OK;
}

/* Waits for a non-blocking connect to finish; returns 0 or an errno. */
static int wait_connect(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int r = kg_wait_fds(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
	if (r < 0)
		return errno ? errno : EIO;
	if (r == 0)
		return ETIMEDOUT;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
		return errno;
	return soerr;
}

int kg_net_connect(const char *host, const char *port, int family, int timeout_ms,
		   int *fdp, char *errbuf, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	int last_errno = ECONNREFUSED;

	ENSURE(host != NULL && port != NULL && fdp != NULL, KG_ERR_ARG);
	*fdp = -1;
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_ADDRCONFIG;
	int gai = getaddrinfo(host, port, &hints, &res);
	if (gai == EAI_NONAME && family == AF_UNSPEC) {
		/* AI_ADDRCONFIG hides loopback-only setups; retry without it. */
		hints.ai_flags = 0;
		gai = getaddrinfo(host, port, &hints, &res);
	}
	if (gai != 0) {
		set_err(errbuf, errlen, "Could not resolve hostname %s: %s", host, gai_strerror(gai));
		return KG_ERR_NOT_FOUND;
	}
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);
		if (fd < 0) {
			last_errno = errno;
			continue;
		}
		int e = 0;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			e = errno;
			if (e == EINPROGRESS || e == EINTR)
				e = wait_connect(fd, timeout_ms);
		}
		if (e == 0) {
			if (kg_net_set_nodelay(fd) < 0) {
				/* only latency suffers; the connection is good */
			}
			freeaddrinfo(res);
			*fdp = fd;
			return KG_OK;
		}
		last_errno = e;
		char ip[KG_NET_IPSTR];
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, ip, sizeof(ip), NULL, 0, NI_NUMERICHOST) != 0)
			snprintf(ip, sizeof(ip), "%s", host);
		set_err(errbuf, errlen, "connect to host %s port %s: %s", ip, port,
			e == ETIMEDOUT ? "Connection timed out" : strerror(e));
		close(fd);
	}
	freeaddrinfo(res);
	if (last_errno != ETIMEDOUT && errbuf != NULL && errlen > 0 && errbuf[0] == '\0')
		set_err(errbuf, errlen, "connect to host %s port %s: %s", host, port, strerror(last_errno));
	errno = last_errno;
	return last_errno == ETIMEDOUT ? KG_ERR_TIMEOUT : KG_ERR_SYSTEM;
}

int kg_net_listen(const char *addr, const char *port, int family, int *fds, size_t max,
		  size_t *n, char *errbuf, size_t errlen)
{
	struct addrinfo hints, *res = NULL;

	ENSURE(port != NULL && fds != NULL && n != NULL && max > 0, KG_ERR_ARG);
	*n = 0;
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	int gai = getaddrinfo(addr, port, &hints, &res);
	if (gai != 0) {
		set_err(errbuf, errlen, "bad listen address %s port %s: %s", addr ? addr : "*", port,
			gai_strerror(gai));
		return KG_ERR_CONFIG;
	}
	for (struct addrinfo *ai = res; ai != NULL && *n < max; ai = ai->ai_next) {
		char ip[KG_NET_IPSTR];
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, ip, sizeof(ip), NULL, 0, NI_NUMERICHOST) != 0)
			snprintf(ip, sizeof(ip), "?");
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);
		if (fd < 0) {
			set_err(errbuf, errlen, "socket for %s: %s", ip, strerror(errno));
			continue;
		}
		int one = 1;
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
		    (ai->ai_family == AF_INET6 &&
		     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
		    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
			set_err(errbuf, errlen, "Bind to port %s on %s failed: %s", port, ip, strerror(errno));
			close(fd);
			continue;
		}
		fds[(*n)++] = fd;
	}
	freeaddrinfo(res);
	return *n > 0 ? KG_OK : KG_ERR_SYSTEM;
}

int kg_net_accept(int listen_fd, int *fdp)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			*fdp = fd;
			return KG_OK;
		}
		if (errno == EINTR)
			continue;
		/* A connection that died in the queue is not a listener failure. */
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED)
			return KG_ERR_AGAIN;
		return KG_ERR_SYSTEM;
	}
}

static int addr_strings(const struct sockaddr_storage *ss, socklen_t len, char *ip, size_t ipsz,
			int *port)
{
	struct sockaddr_in v4;
	const struct sockaddr *sa = (const struct sockaddr *)ss;

	ENSURE(ip != NULL && ipsz > 0, KG_ERR_ARG);
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			memset(&v4, 0, sizeof(v4));
			v4.sin_family = AF_INET;
			v4.sin_port = s6->sin6_port;
			memcpy(&v4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
			sa = (const struct sockaddr *)&v4;
			len = sizeof(v4);
		}
	}
	char serv[16];
	ENSURE(getnameinfo(sa, len, ip, (socklen_t)ipsz, serv, sizeof(serv),
			   NI_NUMERICHOST | NI_NUMERICSERV) == 0, KG_ERR_SYSTEM);
	if (port != NULL)
		*port = atoi(serv);
	return KG_OK;
}

int kg_net_peer_strings(int fd, char *ip, size_t ipsz, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	ENSURE(getpeername(fd, (struct sockaddr *)&ss, &len) == 0, KG_ERR_SYSTEM);
	return addr_strings(&ss, len, ip, ipsz, port);
}

int kg_net_local_strings(int fd, char *ip, size_t ipsz, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	ENSURE(getsockname(fd, (struct sockaddr *)&ss, &len) == 0, KG_ERR_SYSTEM);
	return addr_strings(&ss, len, ip, ipsz, port);
}

int kg_fd_read(int fd, void *buf, size_t len, size_t *done)
{
	*done = 0;
	for (;;) {
		ssize_t r = read(fd, buf, len);
		if (r > 0) {
			*done = (size_t)r;
			return KG_OK;
		}
		if (r == 0)
			return len == 0 ? KG_OK : KG_ERR_CLOSED;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return KG_ERR_AGAIN;
		/* A pty master reports EIO once every slave fd is closed. */
		if (errno == EIO || errno == ECONNRESET)
			return KG_ERR_CLOSED;
		return KG_ERR_SYSTEM;
	}
}

/* A failed write's errno as kg_fd_write reports it; 0 for EINTR (retry). */
static int write_error(void)
{
	if (errno == EINTR)
		return 0;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return KG_ERR_AGAIN;
	if (errno == EPIPE || errno == ECONNRESET)
		return KG_ERR_CLOSED;
	return KG_ERR_SYSTEM;
}

int kg_fd_write(int fd, const void *buf, size_t len, size_t *done)
{
	*done = 0;
	for (;;) {
		ssize_t w = write(fd, buf, len);
		if (w >= 0) {
			*done = (size_t)w;
			return KG_OK;
		}
		int r = write_error();
		if (r)
			return r;
	}
}

int kg_fd_write_all(int fd, const void *buf, size_t len, int timeout_ms)
{
	const unsigned char *p = buf;
	uint64_t deadline = timeout_ms >= 0 ? kg_monotonic_ms() + (uint64_t)timeout_ms : 0;

	while (len > 0) {
		size_t done;
		int r = kg_fd_write(fd, p, len, &done);
		if (r == KG_OK) {
			p += done;
			len -= done;
			continue;
		}
		if (r != KG_ERR_AGAIN)
			return r;
		int wait = -1;
		if (timeout_ms >= 0) {
			uint64_t now = kg_monotonic_ms();
			ENSURE(now < deadline, KG_ERR_TIMEOUT);
			wait = (int)(deadline - now);
		}
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		GUARD(kg_wait_fds(&pf, 1, wait));
	}
	return KG_OK;
}

int kg_fd_write2(int fd, const void *a, size_t alen, const void *b, size_t blen, size_t *done)
{
	*done = 0;
	struct iovec iov[2] = { { (void *)a, alen }, { (void *)b, blen } };
	for (;;) {
		ssize_t w = writev(fd, iov, 2);
		if (w >= 0) {
			*done = (size_t)w;
			return KG_OK;
		}
		int r = write_error();
		if (r)
			return r;
	}
}
