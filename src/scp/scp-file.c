/* Shared pieces of the legacy scp roles: the error and reply records, and
 * the local file helpers (partial files, targets, private key check). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "core/keyfile.h"
#include "scp/scp-proto.h"
#include "scp/scp.h"

#define KEY_PEEK_MAX (64u * 1024)   /* key files are small; bigger files are not keys */

int kg_scp_init(kg_scp *s, kg_scp_io *io, const char *prog)
{
	memset(s, 0, sizeof(*s));
	s->io = io;
	s->prog = prog;
	s->umask = umask(0);
	umask(s->umask);
	s->buf = malloc(KG_SCP_CHUNK);
	s->line = malloc(KG_SCP_LINE_MAX);
	s->name = malloc(KG_SCP_LINE_MAX);
	return s->buf && s->line && s->name ? KG_OK : KG_ERR_ALLOC;
}

void kg_scp_free(kg_scp *s)
{
	free(s->buf);
	free(s->line);
	free(s->name);
	s->buf = NULL;
	s->line = s->name = NULL;
}

void kg_scp_error(kg_scp *s, const char *fmt, ...)
{
	char msg[2048], esc[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Escaped before it goes anywhere: a newline inside would also end
	 * the record early and desynchronise the peer. */
	kg_term_escape(msg, strlen(msg), esc, sizeof(esc));
	s->errors++;
	if (!s->remote)
		fprintf(stderr, "%s: %s\n", s->prog, esc);
	if (s->io) {
		char rec[2100];
		int n = snprintf(rec, sizeof(rec), "\001%s: %s\n", s->prog, esc);
		if (n > 0)
			(void)!kg_scp_io_write(s->io, rec, (size_t)n < sizeof(rec) ? (size_t)n : sizeof(rec) - 1);
	}
}

int kg_scp_response(kg_scp *s)
{
	int ch;
	GUARD(kg_scp_io_getc(s->io, &ch));
	if (ch < 0) {
		if (!s->remote)
			fprintf(stderr, "%s: lost connection\n", s->prog);
		return KG_ERR_CLOSED;
	}
	if (ch == 0)
		return 0;
	char line[KG_SCP_LINE_MAX], esc[KG_SCP_LINE_MAX];
	size_t len = 0;
	int r = kg_scp_io_read_line(s->io, line, sizeof(line), &len);
	if (r < 0)
		return r;
	if (!s->remote) {
		kg_term_escape(line, len, esc, sizeof(esc));
		if (ch == 1 || ch == 2)
			fprintf(stderr, "%s\n", esc);
		else
			fprintf(stderr, "%s: protocol error: %s\n", s->prog, esc);
	}
	s->errors++;
	return ch == 1 ? 1 : KG_ERR_PROTOCOL;
}

int kg_scp_partial_path(const char *target, char *out, size_t cap)
{
	const char *slash = strrchr(target, '/');
	const char *base = slash ? slash + 1 : target;
	size_t dirlen = slash ? (size_t)(slash - target + 1) : 0;
	size_t blen = strlen(base);
	ENSURE(blen > 0, KG_ERR_ARG);
	/* Keep the partial name within NAME_MAX. */
	if (blen > NAME_MAX - 6)
		blen = NAME_MAX - 6;
	int n = snprintf(out, cap, "%.*s.%.*s.part", (int)dirlen, target, (int)blen, base);
	ENSURE(n > 0 && (size_t)n < cap, KG_ERR_TOO_LARGE);
	return KG_OK;
}

int kg_scp_open_partial(const char *partial, int resume, mode_t mode, int *fd, uint64_t *have)
{
	*fd = -1;
	*have = 0;
	if (resume) {
		int f = open(partial, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		struct stat st;
		if (f >= 0) {
			/* Only a plain file that is ours alone is worth keeping. */
			if (fstat(f, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 && st.st_uid == geteuid()) {
				*fd = f;
				*have = (uint64_t)st.st_size;
				return KG_OK;
			}
			close(f);
		}
	}
	if (unlink(partial) < 0 && errno != ENOENT)
		return KG_ERR_SYSTEM;
	int f = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode | S_IWUSR);
	ENSURE(f >= 0, KG_ERR_SYSTEM);
	*fd = f;
	return KG_OK;
}

int kg_scp_resolve_target(const char *path, char *out, size_t cap, int *direct)
{
	struct stat st;
	*direct = 0;
	ENSURE(strlen(path) < cap, KG_ERR_TOO_LARGE);
	strcpy(out, path);
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? KG_OK : KG_ERR_SYSTEM;
	if (S_ISLNK(st.st_mode)) {
		if (stat(path, &st) < 0)
			return KG_OK;  /* dangling: replaced by the new file */
		if (S_ISREG(st.st_mode)) {
			char *rp = realpath(path, NULL);
			ENSURE(rp != NULL, KG_ERR_SYSTEM);
			int ok = strlen(rp) < cap;
			if (ok)
				strcpy(out, rp);
			free(rp);
			return ok ? KG_OK : KG_ERR_TOO_LARGE;
		}
	}
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return KG_ERR_SYSTEM;
	}
	if (!S_ISREG(st.st_mode))
		*direct = 1;
	return KG_OK;
}

int kg_scp_is_private_key(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return 0;
	struct stat st;
	int is_key = 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size <= KEY_PEEK_MAX) {
		uint8_t *d = malloc((size_t)st.st_size);
		if (d) {
			ssize_t n = read(fd, d, (size_t)st.st_size);
			if (n > 0)
				is_key = kg_keyfile_is_private(d, (size_t)n);
			OPENSSL_cleanse(d, (size_t)st.st_size);
			free(d);
		}
	}
	close(fd);
	return is_key;
}

void kg_scp_warn_private_key(const char *prog, const char *path)
{
	char esc[1024];
	kg_term_escape(path, strlen(path), esc, sizeof(esc));
	fprintf(stderr,
		"%s: warning: %s is an SSH private key.\n"
		"%s: Private keys should stay on the machine they belong to. To reach a host behind a\n"
		"%s: bastion, use a jump host instead (kssh -J bastion host, kscp -J bastion ...): every\n"
		"%s: hop is then authenticated from here and the key never leaves this machine.\n",
		prog, esc, prog, prog, prog);
}
