/* kssh-keygen -Y sign | verify | find-principals | check-novalidate: SSH
 * signatures (PROTOCOL.sshsig, what git's ssh signing runs), with
 * ssh-keygen's messages and exit codes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "config/allowed-signers.h"
#include "core/sshsig.h"
#include "core/randomart.h"
#include "keygen/keygen.h"

#define READ_CHUNK (64u * 1024)
#define ALLOWED_MAX (16u * 1024 * 1024)

/* Digest of everything readable from fd. */
static int hash_fd(int fd, const char *hashalg, uint8_t *out, size_t *outlen)
{
	const EVP_MD *md = kg_sshsig_md(hashalg);
	ENSURE(md != NULL, KG_ERR_ARG);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ENSURE(ctx != NULL, KG_ERR_ALLOC);
	uint8_t *buf = malloc(READ_CHUNK);
	int r = buf && EVP_DigestInit_ex(ctx, md, NULL) == 1 ? KG_OK : KG_ERR_CRYPTO;
	for (;;) {
		if (r != KG_OK)
			break;
		ssize_t n = read(fd, buf, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = KG_ERR_SYSTEM;
		else if (n == 0)
			break;
		else if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			r = KG_ERR_CRYPTO;
	}
	unsigned int mdlen = 0;
	if (r == KG_OK && EVP_DigestFinal_ex(ctx, out, &mdlen) != 1)
		r = KG_ERR_CRYPTO;
	*outlen = mdlen;
	free(buf);
	EVP_MD_CTX_free(ctx);
	return r;
}

/* The signing key: the private key at path, or next to a .pub given. */
static int load_sign_key(const kgk_opts *o, kg_key **k)
{
	int r = kgk_load_private(o->file, o->old_pass, 1, k, NULL, 0);
	size_t n = strlen(o->file);
	if (r == KG_ERR_FORMAT && n > 4 && strcmp(o->file + n - 4, ".pub") == 0) {
		char priv[KGK_PATH_MAX];
		snprintf(priv, sizeof(priv), "%.*s", (int)(n - 4), o->file);
		r = kgk_load_private(priv, o->old_pass, 1, k, NULL, 0);
	}
	if (r < 0)
		kgk_log("Couldn't load private key %s: %s", o->file,
			r == KG_ERR_PASSPHRASE ? "incorrect passphrase supplied to decrypt private key"
			: r == KG_ERR_NOT_FOUND ? strerror(ENOENT) : kg_err_str(r));
	return r;
}

static int sign_fd(const kg_key *k, const char *ns, int fd, kg_buf *out)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	size_t dn = 0;
	GUARD(hash_fd(fd, "sha512", d, &dn));
	return kg_sshsig_sign(k, ns, "sha512", d, dn, out);
}

static int do_sign(const kgk_opts *o, char **args, int nargs)
{
	kg_key *k = NULL;
	if (load_sign_key(o, &k) < 0)
		return 255;
	int status = 0;
	kg_buf sig;
	kg_buf_init(&sig, KG_SSHSIG_MAX);
	if (nargs == 0 || (nargs == 1 && strcmp(args[0], "-") == 0)) {
		fprintf(stderr, "Signing data on standard input\n");
		int r = sign_fd(k, o->ns, 0, &sig);
		if (r < 0) {
			kgk_log("Signing failed: %s", kg_err_str(r));
			status = 255;
		} else {
			fwrite(kg_buf_ptr(&sig), 1, kg_buf_len(&sig), stdout);
		}
	}
	for (int i = 0; status == 0 && i < nargs && !(nargs == 1 && strcmp(args[0], "-") == 0); i++) {
		kg_buf_reset(&sig);
		fprintf(stderr, "Signing file %s\n", args[i]);
		int fd = open(args[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			kgk_log("Cannot open %s for signing: %s", args[i], strerror(errno));
			status = 255;
			break;
		}
		int r = sign_fd(k, o->ns, fd, &sig);
		close(fd);
		if (r < 0) {
			kgk_log("Signing %s failed: %s", args[i], kg_err_str(r));
			status = 255;
			break;
		}
		char sigpath[KGK_PATH_MAX + 8];
		snprintf(sigpath, sizeof(sigpath), "%s.sig", args[i]);
		struct stat st;
		if (stat(sigpath, &st) == 0 && !kgk_confirm_overwrite(sigpath))
			continue;
		if (kgk_write_file(sigpath, kg_buf_ptr(&sig), kg_buf_len(&sig), 0644) < 0) {
			kgk_log("Cannot write signature to %s: %s", sigpath, strerror(errno));
			status = 255;
			break;
		}
		fprintf(stderr, "Write signature to %s\n", sigpath);
	}
	kg_buf_free(&sig);
	kg_key_free(k);
	return status;
}

static int load_sig(const char *path, kg_sshsig *s)
{
	char *text = NULL;
	size_t len = 0;
	int r = kgk_read_file(path, KG_SSHSIG_MAX, &text, &len);
	if (r < 0) {
		kgk_log("Couldn't read signature file %s: %s", path,
			r == KG_ERR_NOT_FOUND ? strerror(ENOENT) : kg_err_str(r));
		return r;
	}
	r = kg_sshsig_parse(text, len, s);
	free(text);
	if (r < 0)
		kgk_log("Couldn't parse signature: invalid format");
	return r;
}

/* Verifies the signature in o->sigfile over standard input for o->ns. */
static int check_stdin(const kgk_opts *o, kg_sshsig *s)
{
	GUARD(load_sig(o->sigfile, s));
	uint8_t d[EVP_MAX_MD_SIZE];
	size_t dn = 0;
	int r = hash_fd(0, s->hashalg, d, &dn);
	if (r < 0) {
		kgk_log("Couldn't read the message: %s", kg_err_str(r));
		return r;
	}
	if (strcmp(s->ns, o->ns) != 0) {
		kgk_log("Couldn't verify signature: namespace does not match");
		return KG_ERR_SIGNATURE;
	}
	r = kg_sshsig_verify(s, o->ns, d, dn);
	if (r < 0)
		kgk_log("Signature verification failed: incorrect signature");
	return r;
}

static int do_verify(const kgk_opts *o, int novalidate)
{
	kg_sshsig s = { 0 };
	char *allowed = NULL;
	size_t alen = 0;
	int r = check_stdin(o, &s);
	if (r == KG_OK && !novalidate) {
		r = kgk_read_file(o->file, ALLOWED_MAX, &allowed, &alen);
		if (r < 0)
			kgk_log("Couldn't open allowed keys file %s: %s", o->file,
				r == KG_ERR_NOT_FOUND ? strerror(ENOENT) : kg_err_str(r));
		else
			r = kg_allowed_signers_check(allowed, alen, o->principal, s.key, o->ns, time(NULL));
	}
	char fp[128];
	if (r == KG_OK && kg_key_fingerprint(s.key, fp, sizeof(fp)) == KG_OK) {
		if (novalidate)
			printf("Good \"%s\" signature with %s key %s\n", o->ns, kg_key_type_short(s.key->type), fp);
		else
			printf("Good \"%s\" signature for %s with %s key %s\n", o->ns, o->principal,
			       kg_key_type_short(s.key->type), fp);
	} else {
		printf("Could not verify signature.\n");
		r = r < 0 ? r : KG_ERR_INTERNAL;
	}
	free(allowed);
	kg_sshsig_free(&s);
	return r < 0 ? 255 : 0;
}

static int do_find(const kgk_opts *o)
{
	kg_sshsig s = { 0 };
	if (load_sig(o->sigfile, &s) < 0)
		return 255;
	char *allowed = NULL;
	size_t alen = 0;
	int r = kgk_read_file(o->file, ALLOWED_MAX, &allowed, &alen);
	kg_buf out;
	kg_buf_init(&out, 0);
	if (r < 0)
		kgk_log("Couldn't open allowed keys file %s: %s", o->file,
			r == KG_ERR_NOT_FOUND ? strerror(ENOENT) : kg_err_str(r));
	else
		r = kg_allowed_signers_find(allowed, alen, s.key, NULL, time(NULL), &out);
	if (r == KG_OK)
		fwrite(kg_buf_ptr(&out), 1, kg_buf_len(&out), stdout);
	else if (r == KG_ERR_NOT_FOUND)
		kgk_log("No principal matched.");
	kg_buf_free(&out);
	free(allowed);
	kg_sshsig_free(&s);
	return r == KG_OK ? 0 : r == KG_ERR_NOT_FOUND ? 1 : 255;
}

int kgk_sig(kgk_opts *o, const char *op, char **args, int nargs)
{
	int sign = strcmp(op, "sign") == 0, verify = strcmp(op, "verify") == 0;
	int find = strcmp(op, "find-principals") == 0, check = strcmp(op, "check-novalidate") == 0;
	if (!sign && !verify && !find && !check) {
		kgk_log("kssh-keygen: -Y %s is not supported yet (sign, verify, find-principals, "
				"check-novalidate)", op);
		return 1;
	}
	if ((sign || verify || check) && !o->ns) {
		kgk_log("Too few arguments for %s: missing namespace", op);
		return 1;
	}
	if (!sign && !o->sigfile) {
		kgk_log("Too few arguments for %s: missing signature file", op);
		return 1;
	}
	if ((sign || verify || find) && !o->have_file) {
		kgk_log("Too few arguments for %s: missing %s", op, sign ? "key" : "allowed keys file");
		return 1;
	}
	if (verify && !o->principal) {
		kgk_log("Too few arguments for verify: missing principal ID");
		return 1;
	}
	if (!sign && nargs) {
		kgk_log("kssh-keygen: -Y %s takes no file arguments", op);
		return 1;
	}
	if (o->ns && (o->ns[0] == '\0' || strlen(o->ns) > KG_SSHSIG_NS_MAX)) {
		kgk_log("kssh-keygen: bad namespace");
		return 1;
	}
	if (sign)
		return do_sign(o, args, nargs);
	if (find)
		return do_find(o);
	return do_verify(o, check);
}
