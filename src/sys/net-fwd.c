/* Forwarding sockets: non-blocking TCP connects, port listeners, Unix sockets. */
#include "sys/net-fwd.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "sys/net.h"

#define LISTEN_BACKLOG 128

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
	if (!errbuf || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

/* ---------------- connecting ---------------- */

int kg_net_dial_resolve(kg_net_dial *d, const char *host, const char *port)
{
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->err = ECONNREFUSED;
	struct addrinfo hints;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_NUMERICSERV;
	int gai = getaddrinfo(host, port, &hints, &d->res);
	if (gai != 0) {
		d->res = NULL;
		d->err = gai == EAI_SYSTEM ? errno : EHOSTUNREACH;
		return KG_ERR_NOT_FOUND;
	}
	d->next = d->res;
	return KG_OK;
}

int kg_net_dial_next(kg_net_dial *d)
{
	if (d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
	while (d->next) {
		struct addrinfo *ai = d->next;
		d->next = ai->ai_next;
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			d->err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			d->fd = fd;
			return 1;
		}
		if (errno == EINPROGRESS || errno == EINTR) {
			d->fd = fd;
			return 0;
		}
		d->err = errno;
		close(fd);
	}
	errno = d->err;
	return KG_ERR_SYSTEM;
}

int kg_net_dial_check(kg_net_dial *d)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	if (d->fd < 0)
		return 0;
	if (getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
		soerr = errno;
	if (soerr == 0)
		return 1;
	d->err = soerr;
	close(d->fd);
	d->fd = -1;
	return 0;
}

int kg_net_dial_take(kg_net_dial *d)
{
	int fd = d->fd;
	d->fd = -1;
	if (fd >= 0)
		(void)!kg_net_set_nodelay(fd);  /* only latency suffers without it */
	return fd;
}

void kg_net_dial_free(kg_net_dial *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	if (d->res)
		freeaddrinfo(d->res);
	d->res = d->next = NULL;
}

/* ---------------- TCP listeners ---------------- */

static void set_port(struct sockaddr *sa, int port)
{
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)(void *)sa)->sin_port = htons((uint16_t)port);
	else if (sa->sa_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)sa)->sin6_port = htons((uint16_t)port);
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

int kg_net_listen_tcp(const char *addr, int wildcard, int port, int *fds, size_t max, size_t *n, int *bound,
		      char *errbuf, size_t errlen)
{
	ENSURE(fds && n && bound && max > 0 && port >= 0 && port <= 65535, KG_ERR_ARG);
	*n = 0;
	*bound = port;
	set_err(errbuf, errlen, "no address to listen on");
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	/* Without AI_PASSIVE a NULL address means the loopback addresses. */
	hints.ai_flags = (wildcard ? AI_PASSIVE : 0) | AI_NUMERICSERV;
	char portz[8];
	snprintf(portz, sizeof(portz), "%d", port);
	int gai = getaddrinfo(addr, portz, &hints, &res);
	if (gai != 0) {
		set_err(errbuf, errlen, "getaddrinfo: %s", gai_strerror(gai));
		errno = EADDRNOTAVAIL;
		return KG_ERR_SYSTEM;
	}
	int last = EADDRNOTAVAIL;
	for (struct addrinfo *ai = res; ai && *n < max; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (port == 0 && *bound > 0)
			set_port(ai->ai_addr, *bound);  /* the same allocated port everywhere */
		char ip[64];
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, ip, sizeof(ip), NULL, 0, NI_NUMERICHOST) != 0)
			snprintf(ip, sizeof(ip), "?");
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			last = errno;
			set_err(errbuf, errlen, "socket: %s", strerror(errno));
			continue;
		}
		int one = 1;
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
		    (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
		    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
			last = errno;
			set_err(errbuf, errlen, "bind [%s]:%d: %s", ip, *bound, strerror(errno));
			close(fd);
			continue;
		}
		if (*bound == 0)
			*bound = local_port(fd);
		fds[(*n)++] = fd;
	}
	freeaddrinfo(res);
	if (*n == 0) {
		errno = last;
		return KG_ERR_SYSTEM;
	}
	return KG_OK;
}

/* ---------------- Unix-domain sockets ---------------- */

static int unix_addr(const char *path, struct sockaddr_un *sun)
{
	size_t len = strlen(path);
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	ENSURE(len > 0 && len < sizeof(sun->sun_path), KG_ERR_TOO_LARGE);
	memcpy(sun->sun_path, path, len + 1);
	return KG_OK;
}

int kg_net_listen_unix(const char *path, int unlink_first, mode_t mask, int *fdp, char *errbuf, size_t errlen)
{
	struct sockaddr_un sun;
	*fdp = -1;
	if (unix_addr(path, &sun) < 0) {
		set_err(errbuf, errlen, "path \"%.100s\" too long for Unix domain socket", path);
		errno = ENAMETOOLONG;
		return KG_ERR_TOO_LARGE;
	}
	if (unlink_first && unlink(path) != 0 && errno != ENOENT) {
		set_err(errbuf, errlen, "unlink(%s): %s", path, strerror(errno));
		return KG_ERR_SYSTEM;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_err(errbuf, errlen, "socket: %s", strerror(errno));
		return KG_ERR_SYSTEM;
	}
	/* The umask is the only way to give bind's new file its mode. */
	mode_t old = umask(mask);
	int r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	int e = errno;
	umask(old);
	if (r != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
		if (r == 0)
			e = errno;
		set_err(errbuf, errlen, "cannot listen to path: %s", strerror(e));
		close(fd);
		errno = e;
		return KG_ERR_SYSTEM;
	}
	*fdp = fd;
	return KG_OK;
}

int kg_net_connect_unix(const char *path, int *fdp)
{
	struct sockaddr_un sun;
	*fdp = -1;
	if (unix_addr(path, &sun) < 0) {
		errno = ENAMETOOLONG;
		return KG_ERR_SYSTEM;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return KG_ERR_SYSTEM;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno == EAGAIN ? ECONNREFUSED : errno;
		close(fd);
		errno = e;
		return KG_ERR_SYSTEM;
	}
	*fdp = fd;
	return KG_OK;
}
