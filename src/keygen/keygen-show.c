/* kssh-keygen -l (fingerprints of key, known_hosts and authorized_keys
 * files, with -v randomart and -E), -y (public key of a private key) and
 * -r (SSHFP records), printing what ssh-keygen prints. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "core/cert.h"
#include "core/keyfile.h"
#include "core/randomart.h"
#include "keygen/keygen.h"

#define FP_FILE_MAX (64u * 1024 * 1024)

static void show_one(const kgk_opts *o, const kg_key *k, const char *comment, size_t clen, int cert)
{
	const char *sfx = cert ? "-CERT" : "";
	char fp[128], art[KG_RANDOMART_LEN];
	if (kg_key_fingerprint_hash(k, o->fp, fp, sizeof(fp)) < 0)
		return;
	if (comment)
		printf("%d %s %.*s (%s%s)\n", kg_key_bits(k), fp, (int)clen, comment, kg_key_type_short(k->type), sfx);
	else
		printf("%d %s no comment (%s%s)\n", kg_key_bits(k), fp, kg_key_type_short(k->type), sfx);
	if (o->verbose && kg_key_randomart(k, o->fp, art, sizeof(art)) == KG_OK)
		printf("%s\n", art);
}

/* Parses "type base64 [comment]" at p (n bytes): the key and where its
 * comment starts (blanks after the base64 skipped). */
static int key_at(const char *p, size_t n, kg_key **k, size_t *cstart, int *cert)
{
	size_t i = 0;
	while (i < n && p[i] != ' ' && p[i] != '\t')
		i++;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	while (i < n && p[i] != ' ' && p[i] != '\t')
		i++;
	size_t end = i;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	char *text = strndup(p, end);
	if (!text)
		return KG_ERR_ALLOC;
	int r = kg_key_from_line(text, k);
	*cert = 0;
	kg_cert *c = NULL;
	/* A certificate shows its certified key (as ssh-keygen, type "-CERT"). */
	if (r == KG_ERR_KEY_TYPE && kg_cert_from_line(text, &c) == KG_OK) {
		*k = c->key;
		c->key = NULL;
		*cert = 1;
		r = KG_OK;
	}
	kg_cert_free(c);
	free(text);
	*cstart = i;
	return r;
}

/* One line of a public key / known_hosts / authorized_keys file: 1 if a
 * key was shown.  A line that does not start with a key may start with a
 * host list or options field (quotes protect blanks), then one separator. */
static int fp_line(const kgk_opts *o, const char *line, size_t n, size_t lineno)
{
	size_t i = 0;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == n || line[i] == '#')
		return 0;
	const char *p = line + i;
	size_t pn = n - i, cs = 0;
	kg_key *k = NULL;
	const char *comment = NULL;
	size_t clen = 0;
	int cert = 0;
	if (key_at(p, pn, &k, &cs, &cert) != KG_OK) {
		size_t j = 0;
		int quoted = 0;
		for (; j < pn && (quoted || (p[j] != ' ' && p[j] != '\t')); j++) {
			if (p[j] == '\\' && j + 1 < pn && p[j + 1] == '"')
				j++;
			else if (p[j] == '"')
				quoted = !quoted;
		}
		if (j == pn)
			return 0;
		comment = p;
		clen = j;
		j++;  /* exactly one separator, as ssh-keygen */
		if (key_at(p + j, pn - j, &k, &cs, &cert) != KG_OK) {
			if (o->verbose)  /* -v raises ssh-keygen's log level to debug1 */
				kgk_log("debug1: %s:%zu: not a public key", o->file, lineno);
			return 0;
		}
		cs += j;
	}
	if (cs < pn) {
		comment = p + cs;
		clen = pn - cs;
	}
	show_one(o, k, comment, clen, cert);
	kg_key_free(k);
	return 1;
}

static int fp_private(const kgk_opts *o, const char *path, const char *text, size_t len)
{
	char pubpath[KGK_PATH_MAX + 8];
	kg_key *k = NULL;
	snprintf(pubpath, sizeof(pubpath), "%s.pub", path);
	if (kgk_load_public(pubpath, &k) == KG_OK) {
		show_one(o, k, k->comment && *k->comment ? k->comment : NULL, k->comment ? strlen(k->comment) : 0, 0);
		kg_key_free(k);
		return 0;
	}
	int r = kg_keyfile_parse_private((const uint8_t *)text, len, NULL, &k);
	if (r < 0)
		r = kg_keyfile_public_of_private((const uint8_t *)text, len, &k);
	if (r < 0) {
		kgk_log("Load key \"%s\": %s", path, kg_err_str(r));
		return 255;
	}
	show_one(o, k, k->comment && *k->comment ? k->comment : NULL, k->comment ? strlen(k->comment) : 0, 0);
	kg_key_free(k);
	return 0;
}

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
	if (access(o->file, F_OK) != 0) {
		kgk_log("%s%s: %s", prog ? "kssh-keygen: " : "", o->file, strerror(errno));
		return -1;
	}
	return 0;
}

int kgk_fingerprint(kgk_opts *o)
{
	if (need_file(o, 1) < 0)
		return 255;
	char *text = NULL;
	size_t len = 0;
	int r = kgk_read_file(o->file, FP_FILE_MAX, &text, &len);
	if (r < 0) {
		kgk_log("%s: %s", o->file, r == KG_ERR_SYSTEM ? strerror(errno) : kg_err_str(r));
		return 255;
	}
	size_t first = strcspn(text, "\n");
	int status = 0, shown = 0;
	if (memmem(text, first, "PRIVATE KEY", 11)) {
		status = fp_private(o, o->file, text, len);
	} else {
		for (size_t pos = 0, lineno = 1; pos < len; lineno++) {
			const char *nl = memchr(text + pos, '\n', len - pos);
			size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
			shown += fp_line(o, text + pos, n, lineno);
			pos += n + (nl ? 1 : 0);
		}
		if (!shown) {
			kgk_log("%s is not a public key file.", o->file);
			status = 255;
		}
	}
	OPENSSL_cleanse(text, len);
	free(text);
	return status;
}

int kgk_print_public(kgk_opts *o)
{
	if (need_file(o, 0) < 0)
		return 255;
	kg_key *k = NULL;
	int r = kgk_load_private(o->file, o->old_pass, 1, &k, NULL, 0);
	if (r < 0) {
		kgk_log("Load key \"%s\": %s", o->file, kgk_load_err(r));
		return 255;
	}
	char *comment = k->comment;
	k->comment = NULL;  /* the line without it; added after, only when not empty */
	kg_buf line;
	kg_buf_init(&line, 0);
	r = kg_key_to_line(k, &line);
	if (r == KG_OK)
		printf("%.*s%s%s\n", (int)kg_buf_len(&line), (const char *)kg_buf_ptr(&line),
		       comment && *comment ? " " : "", comment && *comment ? comment : "");
	kg_buf_free(&line);
	free(comment);
	kg_key_free(k);
	return r < 0;
}

/* SSHFP (RFC 4255, 6594, 7479): algorithm 1 RSA, 3 ECDSA, 4 Ed25519;
 * fingerprint type 1 SHA-1, 2 SHA-256 of the public blob. */
int kgk_sshfp(kgk_opts *o)
{
	if (!o->have_file) {
		kgk_log("kssh-keygen: -r needs -f key_file (reading the system host keys is not supported yet)");
		return 1;
	}
	kg_key *k = NULL;
	int r = kgk_load_public(o->file, &k);
	if (r < 0) {
		kgk_log("%s: %s", o->file, r == KG_ERR_SYSTEM || r == KG_ERR_NOT_FOUND ? strerror(ENOENT)
									: kgk_load_err(r));
		return 255;
	}
	int alg = k->type == KG_KEY_RSA ? 1 : k->type == KG_KEY_ED25519 ? 4 : 3;
	kg_buf blob;
	kg_buf_init(&blob, 0);
	r = kg_key_to_blob(k, &blob);
	for (int d = 1; r == KG_OK && d <= 2; d++) {
		uint8_t md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		char hex[2 * EVP_MAX_MD_SIZE + 1];
		if (EVP_Digest(kg_buf_ptr(&blob), kg_buf_len(&blob), md, &mdlen, d == 1 ? EVP_sha1() : EVP_sha256(),
			       NULL) != 1) {
			r = KG_ERR_CRYPTO;
			break;
		}
		kg_hex(md, mdlen, hex);
		printf("%s IN SSHFP %d %d %s\n", o->host, alg, d, hex);
	}
	kg_buf_free(&blob);
	kg_key_free(k);
	return r < 0 ? 255 : 0;
}
