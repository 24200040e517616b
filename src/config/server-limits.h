/* Per-source limits of the server's listener: PerSourceMaxStartups, PerSourceNetBlockSize, PerSourcePenalties and PerSourcePenaltyExemptList (parsing, defaults, the -T lines). */
#ifndef KAGI_SERVER_LIMITS_H
#define KAGI_SERVER_LIMITS_H

#include <stddef.h>
#include <stdio.h>
#include "config/server-config.h"

enum { KG_PEN_OVERFLOW_PERMISSIVE = 0, KG_PEN_OVERFLOW_DENY_ALL = 1 };

/* PerSourcePenalties; durations in seconds. */
typedef struct kg_svr_penalty_cfg {
	int enabled;
	int crash, authfail, noauth, invaliduser, grace_exceeded, refuseconnection;
	int max, min;
	int max_sources4, max_sources6;
	int overflow4, overflow6;   /* KG_PEN_OVERFLOW_* */
} kg_svr_penalty_cfg;

typedef struct kg_svr_limits {
	int per_source_max_startups;   /* 0: none */
	int netblock4, netblock6;      /* prefix bits grouped as one source */
	kg_svr_penalty_cfg pen;
	const char *exempt;            /* comma list (points into the config), NULL: none */
} kg_svr_limits;

/* The defaults (10.x): crash:90s authfail:5s noauth:1s invaliduser:5s
 * grace-exceeded:10s refuseconnection:10s max:10m min:15s
 * max-sources4/6:65536 overflow/overflow6:permissive. */
void kg_svr_penalty_defaults(kg_svr_penalty_cfg *p);

/* Checks the value of one of the four keywords (any case; other keywords:
 * KG_OK).  KG_ERR_CONFIG with a reason in why. */
int kg_svr_limits_check(const char *keyword, const char *value, char *why, size_t whysz) KG_WUR;
/* kg_svr_limits_check on a config line; the error names file and line. */
int kg_svr_limits_line(const kg_cfg_reader *r, kg_cfg_err *err) KG_WUR;
/* Parses a PerSourcePenalties value over p (which holds defaults). */
int kg_svr_penalty_parse(const char *value, kg_svr_penalty_cfg *p, char *why, size_t whysz) KG_WUR;
/* Everything in force for cfg (defaults where a keyword is absent). */
int kg_svr_limits_get(const kg_server_config *cfg, kg_svr_limits *out) KG_WUR;
/* A CIDR "addr/bits": 1 and the address family/bytes/bits when it is one
 * that is consistent, 0 when spec has no '/', KG_ERR_CONFIG when bad. */
int kg_svr_parse_cidr(const char *spec, int *family, unsigned char addr[16], int *bits) KG_WUR;

/* The persourcepenaltyexemptlist, maxstartups, persourcemaxstartups,
 * persourcenetblocksize and persourcepenalties lines, as sshd -T prints them. */
void kg_svr_limits_dump(const kg_svr_limits *l, const kg_server_config *c, FILE *out);

#endif
