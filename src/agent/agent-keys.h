/* The agent's key table: the private keys it holds, each with its public
 * blob, comment and constraints (a lifetime, confirmation before each
 * use); expiry runs on one of the loop's monotonic timers, set for the
 * nearest deadline.  Keys are wiped when removed or when the table goes. */
#ifndef KAGI_AGENT_KEYS_H
#define KAGI_AGENT_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include "agent/agent-dest.h"
#include "core/key.h"
#include "sys/loop.h"

/* The most keys one agent holds. */
#define KG_AGENT_TABLE_MAX 1024u

typedef struct kg_agent_entry {
	kg_key *key;          /* private */
	uint8_t *blob;        /* public key blob */
	size_t blob_len;
	char *comment;
	int confirm;
	uint64_t expires_ms;  /* on kg_monotonic_ms(); 0 = never */
	kg_agent_dest *dest;  /* destination restrictions, or NULL */
	size_t ndest;
} kg_agent_entry;

typedef struct kg_agent_keys {
	kg_agent_entry *v;
	size_t n, cap;
	kg_loop *loop;        /* NULL: no timer, expiry only by kg_agent_keys_expire */
	uint64_t timer;
	int timer_set;
	uint64_t (*now)(void); /* kg_monotonic_ms (tests may replace it) */
} kg_agent_keys;

void kg_agent_keys_init(kg_agent_keys *t, kg_loop *loop);
/* Wipes and frees every key; cancels the timer. */
void kg_agent_keys_free(kg_agent_keys *t);
/* Takes key (a private key; comment from key->comment) and dest (ndest
 * destination restrictions, may be NULL) whatever the result.  A key
 * already held is replaced with the new constraints.  lifetime in
 * seconds, 0 = none.  KG_ERR_NO_SPACE when the table is full. */
int kg_agent_keys_add(kg_agent_keys *t, kg_key *key, uint32_t lifetime, int confirm, kg_agent_dest *dest,
		      size_t ndest) KG_WUR;
/* The entry holding blob, or NULL (expired keys are never found). */
kg_agent_entry *kg_agent_keys_find(kg_agent_keys *t, const uint8_t *blob, size_t len);
/* KG_ERR_NOT_FOUND when not held. */
int kg_agent_keys_remove(kg_agent_keys *t, const uint8_t *blob, size_t len) KG_WUR;
void kg_agent_keys_clear(kg_agent_keys *t);
/* Drops the keys whose lifetime ended by now; returns how many. */
size_t kg_agent_keys_expire(kg_agent_keys *t);

#endif
