/* Two transports joined in memory, for the transport and auth tests. */
#ifndef KAGI_TR_PAIR_H
#define KAGI_TR_PAIR_H

#include "core/transport.h"

typedef struct pair {
	kg_transport *c, *s;
	kg_tr_config cc, sc;
	kg_key *hostkey;
	kg_key *hostkeys[1];
	int verified;
} pair;

static int accept_key(void *arg, const kg_key *key, const kg_kex_result *kex)
{
	pair *p = arg;
	(void)kex;
	p->verified = kg_key_equal_public(key, p->hostkey);
	return p->verified ? KG_OK : KG_ERR_HOSTKEY_REJECTED;
}

/* Moves bytes both ways until neither side has output; returns the first
 * upper-layer message type seen by side `want` (0 = none). */
static int pump(kg_transport *a, kg_transport *b, const uint8_t **msg, size_t *len, kg_transport *want)
{
	for (int rounds = 0; rounds < 1000; rounds++) {
		int moved = 0;
		kg_transport *ends[2][2] = { { a, b }, { b, a } };
		for (int i = 0; i < 2; i++) {
			kg_transport *from = ends[i][0], *to = ends[i][1];
			size_t n;
			const uint8_t *o = kg_tr_output(from, &n);
			if (n) {
				if (kg_tr_input(to, o, n) < 0)
					return -1000;
				kg_tr_output_consume(from, n);
				moved = 1;
			}
			const uint8_t *p;
			size_t plen;
			int r = kg_tr_read_packet(to, &p, &plen);
			if (r > 0 && to == want) {
				*msg = p;
				*len = plen;
				return r;
			}
			if (r > 0)
				return -2000 - r;
			if (r < 0 && r != KG_ERR_AGAIN)
				return r;
		}
		if (!moved)
			return 0;
	}
	return -3000;
}

static void pair_free(pair *p)
{
	kg_tr_free(p->c);
	kg_tr_free(p->s);
	kg_key_free(p->hostkey);
}

#endif
