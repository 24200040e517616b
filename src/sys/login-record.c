/* utmpx, wtmp and lastlog records of pty sessions, and the nologin file (see login-record.h). */
#include "sys/login-record.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <lastlog.h>
#include <paths.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <utmpx.h>

#define LASTLOG_PATH "/var/log/lastlog"
#define NOLOGIN_PATH "/etc/nologin"
#define NOLOGIN_MAX (64 * 1024)

static int set_path(char *dst, const char *dir, const char *name, const char *sys)
{
	int n = dir && *dir ? snprintf(dst, KG_LOGIN_PATH_MAX, "%s/%s", dir, name)
			    : snprintf(dst, KG_LOGIN_PATH_MAX, "%s", sys);
	return n < 0 || n >= KG_LOGIN_PATH_MAX ? KG_ERR_ARG : KG_OK;
}

int kg_login_paths_init(kg_login_paths *p, const char *dir)
{
	memset(p, 0, sizeof(*p));
	GUARD(set_path(p->utmp, dir, "utmp", _PATH_UTMPX));
	GUARD(set_path(p->wtmp, dir, "wtmp", _PATH_WTMPX));
	GUARD(set_path(p->lastlog, dir, "lastlog", LASTLOG_PATH));
	GUARD(set_path(p->nologin, dir, "nologin", NOLOGIN_PATH));
	return KG_OK;
}

/* The tty without "/dev/". */
static const char *short_line(const char *tty)
{
	return strncmp(tty, "/dev/", 5) == 0 ? tty + 5 : tty;
}

static void copy_field(char *dst, size_t dsz, const char *src)
{
	/* utmp fields are fixed arrays, NUL-terminated only when shorter. */
	size_t n = strlen(src);
	memset(dst, 0, dsz);
	memcpy(dst, src, n < dsz ? n : dsz);
}

static void fill_entry(struct utmpx *ut, const kg_login_entry *e, short type)
{
	struct timeval tv;
	const char *line = short_line(e->tty);
	size_t ll = strlen(line);

	memset(ut, 0, sizeof(*ut));
	ut->ut_type = type;
	ut->ut_pid = e->pid;
	copy_field(ut->ut_line, sizeof(ut->ut_line), line);
	/* The id: "pts/3" gives "ts/3", the line's last four characters. */
	copy_field(ut->ut_id, sizeof(ut->ut_id), ll > sizeof(ut->ut_id) ? line + ll - sizeof(ut->ut_id) : line);
	if (type == USER_PROCESS) {
		copy_field(ut->ut_user, sizeof(ut->ut_user), e->user ? e->user : "");
		copy_field(ut->ut_host, sizeof(ut->ut_host), e->host ? e->host : "");
		if (e->host && inet_pton(AF_INET, e->host, &ut->ut_addr_v6[0]) != 1)
			(void)!inet_pton(AF_INET6, e->host, ut->ut_addr_v6);
	}
	gettimeofday(&tv, NULL);
	ut->ut_tv.tv_sec = (int32_t)tv.tv_sec;
	ut->ut_tv.tv_usec = (int32_t)tv.tv_usec;
}

static int put_utmp(const char *path, const struct utmpx *ut)
{
	int ok;
	if (utmpxname(path) != 0)
		return 0;
	setutxent();
	ok = pututxline(ut) != NULL;
	endutxent();
	utmpxname(_PATH_UTMPX);  /* the process's default again */
	return ok;
}

/* updwtmpx cannot say whether it wrote: the file's size does. */
static int append_wtmp(const char *path, const struct utmpx *ut)
{
	struct stat before, after;
	if (stat(path, &before) != 0)
		return 0;
	updwtmpx(path, ut);
	return stat(path, &after) == 0 && after.st_size > before.st_size;
}

static int put_lastlog(const char *path, const kg_login_entry *e)
{
	struct lastlog ll;
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	memset(&ll, 0, sizeof(ll));
	ll.ll_time = (int32_t)time(NULL);
	copy_field(ll.ll_line, sizeof(ll.ll_line), short_line(e->tty));
	copy_field(ll.ll_host, sizeof(ll.ll_host), e->host ? e->host : "");
	off_t off = (off_t)e->uid * (off_t)sizeof(ll);
	ssize_t w = pwrite(fd, &ll, sizeof(ll), off);
	close(fd);
	return w == (ssize_t)sizeof(ll);
}

int kg_login_record_login(const kg_login_paths *p, const kg_login_entry *e)
{
	struct utmpx ut;
	int failed = 0;
	if (!p || !e || !e->tty || !e->tty[0])
		return 7;
	fill_entry(&ut, e, USER_PROCESS);
	if (!put_utmp(p->utmp, &ut))
		failed |= 1;
	if (!append_wtmp(p->wtmp, &ut))
		failed |= 2;
	if (!put_lastlog(p->lastlog, e))
		failed |= 4;
	return failed;
}

int kg_login_record_logout(const kg_login_paths *p, const kg_login_entry *e)
{
	struct utmpx ut;
	int failed = 0;
	if (!p || !e || !e->tty || !e->tty[0])
		return 3;
	fill_entry(&ut, e, DEAD_PROCESS);
	if (!put_utmp(p->utmp, &ut))
		failed |= 1;
	if (!append_wtmp(p->wtmp, &ut))
		failed |= 2;
	return failed;
}

int kg_lastlog_get(const kg_login_paths *p, uid_t uid, time_t *when, char *host, size_t hostsz)
{
	struct lastlog ll;
	*when = 0;
	if (hostsz)
		host[0] = '\0';
	int fd = open(p->lastlog, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? KG_OK : KG_ERR_SYSTEM;
	ssize_t n = pread(fd, &ll, sizeof(ll), (off_t)uid * (off_t)sizeof(ll));
	close(fd);
	if (n != (ssize_t)sizeof(ll))
		return KG_OK;  /* past the end: never logged in */
	*when = (time_t)ll.ll_time;
	if (hostsz) {
		size_t hl = strnlen(ll.ll_host, sizeof(ll.ll_host));
		if (hl >= hostsz)
			hl = hostsz - 1;
		memcpy(host, ll.ll_host, hl);
		host[hl] = '\0';
	}
	return KG_OK;
}

void kg_lastlog_message(time_t when, const char *host, char *out, size_t outsz)
{
	char date[64];
	struct tm tm;
	if (outsz == 0)
		return;
	out[0] = '\0';
	if (when == 0 || localtime_r(&when, &tm) == NULL || strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm) == 0)
		return;
	if (host && host[0])
		snprintf(out, outsz, "Last login: %s from %s\r\n", date, host);
	else
		snprintf(out, outsz, "Last login: %s\r\n", date);
}

int kg_nologin_text(const kg_login_paths *p, uid_t uid, char **text, size_t *len)
{
	*text = NULL;
	*len = 0;
	if (uid == 0)
		return KG_ERR_NOT_FOUND;
	int fd = open(p->nologin, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? KG_ERR_NOT_FOUND : KG_OK;  /* unreadable: still refused */
	char *buf = malloc(NOLOGIN_MAX + 1);
	size_t n = 0;
	if (buf) {
		ssize_t r;
		while (n < NOLOGIN_MAX && (r = read(fd, buf + n, NOLOGIN_MAX - n)) != 0) {
			if (r < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			n += (size_t)r;
		}
		buf[n] = '\0';
	}
	close(fd);
	*text = buf;
	*len = buf ? n : 0;
	return KG_OK;
}
