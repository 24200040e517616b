/* The client's -v lines that OpenSSH's ssh prints, in its wording: the
 * remote version, the identities ("path TYPE SHA256:... explicit"), and
 * the transfer totals at the end. */
#ifndef KAGI_CLI_VERBOSE_H
#define KAGI_CLI_VERBOSE_H

#include <stddef.h>
#include <stdint.h>
#include "core/auth.h"
#include "core/transport.h"
#include "sys/log.h"

/* "Remote protocol version 2.0, remote software version X" for the
 * server's identification line (SSH-protoversion-softwareversion ...). */
void kg_cli_verbose_remote_version(const kg_logger *log, const char *version);

/* An identity as ssh names it in "Will attempt key:", "Offering public
 * key:" and "Server accepts key:": the file (or the agent key's comment),
 * the key type, the fingerprint, " explicit" when it was given (-i or
 * IdentityFile) and " agent" when the agent holds it. */
void kg_cli_verbose_identity(const kg_cli_identity *id, char *out, size_t n);

/* The number ssh prints for a key type in "identity file PATH type N"
 * (RSA 0, ECDSA 2, ED25519 3). */
int kg_cli_verbose_keytype_num(enum kg_keytype t);

/* At the end, at VERBOSE: "Transferred: sent N, received M bytes, in S
 * seconds" and "Bytes per second: ..." since start_ms (kg_monotonic_ms),
 * then at DEBUG1 "Exit status N". */
void kg_cli_verbose_end(const kg_logger *log, const kg_transport *tr, uint64_t start_ms, int status);

#endif
