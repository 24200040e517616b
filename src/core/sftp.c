/* SFTP codec (being written). */
#include "core/sftp.h"

int kg_sftp_frame_check(const uint8_t *p, size_t len, size_t max, size_t *total)
{
	(void)p;
	(void)len;
	(void)max;
	(void)total;
	return KG_ERR_INTERNAL;
}

int kg_sftp_msg_parse(const uint8_t *p, size_t len, kg_sftp_msg *m)
{
	(void)p;
	(void)len;
	(void)m;
	return KG_ERR_INTERNAL;
}

int kg_sftp_msg_begin(kg_buf *b, uint8_t type, uint32_t id, size_t *mark)
{
	(void)b;
	(void)type;
	(void)id;
	(void)mark;
	return KG_ERR_INTERNAL;
}

int kg_sftp_msg_end(kg_buf *b, size_t mark)
{
	(void)b;
	(void)mark;
	return KG_ERR_INTERNAL;
}

int kg_sftp_attrs_encode(kg_buf *b, const kg_sftp_attrs *a)
{
	(void)b;
	(void)a;
	return KG_ERR_INTERNAL;
}

int kg_sftp_attrs_decode(kg_buf *b, kg_sftp_attrs *a)
{
	(void)b;
	(void)a;
	return KG_ERR_INTERNAL;
}

int kg_sftp_put_status(kg_buf *b, uint32_t id, uint32_t code, const char *message)
{
	(void)b;
	(void)id;
	(void)code;
	(void)message;
	return KG_ERR_INTERNAL;
}

int kg_sftp_parse_status(kg_buf *body, uint32_t *code, const uint8_t **msg, size_t *msg_len)
{
	(void)body;
	(void)code;
	(void)msg;
	(void)msg_len;
	return KG_ERR_INTERNAL;
}

int kg_sftp_put_handle(kg_buf *b, uint32_t id, const void *h, size_t len)
{
	(void)b;
	(void)id;
	(void)h;
	(void)len;
	return KG_ERR_INTERNAL;
}

int kg_sftp_parse_handle(kg_buf *body, const uint8_t **h, size_t *len)
{
	(void)body;
	(void)h;
	(void)len;
	return KG_ERR_INTERNAL;
}

int kg_sftp_names_begin(kg_buf *b, uint32_t id, size_t *mark)
{
	(void)b;
	(void)id;
	(void)mark;
	return KG_ERR_INTERNAL;
}

int kg_sftp_names_add(kg_buf *b, size_t mark, const char *filename, const char *longname, const kg_sftp_attrs *a)
{
	(void)b;
	(void)mark;
	(void)filename;
	(void)longname;
	(void)a;
	return KG_ERR_INTERNAL;
}

int kg_sftp_names_end(kg_buf *b, size_t mark)
{
	(void)b;
	(void)mark;
	return KG_ERR_INTERNAL;
}

int kg_sftp_names_count(kg_buf *body, uint32_t *count)
{
	(void)body;
	(void)count;
	return KG_ERR_INTERNAL;
}

int kg_sftp_names_next(kg_buf *body, const uint8_t **name, size_t *name_len, const uint8_t **longname, size_t *longname_len, kg_sftp_attrs *a)
{
	(void)body;
	(void)name;
	(void)name_len;
	(void)longname;
	(void)longname_len;
	(void)a;
	return KG_ERR_INTERNAL;
}

int kg_sftp_statvfs_encode(kg_buf *b, const kg_sftp_vfs *v)
{
	(void)b;
	(void)v;
	return KG_ERR_INTERNAL;
}

int kg_sftp_statvfs_decode(kg_buf *b, kg_sftp_vfs *v)
{
	(void)b;
	(void)v;
	return KG_ERR_INTERNAL;
}

int kg_sftp_status_errno(uint32_t code)
{
	(void)code;
	return KG_ERR_INTERNAL;
}

uint32_t kg_sftp_errno_status(int err)
{
	(void)err;
	return 0;
}

void kg_sftp_mode_string(uint32_t mode, char out[11])
{
	(void)mode;
	(void)out;
}
