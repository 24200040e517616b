/* ListenAddress values: any input must parse or fail cleanly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "conn/svr-listen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	char host[64];
	int port = -1;
	if (kg_svr_parse_listen_address(s, host, sizeof(host), &port) == KG_OK) {
		if (strlen(host) == 0 || strlen(host) >= sizeof(host) || port < 0 || port > 65535)
			abort();
	}
	free(s);
	return 0;
}
