/* Exercises src/conn/cli-hostkey.c (known host key types first in
 * the algorithm order) and src/conn/cli-keyload.c (reading a private key
 * file as kssh does: the mode check, batch mode with an encrypted key,
 * a corrupt file). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "t.h"
#include "config/known-hosts.h"
#include "conn/cli-hostkey.h"
#include "conn/cli-keyload.h"
#include "core/keyfile.h"

static char dir[] = "/tmp/kg-hkord-XXXXXX";

static void write_text(const char *path, const void *p, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	T_ASSERT(fd >= 0);
	T_ASSERT(write(fd, p, n) == (ssize_t)n);
	T_ASSERT(fchmod(fd, mode) == 0);
	close(fd);
}

/* A known_hosts line for host:port holding a new key of type t. */
static void known(const char *path, const char *host, int port, enum kg_keytype t, int bits)
{
	kg_key *k = NULL;
	T_OK(kg_key_generate(t, bits, &k));
	kg_buf line;
	kg_buf_init(&line, 0);
	T_OK(kg_known_hosts_format_entry(host, port, k, 0, &line));
	write_text(path, kg_buf_ptr(&line), kg_buf_len(&line), 0600);
	kg_buf_free(&line);
	kg_key_free(k);
}

static char *order(const char *host, int port, const char *file, const char *algs, int *changed)
{
	char *a = strdup(algs);
	const char *files[] = { "/nonexistent/known_hosts", file };
	int r = kg_cli_hostkey_order(host, port, files, 2, &a, changed);
	if (r != KG_OK) {
		fprintf(stderr, "kg_cli_hostkey_order: %d\n", r);
		*changed = -1;
	}
	return a;
}

static void test_known_types_first(void)
{
	const char *def = "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256";
	char kh[64];
	snprintf(kh, sizeof(kh), "%s/kh", dir);
	int changed;
	known(kh, "h.example", 22, KG_KEY_ECDSA_P256, 0);
	char *a = order("h.example", 22, kh, def, &changed);
	T_ASSERT(changed && strcmp(a, "ecdsa-sha2-nistp256,ssh-ed25519,rsa-sha2-512,rsa-sha2-256") == 0);
	free(a);
	/* another port is another host */
	a = order("h.example", 2222, kh, def, &changed);
	T_ASSERT(!changed && strcmp(a, def) == 0);
	free(a);
	/* rsa-sha2-* count as RSA, in their own order */
	known(kh, "[h.example]:2222", 0, KG_KEY_RSA, 2048);
	a = order("h.example", 2222, kh, def, &changed);
	T_ASSERT(changed && strcmp(a, "rsa-sha2-512,rsa-sha2-256,ssh-ed25519,ecdsa-sha2-nistp256") == 0);
	free(a);
	/* the first type already first: nothing moves */
	known(kh, "h.example", 22, KG_KEY_ED25519, 0);
	a = order("h.example", 22, kh, def, &changed);
	T_ASSERT(!changed && strcmp(a, def) == 0);
	free(a);
	unlink(kh);
}

static void test_load_private(void)
{
	kg_logger lg;
	kg_log_init(&lg, "test", KG_LOG_QUIET, 0, 0);
	kg_key *k = NULL, *got = NULL;
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &k));
	kg_buf plain, enc;
	kg_buf_init(&plain, 0);
	kg_buf_init(&enc, 0);
	T_OK(kg_keyfile_write_private(k, NULL, "t", &plain));
	T_OK(kg_keyfile_write_private(k, "secret", "t", &enc));
	char p[64];
	snprintf(p, sizeof(p), "%s/id", dir);
	write_text(p, kg_buf_ptr(&plain), kg_buf_len(&plain), 0600);
	T_OK(kg_client_load_private(&lg, p, 1, &got));
	T_ASSERT(got != NULL && got->type == KG_KEY_ED25519);
	kg_key_free(got);
	got = NULL;
	/* readable by others: refused, as OpenSSH does */
	write_text(p, kg_buf_ptr(&plain), kg_buf_len(&plain), 0644);
	T_ASSERT(kg_client_load_private(&lg, p, 1, &got) == KG_ERR_KEY_PERMS && got == NULL);
	/* encrypted, batch mode: no prompt */
	write_text(p, kg_buf_ptr(&enc), kg_buf_len(&enc), 0600);
	T_ASSERT(kg_client_load_private(&lg, p, 1, &got) == KG_ERR_NEED_PASSPHRASE && got == NULL);
	/* cut short: an error, not a key */
	write_text(p, kg_buf_ptr(&plain), kg_buf_len(&plain) / 2, 0600);
	T_ASSERT(kg_client_load_private(&lg, p, 1, &got) < 0 && got == NULL);
	T_ASSERT(kg_client_load_private(&lg, "/nonexistent/id", 1, &got) < 0);
	unlink(p);
	kg_buf_free(&plain);
	kg_buf_free(&enc);
	kg_key_free(k);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	T_RUN(test_known_types_first);
	T_RUN(test_load_private);
	rmdir(dir);
	return T_DONE();
}
