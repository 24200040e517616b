/* kssh-keygen: generates key pairs and shows fingerprints (a minimal
 * ssh-keygen: -t -b -f -N -C -q, -l [-f], -y [-f]). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include "core/key.h"
#include "core/keyfile.h"
#include "config/config-common.h"
#include "sys/tty.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: kssh-keygen [-q] [-b bits] [-C comment] [-f output_keyfile] [-N new_passphrase]\n"
		"                   [-t ed25519 | ecdsa | rsa]\n"
		"       kssh-keygen -l [-f input_keyfile]\n"
		"       kssh-keygen -y [-f input_keyfile]\n");
}

/* Writes data to path with mode, replacing any old file atomically. */
static int write_file(const char *path, const kg_buf *data, mode_t mode)
{
	char tmp[4200];
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return KG_ERR_ARG;
	int fd = mkstemp(tmp);
	if (fd < 0)
		return KG_ERR_SYSTEM;
	int ok = fchmod(fd, mode) == 0;
	size_t off = 0, len = kg_buf_len(data);
	while (ok && off < len) {
		ssize_t n = write(fd, kg_buf_ptr(data) + off, len - off);
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

/* Loads a public key from path (a .pub line), or from a private key file. */
static int load_any(const char *path, kg_key **out, int need_private)
{
	char *text = NULL;
	size_t len = 0;
	int r = kg_read_text_file(path, 1024 * 1024, &text, &len, NULL);
	if (r < 0) {
		fprintf(stderr, "kssh-keygen: %s: %s\n", path, r == KG_ERR_NOT_FOUND ? "No such file or directory" : kg_err_str(r));
		return r;
	}
	if (!need_private && kg_key_from_line(text, out) == KG_OK) {
		free(text);
		return KG_OK;
	}
	r = kg_keyfile_parse_private((const uint8_t *)text, len, NULL, out);
	if (r == KG_ERR_NEED_PASSPHRASE) {
		char pass[1024];
		if (kg_tty_read_secret("Enter passphrase: ", pass, sizeof(pass)) == KG_OK)
			r = kg_keyfile_parse_private((const uint8_t *)text, len, pass, out);
		OPENSSL_cleanse(pass, sizeof(pass));
	}
	OPENSSL_cleanse(text, len);
	free(text);
	if (r < 0)
		fprintf(stderr, "kssh-keygen: %s is not a key file: %s\n", path, kg_err_str(r));
	return r;
}

static int show_fingerprint(const char *path)
{
	kg_key *k = NULL;
	char *pub = malloc(strlen(path) + 5);
	if (!pub)
		return 1;
	sprintf(pub, "%s.pub", path);
	/* Like ssh-keygen, a private key's .pub (with its comment) is preferred. */
	int r = access(pub, R_OK) == 0 ? load_any(pub, &k, 0) : load_any(path, &k, 0);
	free(pub);
	if (r < 0)
		return 1;
	char fp[KG_KEY_FP_LEN];
	if (kg_key_fingerprint(k, fp, sizeof(fp)) < 0) {
		kg_key_free(k);
		return 1;
	}
	printf("%d %s %s (%s)\n", kg_key_bits(k), fp, k->comment && *k->comment ? k->comment : "no comment",
	       kg_key_type_short(k->type));
	kg_key_free(k);
	return 0;
}

static int show_public(const char *path)
{
	kg_key *k = NULL;
	if (load_any(path, &k, 1) < 0)
		return 1;
	kg_buf line;
	kg_buf_init(&line, 0);
	int r = kg_key_to_line(k, &line);
	if (r >= 0)
		printf("%.*s\n", (int)kg_buf_len(&line), (const char *)kg_buf_ptr(&line));
	kg_buf_free(&line);
	kg_key_free(k);
	return r < 0;
}

int main(int argc, char **argv)
{
	const char *type = "ed25519", *file = NULL, *pass = NULL, *comment = NULL;
	int bits = 0, quiet = 0, list = 0, print_pub = 0, c;
	char passbuf[1024] = "", again[1024] = "";
	while ((c = getopt(argc, argv, "b:C:E:f:lN:qt:y")) != -1) {
		switch (c) {
		case 'b': bits = atoi(optarg); break;
		case 'C': comment = optarg; break;
		case 'E':
			if (strcasecmp(optarg, "sha256") != 0) {
				fprintf(stderr, "kssh-keygen: only SHA256 fingerprints are supported\n");
				return 1;
			}
			break;
		case 'f': file = optarg; break;
		case 'l': list = 1; break;
		case 'N': pass = optarg; break;
		case 'q': quiet = 1; break;
		case 't': type = optarg; break;
		case 'y': print_pub = 1; break;
		default: usage(); return 1;
		}
	}
	if (optind != argc) {
		usage();
		return 1;
	}
	struct passwd *pw = getpwuid(getuid());
	char defpath[4096];
	if (list || print_pub) {
		if (!file) {
			fprintf(stderr, "kssh-keygen: -%c needs -f file\n", list ? 'l' : 'y');
			return 1;
		}
		return list ? show_fingerprint(file) : show_public(file);
	}
	enum kg_keytype kt;
	if (strcmp(type, "ed25519") == 0)
		kt = KG_KEY_ED25519;
	else if (strcmp(type, "rsa") == 0)
		kt = KG_KEY_RSA;
	else if (strcmp(type, "ecdsa") == 0)
		kt = bits == 384 ? KG_KEY_ECDSA_P384 : bits == 521 ? KG_KEY_ECDSA_P521 : KG_KEY_ECDSA_P256;
	else {
		fprintf(stderr, "kssh-keygen: unknown key type %s (ed25519, ecdsa or rsa)\n", type);
		return 1;
	}
	if (kt == KG_KEY_RSA && bits != 0 && (bits < KG_RSA_MIN_BITS || bits > 16384)) {
		fprintf(stderr, "kssh-keygen: RSA keys must be %d to 16384 bits\n", KG_RSA_MIN_BITS);
		return 1;
	}
	if (kt != KG_KEY_RSA && kt != KG_KEY_ED25519 && bits != 0 && bits != 256 && bits != 384 && bits != 521) {
		fprintf(stderr, "kssh-keygen: ECDSA keys are 256, 384 or 521 bits\n");
		return 1;
	}
	if (!file) {
		if (!pw) {
			fprintf(stderr, "kssh-keygen: who are you?\n");
			return 1;
		}
		snprintf(defpath, sizeof(defpath), "%s/.ssh/id_%s", pw->pw_dir, type);
		file = defpath;
	}
	if (!quiet)
		printf("Generating public/private %s key pair.\n", type);
	if (access(file, F_OK) == 0) {
		char q[4200];
		snprintf(q, sizeof(q), "%s already exists.\nOverwrite (y/n)? ", file);
		if (kg_tty_ask_yes_no(q) != 1) {
			fprintf(stderr, "kssh-keygen: not overwriting %s\n", file);
			return 1;
		}
	}
	if (!pass) {
		if (kg_tty_read_secret("Enter passphrase (empty for no passphrase): ", passbuf, sizeof(passbuf)) < 0 ||
		    kg_tty_read_secret("Enter same passphrase again: ", again, sizeof(again)) < 0) {
			fprintf(stderr, "kssh-keygen: cannot read a passphrase (use -N)\n");
			return 1;
		}
		if (strcmp(passbuf, again) != 0) {
			fprintf(stderr, "Passphrases do not match.  Try again.\n");
			return 1;
		}
		pass = passbuf;
	}
	char defcomment[512];
	if (!comment) {
		char host[256] = "localhost";
		gethostname(host, sizeof(host) - 1);
		snprintf(defcomment, sizeof(defcomment), "%s@%s", pw ? pw->pw_name : "user", host);
		comment = defcomment;
	}
	kg_key *k = NULL;
	kg_buf priv, pub;
	kg_buf_init(&priv, 0);
	kg_buf_init(&pub, 0);
	int status = 1;
	int r = kg_key_generate(kt, kt == KG_KEY_RSA ? bits : 0, &k);
	if (r >= 0) {
		free(k->comment);
		k->comment = strdup(comment);
		r = kg_keyfile_write_private(k, pass, comment, &priv);
	}
	if (r >= 0)
		r = kg_key_to_line(k, &pub);
	if (r >= 0)
		r = kg_buf_put_u8(&pub, '\n');
	char pubpath[4200];
	snprintf(pubpath, sizeof(pubpath), "%s.pub", file);
	if (r < 0) {
		fprintf(stderr, "kssh-keygen: key generation failed: %s\n", kg_err_str(r));
	} else if (write_file(file, &priv, 0600) < 0) {
		fprintf(stderr, "kssh-keygen: saving key \"%s\" failed: %s\n", file, strerror(errno));
	} else if (write_file(pubpath, &pub, 0644) < 0) {
		fprintf(stderr, "kssh-keygen: saving key \"%s\" failed: %s\n", pubpath, strerror(errno));
	} else {
		status = 0;
		if (!quiet) {
			char fp[KG_KEY_FP_LEN];
			printf("Your identification has been saved in %s\n", file);
			printf("Your public key has been saved in %s\n", pubpath);
			if (kg_key_fingerprint(k, fp, sizeof(fp)) == KG_OK)
				printf("The key fingerprint is:\n%s %s\n", fp, comment);
		}
	}
	OPENSSL_cleanse(passbuf, sizeof(passbuf));
	OPENSSL_cleanse(again, sizeof(again));
	kg_buf_free(&priv);
	kg_buf_free(&pub);
	kg_key_free(k);
	return status;
}
