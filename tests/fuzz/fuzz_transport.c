/* Feeds arbitrary bytes to a server and to a client transport, after a
 * valid identification line: exercises packet framing, padding and length
 * checks, KEXINIT parsing and negotiation, and the KEX messages. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/transport.h"

static int accept_any(void *arg, const kg_key *key, const kg_kex_result *kex)
{
	(void)arg;
	(void)key;
	(void)kex;
	return KG_OK;
}

static void run(const uint8_t *data, size_t size, int server, kg_key *hk)
{
	kg_key *hks[1] = { hk };
	kg_tr_config c = {
		.is_server = server,
		.kex_algs = "curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group14-sha256",
		.hostkey_algs = "ssh-ed25519", .ciphers = "aes128-ctr,aes128-gcm@openssh.com",
		.macs = "hmac-sha2-256", .compression = "none,zlib@openssh.com",
		.hostkeys = hks, .n_hostkeys = 1, .verify_hostkey = accept_any,
	};
	kg_transport *t;
	if (kg_tr_new(&t, &c) < 0)
		abort();
	static const char banner[] = "SSH-2.0-fuzz\r\n";
	if (kg_tr_input(t, (const uint8_t *)banner, sizeof(banner) - 1) == KG_OK) {
		/* Feed in two pieces to exercise partial input. */
		size_t half = size / 2;
		for (int i = 0; i < 2; i++) {
			const uint8_t *p = i ? data + half : data;
			size_t n = i ? size - half : half;
			if (kg_tr_input(t, p, n) < 0)
				break;
			const uint8_t *m;
			size_t len;
			int r;
			while ((r = kg_tr_read_packet(t, &m, &len)) > 0)
				if (len == 0 || m[0] != (uint8_t)r)
					abort();
			if (r != KG_ERR_AGAIN)
				break;
		}
	}
	size_t out;
	(void)kg_tr_output(t, &out);
	kg_tr_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static kg_key *hk;  /* one host key for the whole run: key generation is slow */
	if (!hk && kg_key_generate(KG_KEY_ED25519, 0, &hk) < 0)
		abort();
	if (size > 300000)
		return 0;
	run(data, size, 1, hk);
	run(data, size, 0, hk);
	return 0;
}
