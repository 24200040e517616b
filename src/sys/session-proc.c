/* Starting, signalling and reaping the process behind a server session (see session-proc.h). */
#include "sys/chroot-check.h"
#include "sys/session-proc.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "sys/pty.h"
#include "sys/tty.h"

#define DEFAULT_USER_PATH "/usr/local/bin:/usr/bin:/bin:/usr/games"
#define DEFAULT_ROOT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define MAX_GROUPS 65536

/* ---- users ---- */

int kg_spawn_user_lookup(const char *name, kg_spawn_user *u)
{
	struct passwd pw, *found = NULL;
	long sz = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t bufsz = sz > 0 ? (size_t)sz : 16384;
	char *buf;
	int e;

	ENSURE(name != NULL && u != NULL, KG_ERR_ARG);
	memset(u, 0, sizeof(*u));
	for (;;) {
		buf = malloc(bufsz);
		ENSURE(buf != NULL, KG_ERR_ALLOC);
		e = getpwnam_r(name, &pw, buf, bufsz, &found);
		if (e != ERANGE || bufsz >= (1u << 20))
			break;
		free(buf);
		bufsz *= 2;
	}
	if (e != 0 || found == NULL) {
		free(buf);
		return e != 0 && e != ENOENT && e != ESRCH ? KG_ERR_SYSTEM : KG_ERR_NOT_FOUND;
	}
	u->uid = pw.pw_uid;
	u->gid = pw.pw_gid;
	u->name = strdup(pw.pw_name);
	u->home = strdup(pw.pw_dir ? pw.pw_dir : "/");
	u->shell = strdup(pw.pw_shell && pw.pw_shell[0] ? pw.pw_shell : "/bin/sh");
	free(buf);
	if (u->name == NULL || u->home == NULL || u->shell == NULL) {
		kg_spawn_user_free(u);
		return KG_ERR_ALLOC;
	}
	return KG_OK;
}

void kg_spawn_user_free(kg_spawn_user *u)
{
	if (u == NULL)
		return;
	free(u->name);
	free(u->home);
	free(u->shell);
	memset(u, 0, sizeof(*u));
}

/* ---- signal names (RFC 4254 section 6.10) ---- */

static const struct { const char *name; int sig; } signal_names[] = {
	{ "ABRT", SIGABRT }, { "ALRM", SIGALRM }, { "FPE", SIGFPE }, { "HUP", SIGHUP },
	{ "ILL", SIGILL }, { "INT", SIGINT }, { "KILL", SIGKILL }, { "PIPE", SIGPIPE },
	{ "QUIT", SIGQUIT }, { "SEGV", SIGSEGV }, { "TERM", SIGTERM }, { "USR1", SIGUSR1 },
	{ "USR2", SIGUSR2 },
};

int kg_signal_from_name(const char *name)
{
	ENSURE(name != NULL, KG_ERR_ARG);
	for (size_t i = 0; i < KG_ARRAY_LEN(signal_names); i++)
		if (strcmp(name, signal_names[i].name) == 0)
			return signal_names[i].sig;
	return KG_ERR_NOT_FOUND;
}

const char *kg_signal_name(int sig)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(signal_names); i++)
		if (signal_names[i].sig == sig)
			return signal_names[i].name;
	return "SIG@openssh.com";
}

int kg_session_signal(pid_t pid, const char *name)
{
	ENSURE(pid > 0, KG_ERR_ARG);
	int sig = kg_signal_from_name(name);
	GUARD(sig);
	ENSURE(kill(pid, sig) == 0, KG_ERR_SYSTEM);
	return KG_OK;
}

int kg_session_wait(pid_t pid, int nohang, kg_exit_info *info)
{
	int st;
	pid_t r;

	ENSURE(pid > 0 && info != NULL, KG_ERR_ARG);
	do
		r = waitpid(pid, &st, nohang ? WNOHANG : 0);
	while (r < 0 && errno == EINTR);
	ENSURE(r >= 0, KG_ERR_SYSTEM);
	if (r == 0)
		return KG_ERR_AGAIN;
	memset(info, 0, sizeof(*info));
	if (WIFEXITED(st)) {
		info->exited = 1;
		info->exit_status = WEXITSTATUS(st);
	} else if (WIFSIGNALED(st)) {
		info->signaled = 1;
		info->exit_signal = WTERMSIG(st);
		info->core_dumped = WCOREDUMP(st) != 0;
	}
	return KG_OK;
}

int kg_session_resize(int ptyfd, uint32_t cols, uint32_t rows, uint32_t px, uint32_t py)
{
	struct winsize ws;

	ENSURE(ptyfd >= 0, KG_ERR_ARG);
	/* winsize fields are 16-bit; a larger request is clamped. */
	ws.ws_col = (unsigned short)(cols > 0xffff ? 0xffff : cols);
	ws.ws_row = (unsigned short)(rows > 0xffff ? 0xffff : rows);
	ws.ws_xpixel = (unsigned short)(px > 0xffff ? 0xffff : px);
	ws.ws_ypixel = (unsigned short)(py > 0xffff ? 0xffff : py);
	ENSURE(ioctl(ptyfd, TIOCSWINSZ, &ws) == 0, KG_ERR_SYSTEM);
	return KG_OK;
}

/* ---- environment ---- */

struct env_list {
	char **v;      /* NULL-terminated */
	size_t n, cap;
};

static void env_free(struct env_list *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
	memset(e, 0, sizeof(*e));
}

static int env_name_ok(const char *s, size_t n)
{
	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

/* Sets "name=value" given as one string (name ends at the first '='). */
static int env_put(struct env_list *e, const char *nv)
{
	const char *eq = strchr(nv, '=');
	ENSURE(eq != NULL && env_name_ok(nv, (size_t)(eq - nv)), KG_ERR_ARG);
	size_t nlen = (size_t)(eq - nv) + 1;
	char *copy = strdup(nv);
	ENSURE(copy != NULL, KG_ERR_ALLOC);
	for (size_t i = 0; i < e->n; i++) {
		if (strncmp(e->v[i], nv, nlen) == 0) {
			free(e->v[i]);
			e->v[i] = copy;
			return KG_OK;
		}
	}
	if (e->n + 2 > e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 32;
		char **p = realloc(e->v, ncap * sizeof(*p));
		if (p == NULL) {
			free(copy);
			return KG_ERR_ALLOC;
		}
		e->v = p;
		e->cap = ncap;
	}
	e->v[e->n++] = copy;
	e->v[e->n] = NULL;
	return KG_OK;
}

static int env_set(struct env_list *e, const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 2;
	char *nv = malloc(len);
	ENSURE(nv != NULL, KG_ERR_ALLOC);
	snprintf(nv, len, "%s=%s", name, value);
	int r = env_put(e, nv);
	free(nv);
	return r;
}

/* Names a client may not choose: they say who the user is or describe the
 * connection, and programs trust them. */
static int env_protected(const char *nv)
{
	static const char *const names[] = { "USER=", "LOGNAME=", "HOME=", "SHELL=", "MAIL=" };
	if (strncmp(nv, "SSH_", 4) == 0)
		return 1;
	for (size_t i = 0; i < KG_ARRAY_LEN(names); i++)
		if (strncmp(nv, names[i], strlen(names[i])) == 0)
			return 1;
	return 0;
}

static int build_env(const kg_spawn_req *req, const char *tty_name, struct env_list *e)
{
	const kg_spawn_user *u = req->user;
	char buf[512];

	GUARD(env_set(e, "USER", u->name));
	GUARD(env_set(e, "LOGNAME", u->name));
	GUARD(env_set(e, "HOME", u->home));
	GUARD(env_set(e, "SHELL", u->shell));
	GUARD(env_set(e, "PATH", req->path ? req->path : u->uid == 0 ? DEFAULT_ROOT_PATH : DEFAULT_USER_PATH));
	snprintf(buf, sizeof(buf), "/var/mail/%s", u->name);
	GUARD(env_set(e, "MAIL", buf));
	const char *tz = getenv("TZ");
	if (tz != NULL)
		GUARD(env_set(e, "TZ", tz));
	for (size_t i = 0; i < req->n_env; i++) {
		const char *nv = req->env[i];
		if (nv == NULL || env_protected(nv))
			continue;
		int r = env_put(e, nv);
		if (r == KG_ERR_ARG)
			continue;  /* a malformed name from the client is dropped */
		GUARD(r);
	}
	const char *cip = req->client_ip ? req->client_ip : "UNKNOWN";
	const char *sip = req->server_ip ? req->server_ip : "UNKNOWN";
	snprintf(buf, sizeof(buf), "%s %d %d", cip, req->client_port, req->server_port);
	GUARD(env_set(e, "SSH_CLIENT", buf));
	snprintf(buf, sizeof(buf), "%s %d %s %d", cip, req->client_port, sip, req->server_port);
	GUARD(env_set(e, "SSH_CONNECTION", buf));
	if (req->original_command != NULL)
		GUARD(env_set(e, "SSH_ORIGINAL_COMMAND", req->original_command));
	if (tty_name != NULL && tty_name[0] != '\0')
		GUARD(env_set(e, "SSH_TTY", tty_name));
	if (req->want_pty && req->term != NULL && req->term[0] != '\0')
		GUARD(env_set(e, "TERM", req->term));
	for (size_t i = 0; i < req->n_server_env; i++)
		if (req->server_env[i] != NULL)
			GUARD(env_put(e, req->server_env[i]));
	if (e->v == NULL)
		GUARD(env_set(e, "PATH", DEFAULT_USER_PATH));
	return KG_OK;
}

/* ---- preparation in the parent ---- */

struct spawn_prep {
	struct env_list env;
	char *argv0;
	char *argv[4];
	gid_t *groups;
	int ngroups;
	int drop;
	int pty_master, pty_slave;
	int pipes[3][2];  /* stdin, stdout, stderr */
};

static void prep_free(struct spawn_prep *p)
{
	env_free(&p->env);
	free(p->argv0);
	free(p->groups);
	if (p->pty_master >= 0)
		close(p->pty_master);
	if (p->pty_slave >= 0)
		close(p->pty_slave);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 2; j++)
			if (p->pipes[i][j] >= 0)
				close(p->pipes[i][j]);
}

static int prep_groups(struct spawn_prep *p, const kg_spawn_user *u)
{
	int n = 64;

	for (;;) {
		gid_t *g = realloc(p->groups, (size_t)n * sizeof(*g));
		ENSURE(g != NULL, KG_ERR_ALLOC);
		p->groups = g;
		int want = n;
		if (getgrouplist(u->name, u->gid, g, &want) >= 0) {
			p->ngroups = want;
			return KG_OK;
		}
		ENSURE(want > n && want <= MAX_GROUPS, KG_ERR_SYSTEM);
		n = want;
	}
}

static int prep_argv(struct spawn_prep *p, const kg_spawn_req *req)
{
	const char *shell = req->user->shell;
	const char *slash = strrchr(shell, '/');
	const char *base = slash ? slash + 1 : shell;
	size_t len = strlen(base) + 2;

	p->argv0 = malloc(len);
	ENSURE(p->argv0 != NULL, KG_ERR_ALLOC);
	/* A leading '-' in argv[0] tells a shell it is a login shell. */
	snprintf(p->argv0, len, "%s%s", req->command ? "" : "-", base);
	p->argv[0] = p->argv0;
	if (req->command != NULL) {
		p->argv[1] = (char *)(uintptr_t)"-c";
		p->argv[2] = (char *)(uintptr_t)req->command;
		p->argv[3] = NULL;
	} else {
		p->argv[1] = NULL;
	}
	return KG_OK;
}

static int prep_pty(struct spawn_prep *p, const kg_spawn_req *req, char *name, size_t namesz)
{
	struct termios tio;

	/* With privilege separation the monitor opens it (already the user's):
	 * a process inside ChrootDirectory has no /dev/ptmx. */
	if (req->open_pty)
		GUARD(req->open_pty(req->open_pty_arg, &p->pty_master, &p->pty_slave, name, namesz));
	else
		GUARD(kg_pty_open(&p->pty_master, &p->pty_slave, name, namesz));
	GUARD(kg_session_resize(p->pty_master, req->cols, req->rows, req->px, req->py));
	if (req->modes_len > 0) {
		ENSURE(tcgetattr(p->pty_slave, &tio) == 0, KG_ERR_SYSTEM);
		GUARD(kg_tty_modes_apply(req->modes, req->modes_len, &tio));
		ENSURE(tcsetattr(p->pty_slave, TCSANOW, &tio) == 0, KG_ERR_SYSTEM);
	}
	if (p->drop)
		kg_pty_set_owner(p->pty_slave, req->user->uid, req->user->gid);
	return KG_OK;
}

/* ---- the child ---- */

static void child_write(const char *msg)
{
	size_t n = strlen(msg);
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, msg, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		msg += w;
		n -= (size_t)w;
	}
}

static _Noreturn void child_fail(const char *what, const char *arg, int err, int code)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "%s %s: %s\n", what, arg, strerror(err));
	child_write(msg);
	_exit(code);
}

/* Makes fds[0..2] the child's 0, 1 and 2.  They go through fds >= 10
 * first so that a source already sitting on 0..2 is not overwritten. */
static int child_stdio(const int src[3])
{
	int tmp[3];
	for (int i = 0; i < 3; i++) {
		tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 10);
		if (tmp[i] < 0)
			return -1;
	}
	for (int i = 0; i < 3; i++)
		if (dup2(tmp[i], i) < 0)   /* dup2 clears close-on-exec */
			return -1;
	return 0;
}

static void child_close_rest(void)
{
	if (close_range(3, ~0u, 0) != 0) {
		long max = sysconf(_SC_OPEN_MAX);
		for (long fd = 3; fd < (max > 0 ? max : 1024); fd++)
			close((int)fd);
	}
}

/* The session's ~/.ssh/rc (see kg_spawn_req.user_rc). */
static void child_user_rc(const struct spawn_prep *p, const kg_spawn_req *req)
{
	struct stat st;
	char cmd[4200];
	if (!req->user_rc || stat(req->user_rc, &st) != 0)
		return;
	int n = snprintf(cmd, sizeof(cmd), "/bin/sh '%s'", req->user_rc);
	int in[2];
	if (strchr(req->user_rc, '\'') || n < 0 || (size_t)n >= sizeof(cmd) || pipe(in) != 0) {
		snprintf(cmd, sizeof(cmd), "Could not run %s\n", req->user_rc);
		child_write(cmd);
		return;
	}
	const char *shell = req->user->shell;
	const char *slash = strrchr(shell, '/');
	char *argv[] = { (char *)(uintptr_t)(slash ? slash + 1 : shell), (char *)(uintptr_t)"-c", cmd, NULL };
	pid_t pid = fork();
	if (pid == 0) {
		if (dup2(in[0], STDIN_FILENO) < 0)
			_exit(1);
		close(in[0]);
		close(in[1]);
		execve(shell, argv, p->env.v);
		_exit(127);
	}
	close(in[0]);
	close(in[1]);  /* nothing to say on its stdin: no X11 */
	int status;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pid < 0) {
		snprintf(cmd, sizeof(cmd), "Could not run %s\n", req->user_rc);
		child_write(cmd);
	}
}

static _Noreturn void child_run(struct spawn_prep *p, const kg_spawn_req *req)
{
	const kg_spawn_user *u = req->user;
	sigset_t none;

	/* The server's handlers, ignores and blocked signals must not leak
	 * into the user's shell (an ignored SIGPIPE would, through exec; the
	 * signals a kg_loop takes stay blocked until the loop is freed). */
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (setsid() < 0)
		_exit(1);
	int src[3];
	if (req->want_pty) {
		if (ioctl(p->pty_slave, TIOCSCTTY, 0) < 0)
			_exit(1);
		src[0] = src[1] = src[2] = p->pty_slave;
	} else {
		src[0] = p->pipes[0][0];
		src[1] = p->pipes[1][1];
		src[2] = p->pipes[2][1];
	}
	if (child_stdio(src) < 0)
		_exit(1);
	child_close_rest();
	if (req->refuse_msg) {
		child_write(req->refuse_msg);
		_exit(254);
	}

	if (p->drop) {
		if (setresgid(u->gid, u->gid, u->gid) != 0)
			child_fail("setgid", u->name, errno, 1);
		if (setgroups((size_t)p->ngroups, p->groups) != 0)
			child_fail("setgroups", u->name, errno, 1);
	}
	if (req->chroot_dir) {
		char msg[512];
		if (kg_chroot_check(req->chroot_dir, msg, sizeof(msg) - 1) < 0) {
			strcat(msg, "\n");
			child_write(msg);
			_exit(1);
		}
		if (chdir(req->chroot_dir) != 0 || chroot(".") != 0)
			child_fail("chroot", req->chroot_dir, errno, 1);
	}
	if (p->drop) {
		if (setresuid(u->uid, u->uid, u->uid) != 0)
			child_fail("setuid", u->name, errno, 1);
	}
	/* Never run a user's session with more than the user's rights. */
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 ||
	    ru != u->uid || eu != u->uid || su != u->uid ||
	    (p->drop && (rg != u->gid || eg != u->gid || sg != u->gid)))
		child_fail("privilege check for", u->name, EPERM, 1);
	if (u->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		child_fail("could regain root after switching to", u->name, EPERM, 1);

	if (chdir(u->home) != 0) {
		char msg[512];
		snprintf(msg, sizeof(msg), "Could not chdir to home directory %s: %s\n",
			 u->home, strerror(errno));
		child_write(msg);
		if (chdir("/") != 0)
			child_fail("chdir", "/", errno, 1);
	}
	child_user_rc(p, req);
	if (req->run)
		_exit(req->run(req->run_arg));
	execve(u->shell, p->argv, p->env.v);
	child_fail("exec", u->shell, errno, 127);
}

/* ---- spawn ---- */

static int finish_fd(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	ENSURE(fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0, KG_ERR_SYSTEM);
	ENSURE(fcntl(fd, F_SETFD, FD_CLOEXEC) == 0, KG_ERR_SYSTEM);
	return KG_OK;
}

int kg_session_spawn(const kg_spawn_req *req, kg_spawn_result *res)
{
	struct spawn_prep p;
	int r = KG_OK;

	ENSURE(req != NULL && res != NULL && req->user != NULL, KG_ERR_ARG);
	const kg_spawn_user *u = req->user;
	ENSURE(u->name != NULL && u->home != NULL && u->shell != NULL && u->shell[0] == '/',
	       KG_ERR_ARG);
	memset(res, 0, sizeof(*res));
	res->pid = -1;
	res->ptyfd = res->infd = res->outfd = res->errfd = -1;
	memset(&p, 0, sizeof(p));
	p.pty_master = p.pty_slave = -1;
	for (int i = 0; i < 3; i++)
		p.pipes[i][0] = p.pipes[i][1] = -1;

	uid_t euid = geteuid();
	p.drop = req->drop_privs && euid == 0;
	/* Without a privilege drop the session runs as we are: only allowed
	 * when that is the requested user. */
	ENSURE_GOTO(r, p.drop || u->uid == euid, KG_ERR_ARG, out);
	if (p.drop)
		GUARD_GOTO(r, prep_groups(&p, u), out);
	GUARD_GOTO(r, prep_argv(&p, req), out);
	if (req->want_pty) {
		GUARD_GOTO(r, prep_pty(&p, req, res->tty_name, sizeof(res->tty_name)), out);
	} else {
		for (int i = 0; i < 3; i++)
			ENSURE_GOTO(r, pipe2(p.pipes[i], O_CLOEXEC) == 0, KG_ERR_SYSTEM, out);
	}
	GUARD_GOTO(r, build_env(req, res->tty_name, &p.env), out);

	pid_t pid = fork();
	ENSURE_GOTO(r, pid >= 0, KG_ERR_SYSTEM, out);
	if (pid == 0)
		child_run(&p, req);

	res->pid = pid;
	if (req->want_pty) {
		res->ptyfd = p.pty_master;
		p.pty_master = -1;
		/* Our slave copy closes below, so the master reads EIO once
		 * the session's processes let go of the terminal. */
		GUARD_GOTO(r, finish_fd(res->ptyfd), out);
	} else {
		res->infd = p.pipes[0][1];
		res->outfd = p.pipes[1][0];
		res->errfd = p.pipes[2][0];
		p.pipes[0][1] = p.pipes[1][0] = p.pipes[2][0] = -1;
		GUARD_GOTO(r, finish_fd(res->infd), out);
		GUARD_GOTO(r, finish_fd(res->outfd), out);
		GUARD_GOTO(r, finish_fd(res->errfd), out);
	}
out:
	prep_free(&p);
	if (r < 0 && res->pid > 0) {
		/* The child exists but we cannot talk to it: end it. */
		int saved = errno;
		kill(res->pid, SIGKILL);
		while (waitpid(res->pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = saved;
	}
	if (r < 0) {
		kg_spawn_result_close(res);
		res->pid = -1;
	}
	return r;
}

void kg_spawn_result_close(kg_spawn_result *res)
{
	int *fds[] = { &res->ptyfd, &res->infd, &res->outfd, &res->errfd };
	for (size_t i = 0; i < KG_ARRAY_LEN(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}
