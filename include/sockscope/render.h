/* The output formats: their names, the ss_render() dispatcher, the
 * whole-report writers behind it and the per-record writers the streaming
 * sink uses.  The model they draw is sockscope/report.h; docs/output.md is
 * the contract of every format. */
#ifndef SOCKSCOPE_RENDER_H
#define SOCKSCOPE_RENDER_H

#include <glib.h>
#include <stdio.h>
#include "sockscope/compare.h"
#include "sockscope/findings.h"
#include "sockscope/report.h"

typedef enum {
	SS_FORMAT_TEXT,
	SS_FORMAT_JSONL,
	SS_FORMAT_JSON,
	SS_FORMAT_CSV,
	SS_FORMAT_ZEEK,             /* Zeek conn.log, TSV */
	SS_FORMAT_ZEEK_JSON,        /* Zeek conn.log, one JSON object per line */
	SS_FORMAT_ECS,              /* Elastic Common Schema, one document per line */
	SS_FORMAT_MARKDOWN,         /* a report for a ticket or wiki, Mermaid diagrams */
	SS_FORMAT_HTML,             /* one self-contained page, inline SVG */
	SS_FORMAT_DOT,              /* the host/listener graph for Graphviz */
} ss_format;

/* Parses a --format value; FALSE when unknown. */
gboolean ss_format_parse(const char *name, ss_format *out);
const char *ss_format_name(ss_format f);

typedef struct {
	gboolean color;             /* text: ANSI colour (only for a terminal) */
	guint width;                /* text: terminal width, 0 = unlimited */
} ss_render_options;

/* Whether the format shows findings: the report must then have been
 * completed with them (ss_report_complete(r, TRUE)). */
gboolean ss_format_wants_findings(ss_format f);

/* Writes the whole report; returns FALSE when writing failed (errno set).
 * A pure dispatcher: it computes nothing of the model. */
gboolean ss_render(const ss_report *r, ss_format f, const ss_render_options *opt, FILE *out);

/* Per-record writers, usable on their own for streaming (one line each,
 * with the trailing newline, for jsonl). */
void ss_json_conn(GString *buf, const ss_conn *c, gboolean nanosecond);
void ss_json_listener(GString *buf, const ss_listener *l, gboolean nanosecond);
void ss_json_summary(GString *buf, const ss_summary *s);
/* A "host" record; `listeners` is the report's sorted listener array that
 * the host's indexes refer to. */
void ss_json_host(GString *buf, const struct ss_host_s *h, const GArray *listeners,
		  gboolean nanosecond);
/* A "tunnel" record: an outer flow that carried decapsulated traffic
 * (struct ss_tunnel_flow, sockscope/tunnels.h). */
struct ss_tunnel_flow_s;
void ss_json_tunnel(GString *buf, const struct ss_tunnel_flow_s *t, gboolean nanosecond);
/* One "finding" record of jsonl, ranked from 1. */
void ss_json_finding(GString *buf, const ss_finding *f, guint rank, gboolean nanosecond);

/* The whole-report writers behind ss_render(); each returns FALSE when
 * writing failed (errno set).  docs/output.md describes what they write. */
gboolean ss_render_text(const ss_report *r, const ss_render_options *opt, FILE *out);
gboolean ss_render_jsonl(const ss_report *r, FILE *out);
/* ss_render(r, SS_FORMAT_JSONL, ...) in two calls, for a caller that
 * finishes the findings in between (app/run.c, on another thread): the
 * first writes the records, listeners, hosts and tunnels and does not read
 * r->findings; the second, given what the first returned, writes the
 * findings and the summary, flushes and checks the stream.  Together the
 * same bytes as ss_render, and the same result. */
gboolean ss_render_jsonl_items(const ss_report *r, FILE *out);
/* two_threads: the findings' lines may be formatted on this thread and one
 * more (the same bytes, written on this thread; report/json.c). */
gboolean ss_render_jsonl_findings(const ss_report *r, gboolean ok, FILE *out,
				  gboolean two_threads);
gboolean ss_render_json(const ss_report *r, FILE *out);
gboolean ss_render_csv(const ss_report *r, FILE *out);
gboolean ss_render_zeek(const ss_report *r, FILE *out);
gboolean ss_render_zeek_json(const ss_report *r, FILE *out);
gboolean ss_render_ecs(const ss_report *r, FILE *out);
gboolean ss_render_markdown(const ss_report *r, FILE *out);
gboolean ss_render_html(const ss_report *r, FILE *out);
gboolean ss_render_dot(const ss_report *r, FILE *out);

/* sockscope compare: the compare model (sockscope/compare.h) in format f
 * (every format; docs/output.md "Compare records", docs/compare.md).
 * FALSE when writing failed (errno set). */
gboolean ss_render_compare(const ss_compare *c, ss_format f, const ss_render_options *opt,
			   FILE *out);
/* The writers behind it, one per format (report/compare-*.c). */
gboolean ss_render_compare_jsonl(const ss_compare *c, FILE *out);
gboolean ss_render_compare_json(const ss_compare *c, FILE *out);
gboolean ss_render_compare_text(const ss_compare *c, const ss_render_options *opt, FILE *out);
/* Path mode's csv, markdown and html (report/compare-path-*.c). */
gboolean ss_render_compare_path_csv(const ss_compare *c, FILE *out);
gboolean ss_render_compare_path_markdown(const ss_compare *c, FILE *out);
gboolean ss_render_compare_path_html(const ss_compare *c, FILE *out);
/* Drift mode's csv, markdown and html (c->drift set; report/compare-csv.c,
 * compare-markdown.c, compare-html.c). */
gboolean ss_render_compare_csv(const ss_compare *c, FILE *out);
gboolean ss_render_compare_markdown(const ss_compare *c, FILE *out);
gboolean ss_render_compare_html(const ss_compare *c, FILE *out);

/* Appends one Zeek TSV string field as Zeek's ASCII writer escapes it:
 * NULL is the unset field "-", "" the empty field "(empty)"; bytes that are
 * not printable ASCII (TAB among them) and "\\" become \xNN; a value that
 * reads as "-" or "(empty)" has its first character escaped. */
void ss_zeek_field_append(GString *buf, const char *s);

/* Appends one CSV text field (no separator; NULL or "" append nothing):
 * quoted per RFC 4180 when it holds , " CR or LF, and prefixed with ' when
 * it starts with = + - @ TAB or CR (spreadsheet formula injection). */
void ss_csv_field_append(GString *buf, const char *s);

#endif
