/* The report model: the finished analysis every format draws from
 * (sockscope/render.h has the formats and the ss_render() dispatcher).
 *
 * An ss_report owns its connection records and listener roll-ups; all arrays
 * are sorted before rendering so the same input always gives the same bytes:
 * connections by first packet time (then creation order), listeners by
 * protocol, family, address and port. */
#ifndef SOCKSCOPE_REPORT_H
#define SOCKSCOPE_REPORT_H

#include <glib.h>
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
	SS_LISTENER_UNKNOWN,   /* no answer seen, but the capture lacks the direction
	                          its answers would take (outcome `unknown`) */
} ss_listener_state;

typedef struct {
	guint8 proto;
	guint8 family;
	ss_ip ip;
	guint16 port;
	ss_vnet vnet;               /* the tunnel and VNI it lives behind (zero: none) */
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
	/* Packets taken out of a tunnel, by the innermost tunnel's type
	 * (ss_tunnel_type; index 0, not tunnelled, stays 0). */
	guint64 tunnel_packets[SS_TUNNEL_COUNT];
	/* 802.11 A-MSDU frames, and the subframes read out of them, each
	 * counted in `decoded` or a reason as a packet of its own (so decoded
	 * and the reasons add up to packets - amsdu_frames + amsdu_subframes). */
	guint64 amsdu_frames, amsdu_subframes;
	guint64 icmp_errors_matched;
	guint64 icmp_errors_unmatched;
	/* Decoded TCP ([0]) and UDP ([1]) packets by what their checksum
	 * says (ss_csum; docs/output.md "checksums"). */
	guint64 checksums[2][SS_CSUM_COUNT];
	guint64 tcp_connections, udp_exchanges;
	guint64 reused_tuples;
	guint64 listeners;
	guint64 ended[SS_END_COUNT];   /* connection records by why they left the table */
	guint64 max_flows_tracked;     /* the flow table's high-water mark */
	guint64 aggregated_attempts;   /* failed attempts folded into listener counts under the flow cap */
	/* The flow cap (--max-flows), docs/output.md#flow-cap: evictions, and
	 * what keep-all formats did with the records that ended early. */
	struct {
		guint64 evictions;      /* times the cap pushed a flow out of the table */
		guint64 resumed;        /* evicted flows that came back, joined to their record */
		guint64 continued;      /* records that continue an evicted flow (`continues_evicted`) */
		guint64 kept_max;       /* keep-all: records ended early (evicted, reused) kept in full */
		/* keep-all: records ended early past kept_max, folded into the
		 * listener and host roll-ups and counted here, not listed */
		guint64 aggregated_tcp_failed;   /* SYNs answered by nothing or a RST */
		guint64 aggregated_tcp_answered; /* a SYN-ACK was seen */
		guint64 aggregated_tcp_other;    /* no handshake seen (bare ACKs, data) */
		guint64 aggregated_udp;
	} flow_cap;
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
	gboolean interrupted;       /* reading files stopped at a signal: a partial report */
} ss_summary;

struct ss_host_s;   /* ss_host, sockscope/hosts.h */

typedef struct {
	ss_summary summary;
	GPtrArray *conns;           /* ss_conn*, sorted, owned */
	GArray *listeners;          /* ss_listener, sorted */
	GArray *hosts;              /* ss_host (sockscope/hosts.h), sorted; may be NULL */
	/* ss_tunnel_flow (sockscope/tunnels.h): the outer flows that carried
	 * decapsulated traffic, sorted; NULL or empty when there were none */
	GArray *tunnels;
	/* ss_finding* (sockscope/findings.h), ranked; NULL until computed by
	 * ss_report_complete() from `conns` (streaming sets them from the
	 * records it wrote).  Freed by ss_report_free(). */
	GPtrArray *findings;
} ss_report;

/* Frees r (allocated with g_new/g_malloc) and everything it owns: the
 * inputs (name, link_name, error), warnings and connection records are
 * released with g_free() whatever free function their arrays carry.
 * NULL is accepted. */
void ss_report_free(ss_report *r);

/* Fills what the report model derives from the records, once, before any
 * format draws it: the ranked findings when `findings` (and the report
 * has none yet: streaming brings its own).  Call it after
 * ss_anonymize_report(): findings' statements quote addresses and are
 * ranked by their text, so computing them first would leak real addresses
 * and could reorder them.  Formats never compute the model themselves. */
void ss_report_complete(ss_report *r, gboolean findings);

/* "open", "closed", "filtered" (defined with the roll-up, analysis/listeners.c). */
const char *ss_listener_state_name(ss_listener_state s);

/* A port list (guint16) as plain text for the reports for people: "8080,
 * 8081, 9090", past max "... and 12 more", "none" when empty; FALSE, with
 * nothing appended, when ports is NULL (a port_scan finding's open_ports). */
gboolean ss_ports_text(const GArray *ports, guint max, GString *out);

/* The same for addresses (ss_ip of `family`): "10.0.0.2, 10.0.0.5", past
 * max "... and 12 more", "none" when empty; FALSE, with nothing appended,
 * when hosts is NULL (a port_sweep finding's answered_hosts). */
gboolean ss_hosts_text(const GArray *hosts, guint8 family, guint max, GString *out);

/* The TCP/UDP packets whose checksum was bad, and those a checksum-
 * offloading sender left unfinished, as one plain-text sentence for the
 * reports for people; FALSE, with nothing appended, when there were none. */
gboolean ss_summary_checksums_text(const ss_summary *s, GString *out);

/* What the flow cap did, as one plain-text sentence for the reports for
 * people (text, markdown, html escape it as they need); FALSE, with
 * nothing appended, when no flow was evicted. */
gboolean ss_summary_flow_cap_text(const ss_summary *s, GString *out);

#endif
