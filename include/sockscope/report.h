/* The finished analysis: what every renderer reads.
 *
 * An ss_report owns its connection records and listener roll-ups; all arrays
 * are sorted before rendering so the same input always gives the same bytes:
 * connections by first packet time (then creation order), listeners by
 * protocol, family, address and port. */
#ifndef SOCKSCOPE_REPORT_H
#define SOCKSCOPE_REPORT_H

#include <glib.h>
#include <stdio.h>
#include "sockscope/conn.h"
#include "sockscope/decide.h"
#include "sockscope/decode.h"

/* Distinct clients counted exactly per listener; past this (a flood from
 * spoofed sources) the count stops growing and says so. */
#define SS_LISTENER_MAX_CLIENTS 65536

typedef enum {
	SS_LISTENER_OPEN,      /* it answered at least once */
	SS_LISTENER_CLOSED,    /* it refused (RST / ICMP unreachable) and never answered */
	SS_LISTENER_FILTERED,  /* attempts to it were never answered at all */
} ss_listener_state;

typedef struct {
	guint8 proto;
	guint8 family;
	ss_ip ip;
	guint16 port;
	ss_listener_state state;
	ss_confidence confidence;   /* the best confidence among its connections */
	guint64 connections;
	guint64 clients;            /* distinct client IP addresses */
	gboolean clients_capped;    /* more than SS_LISTENER_MAX_CLIENTS: `clients` is a floor */
	guint64 outcomes[SS_OUTCOME_COUNT];
	gint64 first_ns, last_ns;
	const char *service;        /* static string, or NULL when unknown */
} ss_listener;

/* One input the report covers (a file, or standard input). */
typedef struct {
	char *name;                 /* as given on the command line, "-" for stdin */
	int dlt;                    /* pcap_datalink() */
	char *link_name;            /* e.g. "EN10MB" */
	gboolean nanosecond;        /* some timestamp was not a whole microsecond */
	guint64 packets;
	char *error;                /* set when reading stopped early, e.g. truncated */
	guint64 timestamps_backwards; /* packets older than the packet before them */
	guint64 snaplen_cut;        /* packets captured shorter than on the wire */
	/* A live capture (-i): the kernel's counters from pcap_stats() when the
	 * capture stopped (have_stats FALSE when libpcap could not say). */
	gboolean live;
	gboolean have_stats;
	guint64 kernel_received;    /* ps_recv: packets that passed the filter */
	guint64 kernel_dropped;     /* ps_drop: dropped, no room in the buffer */
	guint64 if_dropped;         /* ps_ifdrop: dropped by the interface/driver */
	/* Merged inputs (ss_analyzer_use_input): this input's previous packet
	 * time while another input is current; meaningless once packets == 0. */
	gint64 prev_ns;
} ss_input;

typedef struct {
	GPtrArray *inputs;          /* ss_input*, in command-line order */
	guint64 packets;            /* packets read */
	guint64 bytes;              /* wire bytes of those packets */
	guint64 captured_bytes;
	guint64 decoded;            /* packets that reached flow tracking */
	gint64 first_ns, last_ns;   /* SS_NO_TIME when no packets */
	guint64 reasons[SS_REASON_COUNT];
	guint64 icmp_errors_matched;
	guint64 icmp_errors_unmatched;
	guint64 tcp_connections, udp_exchanges;
	guint64 reused_tuples;
	guint64 listeners;
	guint64 ended[SS_END_COUNT];   /* connection records by why they left the table */
	guint64 max_flows_tracked;     /* the flow table's high-water mark */
	guint64 aggregated_attempts;   /* failed attempts folded into listener counts under the flow cap */
	guint64 hosts;              /* host records */
	guint64 evidence[SS_EVIDENCE_COUNT];  /* records by what decided their roles */
	struct {
		guint64 one_sided;          /* records ss_conn_one_sided() */
		guint64 started_midstream;  /* records ss_conn_started_midstream() */
		guint64 timestamps_backwards; /* all inputs */
		guint64 snaplen_cut;        /* all inputs */
		gboolean kernel_drops_known;/* live capture: pcap_stats() answered */
		guint64 kernel_drops;
	} quality;
	struct {                    /* inference knowledge that did not fit its caps */
		guint64 endpoints, hosts, port_maps, destinations, servers;
	} knowledge_dropped;
	gboolean nanosecond;        /* print 9 sub-second digits instead of 6: some
	                               timestamp was not a whole microsecond */
	GPtrArray *warnings;        /* char*: human-readable, already one line each */
} ss_summary;

struct ss_host_s;   /* ss_host, sockscope/hosts.h */

typedef struct {
	ss_summary summary;
	GPtrArray *conns;           /* ss_conn*, sorted, owned */
	GArray *listeners;          /* ss_listener, sorted */
	GArray *hosts;              /* ss_host (sockscope/hosts.h), sorted; may be NULL */
	/* ss_finding* (sockscope/findings.h), ranked; NULL until computed:
	 * ss_render() then computes them from `conns` (streaming sets them
	 * from the records it wrote).  Freed by ss_report_free(). */
	GPtrArray *findings;
} ss_report;

/* Frees r (allocated with g_new/g_malloc) and everything it owns: the
 * inputs (name, link_name, error), warnings and connection records are
 * released with g_free() whatever free function their arrays carry.
 * NULL is accepted. */
void ss_report_free(ss_report *r);

/* "open", "closed", "filtered". */
const char *ss_listener_state_name(ss_listener_state s);

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

/* Writes the whole report; returns FALSE when writing failed (errno set). */
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

/* The whole-report writers behind ss_render(); each returns FALSE when
 * writing failed (errno set).  docs/output.md describes what they write. */
gboolean ss_render_text(const ss_report *r, const ss_render_options *opt, FILE *out);
gboolean ss_render_jsonl(const ss_report *r, FILE *out);
gboolean ss_render_json(const ss_report *r, FILE *out);
gboolean ss_render_csv(const ss_report *r, FILE *out);
gboolean ss_render_zeek(const ss_report *r, FILE *out);
gboolean ss_render_zeek_json(const ss_report *r, FILE *out);
gboolean ss_render_ecs(const ss_report *r, FILE *out);
gboolean ss_render_markdown(const ss_report *r, FILE *out);
gboolean ss_render_html(const ss_report *r, FILE *out);
gboolean ss_render_dot(const ss_report *r, FILE *out);

/* Appends one Zeek TSV string field as Zeek's ASCII writer escapes it:
 * NULL is the unset field "-", "" the empty field "(empty)"; bytes that are
 * not printable ASCII (TAB among them) and "\\" become \xNN; a value that
 * reads as "-" or "(empty)" has its first character escaped. */
void ss_zeek_field_append(GString *buf, const char *s);

/* Appends the value (not the key) of a connection object's "icmp" and
 * "tcp_options" keys: an object, or null. */
void ss_json_icmp_append(GString *buf, const ss_conn *c);
void ss_json_tcp_options_append(GString *buf, const ss_conn *c);

/* Appends one CSV text field (no separator; NULL or "" append nothing):
 * quoted per RFC 4180 when it holds , " CR or LF, and prefixed with ' when
 * it starts with = + - @ TAB or CR (spreadsheet formula injection). */
void ss_csv_field_append(GString *buf, const char *s);

#endif
