/* One error space for all of kagi: every function that can fail returns
 * KG_OK (0) or a negative KG_ERR_* code; kg_err_str() turns it into text. */
#ifndef KAGI_ERR_H
#define KAGI_ERR_H

enum kg_err {
	KG_OK = 0,
	KG_ERR_INTERNAL = -1,          /* a bug: should never happen */
	KG_ERR_ALLOC = -2,             /* memory allocation failed */
	KG_ERR_INCOMPLETE = -3,        /* message ends before a field does */
	KG_ERR_FORMAT = -4,            /* malformed field or message */
	KG_ERR_TOO_LARGE = -5,         /* a length or size exceeds its cap */
	KG_ERR_NO_SPACE = -6,          /* buffer would exceed its cap */
	KG_ERR_ARG = -7,               /* invalid argument from the caller */
	KG_ERR_CRYPTO = -8,            /* libcrypto reported a failure */
	KG_ERR_KEY_TYPE = -9,          /* unknown or unsupported key type */
	KG_ERR_KEY_TOO_SMALL = -10,    /* e.g. RSA below 2048 bits */
	KG_ERR_KEY_PERMS = -11,        /* private key file readable by others */
	KG_ERR_PASSPHRASE = -12,       /* wrong passphrase / key cannot decrypt */
	KG_ERR_NEED_PASSPHRASE = -13,  /* encrypted key, no passphrase given */
	KG_ERR_SIGNATURE = -14,        /* signature did not verify */
	KG_ERR_MAC = -15,              /* packet MAC / AEAD tag check failed */
	KG_ERR_NO_KEX_MATCH = -16,
	KG_ERR_NO_HOSTKEY_MATCH = -17,
	KG_ERR_NO_CIPHER_MATCH = -18,
	KG_ERR_NO_MAC_MATCH = -19,
	KG_ERR_NO_COMP_MATCH = -20,
	KG_ERR_PROTOCOL = -21,         /* peer violated the protocol */
	KG_ERR_UNEXPECTED_MSG = -22,   /* message not allowed in this state */
	KG_ERR_PACKET_TOO_LARGE = -23,
	KG_ERR_BANNER = -24,           /* bad or missing version line */
	KG_ERR_PEER_DISCONNECT = -25,  /* peer sent SSH_MSG_DISCONNECT */
	KG_ERR_CLOSED = -26,           /* connection closed */
	KG_ERR_HOSTKEY_REJECTED = -27, /* host key not trusted */
	KG_ERR_HOSTKEY_CHANGED = -28,
	KG_ERR_AUTH_FAILED = -29,      /* no authentication method succeeded */
	KG_ERR_SYSTEM = -30,           /* a system call failed; see errno */
	KG_ERR_TIMEOUT = -31,
	KG_ERR_NOT_FOUND = -32,        /* lookup found nothing */
	KG_ERR_CONFIG = -33,           /* bad configuration */
	KG_ERR_COMPRESS = -34,         /* zlib failure */
	KG_ERR_AGAIN = -35,            /* need more input to proceed */
	KG_ERR_CHANNEL = -36,          /* channel protocol error */
	KG_ERR_REVOKED = -37,          /* key is marked @revoked */
	KG_ERR_STATE = -38,            /* not possible in the current state */
	KG_ERR_MIN_ = -39
};

const char *kg_err_str(int err);

#endif
