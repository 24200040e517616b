/* kssh-agent: ssh-agent's command line (-c/-s, -D/-d, -a, -t, -k, a
 * command to run with the agent); the agent itself is in src/agent/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "agent/agent-run.h"
#include "config/config-common.h"
#include "core/randomart.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: kssh-agent [-c | -s] [-Dd] [-a bind_address] [-E fingerprint_hash]\n"
		"                  [-t life]\n"
		"       kssh-agent [-a bind_address] [-E fingerprint_hash] [-t life]\n"
		"                  command [arg ...]\n"
		"       kssh-agent [-c | -s] -k\n");
}

int main(int argc, char **argv)
{
	kg_agentd_opts o;
	memset(&o, 0, sizeof(o));
	o.csh = -1;
	int kill_agent = 0, c;
	long life;
	while ((c = getopt(argc, argv, "+cDdksa:E:t:O:P:")) != -1) {
		switch (c) {
		case 'c':
		case 's':
			if (o.csh >= 0) {
				usage();
				return 1;
			}
			o.csh = c == 'c';
			break;
		case 'D':
			o.foreground = 1;
			break;
		case 'd':
			if (o.debug) {
				usage();
				return 1;
			}
			o.debug = 1;
			break;
		case 'k':
			kill_agent = 1;
			break;
		case 'a':
			o.bind = optarg;
			break;
		case 'E':
			if (kg_fp_hash_from_name(optarg, &o.fp) < 0) {
				fprintf(stderr, "Invalid hash algorithm \"%s\"\n", optarg);
				return 1;
			}
			break;
		case 't':
			if (kg_cfg_parse_time(optarg, &life) < 0 || life <= 0 || life > 0x7fffffffL) {
				fprintf(stderr, "Invalid lifetime\n");
				usage();
				return 1;
			}
			o.life = (uint32_t)life;
			break;
		case 'O':
		case 'P':
			fprintf(stderr, "kssh-agent: -%c (PKCS#11 and FIDO providers) is not supported\n", c);
			return 1;
		default:
			usage();
			return 1;
		}
	}
	if (o.foreground && o.debug) {
		usage();
		return 1;
	}
	if (kill_agent)
		return kg_agentd_kill(o.csh < 0 ? kg_agentd_shell_is_csh() : o.csh);
	if (optind < argc) {
		if (o.csh >= 0 || o.foreground || o.debug) {
			usage();
			return 1;
		}
		o.cmd = argv + optind;
	}
	return kg_agentd_run(&o);
}
