/* The analyzer: decoded packets in, an ss_report out.
 *
 * It owns the flow table and the connection records.  Per packet it decodes
 * headers (no allocation unless a new flow starts), does one table lookup,
 * and updates counters and handshake evidence.  ss_analyzer_finish() decides
 * roles and outcomes, rolls connections up into listeners and sorts
 * everything for rendering. */
#ifndef SOCKSCOPE_ANALYZER_H
#define SOCKSCOPE_ANALYZER_H

#include <glib.h>
#include "sockscope/decode.h"
#include "sockscope/report.h"

/* Called with each connection record as soon as it is finished, when the
 * analyzer streams; the record is finalized (roles, outcome) and is freed
 * after the call returns. */
typedef void (*ss_conn_sink)(const ss_conn *c, gpointer user_data);

typedef struct {
	/* A bare SYN with a new ISN on a tuple idle this long starts a new
	 * connection record even if the old one never closed. */
	gint64 reuse_idle_ns;
	/* Seed for the flow hash; 0 = random per run (the default). */
	guint64 hash_seed;

	/* Streaming: when `sink` is set, records leave the flow table when they
	 * end (closed and lingered, idle, reused or evicted), go to the sink and
	 * are freed, so memory holds only the flows in progress.  Without a
	 * sink, every record is kept for the report and nothing times out. */
	ss_conn_sink sink;
	gpointer sink_data;
	/* Optional, with `sink`: called (with sink_data, on the sink's thread)
	 * with a record the sink will get a few records later, so that it can
	 * prefetch what it will look up; the record stays alive until then. */
	ss_conn_sink sink_ahead;
	/* Streaming, optional: called once, with sink_data, as soon as the
	 * capture's last record has gone to the sink, on the thread that ran
	 * the sink (with report_thread, the writer or report thread, while the
	 * report thread may still make the listeners and hosts; otherwise
	 * ss_analyzer_finish()'s), and never for an analyzer freed
	 * unfinished.  Once ss_analyzer_finish() returns, what the sink holds
	 * is the caller's again.  app/run.c starts the findings' last step
	 * there. */
	void (*sink_done)(gpointer sink_data);
	/* Idle timeouts per ss_timeout_class, in ns of packet time. */
	gint64 timeout_ns[SS_TIMEOUT_COUNT];
	/* Most flows tracked at once; the idlest is evicted past it (0 = no
	 * cap).  In keep-all mode an evicted failed attempt (SYN answered by
	 * nothing or a RST) is folded into its listener's counts and freed. */
	guint64 max_flows;
	/* Streaming only: decide and roll up finished records on a second
	 * thread (the "report thread") and hand them to the sink on a third
	 * (the "writer"), while this one goes on reading packets.  Each stage
	 * sees the same events in the same order as a single thread would, so
	 * the output is byte for byte the same (src/pipeline/analyzer.c,
	 * docs/performance.md).  The sink, and everything it calls, then runs
	 * on the writer until ss_analyzer_finish(); ss_analyzer_snapshot()
	 * first waits for both threads to catch up, and only then may the
	 * caller read what the sink wrote.  (sockscope's live views keep one
	 * thread: they read the sink's state between snapshots.) */
	gboolean report_thread;
	/* The capture files' total size in bytes, 0 when not known (standard
	 * input, a live capture).  Sizing only: a large capture's flow records
	 * start on huge pages made ahead (src/pipeline/analyzer.c); the
	 * output does not depend on it. */
	guint64 input_bytes;
	/* Tunnel ports and nesting depth for decapsulation (NULL: the
	 * built-in defaults); the caller keeps it alive. */
	const ss_decode_config *decode;
} ss_analyzer_config;

/* Default flow cap: at a few hundred bytes a flow, about 0.5 GB. */
#define SS_DEFAULT_MAX_FLOWS 1000000

void ss_analyzer_config_init(ss_analyzer_config *cfg);

typedef struct ss_analyzer ss_analyzer;

ss_analyzer *ss_analyzer_new(const ss_analyzer_config *cfg);
void ss_analyzer_free(ss_analyzer *a);
/* Frees one ss_input of a report's summary.inputs (the analyzer makes
 * them; ss_report_free frees them through this); NULL is ignored. */
void ss_input_free(gpointer p);

/* Starts a new input (file); its ss_input is recorded in the summary.
 * Returns the ss_input so the caller can fill in its error later. */
ss_input *ss_analyzer_begin_input(ss_analyzer *a, const char *name, int dlt,
				  const char *link_name, gboolean nanosecond);

/* Several inputs read as one, merged by packet time (src/source-file.c):
 * makes `in`, returned earlier by ss_analyzer_begin_input(), the current
 * input again.  The next packets are decoded with its link type and counted
 * for it (packets, timestamps going backwards within that input...). */
void ss_analyzer_use_input(ss_analyzer *a, ss_input *in);
/* TRUE when records are decided and written on threads of their own
 * (config.report_thread with a sink): the reader may then use a thread
 * too (ss_analyzer_feed_begin). */
gboolean ss_analyzer_threaded(const ss_analyzer *a);
/* A threaded run's packet work on two threads (pipeline/track.h): after
 * ss_analyzer_feed_begin() (TRUE only in a threaded run) packets are fed
 * on another thread, the feeding one (ss_analyzer_packet,
 * ss_analyzer_use_input, ss_analyzer_begin_input, ss_analyzer_warn: the
 * summary is that thread's now), which decodes and counts them and ends
 * with ss_analyzer_feed_end(); meanwhile this thread runs
 * ss_analyzer_track_fed(), which tracks them, in order, and returns once
 * the feed has ended.  The same results as feeding them here. */
gboolean ss_analyzer_feed_begin(ss_analyzer *a);
void ss_analyzer_feed_end(ss_analyzer *a);
void ss_analyzer_track_fed(ss_analyzer *a);

/* Feeds one captured packet of the current input.  It is counted and
 * decoded at once; the flows take decoded packets 16 at a time and track
 * each batch while the next one is decoded (their cache misses overlap:
 * docs/performance.md), so the sink may see a record end up to 31 packets
 * later than its packet came, and always before ss_analyzer_advance(),
 * ss_analyzer_snapshot() or ss_analyzer_finish() go on.  What is reported
 * is the same either way. */
void ss_analyzer_packet(ss_analyzer *a, gint64 ts_ns, const guint8 *data,
			guint32 caplen, guint32 wirelen);

/* Feeds a packet that is already decoded (tests and tools may build
 * packets directly), tracked at once after any packets still waiting.
 * Only the summary's `decoded` counter and the flows are updated. */
void ss_analyzer_decoded(ss_analyzer *a, const ss_packet *p);

/* Adds a one-line warning to the summary (printf-style). */
void ss_analyzer_warn(ss_analyzer *a, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Finalizes every record and returns the report (the caller frees it with
 * ss_report_free); the analyzer is left empty and must then be freed. */
ss_report *ss_analyzer_finish(ss_analyzer *a);

/* Live capture: the wall clock says it is now_ns and no packet came.  With
 * a sink, retires the records whose idle timeout has passed by then (a
 * quiet link still ends its flows); packet time is left unchanged. */
void ss_analyzer_advance(ss_analyzer *a, gint64 now_ns);

/* The analysis so far, for a live view (--interval); the analyzer carries
 * on unchanged.  Listeners roll up every record (those already handed to
 * the sink, and those in progress decided as if the capture ended now);
 * `conns` holds copies of the records still held whose sequence number is
 * at least from_seq.  *next_seq (when not NULL) is the number the next new
 * record will get.  Free with ss_report_free(). */
ss_report *ss_analyzer_snapshot(ss_analyzer *a, guint64 from_seq, guint64 *next_seq);

#endif
