/* Client connection set-up: connect, key exchange, host key check,
 * identities and user authentication, on the connection engine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <limits.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <openssl/crypto.h>
#include "core/defaults.h"
#include "core/cipher.h"
#include "core/kex.h"
#include "core/keyfile.h"
#include "core/names.h"
#include "core/randomart.h"
#include "conn/cli-agent-add.h"
#include "conn/cli-conn.h"
#include "conn/cli-hostkey.h"
#include "conn/cli-jump.h"
#include "conn/cli-keyload.h"
#include "config/client-tokens.h"
#include "config/known-hosts.h"
#include "config/known-hosts-edit.h"
#include "sys/net.h"
#include "sys/tty.h"

/* The program's own name for "prog: message" lines (kssh, kscp, ksftp). */
static const char *prog_name(const kg_client *c)
{
	return c->log && c->log->ident ? c->log->ident : "kssh";
}

static int load_private_cb(void *arg, kg_cli_identity *id)
{
	kg_client *c = arg;
	if (id->priv)
		return KG_OK;
	int r = kg_client_load_private(c->log, id->path, c->cfg->batch_mode == 1, &id->priv);
	if (r == KG_OK)
		kg_cli_agent_add_key(c, id);  /* agentfwd: AddKeysToAgent */
	return r;
}

/* ~, ${ENV} and %-tokens as ssh_config(5) allows them for keyword kw. */
static int expand_path(const kg_client *c, const char *kw, const char *raw, char **out)
{
	kg_cfg_err e;
	int r = kg_cli_expand(c->cfg, c->home, c->local_user, kw, raw, out, &e);
	if (r == KG_ERR_CONFIG)
		kg_error(c->log, "%s: %s", prog_name(c), e.msg);
	return r;
}

/* Tells the observer (--explain) about an identity or agent before
 * authentication starts: a key file that cannot be used, the agent. */
static void id_event(const kg_client *c, enum kg_cli_auth_event_type type, const char *path, int err,
		     size_t count)
{
	if (!c->hooks.auth_event)
		return;
	kg_cli_identity id = { .path = path, .from_cmdline = !c->cfg->identity_files_default };
	kg_cli_auth_event ev = { .type = type, .text = type == KG_AUTH_EV_AGENT ? path : NULL,
				 .id = type == KG_AUTH_EV_AGENT ? NULL : &id, .err = err, .count = count };
	c->hooks.auth_event(c->hooks.arg, &ev);
}

/* Connects to the agent (IdentityAgent, else SSH_AUTH_SOCK) and puts its
 * keys among the identities; an agent that cannot be reached is skipped. */
static int open_agent(kg_client *c)
{
	c->agent.fd = -1;
	if (c->cfg->pubkey_authentication == 0)
		return KG_OK;
	const char *ia = c->cfg->identity_agent;
	char *path = NULL;
	if (ia && strcasecmp(ia, "none") != 0 && strcmp(ia, "SSH_AUTH_SOCK") != 0 && ia[0] != '$') {
		GUARD(expand_path(c, "IdentityAgent", ia, &path));
	} else {
		GUARD(kg_agent_socket_path(ia, &path));
	}
	if (!path)
		return KG_OK;
	if (kg_agent_open(path, &c->agent) < 0) {
		kg_debug(c->log, "get_agent_identities: ssh_get_authentication_socket: %s", strerror(errno));
		id_event(c, KG_AUTH_EV_AGENT, path, KG_ERR_SYSTEM, 0);
		free(path);
		return KG_OK;
	}
	c->agent_path = path;
	int n = kg_agent_merge_identities(&c->agent, c->cfg->identities_only == 1, &c->ids, &c->n_ids);
	if (n < 0) {
		kg_debug(c->log, "get_agent_identities: agent refused the list: %s", kg_err_str(n));
		id_event(c, KG_AUTH_EV_AGENT, path, n, 0);
		kg_agent_close(&c->agent);
		c->agent.fd = -1;
		return KG_OK;
	}
	kg_debug(c->log, "get_agent_identities: agent returned %d keys", n);
	id_event(c, KG_AUTH_EV_AGENT, path, KG_OK, (size_t)n);
	return KG_OK;
}

static int agent_sign_cb(void *arg, kg_cli_identity *id, const char *alg, const uint8_t *data, size_t len,
			 kg_buf *sig)
{
	kg_client *c = arg;
	ENSURE(c->agent.fd >= 0, KG_ERR_NOT_FOUND);
	kg_buf blob;
	kg_buf_init(&blob, 0);
	int r = kg_key_to_blob(id->pub, &blob);
	if (r >= 0)
		r = kg_agent_sign(&c->agent, kg_buf_ptr(&blob), kg_buf_len(&blob), data, len,
				  kg_agent_sign_flags(id->pub->type, alg), sig);
	if (r < 0)
		kg_debug(c->log, "agent refused to sign with %s: %s", id->path ? id->path : "", kg_err_str(r));
	kg_buf_free(&blob);
	return r;
}

/* Loads the public half of every identity: from "path.pub", or else from
 * the private key file itself (which may ask for its passphrase). */
static int prepare_identities(kg_client *c)
{
	const kg_strlist *files = &c->cfg->identity_files;
	c->ids = calloc(files->n ? files->n : 1, sizeof(*c->ids));
	ENSURE(c->ids != NULL, KG_ERR_ALLOC);
	for (size_t i = 0; i < files->n; i++) {
		char *path = NULL;
		if (expand_path(c, "IdentityFile", files->v[i], &path) < 0)
			continue;
		kg_cli_identity *id = &c->ids[c->n_ids];
		char *pubpath = malloc(strlen(path) + 5);
		ENSURE(pubpath != NULL, KG_ERR_ALLOC);
		sprintf(pubpath, "%s.pub", path);
		char *text = NULL;
		size_t len;
		if (kg_read_text_file(pubpath, 64 * 1024, &text, &len, NULL) == KG_OK) {
			if (kg_key_from_line(text, &id->pub) < 0)
				id->pub = NULL;
			free(text);
		}
		free(pubpath);
		/* IdentityFile naming the public key itself (the agent holds
		 * the private half), as OpenSSH allows. */
		if (!id->pub && kg_read_text_file(path, 64 * 1024, &text, &len, NULL) == KG_OK) {
			if (kg_key_from_line(text, &id->pub) < 0)
				id->pub = NULL;
			OPENSSL_cleanse(text, len);  /* it may have been the private key */
			free(text);
		}
		if (!id->pub) {
			if (access(path, F_OK) != 0) {
				if (!c->cfg->identity_files_default) {
					kg_info(c->log, "Warning: Identity file %s not accessible: %s.", path, strerror(errno));
					id_event(c, KG_AUTH_EV_KEY_UNUSABLE, path, KG_ERR_NOT_FOUND, 0);
				}
				free(path);
				continue;
			}
			int lr = kg_client_load_private(c->log, path, c->cfg->batch_mode == 1, &id->priv);
			if (lr >= 0)
				lr = kg_key_public_copy(id->priv, &id->pub);
			if (lr < 0) {
				id_event(c, KG_AUTH_EV_KEY_UNUSABLE, path, lr, 0);
				kg_key_free(id->priv);
				id->priv = NULL;
				free(path);
				continue;
			}
		}
		id->path = path;
		id->from_cmdline = !c->cfg->identity_files_default;
		kg_debug(c->log, "identity file %s type %s", path, kg_key_type_name(id->pub->type));
		c->n_ids++;
	}
	return open_agent(c);
}

/* ---------------- host key ---------------- */

/* The name known_hosts knows the host by: HostKeyAlias as given (no
 * port), else the host name with its port. */
static const char *kh_host(const kg_client *c)
{
	return c->cfg->host_key_alias ? c->cfg->host_key_alias : c->cfg->hostname;
}

static int kh_port(const kg_client *c)
{
	return c->cfg->host_key_alias ? 22 : c->cfg->port;
}

static int add_known_host(kg_client *c, const kg_key *key, const char *name)
{
	if (c->cfg->user_known_hosts_files.n == 0)
		return KG_OK;
	char *path = NULL;
	kg_buf line;
	kg_buf_init(&line, 0);
	int r = expand_path(c, "UserKnownHostsFile", c->cfg->user_known_hosts_files.v[0], &path);
	if (r >= 0)
		r = kg_known_hosts_format_entry(kh_host(c), kh_port(c), key, c->cfg->hash_known_hosts == 1, &line);
	if (r >= 0)
		r = kg_known_hosts_append(path, (const char *)kg_buf_ptr(&line), kg_buf_len(&line));
	/* Both at INFO, as OpenSSH logs them: LogLevel ERROR hides them. */
	if (r >= 0)
		kg_info(c->log, "Warning: Permanently added '%s' (%s) to the list of known hosts.", name,
			kg_key_type_short(key->type));
	else
		kg_info(c->log, "Failed to add the host to the list of known hosts (%s).", path ? path : "?");
	free(path);
	kg_buf_free(&line);
	return KG_OK;
}

static int verify_hostkey(void *arg, const kg_key *key, const kg_kex_result *kex)
{
	kg_client *c = arg;
	(void)kex;
	const kg_client_config *cfg = c->cfg;
	if (c->hooks.peer_version)
		c->hooks.peer_version(c->hooks.arg, kg_tr_peer_version(c->tr));
	char fp[128], *name = NULL;
	GUARD(kg_key_fingerprint(key, fp, sizeof(fp)));
	GUARD(kg_known_hosts_name(kh_host(c), kh_port(c), &name));
	if (cfg->host_key_alias)
		kg_debug(c->log, "using hostkeyalias: %s", cfg->host_key_alias);
	/* VisualHostKey: the fingerprint and its picture at every login. */
	char art[KG_RANDOMART_LEN];
	if (cfg->visual_host_key == 1 && kg_key_randomart(key, KG_FP_SHA256, art, sizeof(art)) == KG_OK) {
		kg_info(c->log, "Host key fingerprint is %s", fp);
		for (const char *l = art; *l;) {
			size_t n = strcspn(l, "\n");
			kg_info(c->log, "%.*s", (int)n, l);
			l += n + (l[n] == '\n');
		}
	}
	const char **files = calloc(cfg->user_known_hosts_files.n + cfg->global_known_hosts_files.n + 1, sizeof(char *));
	ENSURE(files != NULL, KG_ERR_ALLOC);
	size_t nf = 0;
	for (size_t i = 0; i < cfg->user_known_hosts_files.n; i++) {
		char *p = NULL;
		if (expand_path(c, "UserKnownHostsFile", cfg->user_known_hosts_files.v[i], &p) == KG_OK)
			files[nf++] = p;
	}
	for (size_t i = 0; i < cfg->global_known_hosts_files.n; i++)
		files[nf++] = strdup(cfg->global_known_hosts_files.v[i]);
	kg_kh_result res;
	kg_kh_result_init(&res);
	int r = kg_known_hosts_check_files(files, nf, kh_host(c), kh_port(c), key, &res);
	int shkc = cfg->strict_host_key_checking;
	const char *status = "new";
	if (r < 0) {
		kg_error(c->log, "known_hosts check failed: %s", kg_err_str(r));
		goto out;
	}
	switch (res.status) {
	case KG_KH_MATCH:
		kg_debug(c->log, "Host '%s' is known and matches the %s host key.", name, kg_key_type_short(key->type));
		kg_debug(c->log, "Found key in %s:%zu", res.file, res.line);
		status = "known";
		r = KG_OK;
		break;
	case KG_KH_REVOKED:
		kg_error(c->log, "Host key %s %s revoked by file %s", kg_key_type_short(key->type), fp, res.file);
		status = "revoked";
		r = KG_ERR_REVOKED;
		break;
	case KG_KH_CHANGED:
		kg_cli_hostkey_changed(c->log, key, fp, &res, name);
		status = "changed";
		if (shkc == KG_SHKC_NO) {
			kg_error(c->log, "Password authentication is disabled to avoid man-in-the-middle attacks.");
			c->password_disabled = 1;
			r = KG_OK;
		} else {
			kg_error(c->log, "Host key verification failed.");
			r = KG_ERR_HOSTKEY_CHANGED;
		}
		break;
	case KG_KH_NEW:
	default:
		if (shkc == KG_SHKC_YES) {
			kg_error(c->log, "No %s host key is known for %s and you have requested strict checking.",
				 kg_key_type_short(key->type), name);
			kg_error(c->log, "Host key verification failed.");
			r = KG_ERR_HOSTKEY_REJECTED;
			break;
		}
		if (shkc == KG_SHKC_ASK) {
			char q[1024];
			if (c->cfg->batch_mode == 1) {
				kg_error(c->log, "Host key verification failed.");
				r = KG_ERR_HOSTKEY_REJECTED;
				break;
			}
			snprintf(q, sizeof(q),
				 "The authenticity of host '%s (%s)' can't be established.\r\n"
				 "%s key fingerprint is %s.\r\n"
				 "Are you sure you want to continue connecting (yes/no/[fingerprint])? ",
				 name, c->peer_ip, kg_key_type_short(key->type), fp);
			int yes = kg_tty_ask_confirm(q, fp);
			if (yes != 1) {
				kg_error(c->log, "Host key verification failed.");
				r = KG_ERR_HOSTKEY_REJECTED;
				break;
			}
		}
		r = add_known_host(c, key, name);
		status = "new";
		break;
	}
	if (c->hooks.hostkey)
		c->hooks.hostkey(c->hooks.arg, key, status, res.file, res.line);
out:
	for (size_t i = 0; i < nf; i++)
		free((char *)files[i]);
	free(files);
	free(name);
	return r;
}

/* ---------------- auth ---------------- */

static int get_password(void *arg, char *buf, size_t len)
{
	kg_client *c = arg;
	if (c->cfg->batch_mode == 1)
		return KG_ERR_AUTH_FAILED;
	char prompt[600];
	snprintf(prompt, sizeof(prompt), "%s@%s's password: ", c->cfg->user, c->cfg->hostname);
	return kg_tty_read_secret(prompt, buf, len);
}

/* keyboard-interactive: the name and instruction go to stderr as ssh
 * prints them; each prompt is asked on the terminal as
 * "(user@host) PROMPT", echoing what is typed when the server says so. */
static int kbd_answer(void *arg, const kg_kbd_request *q, kg_kbd_response *r)
{
	kg_client *c = arg;
	if (c->cfg->batch_mode == 1)
		return KG_ERR_AUTH_FAILED;
	if (q->name && q->name[0])
		kg_info(c->log, "%s", q->name);
	if (q->instruction && q->instruction[0])
		kg_info(c->log, "%s", q->instruction);
	for (size_t i = 0; i < q->n; i++) {
		char prompt[KG_KBD_MAX_TEXT + 600], line[KG_KBD_MAX_ANSWER + 1];
		snprintf(prompt, sizeof(prompt), "(%s@%s) %s", c->cfg->user, c->cfg->hostname, q->prompts[i].text);
		int rc = kg_tty_read_line(prompt, line, sizeof(line), q->prompts[i].echo);
		if (rc >= 0 && (r->answers[i] = strdup(line)) == NULL)
			rc = KG_ERR_ALLOC;
		OPENSSL_cleanse(line, sizeof(line));
		if (rc < 0)
			return rc;
		r->n = i + 1;
	}
	r->n = q->n;
	return KG_OK;
}

static void auth_event(void *arg, const kg_cli_auth_event *ev)
{
	kg_client *c = arg;
	switch (ev->type) {
	case KG_AUTH_EV_BANNER:
		/* Line by line on stderr, as ssh shows it (not at LogLevel QUIET/FATAL/ERROR). */
		for (const char *l = ev->text; *l;) {
			size_t n = strcspn(l, "\n");
			kg_info(c->log, "%.*s", (int)n, l);
			l += n + (l[n] == '\n');
		}
		break;
	case KG_AUTH_EV_METHODS:
		kg_debug(c->log, "Authentications that can continue: %s", ev->text);
		/* Kept for "Permission denied (...)", which names what the server allows. */
		free(c->auth_methods);
		c->auth_methods = ev->text ? strdup(ev->text) : NULL;
		break;
	case KG_AUTH_EV_KEY_OFFERED:
		kg_debug(c->log, "Offering public key: %s %s", ev->id->path, ev->alg);
		break;
	case KG_AUTH_EV_KEY_ACCEPTED:
		kg_debug(c->log, "Server accepts key: %s %s", ev->id->path, ev->alg);
		break;
	case KG_AUTH_EV_SUCCESS:
		kg_verbose(c->log, "Authenticated to %s ([%s]:%d) using \"%s\".", c->cfg->hostname, c->peer_ip,
			   c->peer_port, ev->text);
		break;
	default:
		break;
	}
	if (c->hooks.auth_event)
		c->hooks.auth_event(c->hooks.arg, ev);
}

/* PreferredAuthentications names the methods to use (unset: all). */
static int preferred(const kg_client *c, const char *method)
{
	const char *p = c->cfg->preferred_authentications;
	return !p || kg_namelist_has(p, method);
}

/* kssh tries publickey, then keyboard-interactive, then password (ssh's
 * default order), whatever the order asked for. */
static void preferred_order_note(const kg_client *c)
{
	static const char *const order[] = { "publickey", "keyboard-interactive", "password" };
	const char *p = c->cfg->preferred_authentications;
	const char *last = NULL;
	for (size_t i = 0; p && i < KG_ARRAY_LEN(order); i++) {
		const char *at = preferred(c, order[i]) ? strstr(p, order[i]) : NULL;
		if (!at)
			continue;
		if (last && at < last) {
			kg_info(c->log, "PreferredAuthentications: the order is not supported yet; publickey is tried "
				"before keyboard-interactive, and keyboard-interactive before password");
			return;
		}
		last = at;
	}
}

/* ---------------- connection layer ---------------- */

/* 1 for exit-status or exit-signal, with the status in *status. */
static int exit_request(const kg_client *c, const kg_conn_event *ev, int *status)
{
	if (strcmp(ev->name, "exit-status") == 0) {
		uint32_t st;
		if (kg_req_parse_u32(ev->data, ev->len, &st) != KG_OK)
			return 0;
		*status = (int)(st & 0xff);
		return 1;
	}
	if (strcmp(ev->name, "exit-signal") == 0) {
		kg_exit_signal es;
		if (kg_req_parse_exit_signal(ev->data, ev->len, &es) == KG_OK)
			kg_debug(c->log, "remote command killed by signal %.*s", (int)es.signame.len, (const char *)es.signame.p);
		*status = 255;
		return 1;
	}
	return 0;
}

int kg_client_channel_request(const kg_client *c, kg_consumer *k, const kg_conn_event *ev, int *status, int *got_exit)
{
	if (exit_request(c, ev, status))
		*got_exit = 1;
	return ev->want_reply ? kg_conn_request_reply(&k->eng->conn, k->ch, 0) : KG_OK;
}

/* Observers get the hooks' own argument, the transport gets c. */
static void trace_tramp(void *arg, int sent, const uint8_t *p, size_t n);
static void kex_tramp(void *arg, const kg_kex_result *k);

/* With the default HostKeyAlgorithms, known host key types go first. */
static int known_types_first(kg_client *c)
{
	if (c->cfg->host_key_algorithms)
		return KG_OK;
	const kg_strlist *lists[] = { &c->cfg->user_known_hosts_files, &c->cfg->global_known_hosts_files };
	size_t total = lists[0]->n + lists[1]->n, n = 0;
	char **paths = calloc(total ? total : 1, sizeof(*paths));
	ENSURE(paths != NULL, KG_ERR_ALLOC);
	int r = KG_OK;
	for (size_t li = 0; li < 2 && r >= 0; li++)
		for (size_t i = 0; i < lists[li]->n && r >= 0; i++)
			if ((r = expand_path(c, "UserKnownHostsFile", lists[li]->v[i], &paths[n])) == KG_OK)
				n++;
	int changed = 0;
	if (r >= 0)
		r = kg_cli_hostkey_order(kh_host(c), kh_port(c), (const char *const *)paths, n, &c->hostkey_algs,
					 &changed);
	if (r >= 0 && changed)
		kg_debug(c->log, "preferring host key algorithms: %s", c->hostkey_algs);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return r;
}

static int setup_transport(kg_client *c)
{
	kg_client_config *cfg = c->cfg;
	GUARD(kg_cfg_algorithms(c->log, "key exchange", KG_KEX_CLIENT_DEFAULT, kg_kex_all_names(), cfg->kex_algorithms, &c->kex_algs));
	GUARD(kg_cfg_algorithms(c->log, "host key algorithm", KG_HOSTKEY_CLIENT_DEFAULT, KG_HOSTKEY_ALL, cfg->host_key_algorithms,
		       &c->hostkey_algs));
	GUARD(known_types_first(c));
	GUARD(kg_cfg_algorithms(c->log, "cipher", KG_CIPHERS_CLIENT_DEFAULT, kg_cipher_all_names(), cfg->ciphers, &c->ciphers));
	GUARD(kg_cfg_algorithms(c->log, "MAC", KG_MACS_CLIENT_DEFAULT, kg_mac_all_names(), cfg->macs, &c->macs));
	kg_tr_config *t = &c->trc;
	memset(t, 0, sizeof(*t));
	t->kex_algs = c->kex_algs;
	t->hostkey_algs = c->hostkey_algs;
	t->ciphers = c->ciphers;
	t->macs = c->macs;
	t->compression = cfg->compression == 1 ? "zlib@openssh.com,none" : "none,zlib@openssh.com";
	t->rekey_bytes = cfg->rekey_limit.bytes;
	t->rekey_seconds = cfg->rekey_limit.seconds > 0 ? (uint32_t)cfg->rekey_limit.seconds : 0;
	t->verify_hostkey = verify_hostkey;
	/* kg_tr_new copies this config: the trampolines must be in it now. */
	t->trace = c->hooks.trace ? trace_tramp : NULL;
	t->kex_done = kex_tramp;
	t->cb_arg = c;
	return kg_tr_new(&c->tr, t);
}

static void trace_tramp(void *arg, int sent, const uint8_t *p, size_t n)
{
	kg_client *c = arg;
	c->hooks.trace(c->hooks.arg, sent, p, n);
}

static void kex_tramp(void *arg, const kg_kex_result *k)
{
	kg_client *c = arg;
	kg_verbose(c->log, "kex: algorithm: %s, host key algorithm: %s", k->kex, k->hostkey_alg);
	kg_verbose(c->log, "kex: server->client cipher: %s MAC: %s compression: %s", k->cipher_s2c,
		   k->mac_s2c ? k->mac_s2c : "<implicit>", k->comp_s2c);
	kg_verbose(c->log, "kex: client->server cipher: %s MAC: %s compression: %s", k->cipher_c2s,
		   k->mac_c2s ? k->mac_c2s : "<implicit>", k->comp_c2s);
	if (c->hooks.kex_done)
		c->hooks.kex_done(c->hooks.arg, k);
}

/* Every message until the user is authenticated: userauth only, once
 * authentication has started. */
static int auth_message(void *arg, int type, const uint8_t *p, size_t n)
{
	kg_client *c = arg;
	if (!c->auth || (type != SSH_MSG_SERVICE_ACCEPT && (type < 50 || type > 79))) {
		kg_tr_disconnect(c->tr, SSH_DISCONNECT_PROTOCOL_ERROR, "unexpected message");
		return KG_ERR_UNEXPECTED_MSG;
	}
	int r = kg_cli_auth_handle(c->auth, (uint8_t)type, p, n);
	if (r == 1) {
		c->authenticated = 1;
		kg_conn_config cc;
		kg_conn_config_default(&cc);
		cc.window = KG_CLIENT_WINDOW;
		cc.max_packet = KG_CLIENT_MAXPKT;
		cc.max_window = KG_CONN_WINDOW_GROW_MAX;
		return kg_engine_start_channels(&c->eng, &cc, KG_CONN_CLIENT);
	}
	if (r == KG_ERR_AUTH_FAILED) {
		kg_error(c->log, "%s@%s: Permission denied (%s).", c->cfg->user, c->cfg->hostname,
			 c->auth_methods ? c->auth_methods : "");
		kg_tr_disconnect(c->tr, SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE, "no more authentication methods");
	}
	return r < 0 ? r : KG_OK;
}

static int kex_finished(void *arg)
{
	return kg_tr_ready(((kg_client *)arg)->tr);
}

static int authenticated(void *arg)
{
	return ((kg_client *)arg)->authenticated;
}

static int start_auth(kg_client *c)
{
	kg_client_config *cfg = c->cfg;
	kg_cli_auth_config ac = {
		.user = cfg->user, .ids = c->ids, .n_ids = c->n_ids,
		.try_pubkey = cfg->pubkey_authentication != 0 && preferred(c, "publickey"),
		.try_password = cfg->password_authentication != 0 && !c->password_disabled && preferred(c, "password"),
		.try_kbd = cfg->kbd_interactive_authentication != 0 && !c->password_disabled &&
			   preferred(c, "keyboard-interactive"),
		.kbd_devices = cfg->kbd_interactive_devices,
		.password_prompts = cfg->number_of_password_prompts,
		.load_private = load_private_cb, .get_password = get_password, .agent_sign = agent_sign_cb,
		.kbd_answer = kbd_answer,
		.event = auth_event, .cb_arg = c,
	};
	/* session-bind@openssh.com before the agent signs (PROTOCOL.agent);
	 * an agent without it is fine. */
	if (c->agent_path && kg_agent_session_bind(&c->agent, c->tr, 0) == KG_OK)
		kg_debug(c->log, "bound agent to hostkey");
	else if (c->agent_path)
		kg_debug2(c->log, "ssh_agent_bind_hostkey: agent refused operation");
	GUARD(kg_cli_auth_start(&c->auth, &ac, c->tr));
	kg_engine_kick(&c->eng);
	return KG_OK;
}

static int open_request(void *arg, kg_channel *ch, const kg_conn_event *ev)
{
	kg_client *c = arg;
	return kg_cli_dispatch_open(&c->dispatch, &c->eng.conn, ch, ev);
}

static int global_request(void *arg, const kg_conn_event *ev)
{
	kg_client *c = arg;
	return kg_cli_dispatch_global(&c->dispatch, &c->eng.conn, ev);
}

int kg_client_open(kg_client *c)
{
	kg_client_config *cfg = c->cfg;
	char err[512];
	int r;
	kg_loop_init(&c->loop);
	c->loop_ready = 1;
	if (c->fd < 0 && cfg->proxy_jump && strcasecmp(cfg->proxy_jump, "none") != 0) {
		GUARD(kg_cli_jump_connect(c));
	} else if (c->fd < 0) {
		char port[16];
		snprintf(port, sizeof(port), "%d", cfg->port);
		kg_debug(c->log, "Connecting to %s port %s.", cfg->hostname, port);
		/* ConnectionAttempts: tries one second apart, as ssh. */
		for (int attempt = 0;; attempt++) {
			r = kg_net_connect(cfg->hostname, port, cfg->address_family,
					   cfg->connect_timeout > 0 ? cfg->connect_timeout * 1000 : 0, &c->fd, err, sizeof(err));
			if (r >= 0 || r == KG_ERR_NOT_FOUND || attempt + 1 >= cfg->connection_attempts)
				break;
			sleep(1);
			kg_debug(c->log, "Trying again...");
		}
		if (r < 0) {
			kg_error(c->log, "%s: %s", prog_name(c), err);
			return r;
		}
		if (kg_net_set_keepalive(c->fd, cfg->tcp_keepalive != 0) < 0)
			kg_debug(c->log, "setsockopt SO_KEEPALIVE: %s", strerror(errno));
		if (kg_net_peer_strings(c->fd, c->peer_ip, sizeof(c->peer_ip), &c->peer_port) < 0)
			snprintf(c->peer_ip, sizeof(c->peer_ip), "%s", cfg->hostname);
		kg_debug(c->log, "Connection established.");
	} else {
		snprintf(c->peer_ip, sizeof(c->peer_ip), "%s", cfg->hostname);
		c->peer_port = cfg->port;
		GUARD(kg_net_set_nonblock(c->fd, 1));
	}
	GUARD(kg_cli_agent_add_check(c));  /* agentfwd: AddKeysToAgent's value */
	GUARD(prepare_identities(c));
	preferred_order_note(c);
	GUARD(setup_transport(c));
	kg_engine_hooks hooks = { .message = auth_message, .open_request = open_request,
				  .global_request = global_request, .arg = c };
	GUARD(kg_engine_init(&c->eng, &c->loop, c->fd, c->fd, c->tr, &hooks));
	c->eng_ready = 1;
	c->eng.proto_error = "channel protocol error";
	/* ConnectTimeout also bounds each silence until the keys are agreed. */
	r = kg_engine_run(&c->eng, kex_finished, c, cfg->connect_timeout > 0 ? cfg->connect_timeout * 1000 : -1);
	if (r == KG_ERR_TIMEOUT) {
		kg_error(c->log, "Connection timed out during banner exchange");
		return r;
	}
	if (r >= 0)
		r = start_auth(c);
	if (r >= 0)
		r = kg_engine_run(&c->eng, authenticated, c, -1);
	if (r >= 0)
		r = kg_cli_alive_start(&c->alive, &c->eng, c->log, cfg->hostname,
				       (uint64_t)cfg->server_alive_interval * 1000, cfg->server_alive_count_max);
	if (r >= 0)
		return kg_engine_flush(&c->eng, KG_CLIENT_FLUSH_MS);
	if (r == KG_ERR_CLOSED && c->eng.peer_eof) {
		kg_error(c->log, "Connection closed by %s port %d", c->peer_ip, c->peer_port);
		return r;
	}
	if (r != KG_ERR_AUTH_FAILED && r != KG_ERR_HOSTKEY_CHANGED && r != KG_ERR_HOSTKEY_REJECTED && r != KG_ERR_REVOKED) {
		const char *why = kg_tr_error_text(c->tr);
		kg_error(c->log, "%s port %d: %s", c->peer_ip, c->peer_port, why && *why ? why : kg_err_str(r));
	}
	(void)!kg_engine_flush(&c->eng, KG_CLIENT_FLUSH_MS);
	return r;
}

void kg_client_close(kg_client *c)
{
	kg_cli_alive_stop(&c->alive);
	if (c->eng_ready)
		kg_engine_free(&c->eng);
	c->eng_ready = 0;
	if (c->loop_ready)
		kg_loop_free(&c->loop);
	c->loop_ready = 0;
	kg_cli_auth_free(c->auth);
	c->auth = NULL;
	free(c->auth_methods);
	c->auth_methods = NULL;
	kg_tr_free(c->tr);
	c->tr = NULL;
	for (size_t i = 0; i < c->n_ids; i++) {
		kg_key_free(c->ids[i].pub);
		kg_key_free(c->ids[i].priv);
		free((char *)c->ids[i].path);
	}
	free(c->ids);
	c->ids = NULL;
	if (c->agent_path)  /* set only once the agent was reached */
		kg_agent_close(&c->agent);
	free(c->agent_path);
	c->agent_path = NULL;
	free(c->agent_fwd_path);
	c->agent_fwd_path = NULL;
	c->n_ids = 0;
	free(c->kex_algs);
	free(c->hostkey_algs);
	free(c->ciphers);
	free(c->macs);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	kg_cli_jump_reap(c);
}
