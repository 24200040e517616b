/* kssh-keygen's shared plumbing: reading and atomically replacing files,
 * passphrase and yes/no prompts (terminal, else standard input, as
 * ssh-keygen), and loading keys. */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include "config/config-common.h"
#include "core/keyfile.h"
#include "sys/tty.h"
#include "keygen/keygen.h"

#define KEYFILE_READ_MAX (1024u * 1024)

void kgk_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\r\n", stderr);
}

void kgk_log_lines(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n')
			fputc('\r', stderr);
		fputc(text[i], stderr);
	}
}

const char *kgk_home(void)
{
	/* HOME first (ssh-keygen uses the password entry) so a test or a user
	 * can point the defaults at another directory. */
	const char *h = getenv("HOME");
	if (h && *h)
		return h;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_dir ? pw->pw_dir : "/";
}

void kgk_default_path(const char *type, char *out, size_t n)
{
	snprintf(out, n, "%s/.ssh/id_%s", kgk_home(), type ? type : "ed25519");
}

int kgk_read_file(const char *path, size_t max, char **text, size_t *len)
{
	int r = kg_read_text_file(path, max ? max : KEYFILE_READ_MAX, text, len, NULL);
	if (r == KG_ERR_NOT_FOUND)
		errno = ENOENT;
	return r;
}

int kgk_write_file(const char *path, const void *data, size_t len, int mode)
{
	char tmp[KGK_PATH_MAX + 16];
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return KG_ERR_ARG;
	int fd = mkstemp(tmp);
	if (fd < 0)
		return KG_ERR_SYSTEM;
	int ok = fchmod(fd, (mode_t)mode) == 0;
	size_t off = 0;
	while (ok && off < len) {
		ssize_t n = write(fd, (const char *)data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		ok = n > 0;
		if (ok)
			off += (size_t)n;
	}
	ok = ok && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return KG_ERR_SYSTEM;
	}
	return KG_OK;
}

/* One line from standard input, newline stripped. */
static int stdin_line(char *buf, size_t n)
{
	if (!fgets(buf, (int)n, stdin))
		return KG_ERR_CLOSED;
	buf[strcspn(buf, "\r\n")] = '\0';
	return KG_OK;
}

int kgk_read_pass(const char *prompt, char *buf, size_t n)
{
	int r = kg_tty_read_secret(prompt, buf, n);
	if (r == KG_ERR_NOT_FOUND) {
		/* No terminal: ssh-keygen then reads standard input. */
		fputs(prompt, stderr);
		r = stdin_line(buf, n);
		fputc('\n', stderr);
	}
	return r;
}

int kgk_confirm_overwrite(const char *path)
{
	char yn[16];
	printf("%s already exists.\n", path);
	printf("Overwrite (y/n)? ");
	fflush(stdout);
	if (stdin_line(yn, sizeof(yn)) < 0)
		return 0;
	return yn[0] == 'y' || yn[0] == 'Y';
}

int kgk_ask_filename(kgk_opts *o, const char *msg, const char *def)
{
	char line[KGK_PATH_MAX];
	printf("%s (%s): ", msg, def);
	fflush(stdout);
	if (stdin_line(line, sizeof(line)) < 0)
		return KG_ERR_CLOSED;
	snprintf(o->filebuf, sizeof(o->filebuf), "%s", line[0] ? line : def);
	o->file = o->filebuf;
	o->have_file = 1;
	return KG_OK;
}

int kgk_pass_ok(const char *pass)
{
	return !pass || pass[0] == '\0' || strlen(pass) >= 5;
}

const char *kgk_load_err(int r)
{
	if (r == KG_ERR_PASSPHRASE || r == KG_ERR_NEED_PASSPHRASE)
		return "incorrect passphrase supplied to decrypt private key";
	if (r == KG_ERR_FORMAT)
		return "invalid format";
	return r == KG_ERR_SYSTEM ? strerror(errno) : kg_err_str(r);
}

int kgk_load_private(const char *path, const char *pass, int ask, kg_key **out, char *used, size_t usedlen)
{
	char *text = NULL;
	size_t len = 0;
	if (used && usedlen)
		used[0] = '\0';
	int r = kgk_read_file(path, 0, &text, &len);
	if (r < 0)
		return r;
	r = kg_keyfile_parse_private((const uint8_t *)text, len, "", out);
	if (r == KG_ERR_PASSPHRASE)
		r = KG_ERR_NEED_PASSPHRASE;
	if ((r == KG_ERR_NEED_PASSPHRASE || r == KG_ERR_PASSPHRASE) && (pass || ask)) {
		char buf[KGK_PASS_MAX];
		if (pass)
			snprintf(buf, sizeof(buf), "%s", pass);
		else if (kgk_read_pass("Enter passphrase: ", buf, sizeof(buf)) < 0)
			buf[0] = '\0';
		r = kg_keyfile_parse_private((const uint8_t *)text, len, buf, out);
		if (r == KG_ERR_NEED_PASSPHRASE)
			r = KG_ERR_PASSPHRASE;
		if (r == KG_OK && used && usedlen)
			snprintf(used, usedlen, "%s", buf);
		OPENSSL_cleanse(buf, sizeof(buf));
	}
	OPENSSL_cleanse(text, len);
	free(text);
	return r;
}

/* A public key from text: a key line, else the public half of a private key. */
static int public_from_text(const char *text, size_t len, kg_key **out)
{
	const char *p = text + strspn(text, " \t\r\n");
	char *line = strndup(p, strcspn(p, "\r\n"));
	if (!line)
		return KG_ERR_ALLOC;
	int r = kg_key_from_line(line, out);
	free(line);
	if (r == KG_OK)
		return KG_OK;
	return kg_keyfile_public_of_private((const uint8_t *)text, len, out);
}

int kgk_load_public(const char *path, kg_key **out)
{
	char *text = NULL;
	size_t len = 0;
	int r = kgk_read_file(path, 0, &text, &len);
	if (r < 0)
		return r;
	r = public_from_text(text, len, out);
	OPENSSL_cleanse(text, len);
	free(text);
	return r;
}
