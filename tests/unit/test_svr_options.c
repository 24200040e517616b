/* Exercises src/sys/chroot-check.c (ChrootDirectory path checks with
 * sshd's messages), src/conn/svr-env.c (PermitUserEnvironment filtering,
 * ~/.ssh/environment parsing, SetEnv order) and src/conn/svr-hostkeys.c
 * (the hostkeys-00 message and hostkeys-prove-00 signatures). */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "t.h"
#include "conn/svr-env.h"
#include "conn/svr-hostkeys.h"
#include "sys/chroot-check.h"

static void test_chroot_paths(void)
{
	char msg[512];
	T_ASSERT(kg_chroot_check("relative/dir", msg, sizeof(msg)) == KG_ERR_CONFIG);
	T_ASSERT(strcmp(msg, "chroot path does not begin at root") == 0);
	T_OK(kg_chroot_check("/", msg, sizeof(msg)));
	struct stat st;
	/* /usr is root's and 755 on any sane system; /tmp is 1777. */
	if (stat("/usr", &st) == 0 && st.st_uid == 0 && !(st.st_mode & 022))
		T_OK(kg_chroot_check("/usr", msg, sizeof(msg)));
	if (stat("/tmp", &st) == 0 && (st.st_mode & 002)) {
		char dir[] = "/tmp/kagi-chroot-XXXXXX";
		T_ASSERT(mkdtemp(dir) != NULL);
		int r = kg_chroot_check(dir, msg, sizeof(msg));
		rmdir(dir);
		T_ASSERT(r == KG_ERR_CONFIG);
		T_ASSERT(strcmp(msg, "bad ownership or modes for chroot directory component \"/tmp/\"") == 0);
		T_ASSERT(kg_chroot_check("/tmp", msg, sizeof(msg)) == KG_ERR_CONFIG);
		T_ASSERT(strcmp(msg, "bad ownership or modes for chroot directory \"/tmp\"") == 0);
	}
	if (stat("/etc/passwd", &st) == 0 && st.st_uid == 0 && !(st.st_mode & 022)) {
		T_ASSERT(kg_chroot_check("/etc/passwd", msg, sizeof(msg)) == KG_ERR_CONFIG);
		T_ASSERT(strcmp(msg, "chroot path \"/etc/passwd\" is not a directory") == 0);
	}
	T_ASSERT(kg_chroot_check("/nonexistent-kagi", msg, sizeof(msg)) == KG_ERR_CONFIG);
	T_ASSERT(strstr(msg, "stat(\"/nonexistent-kagi\")") != NULL);
}

static void test_env_filter(void)
{
	T_ASSERT(kg_svr_env_user_allowed("yes", "ANY") == 1);
	T_ASSERT(kg_svr_env_user_allowed("no", "ANY") == 0);
	T_ASSERT(kg_svr_env_user_allowed(NULL, "ANY") == 0);
	T_ASSERT(kg_svr_env_user_allowed("LANG,LC_*", "LC_ALL") == 1);
	T_ASSERT(kg_svr_env_user_allowed("LANG,LC_*", "PATH") == 0);
	T_ASSERT(kg_svr_env_user_allowed("*,!LD_*", "LD_PRELOAD") == 0);
	static const char file[] = "# comment\n\n  A=1\nnoequals\nLD_PRELOAD=/x.so\r\nB=two words\n=bad\n"
				   "SSH_CONNECTION=forged\n";
	kg_strlist out = { NULL, 0 };
	T_OK(kg_svr_env_parse_file(file, sizeof(file) - 1, "*,!LD_*", &out));
	T_ASSERT(out.n == 2);
	T_ASSERT(strcmp(out.v[0], "A=1") == 0 && strcmp(out.v[1], "B=two words") == 0);
	kg_strlist_free(&out);
}

static void test_env_build(void)
{
	char home[] = "/tmp/kagi-env-XXXXXX";
	T_ASSERT(mkdtemp(home) != NULL);
	char path[256];
	snprintf(path, sizeof(path), "%s/.ssh", home);
	T_ASSERT(mkdir(path, 0700) == 0);
	snprintf(path, sizeof(path), "%s/.ssh/environment", home);
	FILE *f = fopen(path, "w");
	T_ASSERT(f != NULL);
	fputs("FROMFILE=1\nOVER=file\n", f);
	fclose(f);
	kg_server_config cfg;
	kg_server_config_init(&cfg);
	kg_cfg_err err;
	static const char c1[] = "PermitUserEnvironment yes\nSetEnv OVER=setenv\n";
	T_OK(kg_server_config_apply_file(&cfg, c1, strlen(c1), "c", &err));
	T_OK(kg_server_config_finish(&cfg));
	kg_ak_opts ak;
	memset(&ak, 0, sizeof(ak));
	T_OK(kg_strlist_add(&ak.environment, "FROMKEY=1"));
	T_OK(kg_strlist_add(&ak.environment, "OVER=key"));
	kg_spawn_user u = { .name = "u", .uid = getuid(), .gid = getgid(), .home = home, .shell = "/bin/sh" };
	kg_logger log;
	kg_log_init(&log, "t", KG_LOG_QUIET, 0, 0);
	kg_strlist out = { NULL, 0 };
	T_OK(kg_svr_env_build(&cfg, &ak, &u, 0, &log, &out));
	/* key, then file, then SetEnv: a later one wins when applied in order */
	T_ASSERT(out.n == 5);
	T_ASSERT(strcmp(out.v[0], "FROMKEY=1") == 0 && strcmp(out.v[1], "OVER=key") == 0);
	T_ASSERT(strcmp(out.v[2], "FROMFILE=1") == 0 && strcmp(out.v[3], "OVER=file") == 0);
	T_ASSERT(strcmp(out.v[4], "OVER=setenv") == 0);
	kg_strlist_free(&out);
	kg_server_config_free(&cfg);
	/* PermitUserEnvironment no: only SetEnv */
	kg_server_config_init(&cfg);
	T_OK(kg_server_config_apply_file(&cfg, "SetEnv X=1\n", strlen("SetEnv X=1\n"), "c", &err));
	T_OK(kg_server_config_finish(&cfg));
	T_OK(kg_svr_env_build(&cfg, &ak, &u, 0, &log, &out));
	T_ASSERT(out.n == 1 && strcmp(out.v[0], "X=1") == 0);
	kg_strlist_free(&out);
	kg_server_config_free(&cfg);
	kg_ak_opts_free(&ak);
	unlink(path);
	snprintf(path, sizeof(path), "%s/.ssh", home);
	rmdir(path);
	rmdir(home);
}

static void test_hostkeys(void)
{
	kg_key *keys[2] = { NULL, NULL }, *other = NULL;
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &keys[0]));
	T_OK(kg_key_generate(KG_KEY_RSA, 2048, &keys[1]));
	T_OK(kg_key_generate(KG_KEY_ED25519, 0, &other));
	kg_buf msg;
	kg_buf_init(&msg, 0);
	T_OK(kg_svr_hostkeys_message(keys, 2, &msg));
	/* the client's prove request carries the same list of blobs */
	static const uint8_t sid[32] = { 1, 2, 3 };
	kg_buf reply;
	kg_buf_init(&reply, 0);
	T_OK(kg_svr_hostkeys_prove(keys, 2, sid, sizeof(sid), "ssh-ed25519", kg_buf_ptr(&msg), kg_buf_len(&msg),
				   &reply));
	/* each signature verifies over (name, session id, blob) */
	kg_buf rb, mb, data;
	kg_buf_view(&rb, kg_buf_ptr(&reply), kg_buf_len(&reply));
	kg_buf_view(&mb, kg_buf_ptr(&msg), kg_buf_len(&msg));
	kg_buf_init(&data, 0);
	for (int i = 0; i < 2; i++) {
		const uint8_t *blob, *sig;
		size_t blen, slen;
		T_OK(kg_buf_get_string_direct(&mb, &blob, &blen));
		T_OK(kg_buf_get_string_direct(&rb, &sig, &slen));
		kg_buf_reset(&data);
		T_OK(kg_hostkeys_prove_data(sid, sizeof(sid), blob, blen, &data));
		T_OK(kg_key_verify(keys[i], i == 1 ? "rsa-sha2-512" : NULL, sig, slen, kg_buf_ptr(&data),
				   kg_buf_len(&data)));
		/* a different session id does not verify */
		uint8_t sid2[32] = { 9 };
		kg_buf_reset(&data);
		T_OK(kg_hostkeys_prove_data(sid2, sizeof(sid2), blob, blen, &data));
		T_ASSERT(kg_key_verify(keys[i], NULL, sig, slen, kg_buf_ptr(&data), kg_buf_len(&data)) < 0);
	}
	T_ASSERT(kg_buf_len(&rb) == 0);
	/* a key the server does not hold is refused */
	kg_buf req, out2;
	kg_buf_init(&req, 0);
	kg_buf_init(&out2, 0);
	T_OK(kg_svr_hostkeys_message(&other, 1, &req));
	T_ASSERT(kg_svr_hostkeys_prove(keys, 2, sid, sizeof(sid), NULL, kg_buf_ptr(&req), kg_buf_len(&req), &out2) ==
		 KG_ERR_NOT_FOUND);
	kg_buf_free(&req);
	kg_buf_free(&out2);
	kg_buf_free(&data);
	kg_buf_free(&reply);
	kg_buf_free(&msg);
	kg_key_free(keys[0]);
	kg_key_free(keys[1]);
	kg_key_free(other);
}

int main(void)
{
	T_RUN(test_chroot_paths);
	T_RUN(test_env_filter);
	T_RUN(test_env_build);
	T_RUN(test_hostkeys);
	return T_DONE();
}
