/* Fingerprints by hash and the randomart picture, drawn exactly as OpenSSH
 * draws it so users can compare the two programs' output by eye. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include "core/randomart.h"

/* The field is 17 x 9 cells; the walk starts in the middle. */
#define FLD_X 17
#define FLD_Y 9
/* Symbols for how often the walk visited a cell; the last two mark the
 * start ('S') and end ('E'). */
static const char symbols[] = " .o+=*BOX@%&#/^SE";

int kg_fp_hash_from_name(const char *name, enum kg_fp_hash *out)
{
	ENSURE(name != NULL && out != NULL, KG_ERR_ARG);
	if (strcasecmp(name, "sha256") == 0)
		*out = KG_FP_SHA256;
	else if (strcasecmp(name, "md5") == 0)
		*out = KG_FP_MD5;
	else if (strcasecmp(name, "sha1") == 0)
		*out = KG_FP_SHA1;
	else
		return KG_ERR_ARG;
	return KG_OK;
}

const char *kg_fp_hash_label(enum kg_fp_hash h)
{
	return h == KG_FP_MD5 ? "MD5" : h == KG_FP_SHA1 ? "SHA1" : "SHA256";
}

int kg_key_digest(const kg_key *k, enum kg_fp_hash h, uint8_t out[KG_FP_RAW_MAX], size_t *len)
{
	ENSURE(k != NULL && out != NULL && len != NULL, KG_ERR_ARG);
	kg_buf blob;
	kg_buf_init(&blob, 64u * 1024);
	int r = kg_key_to_blob(k, &blob);
	unsigned int n = 0;
	uint8_t md[EVP_MAX_MD_SIZE];
	if (r == KG_OK && EVP_Digest(kg_buf_ptr(&blob), kg_buf_len(&blob), md, &n,
				     h == KG_FP_MD5 ? EVP_md5() : h == KG_FP_SHA1 ? EVP_sha1() : EVP_sha256(), NULL) != 1)
		r = KG_ERR_CRYPTO;
	kg_buf_free(&blob);
	GUARD(r);
	ENSURE(n <= KG_FP_RAW_MAX, KG_ERR_INTERNAL);
	memcpy(out, md, n);
	*len = n;
	return KG_OK;
}

int kg_key_fingerprint_hash(const kg_key *k, enum kg_fp_hash h, char *out, size_t outlen)
{
	ENSURE(out != NULL && outlen > 0, KG_ERR_ARG);
	if (h == KG_FP_SHA256)
		return kg_key_fingerprint(k, out, outlen);
	uint8_t d[KG_FP_RAW_MAX];
	size_t n = 0;
	GUARD(kg_key_digest(k, h, d, &n));
	if (h == KG_FP_SHA1) {
		kg_buf t;
		kg_buf_init(&t, 128);
		int r = kg_buf_put(&t, "SHA1:", 5);
		if (r == KG_OK)
			r = kg_buf_put_base64(&t, d, n, 0);
		if (r == KG_OK && kg_buf_len(&t) >= outlen)
			r = KG_ERR_NO_SPACE;
		if (r == KG_OK) {
			memcpy(out, kg_buf_ptr(&t), kg_buf_len(&t));
			out[kg_buf_len(&t)] = '\0';
		}
		kg_buf_free(&t);
		return r;
	}
	ENSURE(outlen >= 4 + n * 3, KG_ERR_NO_SPACE);
	size_t o = (size_t)snprintf(out, outlen, "MD5:");
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, outlen - o, i ? ":%02x" : "%02x", d[i]);
	return KG_OK;
}

/* One border line: '+', label centred in dashes (left half rounded down), '+'. */
static size_t border(char *p, const char *label)
{
	size_t n = strlen(label), o = 0, i;
	if (n > FLD_X)
		n = 0;  /* cannot happen for the labels we make; drop it rather than overflow */
	p[o++] = '+';
	for (i = 0; i < (FLD_X - n) / 2; i++)
		p[o++] = '-';
	memcpy(p + o, label, n);
	o += n;
	for (i += n; i < FLD_X; i++)
		p[o++] = '-';
	p[o++] = '+';
	return o;
}

int kg_randomart(const char *type, unsigned int bits, const char *label, const uint8_t *dgst,
		 size_t dlen, char *out, size_t outlen)
{
	ENSURE(type != NULL && label != NULL && (dgst != NULL || dlen == 0) && out != NULL, KG_ERR_ARG);
	ENSURE(outlen >= KG_RANDOMART_LEN, KG_ERR_NO_SPACE);
	const unsigned int top = (unsigned int)strlen(symbols) - 1;  /* index of 'E' */
	unsigned char field[FLD_X][FLD_Y];
	memset(field, 0, sizeof(field));
	int x = FLD_X / 2, y = FLD_Y / 2;
	for (size_t i = 0; i < dlen; i++) {
		unsigned int in = dgst[i];
		/* Each byte is four moves of two bits, low bits first. */
		for (int m = 0; m < 4; m++, in >>= 2) {
			x += (in & 1) ? 1 : -1;
			y += (in & 2) ? 1 : -1;
			x = x < 0 ? 0 : x > FLD_X - 1 ? FLD_X - 1 : x;
			y = y < 0 ? 0 : y > FLD_Y - 1 ? FLD_Y - 1 : y;
			if (field[x][y] < top - 2)
				field[x][y]++;
		}
	}
	field[FLD_X / 2][FLD_Y / 2] = (unsigned char)(top - 1);
	field[x][y] = (unsigned char)top;
	/* Both labels are cut to 16 characters, and "[type bits]" falls back
	 * to "[type]" only when longer than 17, exactly as OpenSSH does. */
	char title[FLD_X], hash[FLD_X];
	int tn = snprintf(title, sizeof(title), "[%s %u]", type, bits);
	if (tn < 0 || tn > (int)sizeof(title))
		snprintf(title, sizeof(title), "[%s]", type);
	snprintf(hash, sizeof(hash), "[%s]", label);
	size_t o = border(out, title);
	out[o++] = '\n';
	for (int row = 0; row < FLD_Y; row++) {
		out[o++] = '|';
		for (int col = 0; col < FLD_X; col++)
			out[o++] = symbols[field[col][row] > top ? top : field[col][row]];
		out[o++] = '|';
		out[o++] = '\n';
	}
	o += border(out + o, hash);
	out[o] = '\0';
	return KG_OK;
}

int kg_key_randomart(const kg_key *k, enum kg_fp_hash h, char *out, size_t outlen)
{
	uint8_t d[KG_FP_RAW_MAX];
	size_t n = 0;
	GUARD(kg_key_digest(k, h, d, &n));
	return kg_randomart(kg_key_type_short(k->type), (unsigned int)kg_key_bits(k), kg_fp_hash_label(h), d, n,
			    out, outlen);
}
