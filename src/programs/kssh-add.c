/* kssh-add: ssh-add's command line (files, -l/-L/-E, -d/-D, -t, -c, -x/-X,
 * -q, -T, -h/-H); the work is in src/agent/agent-add.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "agent/agent-add.h"
#include "config/config-common.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: kssh-add [-cDdkLlqvXx] [-E fingerprint_hash] [-H hostkey_file]\n"
		"                [-h destination_constraint] [-t life] [file ...]\n"
		"       kssh-add -T pubkey ...\n"
		"       kssh-add -e pkcs11\n"
		"       kssh-add -s pkcs11\n");
}

static int add_arg(char ***v, int *n, char *arg)
{
	char **nv = realloc(*v, (size_t)(*n + 1) * sizeof(*nv));
	if (!nv)
		return -1;
	nv[(*n)++] = arg;
	*v = nv;
	return 0;
}

static int set_op(kg_add_opts *o, enum kg_add_op op)
{
	if (o->op != KG_ADD_KEYS && o->op != op) {
		usage();
		return -1;
	}
	o->op = op;
	return 0;
}

int main(int argc, char **argv)
{
	kg_add_opts o;
	memset(&o, 0, sizeof(o));
	o.fp = KG_FP_SHA256;
	int c;
	long life;
	while ((c = getopt(argc, argv, "vkKlLcdDTxXE:e:h:H:M:m:qs:S:t:")) != -1) {
		int r = 0;
		switch (c) {
		case 'v':
		case 'k':  /* certificates are never loaded: nothing to skip */
			break;
		case 'l':
			r = set_op(&o, KG_ADD_LIST_FP);
			break;
		case 'L':
			r = set_op(&o, KG_ADD_LIST_PUB);
			break;
		case 'd':
			r = set_op(&o, KG_ADD_DELETE);
			break;
		case 'D':
			r = set_op(&o, KG_ADD_DELETE_ALL);
			break;
		case 'x':
			r = set_op(&o, KG_ADD_LOCK);
			break;
		case 'X':
			r = set_op(&o, KG_ADD_UNLOCK);
			break;
		case 'c':
			o.confirm = 1;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'E':
			if (kg_fp_hash_from_name(optarg, &o.fp) < 0) {
				fprintf(stderr, "Invalid hash algorithm \"%s\"\n", optarg);
				return 255;
			}
			break;
		case 't':
			if (kg_cfg_parse_time(optarg, &life) < 0 || life <= 0 || life > 0x7fffffffL) {
				fprintf(stderr, "Invalid lifetime\n");
				return 1;
			}
			o.life = (uint32_t)life;
			break;
		case 'e':
		case 's':
			fprintf(stderr, "kssh-add: PKCS#11 tokens (-%c) are not supported\n", c);
			return 1;
		case 'S':
		case 'K':
			fprintf(stderr, "kssh-add: FIDO security keys (-%c) are not supported\n", c);
			return 1;
		case 'h':
		case 'H':
			if (add_arg(c == 'h' ? &o.dests : (char ***)&o.hostfiles, c == 'h' ? &o.ndests : &o.nhostfiles,
				    optarg) < 0)
				return 1;
			break;
		case 'T':
			r = set_op(&o, KG_ADD_TEST);
			break;
		case 'M':
		case 'm':
			fprintf(stderr, "kssh-add: -%c (hop limits) is not supported\n", c);
			return 1;
		default:
			usage();
			return 1;
		}
		if (r < 0)
			return 1;
	}
	o.files = argv + optind;
	o.nfiles = argc - optind;
	if ((o.nfiles > 0 && o.op != KG_ADD_KEYS && o.op != KG_ADD_DELETE && o.op != KG_ADD_TEST) ||
	    (o.nfiles == 0 && o.op == KG_ADD_TEST)) {
		usage();
		return 1;
	}
	int rc = kg_add_run(&o);
	free(o.dests);
	free(o.hostfiles);
	return rc;
}
