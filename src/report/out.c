/* The one output tail of the report formats (report/out.h): fwrite,
 * fflush, ferror and errno in one place instead of a copy per format. */
#include <errno.h>
#include <unistd.h>

#include "report/out.h"

/* From this size a buffer goes to the file with write(2), after stdio's
 * buffer is flushed, instead of being copied into stdio's buffer first:
 * jsonl's report hands over 64 KiB at a time, and on mixed.pcap the copy
 * of its 46 MB of listener, host and finding lines was ~45 M instructions
 * (callgrind) and 44-59 perf samples (~5 ms) of the main thread in the
 * tail (docs/performance.md, "The capture-end drain and tail, twelfth
 * session").  The stream sink writes its lines the same way
 * (app/stream-sink.c).  A failed write(2) hands the rest to fwrite, which
 * then fails the same way and leaves the stream's error indicator set for
 * the caller's checks, as before. */
#define DIRECT_WRITE_MIN 16384

/* Writes what it can of p[0..n) past stdio; returns how much is left. */
static gsize write_direct(FILE *out, const char *p, gsize n)
{
	int fd = fileno(out);
	if (n < DIRECT_WRITE_MIN || fd < 0 || fflush(out) != 0)
		return n;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w > 0) {
			p += w;
			n -= (gsize)w;
		} else if (!(w < 0 && errno == EINTR)) {
			break;
		}
	}
	return n;
}

gboolean ss_out_write_buf(GString *buf, FILE *out)
{
	gsize left = write_direct(out, buf->str, buf->len);
	gboolean ok = left == 0 || fwrite(buf->str + buf->len - left, 1, left, out) == left;
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
