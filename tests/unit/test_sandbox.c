/* Tests for src/sys/sandbox.c: the privilege separation user, the chroot
 * directory's checks, and what a forked child can and cannot do once it
 * entered the sandbox (as root; cases needing root are skipped otherwise). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "t.h"
#include "sys/loop.h"
#include "sys/sandbox.h"
#include "sandbox_util.h"

/* A line to the parent: "ok NAME" or "bad NAME (details)". */
static void say(int fd, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(int fd, int ok, const char *fmt, ...)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "%s ", ok ? "ok" : "bad");
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n < (int)sizeof(line) - 1)
		line[n++] = '\n';
	(void)!write(fd, line, (size_t)n);
}

/* Reads everything the child writes to fd, then reaps it. */
static int collect(pid_t pid, int fd, char *buf, size_t cap, int *status)
{
	size_t n = 0;
	for (;;) {
		ssize_t got = read(fd, buf + n, cap - 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
		if (n + 1 >= cap)
			break;
	}
	buf[n] = '\0';
	close(fd);
	return waitpid(pid, status, 0) == pid ? 0 : -1;
}

static void t_privsep_user(void)
{
	uid_t uid;
	gid_t gid;
	char err[256] = "";
	struct passwd *pw = getpwnam(KG_PRIVSEP_USER);
	if (pw != NULL) {
		uid_t want_uid = pw->pw_uid;
		gid_t want_gid = pw->pw_gid;
		T_OK(kg_privsep_user(KG_PRIVSEP_USER, &uid, &gid, err, sizeof(err)));
		T_ASSERT(uid == want_uid && gid == want_gid);
	} else {
		fprintf(stderr, "note: no %s user on this machine\n", KG_PRIVSEP_USER);
	}
	T_ASSERT(kg_privsep_user("kagi-no-such-user", &uid, &gid, err, sizeof(err)) == KG_ERR_NOT_FOUND);
	T_ASSERT(strcmp(err, "Privilege separation user kagi-no-such-user does not exist") == 0);
	T_ASSERT(kg_privsep_user("root", &uid, &gid, err, sizeof(err)) == KG_ERR_CONFIG);
	T_ASSERT(kg_privsep_user("", &uid, &gid, err, sizeof(err)) == KG_ERR_ARG);
}

static void t_sandbox_dir(void)
{
	if (!is_root()) {
		fprintf(stderr, "note: t_sandbox_dir needs root; skipped\n");
		return;
	}
	char base[64] = "/run/kagi-sandbox-test.XXXXXX", p[128], f[160], err[256];
	T_ASSERT(mkdtemp(base) != NULL);
	snprintf(p, sizeof(p), "%s/d", base);
	mode_t old = umask(077);
	int rc = kg_sandbox_dir(p, err, sizeof(err));
	umask(old);
	T_OK(rc);
	struct stat st;
	T_ASSERT(lstat(p, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 && (st.st_mode & 07777) == 0755);
	T_OK(kg_sandbox_dir(p, err, sizeof(err)));  /* exists already: fine */
	/* Not empty. */
	snprintf(f, sizeof(f), "%s/x", p);
	int fd = open(f, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	T_ASSERT(fd >= 0);
	close(fd);
	T_ASSERT(kg_sandbox_dir(p, err, sizeof(err)) == KG_ERR_CONFIG);
	T_ASSERT(strstr(err, "not empty") != NULL);
	T_ASSERT(unlink(f) == 0);
	/* Writable by group, then owned by someone else. */
	T_ASSERT(chmod(p, 0775) == 0);
	T_ASSERT(kg_sandbox_dir(p, err, sizeof(err)) == KG_ERR_CONFIG);
	T_ASSERT(strstr(err, "bad ownership or modes") != NULL);
	T_ASSERT(chmod(p, 0755) == 0 && chown(p, 1, 1) == 0);
	T_ASSERT(kg_sandbox_dir(p, err, sizeof(err)) == KG_ERR_CONFIG);
	T_ASSERT(chown(p, 0, 0) == 0);
	T_OK(kg_sandbox_dir(p, err, sizeof(err)));
	/* A component above that others may write (/tmp). */
	char tmpd[64] = "/tmp/kagi-sandbox-test.XXXXXX";
	T_ASSERT(mkdtemp(tmpd) != NULL);
	char sub[96];
	snprintf(sub, sizeof(sub), "%s/d", tmpd);
	T_ASSERT(kg_sandbox_dir(sub, err, sizeof(err)) == KG_ERR_CONFIG);
	(void)rmdir(sub);
	(void)rmdir(tmpd);
	/* A file, a symlink, a relative path, a missing parent. */
	fd = open(f, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	T_ASSERT(fd >= 0);
	close(fd);
	T_ASSERT(kg_sandbox_dir(f, err, sizeof(err)) == KG_ERR_CONFIG);
	T_ASSERT(unlink(f) == 0 && symlink(p, f) == 0);
	T_ASSERT(kg_sandbox_dir(f, err, sizeof(err)) == KG_ERR_CONFIG);
	T_ASSERT(unlink(f) == 0);
	T_ASSERT(kg_sandbox_dir("run/x", err, sizeof(err)) == KG_ERR_ARG);
	snprintf(f, sizeof(f), "%s/missing/d", base);
	T_ASSERT(kg_sandbox_dir(f, err, sizeof(err)) == KG_ERR_SYSTEM);
	T_ASSERT(rmdir(p) == 0 && rmdir(base) == 0);
}

/* Pulls "Key:\tvalue" out of a /proc status or limits text. */
static int field(const char *text, const char *key, char *out, size_t cap)
{
	const char *p = strstr(text, key);
	if (p == NULL)
		return -1;
	p += strlen(key);
	while (*p == ' ' || *p == '\t')
		p++;
	size_t n = strcspn(p, "\n");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

static long read_text(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* The kernel's view of a sandboxed child while it waits. */
static void t_enter_status(void)
{
	if (!is_root()) {
		fprintf(stderr, "note: t_enter_status needs root; skipped\n");
		return;
	}
	sbx s;
	T_ASSERT(sbx_setup(&s) == 0);
	int ready[2], hold[2];
	T_ASSERT(pipe(ready) == 0 && pipe(hold) == 0);
	pid_t pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		close(hold[1]);
		kg_sandbox_cfg c = { .chroot_dir = s.dir, .uid = s.uid, .gid = s.gid, .nofile = 16 };
		char err[256];
		if (kg_sandbox_enter(&c, err, sizeof(err)) != KG_OK) {
			say(ready[1], 0, "enter: %s", err);
			_exit(1);
		}
		say(ready[1], 1, "entered");
		char b;
		while (read(hold[0], &b, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	char line[300];
	ssize_t n = read(ready[0], line, sizeof(line) - 1);
	line[n > 0 ? n : 0] = '\0';
	close(ready[0]);
	char path[64], st[4096], lim[4096], v[128], want[128];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	long got_st = read_text(path, st, sizeof(st));
	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	long got_lim = read_text(path, lim, sizeof(lim));
	char cwd[256] = "", root[256] = "";
	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
	ssize_t lc = readlink(path, cwd, sizeof(cwd) - 1);
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	ssize_t lr = readlink(path, root, sizeof(root) - 1);
	cwd[lc > 0 ? lc : 0] = '\0';
	root[lr > 0 ? lr : 0] = '\0';
	/* What the child sees at its "/": the empty directory, not /etc. */
	struct stat in_root;
	snprintf(path, sizeof(path), "/proc/%d/root/etc/passwd", (int)pid);
	int passwd_seen = stat(path, &in_root) == 0;
	close(hold[1]);
	int status;
	T_ASSERT(waitpid(pid, &status, 0) == pid);
	sbx_cleanup(&s);
	T_ASSERT(strncmp(line, "ok entered", 10) == 0);
	T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	T_ASSERT(got_st > 0 && got_lim > 0);
	T_ASSERT(field(st, "Seccomp:", v, sizeof(v)) == 0 && strcmp(v, "2") == 0);
	T_ASSERT(field(st, "NoNewPrivs:", v, sizeof(v)) == 0 && strcmp(v, "1") == 0);
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned)s.uid, (unsigned)s.uid, (unsigned)s.uid,
		 (unsigned)s.uid);
	T_ASSERT(field(st, "Uid:", v, sizeof(v)) == 0 && strcmp(v, want) == 0);
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned)s.gid, (unsigned)s.gid, (unsigned)s.gid,
		 (unsigned)s.gid);
	T_ASSERT(field(st, "Gid:", v, sizeof(v)) == 0 && strcmp(v, want) == 0);
	T_ASSERT(field(st, "Groups:", v, sizeof(v)) == 0 && strcmp(v, "") == 0);
	T_ASSERT(field(st, "CapEff:", v, sizeof(v)) == 0 && strcmp(v, "0000000000000000") == 0);
	T_ASSERT(field(st, "CapPrm:", v, sizeof(v)) == 0 && strcmp(v, "0000000000000000") == 0);
	T_ASSERT(field(lim, "Max file size", v, sizeof(v)) == 0 && strncmp(v, "0 ", 2) == 0);
	T_ASSERT(field(lim, "Max processes", v, sizeof(v)) == 0 && strncmp(v, "0 ", 2) == 0);
	T_ASSERT(field(lim, "Max open files", v, sizeof(v)) == 0 && strncmp(v, "16 ", 3) == 0);
	/* cwd is the new root: "/" for the child. */
	T_ASSERT(strcmp(cwd, s.dir) == 0 && strcmp(root, s.dir) == 0);
	T_ASSERT(!passwd_seen);
}

struct loop_seen { int pipe_cb, timer_cb, sig_cb; };

static void on_pipe(void *ctx, int fd, int revents)
{
	struct loop_seen *ls = ctx;
	char b[16];
	if ((revents & POLLIN) && read(fd, b, sizeof(b)) > 0)
		ls->pipe_cb++;
}

static void on_timer(void *ctx, uint64_t id)
{
	(void)id;
	((struct loop_seen *)ctx)->timer_cb++;
}

static void on_signal(void *ctx, int signo)
{
	if (signo == SIGUSR1)
		((struct loop_seen *)ctx)->sig_cb++;
}

/* AES-256-GCM seal of a fixed message; 0 when it worked. */
static int gcm_seal(unsigned char tag[16])
{
	unsigned char key[32] = { 1 }, iv[12] = { 2 }, out[64];
	int len, ok = 0;
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	if (x != NULL && EVP_EncryptInit_ex(x, EVP_aes_256_gcm(), NULL, key, iv) == 1 &&
	    EVP_EncryptUpdate(x, out, &len, (const unsigned char *)"sandboxed bytes", 15) == 1 &&
	    EVP_EncryptFinal_ex(x, out + len, &len) == 1 &&
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1)
		ok = 1;
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : -1;
}

static int ed_verify(EVP_PKEY *k, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int r = m != NULL && EVP_DigestVerifyInit(m, NULL, NULL, NULL, k) == 1 &&
		EVP_DigestVerify(m, sig, siglen, (const unsigned char *)"signed", 6) == 1;
	EVP_MD_CTX_free(m);
	return r ? 0 : -1;
}

/* The child's checks after entering; each reported as a line on out. */
static void sandboxed_work(int out, int in, EVP_PKEY *k, const unsigned char *sig, size_t siglen,
			   const unsigned char *tag_before, kg_loop *lp, struct loop_seen *ls, uid_t c_uid,
			   int syslog_ok)
{
	unsigned char b[32];
	say(out, 1, "entered");
	/* A poll loop: a pipe made before entering, a timer, a signal. */
	say(out, kg_loop_add_timer(lp, 5, on_timer, ls, NULL) == KG_OK, "timer added");
	char go;
	say(out, read(in, &go, 1) == 1, "parent wrote to the pipe and sent SIGUSR1");
	for (int i = 0; i < 50 && (ls->pipe_cb == 0 || ls->timer_cb == 0 || ls->sig_cb == 0); i++)
		if (kg_loop_run_once(lp, 100) < 0 && errno != EINTR)
			break;
	say(out, ls->pipe_cb > 0 && ls->timer_cb > 0 && ls->sig_cb > 0, "loop pipe %d timer %d signal %d",
	    ls->pipe_cb, ls->timer_cb, ls->sig_cb);
	say(out, getrandom(b, sizeof(b), 0) == (ssize_t)sizeof(b), "getrandom");
	struct timespec ts, nap = { 0, 1000000 };
	say(out, clock_gettime(CLOCK_REALTIME, &ts) == 0 && clock_gettime(CLOCK_MONOTONIC, &ts) == 0 &&
	    clock_gettime(CLOCK_BOOTTIME, &ts) == 0, "clock_gettime");
	say(out, nanosleep(&nap, NULL) == 0 && clock_nanosleep(CLOCK_MONOTONIC, 0, &nap, NULL) == 0, "sleep");
	say(out, time(NULL) > 0, "time");
	say(out, RAND_bytes(b, sizeof(b)) == 1, "RAND_bytes");
	unsigned char tag[16];
	say(out, gcm_seal(tag) == 0 && memcmp(tag, tag_before, 16) == 0, "AES-GCM seal");
	say(out, ed_verify(k, sig, siglen) == 0, "ed25519 verify");
	unsigned char badsig[64];
	memcpy(badsig, sig, 64);
	badsig[10] ^= 1;
	say(out, ed_verify(k, badsig, siglen) != 0, "ed25519 verify refuses a bad signature");
	/* Memory: big (mmap), growing (mremap), freed. */
	char *big = malloc(8u << 20);
	say(out, big != NULL, "malloc 8 MiB");
	if (big) {
		memset(big, 'x', 8u << 20);
		char *bigger = realloc(big, 32u << 20);
		say(out, bigger != NULL, "realloc 32 MiB");
		free(bigger ? bigger : big);
	}
	struct stat st;
	say(out, fstat(out, &st) == 0 && S_ISFIFO(st.st_mode), "fstat");
	int fl = fcntl(out, F_GETFL);
	say(out, fl >= 0 && fcntl(out, F_SETFL, fl) == 0, "fcntl F_GETFL/F_SETFL");
	/* Refused with EACCES, not killed. */
	errno = 0;
	say(out, open("/etc/passwd", O_RDONLY) == -1 && errno == EACCES, "open EACCES");
	errno = 0;
	say(out, openat(AT_FDCWD, "x", O_RDONLY) == -1 && errno == EACCES, "openat EACCES");
	errno = 0;
	say(out, socket(AF_UNIX, SOCK_DGRAM, 0) == -1 && errno == EACCES, "socket EACCES");
	errno = 0;
	say(out, kg_sandbox_probe("open") == KG_ERR_SYSTEM && errno == EACCES, "probe open EACCES");
	/* No way back to root; no new descriptor above RLIMIT_NOFILE. */
	errno = 0;
	say(out, setuid(0) == -1 && errno == EPERM && seteuid(0) == -1 && setgid(0) == -1 &&
	    setgroups(0, NULL) == -1 && getuid() == c_uid && geteuid() == c_uid, "setuid(0) fails");
	say(out, prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2, "prctl PR_GET_SECCOMP says 2");
	/* The time zone was loaded before; localtime and strftime still work. */
	time_t now = time(NULL);
	struct tm tm;
	char when[64];
	say(out, localtime_r(&now, &tm) != NULL && strftime(when, sizeof(when), "%F %T %Z", &tm) > 0,
	    "localtime_r + strftime");
	/* syslog(3) with no log socket: its reconnect attempt is refused,
	 * the message dropped, the process lives (only run where the
	 * machine has no /dev/log, so nothing reaches a system log). */
	if (syslog_ok)
		syslog(LOG_USER | LOG_DEBUG, "kagi sandbox test");
	say(out, 1, "syslog without a socket (%s)", syslog_ok ? "tried" : "skipped: /dev/log exists");
}

/* Every line the child wrote is "ok ..."; prints the others. */
static int all_ok(const char *text, int min_lines)
{
	int lines = 0, bad = 0;
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		if (strncmp(p, "ok ", 3) != 0) {
			fprintf(stderr, "child: %.*s\n", (int)n, p);
			bad++;
		}
		lines++;
		p += n + (p[n] == '\n');
	}
	if (lines < min_lines)
		fprintf(stderr, "child reported %d lines, want %d:\n%s\n", lines, min_lines, text);
	return bad == 0 && lines >= min_lines;
}

/* A poll loop, OpenSSL, time and memory still work inside. */
static void t_enter_works(void)
{
	if (!is_root()) {
		fprintf(stderr, "note: t_enter_works needs root; skipped\n");
		return;
	}
	sbx s;
	T_ASSERT(sbx_setup(&s) == 0);
	/* Everything the child needs is made (and OpenSSL warmed up) first. */
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	T_ASSERT(k != NULL);
	unsigned char sig[64], tag[16], b[16];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	T_ASSERT(m != NULL && EVP_DigestSignInit(m, NULL, NULL, NULL, k) == 1 &&
		 EVP_DigestSign(m, sig, &siglen, (const unsigned char *)"signed", 6) == 1);
	EVP_MD_CTX_free(m);
	T_ASSERT(ed_verify(k, sig, siglen) == 0 && gcm_seal(tag) == 0 && RAND_bytes(b, sizeof(b)) == 1);
	int rep[2], go[2], data[2];
	T_ASSERT(pipe(rep) == 0 && pipe(go) == 0 && pipe(data) == 0);
	struct stat log_st;
	int syslog_ok = lstat("/dev/log", &log_st) != 0;
	tzset();
	pid_t pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0) {
		close(rep[0]);
		close(go[1]);
		close(data[1]);
		kg_loop lp;
		struct loop_seen ls = { 0, 0, 0 };
		kg_loop_init(&lp);
		if (kg_loop_add_fd(&lp, data[0], KG_LOOP_READ, on_pipe, &ls) != KG_OK ||
		    kg_loop_add_signal(&lp, SIGUSR1, on_signal, &ls) != KG_OK) {
			say(rep[1], 0, "loop set-up");
			_exit(1);
		}
		kg_sandbox_cfg c = { .chroot_dir = s.dir, .uid = s.uid, .gid = s.gid, .nofile = 16 };
		char err[256];
		if (kg_sandbox_enter(&c, err, sizeof(err)) != KG_OK) {
			say(rep[1], 0, "enter: %s", err);
			_exit(1);
		}
		sandboxed_work(rep[1], go[0], k, sig, siglen, tag, &lp, &ls, s.uid, syslog_ok);
		kg_loop_free(&lp);
		_exit(0);
	}
	close(rep[1]);
	close(go[0]);
	close(data[0]);
	/* Once it is in, feed its loop: pipe data, then a signal. */
	char first[16];
	ssize_t n = read(rep[0], first, 11);
	int fed = n == 11 && memcmp(first, "ok entered\n", 11) == 0 && write(data[1], "d", 1) == 1 &&
		  kill(pid, SIGUSR1) == 0 && write(go[1], "g", 1) == 1;
	char text[4096];
	int status;
	T_ASSERT(collect(pid, rep[0], text, sizeof(text), &status) == 0);
	close(go[1]);
	close(data[1]);
	EVP_PKEY_free(k);
	sbx_cleanup(&s);
	T_ASSERT(fed);
	T_ASSERT(all_ok(text, 23));
	if (!WIFEXITED(status))
		fprintf(stderr, "child killed by signal %d\n", WTERMSIG(status));
	T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Forks a child that enters the sandbox and runs fn; returns its status. */
static int sandboxed_status(const sbx *s, void (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		kg_sandbox_cfg c = { .chroot_dir = s->dir, .uid = s->uid, .gid = s->gid };
		char err[256];
		if (kg_sandbox_enter(&c, err, sizeof(err)) != KG_OK)
			_exit(3);
		fn(arg);
		_exit(0);
	}
	int status;
	return waitpid(pid, &status, 0) == pid ? status : -1;
}

static void do_probe(void *what) { _exit(kg_sandbox_probe(what) == KG_OK ? 4 : 5); }
static void do_fork(void *unused) { (void)unused; (void)fork(); }
static void do_kill(void *unused) { (void)unused; (void)kill(getppid(), 0); }
static void do_nothing(void *unused) { (void)unused; }
/* getpid through the x32 system call numbers. */
static void do_x32(void *unused) { (void)unused; (void)syscall(0x40000000L | SYS_getpid); }
/* exit() runs atexit handlers (and the leak checker in the ASan build). */
static void do_exit(void *unused)
{
	(void)unused;
	char *p = malloc(100);
	free(p);
	exit(p != NULL ? 0 : 6);
}

static int killed_by_sigsys(int status)
{
	if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS))
		fprintf(stderr, "status %#x: %s %d\n", (unsigned)status, WIFSIGNALED(status) ? "signal" : "exit",
			WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
}

/* A call outside the allow-list kills the process with SIGSYS. */
static void t_forbidden_killed(void)
{
	/* Outside a sandbox the probes are harmless. */
	errno = 0;
	T_ASSERT(kg_sandbox_probe(NULL) == KG_ERR_SYSTEM && errno == ENOENT);
	T_ASSERT(kg_sandbox_probe("ptrace") == KG_ERR_SYSTEM);
	T_ASSERT(kg_sandbox_probe("mmap-exec") == KG_OK);
	T_ASSERT(kg_sandbox_probe("socket") == KG_OK);
	T_ASSERT(kg_sandbox_probe("no-such-probe") == KG_ERR_ARG);
	if (!is_root()) {
		fprintf(stderr, "note: the sandboxed part of t_forbidden_killed needs root; skipped\n");
		return;
	}
	sbx s;
	T_ASSERT(sbx_setup(&s) == 0);
	int ok_exit = sandboxed_status(&s, do_nothing, NULL);
	int ok_libc_exit = sandboxed_status(&s, do_exit, NULL);
	int st_exec = sandboxed_status(&s, do_probe, (void *)"execve");
	int st_default = sandboxed_status(&s, do_probe, (void *)"");
	int st_ptrace = sandboxed_status(&s, do_probe, (void *)"ptrace");
	int st_mmap = sandboxed_status(&s, do_probe, (void *)"mmap-exec");
	int st_fork = sandboxed_status(&s, do_fork, NULL);
	int st_kill = sandboxed_status(&s, do_kill, NULL);
	int st_x32 = sandboxed_status(&s, do_x32, NULL);
	sbx_cleanup(&s);
	T_ASSERT(WIFEXITED(ok_exit) && WEXITSTATUS(ok_exit) == 0);
	T_ASSERT(WIFEXITED(ok_libc_exit) && WEXITSTATUS(ok_libc_exit) == 0);
	T_ASSERT(killed_by_sigsys(st_exec));
	T_ASSERT(killed_by_sigsys(st_default));
	T_ASSERT(killed_by_sigsys(st_ptrace));
	T_ASSERT(killed_by_sigsys(st_mmap));
	T_ASSERT(killed_by_sigsys(st_fork));
	T_ASSERT(killed_by_sigsys(st_kill));
	T_ASSERT(killed_by_sigsys(st_x32));
}

/* Writes a line to fd (a regular file) from inside the sandbox. */
static int file_write_status(const sbx *s, int fd, int keep_fsize)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		kg_sandbox_cfg c = { .chroot_dir = s->dir, .uid = s->uid, .gid = s->gid, .keep_fsize = keep_fsize };
		char err[256];
		if (kg_sandbox_enter(&c, err, sizeof(err)) != KG_OK)
			_exit(3);
		_exit(write(fd, "log line\n", 9) == 9 ? 0 : 4);
	}
	int status;
	return waitpid(pid, &status, 0) == pid ? status : -1;
}

/* RLIMIT_FSIZE 0: a regular file cannot grow (SIGXFSZ), unless keep_fsize. */
static void t_file_size_limit(void)
{
	if (!is_root()) {
		fprintf(stderr, "note: t_file_size_limit needs root; skipped\n");
		return;
	}
	sbx s;
	T_ASSERT(sbx_setup(&s) == 0);
	char path[] = "/tmp/kagi-sandbox-log.XXXXXX";
	int fd = mkstemp(path);
	T_ASSERT(fd >= 0);
	int limited = file_write_status(&s, fd, 0);
	int kept = file_write_status(&s, fd, 1);
	struct stat st;
	int sized = fstat(fd, &st) == 0 && st.st_size == 9;
	close(fd);
	unlink(path);
	sbx_cleanup(&s);
	T_ASSERT(WIFSIGNALED(limited) && WTERMSIG(limited) == SIGXFSZ);
	T_ASSERT(WIFEXITED(kept) && WEXITSTATUS(kept) == 0);
	T_ASSERT(sized);
}

#if defined(__SANITIZE_ADDRESS__)
#define T_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define T_ASAN 1
#endif
#endif

/* In the ASan build a memory error inside the sandbox still gets its
 * report out (unsymbolized) instead of a SIGSYS from the report's calls. */
static void t_asan_report_inside(void)
{
#ifndef T_ASAN
	fprintf(stderr, "note: t_asan_report_inside is for the ASan build; nothing to check here\n");
#else
	if (!is_root()) {
		fprintf(stderr, "note: t_asan_report_inside needs root; skipped\n");
		return;
	}
	sbx s;
	T_ASSERT(sbx_setup(&s) == 0);
	int ep[2];
	T_ASSERT(pipe(ep) == 0);
	pid_t pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0) {
		close(ep[0]);
		if (dup2(ep[1], 2) < 0)
			_exit(2);
		kg_sandbox_cfg c = { .chroot_dir = s.dir, .uid = s.uid, .gid = s.gid };
		char err[256];
		if (kg_sandbox_enter(&c, err, sizeof(err)) != KG_OK)
			_exit(3);
		char *volatile p = malloc(16);
		free(p);
		volatile char got = p[3];  /* use after free */
		(void)got;
		_exit(0);
	}
	close(ep[1]);
	char text[16384];
	int status;
	T_ASSERT(collect(pid, ep[0], text, sizeof(text), &status) == 0);
	sbx_cleanup(&s);
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 0)
		fprintf(stderr, "status %#x; report:\n%s\n", (unsigned)status, text);
	T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) != 0);
	T_ASSERT(strstr(text, "ERROR: AddressSanitizer: heap-use-after-free") != NULL);
	T_ASSERT(strstr(text, "ABORTING") != NULL);
#endif
}

/* keep_ids: a non-root process keeps its ids, pinned; root may not. */
static void t_keep_ids(void)
{
	char err[256];
	if (!is_root()) {
		kg_sandbox_cfg c = { .keep_ids = 1 };
		pid_t pid = fork();
		T_ASSERT(pid >= 0);
		if (pid == 0)
			_exit(kg_sandbox_enter(&c, err, sizeof(err)) == KG_OK && prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2
				      ? 0 : 1);
		int status;
		T_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
		return;
	}
	sbx s;
	T_ASSERT(sbx_setup(&s) == 0);
	int rep[2];
	T_ASSERT(pipe(rep) == 0);
	pid_t pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0) {
		close(rep[0]);
		kg_sandbox_cfg root_keep = { .keep_ids = 1 };
		say(rep[1], kg_sandbox_enter(&root_keep, err, sizeof(err)) == KG_ERR_ARG, "root may not keep ids");
		kg_sandbox_cfg root_uid = { .uid = 0, .gid = 0 };
		say(rep[1], kg_sandbox_enter(&root_uid, err, sizeof(err)) == KG_ERR_ARG, "uid 0 refused");
		/* Become the user by hand, as a non-root ksshd would be. */
		if (setgroups(0, NULL) != 0 || setresgid(s.gid, s.gid, s.gid) != 0 ||
		    setresuid(s.uid, s.uid, s.uid) != 0)
			_exit(2);
		kg_sandbox_cfg with_chroot = { .keep_ids = 1, .chroot_dir = s.dir };
		say(rep[1], kg_sandbox_enter(&with_chroot, err, sizeof(err)) == KG_ERR_SYSTEM &&
		    strstr(err, "chroot") != NULL, "chroot needs root: %s", err);
		kg_sandbox_cfg keep = { .keep_ids = 1 };
		if (kg_sandbox_enter(&keep, err, sizeof(err)) != KG_OK) {
			say(rep[1], 0, "enter keep_ids: %s", err);
			_exit(1);
		}
		say(rep[1], getuid() == s.uid && geteuid() == s.uid && getgid() == s.gid, "ids kept");
		say(rep[1], setuid(0) == -1, "setuid(0) fails");
		say(rep[1], prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2, "seccomp on");
		_exit(0);
	}
	close(rep[1]);
	char text[2048];
	int status;
	T_ASSERT(collect(pid, rep[0], text, sizeof(text), &status) == 0);
	sbx_cleanup(&s);
	T_ASSERT(all_ok(text, 6));
	T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	if (!is_root())
		fprintf(stderr, "note: not root: the sandbox cases that need root are skipped\n");
	T_RUN(t_privsep_user);
	T_RUN(t_sandbox_dir);
	T_RUN(t_enter_status);
	T_RUN(t_enter_works);
	T_RUN(t_forbidden_killed);
	T_RUN(t_keep_ids);
	T_RUN(t_file_size_limit);
	T_RUN(t_asan_report_inside);
	return T_DONE();
}
