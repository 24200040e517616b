/* Exercises src/sftp/sftp-cli-util.c (ksftp's words, paths and escaped names), kg_sftp_print_safe of src/sftp/sftp-client-tree.c, and src/sftp/sftp-server-ops.c (the server's shared replies, arguments, setstat and renames). */
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "t.h"
#include "sftp/sftp-cli-util.h"
#include "sftp/sftp-client.h"
#include "sftp/sftp-server-int.h"

/* What kg_sftp_print_safe writes for s. */
static char *printed(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	kg_sftp_print_safe(f, s);
	fclose(f);
	return buf;
}

/* A server's name holding CSI as one C1 byte (0x9b) or as ESC [ must not
 * reach the terminal raw, in a listing (kg_sftp_cli_shown, as ls shows
 * names in columns) or in a message (kg_sftp_print_safe). */
static void test_names_escaped(void)
{
	static const char *const in[] = { "a\23331mb", "\x1b[2Jx", "bell\x07", "del\x7f" };
	static const char *const want[] = { "a\\23331mb", "\\033[2Jx", "bell\\007", "del\\177" };
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *shown = kg_sftp_cli_shown(in[i]);
		char *p = printed(in[i]);
		T_ASSERT(shown != NULL && p != NULL);
		T_ASSERT(strcmp(shown, want[i]) == 0);
		T_ASSERT(strcmp(p, want[i]) == 0);
		free(shown);
		free(p);
	}
	char *plain = kg_sftp_cli_shown("report 2024.txt");
	T_ASSERT(plain != NULL && strcmp(plain, "report 2024.txt") == 0);
	free(plain);
}

/* In a UTF-8 locale whole characters pass, U+009B (C2 9B) does not, and a
 * character across kg_sftp_print_safe's 1024-byte pieces stays whole. */
static void test_names_utf8(void)
{
	if (!setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "en_US.UTF-8")) {
		printf("(no UTF-8 locale: skipped)\n");
		return;
	}
	char *s = kg_sftp_cli_shown("caf\xc3\xa9 \xc2\x9b" "1m");
	T_ASSERT(s != NULL && strncmp(s, "caf\xc3\xa9 ", 6) == 0 && strstr(s, "\xc2\x9b") == NULL &&
		 strstr(s, "1m") != NULL && strchr(s, '\\') != NULL);
	free(s);
	char longname[1100];
	memset(longname, 'x', sizeof(longname));
	memcpy(longname + 1023, "\xe3\x83\xbc", 3);   /* U+30FC over the boundary */
	longname[sizeof(longname) - 1] = '\0';
	char *p = printed(longname);
	T_ASSERT(p != NULL && strcmp(p, longname) == 0);
	free(p);
	setlocale(LC_CTYPE, "C");
}

static void test_words_and_paths(void)
{
	char *j = cli_join("/home/u/", "f");
	T_ASSERT(j != NULL && strcmp(j, "/home/u/f") == 0);
	free(j);
	j = cli_join("/home/u", "f");
	T_ASSERT(j != NULL && strcmp(j, "/home/u/f") == 0);
	free(j);
	char buf[256], *argv[8];
	int n = cli_split("get  'a b' \"c d\" e\\ f", buf, sizeof(buf), argv, 8);
	T_ASSERT(n == 4);
	T_ASSERT(strcmp(argv[0], "get") == 0 && strcmp(argv[1], "a b") == 0);
	T_ASSERT(strcmp(argv[2], "c d") == 0 && strcmp(argv[3], "e f") == 0);
	T_ASSERT(cli_split("put 'open", buf, sizeof(buf), argv, 8) == -1);
}

/* The status code of the one reply in s->out, which is then emptied. */
static uint32_t reply_code(kg_sftp_server *s)
{
	kg_sftp_msg m;
	uint32_t code = 0xffff;
	const uint8_t *msg;
	size_t ml;
	if (kg_sftp_msg_parse(kg_buf_ptr(&s->out), kg_buf_len(&s->out), &m) == KG_OK &&
	    m.type == SSH_FXP_STATUS && m.id == 9 && kg_sftp_parse_status(&m.body, &code, &msg, &ml) < 0)
		code = 0xfffe;
	if (kg_buf_consume(&s->out, kg_buf_len(&s->out)) < 0)
		code = 0xfffd;
	return code;
}

static int args(kg_buf *b, const char *a1, const char *a2)
{
	kg_buf_reset(b);
	GUARD(kg_buf_put_cstring(b, a1));
	return a2 ? kg_buf_put_cstring(b, a2) : KG_OK;
}

static void test_server_ops(void)
{
	char dir[] = "/tmp/kagi-sftp-ops-XXXXXX", old[4096];
	T_ASSERT(mkdtemp(dir) != NULL && getcwd(old, sizeof(old)) != NULL && chdir(dir) == 0);
	kg_sftp_server_opts o = { .confine = 1 };
	kg_sftp_server s;
	kg_sftp_server_init(&s, &o);
	kg_buf b;
	kg_buf_init(&b, 4096);
	/* Confinement: relative paths inside only. */
	char *p = NULL;
	int refused = -1;
	T_OK(args(&b, "../etc/passwd", NULL));
	T_OK(srv_get_path(&s, &b, &p, &refused));
	T_ASSERT(refused == 1 && strcmp(p, "../etc/passwd") == 0);
	free(p);
	T_OK(args(&b, "sub/file", NULL));
	T_OK(srv_get_path(&s, &b, &p, &refused));
	T_ASSERT(refused == 0);
	free(p);
	T_OK(srv_errno(&s, 9, ENOENT));
	T_ASSERT(reply_code(&s) == SSH_FX_NO_SUCH_FILE);
	/* rename refuses to replace; posix-rename does. */
	FILE *f = fopen("a", "w");
	T_ASSERT(f != NULL && fclose(f) == 0);
	f = fopen("c", "w");
	T_ASSERT(f != NULL && fclose(f) == 0);
	T_OK(args(&b, "a", "b"));
	T_OK(srv_two_paths(&s, 9, &b, TWO_RENAME));
	T_ASSERT(reply_code(&s) == SSH_FX_OK && access("b", F_OK) == 0 && access("a", F_OK) != 0);
	T_OK(args(&b, "c", "b"));
	T_OK(srv_two_paths(&s, 9, &b, TWO_RENAME));
	T_ASSERT(reply_code(&s) != SSH_FX_OK && access("c", F_OK) == 0);
	T_OK(args(&b, "c", "b"));
	T_OK(srv_two_paths(&s, 9, &b, TWO_POSIX_RENAME));
	T_ASSERT(reply_code(&s) == SSH_FX_OK && access("c", F_OK) != 0);
	T_OK(args(&b, "b", "/tmp/elsewhere"));
	T_OK(srv_two_paths(&s, 9, &b, TWO_RENAME));
	T_ASSERT(reply_code(&s) == SSH_FX_PERMISSION_DENIED && access("b", F_OK) == 0);
	/* setstat: the permissions change, and read-only refuses. */
	kg_sftp_attrs a;
	memset(&a, 0, sizeof(a));
	a.flags = SSH_FILEXFER_ATTR_PERMISSIONS;
	a.perm = 0600;
	T_OK(args(&b, "b", NULL));
	T_OK(kg_sftp_attrs_encode(&b, &a));
	T_OK(srv_setstat(&s, 9, &b, 0));
	struct stat st;
	T_ASSERT(reply_code(&s) == SSH_FX_OK && stat("b", &st) == 0 && (st.st_mode & 07777) == 0600);
	s.o.read_only = 1;
	a.perm = 0644;
	T_OK(args(&b, "b", NULL));
	T_OK(kg_sftp_attrs_encode(&b, &a));
	T_OK(srv_setstat(&s, 9, &b, 0));
	T_ASSERT(reply_code(&s) == SSH_FX_PERMISSION_DENIED && stat("b", &st) == 0 && (st.st_mode & 07777) == 0600);
	kg_buf_free(&b);
	kg_sftp_server_free(&s);
	T_ASSERT(unlink("b") == 0 && chdir(old) == 0 && rmdir(dir) == 0);
}

int main(void)
{
	T_RUN(test_names_escaped);
	T_RUN(test_names_utf8);
	T_RUN(test_words_and_paths);
	T_RUN(test_server_ops);
	return T_DONE();
}
