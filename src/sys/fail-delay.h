/* A failed authentication attempt lasts at least a time that depends only
 * on the user name and a per-server secret (as OpenSSH's
 * ensure_minimum_time_since), so small differences in the work done for
 * valid and invalid names do not show in the timing. */
#ifndef KAGI_SYS_FAIL_DELAY_H
#define KAGI_SYS_FAIL_DELAY_H

#include <stddef.h>
#include <stdint.h>
#include "core/safety.h"

#define KG_FAIL_SALT_LEN 32
/* Every failure lasts at least this long, plus up to the same again per name. */
#define KG_FAIL_DELAY_MIN_NS 5000000u
/* A failed password lasts at least this much more: above PAM's own fail
 * delay (pam_unix: 2 s, randomised up to +25 %) and the hashing, so every
 * failure ends on the same step instead of on one of two steps that the
 * per-name doubling would pick from PAM's random delay. */
#define KG_FAIL_DELAY_PASSWORD_NS 3000000000u

/* Fills salt with KG_FAIL_SALT_LEN random bytes. */
int kg_fail_delay_salt(uint8_t salt[KG_FAIL_SALT_LEN]) KG_WUR;
/* The current time on the monotonic clock in nanoseconds. */
uint64_t kg_fail_delay_now(void);
/* The minimum failure time for user: KG_FAIL_DELAY_MIN_NS plus an amount
 * below it taken from HMAC-SHA256(salt, user), so the same name always
 * gets the same time. */
uint64_t kg_fail_delay_for(const uint8_t salt[KG_FAIL_SALT_LEN], const char *user);
/* Sleeps until start + min_ns, doubling min_ns as long as the time
 * already spent exceeds it, so a slow attempt ends on the same steps as
 * a quick one. */
void kg_fail_delay_wait(uint64_t start, uint64_t min_ns);

#endif
