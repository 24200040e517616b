/* Login accounting on the machine: utmpx, wtmp and lastlog records of a pty session, and the nologin file. */
#ifndef KAGI_SYS_LOGIN_RECORD_H
#define KAGI_SYS_LOGIN_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include "core/safety.h"

#define KG_LOGIN_PATH_MAX 256

/* Where the records live: the system's files, or (tests) files under one
 * directory: DIR/utmp, DIR/wtmp, DIR/lastlog, DIR/nologin. */
typedef struct kg_login_paths {
	char utmp[KG_LOGIN_PATH_MAX];
	char wtmp[KG_LOGIN_PATH_MAX];
	char lastlog[KG_LOGIN_PATH_MAX];
	char nologin[KG_LOGIN_PATH_MAX];
} kg_login_paths;

/* dir NULL or "": the system paths (_PATH_UTMPX, _PATH_WTMPX,
 * /var/log/lastlog, /etc/nologin).  KG_ERR_ARG for a dir too long. */
int kg_login_paths_init(kg_login_paths *p, const char *dir) KG_WUR;

/* One pty session's record. */
typedef struct kg_login_entry {
	const char *user;
	uid_t uid;
	const char *tty;      /* "/dev/pts/N" or "pts/N" */
	const char *host;     /* client address; "" none */
	pid_t pid;            /* the session's process */
} kg_login_entry;

/* Login: a USER_PROCESS entry in utmp, the same appended to wtmp, and
 * the user's lastlog slot updated.  Each file that cannot be written is
 * skipped (the return says which failed: bit 1 utmp, 2 wtmp, 4 lastlog;
 * 0 all written). */
int kg_login_record_login(const kg_login_paths *p, const kg_login_entry *e);
/* Logout: the utmp entry of the tty becomes DEAD_PROCESS and a logout
 * entry is appended to wtmp (bits 1 and 2 as above). */
int kg_login_record_logout(const kg_login_paths *p, const kg_login_entry *e);

/* The user's previous login from lastlog: *when 0 if there was none.
 * host gets the recorded host ("" none). */
int kg_lastlog_get(const kg_login_paths *p, uid_t uid, time_t *when, char *host, size_t hostsz) KG_WUR;
/* "Last login: Fri Dec  4 19:42:00 2026 from HOST\r\n" as sshd prints it
 * (no " from" part without a host); "" when when is 0. */
void kg_lastlog_message(time_t when, const char *host, char *out, size_t outsz);

/* The nologin file's text for a login by uid (root is never refused):
 * KG_OK with *text (malloc'd, possibly empty) when the file exists,
 * KG_ERR_NOT_FOUND when it does not (or uid is 0). */
int kg_nologin_text(const kg_login_paths *p, uid_t uid, char **text, size_t *len) KG_WUR;

#endif
