/* The checks behind each user authentication method (authorized_keys, passwords, PAM's conversation), with the user and the Match configuration they settle. */
#ifndef KAGI_SVR_AUTHCHECK_H
#define KAGI_SVR_AUTHCHECK_H

#include "core/auth.h"
#include "config/authorized-keys.h"
#include "config/server-config.h"
#include "sys/log.h"
#include "sys/pam-kbd.h"
#include "sys/session-proc.h"
#include "conn/svr-ctx.h"

/* One connection's authentication state.  With privilege separation it
 * lives in the monitor, the process that keeps root: the unprivileged
 * process parsing the client's bytes only relays what the client sent. */
typedef struct kg_svr_authcheck {
	const kg_svr_ctx *ctx;
	kg_logger *log;
	const char *peer_ip, *local_ip;   /* the connection's, must outlive this */
	int peer_port, local_port;
	/* The user being authenticated (looked up once; a second name is refused). */
	char *user_name;
	int user_valid;
	kg_spawn_user user;
	kg_ak_opts ak_opts;               /* options of the key that authenticated */
	int have_ak_opts;
	/* The configuration in force: the server's until the user is known,
	 * then eff, the server's with the Match blocks that hold. */
	const kg_server_config *cfg;
	kg_server_config eff;
	int have_eff;
	/* keyboard-interactive in progress: PAM's child, or (kbd_fixed) the
	 * one "Password: " prompt checked as a password is. */
	kg_pam_kbd kbd;
	int kbd_fixed;
} kg_svr_authcheck;

void kg_svr_authcheck_init(kg_svr_authcheck *ac, const kg_svr_ctx *ctx, kg_logger *log, const char *peer_ip,
			   int peer_port, const char *local_ip, int local_port);
void kg_svr_authcheck_free(kg_svr_authcheck *ac);

/* As kg_svr_auth_config's callbacks (core/auth.h): KG_OK when allowed. */
int kg_svr_check_pubkey(kg_svr_authcheck *ac, const char *user, const kg_key *key, int final) KG_WUR;
/* A signed publickey request decided whole: alg accepted and fitting the
 * key, the signature valid over the data RFC 4252 7 says it covers for
 * this session, then the final authorized_keys check. */
int kg_svr_check_pubkey_signed(kg_svr_authcheck *ac, const uint8_t *sid, size_t sid_len, const char *user,
			       const char *alg, const uint8_t *blob, size_t blob_len, const uint8_t *sig,
			       size_t sig_len) KG_WUR;
int kg_svr_check_password(kg_svr_authcheck *ac, const char *user, const char *password) KG_WUR;
int kg_svr_check_kbd_start(kg_svr_authcheck *ac, const char *user, const char *devices, kg_kbd_request *q) KG_WUR;
int kg_svr_check_kbd_answer(kg_svr_authcheck *ac, const char *user, const kg_kbd_response *r,
			    kg_kbd_request *q) KG_WUR;
void kg_svr_check_kbd_end(kg_svr_authcheck *ac);

#endif
