/* Exercises src/core/cipher-evp.c, src/core/key-param.c, src/core/kex-agree.c, src/core/keyfile-pkey.c and src/core/transport-out.c: the helpers the per-algorithm files and transport-kex.c call down to. */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include "t.h"
#include "core/cipher-evp.h"
#include "core/kex-agree.h"
#include "core/key-param.h"
#include "core/keyfile-pkey.h"
#include "core/transport-impl.h"
#include "tr_pair.h"

/* NIST SP 800-38A F.5.1 (CTR-AES128.Encrypt), first block; and the
 * counter runs on across calls, as the packet ciphers rely on. */
static void test_cipher_evp_ctr_vector(void)
{
	uint8_t key[16], iv[16], pt[32], want[16];
	t_unhex("2b7e151628aed2a6abf7158809cf4f3c", key);
	t_unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", iv);
	t_unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51", pt);
	t_unhex("874d6191b620e3261bef6864990db6ce", want);
	EVP_CIPHER_CTX *enc = kg_cipher_ctx_new("AES-128-CTR", key, 16, iv, 16, 1);
	EVP_CIPHER_CTX *dec = kg_cipher_ctx_new("AES-128-CTR", key, 16, iv, 16, 0);
	T_ASSERT(enc != NULL && dec != NULL);
	uint8_t buf[32];
	memcpy(buf, pt, sizeof(buf));
	T_OK(kg_cipher_update(enc, buf, 16));
	T_ASSERT(memcmp(buf, want, 16) == 0);
	T_OK(kg_cipher_update(enc, buf + 16, 16));
	T_OK(kg_cipher_update(dec, buf, 7));   /* uneven pieces: a stream */
	T_OK(kg_cipher_update(dec, buf + 7, 25));
	T_ASSERT(memcmp(buf, pt, sizeof(pt)) == 0);
	T_OK(kg_cipher_update(dec, buf, 0));
	/* Beyond what one EVP call takes: refused before data is touched. */
	T_ASSERT(kg_cipher_update(dec, NULL, (size_t)KG_PKTCRYPT_MAX_LEN + 1) == KG_ERR_TOO_LARGE);
	EVP_CIPHER_CTX_free(enc);
	EVP_CIPHER_CTX_free(dec);
}

static void test_cipher_evp_refuses_bad_lengths(void)
{
	uint8_t key[32] = { 0 }, iv[16] = { 0 };
	T_ASSERT(kg_cipher_ctx_new("AES-128-CTR", key, 32, iv, 16, 1) == NULL);   /* key too long */
	T_ASSERT(kg_cipher_ctx_new("AES-256-GCM", key, 32, iv, 16, 1) == NULL);   /* GCM's IV is 12 */
	T_ASSERT(kg_cipher_ctx_new("no-such-cipher", key, 16, iv, 16, 1) == NULL);
	ERR_clear_error();
	EVP_CIPHER_CTX *ok = kg_cipher_ctx_new("AES-256-GCM", key, 32, iv, 12, 0);
	T_ASSERT(ok != NULL);
	EVP_CIPHER_CTX_free(ok);
}

static void test_key_param(void)
{
	EVP_PKEY *priv = EVP_EC_gen("P-256");
	T_ASSERT(priv != NULL);
	T_ASSERT(kg_key_has_bn_param(priv, OSSL_PKEY_PARAM_PRIV_KEY) == 1);
	/* The public half alone: no private scalar. */
	uint8_t pub[65];
	size_t publen = 0;
	T_ASSERT(EVP_PKEY_get_octet_string_param(priv, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &publen) == 1);
	EVP_PKEY *pubk = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, publen),
		OSSL_PARAM_construct_end(),
	};
	T_ASSERT(ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
		 EVP_PKEY_fromdata(ctx, &pubk, EVP_PKEY_PUBLIC_KEY, params) == 1);
	ERR_clear_error();
	T_ASSERT(kg_key_has_bn_param(pubk, OSSL_PKEY_PARAM_PRIV_KEY) == 0);
	/* A name the key does not have: 0, and libcrypto's queue untouched. */
	T_ASSERT(kg_key_has_bn_param(priv, "no-such-param") == 0);
	T_ASSERT(ERR_peek_error() == 0);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pubk);
	EVP_PKEY_free(priv);
}

static void test_kex_agree_and_rollback(void)
{
	EVP_PKEY *a = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	EVP_PKEY *b = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	T_ASSERT(a != NULL && b != NULL);
	kg_buf s1, s2;
	kg_buf_init(&s1, 4096);
	kg_buf_init(&s2, 4096);
	T_OK(kg_buf_put_u8(&s1, 0xAA));   /* what was there stays */
	T_OK(kg_kex_agree(a, b, &s1));
	T_OK(kg_kex_agree(b, a, &s2));
	T_ASSERT(kg_buf_len(&s1) == kg_buf_len(&s2) + 1 && kg_buf_ptr(&s1)[0] == 0xAA);
	T_ASSERT(memcmp(kg_buf_ptr(&s1) + 1, kg_buf_ptr(&s2), kg_buf_len(&s2)) == 0);
	T_ASSERT(kg_buf_len(&s2) > 0 && kg_buf_ptr(&s2)[0] != 0);  /* no leading zero */
	T_ASSERT(kg_kex_agree(NULL, b, &s1) == KG_ERR_ARG);
	kg_kex_rollback(&s1, 1);
	T_ASSERT(kg_buf_len(&s1) == 1 && kg_buf_ptr(&s1)[0] == 0xAA);
	kg_kex_rollback(&s1, 5);           /* shorter than keep: unchanged */
	T_ASSERT(kg_buf_len(&s1) == 1);
	kg_buf_free(&s1);
	kg_buf_free(&s2);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

static void test_keyfile_pkey(void)
{
	T_ASSERT(strcmp(kg_keyfile_type_name(KG_KEY_ECDSA_P384), "ecdsa-sha2-nistp384") == 0);
	T_ASSERT(strcmp(kg_keyfile_curve_name(KG_KEY_ECDSA_P521), "nistp521") == 0);
	T_ASSERT(kg_keyfile_point_len(KG_KEY_ECDSA_P256) == 65);
	T_ASSERT(kg_keyfile_curve_name(KG_KEY_ED25519) == NULL);
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	T_ASSERT(pk != NULL);
	enum kg_keytype t = KG_KEY_UNSPEC;
	T_OK(kg_keyfile_pkey_type(pk, &t));
	T_ASSERT(t == KG_KEY_ECDSA_P256);
	T_OK(kg_keyfile_check_pkey(t, pk));
	kg_buf blob;
	kg_buf_init(&blob, 4096);
	T_OK(kg_keyfile_public_blob(t, pk, &blob));
	char *name = NULL, *curve = NULL;
	const uint8_t *q;
	size_t qlen;
	T_OK(kg_buf_get_cstring(&blob, &name, NULL));
	T_OK(kg_buf_get_cstring(&blob, &curve, NULL));
	T_OK(kg_buf_get_string_direct(&blob, &q, &qlen));
	T_ASSERT(strcmp(name, "ecdsa-sha2-nistp256") == 0 && strcmp(curve, "nistp256") == 0);
	T_ASSERT(qlen == 65 && q[0] == 0x04 && kg_buf_len(&blob) == 0);
	free(name);
	free(curve);
	kg_buf_free(&blob);
	EVP_PKEY *x = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	T_ASSERT(x != NULL && kg_keyfile_pkey_type(x, &t) == KG_ERR_KEY_TYPE);
	EVP_PKEY_free(x);
	EVP_PKEY_free(pk);
}

/* transport-out.c: a message goes out sealed and arrives whole; DISCONNECT
 * closes both ends with its text; tr_fail records the error. */
static void test_transport_out(void)
{
	pair p;
	memset(&p, 0, sizeof(p));
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &p.hostkey));
	p.hostkeys[0] = p.hostkey;
	kg_tr_config base = { .kex_algs = "curve25519-sha256", .hostkey_algs = "ssh-ed25519",
			      .ciphers = "aes128-ctr", .macs = "hmac-sha2-256", .compression = "none",
			      .cb_arg = &p };
	p.cc = base;
	p.cc.verify_hostkey = accept_key;
	p.sc = base;
	p.sc.is_server = 1;
	p.sc.hostkeys = p.hostkeys;
	p.sc.n_hostkeys = 1;
	T_OK(kg_tr_new(&p.c, &p.cc));
	T_OK(kg_tr_new(&p.s, &p.sc));
	const uint8_t *m;
	size_t n;
	T_OK(pump(p.c, p.s, &m, &n, NULL));
	T_ASSERT(kg_tr_ready(p.c) && kg_tr_ready(p.s));
	uint8_t msg[300];
	msg[0] = SSH_MSG_CHANNEL_DATA;
	for (size_t i = 1; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	T_OK(tr_send_raw(p.c, msg, sizeof(msg)));
	/* Sealed: the plaintext is not in the output. */
	size_t olen;
	const uint8_t *out = kg_tr_output(p.c, &olen);
	T_ASSERT(olen > sizeof(msg) && memmem(out, olen, msg + 1, 64) == NULL);
	T_ASSERT(pump(p.c, p.s, &m, &n, p.s) == SSH_MSG_CHANNEL_DATA);
	T_ASSERT(n == sizeof(msg) && memcmp(m, msg, n) == 0);
	/* A half-built message is dropped whole. */
	kg_buf *b;
	size_t before = kg_tr_output_pending(p.c);
	T_OK(tr_out_begin(p.c, SSH_MSG_CHANNEL_DATA, &b));
	T_OK(kg_buf_put_u32(b, 1));
	tr_out_abort(p.c);
	T_ASSERT(kg_tr_output_pending(p.c) == before);
	T_ASSERT(tr_fail(p.s, KG_ERR_PROTOCOL, SSH_DISCONNECT_BY_APPLICATION, "bye %d", 7) == KG_ERR_PROTOCOL);
	T_ASSERT(kg_tr_is_closed(p.s) && strcmp(kg_tr_error_text(p.s), "bye 7") == 0);
	T_ASSERT(tr_send_raw(p.s, msg, sizeof(msg)) == KG_ERR_CLOSED);
	/* The client reads the DISCONNECT and closes with the server's text. */
	out = kg_tr_output(p.s, &olen);
	T_ASSERT(olen > 0);
	T_OK(kg_tr_input(p.c, out, olen));
	T_ASSERT(kg_tr_read_packet(p.c, &m, &n) < 0);
	T_ASSERT(kg_tr_is_closed(p.c) && strstr(kg_tr_error_text(p.c), "bye 7") != NULL);
	pair_free(&p);
}

int main(void)
{
	T_RUN(test_cipher_evp_ctr_vector);
	T_RUN(test_cipher_evp_refuses_bad_lengths);
	T_RUN(test_key_param);
	T_RUN(test_kex_agree_and_rollback);
	T_RUN(test_keyfile_pkey);
	T_RUN(test_transport_out);
	return T_DONE();
}
