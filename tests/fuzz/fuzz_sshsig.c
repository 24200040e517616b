/* SSH signature armor, allowed_signers and known_hosts edit input: parsing
 * arbitrary text must never crash, leak or accept a signature it cannot
 * check. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/key.h"
#include "core/sshsig.h"
#include "config/allowed-signers.h"
#include "config/known-hosts-edit.h"

#define ED_A "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICJHrRC1yas3uGJsgVk49eOSQBdpkR7Us9Yr2YYTnr7+"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	kg_sshsig s;
	if (kg_sshsig_parse(text, size, &s) == KG_OK) {
		if (!s.key || !s.ns || !s.ns[0] || !kg_sshsig_md(s.hashalg))
			abort();
		uint8_t d[64] = { 0 };
		/* An all-zero digest is never what anyone signed. */
		if (kg_sshsig_verify(&s, s.ns, d, strcmp(s.hashalg, "sha256") == 0 ? 32 : 64) == KG_OK)
			abort();
		kg_sshsig_free(&s);
	}
	kg_key *k = NULL;
	if (kg_key_from_line(ED_A, &k) != KG_OK)
		abort();
	(void)kg_allowed_signers_check(text, size, "someone@example.com", k, "git", time(NULL));
	kg_buf out;
	kg_buf_init(&out, 0);
	(void)kg_allowed_signers_find(text, size, k, NULL, time(NULL), &out);
	kg_buf_free(&out);
	kg_key_free(k);
	kg_khe_result res;
	kg_khe_result_init(&res);
	if (kg_khe_remove(text, size, "f", "server", 0, &res) == KG_OK && res.found && kg_buf_len(&res.msgs) == 0)
		abort();
	kg_khe_result_free(&res);
	kg_khe_result_init(&res);
	(void)kg_khe_find(text, size, "[server]:2222", KG_KHE_SHOW_FP, KG_FP_MD5, 0, &res);
	kg_khe_result_free(&res);
	kg_khe_result_init(&res);
	(void)kg_khe_hash(text, size, "f", &res);
	kg_khe_result_free(&res);
	return 0;
}
