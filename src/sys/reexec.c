/* Re-exec per connection: the server's own executable, and the exec with the connection's descriptors on fixed numbers. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "sys/reexec.h"

int kg_reexec_self_path(char *out, size_t outsz, char *err, size_t errsz)
{
	ENSURE(out && outsz > 1 && err && errsz > 0, KG_ERR_ARG);
	err[0] = '\0';
	ssize_t n = readlink("/proc/self/exe", out, outsz - 1);
	if (n < 0) {
		snprintf(err, errsz, "cannot read /proc/self/exe: %s", strerror(errno));
		return KG_ERR_SYSTEM;
	}
	if ((size_t)n >= outsz - 1) {
		snprintf(err, errsz, "path of /proc/self/exe too long");
		return KG_ERR_TOO_LARGE;
	}
	out[n] = '\0';
	static const char deleted[] = " (deleted)";
	size_t dl = sizeof(deleted) - 1;
	if (out[0] != '/') {
		snprintf(err, errsz, "executable path \"%s\" is not absolute", out);
		return KG_ERR_SYSTEM;
	}
	if ((size_t)n > dl && strcmp(out + n - dl, deleted) == 0) {
		snprintf(err, errsz, "executable %s has been removed", out);
		return KG_ERR_NOT_FOUND;
	}
	if (access(out, X_OK) != 0) {
		snprintf(err, errsz, "executable %s: %s", out, strerror(errno));
		return KG_ERR_NOT_FOUND;
	}
	return KG_OK;
}

/* Every descriptor from first up close-on-exec. */
static void cloexec_from(int first)
{
	if (close_range((unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = first; fd < max; fd++) {
		int fl = fcntl(fd, F_GETFD);
		if (fl >= 0 && !(fl & FD_CLOEXEC))
			(void)!fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	}
}

int kg_reexec_exec(const char *path, char *const argv[], int sock, int notify, const void *state,
		   size_t state_len)
{
	if (!path || !argv || sock < 0 || state_len > KG_REEXEC_STATE_MAX || (state_len && !state)) {
		errno = EINVAL;
		return KG_ERR_ARG;
	}
	int sp[2];
	if (pipe2(sp, O_CLOEXEC) != 0)
		return KG_ERR_SYSTEM;
	/* Far below the pipe's capacity: never blocks. */
	if (state_len && write(sp[1], state, state_len) != (ssize_t)state_len)
		return KG_ERR_SYSTEM;
	close(sp[1]);
	/* Out of the way first: any may sit on another's number. */
	int s = fcntl(sock, F_DUPFD_CLOEXEC, 10);
	int n = notify >= 0 ? fcntl(notify, F_DUPFD_CLOEXEC, 10) : -1;
	int st = fcntl(sp[0], F_DUPFD_CLOEXEC, 10);
	if (s < 0 || (notify >= 0 && n < 0) || st < 0 || dup2(st, KG_REEXEC_STATE_FD) < 0)
		return KG_ERR_SYSTEM;
	/* dup2 leaves the new numbers open across exec. */
	if (dup2(s, KG_REEXEC_SOCK_FD) < 0)
		return KG_ERR_SYSTEM;
	if (n >= 0) {
		if (dup2(n, KG_REEXEC_NOTIFY_FD) < 0)
			return KG_ERR_SYSTEM;
	} else {
		close(KG_REEXEC_NOTIFY_FD);
	}
	cloexec_from(KG_REEXEC_STATE_FD + 1);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(path, argv);
	int e = errno;
	close(KG_REEXEC_SOCK_FD);
	if (n >= 0)
		close(KG_REEXEC_NOTIFY_FD);
	close(KG_REEXEC_STATE_FD);
	errno = e;
	return KG_ERR_SYSTEM;
}

int kg_reexec_take_fds(int *sock, int *notify)
{
	struct stat st;
	ENSURE(sock && notify, KG_ERR_ARG);
	*sock = *notify = -1;
	ENSURE(fstat(KG_REEXEC_SOCK_FD, &st) == 0 && S_ISSOCK(st.st_mode), KG_ERR_ARG);
	ENSURE(fcntl(KG_REEXEC_SOCK_FD, F_SETFD, FD_CLOEXEC) == 0, KG_ERR_SYSTEM);
	*sock = KG_REEXEC_SOCK_FD;
	if (fstat(KG_REEXEC_NOTIFY_FD, &st) == 0 && S_ISFIFO(st.st_mode)) {
		ENSURE(fcntl(KG_REEXEC_NOTIFY_FD, F_SETFD, FD_CLOEXEC) == 0, KG_ERR_SYSTEM);
		*notify = KG_REEXEC_NOTIFY_FD;
	}
	return KG_OK;
}

int kg_reexec_take_state(void *buf, size_t len)
{
	struct stat st;
	ENSURE(buf || !len, KG_ERR_ARG);
	ENSURE(fstat(KG_REEXEC_STATE_FD, &st) == 0 && S_ISFIFO(st.st_mode), KG_ERR_ARG);
	size_t got = 0;
	int r = KG_OK;
	while (got < len) {
		ssize_t k = read(KG_REEXEC_STATE_FD, (char *)buf + got, len - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = KG_ERR_INCOMPLETE;
			break;
		}
		got += (size_t)k;
	}
	close(KG_REEXEC_STATE_FD);
	return r;
}
