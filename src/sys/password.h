/* Password authentication through PAM, and a stand-in of similar cost for
 * users that do not exist, so a failure's timing does not tell whether
 * the account exists.  Passwords are never logged, and every copy kagi
 * makes is wiped. */
#ifndef KAGI_SYS_PASSWORD_H
#define KAGI_SYS_PASSWORD_H

#include "core/safety.h"

#define KG_PAM_SERVICE_DEFAULT "sshd"

/* Runs pam_authenticate then pam_acct_mgmt for user with password.
 * service NULL means "sshd"; when /etc/pam.d/<service> does not exist,
 * "sshd" and then "other" are used.  rhost (optional) becomes PAM_RHOST.
 * Empty passwords are refused.  KG_OK only on success, otherwise
 * KG_ERR_AUTH_FAILED (expired accounts and passwords included).
 *
 * Without root, pam_unix can still check the running user's own
 * password (through its setuid unix_chkpwd helper). */
int kg_password_check(const char *user, const char *password, const char *service,
		      const char *rhost) KG_WUR;

/* The PAM service used for want (NULL: "sshd"): want if
 * /etc/pam.d/<want> exists, else "sshd", else "other". */
const char *kg_pam_service(const char *want);

/* Whether user's account may log in at all, whatever the method (public
 * keys included).  With use_pam, PAM's account management decides
 * (expiry, access rules).  Without it, as sshd does: the shadow entry must
 * not be locked (a password field starting with '!') nor expired.  When
 * not running as root the shadow file cannot be read and this is KG_OK.
 * KG_OK or KG_ERR_AUTH_FAILED. */
int kg_account_usable(const char *user, int use_pam, const char *rhost) KG_WUR;

/* The work of a failed kg_password_check for a user that must not get in
 * (unknown, refused by AllowUsers/DenyUsers or PermitRootLogin): PAM runs
 * for the name given with a password no hash matches, as OpenSSH does,
 * so the failure costs the same time (PAM's fail delay included) as a
 * wrong password for a real account.  An empty password costs what
 * kg_password_check costs for one. */
void kg_password_fail(const char *user, const char *password, const char *rhost);

/* Hashes password with the system's default crypt method and a fixed
 * salt, discarding the result: the work kg_password_check's hash would
 * cost, for callers that already know the user is invalid. */
void kg_password_fake_check(const char *password);

#endif
