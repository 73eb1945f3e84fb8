/* Reading saved-capture inputs (opened by io/source-file.c): one file, or
 * several merged by packet time as one capture with a heap of their next
 * packets, each interface's filter applied and its ss_input set up on
 * first use, parked inputs opened again as their turn comes, and progress
 * and interruption checked as packets go by. */
#include "io/source-file-internal.h"
#include "sockscope/source.h"
#include "sockscope/decode.h"
#include "sockscope/progress.h"
#include "io/capfile.h"
#include "sockscope/signals.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- reading: one file, or several merged by time ---- */

static void source_begin(ss_file_source *src, ss_analyzer *a)
{
	src_iface *si = &g_array_index(src->ifs, src_iface, 0);
	char numeric[32];
	si->in = ss_analyzer_begin_input(a, src->name, si->dlt,
					 file_source_link_name(si->dlt, numeric, sizeof numeric), FALSE);
	src->rc = 0;
	src->n_clamped = 0;
}

/* A pcapng interface met while reading: the input of its link type (the
 * file's first one, or a new input named after the interface) and the
 * filter compiled for it. */
static src_iface *iface_setup(ss_file_source *src, ss_analyzer *a, guint idx)
{
	while (src->ifs->len <= idx) {
		guint n = src->ifs->len;
		src_iface si = { 0 };
		si.dlt = file_source_link_dlt(ss_capfile_get_iface(src->cf, n)->linktype);
		char numeric[32];
		const char *lname = file_source_link_name(si.dlt, numeric, sizeof numeric);
		for (guint j = 0; j < n && !si.in; j++)
			if (g_array_index(src->ifs, src_iface, j).dlt == si.dlt)
				si.in = g_array_index(src->ifs, src_iface, j).in;
		if (!si.in) {
			char *name = g_strdup_printf("%s, interface %u", src->name, n);
			si.in = ss_analyzer_begin_input(a, name, si.dlt, lname, FALSE);
			g_free(name);
		}
		if (src->filter) {
			char *why = NULL;
			if (file_source_compile_filter(src->filter, si.dlt, &si.prog, &why)) {
				si.filtered = TRUE;
			} else {
				si.skip = TRUE;
				ss_analyzer_warn(a, "%s: the filter cannot apply to interface %u (%s):"
						 " its packets were skipped (libpcap: %s)", src->name, n,
						 lname, why);
				g_free(why);
			}
		}
		g_array_append_val(src->ifs, si);
	}
	return &g_array_index(src->ifs, src_iface, idx);
}

/* Reads the next packet that passes the filter into src->pkt/ts/pkt_in;
 * FALSE at the end of the file or on damage (src->rc says which). */
static inline gboolean source_next(ss_file_source *src, ss_analyzer *a)
{
	for (;;) {
		src->rc = ss_capfile_next(src->cf, &src->pkt);
		if (src->rc != 1) {
			src->pkt.data = NULL;
			return FALSE;
		}
		src_iface *si = G_LIKELY(src->pkt.iface < src->ifs->len) ?
			&g_array_index(src->ifs, src_iface, src->pkt.iface) :
			iface_setup(src, a, src->pkt.iface);
		if (si->skip)
			continue;
		if (si->filtered) {
			struct pcap_pkthdr h = { .caplen = src->pkt.caplen, .len = src->pkt.wirelen };
			if (pcap_offline_filter(&si->prog, &h, src->pkt.data) == 0)
				continue;
		}
		src->pkt_in = si->in;
		src->ts = src->pkt.ts_ns;
		src->n_clamped += src->pkt.clamped;
		return TRUE;
	}
}

/* The warnings of one input, once reading is over; FALSE with an
 * SS_ERROR_DAMAGED error when it ended in a damaged record. */
static gboolean source_end(ss_file_source *src, ss_analyzer *a, GError **error)
{
	if (src->n_clamped > 0)
		ss_analyzer_warn(a, "%s: %" G_GUINT64_FORMAT " packets have timestamps outside"
				 " the years 1830..2109 (a damaged file?); they were clamped",
				 src->name, src->n_clamped);

	guint64 packets = 0;
	for (guint i = 0; i < src->ifs->len; i++) {
		ss_input *in = g_array_index(src->ifs, src_iface, i).in;
		gboolean first = TRUE;   /* each input once */
		for (guint j = 0; j < i; j++)
			first &= g_array_index(src->ifs, src_iface, j).in != in;
		if (!in || !first)
			continue;
		packets += in->packets;
		if (!ss_link_supported(in->dlt))
			ss_analyzer_warn(a, "%s: link type %s (%d) is not supported: %" G_GUINT64_FORMAT
					 " packets counted, not decoded", in->name, in->link_name,
					 in->dlt, in->packets);
	}

	if (src->rc < 0) {
		const char *msg = src->reopen_error ? src->reopen_error : ss_capfile_error(src->cf);
		ss_input *in = g_array_index(src->ifs, src_iface, 0).in;
		in->error = g_strdup(msg);
		GError *e = g_error_new(SS_ERROR, SS_ERROR_DAMAGED,
					"%s: reading stopped after %" G_GUINT64_FORMAT " packets, %s: %s",
					src->name, packets, src->reopen_error ?
					"the file could not be read on" : "the rest of the file is damaged",
					msg);
		ss_analyzer_warn(a, "%s", e->message);
		g_propagate_error(error, e);
		return FALSE;
	}
	return TRUE;
}

/* Bytes of all inputs read so far, for the progress line. */
static guint64 sources_position(ss_file_source **srcs, guint n)
{
	guint64 sum = 0;
	for (guint i = 0; i < n; i++)
		sum += ss_capfile_position(srcs[i]->cf);
	return sum;
}

/* The merge: a binary min-heap of source indexes keyed by the timestamp of
 * each source's read-ahead packet (ties: the earlier input first, so the
 * order is the same on every run).  Each source holds one packet in its
 * reader's buffer; nothing is copied (unless the source is parked). */
static gboolean heap_less(ss_file_source **srcs, guint i, guint j)
{
	gint64 a = srcs[i]->ts, b = srcs[j]->ts;
	return a < b || (a == b && i < j);
}

static void heap_down(ss_file_source **srcs, guint *heap, guint len, guint pos)
{
	for (;;) {
		guint l = 2 * pos + 1, r = l + 1, m = pos;
		if (l < len && heap_less(srcs, heap[l], heap[m]))
			m = l;
		if (r < len && heap_less(srcs, heap[r], heap[m]))
			m = r;
		if (m == pos)
			return;
		guint t = heap[m];
		heap[m] = heap[pos];
		heap[pos] = t;
		pos = m;
	}
}

typedef struct {
	ss_file_source **srcs;
	guint n, window, n_open;
	guint64 tick;
} read_ctx;

/* Opens parked source src again, parking the least recently used open one
 * first when the window is full; FALSE (src->rc = -1) when it cannot. */
G_NO_INLINE static gboolean reopen(read_ctx *rc, ss_file_source *src)
{
	if (rc->n_open >= rc->window) {
		ss_file_source *lru = NULL;
		for (guint i = 0; i < rc->n; i++) {
			ss_file_source *s = rc->srcs[i];
			if (s != src && file_source_can_park(s) && (!lru || s->last_use < lru->last_use))
				lru = s;
		}
		if (lru) {
			file_source_park(lru);
			rc->n_open--;
		}
	}
	if (!file_source_unpark(src)) {
		src->rc = -1;
		return FALSE;
	}
	rc->n_open++;
	return TRUE;
}

/* A finished input gives its descriptor back at once. */
G_NO_INLINE static void finished(read_ctx *rc, ss_file_source *src)
{
	if (file_source_can_park(src)) {
		file_source_park(src);
		rc->n_open--;
	}
}

/* Reads the next packet of a source, opening it again first when it is
 * parked.  Inline, the rare parts out of line: called once a packet. */
static inline gboolean next_of(read_ctx *rc, ss_file_source *src, ss_analyzer *a)
{
	src->last_use = ++rc->tick;
	if (G_UNLIKELY(src->fd < 0 && src->path) && !reopen(rc, src))
		return FALSE;
	gboolean more = source_next(src, a);
	if (G_UNLIKELY(!more))
		finished(rc, src);
	return more;
}

/* Packets between two looks at the clock for the progress line. */
#define PROGRESS_EVERY 4096

gboolean ss_file_sources_read(ss_file_source **srcs, guint n, ss_analyzer *a,
			      guint64 *budget, ss_progress *progress, GError **error)
{
	return ss_file_sources_read_tap(srcs, n, a, NULL, NULL, budget, progress, error);
}

/* Hands src's packet to the analyzer (and the tap); FALSE when reading
 * stops after it: the budget is spent, or a stop signal (signals.c) came
 * (*interrupted). */
static inline gboolean deliver(ss_file_source *src, ss_analyzer *a, ss_packet_tap tap,
			       gpointer tap_data, guint64 *budget, gboolean *interrupted)
{
	/* Analysed before its source reads on: the reader reuses its buffer. */
	ss_analyzer_use_input(a, src->pkt_in);
	ss_analyzer_packet(a, src->ts, src->pkt.data, src->pkt.caplen, src->pkt.wirelen);
	if (tap)
		tap(src->pkt_in, src->ts, src->pkt.data, src->pkt.caplen, src->pkt.wirelen, tap_data);
	if (budget && --(*budget) == 0)
		return FALSE;
	if (ss_signals_stop_requested()) {
		*interrupted = TRUE;
		return FALSE;
	}
	return TRUE;
}

/* One read of the inputs: their packets, in time order, to the analyzer
 * (and the tap), until they end or a budget or a signal stops it. */
typedef struct {
	read_ctx *rc;
	ss_file_source **srcs;
	guint n;
	ss_analyzer *a;
	ss_packet_tap tap;
	gpointer tap_data;
	guint64 *budget;
	ss_progress *progress;
	gboolean feeding;      /* on the feeding thread: ss_analyzer_feed_end() at the end */
	gboolean interrupted;  /* out: a stop signal came */
} read_job;

static void read_packets(read_job *job)
{
	read_ctx *rc = job->rc;
	ss_file_source **srcs = job->srcs;
	guint n = job->n;
	ss_analyzer *a = job->a;
	ss_packet_tap tap = job->tap;
	gpointer tap_data = job->tap_data;
	guint64 *budget = job->budget;
	ss_progress *progress = job->progress;
	guint *heap = g_new(guint, MAX(n, 1u));
	guint len = 0;
	if (!budget || *budget > 0) {
		for (guint i = 0; i < n; i++)
			if (next_of(rc, srcs[i], a))
				heap[len++] = i;
		for (guint i = len / 2; i-- > 0;)
			heap_down(srcs, heap, len, i);
	}

	guint64 tick = 0;
	gboolean interrupted = FALSE;
	if (n == 1) {
		/* One input, the usual run: nothing to merge, so no heap to keep
		 * (heap_down and the calls around it were ~50 instructions a
		 * packet: docs/performance.md, "Packet side, sixth session").
		 * Same packets, same stops as the loop below with one input
		 * (test-capfile test_single_input_as_merged). */
		ss_file_source *src = srcs[0];
		gboolean more = len > 0;
		while (more) {
			if (!deliver(src, a, tap, tap_data, budget, &interrupted))
				break;
			more = next_of(rc, src, a);
			if (progress && ++tick % PROGRESS_EVERY == 0 && ss_progress_due(progress))
				ss_progress_draw(progress, sources_position(srcs, n));
		}
		len = 0;
	}
	while (len > 0) {
		ss_file_source *src = srcs[heap[0]];
		if (!deliver(src, a, tap, tap_data, budget, &interrupted))
			break;
		if (next_of(rc, src, a)) {
			heap_down(srcs, heap, len, 0);
		} else {
			heap[0] = heap[--len];   /* that input is finished (or damaged) */
			heap_down(srcs, heap, len, 0);
		}
		if (progress && ++tick % PROGRESS_EVERY == 0 && ss_progress_due(progress))
			ss_progress_draw(progress, sources_position(srcs, n));
	}
	g_free(heap);
	job->interrupted = interrupted;
	if (job->feeding)
		ss_analyzer_feed_end(a);
}

static gpointer read_thread(gpointer job)
{
	read_packets(job);
	return NULL;
}

gboolean ss_file_sources_read_tap(ss_file_source **srcs, guint n, ss_analyzer *a,
				  ss_packet_tap tap, gpointer tap_data, guint64 *budget,
				  ss_progress *progress, GError **error)
{
	read_ctx rc = { srcs, n, file_source_open_window(), 0, 0 };
	for (guint i = 0; i < n; i++) {
		source_begin(srcs[i], a);
		rc.n_open += srcs[i]->fd >= 0;
	}
	read_job job = { &rc, srcs, n, a, tap, tap_data, budget, progress, FALSE, FALSE };
	/* One input in a threaded run: its packets read and decoded on a
	 * thread of their own ("sockscope-feed") while this one tracks them
	 * (pipeline/track.h).  On mixed.pcap this thread was 100% busy
	 * through the packet phase, a third of it reading and decoding, while
	 * the other core idled half of it.  The feeding thread does its own
	 * read(2): the reader's read-ahead thread that did them before
	 * (removed since) made, beside the feeding one, five threads on the
	 * two cores in the packet phase and mixed's wall 5% longer
	 * (docs/performance.md, "Packet side, twelfth session").  Merged inputs are parked and reopened,
	 * and keep to this thread; so do compare mode's taps (not threaded). */
	GThread *feeder = NULL;
	if (n == 1 && !tap && ss_analyzer_feed_begin(a)) {
		job.feeding = TRUE;
		feeder = g_thread_try_new("sockscope-feed", read_thread, &job, NULL);
		if (!feeder) {
			ss_analyzer_feed_end(a);
			ss_analyzer_track_fed(a);
			job.feeding = FALSE;
		}
	}
	if (feeder) {
		ss_analyzer_track_fed(a);
		g_thread_join(feeder);
	} else {
		read_packets(&job);
	}
	gboolean interrupted = job.interrupted;

	/* Warnings in input order; a damaged input has not stopped the others. */
	gboolean ok = TRUE;
	for (guint i = 0; i < n; i++)
		if (!source_end(srcs[i], a, ok && !interrupted ? error : NULL))
			ok = FALSE;
	if (interrupted)
		g_set_error(error, SS_ERROR, SS_ERROR_INTERRUPTED,
			    "reading stopped by a signal");
	return ok && !interrupted;
}

gboolean ss_file_source_read(ss_file_source *src, ss_analyzer *a, guint64 *budget,
			     GError **error)
{
	return ss_file_sources_read(&src, 1, a, budget, NULL, error);
}

