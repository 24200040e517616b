/* The story in plain language.  ex_story_part() builds each part as a list
 * of items (title, paragraph, label/value, bullet, advice, misconception)
 * that the terminal printer below and the HTML page both render.  Every
 * value comes from this connection; none of them is secret. */
#include <string.h>
#include "core/cipher.h"
#include "core/kex.h"
#include "core/names.h"
#include "explain/explain-int.h"

static int value(kg_buf *o, const char *label, const char *val)
{
	return kg_buf_putf(o, "V\t%s\t%s\n", label, val && *val ? val : "-");
}

static const char *orz(const char *s)
{
	return s && *s ? s : "?";
}

/* ---------------- 1: who ---------------- */

static int part_who(const kg_explain *ex, unsigned *sec, kg_buf *o)
{
	char buf[512];
	GUARD(ex_title(o, sec, _("Who we connected to")));
	snprintf(buf, sizeof(buf), _("%s@%s port %d"), orz(ex->user), orz(ex->host), ex->port);
	GUARD(value(o, _("Destination"), buf));
	if (ex->jump)
		GUARD(value(o, _("Through jump host"), ex->jump));
	if (!ex->peer_version && !ex->have_hostkey) {
		return ex_item(o, 'P', "%s", _("The connection ended before the server identified itself, so there is "
					  "nothing more to tell."));
	}
	GUARD(value(o, _("Server software"), ex->peer_version));
	GUARD(ex_item(o, 'P', "%s", _("The server's first line names its software. It is plain text that anyone "
				 "can send, so it proves nothing; the host key below is what counts.")));
	if (!ex->have_hostkey)
		return ex_item(o, 'P', "%s", _("The connection ended before the server showed its host key."));
	snprintf(buf, sizeof(buf), _("%s (%d bits, %s)"), ex->hk_type, ex->hk_bits, ex->hk_name);
	GUARD(value(o, _("Host key"), buf));
	GUARD(value(o, _("Fingerprint"), ex->hk_fp));
	if (strcmp(ex->hk_status, "known") == 0) {
		return ex_item(o, 'P', _("This host key is already in %s (line %zu): it is the same key you trusted "
				      "before, so this is the same server (or someone who stole its private host key)."),
			    orz(ex->hk_file), ex->hk_line);
	}
	if (strcmp(ex->hk_status, "changed") == 0) {
		GUARD(ex_item(o, 'A', _("STOP: %s (line %zu) holds a different host key for this server. Either the "
				     "server was reinstalled or its key replaced, or someone between you and the server "
				     "is pretending to be it (a man-in-the-middle attack)."),
			   orz(ex->hk_file), ex->hk_line));
		return ex_item(o, 'A', "%s", _("Do not type a password and do not replace the old key until the server's "
					  "administrator confirms the new fingerprint above through another channel "
					  "(phone, a console, a signed web page). Only then remove the old line with "
					  "ssh-keygen -R."));
	}
	if (strcmp(ex->hk_status, "revoked") == 0)
		return ex_item(o, 'A', _("This host key is marked @revoked in %s: it must not be trusted, and the "
				      "connection was refused."), orz(ex->hk_file));
	GUARD(ex_item(o, 'P', "%s", _("First contact: this host key was in none of your known_hosts files. Trusting it "
				 "now means betting that nobody is intercepting this very first connection.")));
	GUARD(ex_item(o, 'P', "%s", _("Check the fingerprint above out of band: ask the administrator, or read it on "
				 "the server's console with ssh-keygen -lf on its host key's .pub file. Once it is "
				 "recorded in known_hosts, a different key will be reported loudly.")));
	return KG_OK;
}

/* ---------------- 2: keeping it secret ---------------- */

static int derived_sizes(kg_buf *o, const char *cipher, const char *mac, const char *dir, char ivl, char kl, char ml)
{
	const kg_cipher_alg *c = kg_cipher_find(cipher);
	const kg_mac_alg *m = mac && *mac ? kg_mac_find(mac) : NULL;
	if (!c)
		return KG_OK;
	char label[160], size[64];
	size_t iv = kg_cipher_iv_len(c), key = kg_cipher_key_len(c), mk = m ? kg_mac_key_len(m) : 0;
	if (iv) {
		snprintf(label, sizeof(label), _("initial IV %s (%c)"), dir, ivl);
		snprintf(size, sizeof(size), _("%zu bytes"), iv);
		GUARD(value(o, label, size));
	}
	snprintf(label, sizeof(label), _("encryption key %s (%c)"), dir, kl);
	snprintf(size, sizeof(size), _("%zu bytes (%zu bits)"), key, key * 8);
	GUARD(value(o, label, size));
	if (mk) {
		snprintf(label, sizeof(label), _("integrity key %s (%c)"), dir, ml);
		snprintf(size, sizeof(size), _("%zu bytes (%zu bits)"), mk, mk * 8);
		GUARD(value(o, label, size));
	}
	return KG_OK;
}

static int part_secret(const kg_explain *ex, unsigned *sec, kg_buf *o)
{
	char buf[512];
	GUARD(ex_title(o, sec, _("Keeping it secret: key exchange and encryption")));
	if (ex->kex_count == 0) {
		if (ex->have_hostkey)
			return ex_item(o, 'P', "%s", _("The key exchange was stopped before any key was put to use, because "
						  "the host key was not accepted. Nothing else was sent."));
		return ex_item(o, 'P', "%s", _("No key exchange was completed on this connection."));
	}
	GUARD(ex_item(o, 'P', "%s", _("Both sides sent KEXINIT, a list of the algorithms they support; the first "
				 "choice of the client that the server also supports wins:")));
	GUARD(value(o, _("Key exchange"), ex->kex));
	GUARD(value(o, _("Host key algorithm"), ex->hostkey_alg));
	snprintf(buf, sizeof(buf), "%s%s%s", ex->cipher_c2s, ex->mac_c2s[0] ? " + " : "", ex->mac_c2s);
	GUARD(value(o, _("Cipher client to server"), buf));
	snprintf(buf, sizeof(buf), "%s%s%s", ex->cipher_s2c, ex->mac_s2c[0] ? " + " : "", ex->mac_s2c);
	GUARD(value(o, _("Cipher server to client"), buf));
	if (strcmp(ex->comp_c2s, "none") != 0)
		GUARD(value(o, _("Compression"), ex->comp_c2s));
	GUARD(ex_item(o, 'P', _("Key exchange (%s): your computer made a fresh key pair for this connection only and sent "
			     "its public half (%zu bytes: %s); the server did the same (%zu bytes: %s). From its own "
			     "private half and the other side's public half, each side computed the same shared "
			     "secret. Someone recording the traffic sees both public values but cannot compute the "
			     "secret, and as the one-time private halves are thrown away, even a stolen host key "
			     "could not decrypt this recording later (forward secrecy)."),
		   ex->kex, ex->cpub_len, ex->cpub, ex->spub_len, ex->spub));
	const char *kem = kg_kex_pq_kem(ex->kex);
	if (kem)
		GUARD(ex_item(o, 'P', _("%s is a post-quantum hybrid: besides X25519, your computer sent a one-time %s "
				     "public key and the server answered with a secret sealed to it; the shared secret is a "
				     "hash of both results. This defends against \"harvest now, decrypt later\": someone who "
				     "records this connection today, hoping to decrypt it once a large quantum computer can "
				     "break X25519, would still have to break the post-quantum half as well."),
			   ex->kex, kem));
	else
		GUARD(ex_item(o, 'A', _("WARNING: this connection did not use a post-quantum key exchange (%s is classical). "
				     "It may be vulnerable to \"store now, decrypt later\" attacks: traffic recorded today "
				     "could be decrypted once a large quantum computer exists. The server may need to be "
				     "upgraded: kagi and OpenSSH 10 offer mlkem768x25519-sha256."),
			   ex->kex));
	GUARD(ex_item(o, 'P', _("Both sides then hashed the whole conversation so far (both version lines, both "
			     "KEXINITs, the host key, both public values and the shared secret) into the exchange "
			     "hash H (%zu bytes: %s). The first H of a connection is its session ID: %s."),
		   ex->hash_len, ex->hash, ex->sid));
	GUARD(ex_item(o, 'P', _("The server signed H with its %s host key (%s) and your computer verified that signature "
			     "with the key shown in step 1. This is the server proving who it is: only the holder "
			     "of that private host key could sign this connection's H."),
		   ex->hk_type, ex->hostkey_alg));
	GUARD(ex_item(o, 'P', "%s", _("From the shared secret and H, both sides derived the same symmetric keys "
				 "(RFC 4253 section 7.2). Their values are never shown; their names and sizes:")));
	GUARD(derived_sizes(o, ex->cipher_c2s, ex->mac_c2s, _("client to server"), 'A', 'C', 'E'));
	GUARD(derived_sizes(o, ex->cipher_s2c, ex->mac_s2c, _("server to client"), 'B', 'D', 'F'));
	const kg_cipher_alg *c = kg_cipher_find(ex->cipher_c2s);
	if (c && kg_cipher_is_aead(c))
		GUARD(ex_item(o, 'P', _("%s is authenticated encryption: it protects integrity by itself, so no "
				     "separate MAC key is needed."), ex->cipher_c2s));
	GUARD(ex_item(o, 'P', _("After NEWKEYS in each direction, every following message (everything in steps 3 "
			     "and 4, passwords included) is encrypted with %s and checked for tampering."),
		   ex->cipher_c2s));
	if (ex->strict_kex)
		GUARD(ex_item(o, 'P', "%s", _("Strict key exchange is on: packet counters restart at NEWKEYS, which "
					 "stops an attacker from silently dropping messages (the Terrapin attack).")));
	if (ex->kex_count > 1)
		GUARD(ex_item(o, 'P', _("Keys were exchanged again %u more time(s) during the connection; the session "
				     "ID stays the first H."), ex->kex_count - 1));
	return ex_item(o, 'M', "%s", _("Nothing was \"encrypted with the server's public key\": the host key only "
				  "signs. The traffic is encrypted with symmetric keys that came out of the one-time "
				  "exchange above."));
}

/* ---------------- 3: proving who you are ---------------- */

static int auth_event_item(const kg_explain *ex, const ex_auth *a, kg_buf *o)
{
	switch (a->type) {
	case KG_AUTH_EV_METHODS:
		return ex_item(o, 'B', _("The server lists the methods that can continue: %s."), orz(a->text));
	case KG_AUTH_EV_BANNER:
		return ex_item(o, 'B', _("The server showed a message: \"%s\""), orz(a->text));
	case KG_AUTH_EV_KEY_OFFERED:
		return ex_item(o, 'B', _("Offered the public key from %s (%s, %d bits, %s), without a signature, "
				      "asking whether the server would accept it."),
			    orz(a->path), orz(a->keytype), a->bits, orz(a->fp));
	case KG_AUTH_EV_KEY_ACCEPTED:
		return ex_item(o, 'B', "%s", _("The server answered USERAUTH_PK_OK: this key is authorised for the user "
					  "(it is in the account's authorized_keys)."));
	case KG_AUTH_EV_KEY_REFUSED:
		return ex_item(o, 'B', "%s", _("The server does not accept this key for this user."));
	case KG_AUTH_EV_KEY_SIGNED:
		return ex_item(o, 'B', _("The client signed the session ID (with the user name and the key) using the private "
				      "key, and sent only the signature (%s). The private key never left this computer, "
				      "and the signature covers this connection's session ID, so it cannot be replayed "
				      "on any other connection."), orz(a->alg));
	case KG_AUTH_EV_PASSWORD_SENT:
		return ex_item(o, 'B', "%s", _("Sent the password inside the encrypted channel from step 2 (after "
					  "NEWKEYS): nobody watching the network can read it. The server itself does "
					  "see it, which is why a trusted host key matters before typing one."));
	case KG_AUTH_EV_KBD_SENT:
		return ex_item(o, 'B', "%s", _("The server asked questions (keyboard-interactive); the answers typed "
					  "went back inside the encrypted channel."));
	case KG_AUTH_EV_FAILURE:
		if (a->text && strcmp(a->text, "keyboard-interactive") == 0)
			return ex_item(o, 'B', "%s", _("The server refused the keyboard-interactive answers."));
		if (a->text && strcmp(a->text, "password") == 0)
			return ex_item(o, 'B', "%s", _("The server refused the password."));
		return ex_item(o, 'B', "%s", _("The server refused the signature."));
	case KG_AUTH_EV_AGENT:
		if (a->err)
			return ex_item(o, 'B', _("No agent answered at %s (SSH_AUTH_SOCK)."), orz(a->text));
		return ex_item(o, 'B', _("The agent at %s (SSH_AUTH_SOCK) holds %zu key(s)."), orz(a->text), a->count);
	case KG_AUTH_EV_KEY_UNUSABLE:
		return ex_item(o, 'B', _("The key %s could not be used, so it was skipped."), orz(a->path));
	case KG_AUTH_EV_NO_PROMPT:
		if (a->text && strcmp(a->text, "password") == 0)
			return ex_item(o, 'B', "%s", _("kssh could not ask you for the password (BatchMode is on, or "
						       "there is no terminal)."));
		return ex_item(o, 'B', "%s", _("kssh could not ask you the server's questions (BatchMode is on, or "
					       "there is no terminal)."));
	case KG_AUTH_EV_SUCCESS:
		return KG_OK;
	}
	(void)ex;
	return KG_OK;
}

static int part_auth(const kg_explain *ex, unsigned *sec, kg_buf *o)
{
	GUARD(ex_title(o, sec, _("Proving who you are: user authentication")));
	if (!ex->auth_started && !ex->auth_ok) {
		if (ex->have_hostkey && ex->kex_count == 0)
			return ex_item(o, 'P', "%s", _("No authentication was attempted: the client sends no password and no "
						  "signature to a server it does not trust."));
		return ex_item(o, 'P', "%s", _("No user authentication took place."));
	}
	GUARD(ex_item(o, 'P', _("Inside the encrypted channel, the client asked for the ssh-userauth service and, as "
			     "user %s, first asked which methods the server accepts. Then, in order:"),
		   orz(ex->user)));
	if (ex_login_failed(ex))
		GUARD(ex_story_fail_tried(ex, o));
	else
		for (size_t i = 0; i < ex->n_auth; i++)
			GUARD(auth_event_item(ex, &ex->auth[i], o));
	if (ex->auth_ok)
		GUARD(ex_item(o, 'P', _("Result: the server accepted you (method: %s)."), ex->auth_method));
	else
		GUARD(ex_item(o, 'P', "%s", _("Result: no method was accepted; the server did not let you in.")));
	if (ex->pubkey_signed)
		GUARD(ex_item(o, 'M', "%s", _("The server did not encrypt a challenge with your public key, and your key "
					 "does not encrypt the traffic: it made exactly one signature, over this "
					 "connection's session ID.")));
	return KG_OK;
}

/* ---------------- 4: the session ---------------- */

/* -A: what a forwarded agent lends the far host, and the safer way. */
static int agent_forward_note(const kg_explain *ex, kg_buf *o)
{
	GUARD(ex_item(o, 'P', _("Your agent was forwarded to %s (-A). Programs there can now ask the agent on "
			     "your computer to sign with your keys, and so log in wherever those keys are "
			     "accepted. The keys themselves never leave your computer, but while you are "
			     "connected anyone with root on %s (or who takes over your account there) can use "
			     "them, without you noticing."),
		   orz(ex->host), orz(ex->host)));
	GUARD(ex_item(o, 'A', "%s", _("To reach a host behind this one, -J (ProxyJump) is safer: the far host's "
				 "connection passes through this host still encrypted, every signature is made on "
				 "your own computer, and nothing on the jump host can use your keys.")));
	return ex_item(o, 'A', "%s", _("If you must forward the agent, add keys with ssh-add -c (the agent asks "
				  "before each use) or ssh-add -h (usable only for the hosts you name)."));
}

static int part_session(const kg_explain *ex, unsigned *sec, kg_buf *o)
{
	if (!ex->auth_ok)
		return KG_OK;
	GUARD(ex_title(o, sec, _("The session")));
	GUARD(ex_item(o, 'P', _("The client opened %u channel(s) (requests: %s). %llu bytes went to the server and %llu "
			     "bytes came back as channel data, all encrypted with %s."),
		   ex->channels_opened, ex->chan_requests[0] ? ex->chan_requests : "-",
		   (unsigned long long)ex->data_sent, (unsigned long long)ex->data_recv, orz(ex->cipher_c2s)));
	for (size_t i = 0; i < ex->n_xfers; i++) {
		const ex_transfer *x = &ex->xfers[i];
		const char *how = strcmp(x->proto, "sftp") == 0 ?
			_("the SFTP subsystem (a file protocol spoken over a session channel)") :
			_("the legacy scp protocol (a remote scp command on an exec channel)");
		GUARD(ex_item(o, 'B', x->upload ? _("Sent %s to %s: %llu bytes through %s.") :
				   _("Fetched %s into %s: %llu bytes through %s."),
			   x->upload ? x->local : x->remote, x->upload ? x->remote : x->local,
			   (unsigned long long)x->bytes, how));
	}
	if (ex->n_xfers)
		GUARD(ex_item(o, 'P', _("The file bytes travelled inside the same encrypted connection, under %s."),
			   orz(ex->cipher_c2s)));
	if (ex->agent_forwarded)
		GUARD(agent_forward_note(ex, o));
	return KG_OK;
}

/* ---------------- 5: advice ---------------- */

static const char *const OLD_ALGS[] = {
	"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1",
	"ssh-rsa", "ssh-dss", "ssh-rsa-cert-v01@openssh.com", "ssh-dss-cert-v01@openssh.com",
	"3des-cbc", "aes128-cbc", "aes192-cbc", "aes256-cbc", "rijndael-cbc@lysator.liu.se", "blowfish-cbc",
	"cast128-cbc", "arcfour", "arcfour128", "arcfour256",
	"hmac-md5", "hmac-md5-96", "hmac-md5-etm@openssh.com", "hmac-md5-96-etm@openssh.com",
	"hmac-sha1", "hmac-sha1-96", "hmac-sha1-etm@openssh.com", "hmac-sha1-96-etm@openssh.com",
	"umac-64@openssh.com", "umac-64-etm@openssh.com",
};

/* The server's offered algorithms that are past their time, as a list. */
static void old_offered(const kg_explain *ex, char *out, size_t outlen)
{
	out[0] = '\0';
	for (size_t i = 0; i < KG_ARRAY_LEN(OLD_ALGS); i++) {
		int offered = 0;
		for (size_t l = 0; l < KG_ARRAY_LEN(ex->server_lists); l++)
			offered |= ex->server_lists[l] && kg_namelist_has(ex->server_lists[l], OLD_ALGS[i]);
		size_t used = strlen(out);
		if (offered && used + strlen(OLD_ALGS[i]) + 3 < outlen)
			snprintf(out + used, outlen - used, "%s%s", used ? ", " : "", OLD_ALGS[i]);
	}
}

static int part_advice(const kg_explain *ex, unsigned *sec, kg_buf *o)
{
	size_t start = kg_buf_len(o);
	GUARD(ex_title(o, sec, _("Advice for this connection")));
	size_t before = kg_buf_len(o);
	for (size_t i = 0; i < ex->n_idfiles; i++) {
		const ex_idfile *f = &ex->idfiles[i];
		/* After a refused login, the story of the failure already told it. */
		if (f->exists && f->loose && ex_unusable_err(ex, f->path) != KG_ERR_KEY_PERMS)
			GUARD(ex_item(o, 'A', _("Your private key %s can be read by other users (mode %04o). Run: chmod 600 %s"),
				   f->path, f->mode, f->path));
		if (f->is_pem)
			GUARD(ex_item(o, 'A', _("%s is a .pem key, typically downloaded from a cloud console. Keep it "
					     "chmod 600, and consider giving it a passphrase: ssh-keygen -p -f %s"),
				   f->path, f->path));
	}
	if (ex->password_sent && ex->auth_ok)
		GUARD(ex_item(o, 'A', "%s", _("You logged in with a password. A key pair is safer: the server (or an "
					 "impostor) never receives anything it could reuse. Make one with kssh-keygen "
					 "-t ed25519 and add the .pub file to ~/.ssh/authorized_keys on the server.")));
	for (size_t i = 0; i < ex->n_xfers; i++)
		if (ex->xfers[i].looks_private)
			GUARD(ex_item(o, 'A', _("%s looks like a private key, and it was copied to the server. Copying your "
					     "private key to a bastion is not how you hop further: use kssh -J (ProxyJump), "
					     "which keeps the key on this computer, or agent forwarding."),
				   ex->xfers[i].local));
	if (strcmp(ex->hk_status, "changed") == 0)
		GUARD(ex_item(o, 'A', "%s", _("The host key changed: confirm the new fingerprint with the administrator "
					 "before connecting again.")));
	else if (strcmp(ex->hk_status, "new") == 0 && ex->have_hostkey)
		GUARD(ex_item(o, 'A', "%s", _("This was the first contact with this server: compare the fingerprint in "
					 "step 1 with one obtained another way.")));
	char old[1024];
	old_offered(ex, old, sizeof(old));
	if (old[0])
		GUARD(ex_item(o, 'A', _("The server still offers old algorithms: %s. They were not chosen for this "
				     "connection, but its administrator should switch them off."), old));
	if (kg_buf_len(o) == before && !ex->auth_ok) {
		(*sec)--;  /* nothing happened to advise on */
		return kg_buf_consume_end(o, kg_buf_len(o) - start);
	}
	if (kg_buf_len(o) == before)
		GUARD(ex_item(o, 'P', "%s", _("Nothing to improve: modern algorithms, a verified host key and a public "
					 "key login.")));
	return KG_OK;
}

int ex_story_part(const kg_explain *ex, int part, unsigned *sec, kg_buf *out)
{
	switch (part) {
	case EX_PART_WHO: return part_who(ex, sec, out);
	case EX_PART_SECRET: return part_secret(ex, sec, out);
	case EX_PART_AUTH: return part_auth(ex, sec, out);
	case EX_PART_FAIL: return ex_story_fail(ex, sec, out);
	case EX_PART_SESSION: return part_session(ex, sec, out);
	case EX_PART_ADVICE: return part_advice(ex, sec, out);
	default: return KG_ERR_ARG;
	}
}

/* ---------------- the terminal printer ---------------- */

#define TEXT_WIDTH 78

/* Display columns of one UTF-8 character starting at s; *len gets its bytes. */
static int char_cols(const unsigned char *s, size_t *len)
{
	if (s[0] < 0x80) {
		*len = 1;
		return 1;
	}
	size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 1;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80) {
			n = i;
			break;
		}
	*len = n;
	/* CJK, kana and full-width forms take two columns. */
	return (s[0] >= 0xe3 && s[0] <= 0xe9) || (s[0] == 0xef && n == 3 && (s[1] == 0xbc || s[1] == 0xbd)) ? 2 : 1;
}

static int cols_of(const char *s, size_t n)
{
	int c = 0;
	for (size_t i = 0, l; i < n; i += l)
		c += char_cols((const unsigned char *)s + i, &l);
	return c;
}

/* Closing punctuation, the long-vowel mark and small kana must not start
 * a line. */
static int no_break_before(const unsigned char *s)
{
	if (s[0] != 0xe3)
		return 0;
	if (s[1] == 0x80)
		return s[2] == 0x81 || s[2] == 0x82 || s[2] == 0x8d || s[2] == 0x8f;
	if (s[1] == 0x81)   /* small hiragana ぁぃぅぇぉっ */
		return s[2] == 0x81 || s[2] == 0x83 || s[2] == 0x85 || s[2] == 0x87 || s[2] == 0x89 || s[2] == 0xa3;
	if (s[1] == 0x82)   /* small hiragana ゃゅょ, small katakana ァィゥェォ */
		return s[2] == 0x83 || s[2] == 0x85 || s[2] == 0x87 || s[2] == 0xa1 || s[2] == 0xa3 ||
		       s[2] == 0xa5 || s[2] == 0xa7 || s[2] == 0xa9;
	if (s[1] == 0x83)   /* small katakana ッャュョ, the long-vowel mark ー */
		return s[2] == 0x83 || s[2] == 0xa3 || s[2] == 0xa5 || s[2] == 0xa7 || s[2] == 0xbc;
	return 0;
}

/* Writes text wrapped at TEXT_WIDTH: first line after lead, the others
 * after indent (both count as columns).  Breaks at spaces, and between
 * wide characters for Japanese. */
static void print_wrapped(FILE *out, const char *lead, const char *indent, const char *text)
{
	const unsigned char *t = (const unsigned char *)text;
	int start_col = cols_of(lead, strlen(lead)), col = start_col;
	size_t line = 0, brk = 0, i = 0;
	int have_brk = 0;
	fputs(lead, out);
	while (t[i]) {
		size_t l;
		int w = char_cols(t + i, &l);
		if (t[i] == ' ') {
			brk = i;
			have_brk = 1;
		} else if (w == 2 && i > line && !no_break_before(t + i)) {
			brk = i;
			have_brk = 1;
		}
		if (col + w > TEXT_WIDTH && have_brk && brk > line) {
			fwrite(t + line, 1, brk - line, out);
			fputc('\n', out);
			fputs(indent, out);
			line = t[brk] == ' ' ? brk + 1 : brk;
			have_brk = 0;
			col = cols_of(indent, strlen(indent));
			if (line > i) {  /* the space just consumed was this character */
				i += l;
				continue;
			}
			col += cols_of(text + line, i - line);
		}
		col += w;
		i += l;
	}
	fprintf(out, "%s\n", (const char *)t + line);
}

static void print_items(FILE *out, const char *items, size_t len)
{
	char line[8192];
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(items + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (items + pos)) : len - pos;
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, items + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (n < 2 || line[1] != '\t')
			continue;
		char *text = line + 2;
		switch (line[0]) {
		case 'T':
			fprintf(out, "\n%s\n", text);
			break;
		case 'V': {
			char *tab = strchr(text, '\t');
			if (!tab)
				break;
			*tab = '\0';
			int pad = 36 - cols_of(text, strlen(text));
			fprintf(out, "     %s%*s %s\n", text, pad > 0 ? pad : 1, "", tab + 1);
			break;
		}
		case 'B': print_wrapped(out, "   * ", "     ", text); break;
		case 'A': print_wrapped(out, "   ! ", "     ", text); break;
		case 'M': print_wrapped(out, "   > ", "     ", text); break;
		default: print_wrapped(out, "   ", "   ", text); break;
		}
	}
}

static void print_part(kg_explain *ex, FILE *out, int part)
{
	if (ex->printed & (1u << part))
		return;
	if (ex->printed == 0)
		fprintf(out, _("\n%s --explain: what happened on this connection, step by step\n"), ex->program);
	ex->printed |= 1u << part;
	kg_buf b;
	kg_buf_init(&b, 1024 * 1024);
	if (ex_story_part(ex, part, &ex->sections, &b) == KG_OK)
		print_items(out, (const char *)kg_buf_ptr(&b), kg_buf_len(&b));
	kg_buf_free(&b);
	fflush(out);
}

void ex_text_progress(kg_explain *ex)
{
	if (!ex->live)
		return;
	if (ex->kex_count > 0 && ex->have_hostkey) {
		print_part(ex, ex->live, EX_PART_WHO);
		print_part(ex, ex->live, EX_PART_SECRET);
	}
	if (ex->auth_ok)
		print_part(ex, ex->live, EX_PART_AUTH);
}

void kg_explain_text_finish(kg_explain *ex, FILE *out)
{
	for (int p = 0; p < EX_NPARTS; p++)
		print_part(ex, out, p);
	fputc('\n', out);
	fflush(out);
}
