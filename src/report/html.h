/* Private to the html format (report/html.c and its part
 * report/compare-html.c): one page head and tail (the CSS, the table
 * sorter and the Content-Security-Policy that allows exactly those two).
 * Not a public interface; no other format includes it. */
#ifndef SOCKSCOPE_REPORT_HTML_H
#define SOCKSCOPE_REPORT_HTML_H

#include <glib.h>

/* The page up to and including its <h1>title</h1> and the note under it. */
void ss_html_page_begin(GString *b, const char *title);
/* The sorter script and the closing tags. */
void ss_html_page_end(GString *b);

#endif
