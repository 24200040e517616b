/* Pseudo-terminals: posix_openpt, the slave opened without becoming a controlling terminal, its owner set for the user. */
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "sys/pty.h"

int kg_pty_open(int *master, int *slave, char *name, size_t namesz)
{
	*master = *slave = -1;
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	ENSURE(m >= 0, KG_ERR_SYSTEM);
	/* O_NOCTTY: the server must not adopt the pty as its own terminal. */
	int s = -1;
	if (grantpt(m) != 0 || unlockpt(m) != 0 || ptsname_r(m, name, namesz) != 0 ||
	    (s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		close(m);
		return KG_ERR_SYSTEM;
	}
	*master = m;
	*slave = s;
	return KG_OK;
}

void kg_pty_set_owner(int slave, uid_t uid, gid_t gid)
{
	struct group gr, *found = NULL;
	char buf[4096];
	mode_t mode = 0600;
	if (getgrnam_r("tty", &gr, buf, sizeof(buf), &found) == 0 && found != NULL) {
		gid = gr.gr_gid;
		mode = 0620;
	}
	if (fchown(slave, uid, gid) != 0 || fchmod(slave, mode) != 0) {
		/* The pty keeps its owner; the session still works. */
	}
}
