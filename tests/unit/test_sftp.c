/* Exercises src/sftp/sftp-client.c, src/sftp/sftp-client-xfer.c,
 * src/sftp/sftp-client-tree.c, src/sftp/sftp-server.c and
 * src/sftp/sftp-server-ext.c: codec round trips and truncations, the server
 * on raw requests, and the client library against the server in-process
 * (no sockets). */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "t.h"
#include "core/sftp.h"
#include "sftp/sftp-client.h"
#include "sftp/sftp-client-int.h"
#include "sftp/sftp-server.h"

static void test_attrs_roundtrip(void)
{
	const uint8_t ext[] = { 0, 0, 0, 1, 'k', 0, 0, 0, 2, 'v', 'v' };
	kg_sftp_attrs a = { .flags = 0x0f, .size = 0x123456789ull, .uid = 1000, .gid = 100, .perm = 0100644,
			    .atime = 1700000000, .mtime = 1600000000, .ext_count = 1, .ext = ext, .ext_len = sizeof(ext) };
	kg_buf b, v;
	kg_sftp_attrs d;
	kg_buf_init(&b, 0);
	T_OK(kg_sftp_attrs_encode(&b, &a));
	size_t full = kg_buf_len(&b);
	T_ASSERT(full == 4 + 8 + 8 + 4 + 8 + 4 + sizeof(ext));
	kg_buf_view(&v, kg_buf_ptr(&b), full);
	T_OK(kg_sftp_attrs_decode(&v, &d));
	T_ASSERT(kg_buf_len(&v) == 0);
	T_ASSERT(d.flags == (0x0fu | SSH_FILEXFER_ATTR_EXTENDED) && d.size == a.size && d.uid == 1000 &&
		 d.gid == 100 && d.perm == 0100644 && d.atime == a.atime && d.mtime == a.mtime);
	T_ASSERT(d.ext_count == 1 && d.ext_len == sizeof(ext) && memcmp(d.ext, ext, sizeof(ext)) == 0);
	/* every truncation fails cleanly */
	for (size_t n = 0; n < full; n++) {
		kg_buf_view(&v, kg_buf_ptr(&b), n);
		T_ASSERT(kg_sftp_attrs_decode(&v, &d) < 0);
	}
	/* an extended count far beyond the bytes present */
	const uint8_t bad[] = { 0x80, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0 };
	kg_buf_view(&v, bad, sizeof(bad));
	T_ASSERT(kg_sftp_attrs_decode(&v, &d) == KG_ERR_INCOMPLETE);
	kg_buf_free(&b);
}

static void test_framing(void)
{
	kg_buf b;
	size_t mark, total;
	kg_sftp_msg m;
	kg_buf_init(&b, 0);
	T_OK(kg_sftp_msg_begin(&b, SSH_FXP_OPEN, 7, &mark));
	T_OK(kg_buf_put_cstring(&b, "file"));
	T_OK(kg_sftp_msg_end(&b, mark));
	const uint8_t want[] = { 0, 0, 0, 13, 3, 0, 0, 0, 7, 0, 0, 0, 4, 'f', 'i', 'l', 'e' };
	T_ASSERT(kg_buf_len(&b) == sizeof(want) && memcmp(kg_buf_ptr(&b), want, sizeof(want)) == 0);
	for (size_t n = 0; n < sizeof(want); n++)
		T_ASSERT(kg_sftp_frame_check(want, n, 0, &total) == KG_ERR_AGAIN);
	T_OK(kg_sftp_frame_check(want, sizeof(want), 0, &total));
	T_ASSERT(total == sizeof(want));
	T_OK(kg_sftp_msg_parse(want, total, &m));
	T_ASSERT(m.type == SSH_FXP_OPEN && m.id == 7 && kg_buf_len(&m.body) == 8);
	const uint8_t huge[] = { 0x7f, 0xff, 0xff, 0xff, 1 };
	T_ASSERT(kg_sftp_frame_check(huge, sizeof(huge), 0, &total) == KG_ERR_TOO_LARGE);
	const uint8_t empty[] = { 0, 0, 0, 0 };
	T_ASSERT(kg_sftp_frame_check(empty, sizeof(empty), 0, &total) == KG_ERR_FORMAT);
	const uint8_t tiny[] = { 0, 0, 0, 2, 1, 2 };
	T_OK(kg_sftp_frame_check(tiny, sizeof(tiny), 0, &total));
	T_ASSERT(kg_sftp_msg_parse(tiny, total, &m) == KG_ERR_INCOMPLETE);
	kg_buf_free(&b);
}

static void test_names_status(void)
{
	kg_buf b, v;
	size_t mark;
	kg_sftp_attrs a = { .flags = SSH_FILEXFER_ATTR_SIZE, .size = 5 };
	kg_buf_init(&b, 0);
	T_OK(kg_sftp_names_begin(&b, 9, &mark));
	T_OK(kg_sftp_names_add(&b, mark, "a", "-rw a", &a));
	T_OK(kg_sftp_names_add(&b, mark, "b c", "-rw b c", &a));
	T_OK(kg_sftp_names_end(&b, mark));
	kg_sftp_msg m;
	T_OK(kg_sftp_msg_parse(kg_buf_ptr(&b), kg_buf_len(&b), &m));
	uint32_t count;
	T_OK(kg_sftp_names_count(&m.body, &count));
	T_ASSERT(count == 2);
	const uint8_t *n, *l;
	size_t nl, ll;
	kg_sftp_attrs d;
	T_OK(kg_sftp_names_next(&m.body, &n, &nl, &l, &ll, &d));
	T_ASSERT(nl == 1 && n[0] == 'a' && d.size == 5);
	T_OK(kg_sftp_names_next(&m.body, &n, &nl, &l, &ll, &d));
	T_ASSERT(nl == 3 && memcmp(n, "b c", 3) == 0 && kg_buf_len(&m.body) == 0);
	/* a count that cannot fit */
	const uint8_t lie[] = { 0, 0, 1, 0, 0, 0, 0, 0 };
	kg_buf_view(&v, lie, sizeof(lie));
	T_ASSERT(kg_sftp_names_count(&v, &count) == KG_ERR_INCOMPLETE);
	kg_buf_reset(&b);
	T_OK(kg_sftp_put_status(&b, 4, SSH_FX_NO_SUCH_FILE, NULL));
	T_OK(kg_sftp_msg_parse(kg_buf_ptr(&b), kg_buf_len(&b), &m));
	uint32_t code;
	const uint8_t *msg;
	size_t ml;
	T_OK(kg_sftp_parse_status(&m.body, &code, &msg, &ml));
	T_ASSERT(code == SSH_FX_NO_SUCH_FILE && ml == 12 && memcmp(msg, "No such file", 12) == 0);
	/* status without message (old servers) */
	const uint8_t bare[] = { 0, 0, 0, 3 };
	kg_buf_view(&v, bare, sizeof(bare));
	T_OK(kg_sftp_parse_status(&v, &code, &msg, &ml));
	T_ASSERT(code == 3 && msg == NULL);
	char mode[11];
	kg_sftp_mode_string(040755, mode);
	T_ASSERT(strcmp(mode, "drwxr-xr-x") == 0);
	kg_sftp_mode_string(0104711, mode);
	T_ASSERT(strcmp(mode, "-rws--x--x") == 0);
	kg_buf_free(&b);
}

static void test_statvfs_codec(void)
{
	kg_sftp_vfs v = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 }, d;
	kg_buf b, w;
	kg_buf_init(&b, 0);
	T_OK(kg_sftp_statvfs_encode(&b, &v));
	T_ASSERT(kg_buf_len(&b) == 88);
	for (size_t n = 0; n < 88; n++) {
		kg_buf_view(&w, kg_buf_ptr(&b), n);
		T_ASSERT(kg_sftp_statvfs_decode(&w, &d) < 0);
	}
	kg_buf_view(&w, kg_buf_ptr(&b), 88);
	T_OK(kg_sftp_statvfs_decode(&w, &d));
	T_ASSERT(memcmp(&v, &d, sizeof(v)) == 0);
	kg_buf_free(&b);
}

/* ---- the client against the server, in process ---- */

typedef struct pipe_srv {
	kg_sftp_server srv;
	kg_buf in;
} pipe_srv;

static int ps_write(void *arg, const void *data, size_t len)
{
	pipe_srv *p = arg;
	GUARD(kg_buf_put(&p->in, data, len));
	return kg_sftp_server_input(&p->srv, &p->in);
}

static int ps_read(void *arg, void *buf, size_t len, size_t *got)
{
	pipe_srv *p = arg;
	*got = 0;
	if (kg_buf_len(&p->srv.out) == 0)
		GUARD(kg_sftp_server_input(&p->srv, &p->in));
	size_t n = kg_buf_len(&p->srv.out) < len ? kg_buf_len(&p->srv.out) : len;
	memcpy(buf, kg_buf_ptr(&p->srv.out), n);
	*got = n;
	return kg_buf_consume(&p->srv.out, n);
}

static char tmpdir[64];
static int saved_cwd = -1;

static void enter_tmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kg-sftp-test.XXXXXX");
	if (!mkdtemp(tmpdir))
		abort();
	saved_cwd = open(".", O_RDONLY | O_DIRECTORY);
	if (chdir(tmpdir) < 0)
		abort();
}

static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			char p[4096];
			snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
			struct stat st;
			if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
				rm_tree(p);
			else
				unlink(p);
		}
		closedir(d);
	}
	rmdir(path);
}

static void leave_tmp(void)
{
	if (fchdir(saved_cwd) < 0)
		abort();
	close(saved_cwd);
	rm_tree(tmpdir);
}

static int write_file(const char *path, const uint8_t *d, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, d, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

static int same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int same = fa && fb;
	while (same) {
		int ca = fgetc(fa), cb = fgetc(fb);
		if (ca != cb)
			same = 0;
		if (ca == EOF || cb == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

static void test_client_server(void)
{
	pipe_srv p;
	kg_sftp s;
	kg_sftp_server_opts so = { .confine = 1 };
	kg_sftp_opts co = { .block_size = 4096, .num_requests = 8 };
	enter_tmp();
	kg_sftp_server_init(&p.srv, &so);
	kg_buf_init(&p.in, 4u << 20);
	kg_sftp_io io = { .write = ps_write, .read = ps_read, .arg = &p };
	memset(&s, 0, sizeof(s));
	T_OK(kg_sftp_start(&s, &io, &co, NULL));
	T_ASSERT(kg_sftp_has_ext(&s, KG_SFTP_EXT_POSIX_RENAME) && kg_sftp_has_ext(&s, KG_SFTP_EXT_LIMITS));
	T_ASSERT(s.max_read == KG_SFTP_MAX_DATA && s.block_size == 4096);

	/* a file of odd size, through upload and download */
	size_t sz = 100003;
	uint8_t *data = malloc(sz);
	for (size_t i = 0; i < sz; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 9));
	T_OK(write_file("src.bin", data, sz));
	kg_sftp_xfer_opts xo = { .quiet = 1, .preserve = 1 };
	T_OK(kg_sftp_put(&s, "src.bin", "up.bin", &xo));
	T_ASSERT(same_file("src.bin", "up.bin"));
	T_OK(kg_sftp_get(&s, "up.bin", "down.bin", &xo));
	T_ASSERT(same_file("src.bin", "down.bin"));
	struct stat st;
	T_ASSERT(stat(".down.bin.part", &st) < 0);

	/* resume: a partial download finishes; a mismatching one restarts */
	T_OK(write_file(".again.bin.part", data, 50000));
	xo.resume = 1;
	T_OK(kg_sftp_get_file(&s, "up.bin", "again.bin", &xo));
	T_ASSERT(same_file("src.bin", "again.bin"));
	uint8_t junk[300] = { 1 };
	T_OK(write_file(".again2.bin.part", junk, sizeof(junk)));
	T_OK(kg_sftp_get_file(&s, "up.bin", "again2.bin", &xo));
	T_ASSERT(same_file("src.bin", "again2.bin"));
	/* upload resume */
	T_OK(write_file("half.bin", data, 70000));
	T_OK(kg_sftp_put_file(&s, "src.bin", "half.bin", &xo));
	T_ASSERT(same_file("src.bin", "half.bin"));
	xo.resume = 0;

	/* a missing file: a clear error, and nothing left behind */
	T_ASSERT(kg_sftp_get_file(&s, "nope", "nope.out", &xo) == KG_ERR_SYSTEM);
	T_ASSERT(s.remote_err && s.status == SSH_FX_NO_SUCH_FILE && strcmp(kg_sftp_error(&s), "No such file") == 0);
	T_ASSERT(stat("nope.out", &st) < 0 && stat(".nope.out.part", &st) < 0);

	/* attributes read before the file changed: a stale size, smaller or
	 * larger, still fetches exactly the file (reads go on past a size that
	 * turned out short, and stop at the real end) */
	kg_sftp_attrs stale = { .flags = SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_PERMISSIONS,
				.size = 5000, .perm = 0100644 };
	T_OK(cl_get_file(&s, "src.bin", "grew.bin", &xo, &stale));
	T_ASSERT(same_file("src.bin", "grew.bin"));
	stale.size = 0;
	T_OK(cl_get_file(&s, "src.bin", "grew0.bin", &xo, &stale));
	T_ASSERT(same_file("src.bin", "grew0.bin"));
	stale.size = sz * 3;
	T_OK(cl_get_file(&s, "src.bin", "shrank.bin", &xo, &stale));
	T_ASSERT(same_file("src.bin", "shrank.bin"));
	T_ASSERT(unlink("grew.bin") == 0 && unlink("grew0.bin") == 0 && unlink("shrank.bin") == 0);

	/* directory operations */
	T_OK(kg_sftp_mkdir(&s, "d", NULL));
	T_OK(kg_sftp_rename(&s, "up.bin", "d/moved", 0));
	T_ASSERT(kg_sftp_rename(&s, "down.bin", "d/moved", 1) == KG_ERR_SYSTEM);  /* v3 refuses to replace */
	kg_sftp_name *names;
	size_t n;
	T_OK(kg_sftp_readdir_all(&s, "d", 0, &names, &n));
	T_ASSERT(n == 3);  /* ., .., moved */
	int found = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i].filename, "moved") == 0 && names[i].attrs.size == sz &&
		    strncmp(names[i].longname, "-rw-r--r--", 10) == 0)
			found = 1;
	kg_sftp_names_free(names, n);
	T_ASSERT(found);
	char **g;
	T_OK(kg_sftp_glob(&s, "*.bin", &g, &n));
	T_ASSERT(n == 5 && strcmp(g[0], "again.bin") == 0 && strcmp(g[4], "src.bin") == 0);
	kg_sftp_glob_free(g, n);
	T_OK(kg_sftp_glob(&s, "d/m*", &g, &n));
	T_ASSERT(n == 1 && strcmp(g[0], "d/moved") == 0);
	kg_sftp_glob_free(g, n);
	kg_sftp_attrs a = { .flags = SSH_FILEXFER_ATTR_PERMISSIONS | SSH_FILEXFER_ATTR_ACMODTIME,
			    .perm = 0600, .atime = 1000000000, .mtime = 1200000000 };
	T_OK(kg_sftp_setstat(&s, "d/moved", &a));
	T_OK(stat("d/moved", &st));
	T_ASSERT((st.st_mode & 07777) == 0600 && st.st_mtime == 1200000000);
	kg_sftp_vfs v;
	T_OK(kg_sftp_statvfs(&s, ".", &v));
	T_ASSERT(v.bsize > 0);
	/* confined: no escaping the directory, no links */
	T_ASSERT(kg_sftp_stat(&s, "/etc/passwd", &a) == KG_ERR_SYSTEM && s.status == SSH_FX_PERMISSION_DENIED);
	T_ASSERT(kg_sftp_symlink(&s, "/etc", "e") == KG_ERR_SYSTEM);
	T_OK(kg_sftp_remove(&s, "d/moved"));
	T_OK(kg_sftp_rmdir(&s, "d"));
	T_ASSERT(kg_sftp_rmdir(&s, "d") == KG_ERR_SYSTEM);

	/* recursive put and get */
	T_ASSERT(mkdir("tree", 0755) == 0 && mkdir("tree/sub dir", 0700) == 0);
	T_OK(write_file("tree/-lead", data, 10));
	T_OK(write_file("tree/sub dir/\xc3\xa9t\xc3\xa9", data, 1000));
	T_OK(write_file("tree/empty", data, 0));
	xo.recursive = 1;
	T_OK(kg_sftp_put(&s, "tree", "tree2", &xo));
	T_OK(kg_sftp_get(&s, "tree2", "tree3", &xo));
	T_ASSERT(same_file("tree/sub dir/\xc3\xa9t\xc3\xa9", "tree3/sub dir/\xc3\xa9t\xc3\xa9"));
	T_ASSERT(same_file("tree/-lead", "tree3/-lead") && same_file("tree/empty", "tree3/empty"));
	T_OK(stat("tree3/sub dir", &st));
	T_ASSERT((st.st_mode & 0777) == 0700);

	T_OK(kg_sftp_close(&s));
	free(data);
	kg_sftp_server_free(&p.srv);
	kg_buf_free(&p.in);
	leave_tmp();
}

/* Raw requests that are wrong in every way get a status, not a crash. */
static void test_server_malformed(void)
{
	kg_sftp_server srv;
	kg_sftp_server_opts so = { .confine = 1 };
	enter_tmp();
	kg_sftp_server_init(&srv, &so);
	const uint8_t before_init[] = { 0, 0, 0, 5, SSH_FXP_OPENDIR, 0, 0, 0, 1 };
	T_ASSERT(kg_sftp_server_handle(&srv, before_init, sizeof(before_init)) == KG_ERR_PROTOCOL);
	const uint8_t init[] = { 0, 0, 0, 5, SSH_FXP_INIT, 0, 0, 0, 3 };
	T_OK(kg_sftp_server_handle(&srv, init, sizeof(init)));
	T_ASSERT(kg_buf_ptr(&srv.out)[4] == SSH_FXP_VERSION);
	T_OK(kg_buf_consume(&srv.out, kg_buf_len(&srv.out)));
	/* READ with a stale handle and a huge length; truncated OPEN; unknown type */
	const uint8_t reqs[][40] = {
		{ 0, 0, 0, 29, SSH_FXP_READ, 0, 0, 0, 2, 0, 0, 0, 8, 0, 0, 0, 9, 0, 0, 0, 0,
		  0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff },
		{ 0, 0, 0, 9, SSH_FXP_OPEN, 0, 0, 0, 3, 0, 0, 0, 9 },
		{ 0, 0, 0, 5, 99, 0, 0, 0, 4 },
		{ 0, 0, 0, 9, SSH_FXP_EXTENDED, 0, 0, 0, 5, 0, 0, 0, 0 },
		{ 0, 0, 0, 13, SSH_FXP_CLOSE, 0, 0, 0, 6, 0, 0, 1, 0, 0, 0, 0, 0 },
	};
	const uint32_t want[] = { SSH_FX_FAILURE, SSH_FX_BAD_MESSAGE, SSH_FX_OP_UNSUPPORTED,
				  SSH_FX_OP_UNSUPPORTED, SSH_FX_BAD_MESSAGE };
	for (size_t i = 0; i < KG_ARRAY_LEN(reqs); i++) {
		size_t len = 4 + kg_peek_u32(reqs[i]);
		T_OK(kg_sftp_server_handle(&srv, reqs[i], len));
		kg_sftp_msg m;
		T_OK(kg_sftp_msg_parse(kg_buf_ptr(&srv.out), kg_buf_len(&srv.out), &m));
		T_ASSERT(m.type == SSH_FXP_STATUS && m.id == i + 2);
		uint32_t code;
		const uint8_t *msg;
		size_t ml;
		T_OK(kg_sftp_parse_status(&m.body, &code, &msg, &ml));
		T_ASSERT(code == want[i]);
		T_OK(kg_buf_consume(&srv.out, kg_buf_len(&srv.out)));
	}
	/* a framing length over the cap ends the session cleanly */
	kg_buf in;
	kg_buf_init(&in, 0);
	const uint8_t big[] = { 0x10, 0, 0, 0, SSH_FXP_READ };
	T_OK(kg_buf_put(&in, big, sizeof(big)));
	T_ASSERT(kg_sftp_server_input(&srv, &in) == KG_ERR_TOO_LARGE);
	kg_buf_free(&in);
	kg_sftp_server_free(&srv);
	leave_tmp();
}

/* The largest blocks with many requests in flight: more bytes queued than
 * the client's request buffer holds at once (64 x ~255 KiB is ~16 MiB). */
static void test_big_blocks(void)
{
	pipe_srv p;
	kg_sftp s;
	kg_sftp_server_opts so = { .confine = 1 };
	kg_sftp_opts co = { .block_size = KG_SFTP_MAX_DATA, .num_requests = 64 };
	enter_tmp();
	kg_sftp_server_init(&p.srv, &so);
	kg_buf_init(&p.in, 4u << 20);
	kg_sftp_io io = { .write = ps_write, .read = ps_read, .arg = &p };
	memset(&s, 0, sizeof(s));
	T_OK(kg_sftp_start(&s, &io, &co, NULL));
	T_ASSERT(s.block_size == KG_SFTP_MAX_DATA && s.num_requests == 64);
	size_t sz = 9u * 1024 * 1024 + 12345;  /* over 8 MiB: more than one buffer full */
	uint8_t *data = malloc(sz);
	T_ASSERT(data != NULL);
	for (size_t i = 0; i < sz; i++)
		data[i] = (uint8_t)(i * 13 + (i >> 11));
	T_OK(write_file("src.bin", data, sz));
	kg_sftp_xfer_opts xo = { .quiet = 1 };
	T_OK(kg_sftp_put(&s, "src.bin", "up.bin", &xo));
	T_ASSERT(same_file("src.bin", "up.bin"));
	T_OK(kg_sftp_get(&s, "up.bin", "down.bin", &xo));
	T_ASSERT(same_file("src.bin", "down.bin"));
	T_OK(kg_sftp_close(&s));
	free(data);
	kg_sftp_server_free(&p.srv);
	kg_buf_free(&p.in);
	leave_tmp();
}

/* ---- a server that stops mid-reply ---- */

/* Records what the real server answers, for replaying cut short. */
typedef struct rec_srv {
	pipe_srv p;
	kg_buf rec;
} rec_srv;

static int rs_write(void *arg, const void *data, size_t len)
{
	return ps_write(&((rec_srv *)arg)->p, data, len);
}

static int rs_read(void *arg, void *buf, size_t len, size_t *got)
{
	rec_srv *r = arg;
	GUARD(ps_read(&r->p, buf, len, got));
	return kg_buf_put(&r->rec, buf, *got);
}

/* Plays back the first n recorded bytes, one byte per read, then ends;
 * what the client writes is dropped. */
typedef struct replay {
	const uint8_t *d;
	size_t n, pos;
} replay;

static int rp_write(void *arg, const void *data, size_t len)
{
	(void)arg, (void)data, (void)len;
	return KG_OK;
}

static int rp_read(void *arg, void *buf, size_t len, size_t *got)
{
	replay *r = arg;
	*got = r->pos < r->n && len > 0 ? 1 : 0;
	if (*got)
		((uint8_t *)buf)[0] = r->d[r->pos++];
	return KG_OK;
}

/* The same requests as recorded: the version, a stat, a directory read. */
static int replay_session(kg_sftp *s, const kg_sftp_io *io, kg_sftp_attrs *a, size_t *nnames)
{
	kg_sftp_opts co = { 0 };
	memset(s, 0, sizeof(*s));
	GUARD(kg_sftp_start(s, io, &co, NULL));
	int r = kg_sftp_stat(s, "f", a);
	kg_sftp_name *names = NULL;
	*nnames = 0;
	if (r == KG_OK)
		r = kg_sftp_readdir_all(s, ".", 0, &names, nnames);
	if (r == KG_OK)
		kg_sftp_names_free(names, *nnames);
	return r;
}

/* Every truncation of the server's replies fails cleanly (no crash, no
 * hang, no leak); the whole recording succeeds; a reply whose length is
 * over the cap is refused. */
static void test_truncated_reply(void)
{
	rec_srv rs;
	kg_sftp_server_opts so = { .confine = 1 };
	enter_tmp();
	T_OK(write_file("f", (const uint8_t *)"12345", 5));
	kg_sftp_server_init(&rs.p.srv, &so);
	kg_buf_init(&rs.p.in, 4u << 20);
	kg_buf_init(&rs.rec, 0);
	kg_sftp_io io = { .write = rs_write, .read = rs_read, .arg = &rs };
	kg_sftp s;
	kg_sftp_attrs a;
	size_t nn;
	T_OK(replay_session(&s, &io, &a, &nn));
	T_ASSERT(a.size == 5 && nn == 3);
	T_OK(kg_sftp_close(&s));
	size_t total = kg_buf_len(&rs.rec);
	T_ASSERT(total > 40);
	for (size_t n = 0; n <= total; n++) {
		replay rp = { kg_buf_ptr(&rs.rec), n, 0 };
		kg_sftp_io pio = { .write = rp_write, .read = rp_read, .arg = &rp };
		memset(&a, 0, sizeof(a));
		int r = replay_session(&s, &pio, &a, &nn);
		kg_sftp_free(&s);
		if (n < total)
			T_ASSERT(r < 0);
		else
			T_ASSERT(r == KG_OK && a.size == 5 && nn == 3);
	}
	/* a VERSION reply announcing more than the packet cap */
	const uint8_t huge[] = { 0x7f, 0xff, 0xff, 0xff, SSH_FXP_VERSION, 0, 0, 0, 3 };
	replay rp = { huge, sizeof(huge), 0 };
	kg_sftp_io hio = { .write = rp_write, .read = rp_read, .arg = &rp };
	kg_sftp_opts co = { 0 };
	memset(&s, 0, sizeof(s));
	int r = kg_sftp_start(&s, &hio, &co, NULL);
	T_ASSERT(r < 0 && r != KG_ERR_CLOSED && strstr(kg_sftp_error(&s), "bad reply") != NULL);
	kg_sftp_free(&s);
	kg_buf_free(&rs.rec);
	kg_sftp_server_free(&rs.p.srv);
	kg_buf_free(&rs.p.in);
	leave_tmp();
}

int main(void)
{
	T_RUN(test_attrs_roundtrip);
	T_RUN(test_framing);
	T_RUN(test_names_status);
	T_RUN(test_statvfs_codec);
	T_RUN(test_client_server);
	T_RUN(test_big_blocks);
	T_RUN(test_server_malformed);
	T_RUN(test_truncated_reply);
	return T_DONE();
}
