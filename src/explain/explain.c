/* The collector: turns hook calls into stored facts about the connection.
 * Every message from the peer is parsed through kg_buf views, and only
 * public fields are kept; a password inside a USERAUTH_REQUEST is never
 * read past its method name. */
#include <fcntl.h>
#include <locale.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "core/cipher.h"
#include "core/packet.h"
#include "explain/explain-int.h"

int kg_explain_new(kg_explain **out, const char *program)
{
	kg_explain *ex = calloc(1, sizeof(*ex));
	ENSURE(ex != NULL, KG_ERR_ALLOC);
	ex_clean_copy(ex->program, sizeof(ex->program), program ? program : "kssh");
	const struct passwd *pw = getpwuid(getuid());
	if (pw && pw->pw_name)
		ex_clean_copy(ex->local_user, sizeof(ex->local_user), pw->pw_name);
	*out = ex;
	return KG_OK;
}

void kg_explain_free(kg_explain *ex)
{
	if (!ex)
		return;
	free(ex->user);
	free(ex->host);
	free(ex->jump);
	free(ex->peer_version);
	free(ex->hk_file);
	for (size_t i = 0; i < KG_ARRAY_LEN(ex->server_lists); i++)
		free(ex->server_lists[i]);
	free(ex->kex_lists[0]);
	free(ex->kex_lists[1]);
	for (size_t i = 0; i < ex->n_auth; i++) {
		free(ex->auth[i].text);
		free(ex->auth[i].path);
	}
	for (size_t i = 0; i < ex->n_idfiles; i++)
		free(ex->idfiles[i].path);
	for (size_t i = 0; i < ex->n_xfers; i++) {
		free(ex->xfers[i].local);
		free(ex->xfers[i].remote);
	}
	for (size_t i = 0; i < ex->n_msgs; i++)
		free(ex->msgs[i].detail);
	free(ex->msgs);
	free(ex);
}

/* ---------------- language ---------------- */

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

void kg_explain_i18n_init(void)
{
	/* Only the message language and character set follow the user's
	 * locale: number formats and the rest stay "C" for the protocol code. */
	setlocale(LC_CTYPE, "");
	setlocale(LC_MESSAGES, "");
	const char *env = getenv("KAGI_LOCALEDIR");
	if (env && *env && is_dir(env)) {
		bindtextdomain(KG_TEXT_DOMAIN, env);
		return;
	}
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 32);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		/* The build tree (build/locale), then an install moved as a whole
		 * (PREFIX/share/locale beside PREFIX/bin). */
		static const char *const rel[] = { "/../locale", "/../share/locale" };
		for (size_t i = 0; slash && i < sizeof(rel) / sizeof(rel[0]); i++) {
			strcpy(slash, rel[i]);
			if (is_dir(exe)) {
				bindtextdomain(KG_TEXT_DOMAIN, exe);
				return;
			}
		}
	}
	bindtextdomain(KG_TEXT_DOMAIN, KAGI_PREFIX "/share/locale");
}

void kg_explain_set_live(kg_explain *ex, FILE *out)
{
	ex->live = out;
}

/* ---------------- small helpers ---------------- */

void ex_clean_copy(char *out, size_t outlen, const char *s)
{
	size_t i = 0;
	if (outlen == 0)
		return;
	for (; s && s[i] && i + 1 < outlen; i++) {
		unsigned char ch = (unsigned char)s[i];
		out[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	out[i] = '\0';
}

static char *clean_dup(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *d = malloc(n + 1);
	if (d)
		ex_clean_copy(d, n + 1, s);
	return d;
}

static void set_str(kg_explain *ex, char **slot, const char *s)
{
	char *d = s ? clean_dup(s, EX_DETAIL_MAX) : NULL;
	if (s && !d)
		ex->oom = 1;
	free(*slot);
	*slot = d;
}

void ex_short_hex(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	char hex[2 * 8 + 1], tail[2 * 2 + 1];
	if (n <= 10) {
		char all[2 * 10 + 1];
		kg_hex(p, n, all);
		snprintf(out, outlen, "%s", all);
		return;
	}
	kg_hex(p, 8, hex);
	kg_hex(p + n - 2, 2, tail);
	snprintf(out, outlen, "%s...%s", hex, tail);
}

int kg_explain_set_target(kg_explain *ex, const char *user, const char *host, int port)
{
	set_str(ex, &ex->user, user);
	set_str(ex, &ex->host, host);
	ex->port = port;
	return ex->oom ? KG_ERR_ALLOC : KG_OK;
}

int kg_explain_note_jump(kg_explain *ex, const char *jump)
{
	set_str(ex, &ex->jump, jump);
	return ex->oom ? KG_ERR_ALLOC : KG_OK;
}

void kg_explain_note_agent_forward(kg_explain *ex)
{
	ex->agent_forwarded = 1;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

int kg_explain_note_identity_file(kg_explain *ex, const char *path)
{
	ENSURE(path != NULL, KG_ERR_ARG);
	ENSURE(ex->n_idfiles < EX_MAX_LIST, KG_ERR_TOO_LARGE);
	for (size_t i = 0; i < ex->n_idfiles; i++)
		if (strcmp(ex->idfiles[i].path, path) == 0)
			return KG_OK;
	ex_idfile *f = &ex->idfiles[ex->n_idfiles];
	memset(f, 0, sizeof(*f));
	f->path = clean_dup(path, 4096);
	ENSURE(f->path != NULL, KG_ERR_ALLOC);
	struct stat st;
	if (stat(path, &st) == 0) {
		f->exists = 1;
		f->mode = (unsigned)(st.st_mode & 07777);
		f->loose = (st.st_mode & 077) != 0;
	}
	f->is_pem = has_suffix(path, ".pem") || has_suffix(path, ".PEM");
	ex->n_idfiles++;
	return KG_OK;
}

/* Does the start of a local file look like a private key? */
static int looks_like_private_key(const char *path)
{
	char head[512];
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, head, sizeof(head) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	head[n] = '\0';
	return strstr(head, "PRIVATE KEY-----") != NULL || strstr(head, "PuTTY-User-Key-File") != NULL;
}

int kg_explain_note_transfer(kg_explain *ex, const char *protocol, const char *local_path,
			     const char *remote_path, uint64_t bytes, int upload)
{
	ENSURE(protocol && (strcmp(protocol, "sftp") == 0 || strcmp(protocol, "scp") == 0), KG_ERR_ARG);
	ENSURE(ex->n_xfers < EX_MAX_LIST, KG_ERR_TOO_LARGE);
	ex_transfer *x = &ex->xfers[ex->n_xfers];
	memset(x, 0, sizeof(*x));
	snprintf(x->proto, sizeof(x->proto), "%s", protocol);
	x->local = clean_dup(local_path ? local_path : "", 4096);
	x->remote = clean_dup(remote_path ? remote_path : "", 4096);
	if (!x->local || !x->remote) {
		free(x->local);
		free(x->remote);
		return KG_ERR_ALLOC;
	}
	x->bytes = bytes;
	x->upload = upload != 0;
	x->looks_private = upload && local_path && looks_like_private_key(local_path);
	ex->n_xfers++;
	return KG_OK;
}

void kg_explain_note_outcome(kg_explain *ex, int err)
{
	ex->outcome_set = 1;
	ex->outcome = err;
}

/* ---------------- hooks ---------------- */

void kg_explain_on_peer_version(void *arg, const char *version)
{
	kg_explain *ex = arg;
	if (version && !ex->peer_version)
		set_str(ex, &ex->peer_version, version);
}

void kg_explain_on_hostkey(void *arg, const kg_key *key, const char *status, const char *file, size_t line)
{
	kg_explain *ex = arg;
	if (ex->have_hostkey)
		return;  /* a re-exchange checks the same key again */
	ex->have_hostkey = 1;
	ex_clean_copy(ex->hk_type, sizeof(ex->hk_type), kg_key_type_short(key->type));
	ex_clean_copy(ex->hk_name, sizeof(ex->hk_name), kg_key_type_name(key->type));
	ex->hk_bits = kg_key_bits(key);
	if (kg_key_fingerprint(key, ex->hk_fp, sizeof(ex->hk_fp)) < 0)
		ex->hk_fp[0] = '\0';
	ex_clean_copy(ex->hk_status, sizeof(ex->hk_status), status ? status : "new");
	set_str(ex, &ex->hk_file, file);
	ex->hk_line = line;
}

void kg_explain_on_kex(void *arg, const kg_kex_result *k)
{
	kg_explain *ex = arg;
	ex->kex_count++;
	ex_clean_copy(ex->kex, sizeof(ex->kex), k->kex);
	ex_clean_copy(ex->hostkey_alg, sizeof(ex->hostkey_alg), k->hostkey_alg);
	ex_clean_copy(ex->cipher_c2s, sizeof(ex->cipher_c2s), k->cipher_c2s);
	ex_clean_copy(ex->cipher_s2c, sizeof(ex->cipher_s2c), k->cipher_s2c);
	ex_clean_copy(ex->mac_c2s, sizeof(ex->mac_c2s), k->mac_c2s ? k->mac_c2s : "");
	ex_clean_copy(ex->mac_s2c, sizeof(ex->mac_s2c), k->mac_s2c ? k->mac_s2c : "");
	ex_clean_copy(ex->comp_c2s, sizeof(ex->comp_c2s), k->comp_c2s ? k->comp_c2s : "none");
	ex_clean_copy(ex->comp_s2c, sizeof(ex->comp_s2c), k->comp_s2c ? k->comp_s2c : "none");
	ex->strict_kex = k->strict_kex;
	ex->cpub_len = k->client_pub_len;
	ex->spub_len = k->server_pub_len;
	ex_short_hex(k->client_pub, k->client_pub_len, ex->cpub, sizeof(ex->cpub));
	ex_short_hex(k->server_pub, k->server_pub_len, ex->spub, sizeof(ex->spub));
	ex->hash_len = k->hash_len;
	ex_short_hex(k->exchange_hash, k->hash_len, ex->hash, sizeof(ex->hash));
	if (ex->kex_count == 1)
		memcpy(ex->sid, ex->hash, sizeof(ex->sid));
	if (ex->live)
		ex_text_progress(ex);
}

void kg_explain_on_auth(void *arg, const kg_cli_auth_event *ev)
{
	kg_explain *ex = arg;
	if (ev->type == KG_AUTH_EV_PASSWORD_SENT)
		ex->password_sent = 1;
	if (ev->type == KG_AUTH_EV_KEY_SIGNED)
		ex->pubkey_signed = 1;
	if (ev->type == KG_AUTH_EV_SUCCESS) {
		ex->auth_done = ex->auth_ok = 1;
		ex_clean_copy(ex->auth_method, sizeof(ex->auth_method), ev->text ? ev->text : "");
	}
	if (ev->type == KG_AUTH_EV_METHODS || ev->type == KG_AUTH_EV_BANNER || ev->type == KG_AUTH_EV_SUCCESS)
		ex->auth_started = 1;
	if (ex->n_auth < EX_MAX_AUTH) {
		ex_auth *a = &ex->auth[ex->n_auth];
		memset(a, 0, sizeof(*a));
		a->type = ev->type;
		a->err = ev->err;
		a->partial = ev->partial;
		a->count = ev->count;
		a->from_agent = ev->id && ev->id->from_agent;
		a->from_cmdline = ev->id && ev->id->from_cmdline;
		if (ev->text && !(a->text = clean_dup(ev->text, ev->type == KG_AUTH_EV_BANNER ? 2048 : 512)))
			ex->oom = 1;
		if (ev->alg)
			ex_clean_copy(a->alg, sizeof(a->alg), ev->alg);
		if (ev->id && ev->id->path && !(a->path = clean_dup(ev->id->path, 4096)))
			ex->oom = 1;
		if (ev->id && ev->id->pub) {
			ex_clean_copy(a->keytype, sizeof(a->keytype), kg_key_type_short(ev->id->pub->type));
			a->bits = kg_key_bits(ev->id->pub);
			if (kg_key_fingerprint(ev->id->pub, a->fp, sizeof(a->fp)) < 0)
				a->fp[0] = '\0';
		}
		ex->n_auth++;
	}
	if (ev->id && ev->id->path && ev->id->from_cmdline)
		(void)!kg_explain_note_identity_file(ex, ev->id->path);
	if (ex->live && ev->type == KG_AUTH_EV_SUCCESS)
		ex_text_progress(ex);
}
