/* A progress line on standard error while capture files are read
 * (--progress): how much of the input is read, the speed and the time left.
 *
 * It is redrawn in place with a carriage return (no other terminal control),
 * at most about five times a second and only after the first second, so a
 * short read shows nothing.  The reader asks ss_progress_due() every few
 * thousand packets; that costs one clock read. */
#ifndef SOCKSCOPE_PROGRESS_H
#define SOCKSCOPE_PROGRESS_H

#include <glib.h>
#include <stdio.h>

typedef struct ss_progress ss_progress;

/* `total_bytes`: the size of all inputs, 0 when unknown (standard input, a
 * pipe): then only the bytes read and the speed are shown.  `width`: the
 * terminal's columns, 0 = 80. */
ss_progress *ss_progress_new(FILE *out, guint64 total_bytes, guint width);
/* Whether a redraw is due (enough time since the last one). */
gboolean ss_progress_due(ss_progress *p);
/* Redraws the line for `done_bytes` read so far. */
void ss_progress_draw(ss_progress *p, guint64 done_bytes);
/* Erases the line (before the report and warnings are printed); drawing
 * again later is allowed. */
void ss_progress_clear(ss_progress *p);
/* Clears and frees; NULL is accepted. */
void ss_progress_free(ss_progress *p);

/* The line itself, without carriage return, at most `width` characters:
 *   "[#########.........]  45%  450.0 MB of 1.00 GB  90.0 MB/s  ETA 0:06"
 * or, when total is 0, "450.0 MB read  90.0 MB/s"; the bar only when at
 * least 10 cells fit (width 0: no bar and no limit).  `elapsed_us` is the
 * time since reading began; the speed and ETA need at least 0.1 s of it. */
void ss_progress_format(GString *buf, guint64 done, guint64 total, gint64 elapsed_us,
			guint width);

#endif
