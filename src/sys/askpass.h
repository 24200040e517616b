/* Asking through an SSH_ASKPASS program: a passphrase (the program's first
 * line of output) or a yes/no confirmation (SSH_ASKPASS_PROMPT=confirm), as
 * ssh-agent's confirm constraint and ssh-add without a terminal use it. */
#ifndef KAGI_SYS_ASKPASS_H
#define KAGI_SYS_ASKPASS_H

#include <stddef.h>
#include "core/safety.h"

#define KG_ASKPASS_DEFAULT "/usr/bin/ssh-askpass"

/* $SSH_ASKPASS, or KG_ASKPASS_DEFAULT. */
const char *kg_askpass_program(void);
/* Runs program with prompt as its argument (SSH_ASKPASS_PROMPT=confirm in
 * its environment when confirm) and reads its output's first line into
 * buf (newline stripped, NUL-terminated, the rest wiped).  KG_OK when it
 * exited 0; KG_ERR_AUTH_FAILED when it exited otherwise (the user said
 * no or cancelled); KG_ERR_SYSTEM when it could not be run. */
int kg_askpass_run(const char *program, const char *prompt, int confirm, char *buf, size_t len) KG_WUR;
/* A confirmation: KG_OK only when the program exited 0 and answered
 * nothing or "yes" (any case); KG_ERR_AUTH_FAILED otherwise. */
int kg_askpass_confirm(const char *program, const char *prompt) KG_WUR;

#endif
