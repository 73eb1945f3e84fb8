/* The one output tail of the report formats (report/out.h): fwrite,
 * fflush, ferror and errno in one place instead of a copy per format. */
#include <errno.h>

#include "report/out.h"

gboolean ss_out_write_buf(GString *buf, FILE *out)
{
	gboolean ok = buf->len == 0 || fwrite(buf->str, 1, buf->len, out) == buf->len;
	g_string_truncate(buf, 0);
	if (!ok && errno == 0)
		errno = EIO;
	return ok;
}

gboolean ss_out_finish(GString *buf, FILE *out, gboolean ok)
{
	if (ok)
		ok = ss_out_write_buf(buf, out);
	if (ok && fflush(out) != 0)
		ok = FALSE;
	if (ok && ferror(out)) {
		errno = EIO;
		ok = FALSE;
	}
	g_string_free(buf, TRUE);
	return ok;
}
