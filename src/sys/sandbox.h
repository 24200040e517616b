/* The pre-authentication child's sandbox: the privilege separation user,
 * its empty chroot directory, and kg_sandbox_enter (chroot, ids, limits,
 * no_new_privs, a seccomp allow-list) after which only a poll loop with
 * OpenSSL can run. */
#ifndef KAGI_SYS_SANDBOX_H
#define KAGI_SYS_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>
#include "core/safety.h"

/* The user ksshd's unprivileged children run as (Debian's openssh-server
 * creates it) and the empty directory they are chrooted to. */
#define KG_PRIVSEP_USER "sshd"
#define KG_PRIVSEP_DIR "/run/ksshd"

typedef struct kg_sandbox_cfg {
	/* Directory to chroot to (then chdir "/"), or NULL for none.  It must
	 * have passed kg_sandbox_dir; chroot needs root. */
	const char *chroot_dir;
	/* Nonzero: keep the current uid and gid (a ksshd not started as root);
	 * real, effective and saved ids are all set to the effective ones so
	 * none other can be taken back.  Refused when running as root. */
	int keep_ids;
	uid_t uid;  /* with keep_ids == 0: the ids to take (groups dropped) */
	gid_t gid;
	/* RLIMIT_NOFILE to set, soft and hard, when > 0: no descriptor can be
	 * created (or received) at or above it, and poll() refuses more than
	 * this many entries, so give at least the number of descriptors the
	 * loop polls.  0 leaves the limit as it is. */
	int nofile;
	/* Nonzero: leave RLIMIT_FSIZE as it is.  With the default (0) the
	 * limit is 0 and a write to a regular file (a stderr redirected to a
	 * log file, as ksshd -e in the tests) kills the process with SIGXFSZ;
	 * set this only while such a descriptor must stay writable. */
	int keep_fsize;
} kg_sandbox_cfg;

/* Looks up the privilege separation user: KG_OK with its uid and primary
 * gid; KG_ERR_NOT_FOUND with "Privilege separation user NAME does not
 * exist" in err; KG_ERR_CONFIG when it is root. */
int kg_privsep_user(const char *name, uid_t *uid, gid_t *gid, char *err, size_t errlen) KG_WUR;

/* Ensures path is an empty directory usable as the chroot: created 0755
 * and root-owned when missing (its parent must exist), refused (KG_ERR_CONFIG
 * with the reason in err) when it or a component above it is not owned by
 * root or is writable by group or others, is not a directory, or is not
 * empty. */
int kg_sandbox_dir(const char *path, char *err, size_t errlen) KG_WUR;

/* Enters the sandbox, in this order: chroot + chdir("/"); setgroups(0),
 * setresgid, setresuid (or keep_ids) and a check that uid/gid 0 cannot be
 * taken back; RLIMIT_FSIZE 0 (unless keep_fsize), RLIMIT_NPROC 0,
 * RLIMIT_NOFILE (cfg->nofile); PR_SET_NO_NEW_PRIVS; PR_SET_DUMPABLE 0; a
 * seccomp filter (on every thread) whose default kills the process.
 * Allowed: read write readv writev recvfrom recvmsg sendto sendmsg poll
 * ppoll close shutdown exit exit_group restart_syscall brk munmap mremap
 * madvise, mmap and mprotect without PROT_EXEC, clock_gettime
 * gettimeofday time clock_nanosleep nanosleep getrandom getpid gettid
 * getuid geteuid getgid getegid rt_sigprocmask rt_sigreturn rt_sigaction
 * futex fstat, newfstatat on a descriptor only (AT_EMPTY_PATH), fcntl
 * F_GETFL/F_SETFL/F_GETFD/F_SETFD, prctl PR_GET_SECCOMP/_NO_NEW_PRIVS/
 * _DUMPABLE.  open, openat, openat2, socket, connect fail with EACCES
 * (libc tries them: time zone files, syslog reconnecting); the set*id
 * and setgroups calls fail with EPERM.  In ASan builds also sigaltstack
 * and sched_yield, readlink/pipe refused and ioctl TCGETS ENOTTY (the
 * sanitizer's own calls), and the leak checker is off in the sandbox.
 * Call it after everything the process needs is open and its libraries
 * initialised (OpenSSL used once, syslog opened with LOG_NDELAY, time
 * zone loaded).  KG_OK, or an error with the failed step in err; on an
 * error the process is half-sandboxed and must exit. */
int kg_sandbox_enter(const kg_sandbox_cfg *c, char *err, size_t errlen) KG_WUR;

/* Test hook: makes the forbidden call named by what ("execve", the
 * default for NULL or "", "ptrace", "mmap-exec": an executable mapping,
 * "open" and "socket": refused with EACCES rather than killed).  In the
 * sandbox the first three kill the process with SIGSYS.  Outside it
 * (or for "open"/"socket") it returns KG_ERR_SYSTEM with errno set, or
 * KG_OK when the call succeeded; KG_ERR_ARG for an unknown name.  None
 * of them has an effect when it is allowed. */
int kg_sandbox_probe(const char *what) KG_WUR;

#endif
