/* Agent protocol codec (src/core/agent.c): every request and answer built
 * and parsed back, constraints, and truncated / corrupt input refused. */
#include "t.h"
#include "core/agent.h"
#include "core/keyfile.h"

static kg_key *keys[3];

/* Contents of the framed message at the front of b (checks the frame). */
static int contents(const kg_buf *b, const uint8_t **p, size_t *n)
{
	int r = kg_agent_frame(kg_buf_ptr(b), kg_buf_len(b), n);
	if (r < 0)
		return r;
	if (*n + 4 != kg_buf_len(b))
		return KG_ERR_FORMAT;
	*p = kg_buf_ptr(b) + 4;
	return KG_OK;
}

/* Every proper prefix of a message must fail to parse (never crash). */
static int prefixes_fail(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		kg_agent_request req;
		if (kg_agent_request_parse(p, i, &req) == KG_OK) {
			kg_agent_request_free(&req);
			return 0;
		}
	}
	return 1;
}

static void test_frame(void)
{
	uint8_t m[8] = { 0, 0, 0, 1, 11 };
	size_t n;
	T_ASSERT(kg_agent_frame(m, 3, &n) == KG_ERR_AGAIN);
	T_ASSERT(kg_agent_frame(m, 4, &n) == KG_ERR_AGAIN);
	T_OK(kg_agent_frame(m, 5, &n));
	T_ASSERT(n == 1);
	uint8_t zero[4] = { 0 };
	T_ASSERT(kg_agent_frame(zero, 4, &n) == KG_ERR_FORMAT);
	uint8_t big[4] = { 0x00, 0x10, 0x00, 0x01 };
	T_ASSERT(kg_agent_frame(big, 4, &n) == KG_ERR_TOO_LARGE);
}

static void test_add_roundtrip(void)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(keys); i++) {
		kg_buf b;
		kg_buf_init(&b, 0);
		const uint32_t life = i == 1 ? 60 : 0;
		const int confirm = i == 2;
		T_OK(kg_agent_put_add(&b, keys[i], "me@host", life, confirm));
		const uint8_t *p;
		size_t n;
		T_OK(contents(&b, &p, &n));
		kg_agent_request req;
		T_OK(kg_agent_request_parse(p, n, &req));
		T_ASSERT(req.type == (life || confirm ? KG_AGENTC_ADD_ID_CONSTRAINED : KG_AGENTC_ADD_IDENTITY));
		T_ASSERT(req.key && req.key->has_private && kg_key_equal_public(req.key, keys[i]));
		T_ASSERT(strcmp(req.key->comment, "me@host") == 0);
		T_ASSERT(req.lifetime == life && req.confirm == confirm);
		kg_agent_request_free(&req);
		/* constraints come last: a message cut between two of them is
		 * still whole, so only cuts inside the key and comment must fail */
		const size_t cons = (life ? 5 : 0) + (confirm ? 1 : 0);
		T_ASSERT(prefixes_fail(p, n - cons));
		/* a trailing byte after a plain add is refused */
		uint8_t *copy = malloc(n + 1);
		memcpy(copy, p, n);
		copy[n] = 0;
		if (!life && !confirm)
			T_ASSERT(kg_agent_request_parse(copy, n + 1, &req) < 0);
		free(copy);
		kg_buf_free(&b);
	}
}

/* An ADD_ID_CONSTRAINED message for keys[0] followed by raw constraint bytes. */
static int constrained(const uint8_t *cons, size_t clen, kg_agent_request *req)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	int r = kg_buf_put_u8(&b, KG_AGENTC_ADD_ID_CONSTRAINED);
	if (r >= 0)
		r = kg_keyfile_write_private_key(keys[0], &b);
	if (r >= 0)
		r = kg_buf_put_cstring(&b, "c");
	if (r >= 0)
		r = kg_buf_put(&b, cons, clen);
	if (r >= 0)
		r = kg_agent_request_parse(kg_buf_ptr(&b), kg_buf_len(&b), req);
	kg_buf_free(&b);
	return r;
}

static void test_constraints(void)
{
	kg_agent_request req;
	const uint8_t both[] = { 2, 1, 0, 0, 0, 5 };
	T_OK(constrained(both, sizeof(both), &req));
	T_ASSERT(req.confirm == 1 && req.lifetime == 5);
	kg_agent_request_free(&req);
	T_OK(constrained(NULL, 0, &req));
	kg_agent_request_free(&req);
	const uint8_t unknown[] = { 9 };
	T_ASSERT(constrained(unknown, sizeof(unknown), &req) < 0 && req.key == NULL);
	/* an extension constraint other than a destination restriction is refused */
	const uint8_t ext[] = { 3, 0, 0, 0, 4, 'x', '@', 'y', 'z' };
	T_ASSERT(constrained(ext, sizeof(ext), &req) < 0);
	/* a destination restriction (OpenSSH's number 255) is handed over as it is */
	uint8_t dest[96] = { 255, 0, 0, 0, 36 };
	memcpy(dest + 5, KG_AGENT_RESTRICT_DEST, 36);
	memcpy(dest + 41, "\0\0\0\3abc", 7);
	T_OK(constrained(dest, 48, &req));
	T_ASSERT(req.dest != NULL && req.dest_len == 3);  /* a view into the freed message */
	kg_agent_request_free(&req);
	memcpy(dest + 48, dest, 48);  /* twice: refused */
	T_ASSERT(constrained(dest, 96, &req) < 0);
	const uint8_t short_life[] = { 1, 0, 0 };
	T_ASSERT(constrained(short_life, sizeof(short_life), &req) < 0);
	const uint8_t twice[] = { 2, 2 };
	T_ASSERT(constrained(twice, sizeof(twice), &req) < 0);
	const uint8_t zero_life[] = { 1, 0, 0, 0, 0 };
	T_ASSERT(constrained(zero_life, sizeof(zero_life), &req) < 0);
}

static void test_sign_roundtrip(void)
{
	kg_buf blob, b;
	kg_buf_init(&blob, 0);
	kg_buf_init(&b, 0);
	T_OK(kg_key_to_blob(keys[2], &blob));
	const uint8_t data[] = "data to sign";
	uint32_t flags = kg_agent_sign_flags(KG_KEY_RSA, "rsa-sha2-256");
	T_ASSERT(flags == KG_AGENT_RSA_SHA2_256);
	T_ASSERT(kg_agent_sign_flags(KG_KEY_RSA, "rsa-sha2-512") == KG_AGENT_RSA_SHA2_512);
	T_ASSERT(kg_agent_sign_flags(KG_KEY_ED25519, "ssh-ed25519") == 0);
	T_ASSERT(strcmp(kg_agent_flags_sigalg(KG_KEY_RSA, 4), "rsa-sha2-512") == 0);
	T_ASSERT(strcmp(kg_agent_flags_sigalg(KG_KEY_RSA, 2), "rsa-sha2-256") == 0);
	T_ASSERT(strcmp(kg_agent_flags_sigalg(KG_KEY_RSA, 0), "ssh-rsa") == 0);
	T_OK(kg_agent_put_sign_request(&b, kg_buf_ptr(&blob), kg_buf_len(&blob), data, sizeof(data), flags));
	const uint8_t *p;
	size_t n;
	T_OK(contents(&b, &p, &n));
	kg_agent_request req;
	T_OK(kg_agent_request_parse(p, n, &req));
	T_ASSERT(req.type == KG_AGENTC_SIGN_REQUEST && req.flags == KG_AGENT_RSA_SHA2_256);
	T_ASSERT(req.blob_len == kg_buf_len(&blob) && memcmp(req.blob, kg_buf_ptr(&blob), req.blob_len) == 0);
	T_ASSERT(req.data_len == sizeof(data) && memcmp(req.data, data, sizeof(data)) == 0);
	kg_agent_request_free(&req);
	T_ASSERT(prefixes_fail(p, n));

	/* the answer */
	kg_buf sig, ans;
	kg_buf_init(&sig, 0);
	kg_buf_init(&ans, 0);
	T_OK(kg_key_sign(keys[2], "rsa-sha2-256", data, sizeof(data), &sig));
	T_OK(kg_agent_put_sign_response(&ans, kg_buf_ptr(&sig), kg_buf_len(&sig)));
	T_OK(contents(&ans, &p, &n));
	uint8_t *got;
	size_t glen;
	T_OK(kg_agent_parse_sign_response(p, n, &got, &glen));
	T_OK(kg_key_verify(keys[2], "rsa-sha2-256", got, glen, data, sizeof(data)));
	free(got);
	for (size_t i = 0; i < n; i++)
		T_ASSERT(kg_agent_parse_sign_response(p, i, &got, &glen) < 0);
	const uint8_t fail = KG_AGENT_FAILURE;
	T_ASSERT(kg_agent_parse_sign_response(&fail, 1, &got, &glen) == KG_ERR_NOT_FOUND);
	kg_buf_free(&sig);
	kg_buf_free(&ans);
	kg_buf_free(&blob);
	kg_buf_free(&b);
}

static void test_identities(void)
{
	kg_buf b, blobs[3];
	kg_buf_init(&b, 0);
	size_t mark;
	T_OK(kg_agent_put_identities_begin(&b, &mark));
	for (size_t i = 0; i < 3; i++) {
		kg_buf_init(&blobs[i], 0);
		T_OK(kg_key_to_blob(keys[i], &blobs[i]));
		T_OK(kg_agent_put_identity(&b, kg_buf_ptr(&blobs[i]), kg_buf_len(&blobs[i]), i ? "k" : ""));
	}
	T_OK(kg_agent_put_identities_end(&b, mark, 3));
	const uint8_t *p;
	size_t n, count;
	T_OK(contents(&b, &p, &n));
	kg_agent_id *ids;
	T_OK(kg_agent_parse_identities(p, n, &ids, &count));
	T_ASSERT(count == 3);
	for (size_t i = 0; i < 3; i++)
		T_ASSERT(ids[i].blob_len == kg_buf_len(&blobs[i]) &&
			 memcmp(ids[i].blob, kg_buf_ptr(&blobs[i]), ids[i].blob_len) == 0 &&
			 strcmp(ids[i].comment, i ? "k" : "") == 0);
	kg_agent_ids_free(ids, count);
	for (size_t i = 0; i < n; i++)
		T_ASSERT(kg_agent_parse_identities(p, i, &ids, &count) < 0);
	/* a count far beyond the bytes present */
	uint8_t lie[] = { KG_AGENT_IDENTITIES_ANSWER, 0x00, 0x00, 0x07, 0xff };
	T_ASSERT(kg_agent_parse_identities(lie, sizeof(lie), &ids, &count) < 0);
	uint8_t empty[] = { KG_AGENT_IDENTITIES_ANSWER, 0, 0, 0, 0 };
	T_OK(kg_agent_parse_identities(empty, sizeof(empty), &ids, &count));
	T_ASSERT(count == 0);
	kg_agent_ids_free(ids, count);
	uint8_t wrong[] = { KG_AGENT_SUCCESS };
	T_ASSERT(kg_agent_parse_identities(wrong, 1, &ids, &count) == KG_ERR_PROTOCOL);
	for (size_t i = 0; i < 3; i++)
		kg_buf_free(&blobs[i]);
	kg_buf_free(&b);
}

static void test_simple_and_status(void)
{
	const uint8_t types[] = { KG_AGENTC_REQUEST_IDENTITIES, KG_AGENTC_REMOVE_ALL_IDENTITIES };
	for (size_t i = 0; i < sizeof(types); i++) {
		kg_buf b;
		kg_buf_init(&b, 0);
		T_OK(kg_agent_put_simple(&b, types[i]));
		const uint8_t *p;
		size_t n;
		T_OK(contents(&b, &p, &n));
		T_ASSERT(n == 1);
		kg_agent_request req;
		T_OK(kg_agent_request_parse(p, n, &req));
		T_ASSERT(req.type == types[i]);
		uint8_t extra[2] = { types[i], 0 };
		T_ASSERT(kg_agent_request_parse(extra, 2, &req) == KG_ERR_FORMAT);
		kg_buf_free(&b);
	}
	uint8_t s = KG_AGENT_SUCCESS, f = KG_AGENT_FAILURE, ef = KG_AGENT_EXTENSION_FAILURE, x = 99;
	T_OK(kg_agent_parse_status(&s, 1));
	T_ASSERT(kg_agent_parse_status(&f, 1) == KG_ERR_NOT_FOUND);
	T_ASSERT(kg_agent_parse_status(&ef, 1) == KG_ERR_NOT_FOUND);
	T_ASSERT(kg_agent_parse_status(&x, 1) == KG_ERR_PROTOCOL);
	T_ASSERT(kg_agent_parse_status(&s, 0) == KG_ERR_FORMAT);
	/* an unknown request type parses as just its type */
	uint8_t unk[] = { 99, 1, 2, 3 };
	kg_agent_request req;
	T_OK(kg_agent_request_parse(unk, sizeof(unk), &req));
	T_ASSERT(req.type == 99);
	T_ASSERT(kg_agent_request_parse(unk, 0, &req) < 0);
}

static void test_remove_lock_ext(void)
{
	kg_buf b, blob;
	kg_buf_init(&b, 0);
	kg_buf_init(&blob, 0);
	T_OK(kg_key_to_blob(keys[0], &blob));
	T_OK(kg_agent_put_remove(&b, kg_buf_ptr(&blob), kg_buf_len(&blob)));
	const uint8_t *p;
	size_t n;
	T_OK(contents(&b, &p, &n));
	kg_agent_request req;
	T_OK(kg_agent_request_parse(p, n, &req));
	T_ASSERT(req.type == KG_AGENTC_REMOVE_IDENTITY && req.blob_len == kg_buf_len(&blob));
	T_ASSERT(prefixes_fail(p, n));
	kg_buf_reset(&b);
	T_OK(kg_agent_put_lock(&b, 1, "pw"));
	T_OK(contents(&b, &p, &n));
	T_OK(kg_agent_request_parse(p, n, &req));
	T_ASSERT(req.type == KG_AGENTC_LOCK && req.pass_len == 2 && memcmp(req.pass, "pw", 2) == 0);
	T_ASSERT(prefixes_fail(p, n));
	kg_buf_reset(&b);
	T_OK(kg_agent_put_lock(&b, 0, "pw"));
	T_OK(contents(&b, &p, &n));
	T_OK(kg_agent_request_parse(p, n, &req));
	T_ASSERT(req.type == KG_AGENTC_UNLOCK);
	kg_buf_reset(&b);
	const uint8_t sid[32] = { 1 }, sig[10] = { 2 };
	T_OK(kg_agent_put_session_bind(&b, kg_buf_ptr(&blob), kg_buf_len(&blob), sid, sizeof(sid), sig,
				       sizeof(sig), 1));
	T_OK(contents(&b, &p, &n));
	T_OK(kg_agent_request_parse(p, n, &req));
	T_ASSERT(req.type == KG_AGENTC_EXTENSION && strcmp(req.ext_name, "session-bind@openssh.com") == 0);
	T_ASSERT(req.bind_forwarding == 1 && req.bind_sid_len == 32 && req.bind_sig_len == 10 &&
		 req.bind_hostkey_len == kg_buf_len(&blob));
	kg_agent_request_free(&req);
	T_ASSERT(prefixes_fail(p, n));
	kg_buf_reset(&b);
	T_OK(kg_agent_put_extension(&b, "query", NULL, 0));
	T_OK(contents(&b, &p, &n));
	T_OK(kg_agent_request_parse(p, n, &req));
	T_ASSERT(req.type == KG_AGENTC_EXTENSION && strcmp(req.ext_name, "query") == 0 && req.ext_len == 0);
	kg_agent_request_free(&req);
	kg_buf_free(&b);
	kg_buf_free(&blob);
}

/* Flipping any single byte of an add message never crashes and never
 * yields a key whose private half is inconsistent. */
static void test_corrupt_add(void)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	T_OK(kg_agent_put_add(&b, keys[1], "x", 0, 0));
	const uint8_t *p;
	size_t n;
	T_OK(contents(&b, &p, &n));
	uint8_t *copy = malloc(n);
	for (size_t i = 0; i < n; i++) {
		memcpy(copy, p, n);
		copy[i] ^= 0x41;
		kg_agent_request req;
		if (kg_agent_request_parse(copy, n, &req) == KG_OK) {
			if (req.key) {
				kg_buf sig;
				kg_buf_init(&sig, 0);
				T_OK(kg_key_sign(req.key, NULL, (const uint8_t *)"d", 1, &sig));
				T_OK(kg_key_verify(req.key, NULL, kg_buf_ptr(&sig), kg_buf_len(&sig),
						   (const uint8_t *)"d", 1));
				kg_buf_free(&sig);
			}
			kg_agent_request_free(&req);
		}
	}
	free(copy);
	kg_buf_free(&b);
}

int main(void)
{
	if (kg_key_generate(KG_KEY_ED25519, 0, &keys[0]) < 0 || kg_key_generate(KG_KEY_ECDSA_P256, 0, &keys[1]) < 0 ||
	    kg_key_generate(KG_KEY_RSA, 2048, &keys[2]) < 0) {
		fprintf(stderr, "key generation failed\n");
		return 1;
	}
	T_RUN(test_frame);
	T_RUN(test_add_roundtrip);
	T_RUN(test_constraints);
	T_RUN(test_sign_roundtrip);
	T_RUN(test_identities);
	T_RUN(test_simple_and_status);
	T_RUN(test_remove_lock_ext);
	T_RUN(test_corrupt_add);
	for (size_t i = 0; i < KG_ARRAY_LEN(keys); i++)
		kg_key_free(keys[i]);
	return T_DONE();
}
