/* The client's -v lines in OpenSSH's wording (see cli-verbose.h). */
#include <stdio.h>
#include <string.h>
#include "conn/cli-verbose.h"
#include "sys/loop.h"

void kg_cli_verbose_remote_version(const kg_logger *log, const char *version)
{
	if (!version || strncmp(version, "SSH-", 4) != 0)
		return;
	const char *proto = version + 4, *dash = strchr(proto, '-');
	if (!dash)
		return;
	kg_debug(log, "Remote protocol version %.*s, remote software version %s", (int)(dash - proto), proto,
		 dash + 1);
}

void kg_cli_verbose_identity(const kg_cli_identity *id, char *out, size_t n)
{
	char fp[KG_KEY_FP_LEN];
	if (!id->pub || kg_key_fingerprint(id->pub, fp, sizeof(fp)) < 0)
		snprintf(fp, sizeof(fp), "?");
	const char *path = id->path;
	if ((!path || !*path) && id->pub && id->pub->comment)
		path = id->pub->comment;
	snprintf(out, n, "%s %s %s%s%s", path ? path : "", id->pub ? kg_key_type_short(id->pub->type) : "?", fp,
		 id->from_cmdline ? " explicit" : "", id->from_agent ? " agent" : "");
}

int kg_cli_verbose_keytype_num(enum kg_keytype t)
{
	switch (t) {
	case KG_KEY_RSA:
		return 0;
	case KG_KEY_ECDSA_P256:
	case KG_KEY_ECDSA_P384:
	case KG_KEY_ECDSA_P521:
		return 2;
	case KG_KEY_ED25519:
		return 3;
	default:
		return -1;
	}
}

void kg_cli_verbose_end(const kg_logger *log, const kg_transport *tr, uint64_t start_ms, int status)
{
	if (tr) {
		uint64_t sent = 0, recv = 0;
		kg_tr_counters(tr, &sent, &recv);
		uint64_t now = kg_monotonic_ms();
		double secs = now > start_ms ? (double)(now - start_ms) / 1000.0 : 0.0;
		kg_verbose(log, "Transferred: sent %llu, received %llu bytes, in %.1f seconds", (unsigned long long)sent,
			   (unsigned long long)recv, secs);
		if (secs > 0)
			kg_verbose(log, "Bytes per second: sent %.1f, received %.1f", (double)sent / secs,
				   (double)recv / secs);
	}
	kg_debug(log, "Exit status %d", status);
}
