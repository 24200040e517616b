/* Exercises src/config/forward-spec.c: -L/-R/-D specifications and their
 * config forms, including truncated and corrupt input. */
#include "t.h"
#include "config/forward-spec.h"

static int eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void test_local_tcp(void)
{
	kg_fwd_spec f;
	T_OK(kg_fwd_spec_parse("8080:web:80", KG_FWDSPEC_LOCAL, &f));
	T_ASSERT(f.listen_host == NULL && f.listen_port == 8080 && eq(f.connect_host, "web") && f.connect_port == 80);
	T_ASSERT(!f.dynamic && !f.listen_path && !f.connect_path);
	kg_fwd_spec_free(&f);
	T_OK(kg_fwd_spec_parse("127.0.0.2:8080:web:80", KG_FWDSPEC_LOCAL, &f));
	T_ASSERT(eq(f.listen_host, "127.0.0.2") && f.listen_port == 8080);
	kg_fwd_spec_free(&f);
	T_OK(kg_fwd_spec_parse("[::1]:8080:[fe80::1]:443", KG_FWDSPEC_LOCAL, &f));
	T_ASSERT(eq(f.listen_host, "::1") && eq(f.connect_host, "fe80::1") && f.connect_port == 443);
	kg_fwd_spec_free(&f);
	T_OK(kg_fwd_spec_parse("*:8080:h:1", KG_FWDSPEC_LOCAL, &f));
	T_ASSERT(eq(f.listen_host, "*"));
	kg_fwd_spec_free(&f);
	T_OK(kg_fwd_spec_parse(":8080:h:1", KG_FWDSPEC_LOCAL, &f));
	T_ASSERT(eq(f.listen_host, ""));
	kg_fwd_spec_free(&f);
}

static void test_local_unix(void)
{
	kg_fwd_spec f;
	T_OK(kg_fwd_spec_parse("8080:/run/x.sock", KG_FWDSPEC_LOCAL, &f));
	T_ASSERT(f.listen_port == 8080 && eq(f.connect_path, "/run/x.sock") && !f.connect_host);
	kg_fwd_spec_free(&f);
	T_OK(kg_fwd_spec_parse("localhost:8080:/run/x.sock", KG_FWDSPEC_LOCAL, &f));
	T_ASSERT(eq(f.listen_host, "localhost") && eq(f.connect_path, "/run/x.sock"));
	kg_fwd_spec_free(&f);
	T_OK(kg_fwd_spec_parse("/tmp/l.sock:h:22", KG_FWDSPEC_LOCAL, &f));
	T_ASSERT(eq(f.listen_path, "/tmp/l.sock") && f.listen_port == -1 && eq(f.connect_host, "h"));
	kg_fwd_spec_free(&f);
	T_OK(kg_fwd_spec_parse("/tmp/l.sock:/tmp/r.sock", KG_FWDSPEC_LOCAL, &f));
	T_ASSERT(eq(f.listen_path, "/tmp/l.sock") && eq(f.connect_path, "/tmp/r.sock"));
	kg_fwd_spec_free(&f);
}

static void test_remote_and_dynamic(void)
{
	kg_fwd_spec f;
	T_OK(kg_fwd_spec_parse("0:localhost:80", KG_FWDSPEC_REMOTE, &f));
	T_ASSERT(f.listen_port == 0 && !f.dynamic);
	kg_fwd_spec_free(&f);
	T_OK(kg_fwd_spec_parse("1080", KG_FWDSPEC_REMOTE, &f));
	T_ASSERT(f.dynamic && f.listen_port == 1080 && !f.connect_host);
	kg_fwd_spec_free(&f);
	T_OK(kg_fwd_spec_parse("/r.sock:h:80", KG_FWDSPEC_REMOTE, &f));
	T_ASSERT(eq(f.listen_path, "/r.sock"));
	kg_fwd_spec_free(&f);
	T_OK(kg_fwd_spec_parse("1080", KG_FWDSPEC_DYNAMIC, &f));
	T_ASSERT(f.dynamic && f.listen_port == 1080 && f.listen_host == NULL);
	kg_fwd_spec_free(&f);
	T_OK(kg_fwd_spec_parse("[::1]:1080", KG_FWDSPEC_DYNAMIC, &f));
	T_ASSERT(f.dynamic && eq(f.listen_host, "::1"));
	kg_fwd_spec_free(&f);
	/* A remote SOCKS proxy on a socket path is not something ssh does. */
	T_ASSERT(kg_fwd_spec_parse("/r.sock", KG_FWDSPEC_REMOTE, &f) == KG_ERR_ARG);
	T_ASSERT(kg_fwd_spec_parse("1080:h:1", KG_FWDSPEC_DYNAMIC, &f) == KG_ERR_ARG);
}

static void test_bad(void)
{
	static const char *const bad_local[] = {
		"", ":", "8080", "8080:", "8080:h", "8080:h:", "8080:h:0", "0:h:80", "8080:h:65536",
		"x:8080:h:80:1", "a:b:c:d:e", "8080:h:8x", "8080:h:-1", "[::1:8080:h:80", "[::1]x:8080:h:1",
		"8080::80", "99999:h:1", "8080:h:000000080", "[", "]", "::::",
	};
	kg_fwd_spec f;
	for (size_t i = 0; i < sizeof(bad_local) / sizeof(bad_local[0]); i++) {
		int r = kg_fwd_spec_parse(bad_local[i], KG_FWDSPEC_LOCAL, &f);
		if (r != KG_ERR_ARG)
			fprintf(stderr, "accepted '%s'\n", bad_local[i]);
		T_ASSERT(r == KG_ERR_ARG);
		T_ASSERT(f.listen_host == NULL && f.connect_host == NULL && f.listen_path == NULL);
	}
	T_ASSERT(kg_fwd_spec_parse("x", KG_FWDSPEC_DYNAMIC, &f) == KG_ERR_ARG);
	T_ASSERT(kg_fwd_spec_parse("0", KG_FWDSPEC_DYNAMIC, &f) == KG_ERR_ARG);
	T_ASSERT(kg_fwd_spec_parse(NULL, KG_FWDSPEC_DYNAMIC, &f) == KG_ERR_ARG);
	char longpath[300];
	memset(longpath, 'a', sizeof(longpath));
	longpath[0] = '/';
	memcpy(longpath + sizeof(longpath) - 6, ":h:80", 6);
	T_ASSERT(kg_fwd_spec_parse(longpath, KG_FWDSPEC_LOCAL, &f) == KG_ERR_ARG);
	/* Every truncation of a good spec is either good or refused cleanly. */
	const char *good = "[::1]:8080:[fe80::1]:443";
	char buf[64];
	for (size_t n = 0; n < strlen(good); n++) {
		memcpy(buf, good, n);
		buf[n] = '\0';
		int r = kg_fwd_spec_parse(buf, KG_FWDSPEC_LOCAL, &f);
		T_ASSERT(r == KG_OK || r == KG_ERR_ARG);
		kg_fwd_spec_free(&f);
	}
}

static void test_config_form(void)
{
	kg_fwd_spec f;
	T_OK(kg_fwd_spec_parse_config("8081 localhost:81", KG_FWDSPEC_LOCAL, &f));
	T_ASSERT(f.listen_port == 8081 && eq(f.connect_host, "localhost") && f.connect_port == 81);
	kg_fwd_spec_free(&f);
	T_OK(kg_fwd_spec_parse_config("\"[::1]:8081\"  \t [::1]:81", KG_FWDSPEC_LOCAL, &f));
	T_ASSERT(eq(f.listen_host, "::1") && eq(f.connect_host, "::1"));
	kg_fwd_spec_free(&f);
	T_OK(kg_fwd_spec_parse_config("8081:h:81", KG_FWDSPEC_LOCAL, &f));
	kg_fwd_spec_free(&f);
	T_OK(kg_fwd_spec_parse_config("1080", KG_FWDSPEC_REMOTE, &f));
	T_ASSERT(f.dynamic);
	kg_fwd_spec_free(&f);
	T_OK(kg_fwd_spec_parse_config("localhost:1080", KG_FWDSPEC_DYNAMIC, &f));
	kg_fwd_spec_free(&f);
	T_ASSERT(kg_fwd_spec_parse_config("8081 h:81 extra", KG_FWDSPEC_LOCAL, &f) == KG_ERR_ARG);
	T_ASSERT(kg_fwd_spec_parse_config("\"8081 h:81", KG_FWDSPEC_LOCAL, &f) == KG_ERR_ARG);
	T_ASSERT(kg_fwd_spec_parse_config("", KG_FWDSPEC_LOCAL, &f) == KG_ERR_ARG);
	T_ASSERT(kg_fwd_spec_parse_config("   ", KG_FWDSPEC_DYNAMIC, &f) == KG_ERR_ARG);
}

static void test_target_text(void)
{
	kg_fwd_spec f;
	char b[64];
	T_OK(kg_fwd_spec_parse("0:web:80", KG_FWDSPEC_REMOTE, &f));
	T_ASSERT(strcmp(kg_fwd_spec_target(&f, b, sizeof(b)), "web:80") == 0);
	kg_fwd_spec_free(&f);
}

int main(void)
{
	T_RUN(test_local_tcp);
	T_RUN(test_local_unix);
	T_RUN(test_remote_and_dynamic);
	T_RUN(test_bad);
	T_RUN(test_config_form);
	T_RUN(test_target_text);
	return T_DONE();
}
