/* Exercises src/config/known-hosts-edit.c: the -F / -R / -H edits of
 * ssh-keygen on known_hosts text, with OpenSSH's line classification:
 * truncated and corrupt lines make -R and -H refuse, markers and wildcards
 * are kept, hashed names are matched exactly as given. */
#include <stdlib.h>
#include <string.h>
#include "t.h"
#include "core/key.h"
#include "config/known-hosts.h"
#include "config/known-hosts-edit.h"

#define ED "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGmIC0QDqrUUQoYy9GjQd0SF8BPJ+WQth1eNOB97HrrA"
#define EC "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBM6AQ7892HTLatnYhzFSy2" \
	"xEvvEuMZunNsDZpNHCct8XRD1d1I6QnNLvd9j4mrH1F/UjANtb+TXNdgIJa7qXFuc="

static const char good[] =
	"# c\n"
	"host1,198.51.100.1 " ED " cmt here\n"
	"host4 ssh-ed25519 AAAAtrunc\n"
	"HOST9 " EC "\n"
	"[h7]:2222 " ED "\n"
	"*.w " ED "\n"
	"@revoked host1 " EC "\n"
	"host1\t " EC "   tail  ";   /* no final newline */

static int buf_is(const kg_buf *b, const char *s)
{
	return kg_buf_len(b) == strlen(s) && memcmp(kg_buf_ptr(b), s, strlen(s)) == 0;
}

static void test_remove(void)
{
	kg_khe_result res;
	kg_khe_result_init(&res);
	T_OK(kg_khe_remove(good, strlen(good), "kh", "HOST1", 0, &res));
	int ok = res.found && !res.invalid &&
		 buf_is(&res.out, "# c\nhost4 ssh-ed25519 AAAAtrunc\nHOST9 " EC "\n[h7]:2222 " ED "\n*.w " ED
				  "\n@revoked host1 " EC "\n") &&
		 buf_is(&res.msgs, "# Host HOST1 found: line 2\n# Host HOST1 found: line 8\n") &&
		 kg_buf_len(&res.errs) == 0;
	kg_khe_result_free(&res);
	T_ASSERT(ok);
	kg_khe_result_init(&res);
	T_OK(kg_khe_remove(good, strlen(good), "kh", "nohost", 1, &res));
	ok = !res.found && !res.invalid && kg_buf_len(&res.msgs) == 0;
	kg_khe_result_free(&res);
	T_ASSERT(ok);
}

/* Each corrupt line alone makes -R refuse, naming its line. */
static void test_corrupt_lines(void)
{
	static const char *const bad[] = {
		"host5 foo AAAA\n",               /* unknown key type */
		"host6\n",                        /* no key at all */
		"host1 ssh-ed25519\n",            /* truncated after the type */
		"host1 ssh-ed25519 #x\n",         /* only a comment after it */
		"|1|abc|def " ED "\n",            /* hashed name that does not decode */
		"@bogus host1 " ED "\n",          /* unknown marker */
		"@revoked @revoked host1 " ED "\n",
		"host1 12 35 7\n",                /* SSH-1 style */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), "h0 %s\n%s", ED, bad[i]);
		kg_khe_result res;
		kg_khe_result_init(&res);
		T_OK(kg_khe_remove(text, strlen(text), "kh", "h0", 1, &res));
		int ok = res.invalid && buf_is(&res.errs, "kh:2: invalid line\n");
		kg_khe_result_free(&res);
		if (!ok)
			fprintf(stderr, "line not refused: %s", bad[i]);
		T_ASSERT(ok);
	}
	/* Cut anywhere inside the host field or key type, the text never
	 * makes the walk fail, only an invalid line. */
	for (size_t n = 0; n < 40; n++) {
		kg_khe_result res;
		kg_khe_result_init(&res);
		T_OK(kg_khe_remove(good, n, "kh", "host1", 1, &res));
		kg_khe_result_free(&res);
	}
}

static void test_find(void)
{
	kg_khe_result res;
	kg_khe_result_init(&res);
	T_OK(kg_khe_find(good, strlen(good), "host1", KG_KHE_SHOW_LINE, KG_FP_SHA256, 0, &res));
	int ok = res.found &&
		 buf_is(&res.out, "# Host host1 found: line 2 \nhost1,198.51.100.1 " ED " cmt here\n"
				  "# Host host1 found: line 7 REVOKED\n@revoked host1 " EC "\n"
				  "# Host host1 found: line 8 \nhost1\t " EC "   tail  \n");
	kg_khe_result_free(&res);
	T_ASSERT(ok);
	kg_khe_result_init(&res);
	T_OK(kg_khe_find(good, strlen(good), "[h7]:2222", KG_KHE_SHOW_FP, KG_FP_SHA256, 1, &res));
	ok = buf_is(&res.out, "[h7]:2222 ED25519 SHA256:YkMiQIj8bUnGczAWqNajfW9OlihcEJ9PJnC1gso9yBY\n");
	kg_khe_result_free(&res);
	T_ASSERT(ok);
	kg_khe_result_init(&res);
	T_OK(kg_khe_find(good, strlen(good), "h7", KG_KHE_SHOW_LINE, KG_FP_SHA256, 0, &res));
	ok = !res.found && kg_buf_len(&res.out) == 0;
	kg_khe_result_free(&res);
	T_ASSERT(ok);
}

static void test_hash(void)
{
	kg_khe_result res;
	kg_khe_result_init(&res);
	T_OK(kg_khe_hash(good, strlen(good), "kh", &res));
	T_ASSERT(!res.invalid && res.has_unhashed);
	/* Expected: one line per name; wildcard and marker lines as they were. */
	static const char *const names[] = { "host1", "198.51.100.1", "host4", "host9", "[h7]:2222", NULL, NULL, "host1" };
	static const char *const keep[] = { NULL, NULL, NULL, NULL, NULL, "*.w " ED, "@revoked host1 " EC, NULL };
	char *text = strndup((const char *)kg_buf_ptr(&res.out), kg_buf_len(&res.out));
	int ok = buf_is(&res.errs, "kh:6: ignoring host name with wildcard: *.w\n");
	kg_khe_result_free(&res);
	T_ASSERT(text != NULL && ok);
	char *save = NULL, *line = strtok_r(text, "\n", &save);
	ok = line && strcmp(line, "# c") == 0;
	for (size_t i = 0; ok && i < sizeof(names) / sizeof(names[0]); i++) {
		line = strtok_r(NULL, "\n", &save);
		ok = line != NULL;
		if (ok && keep[i])
			ok = strcmp(line, keep[i]) == 0;
		else if (ok) {
			size_t sp = strcspn(line, " ");
			ok = line[0] == '|' && kg_known_hosts_hash_matches(line, sp, names[i]) == 1 &&
			     kg_known_hosts_hash_matches(line, sp, "other") == 0;
		}
	}
	ok = ok && strtok_r(NULL, "\n", &save) == NULL;
	free(text);
	T_ASSERT(ok);
	/* Hashed entries are found by their name exactly as given. */
	kg_buf one;
	kg_buf_init(&one, 0);
	T_OK(kg_known_hosts_hash_name("host1", &one));
	T_OK(kg_buf_put(&one, " " ED "\n", strlen(ED) + 2));
	kg_khe_result_init(&res);
	T_OK(kg_khe_find((const char *)kg_buf_ptr(&one), kg_buf_len(&one), "host1", KG_KHE_SHOW_LINE, KG_FP_SHA256, 1,
			 &res));
	int found = res.found;
	kg_khe_result_free(&res);
	kg_khe_result_init(&res);
	T_OK(kg_khe_find((const char *)kg_buf_ptr(&one), kg_buf_len(&one), "HOST1", KG_KHE_SHOW_LINE, KG_FP_SHA256, 1,
			 &res));
	int upper = res.found;
	kg_khe_result_free(&res);
	kg_buf_free(&one);
	T_ASSERT(found && !upper);
}

int main(void)
{
	T_RUN(test_remove);
	T_RUN(test_corrupt_lines);
	T_RUN(test_find);
	T_RUN(test_hash);
	return T_DONE();
}
