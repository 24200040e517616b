/* The text for each kg error code (kg_err_str). */
#include "core/err.h"

const char *kg_err_str(int err)
{
	switch (err) {
	case KG_OK: return "success";
	case KG_ERR_INTERNAL: return "internal error";
	case KG_ERR_ALLOC: return "memory allocation failed";
	case KG_ERR_INCOMPLETE: return "message incomplete";
	case KG_ERR_FORMAT: return "invalid format";
	case KG_ERR_TOO_LARGE: return "value too large";
	case KG_ERR_NO_SPACE: return "buffer size limit reached";
	case KG_ERR_ARG: return "invalid argument";
	case KG_ERR_CRYPTO: return "error in libcrypto";
	case KG_ERR_KEY_TYPE: return "unknown or unsupported key type";
	case KG_ERR_KEY_TOO_SMALL: return "key is too small";
	case KG_ERR_KEY_PERMS: return "bad permissions on private key file";
	case KG_ERR_PASSPHRASE: return "incorrect passphrase supplied to decrypt private key";
	case KG_ERR_NEED_PASSPHRASE: return "private key is encrypted and needs a passphrase";
	case KG_ERR_SIGNATURE: return "signature verification failed";
	case KG_ERR_MAC: return "message authentication code incorrect";
	case KG_ERR_NO_KEX_MATCH: return "no matching key exchange method found";
	case KG_ERR_NO_HOSTKEY_MATCH: return "no matching host key type found";
	case KG_ERR_NO_CIPHER_MATCH: return "no matching cipher found";
	case KG_ERR_NO_MAC_MATCH: return "no matching MAC found";
	case KG_ERR_NO_COMP_MATCH: return "no matching compression method found";
	case KG_ERR_PROTOCOL: return "protocol error";
	case KG_ERR_UNEXPECTED_MSG: return "unexpected message";
	case KG_ERR_PACKET_TOO_LARGE: return "packet too large";
	case KG_ERR_BANNER: return "invalid protocol identification";
	case KG_ERR_PEER_DISCONNECT: return "disconnected by peer";
	case KG_ERR_CLOSED: return "connection closed";
	case KG_ERR_HOSTKEY_REJECTED: return "host key verification failed";
	case KG_ERR_HOSTKEY_CHANGED: return "remote host key has changed";
	case KG_ERR_AUTH_FAILED: return "authentication failed";
	case KG_ERR_SYSTEM: return "system error";
	case KG_ERR_TIMEOUT: return "timed out";
	case KG_ERR_NOT_FOUND: return "not found";
	case KG_ERR_CONFIG: return "configuration error";
	case KG_ERR_COMPRESS: return "compression error";
	case KG_ERR_AGAIN: return "more input needed";
	case KG_ERR_CHANNEL: return "channel error";
	case KG_ERR_REVOKED: return "key is revoked";
	case KG_ERR_STATE: return "not possible in the current state";
	default: return "unknown error";
	}
}
