/* Running an SSH_ASKPASS program and reading its answer. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "sys/askpass.h"

const char *kg_askpass_program(void)
{
	const char *p = getenv("SSH_ASKPASS");
	return p && *p ? p : KG_ASKPASS_DEFAULT;
}

static void child(const char *program, const char *prompt, int confirm, int out)
{
	if (dup2(out, STDOUT_FILENO) < 0)
		_exit(127);
	if (out != STDOUT_FILENO)
		close(out);
	if (confirm)
		setenv("SSH_ASKPASS_PROMPT", "confirm", 1);
	else
		unsetenv("SSH_ASKPASS_PROMPT");
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execlp(program, program, prompt, (char *)NULL);
	_exit(127);
}

int kg_askpass_run(const char *program, const char *prompt, int confirm, char *buf, size_t len)
{
	ENSURE(program && prompt && buf && len > 0, KG_ERR_ARG);
	buf[0] = '\0';
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return KG_ERR_SYSTEM;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return KG_ERR_SYSTEM;
	}
	if (pid == 0) {
		close(p[0]);
		child(program, prompt, confirm, p[1]);
	}
	close(p[1]);
	size_t got = 0;
	int full = 0;
	for (;;) {
		char tmp[256];
		ssize_t n = read(p[0], tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n && !full; i++) {
			if (tmp[i] == '\n' || tmp[i] == '\r' || got + 1 >= len)
				full = 1;
			else
				buf[got++] = tmp[i];
		}
		OPENSSL_cleanse(tmp, sizeof(tmp));
	}
	close(p[0]);
	buf[got] = '\0';
	OPENSSL_cleanse(buf + got, len - got);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			OPENSSL_cleanse(buf, len);
			return KG_ERR_SYSTEM;
		}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		OPENSSL_cleanse(buf, len);
		return KG_ERR_SYSTEM;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		OPENSSL_cleanse(buf, len);
		return KG_ERR_AUTH_FAILED;
	}
	return KG_OK;
}

int kg_askpass_confirm(const char *program, const char *prompt)
{
	char ans[64];
	int r = kg_askpass_run(program, prompt, 1, ans, sizeof(ans));
	if (r == KG_OK && ans[0] != '\0' && strcasecmp(ans, "yes") != 0)
		r = KG_ERR_AUTH_FAILED;
	OPENSSL_cleanse(ans, sizeof(ans));
	return r < 0 ? KG_ERR_AUTH_FAILED : KG_OK;
}
