/* The agent's client side: socket lookup and blocking requests. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "conn/cli-agent.h"
#include "sys/agent-sock.h"

int kg_agent_socket_path(const char *identity_agent, char **path)
{
	*path = NULL;
	const char *p = identity_agent;
	if (p && strcasecmp(p, "none") == 0)
		return KG_OK;
	if (!p || strcmp(p, "SSH_AUTH_SOCK") == 0)
		p = getenv("SSH_AUTH_SOCK");
	else if (p[0] == '$')
		p = getenv(p + 1);
	if (!p || !*p)
		return KG_OK;
	*path = strdup(p);
	ENSURE(*path != NULL, KG_ERR_ALLOC);
	return KG_OK;
}

int kg_agent_open(const char *path, kg_agent_conn *a)
{
	a->fd = -1;
	return kg_agent_sock_connect(path, &a->fd);
}

void kg_agent_close(kg_agent_conn *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

int kg_agent_list(kg_agent_conn *a, kg_agent_id **ids, size_t *n)
{
	kg_buf req, ans;
	kg_buf_init(&req, 0);
	kg_buf_init(&ans, KG_AGENT_MAX_MSG);
	int r = kg_agent_put_simple(&req, KG_AGENTC_REQUEST_IDENTITIES);
	if (r >= 0)
		r = kg_agent_sock_call(a->fd, &req, &ans);
	if (r >= 0)
		r = kg_agent_parse_identities(kg_buf_ptr(&ans), kg_buf_len(&ans), ids, n);
	kg_buf_free(&req);
	kg_buf_free(&ans);
	return r;
}

int kg_agent_sign(kg_agent_conn *a, const uint8_t *blob, size_t blob_len, const uint8_t *data, size_t len,
		  uint32_t flags, kg_buf *sig)
{
	kg_buf req, ans;
	kg_buf_init(&req, 0);
	kg_buf_init(&ans, KG_AGENT_MAX_MSG);
	uint8_t *s = NULL;
	size_t slen = 0;
	int r = kg_agent_put_sign_request(&req, blob, blob_len, data, len, flags);
	if (r >= 0)
		r = kg_agent_sock_call(a->fd, &req, &ans);
	if (r >= 0)
		r = kg_agent_parse_sign_response(kg_buf_ptr(&ans), kg_buf_len(&ans), &s, &slen);
	if (r >= 0)
		r = kg_buf_put(sig, s, slen);
	free(s);
	kg_buf_free(&req);
	kg_buf_free(&ans);
	return r;
}

int kg_agent_call_status(kg_agent_conn *a, const kg_buf *req)
{
	kg_buf ans;
	kg_buf_init(&ans, KG_AGENT_MAX_MSG);
	int r = kg_agent_sock_call(a->fd, req, &ans);
	if (r >= 0)
		r = kg_agent_parse_status(kg_buf_ptr(&ans), kg_buf_len(&ans));
	kg_buf_free(&ans);
	return r;
}

int kg_agent_session_bind(kg_agent_conn *a, const kg_transport *tr, int forwarding)
{
	size_t sid_len = 0, sig_len = 0;
	const uint8_t *sid = kg_tr_session_id(tr, &sid_len);
	const uint8_t *sig = kg_tr_session_sig(tr, &sig_len);
	const kg_kex_result *kr = kg_tr_kex_result(tr);
	ENSURE(a->fd >= 0 && sid_len > 0 && sig && kr && kr->hostkey, KG_ERR_ARG);
	kg_buf blob, req;
	kg_buf_init(&blob, 0);
	kg_buf_init(&req, 0);
	int r = kg_key_to_blob(kr->hostkey, &blob);
	if (r >= 0)
		r = kg_agent_put_session_bind(&req, kg_buf_ptr(&blob), kg_buf_len(&blob), sid, sid_len, sig, sig_len,
					      forwarding);
	if (r >= 0)
		r = kg_agent_call_status(a, &req);
	kg_buf_free(&blob);
	kg_buf_free(&req);
	return r;
}

int kg_agent_merge_identities(kg_agent_conn *a, int identities_only, kg_cli_identity **ids, size_t *n)
{
	kg_agent_id *list = NULL;
	size_t count = 0;
	GUARD(kg_agent_list(a, &list, &count));
	kg_cli_identity *v = calloc(count + *n + 1, sizeof(*v));
	if (!v) {
		kg_agent_ids_free(list, count);
		return KG_ERR_ALLOC;
	}
	size_t out = 0;
	int r = KG_OK;
	kg_key **agent_keys = calloc(count + 1, sizeof(*agent_keys));
	ENSURE_GOTO(r, agent_keys != NULL, KG_ERR_ALLOC, fail);
	for (size_t i = 0; i < count; i++)
		if (kg_key_from_blob(list[i].blob, list[i].blob_len, &agent_keys[i]) < 0)
			agent_keys[i] = NULL;  /* a type kagi does not know: not offered */
	if (!identities_only) {
		for (size_t i = 0; i < count; i++) {
			if (!agent_keys[i])
				continue;
			v[out].pub = agent_keys[i];
			agent_keys[i] = NULL;
			v[out].from_agent = 1;
			v[out].path = strdup(list[i].comment ? list[i].comment : "");
			ENSURE_GOTO(r, v[out].path != NULL, KG_ERR_ALLOC, fail);
			out++;
		}
	}
	for (size_t j = 0; j < *n; j++) {
		kg_cli_identity *f = &(*ids)[j];
		int held = 0;
		for (size_t i = 0; i < out && !identities_only; i++)
			held |= v[i].from_agent && kg_key_equal_public(v[i].pub, f->pub);
		for (size_t i = 0; i < count && identities_only; i++)
			held |= agent_keys[i] && kg_key_equal_public(agent_keys[i], f->pub);
		if (held && !identities_only)
			continue;  /* dropped below */
		v[out] = *f;
		v[out].from_agent = held && !f->priv;
		memset(f, 0, sizeof(*f));
		out++;
	}
	/* The files the agent held (their entries were not moved). */
	for (size_t j = 0; j < *n; j++) {
		kg_key_free((*ids)[j].pub);
		kg_key_free((*ids)[j].priv);
		free((char *)(*ids)[j].path);
	}
	free(*ids);
	*ids = v;
	*n = out;
	for (size_t i = 0; i < count; i++)
		kg_key_free(agent_keys[i]);
	free(agent_keys);
	kg_agent_ids_free(list, count);
	return (int)count;
fail:
	for (size_t i = 0; i < out; i++) {
		if (!v[i].from_agent)
			continue;
		kg_key_free(v[i].pub);
		free((char *)v[i].path);
	}
	free(v);
	if (agent_keys)
		for (size_t i = 0; i < count; i++)
			kg_key_free(agent_keys[i]);
	free(agent_keys);
	kg_agent_ids_free(list, count);
	return r;
}
