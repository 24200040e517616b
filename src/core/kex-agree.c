/* The shared-secret step every key exchange family uses: EVP derive, leading zeros off, wipe on failure. */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "core/kex-agree.h"

void kg_kex_rollback(kg_buf *b, size_t keep)
{
	size_t len = kg_buf_len(b);
	if (len <= keep)
		return;
	uint8_t *p = kg_buf_mutable_ptr(b);
	if (p != NULL)
		OPENSSL_cleanse(p + keep, len - keep);
	/* Cannot fail: len - keep bytes are there. */
	if (kg_buf_consume_end(b, len - keep) != KG_OK)
		return;
}

int kg_kex_agree(EVP_PKEY *ours, EVP_PKEY *peer, kg_buf *secret_out)
{
	ENSURE(ours != NULL && peer != NULL && secret_out != NULL, KG_ERR_ARG);
	size_t keep = kg_buf_len(secret_out);
	int r = KG_ERR_CRYPTO;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ours, NULL);
	ENSURE(ctx != NULL, KG_ERR_ALLOC);
	size_t n = 0;
	uint8_t *p;
	/* Each method validated the peer's key when it built it, so the
	 * (for DH costly) repeat check in set_peer is skipped. */
	if (EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) != 1) {
		r = KG_ERR_PROTOCOL;
		goto done;
	}
	ENSURE_GOTO(r, EVP_PKEY_derive(ctx, NULL, &n) == 1 && n > 0 && n <= 2048, KG_ERR_CRYPTO, done);
	GUARD_GOTO(r, kg_buf_reserve(secret_out, n, &p), done);
	if (EVP_PKEY_derive(ctx, p, &n) != 1) {
		/* X25519 refuses an all-zero result itself (small-order point). */
		r = KG_ERR_PROTOCOL;
		goto fail;
	}
	size_t zeros = 0;
	while (zeros < n && p[zeros] == 0)
		zeros++;
	ENSURE_GOTO(r, zeros < n, KG_ERR_PROTOCOL, fail);
	/* Shift out the leading zeros; the rollback wipes the stale tail. */
	memmove(p, p + zeros, n - zeros);
	kg_kex_rollback(secret_out, keep + n - zeros);
	r = KG_OK;
	goto done;
fail:
	kg_kex_rollback(secret_out, keep);
done:
	EVP_PKEY_CTX_free(ctx);
	return r;
}
