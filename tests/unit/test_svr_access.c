/* Exercises src/config/svr-access.c: AllowUsers / DenyUsers / AllowGroups /
 * DenyGroups matching. */
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include "t.h"
#include "config/svr-access.h"

#define M(e, u, a) kg_access_user_match((e), (u), (a))

static void test_user_only(void)
{
	T_ASSERT(M("alice", "alice", "127.0.0.1") == 1);
	T_ASSERT(M("al*", "alice", "127.0.0.1") == 1);
	T_ASSERT(M("al?ce", "alice", "127.0.0.1") == 1);
	T_ASSERT(M("bob", "alice", "127.0.0.1") == 0);
	T_ASSERT(M("Alice", "alice", "127.0.0.1") == 0);  /* user names are case-sensitive */
}

static void test_host_address(void)
{
	T_ASSERT(M("root@127.0.0.1", "root", "127.0.0.1") == 1);
	T_ASSERT(M("root@127.0.0.1", "root", "127.0.0.2") == 0);
	T_ASSERT(M("root@127.0.0.1", "alice", "127.0.0.1") == 0);
	T_ASSERT(M("*@127.0.0.1", "alice", "127.0.0.1") == 1);
	T_ASSERT(M("root@192.0.2.1", "root", "127.0.0.1") == 0);
	/* an IPv4 client seen through an IPv6 socket */
	T_ASSERT(M("root@127.0.0.1", "root", "::ffff:127.0.0.1") == 1);
	T_ASSERT(M("root@127.0.0.*", "root", "::ffff:127.0.0.1") == 1);
}

static void test_host_cidr(void)
{
	T_ASSERT(M("root@127.0.0.0/8", "root", "127.1.2.3") == 1);
	T_ASSERT(M("root@127.0.0.0/8", "root", "128.0.0.1") == 0);
	T_ASSERT(M("root@192.0.2.0/24", "root", "192.0.2.77") == 1);
	T_ASSERT(M("root@192.0.2.0/25", "root", "192.0.2.200") == 0);
	T_ASSERT(M("root@0.0.0.0/0", "root", "198.51.100.1") == 1);
	T_ASSERT(M("root@::1/128", "root", "::1") == 1);
	T_ASSERT(M("root@::1", "root", "::1") == 1);
	T_ASSERT(M("root@2001:db8::/32", "root", "2001:db8:1::5") == 1);
	T_ASSERT(M("root@2001:db8::/32", "root", "2001:db9::5") == 0);
	T_ASSERT(M("root@2001:db8::/32", "root", "127.0.0.1") == 0);  /* families differ */
	T_ASSERT(M("root@127.0.0.0/8", "root", "::1") == 0);
}

static void test_host_patterns_negation(void)
{
	T_ASSERT(M("root@127.0.0.*", "root", "127.0.0.9") == 1);
	T_ASSERT(M("root@127.0.0.?", "root", "127.0.0.9") == 1);
	T_ASSERT(M("root@127.0.0.?", "root", "127.0.0.19") == 0);
	T_ASSERT(M("root@*", "root", "2001:db8::1") == 1);
	T_ASSERT(M("root@2001:DB8::*", "root", "2001:db8::1") == 1);  /* address text: any case */
	/* a list: any plain element, unless a negated one matches */
	T_ASSERT(M("root@192.0.2.1,127.0.0.1", "root", "127.0.0.1") == 1);
	T_ASSERT(M("root@127.0.0.0/8,!127.0.0.1", "root", "127.0.0.1") == 0);
	T_ASSERT(M("root@127.0.0.0/8,!127.0.0.1", "root", "127.0.0.2") == 1);
	T_ASSERT(M("root@!127.0.0.1,*", "root", "127.0.0.1") == 0);
	T_ASSERT(M("root@!127.0.0.1,*", "root", "192.0.2.1") == 1);
	T_ASSERT(M("root@*,!127.0.0.0/8", "root", "127.9.9.9") == 0);
	T_ASSERT(M("root@!192.0.2.1", "root", "127.0.0.1") == 0);  /* only negations: no match */
	/* UseDNS no: a host name never matches an address */
	T_ASSERT(M("root@localhost", "root", "127.0.0.1") == 0);
	/* the host part starts after the last '@' */
	T_ASSERT(M("a@b@127.0.0.1", "a@b", "127.0.0.1") == 1);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"", "@127.0.0.1", "root@", "root@127.0.0.1,", "root@,127.0.0.1", "root@!",
		"root@127.0.0.1/33", "root@127.0.0.1/8", "root@::1/129", "root@1.2.3.4/x", "root@foo/8",
		"root@127.0.0.0/8,,*",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (kg_access_entry_check(bad[i]) != KG_ERR_CONFIG) {
			fprintf(stderr, "accepted: '%s'\n", bad[i]);
			T_ASSERT(0);
		}
		T_ASSERT(M(bad[i], "root", "127.0.0.1") == KG_ERR_CONFIG);
	}
	T_OK(kg_access_entry_check("root"));
	T_OK(kg_access_entry_check("root@127.0.0.0/8"));
	T_OK(kg_access_entry_check("r*@!::1/128,2001:db8::/32,host.example"));
}

static void test_check_order(void)
{
	kg_server_config cfg;
	kg_server_config_init(&cfg);
	const char *const wheel[] = { "alice", "wheel" };
	const char *const staff[] = { "bob", "staff" };
	T_ASSERT(kg_access_check(&cfg, "alice", wheel, 2, "127.0.0.1") == NULL);
	T_OK(kg_strlist_add(&cfg.allow_users, "alice@127.0.0.0/8"));
	T_OK(kg_strlist_add(&cfg.allow_users, "bob"));
	T_ASSERT(kg_access_check(&cfg, "alice", wheel, 2, "127.0.0.1") == NULL);
	T_ASSERT(strcmp(kg_access_check(&cfg, "alice", wheel, 2, "192.0.2.1"), "not listed in AllowUsers") == 0);
	T_ASSERT(strcmp(kg_access_check(&cfg, "carol", wheel, 2, "127.0.0.1"), "not listed in AllowUsers") == 0);
	T_OK(kg_strlist_add(&cfg.deny_users, "bob@127.0.0.1"));
	T_ASSERT(strcmp(kg_access_check(&cfg, "bob", staff, 2, "127.0.0.1"), "listed in DenyUsers") == 0);
	T_ASSERT(kg_access_check(&cfg, "bob", staff, 2, "127.0.0.2") == NULL);
	/* groups: DenyGroups before AllowGroups; no group at all is refused */
	T_OK(kg_strlist_add(&cfg.allow_groups, "wh*"));
	T_ASSERT(kg_access_check(&cfg, "alice", wheel, 2, "127.0.0.1") == NULL);
	T_ASSERT(strcmp(kg_access_check(&cfg, "bob", staff, 2, "127.0.0.2"),
			"none of user's groups are listed in AllowGroups") == 0);
	T_ASSERT(strcmp(kg_access_check(&cfg, "alice", NULL, 0, "127.0.0.1"), "not in any group") == 0);
	T_OK(kg_strlist_add(&cfg.deny_groups, "alice"));
	T_ASSERT(strcmp(kg_access_check(&cfg, "alice", wheel, 2, "127.0.0.1"), "a group is listed in DenyGroups") == 0);
	/* DenyUsers wins over everything after it */
	T_OK(kg_strlist_add(&cfg.deny_users, "*@127.0.0.0/8"));
	T_ASSERT(strcmp(kg_access_check(&cfg, "alice", wheel, 2, "127.0.0.1"), "listed in DenyUsers") == 0);
	/* a malformed entry that got past the loader denies */
	kg_server_config_free(&cfg);
	kg_server_config_init(&cfg);
	T_OK(kg_strlist_add(&cfg.deny_users, "root@1.2.3.4/99"));
	T_ASSERT(kg_access_check(&cfg, "alice", wheel, 2, "127.0.0.1") != NULL);
	kg_server_config_free(&cfg);
}

static void test_groups_match(void)
{
	kg_strlist p = { NULL, 0 };
	const char *const g[] = { "users", "audio" };
	T_ASSERT(kg_access_groups_match(&p, g, 2) == 0);
	T_OK(kg_strlist_add(&p, "video"));
	T_ASSERT(kg_access_groups_match(&p, g, 2) == 0);
	T_OK(kg_strlist_add(&p, "aud?o"));
	T_ASSERT(kg_access_groups_match(&p, g, 2) == 1);
	T_ASSERT(kg_access_groups_match(&p, g, 0) == 0);
	kg_strlist_free(&p);
}

/* The running user's groups, as getgrouplist(3) gives them, by name. */
static void test_user_groups(void)
{
	struct passwd *pw = getpwuid(getuid());
	T_ASSERT(pw != NULL);
	struct group *gr = getgrgid(pw->pw_gid);
	T_ASSERT(gr != NULL);
	char primary[256];
	snprintf(primary, sizeof(primary), "%s", gr->gr_name);
	kg_strlist l = { NULL, 0 };
	T_OK(kg_access_user_groups(pw->pw_name, pw->pw_gid, &l));
	int found = 0;
	for (size_t i = 0; i < l.n; i++)
		found |= strcmp(l.v[i], primary) == 0;
	T_ASSERT(found);
	kg_strlist_free(&l);

	kg_spawn_user u = { .name = pw->pw_name, .uid = pw->pw_uid, .gid = pw->pw_gid };
	kg_server_config cfg;
	kg_server_config_init(&cfg);
	T_OK(kg_strlist_add(&cfg.allow_groups, "kagi-no-such-group"));
	T_ASSERT(kg_access_denied(&cfg, &u, "127.0.0.1") != NULL);
	T_OK(kg_strlist_add(&cfg.allow_groups, primary));
	T_ASSERT(kg_access_denied(&cfg, &u, "127.0.0.1") == NULL);
	T_OK(kg_strlist_add(&cfg.deny_groups, primary));
	T_ASSERT(strcmp(kg_access_denied(&cfg, &u, "127.0.0.1"), "a group is listed in DenyGroups") == 0);
	kg_server_config_free(&cfg);
}

int main(void)
{
	T_RUN(test_user_only);
	T_RUN(test_host_address);
	T_RUN(test_host_cidr);
	T_RUN(test_host_patterns_negation);
	T_RUN(test_malformed);
	T_RUN(test_check_order);
	T_RUN(test_groups_match);
	T_RUN(test_user_groups);
	return T_DONE();
}
