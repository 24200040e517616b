/* Forwarding specifications as ssh(1) and ssh_config(5) write them: -L,
 * -R and -D arguments and LocalForward/RemoteForward/DynamicForward
 * values, parsed into what to listen on and where to connect (TCP ports,
 * Unix-domain sockets, or a SOCKS proxy).  No I/O. */
#ifndef KAGI_FORWARD_SPEC_H
#define KAGI_FORWARD_SPEC_H

#include "core/safety.h"

enum kg_fwd_kind { KG_FWDSPEC_LOCAL = 0, KG_FWDSPEC_REMOTE = 1, KG_FWDSPEC_DYNAMIC = 2 };

/* Longest host name and socket path a specification may name. */
#define KG_FWDSPEC_HOST_MAX 1024
#define KG_FWDSPEC_PATH_MAX 107

typedef struct kg_fwd_spec {
	int kind;             /* enum kg_fwd_kind */
	int dynamic;          /* SOCKS: -D, or -R with no target */
	char *listen_host;    /* NULL: none given; "" or "*": every address */
	int listen_port;      /* 0 only for -R (the server picks); -1 with listen_path */
	char *listen_path;    /* a Unix-domain socket to listen on, or NULL */
	char *connect_host;   /* NULL when dynamic or connect_path */
	int connect_port;
	char *connect_path;   /* a Unix-domain socket to connect to, or NULL */
} kg_fwd_spec;

/* Parses a command-line spec ("[bind:]port:host:hostport", paths, "[v6]"
 * in brackets; -D and -R dynamic: "[bind:]port").  KG_ERR_ARG if it is
 * malformed; out is then empty. */
int kg_fwd_spec_parse(const char *text, int kind, kg_fwd_spec *out) KG_WUR;
/* The same for a config value: "listen target" (two words, as
 * ssh_config writes them), or one word as on the command line.  Double
 * quotes around a word are removed. */
int kg_fwd_spec_parse_config(const char *value, int kind, kg_fwd_spec *out) KG_WUR;
void kg_fwd_spec_free(kg_fwd_spec *f);

/* "host:port" or the path, for messages (buf of len bytes). */
const char *kg_fwd_spec_target(const kg_fwd_spec *f, char *buf, size_t len);

#endif
