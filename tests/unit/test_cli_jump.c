/* Exercises src/conn/cli-jump.c: the child "kssh -W" command line built
 * from a ProxyJump list (user, port, IPv6 brackets, earlier hops passed on
 * as -J, the config file and -v count carried over, "--" before the hop)
 * and the refusal of a hop that names no host or looks like an option. */
#include <string.h>
#include "t.h"
#include "conn/cli-jump.h"

static const char *joined(const char **argv)
{
	static char out[512];
	out[0] = '\0';
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, argv[i]);
	}
	return out;
}

static int build(const char *list, const char *cfgfile, int verbose, const char **argv, char *vflag)
{
	static char spec[256];
	snprintf(spec, sizeof(spec), "%s", list);
	return kg_cli_jump_argv(spec, cfgfile, verbose, "target:22", vflag, argv);
}

static void test_argv(void)
{
	const char *argv[KG_CLI_JUMP_ARGV];
	char vflag[8];
	T_OK(build("bastion", NULL, 0, argv, vflag));
	T_ASSERT(strcmp(joined(argv), "kssh -W target:22 -- bastion") == 0);
	T_OK(build("alice@bastion:2222", "/tmp/cfg", 2, argv, vflag));
	T_ASSERT(strcmp(joined(argv), "kssh -F /tmp/cfg -vv -l alice -p 2222 -W target:22 -- bastion") == 0);
	T_OK(build("a@one,b@[::1]:2200", NULL, 5, argv, vflag));
	T_ASSERT(strcmp(joined(argv), "kssh -vvv -J a@one -l b -p 2200 -W target:22 -- ::1") == 0);
	T_OK(build("ssh://u@h:1", NULL, 0, argv, vflag));
	T_ASSERT(strcmp(joined(argv), "kssh -W target:22 -- ssh://u@h:1") == 0);
	/* a bare IPv6 address has no port to split off */
	T_OK(build("::1", NULL, 0, argv, vflag));
	T_ASSERT(strcmp(joined(argv), "kssh -W target:22 -- ::1") == 0);
}

static void test_refused(void)
{
	const char *argv[KG_CLI_JUMP_ARGV];
	char vflag[8];
	T_ASSERT(build("", NULL, 0, argv, vflag) == KG_ERR_ARG);
	T_ASSERT(build("user@", NULL, 0, argv, vflag) == KG_ERR_ARG);
	T_ASSERT(build("one,-oProxyCommand=x", NULL, 0, argv, vflag) == KG_ERR_ARG);
	T_ASSERT(build("one,", NULL, 0, argv, vflag) == KG_ERR_ARG);
}

int main(void)
{
	T_RUN(test_argv);
	T_RUN(test_refused);
	return T_DONE();
}
