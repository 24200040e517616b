/* User authentication (RFC 4252): the client and server halves, I/O-free.
 * Both talk through the transport's sink and pull anything that needs the
 * machine (key files, prompts, authorized_keys, passwords) through
 * callbacks the program supplies. */
#ifndef KAGI_AUTH_H
#define KAGI_AUTH_H

#include "core/key.h"
#include "core/transport.h"

#define KG_AUTH_SERVICE "ssh-connection"

/* common-auth.c: the data a publickey signature covers (RFC 4252 7):
 * string session_id, byte 50, string user, string service,
 * string "publickey", bool TRUE, string alg, string key blob. */
int kg_auth_pubkey_signed_data(const uint8_t *session_id, size_t sid_len, const char *user,
			       const char *service, const char *alg, const uint8_t *blob, size_t blob_len,
			       kg_buf *out) KG_WUR;

/* common-auth.c: keyboard-interactive (RFC 4256) messages.  Decoding
 * takes the payload after the message type byte and refuses anything
 * beyond the limits, trailing bytes, and strings holding a NUL. */
#define KG_KBD_MAX_PROMPTS 100   /* prompts in one INFO_REQUEST, answers in one INFO_RESPONSE */
#define KG_KBD_MAX_TEXT 4096     /* name, instruction, one prompt */
#define KG_KBD_MAX_ANSWER 1024   /* one answer */

typedef struct kg_kbd_prompt {
	char *text;
	int echo;
} kg_kbd_prompt;

typedef struct kg_kbd_request {
	char *name, *instruction;
	size_t n;
	kg_kbd_prompt prompts[KG_KBD_MAX_PROMPTS];
} kg_kbd_request;

typedef struct kg_kbd_response {
	size_t n;
	char *answers[KG_KBD_MAX_PROMPTS];
} kg_kbd_response;

/* Appends the INFO_REQUEST body (name, instruction, empty language tag,
 * the prompts); NULL name or instruction are sent empty. */
int kg_kbd_request_encode(const kg_kbd_request *q, kg_buf *out) KG_WUR;
/* Fills q (zeroed first); on error q holds nothing to free. */
int kg_kbd_request_decode(const uint8_t *p, size_t len, kg_kbd_request *q) KG_WUR;
/* Adds a prompt (copied); KG_ERR_TOO_LARGE past the limits. */
int kg_kbd_request_add(kg_kbd_request *q, const char *text, int echo) KG_WUR;
void kg_kbd_request_free(kg_kbd_request *q);
int kg_kbd_response_encode(const kg_kbd_response *r, kg_buf *out) KG_WUR;
int kg_kbd_response_decode(const uint8_t *p, size_t len, kg_kbd_response *r) KG_WUR;
/* Wipes and frees the answers. */
void kg_kbd_response_free(kg_kbd_response *r);

/* ---------------- client ---------------- */

typedef struct kg_cli_identity {
	kg_key *pub;          /* public key to offer (may also hold the private half) */
	kg_key *priv;         /* private key once loaded, else NULL */
	const char *path;     /* file it came from, for messages */
	int from_cmdline;     /* given with -i */
	int from_agent;       /* the agent holds the private half (agent_sign signs) */
} kg_cli_identity;

enum kg_cli_auth_event_type {
	KG_AUTH_EV_METHODS,      /* server listed methods that can continue: text */
	KG_AUTH_EV_KEY_OFFERED,  /* id: public key offered without signature */
	KG_AUTH_EV_KEY_ACCEPTED, /* id: server answered PK_OK */
	KG_AUTH_EV_KEY_REFUSED,  /* id: server refused the key */
	KG_AUTH_EV_KEY_SIGNED,   /* id, alg: signature over the session id sent */
	KG_AUTH_EV_PASSWORD_SENT,
	KG_AUTH_EV_KBD_SENT,     /* keyboard-interactive answers sent */
	KG_AUTH_EV_FAILURE,      /* method failed: text = method */
	KG_AUTH_EV_SUCCESS,      /* text = method */
	KG_AUTH_EV_BANNER,       /* text = banner (sanitised) */
	KG_AUTH_EV_KEY_UNUSABLE, /* id (pub may be NULL), err: the private key could not be used */
	KG_AUTH_EV_NO_PROMPT,    /* text = method: could not ask (BatchMode, no terminal, cancelled) */
	KG_AUTH_EV_AGENT,        /* text = agent socket; count = keys it holds, or err: unreachable */
};

typedef struct kg_cli_auth_event {
	enum kg_cli_auth_event_type type;
	const char *text;
	const char *alg;
	const kg_cli_identity *id;
	int err;                 /* KEY_UNUSABLE, AGENT: the kg_err, else 0 */
	int partial;             /* FAILURE: the server's partial-success flag */
	size_t count;            /* AGENT: keys listed */
} kg_cli_auth_event;

typedef struct kg_cli_auth_config {
	const char *user;
	kg_cli_identity *ids;
	size_t n_ids;
	int try_pubkey, try_password;
	int try_kbd;            /* keyboard-interactive, tried between publickey and password */
	const char *kbd_devices; /* KbdInteractiveDevices (submethods), NULL = "" */
	int password_prompts;   /* NumberOfPasswordPrompts; 0 = 3 (also the keyboard-interactive rounds) */
	/* Loads id->priv (may ask for a passphrase). KG_OK or an error; an
	 * error skips this identity. */
	int (*load_private)(void *arg, kg_cli_identity *id);
	/* Fills buf with the password (NUL-terminated).  An error stops
	 * password authentication (no tty, BatchMode, cancelled). */
	int (*get_password)(void *arg, char *buf, size_t len);
	/* Signs data with an identity the agent holds (from_agent), appending
	 * the SSH signature blob to sig.  An error skips this identity. */
	int (*agent_sign)(void *arg, kg_cli_identity *id, const char *alg, const uint8_t *data, size_t len,
			  kg_buf *sig);
	/* Answers an INFO_REQUEST: fills r->answers[0..q->n-1] (malloc'd) and
	 * r->n = q->n.  Name, instruction and prompts have had terminal
	 * control characters replaced.  An error stops keyboard-interactive. */
	int (*kbd_answer)(void *arg, const kg_kbd_request *q, kg_kbd_response *r);
	void (*event)(void *arg, const kg_cli_auth_event *ev);
	void *cb_arg;
} kg_cli_auth_config;

typedef struct kg_cli_auth kg_cli_auth;

/* Sends SERVICE_REQUEST("ssh-userauth"); call once the transport is ready. */
int kg_cli_auth_start(kg_cli_auth **out, const kg_cli_auth_config *cfg, kg_transport *t) KG_WUR;
/* Feeds a message of type 6 or 50..79.  Returns 0 to continue, 1 once
 * authenticated, KG_ERR_AUTH_FAILED when every method is used up. */
int kg_cli_auth_handle(kg_cli_auth *a, uint8_t type, const uint8_t *payload, size_t len) KG_WUR;
/* The method that succeeded ("publickey", "keyboard-interactive", "password", "none"). */
const char *kg_cli_auth_method(const kg_cli_auth *a);
void kg_cli_auth_free(kg_cli_auth *a);

/* ---------------- server ---------------- */

/* What a keyboard-interactive callback decided. */
enum { KG_KBD_ASK = 0, KG_KBD_OK = 1 };  /* or an error: the attempt failed */

typedef struct kg_svr_auth_config {
	int allow_pubkey, allow_password;
	int allow_kbd;               /* keyboard-interactive */
	int max_tries;               /* MaxAuthTries; 0 = 6 */
	/* Sent as USERAUTH_BANNER before the first answer (sshd's Banner);
	 * banner_len 0: none.  Must outlive the kg_svr_auth. */
	const char *banner;
	size_t banner_len;
	const char *pubkey_algs;     /* accepted signature algorithms */
	/* Is key allowed for user?  final=0 for the query, 1 once the signature
	 * has verified (the program then keeps the key's options). */
	int (*check_pubkey)(void *arg, const char *user, const kg_key *key, int final);
	int (*check_password)(void *arg, const char *user, const char *password);
	/* Optional (privilege separation): decides a signed publickey request
	 * as a whole — the signature over the session's signed data, then the
	 * final check — in place of the verification here followed by
	 * check_pubkey(final=1).  The monitor then never trusts the process
	 * that parsed the request to have verified anything. */
	int (*verify_pubkey)(void *arg, const char *user, const char *alg, const uint8_t *blob, size_t blob_len,
			     const uint8_t *sig, size_t sig_len);
	/* keyboard-interactive: kbd_start fills q (KG_KBD_ASK: sent as an
	 * INFO_REQUEST), or decides at once (KG_KBD_OK, or an error for a
	 * failure).  kbd_answer gets the answers to the last q (as many as it
	 * had prompts) and decides the same way, refilling q to ask again.
	 * kbd_end is called once the attempt is over, however it ended. */
	int (*kbd_start)(void *arg, const char *user, const char *devices, kg_kbd_request *q);
	int (*kbd_answer)(void *arg, const char *user, const kg_kbd_response *r, kg_kbd_request *q);
	void (*kbd_end)(void *arg);
	void *cb_arg;
} kg_svr_auth_config;

typedef struct kg_svr_auth kg_svr_auth;

int kg_svr_auth_new(kg_svr_auth **out, const kg_svr_auth_config *cfg, kg_transport *t) KG_WUR;
/* Feeds a message of type 5 or 50..79.  Returns 0 to continue, 1 once the
 * user is authenticated (USERAUTH_SUCCESS has been sent), or an error
 * (the connection must end; a DISCONNECT has been queued). */
int kg_svr_auth_handle(kg_svr_auth *a, uint8_t type, const uint8_t *payload, size_t len) KG_WUR;
const char *kg_svr_auth_user(const kg_svr_auth *a);
const char *kg_svr_auth_method(const kg_svr_auth *a);
void kg_svr_auth_free(kg_svr_auth *a);

#endif
