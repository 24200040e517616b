/* ssh_config / sshd_config text, single options and value parsers. */
#include <stdlib.h>
#include <string.h>
#include "config/client-config.h"
#include "config/config-common.h"
#include "config/server-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kg_cfg_err err;
	kg_client_config c;
	kg_client_config_init(&c);
	(void)kg_client_config_apply_file(&c, (const char *)data, size, "fuzz", "host.lan", &err);
	(void)kg_client_config_finish(&c, "host.lan", "user");
	kg_client_config_free(&c);

	kg_server_config s;
	kg_server_config_init(&s);
	(void)kg_server_config_apply_file(&s, (const char *)data, size, "fuzz", &err);
	(void)kg_server_config_finish(&s);
	kg_server_config_free(&s);

	char *str = malloc(size + 1);
	if (!str)
		return 0;
	memcpy(str, data, size);
	str[size] = '\0';
	if (!memchr(data, '\n', size)) {
		kg_client_config_init(&c);
		(void)kg_client_config_apply_option(&c, str, &err);
		kg_client_config_free(&c);
		kg_server_config_init(&s);
		(void)kg_server_config_apply_option(&s, str, &err);
		kg_server_config_free(&s);
	}
	long l;
	uint64_t u;
	(void)kg_cfg_parse_time(str, &l);
	(void)kg_cfg_parse_size(str, &u);
	kg_pattern_match("some.host.example", str, 1);
	kg_pattern_list_match("some.host.example", str, 1);
	const kg_token tok[] = { { 'h', "/home/u" }, { 'u', "u" } };
	char *out = NULL;
	if (kg_expand_tokens(str, tok, 2, &out) == KG_OK)
		free(out);
	free(str);
	return 0;
}
