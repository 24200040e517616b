/* Re-exec per connection: the server's own executable, and the exec with the connection's descriptors on fixed numbers. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* fd moved to a number of 10 or more, close-on-exec; -1 stays -1. */
static int high(int fd)
{
	return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

/* dup2 leaves the new number open across exec; -1 closes it. */
static int place(int fd, int target)
{
	if (fd < 0) {
		close(target);
		return 0;
	}
	return dup2(fd, target) < 0 ? -1 : 0;
}

int kg_reexec_exec(const char *path, char *const argv[], const kg_reexec_io *io)
{
	if (!path || !argv || !io || io->sock < 0 || io->state_len > KG_REEXEC_STATE_MAX ||
	    (io->state_len && !io->state)) {
		errno = EINVAL;
		return KG_ERR_ARG;
	}
	int sp[2];
	if (pipe2(sp, O_CLOEXEC) != 0)
		return KG_ERR_SYSTEM;
	/* Far below the pipe's capacity: never blocks. */
	if (io->state_len && write(sp[1], io->state, io->state_len) != (ssize_t)io->state_len)
		return KG_ERR_SYSTEM;
	close(sp[1]);
	/* Out of the way first: any may sit on another's number. */
	int s = high(io->sock), n = high(io->notify), c = high(io->config), st = high(sp[0]);
	if (s < 0 || (io->notify >= 0 && n < 0) || (io->config >= 0 && c < 0) || st < 0)
		return KG_ERR_SYSTEM;
	if (place(s, KG_REEXEC_SOCK_FD) < 0 || place(n, KG_REEXEC_NOTIFY_FD) < 0 ||
	    place(st, KG_REEXEC_STATE_FD) < 0 || place(c, KG_REEXEC_CONFIG_FD) < 0)
		return KG_ERR_SYSTEM;
	cloexec_from(KG_REEXEC_CONFIG_FD + 1);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(path, argv);
	int e = errno;
	for (int fd = KG_REEXEC_SOCK_FD; fd <= KG_REEXEC_CONFIG_FD; fd++)
		close(fd);
	errno = e;
	return KG_ERR_SYSTEM;
}

int kg_reexec_memfd(const char *name, const void *data, size_t len, int *fd)
{
	ENSURE(name && fd && (data || !len), KG_ERR_ARG);
	*fd = -1;
	int m = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ENSURE(m >= 0, KG_ERR_SYSTEM);
	size_t off = 0;
	while (off < len) {
		ssize_t k = write(m, (const char *)data + off, len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			close(m);
			return KG_ERR_SYSTEM;
		}
		off += (size_t)k;
	}
	if (lseek(m, 0, SEEK_SET) != 0 ||
	    fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
		close(m);
		return KG_ERR_SYSTEM;
	}
	*fd = m;
	return KG_OK;
}

int kg_reexec_take_config(char **text, size_t *len)
{
	struct stat st;
	ENSURE(text && len, KG_ERR_ARG);
	*text = NULL;
	*len = 0;
	if (fstat(KG_REEXEC_CONFIG_FD, &st) != 0)
		return KG_ERR_NOT_FOUND;
	int r = KG_OK;
	char *t = NULL;
	if (!S_ISREG(st.st_mode) || st.st_size < 0 || st.st_size > (1 << 24)) {
		r = KG_ERR_FORMAT;
		goto out;
	}
	size_t n = (size_t)st.st_size, got = 0;
	t = malloc(n + 1);
	if (!t) {
		r = KG_ERR_ALLOC;
		goto out;
	}
	/* pread: the offset is shared with the listener and every sibling. */
	while (got < n) {
		ssize_t k = pread(KG_REEXEC_CONFIG_FD, t + got, n - got, (off_t)got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = KG_ERR_INCOMPLETE;
			goto out;
		}
		got += (size_t)k;
	}
	t[n] = '\0';
	*text = t;
	*len = n;
	t = NULL;
out:
	free(t);
	close(KG_REEXEC_CONFIG_FD);
	return r;
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
