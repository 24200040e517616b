/* The listener's per-source table: source addresses grouped by PerSourceNetBlockSize, penalties with expiry (PerSourcePenalties), bounded by max-sources4/6 with the overflow modes; pure logic, time passed in. */
#ifndef KAGI_SVR_PENALTY_H
#define KAGI_SVR_PENALTY_H

#include <stddef.h>
#include <stdint.h>
#include "config/server-limits.h"

/* A source network: the address (IPv4-mapped IPv6 taken as IPv4) with the bits past the netblock cleared. */
typedef struct kg_netkey {
	int v6;               /* 0: IPv4 (a[0..3]) */
	uint8_t a[16];
} kg_netkey;

/* What a connection's end counts as. */
enum kg_pen_kind {
	KG_PEN_NONE = 0, KG_PEN_CRASH, KG_PEN_AUTHFAIL, KG_PEN_NOAUTH, KG_PEN_INVALIDUSER, KG_PEN_GRACE,
	KG_PEN_REFUSED,
};

typedef struct kg_penalty {
	kg_netkey key;
	uint64_t expiry_ms;
	int active;           /* its accrued time reached min */
	int kind;             /* the last kind recorded */
} kg_penalty;

typedef struct kg_penalty_table {
	kg_svr_penalty_cfg cfg;
	kg_penalty *v[2];     /* [0] IPv4, [1] IPv6 */
	size_t n[2], cap[2];
	int overflowed[2];    /* deny-all: the table was full when a penalty came */
} kg_penalty_table;

/* How a connection process tells the listener what its end counts as:
 * its exit status when it ends unauthenticated. */
enum {
	KG_SVR_EXIT_NOAUTH = 0, KG_SVR_EXIT_ERROR = 1, KG_SVR_EXIT_GRACE = 3, KG_SVR_EXIT_AUTHFAIL = 5,
	KG_SVR_EXIT_INVALIDUSER = 6,
	KG_SVR_EXIT_CRASH = 7,  /* the pre-auth process died of a signal, or the monitor had to end it */
};
/* The byte a connection process writes to the listener once the user authenticated. */
#define KG_SVR_NOTIFY_AUTH 'A'
/* Seconds the peer has to send its identification line. */
#define KG_SVR_IDENT_TIMEOUT 10

/* The connection process's exit status: for an authenticated one 0 (1 if
 * failed), else grace / attempted (invalid_user) / no authentication. */
int kg_svr_exit_code(int authenticated, int grace, int attempted, int invalid_user, int failed);
/* What a child's end counts as: nothing once authenticated, a crash when a
 * signal ended it, else from its KG_SVR_EXIT_* status (wstatus as waitpid). */
int kg_pen_kind_from_status(int authenticated, int wstatus);
/* Whether a USERAUTH_REQUEST payload (type byte first) asks for method "none" (a malformed one: 0). */
int kg_svr_userauth_is_none(const uint8_t *p, size_t n);

/* KG_ERR_FORMAT when ip is not an IPv4/IPv6 address. */
int kg_netkey_from_ip(const char *ip, int bits4, int bits6, kg_netkey *out) KG_WUR;
int kg_netkey_eq(const kg_netkey *a, const kg_netkey *b);
/* 1 when ip matches list (comma list of addresses, wildcards, addr/bits, '!' negations). */
int kg_svr_exempt_match(const char *list, const char *ip);
/* The label sshd logs for a kind ("failed authentication", ...). */
const char *kg_pen_kind_name(int kind);
/* The seconds a kind costs under cfg (0 for none). */
int kg_pen_kind_secs(const kg_svr_penalty_cfg *cfg, int kind);

void kg_penalty_init(kg_penalty_table *t, const kg_svr_penalty_cfg *cfg);
void kg_penalty_free(kg_penalty_table *t);
/* Records a penalty of kind for key at now_ms: accrues onto a running one
 * up to max, becomes active once it reaches min.  A full table evicts the
 * soonest to expire (permissive) or records nothing and refuses the family
 * (deny-all) until an entry expires.  KG_ERR_ALLOC on no memory. */
int kg_penalty_add(kg_penalty_table *t, const kg_netkey *key, int kind, uint64_t now_ms) KG_WUR;
/* 1 when a new connection from key is refused at now_ms (*why says why:
 * "penalty: <kind>" or "penalty table full"), else 0.  Drops expired entries. */
int kg_penalty_check(kg_penalty_table *t, const kg_netkey *key, uint64_t now_ms, const char **why);
/* Entries tracked for a family (0: IPv4, 1: IPv6), after dropping expired ones. */
size_t kg_penalty_count(kg_penalty_table *t, int v6, uint64_t now_ms);

#endif
