/* --explain: collects what one client connection did (messages, key
 * exchange, host key decision, authentication, transfers) and tells it as
 * a story for people: plain text on a terminal (explain-text.c) or a
 * self-contained HTML page with a sequence diagram (explain-html.c).
 *
 * Only public values are ever stored: algorithm names, public keys and
 * their fingerprints, shortened ephemeral public values and hashes, message
 * types and sizes.  Passwords, shared secrets, derived keys and private
 * keys never reach this module (a USERAUTH_REQUEST carrying a password is
 * reduced to its method name as it is traced).
 *
 * The on_* functions have the shapes of kg_client_hooks (sys/cli-conn.h)
 * and take the kg_explain as their void *arg. */
#ifndef KAGI_EXPLAIN_H
#define KAGI_EXPLAIN_H

#include <stdint.h>
#include <stdio.h>
#include "core/auth.h"
#include "core/transport.h"

typedef struct kg_explain kg_explain;

/* program: "kssh", "kscp"... (used in the story's wording). */
int kg_explain_new(kg_explain **out, const char *program) KG_WUR;
void kg_explain_free(kg_explain *ex);

/* Selects the user's language for the story (LC_MESSAGES, LC_CTYPE from
 * the environment) and finds the "kagi" message catalogs: $KAGI_LOCALEDIR,
 * else <dir of the executable>/../locale when run from the build tree,
 * else PREFIX/share/locale.  Untranslated text stays English. */
void kg_explain_i18n_init(void);

/* Tells the story while it happens: each part is written to out as soon
 * as it is complete (NULL: only kg_explain_text_finish writes). */
void kg_explain_set_live(kg_explain *ex, FILE *out);

/* ---- facts from the program ---- */
int kg_explain_set_target(kg_explain *ex, const char *user, const char *host, int port) KG_WUR;
/* A private key file named on the command line (-i): its permissions and
 * name are checked for advice. */
int kg_explain_note_identity_file(kg_explain *ex, const char *path) KG_WUR;
/* A jump host (-J) was used. */
int kg_explain_note_jump(kg_explain *ex, const char *jump) KG_WUR;
/* The local agent was forwarded to the host (-A / ForwardAgent). */
void kg_explain_note_agent_forward(kg_explain *ex);
/* kscp: a file went through this connection.  protocol is "sftp" (SFTP
 * subsystem) or "scp" (legacy scp over an exec channel); upload is 1 when
 * the local file was sent to the server (it is then checked for looking
 * like a private key). */
int kg_explain_note_transfer(kg_explain *ex, const char *protocol, const char *local_path,
			     const char *remote_path, uint64_t bytes, int upload) KG_WUR;
/* How the connection ended: KG_OK, or the error that ended it. */
void kg_explain_note_outcome(kg_explain *ex, int err);

/* ---- observers (kg_client_hooks) ---- */
void kg_explain_on_trace(void *arg, int sent, const uint8_t *payload, size_t len);
void kg_explain_on_kex(void *arg, const kg_kex_result *kex);
void kg_explain_on_hostkey(void *arg, const kg_key *key, const char *status, const char *file, size_t line);
void kg_explain_on_auth(void *arg, const kg_cli_auth_event *ev);
void kg_explain_on_peer_version(void *arg, const char *version);

/* ---- output ---- */
/* explain-text.c: writes the parts not written yet (all of them, with the
 * session summary and advice, once the connection has ended). */
void kg_explain_text_finish(kg_explain *ex, FILE *out);
/* explain-html.c: the whole story as one self-contained HTML page. */
int kg_explain_html_write(const kg_explain *ex, const char *path) KG_WUR;

#endif
