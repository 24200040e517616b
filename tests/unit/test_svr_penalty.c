/* Exercises src/conn/svr-penalty.c (the per-source penalty table: expiry, accrual, netblocks, caps, overflow, exempt list, outcomes) and src/config/server-limits.c (parsing, defaults, -T lines). */
#include <stdint.h>
#include <sys/wait.h>
#include "t.h"
#include "conn/svr-penalty.h"
#include "config/server-limits.h"

static kg_svr_penalty_cfg cfg_of(const char *spec)
{
	kg_svr_penalty_cfg p;
	char why[128];
	kg_svr_penalty_defaults(&p);
	if (spec && kg_svr_penalty_parse(spec, &p, why, sizeof(why)) != KG_OK)
		p.enabled = -1;
	return p;
}

static kg_netkey key(const char *ip)
{
	kg_netkey k;
	if (kg_netkey_from_ip(ip, 32, 128, &k) != KG_OK)
		memset(&k, 0xee, sizeof(k));
	return k;
}

static void test_defaults_and_parse(void)
{
	kg_svr_penalty_cfg p = cfg_of(NULL);
	T_ASSERT(p.enabled == 1 && p.crash == 90 && p.authfail == 5 && p.noauth == 1 && p.grace_exceeded == 10);
	T_ASSERT(p.max == 600 && p.min == 15 && p.max_sources4 == 65536 && p.max_sources6 == 65536);
	T_ASSERT(p.overflow4 == KG_PEN_OVERFLOW_PERMISSIVE && p.overflow6 == KG_PEN_OVERFLOW_PERMISSIVE);
	p = cfg_of("crash:2m authfail:7 max:1h min:3s max-sources4:9 overflow:deny-all");
	T_ASSERT(p.enabled == 1 && p.crash == 120 && p.authfail == 7 && p.max == 3600 && p.min == 3);
	T_ASSERT(p.max_sources4 == 9 && p.overflow4 == KG_PEN_OVERFLOW_DENY_ALL && p.overflow6 == KG_PEN_OVERFLOW_DENY_ALL);
	p = cfg_of("overflow6:deny-all overflow:permissive");
	T_ASSERT(p.overflow4 == KG_PEN_OVERFLOW_PERMISSIVE && p.overflow6 == KG_PEN_OVERFLOW_DENY_ALL);
	T_ASSERT(cfg_of("no").enabled == 0);
	T_ASSERT(cfg_of("bogus:1s").enabled == -1);
	T_ASSERT(cfg_of("authfail:").enabled == -1);
	T_ASSERT(cfg_of("authfail:5q").enabled == -1);
	T_ASSERT(cfg_of("overflow:maybe").enabled == -1);
	T_ASSERT(cfg_of("no authfail:1").enabled == -1);
	char why[128];
	T_ASSERT(kg_svr_limits_check("PerSourceNetBlockSize", "24:64", why, sizeof(why)) == KG_OK);
	T_ASSERT(kg_svr_limits_check("persourcenetblocksize", "33", why, sizeof(why)) != KG_OK);
	T_ASSERT(kg_svr_limits_check("PerSourceNetBlockSize", "24:129", why, sizeof(why)) != KG_OK);
	T_ASSERT(kg_svr_limits_check("PerSourceMaxStartups", "none", why, sizeof(why)) == KG_OK);
	T_ASSERT(kg_svr_limits_check("PerSourceMaxStartups", "0", why, sizeof(why)) != KG_OK);
	T_ASSERT(kg_svr_limits_check("PerSourcePenaltyExemptList", "127.0.0.4,198.51.100.0/24,::1", why, sizeof(why)) == KG_OK);
	T_ASSERT(kg_svr_limits_check("PerSourcePenaltyExemptList", "192.0.2.0/33", why, sizeof(why)) != KG_OK);
	T_ASSERT(kg_svr_limits_check("PerSourcePenaltyExemptList", "192.0.2.0/8", why, sizeof(why)) != KG_OK);
	T_ASSERT(kg_svr_limits_check("PerSourcePenaltyExemptList", "host.example", why, sizeof(why)) != KG_OK);
}

static void test_limits_get_and_dump(void)
{
	kg_server_config c;
	kg_cfg_err err;
	kg_server_config_init(&c);
	static const char text[] = "PerSourceMaxStartups 10\nPerSourceNetBlockSize 24\n"
				   "PerSourcePenalties authfail:6s min:5s max:8s\n"
				   "PerSourcePenaltyExemptList 127.0.0.4\n";
	T_OK(kg_server_config_apply_file(&c, text, strlen(text), "t", &err));
	T_OK(kg_server_config_finish(&c));
	kg_svr_limits l;
	T_OK(kg_svr_limits_get(&c, &l));
	T_ASSERT(l.per_source_max_startups == 10 && l.netblock4 == 24 && l.netblock6 == 128);
	T_ASSERT(l.pen.authfail == 6 && l.pen.min == 5 && l.pen.max == 8 && l.pen.crash == 90);
	T_ASSERT(l.exempt && strcmp(l.exempt, "127.0.0.4") == 0);
	char buf[2048] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	T_ASSERT(f != NULL);
	kg_svr_limits_dump(&l, &c, f);
	fclose(f);
	T_ASSERT(strstr(buf, "persourcemaxstartups 10\npersourcenetblocksize 24:128\n") != NULL);
	T_ASSERT(strstr(buf, "persourcepenalties crash:90.000000 authfail:6.000000 ") != NULL);
	T_ASSERT(strstr(buf, "max:8.000000 min:5.000000 max-sources4:65536") != NULL);
	T_ASSERT(strstr(buf, "persourcepenaltyexemptlist 127.0.0.4\nmaxstartups 10:30:100\n") != NULL);
	kg_server_config_free(&c);
	kg_server_config_init(&c);
	T_ASSERT(kg_server_config_apply_file(&c, "PerSourcePenalties crash:soon\n", 30, "t", &err) == KG_ERR_CONFIG);
	T_ASSERT(strstr(err.msg, "t line 1") != NULL && strstr(err.msg, "crash") != NULL);
	kg_server_config_free(&c);
}

static void test_accrual_min_and_expiry(void)
{
	kg_svr_penalty_cfg p = cfg_of(NULL);  /* authfail 5s, min 15s, max 10m */
	kg_penalty_table t;
	kg_penalty_init(&t, &p);
	kg_netkey a = key("127.0.0.3"), b = key("127.0.0.1");
	const char *why = NULL;
	uint64_t now = 1000000;
	T_OK(kg_penalty_add(&t, &a, KG_PEN_AUTHFAIL, now));
	T_ASSERT(kg_penalty_check(&t, &a, now, &why) == 0);   /* 5s < min 15s */
	T_OK(kg_penalty_add(&t, &a, KG_PEN_AUTHFAIL, now + 100));
	T_ASSERT(kg_penalty_check(&t, &a, now + 100, &why) == 0);
	T_OK(kg_penalty_add(&t, &a, KG_PEN_AUTHFAIL, now + 200));  /* 14.8s still to run */
	T_ASSERT(kg_penalty_check(&t, &a, now + 200, &why) == 0);
	T_OK(kg_penalty_add(&t, &a, KG_PEN_AUTHFAIL, now + 200));  /* 19.8s: past min */
	T_ASSERT(kg_penalty_check(&t, &a, now + 200, &why) == 1 && strcmp(why, "penalty: failed authentication") == 0);
	T_ASSERT(kg_penalty_check(&t, &b, now + 200, &why) == 0);
	T_ASSERT(kg_penalty_check(&t, &a, now + 19000, &why) == 1);
	T_ASSERT(kg_penalty_check(&t, &a, now + 20001, &why) == 0);  /* expired */
	T_ASSERT(kg_penalty_count(&t, 0, now + 20001) == 0);
	/* A penalty that ran out does not accrue into the next. */
	T_OK(kg_penalty_add(&t, &a, KG_PEN_AUTHFAIL, now + 25000));
	T_ASSERT(kg_penalty_check(&t, &a, now + 25000, &why) == 0);
	/* Capped at max. */
	T_OK(kg_penalty_add(&t, &b, KG_PEN_CRASH, now));
	for (int i = 0; i < 20; i++)
		T_OK(kg_penalty_add(&t, &b, KG_PEN_CRASH, now));
	T_ASSERT(kg_penalty_check(&t, &b, now + 599000, &why) == 1 && strcmp(why, "penalty: caused crash") == 0);
	T_ASSERT(kg_penalty_check(&t, &b, now + 600001, &why) == 0);
	/* noauth 1s is below min 15s on its own; "no" disables everything. */
	kg_netkey c = key("198.51.100.7");
	T_OK(kg_penalty_add(&t, &c, KG_PEN_NOAUTH, now));
	T_ASSERT(kg_penalty_check(&t, &c, now, &why) == 0);
	kg_penalty_free(&t);
	p = cfg_of("no");
	kg_penalty_init(&t, &p);
	T_OK(kg_penalty_add(&t, &a, KG_PEN_CRASH, now));
	T_ASSERT(kg_penalty_check(&t, &a, now, &why) == 0 && kg_penalty_count(&t, 0, now) == 0);
	kg_penalty_free(&t);
}

static void test_netblocks(void)
{
	kg_netkey a, b, c, m;
	T_OK(kg_netkey_from_ip("192.0.2.17", 24, 64, &a));
	T_OK(kg_netkey_from_ip("192.0.2.200", 24, 64, &b));
	T_OK(kg_netkey_from_ip("192.0.3.1", 24, 64, &c));
	T_OK(kg_netkey_from_ip("::ffff:192.0.2.5", 24, 64, &m));
	T_ASSERT(kg_netkey_eq(&a, &b) && !kg_netkey_eq(&a, &c) && kg_netkey_eq(&a, &m) && !a.v6);
	T_OK(kg_netkey_from_ip("2001:db8:1:2::1", 24, 64, &a));
	T_OK(kg_netkey_from_ip("2001:db8:1:2:ffff::9", 24, 64, &b));
	T_OK(kg_netkey_from_ip("2001:db8:1:3::1", 24, 64, &c));
	T_ASSERT(a.v6 && kg_netkey_eq(&a, &b) && !kg_netkey_eq(&a, &c));
	T_ASSERT(kg_netkey_from_ip("UNKNOWN", 32, 128, &a) == KG_ERR_FORMAT);
	/* A penalty on one address of a /24 holds for its neighbours. */
	kg_svr_penalty_cfg p = cfg_of("authfail:20s");
	kg_penalty_table t;
	kg_penalty_init(&t, &p);
	T_OK(kg_netkey_from_ip("192.0.2.17", 24, 64, &a));
	T_OK(kg_netkey_from_ip("192.0.2.99", 24, 64, &b));
	T_OK(kg_penalty_add(&t, &a, KG_PEN_AUTHFAIL, 5000));
	const char *why;
	T_ASSERT(kg_penalty_check(&t, &b, 6000, &why) == 1);
	T_ASSERT(kg_penalty_check(&t, &c, 6000, &why) == 0);
	kg_penalty_free(&t);
}

static void test_caps_and_overflow(void)
{
	const char *why;
	char ip[32];
	kg_netkey k;
	kg_svr_penalty_cfg p = cfg_of("authfail:30s max-sources4:4 max-sources6:2");
	kg_penalty_table t;
	kg_penalty_init(&t, &p);
	for (int i = 0; i < 10; i++) {  /* permissive: the soonest to expire makes room */
		snprintf(ip, sizeof(ip), "198.51.100.%d", i + 1);
		k = key(ip);
		T_OK(kg_penalty_add(&t, &k, KG_PEN_AUTHFAIL, 1000 + (uint64_t)i * 10));
		T_ASSERT(kg_penalty_count(&t, 0, 1000 + (uint64_t)i * 10) <= 4);
	}
	k = key("198.51.100.10");
	T_ASSERT(kg_penalty_check(&t, &k, 2000, &why) == 1);
	k = key("198.51.100.1");
	T_ASSERT(kg_penalty_check(&t, &k, 2000, &why) == 0);
	k = key("198.51.100.200");  /* never penalised */
	T_ASSERT(kg_penalty_check(&t, &k, 2000, &why) == 0);
	kg_penalty_free(&t);

	p = cfg_of("authfail:30s max-sources4:2 overflow:permissive overflow6:deny-all max-sources6:1");
	kg_penalty_init(&t, &p);
	kg_netkey v6a = key("2001:db8::1"), v6b = key("2001:db8::2"), v4 = key("198.51.100.1");
	T_OK(kg_penalty_add(&t, &v6a, KG_PEN_AUTHFAIL, 1000));
	T_OK(kg_penalty_add(&t, &v6b, KG_PEN_AUTHFAIL, 1000));  /* table full: deny-all for IPv6 */
	kg_netkey v6c = key("2001:db8::3");
	T_ASSERT(kg_penalty_check(&t, &v6c, 2000, &why) == 1 && strcmp(why, "penalty table full") == 0);
	T_ASSERT(kg_penalty_check(&t, &v6b, 2000, &why) == 1);
	T_ASSERT(kg_penalty_check(&t, &v4, 2000, &why) == 0);  /* IPv4 is tracked apart */
	T_ASSERT(kg_penalty_check(&t, &v6c, 31001, &why) == 0);  /* the entry expired: open again */
	T_ASSERT(kg_penalty_count(&t, 1, 31001) == 0);
	kg_penalty_free(&t);
}

static void test_exempt_list(void)
{
	T_ASSERT(kg_svr_exempt_match("127.0.0.4", "127.0.0.4") == 1);
	T_ASSERT(kg_svr_exempt_match("127.0.0.4", "127.0.0.3") == 0);
	T_ASSERT(kg_svr_exempt_match("198.51.100.0/24,192.0.2.*", "198.51.100.7") == 1);
	T_ASSERT(kg_svr_exempt_match("198.51.100.0/24,192.0.2.*", "192.0.2.77") == 1);
	T_ASSERT(kg_svr_exempt_match("198.51.100.0/24,192.0.2.*", "192.0.3.77") == 0);
	T_ASSERT(kg_svr_exempt_match("!198.51.100.128/25,198.51.100.0/24", "198.51.100.200") == 0);
	T_ASSERT(kg_svr_exempt_match("!198.51.100.128/25,198.51.100.0/24", "198.51.100.20") == 1);
	T_ASSERT(kg_svr_exempt_match("2001:db8::/32", "2001:db8:5::1") == 1);
	T_ASSERT(kg_svr_exempt_match("2001:db8::/32", "198.51.100.1") == 0);
	T_ASSERT(kg_svr_exempt_match("127.0.0.0/8", "::ffff:127.0.0.9") == 1);
	T_ASSERT(kg_svr_exempt_match(NULL, "127.0.0.1") == 0);
}

static void test_outcomes(void)
{
	T_ASSERT(kg_svr_exit_code(0, 1, 1, 0, 0) == KG_SVR_EXIT_GRACE);
	T_ASSERT(kg_svr_exit_code(0, 0, 1, 0, 0) == KG_SVR_EXIT_AUTHFAIL);
	T_ASSERT(kg_svr_exit_code(0, 0, 1, 1, 0) == KG_SVR_EXIT_INVALIDUSER);
	T_ASSERT(kg_svr_exit_code(0, 0, 0, 0, 1) == KG_SVR_EXIT_NOAUTH);
	T_ASSERT(kg_svr_exit_code(1, 0, 1, 0, 1) == KG_SVR_EXIT_ERROR);
	T_ASSERT(kg_pen_kind_from_status(0, KG_SVR_EXIT_AUTHFAIL << 8) == KG_PEN_AUTHFAIL);
	T_ASSERT(kg_pen_kind_from_status(0, KG_SVR_EXIT_GRACE << 8) == KG_PEN_GRACE);
	T_ASSERT(kg_pen_kind_from_status(0, KG_SVR_EXIT_INVALIDUSER << 8) == KG_PEN_INVALIDUSER);
	T_ASSERT(kg_pen_kind_from_status(0, 0) == KG_PEN_NOAUTH);
	T_ASSERT(kg_pen_kind_from_status(0, 11) == KG_PEN_CRASH);  /* killed by SIGSEGV */
	T_ASSERT(kg_pen_kind_from_status(1, 11) == KG_PEN_NONE);
	/* USERAUTH_REQUEST: byte 50, user, service, method. */
	static const uint8_t none[] = { 50, 0, 0, 0, 1, 'u', 0, 0, 0, 1, 's', 0, 0, 0, 4, 'n', 'o', 'n', 'e' };
	static const uint8_t pk[] = { 50, 0, 0, 0, 1, 'u', 0, 0, 0, 1, 's', 0, 0, 0, 9, 'p', 'u', 'b', 'l', 'i', 'c',
				      'k', 'e', 'y', 0 };
	T_ASSERT(kg_svr_userauth_is_none(none, sizeof(none)) == 1);
	T_ASSERT(kg_svr_userauth_is_none(pk, sizeof(pk)) == 0);
	T_ASSERT(kg_svr_userauth_is_none(none, sizeof(none) - 1) == 0);
	T_ASSERT(kg_svr_userauth_is_none(none, 3) == 0);
}

int main(void)
{
	T_RUN(test_defaults_and_parse);
	T_RUN(test_limits_get_and_dump);
	T_RUN(test_accrual_min_and_expiry);
	T_RUN(test_netblocks);
	T_RUN(test_caps_and_overflow);
	T_RUN(test_exempt_list);
	T_RUN(test_outcomes);
	return T_DONE();
}
