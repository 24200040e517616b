/* Unix-domain control sockets: safe listener, connect, fd passing, peer uid. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <openssl/rand.h>
#include "core/err.h"
#include "sys/mux-sock.h"

static int fill_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	ENSURE(strlen(path) < sizeof(a->sun_path), KG_ERR_ARG);
	memcpy(a->sun_path, path, strlen(path) + 1);
	return KG_OK;
}

int kg_mux_listen(const char *path, int *fdp, const char **why)
{
	struct sockaddr_un a;
	*why = NULL;
	GUARD(fill_addr(&a, path));
	char tmp[sizeof(a.sun_path) + 32];
	char *dcopy = strdup(path);
	ENSURE(dcopy != NULL, KG_ERR_ALLOC);
	struct stat st;
	int sr = stat(dirname(dcopy), &st);
	free(dcopy);
	if (sr != 0) {
		*why = strerror(errno);
		return KG_ERR_CONFIG;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		*why = "directory is writable by others";
		return KG_ERR_CONFIG;
	}
	unsigned char rnd[16];
	ENSURE(RAND_bytes(rnd, sizeof(rnd)) == 1, KG_ERR_CRYPTO);
	static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char suf[17];
	for (size_t i = 0; i < 16; i++)
		suf[i] = al[rnd[i] % 62];
	suf[16] = '\0';
	snprintf(tmp, sizeof(tmp), "%s.%s", path, suf);
	struct sockaddr_un ta;
	GUARD(fill_addr(&ta, tmp));
	if (access(path, F_OK) == 0)
		return KG_ERR_AGAIN;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ENSURE(fd >= 0, KG_ERR_SYSTEM);
	mode_t old = umask(0177);
	int br = bind(fd, (struct sockaddr *)&ta, sizeof(ta));
	umask(old);
	if (br != 0 || listen(fd, 64) != 0) {
		int e = errno;
		close(fd);
		if (br == 0)
			unlink(tmp);
		errno = e;
		return e == EADDRINUSE ? KG_ERR_AGAIN : KG_ERR_SYSTEM;
	}
	/* The socket appears at path only once it listens; link fails
	 * rather than replace anything there. */
	if (link(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		close(fd);
		errno = e;
		return e == EEXIST ? KG_ERR_AGAIN : KG_ERR_SYSTEM;
	}
	unlink(tmp);
	*fdp = fd;
	return KG_OK;
}

int kg_mux_connect(const char *path, int *fdp)
{
	struct sockaddr_un a;
	GUARD(fill_addr(&a, path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ENSURE(fd >= 0, KG_ERR_SYSTEM);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		if (e == ENOENT)
			return KG_ERR_NOT_FOUND;
		return e == ECONNREFUSED ? KG_ERR_CLOSED : KG_ERR_SYSTEM;
	}
	*fdp = fd;
	return KG_OK;
}

int kg_mux_send_fd(int sock, int fd)
{
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	for (;;) {
		ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
		if (n == 1)
			return KG_OK;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			usleep(1000);
			continue;
		}
		return KG_ERR_SYSTEM;
	}
}

int kg_mux_recv(int sock, void *buf, size_t len, size_t *got, int *fds, size_t max, size_t *nfds)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(8 * sizeof(int))];
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? KG_ERR_AGAIN : KG_ERR_SYSTEM;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < max)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
	*got = (size_t)n;
	return KG_OK;
}

int kg_mux_peer_uid(int sock, uid_t *uid)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);
	ENSURE(getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cr, &l) == 0, KG_ERR_SYSTEM);
	*uid = cr.uid;
	return KG_OK;
}
