/* kssh-keygen -e / -i (public key formats, -m RFC4716|PKCS8|PEM), -p
 * (new passphrase; with -m PEM|PKCS8 a new private key format) and -c (new
 * comment), as ssh-keygen does them. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include "core/keyfile.h"
#include "core/keyfile-export.h"
#include "keygen/keygen.h"

/* The key file, asked for when -f is missing; prog prefixes the error
 * where ssh-keygen's does (its fatal() there names the program). */
static int need_file(kgk_opts *o, int prog)
{
	if (!o->have_file) {
		char def[KGK_PATH_MAX];
		kgk_default_path(o->type, def, sizeof(def));
		if (kgk_ask_filename(o, "Enter file in which the key is", def) < 0)
			return -1;
	}
	struct stat st;
	if (stat(o->file, &st) != 0) {
		kgk_log("%s%s: %s", prog ? "kssh-keygen: " : "", o->file, strerror(errno));
		return -1;
	}
	return 0;
}

int kgk_export(kgk_opts *o)
{
	if (need_file(o, 1) < 0)
		return 255;
	kg_key *k = NULL;
	int r = kgk_load_public(o->file, &k);
	if (r == KG_ERR_NEED_PASSPHRASE || r == KG_ERR_PASSPHRASE)
		r = kgk_load_private(o->file, o->old_pass, 1, &k, NULL, 0);
	if (r < 0) {
		kgk_log("load key \"%s\": %s", o->file, kgk_load_err(r));
		return 255;
	}
	char comment[1024], host[256] = "localhost";
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	struct passwd *pw = getpwuid(getuid());
	snprintf(comment, sizeof(comment), "%d-bit %s, converted by %s@%s from OpenSSH", kg_key_bits(k),
		 kg_key_type_short(k->type), pw ? pw->pw_name : "user", host);
	kg_buf out;
	kg_buf_init(&out, 0);
	r = kg_keyfile_export_public(k, o->fmt_set ? o->fmt : KG_FMT_RFC4716, comment, &out);
	if (r == KG_OK)
		fwrite(kg_buf_ptr(&out), 1, kg_buf_len(&out), stdout);
	else if (r == KG_ERR_KEY_TYPE)
		kgk_log("kssh-keygen: unsupported key type %s", kg_key_type_short(k->type));
	else
		kgk_log("kssh-keygen: cannot export %s: %s", o->file, kg_err_str(r));
	kg_buf_free(&out);
	kg_key_free(k);
	return r < 0 ? 255 : 0;
}

int kgk_import(kgk_opts *o)
{
	if (need_file(o, 1) < 0)
		return 255;
	char *text = NULL;
	size_t len = 0;
	int r = kgk_read_file(o->file, 256u * 1024, &text, &len);
	if (r < 0) {
		kgk_log("%s: %s", o->file, kgk_load_err(r));
		return 255;
	}
	kg_key *k = NULL;
	enum kg_keyfmt fmt = o->fmt_set ? o->fmt : KG_FMT_RFC4716;
	/* ssh-keygen -i -m PEM takes only PKCS#1 "RSA PUBLIC KEY". */
	if (fmt == KG_FMT_PEM && !memmem(text, len, "-----BEGIN RSA PUBLIC KEY-----", 30))
		r = KG_ERR_FORMAT;
	else
		r = kg_keyfile_import_public(text, len, fmt, &k);
	free(text);
	if (r < 0) {
		if (fmt == KG_FMT_RFC4716)
			kgk_log("kssh-keygen: parse key: invalid format");
		else if (fmt == KG_FMT_PKCS8)
			kgk_log("kssh-keygen: %s is not a recognised public key format", o->file);
		else
			kgk_log("kssh-keygen: unrecognised raw private key format");
		return 255;
	}
	kg_buf line;
	kg_buf_init(&line, 0);
	free(k->comment);
	k->comment = NULL;
	r = kg_key_to_line(k, &line);
	if (r == KG_OK)
		printf("%.*s\n", (int)kg_buf_len(&line), (const char *)kg_buf_ptr(&line));
	kg_buf_free(&line);
	kg_key_free(k);
	return r < 0 ? 255 : 0;
}

/* Writes k back to file in the chosen format (openssh-key-v1 unless -m
 * PEM/PKCS8 for a type that has one). */
static int save_private(const kgk_opts *o, const kg_key *k, const char *pass, const char *comment)
{
	kg_buf out;
	kg_buf_init(&out, 0);
	int r;
	if (o->fmt_set && (o->fmt == KG_FMT_PEM || o->fmt == KG_FMT_PKCS8) && k->type != KG_KEY_ED25519)
		r = kg_keyfile_write_private_pem(k, o->fmt, pass, &out);
	else
		r = kg_keyfile_write_private_rounds(k, pass, comment, o->rounds ? o->rounds : 16, &out);
	if (r == KG_OK && kgk_write_file(o->file, kg_buf_ptr(&out), kg_buf_len(&out), 0600) < 0)
		r = KG_ERR_SYSTEM;
	if (r < 0)
		kgk_log("Saving key \"%s\" failed: %s", o->file, kgk_load_err(r));
	kg_buf_free(&out);
	return r;
}

int kgk_change_pass(kgk_opts *o)
{
	if (need_file(o, 0) < 0)
		return 255;
	kg_key *k = NULL;
	char old[KGK_PASS_MAX] = "", p1[KGK_PASS_MAX] = "", p2[KGK_PASS_MAX] = "";
	int status = 255;
	int r = kgk_load_private(o->file, NULL, 0, &k, NULL, 0);
	if (r == KG_ERR_PASSPHRASE || r == KG_ERR_NEED_PASSPHRASE) {
		if (o->old_pass)
			snprintf(old, sizeof(old), "%s", o->old_pass);
		else if (kgk_read_pass("Enter old passphrase: ", old, sizeof(old)) < 0)
			old[0] = '\0';
		r = kgk_load_private(o->file, old, 0, &k, NULL, 0);
	}
	if (r < 0) {
		kgk_log("Failed to load key %s: %s", o->file, kgk_load_err(r));
		goto out;
	}
	if (k->comment)
		printf("Key has comment '%s'\n", k->comment);
	if (o->new_pass) {
		snprintf(p1, sizeof(p1), "%s", o->new_pass);
	} else {
		if (kgk_read_pass("Enter new passphrase (empty for no passphrase): ", p1, sizeof(p1)) < 0 ||
		    kgk_read_pass("Enter same passphrase again: ", p2, sizeof(p2)) < 0) {
			kgk_log("kssh-keygen: cannot read a passphrase (use -N)");
			goto out;
		}
		if (strcmp(p1, p2) != 0) {
			printf("Pass phrases do not match.  Try again.\n");
			status = 1;
			goto out;
		}
	}
	/* Only libcrypto's PEM encryption wants five characters or more. */
	if (o->fmt_set && o->fmt != KG_FMT_OPENSSH && k->type != KG_KEY_ED25519 && !kgk_pass_ok(p1)) {
		kgk_log("Saving key \"%s\" failed: passphrase is too short (minimum five characters)", o->file);
		status = 1;
		goto out;
	}
	if (save_private(o, k, p1, k->comment ? k->comment : "") < 0) {
		status = 1;
		goto out;
	}
	printf("Your identification has been saved with the new passphrase.\n");
	status = 0;
out:
	OPENSSL_cleanse(old, sizeof(old));
	OPENSSL_cleanse(p1, sizeof(p1));
	OPENSSL_cleanse(p2, sizeof(p2));
	kg_key_free(k);
	return status;
}

int kgk_change_comment(kgk_opts *o)
{
	if (need_file(o, 0) < 0)
		return 255;
	kg_key *k = NULL;
	char pass[KGK_PASS_MAX] = "", newc[1024];
	int status = 255;
	const char *given = o->old_pass ? o->old_pass : o->new_pass;
	int r = kgk_load_private(o->file, given, 1, &k, pass, sizeof(pass));
	if (r < 0) {
		kgk_log("Cannot load private key \"%s\": %s", o->file, kgk_load_err(r));
		goto out;
	}
	if (o->fmt_set && o->fmt != KG_FMT_OPENSSH && k->type != KG_KEY_ED25519) {
		kgk_log("Comments are only supported for keys stored in the new format (-o).");
		status = 1;
		goto out;
	}
	if (k->comment)
		printf("Old comment: %s\n", k->comment);
	else
		printf("No existing comment\n");
	if (o->comment) {
		snprintf(newc, sizeof(newc), "%s", o->comment);
	} else {
		printf("New comment: ");
		fflush(stdout);
		if (!fgets(newc, sizeof(newc), stdin)) {
			status = 1;
			goto out;
		}
		newc[strcspn(newc, "\n")] = '\0';
	}
	if (k->comment && strcmp(k->comment, newc) == 0) {
		printf("No change to comment\n");
		status = 0;
		goto out;
	}
	if (save_private(o, k, pass, newc) < 0) {
		status = 1;
		goto out;
	}
	free(k->comment);
	k->comment = strdup(newc);
	kg_buf pub;
	kg_buf_init(&pub, 0);
	char pubpath[KGK_PATH_MAX + 8];
	snprintf(pubpath, sizeof(pubpath), "%s.pub", o->file);
	r = kg_key_to_line(k, &pub);
	if (r == KG_OK)
		r = kg_buf_put_u8(&pub, '\n');
	if (r == KG_OK && kgk_write_file(pubpath, kg_buf_ptr(&pub), kg_buf_len(&pub), 0644) < 0)
		r = KG_ERR_SYSTEM;
	kg_buf_free(&pub);
	if (r < 0) {
		kgk_log("Unable to save public key to %s: %s", pubpath, kgk_load_err(r));
		goto out;
	}
	if (newc[0])
		printf("Comment '%s' applied\n", newc);
	else
		printf("Comment removed\n");
	status = 0;
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	kg_key_free(k);
	return status;
}
