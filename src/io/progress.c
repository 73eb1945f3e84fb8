/* The --progress line; see sockscope/progress.h. */
#include "sockscope/progress.h"

#include <string.h>

/* Redraw at most this often, and not before the read has lasted this long. */
#define REDRAW_US  (G_USEC_PER_SEC / 5)
#define FIRST_US   G_USEC_PER_SEC

struct ss_progress {
	FILE *out;
	guint64 total;
	guint width;
	gint64 start_us;
	gint64 last_us;        /* last redraw, 0 = never */
	gsize drawn;           /* length of the line on the screen, 0 = none */
	GString *line;
};

ss_progress *ss_progress_new(FILE *out, guint64 total_bytes, guint width)
{
	ss_progress *p = g_new0(ss_progress, 1);
	p->out = out;
	p->total = total_bytes;
	p->width = width ? width : 80;
	p->start_us = g_get_monotonic_time();
	p->line = g_string_sized_new(128);
	return p;
}

gboolean ss_progress_due(ss_progress *p)
{
	gint64 now = g_get_monotonic_time();
	if (now - p->start_us < FIRST_US)
		return FALSE;
	return p->last_us == 0 || now - p->last_us >= REDRAW_US;
}

static void append_size(GString *b, guint64 bytes)
{
	if (bytes >= G_GUINT64_CONSTANT(1000000000))
		g_string_append_printf(b, "%.2f GB", (double)bytes / 1e9);
	else
		g_string_append_printf(b, "%.1f MB", (double)bytes / 1e6);
}

static void append_duration(GString *b, guint64 s)
{
	if (s >= 3600)
		g_string_append_printf(b, "%" G_GUINT64_FORMAT ":%02u:%02u", s / 3600,
				       (unsigned)(s / 60 % 60), (unsigned)(s % 60));
	else
		g_string_append_printf(b, "%u:%02u", (unsigned)(s / 60), (unsigned)(s % 60));
}

void ss_progress_format(GString *buf, guint64 done, guint64 total, gint64 elapsed_us,
			guint width)
{
	g_string_truncate(buf, 0);
	if (total > 0 && done > total)
		done = total;   /* a file that grew while being read */
	gboolean timed = elapsed_us >= G_USEC_PER_SEC / 10;
	double rate = timed ? (double)done / ((double)elapsed_us / 1e6) : 0;   /* bytes/s */

	/* Everything but the bar first, to know how much room is left. */
	GString *tail = g_string_sized_new(64);
	if (total > 0) {
		guint pct = (guint)(done * 100 / total);
		g_string_append_printf(tail, "%3u%%  ", pct);
		append_size(tail, done);
		g_string_append(tail, " of ");
		append_size(tail, total);
	} else {
		append_size(tail, done);
		g_string_append(tail, " read");
	}
	if (timed)
		g_string_append_printf(tail, "  %.1f MB/s", rate / 1e6);
	if (total > 0) {
		g_string_append(tail, "  ETA ");
		if (rate > 0)
			append_duration(tail, (guint64)((double)(total - done) / rate + 0.5));
		else
			g_string_append(tail, "-:--");
	}

	/* "[" bar "]" and two spaces, when at least 10 cells fit. */
	if (total > 0 && width >= tail->len + 14) {
		guint cells = MIN(width - (guint)tail->len - 4, 40u);
		guint full = (guint)(done * cells / total);
		g_string_append_c(buf, '[');
		for (guint i = 0; i < cells; i++)
			g_string_append_c(buf, i < full ? '#' : '.');
		g_string_append(buf, "]  ");
	}
	g_string_append_len(buf, tail->str, (gssize)tail->len);
	g_string_free(tail, TRUE);
	if (width > 0 && buf->len > width)
		g_string_truncate(buf, width);
}

void ss_progress_draw(ss_progress *p, guint64 done_bytes)
{
	gint64 now = g_get_monotonic_time();
	p->last_us = now;
	/* One column short of the width: writing the last column wraps on
	 * some terminals. */
	ss_progress_format(p->line, done_bytes, p->total, now - p->start_us, p->width - 1);
	gsize len = p->line->len;
	/* Pad over the rest of a longer previous line. */
	while (p->line->len < p->drawn)
		g_string_append_c(p->line, ' ');
	fputc('\r', p->out);
	fwrite(p->line->str, 1, p->line->len, p->out);
	fflush(p->out);
	p->drawn = len;
}

void ss_progress_clear(ss_progress *p)
{
	if (!p || p->drawn == 0)
		return;
	fputc('\r', p->out);
	for (gsize i = 0; i < p->drawn; i++)
		fputc(' ', p->out);
	fputc('\r', p->out);
	fflush(p->out);
	p->drawn = 0;
}

void ss_progress_free(ss_progress *p)
{
	if (!p)
		return;
	ss_progress_clear(p);
	g_string_free(p->line, TRUE);
	g_free(p);
}
