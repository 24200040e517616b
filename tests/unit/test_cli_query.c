/* Tests src/config/cli-query.c (kssh -Q). */
#include <stdlib.h>
#include <string.h>
#include "t.h"
#include "config/cli-query.h"

static char *query(const char *q, int *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	*r = kg_cli_query(q, f);
	fclose(f);
	return buf;
}

static void test_queries(void)
{
	int r;
	char *s = query("cipher", &r);
	T_ASSERT(r == 0 && strstr(s, "aes128-ctr\n") && strstr(s, "chacha20-poly1305@openssh.com\n") && !strchr(s, ','));
	free(s);
	s = query("cipher-auth", &r);
	T_ASSERT(r == 0 && !strstr(s, "aes128-ctr") && strstr(s, "aes256-gcm@openssh.com\n"));
	free(s);
	s = query("Ciphers", &r);
	T_ASSERT(r == 0 && strstr(s, "aes256-ctr\n"));
	free(s);
	s = query("protocol-version", &r);
	T_ASSERT(r == 0 && strcmp(s, "2\n") == 0);
	free(s);
	s = query("help", &r);
	T_ASSERT(r == 0 && strstr(s, "\nkex\n") && strstr(s, "\nsig\n"));
	free(s);
	s = query("kex-gss", &r);
	T_ASSERT(r == 0 && strcmp(s, "") == 0);
	free(s);
	s = query("bogus", &r);
	T_ASSERT(r < 0);
	free(s);
}

int main(void)
{
	T_RUN(test_queries);
	return T_DONE();
}
