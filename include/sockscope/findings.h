/* Findings: what a troubleshooter should look at first, drawn from a
 * finished report.
 *
 * Each finding has a stable id ("unanswered_syn", "refused"...), a severity,
 * one plain-language sentence, the evidence (named counts and durations, up
 * to SS_FINDING_EXAMPLES example connections) and the usual next step.  The
 * list is ranked: severity, then count (largest first), then id and subject,
 * so the same report always gives the same list.  Every threshold is a named
 * constant below; docs/reports.md explains each finding.
 *
 * Findings are computed from connection records one at a time (an
 * accumulator), so the streaming jsonl path can feed records as they end
 * and keep only aggregates: per destination, per listener and per client
 * and service, each table capped at SS_FINDINGS_MAX_GROUPS. */
#ifndef SOCKSCOPE_FINDINGS_H
#define SOCKSCOPE_FINDINGS_H

#include <glib.h>
#include "sockscope/conn.h"
#include "sockscope/report.h"

/* ---- thresholds ---- */

/* Slow handshake: a listener needs this many handshake round trips (first
 * SYN to SYN-ACK, or SYN-ACK to the client's ACK; records with a
 * retransmitted SYN or SYN-ACK left out) before outliers are looked for. */
#define SS_SLOW_MIN_SAMPLES 5
/* An outlier takes longer than max(FACTOR x median, median + MARGIN). */
#define SS_SLOW_FACTOR 3
#define SS_SLOW_MARGIN_NS (G_GINT64_CONSTANT(100) * 1000000)
/* Slow in absolute terms, whatever the median and the number of samples:
 * a round trip longer than this on either side of the capture point (a
 * server uniformly slow at 400 ms has no outliers against its median). */
#define SS_SLOW_ABSOLUTE_NS (G_GINT64_CONSTANT(300) * 1000000)
/* Round trips kept per listener and side for the median (the first ones). */
#define SS_SLOW_MAX_SAMPLES 4096

/* Churn: at least MIN_CONNS complete TCP connections from one client
 * address to one server socket, each shorter than MAX_DURATION. */
#define SS_CHURN_MIN_CONNS 20
#define SS_CHURN_MAX_DURATION_NS (G_GINT64_CONSTANT(1000000000))

/* TIME_WAIT reuse: a tuple closed with FIN reopened within this time
 * (Linux keeps TIME_WAIT for 60 s, 2 x MSL on many other systems). */
#define SS_TIME_WAIT_NS (G_GINT64_CONSTANT(60) * 1000000000)

/* Scan / sweep: one client address reaching at least this many ports of
 * one host (scan) or hosts on one port (sweep), at most a quarter of them
 * answering; the open ports named in the statement are capped. */
#define SS_SCAN_MIN_TARGETS 16
#define SS_SCAN_PORTS_LISTED 16

/* Example connections kept per finding. */
#define SS_FINDING_EXAMPLES 3
/* Named counts per finding. */
#define SS_FINDING_FACTS_MAX 8
/* Groups (destinations, listeners, client-service pairs, pairs) per kind of
 * finding; records of further groups are not looked at. */
#define SS_FINDINGS_MAX_GROUPS 65536
/* Closed tuples remembered for TIME_WAIT reuse. */
#define SS_FINDINGS_MAX_TUPLES 262144

typedef enum {
	SS_SEVERITY_HIGH,
	SS_SEVERITY_MEDIUM,
	SS_SEVERITY_LOW,
	SS_SEVERITY_INFO,
	SS_SEVERITY_COUNT
} ss_severity;

/* "high", "medium", "low", "info". */
const char *ss_severity_name(ss_severity s);

typedef struct {
	const char *name;          /* static, e.g. "connections" */
	gint64 value;
	gboolean ms;               /* value is a duration in ns, shown in ms */
} ss_finding_fact;

typedef struct {
	const char *id;            /* static, stable */
	ss_severity severity;
	char *statement;           /* one sentence */
	char *next_step;           /* one sentence; behind a tunnel it names the
	                              virtual network ("In vxlan 42: ...") */
	guint64 count;             /* how many (connections, packets...) */
	/* What it is about; unset parts are FALSE / zero. */
	guint8 proto, family;
	gboolean has_server;
	ss_ip server_ip;
	guint16 server_port;
	gboolean has_client;
	ss_ip client_ip;
	/* the virtual network the subject lives in (zero: not tunnelled) */
	ss_vnet vnet;
	ss_finding_fact facts[SS_FINDING_FACTS_MAX];
	guint n_facts;
	/* port_scan: the ports that answered, ascending (guint16), every one
	 * of them (the statement names SS_SCAN_PORTS_LISTED); NULL for the
	 * other findings.  Owned by the finding. */
	GArray *open_ports;
	/* port_sweep: the hosts (ss_ip, of `family`) that answered on the
	 * port, ascending, every one of them (the statement names
	 * SS_SCAN_PORTS_LISTED); NULL for the other findings.  Owned. */
	GArray *answered_hosts;
	ss_conn examples[SS_FINDING_EXAMPLES];  /* by first packet */
	guint n_examples;
} ss_finding;

typedef struct ss_findings_acc ss_findings_acc;

ss_findings_acc *ss_findings_acc_new(void);
/* Says that c will be added a few records from now (ideally 16: a caller
 * that holds the next records announces each in the order it will add
 * them), so that its look-ups are prefetched meanwhile; c must stay alive
 * and unchanged until it is added.  Optional: only the speed changes. */
void ss_findings_acc_ahead(ss_findings_acc *a, const ss_conn *c);
/* Has the pages of the accumulator's two largest arrays (the pairs'
 * entries, the examples' store) faulted in ahead of their use on a helper
 * thread, so that the caller's thread does not zero them: for a caller
 * that adds on a thread of its own beside an idle one (app/run.c: the
 * threaded writer).  Until the accumulator is finished or freed.
 * Optional: only the speed changes. */
void ss_findings_acc_fault_ahead(ss_findings_acc *a);
/* Looks at one finalized record (it is not kept; a copy may be). */
void ss_findings_acc_add(ss_findings_acc *a, const ss_conn *c);
/* The ranked findings (ss_finding*, free with g_ptr_array_unref), from the
 * records added and the report's summary and hosts; frees the accumulator. */
GPtrArray *ss_findings_acc_finish(ss_findings_acc *a, const ss_report *r);

/* ss_findings_acc_finish() in two steps, for a caller with other work to do
 * meanwhile (app/run.c: a jsonl run does the first on a thread of its own
 * while the hosts are taken and written).  The first step is most of the
 * work and reads only the accumulator and `conns` (the report's records,
 * whose examples the scans quote; NULL when the records were streamed); the
 * second adds what the finished report tells (the summary's quality
 * counts, the hosts), ranks the findings and frees the part; the
 * accumulator is then freed with ss_findings_acc_free(), when the caller
 * likes (app/run.c: after the findings are written, or not at all by a
 * process about to exit).  finish_end(a, finish_begin(a, r->conns), r)
 * then ss_findings_acc_free(a) is ss_findings_acc_finish(a, r). */
typedef struct ss_findings_part ss_findings_part;
ss_findings_part *ss_findings_acc_finish_begin(ss_findings_acc *a, const GPtrArray *conns);
GPtrArray *ss_findings_acc_finish_end(ss_findings_acc *a, ss_findings_part *part,
				      const ss_report *r);
void ss_findings_acc_free(ss_findings_acc *a);
/* The first step in two parts that may run at once, on two threads: the
 * slow-handshake findings (ss_findings_acc_finish_slow, about two thirds
 * of the step on mixed.pcap: the median and outliers of every listener's
 * round trips) and the rest (finish_begin_split).  The rest calls
 * slow->start(data) first, when the slow part may begin, and
 * slow->result(data) for its findings (ss_findings_acc_finish_slow of
 * the same accumulator, e.g. by joining the thread that computes it) once
 * it has done all else and ranked its own; finish_slow ranks the slow
 * part's on its thread, so that they are merged in.  Both parts only read the accumulator.  The part
 * is the one ss_findings_acc_finish_begin gives, findings in the same
 * order; finish_begin(a, conns) is finish_begin_split(a, conns, NULL). */
typedef struct {
	void (*start)(gpointer data);
	GPtrArray *(*result)(gpointer data);
	gpointer data;
} ss_findings_slow;
GPtrArray *ss_findings_acc_finish_slow(const ss_findings_acc *a);
/* How many groups the slow part (slow TRUE) or the rest looks at (each
 * gives a finding or none): what app/stream-sink.c sizes their threads'
 * heaps by. */
guint ss_findings_acc_groups(const ss_findings_acc *a, gboolean slow);
ss_findings_part *ss_findings_acc_finish_begin_split(ss_findings_acc *a, const GPtrArray *conns,
						     const ss_findings_slow *slow);

/* The same for a report that holds its records (keep-all mode). */
GPtrArray *ss_findings_compute(const ss_report *r);

void ss_finding_free(gpointer f);

/* Sorts ss_finding* into the ranking every list of findings uses
 * (severity, count, id, subject, statement): for findings made elsewhere,
 * such as the drift between two captures (sockscope/drift.h). */
void ss_findings_rank(GPtrArray *findings);

#endif
