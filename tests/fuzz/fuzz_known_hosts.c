/* known_hosts text: lookup for several names must never crash or leak. */
#include <stdlib.h>
#include <string.h>
#include "core/key.h"
#include "config/known-hosts.h"

#define ED_A "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICJHrRC1yas3uGJsgVk49eOSQBdpkR7Us9Yr2YYTnr7+"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kg_key *k = NULL;
	if (kg_key_from_line(ED_A, &k) != KG_OK)
		abort();
	static const struct { const char *host; int port; } q[] = {
		{ "server", 22 }, { "server.example.com", 2222 }, { "203.0.0.1", 0 },
	};
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		kg_kh_result res;
		kg_kh_result_init(&res);
		int r = kg_known_hosts_check((const char *)data, size, "fuzz", q[i].host, q[i].port, k, &res);
		if (r == KG_OK && res.status != KG_KH_NEW && (res.line == 0 || res.file == NULL))
			abort();
	}
	kg_known_hosts_hash_matches((const char *)data, size, "server");
	kg_key_free(k);
	return 0;
}
