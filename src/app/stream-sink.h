/* The jsonl streaming sink: what happens to one finished connection record
 * when the analyzer streams (ss_analyzer_config.sink).  Reading files with
 * the report thread, it runs on the writer thread (analyzer.h); live, on the
 * capture thread. */
#ifndef SOCKSCOPE_APP_STREAM_SINK_H
#define SOCKSCOPE_APP_STREAM_SINK_H

#include "sockscope/anonymize.h"
#include "sockscope/export-ipfix.h"
#include "sockscope/findings.h"
#include "sockscope/live-view.h"
#include "sockscope/source.h"

#include <stdio.h>

/* From this output buffer size on (reading files: 1 MiB) the sink gathers
 * the lines itself and writes them past stdio's buffer (stream-sink.c). */
#define SS_STREAM_SINK_BATCH ((gsize)64 << 10)

typedef struct {
	FILE *out;
	GString *buf;              /* one record's line, reused; with flush_at >=
	                              SS_STREAM_SINK_BATCH the lines not written yet */
	ss_live_view *view;        /* --interval: it lists the records that ended too */
	ss_ipfix_exporter *ipfix;  /* --ipfix: each record is exported as it is written */
	ss_anonymizer *anon;       /* --anonymize: records are pseudonymised first */
	ss_findings_acc *findings; /* the findings learn from each record written */
	/* From ss_stream_sink_done() on, the findings' first step (most of
	 * their work) runs on this thread, which owns `findings` and
	 * `findings_part` until ss_stream_sink_findings() joins it. */
	GThread *findings_thread;
	ss_findings_part *findings_part;
	GThread *findings_slow;     /* the slow-handshake findings, beside it */
	gboolean findings_threaded; /* may that step have a thread (not with
	                               --single-thread or live: they keep one) */
	/* The accumulator once the findings are finished: freed by
	 * ss_stream_sink_clear(), after the findings are written (its frees
	 * are ~10 000 blocks on mixed.pcap), or left to the process's exit
	 * (app/run.c sets it NULL then). */
	ss_findings_acc *findings_spent;
	/* The size of out's full buffer (setvbuf), 0 when it is line-buffered:
	 * the sink flushes before a line would not fit, so every write(2)
	 * carries whole lines and a process killed by a second signal never
	 * leaves half a record on a pipe. */
	gsize flush_at;
	gsize pending;             /* bytes in out's buffer since the last flush */
	gboolean broken;           /* out's reader went away (EPIPE): write no more */
} ss_stream_sink;

/* An empty sink writing to `out`; the caller sets the optional parts. */
void ss_stream_sink_init(ss_stream_sink *sink, FILE *out);
/* The ss_conn_sink callback (data = the ss_stream_sink). */
void ss_stream_sink_write(const ss_conn *c, gpointer data);
/* The ss_analyzer_config.sink_ahead callback: the findings prefetch what
 * the record will look up (not with --anonymize: the sink adds a
 * pseudonymised copy). */
void ss_stream_sink_ahead(const ss_conn *c, gpointer data);
/* The ss_analyzer_config.sink_done callback: the last record is written
 * (threaded, this runs on the writer thread, beside the report thread's
 * last work), so the findings' first step (ss_findings_acc_finish_begin)
 * starts on a thread of its own (findings_threaded), or runs here. */
void ss_stream_sink_done(gpointer data);
/* Waits for that step and finishes the findings with the report (its
 * hosts and summary: after anonymizing); the accumulator moves to
 * findings_spent.  Returns what ss_findings_acc_finish would have. */
GPtrArray *ss_stream_sink_findings(ss_stream_sink *sink, const ss_report *r);
/* Frees the line buffer, the spent accumulator, and findings never asked
 * for.  The view,
 * exporter and anonymizer belong to the caller. */
void ss_stream_sink_clear(ss_stream_sink *sink);

#endif
