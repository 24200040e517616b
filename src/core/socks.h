/* The server side of a SOCKS proxy's request, as kssh answers it for -D
 * and for -R used as a proxy: SOCKS4, SOCKS4a and SOCKS5 (no
 * authentication, CONNECT only; domain names, IPv4 and IPv6).  Fed bytes
 * as they arrive; says what to send back.  No I/O. */
#ifndef KAGI_SOCKS_H
#define KAGI_SOCKS_H

#include <stddef.h>
#include <stdint.h>
#include "core/safety.h"

#define KG_SOCKS_HOST_MAX 255
/* Largest reply the parser asks to send. */
#define KG_SOCKS_REPLY_MAX 22

enum { KG_SOCKS_MORE = 0, KG_SOCKS_DONE = 1 };
/* Why a request could not be served (the SOCKS5 reply codes). */
enum { KG_SOCKS5_FAIL = 1, KG_SOCKS5_NOT_ALLOWED = 2, KG_SOCKS5_UNREACHABLE = 4, KG_SOCKS5_REFUSED = 5,
       KG_SOCKS5_BAD_COMMAND = 7, KG_SOCKS5_BAD_ADDRESS = 8 };

typedef struct kg_socks {
	int state;                    /* internal */
	int version;                  /* 4 or 5, once known */
	uint8_t buf[600];             /* the part of a message seen so far */
	size_t len;
	char host[KG_SOCKS_HOST_MAX + 1]; /* the target, once DONE */
	uint16_t port;
} kg_socks;

void kg_socks_init(kg_socks *s);
/* Takes up to n bytes: *used says how many belong to the SOCKS exchange
 * (the rest is the client's first data).  Bytes to send back (SOCKS5's
 * method choice, or a refusal) are put in out (KG_SOCKS_REPLY_MAX bytes),
 * *outlen of them.  Returns KG_SOCKS_MORE (when *used < n: send out, then
 * feed the rest), KG_SOCKS_DONE (host and port set; answer with
 * kg_socks_reply), or KG_ERR_PROTOCOL (send out,
 * then close). */
int kg_socks_feed(kg_socks *s, const uint8_t *d, size_t n, size_t *used, uint8_t *out, size_t *outlen) KG_WUR;
/* The answer to a DONE request: granted (ok) or refused with code (a
 * KG_SOCKS5_* value).  Its length. */
size_t kg_socks_reply(const kg_socks *s, int ok, int code, uint8_t *out);

#endif
