/* What both halves of user authentication share. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "core/auth.h"

int kg_auth_pubkey_signed_data(const uint8_t *session_id, size_t sid_len, const char *user,
			       const char *service, const char *alg, const uint8_t *blob, size_t blob_len,
			       kg_buf *out)
{
	GUARD(kg_buf_put_string(out, session_id, sid_len));
	GUARD(kg_buf_put_u8(out, SSH_MSG_USERAUTH_REQUEST));
	GUARD(kg_buf_put_cstring(out, user));
	GUARD(kg_buf_put_cstring(out, service));
	GUARD(kg_buf_put_cstring(out, "publickey"));
	GUARD(kg_buf_put_bool(out, 1));
	GUARD(kg_buf_put_cstring(out, alg));
	return kg_buf_put_string(out, blob, blob_len);
}

/* ---------------- keyboard-interactive (RFC 4256) ---------------- */

/* A string of at most max bytes without NUL, as a new C string. */
static int get_text(kg_buf *b, size_t max, char **out)
{
	const uint8_t *p;
	size_t n;
	GUARD(kg_buf_get_string_direct(b, &p, &n));
	ENSURE(n <= max, KG_ERR_TOO_LARGE);
	ENSURE(n == 0 || memchr(p, '\0', n) == NULL, KG_ERR_FORMAT);
	char *s = malloc(n + 1);
	ENSURE(s != NULL, KG_ERR_ALLOC);
	memcpy(s, p, n);
	s[n] = '\0';
	*out = s;
	return KG_OK;
}

int kg_kbd_request_encode(const kg_kbd_request *q, kg_buf *out)
{
	ENSURE(q->n <= KG_KBD_MAX_PROMPTS, KG_ERR_TOO_LARGE);
	GUARD(kg_buf_put_cstring(out, q->name ? q->name : ""));
	GUARD(kg_buf_put_cstring(out, q->instruction ? q->instruction : ""));
	GUARD(kg_buf_put_cstring(out, ""));
	GUARD(kg_buf_put_u32(out, (uint32_t)q->n));
	for (size_t i = 0; i < q->n; i++) {
		GUARD(kg_buf_put_cstring(out, q->prompts[i].text ? q->prompts[i].text : ""));
		GUARD(kg_buf_put_bool(out, q->prompts[i].echo));
	}
	return KG_OK;
}

int kg_kbd_request_decode(const uint8_t *p, size_t len, kg_kbd_request *q)
{
	kg_buf b;
	uint32_t n;
	int r;
	memset(q, 0, sizeof(*q));
	kg_buf_view(&b, p, len);
	GUARD_GOTO(r, get_text(&b, KG_KBD_MAX_TEXT, &q->name), fail);
	GUARD_GOTO(r, get_text(&b, KG_KBD_MAX_TEXT, &q->instruction), fail);
	GUARD_GOTO(r, kg_buf_skip_string(&b), fail);  /* language tag (deprecated) */
	GUARD_GOTO(r, kg_buf_get_u32(&b, &n), fail);
	if (n > KG_KBD_MAX_PROMPTS) {
		r = KG_ERR_TOO_LARGE;
		goto fail;
	}
	for (uint32_t i = 0; i < n; i++) {
		GUARD_GOTO(r, get_text(&b, KG_KBD_MAX_TEXT, &q->prompts[i].text), fail);
		q->n = i + 1;
		GUARD_GOTO(r, kg_buf_get_bool(&b, &q->prompts[i].echo), fail);
	}
	if (kg_buf_len(&b) != 0) {
		r = KG_ERR_FORMAT;
		goto fail;
	}
	return KG_OK;
fail:
	kg_kbd_request_free(q);
	return r;
}

int kg_kbd_request_add(kg_kbd_request *q, const char *text, int echo)
{
	ENSURE(q->n < KG_KBD_MAX_PROMPTS && strlen(text) <= KG_KBD_MAX_TEXT, KG_ERR_TOO_LARGE);
	char *s = strdup(text);
	ENSURE(s != NULL, KG_ERR_ALLOC);
	q->prompts[q->n].text = s;
	q->prompts[q->n].echo = echo != 0;
	q->n++;
	return KG_OK;
}

void kg_kbd_request_free(kg_kbd_request *q)
{
	free(q->name);
	free(q->instruction);
	for (size_t i = 0; i < q->n && i < KG_KBD_MAX_PROMPTS; i++)
		free(q->prompts[i].text);
	memset(q, 0, sizeof(*q));
}

int kg_kbd_response_encode(const kg_kbd_response *r, kg_buf *out)
{
	ENSURE(r->n <= KG_KBD_MAX_PROMPTS, KG_ERR_TOO_LARGE);
	GUARD(kg_buf_put_u32(out, (uint32_t)r->n));
	for (size_t i = 0; i < r->n; i++)
		GUARD(kg_buf_put_cstring(out, r->answers[i] ? r->answers[i] : ""));
	return KG_OK;
}

int kg_kbd_response_decode(const uint8_t *p, size_t len, kg_kbd_response *r)
{
	kg_buf b;
	uint32_t n;
	int rc;
	memset(r, 0, sizeof(*r));
	kg_buf_view(&b, p, len);
	GUARD(kg_buf_get_u32(&b, &n));
	ENSURE(n <= KG_KBD_MAX_PROMPTS, KG_ERR_TOO_LARGE);
	for (uint32_t i = 0; i < n; i++) {
		GUARD_GOTO(rc, get_text(&b, KG_KBD_MAX_ANSWER, &r->answers[i]), fail);
		r->n = i + 1;
	}
	if (kg_buf_len(&b) != 0) {
		rc = KG_ERR_FORMAT;
		goto fail;
	}
	return KG_OK;
fail:
	kg_kbd_response_free(r);
	return rc;
}

void kg_kbd_response_free(kg_kbd_response *r)
{
	for (size_t i = 0; i < r->n && i < KG_KBD_MAX_PROMPTS; i++) {
		if (r->answers[i]) {
			OPENSSL_cleanse(r->answers[i], strlen(r->answers[i]));
			free(r->answers[i]);
		}
	}
	memset(r, 0, sizeof(*r));
}
