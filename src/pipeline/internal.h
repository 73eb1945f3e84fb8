/* The analyzer's state, shared by pipeline/analyzer.c (packets, the
 * report pipeline, finish) and pipeline/snapshot.c (live snapshots);
 * private to src/pipeline. */
#ifndef SOCKSCOPE_PIPELINE_INTERNAL_H
#define SOCKSCOPE_PIPELINE_INTERNAL_H

#include "flow/lifecycle.h"
#include "pipeline/stage.h"
#include "pipeline/track.h"
#include "sockscope/analyzer.h"
#include "sockscope/frag.h"
#include "sockscope/hosts.h"
#include "sockscope/listeners.h"
#include "sockscope/roles.h"
#include "sockscope/tunnels.h"

struct ss_analyzer {
	ss_analyzer_config cfg;
	/* The packet thread's: records in progress, timeouts, eviction. */
	ss_lifecycle *flows;
	/* Records that ended (keep-all mode); records in progress are owned
	 * by the lifecycle. */
	GPtrArray *conns;
	/* Keep-all: evicted records kept in full, by flow key, until their
	 * flow comes back (on_resume) or the capture ends. */
	GHashTable *evicted;       /* ss_flow_key* (in the record) -> ss_conn* */
	/* Keep-all: records ended early (evicted, reused) held now, and the
	 * most held; past it they are aggregated (docs/hardening.md). */
	guint64 kept_ended, kept_max;
	ss_summary summary;
	ss_input *input;           /* the current input */
	ss_frag_table *frag;       /* IP fragments being reassembled (decode/frag.c) */
	gboolean sub_us_seen;      /* a timestamp that is not a whole microsecond */
	ss_tunnels *tunnels;       /* outer tunnel flows: their packets */
	gboolean finished;         /* ss_analyzer_finish() ran */
	/* The report thread's while it runs (the packet thread's otherwise):
	 * role inference (analysis/roles.c), the host view (analysis/hosts.c)
	 * and the listener roll-up, learned incrementally when streaming, in
	 * a first pass at the end otherwise; with the summary's record
	 * counters. */
	ss_listeners *listeners;
	ss_tunnels *tunnel_conns;  /* the inner records counted per tunnel */
	ss_hosts *hosts;
	ss_roles *roles;
	/* The report's listeners and hosts, taken by the report thread after
	 * the last event of a finished capture (report_consume), while the
	 * writer still drains: ss_analyzer_finish() uses them instead of
	 * taking them on the serial tail.  NULL until then, and in runs with
	 * no report thread.  Handed over by the thread's join. */
	GArray *taken_listeners, *taken_hosts;
	/* cfg.sink_done was called: by the thread that ran the sink, right
	 * after the capture's last record (sink_finished, pipeline/analyzer.c);
	 * read by ss_analyzer_finish() after that thread's join. */
	gboolean sink_done_called;
	gint64 input_last_ns;      /* the current input's previous timestamp */
	/* Decoded packets not yet given to the lifecycle: it takes them in
	 * batches, tracked one batch behind (ss_lifecycle_push: their cache
	 * misses overlap the batch before), and always all of them before
	 * anything reads or drives it (ss_pipeline_flush).  Two batches: the
	 * one being decoded, batch[cur], and the one the lifecycle holds. */
	ss_packet batch[2][SS_LIFECYCLE_BATCH];
	ss_packet *batch_fill;     /* batch[0] or batch[1], or a slot of
	                              the ring `track`: being decoded */
	guint batch_len;
	/* Between ss_analyzer_feed_begin() and the end of
	 * ss_analyzer_track_fed(): a feeding thread decodes into this ring's
	 * slots (batch_fill, batch_len and the packets' counters are its own
	 * then), and this thread takes the batches to the lifecycle. */
	ss_track *track;
	ss_stage *report;          /* the report pipeline, when there is one */
	ss_stage *writer;          /* its second stage, driven by the report thread */
};

/* Gives the lifecycle the packets waiting in the batch and has it track
 * every packet it holds. */
void ss_pipeline_flush(ss_analyzer *a);
/* Waits until every event so far is applied and written, and both threads
 * are idle: the packet thread may then read what they own. */
void ss_pipeline_drain(ss_analyzer *a);
/* The lifecycle's counters into a summary. */
void ss_pipeline_flow_stats(const ss_analyzer *a, ss_summary *s);

#endif
