/* The legacy scp protocol, both roles, over a kg_scp_io:
 *  - the sink receives files into a target (kscp downloading with -O, and
 *    the remote "kscp -t" that an scp client starts over SSH);
 *  - the source sends files (kscp uploading with -O, and "kscp -f").
 * Files arriving at a sink are written to a partial file next to the target
 * and renamed into place only when complete and intact.  Names a peer sends
 * are checked before anything is created: "", ".", "..", and names with '/'
 * are refused always; a client's download also refuses top-level names it
 * did not ask for. */
#ifndef KAGI_SCP_H
#define KAGI_SCP_H

#include <stdint.h>
#include <sys/types.h>
#include "sys/progress.h"
#include "scp/scp-io.h"

#define KG_SCP_CHUNK (256u * 1024)

typedef struct kg_scp {
	kg_scp_io *io;
	const char *prog;         /* name used in messages */
	int remote;               /* the remote role: errors go to the peer, not stderr */
	int recursive, preserve, target_dir, resume;
	int progress;             /* draw a meter for each file */
	int warn_keys;            /* source: warn before sending a private key */
	/* sink, client download: the top-level name asked for (a shell pattern
	 * when it has * ? [), and whether only one entry may come */
	const char *expect;
	int expect_single;
	int no_name_check;        /* -T: trust the top-level names */
	mode_t umask;
	int errors;               /* files that failed (the copy goes on) */
	/* Optional: told of each file sent or received whole (--explain);
	 * local_path is the file on this computer. */
	void (*file_done)(void *arg, const char *local_path, uint64_t bytes);
	void *file_done_arg;
	uint8_t *buf;             /* KG_SCP_CHUNK bytes */
	char *line, *name;        /* KG_SCP_LINE_MAX bytes each: the record being handled */
	kg_progress pm;
} kg_scp;

int kg_scp_init(kg_scp *s, kg_scp_io *io, const char *prog) KG_WUR;
void kg_scp_free(kg_scp *s);

/* Receives into target until the source ends.  KG_OK when the protocol ran
 * to its end (s->errors counts failed files); negative when it broke. */
int kg_scp_sink(kg_scp *s, const char *target) KG_WUR;
/* Sends paths (files, or directories with recursive). */
int kg_scp_source(kg_scp *s, char *const *paths, size_t n) KG_WUR;

/* Reports a failure: to stderr (unless remote) and to the peer as a
 * "\1message" record; counts it in s->errors. */
void kg_scp_error(kg_scp *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reads the peer's reply to a record: 0 ok, 1 the peer reported an error
 * (printed), negative: fatal (the peer gave up, or the stream broke). */
int kg_scp_response(kg_scp *s) KG_WUR;

/* "kscp -t/-f [-r -p -d -v] ... target/paths": the remote role on stdin and
 * stdout.  Returns the exit status. */
int kg_scp_remote_main(int argc, char **argv);

/* Local file helpers shared with SFTP mode (scp-file.c). */
/* The partial file for target: ".<name>.part" in the same folder. */
int kg_scp_partial_path(const char *target, char *out, size_t cap) KG_WUR;
/* Opens (creating) the partial file for writing.  With resume, an existing
 * partial file (a regular file of ours, one link) is kept and *have is its
 * size; otherwise any old one is removed first.  mode is for a new file. */
int kg_scp_open_partial(const char *partial, int resume, mode_t mode, int *fd, uint64_t *have) KG_WUR;
/* Where a download into path really goes: a symlink to a regular file is
 * followed (as writing through it would); *direct is set when path is not a
 * regular file (a device or FIFO) and must be written in place.  Returns
 * KG_OK with out filled. */
int kg_scp_resolve_target(const char *path, char *out, size_t cap, int *direct) KG_WUR;
/* 1 when path is a readable SSH private key file. */
int kg_scp_is_private_key(const char *path);
void kg_scp_warn_private_key(const char *prog, const char *path);

#endif
