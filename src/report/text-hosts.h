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
/* The report's port_scan / port_sweep findings, indexed by what they
 * cover (ss_text_scans_free frees it). */
typedef struct ss_text_scans ss_text_scans;
ss_text_scans *ss_text_scans_new(const ss_report *r);
void ss_text_scans_free(ss_text_scans *s);
/* Is listener l one only a scan in `s` reached (folded, not listed)? */
gboolean ss_text_scan_listener(const ss_text_scans *s, const ss_listener *l);
/* The "Hosts" section; `scans` as ss_text_scans_new() made it. */
void ss_text_hosts_block(GString *b, const ss_report *r, const ss_text_scans *scans,
			 const ss_render_options *opt);

#endif
