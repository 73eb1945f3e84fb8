/* The jsonl streaming sink (stream-sink.h): each connection record is
 * pseudonymised, taught to the findings, written as one jsonl line, shown
 * in the live view and exported over IPFIX, the moment it ends.  This and
 * the analyzer's stage are all that runs on the writer thread. */
#include "stream-sink.h"

#include "sockscope/render.h"
#include "sockscope/signals.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

void ss_stream_sink_init(ss_stream_sink *sink, FILE *out)
{
	*sink = (ss_stream_sink){ 0 };
	sink->out = out;
	sink->buf = g_string_sized_new(1024);
}

void ss_stream_sink_ahead(const ss_conn *c, gpointer data)
{
	ss_stream_sink *sink = data;
	if (sink->findings && !sink->anon)
		ss_findings_acc_ahead(sink->findings, c);
}

/* Writes the gathered lines (batch mode) with write(2), past stdio's
 * buffer: copying each line into it was ~3% of the writer thread on
 * mixed.pcap (memcpy and _IO_fwrite; docs/performance.md, "The
 * capture-end drain, sixth session").  An error hands the rest to stdio,
 * which keeps it for the final fflush/ferror check as before, and a reader
 * that went away stops the reading. */
static void sink_emit(ss_stream_sink *sink)
{
	if (sink->flush_at < SS_STREAM_SINK_BATCH)
		return;   /* buf holds the last line, written already */
	const char *p = sink->buf->str;
	gsize n = sink->buf->len;
	if (n > 0 && !sink->broken)
		fflush(sink->out);   /* nothing else is written meanwhile: a no-op */
	while (n > 0 && !sink->broken) {
		ssize_t w = write(fileno(sink->out), p, n);
		if (w > 0) {
			p += w;
			n -= (gsize)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else {
			fwrite(p, 1, n, sink->out);
			if (fflush(sink->out) != 0 && errno == EPIPE) {
				sink->broken = TRUE;
				ss_signals_request_stop(SIGPIPE);
			}
			break;
		}
	}
	g_string_truncate(sink->buf, 0);
}

void ss_stream_sink_write(const ss_conn *c, gpointer data)
{
	ss_stream_sink *sink = data;
	ss_conn copy;
	if (sink->anon) {
		ss_conn_copy(&copy, c);
		ss_anonymize_conn(sink->anon, &copy);
		c = &copy;
	}
	if (sink->findings)
		ss_findings_acc_add(sink->findings, c);
	if (sink->flush_at >= SS_STREAM_SINK_BATCH) {
		/* Reading files: lines gather in buf, written whole a buffer
		 * at a time (sink_emit), as stdio's full buffer did. */
		ss_json_conn(sink->buf, c, TRUE);
		if (sink->buf->len >= sink->flush_at)
			sink_emit(sink);
	} else {
		g_string_truncate(sink->buf, 0);
		ss_json_conn(sink->buf, c, TRUE);
		/* Write errors are caught by the final fflush/ferror check; a
		 * reader that went away (EPIPE: `| head`) also stops the
		 * reading at once, as SIGPIPE would have, but with everything
		 * closed properly.  With a full buffer (flush_at) out is
		 * written only by the fflush below, or by a line longer than
		 * the buffer: ferror, a locked call, is asked then, not for
		 * every line (0.8% of the 2M-flow capture's time). */
		if (!sink->broken) {
			gboolean wrote = sink->flush_at == 0 || sink->buf->len > sink->flush_at;
			if (sink->flush_at && sink->pending + sink->buf->len > sink->flush_at) {
				fflush(sink->out);
				sink->pending = 0;
				wrote = TRUE;
			}
			fwrite(sink->buf->str, 1, sink->buf->len, sink->out);
			sink->pending += sink->buf->len;
			if (wrote && ferror(sink->out) && errno == EPIPE) {
				sink->broken = TRUE;
				ss_signals_request_stop(SIGPIPE);
			}
		}
	}
	if (sink->view)
		ss_live_view_ended(sink->view, c);
	if (sink->ipfix)
		ss_ipfix_exporter_add(sink->ipfix, c);
}

/* Written when each thread had a malloc arena of its own: glibc (2.36
 * here) grows a thread's arena, any but the main one, one mprotect(2) per
 * page it is asked for: it adds no top pad there.  On mixed.pcap the
 * slow-handshake findings (~19 MB) made ~4 900 such calls and the other
 * findings ~1 300 (strace -f), each before the page's fault.  Asking for
 * the room first, in blocks below the mmap threshold (so they come from
 * the arena's heap) freed at once and in order (so they merge into one
 * top chunk), grew the heap's protected part in one call a block: 377 and
 * 152 calls; the room is 3 KB a group, at most 32 MB (docs/performance.md,
 * "The capture-end drain and tail, ninth session").
 * Now every thread shares the main arena, reserved ahead on huge pages
 * (core/heap.c), and no mprotect is left to save; what the blocks still do
 * is write a chunk header every 96 KiB of the heap's top, faulting in its
 * huge pages before the findings fill them.  Kept on a measurement, not a
 * mechanism: mixed.pcap, 21 alternating runs each, 22:25 UTC, load < 1,
 * median 364 ms wall and 570 ms CPU without it, 354 and 550 with it
 * (docs/performance.md, "One heap on huge pages"). */
#define ARENA_RESERVE_BLOCK (96 * 1024)
#define ARENA_RESERVE_GROUP 3072
#define ARENA_RESERVE_MAX (32u << 20)

static void arena_reserve(guint groups)
{
	gsize bytes = MIN((gsize)groups * ARENA_RESERVE_GROUP, ARENA_RESERVE_MAX);
	guint n = (guint)(bytes / ARENA_RESERVE_BLOCK);
	if (n < 2)
		return;
	gpointer *blocks = g_new(gpointer, n);
	for (guint i = 0; i < n; i++)
		blocks[i] = g_malloc(ARENA_RESERVE_BLOCK);
	for (guint i = 0; i < n; i++)
		g_free(blocks[i]);
	g_free(blocks);
}

/* The slow-handshake findings (two thirds of the first step on
 * mixed.pcap), beside findings_begin. */
static GPtrArray *findings_slow(ss_stream_sink *sink)
{
	return ss_findings_acc_finish_slow(sink->findings);
}

/* On a thread of its own (findings_slow_start). */
static gpointer findings_slow_main(gpointer data)
{
	ss_stream_sink *sink = data;
	arena_reserve(ss_findings_acc_groups(sink->findings, TRUE));
	return findings_slow(sink);
}

/* On the findings thread, first thing in its step: the slow part starts,
 * then this thread's heap gets its room (arena_reserve), beside it. */
static void findings_slow_start(gpointer data)
{
	ss_stream_sink *sink = data;
	sink->findings_slow = g_thread_try_new("sockscope-slow", findings_slow_main, sink, NULL);
	arena_reserve(ss_findings_acc_groups(sink->findings, FALSE));
}

static GPtrArray *findings_slow_result(gpointer data)
{
	ss_stream_sink *sink = data;
	GThread *t = sink->findings_slow;
	sink->findings_slow = NULL;
	return t ? g_thread_join(t) : findings_slow(sink);
}

/* On the findings thread: the streamed records were not kept, so no scan
 * quotes examples from them (conns NULL, as the report's are empty).
 * Threaded, the slow-handshake findings are made on one more thread
 * meanwhile: the main thread's branch (hosts and their lines) was the
 * shorter by ~25 ms on mixed.pcap, and with three threads the two cores
 * stay busy until the join (docs/performance.md, "The serial tail, sixth
 * session"). */
static void findings_begin(ss_stream_sink *sink)
{
	ss_findings_slow slow = { findings_slow_start, findings_slow_result, sink };
	sink->findings_part = ss_findings_acc_finish_begin_split(
		sink->findings, NULL, sink->findings_threaded ? &slow : NULL);
}

static gpointer findings_begin_main(gpointer data)
{
	findings_begin(data);
	return NULL;
}

void ss_stream_sink_done(gpointer data)
{
	ss_stream_sink *sink = data;
	sink_emit(sink);   /* the last lines, before anything else is written */
	if (!sink->findings || sink->findings_thread || sink->findings_part)
		return;
	/* On mixed.pcap this step is ~280 M instructions, the hosts' take and
	 * lines that now run beside it ~200 M (docs/performance.md, "The
	 * serial tail"). */
	if (sink->findings_threaded)
		sink->findings_thread = g_thread_try_new("sockscope-find", findings_begin_main, sink,
							 NULL);
	if (!sink->findings_thread)
		findings_begin(sink);
}

GPtrArray *ss_stream_sink_findings(ss_stream_sink *sink, const ss_report *r)
{
	sink_emit(sink);   /* sink_done was not called: the lines go first */
	if (sink->findings_thread) {
		g_thread_join(sink->findings_thread);
		sink->findings_thread = NULL;
	} else if (!sink->findings_part) {
		findings_begin(sink);   /* sink_done was not called */
	}
	GPtrArray *out = ss_findings_acc_finish_end(sink->findings, sink->findings_part, r);
	sink->findings_spent = sink->findings;
	sink->findings = NULL;
	sink->findings_part = NULL;
	return out;
}

void ss_stream_sink_clear(ss_stream_sink *sink)
{
	if (sink->findings) {
		/* a run that ended before its report was written */
		ss_report none = { 0 };
		g_ptr_array_unref(ss_stream_sink_findings(sink, &none));
	}
	g_clear_pointer(&sink->findings_spent, ss_findings_acc_free);
	if (sink->buf)
		g_string_free(sink->buf, TRUE);
	sink->buf = NULL;
}
