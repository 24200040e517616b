/* kssh-keygen key generation: -t/-b/-f/-N/-C/-a/-q, the interactive flow
 * (file name, passphrase twice, fingerprint and randomart) and -A. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include "core/keyfile.h"
#include "core/randomart.h"
#include "keygen/keygen.h"

/* -t and -b to a key type; prints ssh-keygen's complaint on a bad one. */
static int pick_type(const char *type, int bits, enum kg_keytype *kt)
{
	if (strcmp(type, "ed25519") == 0) {
		*kt = KG_KEY_ED25519;
	} else if (strcmp(type, "rsa") == 0) {
		*kt = KG_KEY_RSA;
		if (bits != 0 && bits < KG_RSA_MIN_BITS) {
			kgk_log("Invalid RSA key length: minimum is %d bits", KG_RSA_MIN_BITS);
			return -1;
		}
		if (bits > 16384) {
			kgk_log("Invalid RSA key length: maximum is 16384 bits");
			return -1;
		}
	} else if (strcmp(type, "ecdsa") == 0) {
		if (bits != 0 && bits != 256 && bits != 384 && bits != 521) {
			kgk_log("Invalid ECDSA key length: valid lengths are 256, 384 or 521 bits");
			return -1;
		}
		*kt = bits == 384 ? KG_KEY_ECDSA_P384 : bits == 521 ? KG_KEY_ECDSA_P521 : KG_KEY_ECDSA_P256;
	} else {
		kgk_log("unknown key type %s", type);
		return -1;
	}
	return 0;
}

static void default_comment(char *out, size_t n)
{
	char host[256] = "localhost";
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	struct passwd *pw = getpwuid(getuid());
	snprintf(out, n, "%s@%s", pw ? pw->pw_name : "user", host);
}

/* Makes ~/.ssh when the key goes there and it is missing, as ssh-keygen. */
static void make_ssh_dir(const char *file, int notify)
{
	char dir[KGK_PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/.ssh", kgk_home());
	size_t n = strlen(dir);
	struct stat st;
	if (strncmp(file, dir, n) != 0 || file[n] != '/' || stat(dir, &st) == 0)
		return;
	if (mkdir(dir, 0700) != 0)
		kgk_log("Could not create directory '%s': %s", dir, strerror(errno));
	else if (notify)
		kgk_log("Created directory '%s'.", dir);
}

/* The new passphrase: -N, else asked twice until both agree. */
static int new_passphrase(const kgk_opts *o, char *buf, size_t n)
{
	if (o->new_pass) {
		snprintf(buf, n, "%s", o->new_pass);
		return 0;
	}
	char again[KGK_PASS_MAX];
	for (;;) {
		if (kgk_read_pass("Enter passphrase (empty for no passphrase): ", buf, n) < 0 ||
		    kgk_read_pass("Enter same passphrase again: ", again, sizeof(again)) < 0) {
			OPENSSL_cleanse(again, sizeof(again));
			kgk_log("kssh-keygen: cannot read a passphrase (use -N)");
			return -1;
		}
		int same = strcmp(buf, again) == 0;
		OPENSSL_cleanse(again, sizeof(again));
		if (same)
			return 0;
		OPENSSL_cleanse(buf, n);
		printf("Passphrases do not match.  Try again.\n");
		fflush(stdout);
	}
}

/* Writes the key pair: private (0600) then .pub (0644). */
static int save_pair(const kg_key *k, const char *file, const char *pass, const char *comment, unsigned int rounds,
		     const char *pubfile)
{
	kg_buf priv, pub;
	kg_buf_init(&priv, 0);
	kg_buf_init(&pub, 0);
	int status = -1;
	int r = kg_keyfile_write_private_rounds(k, pass, comment, rounds ? rounds : 16, &priv);
	if (r < 0)
		kgk_log("Saving key \"%s\" failed: %s", file, kg_err_str(r));
	else if (kgk_write_file(file, kg_buf_ptr(&priv), kg_buf_len(&priv), 0600) < 0)
		kgk_log("Saving key \"%s\" failed: %s", file, strerror(errno));
	else if ((r = kg_key_to_line(k, &pub)) < 0 || (r = kg_buf_put_u8(&pub, '\n')) < 0)
		kgk_log("Saving key \"%s\" failed: %s", pubfile, kg_err_str(r));
	else if (kgk_write_file(pubfile, kg_buf_ptr(&pub), kg_buf_len(&pub), 0644) < 0)
		kgk_log("Unable to save public key to %s: %s", pubfile, strerror(errno));
	else
		status = 0;
	kg_buf_free(&priv);
	kg_buf_free(&pub);
	return status;
}

int kgk_generate(kgk_opts *o)
{
	const char *type = o->type ? o->type : "ed25519";
	enum kg_keytype kt;
	if (pick_type(type, o->bits, &kt) < 0)
		return 255;
	if (!o->quiet)
		printf("Generating public/private %s key pair.\n", type);
	fflush(stdout);
	kg_key *k = NULL;
	int r = kg_key_generate(kt, kt == KG_KEY_ED25519 ? 0 : o->bits, &k);
	if (r < 0) {
		kgk_log("kssh-keygen: key generation failed: %s", kg_err_str(r));
		return 1;
	}
	char def[KGK_PATH_MAX], pass[KGK_PASS_MAX] = "", comment[1024], pubfile[KGK_PATH_MAX + 8];
	int status = 1;
	if (!o->have_file) {
		kgk_default_path(type, def, sizeof(def));
		if (kgk_ask_filename(o, "Enter file in which to save the key", def) < 0)
			goto out;
	}
	make_ssh_dir(o->file, !o->quiet);
	struct stat st;
	if (stat(o->file, &st) == 0 && !kgk_confirm_overwrite(o->file))
		goto out;
	if (new_passphrase(o, pass, sizeof(pass)) < 0)
		goto out;
	if (o->comment)
		snprintf(comment, sizeof(comment), "%s", o->comment);
	else
		default_comment(comment, sizeof(comment));
	free(k->comment);
	k->comment = strdup(comment);
	snprintf(pubfile, sizeof(pubfile), "%s.pub", o->file);
	if (save_pair(k, o->file, pass, comment, o->rounds, pubfile) < 0)
		goto out;
	status = 0;
	if (!o->quiet) {
		char fp[128], art[KG_RANDOMART_LEN];
		printf("Your identification has been saved in %s\n", o->file);
		printf("Your public key has been saved in %s\n", pubfile);
		if (kg_key_fingerprint_hash(k, o->fp, fp, sizeof(fp)) == KG_OK &&
		    kg_key_randomart(k, o->fp, art, sizeof(art)) == KG_OK)
			printf("The key fingerprint is:\n%s %s\nThe key's randomart image is:\n%s\n", fp, comment, art);
	}
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	kg_key_free(k);
	return status;
}

int kgk_host_keys(kgk_opts *o)
{
	static const struct {
		const char *name, *display;
		enum kg_keytype type;
	} types[] = {
		{ "rsa", "RSA", KG_KEY_RSA },
		{ "ecdsa", "ECDSA", KG_KEY_ECDSA_P256 },
		{ "ed25519", "ED25519", KG_KEY_ED25519 },
	};
	const char *prefix = o->have_file ? o->file : "";
	int first = 1, status = 0;
	char comment[1024];
	default_comment(comment, sizeof(comment));
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char priv[KGK_PATH_MAX], pub[KGK_PATH_MAX + 8];
		struct stat st;
		snprintf(priv, sizeof(priv), "%s/etc/ssh/ssh_host_%s_key", prefix, types[i].name);
		snprintf(pub, sizeof(pub), "%s.pub", priv);
		if (stat(priv, &st) == 0 && stat(pub, &st) == 0)
			continue;  /* both halves there: keep them */
		if (first)
			printf("kssh-keygen: generating new host keys: ");
		first = 0;
		printf("%s ", types[i].display);
		fflush(stdout);
		kg_key *k = NULL;
		int r = kg_key_generate(types[i].type, 0, &k);
		if (r < 0) {
			kgk_log("key generation failed: %s", kg_err_str(r));
			status = 1;
			continue;
		}
		free(k->comment);
		k->comment = strdup(comment);
		if (save_pair(k, priv, "", comment, o->rounds, pub) < 0)
			status = 1;
		kg_key_free(k);
	}
	if (!first)
		printf("\n");
	return status;
}
