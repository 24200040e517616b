/* ksftp-server: the SFTP subsystem, run by an SSH server as the user,
 * speaking SFTP on stdin/stdout.  Flags follow OpenSSH's sftp-server. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sys/log.h"
#include "sftp/sftp-server.h"

static void usage(void)
{
	fprintf(stderr, "usage: ksftp-server [-ehR] [-d start_directory] [-f log_facility] "
			"[-l log_level]\n\t[-P denied_requests] [-p allowed_requests] [-u umask]\n"
			"       ksftp-server -Q requests\n");
}

int main(int argc, char **argv)
{
	int c, to_stderr = 0, level = KG_LOG_ERROR, facility = 0;
	const char *start_dir = NULL;
	kg_sftp_server_opts o;
	memset(&o, 0, sizeof(o));
	while ((c = getopt(argc, argv, "d:ef:hl:P:p:Q:Ru:")) != -1) {
		switch (c) {
		case 'd': start_dir = optarg; break;
		case 'e': to_stderr = 1; break;
		case 'f':
			if (kg_log_facility_from_name(optarg, &facility) < 0) {
				fprintf(stderr, "ksftp-server: unknown log facility %s\n", optarg);
				return 1;
			}
			break;
		case 'l':
			if (kg_log_level_from_name(optarg, &level) < 0) {
				fprintf(stderr, "ksftp-server: unknown log level %s\n", optarg);
				return 1;
			}
			break;
		case 'R': o.read_only = 1; break;
		case 'u': {
			char *end;
			errno = 0;
			unsigned long m = strtoul(optarg, &end, 8);
			if (errno || *end || m > 0777) {
				fprintf(stderr, "ksftp-server: invalid umask %s\n", optarg);
				return 1;
			}
			umask((mode_t)m);
			break;
		}
		case 'P':
		case 'p': {
			const char **list = c == 'P' ? &o.deny_requests : &o.allow_requests;
			char bad[256];
			if (*list) {
				fprintf(stderr, "ksftp-server: -%c given more than once\n", c);
				return 1;
			}
			if (kg_sftp_server_check_requests(optarg, bad, sizeof(bad)) < 0) {
				fprintf(stderr, "ksftp-server: -%c: unknown request \"%s\" (see -Q requests)\n", c,
					bad);
				return 1;
			}
			*list = optarg;
			break;
		}
		case 'Q':
			if (strcasecmp(optarg, "requests") != 0) {
				fprintf(stderr, "ksftp-server: invalid query type %s (only \"requests\")\n", optarg);
				return 1;
			}
			for (size_t i = 0; kg_sftp_server_request_name(i); i++)
				printf("%s\n", kg_sftp_server_request_name(i));
			return fflush(stdout) == 0 ? 0 : 1;
		case 'h':
		default:
			usage();
			return c == 'h' ? 0 : 1;
		}
	}
	kg_logger lg;
	kg_log_init(&lg, "ksftp-server", level, !to_stderr, facility);
	o.log = &lg;
	if (start_dir) {
		/* %d and %u are OpenSSH's tokens for the home directory and user;
		 * only a literal path is supported here. */
		const char *home = getenv("HOME");
		const char *dir = start_dir;
		if (strcmp(start_dir, "%d") == 0 && home)
			dir = home;
		if (chdir(dir) < 0)
			kg_error(&lg, "chdir to \"%s\" failed: %s", dir, strerror(errno));
	}
	kg_sftp_server s;
	kg_sftp_server_init(&s, &o);
	int r = kg_sftp_server_run(&s, STDIN_FILENO, STDOUT_FILENO);
	kg_sftp_server_free(&s);
	if (r < 0)
		kg_error(&lg, "session ended: %s", kg_err_str(r));
	kg_log_close(&lg);
	return r < 0 ? 1 : 0;
}
