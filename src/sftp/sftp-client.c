/* SFTP client: the session, version negotiation and one-request calls. */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sftp/sftp-client-int.h"

#define IN_MAX (2u * (KG_SFTP_MAX_PACKET + 1024) + 65536)
#define OUT_MAX (8u * 1024 * 1024)

static const struct { const char *name; uint32_t bit; } known_exts[] = {
	{ "posix-rename@openssh.com", KG_SFTP_EXT_POSIX_RENAME },
	{ "statvfs@openssh.com", KG_SFTP_EXT_STATVFS },
	{ "fstatvfs@openssh.com", KG_SFTP_EXT_FSTATVFS },
	{ "hardlink@openssh.com", KG_SFTP_EXT_HARDLINK },
	{ "fsync@openssh.com", KG_SFTP_EXT_FSYNC },
	{ "lsetstat@openssh.com", KG_SFTP_EXT_LSETSTAT },
	{ "limits@openssh.com", KG_SFTP_EXT_LIMITS },
	{ "expand-path@openssh.com", KG_SFTP_EXT_EXPAND_PATH },
	{ "copy-data", KG_SFTP_EXT_COPY_DATA },
	{ "home-directory", KG_SFTP_EXT_HOME_DIR },
};

/* ---- plumbing ---- */

uint64_t cl_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void cl_throttle(const kg_sftp *s, uint64_t start_ms, uint64_t bytes)
{
	if (!s->limit_bps)
		return;
	uint64_t due = start_ms + bytes * 1000 / s->limit_bps, now = cl_now_ms();
	if (due > now) {
		struct timespec ts = { .tv_sec = (time_t)((due - now) / 1000),
				       .tv_nsec = (long)((due - now) % 1000) * 1000000 };
		nanosleep(&ts, NULL);
	}
}

int cl_fail_remote(kg_sftp *s, uint32_t code, const uint8_t *msg, size_t msg_len)
{
	s->status = code;
	s->remote_err = 1;
	/* The server's text is shown when it says more than the code does,
	 * sanitised: control characters from the peer never reach a terminal. */
	const char *std = kg_sftp_status_text(code);
	size_t n = 0;
	if (msg && msg_len && !(msg_len == strlen(std) && memcmp(msg, std, msg_len) == 0) && code == SSH_FX_FAILURE) {
		for (size_t i = 0; i < msg_len && n + 1 < sizeof(s->errmsg); i++)
			s->errmsg[n++] = (msg[i] >= 0x20 && msg[i] < 0x7f) ? (char)msg[i] : '?';
		s->errmsg[n] = '\0';
	} else {
		snprintf(s->errmsg, sizeof(s->errmsg), "%s", std);
	}
	errno = kg_sftp_status_errno(code);
	if (errno == 0)
		errno = EIO;
	return KG_ERR_SYSTEM;
}

int cl_fail_local(kg_sftp *s, int err, const char *what)
{
	s->status = 0;
	s->remote_err = 0;
	snprintf(s->errmsg, sizeof(s->errmsg), "%s%s%s", what ? what : "", what ? ": " : "", strerror(err));
	errno = err;
	return KG_ERR_SYSTEM;
}

int cl_fail_text(kg_sftp *s, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	s->status = 0;
	s->remote_err = 0;
	errno = err;
	return KG_ERR_SYSTEM;
}

const char *kg_sftp_error(const kg_sftp *s)
{
	return s->errmsg[0] ? s->errmsg : "unknown error";
}

int cl_begin(kg_sftp *s, uint8_t type, uint32_t *id, size_t *mark)
{
	*id = s->next_id++;
	return kg_sftp_msg_begin(&s->out, type, *id, mark);
}

int cl_flush(kg_sftp *s)
{
	if (kg_buf_len(&s->out) == 0)
		return KG_OK;
	int r = s->io.write(s->io.arg, kg_buf_ptr(&s->out), kg_buf_len(&s->out));
	GUARD(kg_buf_consume(&s->out, kg_buf_len(&s->out)));
	if (r < 0)
		snprintf(s->errmsg, sizeof(s->errmsg), "connection lost: %s", kg_err_str(r));
	return r;
}

int cl_end(kg_sftp *s, size_t mark)
{
	return kg_sftp_msg_end(&s->out, mark);
}

int cl_end_send(kg_sftp *s, size_t mark)
{
	GUARD(kg_sftp_msg_end(&s->out, mark));
	return cl_flush(s);
}

int cl_recv(kg_sftp *s)
{
	if (s->reply_len) {
		GUARD(kg_buf_consume(&s->in, s->reply_len));
		s->reply_len = 0;
	}
	for (;;) {
		size_t total;
		int r = kg_sftp_frame_check(kg_buf_ptr(&s->in), kg_buf_len(&s->in), 0, &total);
		if (r == KG_OK) {
			GUARD(kg_sftp_msg_parse(kg_buf_ptr(&s->in), total, &s->reply));
			s->reply_len = total;
			return KG_OK;
		}
		if (r != KG_ERR_AGAIN) {
			snprintf(s->errmsg, sizeof(s->errmsg), "bad reply from server: %s", kg_err_str(r));
			return r;
		}
		uint8_t *p;
		size_t room = 65536, got = 0;
		GUARD(kg_buf_reserve(&s->in, room, &p));
		r = s->io.read(s->io.arg, p, room, &got);
		GUARD(kg_buf_consume_end(&s->in, room - got));
		if (r < 0 || got == 0) {
			snprintf(s->errmsg, sizeof(s->errmsg), "connection closed");
			return r < 0 ? r : KG_ERR_CLOSED;
		}
	}
}

int cl_recv_id(kg_sftp *s, uint32_t id)
{
	GUARD(cl_recv(s));
	if (s->reply.id != id) {
		snprintf(s->errmsg, sizeof(s->errmsg), "reply id %u does not match request %u",
			 (unsigned)s->reply.id, (unsigned)id);
		return KG_ERR_PROTOCOL;
	}
	return KG_OK;
}

int cl_status(kg_sftp *s, kg_buf *body)
{
	uint32_t code;
	const uint8_t *msg;
	size_t len;
	GUARD(kg_sftp_parse_status(body, &code, &msg, &len));
	if (code == SSH_FX_OK)
		return KG_OK;
	return cl_fail_remote(s, code, msg, len);
}

int cl_put_handle(kg_sftp *s, const kg_sftp_handle *h)
{
	return kg_buf_put_string(&s->out, h->h, h->len);
}

/* A reply that must be STATUS OK, or the wanted type (left in s->reply). */
static int expect(kg_sftp *s, uint32_t id, uint8_t want)
{
	GUARD(cl_recv_id(s, id));
	if (s->reply.type == SSH_FXP_STATUS) {
		int r = cl_status(s, &s->reply.body);
		if (r == KG_OK && want != SSH_FXP_STATUS)
			return cl_fail_text(s, EPROTO, "unexpected status reply");
		return r;
	}
	if (s->reply.type != want) {
		snprintf(s->errmsg, sizeof(s->errmsg), "unexpected reply type %u", s->reply.type);
		return KG_ERR_PROTOCOL;
	}
	return KG_OK;
}

/* ---- session ---- */

static int stream_write(void *arg, const void *data, size_t len)
{
	return kg_stream_write(arg, data, len);
}

static int stream_read(void *arg, void *buf, size_t len, size_t *got)
{
	return kg_stream_read(arg, buf, len, got);
}

static int parse_limits(kg_sftp *s)
{
	uint32_t id;
	size_t mark;
	GUARD(cl_begin(s, SSH_FXP_EXTENDED, &id, &mark));
	GUARD(kg_buf_put_cstring(&s->out, "limits@openssh.com"));
	GUARD(cl_end_send(s, mark));
	GUARD(expect(s, id, SSH_FXP_EXTENDED_REPLY));
	kg_buf *b = &s->reply.body;
	GUARD(kg_buf_get_u64(b, &s->max_packet));
	GUARD(kg_buf_get_u64(b, &s->max_read));
	GUARD(kg_buf_get_u64(b, &s->max_write));
	return kg_buf_get_u64(b, &s->max_handles);
}

static int start(kg_sftp *s, const kg_sftp_io *io, const kg_sftp_opts *o, kg_logger *log, kg_stream *keep)
{
	/* The stream (kg_sftp_open) lives inside s and stays as it is. */
	size_t head = offsetof(kg_sftp, stream_store), tail = head + sizeof(s->stream_store);
	memset(s, 0, head);
	memset((uint8_t *)s + tail, 0, sizeof(*s) - tail);
	s->stream = keep;
	s->io = *io;
	s->log = log;
	s->next_id = 1;
	kg_buf_init(&s->in, IN_MAX);
	kg_buf_init(&s->out, OUT_MAX);
	size_t mark;
	GUARD(kg_sftp_msg_begin(&s->out, SSH_FXP_INIT, KG_SFTP_VERSION, &mark));
	/* INIT has no id: the version sits where the id would */
	GUARD(cl_end_send(s, mark));
	GUARD(cl_recv(s));
	if (s->reply.type != SSH_FXP_VERSION) {
		snprintf(s->errmsg, sizeof(s->errmsg), "server did not send VERSION");
		return KG_ERR_PROTOCOL;
	}
	s->version = s->reply.id;
	if (s->version < KG_SFTP_VERSION) {
		snprintf(s->errmsg, sizeof(s->errmsg), "server speaks SFTP version %u only", (unsigned)s->version);
		return KG_ERR_PROTOCOL;
	}
	s->version = KG_SFTP_VERSION;
	kg_buf *b = &s->reply.body;
	while (kg_buf_len(b) > 0) {
		const uint8_t *name, *data;
		size_t nl, dl;
		GUARD(kg_buf_get_string_direct(b, &name, &nl));
		GUARD(kg_buf_get_string_direct(b, &data, &dl));
		for (size_t i = 0; i < KG_ARRAY_LEN(known_exts); i++)
			if (strlen(known_exts[i].name) == nl && memcmp(known_exts[i].name, name, nl) == 0)
				s->exts |= known_exts[i].bit;
		kg_debug2(log, "SFTP extension %.*s version %.*s", (int)nl, (const char *)name, (int)dl,
			  (const char *)data);
	}
	if (kg_sftp_has_ext(s, KG_SFTP_EXT_LIMITS) && parse_limits(s) < 0) {
		kg_debug(log, "limits@openssh.com failed; using defaults");
		s->max_read = s->max_write = 0;
	}
	s->block_size = o && o->block_size ? o->block_size : KG_SFTP_DEFAULT_BLOCK;
	/* Unless a size was asked for, a server that states its limits gets
	 * blocks as large as it takes: a quarter of the messages for the same
	 * bytes, about a fifth less CPU per uploaded byte between kagi peers. */
	if (!(o && o->block_size) && s->max_read && s->max_write) {
		uint64_t big = s->max_read < s->max_write ? s->max_read : s->max_write;
		if (big > KG_SFTP_MAX_DATA)
			big = KG_SFTP_MAX_DATA;
		if (big > s->block_size)
			s->block_size = (size_t)big;
	}
	if (s->block_size > KG_SFTP_MAX_DATA)
		s->block_size = KG_SFTP_MAX_DATA;
	if (s->max_read && s->block_size > s->max_read)
		s->block_size = (size_t)s->max_read;
	if (s->max_write && s->block_size > s->max_write)
		s->block_size = (size_t)s->max_write;
	if (s->block_size < 512)
		s->block_size = 512;
	s->num_requests = o && o->num_requests ? o->num_requests : KG_SFTP_DEFAULT_REQUESTS;
	/* ...with no more bytes in flight than a channel window holds */
	if (!(o && o->num_requests) && s->block_size * s->num_requests > KG_SFTP_DEFAULT_INFLIGHT) {
		s->num_requests = (unsigned)(KG_SFTP_DEFAULT_INFLIGHT / s->block_size);
		if (s->num_requests < 8)
			s->num_requests = 8;
	}
	if (s->num_requests > KG_SFTP_MAX_REQUESTS)
		s->num_requests = KG_SFTP_MAX_REQUESTS;
	s->fixed_requests = o && o->num_requests;
	s->inflight_cap = s->fixed_requests ? (uint64_t)s->num_requests * s->block_size : KG_SFTP_INFLIGHT_MAX;
	if (s->inflight_cap < (uint64_t)s->num_requests * s->block_size)
		s->inflight_cap = (uint64_t)s->num_requests * s->block_size;
	s->limit_bps = o ? o->limit_kbps * 1000 / 8 : 0;
	return KG_OK;
}

int kg_sftp_start(kg_sftp *s, const kg_sftp_io *io, const kg_sftp_opts *o, kg_logger *log)
{
	return start(s, io, o, log, NULL);
}

int kg_sftp_open(kg_sftp *s, kg_client *c, const kg_sftp_opts *o, kg_logger *log, int stderr_fd)
{
	memset(s, 0, sizeof(*s));
	GUARD(kg_stream_open(c, &s->stream_store, "sftp", NULL, stderr_fd));
	s->stream = &s->stream_store;
	kg_sftp_io io = { .write = stream_write, .read = stream_read, .arg = s->stream };
	return start(s, &io, o, log, &s->stream_store);
}

void kg_sftp_free(kg_sftp *s)
{
	if (s->stream) {
		kg_stream_free(s->stream);
		s->stream = NULL;
	}
	kg_buf_free(&s->in);
	kg_buf_free(&s->out);
}

int kg_sftp_close(kg_sftp *s)
{
	int r = KG_OK;
	if (s->stream) {
		int status;
		r = kg_stream_close(s->stream, &status);
		s->stream = NULL;
	}
	kg_sftp_free(s);
	return r;
}

/* ---- requests ---- */

static int path_request(kg_sftp *s, uint8_t type, const char *ext, const char *p1, const char *p2,
			uint32_t *id)
{
	size_t mark;
	GUARD(cl_begin(s, type, id, &mark));
	if (ext)
		GUARD(kg_buf_put_cstring(&s->out, ext));
	GUARD(kg_buf_put_cstring(&s->out, p1));
	if (p2)
		GUARD(kg_buf_put_cstring(&s->out, p2));
	return cl_end_send(s, mark);
}

/* A NAME reply with one entry: its filename, malloc'ed. */
static int one_name(kg_sftp *s, uint32_t id, char **out)
{
	uint32_t count;
	const uint8_t *n, *ln;
	size_t nl, lnl;
	kg_sftp_attrs a;
	GUARD(expect(s, id, SSH_FXP_NAME));
	GUARD(kg_sftp_names_count(&s->reply.body, &count));
	ENSURE(count == 1, KG_ERR_PROTOCOL);
	GUARD(kg_sftp_names_next(&s->reply.body, &n, &nl, &ln, &lnl, &a));
	ENSURE(memchr(n, 0, nl) == NULL, KG_ERR_FORMAT);
	*out = malloc(nl + 1);
	ENSURE(*out != NULL, KG_ERR_ALLOC);
	memcpy(*out, n, nl);
	(*out)[nl] = '\0';
	return KG_OK;
}

int kg_sftp_realpath(kg_sftp *s, const char *path, char **out)
{
	uint32_t id;
	GUARD(path_request(s, SSH_FXP_REALPATH, NULL, path, NULL, &id));
	return one_name(s, id, out);
}

int kg_sftp_readlink(kg_sftp *s, const char *path, char **out)
{
	uint32_t id;
	GUARD(path_request(s, SSH_FXP_READLINK, NULL, path, NULL, &id));
	return one_name(s, id, out);
}

int kg_sftp_expand_path(kg_sftp *s, const char *path, char **out)
{
	uint32_t id;
	if (kg_sftp_has_ext(s, KG_SFTP_EXT_EXPAND_PATH)) {
		GUARD(path_request(s, SSH_FXP_EXTENDED, "expand-path@openssh.com", path, NULL, &id));
		return one_name(s, id, out);
	}
	/* Without the extension the server's start directory is the login
	 * directory, so "~/x" is "x" relative to it. */
	if (strcmp(path, "~") == 0)
		path = ".";
	else if (strncmp(path, "~/", 2) == 0)
		path += 2;
	return kg_sftp_realpath(s, path, out);
}

int kg_sftp_home_directory(kg_sftp *s, const char *user, char **out)
{
	uint32_t id;
	if (!kg_sftp_has_ext(s, KG_SFTP_EXT_HOME_DIR))
		return kg_sftp_realpath(s, ".", out);
	GUARD(path_request(s, SSH_FXP_EXTENDED, "home-directory", user ? user : "", NULL, &id));
	return one_name(s, id, out);
}

static int attrs_reply(kg_sftp *s, uint32_t id, kg_sftp_attrs *a)
{
	GUARD(expect(s, id, SSH_FXP_ATTRS));
	GUARD(kg_sftp_attrs_decode(&s->reply.body, a));
	a->ext = NULL;
	a->ext_len = 0;
	a->ext_count = 0;
	return KG_OK;
}

int kg_sftp_stat(kg_sftp *s, const char *path, kg_sftp_attrs *a)
{
	uint32_t id;
	GUARD(path_request(s, SSH_FXP_STAT, NULL, path, NULL, &id));
	return attrs_reply(s, id, a);
}

int kg_sftp_lstat(kg_sftp *s, const char *path, kg_sftp_attrs *a)
{
	uint32_t id;
	GUARD(path_request(s, SSH_FXP_LSTAT, NULL, path, NULL, &id));
	return attrs_reply(s, id, a);
}

static int handle_request(kg_sftp *s, uint8_t type, const char *ext, const kg_sftp_handle *h, uint32_t *id)
{
	size_t mark;
	GUARD(cl_begin(s, type, id, &mark));
	if (ext)
		GUARD(kg_buf_put_cstring(&s->out, ext));
	GUARD(cl_put_handle(s, h));
	return cl_end_send(s, mark);
}

int kg_sftp_fstat(kg_sftp *s, const kg_sftp_handle *h, kg_sftp_attrs *a)
{
	uint32_t id;
	GUARD(handle_request(s, SSH_FXP_FSTAT, NULL, h, &id));
	return attrs_reply(s, id, a);
}

static int setstat(kg_sftp *s, uint8_t type, const char *ext, const char *path, const kg_sftp_handle *h,
		   const kg_sftp_attrs *a)
{
	uint32_t id;
	size_t mark;
	kg_sftp_attrs clean = *a;
	clean.ext_count = 0;
	GUARD(cl_begin(s, type, &id, &mark));
	if (ext)
		GUARD(kg_buf_put_cstring(&s->out, ext));
	if (h)
		GUARD(cl_put_handle(s, h));
	else
		GUARD(kg_buf_put_cstring(&s->out, path));
	GUARD(kg_sftp_attrs_encode(&s->out, &clean));
	GUARD(cl_end_send(s, mark));
	return expect(s, id, SSH_FXP_STATUS);
}

int kg_sftp_setstat(kg_sftp *s, const char *path, const kg_sftp_attrs *a)
{
	return setstat(s, SSH_FXP_SETSTAT, NULL, path, NULL, a);
}

int kg_sftp_lsetstat(kg_sftp *s, const char *path, const kg_sftp_attrs *a)
{
	if (!kg_sftp_has_ext(s, KG_SFTP_EXT_LSETSTAT))
		return cl_fail_remote(s, SSH_FX_OP_UNSUPPORTED, NULL, 0);
	return setstat(s, SSH_FXP_EXTENDED, "lsetstat@openssh.com", path, NULL, a);
}

int kg_sftp_fsetstat(kg_sftp *s, const kg_sftp_handle *h, const kg_sftp_attrs *a)
{
	return setstat(s, SSH_FXP_FSETSTAT, NULL, NULL, h, a);
}

static int handle_reply(kg_sftp *s, uint32_t id, kg_sftp_handle *h)
{
	const uint8_t *p;
	GUARD(expect(s, id, SSH_FXP_HANDLE));
	GUARD(kg_sftp_parse_handle(&s->reply.body, &p, &h->len));
	memcpy(h->h, p, h->len);
	return KG_OK;
}

int kg_sftp_openf(kg_sftp *s, const char *path, uint32_t pflags, const kg_sftp_attrs *a, kg_sftp_handle *h)
{
	uint32_t id;
	size_t mark;
	kg_sftp_attrs none;
	memset(&none, 0, sizeof(none));
	if (a) {
		none = *a;
		none.ext_count = 0;
	}
	GUARD(cl_begin(s, SSH_FXP_OPEN, &id, &mark));
	GUARD(kg_buf_put_cstring(&s->out, path));
	GUARD(kg_buf_put_u32(&s->out, pflags));
	GUARD(kg_sftp_attrs_encode(&s->out, &none));
	GUARD(cl_end_send(s, mark));
	return handle_reply(s, id, h);
}

int kg_sftp_closef(kg_sftp *s, const kg_sftp_handle *h)
{
	uint32_t id;
	GUARD(handle_request(s, SSH_FXP_CLOSE, NULL, h, &id));
	return expect(s, id, SSH_FXP_STATUS);
}

int kg_sftp_read(kg_sftp *s, const kg_sftp_handle *h, uint64_t offset, void *buf, size_t len, size_t *got)
{
	uint32_t id;
	size_t mark;
	*got = 0;
	if (s->max_read && len > s->max_read)
		len = (size_t)s->max_read;
	if (len > KG_SFTP_MAX_DATA)
		len = KG_SFTP_MAX_DATA;
	GUARD(cl_begin(s, SSH_FXP_READ, &id, &mark));
	GUARD(cl_put_handle(s, h));
	GUARD(kg_buf_put_u64(&s->out, offset));
	GUARD(kg_buf_put_u32(&s->out, (uint32_t)(len > UINT32_MAX ? UINT32_MAX : len)));
	GUARD(cl_end_send(s, mark));
	GUARD(cl_recv_id(s, id));
	if (s->reply.type == SSH_FXP_STATUS) {
		uint32_t code;
		const uint8_t *msg;
		size_t ml;
		GUARD(kg_sftp_parse_status(&s->reply.body, &code, &msg, &ml));
		if (code == SSH_FX_EOF)
			return KG_OK;
		return cl_fail_remote(s, code == SSH_FX_OK ? SSH_FX_FAILURE : code, msg, ml);
	}
	ENSURE(s->reply.type == SSH_FXP_DATA, KG_ERR_PROTOCOL);
	const uint8_t *d;
	size_t dl;
	GUARD(kg_buf_get_string_direct(&s->reply.body, &d, &dl));
	ENSURE(dl <= len, KG_ERR_PROTOCOL);
	memcpy(buf, d, dl);
	*got = dl;
	return KG_OK;
}

int kg_sftp_write(kg_sftp *s, const kg_sftp_handle *h, uint64_t offset, const void *data, size_t len)
{
	uint32_t id;
	size_t mark;
	GUARD(cl_begin(s, SSH_FXP_WRITE, &id, &mark));
	GUARD(cl_put_handle(s, h));
	GUARD(kg_buf_put_u64(&s->out, offset));
	GUARD(kg_buf_put_string(&s->out, data, len));
	GUARD(cl_end_send(s, mark));
	return expect(s, id, SSH_FXP_STATUS);
}

int kg_sftp_fsync(kg_sftp *s, const kg_sftp_handle *h)
{
	uint32_t id;
	if (!kg_sftp_has_ext(s, KG_SFTP_EXT_FSYNC))
		return cl_fail_remote(s, SSH_FX_OP_UNSUPPORTED, NULL, 0);
	GUARD(handle_request(s, SSH_FXP_EXTENDED, "fsync@openssh.com", h, &id));
	return expect(s, id, SSH_FXP_STATUS);
}

int kg_sftp_opendir(kg_sftp *s, const char *path, kg_sftp_handle *h)
{
	uint32_t id;
	GUARD(path_request(s, SSH_FXP_OPENDIR, NULL, path, NULL, &id));
	return handle_reply(s, id, h);
}

void kg_sftp_names_free(kg_sftp_name *names, size_t n)
{
	for (size_t i = 0; names && i < n; i++) {
		free(names[i].filename);
		free(names[i].longname);
	}
	free(names);
}

static char *dup_bytes(const uint8_t *p, size_t n)
{
	if (memchr(p, 0, n))
		return NULL;
	char *c = malloc(n + 1);
	if (c) {
		memcpy(c, p, n);
		c[n] = '\0';
	}
	return c;
}

int kg_sftp_readdir(kg_sftp *s, const kg_sftp_handle *h, kg_sftp_name **names, size_t *n)
{
	uint32_t id, count;
	*names = NULL;
	*n = 0;
	GUARD(handle_request(s, SSH_FXP_READDIR, NULL, h, &id));
	GUARD(cl_recv_id(s, id));
	if (s->reply.type == SSH_FXP_STATUS) {
		uint32_t code;
		const uint8_t *msg;
		size_t ml;
		GUARD(kg_sftp_parse_status(&s->reply.body, &code, &msg, &ml));
		return code == SSH_FX_EOF ? KG_OK : cl_fail_remote(s, code, msg, ml);
	}
	ENSURE(s->reply.type == SSH_FXP_NAME, KG_ERR_PROTOCOL);
	GUARD(kg_sftp_names_count(&s->reply.body, &count));
	if (count == 0)
		return KG_OK;
	kg_sftp_name *v = calloc(count, sizeof(*v));
	ENSURE(v != NULL, KG_ERR_ALLOC);
	int r = KG_OK;
	uint32_t i;
	for (i = 0; i < count; i++) {
		const uint8_t *fn, *ln;
		size_t fl, ll;
		GUARD_GOTO(r, kg_sftp_names_next(&s->reply.body, &fn, &fl, &ln, &ll, &v[i].attrs), fail);
		v[i].attrs.ext = NULL;
		v[i].attrs.ext_len = 0;
		v[i].attrs.ext_count = 0;
		v[i].filename = dup_bytes(fn, fl);
		v[i].longname = dup_bytes(ln, ll);
		ENSURE_GOTO(r, v[i].filename && v[i].longname, KG_ERR_FORMAT, fail);
	}
	*names = v;
	*n = count;
	return KG_OK;
fail:
	kg_sftp_names_free(v, i + 1 <= count ? i + 1 : count);
	return r;
}

int kg_sftp_readdir_all(kg_sftp *s, const char *path, size_t max_entries, kg_sftp_name **names, size_t *n)
{
	kg_sftp_handle h;
	kg_sftp_name *all = NULL;
	size_t total = 0, cap = 0;
	int r;
	*names = NULL;
	*n = 0;
	if (max_entries == 0)
		max_entries = 1000000;
	GUARD(kg_sftp_opendir(s, path, &h));
	for (;;) {
		kg_sftp_name *v;
		size_t k;
		GUARD_GOTO(r, kg_sftp_readdir(s, &h, &v, &k), fail);
		if (k == 0)
			break;
		if (total + k > max_entries) {
			kg_sftp_names_free(v, k);
			r = cl_fail_text(s, E2BIG, "too many directory entries");
			goto fail;
		}
		if (total + k > cap) {
			size_t ncap = (total + k) * 2;
			kg_sftp_name *nv = realloc(all, ncap * sizeof(*nv));
			if (!nv) {
				kg_sftp_names_free(v, k);
				r = KG_ERR_ALLOC;
				goto fail;
			}
			all = nv;
			cap = ncap;
		}
		memcpy(all + total, v, k * sizeof(*v));
		total += k;
		free(v);
	}
	GUARD_GOTO(r, kg_sftp_closef(s, &h), fail2);
	*names = all;
	*n = total;
	return KG_OK;
fail:
	(void)!kg_sftp_closef(s, &h);
fail2:
	kg_sftp_names_free(all, total);
	return r;
}

static int path_status(kg_sftp *s, uint8_t type, const char *ext, const char *p1, const char *p2)
{
	uint32_t id;
	GUARD(path_request(s, type, ext, p1, p2, &id));
	return expect(s, id, SSH_FXP_STATUS);
}

int kg_sftp_mkdir(kg_sftp *s, const char *path, const kg_sftp_attrs *a)
{
	uint32_t id;
	size_t mark;
	kg_sftp_attrs none;
	memset(&none, 0, sizeof(none));
	if (a) {
		none = *a;
		none.ext_count = 0;
	}
	GUARD(cl_begin(s, SSH_FXP_MKDIR, &id, &mark));
	GUARD(kg_buf_put_cstring(&s->out, path));
	GUARD(kg_sftp_attrs_encode(&s->out, &none));
	GUARD(cl_end_send(s, mark));
	return expect(s, id, SSH_FXP_STATUS);
}

int kg_sftp_rmdir(kg_sftp *s, const char *path)
{
	return path_status(s, SSH_FXP_RMDIR, NULL, path, NULL);
}

int kg_sftp_remove(kg_sftp *s, const char *path)
{
	return path_status(s, SSH_FXP_REMOVE, NULL, path, NULL);
}

int kg_sftp_rename(kg_sftp *s, const char *oldpath, const char *newpath, int legacy)
{
	if (!legacy && kg_sftp_has_ext(s, KG_SFTP_EXT_POSIX_RENAME))
		return path_status(s, SSH_FXP_EXTENDED, "posix-rename@openssh.com", oldpath, newpath);
	return path_status(s, SSH_FXP_RENAME, NULL, oldpath, newpath);
}

int kg_sftp_symlink(kg_sftp *s, const char *target, const char *linkpath)
{
	/* OpenSSH's order: target first (the reverse of the draft). */
	return path_status(s, SSH_FXP_SYMLINK, NULL, target, linkpath);
}

int kg_sftp_hardlink(kg_sftp *s, const char *oldpath, const char *newpath)
{
	if (!kg_sftp_has_ext(s, KG_SFTP_EXT_HARDLINK))
		return cl_fail_remote(s, SSH_FX_OP_UNSUPPORTED, NULL, 0);
	return path_status(s, SSH_FXP_EXTENDED, "hardlink@openssh.com", oldpath, newpath);
}

static int vfs_reply(kg_sftp *s, uint32_t id, kg_sftp_vfs *v)
{
	GUARD(expect(s, id, SSH_FXP_EXTENDED_REPLY));
	return kg_sftp_statvfs_decode(&s->reply.body, v);
}

int kg_sftp_statvfs(kg_sftp *s, const char *path, kg_sftp_vfs *v)
{
	uint32_t id;
	if (!kg_sftp_has_ext(s, KG_SFTP_EXT_STATVFS))
		return cl_fail_remote(s, SSH_FX_OP_UNSUPPORTED, NULL, 0);
	GUARD(path_request(s, SSH_FXP_EXTENDED, "statvfs@openssh.com", path, NULL, &id));
	return vfs_reply(s, id, v);
}

int kg_sftp_fstatvfs(kg_sftp *s, const kg_sftp_handle *h, kg_sftp_vfs *v)
{
	uint32_t id;
	if (!kg_sftp_has_ext(s, KG_SFTP_EXT_FSTATVFS))
		return cl_fail_remote(s, SSH_FX_OP_UNSUPPORTED, NULL, 0);
	GUARD(handle_request(s, SSH_FXP_EXTENDED, "fstatvfs@openssh.com", h, &id));
	return vfs_reply(s, id, v);
}

int kg_sftp_copy_data(kg_sftp *s, const kg_sftp_handle *from, uint64_t from_off, uint64_t len,
		      const kg_sftp_handle *to, uint64_t to_off)
{
	uint32_t id;
	size_t mark;
	if (!kg_sftp_has_ext(s, KG_SFTP_EXT_COPY_DATA))
		return cl_fail_remote(s, SSH_FX_OP_UNSUPPORTED, NULL, 0);
	GUARD(cl_begin(s, SSH_FXP_EXTENDED, &id, &mark));
	GUARD(kg_buf_put_cstring(&s->out, "copy-data"));
	GUARD(cl_put_handle(s, from));
	GUARD(kg_buf_put_u64(&s->out, from_off));
	GUARD(kg_buf_put_u64(&s->out, len));
	GUARD(cl_put_handle(s, to));
	GUARD(kg_buf_put_u64(&s->out, to_off));
	GUARD(cl_end_send(s, mark));
	return expect(s, id, SSH_FXP_STATUS);
}
