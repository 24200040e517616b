/* Default algorithm preferences.  The server's defaults are chosen to pass
 * a strict audit (no NIST-curve KEX or host keys, no 2048-bit DH group);
 * its MACs put encrypt-then-MAC first and, like OpenSSH, also offer the
 * plain hmac-sha2-256/512 last, since libssh2 1.10 clients (curl sftp://)
 * have neither an -etm MAC nor an AEAD cipher.  Everything kagi implements
 * can still be enabled or removed with the usual +alg / -alg / ^alg list
 * syntax. */
#ifndef KAGI_DEFAULTS_H
#define KAGI_DEFAULTS_H

/* Post-quantum hybrids first, as OpenSSH 10 has them, so that a recorded
 * session cannot be decrypted later by a quantum computer. */
#define KG_KEX_PQ_DEFAULT \
	"mlkem768x25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,"
#define KG_KEX_CLIENT_DEFAULT KG_KEX_PQ_DEFAULT \
	"curve25519-sha256,curve25519-sha256@libssh.org," \
	"ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521," \
	"diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256"
#define KG_KEX_SERVER_DEFAULT KG_KEX_PQ_DEFAULT \
	"curve25519-sha256,curve25519-sha256@libssh.org," \
	"diffie-hellman-group16-sha512,diffie-hellman-group18-sha512"

#define KG_HOSTKEY_ALL \
	"ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256"
#define KG_HOSTKEY_CLIENT_DEFAULT KG_HOSTKEY_ALL
#define KG_HOSTKEY_SERVER_DEFAULT "ssh-ed25519,rsa-sha2-512,rsa-sha2-256"
#define KG_PUBKEY_ALGS_DEFAULT KG_HOSTKEY_ALL

#define KG_CIPHERS_CLIENT_DEFAULT \
	"chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-gcm@openssh.com," \
	"aes128-ctr,aes192-ctr,aes256-ctr"
#define KG_CIPHERS_SERVER_DEFAULT KG_CIPHERS_CLIENT_DEFAULT

#define KG_MACS_CLIENT_DEFAULT \
	"hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512"
#define KG_MACS_SERVER_DEFAULT KG_MACS_CLIENT_DEFAULT

#define KG_COMP_ALL "none,zlib@openssh.com"

#endif
