/* AddKeysToAgent values (ssh_config(5)): yes, no, ask, confirm, a lifetime
 * ("1h": yes with that lifetime) or "confirm <lifetime>"; true/false as
 * yes/no. */
#ifndef KAGI_ADD_KEYS_H
#define KAGI_ADD_KEYS_H

#include <stddef.h>
#include "core/safety.h"

enum kg_add_keys_mode { KG_ADDKEYS_NO = 0, KG_ADDKEYS_YES = 1, KG_ADDKEYS_ASK = 2, KG_ADDKEYS_CONFIRM = 3 };

typedef struct kg_add_keys {
	int mode;            /* enum kg_add_keys_mode */
	long lifetime;       /* seconds; 0: none */
} kg_add_keys;

/* Parses value (NULL: no).  KG_ERR_CONFIG for anything else, *out untouched. */
int kg_add_keys_parse(const char *value, kg_add_keys *out) KG_WUR;
/* What ssh -G prints after "addkeystoagent ": false, true, ask, confirm,
 * "N" or "confirm N". */
void kg_add_keys_format(const kg_add_keys *a, char *buf, size_t len);

#endif
