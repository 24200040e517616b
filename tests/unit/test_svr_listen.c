/* Exercises src/conn/svr-listen.c: binding, the accept loop with MaxStartups and reaping, and SIGHUP/SIGTERM/SIGINT. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "t.h"
#include "core/defaults.h"
#include "core/key.h"
#include "conn/svr-listen.h"

typedef struct fixture {
	kg_server_config cfg;
	kg_logger log;
	kg_svr_ctx ctx;
} fixture;

/* A context with a generated host key; the listener binds 127.0.0.1 on a
 * port the kernel picks. */
static int fx_setup(fixture *f, const char *max_startups)
{
	memset(f, 0, sizeof(*f));
	kg_server_config_init(&f->cfg);
	GUARD(kg_strlist_add(&f->cfg.listen_addresses, "127.0.0.1"));
	f->cfg.ports[0] = 0;
	f->cfg.nports = 1;
	GUARD(kg_strlist_add(&f->cfg.host_keys, "/nonexistent"));
	if (max_startups != NULL) {
		int b, r, full;
		if (sscanf(max_startups, "%d:%d:%d", &b, &r, &full) != 3)
			return -1;
		f->cfg.max_startups_begin = b;
		f->cfg.max_startups_rate = r;
		f->cfg.max_startups_full = full;
	}
	f->cfg.login_grace_time = 5;
	GUARD(kg_server_config_finish(&f->cfg));
	if (f->cfg.nports != 1 || f->cfg.ports[0] != 0)
		return -1;   /* finish must keep the kernel-picked port */
	kg_log_init(&f->log, "test", KG_LOG_QUIET, 0, 0);
	kg_svr_ctx *c = &f->ctx;
	c->cfg = &f->cfg;
	c->log = &f->log;
	c->is_root = geteuid() == 0;
	c->self_uid = geteuid();
	c->sftp_default = strdup("/nonexistent/sftp-server");
	c->scp_program = strdup("/nonexistent/kscp");
	c->hostkeys = calloc(1, sizeof(kg_key *));
	if (!c->hostkeys)
		return -1;
	GUARD(kg_key_generate(KG_KEY_ED25519, 0, &c->hostkeys[0]));
	c->n_hostkeys = 1;
	c->kex_algs = strdup(KG_KEX_SERVER_DEFAULT);
	c->hostkey_algs = strdup("ssh-ed25519");
	c->ciphers = strdup(KG_CIPHERS_SERVER_DEFAULT);
	c->macs = strdup(KG_MACS_SERVER_DEFAULT);
	c->pubkey_algs = strdup(KG_PUBKEY_ALGS_DEFAULT);
	return KG_OK;
}

static void fx_free(fixture *f)
{
	kg_svr_ctx_free(&f->ctx);
	kg_server_config_free(&f->cfg);
}

static int blocked(int sig)
{
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	return sigismember(&cur, sig) == 1;
}

static int listen_port(const kg_svr_listener *l)
{
	char ip[KG_NET_IPSTR];
	int port = 0;
	if (l->nfds != 1 || kg_net_local_strings(l->fds[0], ip, sizeof(ip), &port) < 0 ||
	    strcmp(ip, "127.0.0.1") != 0)
		return -1;
	return port;
}

static int connect_to(int port)
{
	char ps[16], err[256];
	int fd = -1;
	snprintf(ps, sizeof(ps), "%d", port);
	if (kg_net_connect("127.0.0.1", ps, AF_INET, 2000, &fd, err, sizeof(err)) < 0)
		return -1;
	return fd;
}

/* What the server sends first: 1 when it is an SSH version line, 0 when
 * the connection closes without one, -1 on timeout. */
static int read_banner(int fd)
{
	char buf[256];
	size_t n = 0;
	uint64_t deadline = kg_monotonic_ms() + 5000;
	while (n < sizeof(buf) - 1) {
		uint64_t now = kg_monotonic_ms();
		if (now >= deadline)
			return -1;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)(deadline - now)) <= 0)
			continue;
		ssize_t got = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
		buf[n] = '\0';
		if (strchr(buf, '\n') != NULL)
			break;
	}
	buf[n] = '\0';
	return strncmp(buf, "SSH-2.0-", 8) == 0 ? 1 : 0;
}

/* The exit code of pid, waiting at most seconds; -1 (and killed) after. */
static int wait_exit(pid_t pid, int seconds)
{
	for (int i = 0; i < seconds * 100; i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* Children of ppid that ended but were not reaped (from /proc). */
static int zombies_of(pid_t ppid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char path[300], buf[512];
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		FILE *fp = fopen(path, "r");
		if (!fp)
			continue;
		size_t got = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
		buf[got] = '\0';
		char *rp = strrchr(buf, ')');   /* the name may hold spaces */
		char state;
		int pp;
		if (rp && sscanf(rp + 1, " %c %d", &state, &pp) == 2 && pp == ppid && state == 'Z')
			n++;
	}
	closedir(d);
	return n;
}

/* Forks the accept loop; the child exits with 10 + its result. */
static pid_t run_listener(kg_svr_listener *l, const kg_svr_ctx *ctx)
{
	pid_t pid = fork();
	if (pid == 0) {
		int r = kg_svr_listen_run(l, ctx);
		kg_svr_listen_close(l);
		_exit(r < 0 ? 2 : 10 + r);
	}
	return pid;
}

static void test_open_binds_and_blocks(void)
{
	fixture f;
	kg_svr_listener l;
	T_OK(fx_setup(&f, NULL));
	T_ASSERT(!blocked(SIGCHLD) && !blocked(SIGHUP));
	T_OK(kg_svr_listen_open(&l, &f.cfg, &f.log));
	T_ASSERT(listen_port(&l) > 0);
	/* held for the loop from open on, so none is lost before it runs */
	T_ASSERT(blocked(SIGCHLD) && blocked(SIGTERM) && blocked(SIGINT) && blocked(SIGHUP));
	kg_svr_listen_close(&l);
	T_ASSERT(!blocked(SIGCHLD) && !blocked(SIGTERM) && !blocked(SIGINT) && !blocked(SIGHUP));
	T_ASSERT(l.nfds == 0);
	kg_svr_listen_close(&l);   /* closing twice is harmless */
	fx_free(&f);
}

static void test_open_bad_address(void)
{
	fixture f;
	kg_svr_listener l;
	T_OK(fx_setup(&f, NULL));
	T_OK(kg_strlist_add(&f.cfg.listen_addresses, "[::1"));
	T_ASSERT(kg_svr_listen_open(&l, &f.cfg, &f.log) == KG_ERR_CONFIG);
	kg_svr_listen_close(&l);
	T_ASSERT(!blocked(SIGHUP));
	fx_free(&f);

	/* an address no interface has cannot be bound */
	T_OK(fx_setup(&f, NULL));
	kg_strlist_free(&f.cfg.listen_addresses);
	T_OK(kg_strlist_add(&f.cfg.listen_addresses, "192.0.2.1:2222"));
	T_ASSERT(kg_svr_listen_open(&l, &f.cfg, &f.log) == KG_ERR_SYSTEM);
	T_ASSERT(l.nfds == 0);
	kg_svr_listen_close(&l);
	fx_free(&f);
}

/* Signals already pending when the loop runs: SIGHUP restarts (1),
 * SIGTERM stops (0) and wins over a SIGHUP taken in the same wait. */
static void test_signals(void)
{
	static const int sigs[][2] = { { SIGHUP, 0 }, { SIGTERM, 0 }, { SIGINT, 0 }, { SIGHUP, SIGTERM } };
	static const int want[] = { 1, KG_OK, KG_OK, KG_OK };
	for (size_t i = 0; i < KG_ARRAY_LEN(sigs); i++) {
		fixture f;
		kg_svr_listener l;
		T_OK(fx_setup(&f, NULL));
		T_OK(kg_svr_listen_open(&l, &f.cfg, &f.log));
		raise(sigs[i][0]);
		if (sigs[i][1])
			raise(sigs[i][1]);
		T_ASSERT(kg_svr_listen_run(&l, &f.ctx) == want[i]);
		kg_svr_listen_close(&l);
		fx_free(&f);
	}
}

/* Runs check against a forked accept loop on port, then stops the loop
 * with sig (whatever check found, so no listener outlives the test) and
 * returns its exit code. */
static int with_listener(const char *max_startups, int sig, void (*check)(int port, pid_t pid))
{
	fixture f;
	kg_svr_listener l;
	int code = -1;
	if (fx_setup(&f, max_startups) == KG_OK && kg_svr_listen_open(&l, &f.cfg, &f.log) == KG_OK) {
		int port = listen_port(&l);
		pid_t pid = port > 0 ? run_listener(&l, &f.ctx) : -1;
		kg_svr_listen_close(&l);   /* the parent's copy: the child listens */
		if (pid > 0) {
			check(port, pid);
			kill(pid, sig);
			code = wait_exit(pid, 5);
		}
	} else {
		kg_svr_listen_close(&l);
	}
	fx_free(&f);
	return code;
}

/* MaxStartups 1:100:1: one connection may be authenticating at a time.
 * The second is dropped unanswered; once the first child is gone a third
 * is served again, and every ended child is reaped (SIGCHLD). */
static void check_maxstartups(int port, pid_t pid)
{
	int a = connect_to(port);
	T_ASSERT(a >= 0 && read_banner(a) == 1);
	int b = connect_to(port);
	T_ASSERT(b >= 0 && read_banner(b) == 0);
	close(b);
	close(a);   /* its child sees EOF and exits */
	int served = 0;
	for (int i = 0; i < 50 && !served; i++) {
		int c = connect_to(port);
		T_ASSERT(c >= 0);
		served = read_banner(c) == 1;
		close(c);
		if (!served)
			usleep(20000);
	}
	T_ASSERT(served);
	int z = -1;
	for (int i = 0; i < 200 && z != 0; i++) {
		z = zombies_of(pid);
		if (z != 0)
			usleep(10000);
	}
	T_ASSERT(z == 0);
}

static void test_accept_and_maxstartups(void)
{
	int code = with_listener("1:100:1", SIGTERM, check_maxstartups);
	T_ASSERT(code == 10 + KG_OK);   /* SIGTERM: the loop returns KG_OK */
}

/* Without MaxStartups pressure several connections are served at once,
 * each by its own process. */
static void check_concurrent(int port, pid_t pid)
{
	int fds[4];
	(void)pid;
	for (int i = 0; i < 4; i++) {
		fds[i] = connect_to(port);
		T_ASSERT(fds[i] >= 0);
	}
	for (int i = 0; i < 4; i++)
		T_ASSERT(read_banner(fds[i]) == 1);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
}

static void test_concurrent_then_hup(void)
{
	int code = with_listener(NULL, SIGHUP, check_concurrent);
	T_ASSERT(code == 11);   /* SIGHUP: the loop asks for a restart */
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	T_RUN(test_open_binds_and_blocks);
	T_RUN(test_open_bad_address);
	T_RUN(test_signals);
	T_RUN(test_accept_and_maxstartups);
	T_RUN(test_concurrent_then_hup);
	return T_DONE();
}
