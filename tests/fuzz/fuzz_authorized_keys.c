/* authorized_keys text, option fields and from= address lists. */
#include <stdlib.h>
#include <string.h>
#include "core/key.h"
#include "config/authorized-keys.h"

#define ED_A "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICJHrRC1yas3uGJsgVk49eOSQBdpkR7Us9Yr2YYTnr7+"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kg_key *k = NULL;
	if (kg_key_from_line(ED_A, &k) != KG_OK)
		abort();
	kg_ak_result res;
	const char *addrs[] = { "203.1.2.3", "::1", "::ffff:198.51.100.1" };
	for (size_t i = 0; i < 3; i++)
		if (kg_authorized_keys_find((const char *)data, size, "fuzz", k, addrs[i], "h.example", 1700000000,
					    &res) == KG_OK)
			kg_ak_opts_free(&res.opts);
	kg_key_free(k);

	kg_ak_opts o;
	memset(&o, 0, sizeof(o));
	const char *why;
	(void)kg_ak_parse_options((const char *)data, size, &o, &why);
	kg_ak_opts_free(&o);

	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	kg_addr_match_list("203.1.2.3", s);
	kg_addr_match_list("2001:db8::1", s);
	kg_from_match("host.example", "127.0.0.1", s);
	int64_t t;
	(void)kg_ak_parse_time(s, &t);
	free(s);
	return 0;
}
