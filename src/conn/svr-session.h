/* Session channels on the server (RFC 4254 6), as engine consumers:
 * pty-req, env, exec, shell, subsystem, window-change and signal; the
 * process's output pumped into the channel within the peer's window,
 * channel data written to its stdin and granted back only once written;
 * exit-status (or exit-signal), EOF and CLOSE once the process has exited
 * and its output is drained.  (direct-tcpip is in svr-forward.c.) */
#ifndef KAGI_SVR_SESSION_H
#define KAGI_SVR_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "core/channel.h"
#include "config/authorized-keys.h"
#include "config/config-common.h"
#include "config/server-config.h"
#include "conn/conn.h"
#include "conn/svr-agent-fwd.h"
#include "conn/svr-login.h"
#include "sys/log.h"
#include "sys/session-proc.h"

typedef struct kg_svr_session kg_svr_session;

/* What the channels of one connection share, filled in by the connection
 * once the user is authenticated; the pointers must outlive the channels. */
typedef struct kg_svr_sessions {
	kg_engine *eng;
	kg_logger *log;
	const kg_server_config *cfg;
	const char *sftp_default;     /* Subsystem sftp when none is configured */
	const char *scp_program;      /* run for a client's "scp -t/-f" */
	int drop_privs;               /* the server runs as root */
	const kg_spawn_user *user;
	const kg_ak_opts *ak;         /* options of the key that authenticated; NULL */
	const char *peer_ip, *local_ip;
	int peer_port, local_port;
	/* Runs "internal-sftp ARGS" inside the session's child (after the
	 * chroot and the privilege drop; args is the text after the name),
	 * returning its exit status; NULL: the sftp_default program is run
	 * instead (which a chroot without it cannot). */
	int (*internal_sftp)(void *args);
	uint32_t nsessions;           /* open "session" channels (MaxSessions) */
	int no_more_sessions;         /* the client sent no-more-sessions@openssh.com */
	kg_svr_session *list;         /* every channel served here */
	kg_svr_agent_fwd *agent;      /* agentfwd: the forwarded agent's socket; NULL (freed by the connection) */
	kg_svr_login *login;          /* pamsess: PAM session and login records; NULL (owned by the connection) */
	/* When set, a pty session's records are written by them (the monitor,
	 * which keeps root) instead of through login. */
	void (*pty_started)(void *arg, pid_t pid, const char *tty, int greet, char *msg, size_t msgsz);
	void (*pty_ended)(void *arg, pid_t pid);
	int (*open_pty)(void *arg, int *master, int *slave, char *name, size_t namesz);  /* NULL: opened here */
	void *pty_arg;
	int chrooted;                 /* the process already is inside ChrootDirectory */
} kg_svr_sessions;

/* A "session" open request: confirms it (or refuses past MaxSessions). */
int kg_svr_session_open(kg_svr_sessions *ss, kg_channel *ch) KG_WUR;
/* A child exited: records it if it is one session's process (1), else 0. */
int kg_svr_sessions_reaped(kg_svr_sessions *ss, pid_t pid, int wstatus);

/* ChrootDirectory for user u (%h, %u expanded), checked now so that a
 * refusal is logged with sshd's words.  *out NULL: none. */
int kg_svr_chroot_dir(const kg_server_config *cfg, const kg_spawn_user *u, kg_logger *log, char **out) KG_WUR;

/* Whether the client may set environment variable name (AcceptEnv
 * patterns; name must be a valid variable name). */
int kg_svr_env_accepted(const kg_strlist *accept_env, const char *name, size_t len);
/* Fills info from a waitpid status. */
void kg_svr_exit_from_status(int wstatus, kg_exit_info *info);

#endif
