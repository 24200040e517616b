/* The agent protocol codec (draft-miller-ssh-agent): framed requests and
 * answers, built and parsed without any I/O. */
#include <stdlib.h>
#include <string.h>
#include "core/agent.h"
#include "core/keyfile.h"

#define MAX_COMMENT 4096
#define MAX_EXT_NAME 256

int kg_agent_frame(const uint8_t *p, size_t avail, size_t *msglen)
{
	if (avail < 4)
		return KG_ERR_AGAIN;
	uint32_t n = kg_peek_u32(p);
	ENSURE(n > 0, KG_ERR_FORMAT);
	ENSURE(n <= KG_AGENT_MAX_MSG, KG_ERR_TOO_LARGE);
	if (avail - 4 < n)
		return KG_ERR_AGAIN;
	*msglen = n;
	return KG_OK;
}

/* Starts a framed message: a length placeholder and the type. */
static int begin(kg_buf *out, uint8_t type, size_t *mark)
{
	*mark = kg_buf_len(out);
	GUARD(kg_buf_put_u32(out, 0));
	return kg_buf_put_u8(out, type);
}

static int end(kg_buf *out, size_t mark)
{
	size_t n = kg_buf_len(out) - mark - 4;
	ENSURE(n <= KG_AGENT_MAX_MSG, KG_ERR_TOO_LARGE);
	kg_poke_u32(kg_buf_mutable_ptr(out) + mark, (uint32_t)n);
	return KG_OK;
}

/* Undoes a half-written message, wiping it (it may hold a private key). */
static int finish(kg_buf *out, size_t mark, int r)
{
	if (r >= 0)
		r = end(out, mark);
	if (r < 0 && kg_buf_len(out) > mark) {
		size_t extra = kg_buf_len(out) - mark;
		memset(kg_buf_mutable_ptr(out) + mark, 0, extra);
		if (kg_buf_consume_end(out, extra) < 0)
			return KG_ERR_INTERNAL;
	}
	return r;
}

int kg_agent_put_simple(kg_buf *out, uint8_t type)
{
	size_t m = kg_buf_len(out);
	int r = begin(out, type, &m);
	return finish(out, m, r);
}

int kg_agent_put_sign_request(kg_buf *out, const uint8_t *blob, size_t blob_len, const uint8_t *data,
			      size_t data_len, uint32_t flags)
{
	size_t m = kg_buf_len(out);
	int r = begin(out, KG_AGENTC_SIGN_REQUEST, &m);
	if (r >= 0)
		r = kg_buf_put_string(out, blob, blob_len);
	if (r >= 0)
		r = kg_buf_put_string(out, data, data_len);
	if (r >= 0)
		r = kg_buf_put_u32(out, flags);
	return finish(out, m, r);
}

int kg_agent_put_add(kg_buf *out, const kg_key *priv, const char *comment, uint32_t lifetime, int confirm)
{
	return kg_agent_put_add_dest(out, priv, comment, lifetime, confirm, NULL, 0);
}

int kg_agent_put_add_dest(kg_buf *out, const kg_key *priv, const char *comment, uint32_t lifetime, int confirm,
			  const uint8_t *dest, size_t dest_len)
{
	ENSURE(priv != NULL && priv->has_private, KG_ERR_ARG);
	const int constrained = lifetime > 0 || confirm || dest;
	size_t m = kg_buf_len(out);
	int r = begin(out, constrained ? KG_AGENTC_ADD_ID_CONSTRAINED : KG_AGENTC_ADD_IDENTITY, &m);
	if (r >= 0)
		r = kg_keyfile_write_private_key(priv, out);
	if (r >= 0)
		r = kg_buf_put_cstring(out, comment ? comment : priv->comment ? priv->comment : "");
	if (r >= 0 && lifetime > 0 && (r = kg_buf_put_u8(out, KG_AGENT_CONSTRAIN_LIFETIME)) >= 0)
		r = kg_buf_put_u32(out, lifetime);
	if (r >= 0 && confirm)
		r = kg_buf_put_u8(out, KG_AGENT_CONSTRAIN_CONFIRM);
	if (r >= 0 && dest && (r = kg_buf_put_u8(out, KG_AGENT_CONSTRAIN_EXTENSION_OPENSSH)) >= 0 &&
	    (r = kg_buf_put_cstring(out, KG_AGENT_RESTRICT_DEST)) >= 0)
		r = kg_buf_put_string(out, dest, dest_len);
	return finish(out, m, r);
}

int kg_agent_put_remove(kg_buf *out, const uint8_t *blob, size_t blob_len)
{
	size_t m = kg_buf_len(out);
	int r = begin(out, KG_AGENTC_REMOVE_IDENTITY, &m);
	if (r >= 0)
		r = kg_buf_put_string(out, blob, blob_len);
	return finish(out, m, r);
}

int kg_agent_put_lock(kg_buf *out, int lock, const char *pass)
{
	size_t m = kg_buf_len(out);
	int r = begin(out, lock ? KG_AGENTC_LOCK : KG_AGENTC_UNLOCK, &m);
	if (r >= 0)
		r = kg_buf_put_cstring(out, pass ? pass : "");
	return finish(out, m, r);
}

int kg_agent_put_extension(kg_buf *out, const char *name, const uint8_t *data, size_t len)
{
	size_t m = kg_buf_len(out);
	int r = begin(out, KG_AGENTC_EXTENSION, &m);
	if (r >= 0)
		r = kg_buf_put_cstring(out, name);
	if (r >= 0 && len > 0)
		r = kg_buf_put(out, data, len);
	return finish(out, m, r);
}

int kg_agent_put_session_bind(kg_buf *out, const uint8_t *hostkey, size_t hk_len, const uint8_t *sid,
			      size_t sid_len, const uint8_t *sig, size_t sig_len, int forwarding)
{
	size_t m = kg_buf_len(out);
	int r = begin(out, KG_AGENTC_EXTENSION, &m);
	if (r >= 0)
		r = kg_buf_put_cstring(out, "session-bind@openssh.com");
	if (r >= 0)
		r = kg_buf_put_string(out, hostkey, hk_len);
	if (r >= 0)
		r = kg_buf_put_string(out, sid, sid_len);
	if (r >= 0)
		r = kg_buf_put_string(out, sig, sig_len);
	if (r >= 0)
		r = kg_buf_put_bool(out, forwarding);
	return finish(out, m, r);
}

uint32_t kg_agent_sign_flags(enum kg_keytype t, const char *sigalg)
{
	if (t != KG_KEY_RSA || !sigalg)
		return 0;
	if (strcmp(sigalg, "rsa-sha2-256") == 0)
		return KG_AGENT_RSA_SHA2_256;
	if (strcmp(sigalg, "rsa-sha2-512") == 0)
		return KG_AGENT_RSA_SHA2_512;
	return 0;
}

const char *kg_agent_flags_sigalg(enum kg_keytype t, uint32_t flags)
{
	if (t != KG_KEY_RSA)
		return kg_key_type_name(t);
	if (flags & KG_AGENT_RSA_SHA2_512)
		return "rsa-sha2-512";
	if (flags & KG_AGENT_RSA_SHA2_256)
		return "rsa-sha2-256";
	return "ssh-rsa";  /* SHA-1: the key code refuses to make it */
}

/* ---- parsing requests ---- */

static int parse_constraints(kg_buf *b, kg_agent_request *req)
{
	while (kg_buf_len(b) > 0) {
		uint8_t c;
		GUARD(kg_buf_get_u8(b, &c));
		switch (c) {
		case KG_AGENT_CONSTRAIN_LIFETIME:
			ENSURE(req->lifetime == 0, KG_ERR_FORMAT);
			GUARD(kg_buf_get_u32(b, &req->lifetime));
			ENSURE(req->lifetime > 0, KG_ERR_FORMAT);
			break;
		case KG_AGENT_CONSTRAIN_CONFIRM:
			ENSURE(!req->confirm, KG_ERR_FORMAT);
			req->confirm = 1;
			break;
		case KG_AGENT_CONSTRAIN_EXTENSION:
		case KG_AGENT_CONSTRAIN_EXTENSION_OPENSSH: {
			/* Only destination restrictions (their contents are the
			 * agent's to parse); any other extension is refused. */
			const uint8_t *name;
			size_t nlen;
			GUARD(kg_buf_get_string_direct(b, &name, &nlen));
			ENSURE(nlen == strlen(KG_AGENT_RESTRICT_DEST) && memcmp(name, KG_AGENT_RESTRICT_DEST, nlen) == 0 &&
				       req->dest == NULL, KG_ERR_PROTOCOL);
			GUARD(kg_buf_get_string_direct(b, &req->dest, &req->dest_len));
			break;
		}
		default:
			/* Unknown constraints: the agent must refuse the key rather
			 * than hold it with fewer limits than asked. */
			return KG_ERR_PROTOCOL;
		}
	}
	return KG_OK;
}

static int parse_add(kg_buf *b, kg_agent_request *req)
{
	req->key = kg_key_new();
	ENSURE(req->key != NULL, KG_ERR_ALLOC);
	GUARD(kg_keyfile_read_private_key(b, req->key));
	char *comment = NULL;
	size_t clen;
	GUARD(kg_buf_get_cstring(b, &comment, &clen));
	req->key->comment = comment;
	ENSURE(clen <= MAX_COMMENT, KG_ERR_TOO_LARGE);
	if (req->type == KG_AGENTC_ADD_ID_CONSTRAINED)
		return parse_constraints(b, req);
	return KG_OK;
}

static int parse_extension(kg_buf *b, kg_agent_request *req)
{
	size_t nlen;
	GUARD(kg_buf_get_cstring(b, &req->ext_name, &nlen));
	ENSURE(nlen > 0 && nlen <= MAX_EXT_NAME, KG_ERR_FORMAT);
	req->ext_data = kg_buf_ptr(b);
	req->ext_len = kg_buf_len(b);
	if (strcmp(req->ext_name, "session-bind@openssh.com") == 0) {
		GUARD(kg_buf_get_string_direct(b, &req->bind_hostkey, &req->bind_hostkey_len));
		GUARD(kg_buf_get_string_direct(b, &req->bind_sid, &req->bind_sid_len));
		GUARD(kg_buf_get_string_direct(b, &req->bind_sig, &req->bind_sig_len));
		GUARD(kg_buf_get_bool(b, &req->bind_forwarding));
		ENSURE(req->bind_sid_len > 0 && req->bind_sid_len <= 64, KG_ERR_FORMAT);
		ENSURE(kg_buf_len(b) == 0, KG_ERR_FORMAT);
		return KG_OK;
	}
	/* Other extensions' contents are theirs to parse. */
	return kg_buf_consume(b, kg_buf_len(b));
}

static int parse_body(kg_buf *b, kg_agent_request *req)
{
	switch (req->type) {
	case KG_AGENTC_REQUEST_IDENTITIES:
	case KG_AGENTC_REMOVE_ALL_IDENTITIES:
		return KG_OK;
	case KG_AGENTC_SIGN_REQUEST:
		GUARD(kg_buf_get_string_direct(b, &req->blob, &req->blob_len));
		GUARD(kg_buf_get_string_direct(b, &req->data, &req->data_len));
		return kg_buf_get_u32(b, &req->flags);
	case KG_AGENTC_REMOVE_IDENTITY:
		return kg_buf_get_string_direct(b, &req->blob, &req->blob_len);
	case KG_AGENTC_ADD_IDENTITY:
	case KG_AGENTC_ADD_ID_CONSTRAINED:
		return parse_add(b, req);
	case KG_AGENTC_LOCK:
	case KG_AGENTC_UNLOCK:
		return kg_buf_get_string_direct(b, &req->pass, &req->pass_len);
	case KG_AGENTC_EXTENSION:
		return parse_extension(b, req);
	default:
		/* Unknown: the agent answers FAILURE; the contents are skipped. */
		return kg_buf_consume(b, kg_buf_len(b));
	}
}

int kg_agent_request_parse(const uint8_t *msg, size_t len, kg_agent_request *req)
{
	memset(req, 0, sizeof(*req));
	kg_buf b;
	kg_buf_view(&b, msg, len);
	int r = kg_buf_get_u8(&b, &req->type);
	if (r >= 0)
		r = parse_body(&b, req);
	if (r >= 0 && kg_buf_len(&b) != 0)
		r = KG_ERR_FORMAT;
	if (r < 0) {
		uint8_t type = req->type;
		kg_agent_request_free(req);
		req->type = type;
	}
	return r;
}

void kg_agent_request_free(kg_agent_request *req)
{
	kg_key_free(req->key);
	free(req->ext_name);
	memset(req, 0, sizeof(*req));
}

/* ---- answers ---- */

int kg_agent_put_identities_begin(kg_buf *out, size_t *mark)
{
	*mark = kg_buf_len(out);
	int r = begin(out, KG_AGENT_IDENTITIES_ANSWER, mark);
	if (r >= 0)
		r = kg_buf_put_u32(out, 0);
	return r < 0 ? finish(out, *mark, r) : r;
}

int kg_agent_put_identity(kg_buf *out, const uint8_t *blob, size_t blob_len, const char *comment)
{
	GUARD(kg_buf_put_string(out, blob, blob_len));
	return kg_buf_put_cstring(out, comment ? comment : "");
}

int kg_agent_put_identities_end(kg_buf *out, size_t mark, uint32_t n)
{
	ENSURE(kg_buf_len(out) >= mark + 9, KG_ERR_ARG);
	kg_poke_u32(kg_buf_mutable_ptr(out) + mark + 5, n);
	return finish(out, mark, KG_OK);
}

int kg_agent_put_sign_response(kg_buf *out, const uint8_t *sig, size_t sig_len)
{
	size_t m = kg_buf_len(out);
	int r = begin(out, KG_AGENT_SIGN_RESPONSE, &m);
	if (r >= 0)
		r = kg_buf_put_string(out, sig, sig_len);
	return finish(out, m, r);
}

void kg_agent_ids_free(kg_agent_id *ids, size_t n)
{
	if (!ids)
		return;
	for (size_t i = 0; i < n; i++) {
		free(ids[i].blob);
		free(ids[i].comment);
	}
	free(ids);
}

int kg_agent_parse_identities(const uint8_t *msg, size_t len, kg_agent_id **ids, size_t *n)
{
	kg_buf b;
	uint8_t type;
	uint32_t count;
	kg_buf_view(&b, msg, len);
	GUARD(kg_buf_get_u8(&b, &type));
	if (type == KG_AGENT_FAILURE)
		return KG_ERR_NOT_FOUND;
	ENSURE(type == KG_AGENT_IDENTITIES_ANSWER, KG_ERR_PROTOCOL);
	GUARD(kg_buf_get_u32(&b, &count));
	ENSURE(count <= KG_AGENT_MAX_KEYS, KG_ERR_TOO_LARGE);
	/* Each entry takes at least 8 bytes: a count beyond that is a lie. */
	ENSURE((size_t)count <= kg_buf_len(&b) / 8, KG_ERR_FORMAT);
	kg_agent_id *v = calloc(count ? count : 1, sizeof(*v));
	ENSURE(v != NULL, KG_ERR_ALLOC);
	int r = KG_OK;
	uint32_t i;
	for (i = 0; i < count && r >= 0; i++) {
		r = kg_buf_get_string(&b, &v[i].blob, &v[i].blob_len);
		if (r >= 0)
			r = kg_buf_get_string(&b, (uint8_t **)&v[i].comment, NULL);
	}
	if (r >= 0 && kg_buf_len(&b) != 0)
		r = KG_ERR_FORMAT;
	if (r < 0) {
		kg_agent_ids_free(v, count);
		return r;
	}
	*ids = v;
	*n = count;
	return KG_OK;
}

int kg_agent_parse_sign_response(const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len)
{
	kg_buf b;
	uint8_t type;
	kg_buf_view(&b, msg, len);
	GUARD(kg_buf_get_u8(&b, &type));
	if (type == KG_AGENT_FAILURE)
		return KG_ERR_NOT_FOUND;
	ENSURE(type == KG_AGENT_SIGN_RESPONSE, KG_ERR_PROTOCOL);
	uint8_t *s = NULL;
	size_t slen;
	GUARD(kg_buf_get_string(&b, &s, &slen));
	if (kg_buf_len(&b) != 0) {
		free(s);
		return KG_ERR_FORMAT;
	}
	*sig = s;
	*sig_len = slen;
	return KG_OK;
}

int kg_agent_parse_status(const uint8_t *msg, size_t len)
{
	ENSURE(len >= 1, KG_ERR_FORMAT);
	if (msg[0] == KG_AGENT_FAILURE || msg[0] == KG_AGENT_EXTENSION_FAILURE)
		return KG_ERR_NOT_FOUND;
	ENSURE(msg[0] == KG_AGENT_SUCCESS, KG_ERR_PROTOCOL);
	return KG_OK;
}
