/* UpdateHostKeys on the client: the server's hostkeys-00@openssh.com lists
 * all its host keys after user authentication; the keys known_hosts lacks
 * are proved with hostkeys-prove-00@openssh.com (one signature each over
 * the session identifier and the key), then learned into the first
 * UserKnownHostsFile, and keys of the host the server no longer has are
 * removed from it (only lines naming the host alone).  Nothing changes
 * when a matching line has a marker or a pattern, when a signature fails,
 * or (UpdateHostKeys=ask) when the user says no. */
#ifndef KAGI_CLI_HOSTKEYS_UPDATE_H
#define KAGI_CLI_HOSTKEYS_UPDATE_H

#include <stddef.h>
#include <stdint.h>
#include "core/key.h"
#include "conn/cli-dispatch.h"
#include "conn/conn.h"
#include "sys/log.h"

typedef struct kg_cli_hkupd_opts {
	const kg_logger *log;
	const char *host;          /* the known_hosts name: HostKeyAlias (port 22) or host with its port */
	int port;
	const char *ip;            /* CheckHostIP: the address as known_hosts names it (new lines "host,ip"); NULL: off */
	const char *const *files;  /* UserKnownHostsFile, expanded; files[0] is the one updated */
	size_t nfiles;
	int hash;                  /* HashKnownHosts: new lines hashed */
	int ask;                   /* UpdateHostKeys=ask: confirm on the terminal */
	const char *hostkey_algs;  /* HostKeyAlgorithms in force: other key types are not learned */
} kg_cli_hkupd_opts;

typedef struct kg_cli_hkupd kg_cli_hkupd;

/* A new updater (strings and the file list are copied).  eng may be NULL
 * for the step functions below. */
int kg_cli_hkupd_new(kg_cli_hkupd **out, const kg_cli_hkupd_opts *o, kg_engine *eng) KG_WUR;
void kg_cli_hkupd_free(kg_cli_hkupd *u);

/* The dispatch handler for hostkeys-00@openssh.com (arg: the updater).
 * Failures are logged; the connection goes on. */
int kg_cli_hkupd_on_global(void *arg, kg_conn *c, const kg_conn_event *ev) KG_WUR;

/* The client's set-up in one call: with UpdateHostKeys yes or ask (mode,
 * enum kg_update_hostkeys) and the host key trusted through a user file
 * (trusted), a new updater registered for hostkeys-00 in d; else *out
 * stays NULL.  ask_ok: the session is interactive (ask needs a terminal
 * and no remote command, as OpenSSH). */
int kg_cli_hkupd_setup(kg_cli_hkupd **out, const kg_cli_hkupd_opts *o, int mode, int trusted, int ask_ok,
		       kg_engine *eng, kg_cli_dispatch *d) KG_WUR;

/* The steps, each usable on its own (tests):
 * receive: the hostkeys-00 data; compares with the files.  Returns
 *   KG_HKUPD_NOTHING, KG_HKUPD_PROVE (prove holds the hostkeys-prove
 *   request data: the new keys' blobs) or KG_HKUPD_UPDATE (only removals).
 * proved: checks the reply's signatures against the new keys (sid: the
 *   session identifier; kex_alg: the host key algorithm of the key
 *   exchange, for RSA keys).  KG_ERR_SIGNATURE/FORMAT: nothing is learned.
 * apply: asks if so configured and rewrites files[0] (the old contents
 *   kept as FILE.old).  KG_OK also when the user declined. */
enum { KG_HKUPD_NOTHING = 0, KG_HKUPD_PROVE = 1, KG_HKUPD_UPDATE = 2 };
int kg_cli_hkupd_receive(kg_cli_hkupd *u, const uint8_t *data, size_t len, kg_buf *prove) KG_WUR;
int kg_cli_hkupd_proved(kg_cli_hkupd *u, const uint8_t *sid, size_t sid_len, const char *kex_alg,
			const uint8_t *data, size_t len) KG_WUR;
int kg_cli_hkupd_apply(kg_cli_hkupd *u) KG_WUR;

#endif
