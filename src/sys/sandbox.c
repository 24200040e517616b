/* The pre-authentication sandbox: privilege separation user lookup, the
 * chroot directory's checks, and entering chroot + ids + limits + seccomp. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sys/chroot-check.h"
#include "sys/sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define KG_SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KG_SANDBOX_ASAN 1
#endif
#endif

int kg_privsep_user(const char *name, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	if (name == NULL || *name == '\0' || uid == NULL || gid == NULL) {
		snprintf(err, errlen, "Privilege separation user not given");
		return KG_ERR_ARG;
	}
	errno = 0;
	struct passwd *pw = getpwnam(name);
	if (pw == NULL) {
		snprintf(err, errlen, "Privilege separation user %s does not exist", name);
		return KG_ERR_NOT_FOUND;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "Privilege separation user %s has uid 0", name);
		return KG_ERR_CONFIG;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return KG_OK;
}

/* KG_OK when path holds no entry but "." and "..". */
static int dir_empty(const char *path, char *err, size_t errlen)
{
	DIR *d = opendir(path);
	if (d == NULL) {
		snprintf(err, errlen, "opendir %s: %s", path, strerror(errno));
		return KG_ERR_SYSTEM;
	}
	int rc = KG_OK;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			snprintf(err, errlen, "chroot directory %s is not empty (holds \"%s\")", path, e->d_name);
			rc = KG_ERR_CONFIG;
			break;
		}
	}
	closedir(d);
	return rc;
}

int kg_sandbox_dir(const char *path, char *err, size_t errlen)
{
	if (path == NULL || path[0] != '/') {
		snprintf(err, errlen, "chroot directory must be an absolute path");
		return KG_ERR_ARG;
	}
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "stat %s: %s", path, strerror(errno));
			return KG_ERR_SYSTEM;
		}
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "mkdir %s: %s", path, strerror(errno));
			return KG_ERR_SYSTEM;
		}
		/* The umask may have taken bits; a non-root creator is caught
		 * by the ownership check below. */
		if (lstat(path, &st) != 0 || (S_ISDIR(st.st_mode) && chmod(path, 0755) != 0)) {
			snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
			return KG_ERR_SYSTEM;
		}
		if (lstat(path, &st) != 0) {
			snprintf(err, errlen, "stat %s: %s", path, strerror(errno));
			return KG_ERR_SYSTEM;
		}
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "chroot directory %s is not a directory", path);
		return KG_ERR_CONFIG;
	}
	GUARD(kg_chroot_check(path, err, errlen));
	return dir_empty(path, err, errlen);
}

/* Takes uid/gid for good (or pins the current ones) and checks that
 * neither 0 nor the previous ids can be taken back. */
static int drop_ids(const kg_sandbox_cfg *c, char *err, size_t errlen)
{
	uid_t uid = c->uid;
	gid_t gid = c->gid;
	if (c->keep_ids) {
		if (geteuid() == 0) {
			snprintf(err, errlen, "sandbox: keeping the ids of root is no sandbox");
			return KG_ERR_ARG;
		}
		uid = geteuid();
		gid = getegid();
	} else {
		if (uid == 0) {
			snprintf(err, errlen, "sandbox: refusing to run as uid 0");
			return KG_ERR_ARG;
		}
		if (setgroups(0, NULL) != 0) {
			snprintf(err, errlen, "setgroups: %s", strerror(errno));
			return KG_ERR_SYSTEM;
		}
	}
	if (setresgid(gid, gid, gid) != 0) {
		snprintf(err, errlen, "setresgid %u: %s", (unsigned)gid, strerror(errno));
		return KG_ERR_SYSTEM;
	}
	if (setresuid(uid, uid, uid) != 0) {
		snprintf(err, errlen, "setresuid %u: %s", (unsigned)uid, strerror(errno));
		return KG_ERR_SYSTEM;
	}
	uid_t r, e, s;
	gid_t rg, eg, sg;
	if (getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0 || r != uid || e != uid ||
	    s != uid || rg != gid || eg != gid || sg != gid) {
		snprintf(err, errlen, "sandbox: ids did not change to %u/%u", (unsigned)uid, (unsigned)gid);
		return KG_ERR_SYSTEM;
	}
	if (setuid(0) != -1 || seteuid(0) != -1 || (gid != 0 && (setgid(0) != -1 || setegid(0) != -1))) {
		snprintf(err, errlen, "sandbox: root could be regained after dropping privileges");
		return KG_ERR_SYSTEM;
	}
	return KG_OK;
}

static int set_limit(int res, rlim_t v, const char *name, char *err, size_t errlen)
{
	struct rlimit rl = { v, v };
	if (setrlimit(res, &rl) != 0) {
		snprintf(err, errlen, "setrlimit %s: %s", name, strerror(errno));
		return KG_ERR_SYSTEM;
	}
	return KG_OK;
}

/* Calls allowed with any arguments. */
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(close), SCMP_SYS(shutdown),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(restart_syscall),
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(getrandom),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigaction), SCMP_SYS(futex), SCMP_SYS(fstat),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
#ifdef KG_SANDBOX_ASAN
	/* What the address sanitizer's runtime calls on its own. */
	SCMP_SYS(sigaltstack), SCMP_SYS(sched_yield),
#endif
};

/* Calls libc may make on its own (time zone files, syslog reconnecting):
 * refused with EACCES instead of killing the process. */
static const int refused[] = {
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(socket), SCMP_SYS(connect),
#ifdef __NR_openat2
	SCMP_SYS(openat2),
#endif
#ifdef KG_SANDBOX_ASAN
	/* The sanitizers' error reports look for the program's path and
	 * probe memory through a pipe. */
	SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(pipe), SCMP_SYS(pipe2),
#endif
};

/* Changing ids: EPERM (the kernel would refuse them anyway: no
 * capability is left). */
static const int id_calls[] = {
	SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setreuid), SCMP_SYS(setregid),
	SCMP_SYS(setresuid), SCMP_SYS(setresgid), SCMP_SYS(setgroups), SCMP_SYS(setfsuid),
	SCMP_SYS(setfsgid),
};

/* One argument comparison (the header's SCMP_An macros leave a field to
 * the compiler's zeroing, which clang's warnings refuse). */
static struct scmp_arg_cmp arg_is(unsigned arg, enum scmp_compare op, scmp_datum_t a, scmp_datum_t b)
{
	struct scmp_arg_cmp c = { .arg = arg, .op = op, .datum_a = a, .datum_b = b };
	return c;
}

static int build_filter(scmp_filter_ctx f)
{
	int rc = 0;
	for (size_t i = 0; i < KG_ARRAY_LEN(allowed) && rc == 0; i++)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, allowed[i], 0);
	for (size_t i = 0; i < KG_ARRAY_LEN(refused) && rc == 0; i++)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EACCES), refused[i], 0);
	for (size_t i = 0; i < KG_ARRAY_LEN(id_calls) && rc == 0; i++)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), id_calls[i], 0);
	/* Memory, but never executable. */
	if (rc == 0)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				      arg_is(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (rc == 0)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				      arg_is(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* fstat(2) as glibc makes it: newfstatat(fd, "", st, AT_EMPTY_PATH). */
	if (rc == 0)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
				      arg_is(3, SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH));
	static const int fcntl_ops[] = { F_GETFL, F_SETFL, F_GETFD, F_SETFD };
	for (size_t i = 0; i < KG_ARRAY_LEN(fcntl_ops) && rc == 0; i++)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
				      arg_is(1, SCMP_CMP_EQ, (scmp_datum_t)fcntl_ops[i], 0));
	/* Read-only questions (the sanitizer hook below asks them). */
	static const int prctl_ops[] = { PR_GET_SECCOMP, PR_GET_NO_NEW_PRIVS, PR_GET_DUMPABLE };
	for (size_t i = 0; i < KG_ARRAY_LEN(prctl_ops) && rc == 0; i++)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				      arg_is(0, SCMP_CMP_EQ, (scmp_datum_t)prctl_ops[i], 0));
#ifdef KG_SANDBOX_ASAN
	/* The sanitizer's report asks whether stderr is a terminal. */
	if (rc == 0)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 1,
				      arg_is(1, SCMP_CMP_EQ, TCGETS, 0));
#endif
	/* Every thread, should there be more than one. */
	if (rc == 0)
		rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1);
	return rc;
}

static int load_seccomp(char *err, size_t errlen)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (f == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return KG_ERR_SYSTEM;
	}
	int rc = build_filter(f);
	if (rc == 0)
		rc = seccomp_load(f);
	seccomp_release(f);
	if (rc != 0) {
		snprintf(err, errlen, "seccomp filter: %s", strerror(-rc));
		return KG_ERR_SYSTEM;
	}
	return KG_OK;
}

int kg_sandbox_enter(const kg_sandbox_cfg *c, char *err, size_t errlen)
{
	if (c == NULL) {
		snprintf(err, errlen, "sandbox: no configuration");
		return KG_ERR_ARG;
	}
	if (c->chroot_dir != NULL) {
		if (chroot(c->chroot_dir) != 0) {
			snprintf(err, errlen, "chroot(\"%s\"): %s", c->chroot_dir, strerror(errno));
			return KG_ERR_SYSTEM;
		}
		if (chdir("/") != 0) {
			snprintf(err, errlen, "chdir(\"/\"): %s", strerror(errno));
			return KG_ERR_SYSTEM;
		}
	}
	GUARD(drop_ids(c, err, errlen));
	if (!c->keep_fsize)
		GUARD(set_limit(RLIMIT_FSIZE, 0, "RLIMIT_FSIZE", err, errlen));
	GUARD(set_limit(RLIMIT_NPROC, 0, "RLIMIT_NPROC", err, errlen));
	if (c->nofile > 0)
		GUARD(set_limit(RLIMIT_NOFILE, (rlim_t)c->nofile, "RLIMIT_NOFILE", err, errlen));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return KG_ERR_SYSTEM;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		snprintf(err, errlen, "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
		return KG_ERR_SYSTEM;
	}
	return load_seccomp(err, errlen);
}

int kg_sandbox_probe(const char *what)
{
	if (what == NULL || *what == '\0' || strcmp(what, "execve") == 0) {
		char *argv[] = { (char *)"/nonexistent/kagi-sandbox-probe", NULL };
		char *envp[] = { NULL };
		execve(argv[0], argv, envp);
		return KG_ERR_SYSTEM;
	}
	if (strcmp(what, "ptrace") == 0) {
		/* pid 0 names no process: ESRCH when allowed. */
		return ptrace(PTRACE_PEEKUSER, (pid_t)0, NULL, NULL) == -1 && errno != 0 ? KG_ERR_SYSTEM : KG_OK;
	}
	if (strcmp(what, "mmap-exec") == 0) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return KG_ERR_SYSTEM;
		(void)munmap(p, 4096);
		return KG_OK;
	}
	if (strcmp(what, "open") == 0) {
		int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return KG_ERR_SYSTEM;
		(void)close(fd);
		return KG_OK;
	}
	if (strcmp(what, "socket") == 0) {
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return KG_ERR_SYSTEM;
		(void)close(fd);
		return KG_OK;
	}
	return KG_ERR_ARG;
}

#ifdef KG_SANDBOX_ASAN
/* The leak checker runs at exit by cloning a tracer thread, which the
 * filter (and RLIMIT_NPROC) forbid: it is turned off in a process that
 * entered this sandbox (seccomp on, no_new_privs, not dumpable). */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2 && prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 &&
	       prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0;
}
#endif
