/* What both halves of user authentication share. */
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
