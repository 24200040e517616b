/* ChrootDirectory path checks, worded as sshd's safely_chroot. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "sys/chroot-check.h"

#define MAX_PATH 4096

int kg_chroot_check(const char *path, char *msg, size_t msgsz)
{
	char comp[MAX_PATH];
	if (path[0] != '/') {
		snprintf(msg, msgsz, "chroot path does not begin at root");
		return KG_ERR_CONFIG;
	}
	if (strlen(path) >= sizeof(comp)) {
		snprintf(msg, msgsz, "chroot path too long");
		return KG_ERR_CONFIG;
	}
	/* "/", "/a/", "/a/b/", ..., then the whole path. */
	for (const char *cp = path; cp != NULL;) {
		cp = strchr(cp, '/');
		if (cp == NULL) {
			snprintf(comp, sizeof(comp), "%s", path);
		} else {
			cp++;
			memcpy(comp, path, (size_t)(cp - path));
			comp[cp - path] = '\0';
		}
		const char *what = cp == NULL ? "" : "component ";
		struct stat st;
		if (stat(comp, &st) != 0) {
			snprintf(msg, msgsz, "safely_chroot: stat(\"%s\"): %s", comp, strerror(errno));
			return KG_ERR_CONFIG;
		}
		if (st.st_uid != 0 || (st.st_mode & 022) != 0) {
			snprintf(msg, msgsz, "bad ownership or modes for chroot directory %s\"%s\"", what, comp);
			return KG_ERR_CONFIG;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(msg, msgsz, "chroot path %s\"%s\" is not a directory", what, comp);
			return KG_ERR_CONFIG;
		}
		if (cp && *cp == '\0')
			break;  /* a trailing '/': the whole path was the last component */
	}
	return KG_OK;
}
