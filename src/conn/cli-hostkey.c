/* The client's host key helpers (see cli-hostkey.h): known host key
 * types first in the algorithm order, so that a known ecdsa or rsa key is
 * the one the server shows instead of a new type that would need a
 * prompt; OpenSSH's changed-key warning; CheckHostIP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "conn/cli-hostkey.h"
#include "config/client-config.h"
#include "config/config-common.h"
#include "config/known-hosts.h"
#include "config/known-hosts-edit.h"
#include "core/safety.h"
#include "sys/tty.h"

/* The key type a host key algorithm signs with (rsa-sha2-* are RSA). */
static enum kg_keytype alg_keytype(const char *alg, size_t n)
{
	char name[64];
	if (n >= sizeof(name))
		return KG_KEY_UNSPEC;
	memcpy(name, alg, n);
	name[n] = '\0';
	if (strncmp(name, "rsa-sha2-", 9) == 0)
		return KG_KEY_RSA;
	return kg_key_type_from_name(name);
}

struct known_types {
	unsigned mask;  /* bit per enum kg_keytype */
};

static int known_type_cb(const kg_khe_line *l, void *arg)
{
	struct known_types *kt = arg;
	if (l->status == KG_KHE_MATCHED && l->marker == KG_KHE_MK_NONE && l->key)
		kt->mask |= 1u << l->key->type;
	return KG_OK;
}

int kg_cli_hostkey_order(const char *host, int port, const char *const *files, size_t nfiles, char **algs,
			 int *changed)
{
	ENSURE(host != NULL && algs != NULL && *algs != NULL && changed != NULL, KG_ERR_ARG);
	*changed = 0;
	char *name = NULL;
	GUARD(kg_known_hosts_name(host, port, &name));
	struct known_types kt = { 0 };
	for (size_t i = 0; i < nfiles; i++) {
		char *text = NULL;
		size_t len = 0;
		if (files[i] && kg_read_text_file(files[i], 64u * 1024 * 1024, &text, &len, NULL) == KG_OK)
			(void)!kg_khe_foreach(text, len, name, 1, 1, known_type_cb, &kt);
		free(text);
	}
	free(name);
	if (kt.mask == 0)
		return KG_OK;
	const char *in = *algs;
	size_t n = strlen(in);
	char *out = malloc(n + 2);
	ENSURE(out != NULL, KG_ERR_ALLOC);
	size_t o = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (const char *p = in; *p;) {
			size_t l = strcspn(p, ",");
			enum kg_keytype t = alg_keytype(p, l);
			int known = t != KG_KEY_UNSPEC && (kt.mask & (1u << t));
			if (known == (pass == 0)) {
				if (o)
					out[o++] = ',';
				memcpy(out + o, p, l);
				o += l;
			}
			p += l + (p[l] == ',');
		}
	}
	out[o] = '\0';
	*changed = strcmp(out, in) != 0;
	free(*algs);
	*algs = out;
	return KG_OK;
}

void kg_cli_hostkey_changed(const kg_logger *log, const kg_key *key, const char *fp, const kg_kh_result *res,
			    const char *name)
{
	kg_error(log, "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
	kg_error(log, "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @");
	kg_error(log, "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
	kg_error(log, "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!");
	kg_error(log, "Someone could be eavesdropping on you right now (man-in-the-middle attack)!");
	kg_error(log, "It is also possible that a host key has just been changed.");
	/* Two records: the logger escapes a newline inside one. */
	kg_error(log, "The fingerprint for the %s key sent by the remote host is", kg_key_type_short(key->type));
	kg_error(log, "%s.", fp);
	kg_error(log, "Please contact your system administrator.");
	kg_error(log, "Add correct host key in %s to get rid of this message.", res->file);
	kg_error(log, "Offending %s key in %s:%zu", kg_key_type_short(key->type), res->file, res->line);
	kg_error(log, "  remove with:");
	kg_error(log, "  kssh-keygen -f '%s' -R '%s'", res->file, name);
	kg_error(log, "Host key for %s has changed and you have requested strict checking.", name);
}

/* ---------------- CheckHostIP ---------------- */

/* A loopback address (127/8, ::1, ::ffff:127/104). */
static int loopback(const char *ip)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, ip, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, ip, &a6) != 1)
		return 0;
	if (IN6_IS_ADDR_LOOPBACK(&a6))
		return 1;
	return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}

static int numeric(const char *ip)
{
	struct in_addr a4;
	struct in6_addr a6;
	return inet_pton(AF_INET, ip, &a4) == 1 || inet_pton(AF_INET6, ip, &a6) == 1;
}

int kg_cli_hostip_wanted(int check_host_ip, const char *hostname, const char *ip)
{
	return check_host_ip == 1 && hostname && ip && numeric(ip) && strcasecmp(hostname, ip) != 0 && !loopback(ip);
}

int kg_cli_hostip_check(kg_cli_hostip *h, const char *const *files, size_t nfiles, const char *ip, int port,
			const kg_key *key)
{
	ENSURE(h != NULL && ip != NULL && key != NULL, KG_ERR_ARG);
	kg_kh_result_init(&h->res);
	free(h->name);
	h->name = NULL;
	GUARD(kg_known_hosts_name(ip, port, &h->name));
	return kg_known_hosts_check_files(files, nfiles, ip, port, key, &h->res);
}

void kg_cli_hostip_free(kg_cli_hostip *h)
{
	free(h->name);
	h->name = NULL;
}

int kg_cli_hostkey_entry(const char *name, const char *ipname, const kg_key *key, int hash, kg_buf *out)
{
	ENSURE(name != NULL && key != NULL && out != NULL, KG_ERR_ARG);
	kg_buf k;
	kg_buf_init(&k, 0);
	int r = kg_key_to_line(key, &k);
	for (int i = 0; i < 2 && r >= 0; i++) {
		const char *n = i == 0 ? name : ipname;
		if (!n || (i == 1 && !hash))
			continue;
		/* Names that would read back as something else are refused. */
		ENSURE_GOTO(r, strpbrk(n, " \t\r\n,*?!#|@") == NULL, KG_ERR_ARG, out);
		if (hash)
			r = kg_known_hosts_hash_name(n, out);
		else if (ipname)
			r = kg_buf_putf(out, "%s,%s", name, ipname);
		else
			r = kg_buf_put(out, n, strlen(n));
		if (r >= 0)
			r = kg_buf_put_u8(out, ' ');
		if (r >= 0)
			r = kg_buf_put(out, kg_buf_ptr(&k), kg_buf_len(&k));
		if (r >= 0)
			r = kg_buf_put_u8(out, '\n');
	}
out:
	kg_buf_free(&k);
	return r;
}

int kg_cli_hostip_matched(const kg_logger *log, const kg_cli_hostip *h, const kg_key *key, const char *user_file,
			  int hash)
{
	if (!h->name || h->res.status != KG_KH_NEW)
		return KG_OK;
	const char *type = kg_key_type_short(key->type);
	if (!user_file) {
		kg_info(log, "%s host key for IP address '%s' not in list of known hosts.", type, h->name);
		return KG_OK;
	}
	kg_buf line;
	kg_buf_init(&line, 0);
	int r = kg_cli_hostkey_entry(h->name, NULL, key, hash, &line);
	if (r >= 0)
		r = kg_known_hosts_append(user_file, (const char *)kg_buf_ptr(&line), kg_buf_len(&line));
	if (r >= 0)
		kg_info(log, "Warning: Permanently added the %s host key for IP address '%s' to the list of known hosts.",
			type, h->name);
	else
		kg_info(log, "Failed to add the %s host key for IP address '%s' to the list of known hosts (%s).", type,
			h->name, user_file);
	kg_buf_free(&line);
	return KG_OK;
}

void kg_cli_hostip_spoofing(const kg_logger *log, const kg_cli_hostip *h, const kg_key *key, const char *name)
{
	if (!h->name || h->res.status == KG_KH_CHANGED)
		return;
	const char *what = h->res.status == KG_KH_NEW ? "is unknown" : "is unchanged";
	kg_error(log, "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
	kg_error(log, "@       WARNING: POSSIBLE DNS SPOOFING DETECTED!          @");
	kg_error(log, "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
	kg_error(log, "The %s host key for %s has changed,", kg_key_type_short(key->type), name);
	kg_error(log, "and the key for the corresponding IP address %s", h->name);
	kg_error(log, "%s. This could either mean that", what);
	kg_error(log, "DNS SPOOFING is happening or the IP address for the host");
	kg_error(log, "and its host key have changed at the same time.");
	if (h->res.status != KG_KH_NEW)
		kg_error(log, "Offending key for IP in %s:%zu", h->res.file, h->res.line);
}

int kg_cli_hostip_mismatch(const kg_logger *log, const kg_cli_hostip *h, const kg_key *key, const char *name,
			   const kg_kh_result *host, int shkc, int batch)
{
	if (!h->name || h->res.status != KG_KH_CHANGED || host->status == KG_KH_CHANGED)
		return KG_OK;
	char l1[600], l2[600], l3[600];
	snprintf(l1, sizeof(l1), "Warning: the %s host key for '%s' differs from the key for the IP address '%s'",
		 kg_key_type_short(key->type), name, h->name);
	snprintf(l2, sizeof(l2), "Offending key for IP in %s:%zu", h->res.file, h->res.line);
	l3[0] = '\0';
	if (host->status == KG_KH_MATCH)
		snprintf(l3, sizeof(l3), "Matching host key in %s:%zu", host->file, host->line);
	if (shkc == KG_SHKC_ASK && !batch) {
		char q[2048];
		snprintf(q, sizeof(q), "%s\r\n%s\r\n%s%sAre you sure you want to continue connecting (yes/no)? ", l1, l2,
			 l3, l3[0] ? "\r\n" : "");
		return kg_tty_ask_yes_no(q) == 1 ? KG_OK : KG_ERR_HOSTKEY_CHANGED;
	}
	kg_info(log, "%s", l1);
	kg_info(log, "%s", l2);
	if (l3[0])
		kg_info(log, "%s", l3);
	if (shkc == KG_SHKC_NO)
		return KG_OK;
	kg_error(log, "Exiting, you have requested strict checking.");
	return KG_ERR_HOSTKEY_CHANGED;
}

/* ---------------- other names of a new key ---------------- */

struct other_names {
	const kg_key *key;
	const char *file;      /* as shown (~ for the home directory) */
	kg_buf *out;
	size_t shown, omitted;
};

#define OTHER_NAMES_MAX 8

static int other_cb(const kg_khe_line *l, void *arg)
{
	struct other_names *o = arg;
	if (l->status != KG_KHE_OK || l->marker != KG_KHE_MK_NONE || !l->key || !kg_key_equal_public(l->key, o->key))
		return KG_OK;
	if (o->shown >= OTHER_NAMES_MAX) {
		o->omitted++;
		return KG_OK;
	}
	o->shown++;
	if (l->hosts_len >= 3 && memcmp(l->hosts, "|1|", 3) == 0)
		return kg_buf_putf(o->out, "    %s:%zu: [hashed name]\r\n", o->file, l->lineno);
	return kg_buf_putf(o->out, "    %s:%zu: %.*s\r\n", o->file, l->lineno, (int)l->hosts_len, l->hosts);
}

int kg_cli_hostkey_other_names(const char *const *files, size_t nfiles, const kg_key *key, const char *home,
			       kg_buf *out)
{
	ENSURE(key != NULL && out != NULL, KG_ERR_ARG);
	kg_buf names;
	kg_buf_init(&names, 0);
	struct other_names o = { .key = key, .out = &names };
	int r = KG_OK;
	for (size_t i = 0; i < nfiles && r >= 0; i++) {
		char *text = NULL, shown[1200];
		size_t len = 0;
		if (!files[i] || kg_read_text_file(files[i], 64u * 1024 * 1024, &text, &len, NULL) != KG_OK)
			continue;
		size_t hl = home ? strlen(home) : 0;
		if (hl > 1 && strncmp(files[i], home, hl) == 0 && files[i][hl] == '/')
			snprintf(shown, sizeof(shown), "~%s", files[i] + hl);
		else
			snprintf(shown, sizeof(shown), "%s", files[i]);
		o.file = shown;
		r = kg_khe_foreach(text, len, NULL, 0, 1, other_cb, &o);
		free(text);
	}
	if (r >= 0 && o.shown == 0)
		r = kg_buf_putf(out, "This key is not known by any other names.\r\n");
	else if (r >= 0)
		r = kg_buf_putf(out, "This host key is known by the following other names/addresses:\r\n");
	if (r >= 0 && o.shown)
		r = kg_buf_put(out, kg_buf_ptr(&names), kg_buf_len(&names));
	if (r >= 0 && o.omitted)
		r = kg_buf_putf(out, "    (%zu additional names omitted)\r\n", o.omitted);
	kg_buf_free(&names);
	return r;
}

int kg_cli_hostkey_portless(const kg_logger *log, const char *const *files, size_t nfiles, const char *host,
			    const kg_key *key)
{
	kg_debug(log, "checking without port identifier");
	kg_kh_result res;
	kg_kh_result_init(&res);
	char *name = NULL;
	GUARD(kg_known_hosts_name(host, 22, &name));
	int r = kg_known_hosts_check_files(files, nfiles, host, 22, key, &res);
	if (r >= 0 && res.status == KG_KH_MATCH) {
		kg_debug(log, "Host '%s' is known and matches the %s host key.", name, kg_key_type_short(key->type));
		kg_debug(log, "Found key in %s:%zu", res.file, res.line);
		kg_debug(log, "found matching key w/out port");
		r = 1;
	} else if (r >= 0) {
		r = 0;
	}
	free(name);
	return r;
}

int kg_cli_hostkey_question(char *q, size_t n, const char *name, const char *ip, int port, const kg_key *key,
			    const char *fp, const char *const *files, size_t nfiles, const char *home)
{
	char *ipn = NULL;
	kg_buf other;
	kg_buf_init(&other, 0);
	int r = kg_known_hosts_name(ip, port, &ipn);
	if (r >= 0)
		r = kg_cli_hostkey_other_names(files, nfiles, key, home, &other);
	if (r >= 0)
		r = kg_buf_put_u8(&other, 0);
	if (r >= 0)
		snprintf(q, n,
			 "The authenticity of host '%s (%s)' can't be established.\r\n"
			 "%s key fingerprint is %s.\r\n%s"
			 "Are you sure you want to continue connecting (yes/no/[fingerprint])? ",
			 name, ipn, kg_key_type_short(key->type), fp, (const char *)kg_buf_ptr(&other));
	free(ipn);
	kg_buf_free(&other);
	return r;
}
