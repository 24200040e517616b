/* Privilege separation of one server connection: the monitor, the sandboxed pre-authentication process and the user's process. */
#ifndef KAGI_SVR_PRIVSEP_H
#define KAGI_SVR_PRIVSEP_H

#include "conn/svr-ctx.h"

/* Serves the connected socket fd until the connection ends (fd is closed
 * on return).  This process stays the monitor: root when ksshd is, with
 * the host keys, answering its children's few requests.  The client's
 * bytes are read first by a child in the sandbox (the privilege
 * separation user, an empty chroot, no_new_privs, a seccomp allow-list),
 * then, once the monitor saw the user authenticate, by a child running as
 * the user with the transport handed over.  On notify_fd (or -1)
 * KG_SVR_NOTIFY_AUTH is written and it is closed once the user
 * authenticated.  *exit_code (optional) gets the KG_SVR_EXIT_* status for
 * the process (0 or 1 once authenticated). */
int kg_svr_conn_serve(const kg_svr_ctx *ctx, int fd, int notify_fd, int *exit_code) KG_WUR;

/* At start-up, as sshd checks them: when root, the privilege separation
 * user exists and its chroot directory is usable (created if missing).
 * A problem is logged ("Privilege separation user sshd does not exist"). */
int kg_svr_privsep_check(kg_logger *log) KG_WUR;

#endif
