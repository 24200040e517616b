/* Agent sockets: Unix-domain connect, blocking calls, private directory,
 * listening and peer uid checks. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "sys/agent-sock.h"

#define AGENT_MAX_ANSWER (256u * 1024)

static int fill_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (!path || strlen(path) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return KG_ERR_ARG;
	}
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return KG_OK;
}

int kg_agent_sock_connect(const char *path, int *fd)
{
	struct sockaddr_un sa;
	GUARD(fill_addr(path, &sa));
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return KG_ERR_SYSTEM;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(s);
		errno = e;
		return KG_ERR_SYSTEM;
	}
	*fd = s;
	return KG_OK;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return errno == EPIPE ? KG_ERR_CLOSED : KG_ERR_SYSTEM;
		p += w;
		n -= (size_t)w;
	}
	return KG_OK;
}

static int read_all(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return KG_ERR_CLOSED;
		if (r < 0)
			return KG_ERR_SYSTEM;
		p += r;
		n -= (size_t)r;
	}
	return KG_OK;
}

int kg_agent_sock_call(int fd, const kg_buf *req, kg_buf *reply)
{
	uint8_t len[4], *dst;
	GUARD(write_all(fd, kg_buf_ptr(req), kg_buf_len(req)));
	GUARD(read_all(fd, len, 4));
	uint32_t n = kg_peek_u32(len);
	ENSURE(n > 0 && n <= AGENT_MAX_ANSWER, KG_ERR_TOO_LARGE);
	kg_buf_reset(reply);
	GUARD(kg_buf_reserve(reply, n, &dst));
	return read_all(fd, dst, n);
}

int kg_agent_sock_private_dir(const char *tmpdir, char **dir)
{
	if (!tmpdir || !*tmpdir)
		tmpdir = getenv("TMPDIR");
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	size_t n = strlen(tmpdir) + sizeof("/ssh-XXXXXXXXXX");
	char *d = malloc(n);
	ENSURE(d != NULL, KG_ERR_ALLOC);
	snprintf(d, n, "%s/ssh-XXXXXXXXXX", tmpdir);
	if (!mkdtemp(d)) {
		int e = errno;
		free(d);
		errno = e;
		return KG_ERR_SYSTEM;
	}
	*dir = d;
	return KG_OK;
}

int kg_agent_sock_listen(const char *path, int *fd)
{
	struct sockaddr_un sa;
	GUARD(fill_addr(path, &sa));
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return KG_ERR_SYSTEM;
	mode_t old = umask(0177);
	int r = bind(s, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(s, 128) < 0) {
		int e = errno;
		close(s);
		errno = e;
		return KG_ERR_SYSTEM;
	}
	*fd = s;
	return KG_OK;
}

int kg_agent_sock_accept(int lfd, int *fd, uid_t *peer_uid)
{
	int s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (s < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? KG_ERR_AGAIN : KG_ERR_SYSTEM;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		close(s);
		return KG_ERR_SYSTEM;
	}
	*peer_uid = cred.uid;
	*fd = s;
	return KG_OK;
}
