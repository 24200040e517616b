/* Going to the background: fork, setsid, stdio on /dev/null (see daemon.h). */
#include "sys/daemon.h"

#include <fcntl.h>
#include <unistd.h>

int kg_daemonise(int keep_stderr, pid_t *child)
{
	ENSURE(child != NULL, KG_ERR_ARG);
	pid_t pid = fork();
	ENSURE(pid >= 0, KG_ERR_SYSTEM);
	*child = pid;
	if (pid > 0)
		return KG_OK;
	/* Cannot fail in a fresh child: it is no process group leader. */
	(void)setsid();
	int fd = open("/dev/null", O_RDWR);
	ENSURE(fd >= 0, KG_ERR_SYSTEM);
	int r = KG_OK;
	if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
	    (!keep_stderr && dup2(fd, STDERR_FILENO) < 0))
		r = KG_ERR_SYSTEM;
	if (fd > STDERR_FILENO)
		close(fd);
	return r;
}
