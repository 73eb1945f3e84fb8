/* The output tail every whole-report format ends with: write the buffer,
 * flush the stream, and look at its error indicator, so no format can
 * report success on a failed write (report/out.c). */
#ifndef SOCKSCOPE_REPORT_OUT_H
#define SOCKSCOPE_REPORT_OUT_H

#include <glib.h>
#include <stdio.h>

/* Formats that write record by record hand their buffer over at about
 * this size: memory stays bounded on huge captures and a write error
 * stops the work early. */
#define SS_OUT_FLUSH_AT 65536

/* Writes buf's bytes to out and empties buf; an empty buf writes nothing.
 * FALSE when the stream took fewer bytes (errno as the stream left it, EIO
 * when it left none). */
gboolean ss_out_write_buf(GString *buf, FILE *out);

/* The end of a format: when `ok` (nothing failed so far), writes what buf
 * still holds, flushes out and checks ferror(out) (EIO); frees buf either
 * way.  Returns TRUE only when every byte reached the stream without an
 * error, FALSE with errno set otherwise. */
gboolean ss_out_finish(GString *buf, FILE *out, gboolean ok);

#endif
