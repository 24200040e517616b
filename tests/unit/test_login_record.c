/* Exercises src/sys/login-record.c (utmpx, wtmp, lastlog and nologin on temporary files),
 * src/sys/pam-session.c (a refused account, closing what was never opened) and
 * src/conn/svr-login.c (records of a pty session through KSSHD_TEST_LOGIN_DIR). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <lastlog.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utmpx.h>
#include "t.h"
#include "conn/svr-login.h"
#include "sys/login-record.h"
#include "sys/pam-session.h"

static char dir[64];

static void touch(const char *name)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
}

/* The utmp entry for line, copied into *out (1 found). */
static int utmp_find(const char *path, const char *line, struct utmpx *out)
{
	int found = 0;
	struct utmpx *u;
	utmpxname(path);
	setutxent();
	while ((u = getutxent()) != NULL)
		if (strncmp(u->ut_line, line, sizeof(u->ut_line)) == 0) {
			*out = *u;
			found = 1;
		}
	endutxent();
	return found;
}

static long wtmp_count(const char *path, short type, const char *line)
{
	struct utmpx u;
	long n = 0;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	while (read(fd, &u, sizeof(u)) == (ssize_t)sizeof(u))
		if (u.ut_type == type && strncmp(u.ut_line, line, sizeof(u.ut_line)) == 0)
			n++;
	close(fd);
	return n;
}

static void test_paths(void)
{
	kg_login_paths p;
	T_OK(kg_login_paths_init(&p, NULL));
	T_ASSERT(strcmp(p.utmp, _PATH_UTMPX) == 0 && strcmp(p.lastlog, "/var/log/lastlog") == 0);
	T_ASSERT(strcmp(p.nologin, "/etc/nologin") == 0 && strcmp(p.wtmp, _PATH_WTMPX) == 0);
	T_OK(kg_login_paths_init(&p, "/tmp/x"));
	T_ASSERT(strcmp(p.utmp, "/tmp/x/utmp") == 0 && strcmp(p.nologin, "/tmp/x/nologin") == 0);
	char longdir[400];
	memset(longdir, 'a', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = '\0';
	T_ASSERT(kg_login_paths_init(&p, longdir) == KG_ERR_ARG);
}

static void test_login_logout(void)
{
	kg_login_paths p;
	struct utmpx u;
	T_OK(kg_login_paths_init(&p, dir));
	touch("utmp");
	touch("wtmp");
	touch("lastlog");
	kg_login_entry e = { .user = "alice", .uid = 1234, .tty = "/dev/pts/77", .host = "198.51.100.7", .pid = 4242 };
	T_ASSERT(kg_login_record_login(&p, &e) == 0);
	T_ASSERT(utmp_find(p.utmp, "pts/77", &u));
	T_ASSERT(u.ut_type == USER_PROCESS && u.ut_pid == 4242 && strcmp(u.ut_user, "alice") == 0);
	T_ASSERT(strcmp(u.ut_host, "198.51.100.7") == 0 && (uint32_t)u.ut_addr_v6[0] == htonl(0xc6336407));
	T_ASSERT(wtmp_count(p.wtmp, USER_PROCESS, "pts/77") == 1);
	time_t when = 0;
	char host[256];
	T_OK(kg_lastlog_get(&p, 1234, &when, host, sizeof(host)));
	T_ASSERT(when > 0 && time(NULL) - when < 60 && strcmp(host, "198.51.100.7") == 0);
	struct stat st;
	T_ASSERT(stat(p.lastlog, &st) == 0 && st.st_size == (off_t)(1235 * sizeof(struct lastlog)));
	/* Another uid never logged in: nothing, past the end or zero. */
	T_OK(kg_lastlog_get(&p, 99999, &when, host, sizeof(host)));
	T_ASSERT(when == 0 && host[0] == '\0');
	T_OK(kg_lastlog_get(&p, 7, &when, host, sizeof(host)));
	T_ASSERT(when == 0);

	T_ASSERT(kg_login_record_logout(&p, &e) == 0);
	T_ASSERT(utmp_find(p.utmp, "pts/77", &u));
	T_ASSERT(u.ut_type == DEAD_PROCESS && u.ut_user[0] == '\0');
	T_ASSERT(wtmp_count(p.wtmp, DEAD_PROCESS, "pts/77") == 1 && wtmp_count(p.wtmp, USER_PROCESS, "pts/77") == 1);
	/* Missing files: reported, not created. */
	kg_login_paths q;
	char sub[128];
	snprintf(sub, sizeof(sub), "%s/none", dir);
	T_OK(kg_login_paths_init(&q, sub));
	T_ASSERT(kg_login_record_login(&q, &e) == 7);
	T_ASSERT(access(q.wtmp, F_OK) != 0);
}

static void test_message(void)
{
	char m[256];
	kg_lastlog_message(0, "h", m, sizeof(m));
	T_ASSERT(m[0] == '\0');
	setenv("TZ", "UTC", 1);
	tzset();
	kg_lastlog_message((time_t)1796412120, "198.51.100.7", m, sizeof(m));  /* 2026-12-04 19:22:00 UTC */
	T_ASSERT(strcmp(m, "Last login: Fri Dec  4 19:22:00 2026 from 198.51.100.7\r\n") == 0);
	kg_lastlog_message((time_t)1796412120, "", m, sizeof(m));
	T_ASSERT(strcmp(m, "Last login: Fri Dec  4 19:22:00 2026\r\n") == 0);
}

static void test_nologin(void)
{
	kg_login_paths p;
	char *text = NULL;
	size_t len = 0;
	T_OK(kg_login_paths_init(&p, dir));
	T_ASSERT(kg_nologin_text(&p, 1000, &text, &len) == KG_ERR_NOT_FOUND && text == NULL);
	FILE *f = fopen(p.nologin, "w");
	T_ASSERT(f != NULL);
	fputs("down for maintenance\n", f);
	fclose(f);
	T_OK(kg_nologin_text(&p, 1000, &text, &len));
	T_ASSERT(text && len == 21 && strcmp(text, "down for maintenance\n") == 0);
	free(text);
	T_ASSERT(kg_nologin_text(&p, 0, &text, &len) == KG_ERR_NOT_FOUND);  /* root is never refused */
	unlink(p.nologin);
}

static void test_pam(void)
{
	kg_pam_session s;
	memset(&s, 0, sizeof(s));
	kg_pam_session_close(&s);  /* nothing opened: nothing to do */
	T_ASSERT(kg_pam_session_env(&s) == NULL);
	T_ASSERT(kg_pam_session_start(&s, NULL, "", NULL, NULL) == KG_ERR_ARG);
	if (geteuid() != 0)
		return;  /* pam_unix's account check needs shadow */
	int r = kg_pam_session_start(&s, NULL, "kagi-no-such-user-xyz", "198.51.100.7", NULL);
	T_ASSERT(r == KG_ERR_AUTH_FAILED && s.pamh == NULL && strstr(s.why, "pam_acct_mgmt") != NULL);
	kg_pam_session_close(&s);
}

static void test_svr_login(void)
{
	kg_server_config cfg;
	kg_logger lg;
	kg_svr_login *l = NULL;
	char msg[256], *text = NULL;
	struct utmpx u;
	kg_login_paths p;
	memset(&cfg, 0, sizeof(cfg));
	cfg.use_pam = 0;
	cfg.print_last_log = 1;
	kg_log_init(&lg, "ksshd", KG_LOG_QUIET, 0, 0);
	kg_spawn_user usr = { .name = "bob", .uid = 2345, .gid = 2345, .home = "/", .shell = "/bin/sh" };
	touch("utmp");
	touch("wtmp");
	touch("lastlog");
	T_OK(kg_login_paths_init(&p, dir));
	setenv(KG_SVR_LOGIN_TEST_DIR_ENV, dir, 1);
	T_OK(kg_svr_login_begin(&l, &lg, &cfg, &usr, "198.51.100.9", 1));
	T_ASSERT(kg_svr_login_nologin(l, &text) == 0 && text == NULL);
	kg_svr_login_pty_started(l, 5555, "/dev/pts/88", 1, msg, sizeof(msg));
	T_ASSERT(msg[0] == '\0');  /* first login: no previous one */
	T_ASSERT(utmp_find(p.utmp, "pts/88", &u) && u.ut_type == USER_PROCESS && strcmp(u.ut_user, "bob") == 0);
	kg_svr_login_pty_ended(l, 5555);
	T_ASSERT(utmp_find(p.utmp, "pts/88", &u) && u.ut_type == DEAD_PROCESS);
	kg_svr_login_pty_started(l, 5556, "/dev/pts/89", 1, msg, sizeof(msg));
	T_ASSERT(strncmp(msg, "Last login: ", 12) == 0 && strstr(msg, " from 198.51.100.9\r\n") != NULL);
	touch("nologin");
	T_ASSERT(kg_svr_login_nologin(l, &text) == 1);
	free(text);
	kg_svr_login_end(l);  /* the session still running is logged out */
	T_ASSERT(utmp_find(p.utmp, "pts/89", &u) && u.ut_type == DEAD_PROCESS);
	T_ASSERT(wtmp_count(p.wtmp, DEAD_PROCESS, "pts/89") == 1);
	unsetenv(KG_SVR_LOGIN_TEST_DIR_ENV);
	kg_log_close(&lg);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kagi-loginrec-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	T_RUN(test_paths);
	T_RUN(test_login_logout);
	T_RUN(test_message);
	T_RUN(test_nologin);
	T_RUN(test_pam);
	T_RUN(test_svr_login);
	const char *names[] = { "utmp", "wtmp", "lastlog", "nologin" };
	for (size_t i = 0; i < 4; i++) {
		char p[128];
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	return T_DONE();
}
