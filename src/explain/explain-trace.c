/* The collector's view of every message: one diagram row each (bulk
 * channel traffic collapsed), with a short detail of its public fields.
 * Payloads are parsed with kg_buf views and never kept; a password inside
 * USERAUTH_REQUEST is not read at all. */
#include <stdlib.h>
#include <string.h>
#include "core/kex.h"
#include "core/names.h"
#include "core/packet.h"
#include "explain/explain-int.h"

typedef struct msg_info {
	uint8_t type;
	uint8_t job;
	const char *name;
} msg_info;

static const msg_info MSGS[] = {
	{ SSH_MSG_DISCONNECT, EX_JOB_OTHER, "DISCONNECT" },
	{ SSH_MSG_IGNORE, EX_JOB_OTHER, "IGNORE" },
	{ SSH_MSG_UNIMPLEMENTED, EX_JOB_OTHER, "UNIMPLEMENTED" },
	{ SSH_MSG_DEBUG, EX_JOB_OTHER, "DEBUG" },
	{ SSH_MSG_SERVICE_REQUEST, EX_JOB_IDENTITY, "SERVICE_REQUEST" },
	{ SSH_MSG_SERVICE_ACCEPT, EX_JOB_IDENTITY, "SERVICE_ACCEPT" },
	{ SSH_MSG_EXT_INFO, EX_JOB_IDENTITY, "EXT_INFO" },
	{ SSH_MSG_KEXINIT, EX_JOB_SECRET, "KEXINIT" },
	{ SSH_MSG_NEWKEYS, EX_JOB_SECRET, "NEWKEYS" },
	{ SSH_MSG_KEX_ECDH_INIT, EX_JOB_SECRET, "KEX_ECDH_INIT" },
	{ SSH_MSG_KEX_ECDH_REPLY, EX_JOB_BOTH, "KEX_ECDH_REPLY" },
	{ SSH_MSG_USERAUTH_REQUEST, EX_JOB_IDENTITY, "USERAUTH_REQUEST" },
	{ SSH_MSG_USERAUTH_FAILURE, EX_JOB_IDENTITY, "USERAUTH_FAILURE" },
	{ SSH_MSG_USERAUTH_SUCCESS, EX_JOB_IDENTITY, "USERAUTH_SUCCESS" },
	{ SSH_MSG_USERAUTH_BANNER, EX_JOB_IDENTITY, "USERAUTH_BANNER" },
	{ SSH_MSG_USERAUTH_PK_OK, EX_JOB_IDENTITY, "USERAUTH_PK_OK" },
	{ SSH_MSG_USERAUTH_INFO_RESPONSE, EX_JOB_IDENTITY, "USERAUTH_INFO_RESPONSE" },
	{ SSH_MSG_GLOBAL_REQUEST, EX_JOB_SESSION, "GLOBAL_REQUEST" },
	{ SSH_MSG_REQUEST_SUCCESS, EX_JOB_SESSION, "REQUEST_SUCCESS" },
	{ SSH_MSG_REQUEST_FAILURE, EX_JOB_SESSION, "REQUEST_FAILURE" },
	{ SSH_MSG_CHANNEL_OPEN, EX_JOB_SESSION, "CHANNEL_OPEN" },
	{ SSH_MSG_CHANNEL_OPEN_CONFIRMATION, EX_JOB_SESSION, "CHANNEL_OPEN_CONFIRMATION" },
	{ SSH_MSG_CHANNEL_OPEN_FAILURE, EX_JOB_SESSION, "CHANNEL_OPEN_FAILURE" },
	{ SSH_MSG_CHANNEL_WINDOW_ADJUST, EX_JOB_SESSION, "CHANNEL_WINDOW_ADJUST" },
	{ SSH_MSG_CHANNEL_DATA, EX_JOB_SESSION, "CHANNEL_DATA" },
	{ SSH_MSG_CHANNEL_EXTENDED_DATA, EX_JOB_SESSION, "CHANNEL_EXTENDED_DATA" },
	{ SSH_MSG_CHANNEL_EOF, EX_JOB_SESSION, "CHANNEL_EOF" },
	{ SSH_MSG_CHANNEL_CLOSE, EX_JOB_SESSION, "CHANNEL_CLOSE" },
	{ SSH_MSG_CHANNEL_REQUEST, EX_JOB_SESSION, "CHANNEL_REQUEST" },
	{ SSH_MSG_CHANNEL_SUCCESS, EX_JOB_SESSION, "CHANNEL_SUCCESS" },
	{ SSH_MSG_CHANNEL_FAILURE, EX_JOB_SESSION, "CHANNEL_FAILURE" },
};

static const msg_info *find_msg(uint8_t type)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(MSGS); i++)
		if (MSGS[i].type == type)
			return &MSGS[i];
	return NULL;
}

const char *ex_msg_name(uint8_t type)
{
	const msg_info *m = find_msg(type);
	return m ? m->name : "UNKNOWN";
}

enum ex_job ex_msg_job(uint8_t type)
{
	const msg_info *m = find_msg(type);
	if (m)
		return (enum ex_job)m->job;
	if (type >= 30 && type <= 49)
		return EX_JOB_SECRET;   /* other key exchange method messages */
	if (type >= 50 && type <= 79)
		return EX_JOB_IDENTITY;
	return type >= 80 ? EX_JOB_SESSION : EX_JOB_OTHER;
}

/* Bulk messages whose runs collapse into one row. */
static int is_bulk(uint8_t type)
{
	return type == SSH_MSG_CHANNEL_DATA || type == SSH_MSG_CHANNEL_EXTENDED_DATA ||
	       type == SSH_MSG_CHANNEL_WINDOW_ADJUST || type == SSH_MSG_IGNORE;
}

/* ---------------- details of public fields ---------------- */

static int get_text(kg_buf *b, char *out, size_t outlen)
{
	const uint8_t *p;
	size_t n;
	GUARD(kg_buf_get_string_direct(b, &p, &n));
	if (n >= outlen)
		n = outlen - 1;
	char tmp[EX_DETAIL_MAX];
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	ex_clean_copy(out, outlen, tmp);
	return KG_OK;
}

static void kexinit_detail(kg_explain *ex, int sent, kg_buf *b, kg_buf *d)
{
	static const char *const labels[] = { "kex", "hostkey", "cipher c2s", "cipher s2c", "mac c2s", "mac s2c" };
	static const int keep[] = { 0, 1, 3, 5 };  /* lists remembered from the server */
	if (kg_buf_consume(b, 16) < 0)
		return;
	for (size_t i = 0; i < KG_ARRAY_LEN(labels); i++) {
		char list[EX_DETAIL_MAX];
		if (get_text(b, list, sizeof(list)) < 0)
			return;
		(void)!kg_buf_putf(d, "%s%s: %s", i ? "\n" : "", labels[i], list);
		if (i == 0) {
			free(ex->kex_lists[sent ? 0 : 1]);
			if (!(ex->kex_lists[sent ? 0 : 1] = strdup(list)))
				ex->oom = 1;
		}
		for (size_t k = 0; !sent && ex->kex_count == 0 && k < KG_ARRAY_LEN(keep); k++)
			if ((size_t)keep[k] == i && !ex->server_lists[k] && !(ex->server_lists[k] = strdup(list)))
				ex->oom = 1;
	}
}

static void pub_detail(kg_buf *b, const char *what, int mpint, kg_buf *d)
{
	const uint8_t *p;
	size_t n;
	char hex[EX_SHORT_HEX];
	if ((mpint ? kg_buf_get_mpint_direct(b, &p, &n) : kg_buf_get_string_direct(b, &p, &n)) < 0)
		return;
	ex_short_hex(p, n, hex, sizeof(hex));
	(void)!kg_buf_putf(d, "%s: %zu bytes %s", what, n, hex);
}

static void reply_detail(const kg_explain *ex, kg_buf *b, kg_buf *d)
{
	kg_buf blob;
	char alg[64];
	if (kg_buf_get_stringb(b, &blob) < 0 || get_text(&blob, alg, sizeof(alg)) < 0)
		return;
	(void)!kg_buf_putf(d, "host key: %s\n", alg);
	pub_detail(b, ex->kex_pub_mpint ? "f" : "Q_S", ex->kex_pub_mpint, d);
	kg_buf sig;
	if (kg_buf_get_stringb(b, &sig) < 0 || get_text(&sig, alg, sizeof(alg)) < 0)
		return;
	(void)!kg_buf_putf(d, "\nsignature of H: %s (%zu bytes)", alg, kg_buf_len(&sig));
}

static void userauth_detail(kg_buf *b, kg_buf *d)
{
	char user[128], service[64], method[64];
	if (get_text(b, user, sizeof(user)) < 0 || get_text(b, service, sizeof(service)) < 0 ||
	    get_text(b, method, sizeof(method)) < 0)
		return;
	(void)!kg_buf_putf(d, "user: %s\nmethod: %s", user, method);
	if (strcmp(method, "publickey") != 0)
		return;  /* a password (or anything else) is not looked at */
	int has_sig;
	char alg[64];
	if (kg_buf_get_bool(b, &has_sig) < 0 || get_text(b, alg, sizeof(alg)) < 0)
		return;
	(void)!kg_buf_putf(d, "\nalgorithm: %s\n%s", alg,
			   has_sig ? "signature over the session ID: yes" : "signature: none (query)");
}

static void channel_open_detail(kg_explain *ex, int sent, kg_buf *b, kg_buf *d)
{
	char type[64];
	if (get_text(b, type, sizeof(type)) < 0)
		return;
	(void)!kg_buf_putf(d, "type: %s", type);
	if (sent)
		ex->channels_opened++;
}

static void request_detail(kg_explain *ex, int sent, int chan, kg_buf *b, kg_buf *d)
{
	char name[64];
	if ((chan && kg_buf_get_u32(b, NULL) < 0) || get_text(b, name, sizeof(name)) < 0)
		return;
	(void)!kg_buf_putf(d, "request: %s", name);
	if (!chan || !sent || strstr(ex->chan_requests, name))
		return;
	size_t used = strlen(ex->chan_requests);
	if (used + strlen(name) + 3 < sizeof(ex->chan_requests))
		snprintf(ex->chan_requests + used, sizeof(ex->chan_requests) - used, "%s%s", used ? ", " : "", name);
	if (strcmp(name, "subsystem") == 0) {
		char sub[32];
		int want;
		if (kg_buf_get_bool(b, &want) == KG_OK && get_text(b, sub, sizeof(sub)) == KG_OK) {
			(void)!kg_buf_putf(d, "\nsubsystem: %s", sub);
			used = strlen(ex->chan_requests);
			if (used + strlen(sub) + 3 < sizeof(ex->chan_requests))
				snprintf(ex->chan_requests + used, sizeof(ex->chan_requests) - used, " %s", sub);
		}
	}
}

static void detail_of(kg_explain *ex, int sent, const uint8_t *p, size_t len, kg_buf *d)
{
	kg_buf b;
	kg_buf_view(&b, p + 1, len - 1);
	char text[256];
	uint32_t u;
	switch (p[0]) {
	case SSH_MSG_KEXINIT:
		kexinit_detail(ex, sent, &b, d);
		break;
	case SSH_MSG_KEX_ECDH_INIT:
		pub_detail(&b, ex->kex_pub_mpint ? "e" : "Q_C", ex->kex_pub_mpint, d);
		break;
	case SSH_MSG_KEX_ECDH_REPLY:
		reply_detail(ex, &b, d);
		break;
	case SSH_MSG_SERVICE_REQUEST:
	case SSH_MSG_SERVICE_ACCEPT:
		if (get_text(&b, text, sizeof(text)) == KG_OK)
			(void)!kg_buf_putf(d, "service: %s", text);
		break;
	case SSH_MSG_EXT_INFO:
		if (kg_buf_get_u32(&b, &u) == KG_OK && u > 0 && get_text(&b, text, sizeof(text)) == KG_OK) {
			char val[512];
			if (get_text(&b, val, sizeof(val)) == KG_OK)
				(void)!kg_buf_putf(d, "%s: %s", text, val);
		}
		break;
	case SSH_MSG_USERAUTH_REQUEST:
		userauth_detail(&b, d);
		break;
	case SSH_MSG_USERAUTH_FAILURE:
		if (get_text(&b, text, sizeof(text)) == KG_OK)
			(void)!kg_buf_putf(d, "methods that can continue: %s", text);
		break;
	case SSH_MSG_USERAUTH_PK_OK:
		if (get_text(&b, text, sizeof(text)) == KG_OK)
			(void)!kg_buf_putf(d, "algorithm: %s", text);
		break;
	case SSH_MSG_CHANNEL_OPEN:
		channel_open_detail(ex, sent, &b, d);
		break;
	case SSH_MSG_GLOBAL_REQUEST:
		request_detail(ex, sent, 0, &b, d);
		break;
	case SSH_MSG_CHANNEL_REQUEST:
		request_detail(ex, sent, 1, &b, d);
		break;
	case SSH_MSG_DISCONNECT:
		if (kg_buf_get_u32(&b, &u) == KG_OK && get_text(&b, text, sizeof(text)) == KG_OK) {
			(void)!kg_buf_putf(d, "reason %u: %s", (unsigned)u, text);
			if (!sent && !ex->peer_disc) {
				ex->peer_disc = 1;
				ex->disc_reason = u;
				ex_clean_copy(ex->disc_text, sizeof(ex->disc_text), text);
			}
		}
		break;
	default:
		break;
	}
}

/* The method both KEXINITs settle on decides how public values travel:
 * mpint for a DH group, string for ECDH. */
static int pub_is_mpint(const kg_explain *ex)
{
	char *name = NULL;
	if (!ex->kex_lists[0] || !ex->kex_lists[1] || kg_namelist_choose(ex->kex_lists[0], ex->kex_lists[1], &name) < 0)
		return 0;
	const kg_kex_alg *k = kg_kex_find(name);
	free(name);
	return k ? k->pub_is_mpint : 0;
}

/* Payload bytes of channel data inside a CHANNEL_DATA / EXTENDED_DATA. */
static uint64_t data_len(const uint8_t *p, size_t len)
{
	kg_buf b;
	uint32_t n = 0;
	kg_buf_view(&b, p + 1, len - 1);
	if (kg_buf_get_u32(&b, NULL) < 0 || (p[0] == SSH_MSG_CHANNEL_EXTENDED_DATA && kg_buf_get_u32(&b, NULL) < 0) ||
	    kg_buf_get_u32(&b, &n) < 0 || n > kg_buf_len(&b))
		return 0;
	return n;
}

/* A bulk message joins a recent row of the same kind when only bulk rows
 * lie between (data one way, window adjusts the other). */
static ex_msg *run_to_join(kg_explain *ex, uint8_t type, int sent)
{
	for (size_t back = 1; back <= 3 && back <= ex->n_msgs; back++) {
		ex_msg *m = &ex->msgs[ex->n_msgs - back];
		if (!is_bulk(m->type))
			return NULL;
		if (m->type == type && m->sent == sent)
			return m;
	}
	return NULL;
}

void kg_explain_on_trace(void *arg, int sent, const uint8_t *p, size_t len)
{
	kg_explain *ex = arg;
	if (len == 0)
		return;
	uint8_t type = p[0];
	if (type == SSH_MSG_KEX_ECDH_INIT && sent)
		ex->kex_pub_mpint = pub_is_mpint(ex);
	uint64_t dl = 0;
	if (type == SSH_MSG_CHANNEL_DATA || type == SSH_MSG_CHANNEL_EXTENDED_DATA) {
		dl = data_len(p, len);
		if (sent)
			ex->data_sent += dl;
		else
			ex->data_recv += dl;
	}
	if (is_bulk(type)) {
		ex_msg *m = run_to_join(ex, type, sent);
		if (m) {
			m->count++;
			m->bytes += len;
			m->data_bytes += dl;
			return;
		}
	}
	if (ex->n_msgs >= EX_MAX_MSGS) {
		ex->msgs_dropped++;
		return;
	}
	if (ex->n_msgs == ex->cap_msgs) {
		size_t cap = ex->cap_msgs ? ex->cap_msgs * 2 : 64;
		ex_msg *n = realloc(ex->msgs, cap * sizeof(*n));
		if (!n) {
			ex->oom = 1;
			ex->msgs_dropped++;
			return;
		}
		ex->msgs = n;
		ex->cap_msgs = cap;
	}
	ex_msg *m = &ex->msgs[ex->n_msgs++];
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->sent = sent != 0;
	m->job = (uint8_t)ex_msg_job(type);
	m->count = 1;
	m->bytes = len;
	m->data_bytes = dl;
	kg_buf d;
	kg_buf_init(&d, EX_DETAIL_MAX * 8);
	detail_of(ex, sent, p, len, &d);
	if (kg_buf_len(&d) > 0) {
		size_t n = kg_buf_len(&d) < EX_DETAIL_MAX * 6 ? kg_buf_len(&d) : EX_DETAIL_MAX * 6;
		m->detail = malloc(n + 1);
		if (m->detail) {
			memcpy(m->detail, kg_buf_ptr(&d), n);
			m->detail[n] = '\0';
		}
	}
	kg_buf_free(&d);
}
