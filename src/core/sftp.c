/* SFTP v3 codec: framing, attributes, names, status.  Decoders consume
 * from a kg_buf, so a length or count that overruns the message fails
 * with KG_ERR_INCOMPLETE instead of being trusted. */
#include <errno.h>
#include <string.h>
#include "core/sftp.h"

int kg_sftp_frame_check(const uint8_t *p, size_t len, size_t max, size_t *total)
{
	if (max == 0)
		max = KG_SFTP_MAX_PACKET + 1024;
	ENSURE(len >= 4, KG_ERR_AGAIN);
	uint32_t n = kg_peek_u32(p);
	ENSURE(n <= max, KG_ERR_TOO_LARGE);
	/* an empty message has no type; a short one (no id) is answered
	 * as malformed by the caller */
	ENSURE(n >= 1, KG_ERR_FORMAT);
	ENSURE(len - 4 >= n, KG_ERR_AGAIN);
	*total = 4 + (size_t)n;
	return KG_OK;
}

int kg_sftp_msg_parse(const uint8_t *p, size_t len, kg_sftp_msg *m)
{
	kg_buf b;
	uint32_t n;
	kg_buf_view(&b, p, len);
	GUARD(kg_buf_get_u32(&b, &n));
	ENSURE(n == kg_buf_len(&b), KG_ERR_FORMAT);
	GUARD(kg_buf_get_u8(&b, &m->type));
	GUARD(kg_buf_get_u32(&b, &m->id));
	kg_buf_view(&m->body, kg_buf_ptr(&b), kg_buf_len(&b));
	return KG_OK;
}

int kg_sftp_msg_begin(kg_buf *b, uint8_t type, uint32_t id, size_t *mark)
{
	*mark = kg_buf_len(b);
	GUARD(kg_buf_put_u32(b, 0));
	GUARD(kg_buf_put_u8(b, type));
	return kg_buf_put_u32(b, id);
}

int kg_sftp_msg_end(kg_buf *b, size_t mark)
{
	size_t len = kg_buf_len(b);
	ENSURE(mark + 4 <= len, KG_ERR_INTERNAL);
	ENSURE(len - mark - 4 <= UINT32_MAX, KG_ERR_TOO_LARGE);
	uint8_t *p = kg_buf_mutable_ptr(b);
	ENSURE(p != NULL, KG_ERR_INTERNAL);
	kg_poke_u32(p + mark, (uint32_t)(len - mark - 4));
	return KG_OK;
}

int kg_sftp_attrs_encode(kg_buf *b, const kg_sftp_attrs *a)
{
	uint32_t f = a->flags & (SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_UIDGID | SSH_FILEXFER_ATTR_PERMISSIONS |
				 SSH_FILEXFER_ATTR_ACMODTIME);
	if (a->ext_count && a->ext)
		f |= SSH_FILEXFER_ATTR_EXTENDED;
	GUARD(kg_buf_put_u32(b, f));
	if (f & SSH_FILEXFER_ATTR_SIZE)
		GUARD(kg_buf_put_u64(b, a->size));
	if (f & SSH_FILEXFER_ATTR_UIDGID) {
		GUARD(kg_buf_put_u32(b, a->uid));
		GUARD(kg_buf_put_u32(b, a->gid));
	}
	if (f & SSH_FILEXFER_ATTR_PERMISSIONS)
		GUARD(kg_buf_put_u32(b, a->perm));
	if (f & SSH_FILEXFER_ATTR_ACMODTIME) {
		GUARD(kg_buf_put_u32(b, a->atime));
		GUARD(kg_buf_put_u32(b, a->mtime));
	}
	if (f & SSH_FILEXFER_ATTR_EXTENDED) {
		GUARD(kg_buf_put_u32(b, a->ext_count));
		GUARD(kg_buf_put(b, a->ext, a->ext_len));
	}
	return KG_OK;
}

int kg_sftp_attrs_decode(kg_buf *b, kg_sftp_attrs *a)
{
	memset(a, 0, sizeof(*a));
	GUARD(kg_buf_get_u32(b, &a->flags));
	if (a->flags & SSH_FILEXFER_ATTR_SIZE)
		GUARD(kg_buf_get_u64(b, &a->size));
	if (a->flags & SSH_FILEXFER_ATTR_UIDGID) {
		GUARD(kg_buf_get_u32(b, &a->uid));
		GUARD(kg_buf_get_u32(b, &a->gid));
	}
	if (a->flags & SSH_FILEXFER_ATTR_PERMISSIONS)
		GUARD(kg_buf_get_u32(b, &a->perm));
	if (a->flags & SSH_FILEXFER_ATTR_ACMODTIME) {
		GUARD(kg_buf_get_u32(b, &a->atime));
		GUARD(kg_buf_get_u32(b, &a->mtime));
	}
	if (a->flags & SSH_FILEXFER_ATTR_EXTENDED) {
		uint32_t count;
		GUARD(kg_buf_get_u32(b, &count));
		/* each pair is at least two empty strings: 8 bytes */
		ENSURE(count <= kg_buf_len(b) / 8, KG_ERR_INCOMPLETE);
		const uint8_t *start = kg_buf_ptr(b);
		size_t before = kg_buf_len(b);
		for (uint32_t i = 0; i < count; i++) {
			GUARD(kg_buf_skip_string(b));
			GUARD(kg_buf_skip_string(b));
		}
		a->ext_count = count;
		a->ext = start;
		a->ext_len = before - kg_buf_len(b);
	}
	return KG_OK;
}

int kg_sftp_put_status(kg_buf *b, uint32_t id, uint32_t code, const char *message)
{
	size_t mark;
	GUARD(kg_sftp_msg_begin(b, SSH_FXP_STATUS, id, &mark));
	GUARD(kg_buf_put_u32(b, code));
	GUARD(kg_buf_put_cstring(b, message ? message : kg_sftp_status_text(code)));
	GUARD(kg_buf_put_cstring(b, ""));
	return kg_sftp_msg_end(b, mark);
}

int kg_sftp_parse_status(kg_buf *body, uint32_t *code, const uint8_t **msg, size_t *msg_len)
{
	*msg = NULL;
	*msg_len = 0;
	GUARD(kg_buf_get_u32(body, code));
	if (kg_buf_len(body) == 0)
		return KG_OK;
	GUARD(kg_buf_get_string_direct(body, msg, msg_len));
	if (kg_buf_len(body) > 0)
		GUARD(kg_buf_skip_string(body));
	return KG_OK;
}

int kg_sftp_put_handle(kg_buf *b, uint32_t id, const void *h, size_t len)
{
	size_t mark;
	ENSURE(len <= KG_SFTP_MAX_HANDLE, KG_ERR_ARG);
	GUARD(kg_sftp_msg_begin(b, SSH_FXP_HANDLE, id, &mark));
	GUARD(kg_buf_put_string(b, h, len));
	return kg_sftp_msg_end(b, mark);
}

int kg_sftp_parse_handle(kg_buf *body, const uint8_t **h, size_t *len)
{
	GUARD(kg_buf_get_string_direct(body, h, len));
	ENSURE(*len <= KG_SFTP_MAX_HANDLE, KG_ERR_TOO_LARGE);
	return KG_OK;
}

/* The count lives right after the id: mark + 4 (length) + 1 + 4. */
int kg_sftp_names_begin(kg_buf *b, uint32_t id, size_t *mark)
{
	GUARD(kg_sftp_msg_begin(b, SSH_FXP_NAME, id, mark));
	return kg_buf_put_u32(b, 0);
}

int kg_sftp_names_add(kg_buf *b, size_t mark, const char *filename, const char *longname,
		      const kg_sftp_attrs *a)
{
	uint8_t *p = kg_buf_mutable_ptr(b);
	ENSURE(p != NULL && mark + 13 <= kg_buf_len(b), KG_ERR_INTERNAL);
	uint32_t count = kg_peek_u32(p + mark + 9);
	GUARD(kg_buf_put_cstring(b, filename));
	GUARD(kg_buf_put_cstring(b, longname));
	GUARD(kg_sftp_attrs_encode(b, a));
	p = kg_buf_mutable_ptr(b);
	kg_poke_u32(p + mark + 9, count + 1);
	return KG_OK;
}

int kg_sftp_names_end(kg_buf *b, size_t mark)
{
	return kg_sftp_msg_end(b, mark);
}

int kg_sftp_names_count(kg_buf *body, uint32_t *count)
{
	GUARD(kg_buf_get_u32(body, count));
	/* two strings and an attrs flags word at the least */
	ENSURE(*count <= kg_buf_len(body) / 12, KG_ERR_INCOMPLETE);
	return KG_OK;
}

int kg_sftp_names_next(kg_buf *body, const uint8_t **name, size_t *name_len,
		       const uint8_t **longname, size_t *longname_len, kg_sftp_attrs *a)
{
	GUARD(kg_buf_get_string_direct(body, name, name_len));
	GUARD(kg_buf_get_string_direct(body, longname, longname_len));
	return kg_sftp_attrs_decode(body, a);
}

int kg_sftp_statvfs_encode(kg_buf *b, const kg_sftp_vfs *v)
{
	const uint64_t f[] = { v->bsize, v->frsize, v->blocks, v->bfree, v->bavail, v->files,
			       v->ffree, v->favail, v->fsid, v->flag, v->namemax };
	for (size_t i = 0; i < KG_ARRAY_LEN(f); i++)
		GUARD(kg_buf_put_u64(b, f[i]));
	return KG_OK;
}

int kg_sftp_statvfs_decode(kg_buf *b, kg_sftp_vfs *v)
{
	uint64_t *f[] = { &v->bsize, &v->frsize, &v->blocks, &v->bfree, &v->bavail, &v->files,
			  &v->ffree, &v->favail, &v->fsid, &v->flag, &v->namemax };
	ENSURE(kg_buf_len(b) >= 8 * KG_ARRAY_LEN(f), KG_ERR_INCOMPLETE);
	for (size_t i = 0; i < KG_ARRAY_LEN(f); i++)
		GUARD(kg_buf_get_u64(b, f[i]));
	return KG_OK;
}

const char *kg_sftp_status_text(uint32_t code)
{
	static const char *const text[] = {
		"Success", "End of file", "No such file", "Permission denied", "Failure",
		"Bad message", "No connection", "Connection lost", "Operation unsupported",
	};
	return code < KG_ARRAY_LEN(text) ? text[code] : "Unknown error";
}

int kg_sftp_status_errno(uint32_t code)
{
	switch (code) {
	case SSH_FX_OK: return 0;
	case SSH_FX_EOF: return 0;
	case SSH_FX_NO_SUCH_FILE: return ENOENT;
	case SSH_FX_PERMISSION_DENIED: return EACCES;
	case SSH_FX_BAD_MESSAGE: return EBADMSG;
	case SSH_FX_NO_CONNECTION: return ENOTCONN;
	case SSH_FX_CONNECTION_LOST: return ECONNRESET;
	case SSH_FX_OP_UNSUPPORTED: return ENOTSUP;
	default: return EIO;
	}
}

uint32_t kg_sftp_errno_status(int err)
{
	switch (err) {
	case 0: return SSH_FX_OK;
	case ENOENT: case ENOTDIR: case EBADF: case ELOOP: return SSH_FX_NO_SUCH_FILE;
	case EPERM: case EACCES: case EFAULT: return SSH_FX_PERMISSION_DENIED;
	case ENAMETOOLONG: case EINVAL: return SSH_FX_BAD_MESSAGE;
	case ENOSYS: case ENOTSUP: return SSH_FX_OP_UNSUPPORTED;
	default: return SSH_FX_FAILURE;
	}
}

void kg_sftp_mode_string(uint32_t mode, char out[11])
{
	static const char types[16] = { '?', 'p', 'c', '?', 'd', '?', 'b', '?',
					'-', '?', 'l', '?', 's', '?', '?', '?' };
	out[0] = types[(mode >> 12) & 0xf];
	const char *rwx = "rwxrwxrwx";
	for (int i = 0; i < 9; i++)
		out[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
	if (mode & 04000)
		out[3] = (mode & 0100) ? 's' : 'S';
	if (mode & 02000)
		out[6] = (mode & 0010) ? 's' : 'S';
	if (mode & 01000)
		out[9] = (mode & 0001) ? 't' : 'T';
	out[10] = '\0';
}
