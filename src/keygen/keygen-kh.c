/* kssh-keygen -F (find), -R (remove, keeping FILE.old) and -H (hash) on a
 * known_hosts file, with ssh-keygen's messages and exit codes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "config/known-hosts-edit.h"
#include "keygen/keygen.h"

#define KH_FILE_MAX (64u * 1024 * 1024)

static void put(FILE *f, const kg_buf *b)
{
	if (kg_buf_len(b))
		fwrite(kg_buf_ptr(b), 1, kg_buf_len(b), f);
	fflush(f);
}

/* Replaces path by text, keeping the old contents as path.old (a hard
 * link, as ssh-keygen makes it) and the old file's mode. */
static int replace(const char *path, const kg_buf *text, mode_t mode)
{
	char tmp[KGK_PATH_MAX + 16], old[KGK_PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.XXXXXXXXXX", path);
	snprintf(old, sizeof(old), "%s.old", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		kgk_log("mkstemp: %s", strerror(errno));
		return -1;
	}
	const uint8_t *p = kg_buf_ptr(text);
	size_t n = kg_buf_len(text), off = 0;
	int ok = fchmod(fd, mode & 07777) == 0;
	while (ok && off < n) {
		ssize_t w = write(fd, p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		ok = w > 0;
		off += ok ? (size_t)w : 0;
	}
	ok = close(fd) == 0 && ok;
	if (!ok) {
		kgk_log("write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (unlink(old) != 0 && errno != ENOENT) {
		kgk_log("unlink %.100s: %s", old, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (link(path, old) != 0) {
		kgk_log("link %.100s to %.100s: %s", path, old, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		kgk_log("rename \"%s\" to \"%s\": %s", tmp, path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int kgk_known_hosts(kgk_opts *o, int find, int remove)
{
	char def[KGK_PATH_MAX];
	if (!o->have_file) {
		snprintf(def, sizeof(def), "%s/.ssh/known_hosts", kgk_home());
		o->file = def;
	}
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	int fd = open(o->file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		kgk_log("kssh-keygen: %s: %s", o->file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 255;
	}
	close(fd);
	int r = kgk_read_file(o->file, KH_FILE_MAX, &text, &len);
	if (r < 0) {
		kgk_log("kssh-keygen: %s: %s", o->file, r == KG_ERR_SYSTEM ? strerror(errno) : kg_err_str(r));
		return 255;
	}
	kg_khe_result res;
	kg_khe_result_init(&res);
	if (find)
		r = kg_khe_find(text, len, o->host, o->hash ? KG_KHE_SHOW_HASHED : o->print_fp ? KG_KHE_SHOW_FP
											 : KG_KHE_SHOW_LINE,
				o->fp, o->quiet, &res);
	else if (remove)
		r = kg_khe_remove(text, len, o->file, o->host, o->quiet, &res);
	else
		r = kg_khe_hash(text, len, o->file, &res);
	free(text);
	int status = 0;
	if (r < 0) {
		kgk_log("kssh-keygen: %s: %s", o->file, kg_err_str(r));
		status = 255;
		goto out;
	}
	if (find) {
		put(stdout, &res.out);
		status = !res.found;
		goto out;
	}
	put(stdout, &res.msgs);
	kgk_log_lines((const char *)kg_buf_ptr(&res.errs), kg_buf_len(&res.errs));
	if (res.invalid) {
		kgk_log("%s is not a valid known_hosts file.", o->file);
		kgk_log("Not replacing existing known_hosts file because of errors");
		status = 1;
	} else if (remove && !res.found) {
		kgk_log("Host %s not found in %s", o->host, o->file);
	} else if (replace(o->file, &res.out, st.st_mode) < 0) {
		status = 255;
	} else {
		printf("%s updated.\n", o->file);
		printf("Original contents retained as %s.old\n", o->file);
		if (res.has_unhashed) {
			kgk_log("WARNING: %s.old contains unhashed entries", o->file);
			kgk_log("Delete this file to ensure privacy of hostnames");
		}
	}
out:
	kg_khe_result_free(&res);
	return status;
}
