/* Exercises src/conn/cli-hostkey.c (known host key types first in
 * the algorithm order), src/conn/cli-keyload.c (reading a private key
 * file as kssh does: the mode check, batch mode with an encrypted key,
 * a corrupt file) and src/conn/cli-identities.c (the identities kssh
 * offers: a .pub beside the key, a key file alone, an IdentityFile naming
 * the .pub, a missing file told to the observer; ~ expanded). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "t.h"
#include "config/known-hosts.h"
#include "conn/cli-hostkey.h"
#include "conn/cli-identities.h"
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

static int unusable_events;
static void on_auth_event(void *arg, const kg_cli_auth_event *ev)
{
	(void)arg;
	if (ev->type == KG_AUTH_EV_KEY_UNUSABLE && ev->id && strstr(ev->id->path, "missing"))
		unusable_events++;
}

static void write_key(const char *path, const kg_key *k, int with_pub)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	T_OK(kg_keyfile_write_private(k, NULL, "t", &b));
	write_text(path, kg_buf_ptr(&b), kg_buf_len(&b), 0600);
	kg_buf_reset(&b);
	if (with_pub) {
		char pub[128];
		snprintf(pub, sizeof(pub), "%s.pub", path);
		T_OK(kg_key_to_line(k, &b));
		write_text(pub, kg_buf_ptr(&b), kg_buf_len(&b), 0644);
	}
	kg_buf_free(&b);
}

static void test_identities(void)
{
	kg_logger lg;
	kg_log_init(&lg, "test", KG_LOG_QUIET, 0, 0);
	kg_key *a = NULL, *b = NULL;
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &a));
	T_OK(kg_key_generate(KG_KEY_ECDSA_P256, 0, &b));
	char pa[64], pb[64];
	snprintf(pa, sizeof(pa), "%s/id_a", dir);
	snprintf(pb, sizeof(pb), "%s/id_b", dir);
	write_key(pa, a, 1);
	write_key(pb, b, 0);
	kg_client_config cfg;
	kg_client_config_init(&cfg);
	T_OK(kg_strlist_add(&cfg.identity_files, "~/id_a"));
	T_OK(kg_strlist_add(&cfg.identity_files, "~/missing"));
	T_OK(kg_strlist_add(&cfg.identity_files, "~/id_b"));
	T_OK(kg_strlist_add(&cfg.identity_files, "~/id_a.pub"));
	cfg.identity_agent = strdup("none");
	T_OK(kg_client_config_finish(&cfg, "h", "me"));
	kg_client c;
	memset(&c, 0, sizeof(c));
	c.cfg = &cfg;
	c.log = &lg;
	c.home = dir;
	c.fd = -1;
	c.local_user = "me";
	c.hooks.auth_event = on_auth_event;
	T_OK(kg_cli_identities_prepare(&c));
	T_ASSERT(c.n_ids == 3 && unusable_events == 1);
	char want[80];
	snprintf(want, sizeof(want), "%s/id_a", dir);
	T_ASSERT(strcmp(c.ids[0].path, want) == 0 && kg_key_equal_public(c.ids[0].pub, a) && !c.ids[0].priv);
	/* no .pub: the key file itself was read, private half kept */
	T_ASSERT(kg_key_equal_public(c.ids[1].pub, b) && c.ids[1].priv != NULL);
	T_ASSERT(kg_key_equal_public(c.ids[2].pub, a) && c.ids[2].from_cmdline);
	/* the private half of the first on demand */
	T_OK(kg_cli_identities_load_private(&c, &c.ids[0]));
	T_ASSERT(c.ids[0].priv != NULL);
	/* no agent: signing through it is refused */
	kg_buf sig;
	kg_buf_init(&sig, 0);
	T_ASSERT(kg_cli_identities_agent_sign(&c, &c.ids[0], "ssh-ed25519", (const uint8_t *)"x", 1, &sig) < 0);
	kg_buf_free(&sig);
	char *out = NULL;
	T_OK(kg_client_expand_path(&c, "IdentityFile", "~/k-%r", &out));
	snprintf(want, sizeof(want), "%s/k-%s", dir, cfg.user);
	T_ASSERT(out && strcmp(out, want) == 0);
	free(out);
	T_ASSERT(strcmp(kg_client_prog(&c), "test") == 0);
	kg_client_close(&c);
	kg_client_config_free(&cfg);
	snprintf(want, sizeof(want), "%s/id_a.pub", dir);
	unlink(want);
	unlink(pa);
	unlink(pb);
	kg_key_free(a);
	kg_key_free(b);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	T_RUN(test_known_types_first);
	T_RUN(test_load_private);
	T_RUN(test_identities);
	rmdir(dir);
	return T_DONE();
}
