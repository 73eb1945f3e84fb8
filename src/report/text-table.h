/* The text format's layout toolkit (report/text-table.c): cleaning input
 * text for a terminal, widths in characters, word wrapping, and tables
 * laid out in two passes (cells first, then widths) so columns line up
 * whatever the data.  Used by report/text.c only; not a format. */
#ifndef SOCKSCOPE_REPORT_TEXT_TABLE_H
#define SOCKSCOPE_REPORT_TEXT_TABLE_H

#include <glib.h>
#include "sockscope/render.h"

#define BOLD "\033[1m"
#define RESET "\033[0m"
#define RED "\033[31m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define CYAN "\033[36m"

/* A copy of s that is valid UTF-8 without C0/C1 control characters. */
char *ss_text_clean(const char *s);
/* Width in characters (UTF-8). */
gsize ss_text_width(const char *s);
/* Appends the first n characters of s. */
void ss_text_append_chars(GString *b, const char *s, gsize n);
/* Appends n spaces. */
void ss_text_pad(GString *b, gsize n);
/* Appends text (already clean) wrapped at width: the current line already
 * holds `col` characters, continuation lines are indented by `indent`.
 * Words longer than a line are split.  Ends with a newline. */
void ss_text_append_wrapped(GString *b, gsize col, const char *text, gsize indent, guint width);

typedef struct {
	const char *title;
	gboolean right;    /* right-aligned (numbers) */
} ss_text_column;

typedef struct {
	char *text;
	const char *color; /* escape sequence or NULL */
} ss_text_cell;

typedef struct {
	const ss_text_column *cols;
	guint ncols;
	GArray *cells;     /* ss_text_cell, row-major */
} ss_text_table;

void ss_text_table_init(ss_text_table *t, const ss_text_column *cols, guint ncols);
/* Adds the next cell, row by row; takes ownership of text. */
void ss_text_table_add(ss_text_table *t, char *text, const char *color);
void ss_text_table_clear(ss_text_table *t);
/* Header and rows; the last column is free text, the one shortened (or
 * moved to a line of its own) to fit opt->width; opt->color adds ANSI
 * colour. */
void ss_text_table_render(GString *b, const ss_text_table *t, const ss_render_options *opt);

#endif
