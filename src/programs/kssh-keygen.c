/* kssh-keygen: ssh-keygen's command line (generate, -l, -y, -p, -c, -e/-i,
 * -F/-R/-H, -A, -r, -Y, -k/-Q, -s/-L certificates); the work is in src/keygen/. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/keyfile-export.h"
#include "core/randomart.h"
#include "keygen/keygen.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: kssh-keygen [-q] [-a rounds] [-b bits] [-C comment] [-f output_keyfile]\n"
		"                   [-m format] [-N new_passphrase] [-t ecdsa | ed25519 | rsa]\n"
		"       kssh-keygen -p [-a rounds] [-f keyfile] [-m format] [-N new_passphrase]\n"
		"                   [-P old_passphrase]\n"
		"       kssh-keygen -i [-f input_keyfile] [-m key_format]\n"
		"       kssh-keygen -e [-f input_keyfile] [-m key_format]\n"
		"       kssh-keygen -y [-f input_keyfile]\n"
		"       kssh-keygen -c [-a rounds] [-C comment] [-f keyfile] [-P passphrase]\n"
		"       kssh-keygen -l [-v] [-E fingerprint_hash] [-f input_keyfile]\n"
		"       kssh-keygen -F hostname [-lv] [-f known_hosts_file]\n"
		"       kssh-keygen -H [-f known_hosts_file]\n"
		"       kssh-keygen -R hostname [-f known_hosts_file]\n"
		"       kssh-keygen -r hostname [-f input_keyfile]\n"
		"       kssh-keygen -A [-a rounds] [-f prefix_path]\n"
		"       kssh-keygen -k -f krl_file [-u] [-s ca_public] [-z version_number]\n"
		"                   file ...\n"
		"       kssh-keygen -Q [-l] -f krl_file [file ...]\n"
		"       kssh-keygen -s ca_key -I certificate_identity [-h] [-n principals]\n"
		"                   [-O option] [-V validity_interval] [-z serial_number] file ...\n"
		"       kssh-keygen -L [-f input_keyfile]\n"
		"       kssh-keygen -Y find-principals -s signature_file -f allowed_signers_file\n"
		"       kssh-keygen -Y check-novalidate -n namespace -s signature_file\n"
		"       kssh-keygen -Y sign -f key_file -n namespace file ...\n"
		"       kssh-keygen -Y verify -f allowed_signers_file -I signer_identity\n"
		"                   -n namespace -s signature_file\n");
}

static int number(const char *s, long lo, long hi, long *out)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Why number() refused s, in strtonum's words (as ssh-keygen reports it). */
static const char *number_why(const char *s, long lo, long hi)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);
	if (!*s || *end)
		return "invalid";
	return v < lo ? "too small" : v > hi ? "too large" : "invalid";
}

int main(int argc, char **argv)
{
	kgk_opts o;
	memset(&o, 0, sizeof(o));
	int gen_all = 0, change_pass = 0, change_comment = 0, to = 0, from = 0, print_pub = 0;
	int find = 0, remove = 0, list_cert = 0, c;
	kgk_cert_opts co;
	memset(&co, 0, sizeof(co));
	const char *rr = NULL, *sign_op = NULL;
	int krl_gen = 0, krl_check = 0, krl_update = 0;
	const char *serial_arg = NULL;
	long v;
	while ((c = getopt(argc, argv, "AHceilopqvyC:E:F:I:N:O:P:R:V:Y:a:b:f:m:n:r:s:t:z:DGKkLMQTUZghjuw")) != -1) {
		switch (c) {
		case 'A': gen_all = 1; break;
		case 'H': o.hash = 1; break;
		case 'c': change_comment = 1; break;
		case 'e': to = 1; break;
		case 'i': from = 1; break;
		case 'l': o.print_fp = 1; break;
		case 'o': break;  /* the openssh-key-v1 format is what kagi always writes */
		case 'p': change_pass = 1; break;
		case 'q': o.quiet = 1; break;
		case 'v': o.verbose = 1; break;
		case 'y': print_pub = 1; break;
		case 'C': o.comment = optarg; break;
		case 'E':
			if (kg_fp_hash_from_name(optarg, &o.fp) < 0) {
				fprintf(stderr, "Invalid hash algorithm \"%s\"\r\n", optarg);
				return 255;
			}
			break;
		case 'F': find = 1; o.host = optarg; break;
		case 'R': remove = 1; o.host = optarg; break;
		case 'I': o.principal = optarg; co.key_id = optarg; break;
		case 'N': o.new_pass = optarg; break;
		case 'P': o.old_pass = optarg; break;
		case 'Y': sign_op = optarg; break;
		case 'a':
			if (number(optarg, 1, 100000, &v) < 0) {
				fprintf(stderr, "Invalid number: %s (%s)\r\n", optarg, number_why(optarg, 1, 100000));
				return 255;
			}
			o.rounds = (unsigned int)v;
			break;
		case 'b':
			if (number(optarg, 1, 1 << 16, &v) < 0) {
				fprintf(stderr, "Bits has bad value %s (%s)\r\n", optarg, number_why(optarg, 1, 1 << 16));
				return 255;
			}
			o.bits = (int)v;
			break;
		case 'f':
			snprintf(o.filebuf, sizeof(o.filebuf), "%s", optarg);
			o.file = o.filebuf;
			o.have_file = 1;
			break;
		case 'm':
			if (kg_keyfmt_from_name(optarg, &o.fmt) < 0) {
				fprintf(stderr, "Unsupported conversion format \"%s\"\r\n", optarg);
				return 255;
			}
			o.fmt_set = 1;
			break;
		case 'n': o.ns = optarg; co.principals = optarg; break;
		case 'h': co.host = 1; break;
		case 'L': list_cert = 1; break;
		case 'V': co.validity = optarg; break;
		case 'z': {
			char *end = NULL;
			errno = 0;
			co.serial = strtoull(optarg, &end, 10);  /* with -k: the KRL's version number */
			serial_arg = optarg;
			if (!*optarg || *end || errno || optarg[0] == '-') {
				fprintf(stderr, "Invalid serial number \"%s\"\r\n", optarg);
				return 255;
			}
			break;
		}
		case 'O':
			if (co.nopts >= (int)KG_ARRAY_LEN(co.opts)) {
				fprintf(stderr, "Too many certificate options\r\n");
				return 255;
			}
			co.opts[co.nopts++] = optarg;
			break;
		case 'r': rr = optarg; break;
		case 's': o.sigfile = optarg; break;
		case 't': o.type = optarg; break;
		case 'k': krl_gen = 1; break;
		case 'Q': krl_check = 1; break;
		case 'u': krl_update = 1; break;
		case 'D': case 'K': case 'U': case 'w':
			fprintf(stderr, "kssh-keygen: -%c: security keys, PKCS#11 and agents are not supported yet\n", c);
			return 1;
		case 'G': case 'M': case 'T':
			fprintf(stderr, "kssh-keygen: -%c: moduli generation is not supported yet\n", c);
			return 1;
		case 'Z': case 'g': case 'j':
			fprintf(stderr, "kssh-keygen: -%c is not supported yet\n", c);
			return 1;
		default: usage(); return 1;
		}
	}
	if (krl_gen)
		return kgk_krl_gen(&o, krl_update, serial_arg, argv + optind, argc - optind);
	if (krl_check)
		return kgk_krl_check(&o, argv + optind, argc - optind);
	if (list_cert) {
		char def[KGK_PATH_MAX];
		kgk_default_path("rsa", def, sizeof(def));
		if (!o.have_file && kgk_ask_filename(&o, "Enter file in which the key is", def) < 0)
			return 255;
		return kgk_cert_list(&o);
	}
	if (o.sigfile && !sign_op)
		return kgk_cert_sign(&o, &co, argv + optind, argc - optind);
	if (sign_op)
		return kgk_sig(&o, sign_op, argv + optind, argc - optind);
	if (optind != argc) {
		usage();
		return 1;
	}
	if (find || remove || (o.hash && !rr))
		return kgk_known_hosts(&o, find, remove);
	if (o.print_fp)
		return kgk_fingerprint(&o);
	if (change_pass)
		return kgk_change_pass(&o);
	if (change_comment)
		return kgk_change_comment(&o);
	if (to)
		return kgk_export(&o);
	if (from)
		return kgk_import(&o);
	if (print_pub)
		return kgk_print_public(&o);
	if (rr) {
		o.host = rr;
		return kgk_sshfp(&o);
	}
	if (gen_all)
		return kgk_host_keys(&o);
	return kgk_generate(&o);
}
