/* SFTP codec: framing, attributes, name lists, status and statvfs replies
 * from arbitrary bytes; decoded attributes must re-encode. */
#include <stdint.h>
#include <string.h>
#include "core/sftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t total;
	kg_sftp_msg m;
	if (kg_sftp_frame_check(data, size, 0, &total) == KG_OK && kg_sftp_msg_parse(data, total, &m) == KG_OK) {
		kg_buf b = m.body;
		uint32_t count, code;
		const uint8_t *p, *q;
		size_t pl, ql;
		kg_sftp_attrs a;
		kg_sftp_vfs v;
		switch (m.type % 4) {
		case 0:
			if (kg_sftp_names_count(&b, &count) == KG_OK)
				for (uint32_t i = 0; i < count; i++)
					if (kg_sftp_names_next(&b, &p, &pl, &q, &ql, &a) < 0)
						break;
			break;
		case 1:
			(void)!kg_sftp_parse_status(&b, &code, &p, &pl);
			break;
		case 2:
			(void)!kg_sftp_statvfs_decode(&b, &v);
			break;
		default:
			(void)!kg_sftp_parse_handle(&b, &p, &pl);
			break;
		}
	}
	kg_buf in;
	kg_sftp_attrs a, d;
	kg_buf_view(&in, data, size);
	if (kg_sftp_attrs_decode(&in, &a) == KG_OK) {
		kg_buf out, back;
		kg_buf_init(&out, 0);
		if (kg_sftp_attrs_encode(&out, &a) == KG_OK) {
			kg_buf_view(&back, kg_buf_ptr(&out), kg_buf_len(&out));
			if (kg_sftp_attrs_decode(&back, &d) != KG_OK || d.size != a.size || d.perm != a.perm ||
			    d.ext_len != a.ext_len || kg_buf_len(&back) != 0)
				__builtin_trap();
		}
		kg_buf_free(&out);
	}
	return 0;
}
