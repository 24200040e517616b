/* Exercises src/sys/fail-delay.c: per-name failure times from a secret salt, and the wait that rounds up to them. */
#include <stdint.h>
#include <time.h>
#include "t.h"
#include "sys/fail-delay.h"

static void test_salt_random(void)
{
	uint8_t a[KG_FAIL_SALT_LEN], b[KG_FAIL_SALT_LEN], zero[KG_FAIL_SALT_LEN] = { 0 };
	T_OK(kg_fail_delay_salt(a));
	T_OK(kg_fail_delay_salt(b));
	T_ASSERT(memcmp(a, b, sizeof(a)) != 0);
	T_ASSERT(memcmp(a, zero, sizeof(a)) != 0);
}

static void test_delay_per_name(void)
{
	uint8_t salt[KG_FAIL_SALT_LEN], other[KG_FAIL_SALT_LEN];
	static const char *const names[] = { "root", "alice", "bob", "nobody", "x", "" };
	uint64_t d[KG_ARRAY_LEN(names)];
	memset(salt, 7, sizeof(salt));
	memset(other, 8, sizeof(other));
	int differ = 0, salt_matters = 0;
	for (size_t i = 0; i < KG_ARRAY_LEN(names); i++) {
		d[i] = kg_fail_delay_for(salt, names[i]);
		/* at least the minimum, below twice it */
		T_ASSERT(d[i] >= KG_FAIL_DELAY_MIN_NS && d[i] < 2ull * KG_FAIL_DELAY_MIN_NS);
		T_ASSERT(kg_fail_delay_for(salt, names[i]) == d[i]);   /* the same name, the same time */
		differ += i > 0 && d[i] != d[0];
		salt_matters += kg_fail_delay_for(other, names[i]) != d[i];
	}
	T_ASSERT(differ > 0);        /* names are told apart */
	T_ASSERT(salt_matters > 0);  /* and the secret changes them */
}

static void test_now_monotonic(void)
{
	uint64_t a = kg_fail_delay_now();
	struct timespec ts = { 0, 2000000 };
	nanosleep(&ts, NULL);
	uint64_t b = kg_fail_delay_now();
	T_ASSERT(b >= a + 2000000u && b - a < 1000000000u);
}

static void test_wait_rounds_up(void)
{
	/* a quick attempt waits out the minimum */
	uint64_t start = kg_fail_delay_now();
	kg_fail_delay_wait(start, 20000000u);
	uint64_t took = kg_fail_delay_now() - start;
	T_ASSERT(took >= 20000000u && took < 500000000u);

	/* one that already took 30 ms of a 10 ms minimum ends at 40 ms */
	start = kg_fail_delay_now() - 30000000u;
	kg_fail_delay_wait(start, 10000000u);
	took = kg_fail_delay_now() - start;
	T_ASSERT(took >= 40000000u && took < 500000000u);

	/* exactly past a step doubles again: 21 ms spent of 10 -> 40 */
	start = kg_fail_delay_now() - 21000000u;
	kg_fail_delay_wait(start, 10000000u);
	took = kg_fail_delay_now() - start;
	T_ASSERT(took >= 40000000u);
}

int main(void)
{
	T_RUN(test_salt_random);
	T_RUN(test_delay_per_name);
	T_RUN(test_now_monotonic);
	T_RUN(test_wait_rounds_up);
	return T_DONE();
}
