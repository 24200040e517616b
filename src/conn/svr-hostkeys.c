/* hostkeys-00@openssh.com and hostkeys-prove-00@openssh.com on the server. */
#include <string.h>
#include "conn/svr-hostkeys.h"

#define MAX_KEYS 64
#define MAX_REPLY (256u * 1024)

int kg_svr_hostkeys_message(kg_key *const *keys, size_t n, kg_buf *out)
{
	ENSURE(n <= MAX_KEYS, KG_ERR_TOO_LARGE);
	kg_buf blob;
	kg_buf_init(&blob, 64 * 1024);
	int r = KG_OK;
	for (size_t i = 0; i < n && r >= 0; i++) {
		kg_buf_reset(&blob);
		r = kg_key_to_blob(keys[i], &blob);
		if (r >= 0)
			r = kg_buf_put_string(out, kg_buf_ptr(&blob), kg_buf_len(&blob));
	}
	kg_buf_free(&blob);
	return r;
}

int kg_svr_hostkeys_notify(kg_engine *e, kg_key *const *keys, size_t n)
{
	kg_buf m;
	kg_buf_init(&m, MAX_REPLY);
	int r = kg_svr_hostkeys_message(keys, n, &m);
	if (r >= 0)
		r = kg_engine_send_global(e, KG_HOSTKEYS_REQ, kg_buf_ptr(&m), kg_buf_len(&m), NULL, NULL);
	kg_buf_free(&m);
	return r;
}

int kg_hostkeys_prove_data(const uint8_t *sid, size_t sid_len, const uint8_t *blob, size_t blob_len, kg_buf *out)
{
	GUARD(kg_buf_put_string(out, KG_HOSTKEYS_PROVE_REQ, strlen(KG_HOSTKEYS_PROVE_REQ)));
	GUARD(kg_buf_put_string(out, sid, sid_len));
	return kg_buf_put_string(out, blob, blob_len);
}

static kg_key *find_key(kg_key *const *keys, size_t n, const uint8_t *blob, size_t len)
{
	kg_key *k = NULL;
	if (kg_key_from_blob(blob, len, &k) < 0)
		return NULL;
	kg_key *found = NULL;
	for (size_t i = 0; i < n && !found; i++)
		if (kg_key_equal_public(keys[i], k))
			found = keys[i];
	kg_key_free(k);
	return found;
}

int kg_svr_hostkeys_prove(kg_key *const *keys, size_t n, const uint8_t *sid, size_t sid_len, const char *kex_alg,
			  const uint8_t *data, size_t len, kg_buf *out)
{
	return kg_svr_hostkeys_prove_with(keys, n, sid, sid_len, kex_alg, data, len, NULL, NULL, out);
}

int kg_svr_hostkeys_prove_with(kg_key *const *keys, size_t n, const uint8_t *sid, size_t sid_len, const char *kex_alg,
			       const uint8_t *data, size_t len, kg_svr_sign_fn sign, void *sign_arg, kg_buf *out)
{
	kg_buf in, signdata;
	kg_buf_view(&in, data, len);
	kg_buf_init(&signdata, 64 * 1024);
	int r = KG_OK;
	size_t nkeys = 0;
	while (kg_buf_len(&in) > 0 && r >= 0) {
		const uint8_t *blob;
		size_t blen;
		r = kg_buf_get_string_direct(&in, &blob, &blen);
		if (r < 0)
			break;
		if (++nkeys > MAX_KEYS) {
			r = KG_ERR_TOO_LARGE;
			break;
		}
		kg_key *k = find_key(keys, n, blob, blen);
		if (!k) {
			r = KG_ERR_NOT_FOUND;
			break;
		}
		const char *alg = NULL;
		if (k->type == KG_KEY_RSA)
			alg = kex_alg && kg_key_sigalg_ok(k, kex_alg) ? kex_alg : "rsa-sha2-512";
		kg_buf_reset(&signdata);
		r = kg_hostkeys_prove_data(sid, sid_len, blob, blen, &signdata);
		kg_buf sig;
		kg_buf_init(&sig, 64 * 1024);
		if (r >= 0)
			r = sign ? sign(sign_arg, k, alg, kg_buf_ptr(&signdata), kg_buf_len(&signdata), &sig)
				 : kg_key_sign(k, alg, kg_buf_ptr(&signdata), kg_buf_len(&signdata), &sig);
		if (r >= 0)
			r = kg_buf_put_string(out, kg_buf_ptr(&sig), kg_buf_len(&sig));
		kg_buf_free(&sig);
	}
	kg_buf_free(&signdata);
	return r;
}
