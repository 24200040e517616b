/* Exercises src/conn/cli-hostkeys-update.c (UpdateHostKeys): the server's
 * list against known_hosts, the hostkeys-prove request and its signatures
 * (made by the server's side, svr-hostkeys.c), a bad signature learned
 * not, keys no longer offered removed from lines naming the host alone,
 * lines with patterns or markers leaving the file alone, HostKeyAlgorithms
 * limiting what is learned, and the set-up rules (no, untrusted, ask
 * with a remote command).  Also CheckHostIP in src/conn/cli-hostkey.c:
 * which addresses are checked, the address recorded beside a known host
 * key, the mismatch and DNS spoofing warnings, the other names of a new
 * key in the new-host question, a port-less entry accepted for host:port.  And the -v lines of
 * src/conn/cli-verbose.c in ssh's wording. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "t.h"
#include "config/client-config.h"
#include "config/config-common.h"
#include "config/known-hosts.h"
#include "conn/cli-hostkey.h"
#include "conn/cli-hostkeys-update.h"
#include "conn/cli-verbose.h"
#include "conn/svr-hostkeys.h"

static char dir[] = "/tmp/kg-hkupd-XXXXXX";
static char kh[64];
static kg_key *srv[3];  /* the server's keys: ed25519, ecdsa, rsa (private) */
static kg_key *stale;   /* a key the server no longer has */
static const uint8_t sid[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

static char *read_file(const char *path)
{
	char *t = NULL;
	size_t n;
	if (kg_read_text_file(path, 0, &t, &n, NULL) != KG_OK)
		return NULL;
	return t;
}

/* "name type base64\n" for k, as known_hosts holds it (hashed if asked). */
static char *entry(const char *host, int port, const kg_key *k, int hash)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	if (kg_known_hosts_format_entry(host, port, k, hash, &b) < 0)
		abort();
	char *s = strndup((const char *)kg_buf_ptr(&b), kg_buf_len(&b));
	kg_buf_free(&b);
	return s;
}

static kg_cli_hkupd *updater(const char *algs, int hash)
{
	const char *files[] = { kh, "/nonexistent/known_hosts2" };
	kg_cli_hkupd_opts o = { .log = NULL, .host = "h.example", .port = 2222, .files = files, .nfiles = 2,
				.hash = hash, .hostkey_algs = algs };
	kg_cli_hkupd *u = NULL;
	if (kg_cli_hkupd_new(&u, &o, NULL) < 0)
		abort();
	return u;
}

/* The hostkeys-00 data for the server keys [0, n). */
static void offer(kg_buf *m, size_t n)
{
	kg_buf_init(m, 0);
	if (kg_svr_hostkeys_message(srv, n, m) < 0)
		abort();
}

static void setup(void)
{
	if (!mkdtemp(dir))
		abort();
	snprintf(kh, sizeof(kh), "%s/known_hosts", dir);
	if (kg_key_generate(KG_KEY_ED25519, 0, &srv[0]) < 0 || kg_key_generate(KG_KEY_ECDSA_P256, 0, &srv[1]) < 0 ||
	    kg_key_generate(KG_KEY_RSA, 2048, &srv[2]) < 0 || kg_key_generate(KG_KEY_ED25519, 0, &stale) < 0)
		abort();
}

/* Known: the ed25519 key.  Offered: ed25519, ecdsa, rsa.  The two new ones
 * are proved with the server's own code and appended; the rest of the
 * file stays as it was, and the old contents are kept as FILE.old. */
static void test_learn_new_keys(void)
{
	char *e0 = entry("h.example", 2222, srv[0], 0);
	char *other = entry("other.example", 22, stale, 0);
	char before[4096];
	snprintf(before, sizeof(before), "# comment\n%s%s", e0, other);
	write_file(kh, before);
	kg_cli_hkupd *u = updater(NULL, 0);
	kg_buf m, prove, sigs;
	offer(&m, 3);
	kg_buf_init(&prove, 0);
	kg_buf_init(&sigs, 0);
	int r = kg_cli_hkupd_receive(u, kg_buf_ptr(&m), kg_buf_len(&m), &prove);
	/* The prove request names the ecdsa and rsa keys, in order. */
	kg_buf want;
	kg_buf_init(&want, 0);
	T_OK(kg_svr_hostkeys_message(&srv[1], 2, &want));
	int same = kg_buf_len(&want) == kg_buf_len(&prove) &&
		   memcmp(kg_buf_ptr(&want), kg_buf_ptr(&prove), kg_buf_len(&want)) == 0;
	T_OK(kg_svr_hostkeys_prove(srv, 3, sid, sizeof(sid), "ssh-ed25519", kg_buf_ptr(&prove), kg_buf_len(&prove),
				   &sigs));
	int pr = kg_cli_hkupd_proved(u, sid, sizeof(sid), "ssh-ed25519", kg_buf_ptr(&sigs), kg_buf_len(&sigs));
	int ar = kg_cli_hkupd_apply(u);
	char *after = read_file(kh), *old = NULL;
	char oldpath[96];
	snprintf(oldpath, sizeof(oldpath), "%s.old", kh);
	old = read_file(oldpath);
	char *e1 = entry("h.example", 2222, srv[1], 0), *e2 = entry("h.example", 2222, srv[2], 0);
	char expect[8192];
	snprintf(expect, sizeof(expect), "%s%s%s", before, e1, e2);
	int ok = r == KG_HKUPD_PROVE && same && pr == KG_OK && ar == KG_OK && after && strcmp(after, expect) == 0 &&
		 old && strcmp(old, before) == 0;
	if (!ok)
		fprintf(stderr, "r=%d same=%d pr=%d ar=%d\n%s", r, same, pr, ar, after ? after : "(none)\n");
	/* Everything known now: a second offer changes nothing. */
	kg_buf_reset(&prove);
	int r2 = kg_cli_hkupd_receive(u, kg_buf_ptr(&m), kg_buf_len(&m), &prove);
	kg_cli_hkupd_free(u);
	kg_buf_free(&m);
	kg_buf_free(&prove);
	kg_buf_free(&sigs);
	kg_buf_free(&want);
	free(e0);
	free(e1);
	free(e2);
	free(other);
	free(after);
	free(old);
	T_ASSERT(ok);
	T_ASSERT(r2 == KG_HKUPD_NOTHING);
}

/* A signature that does not verify (one byte changed, or made over
 * another session identifier): nothing is learned. */
static void test_bad_signature_not_learned(void)
{
	for (int variant = 0; variant < 3; variant++) {
		char *e0 = entry("h.example", 2222, srv[0], 0);
		write_file(kh, e0);
		kg_cli_hkupd *u = updater(NULL, 0);
		kg_buf m, prove, sigs;
		offer(&m, 2);
		kg_buf_init(&prove, 0);
		kg_buf_init(&sigs, 0);
		int r = kg_cli_hkupd_receive(u, kg_buf_ptr(&m), kg_buf_len(&m), &prove);
		uint8_t other_sid[32] = { 9 };
		T_OK(kg_svr_hostkeys_prove(srv, 2, variant == 1 ? other_sid : sid, sizeof(sid), "ssh-ed25519",
					   kg_buf_ptr(&prove), kg_buf_len(&prove), &sigs));
		uint8_t *p = kg_buf_mutable_ptr(&sigs);
		if (variant == 0)
			p[kg_buf_len(&sigs) - 3] ^= 0x40;
		size_t slen = kg_buf_len(&sigs);
		if (variant == 2)
			slen -= 1;  /* truncated */
		int pr = kg_cli_hkupd_proved(u, sid, sizeof(sid), "ssh-ed25519", kg_buf_ptr(&sigs), slen);
		int ar = kg_cli_hkupd_apply(u);
		char *after = read_file(kh);
		int ok = r == KG_HKUPD_PROVE && pr < 0 && ar == KG_OK && after && strcmp(after, e0) == 0;
		if (!ok)
			fprintf(stderr, "variant %d: r=%d pr=%d ar=%d\n", variant, r, pr, ar);
		kg_cli_hkupd_free(u);
		kg_buf_free(&m);
		kg_buf_free(&prove);
		kg_buf_free(&sigs);
		free(e0);
		free(after);
		T_ASSERT(ok);
	}
}

/* A stale key on a line naming the host alone is removed without any
 * proof; the same key on a line also naming another host stays. */
static void test_remove_stale(void)
{
	char *e0 = entry("h.example", 2222, srv[0], 0), *es = entry("h.example", 2222, stale, 0);
	char *rawkey = strchr(es, ' ') + 1;
	char text[4096];
	snprintf(text, sizeof(text), "%s%s[h.example]:2222,alias %s", e0, es, rawkey);
	write_file(kh, text);
	kg_cli_hkupd *u = updater(NULL, 0);
	kg_buf m, prove;
	offer(&m, 1);
	kg_buf_init(&prove, 0);
	int r = kg_cli_hkupd_receive(u, kg_buf_ptr(&m), kg_buf_len(&m), &prove);
	int ar = kg_cli_hkupd_apply(u);
	char *after = read_file(kh);
	char expect[4096];
	snprintf(expect, sizeof(expect), "%s[h.example]:2222,alias %s", e0, rawkey);
	int ok = r == KG_HKUPD_UPDATE && kg_buf_len(&prove) == 0 && ar == KG_OK && after && strcmp(after, expect) == 0;
	if (!ok)
		fprintf(stderr, "r=%d ar=%d\n%s", r, ar, after ? after : "");
	kg_cli_hkupd_free(u);
	kg_buf_free(&m);
	kg_buf_free(&prove);
	free(e0);
	free(es);
	free(after);
	T_ASSERT(ok);
}

/* With CheckHostIP: learned lines name the host and the address; a stale
 * key on a "address,host" line goes. */
static void test_update_with_address(void)
{
	char *e0 = entry("x", 22, srv[0], 0), *es = entry("x", 22, stale, 0);
	char text[4096];
	snprintf(text, sizeof(text), "h.example,198.51.100.7 %s198.51.100.7,h.example %s", strchr(e0, ' ') + 1,
		 strchr(es, ' ') + 1);
	write_file(kh, text);
	const char *files[] = { kh };
	kg_cli_hkupd_opts o = { .host = "h.example", .port = 22, .ip = "198.51.100.7", .files = files, .nfiles = 1 };
	kg_cli_hkupd *u = NULL;
	T_OK(kg_cli_hkupd_new(&u, &o, NULL));
	kg_buf m, prove, sigs;
	offer(&m, 2);
	kg_buf_init(&prove, 0);
	kg_buf_init(&sigs, 0);
	int r = kg_cli_hkupd_receive(u, kg_buf_ptr(&m), kg_buf_len(&m), &prove);
	T_OK(kg_svr_hostkeys_prove(srv, 2, sid, sizeof(sid), NULL, kg_buf_ptr(&prove), kg_buf_len(&prove), &sigs));
	int pr = kg_cli_hkupd_proved(u, sid, sizeof(sid), "ssh-ed25519", kg_buf_ptr(&sigs), kg_buf_len(&sigs));
	int ar = kg_cli_hkupd_apply(u);
	char *after = read_file(kh), *e1 = entry("x", 22, srv[1], 0);
	char want[4096];
	snprintf(want, sizeof(want), "h.example,198.51.100.7 %sh.example,198.51.100.7 %s", strchr(e0, ' ') + 1,
		 strchr(e1, ' ') + 1);
	int ok = r == KG_HKUPD_PROVE && pr == KG_OK && ar == KG_OK && after && strcmp(after, want) == 0;
	if (!ok)
		fprintf(stderr, "r=%d pr=%d ar=%d\n%s", r, pr, ar, after ? after : "");
	kg_cli_hkupd_free(u);
	kg_buf_free(&m);
	kg_buf_free(&prove);
	kg_buf_free(&sigs);
	free(e0);
	free(es);
	free(e1);
	free(after);
	T_ASSERT(ok);
}

/* A wildcard pattern or a marker among the host's lines: hands off. */
static void test_patterns_and_markers_skip(void)
{
	static const char *const forms[] = { "[h.exa*]:2222", "@revoked [h.example]:2222",
					     "@cert-authority [h.example]:2222" };
	char *es = entry("x", 22, stale, 0);
	char *e0 = entry("h.example", 2222, srv[0], 0);
	for (size_t i = 0; i < KG_ARRAY_LEN(forms); i++) {
		char line[2048], text[4096];
		snprintf(line, sizeof(line), "%s %s", forms[i], strchr(es, ' ') + 1);
		snprintf(text, sizeof(text), "%s%s", e0, line);
		write_file(kh, text);
		kg_cli_hkupd *u = updater(NULL, 0);
		kg_buf m, prove;
		offer(&m, 2);
		kg_buf_init(&prove, 0);
		int r = kg_cli_hkupd_receive(u, kg_buf_ptr(&m), kg_buf_len(&m), &prove);
		kg_cli_hkupd_free(u);
		kg_buf_free(&m);
		kg_buf_free(&prove);
		if (r != KG_HKUPD_NOTHING)
			fprintf(stderr, "form %zu: %d\n", i, r);
		T_ASSERT(r == KG_HKUPD_NOTHING);
	}
	free(es);
	free(e0);
}

/* HostKeyAlgorithms without ecdsa: the ecdsa key is neither learned nor,
 * when known, removed; a hashed known entry counts as known and
 * HashKnownHosts hashes the learned line. */
static void test_algorithms_and_hashing(void)
{
	char *h0 = entry("h.example", 2222, srv[0], 1), *e1 = entry("h.example", 2222, srv[1], 0);
	char text[4096];
	snprintf(text, sizeof(text), "%s%s", h0, e1);
	write_file(kh, text);
	kg_cli_hkupd *u = updater("ssh-ed25519,rsa-sha2-512", 1);
	kg_buf m, prove, sigs;
	offer(&m, 3);
	kg_buf_init(&prove, 0);
	kg_buf_init(&sigs, 0);
	int r = kg_cli_hkupd_receive(u, kg_buf_ptr(&m), kg_buf_len(&m), &prove);
	T_OK(kg_svr_hostkeys_prove(srv, 3, sid, sizeof(sid), "rsa-sha2-256", kg_buf_ptr(&prove), kg_buf_len(&prove),
				   &sigs));
	int pr = kg_cli_hkupd_proved(u, sid, sizeof(sid), "rsa-sha2-256", kg_buf_ptr(&sigs), kg_buf_len(&sigs));
	int ar = kg_cli_hkupd_apply(u);
	char *after = read_file(kh);
	/* Three lines: the two kept as they were, then a hashed rsa line. */
	const char *third = after ? strstr(after + strlen(text) - 1, "\n|1|") : NULL;
	int ok = r == KG_HKUPD_PROVE && pr == KG_OK && ar == KG_OK && after && strncmp(after, text, strlen(text)) == 0 &&
		 third && strstr(third, " ssh-rsa ") && strchr(third + 1, '\n') && !strchr(strchr(third + 1, '\n') + 1, '\n');
	if (!ok)
		fprintf(stderr, "r=%d pr=%d ar=%d\n%s", r, pr, ar, after ? after : "");
	/* An RSA proof made with another algorithm than the key exchange's is refused. */
	kg_buf_reset(&prove);
	kg_buf_reset(&sigs);
	write_file(kh, text);
	int r2 = kg_cli_hkupd_receive(u, kg_buf_ptr(&m), kg_buf_len(&m), &prove);
	T_OK(kg_svr_hostkeys_prove(srv, 3, sid, sizeof(sid), "ssh-ed25519", kg_buf_ptr(&prove), kg_buf_len(&prove),
				   &sigs));  /* rsa-sha2-512 */
	int pr2 = kg_cli_hkupd_proved(u, sid, sizeof(sid), "rsa-sha2-256", kg_buf_ptr(&sigs), kg_buf_len(&sigs));
	kg_cli_hkupd_free(u);
	kg_buf_free(&m);
	kg_buf_free(&prove);
	kg_buf_free(&sigs);
	free(h0);
	free(e1);
	free(after);
	T_ASSERT(ok);
	T_ASSERT(r2 == KG_HKUPD_PROVE && pr2 < 0);
}

/* Garbage, duplicates and an empty list change nothing. */
static void test_bad_offers(void)
{
	char *e0 = entry("h.example", 2222, srv[0], 0);
	write_file(kh, e0);
	kg_cli_hkupd *u = updater(NULL, 0);
	kg_buf m, prove;
	kg_buf_init(&prove, 0);
	const uint8_t junk[] = { 0, 0, 1, 0, 'x' };
	T_ASSERT(kg_cli_hkupd_receive(u, junk, sizeof(junk), &prove) == KG_HKUPD_NOTHING);
	T_ASSERT(kg_cli_hkupd_receive(u, junk, 0, &prove) == KG_HKUPD_NOTHING);
	kg_key *dup[2] = { srv[1], srv[1] };
	kg_buf_init(&m, 0);
	T_OK(kg_svr_hostkeys_message(dup, 2, &m));
	int r = kg_cli_hkupd_receive(u, kg_buf_ptr(&m), kg_buf_len(&m), &prove);
	kg_buf_free(&m);
	/* An unknown key type is disregarded, the rest still counts. */
	kg_buf_init(&m, 0);
	T_OK(kg_buf_put_string(&m, "\0\0\0\x0bssh-unknown\0\0\0\0", 19));
	T_OK(kg_svr_hostkeys_message(srv, 1, &m));
	int r2 = kg_cli_hkupd_receive(u, kg_buf_ptr(&m), kg_buf_len(&m), &prove);
	kg_buf_free(&m);
	kg_buf_free(&prove);
	kg_cli_hkupd_free(u);
	char *after = read_file(kh);
	int same = after && strcmp(after, e0) == 0;
	free(after);
	free(e0);
	T_ASSERT(r == KG_HKUPD_NOTHING && r2 == KG_HKUPD_NOTHING && same);
}

static int dummy_global(void *arg, kg_conn *c, const kg_conn_event *ev)
{
	(void)arg;
	(void)c;
	(void)ev;
	return KG_OK;
}

/* The set-up: off, untrusted, or ask with a remote command register
 * nothing; yes registers hostkeys-00 (once). */
static void test_setup_rules(void)
{
	const char *files[] = { kh };
	kg_cli_hkupd_opts o = { .host = "h", .port = 22, .files = files, .nfiles = 1 };
	kg_cli_dispatch d;
	kg_cli_dispatch_init(&d);
	kg_cli_hkupd *u = NULL;
	T_OK(kg_cli_hkupd_setup(&u, &o, KG_UHK_NO, 1, 1, NULL, &d));
	T_ASSERT(u == NULL && d.n_global == 0);
	T_OK(kg_cli_hkupd_setup(&u, &o, KG_UHK_YES, 0, 1, NULL, &d));
	T_ASSERT(u == NULL && d.n_global == 0);
	T_OK(kg_cli_hkupd_setup(&u, &o, KG_UHK_ASK, 1, 0, NULL, &d));
	T_ASSERT(u == NULL && d.n_global == 0);
	o.nfiles = 0;
	T_OK(kg_cli_hkupd_setup(&u, &o, KG_UHK_YES, 1, 1, NULL, &d));
	T_ASSERT(u == NULL && d.n_global == 0);
	o.nfiles = 1;
	T_OK(kg_cli_hkupd_setup(&u, &o, KG_UHK_YES, 1, 0, NULL, &d));
	T_ASSERT(u != NULL && d.n_global == 1 && strcmp(d.global[0].name, KG_HOSTKEYS_REQ) == 0);
	/* Someone else serving the name already: refused, nothing left behind. */
	kg_cli_hkupd *u2 = NULL;
	T_ASSERT(kg_cli_hkupd_setup(&u2, &o, KG_UHK_YES, 1, 0, NULL, &d) == KG_ERR_ARG && u2 == NULL);
	kg_cli_dispatch_forget(&d, u);
	kg_cli_hkupd_free(u);
	T_ASSERT(kg_cli_on_global(&d, KG_HOSTKEYS_REQ, dummy_global, NULL) == KG_OK);
}

/* A logger writing to a file, read back for the messages. */
static kg_logger lg;
static char logpath[96];

static void log_open(void)
{
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	kg_log_init(&lg, "kssh", KG_LOG_INFO, 0, 0);
	lg.fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
}

static char *log_text(void)
{
	close(lg.fd);
	return read_file(logpath);
}

static void test_hostip_wanted(void)
{
	T_ASSERT(kg_cli_hostip_wanted(1, "h.example", "198.51.100.7") == 1);
	T_ASSERT(kg_cli_hostip_wanted(1, "h.example", "2001:db8::7") == 1);
	T_ASSERT(kg_cli_hostip_wanted(0, "h.example", "198.51.100.7") == 0);
	T_ASSERT(kg_cli_hostip_wanted(1, "198.51.100.7", "198.51.100.7") == 0);  /* the host is the address */
	T_ASSERT(kg_cli_hostip_wanted(1, "localhost", "127.0.0.1") == 0);
	T_ASSERT(kg_cli_hostip_wanted(1, "localhost", "127.1.2.3") == 0);
	T_ASSERT(kg_cli_hostip_wanted(1, "localhost", "::1") == 0);
	T_ASSERT(kg_cli_hostip_wanted(1, "localhost", "::ffff:127.0.0.1") == 0);
	T_ASSERT(kg_cli_hostip_wanted(1, "h.example", "h.example") == 0);  /* no address (a jump) */
}

/* The new host line carries the address; hashed, one line each. */
static void test_hostip_entry(void)
{
	kg_buf b;
	kg_buf_init(&b, 0);
	T_OK(kg_cli_hostkey_entry("[h.example]:2222", "[198.51.100.7]:2222", srv[0], 0, &b));
	char *e = entry("x", 22, srv[0], 0);
	char want[1024];
	snprintf(want, sizeof(want), "[h.example]:2222,[198.51.100.7]:2222 %s", strchr(e, ' ') + 1);
	int ok = kg_buf_len(&b) == strlen(want) && memcmp(kg_buf_ptr(&b), want, strlen(want)) == 0;
	kg_buf_reset(&b);
	T_OK(kg_cli_hostkey_entry("h.example", "198.51.100.7", srv[0], 1, &b));
	char *t = strndup((const char *)kg_buf_ptr(&b), kg_buf_len(&b));
	char *nl = strchr(t, '\n');
	int two = nl && strncmp(t, "|1|", 3) == 0 && strncmp(nl + 1, "|1|", 3) == 0 && strchr(nl + 1, '\n') &&
		  strchr(nl + 1, '\n')[1] == '\0';
	/* Each hashed line is found under its own name. */
	write_file(kh, t);
	kg_kh_result r1, r2;
	kg_kh_result_init(&r1);
	kg_kh_result_init(&r2);
	const char *files[] = { kh };
	T_OK(kg_known_hosts_check_files(files, 1, "h.example", 22, srv[0], &r1));
	T_OK(kg_known_hosts_check_files(files, 1, "198.51.100.7", 22, srv[0], &r2));
	T_ASSERT(kg_cli_hostkey_entry("bad,name", NULL, srv[0], 0, &b) == KG_ERR_ARG);
	kg_buf_free(&b);
	free(e);
	free(t);
	T_ASSERT(ok);
	T_ASSERT(two && r1.status == KG_KH_MATCH && r2.status == KG_KH_MATCH && r2.line == 2);
}

/* Host known, address not: the address is added with OpenSSH's warning. */
static void test_hostip_recorded(void)
{
	char *e0 = entry("h.example", 2222, srv[0], 0);
	write_file(kh, e0);
	const char *files[] = { kh };
	kg_cli_hostip ip = { 0 };
	T_OK(kg_cli_hostip_check(&ip, files, 1, "198.51.100.7", 2222, srv[0]));
	T_ASSERT(ip.res.status == KG_KH_NEW && strcmp(ip.name, "[198.51.100.7]:2222") == 0);
	log_open();
	T_OK(kg_cli_hostip_matched(&lg, &ip, srv[0], kh, 0));
	char *msgs = log_text();
	char *after = read_file(kh);
	char *eip = entry("198.51.100.7", 2222, srv[0], 0);
	char want[2048];
	snprintf(want, sizeof(want), "%s%s", e0, eip);
	int ok = after && strcmp(after, want) == 0 && msgs &&
		 strcmp(msgs, "Warning: Permanently added the ED25519 host key for IP address '[198.51.100.7]:2222' to "
			"the list of known hosts.\n") == 0;
	if (!ok)
		fprintf(stderr, "%s---\n%s", after ? after : "", msgs ? msgs : "");
	/* Next time it is known: nothing more is added. */
	T_OK(kg_cli_hostip_check(&ip, files, 1, "198.51.100.7", 2222, srv[0]));
	int known = ip.res.status == KG_KH_MATCH;
	kg_cli_hostip_free(&ip);
	free(e0);
	free(eip);
	free(msgs);
	free(after);
	T_ASSERT(ok && known);
}

/* The address's entry holds another key while the host's matches: the
 * warning, then refusal under strict checking, only the warning with no;
 * the host's key changed while the address's did not: DNS spoofing. */
static void test_hostip_mismatch(void)
{
	char *e0 = entry("h.example", 22, srv[0], 0), *eip = entry("198.51.100.7", 22, stale, 0);
	char text[2048];
	snprintf(text, sizeof(text), "%s%s", e0, eip);
	write_file(kh, text);
	const char *files[] = { kh };
	kg_kh_result host;
	kg_kh_result_init(&host);
	T_OK(kg_known_hosts_check_files(files, 1, "h.example", 22, srv[0], &host));
	kg_cli_hostip ip = { 0 };
	T_OK(kg_cli_hostip_check(&ip, files, 1, "198.51.100.7", 22, srv[0]));
	log_open();
	int strict = kg_cli_hostip_mismatch(&lg, &ip, srv[0], "h.example", &host, KG_SHKC_YES, 1);
	int lax = kg_cli_hostip_mismatch(&lg, &ip, srv[0], "h.example", &host, KG_SHKC_NO, 1);
	char *msgs = log_text();
	char want[2048];
	snprintf(want, sizeof(want),
		 "Warning: the ED25519 host key for 'h.example' differs from the key for the IP address '198.51.100.7'\n"
		 "Offending key for IP in %s:2\nMatching host key in %s:1\n"
		 "Exiting, you have requested strict checking.\n"
		 "Warning: the ED25519 host key for 'h.example' differs from the key for the IP address '198.51.100.7'\n"
		 "Offending key for IP in %s:2\nMatching host key in %s:1\n", kh, kh, kh, kh);
	int ok = strict == KG_ERR_HOSTKEY_CHANGED && lax == KG_OK && ip.res.status == KG_KH_CHANGED && msgs &&
		 strcmp(msgs, want) == 0;
	if (!ok)
		fprintf(stderr, "strict=%d lax=%d\n%s", strict, lax, msgs ? msgs : "");
	free(msgs);
	/* The host's key changed, the address's is the one offered. */
	T_OK(kg_cli_hostip_check(&ip, files, 1, "198.51.100.7", 22, stale));
	log_open();
	kg_cli_hostip_spoofing(&lg, &ip, stale, "h.example");
	msgs = log_text();
	int spoof = ip.res.status == KG_KH_MATCH && msgs && strstr(msgs, "WARNING: POSSIBLE DNS SPOOFING DETECTED!") &&
		    strstr(msgs, "The ED25519 host key for h.example has changed,\n") &&
		    strstr(msgs, "and the key for the corresponding IP address 198.51.100.7\nis unchanged. This could");
	kg_cli_hostip_free(&ip);
	free(msgs);
	free(e0);
	free(eip);
	T_ASSERT(ok);
	T_ASSERT(spoof);
}

/* The new-host question names the other entries holding the same key. */
static void test_other_names(void)
{
	char *e = entry("other.example", 22, srv[0], 0), *h = entry("hashed.example", 2222, srv[0], 1);
	char *x = entry("unrelated.example", 22, stale, 0);
	char text[4096], path2[96];
	snprintf(text, sizeof(text), "%s%s@revoked bad %s%s", x, e, strchr(e, ' ') + 1, h);
	write_file(kh, text);
	snprintf(path2, sizeof(path2), "%s/none", dir);
	const char *files[] = { kh, path2 };
	kg_buf out;
	kg_buf_init(&out, 0);
	T_OK(kg_cli_hostkey_other_names(files, 2, srv[0], dir, &out));
	char want[1024];
	snprintf(want, sizeof(want), "This host key is known by the following other names/addresses:\r\n"
		 "    ~/known_hosts:2: other.example\r\n    ~/known_hosts:4: [hashed name]\r\n");
	int ok = kg_buf_len(&out) == strlen(want) && memcmp(kg_buf_ptr(&out), want, strlen(want)) == 0;
	if (!ok)
		fprintf(stderr, "%.*s", (int)kg_buf_len(&out), (const char *)kg_buf_ptr(&out));
	kg_buf_reset(&out);
	T_OK(kg_cli_hostkey_other_names(files, 2, srv[1], "/elsewhere", &out));
	const char *none = "This key is not known by any other names.\r\n";
	int ok2 = kg_buf_len(&out) == strlen(none) && memcmp(kg_buf_ptr(&out), none, strlen(none)) == 0;
	kg_buf_free(&out);
	free(e);
	free(h);
	free(x);
	T_ASSERT(ok);
	T_ASSERT(ok2);
}

/* [host]:port unknown: the port-less entry's key is accepted. */
static void test_portless(void)
{
	char *e = entry("h.example", 22, srv[0], 0);
	write_file(kh, e);
	const char *files[] = { kh };
	T_ASSERT(kg_cli_hostkey_portless(NULL, files, 1, "h.example", srv[0]) == 1);
	T_ASSERT(kg_cli_hostkey_portless(NULL, files, 1, "h.example", srv[1]) == 0);
	T_ASSERT(kg_cli_hostkey_portless(NULL, files, 1, "other.example", srv[0]) == 0);
	char q[4096];
	T_OK(kg_cli_hostkey_question(q, sizeof(q), "[h.example]:2222", "198.51.100.7", 2222, srv[0], "SHA256:x", files,
				     1, "/nowhere"));
	char want[4096];
	snprintf(want, sizeof(want), "The authenticity of host '[h.example]:2222 ([198.51.100.7]:2222)' can't be "
		 "established.\r\nED25519 key fingerprint is SHA256:x.\r\nThis host key is known by the following other "
		 "names/addresses:\r\n    %s:1: h.example\r\nAre you sure you want to continue connecting "
		 "(yes/no/[fingerprint])? ", kh);
	free(e);
	T_ASSERT(strcmp(q, want) == 0);
}

static void test_verbose_lines(void)
{
	log_open();
	lg.level = KG_LOG_DEBUG1;
	kg_cli_verbose_remote_version(&lg, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10");
	kg_cli_verbose_remote_version(&lg, "garbage");
	kg_cli_verbose_end(&lg, NULL, 0, 3);
	char *msgs = log_text();
	int ok = msgs && strcmp(msgs, "debug1: Remote protocol version 2.0, remote software version OpenSSH_9.2p1 "
				"Debian-2+deb12u10\ndebug1: Exit status 3\n") == 0;
	if (!ok)
		fprintf(stderr, "%s", msgs ? msgs : "");
	free(msgs);
	T_ASSERT(ok);
	char fp[KG_KEY_FP_LEN], want[256], got[1200];
	T_OK(kg_key_fingerprint(srv[1], fp, sizeof(fp)));
	kg_cli_identity id = { .pub = srv[1], .path = "/k/id_ecdsa", .from_cmdline = 1 };
	kg_cli_verbose_identity(&id, got, sizeof(got));
	snprintf(want, sizeof(want), "/k/id_ecdsa ECDSA %s explicit", fp);
	T_ASSERT(strcmp(got, want) == 0);
	id.from_cmdline = 0;
	id.from_agent = 1;
	id.path = "me@host";
	kg_cli_verbose_identity(&id, got, sizeof(got));
	snprintf(want, sizeof(want), "me@host ECDSA %s agent", fp);
	T_ASSERT(strcmp(got, want) == 0);
	T_ASSERT(kg_cli_verbose_keytype_num(KG_KEY_RSA) == 0 && kg_cli_verbose_keytype_num(KG_KEY_ECDSA_P384) == 2 &&
		 kg_cli_verbose_keytype_num(KG_KEY_ED25519) == 3);
}

int main(void)
{
	setup();
	T_RUN(test_learn_new_keys);
	T_RUN(test_bad_signature_not_learned);
	T_RUN(test_remove_stale);
	T_RUN(test_update_with_address);
	T_RUN(test_patterns_and_markers_skip);
	T_RUN(test_algorithms_and_hashing);
	T_RUN(test_bad_offers);
	T_RUN(test_setup_rules);
	T_RUN(test_hostip_wanted);
	T_RUN(test_hostip_entry);
	T_RUN(test_hostip_recorded);
	T_RUN(test_hostip_mismatch);
	T_RUN(test_other_names);
	T_RUN(test_portless);
	T_RUN(test_verbose_lines);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	for (size_t i = 0; i < 3; i++)
		kg_key_free(srv[i]);
	kg_key_free(stale);
	return T_DONE();
}
