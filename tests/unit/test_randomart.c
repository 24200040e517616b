/* Exercises src/core/randomart.c, src/core/keyfile-export.c and
 * src/core/keyfile-public.c: fingerprints (SHA256, MD5, SHA1) and the
 * randomart picture against ssh-keygen -lv's output for the same keys, and
 * the -e / -i formats against ssh-keygen -e's output. */
#include <stdlib.h>
#include <string.h>
#include "t.h"
#include "core/key.h"
#include "core/keyfile.h"
#include "core/keyfile-export.h"
#include "core/randomart.h"

#define ED "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGmIC0QDqrUUQoYy9GjQd0SF8BPJ+WQth1eNOB97HrrA test"
#define EC "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBM6AQ7892HTLatnYhzFSy2" \
	"xEvvEuMZunNsDZpNHCct8XRD1d1I6QnNLvd9j4mrH1F/UjANtb+TXNdgIJa7qXFuc= root@vm"

/* ssh-keygen -lv -f (OpenSSH 9.2) for ED and ssh-keygen -lv -E md5 for EC. */
static const char ed_art[] =
	"+--[ED25519 256]--+\n"
	"|*. oo*+.         |\n"
	"|oo .B=o..        |\n"
	"| E=o===+         |\n"
	"|oo==.**          |\n"
	"|.*ooo.+.S        |\n"
	"|....oo.o.        |\n"
	"|   o...+         |\n"
	"|    . oo         |\n"
	"|      o.         |\n"
	"+----[SHA256]-----+";
static const char ec_md5_art[] =
	"+---[ECDSA 256]---+\n"
	"|   . .+o.        |\n"
	"|  . .. o         |\n"
	"| .    . .        |\n"
	"|o  o   .         |\n"
	"| =. o   S        |\n"
	"|o +E             |\n"
	"|.*..o            |\n"
	"|o Bo             |\n"
	"|.+.o.            |\n"
	"+------[MD5]------+";

static kg_key *key(const char *line)
{
	kg_key *k = NULL;
	return kg_key_from_line(line, &k) == KG_OK ? k : NULL;
}

static void test_fingerprints(void)
{
	kg_key *ed = key(ED), *ec = key(EC);
	T_ASSERT(ed && ec);
	char fp[128];
	T_OK(kg_key_fingerprint_hash(ed, KG_FP_SHA256, fp, sizeof(fp)));
	T_ASSERT(strcmp(fp, "SHA256:YkMiQIj8bUnGczAWqNajfW9OlihcEJ9PJnC1gso9yBY") == 0);
	T_OK(kg_key_fingerprint_hash(ed, KG_FP_MD5, fp, sizeof(fp)));
	T_ASSERT(strcmp(fp, "MD5:d8:4a:14:33:3b:97:e3:74:64:90:7b:29:9a:74:a8:7e") == 0);
	T_OK(kg_key_fingerprint_hash(ed, KG_FP_SHA1, fp, sizeof(fp)));
	T_ASSERT(strcmp(fp, "SHA1:sLmDJcrX/MQbRcD7Wpn9wMB2/rU") == 0);
	T_OK(kg_key_fingerprint_hash(ec, KG_FP_MD5, fp, sizeof(fp)));
	T_ASSERT(strcmp(fp, "MD5:84:51:60:88:3a:cf:fe:02:da:84:9f:ca:79:11:b6:4b") == 0);
	T_ASSERT(kg_key_fingerprint_hash(ec, KG_FP_MD5, fp, 20) == KG_ERR_NO_SPACE);
	enum kg_fp_hash h;
	T_OK(kg_fp_hash_from_name("MD5", &h));
	T_ASSERT(h == KG_FP_MD5);
	T_ASSERT(kg_fp_hash_from_name("sha384", &h) == KG_ERR_ARG);
	kg_key_free(ed);
	kg_key_free(ec);
}

static void test_randomart_matches_openssh(void)
{
	kg_key *ed = key(ED), *ec = key(EC);
	T_ASSERT(ed && ec);
	char art[KG_RANDOMART_LEN];
	T_OK(kg_key_randomart(ed, KG_FP_SHA256, art, sizeof(art)));
	T_ASSERT(strcmp(art, ed_art) == 0);
	T_OK(kg_key_randomart(ec, KG_FP_MD5, art, sizeof(art)));
	T_ASSERT(strcmp(art, ec_md5_art) == 0);
	T_ASSERT(kg_key_randomart(ec, KG_FP_MD5, art, 100) == KG_ERR_NO_SPACE);
	kg_key_free(ed);
	kg_key_free(ec);
}

/* A walk of all-ones bytes runs into the bottom right corner and stays:
 * the end mark 'E' there, the start 'S' in the middle, a title too long
 * for the border falls back to the type alone. */
static void test_randomart_edges(void)
{
	uint8_t d[32];
	memset(d, 0xff, sizeof(d));
	char art[KG_RANDOMART_LEN];
	T_OK(kg_randomart("A-VERY-LONG-TYPE", 4096, "X", d, sizeof(d), art, sizeof(art)));
	T_ASSERT(strncmp(art, "+[A-VERY-LONG-TYP-+\n", 20) == 0);  /* cut to 16, as OpenSSH */
	T_ASSERT(strlen(art) == 11 * 19 + 10);
	const char *row9 = art + 9 * 20;
	T_ASSERT(row9[0] == '|' && row9[17] == 'E' && row9[18] == '|');
	const char *row5 = art + 5 * 20;
	T_ASSERT(row5[9] == 'S');
	T_OK(kg_randomart("RSA", 3072, "SHA256", d, 0, art, sizeof(art)));
	T_ASSERT(strncmp(art, "+---[RSA 3072]----+", 19) == 0);
	T_ASSERT(art[5 * 20 + 9] == 'E');  /* no moves: start and end coincide */
}

static void test_export_import(void)
{
	kg_key *ed = key(ED), *ec = key(EC);
	T_ASSERT(ed && ec);
	kg_buf out;
	kg_buf_init(&out, 0);
	/* ssh-keygen -e -f ed.pub and ssh-keygen -e -m PKCS8 -f ec.pub */
	static const char rfc[] =
		"---- BEGIN SSH2 PUBLIC KEY ----\n"
		"Comment: \"256-bit ED25519, converted by root@vm from OpenSSH\"\n"
		"AAAAC3NzaC1lZDI1NTE5AAAAIGmIC0QDqrUUQoYy9GjQd0SF8BPJ+WQth1eNOB97HrrA\n"
		"---- END SSH2 PUBLIC KEY ----\n";
	static const char pkcs8[] =
		"-----BEGIN PUBLIC KEY-----\n"
		"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEzoBDvz3YdMtq2diHMVLLbES+8S4x\n"
		"m6c2wNmk0cJy3xdEPV3UjpCc0u932PiasfUX9SMA21v5Nc12AglrupcW5w==\n"
		"-----END PUBLIC KEY-----\n";
	T_OK(kg_keyfile_export_public(ed, KG_FMT_RFC4716, "256-bit ED25519, converted by root@vm from OpenSSH", &out));
	T_ASSERT(kg_buf_len(&out) == strlen(rfc) && memcmp(kg_buf_ptr(&out), rfc, strlen(rfc)) == 0);
	kg_buf_reset(&out);
	T_OK(kg_keyfile_export_public(ec, KG_FMT_PKCS8, NULL, &out));
	T_ASSERT(kg_buf_len(&out) == strlen(pkcs8) && memcmp(kg_buf_ptr(&out), pkcs8, strlen(pkcs8)) == 0);
	T_ASSERT(kg_keyfile_export_public(ed, KG_FMT_PEM, NULL, &out) == KG_ERR_KEY_TYPE);
	kg_buf_free(&out);
	kg_key *back = NULL;
	T_OK(kg_keyfile_import_public(rfc, strlen(rfc), KG_FMT_RFC4716, &back));
	T_ASSERT(kg_key_equal_public(back, ed));
	kg_key_free(back);
	T_OK(kg_keyfile_import_public(pkcs8, strlen(pkcs8), KG_FMT_PKCS8, &back));
	T_ASSERT(kg_key_equal_public(back, ec));
	kg_key_free(back);
	/* A header continued with '\', then a broken body. */
	static const char cont[] =
		"---- BEGIN SSH2 PUBLIC KEY ----\nComment: \"a \\\nb\"\n"
		"AAAAC3NzaC1lZDI1NTE5AAAAIGmIC0QDqrUUQoYy9GjQd0SF8BPJ+WQth1eNOB97HrrA\n---- END SSH2 PUBLIC KEY ----\n";
	T_OK(kg_keyfile_import_public(cont, strlen(cont), KG_FMT_RFC4716, &back));
	T_ASSERT(kg_key_equal_public(back, ed));
	kg_key_free(back);
	T_ASSERT(kg_keyfile_import_public(rfc, strlen(rfc) - 31, KG_FMT_RFC4716, &back) < 0 && back == NULL);
	T_ASSERT(kg_keyfile_import_public(pkcs8, 60, KG_FMT_PKCS8, &back) < 0 && back == NULL);
	kg_key_free(ed);
	kg_key_free(ec);
}

static void test_private_formats(void)
{
	kg_key *k = NULL, *back = NULL, *pub = NULL;
	T_OK(kg_key_generate(KG_KEY_ECDSA_P384, 0, &k));
	kg_buf out;
	kg_buf_init(&out, 0);
	T_OK(kg_keyfile_write_private_pem(k, KG_FMT_PEM, "a pass phrase", &out));
	T_ASSERT(memmem(kg_buf_ptr(&out), kg_buf_len(&out), "BEGIN EC PRIVATE KEY", 20) != NULL);
	T_ASSERT(kg_keyfile_parse_private(kg_buf_ptr(&out), kg_buf_len(&out), "wrong", &back) < 0);
	T_OK(kg_keyfile_parse_private(kg_buf_ptr(&out), kg_buf_len(&out), "a pass phrase", &back));
	T_ASSERT(kg_key_equal_public(back, k));
	kg_key_free(back);
	/* Encrypted PEM carries no public key in clear. */
	T_ASSERT(kg_keyfile_public_of_private(kg_buf_ptr(&out), kg_buf_len(&out), &pub) == KG_ERR_NEED_PASSPHRASE);
	kg_buf_reset(&out);
	T_OK(kg_keyfile_write_private_pem(k, KG_FMT_PKCS8, "", &out));
	T_ASSERT(memmem(kg_buf_ptr(&out), kg_buf_len(&out), "BEGIN PRIVATE KEY", 17) != NULL);
	T_OK(kg_keyfile_public_of_private(kg_buf_ptr(&out), kg_buf_len(&out), &pub));
	T_ASSERT(kg_key_equal_public(pub, k) && !pub->has_private);
	kg_key_free(pub);
	/* openssh-key-v1 with a passphrase and -a rounds: the public half is
	 * readable without it. */
	kg_buf_reset(&out);
	T_OK(kg_keyfile_write_private_rounds(k, "a pass phrase", "c", 4, &out));
	T_OK(kg_keyfile_public_of_private(kg_buf_ptr(&out), kg_buf_len(&out), &pub));
	T_ASSERT(kg_key_equal_public(pub, k));
	kg_key_free(pub);
	T_ASSERT(kg_keyfile_write_private_rounds(k, "x", "c", 0, &out) == KG_ERR_ARG);
	kg_buf_free(&out);
	kg_key_free(k);
}

int main(void)
{
	T_RUN(test_fingerprints);
	T_RUN(test_randomart_matches_openssh);
	T_RUN(test_randomart_edges);
	T_RUN(test_export_import);
	T_RUN(test_private_formats);
	return T_DONE();
}
