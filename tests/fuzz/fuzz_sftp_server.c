/* SFTP server: arbitrary request bytes (after an INIT) handled inside a
 * private temporary directory, confined so nothing outside it is touched.
 * Every request must be answered or end the session; never a crash. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sftp/sftp-server.h"

static char dir[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void cleanup(void)
{
	if (chdir("/") == 0)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kg-fuzz-sftp.XXXXXX");
	if (!mkdtemp(dir) || chdir(dir) < 0)
		abort();
	FILE *f = fopen("file", "w");
	if (f) {
		fputs("some bytes to read back\n", f);
		fclose(f);
	}
	if (mkdir("sub", 0755) < 0)
		abort();
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0])
		setup();
	kg_sftp_server s;
	kg_sftp_server_opts o = { .confine = 1 };
	kg_sftp_server_init(&s, &o);
	static const uint8_t init[] = { 0, 0, 0, 5, 1, 0, 0, 0, 3 };
	kg_buf in;
	kg_buf_init(&in, 0);
	if (kg_buf_put(&in, init, sizeof(init)) == KG_OK && kg_buf_put(&in, data, size) == KG_OK) {
		for (int rounds = 0; rounds < 10000; rounds++) {
			size_t before = kg_buf_len(&in);
			if (kg_sftp_server_input(&s, &in) < 0)
				break;
			(void)!kg_buf_consume(&s.out, kg_buf_len(&s.out));
			if (kg_buf_len(&in) == before)
				break;
		}
	}
	kg_buf_free(&in);
	kg_sftp_server_free(&s);
	return 0;
}
