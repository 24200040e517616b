/* Exercises src/sys/user-id.c: taking on a user's effective ids and groups for a moment, and giving them back. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "t.h"
#include "sys/user-id.h"

static int same_groups(const gid_t *a, int na, const gid_t *b, int nb)
{
	if (na != nb)
		return 0;
	for (int i = 0; i < na; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

static void test_switch_and_back(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "skip: needs root\n");
		return;
	}
	kg_spawn_user u;
	T_OK(kg_spawn_user_lookup("nobody", &u));
	char dir[] = "/tmp/kagi-userid.XXXXXX", secret[64], open_file[64];
	T_ASSERT(mkdtemp(dir) != NULL && chmod(dir, 0755) == 0);
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	snprintf(open_file, sizeof(open_file), "%s/open", dir);
	int fd = open(secret, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	T_ASSERT(fd >= 0);
	close(fd);
	fd = open(open_file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	T_ASSERT(fd >= 0);
	close(fd);
	gid_t before[256], during[256], after[256];
	int nbefore = getgroups(256, before);
	T_ASSERT(nbefore >= 0);

	kg_user_id t;
	T_OK(kg_user_id_enter(&t, &u));
	T_ASSERT(t.active);
	T_ASSERT(geteuid() == u.uid && getegid() == u.gid && getuid() == 0);
	int nd = getgroups(256, during);
	int has_gid = 0;
	for (int i = 0; i < nd; i++)
		has_gid |= during[i] == u.gid;
	T_ASSERT(nd >= 1 && has_gid);
	/* the user's rights now: a file only root may read is closed */
	errno = 0;
	T_ASSERT(open(secret, O_RDONLY | O_CLOEXEC) < 0 && errno == EACCES);
	fd = open(open_file, O_RDONLY | O_CLOEXEC);
	T_ASSERT(fd >= 0);
	close(fd);
	T_OK(kg_user_id_leave(&t));
	T_ASSERT(!t.active && t.groups == NULL);
	T_ASSERT(geteuid() == 0 && getegid() == 0);
	int nafter = getgroups(256, after);
	T_ASSERT(same_groups(before, nbefore, after, nafter));
	fd = open(secret, O_RDONLY | O_CLOEXEC);
	T_ASSERT(fd >= 0);
	close(fd);
	T_OK(kg_user_id_leave(&t));   /* leaving twice changes nothing */
	T_ASSERT(geteuid() == 0);
	unlink(secret);
	unlink(open_file);
	rmdir(dir);
	kg_spawn_user_free(&u);
}

static void test_root_user_is_no_switch(void)
{
	kg_spawn_user u;
	T_OK(kg_spawn_user_lookup("root", &u));
	uid_t eu = geteuid();
	kg_user_id t;
	T_OK(kg_user_id_enter(&t, &u));
	T_ASSERT(!t.active && geteuid() == eu);
	T_OK(kg_user_id_leave(&t));
	T_ASSERT(geteuid() == eu);
	kg_spawn_user_free(&u);
}

/* A server that is not root reads as itself: enter does nothing. */
static void test_not_root_is_no_switch(void)
{
	kg_spawn_user u;
	T_OK(kg_spawn_user_lookup("nobody", &u));
	pid_t pid = fork();
	if (pid == 0) {
		if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setresgid(u.gid, u.gid, u.gid) != 0 ||
				       setresuid(u.uid, u.uid, u.uid) != 0))
			_exit(2);
		kg_spawn_user r = { .name = "root", .uid = 0, .gid = 0 };
		kg_spawn_user other = { .name = "daemon", .uid = 1, .gid = 1 };
		kg_user_id t;
		uid_t eu = geteuid();
		int ok = kg_user_id_enter(&t, &other) == KG_OK && !t.active && geteuid() == eu &&
			 kg_user_id_leave(&t) == KG_OK && kg_user_id_enter(&t, &r) == KG_OK && !t.active &&
			 kg_user_id_leave(&t) == KG_OK && geteuid() == eu;
		_exit(ok ? 0 : 1);
	}
	int st;
	T_ASSERT(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	kg_spawn_user_free(&u);
}

int main(void)
{
	T_RUN(test_switch_and_back);
	T_RUN(test_root_user_is_no_switch);
	T_RUN(test_not_root_is_no_switch);
	return T_DONE();
}
