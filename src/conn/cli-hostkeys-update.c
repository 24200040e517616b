/* UpdateHostKeys (see cli-hostkeys-update.h): hostkeys-00 received, the
 * new keys proved, known_hosts rewritten. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include "conn/cli-hostkey.h"
#include "conn/cli-hostkeys-update.h"
#include "conn/svr-hostkeys.h"
#include "config/client-config.h"
#include "config/config-common.h"
#include "config/known-hosts.h"
#include "config/known-hosts-edit.h"
#include "core/names.h"
#include "sys/tty.h"

#define MAX_KEYS 64
#define MAX_FILE (64u * 1024 * 1024)
#define FN "client_input_hostkeys"

struct kg_cli_hkupd {
	const kg_logger *log;
	char *host, *name, *algs;
	char *ip;              /* CheckHostIP: the address's known_hosts name, or NULL */
	int port, hash, ask;
	char **files;
	size_t nfiles;
	kg_engine *eng;
	int seen;              /* hostkeys-00 came already: once per connection */
	/* What the server sent: every key it has (all) and which of them
	 * kagi may learn (permitted by HostKeyAlgorithms), known already. */
	kg_key *keys[MAX_KEYS];
	int permitted[MAX_KEYS], known[MAX_KEYS];
	size_t n_keys;
	kg_key *old[MAX_KEYS]; /* in files[0] for the host alone, no longer offered */
	size_t n_old;
	int proved;            /* the new keys' signatures checked */
};

static char *dup_or_null(const char *s, int *bad)
{
	char *d = s ? strdup(s) : NULL;
	if (s && !d)
		*bad = 1;
	return d;
}

int kg_cli_hkupd_new(kg_cli_hkupd **out, const kg_cli_hkupd_opts *o, kg_engine *eng)
{
	ENSURE(out != NULL && o != NULL && o->host != NULL, KG_ERR_ARG);
	*out = NULL;
	kg_cli_hkupd *u = calloc(1, sizeof(*u));
	ENSURE(u != NULL, KG_ERR_ALLOC);
	int bad = 0;
	u->log = o->log;
	u->host = dup_or_null(o->host, &bad);
	u->algs = dup_or_null(o->hostkey_algs, &bad);
	u->ip = dup_or_null(o->ip, &bad);
	u->port = o->port;
	u->hash = o->hash;
	u->ask = o->ask;
	u->eng = eng;
	u->files = calloc(o->nfiles ? o->nfiles : 1, sizeof(char *));
	bad |= u->files == NULL;
	for (size_t i = 0; !bad && i < o->nfiles; i++)
		u->files[u->nfiles++] = dup_or_null(o->files[i], &bad);
	if (!bad && kg_known_hosts_name(o->host, o->port, &u->name) < 0)
		bad = 1;
	if (bad) {
		kg_cli_hkupd_free(u);
		return KG_ERR_ALLOC;
	}
	*out = u;
	return KG_OK;
}

static void clear_keys(kg_cli_hkupd *u)
{
	for (size_t i = 0; i < u->n_keys; i++)
		kg_key_free(u->keys[i]);
	for (size_t i = 0; i < u->n_old; i++)
		kg_key_free(u->old[i]);
	u->n_keys = u->n_old = 0;
	u->proved = 0;
}

void kg_cli_hkupd_free(kg_cli_hkupd *u)
{
	if (!u)
		return;
	clear_keys(u);
	for (size_t i = 0; i < u->nfiles; i++)
		free(u->files[i]);
	free(u->files);
	free(u->host);
	free(u->name);
	free(u->algs);
	free(u->ip);
	free(u);
}

/* HostKeyAlgorithms names an algorithm for key's type (RSA: any rsa-sha2-*
 * or ssh-rsa); no list: all. */
static int type_permitted(const char *algs, const kg_key *k)
{
	if (!algs)
		return 1;
	if (k->type == KG_KEY_RSA)
		return kg_namelist_has(algs, "rsa-sha2-512") || kg_namelist_has(algs, "rsa-sha2-256") ||
		       kg_namelist_has(algs, "ssh-rsa");
	return kg_namelist_has(algs, kg_key_type_name(k->type));
}

static void fingerprint(const kg_key *k, char *fp, size_t n)
{
	if (kg_key_fingerprint(k, fp, n) < 0)
		snprintf(fp, n, "?");
}

static int field_is(const char *f, size_t n, const char *a, const char *b)
{
	size_t al = strlen(a);
	if (!b)
		return n == al && strncasecmp(f, a, n) == 0;
	return n == al + 1 + strlen(b) && strncasecmp(f, a, al) == 0 && f[al] == ',' &&
	       strncasecmp(f + al + 1, b, n - al - 1) == 0;
}

/* The line names the host and nothing else (a hashed name is one name;
 * with CheckHostIP "host,address" counts too). */
static int sole_name(const kg_khe_line *l, const char *name, const char *ip)
{
	if (l->hosts_len >= 3 && memcmp(l->hosts, "|1|", 3) == 0)
		return 1;
	return field_is(l->hosts, l->hosts_len, name, NULL) ||
	       (ip && (field_is(l->hosts, l->hosts_len, name, ip) || field_is(l->hosts, l->hosts_len, ip, name)));
}

static int has_pattern(const kg_khe_line *l)
{
	if (l->hosts_len >= 3 && memcmp(l->hosts, "|1|", 3) == 0)
		return 0;
	for (size_t i = 0; i < l->hosts_len; i++)
		if (l->hosts[i] == '*' || l->hosts[i] == '?' || l->hosts[i] == '!')
			return 1;
	return 0;
}

struct scan {
	kg_cli_hkupd *u;
	int first_file;
	const char *file;
	int skip;        /* a marker or pattern matched: leave the files alone */
	int alloc_err;
};

static int scan_cb(const kg_khe_line *l, void *arg)
{
	struct scan *s = arg;
	kg_cli_hkupd *u = s->u;
	if (l->status != KG_KHE_MATCHED)
		return KG_OK;
	if (l->marker != KG_KHE_MK_NONE || has_pattern(l)) {
		s->skip = 1;
		return KG_OK;
	}
	if (!l->key)
		return KG_OK;
	for (size_t i = 0; i < u->n_keys; i++) {
		if (kg_key_equal_public(u->keys[i], l->key)) {
			kg_debug3(u->log, "hostkeys_find: found %s key at %s:%zu", kg_key_type_name(l->key->type),
				  s->file, l->lineno);
			u->known[i] = 1;
			return KG_OK;
		}
	}
	/* A key of the host the server no longer has: dropped from the file
	 * we rewrite when the line names the host alone. */
	if (!s->first_file || !sole_name(l, u->name, u->ip) || u->n_old >= MAX_KEYS)
		return KG_OK;
	for (size_t i = 0; i < u->n_old; i++)
		if (kg_key_equal_public(u->old[i], l->key))
			return KG_OK;
	if (kg_key_public_copy(l->key, &u->old[u->n_old]) < 0) {
		s->alloc_err = 1;
		return KG_ERR_ALLOC;
	}
	u->n_old++;
	return KG_OK;
}

/* Parses the server's list into u->keys; 0 when it is unusable. */
static int parse_offer(kg_cli_hkupd *u, const uint8_t *data, size_t len)
{
	kg_buf in;
	kg_buf_view(&in, data, len);
	while (kg_buf_len(&in) > 0) {
		const uint8_t *blob;
		size_t blen;
		if (kg_buf_get_string_direct(&in, &blob, &blen) < 0) {
			kg_error(u->log, FN ": couldn't parse message");
			return 0;
		}
		kg_key *k = NULL;
		int r = kg_key_from_blob(blob, blen, &k);
		if (r < 0) {
			kg_debug(u->log, FN ": parse key: %s", kg_err_str(r));
			continue;  /* a type kagi does not know: disregarded, as PROTOCOL says */
		}
		char fp[KG_KEY_FP_LEN];
		fingerprint(k, fp, sizeof(fp));
		kg_debug3(u->log, FN ": received %s key %s", kg_key_type_short(k->type), fp);
		for (size_t i = 0; i < u->n_keys; i++) {
			if (kg_key_equal_public(u->keys[i], k)) {
				kg_error(u->log, FN ": received duplicated %s host key", kg_key_type_short(k->type));
				kg_key_free(k);
				return 0;
			}
		}
		if (u->n_keys >= MAX_KEYS) {
			kg_debug(u->log, FN ": too many hostkeys");
			kg_key_free(k);
			return 0;
		}
		u->permitted[u->n_keys] = type_permitted(u->algs, k);
		if (!u->permitted[u->n_keys])
			kg_debug3(u->log, FN ": %s key not permitted by HostkeyAlgorithms", kg_key_type_name(k->type));
		u->known[u->n_keys] = 0;
		u->keys[u->n_keys++] = k;
	}
	if (u->n_keys == 0) {
		kg_debug(u->log, FN ": server sent no hostkeys");
		return 0;
	}
	return 1;
}

int kg_cli_hkupd_receive(kg_cli_hkupd *u, const uint8_t *data, size_t len, kg_buf *prove)
{
	ENSURE(u != NULL && prove != NULL, KG_ERR_ARG);
	clear_keys(u);
	if (!parse_offer(u, data, len)) {
		clear_keys(u);
		return KG_HKUPD_NOTHING;
	}
	struct scan s = { .u = u };
	for (size_t f = 0; f < u->nfiles && !s.skip; f++) {
		kg_debug(u->log, FN ": searching %s for %s / %s", u->files[f], u->name, u->ip ? u->ip : "(none)");
		char *text = NULL;
		size_t tl = 0;
		int r = kg_read_text_file(u->files[f], MAX_FILE, &text, &tl, NULL);
		if (r == KG_ERR_NOT_FOUND) {
			kg_debug(u->log, FN ": hostkeys file %s does not exist", u->files[f]);
			continue;
		}
		if (r < 0) {
			kg_error(u->log, FN ": hostkeys_foreach failed for %s: %s", u->files[f], kg_err_str(r));
			clear_keys(u);
			return KG_HKUPD_NOTHING;
		}
		s.first_file = f == 0;
		s.file = u->files[f];
		kg_debug3(u->log, "hostkeys_foreach: reading file \"%s\"", u->files[f]);
		r = kg_khe_foreach(text, tl, u->name, 1, 1, scan_cb, &s);
		free(text);
		if (r < 0) {
			clear_keys(u);
			return s.alloc_err ? KG_ERR_ALLOC : KG_HKUPD_NOTHING;
		}
	}
	if (s.skip) {
		kg_debug(u->log, FN ": CA/revocation marker, manual host list or wildcard host pattern found, "
			 "skipping UserKnownHostsFile update");
		clear_keys(u);
		return KG_HKUPD_NOTHING;
	}
	size_t n_new = 0, n_kept = 0;
	for (size_t i = 0; i < u->n_keys; i++) {
		n_new += u->permitted[i] && !u->known[i];
		n_kept += u->known[i];
	}
	kg_debug3(u->log, FN ": %zu server keys: %zu new, %zu retained, 0 incomplete match. %zu to remove", u->n_keys,
		  n_new, n_kept, u->n_old);
	if (n_new == 0 && u->n_old == 0) {
		kg_debug(u->log, FN ": no new or deprecated keys from server");
		clear_keys(u);
		return KG_HKUPD_NOTHING;
	}
	if (n_new == 0) {
		u->proved = 1;
		return KG_HKUPD_UPDATE;
	}
	kg_buf blob;
	kg_buf_init(&blob, 0);
	int r = KG_OK;
	for (size_t i = 0; i < u->n_keys && r >= 0; i++) {
		if (!u->permitted[i] || u->known[i])
			continue;
		kg_buf_reset(&blob);
		r = kg_key_to_blob(u->keys[i], &blob);
		if (r >= 0)
			r = kg_buf_put_string(prove, kg_buf_ptr(&blob), kg_buf_len(&blob));
	}
	kg_buf_free(&blob);
	GUARD(r);
	kg_debug3(u->log, FN ": asking server to prove ownership for %zu keys", n_new);
	return KG_HKUPD_PROVE;
}

#define PFN "client_global_hostkeys_prove_confirm"

int kg_cli_hkupd_proved(kg_cli_hkupd *u, const uint8_t *sid, size_t sid_len, const char *kex_alg,
			const uint8_t *data, size_t len)
{
	ENSURE(u != NULL && sid != NULL, KG_ERR_ARG);
	u->proved = 0;
	kg_buf in, signdata, blob;
	kg_buf_view(&in, data, len);
	kg_buf_init(&signdata, 0);
	kg_buf_init(&blob, 0);
	int r = KG_OK;
	size_t ndone = 0;
	for (size_t i = 0; i < u->n_keys && r >= 0; i++) {
		if (!u->permitted[i] || u->known[i])
			continue;
		const uint8_t *sig;
		size_t slen;
		if (kg_buf_get_string_direct(&in, &sig, &slen) < 0) {
			kg_error(u->log, PFN ": couldn't parse message");
			r = KG_ERR_FORMAT;
			break;
		}
		kg_buf_reset(&signdata);
		kg_buf_reset(&blob);
		r = kg_key_to_blob(u->keys[i], &blob);
		if (r >= 0)
			r = kg_hostkeys_prove_data(sid, sid_len, kg_buf_ptr(&blob), kg_buf_len(&blob), &signdata);
		if (r < 0)
			break;
		/* RSA: the signature algorithm of the key exchange when it was an
		 * RSA one (else any SHA-2 one; SHA-1 is never accepted). */
		const char *alg = NULL;
		if (u->keys[i]->type == KG_KEY_RSA && kex_alg && strncmp(kex_alg, "rsa-sha2-", 9) == 0)
			alg = kex_alg;
		r = kg_key_verify(u->keys[i], alg, sig, slen, kg_buf_ptr(&signdata), kg_buf_len(&signdata));
		if (r < 0)
			kg_error(u->log, PFN ": server gave bad signature for %s key %zu: %s",
				 kg_key_type_short(u->keys[i]->type), ndone, kg_err_str(r));
		ndone++;
	}
	if (r >= 0 && kg_buf_len(&in) != 0) {
		kg_error(u->log, PFN ": protocol error");
		r = KG_ERR_FORMAT;
	}
	kg_buf_free(&signdata);
	kg_buf_free(&blob);
	if (r >= 0)
		u->proved = 1;
	return r;
}

/* UpdateHostKeys=ask: "yes" goes on, "no" (or no terminal) does not. */
static int confirm(const kg_cli_hkupd *u, int level)
{
	for (int i = 0; i < 3; i++) {
		char line[64];
		int r = kg_tty_read_line("Accept updated hostkeys? (yes/no): ", line, sizeof(line), 1);
		if (r < 0)
			return 0;
		if (strcasecmp(line, "yes") == 0)
			return 1;
		if (strcasecmp(line, "no") == 0)
			return 0;
		kg_log(u->log, level, "Please enter \"yes\" or \"no\"");
	}
	return 0;
}

static int is_old(const kg_cli_hkupd *u, const kg_key *k)
{
	for (size_t i = 0; i < u->n_old; i++)
		if (kg_key_equal_public(u->old[i], k))
			return 1;
	return 0;
}

struct rewrite {
	const kg_cli_hkupd *u;
	int level;
	kg_buf *out;
};

static int rewrite_cb(const kg_khe_line *l, void *arg)
{
	struct rewrite *w = arg;
	const kg_cli_hkupd *u = w->u;
	if (l->status == KG_KHE_MATCHED && l->marker == KG_KHE_MK_NONE && l->key && sole_name(l, u->name, u->ip) &&
	    is_old(u, l->key)) {
		kg_log(u->log, w->level, "%s:%zu: Removed %s key for host %s", u->files[0], l->lineno,
		       kg_key_type_short(l->key->type), u->name);
		return KG_OK;
	}
	GUARD(kg_buf_put(w->out, l->line, l->len));
	return kg_buf_put_u8(w->out, '\n');
}

/* Replaces path by text: a temporary file renamed over it, the old
 * contents kept as path.old (a hard link). */
static int replace_file(const char *path, const kg_buf *text, mode_t mode, int existed)
{
	size_t pl = strlen(path);
	char *tmp = malloc(pl + 12), *old = malloc(pl + 5);
	int r = KG_ERR_ALLOC;
	if (!tmp || !old)
		goto out;
	snprintf(tmp, pl + 12, "%s.XXXXXXXXXX", path);
	snprintf(old, pl + 5, "%s.old", path);
	r = KG_ERR_SYSTEM;
	int fd = mkstemp(tmp);
	if (fd < 0)
		goto out;
	const uint8_t *p = kg_buf_ptr(text);
	size_t n = kg_buf_len(text), off = 0;
	int ok = fchmod(fd, mode & 0777) == 0;
	while (ok && off < n) {
		ssize_t w = write(fd, p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		ok = w > 0;
		off += ok ? (size_t)w : 0;
	}
	ok = close(fd) == 0 && ok;
	if (ok && existed) {
		if (unlink(old) != 0 && errno != ENOENT)
			ok = 0;
		else if (link(path, old) != 0)
			ok = 0;
	}
	if (ok && rename(tmp, path) != 0)
		ok = 0;
	if (!ok)
		unlink(tmp);
	r = ok ? KG_OK : KG_ERR_SYSTEM;
out:
	free(tmp);
	free(old);
	return r;
}

int kg_cli_hkupd_apply(kg_cli_hkupd *u)
{
	ENSURE(u != NULL, KG_ERR_ARG);
	if (!u->proved || u->nfiles == 0)
		return KG_OK;
	int level = u->ask ? KG_LOG_INFO : KG_LOG_VERBOSE;
	char fp[KG_KEY_FP_LEN];
	if (u->ask) {
		kg_info(u->log, "The server has updated its host keys.");
		kg_info(u->log, "These changes were verified by the server's existing trusted key.");
	}
	for (size_t i = 0; i < u->n_keys; i++) {
		if (u->permitted[i] && !u->known[i]) {
			fingerprint(u->keys[i], fp, sizeof(fp));
			kg_log(u->log, level, "Learned new hostkey: %s %s", kg_key_type_short(u->keys[i]->type), fp);
		}
	}
	for (size_t i = 0; i < u->n_old; i++) {
		fingerprint(u->old[i], fp, sizeof(fp));
		kg_log(u->log, level, "Deprecating obsolete hostkey: %s %s", kg_key_type_short(u->old[i]->type), fp);
	}
	if (u->ask && !confirm(u, level)) {
		clear_keys(u);
		return KG_OK;
	}
	const char *path = u->files[0];
	if (strcmp(path, "/dev/null") == 0) {
		clear_keys(u);
		return KG_OK;
	}
	char *text = NULL;
	size_t tl = 0;
	struct stat st;
	int r = kg_read_text_file(path, MAX_FILE, &text, &tl, &st);
	int existed = r == KG_OK;
	if (r == KG_ERR_NOT_FOUND) {
		st.st_mode = 0600;
		r = KG_OK;
	}
	kg_buf out;
	kg_buf_init(&out, 0);
	struct rewrite w = { .u = u, .level = KG_LOG_VERBOSE, .out = &out };
	if (r >= 0 && existed)
		r = kg_khe_foreach(text, tl, u->name, 0, 1, rewrite_cb, &w);
	for (size_t i = 0; i < u->n_keys && r >= 0; i++) {
		if (!u->permitted[i] || u->known[i])
			continue;
		fingerprint(u->keys[i], fp, sizeof(fp));
		kg_verbose(u->log, "Adding new key for %s to %s: %s %s", u->name, path,
		       kg_key_type_name(u->keys[i]->type), fp);
		r = kg_cli_hostkey_entry(u->name, u->ip, u->keys[i], u->hash, &out);
	}
	if (r >= 0)
		r = replace_file(path, &out, st.st_mode, existed);
	if (r < 0)
		kg_error(u->log, "update_known_hosts: hostfile_replace_entries failed for %s: %s", path,
			 r == KG_ERR_SYSTEM ? strerror(errno) : kg_err_str(r));
	free(text);
	kg_buf_free(&out);
	clear_keys(u);
	return r;
}

static int prove_reply(void *arg, int ok, const uint8_t *data, size_t len)
{
	kg_cli_hkupd *u = arg;
	if (!ok) {
		kg_error(u->log, "Server failed to confirm ownership of private host keys");
		clear_keys(u);
		return KG_OK;
	}
	size_t sid_len = 0;
	const uint8_t *sid = kg_tr_session_id(u->eng->tr, &sid_len);
	const kg_kex_result *kex = kg_tr_kex_result(u->eng->tr);
	if (!sid || kg_cli_hkupd_proved(u, sid, sid_len, kex ? kex->hostkey_alg : NULL, data, len) < 0) {
		clear_keys(u);
		return KG_OK;
	}
	return kg_cli_hkupd_apply(u) == KG_ERR_ALLOC ? KG_ERR_ALLOC : KG_OK;
}

int kg_cli_hkupd_on_global(void *arg, kg_conn *c, const kg_conn_event *ev)
{
	kg_cli_hkupd *u = arg;
	kg_debug(u->log, "client_input_global_request: rtype %s want_reply %d", ev->name, ev->want_reply);
	int done = 0;
	if (u->seen) {
		kg_debug(u->log, FN ": server already sent hostkeys");
	} else {
		u->seen = 1;
		kg_buf prove;
		kg_buf_init(&prove, 0);
		int r = kg_cli_hkupd_receive(u, ev->data, ev->len, &prove);
		if (r == KG_HKUPD_PROVE && u->eng)
			r = kg_engine_send_global(u->eng, KG_HOSTKEYS_PROVE_REQ, kg_buf_ptr(&prove), kg_buf_len(&prove),
						  prove_reply, u);
		else if (r == KG_HKUPD_UPDATE)
			r = kg_cli_hkupd_apply(u);
		kg_buf_free(&prove);
		if (r == KG_ERR_ALLOC)
			return r;
		done = r >= 0;
	}
	return ev->want_reply ? kg_conn_global_reply(c, done, NULL, 0) : KG_OK;
}

int kg_cli_hkupd_setup(kg_cli_hkupd **out, const kg_cli_hkupd_opts *o, int mode, int trusted, int ask_ok,
		       kg_engine *eng, kg_cli_dispatch *d)
{
	ENSURE(out != NULL && o != NULL && d != NULL, KG_ERR_ARG);
	*out = NULL;
	if (mode == KG_UHK_ASK && !ask_ok) {
		kg_debug(o->log, "UpdateHostKeys=ask is incompatible with remote command execution; disabling");
		return KG_OK;
	}
	if (mode == KG_UHK_NO || !trusted || o->nfiles == 0)
		return KG_OK;
	kg_cli_hkupd_opts oo = *o;
	oo.ask = mode == KG_UHK_ASK;
	GUARD(kg_cli_hkupd_new(out, &oo, eng));
	int r = kg_cli_on_global(d, KG_HOSTKEYS_REQ, kg_cli_hkupd_on_global, *out);
	if (r < 0) {
		kg_cli_hkupd_free(*out);
		*out = NULL;
	}
	return r;
}
