/* kssh-keygen's operations (one function per mode), called by the thin
 * main in src/programs/kssh-keygen.c.  Each prints what ssh-keygen prints
 * and returns the process exit status. */
#ifndef KAGI_KEYGEN_H
#define KAGI_KEYGEN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "core/key.h"
#include "core/keyfile-export.h"
#include "core/randomart.h"

#define KGK_PATH_MAX 4096
#define KGK_PASS_MAX 1024

typedef struct kgk_opts {
	const char *type;          /* -t; NULL = ed25519 */
	int bits;                  /* -b; 0 = default */
	const char *file;          /* -f */
	int have_file;
	char filebuf[KGK_PATH_MAX];
	const char *new_pass;      /* -N */
	const char *old_pass;      /* -P */
	const char *comment;       /* -C */
	int quiet;                 /* -q */
	int verbose;               /* -v */
	unsigned int rounds;       /* -a; 0 = 16 */
	enum kg_fp_hash fp;        /* -E */
	enum kg_keyfmt fmt;        /* -m */
	int fmt_set;
	int hash;                  /* -H */
	int print_fp;              /* -l */
	const char *host;          /* -F / -R / -r argument */
	const char *ns;            /* -n (for -Y) */
	const char *principal;     /* -I (for -Y) */
	const char *sigfile;       /* -s (for -Y) */
} kgk_opts;

/* keygen-io.c: files, prompts and key loading shared by the modes. */
/* A diagnostic on standard error, ended with "\r\n" as OpenSSH's log
 * lines are (its error, logit and fatal messages). */
void kgk_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes text to standard error, each '\n' as "\r\n" (kgk_log's ending). */
void kgk_log_lines(const char *text, size_t len);
const char *kgk_home(void);
int kgk_read_file(const char *path, size_t max, char **text, size_t *len);
int kgk_write_file(const char *path, const void *data, size_t len, int mode);
int kgk_read_pass(const char *prompt, char *buf, size_t n);
int kgk_confirm_overwrite(const char *path);
/* Asks "msg (default): " on stdout and reads a file name from stdin. */
int kgk_ask_filename(kgk_opts *o, const char *msg, const char *def);
/* Loads a private key; when it is encrypted uses pass, else asks "Enter
 * passphrase: " if ask, else gives KG_ERR_NEED_PASSPHRASE.  used (may be
 * NULL) gets the passphrase that opened it (the caller wipes it). */
int kgk_load_private(const char *path, const char *pass, int ask, kg_key **out, char *used, size_t usedlen);
/* What a failed kgk_load_private/kgk_load_public says, in ssh-keygen's words. */
const char *kgk_load_err(int r);
/* Public key of path: its .pub (with comment) when present, a public key
 * line, or the public half of a private key. */
int kgk_load_public(const char *path, kg_key **out);
/* PEM / PKCS#8 encryption needs an empty or 5+ character passphrase. */
int kgk_pass_ok(const char *pass);
/* The default ~/.ssh/id_<type> path for a -t name. */
void kgk_default_path(const char *type, char *out, size_t n);

int kgk_generate(kgk_opts *o);                 /* keygen-gen.c */
int kgk_host_keys(kgk_opts *o);                /* -A */
int kgk_fingerprint(kgk_opts *o);              /* keygen-show.c: -l */
int kgk_print_public(kgk_opts *o);             /* -y */
int kgk_sshfp(kgk_opts *o);                    /* -r */
int kgk_export(kgk_opts *o);                   /* keygen-convert.c: -e */
int kgk_import(kgk_opts *o);                   /* -i */
int kgk_change_pass(kgk_opts *o);              /* -p */
int kgk_change_comment(kgk_opts *o);           /* -c */
int kgk_known_hosts(kgk_opts *o, int find, int remove);  /* keygen-kh.c: -F / -R / -H */
/* keygen-cert.c: -s (with -I/-h/-n/-V/-z/-O) and -L. */
typedef struct kgk_cert_opts {
	const char *key_id;        /* -I */
	int host;                  /* -h */
	const char *principals;    /* -n, comma-separated */
	const char *validity;      /* -V */
	unsigned long long serial; /* -z */
	const char *opts[64];      /* -O, in order */
	int nopts;
} kgk_cert_opts;
int kgk_cert_sign(kgk_opts *o, const kgk_cert_opts *co, char **files, int nfiles);
int kgk_cert_list(kgk_opts *o);
/* Parses a -V validity interval relative to now; -1 when malformed. */
int kgk_cert_validity(const char *spec, time_t now, uint64_t *from, uint64_t *to);
int kgk_sig(kgk_opts *o, const char *op, char **args, int nargs);  /* keygen-sig.c: -Y */
/* keygen-krl.c: -k [-u] [-s ca_public|none] [-z version] spec files, and
 * -Q [-l] key files (exit 1 if any is revoked). */
int kgk_krl_gen(kgk_opts *o, int updating, const char *version, char **files, int n);
int kgk_krl_check(kgk_opts *o, char **files, int n);

#endif
