/* Shared-secret helpers below kex.c and the per-family kex files. */
#ifndef KAGI_KEX_AGREE_H
#define KAGI_KEX_AGREE_H

#include <stddef.h>
#include <openssl/evp.h>
#include "core/buf.h"
#include "core/safety.h"

/* Derives the raw shared secret between ours and peer and appends it to
 * secret_out as a magnitude with leading zeros removed.  The caller must
 * have validated peer already.  An all-zero secret is refused
 * (KG_ERR_PROTOCOL).  On error secret_out is unchanged. */
int kg_kex_agree(EVP_PKEY *ours, EVP_PKEY *peer, kg_buf *secret_out) KG_WUR;
/* Wipes and drops whatever was appended to b after it had length keep. */
void kg_kex_rollback(kg_buf *b, size_t keep);

#endif
