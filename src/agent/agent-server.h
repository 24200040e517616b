/* The agent's answers (kssh-agent): one request in, one answer out, over
 * the key table.  REQUEST_IDENTITIES, SIGN_REQUEST (rsa-sha2-256/512
 * flags; a key with the confirm constraint asks first), ADD_IDENTITY and
 * ADD_ID_CONSTRAINED (lifetime, confirm; a default lifetime), REMOVE_*,
 * LOCK/UNLOCK (the passphrase kept only as a salted bcrypt-pbkdf hash,
 * compared in constant time), EXTENSION ("query", and
 * session-bind@openssh.com: the host key's signature over the session id
 * checked and the binding kept per connection; others FAILURE). */
#ifndef KAGI_AGENT_SERVER_H
#define KAGI_AGENT_SERVER_H

#include "agent/agent-keys.h"
#include "core/agent.h"
#include "core/randomart.h"
#include "sys/log.h"

#define KG_AGENT_LOCK_HASH 32
#define KG_AGENT_LOCK_SALT 16

/* The sessions one client connection bound (session-bind@openssh.com). */
#define KG_AGENT_MAX_BINDS 16
typedef struct kg_agent_bind {
	uint8_t *hostkey;
	size_t hostkey_len;
	uint8_t sid[64];
	size_t sid_len;
	int forwarding;
} kg_agent_bind;
typedef struct kg_agent_binds {
	kg_agent_bind v[KG_AGENT_MAX_BINDS];
	size_t n;
} kg_agent_binds;
void kg_agent_binds_free(kg_agent_binds *b);

/* Asks whether e may be used now: KG_OK to allow. */
typedef int (*kg_agent_confirm_fn)(void *ctx, const kg_agent_entry *e);

typedef struct kg_agent_server {
	kg_agent_keys keys;
	const kg_logger *log;      /* may be NULL */
	uint32_t default_life;     /* seconds for keys added without one; 0 = none */
	int locked;
	uint8_t lock_hash[KG_AGENT_LOCK_HASH];
	uint8_t lock_salt[KG_AGENT_LOCK_SALT];
	unsigned int unlock_failures;
	unsigned int unlock_delay_ms;  /* a failed unlock waits this much per failure so far (100) */
	enum kg_fp_hash fp_hash;   /* fingerprints in log lines (-E) */
	kg_agent_confirm_fn confirm;  /* NULL: confirm-constrained keys are never used */
	void *confirm_ctx;
} kg_agent_server;

void kg_agent_server_init(kg_agent_server *s, kg_loop *loop, const kg_logger *log);
/* Wipes the keys and the lock hash. */
void kg_agent_server_free(kg_agent_server *s);
/* Answers one message's contents (after its length) from the connection
 * whose bindings are b (NULL: session-bind refused) by appending one
 * framed answer to out.  A malformed request gets FAILURE; an error is
 * returned only when out cannot take the answer. */
int kg_agent_server_handle(kg_agent_server *s, kg_agent_binds *b, const uint8_t *msg, size_t len,
			   kg_buf *out) KG_WUR;
/* The confirmation the agent's askpass shows for e (malloc'ed). */
char *kg_agent_confirm_prompt(const kg_agent_entry *e);
/* The confirm callback that runs the SSH_ASKPASS program (ctx: unused). */
int kg_agent_confirm_askpass(void *ctx, const kg_agent_entry *e);

#endif
