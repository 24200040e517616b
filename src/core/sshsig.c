/* SSH signatures (PROTOCOL.sshsig): the signed-data layout, the signature
 * blob, and its "-----BEGIN SSH SIGNATURE-----" armor (base64 at 70
 * columns, as OpenSSH writes it). */
#include <stdlib.h>
#include <string.h>
#include "core/sshsig.h"

#define MAGIC "SSHSIG"
#define MAGIC_LEN 6
#define SIG_VERSION 1
#define BEGIN "-----BEGIN SSH SIGNATURE-----"
#define END "-----END SSH SIGNATURE-----"
#define WRAP 70

void kg_sshsig_free(kg_sshsig *s)
{
	if (!s)
		return;
	kg_key_free(s->key);
	free(s->ns);
	free(s->hashalg);
	free(s->sig);
	memset(s, 0, sizeof(*s));
}

const EVP_MD *kg_sshsig_md(const char *hashalg)
{
	if (hashalg && strcmp(hashalg, "sha256") == 0)
		return EVP_sha256();
	if (hashalg && strcmp(hashalg, "sha512") == 0)
		return EVP_sha512();
	return NULL;
}

/* What the key actually signs: magic, namespace, reserved, hash, H(m). */
static int signed_data(const char *ns, const char *hashalg, const uint8_t *digest, size_t dlen, kg_buf *out)
{
	GUARD(kg_buf_put(out, MAGIC, MAGIC_LEN));
	GUARD(kg_buf_put_cstring(out, ns));
	GUARD(kg_buf_put_string(out, "", 0));
	GUARD(kg_buf_put_cstring(out, hashalg));
	return kg_buf_put_string(out, digest, dlen);
}

static int check_digest(const char *hashalg, size_t dlen)
{
	const EVP_MD *md = kg_sshsig_md(hashalg);
	ENSURE(md != NULL, KG_ERR_ARG);
	ENSURE((size_t)EVP_MD_get_size(md) == dlen, KG_ERR_ARG);
	return KG_OK;
}

static int armor(const kg_buf *blob, kg_buf *out)
{
	kg_buf b64;
	kg_buf_init(&b64, KG_SSHSIG_MAX);
	int r = kg_buf_put_base64(&b64, kg_buf_ptr(blob), kg_buf_len(blob), 1);
	if (r == KG_OK)
		r = kg_buf_put(out, BEGIN "\n", strlen(BEGIN) + 1);
	const uint8_t *p = kg_buf_ptr(&b64);
	size_t n = kg_buf_len(&b64);
	for (size_t i = 0; r == KG_OK && i < n; i += WRAP) {
		r = kg_buf_put(out, p + i, n - i < WRAP ? n - i : WRAP);
		if (r == KG_OK)
			r = kg_buf_put_u8(out, '\n');
	}
	if (r == KG_OK)
		r = kg_buf_put(out, END "\n", strlen(END) + 1);
	kg_buf_free(&b64);
	return r;
}

int kg_sshsig_sign(const kg_key *k, const char *ns, const char *hashalg, const uint8_t *digest,
		   size_t dlen, kg_buf *out)
{
	ENSURE(k != NULL && k->has_private && ns != NULL && digest != NULL && out != NULL, KG_ERR_ARG);
	ENSURE(ns[0] != '\0' && strlen(ns) <= KG_SSHSIG_NS_MAX, KG_ERR_ARG);
	GUARD(check_digest(hashalg, dlen));
	kg_buf data, sig, blob;
	kg_buf_init(&data, KG_SSHSIG_MAX);
	kg_buf_init(&sig, KG_SSHSIG_MAX);
	kg_buf_init(&blob, KG_SSHSIG_MAX);
	int r = signed_data(ns, hashalg, digest, dlen, &data);
	if (r == KG_OK)
		r = kg_key_sign(k, k->type == KG_KEY_RSA ? "rsa-sha2-512" : NULL, kg_buf_ptr(&data),
				kg_buf_len(&data), &sig);
	if (r == KG_OK)
		r = kg_buf_put(&blob, MAGIC, MAGIC_LEN);
	if (r == KG_OK)
		r = kg_buf_put_u32(&blob, SIG_VERSION);
	if (r == KG_OK) {
		kg_buf pub;
		kg_buf_init(&pub, KG_SSHSIG_MAX);
		r = kg_key_to_blob(k, &pub);
		if (r == KG_OK)
			r = kg_buf_put_stringb(&blob, &pub);
		kg_buf_free(&pub);
	}
	if (r == KG_OK)
		r = kg_buf_put_cstring(&blob, ns);
	if (r == KG_OK)
		r = kg_buf_put_string(&blob, "", 0);
	if (r == KG_OK)
		r = kg_buf_put_cstring(&blob, hashalg);
	if (r == KG_OK)
		r = kg_buf_put_stringb(&blob, &sig);
	if (r == KG_OK)
		r = armor(&blob, out);
	kg_buf_free(&data);
	kg_buf_free(&sig);
	kg_buf_free(&blob);
	return r;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The base64 between the armor lines, decoded into blob. */
static int dearmor(const char *text, size_t len, kg_buf *blob)
{
	size_t bl = strlen(BEGIN), el = strlen(END);
	ENSURE(len > bl && memcmp(text, BEGIN, bl) == 0, KG_ERR_FORMAT);
	size_t i = bl;
	if (i < len && text[i] == '\r')
		i++;
	ENSURE(i < len && text[i] == '\n', KG_ERR_FORMAT);
	size_t start = ++i, end = 0;
	for (; i + el <= len; i++) {
		if (text[i - 1] == '\n' && memcmp(text + i, END, el) == 0) {
			end = i;
			break;
		}
	}
	ENSURE(end != 0, KG_ERR_FORMAT);
	for (i = end + el; i < len; i++)
		ENSURE(is_ws(text[i]), KG_ERR_FORMAT);
	for (i = start; i < end; i++)  /* only base64 and line breaks inside */
		ENSURE(is_ws(text[i]) || (text[i] >= 'A' && text[i] <= 'Z') || (text[i] >= 'a' && text[i] <= 'z') ||
		       (text[i] >= '0' && text[i] <= '9') || text[i] == '+' || text[i] == '/' || text[i] == '=',
		       KG_ERR_FORMAT);
	return kg_buf_get_base64(blob, text + start, end - start) < 0 ? KG_ERR_FORMAT : KG_OK;
}

static int parse_blob(kg_buf *b, kg_sshsig *out)
{
	uint8_t magic[MAGIC_LEN];
	uint32_t version;
	const uint8_t *p;
	size_t n;
	GUARD(kg_buf_get(b, magic, MAGIC_LEN));
	ENSURE(memcmp(magic, MAGIC, MAGIC_LEN) == 0, KG_ERR_FORMAT);
	GUARD(kg_buf_get_u32(b, &version));
	ENSURE(version == SIG_VERSION, KG_ERR_FORMAT);
	GUARD(kg_buf_get_string_direct(b, &p, &n));
	GUARD(kg_key_from_blob(p, n, &out->key));
	GUARD(kg_buf_get_cstring(b, &out->ns, &n));
	ENSURE(n > 0 && n <= KG_SSHSIG_NS_MAX, KG_ERR_FORMAT);
	GUARD(kg_buf_skip_string(b));  /* reserved: ignored, as the spec says */
	GUARD(kg_buf_get_cstring(b, &out->hashalg, &n));
	ENSURE(kg_sshsig_md(out->hashalg) != NULL, KG_ERR_FORMAT);
	GUARD(kg_buf_get_string(b, &out->sig, &out->siglen));
	ENSURE(kg_buf_len(b) == 0, KG_ERR_FORMAT);
	return KG_OK;
}

int kg_sshsig_parse(const char *text, size_t len, kg_sshsig *out)
{
	ENSURE(text != NULL && out != NULL, KG_ERR_ARG);
	memset(out, 0, sizeof(*out));
	ENSURE(len <= KG_SSHSIG_MAX, KG_ERR_TOO_LARGE);
	kg_buf blob;
	kg_buf_init(&blob, KG_SSHSIG_MAX);
	int r = dearmor(text, len, &blob);
	if (r == KG_OK)
		r = parse_blob(&blob, out);
	kg_buf_free(&blob);
	if (r < 0) {
		kg_sshsig_free(out);
		return r == KG_ERR_ALLOC ? r : KG_ERR_FORMAT;
	}
	return KG_OK;
}

int kg_sshsig_verify(const kg_sshsig *s, const char *ns, const uint8_t *digest, size_t dlen)
{
	ENSURE(s != NULL && s->key != NULL && ns != NULL && digest != NULL, KG_ERR_ARG);
	ENSURE(strcmp(s->ns, ns) == 0, KG_ERR_SIGNATURE);
	GUARD(check_digest(s->hashalg, dlen));
	kg_buf data;
	kg_buf_init(&data, KG_SSHSIG_MAX);
	int r = signed_data(s->ns, s->hashalg, digest, dlen, &data);
	if (r == KG_OK)
		r = kg_key_verify(s->key, NULL, s->sig, s->siglen, kg_buf_ptr(&data), kg_buf_len(&data));
	kg_buf_free(&data);
	return r == KG_OK ? KG_OK : r == KG_ERR_ALLOC ? r : KG_ERR_SIGNATURE;
}
