/* Private to the text format (report/text.c and report/text-hosts.c): the
 * pieces text.c shares with its Hosts section, and that section.  Not a
 * public interface; no other format includes it. */
#ifndef SOCKSCOPE_REPORT_TEXT_HOSTS_H
#define SOCKSCOPE_REPORT_TEXT_HOSTS_H

#include <glib.h>
#include "sockscope/render.h"
#include "sockscope/report.h"

/* A section title, bold with colour. */
void ss_text_heading(GString *b, const char *title, const ss_render_options *opt);
/* A summary label padded to the label column. */
void ss_text_label(GString *b, const char *name);
/* The port-scan findings of the report (owned array of borrowed pointers). */
GPtrArray *ss_text_scan_findings(const ss_report *r);
/* Is listener l one a scan in `scans` produced? */
gboolean ss_text_scan_listener(const GPtrArray *scans, const ss_listener *l);
/* The "Hosts" section. */
void ss_text_hosts_block(GString *b, const ss_report *r, const ss_render_options *opt);

#endif
