/* The client's remote forwardings (see cli-fwd-remote.h): the requests,
 * the server's answers, and the channels it opens for them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conn/cli-fwd-remote.h"
#include "conn/cli-rfwd-socks.h"
#include "conn/common-forward-relay.h"
#include "core/buf.h"

#define TCPIP_FWD "tcpip-forward"
#define TCPIP_CANCEL "cancel-tcpip-forward"
#define LOCAL_FWD "streamlocal-forward@openssh.com"
#define LOCAL_CANCEL "cancel-streamlocal-forward@openssh.com"
#define TCPIP_OPEN "forwarded-tcpip"
#define LOCAL_OPEN "forwarded-streamlocal@openssh.com"
#define MSG_MAX 1200
#define TARGET_MAX (KG_FWDSPEC_HOST_MAX + 16)

/* One forwarding asked of the server (or one cancel on its way). */
typedef struct ent {
	kg_cli_rfwd *r;
	kg_fwd_spec spec;       /* our copy */
	char *bind;             /* the address as sent (TCP), or NULL */
	int port;               /* the port listened on; 0 until a port 0 is answered */
	int answered;           /* the server said yes */
	int cancel;             /* a cancel request: removed once answered */
	kg_cli_fwd_done done;
	void *arg;
	struct ent *next;
} ent;

struct kg_cli_rfwd {
	kg_engine *eng;
	kg_cli_dispatch *d;
	kg_logger *log;
	kg_cli_rfwd_permit permit;
	ent *list;              /* forwardings in the order asked, then cancels */
};

/* ---------------- PermitRemoteOpen ---------------- */

static void permit_clear(kg_cli_rfwd_permit *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].host);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

static int permit_fail(char *err, size_t errlen, const char *what, const char *arg)
{
	snprintf(err, errlen, "%s in PermitRemoteOpen: %s", what, arg);
	return KG_ERR_CONFIG;
}

/* "host:port", "[v6]:port"; port a number or "*". */
static int permit_one(const char *w, kg_cli_rfwd_permit_ent *out, char *err, size_t errlen)
{
	const char *host = w, *colon;
	size_t hl;
	if (*w == '[') {
		const char *end = strchr(w, ']');
		if (!end || end[1] != ':')
			return permit_fail(err, errlen, "missing host", w);
		host = w + 1;
		hl = (size_t)(end - host);
		colon = end + 1;
	} else {
		colon = strchr(w, ':');
		if (!colon)
			return permit_fail(err, errlen, "missing host", w);
		hl = (size_t)(colon - w);
	}
	const char *port = colon + 1;
	if (hl == 0)
		return permit_fail(err, errlen, "missing host", w);
	if (strcmp(port, "*") == 0) {
		out->port = -1;
	} else {
		char *end;
		long v = strtol(port, &end, 10);
		if (*port < '0' || *port > '9' || *end || v < 1 || v > 65535)
			return permit_fail(err, errlen, "bad port number", w);
		out->port = (int)v;
	}
	out->host = strndup(host, hl);
	return out->host ? KG_OK : KG_ERR_ALLOC;
}

int kg_cli_rfwd_permit_parse(const kg_strlist *words, kg_cli_rfwd_permit *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (!words || words->n == 0)
		return KG_OK;
	for (size_t i = 0; i < words->n; i++) {
		const char *w = words->v[i];
		if (strcasecmp(w, "any") == 0 || strcasecmp(w, "none") == 0) {
			if (words->n > 1) {
				snprintf(err, errlen, "PermitRemoteOpen argument \"%s\" must appear alone", w);
				return KG_ERR_CONFIG;
			}
			out->none = strcasecmp(w, "none") == 0;
			return KG_OK;
		}
	}
	out->v = calloc(words->n, sizeof(*out->v));
	ENSURE(out->v, KG_ERR_ALLOC);
	out->restricted = 1;
	for (size_t i = 0; i < words->n; i++) {
		int rc = permit_one(words->v[i], &out->v[i], err, errlen);
		if (rc < 0) {
			permit_clear(out);
			return rc;
		}
		out->n++;
	}
	return KG_OK;
}

int kg_cli_rfwd_permit_allows(const kg_cli_rfwd_permit *p, const char *host, int port)
{
	if (p->none)
		return 0;
	if (!p->restricted)
		return 1;
	/* As ssh_config(5) says: no pattern matching, no look-ups; "*" alone
	 * is any host or port. */
	for (size_t i = 0; i < p->n; i++)
		if ((p->v[i].port < 0 || p->v[i].port == port) &&
		    (strcmp(p->v[i].host, "*") == 0 || strcmp(p->v[i].host, host) == 0))
			return 1;
	return 0;
}

void kg_cli_rfwd_permit_free(kg_cli_rfwd_permit *p)
{
	permit_clear(p);
}

int kg_cli_rfwd_check_config(const kg_client_config *cfg, char *msg, size_t len)
{
	kg_cli_rfwd_permit p;
	int rc = kg_cli_rfwd_permit_parse(&cfg->permit_remote_open, &p, msg, len);
	permit_clear(&p);
	return rc;
}

static int socks_allowed(void *arg, const char *host, int port)
{
	kg_cli_rfwd *r = arg;
	return kg_cli_rfwd_permit_allows(&r->permit, host, port);
}

/* ---------------- forwardings ---------------- */

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return KG_OK;
	*dst = strdup(src);
	return *dst ? KG_OK : KG_ERR_ALLOC;
}

static void ent_free(ent *x)
{
	if (!x)
		return;
	kg_fwd_spec_free(&x->spec);
	free(x->bind);
	free(x);
}

/* What the server is told to listen on: no address is "localhost", an
 * empty one or "*" every address (RFC 4254 7.1 and OpenSSH's usage). */
static const char *bind_of(const kg_fwd_spec *s)
{
	if (!s->listen_host)
		return "localhost";
	if (!*s->listen_host || strcmp(s->listen_host, "*") == 0)
		return "";
	return s->listen_host;
}

static ent *ent_new(kg_cli_rfwd *r, const kg_fwd_spec *spec, kg_cli_fwd_done done, void *arg)
{
	ent *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->r = r;
	x->done = done;
	x->arg = arg;
	x->spec.kind = spec->kind;
	x->spec.dynamic = spec->dynamic;
	x->spec.listen_port = spec->listen_port;
	x->spec.connect_port = spec->connect_port;
	if (dup_str(&x->spec.listen_host, spec->listen_host) < 0 ||
	    dup_str(&x->spec.listen_path, spec->listen_path) < 0 ||
	    dup_str(&x->spec.connect_host, spec->connect_host) < 0 ||
	    dup_str(&x->spec.connect_path, spec->connect_path) < 0 ||
	    (!spec->listen_path && dup_str(&x->bind, bind_of(spec)) < 0)) {
		ent_free(x);
		return NULL;
	}
	x->port = spec->listen_path ? -1 : spec->listen_port;
	return x;
}

static void link_ent(kg_cli_rfwd *r, ent *x)
{
	ent **pp = &r->list;
	while (*pp)
		pp = &(*pp)->next;
	*pp = x;
}

static void unlink_ent(kg_cli_rfwd *r, ent *x)
{
	for (ent **pp = &r->list; *pp; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			x->next = NULL;
			return;
		}
}

/* "host:port" as OpenSSH's messages write a forwarding's target. */
static const char *target_of(const kg_fwd_spec *s, char *buf, size_t len)
{
	if (s->dynamic)
		snprintf(buf, len, "socks:0");
	else if (s->connect_path)
		snprintf(buf, len, "%s:-2", s->connect_path);
	else
		snprintf(buf, len, "%s:%d", s->connect_host ? s->connect_host : "", s->connect_port);
	return buf;
}

/* The listen port in OpenSSH's debug lines: -2 for a socket path. */
static int listen_port_of(const kg_fwd_spec *s)
{
	return s->listen_path ? -2 : s->listen_port;
}

static void failed_msg(const kg_fwd_spec *s, char *msg, size_t len)
{
	if (s->listen_path)
		snprintf(msg, len, "remote port forwarding failed for listen path %s", s->listen_path);
	else
		snprintf(msg, len, "remote port forwarding failed for listen port %d", s->listen_port);
}

/* The server's answer to a forwarding request. */
static int add_reply(void *arg, int ok, const uint8_t *data, size_t len)
{
	ent *x = arg;
	kg_cli_rfwd *r = x->r;
	char tgt[TARGET_MAX], msg[MSG_MAX];
	int allocated = 0;
	const char *lname = x->spec.listen_path ? x->spec.listen_path : x->spec.listen_host;
	kg_debug(r->log, "remote forward %s for: listen %s%s%d, connect %s", ok ? "success" : "failure",
		 lname ? lname : "", lname ? ":" : "", listen_port_of(&x->spec), target_of(&x->spec, tgt, sizeof(tgt)));
	if (ok && x->port == 0) {
		uint32_t port = len >= 4 ? kg_peek_u32(data) : 0;
		if (port == 0 || port > 65535) {
			kg_error(r->log, "Invalid allocated port %u for remote forward to %s", port,
				 target_of(&x->spec, tgt, sizeof(tgt)));
			ok = 0;
		} else {
			allocated = (int)port;
			x->port = allocated;
			kg_info(r->log, "Allocated port %d for remote forward to %s", allocated,
				target_of(&x->spec, tgt, sizeof(tgt)));
		}
	}
	kg_cli_fwd_done done = x->done;
	void *darg = x->arg;
	x->answered = ok;
	if (!ok) {
		failed_msg(&x->spec, msg, sizeof(msg));
		unlink_ent(r, x);
	}
	if (done)
		done(darg, &x->spec, ok, allocated, ok ? NULL : msg);
	if (!ok)
		ent_free(x);
	return KG_OK;
}

/* The request data: the address and port, or the socket path. */
static int put_listen(kg_buf *b, const ent *x, int port)
{
	if (x->spec.listen_path)
		return kg_buf_put_cstring(b, x->spec.listen_path);
	GUARD(kg_buf_put_cstring(b, x->bind));
	return kg_buf_put_u32(b, (uint32_t)port);
}

static int send_req(kg_cli_rfwd *r, ent *x, const char *name, int port, kg_global_reply_cb cb)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	int rc = put_listen(&b, x, port);
	if (rc >= 0)
		rc = kg_engine_send_global(r->eng, name, kg_buf_ptr(&b), kg_buf_len(&b), cb, x);
	kg_buf_free(&b);
	if (rc >= 0)
		kg_engine_kick(r->eng);
	return rc;
}

int kg_cli_rfwd_add(kg_cli_rfwd *r, const kg_fwd_spec *spec, kg_cli_fwd_done done, void *arg)
{
	char msg[MSG_MAX];
	ENSURE(r && spec, KG_ERR_ARG);
	int bad = spec->kind != KG_FWDSPEC_REMOTE || (!spec->listen_path && (spec->listen_port < 0 ||
									     spec->listen_port > 65535)) ||
		  (!spec->dynamic && !spec->connect_host && !spec->connect_path);
	ent *x = bad ? NULL : ent_new(r, spec, done, arg);
	if (!x) {
		failed_msg(spec, msg, sizeof(msg));
		if (done)
			done(arg, spec, 0, 0, msg);
		return bad ? KG_ERR_ARG : KG_ERR_ALLOC;
	}
	char tgt[TARGET_MAX];
	kg_debug(r->log, "Remote connections from %.200s:%d forwarded to local address %.200s",
		 spec->listen_path ? spec->listen_path : spec->listen_host ? spec->listen_host : "LOCALHOST",
		 listen_port_of(spec), target_of(spec, tgt, sizeof(tgt)));
	int rc = send_req(r, x, spec->listen_path ? LOCAL_FWD : TCPIP_FWD, x->port, add_reply);
	if (rc < 0) {
		failed_msg(spec, msg, sizeof(msg));
		if (done)
			done(arg, spec, 0, 0, msg);
		ent_free(x);
		return rc;
	}
	link_ent(r, x);
	return KG_OK;
}

static int cancel_reply(void *arg, int ok, const uint8_t *data, size_t len)
{
	ent *x = arg;
	(void)data, (void)len;
	unlink_ent(x->r, x);
	if (x->done) {
		char msg[MSG_MAX];
		if (x->spec.listen_path)
			snprintf(msg, sizeof(msg), "cancel of remote forwarding failed for listen path %s",
				 x->spec.listen_path);
		else
			snprintf(msg, sizeof(msg), "cancel of remote forwarding failed for listen port %d", x->port);
		x->done(x->arg, &x->spec, ok, 0, ok ? NULL : msg);
	}
	ent_free(x);
	return KG_OK;
}

/* The forwarding the listen side of spec names: its path, or its address
 * and port (the one asked for, or the one the server allocated). */
static ent *find_spec(kg_cli_rfwd *r, const kg_fwd_spec *spec)
{
	for (ent *x = r->list; x; x = x->next) {
		if (x->cancel)
			continue;
		if (spec->listen_path || x->spec.listen_path) {
			if (spec->listen_path && x->spec.listen_path && strcmp(spec->listen_path, x->spec.listen_path) == 0)
				return x;
			continue;
		}
		if ((spec->listen_port == x->spec.listen_port || spec->listen_port == x->port) &&
		    strcmp(bind_of(spec), x->bind) == 0)
			return x;
	}
	return NULL;
}

int kg_cli_rfwd_cancel(kg_cli_rfwd *r, const kg_fwd_spec *spec, kg_cli_fwd_done done, void *arg)
{
	ENSURE(r && spec, KG_ERR_ARG);
	ent *x = find_spec(r, spec);
	if (!x || !x->answered) {
		if (done)
			done(arg, spec, 0, 0, "Unknown port forwarding.");
		return KG_ERR_NOT_FOUND;
	}
	/* From now on its channels are refused, as with OpenSSH; the request
	 * carries the port the server listens on. */
	x->cancel = 1;
	x->done = done;
	x->arg = arg;
	kg_engine_forget_global(r->eng, x);
	unlink_ent(r, x);
	link_ent(r, x);
	int rc = send_req(r, x, x->spec.listen_path ? LOCAL_CANCEL : TCPIP_CANCEL, x->port, cancel_reply);
	if (rc < 0) {
		unlink_ent(r, x);
		if (done)
			done(arg, spec, 0, 0, "cancel of remote forwarding failed");
		ent_free(x);
	}
	return rc;
}

/* ---------------- the server's opens ---------------- */

static ent *find_tcp(kg_cli_rfwd *r, const char *addr, uint32_t port)
{
	ent *only = NULL;
	int n = 0;
	for (ent *x = r->list; x; x = x->next) {
		if (x->cancel || x->spec.listen_path || x->port <= 0 || (uint32_t)x->port != port)
			continue;
		if (strcmp(x->bind, addr) == 0)
			return x;
		only = x;
		n++;
	}
	/* A server that names the address it bound rather than the one asked
	 * for: the port alone decides when only one forwarding has it. */
	return n == 1 ? only : NULL;
}

static ent *find_path(kg_cli_rfwd *r, const char *path)
{
	for (ent *x = r->list; x; x = x->next)
		if (!x->cancel && x->spec.listen_path && strcmp(x->spec.listen_path, path) == 0)
			return x;
	return NULL;
}

static int refuse_open(kg_conn *c, kg_channel *ch)
{
	return kg_conn_open_fail(c, ch, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed");
}

/* Connects ch to x's target (or answers it as a SOCKS proxy). */
static int connect_target(kg_cli_rfwd *r, const ent *x, kg_channel *ch)
{
	if (x->spec.dynamic)
		return kg_cli_rfwd_socks_answer(r->eng, r->log, ch, socks_allowed, r);
	if (x->spec.connect_path)
		return kg_fwd_relay_connect_unix(r->eng, r->log, NULL, ch, x->spec.connect_path);
	return kg_fwd_relay_connect_tcp(r->eng, r->log, NULL, ch, x->spec.connect_host,
					(uint32_t)x->spec.connect_port);
}

static int on_tcpip(void *arg, kg_conn *c, kg_channel *ch, const kg_conn_event *ev)
{
	kg_cli_rfwd *r = arg;
	kg_buf b;
	const uint8_t *a, *o;
	size_t al, ol;
	uint32_t port, oport;
	kg_buf_view(&b, ev->data, ev->len);
	if (kg_buf_get_string_direct(&b, &a, &al) < 0 || kg_buf_get_u32(&b, &port) < 0 ||
	    kg_buf_get_string_direct(&b, &o, &ol) < 0 || kg_buf_get_u32(&b, &oport) < 0)
		return KG_ERR_PROTOCOL;
	char addr[KG_FWDSPEC_HOST_MAX + 1];
	if (al > KG_FWDSPEC_HOST_MAX || memchr(a, 0, al))
		return refuse_open(c, ch);
	memcpy(addr, a, al);
	addr[al] = '\0';
	kg_debug(r->log, "client_request_forwarded_tcpip: listen %s port %u, originator %.*s port %u", addr, port,
		 (int)(ol > 64 ? 64 : ol), (const char *)o, oport);
	ent *x = find_tcp(r, addr, port);
	if (!x) {
		kg_error(r->log, "WARNING: Server requests forwarding for unknown listen_port %u", port);
		return refuse_open(c, ch);
	}
	return connect_target(r, x, ch);
}

static int on_streamlocal(void *arg, kg_conn *c, kg_channel *ch, const kg_conn_event *ev)
{
	kg_cli_rfwd *r = arg;
	kg_buf b;
	const uint8_t *p;
	size_t pl;
	kg_buf_view(&b, ev->data, ev->len);
	if (kg_buf_get_string_direct(&b, &p, &pl) < 0)
		return KG_ERR_PROTOCOL;
	char path[KG_FWDSPEC_PATH_MAX + 2];
	if (pl > KG_FWDSPEC_PATH_MAX || memchr(p, 0, pl)) {
		kg_error(r->log, "WARNING: Server requests forwarding for unknown path %.100s", "(too long)");
		return refuse_open(c, ch);
	}
	memcpy(path, p, pl);
	path[pl] = '\0';
	kg_debug(r->log, "client_request_forwarded_streamlocal: request: %s", path);
	ent *x = find_path(r, path);
	if (!x) {
		kg_error(r->log, "WARNING: Server requests forwarding for unknown path %.100s", path);
		return refuse_open(c, ch);
	}
	return connect_target(r, x, ch);
}

/* ---------------- life ---------------- */

int kg_cli_rfwd_new(kg_engine *e, kg_cli_dispatch *d, kg_logger *log, const kg_client_config *cfg,
		    kg_cli_rfwd **out)
{
	*out = NULL;
	kg_cli_rfwd *r = calloc(1, sizeof(*r));
	ENSURE(r, KG_ERR_ALLOC);
	r->eng = e;
	r->d = d;
	r->log = log;
	char err[KG_FWDSPEC_HOST_MAX + 128];
	int rc = kg_cli_rfwd_permit_parse(cfg ? &cfg->permit_remote_open : NULL, &r->permit, err, sizeof(err));
	if (rc < 0) {
		if (err[0])
			kg_error(log, "%s", err);
		free(r);
		return rc;
	}
	rc = kg_cli_on_open(d, TCPIP_OPEN, on_tcpip, r);
	if (rc >= 0)
		rc = kg_cli_on_open(d, LOCAL_OPEN, on_streamlocal, r);
	if (rc < 0) {
		kg_cli_rfwd_free(r);
		return rc;
	}
	*out = r;
	return KG_OK;
}

void kg_cli_rfwd_free(kg_cli_rfwd *r)
{
	if (!r)
		return;
	if (r->d)
		kg_cli_dispatch_forget(r->d, r);
	if (r->eng)
		kg_cli_rfwd_socks_forget(r->eng, r);
	while (r->list) {
		ent *x = r->list;
		r->list = x->next;
		kg_engine_forget_global(r->eng, x);
		ent_free(x);
	}
	permit_clear(&r->permit);
	free(r);
}
