/* SFTP server: the names of its requests (as OpenSSH's sftp-server -Q
 * lists them) and the -P denylist / -p allowlist checks. */
#include <stdio.h>
#include <string.h>
#include "sftp/sftp-server-int.h"

static const struct {
	uint8_t type;
	const char *name;
} v3_reqs[] = {
	{ SSH_FXP_OPEN, "open" }, { SSH_FXP_CLOSE, "close" }, { SSH_FXP_READ, "read" },
	{ SSH_FXP_WRITE, "write" }, { SSH_FXP_LSTAT, "lstat" }, { SSH_FXP_FSTAT, "fstat" },
	{ SSH_FXP_SETSTAT, "setstat" }, { SSH_FXP_FSETSTAT, "fsetstat" }, { SSH_FXP_OPENDIR, "opendir" },
	{ SSH_FXP_READDIR, "readdir" }, { SSH_FXP_REMOVE, "remove" }, { SSH_FXP_MKDIR, "mkdir" },
	{ SSH_FXP_RMDIR, "rmdir" }, { SSH_FXP_REALPATH, "realpath" }, { SSH_FXP_STAT, "stat" },
	{ SSH_FXP_RENAME, "rename" }, { SSH_FXP_READLINK, "readlink" }, { SSH_FXP_SYMLINK, "symlink" },
};

const kg_sftp_srv_ext kg_sftp_srv_exts[] = {
	{ "posix-rename", "posix-rename@openssh.com", "1" },
	{ "statvfs", "statvfs@openssh.com", "2" },
	{ "fstatvfs", "fstatvfs@openssh.com", "2" },
	{ "hardlink", "hardlink@openssh.com", "1" },
	{ "fsync", "fsync@openssh.com", "1" },
	{ "lsetstat", "lsetstat@openssh.com", "1" },
	{ "limits", "limits@openssh.com", "1" },
	{ "expand-path", "expand-path@openssh.com", "1" },
	{ "copy-data", "copy-data", "1" },
	{ "home-directory", "home-directory", "1" },
	{ NULL, NULL, NULL },
};

/* Requests OpenSSH's server knows and this one does not implement: a list
 * may name them (they are refused anyway). */
static const char *const foreign_reqs[] = { "users-groups-by-id", "users-groups-by-id@openssh.com" };

const char *kg_sftp_server_request_name(size_t i)
{
	if (i < KG_ARRAY_LEN(v3_reqs))
		return v3_reqs[i].name;
	i -= KG_ARRAY_LEN(v3_reqs);
	return i < KG_ARRAY_LEN(kg_sftp_srv_exts) ? kg_sftp_srv_exts[i].name : NULL;
}

int kg_sftp_server_check_requests(const char *list, char *bad, size_t badsz)
{
	for (const char *p = list;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		int known = 0;
		for (size_t i = 0; !known && kg_sftp_server_request_name(i); i++)
			known = strlen(kg_sftp_server_request_name(i)) == n &&
				memcmp(kg_sftp_server_request_name(i), p, n) == 0;
		for (size_t i = 0; !known && kg_sftp_srv_exts[i].name; i++)
			known = strlen(kg_sftp_srv_exts[i].wire) == n && memcmp(kg_sftp_srv_exts[i].wire, p, n) == 0;
		for (size_t i = 0; !known && i < KG_ARRAY_LEN(foreign_reqs); i++)
			known = strlen(foreign_reqs[i]) == n && memcmp(foreign_reqs[i], p, n) == 0;
		if (!known) {
			if (bad && badsz)
				snprintf(bad, badsz, "%.*s", (int)(n < 200 ? n : 200), p);
			return KG_ERR_ARG;
		}
		if (!comma)
			return KG_OK;
		p = comma + 1;
	}
}

/* name is one element of the comma list (exact, as OpenSSH compares). */
static int in_list(const char *name, const char *list)
{
	size_t len = strlen(name);
	for (const char *p = list;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == len && memcmp(p, name, n) == 0)
			return 1;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int permitted(kg_sftp_server *s, const char *name, const char *wire)
{
	const char *deny = s->o.deny_requests, *allow = s->o.allow_requests;
	if (deny && (in_list(name, deny) || (wire && in_list(wire, deny)))) {
		if (s->o.log)
			kg_verbose(s->o.log, "Refusing denylisted %s request", name);
		return 0;
	}
	if (allow && !in_list(name, allow) && !(wire && in_list(wire, allow))) {
		if (s->o.log)
			kg_verbose(s->o.log, "Refusing non-allowlisted %s request", name);
		return 0;
	}
	return 1;
}

int srv_request_permitted(kg_sftp_server *s, uint8_t type)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(v3_reqs); i++)
		if (v3_reqs[i].type == type)
			return permitted(s, v3_reqs[i].name, NULL);
	return 1;  /* not a request (unknown types get OP_UNSUPPORTED) */
}

int srv_ext_permitted(kg_sftp_server *s, const uint8_t *wire, size_t n)
{
	for (size_t i = 0; kg_sftp_srv_exts[i].name; i++)
		if (strlen(kg_sftp_srv_exts[i].wire) == n && memcmp(kg_sftp_srv_exts[i].wire, wire, n) == 0)
			return permitted(s, kg_sftp_srv_exts[i].name, kg_sftp_srv_exts[i].wire);
	return 1;  /* unknown: OP_UNSUPPORTED anyway */
}
