/* The text format's layout toolkit (report/text-table.h): terminal-safe
 * text, widths, wrapping and two-pass tables.  Split from report/text.c,
 * which draws the report with it. */
#include <string.h>

#include "report/text-table.h"
#include "sockscope/format.h"

/* A copy of s safe on a terminal (ss_text_sanitize: no C0/C1 controls, no
 * bidirectional overrides, valid UTF-8). */
char *ss_text_clean(const char *s)
{
	return ss_text_sanitize(s);
}

gsize ss_text_width(const char *s)
{
	return (gsize)g_utf8_strlen(s, -1);
}

/* Appends the first n characters of s. */
void ss_text_append_chars(GString *b, const char *s, gsize n)
{
	const char *end = s;
	for (gsize i = 0; i < n && *end != '\0'; i++)
		end = g_utf8_next_char(end);
	g_string_append_len(b, s, end - s);
}

void ss_text_pad(GString *b, gsize n)
{
	for (gsize i = 0; i < n; i++)
		g_string_append_c(b, ' ');
}

/* Appends text (already clean) wrapped at width: the current line already
 * holds `col` characters, continuation lines are indented by `indent`.
 * Words longer than a line are split.  Ends with a newline. */
void ss_text_append_wrapped(GString *b, gsize col, const char *text, gsize indent, guint width)
{
	if (width == 0 || width <= indent + 8) {
		g_string_append(b, text);
		g_string_append_c(b, '\n');
		return;
	}
	const char *p = text;
	gboolean line_empty = TRUE;
	while (*p != '\0') {
		const char *w = p;
		while (*p != '\0' && *p != ' ')
			p = g_utf8_next_char(p);
		gsize wl = (gsize)g_utf8_strlen(w, p - w);
		if (!line_empty && col + 1 + wl > width) {
			g_string_append_c(b, '\n');
			ss_text_pad(b, indent);
			col = indent;
			line_empty = TRUE;
		}
		if (!line_empty) {
			g_string_append_c(b, ' ');
			col++;
		}
		/* a word wider than a whole line is split */
		while (col + wl > width) {
			gsize room = width - col;
			ss_text_append_chars(b, w, room);
			for (gsize i = 0; i < room; i++)
				w = g_utf8_next_char(w);
			wl -= room;
			g_string_append_c(b, '\n');
			ss_text_pad(b, indent);
			col = indent;
		}
		g_string_append_len(b, w, p - w);
		col += wl;
		line_empty = FALSE;
		while (*p == ' ')
			p++;
	}
	g_string_append_c(b, '\n');
}

/* ---- tables -------------------------------------------------------------- */

void ss_text_table_init(ss_text_table *t, const ss_text_column *cols, guint ncols)
{
	t->cols = cols;
	t->ncols = ncols;
	t->cells = g_array_new(FALSE, TRUE, sizeof(ss_text_cell));
}

/* Takes ownership of text. */
void ss_text_table_add(ss_text_table *t, char *text, const char *color)
{
	ss_text_cell c = { text, color };
	g_array_append_val(t->cells, c);
}

void ss_text_table_clear(ss_text_table *t)
{
	for (guint i = 0; i < t->cells->len; i++)
		g_free(g_array_index(t->cells, ss_text_cell, i).text);
	g_array_unref(t->cells);
}

static void put_cell(GString *b, const char *text, gsize w, gsize width, gboolean right,
		     gboolean last, const char *color, gboolean use_color)
{
	if (right)
		ss_text_pad(b, width - w);
	if (use_color && color != NULL)
		g_string_append(b, color);
	g_string_append(b, text);
	if (use_color && color != NULL)
		g_string_append(b, RESET);
	if (!right && !last)
		ss_text_pad(b, width - w);
}

/* The last ss_text_column is free text: it is the one shortened to fit `limit`. */
void ss_text_table_render(GString *b, const ss_text_table *t, const ss_render_options *opt)
{
	guint rows = t->cells->len / t->ncols;
	gsize *w = g_new0(gsize, t->ncols);

	for (guint c = 0; c < t->ncols; c++)
		w[c] = ss_text_width(t->cols[c].title);
	for (guint r = 0; r < rows; r++)
		for (guint c = 0; c < t->ncols; c++) {
			gsize n = ss_text_width(g_array_index(t->cells, ss_text_cell, r * t->ncols + c).text);
			w[c] = MAX(w[c], n);
		}

	/* width of everything before the last ss_text_column, separators included */
	gsize prefix = 0;
	for (guint c = 0; c + 1 < t->ncols; c++)
		prefix += w[c] + 2;
	gsize limit = opt->width;
	/* Too little room left for the last ss_text_column: it goes on its own line. */
	gboolean own_line = limit > 0 && prefix + 12 > limit;

	if (opt->color)
		g_string_append(b, BOLD);
	for (guint c = 0; c < t->ncols; c++) {
		gboolean last = c + 1 == t->ncols;
		if (last && own_line)
			break;
		put_cell(b, t->cols[c].title, ss_text_width(t->cols[c].title), w[c],
			 t->cols[c].right, last, NULL, FALSE);
		if (!last && !(c + 2 == t->ncols && own_line))
			g_string_append(b, "  ");
	}
	while (b->len > 0 && b->str[b->len - 1] == ' ')
		g_string_truncate(b, b->len - 1);
	if (opt->color)
		g_string_append(b, RESET);
	g_string_append_c(b, '\n');

	for (guint r = 0; r < rows; r++) {
		for (guint c = 0; c < t->ncols; c++) {
			const ss_text_cell *ce = &g_array_index(t->cells, ss_text_cell, r * t->ncols + c);
			gboolean last = c + 1 == t->ncols;
			gsize n = ss_text_width(ce->text);
			if (last && own_line) {
				/* trailing separator was skipped: the row ends here */
				if (n > 0) {
					while (b->len > 0 && b->str[b->len - 1] == ' ')
						g_string_truncate(b, b->len - 1);
					g_string_append(b, "\n    ");
					if (4 + n > limit) {
						gsize keep = limit > 7 ? limit - 7 : 0;
						ss_text_append_chars(b, ce->text, keep);
						g_string_append(b, "...");
					} else {
						put_cell(b, ce->text, n, n, FALSE, TRUE, ce->color,
							 opt->color);
					}
				}
				break;
			}
			if (last && limit > 0 && prefix + n > limit) {
				gsize room = limit - prefix;
				ss_text_append_chars(b, ce->text, room > 3 ? room - 3 : 0);
				g_string_append(b, "...");
				break;
			}
			put_cell(b, ce->text, n, w[c], t->cols[c].right, last, ce->color, opt->color);
			if (!last && !(c + 2 == t->ncols && own_line))
				g_string_append(b, "  ");
		}
		/* no trailing blanks when the last ss_text_cell is empty */
		while (b->len > 0 && b->str[b->len - 1] == ' ')
			g_string_truncate(b, b->len - 1);
		g_string_append_c(b, '\n');
	}
	g_free(w);
}

/* ---- pieces -------------------------------------------------------------- */
