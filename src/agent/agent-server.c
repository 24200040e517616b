/* The agent's request handling over its key table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "agent/agent-server.h"
#include "core/keyfile.h"
#include "sys/askpass.h"
#include "sys/fail-delay.h"

#define LOCK_ROUNDS 1

void kg_agent_server_init(kg_agent_server *s, kg_loop *loop, const kg_logger *log)
{
	memset(s, 0, sizeof(*s));
	kg_agent_keys_init(&s->keys, loop);
	s->log = log;
	s->unlock_delay_ms = 100;
}

void kg_agent_server_free(kg_agent_server *s)
{
	kg_agent_keys_free(&s->keys);
	OPENSSL_cleanse(s->lock_hash, sizeof(s->lock_hash));
	OPENSSL_cleanse(s->lock_salt, sizeof(s->lock_salt));
	s->locked = 0;
}

static int status(kg_buf *out, int ok)
{
	return kg_agent_put_simple(out, ok ? KG_AGENT_SUCCESS : KG_AGENT_FAILURE);
}

/* The hops b bound, as the destination check takes them. */
static size_t hops_of(const kg_agent_binds *b, kg_agent_dest_hop *h)
{
	size_t n = b ? b->n : 0;
	for (size_t i = 0; i < n; i++) {
		h[i].hostkey = b->v[i].hostkey;
		h[i].hostkey_len = b->v[i].hostkey_len;
		h[i].forwarding = b->v[i].forwarding;
	}
	return n;
}

static int identities(kg_agent_server *s, const kg_agent_binds *b, kg_buf *out)
{
	kg_agent_dest_hop h[KG_AGENT_MAX_BINDS];
	size_t nh = hops_of(b, h);
	size_t mark;
	(void)kg_agent_keys_expire(&s->keys);
	GUARD(kg_agent_put_identities_begin(out, &mark));
	uint32_t n = 0;
	/* A locked agent lists nothing. */
	for (size_t i = 0; !s->locked && i < s->keys.n; i++) {
		const kg_agent_entry *e = &s->keys.v[i];
		/* A key restricted to other destinations is not shown here. */
		if (!kg_agent_dest_permitted(e->dest, e->ndest, h, nh, NULL))
			continue;
		GUARD(kg_agent_put_identity(out, e->blob, e->blob_len, e->comment));
		n++;
	}
	return kg_agent_put_identities_end(out, mark, n);
}

char *kg_agent_confirm_prompt(const kg_agent_entry *e)
{
	char fp[KG_KEY_FP_LEN];
	if (kg_key_fingerprint(e->key, fp, sizeof(fp)) < 0)
		snprintf(fp, sizeof(fp), "?");
	size_t n = strlen(e->comment) + strlen(fp) + 64;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "Allow use of key %s?\nKey fingerprint %s.", e->comment, fp);
	return p;
}

int kg_agent_confirm_askpass(void *ctx, const kg_agent_entry *e)
{
	(void)ctx;
	char *prompt = kg_agent_confirm_prompt(e);
	ENSURE(prompt != NULL, KG_ERR_ALLOC);
	int r = kg_askpass_confirm(kg_askpass_program(), prompt);
	free(prompt);
	return r;
}

/* A destination-restricted key signs only a user authentication request
 * for a permitted hop, over the session the connection bound last. */
static int dest_ok(kg_agent_server *s, const kg_agent_binds *b, const kg_agent_entry *e,
		   const kg_agent_request *req)
{
	kg_agent_dest_hop h[KG_AGENT_MAX_BINDS];
	size_t nh = hops_of(b, h);
	if (nh == 0) {
		kg_info(s->log, "refusing use of destination-constrained key to sign on an unbound connection");
		return 0;
	}
	const uint8_t *sid, *hk;
	size_t sid_len, hk_len;
	char *user = NULL;
	if (kg_agent_dest_userauth(req->data, req->data_len, e->blob, e->blob_len, &sid, &sid_len, &user, &hk,
				   &hk_len) < 0) {
		kg_info(s->log, "refusing use of destination-constrained key to sign an unidentified signature");
		return 0;
	}
	const kg_agent_bind *last = &b->v[nh - 1];
	int ok = kg_agent_dest_permitted(e->dest, e->ndest, h, nh, user);
	if (!ok)
		kg_info(s->log, "destination-constrained key not permitted for user %s over these hops", user);
	if (ok && (sid_len != last->sid_len || memcmp(sid, last->sid, sid_len) != 0)) {
		kg_info(s->log, "unexpected session ID on signature request for target user %s", user);
		ok = 0;
	}
	if (ok && nh > 1 && !hk) {
		kg_info(s->log, "refusing use of destination-constrained key: no hostkey in the signature for a forwarded connection");
		ok = 0;
	}
	if (ok && hk && (hk_len != last->hostkey_len || memcmp(hk, last->hostkey, hk_len) != 0)) {
		kg_info(s->log, "refusing use of destination-constrained key: host key in the request is not the bound one");
		ok = 0;
	}
	free(user);
	return ok;
}

static int sign(kg_agent_server *s, const kg_agent_binds *b, const kg_agent_request *req, kg_buf *out)
{
	kg_agent_entry *e = s->locked ? NULL : kg_agent_keys_find(&s->keys, req->blob, req->blob_len);
	if (!e) {
		kg_debug(s->log, "sign request: key not held%s", s->locked ? " (agent locked)" : "");
		return status(out, 0);
	}
	if (e->ndest && !dest_ok(s, b, e, req))
		return status(out, 0);
	if (e->confirm) {
		int ok = s->confirm && s->confirm(s->confirm_ctx, e) == KG_OK;
		/* The table may have changed meanwhile only through this call. */
		if (!ok) {
			kg_info(s->log, "agent key %s use refused by the user", e->comment);
			return status(out, 0);
		}
	}
	const char *alg = kg_agent_flags_sigalg(e->key->type, req->flags);
	kg_buf sig;
	kg_buf_init(&sig, 64 * 1024);
	int r = kg_key_sign(e->key, alg, req->data, req->data_len, &sig);
	if (r < 0) {
		kg_debug(s->log, "sign request: %s signature failed: %s", alg, kg_err_str(r));
		kg_buf_free(&sig);
		return status(out, 0);
	}
	if (kg_log_enabled(s->log, KG_LOG_DEBUG1)) {
		char fp[128];
		if (kg_key_fingerprint_hash(e->key, s->fp_hash, fp, sizeof(fp)) < 0)
			snprintf(fp, sizeof(fp), "?");
		kg_debug(s->log, "signed with %s key %s %s (%s)", kg_key_type_short(e->key->type), fp, e->comment, alg);
	}
	r = kg_agent_put_sign_response(out, kg_buf_ptr(&sig), kg_buf_len(&sig));
	kg_buf_free(&sig);
	return r;
}

static int add(kg_agent_server *s, kg_agent_request *req, kg_buf *out)
{
	if (s->locked)
		return status(out, 0);
	uint32_t life = req->lifetime ? req->lifetime : s->default_life;
	kg_agent_dest *dest = NULL;
	size_t ndest = 0;
	if (req->dest && kg_agent_dest_parse(req->dest, req->dest_len, &dest, &ndest) < 0) {
		kg_info(s->log, "add identity: bad destination restriction");
		return status(out, 0);
	}
	kg_key *k = req->key;
	req->key = NULL;
	int r = kg_agent_keys_add(&s->keys, k, life, req->confirm, dest, ndest);
	if (r < 0)
		kg_info(s->log, "add identity failed: %s", kg_err_str(r));
	else
		kg_debug(s->log, "added key (lifetime %u, confirm %d, %zu destination restrictions)", (unsigned)life,
			 req->confirm, ndest);
	return status(out, r >= 0);
}

static int lock_hash(const kg_agent_server *s, const kg_agent_request *req, uint8_t out[KG_AGENT_LOCK_HASH])
{
	return kg_bcrypt_pbkdf((const char *)req->pass, req->pass_len, s->lock_salt, sizeof(s->lock_salt), out,
			       KG_AGENT_LOCK_HASH, LOCK_ROUNDS);
}

static int lock(kg_agent_server *s, const kg_agent_request *req, kg_buf *out)
{
	if (req->type == KG_AGENTC_LOCK) {
		if (s->locked || req->pass_len == 0)
			return status(out, 0);
		if (RAND_bytes(s->lock_salt, sizeof(s->lock_salt)) != 1 || lock_hash(s, req, s->lock_hash) < 0) {
			OPENSSL_cleanse(s->lock_hash, sizeof(s->lock_hash));
			return status(out, 0);
		}
		s->locked = 1;
		kg_debug(s->log, "agent locked");
		return status(out, 1);
	}
	if (!s->locked)
		return status(out, 0);
	uint8_t h[KG_AGENT_LOCK_HASH];
	int ok = lock_hash(s, req, h) >= 0 && kg_ct_memcmp(h, s->lock_hash, sizeof(h)) == 0;
	OPENSSL_cleanse(h, sizeof(h));
	if (!ok) {
		/* Guessing is slowed down: 0.1 s more per failure, up to 10 s. */
		if (s->unlock_failures < 100)
			s->unlock_failures++;
		kg_info(s->log, "agent unlock failed (%u so far)", s->unlock_failures);
		if (s->unlock_delay_ms)
			kg_fail_delay_wait(kg_fail_delay_now(), (uint64_t)s->unlock_failures * s->unlock_delay_ms * 1000000u);
		return status(out, 0);
	}
	s->locked = 0;
	s->unlock_failures = 0;
	OPENSSL_cleanse(s->lock_hash, sizeof(s->lock_hash));
	OPENSSL_cleanse(s->lock_salt, sizeof(s->lock_salt));
	kg_debug(s->log, "agent unlocked");
	return status(out, 1);
}

void kg_agent_binds_free(kg_agent_binds *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].hostkey);
	memset(b, 0, sizeof(*b));
}

/* session-bind@openssh.com: the host key must have signed the session id.
 * A connection bound for authentication takes no further binding; the
 * same binding twice is fine; at most KG_AGENT_MAX_BINDS. */
static int session_bind(kg_agent_server *s, kg_agent_binds *b, const kg_agent_request *req, kg_buf *out)
{
	if (!b)
		return status(out, 0);
	kg_key *hk = NULL;
	int ok = kg_key_from_blob(req->bind_hostkey, req->bind_hostkey_len, &hk) >= 0 &&
		 kg_key_verify(hk, NULL, req->bind_sig, req->bind_sig_len, req->bind_sid, req->bind_sid_len) == KG_OK;
	kg_key_free(hk);
	if (!ok) {
		kg_info(s->log, "session-bind: the host key's signature does not verify");
		return status(out, 0);
	}
	for (size_t i = 0; i < b->n; i++) {
		kg_agent_bind *x = &b->v[i];
		if (!x->forwarding) {
			kg_info(s->log, "session-bind: connection already bound for authentication");
			return status(out, 0);
		}
		if (x->sid_len == req->bind_sid_len && memcmp(x->sid, req->bind_sid, x->sid_len) == 0) {
			ok = x->forwarding == req->bind_forwarding && x->hostkey_len == req->bind_hostkey_len &&
			     memcmp(x->hostkey, req->bind_hostkey, x->hostkey_len) == 0;
			return status(out, ok);
		}
	}
	if (b->n >= KG_AGENT_MAX_BINDS)
		return status(out, 0);
	kg_agent_bind *x = &b->v[b->n];
	x->hostkey = malloc(req->bind_hostkey_len ? req->bind_hostkey_len : 1);
	if (!x->hostkey)
		return status(out, 0);
	memcpy(x->hostkey, req->bind_hostkey, req->bind_hostkey_len);
	x->hostkey_len = req->bind_hostkey_len;
	memcpy(x->sid, req->bind_sid, req->bind_sid_len);  /* at most 64: the codec checks */
	x->sid_len = req->bind_sid_len;
	x->forwarding = req->bind_forwarding;
	b->n++;
	kg_debug(s->log, "session bound (%s)", x->forwarding ? "forwarding" : "authentication");
	return status(out, 1);
}

/* "query": SUCCESS, then the names of the extensions this agent knows
 * (draft-miller-ssh-agent 4.7.1). */
static int extension(kg_agent_server *s, kg_agent_binds *b, const kg_agent_request *req, kg_buf *out)
{
	if (strcmp(req->ext_name, "session-bind@openssh.com") == 0)
		return session_bind(s, b, req, out);
	if (strcmp(req->ext_name, "query") != 0) {
		kg_debug(s->log, "extension %s not supported", req->ext_name);
		return status(out, 0);
	}
	size_t mark = kg_buf_len(out);
	GUARD(kg_buf_put_u32(out, 0));
	GUARD(kg_buf_put_u8(out, KG_AGENT_SUCCESS));
	GUARD(kg_buf_put_cstring(out, "query"));
	GUARD(kg_buf_put_cstring(out, "session-bind@openssh.com"));
	kg_poke_u32(kg_buf_mutable_ptr(out) + mark, (uint32_t)(kg_buf_len(out) - mark - 4));
	return KG_OK;
}

int kg_agent_server_handle(kg_agent_server *s, kg_agent_binds *b, const uint8_t *msg, size_t len, kg_buf *out)
{
	kg_agent_request req;
	int r = kg_agent_request_parse(msg, len, &req);
	if (r < 0) {
		kg_debug(s->log, "bad agent request (type %u): %s", (unsigned)req.type, kg_err_str(r));
		return status(out, 0);
	}
	switch (req.type) {
	case KG_AGENTC_REQUEST_IDENTITIES:
		r = identities(s, b, out);
		break;
	case KG_AGENTC_SIGN_REQUEST:
		r = sign(s, b, &req, out);
		break;
	case KG_AGENTC_ADD_IDENTITY:
	case KG_AGENTC_ADD_ID_CONSTRAINED:
		r = add(s, &req, out);
		break;
	case KG_AGENTC_REMOVE_IDENTITY:
		r = status(out, !s->locked && kg_agent_keys_remove(&s->keys, req.blob, req.blob_len) == KG_OK);
		break;
	case KG_AGENTC_REMOVE_ALL_IDENTITIES:
		if (!s->locked)
			kg_agent_keys_clear(&s->keys);
		r = status(out, !s->locked);
		break;
	case KG_AGENTC_LOCK:
	case KG_AGENTC_UNLOCK:
		r = lock(s, &req, out);
		break;
	case KG_AGENTC_EXTENSION:
		r = s->locked ? status(out, 0) : extension(s, b, &req, out);
		break;
	default:
		kg_debug(s->log, "unknown agent request %u", (unsigned)req.type);
		r = status(out, 0);
		break;
	}
	kg_agent_request_free(&req);
	return r;
}
