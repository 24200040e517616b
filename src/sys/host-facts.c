/* The local machine's answers for the client configuration: host name, interface addresses, shell commands, name lookups. */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "sys/host-facts.h"

int kg_sys_local_hostname(char *buf, size_t n)
{
	ENSURE(buf != NULL && n > 1, KG_ERR_ARG);
	ENSURE(gethostname(buf, n - 1) == 0, KG_ERR_SYSTEM);
	buf[n - 1] = '\0';
	return KG_OK;
}

int kg_sys_shell_status(const char *cmd, int *status)
{
	ENSURE(cmd != NULL && status != NULL, KG_ERR_ARG);
	pid_t pid = fork();
	ENSURE(pid >= 0, KG_ERR_SYSTEM);
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		if (fd < 0 || dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0)
			_exit(127);
		if (fd > STDERR_FILENO)
			close(fd);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	pid_t w;
	while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	ENSURE(w == pid, KG_ERR_SYSTEM);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
	return KG_OK;
}

void kg_sys_addrs_free(char **addrs, size_t n)
{
	for (size_t i = 0; addrs && i < n; i++)
		free(addrs[i]);
	free(addrs);
}

int kg_sys_if_addrs(char ***addrs, size_t *n)
{
	ENSURE(addrs != NULL && n != NULL, KG_ERR_ARG);
	*addrs = NULL;
	*n = 0;
	struct ifaddrs *ifa = NULL;
	ENSURE(getifaddrs(&ifa) == 0, KG_ERR_SYSTEM);
	size_t cap = 0, cnt = 0;
	char **v = NULL;
	int r = KG_OK;
	for (struct ifaddrs *p = ifa; p && r == KG_OK; p = p->ifa_next) {
		if (!p->ifa_addr || !(p->ifa_flags & IFF_UP))
			continue;
		char txt[INET6_ADDRSTRLEN];
		const void *a;
		if (p->ifa_addr->sa_family == AF_INET)
			a = &((const struct sockaddr_in *)(const void *)p->ifa_addr)->sin_addr;
		else if (p->ifa_addr->sa_family == AF_INET6)
			a = &((const struct sockaddr_in6 *)(const void *)p->ifa_addr)->sin6_addr;
		else
			continue;
		if (!inet_ntop(p->ifa_addr->sa_family, a, txt, sizeof(txt)))
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 8;
			char **nv = realloc(v, nc * sizeof(*nv));
			if (!nv) {
				r = KG_ERR_ALLOC;
				break;
			}
			v = nv;
			cap = nc;
		}
		if (!(v[cnt] = strdup(txt)))
			r = KG_ERR_ALLOC;
		else
			cnt++;
	}
	freeifaddrs(ifa);
	if (r < 0) {
		kg_sys_addrs_free(v, cnt);
		return r;
	}
	*addrs = v;
	*n = cnt;
	return KG_OK;
}

int kg_sys_resolve_canon(const char *name, int family, char **canon)
{
	ENSURE(name != NULL && canon != NULL, KG_ERR_ARG);
	*canon = NULL;
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_CANONNAME;
	int g = getaddrinfo(name, NULL, &hints, &res);
	if (g == EAI_MEMORY)
		return KG_ERR_ALLOC;
	if (g != 0)
		return 0;  /* not found, or the resolver failed: not resolvable */
	const char *cn = res && res->ai_canonname && *res->ai_canonname ? res->ai_canonname : name;
	*canon = strdup(cn);
	freeaddrinfo(res);
	ENSURE(*canon != NULL, KG_ERR_ALLOC);
	return 1;
}
