/* What every connection of a server shares, prepared once: host keys and the assembled algorithm lists. */
#ifndef KAGI_SVR_CTX_H
#define KAGI_SVR_CTX_H

#include <stdint.h>
#include <sys/types.h>
#include "core/key.h"
#include "config/server-config.h"
#include "sys/fail-delay.h"
#include "sys/log.h"

/* What every connection of a server shares, prepared once by the
 * listener: the host keys and assembled algorithm lists. */
typedef struct kg_svr_ctx {
	const kg_server_config *cfg;
	kg_logger *log;
	kg_key **hostkeys;
	size_t n_hostkeys;
	char *kex_algs, *hostkey_algs, *ciphers, *macs, *pubkey_algs;
	char *sftp_default;         /* Subsystem sftp when none is configured */
	char *scp_program;          /* kagi's kscp, run for a client's "scp -t/-f" */
	int (*internal_sftp)(void *args);  /* see kg_svr_sessions; set by the program, or NULL */
	uint8_t fail_salt[KG_FAIL_SALT_LEN];  /* secret behind each name's failure time */
	int is_root;                /* started with euid 0 */
	uid_t self_uid;
} kg_svr_ctx;

/* Loads every HostKey and assembles the algorithm lists (defaults.h plus
 * the configured +/-/^ specs); the offered host key algorithms are those
 * one of the loaded keys can sign with.  Problems are logged. */
int kg_svr_ctx_init(kg_svr_ctx *s, const kg_server_config *cfg, kg_logger *log) KG_WUR;
void kg_svr_ctx_free(kg_svr_ctx *s);

/* Reads and parses one private host key file. */
int kg_svr_load_hostkey(const char *path, kg_key **out) KG_WUR;
/* The comma list of the names in algs that one of keys can sign with
 * (malloc'ed); KG_ERR_NOT_FOUND if none. */
int kg_svr_filter_hostkey_algs(const char *algs, kg_key *const *keys, size_t n, char **out) KG_WUR;

/* Replaces every host key by its public half and wipes the private one:
 * for a process that asks another to sign (privilege separation). */
int kg_svr_ctx_drop_private(kg_svr_ctx *s) KG_WUR;

#endif
