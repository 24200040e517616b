/* Minimum, per-user-name failure time of authentication attempts. */
#include "sys/fail-delay.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "core/mac.h"

int kg_fail_delay_salt(uint8_t salt[KG_FAIL_SALT_LEN])
{
	ENSURE(RAND_bytes(salt, KG_FAIL_SALT_LEN) == 1, KG_ERR_CRYPTO);
	return KG_OK;
}

uint64_t kg_fail_delay_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t kg_fail_delay_for(const uint8_t salt[KG_FAIL_SALT_LEN], const char *user)
{
	kg_hmac h = { 0 };
	uint8_t mac[64];
	uint64_t extra = 0;
	if (kg_hmac_init(&h, "SHA256", salt, KG_FAIL_SALT_LEN) == KG_OK &&
	    kg_hmac_compute(&h, (const uint8_t *)user, strlen(user), mac) == KG_OK) {
		uint32_t v = (uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 | (uint32_t)mac[2] << 8 | mac[3];
		extra = v % KG_FAIL_DELAY_MIN_NS;
		OPENSSL_cleanse(mac, sizeof(mac));
	}
	kg_hmac_clear(&h);
	return KG_FAIL_DELAY_MIN_NS + extra;
}

void kg_fail_delay_wait(uint64_t start, uint64_t min_ns)
{
	uint64_t spent = kg_fail_delay_now() - start;
	while (spent > min_ns && min_ns < UINT64_MAX / 2)
		min_ns *= 2;
	uint64_t end = start + min_ns;
	struct timespec ts = { .tv_sec = (time_t)(end / 1000000000u), .tv_nsec = (long)(end % 1000000000u) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}
