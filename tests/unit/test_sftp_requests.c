/* Exercises src/sftp/sftp-server-req.c and src/sftp/sftp-server.c: the SFTP
 * server's request lists (ksftp-server -P / -p / -Q). */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "t.h"
#include "sftp/sftp-server.h"

static char dir[64];

/* One request with string arguments; returns the status code of the reply
 * (or 0x100 + type for a non-status reply). */
static uint32_t req(kg_sftp_server *s, uint8_t type, const char *ext, const char *a1, const char *a2)
{
	kg_buf b;
	size_t mark;
	uint32_t code = 0xffff;
	kg_buf_init(&b, 0);
	if (kg_sftp_msg_begin(&b, type, 7, &mark) < 0 || (ext && kg_buf_put_cstring(&b, ext) < 0) ||
	    (a1 && kg_buf_put_cstring(&b, a1) < 0) || (a2 && kg_buf_put_cstring(&b, a2) < 0))
		goto out;
	if (type == SSH_FXP_MKDIR && kg_buf_put_u32(&b, 0) < 0)  /* empty attrs */
		goto out;
	if (kg_sftp_msg_end(&b, mark) < 0 || kg_sftp_server_handle(s, kg_buf_ptr(&b), kg_buf_len(&b)) < 0)
		goto out;
	kg_sftp_msg m;
	if (kg_sftp_msg_parse(kg_buf_ptr(&s->out), kg_buf_len(&s->out), &m) < 0 || m.id != 7)
		goto out;
	if (m.type == SSH_FXP_STATUS) {
		const uint8_t *msg;
		size_t ml;
		if (kg_sftp_parse_status(&m.body, &code, &msg, &ml) < 0)
			code = 0xffff;
	} else {
		code = 0x100u + m.type;
	}
out:
	if (kg_buf_consume(&s->out, kg_buf_len(&s->out)) < 0)
		code = 0xffff;
	kg_buf_free(&b);
	return code;
}

static int start(kg_sftp_server *s, const char *deny, const char *allow)
{
	kg_sftp_server_opts o = { .confine = 1, .deny_requests = deny, .allow_requests = allow };
	kg_sftp_server_init(s, &o);
	const uint8_t init[] = { 0, 0, 0, 5, SSH_FXP_INIT, 0, 0, 0, 3 };
	GUARD(kg_sftp_server_handle(s, init, sizeof(init)));
	return kg_buf_consume(&s->out, kg_buf_len(&s->out));
}

static int touch(const char *p)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	return fd < 0 ? -1 : close(fd);
}

static void test_names(void)
{
	static const char *const want[] = { "open", "close", "read", "write", "lstat", "fstat", "setstat",
		"fsetstat", "opendir", "readdir", "remove", "mkdir", "rmdir", "realpath", "stat", "rename",
		"readlink", "symlink", "posix-rename", "statvfs", "fstatvfs", "hardlink", "fsync", "lsetstat",
		"limits", "expand-path", "copy-data", "home-directory" };
	size_t i = 0;
	for (; kg_sftp_server_request_name(i); i++) {
		T_ASSERT(i < sizeof(want) / sizeof(want[0]));
		T_ASSERT(strcmp(kg_sftp_server_request_name(i), want[i]) == 0);
	}
	T_ASSERT(i == sizeof(want) / sizeof(want[0]));
	char bad[64];
	T_OK(kg_sftp_server_check_requests("remove", bad, sizeof(bad)));
	T_OK(kg_sftp_server_check_requests("open,posix-rename@openssh.com,users-groups-by-id", bad, sizeof(bad)));
	T_ASSERT(kg_sftp_server_check_requests("open,remvoe", bad, sizeof(bad)) == KG_ERR_ARG);
	T_ASSERT(strcmp(bad, "remvoe") == 0);
	T_ASSERT(kg_sftp_server_check_requests("open,,read", bad, sizeof(bad)) == KG_ERR_ARG);
	T_ASSERT(kg_sftp_server_check_requests("", bad, sizeof(bad)) == KG_ERR_ARG);
}

static void test_denylist(void)
{
	kg_sftp_server s;
	T_OK(start(&s, "remove,posix-rename", NULL));
	T_OK(touch("f"));
	T_ASSERT(req(&s, SSH_FXP_REMOVE, NULL, "f", NULL) == SSH_FX_PERMISSION_DENIED);
	T_ASSERT(access("f", F_OK) == 0);
	T_ASSERT(req(&s, SSH_FXP_EXTENDED, "posix-rename@openssh.com", "f", "g") == SSH_FX_PERMISSION_DENIED);
	T_ASSERT(access("f", F_OK) == 0);
	/* what is not listed still works */
	T_ASSERT(req(&s, SSH_FXP_RENAME, NULL, "f", "g") == SSH_FX_OK);
	T_ASSERT(req(&s, SSH_FXP_MKDIR, NULL, "d", NULL) == SSH_FX_OK);
	T_ASSERT(req(&s, SSH_FXP_STAT, NULL, "g", NULL) == 0x100u + SSH_FXP_ATTRS);
	kg_sftp_server_free(&s);
	/* an extension denied by its wire name */
	T_OK(start(&s, "hardlink@openssh.com,rename", NULL));
	T_ASSERT(req(&s, SSH_FXP_EXTENDED, "hardlink@openssh.com", "g", "h") == SSH_FX_PERMISSION_DENIED);
	T_ASSERT(access("h", F_OK) != 0);
	T_ASSERT(req(&s, SSH_FXP_RENAME, NULL, "g", "h") == SSH_FX_PERMISSION_DENIED);
	T_ASSERT(req(&s, SSH_FXP_REMOVE, NULL, "g", NULL) == SSH_FX_OK);
	T_ASSERT(access("g", F_OK) != 0);
	kg_sftp_server_free(&s);
}

static void test_allowlist(void)
{
	kg_sftp_server s;
	T_OK(start(&s, NULL, "stat,lstat,realpath"));
	T_OK(touch("a"));
	T_ASSERT(req(&s, SSH_FXP_STAT, NULL, "a", NULL) == 0x100u + SSH_FXP_ATTRS);
	T_ASSERT(req(&s, SSH_FXP_REMOVE, NULL, "a", NULL) == SSH_FX_PERMISSION_DENIED);
	T_ASSERT(req(&s, SSH_FXP_MKDIR, NULL, "d2", NULL) == SSH_FX_PERMISSION_DENIED);
	T_ASSERT(req(&s, SSH_FXP_EXTENDED, "posix-rename@openssh.com", "a", "b") == SSH_FX_PERMISSION_DENIED);
	T_ASSERT(access("a", F_OK) == 0 && access("d2", F_OK) != 0);
	/* an unknown extension stays unsupported */
	T_ASSERT(req(&s, SSH_FXP_EXTENDED, "nosuch@example.com", NULL, NULL) == SSH_FX_OP_UNSUPPORTED);
	kg_sftp_server_free(&s);
	/* the denylist wins over the allowlist */
	T_OK(start(&s, "remove", "remove,stat"));
	T_ASSERT(req(&s, SSH_FXP_REMOVE, NULL, "a", NULL) == SSH_FX_PERMISSION_DENIED);
	T_ASSERT(req(&s, SSH_FXP_STAT, NULL, "a", NULL) == 0x100u + SSH_FXP_ATTRS);
	kg_sftp_server_free(&s);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kg-sftp-req.XXXXXX");
	if (!mkdtemp(dir) || chdir(dir) < 0)
		return 1;
	T_RUN(test_names);
	T_RUN(test_denylist);
	T_RUN(test_allowlist);
	static const char *const left[] = { "a", "d", "h" };
	for (size_t i = 0; i < sizeof(left) / sizeof(left[0]); i++)
		if (unlink(left[i]) < 0)
			rmdir(left[i]);
	if (chdir("/") == 0)
		rmdir(dir);
	return T_DONE();
}
