/* --interval (src/report/live-view.c): a refreshed view of the listeners
 * and of the connections new since the previous refresh.  On a terminal
 * each view replaces the last (ANSI clear + home); elsewhere views are
 * appended, each after a header line with the time.
 *
 * A format of the report layer: it draws a snapshot report and the
 * capture's counters it is handed as values, and calls neither the
 * analyzer nor the capture source (the caller takes the snapshot). */
#ifndef SOCKSCOPE_LIVE_VIEW_H
#define SOCKSCOPE_LIVE_VIEW_H

#include <glib.h>
#include <stdio.h>
#include "sockscope/conn.h"
#include "sockscope/report.h"

typedef struct ss_live_view ss_live_view;

/* The kernel's counters of the capture (pcap_stats()); `known` FALSE when
 * libpcap could not say. */
typedef struct {
	gboolean known;
	guint64 received, dropped, if_dropped;
} ss_live_stats;

ss_live_view *ss_live_view_new(FILE *out);
/* Streaming: a record that ended between refreshes (it has left the
 * analyzer); a copy is kept for the next view. */
void ss_live_view_ended(ss_live_view *v, const ss_conn *c);
/* The first record number the next view calls new: take the snapshot with
 * ss_analyzer_snapshot(a, ss_live_view_since(v), &next_seq). */
guint64 ss_live_view_since(const ss_live_view *v);
/* Draws one view of `snapshot` (records from ss_live_view_since() on, and
 * every listener) on the capture `device`, with `stats` (NULL: unknown);
 * `next_seq` is what the snapshot returned.  The snapshot stays the
 * caller's. */
void ss_live_view_refresh(ss_live_view *v, const ss_report *snapshot, guint64 next_seq,
			  const char *device, const ss_live_stats *stats);
void ss_live_view_free(ss_live_view *v);

#endif
