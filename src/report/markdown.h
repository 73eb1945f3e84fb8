/* Private to the markdown format (report/markdown.c and its part
 * report/compare-markdown.c): the escaping both use.  Not a public
 * interface; no other format includes it. */
#ifndef SOCKSCOPE_REPORT_MARKDOWN_H
#define SOCKSCOPE_REPORT_MARKDOWN_H

#include <glib.h>

/* Inline Markdown text, every special character escaped; NULL is nothing. */
void ss_md_text(GString *b, const char *s);
/* An inline code span of generated text (addresses, times). */
void ss_md_code(GString *b, const char *s);

#endif
