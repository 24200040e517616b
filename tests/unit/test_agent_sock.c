/* Agent sockets and the agent client: src/sys/agent-sock.c (private dir,
 * listen, accept with the peer uid, blocking calls) and src/conn/cli-agent.c
 * (socket lookup, listing, signing, merging with key files) against a
 * small forked agent that answers from a fixed key. */
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "t.h"
#include "conn/cli-agent.h"
#include "sys/agent-sock.h"

static kg_key *key;

/* Answers n requests on one accepted connection: identities -> key, sign
 * -> a real signature, anything else FAILURE. */
static void mini_agent(int lfd, int n)
{
	int fd = -1;
	uid_t uid;
	for (int i = 0; i < 500 && kg_agent_sock_accept(lfd, &fd, &uid) == KG_ERR_AGAIN; i++)
		usleep(10000);
	if (fd < 0 || uid != getuid())
		_exit(2);
	for (int k = 0; k < n; k++) {
		uint8_t hdr[4], msg[65536];
		size_t got = 0;
		while (got < 4) {
			ssize_t r = read(fd, hdr + got, 4 - got);
			if (r > 0)
				got += (size_t)r;
			else if (r == 0)
				_exit(0);
			else
				usleep(1000);
		}
		size_t len = kg_peek_u32(hdr);
		if (len > sizeof(msg))
			_exit(3);
		got = 0;
		while (got < len) {
			ssize_t r = read(fd, msg + got, len - got);
			if (r > 0)
				got += (size_t)r;
			else if (r == 0)
				_exit(4);
			else
				usleep(1000);
		}
		kg_agent_request req;
		kg_buf out, blob, sig;
		kg_buf_init(&out, 0);
		kg_buf_init(&blob, 0);
		kg_buf_init(&sig, 0);
		if (kg_key_to_blob(key, &blob) < 0)
			_exit(5);
		int ok = kg_agent_request_parse(msg, len, &req) == KG_OK;
		size_t mark;
		if (ok && req.type == KG_AGENTC_REQUEST_IDENTITIES) {
			if (kg_agent_put_identities_begin(&out, &mark) < 0 ||
			    kg_agent_put_identity(&out, kg_buf_ptr(&blob), kg_buf_len(&blob), "mini") < 0 ||
			    kg_agent_put_identities_end(&out, mark, 1) < 0)
				_exit(6);
		} else if (ok && req.type == KG_AGENTC_SIGN_REQUEST &&
			   kg_key_sign(key, NULL, req.data, req.data_len, &sig) == KG_OK) {
			if (kg_agent_put_sign_response(&out, kg_buf_ptr(&sig), kg_buf_len(&sig)) < 0)
				_exit(7);
		} else if (kg_agent_put_simple(&out, KG_AGENT_FAILURE) < 0) {
			_exit(8);
		}
		if (ok)
			kg_agent_request_free(&req);
		if (write(fd, kg_buf_ptr(&out), kg_buf_len(&out)) != (ssize_t)kg_buf_len(&out))
			_exit(9);
		kg_buf_free(&out);
		kg_buf_free(&blob);
		kg_buf_free(&sig);
	}
	_exit(0);
}

static void test_socket_path(void)
{
	char *p;
	T_OK(kg_agent_socket_path("none", &p));
	T_ASSERT(p == NULL);
	setenv("SSH_AUTH_SOCK", "/tmp/x.sock", 1);
	T_OK(kg_agent_socket_path(NULL, &p));
	T_ASSERT(p && strcmp(p, "/tmp/x.sock") == 0);
	free(p);
	T_OK(kg_agent_socket_path("SSH_AUTH_SOCK", &p));
	T_ASSERT(p && strcmp(p, "/tmp/x.sock") == 0);
	free(p);
	setenv("KAGI_T_AGENT", "/tmp/y", 1);
	T_OK(kg_agent_socket_path("$KAGI_T_AGENT", &p));
	T_ASSERT(p && strcmp(p, "/tmp/y") == 0);
	free(p);
	T_OK(kg_agent_socket_path("/some/path", &p));
	T_ASSERT(p && strcmp(p, "/some/path") == 0);
	free(p);
	unsetenv("SSH_AUTH_SOCK");
	T_OK(kg_agent_socket_path(NULL, &p));
	T_ASSERT(p == NULL);
}

static void test_list_sign_merge(void)
{
	char *dir, path[512];
	T_OK(kg_agent_sock_private_dir(NULL, &dir));
	struct stat st;
	T_ASSERT(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
	snprintf(path, sizeof(path), "%s/agent.1", dir);
	int lfd;
	T_OK(kg_agent_sock_listen(path, &lfd));
	T_ASSERT(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 077) == 0);
	int again;
	T_ASSERT(kg_agent_sock_listen(path, &again) == KG_ERR_SYSTEM);
	pid_t pid = fork();
	if (pid == 0)
		mini_agent(lfd, 4);
	kg_agent_conn a;
	T_OK(kg_agent_open(path, &a));
	kg_agent_id *ids;
	size_t n;
	T_OK(kg_agent_list(&a, &ids, &n));
	T_ASSERT(n == 1 && strcmp(ids[0].comment, "mini") == 0);
	kg_buf sig;
	kg_buf_init(&sig, 0);
	T_OK(kg_agent_sign(&a, ids[0].blob, ids[0].blob_len, (const uint8_t *)"abc", 3, 0, &sig));
	T_OK(kg_key_verify(key, NULL, kg_buf_ptr(&sig), kg_buf_len(&sig), (const uint8_t *)"abc", 3));
	kg_buf_free(&sig);
	kg_agent_ids_free(ids, n);
	kg_buf req;
	kg_buf_init(&req, 0);
	T_OK(kg_agent_put_simple(&req, KG_AGENTC_REMOVE_ALL_IDENTITIES));
	T_ASSERT(kg_agent_call_status(&a, &req) == KG_ERR_NOT_FOUND);
	kg_buf_free(&req);
	/* merging: a file identity the agent holds is dropped (agent first) */
	kg_cli_identity *v = calloc(2, sizeof(*v));
	T_OK(kg_key_public_copy(key, &v[0].pub));
	v[0].path = strdup("/f/id");
	size_t nv = 1;
	T_ASSERT(kg_agent_merge_identities(&a, 0, &v, &nv) == 1);
	T_ASSERT(nv == 1 && v[0].from_agent && strcmp(v[0].path, "mini") == 0);
	kg_key_free(v[0].pub);
	free((char *)v[0].path);
	free(v);
	kg_agent_close(&a);
	int status;
	T_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(lfd);
	unlink(path);
	rmdir(dir);
	free(dir);
	T_ASSERT(kg_agent_open(path, &a) == KG_ERR_SYSTEM);
}

int main(void)
{
	if (kg_key_generate(KG_KEY_ED25519, 0, &key) < 0)
		return 1;
	T_RUN(test_socket_path);
	T_RUN(test_list_sign_merge);
	kg_key_free(key);
	return T_DONE();
}
