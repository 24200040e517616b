/* One server connection: set-up of the transport, authentication
 * callbacks, access checks, and the hooks it gives the connection engine. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <openssl/crypto.h>
#include "core/cipher.h"
#include "core/defaults.h"
#include "core/kex.h"
#include "core/keyfile.h"
#include "core/names.h"
#include "sys/fail-delay.h"
#include "sys/loop.h"
#include "sys/password.h"
#include "config/svr-access.h"
#include "config/server-match.h"
#include "conn/svr-conn.h"
#include "conn/svr-hostkeys.h"
#include "sys/user-id.h"
#include "conn/svr-session.h"


#define FLUSH_TIMEOUT_MS 5000

/* ---------------- authentication, decided by the monitor ---------------- */

/* The user the client names, kept for the log and the exit status; the
 * monitor says whether it is valid. */
static void note_user(kg_svr_conn *sc, const char *user)
{
	if (!sc->ac.user_name)
		sc->ac.user_name = strdup(user);
	sc->user_invalid = !sc->mon->user_valid;
}

static int check_pubkey(void *arg, const char *user, const kg_key *key, int final)
{
	kg_svr_conn *sc = arg;
	if (final)
		return KG_ERR_INTERNAL;  /* verify_pubkey decides signed requests */
	int r = kg_svr_mon_pubkey_query(sc->mon, user, key);
	note_user(sc, user);
	return r;
}

static int verify_pubkey(void *arg, const char *user, const char *alg, const uint8_t *blob, size_t blob_len,
			 const uint8_t *sig, size_t sig_len)
{
	kg_svr_conn *sc = arg;
	int r = kg_svr_mon_pubkey_verify(sc->mon, user, alg, blob, blob_len, sig, sig_len);
	note_user(sc, user);
	return r;
}

static int check_password(void *arg, const char *user, const char *password)
{
	kg_svr_conn *sc = arg;
	int r = kg_svr_mon_password(sc->mon, user, password);
	note_user(sc, user);
	return r;
}

static int kbd_start(void *arg, const char *user, const char *devices, kg_kbd_request *q)
{
	kg_svr_conn *sc = arg;
	int r = kg_svr_mon_kbd_start(sc->mon, user, devices, q);
	note_user(sc, user);
	return r;
}

static int kbd_answer(void *arg, const char *user, const kg_kbd_response *resp, kg_kbd_request *q)
{
	kg_svr_conn *sc = arg;
	return kg_svr_mon_kbd_answer(sc->mon, user, resp, q);
}

static void kbd_end(void *arg)
{
	kg_svr_conn *sc = arg;
	kg_svr_mon_kbd_end(sc->mon);
}

static int sign_hostkey(void *arg, const kg_key *hostkey, const char *alg, const uint8_t *data, size_t len,
			kg_buf *sig)
{
	kg_svr_conn *sc = arg;
	return kg_svr_mon_sign_kex(sc->mon, hostkey, alg, data, len, sig);
}

/* ---------------- messages ---------------- */

static void kex_done(void *arg, const kg_kex_result *k)
{
	kg_svr_conn *sc = arg;
	kg_debug(sc->log, "kex: algorithm: %s, host key algorithm: %s", k->kex, k->hostkey_alg);
	kg_debug(sc->log, "kex: client->server cipher: %s MAC: %s compression: %s", k->cipher_c2s,
		 k->mac_c2s ? k->mac_c2s : "<implicit>", k->comp_c2s);
	kg_debug(sc->log, "kex: server->client cipher: %s MAC: %s compression: %s", k->cipher_s2c,
		 k->mac_s2c ? k->mac_s2c : "<implicit>", k->comp_s2c);
}

/* ClientAliveInterval: after that many seconds without a packet from the
 * client, a keepalive@openssh.com request (want-reply) is sent; once more
 * than ClientAliveCountMax are unanswered the connection ends, as sshd's
 * client_alive_check. */
static void client_alive(void *ctx, uint64_t id)
{
	kg_svr_conn *sc = ctx;
	const kg_server_config *cfg = sc->cfg;
	(void)id;
	sc->alive_timer = 0;
	uint64_t now = kg_monotonic_ms(), interval = (uint64_t)cfg->client_alive_interval * 1000;
	if (sc->eng.rx_packets != sc->alive_rx) {  /* any packet: the client is there */
		sc->alive_rx = sc->eng.rx_packets;
		sc->alive_last_ms = sc->eng.last_rx_ms;
		sc->alive_missed = 0;
	}
	if (now - sc->alive_last_ms >= interval) {
		if (cfg->client_alive_count_max > 0 && ++sc->alive_missed > cfg->client_alive_count_max) {
			kg_info(sc->log, "Timeout, client not responding from user %s %s port %d", sc->ac.user_name,
				sc->peer_ip, sc->peer_port);
			kg_tr_disconnect(sc->tr, SSH_DISCONNECT_BY_APPLICATION, "Timeout, client not responding");
			kg_engine_fail(&sc->eng, KG_ERR_TIMEOUT);
			return;
		}
		int r = kg_engine_send_global(&sc->eng, "keepalive@openssh.com", NULL, 0, kg_engine_global_ignored, NULL);
		if (r < 0) {
			kg_engine_fail(&sc->eng, r);
			return;
		}
		sc->alive_last_ms = now;
	}
	int r = kg_loop_add_timer(&sc->loop, sc->alive_last_ms + interval - now, client_alive, sc, &sc->alive_timer);
	if (r < 0)
		kg_engine_fail(&sc->eng, r);
}

static void grace_expired(void *ctx, uint64_t id)
{
	kg_svr_conn *sc = ctx;
	(void)id;
	sc->grace_timer = 0;
	if (sc->authenticated)
		return;
	kg_error(sc->log, "Timeout before authentication for %s port %d", sc->peer_ip, sc->peer_port);
	sc->grace_exceeded = 1;
	kg_tr_disconnect(sc->tr, SSH_DISCONNECT_BY_APPLICATION, "Timeout before authentication");
	kg_engine_fail(&sc->eng, KG_ERR_TIMEOUT);
}

static void ident_expired(void *ctx, uint64_t id)
{
	kg_svr_conn *sc = ctx;
	(void)id;
	sc->ident_timer = 0;
	if (kg_tr_peer_version(sc->tr))
		return;
	kg_info(sc->log, "Timeout waiting for identification string from %s port %d", sc->peer_ip, sc->peer_port);
	kg_engine_fail(&sc->eng, KG_ERR_TIMEOUT);
}

/* The pre-auth process's last act: USERAUTH_SUCCESS written out, the
 * transport's state to the monitor, which saw the success itself and
 * starts the user's process with it.  Nothing more is read here. */
static int hand_over(kg_svr_conn *sc)
{
	sc->authenticated = 1;
	GUARD(kg_engine_flush(&sc->eng, FLUSH_TIMEOUT_MS));
	kg_buf st;
	kg_buf_init(&st, KG_TR_EXPORT_MAX);
	int r = kg_tr_export(sc->tr, &st);
	if (r >= 0)
		r = kg_svr_mon_auth_done(sc->mon, kg_svr_auth_user(sc->auth), kg_svr_auth_method(sc->auth),
					 kg_buf_ptr(&st), kg_buf_len(&st));
	if (kg_buf_len(&st))
		OPENSSL_cleanse(kg_buf_mutable_ptr(&st), kg_buf_len(&st));
	kg_buf_free(&st);
	if (r < 0) {
		kg_error(sc->log, "Cannot hand the authenticated connection over: %s", kg_err_str(r));
		return r;
	}
	_exit(0);
}

/* The user's process: the connection protocol on the handed-over transport. */
static int start_channels(kg_svr_conn *sc, kg_svr_login *login)
{
	sc->authenticated = 1;
	sc->sessions = (kg_svr_sessions){
		.eng = &sc->eng, .log = sc->log, .cfg = sc->cfg,
		.sftp_default = sc->ctx->sftp_default, .scp_program = sc->ctx->scp_program,
		.internal_sftp = sc->ctx->internal_sftp, .drop_privs = 0, .user = &sc->ac.user,
		.ak = sc->ac.have_ak_opts ? &sc->ac.ak_opts : NULL,
		.peer_ip = sc->peer_ip, .local_ip = sc->local_ip, .peer_port = sc->peer_port, .local_port = sc->local_port,
		.login = login, .pty_started = kg_svr_mon_pty_started, .pty_ended = kg_svr_mon_pty_ended,
		.open_pty = kg_svr_mon_pty_open,
		.pty_arg = sc->mon, .chrooted = sc->chrooted,
	};
	kg_conn_config cc;
	kg_conn_config_default(&cc);
	cc.max_window = KG_CONN_WINDOW_GROW_MAX;
	GUARD(kg_engine_start_channels(&sc->eng, &cc, KG_CONN_SERVER));
	kg_svr_fwd_ctx fc = {
		.eng = &sc->eng, .log = sc->log, .cfg = sc->cfg, .user = &sc->ac.user,
		.ak = sc->ac.have_ak_opts ? &sc->ac.ak_opts : NULL, .peer_ip = sc->peer_ip, .peer_port = sc->peer_port,
	};
	GUARD(kg_svr_fwd_new(&fc, &sc->fwd));
	/* hostkeys-00: every host key, so the client can learn the others. */
	GUARD(kg_svr_hostkeys_notify(&sc->eng, sc->ctx->hostkeys, sc->ctx->n_hostkeys));
	if (sc->cfg->client_alive_interval > 0) {
		sc->alive_last_ms = kg_monotonic_ms();
		GUARD(kg_loop_add_timer(&sc->loop, (uint64_t)sc->cfg->client_alive_interval * 1000, client_alive, sc,
					&sc->alive_timer));
	}
	return KG_OK;
}

static int open_request(void *arg, kg_channel *ch, const kg_conn_event *ev)
{
	kg_svr_conn *sc = arg;
	if (strcmp(ev->name, "session") == 0)
		return kg_svr_session_open(&sc->sessions, ch);
	int r = kg_svr_fwd_open_request(sc->fwd, ch, ev);  /* direct-tcpip, direct-streamlocal */
	if (r != 0)
		return r < 0 ? r : KG_OK;
	return kg_conn_open_fail(&sc->eng.conn, ch, SSH_OPEN_UNKNOWN_CHANNEL_TYPE, "unknown channel type");
}

/* The global requests served here (1 if ev was one of them): answered
 * as sshd's server_input_global_request does.  keepalive@openssh.com and
 * other unknown names fall through to a failure reply, which is what
 * sshd sends and what a client's keepalive expects. */
static int own_global_request(kg_svr_conn *sc, const kg_conn_event *ev, int *r)
{
	if (strcmp(ev->name, "no-more-sessions@openssh.com") == 0) {
		sc->sessions.no_more_sessions = 1;
		*r = ev->want_reply ? kg_conn_global_reply(&sc->eng.conn, 1, NULL, 0) : KG_OK;
		return 1;
	}
	if (strcmp(ev->name, KG_HOSTKEYS_PROVE_REQ) != 0)
		return 0;
	size_t sid_len = 0;
	const uint8_t *sid = kg_tr_session_id(sc->tr, &sid_len);
	const kg_kex_result *kr = kg_tr_kex_result(sc->tr);
	kg_buf out;
	kg_buf_init(&out, 0);
	int pr = sid ? kg_svr_hostkeys_prove_with(sc->ctx->hostkeys, sc->ctx->n_hostkeys, sid, sid_len,
						  kr ? kr->hostkey_alg : NULL, ev->data, ev->len, kg_svr_mon_sign_proof,
						  sc->mon, &out)
		     : KG_ERR_INTERNAL;
	if (pr < 0)
		kg_info(sc->log, "hostkeys-prove request refused: %s", kg_err_str(pr));
	*r = ev->want_reply ? kg_conn_global_reply(&sc->eng.conn, pr >= 0, pr >= 0 ? kg_buf_ptr(&out) : NULL,
						   pr >= 0 ? kg_buf_len(&out) : 0)
			    : KG_OK;
	kg_buf_free(&out);
	return 1;
}

static int global_request(void *arg, const kg_conn_event *ev)
{
	kg_svr_conn *sc = arg;
	kg_debug(sc->log, "global request %s", ev->name);
	int own = KG_OK;
	if (own_global_request(sc, ev, &own))
		return own;
	int r = kg_svr_fwd_global_request(sc->fwd, ev);  /* [cancel-]tcpip-forward, [cancel-]streamlocal-forward */
	if (r != 0)
		return r < 0 ? r : KG_OK;
	return ev->want_reply ? kg_conn_global_reply(&sc->eng.conn, 0, NULL, 0) : KG_OK;
}

/* Every message until the user is authenticated. */
static int auth_message(void *arg, int type, const uint8_t *p, size_t n)
{
	kg_svr_conn *sc = arg;
	if (type == SSH_MSG_SERVICE_REQUEST || (type >= 50 && type <= 79)) {
		int r = kg_svr_auth_handle(sc->auth, (uint8_t)type, p, n);
		if (r == 1)
			return hand_over(sc);
		if (type == SSH_MSG_USERAUTH_REQUEST && !kg_svr_userauth_is_none(p, n))
			sc->auth_attempted = 1;
		if (r == KG_ERR_AUTH_FAILED)
			kg_error(sc->log, "Disconnecting authenticating user %s %s port %d: Too many authentication failures",
				 sc->ac.user_name ? sc->ac.user_name : "", sc->peer_ip, sc->peer_port);
		return r;
	}
	if (type >= 80 && type <= 127) {
		kg_tr_disconnect(sc->tr, SSH_DISCONNECT_PROTOCOL_ERROR, "connection protocol before authentication");
		return KG_ERR_UNEXPECTED_MSG;
	}
	return kg_tr_send_unimplemented(sc->tr);
}

static void reap_children(void *ctx, int signo)
{
	kg_svr_conn *sc = ctx;
	(void)signo;
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if (sc->authenticated)
			(void)kg_svr_sessions_reaped(&sc->sessions, pid, st);
	kg_engine_kick(&sc->eng);
}

/* pamsess: SIGTERM ends the connection through teardown, so the PAM
 * session is closed and the login records say logout. */
static void on_term(void *ctx, int signo)
{
	kg_svr_conn *sc = ctx;
	kg_info(sc->log, "Received signal %d; terminating.", signo);
	kg_engine_fail(&sc->eng, KG_ERR_CLOSED);
}

/* ---------------- set-up ---------------- */

/* Banner FILE: read for each connection, as sshd does; a file that is
 * missing, empty or over 1 MiB sends nothing. */
static void load_banner(kg_svr_conn *sc)
{
	const char *path = sc->ctx->cfg->banner;
	if (!path)
		return;
	int r = kg_read_text_file(path, 1024 * 1024, &sc->banner, &sc->banner_len, NULL);
	if (r < 0) {
		kg_info(sc->log, "Banner %s not sent: %s", path, kg_err_str(r));
		sc->banner = NULL;
		sc->banner_len = 0;
	}
}

/* The transport's settings, the same before and after the hand-over; the
 * host keys are public halves, the monitor signs. */
static void tr_config_fill(kg_svr_conn *sc)
{
	const kg_svr_ctx *ctx = sc->ctx;
	const kg_server_config *cfg = ctx->cfg;
	kg_tr_config *t = &sc->trc;
	memset(t, 0, sizeof(*t));
	t->is_server = 1;
	t->kex_algs = ctx->kex_algs;
	t->hostkey_algs = ctx->hostkey_algs;
	t->ciphers = ctx->ciphers;
	t->macs = ctx->macs;
	t->compression = cfg->compression == KG_COMP_NO ? "none" : KG_COMP_ALL;
	t->hostkeys = ctx->hostkeys;
	t->n_hostkeys = ctx->n_hostkeys;
	t->sign_hostkey = sign_hostkey;
	t->server_sig_algs = ctx->pubkey_algs;
	t->rekey_bytes = cfg->rekey_limit.bytes;
	t->rekey_seconds = cfg->rekey_limit.seconds > 0 ? (uint32_t)cfg->rekey_limit.seconds : 0;
	t->kex_done = kex_done;
	t->cb_arg = sc;
}

static int common_setup(kg_svr_conn *sc, const kg_engine_hooks *hooks)
{
	GUARD(kg_net_set_nonblock(sc->fd, 1));
	GUARD(kg_loop_add_signal(&sc->loop, SIGCHLD, reap_children, sc));
	GUARD(kg_loop_add_signal(&sc->loop, SIGTERM, on_term, sc));
	GUARD(kg_engine_init(&sc->eng, &sc->loop, sc->fd, sc->fd, sc->tr, hooks));
	sc->eng_ready = 1;
	return KG_OK;
}

static int preauth_setup(kg_svr_conn *sc)
{
	const kg_svr_ctx *ctx = sc->ctx;
	const kg_server_config *cfg = ctx->cfg;
	(void)!kg_net_set_nodelay(sc->fd);
	kg_info(sc->log, "Connection from %s port %d on %s port %d", sc->peer_ip, sc->peer_port, sc->local_ip,
		sc->local_port);
	tr_config_fill(sc);
	GUARD(kg_tr_new(&sc->tr, &sc->trc));
	load_banner(sc);
	kg_svr_auth_config ac = {
		.banner = sc->banner,
		.banner_len = sc->banner_len,
		.allow_pubkey = cfg->pubkey_authentication != 0,
		.allow_password = cfg->password_authentication != 0,
		.allow_kbd = cfg->kbd_interactive_authentication != 0,
		.max_tries = cfg->max_auth_tries,
		.pubkey_algs = ctx->pubkey_algs,
		.check_pubkey = check_pubkey,
		.verify_pubkey = verify_pubkey,
		.check_password = check_password,
		.kbd_start = kbd_start, .kbd_answer = kbd_answer, .kbd_end = kbd_end,
		.cb_arg = sc,
	};
	GUARD(kg_svr_auth_new(&sc->auth, &ac, sc->tr));
	if (cfg->login_grace_time > 0)
		GUARD(kg_loop_add_timer(&sc->loop, (uint64_t)cfg->login_grace_time * 1000, grace_expired, sc,
					&sc->grace_timer));
	if (cfg->login_grace_time == 0 || cfg->login_grace_time > KG_SVR_IDENT_TIMEOUT)
		GUARD(kg_loop_add_timer(&sc->loop, KG_SVR_IDENT_TIMEOUT * 1000, ident_expired, sc, &sc->ident_timer));
	kg_engine_hooks hooks = { .message = auth_message, .arg = sc };
	return common_setup(sc, &hooks);
}

static void teardown(kg_svr_conn *sc)
{
	if (sc->eng_ready)
		kg_engine_free(&sc->eng);
	kg_svr_fwd_free(sc->fwd);  /* after the engine released its channels */
	kg_svr_agent_fwd_free(sc->sessions.agent);  /* agentfwd: socket and directory removed */
	kg_loop_free(&sc->loop);
	kg_svr_auth_free(sc->auth);
	kg_tr_free(sc->tr);
	if (sc->have_ac)
		kg_svr_authcheck_free(&sc->ac);
	free(sc->banner);
	if (sc->fd >= 0)
		close(sc->fd);
}

static void conn_init(kg_svr_conn *sc, const kg_svr_ctx *ctx, int fd, kg_svr_monlink *mon)
{
	memset(sc, 0, sizeof(*sc));
	sc->ctx = ctx;
	sc->log = ctx->log;
	sc->fd = fd;
	sc->mon = mon;
	sc->cfg = ctx->cfg;
	if (kg_net_peer_strings(fd, sc->peer_ip, sizeof(sc->peer_ip), &sc->peer_port) < 0)
		snprintf(sc->peer_ip, sizeof(sc->peer_ip), "UNKNOWN");
	if (kg_net_local_strings(fd, sc->local_ip, sizeof(sc->local_ip), &sc->local_port) < 0)
		snprintf(sc->local_ip, sizeof(sc->local_ip), "UNKNOWN");
	kg_loop_init(&sc->loop);
}

/* Logs how the connection ended, as sshd does, and works out the exit status. */
static int finish(kg_svr_conn *sc, int r, int *exit_code)
{
	if (r == KG_ERR_CLOSED && sc->eng.peer_eof) {
		if (sc->authenticated)
			kg_info(sc->log, "Disconnected from user %s %s port %d", sc->ac.user_name, sc->peer_ip,
				sc->peer_port);
		else
			kg_info(sc->log, "Connection closed by %s port %d", sc->peer_ip, sc->peer_port);
	}
	if (sc->tr) {
		const char *why = kg_tr_error_text(sc->tr);
		if (r == KG_ERR_PEER_DISCONNECT)
			kg_info(sc->log, "Received disconnect from %s port %d: %s", sc->peer_ip, sc->peer_port,
				why && *why ? why : "");
		else if (r != KG_ERR_CLOSED && r != KG_ERR_TIMEOUT && r != KG_ERR_AUTH_FAILED)
			kg_info(sc->log, "Connection from %s port %d ended: %s", sc->peer_ip, sc->peer_port,
				why && *why ? why : kg_err_str(r));
		else if (r == KG_ERR_CLOSED && why && *why)
			kg_verbose(sc->log, "Disconnected from %s port %d: %s", sc->peer_ip, sc->peer_port, why);
		if (sc->eng_ready)
			(void)!kg_engine_flush(&sc->eng, FLUSH_TIMEOUT_MS);
	}
	if (exit_code)
		*exit_code = kg_svr_exit_code(sc->authenticated, sc->grace_exceeded, sc->auth_attempted,
					      sc->ac.user_name && sc->user_invalid,
					      r < 0 && r != KG_ERR_CLOSED && r != KG_ERR_PEER_DISCONNECT);
	teardown(sc);
	return r == KG_ERR_CLOSED || r == KG_ERR_PEER_DISCONNECT ? KG_OK : r;
}

int kg_svr_conn_preauth(const kg_svr_ctx *ctx, int fd, kg_svr_monlink *mon,
			int (*confine)(void *arg), void *confine_arg, int *exit_code)
{
	kg_svr_conn sc;
	conn_init(&sc, ctx, fd, mon);
	sc.ac.kbd.fd = -1;
	int r = preauth_setup(&sc);
	if (r >= 0 && confine)
		r = confine(confine_arg);
	if (r >= 0)
		r = kg_engine_run(&sc.eng, NULL, NULL, -1);
	return finish(&sc, r, exit_code);
}

int kg_svr_conn_postauth(const kg_svr_ctx *ctx, int fd, kg_svr_monlink *mon, const kg_svr_authcheck *ac,
			 kg_svr_login *login, int chrooted, const uint8_t *sid, size_t sid_len, const uint8_t *state,
			 size_t state_len, int *exit_code)
{
	kg_svr_conn sc;
	conn_init(&sc, ctx, fd, mon);
	sc.ac = *ac;  /* this process's copy: the user, their configuration, the key's options */
	sc.have_ac = 1;
	sc.cfg = sc.ac.cfg == &ac->eff ? &sc.ac.eff : sc.ac.cfg;
	sc.chrooted = chrooted;
	tr_config_fill(&sc);
	int r = kg_tr_import(&sc.tr, &sc.trc, state, state_len);
	/* The state came from the unprivileged process: it must be the session
	 * whose exchange hash the monitor signed first. */
	size_t got_len = 0;
	const uint8_t *got = r >= 0 ? kg_tr_session_id(sc.tr, &got_len) : NULL;
	if (r >= 0 && (!got || got_len != sid_len || CRYPTO_memcmp(got, sid, sid_len) != 0)) {
		kg_error(sc.log, "fatal: the handed-over transport is not this session's");
		r = KG_ERR_PROTOCOL;
	}
	kg_engine_hooks hooks = { .open_request = open_request, .global_request = global_request, .arg = &sc };
	if (r >= 0)
		r = common_setup(&sc, &hooks);
	if (r >= 0)
		r = start_channels(&sc, login);
	if (r >= 0) {
		kg_engine_pump(&sc.eng);  /* what the client sent right after its last request */
		r = kg_engine_run(&sc.eng, NULL, NULL, -1);
	}
	return finish(&sc, r, exit_code);
}
