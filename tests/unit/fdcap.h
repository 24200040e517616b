/* Test helpers: capture what code prints to stdout or stderr, make and
 * remove temporary directory trees, write and compare small files. */
#ifndef KAGI_FDCAP_H
#define KAGI_FDCAP_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#define CAP_MAX (1u << 20)  /* bytes kept of one capture */

typedef struct fdcap {
	int fd;         /* the descriptor captured (1 or 2) */
	int saved;      /* its original, restored by cap_end */
	FILE *tmp;
} fdcap;

/* From now on, fd writes into a temporary file. */
static inline int cap_begin(fdcap *c, int fd)
{
	fflush(NULL);
	c->fd = fd;
	c->tmp = tmpfile();
	c->saved = dup(fd);
	if (!c->tmp || c->saved < 0 || dup2(fileno(c->tmp), fd) < 0)
		return -1;
	return 0;
}

/* Restores fd; returns what was written (malloc'ed, NUL-terminated, at
 * most CAP_MAX bytes), or NULL. */
static inline char *cap_end(fdcap *c)
{
	fflush(NULL);
	dup2(c->saved, c->fd);
	close(c->saved);
	char *out = NULL;
	if (c->tmp) {
		long n = ftell(c->tmp);
		if (n < 0 || (size_t)n > CAP_MAX)
			n = CAP_MAX;
		out = calloc(1, (size_t)n + 1);
		rewind(c->tmp);
		if (out && fread(out, 1, (size_t)n, c->tmp) != (size_t)n) {
			free(out);
			out = NULL;
		}
		fclose(c->tmp);
	}
	return out;
}

static inline void rm_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	chmod(path, 0700);
	DIR *d = opendir(path);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			char p[4096];
			if ((size_t)snprintf(p, sizeof(p), "%s/%s", path, de->d_name) < sizeof(p))
				rm_tree(p);
		}
		closedir(d);
	}
	rmdir(path);
}

static inline int write_file(const char *path, const void *d, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, d, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

/* The whole file (malloc'ed, NUL-terminated; *len its size), or NULL. */
static inline char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4097 > cap) {
			char *nb = realloc(buf, cap = cap * 2 + 8192);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, 4096, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* 1 if both files exist and hold the same bytes. */
static inline int same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *x = read_file(a, &la), *y = read_file(b, &lb);
	int same = x && y && la == lb && memcmp(x, y, la) == 0;
	free(x);
	free(y);
	return same;
}

static inline int put(int fd, const void *d, size_t n)
{
	return write(fd, d, n) == (ssize_t)n ? 0 : -1;
}

/* Everything left in fd (until end of file), NUL-terminated. */
static inline char *drain(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);
	for (;;) {
		if (n == cap) {
			char *nb = realloc(b, (cap *= 2) + 1);
			if (!nb)
				break;
			b = nb;
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	if (len)
		*len = n;
	return b;
}

static inline int wait_status(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline uint8_t *pattern(size_t n, unsigned seed)
{
	uint8_t *d = malloc(n ? n : 1);
	for (size_t i = 0; i < n; i++)
		d[i] = (uint8_t)(i * seed + (i >> 10));
	return d;
}

#endif
