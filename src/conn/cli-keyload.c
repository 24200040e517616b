/* Reading a private key file the way kssh does: OpenSSH's mode check and
 * warning, then up to three passphrase prompts unless in batch mode. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "conn/cli-keyload.h"
#include "config/config-common.h"
#include "core/keyfile.h"
#include "sys/tty.h"

#define PASSPHRASE_TRIES 3

int kg_client_load_private(kg_logger *log, const char *path, int batch, kg_key **out)
{
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	int r = kg_read_text_file(path, 1024 * 1024, &text, &len, &st);
	if (r < 0)
		return r;
	if (st.st_uid == getuid() && (st.st_mode & 077) != 0) {
		kg_error(log, "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
		kg_error(log, "@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @");
		kg_error(log, "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
		kg_error(log, "Permissions 0%3.3o for '%s' are too open.", (unsigned)(st.st_mode & 0777), path);
		kg_error(log, "It is required that your private key files are NOT accessible by others.");
		kg_error(log, "This private key will be ignored.");
		OPENSSL_cleanse(text, len);
		free(text);
		return KG_ERR_KEY_PERMS;
	}
	r = kg_keyfile_parse_private((const uint8_t *)text, len, NULL, out);
	for (int tries = 0; r == KG_ERR_NEED_PASSPHRASE || (r == KG_ERR_PASSPHRASE && tries > 0); tries++) {
		if (batch || tries >= PASSPHRASE_TRIES)
			break;
		if (tries > 0)
			kg_error(log, "Bad passphrase, try again for %s", path);
		char prompt[1200], pass[1024];
		snprintf(prompt, sizeof(prompt), "Enter passphrase for key '%s': ", path);
		if (kg_tty_read_secret(prompt, pass, sizeof(pass)) < 0 || pass[0] == '\0') {
			OPENSSL_cleanse(pass, sizeof(pass));
			break;
		}
		r = kg_keyfile_parse_private((const uint8_t *)text, len, pass, out);
		OPENSSL_cleanse(pass, sizeof(pass));
		if (r == KG_ERR_PASSPHRASE && tries + 1 >= PASSPHRASE_TRIES)
			break;
	}
	OPENSSL_cleanse(text, len);
	free(text);
	if (r < 0 && r != KG_ERR_NEED_PASSPHRASE && r != KG_ERR_PASSPHRASE)
		kg_error(log, "Load key \"%s\": %s", path, kg_err_str(r));
	return r;
}
