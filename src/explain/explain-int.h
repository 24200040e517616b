/* Inside the explain module: the collected facts, shared by the collector
 * (explain.c), the narrative (explain-text.c) and the page (explain-html.c). */
#ifndef KAGI_EXPLAIN_INT_H
#define KAGI_EXPLAIN_INT_H

#include <libintl.h>
#include "core/buf.h"
#include "core/key.h"
#include "explain/explain.h"

#define KG_TEXT_DOMAIN "kagi"
#define _(s) dgettext(KG_TEXT_DOMAIN, s)
#define N_(s) (s)

#define EX_MAX_MSGS 4000      /* diagram rows kept; later ones are counted */
#define EX_MAX_LIST 64        /* identity files, transfers */
#define EX_MAX_AUTH 256       /* auth events */
#define EX_DETAIL_MAX 1024    /* bytes of detail text per row */
#define EX_SHORT_HEX 48       /* room for a shortened hex value */

/* Which of the two jobs of public-key cryptography a message serves. */
enum ex_job { EX_JOB_SECRET, EX_JOB_IDENTITY, EX_JOB_BOTH, EX_JOB_SESSION, EX_JOB_OTHER };

typedef struct ex_msg {
	uint8_t type, sent, job;
	uint32_t count;          /* > 1: a run of the same message collapsed */
	uint64_t bytes;          /* payload bytes (summed over a run) */
	uint64_t data_bytes;     /* channel data carried (summed over a run) */
	char *detail;            /* public facts about it, or NULL */
} ex_msg;

typedef struct ex_auth {
	enum kg_cli_auth_event_type type;
	char *text;              /* method, methods list or banner */
	char *path;              /* key file */
	char alg[48];
	char keytype[16];
	int bits;
	char fp[KG_KEY_FP_LEN];
	int from_agent, from_cmdline;
	int err;                 /* KEY_UNUSABLE, AGENT */
	int partial;             /* FAILURE: partial success */
	size_t count;            /* AGENT: keys listed */
} ex_auth;

typedef struct ex_idfile {
	char *path;
	int exists, loose, is_pem;
	unsigned mode;
} ex_idfile;

typedef struct ex_transfer {
	char proto[8];
	char *local, *remote;
	uint64_t bytes;
	int upload, looks_private;
} ex_transfer;

/* Parts of the story, printed in this order. */
enum { EX_PART_WHO, EX_PART_SECRET, EX_PART_AUTH, EX_PART_FAIL, EX_PART_SESSION, EX_PART_ADVICE, EX_NPARTS };

struct kg_explain {
	char program[16];
	char *user, *host, *jump;
	int agent_forwarded;     /* -A: the local agent was forwarded to the host */
	char local_user[64];     /* who runs the client (wrong-user hint) */
	int port;
	char *peer_version;
	FILE *live;
	unsigned printed;        /* bit per part already written */
	unsigned sections;       /* section titles written so far (numbered 1..N) */
	int oom;                 /* some fact could not be stored */

	/* host key */
	int have_hostkey;
	char hk_type[16], hk_name[32], hk_status[16], hk_fp[KG_KEY_FP_LEN];
	int hk_bits;
	char *hk_file;
	size_t hk_line;

	/* key exchange */
	unsigned kex_count;
	int kex_pub_mpint, strict_kex;
	char kex[64], hostkey_alg[64], cipher_c2s[64], cipher_s2c[64], mac_c2s[64], mac_s2c[64];
	char comp_c2s[32], comp_s2c[32];
	char cpub[EX_SHORT_HEX], spub[EX_SHORT_HEX], hash[EX_SHORT_HEX], sid[EX_SHORT_HEX];
	size_t cpub_len, spub_len, hash_len;
	char *server_lists[4];   /* the server's first KEXINIT: kex, host key, ciphers, MACs */
	char *kex_lists[2];      /* latest KEXINIT kex lists: client's, server's */

	/* authentication */
	ex_auth auth[EX_MAX_AUTH];
	size_t n_auth;
	int auth_started, auth_done, auth_ok, password_sent, pubkey_signed;
	char auth_method[16];

	ex_idfile idfiles[EX_MAX_LIST];
	size_t n_idfiles;
	ex_transfer xfers[EX_MAX_LIST];
	size_t n_xfers;

	/* session */
	unsigned channels_opened;
	uint64_t data_sent, data_recv;
	char chan_requests[128];

	int outcome_set, outcome;
	/* the server's DISCONNECT, if it sent one */
	int peer_disc;
	unsigned disc_reason;
	char disc_text[128];

	ex_msg *msgs;
	size_t n_msgs, cap_msgs;
	uint64_t msgs_dropped;
};

/* explain.c */
/* Protocol name of a message type ("SSH_MSG_KEXINIT" without the prefix). */
const char *ex_msg_name(uint8_t type);
enum ex_job ex_msg_job(uint8_t type);
/* Writes "0a1b2c3d4e5f6071...c1d2" (first 8 and last 2 bytes) into out. */
void ex_short_hex(const uint8_t *p, size_t n, char *out, size_t outlen);
/* Copies s into out (outlen bytes), turning control characters into '?'. */
void ex_clean_copy(char *out, size_t outlen, const char *s);

/* explain-item.c: one item (see below); newlines in the text become spaces. */
int ex_item(kg_buf *o, char kind, const char *fmt, ...) KG_WUR __attribute__((format(printf, 3, 4)));

/* explain-text.c: the story as items, one per line: a kind letter, a tab,
 * the text (and for 'V' a tab and the value).  Kinds: T title, P paragraph,
 * V label/value, B bullet, A advice, M misconception corrected.  Shared by
 * the terminal printer and the HTML page. */
int ex_story_part(const kg_explain *ex, int part, unsigned *section, kg_buf *out) KG_WUR;
/* explain-item.c: a section title, numbered: "T\t<++*section>. <text>". */
int ex_title(kg_buf *o, unsigned *section, const char *text) KG_WUR;
/* The live printer's hook: writes the parts that are complete. */
void ex_text_progress(kg_explain *ex);
/* explain-fail.c: after a refused login, the parts that tell what was
 * tried, what the server allows, the causes that fit and which use of
 * public-key cryptography failed (nothing when the login worked). */
int ex_story_fail(const kg_explain *ex, unsigned *section, kg_buf *out) KG_WUR;
/* The tried-identities list of the authentication part, for a failure. */
int ex_story_fail_tried(const kg_explain *ex, kg_buf *out) KG_WUR;
/* Did authentication start and end without success? */
int ex_login_failed(const kg_explain *ex);
/* The error a KEY_UNUSABLE event gave for this key file, else 0. */
int ex_unusable_err(const kg_explain *ex, const char *path);
/* Short explanation of one diagram row (translated). */
const char *ex_msg_explanation(const ex_msg *m);

#endif
