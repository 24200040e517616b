/* kssh-add's operations (ssh-add's behaviour and messages): adding key
 * files (the ~/.ssh/id_* defaults when none is named; passphrases from the
 * terminal, or SSH_ASKPASS without one), -l/-L listing, -d/-D removal,
 * -x/-X lock and unlock, -T (the agent signs with each file's key).  Exit status as ssh-add: 0 ok, 1 failure, 2 no
 * connection to the agent. */
#ifndef KAGI_AGENT_ADD_H
#define KAGI_AGENT_ADD_H

#include <stdint.h>
#include "core/randomart.h"

enum kg_add_op { KG_ADD_KEYS = 0, KG_ADD_LIST_FP, KG_ADD_LIST_PUB, KG_ADD_DELETE, KG_ADD_DELETE_ALL,
		 KG_ADD_LOCK, KG_ADD_UNLOCK, KG_ADD_TEST };

typedef struct kg_add_opts {
	enum kg_add_op op;
	enum kg_fp_hash fp;      /* -E */
	int quiet;               /* -q */
	int confirm;             /* -c */
	uint32_t life;           /* -t seconds, 0 = none */
	char **dests;            /* -h destination restrictions */
	int ndests;
	const char **hostfiles;  /* -H known_hosts files (none: the defaults) */
	int nhostfiles;
	char **files;
	int nfiles;
} kg_add_opts;

/* Where the passphrase comes from: 1 for SSH_ASKPASS, 0 for the terminal
 * (SSH_ASKPASS_REQUIRE never/prefer/force; by default the askpass when
 * standard input is no terminal and DISPLAY or WAYLAND_DISPLAY is set). */
int kg_add_use_askpass(void);
/* The defaults ssh-add tries, under home: id_rsa, id_ecdsa, id_ecdsa_sk,
 * id_ed25519, id_ed25519_sk, id_xmss, id_dsa (i from 0; NULL after). */
const char *kg_add_default_name(unsigned int i);
int kg_add_run(const kg_add_opts *o);

#endif
