/* Server side: starting the process behind a session channel (a login
 * shell or "shell -c command"), with a pty or with pipes, as the
 * authenticated user, plus window changes, signals and exit status.
 *
 * All preparation (user's groups, argv, environment, pty) happens in the
 * parent; the child only moves fds, drops privileges, changes directory
 * and execs.  kagi processes are single-threaded, so the child may
 * format its error messages with snprintf. */
#ifndef KAGI_SYS_SESSION_PROC_H
#define KAGI_SYS_SESSION_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "core/safety.h"

typedef struct kg_spawn_user {
	char *name;
	uid_t uid;
	gid_t gid;
	char *home;
	char *shell;   /* empty in passwd means /bin/sh */
} kg_spawn_user;

/* Fills u from the password database (getpwnam_r).  KG_ERR_NOT_FOUND for
 * an unknown user.  Free with kg_spawn_user_free. */
int kg_spawn_user_lookup(const char *name, kg_spawn_user *u) KG_WUR;
void kg_spawn_user_free(kg_spawn_user *u);

typedef struct kg_spawn_req {
	const kg_spawn_user *user;
	/* When running as root: become user (setgid, supplementary groups,
	 * setuid, then check root cannot be regained).  Without it, or when
	 * not root, user->uid must be the current effective uid. */
	int drop_privs;
	const char *command;          /* NULL: login shell ("-sh" style argv[0]) */
	int want_pty;
	const char *term;             /* TERM from pty-req (pty only) */
	uint32_t cols, rows, px, py;  /* window size from pty-req */
	const uint8_t *modes;         /* encoded terminal modes from pty-req */
	size_t modes_len;
	/* "NAME=value" strings the client sent and the server accepted
	 * (AcceptEnv).  Invalid names, SSH_* and USER, LOGNAME, HOME, SHELL,
	 * MAIL are never taken from the client. */
	const char *const *env;
	size_t n_env;
	/* "NAME=value" strings the server itself sets (e.g. SSH_AUTH_SOCK);
	 * applied last, may override anything. */
	const char *const *server_env;
	size_t n_server_env;
	const char *client_ip;
	int client_port;
	const char *server_ip;
	int server_port;
	const char *path;             /* PATH; NULL: the usual default */
	const char *original_command; /* SSH_ORIGINAL_COMMAND (forced commands) */
	/* ChrootDirectory: checked (sys/chroot-check.h) and entered in the
	 * child after the groups are set and before the uid is dropped; the
	 * home directory is then looked for inside it.  NULL: none. */
	const char *chroot_dir;
	/* When set, the child calls run(run_arg) instead of exec'ing the
	 * shell (after the privilege drop and chdir) and exits with what it
	 * returns: internal-sftp, which needs no binary inside a chroot. */
	int (*run)(void *run_arg);
	void *run_arg;
	/* ~/.ssh/rc: when this file exists (looked for in the child, as the
	 * user, in the home directory), it is run first as sshd runs it,
	 * "$SHELL -c '/bin/sh FILE'" with the session's environment, stdout
	 * and stderr, nothing on stdin, and waited for.  NULL: none. */
	const char *user_rc;
	/* pamsess: the login is refused (nologin): the child writes this
	 * text to the session's stderr (or pty) and exits 254, running
	 * nothing of the user's.  NULL: none. */
	const char *refuse_msg;
	/* When set, the pty pair comes from here (the monitor, which keeps
	 * root) instead of being opened by this process. */
	int (*open_pty)(void *arg, int *master, int *slave, char *name, size_t namesz);
	void *open_pty_arg;
} kg_spawn_req;

#define KG_TTY_NAME_MAX 64

typedef struct kg_spawn_result {
	pid_t pid;
	int ptyfd;     /* pty: master, for both directions; else -1 */
	int infd;      /* pipes: write end of the child's stdin; else -1 */
	int outfd;     /* pipes: read end of the child's stdout; else -1 */
	int errfd;     /* pipes: read end of the child's stderr; else -1 */
	char tty_name[KG_TTY_NAME_MAX];  /* "/dev/pts/N" with a pty, else "" */
} kg_spawn_result;

/* Starts the session process.  The returned fds are non-blocking and
 * close-on-exec.  A child that cannot exec writes the reason to its
 * stderr and exits 127; failing to drop privileges exits 1.
 * Errors before the fork: KG_ERR_ARG (bad request, e.g. another user
 * without privilege drop), KG_ERR_SYSTEM, KG_ERR_ALLOC. */
int kg_session_spawn(const kg_spawn_req *req, kg_spawn_result *res) KG_WUR;
/* Closes every fd in res that is still open (sets them to -1). */
void kg_spawn_result_close(kg_spawn_result *res);

/* window-change: sets the pty size. */
int kg_session_resize(int ptyfd, uint32_t cols, uint32_t rows, uint32_t px, uint32_t py) KG_WUR;

/* Sends the signal named as in RFC 4254 6.9 ("TERM", "INT"...) to pid.
 * KG_ERR_NOT_FOUND for an unknown name. */
int kg_session_signal(pid_t pid, const char *name) KG_WUR;
/* Signal number for an RFC 4254 name (no "SIG" prefix), or KG_ERR_NOT_FOUND. */
int kg_signal_from_name(const char *name) KG_WUR;
/* RFC 4254 6.10 name without "SIG" for exit-signal; "SIG@openssh.com"
 * for a signal the RFC has no name for (what OpenSSH sends). */
const char *kg_signal_name(int sig);

typedef struct kg_exit_info {
	int exited;       /* 1: normal exit, status in exit_status */
	int exit_status;
	int signaled;     /* 1: killed by exit_signal */
	int exit_signal;
	int core_dumped;
} kg_exit_info;

/* Reaps pid.  With nohang, KG_ERR_AGAIN if it is still running.
 * KG_ERR_SYSTEM (errno ECHILD) if it is not our child. */
int kg_session_wait(pid_t pid, int nohang, kg_exit_info *info) KG_WUR;

#endif
