/* "kscp -t" and "kscp -f": the remote end of a legacy scp copy, started by
 * the remote shell when a client runs "scp -t target" or "scp -f paths".
 * Speaks on stdin/stdout; messages go to the client as error records. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "scp/scp.h"

int kg_scp_remote_main(int argc, char **argv)
{
	int to = 0, from = 0, recursive = 0, preserve = 0, target_dir = 0, ch;
	optind = 1;
	opterr = 0;
	/* The same letters as the client: a remote scp may be handed any of
	 * them; only the role flags matter here. */
	while ((ch = getopt(argc, argv, "dfl:prtTvBCc:i:P:q12346S:o:F:J:OaA3")) != -1) {
		switch (ch) {
		case 't': to = 1; break;
		case 'f': from = 1; break;
		case 'r': recursive = 1; break;
		case 'p': preserve = 1; break;
		case 'd': target_dir = 1; break;
		default: break;
		}
	}
	argc -= optind;
	argv += optind;
	signal(SIGPIPE, SIG_IGN);
	kg_scp_io io;
	kg_scp s;
	if (kg_scp_io_init_fds(&io, STDIN_FILENO, STDOUT_FILENO) < 0 || kg_scp_init(&s, &io, "kscp") < 0)
		return 1;
	s.remote = 1;
	s.recursive = recursive;
	s.preserve = preserve;
	s.target_dir = target_dir;
	int r;
	if (to == from) {
		kg_scp_error(&s, "exactly one of -t and -f is needed");
		r = KG_ERR_ARG;
	} else if (to) {
		if (argc != 1) {
			kg_scp_error(&s, "ambiguous target");
			r = KG_ERR_ARG;
		} else {
			r = kg_scp_sink(&s, argv[0]);
		}
	} else {
		r = kg_scp_source(&s, argv, (size_t)argc);
	}
	int status = r < 0 || s.errors ? 1 : 0;
	kg_scp_free(&s);
	kg_scp_io_free(&io);
	return status;
}
