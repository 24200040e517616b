/* The story of a refused login: each identity tried and the server's
 * answer to it, the methods the server allows, the usual causes that fit
 * these facts (only those), and which use of public-key cryptography
 * failed.  Everything comes from the auth events of this connection. */
#include <string.h>
#include "core/names.h"
#include "explain/explain-int.h"

/* What the auth events add up to. */
typedef struct facts {
	size_t offered, refused, sig_refused, unusable, accepted_not_used;
	int partial;
	const ex_auth *perms, *missing, *passphrase, *broken;  /* first key with that problem */
	const ex_auth *agent;                                   /* last agent event */
	int pw_sent, pw_refused, pw_noprompt, kbd_sent, kbd_refused, kbd_noprompt;
	const char *methods;                                    /* the server's last list */
	const char *sig_alg;
} facts;

static const char *orz(const char *s)
{
	return s && *s ? s : "?";
}

static int is_method(const ex_auth *a, const char *m)
{
	return a->text && strcmp(a->text, m) == 0;
}

static void gather(const kg_explain *ex, facts *f)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < ex->n_auth; i++) {
		const ex_auth *a = &ex->auth[i];
		switch (a->type) {
		case KG_AUTH_EV_KEY_OFFERED: f->offered++; break;
		case KG_AUTH_EV_KEY_REFUSED: f->refused++; break;
		case KG_AUTH_EV_PASSWORD_SENT: f->pw_sent++; break;
		case KG_AUTH_EV_KBD_SENT: f->kbd_sent++; break;
		case KG_AUTH_EV_METHODS: f->methods = a->text; break;
		case KG_AUTH_EV_AGENT: f->agent = a; break;
		case KG_AUTH_EV_NO_PROMPT:
			if (is_method(a, "password"))
				f->pw_noprompt = 1;
			else
				f->kbd_noprompt = 1;
			break;
		case KG_AUTH_EV_FAILURE:
			if (a->partial)
				f->partial = 1;
			else if (is_method(a, "publickey")) {
				f->sig_refused++;
				f->sig_alg = a->alg;
			} else if (is_method(a, "password"))
				f->pw_refused++;
			else if (is_method(a, "keyboard-interactive"))
				f->kbd_refused++;
			break;
		case KG_AUTH_EV_KEY_UNUSABLE:
			f->unusable++;
			if (a->fp[0])
				f->accepted_not_used++;
			if (a->err == KG_ERR_KEY_PERMS && !f->perms)
				f->perms = a;
			else if (a->err == KG_ERR_NOT_FOUND && !f->missing)
				f->missing = a;
			else if ((a->err == KG_ERR_NEED_PASSPHRASE || a->err == KG_ERR_PASSPHRASE) && !f->passphrase)
				f->passphrase = a;
			else if (!f->broken && !a->from_agent)
				f->broken = a;
			break;
		default:
			break;
		}
	}
}

int ex_login_failed(const kg_explain *ex)
{
	return ex->auth_started && !ex->auth_ok && ex->outcome_set && ex->outcome != KG_OK;
}

int ex_unusable_err(const kg_explain *ex, const char *path)
{
	for (size_t i = 0; i < ex->n_auth; i++)
		if (ex->auth[i].type == KG_AUTH_EV_KEY_UNUSABLE && ex->auth[i].path && path &&
		    strcmp(ex->auth[i].path, path) == 0)
			return ex->auth[i].err;
	return 0;
}

/* ---------------- what was tried ---------------- */

/* Why a private key could not be used (a clause). */
static const char *unusable_why(const ex_auth *a)
{
	switch (a->err) {
	case KG_ERR_KEY_PERMS:
		return _("other users can read the file, so kssh refused to use it");
	case KG_ERR_NOT_FOUND:
		return _("the file does not exist");
	case KG_ERR_NEED_PASSPHRASE:
		return _("it is protected by a passphrase that kssh could not ask for");
	case KG_ERR_PASSPHRASE:
		return _("the passphrase was wrong");
	default:
		return a->from_agent ? _("the agent did not sign with it") : _("the file could not be read as a private key");
	}
}

/* One bullet for the key offered at events[i]; *last gets the index of
 * the last event that belongs to this key. */
static int key_bullet(const kg_explain *ex, size_t i, size_t *last, kg_buf *o)
{
	const ex_auth *k = &ex->auth[i];
	const char *answer = _("no answer came: the connection ended");
	char buf[512];
	int accepted = 0;
	size_t j = i + 1;
	for (; j < ex->n_auth; j++) {
		const ex_auth *a = &ex->auth[j];
		if (a->type == KG_AUTH_EV_KEY_REFUSED) {
			answer = _("the server does not accept this key for this user");
			break;
		}
		if (a->type == KG_AUTH_EV_KEY_ACCEPTED) {
			accepted = 1;
			continue;
		}
		if (a->type == KG_AUTH_EV_KEY_UNUSABLE && accepted) {
			snprintf(buf, sizeof(buf), _("the server would accept it, but it could not be used: %s"),
				 unusable_why(a));
			answer = buf;
			break;
		}
		if (a->type == KG_AUTH_EV_FAILURE && is_method(a, "publickey")) {
			answer = a->partial ? _("accepted, but the server wants another method as well")
					    : _("the server said it would accept this key, then refused its signature");
			break;
		}
		if (a->type == KG_AUTH_EV_SUCCESS || a->type == KG_AUTH_EV_KEY_OFFERED ||
		    a->type == KG_AUTH_EV_PASSWORD_SENT || a->type == KG_AUTH_EV_KBD_SENT ||
		    a->type == KG_AUTH_EV_NO_PROMPT) {
			j--;
			break;
		}
	}
	*last = j < ex->n_auth ? j : ex->n_auth - 1;
	if (k->from_agent)
		return ex_item(o, 'B', _("Key from the agent \"%s\" (%s, %d bits, %s): %s."), orz(k->path),
			       orz(k->keytype), k->bits, orz(k->fp), answer);
	return ex_item(o, 'B', _("Key file %s (%s, %d bits, %s): %s."), orz(k->path), orz(k->keytype), k->bits,
		       orz(k->fp), answer);
}

int ex_story_fail_tried(const kg_explain *ex, kg_buf *o)
{
	facts f;
	gather(ex, &f);
	int pw_told = 0, kbd_told = 0;
	for (size_t i = 0; i < ex->n_auth; i++) {
		const ex_auth *a = &ex->auth[i];
		switch (a->type) {
		case KG_AUTH_EV_AGENT:
			if (a->err)
				GUARD(ex_item(o, 'B', _("The agent: SSH_AUTH_SOCK names %s, but no agent answered there."),
					      orz(a->text)));
			else
				GUARD(ex_item(o, 'B', _("The agent at %s (SSH_AUTH_SOCK) holds %zu key(s)."),
					      orz(a->text), a->count));
			break;
		case KG_AUTH_EV_KEY_UNUSABLE:  /* before anything was offered */
			GUARD(ex_item(o, 'B', _("Key file %s: not offered, because %s."), orz(a->path), unusable_why(a)));
			break;
		case KG_AUTH_EV_KEY_OFFERED:
			GUARD(key_bullet(ex, i, &i, o));
			break;
		case KG_AUTH_EV_PASSWORD_SENT:
			if (!pw_told++)
				GUARD(ex_item(o, 'B', _("Password: sent %d time(s) inside the encrypted channel; refused %d "
							"time(s)."), f.pw_sent, f.pw_refused));
			break;
		case KG_AUTH_EV_KBD_SENT:
			if (!kbd_told++)
				GUARD(ex_item(o, 'B', _("Questions from the server (keyboard-interactive): answered %d "
							"time(s); refused %d time(s)."), f.kbd_sent, f.kbd_refused));
			break;
		case KG_AUTH_EV_NO_PROMPT:
			if (is_method(a, "password"))
				GUARD(ex_item(o, 'B', _("Password: %s could not ask you for it (BatchMode is on, or there "
							"is no terminal), so none was sent."), ex->program));
			else
				GUARD(ex_item(o, 'B', _("Questions from the server (keyboard-interactive): %s could not ask "
							"you (BatchMode is on, or there is no terminal)."), ex->program));
			break;
		case KG_AUTH_EV_BANNER:
			GUARD(ex_item(o, 'B', _("The server showed a message: \"%s\""), orz(a->text)));
			break;
		default:
			break;
		}
	}
	if (f.offered == 0 && f.unusable == 0 && f.pw_sent == 0 && f.kbd_sent == 0 && !f.pw_noprompt && !f.kbd_noprompt)
		GUARD(ex_item(o, 'B', f.methods && !kg_namelist_has(f.methods, "password") ?
			      _("Nothing: %s had no key to offer, and the server asks for no password.") :
			      _("Nothing: %s had no key to offer and no password to send."), ex->program));
	if (ex->peer_disc)
		return ex_item(o, 'B', _("Then the server closed the connection: \"%s\"."), ex->disc_text);
	return ex_item(o, 'B', _("Then %s had nothing left to try (no more authentication methods), and gave up."),
		       ex->program);
}

/* ---------------- what the server allows ---------------- */

static const char *method_text(const char *m)
{
	if (strcmp(m, "publickey") == 0)
		return _("a key pair. You prove that you hold the private key by making a signature; the server "
			 "checks it with the public key in the account's authorized_keys file.");
	if (strcmp(m, "password") == 0)
		return _("the account's password, sent inside the encrypted channel.");
	if (strcmp(m, "keyboard-interactive") == 0)
		return _("the server asks questions, such as a password or a one-time code.");
	if (strcmp(m, "gssapi-with-mic") == 0)
		return _("a Kerberos ticket (kssh does not support it).");
	if (strcmp(m, "hostbased") == 0)
		return _("the client machine's own host key (kssh does not use it).");
	return _("a method kssh does not know.");
}

static int part_allows(const kg_explain *ex, const facts *f, unsigned *sec, kg_buf *o)
{
	GUARD(ex_title(o, sec, _("What the server allows")));
	if (!f->methods)
		return ex_item(o, 'P', "%s", _("The server never listed the methods it allows."));
	GUARD(ex_item(o, 'P', _("After each refusal, the server lists the methods that can still work. Its last "
				"list: %s."), f->methods[0] ? f->methods : _("(empty)")));
	char list[512], *save = NULL;
	ex_clean_copy(list, sizeof(list), f->methods);
	for (char *m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save))
		GUARD(ex_item(o, 'B', "%s: %s", m, method_text(m)));
	if (!kg_namelist_has(f->methods, "password") && !kg_namelist_has(f->methods, "keyboard-interactive"))
		GUARD(ex_item(o, 'P', "%s", _("Passwords are not in the list: this server does not take them.")));
	if (f->partial)
		GUARD(ex_item(o, 'P', "%s", _("The server also said \"partial success\": the step you passed counts, "
					      "but it requires one more method before it lets you in.")));
	(void)ex;
	return KG_OK;
}

/* ---------------- the causes that fit ---------------- */

static int part_causes(const kg_explain *ex, const facts *f, unsigned *sec, kg_buf *o)
{
	GUARD(ex_title(o, sec, _("Why it failed: the causes that fit")));
	size_t before = kg_buf_len(o);
	const char *user = orz(ex->user), *prog = ex->program;
	const int agent_empty = f->agent && !f->agent->err && f->agent->count == 0;
	if (f->perms) {
		GUARD(ex_item(o, 'A', _("Your private key file %s can be read by other users, so %s refused to use it: "
					"a key that others can copy is no longer secret."), orz(f->perms->path), prog));
		GUARD(ex_item(o, 'B', _("Fix: chmod 600 %s"), orz(f->perms->path)));
	}
	if (f->missing)
		GUARD(ex_item(o, 'A', _("The key file %s does not exist. Check the name given with -i or IdentityFile."),
			      orz(f->missing->path)));
	if (f->passphrase)
		GUARD(ex_item(o, 'A', _("The key %s is protected by a passphrase, and it could not be unlocked (wrong "
					"passphrase, or BatchMode stopped the question). Run without BatchMode, or "
					"add the key to your agent once: ssh-add %s"),
			      orz(f->passphrase->path), orz(f->passphrase->path)));
	if (f->broken)
		GUARD(ex_item(o, 'A', _("The key file %s could not be read as a private key. Is it the private half "
					"(not the .pub file), and does it match its .pub file?"), orz(f->broken->path)));
	if (f->agent && f->agent->err)
		GUARD(ex_item(o, 'A', _("SSH_AUTH_SOCK names %s, but no agent answered there: it has stopped, or the "
					"variable is left over from another login. Start one with eval \"$(ssh-agent)\" "
					"and add your key with ssh-add."), orz(f->agent->text)));
	if (agent_empty && f->offered == 0)
		GUARD(ex_item(o, 'A', "%s", _("Your agent is running but holds no keys, and no key file was found "
					      "either: there was nothing to offer.")));
	else if (agent_empty)
		GUARD(ex_item(o, 'A', "%s", _("Your agent is running but holds no keys.")));
	if (agent_empty)
		GUARD(ex_item(o, 'B', "%s", _("Fix: add your key to it with ssh-add ~/.ssh/id_ed25519 (ssh-add -l "
					      "shows what it holds).")));
	const int no_key = f->offered == 0 && f->unusable == 0 && !agent_empty;
	if (no_key)
		GUARD(ex_item(o, 'A', _("No key was offered: %s found none (no -i, none of the usual files such as "
					"~/.ssh/id_ed25519, no key in an agent), or key login is switched off on this "
					"side (PubkeyAuthentication no)."), prog));
	if (f->refused) {
		GUARD(ex_item(o, 'A', _("The server does not know your public key for the user %s: it is not in that "
					"account's ~/.ssh/authorized_keys on the server."), user));
		GUARD(ex_item(o, 'B', "%s", _("Fix: add your public key (the line in your .pub file) to that "
					      "account's ~/.ssh/authorized_keys. ssh-copy-id does it; on a cloud "
					      "server, choose the key when you create the server.")));
		GUARD(ex_item(o, 'B', "%s", _("The server also ignores that file when other users can write to it "
					      "or to ~/.ssh.")));
	}
	const int usual_name = strcmp(user, "ec2-user") == 0 || strcmp(user, "ubuntu") == 0 ||
			       strcmp(user, "admin") == 0;
	if (f->refused && !usual_name && (strcmp(user, "root") == 0 || strcmp(user, ex->local_user) == 0)) {
		GUARD(ex_item(o, 'A', _("Perhaps the user name is wrong: you logged in as %s, and a key is allowed "
					"for one account only. Cloud images have their own user: on AWS, ec2-user for "
					"Amazon Linux, ubuntu for Ubuntu, admin for Debian."), user));
		if (strcmp(user, ex->local_user) == 0 && strcmp(user, "root") != 0)
			GUARD(ex_item(o, 'B', _("%s is your name on this computer: without user@host, that is the "
						"name %s uses."), user, prog));
		if (ex->peer_version && strstr(ex->peer_version, "Ubuntu"))
			GUARD(ex_item(o, 'B', _("The server's version line mentions Ubuntu: try ubuntu@%s."), orz(ex->host)));
		else if (ex->peer_version && strstr(ex->peer_version, "Debian"))
			GUARD(ex_item(o, 'B', _("The server's version line mentions Debian: on AWS, try admin@%s."),
				      orz(ex->host)));
	}
	if (f->sig_refused)
		GUARD(ex_item(o, 'A', _("The server accepted your public key but refused the signature made with it "
					"(%s). That is rare: the server may not allow this signature algorithm, or the "
					"agent signed with another key."), orz(f->sig_alg)));
	if (f->partial)
		GUARD(ex_item(o, 'A', _("The first step was accepted, but the server requires more than one method "
					"(AuthenticationMethods on the server), and the next one (%s) did not succeed."),
			      orz(f->methods)));
	if (ex->peer_disc && strstr(ex->disc_text, "Too many"))
		GUARD(ex_item(o, 'A', _("The server stopped after too many attempts (MaxAuthTries): %zu key(s) were "
					"offered. Name the right one: -i FILE -o IdentitiesOnly=yes"), f->offered));
	/* Said only to someone who had no key at all: a password was all they had. */
	if (f->methods && !kg_namelist_has(f->methods, "password") &&
	    !kg_namelist_has(f->methods, "keyboard-interactive") && no_key)
		GUARD(ex_item(o, 'A', "%s", _("The server does not accept passwords (PasswordAuthentication no on the "
					      "server). Only a key will do: make one with kssh-keygen -t ed25519 and "
					      "have its .pub file added to the account's authorized_keys.")));
	if (f->pw_noprompt || (f->kbd_noprompt && !f->pw_sent))
		GUARD(ex_item(o, 'A', _("The server accepts passwords, but %s could not ask you for one: BatchMode "
					"is on, or there is no terminal. Run it in a terminal without -o BatchMode=yes, "
					"or use a key."), prog));
	if (f->pw_refused)
		GUARD(ex_item(o, 'A', _("The password was refused (%d time(s)). It is wrong, or this account may not "
					"log in with a password (root often may not: PermitRootLogin "
					"prohibit-password)."), f->pw_refused));
	if (f->kbd_sent && f->kbd_refused)
		GUARD(ex_item(o, 'A', _("The server refused the answers to its questions (%d time(s)): a wrong "
					"password or one-time code."), f->kbd_refused));
	if (kg_buf_len(o) == before)
		GUARD(ex_item(o, 'P', _("None of the usual causes fits what happened here. The server's log tells "
					"why it refused (on the server: journalctl -u ssh, or /var/log/auth.log); "
					"%s -v shows each step on this side."), prog));
	return KG_OK;
}

/* ---------------- for the learner ---------------- */

static int part_lesson(const kg_explain *ex, const facts *f, unsigned *sec, kg_buf *o)
{
	GUARD(ex_title(o, sec, _("Which use of public-key cryptography failed")));
	GUARD(ex_item(o, 'P', "%s", _("SSH uses public-key cryptography for two jobs. The first one worked: the "
				      "one-time key exchange made the channel secret, and the server proved who it "
				      "is by signing with its host key (step 2).")));
	GUARD(ex_item(o, 'P', "%s", _("What failed is the second job: proving who you are. The server did not "
				      "let you in, but nothing secret leaked: a private key never leaves this "
				      "computer, and a password travels only inside the encrypted channel.")));
	if (f->perms || f->passphrase)
		GUARD(ex_item(o, 'M', "%s", _("Your key never got that far: a signature needs the private key, and "
					      "it could not be used on this computer, so nothing was signed.")));
	else if (f->refused)
		GUARD(ex_item(o, 'M', "%s", _("With a key, proving who you are is a signature: your computer signs "
					      "this connection's session ID with the private key, and the server "
					      "checks it with the public key it has for your account. Without that "
					      "public key on the server, there is nothing to check it against.")));
	else if (f->pw_sent || f->pw_noprompt)
		GUARD(ex_item(o, 'M', "%s", _("A password is not public-key cryptography: the server compares a "
					      "secret you both know. A key pair proves who you are without ever "
					      "sending the secret.")));
	(void)ex;
	return KG_OK;
}

int ex_story_fail(const kg_explain *ex, unsigned *sec, kg_buf *o)
{
	if (!ex_login_failed(ex))
		return KG_OK;
	facts f;
	gather(ex, &f);
	GUARD(part_allows(ex, &f, sec, o));
	GUARD(part_causes(ex, &f, sec, o));
	return part_lesson(ex, &f, sec, o);
}
