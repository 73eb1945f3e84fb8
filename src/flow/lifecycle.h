/* The flow lifecycle: which connection record a packet belongs to, when a
 * record starts and when it ends (private to src/; the pipeline and the
 * unit tests use it).
 *
 * It owns the flow table, the records in progress (in one timeout list per
 * class, least recently active first), the flow cap's eviction, the
 * tombstones of recently written TCP tuples and a pool of spare records.
 * It decides nothing about roles and writes nothing: it raises three hooks,
 * Zeek's new_connection / connection_established / connection_state_remove
 * in miniature, and the caller says what they mean.  Everything here runs
 * on the thread that feeds the packets. */
#ifndef SOCKSCOPE_FLOW_LIFECYCLE_H
#define SOCKSCOPE_FLOW_LIFECYCLE_H

#include <glib.h>
#include "sockscope/conn.h"
#include "sockscope/flow.h"
#include "sockscope/packet.h"

typedef struct ss_lifecycle ss_lifecycle;

typedef struct {
	/* A record started (its first packet not yet counted).  The record
	 * stays the lifecycle's until on_end. */
	void (*on_start)(void *ctx, ss_conn *c);
	/* The record's first SYN-ACK, sent by `side`, proves a listener (not
	 * raised for a simultaneous open, where both sides sent a bare SYN). */
	void (*on_synack)(void *ctx, ss_conn *c, int side);
	/* The record ended (c->ended_by says why) and has left the table and
	 * the timeout lists: from here on it belongs to the hook, which frees
	 * it or hands it back with ss_lifecycle_add_spares().  Without
	 * cfg.slab it is a g_malloc'd whole ss_conn, a copy of the record
	 * on_start saw (records in progress are always the slab's). */
	void (*on_end)(void *ctx, ss_conn *c);
	/* Optional.  A packet's flow is not in the table: may return the
	 * record the hook took from on_end when the cap evicted it, to be
	 * tracked again (the flow is joined to its first part, not reported
	 * twice).  NULL starts a new record. */
	ss_conn *(*on_resume)(void *ctx, const ss_flow_key *key);
	/* Optional (with cfg.slab).  A record in progress moved to a longer
	 * allocation (its SYN repeated: the SYN gaps, conn.h) and continues
	 * at a new address; `old`, its memory before, is the hook's to hand
	 * back with ss_lifecycle_add_spares() once nothing it passed on (the
	 * pointers on_start and on_synack gave) reads it.  NULL: the
	 * lifecycle frees it at once. */
	void (*on_moved)(void *ctx, ss_conn *old);
	void *ctx;
} ss_lifecycle_hooks;

typedef struct {
	/* A bare SYN with a new ISN on a tuple idle this long starts a new
	 * record even if the old one never closed. */
	gint64 reuse_idle_ns;
	/* Idle timeouts per ss_timeout_class, in ns of packet time. */
	gint64 timeout_ns[SS_TIMEOUT_COUNT];
	/* Most flows tracked at once; the idlest is evicted past it (0 = none). */
	guint64 max_flows;
	/* Seed for the flow hash; 0 = random per run. */
	guint64 hash_seed;
	/* Streaming: records end when they time out (on packet time and on
	 * ss_lifecycle_advance()), and the tuples of TCP records that closed or
	 * went idle are remembered so a new connection on one still says it
	 * reused it.  Otherwise records end only when evicted, when a new
	 * connection takes their tuple, or with ss_lifecycle_end_all(). */
	gboolean streaming;
	/* The hooks' records are the slab's (flow/slab.h), not one g_malloc
	 * each: whoever on_end hands one to frees it with
	 * ss_conn_slab_release() (on any thread) or hands it back with
	 * ss_lifecycle_add_spares(), never with g_free.  Without it on_end
	 * gets a g_malloc'd copy. */
	gboolean slab;
	/* With slab: its next chunk is faulted in by a helper thread ahead of
	 * need (flow/slab.h), for runs that have a core to spare. */
	gboolean slab_prefault;
	/* With slab: the capture is known to be large (flow/slab.h). */
	gboolean slab_large;
} ss_lifecycle_config;

/* What the lifecycle counts (the summary's fields of the same names). */
typedef struct {
	guint64 ended[SS_END_COUNT];   /* records by why they left the table */
	guint64 max_flows_tracked;     /* the table's high-water mark */
	guint64 icmp_errors_matched;   /* ICMP errors quoting a tracked flow */
	guint64 icmp_errors_unmatched;
	guint64 evictions;             /* times the cap evicted a flow */
	guint64 resumed;               /* evicted flows that came back, joined (on_resume) */
	guint64 continued;             /* new records marked `continues` */
} ss_lifecycle_stats;

ss_lifecycle *ss_lifecycle_new(const ss_lifecycle_config *cfg, const ss_lifecycle_hooks *hooks);
/* Frees the records still in progress, the tombstones and the spares. */
void ss_lifecycle_free(ss_lifecycle *lc);

/* One decoded packet (TCP, UDP or an ICMP error; others are ignored).
 * Packet time drives the timeouts when streaming; a clock that steps back
 * does not bring flows back to life. */
void ss_lifecycle_packet(ss_lifecycle *lc, const ss_packet *p);

/* The same for n packets in capture order (n <= SS_LIFECYCLE_BATCH), with
 * the table's and the records' cache misses overlapped: the result is
 * exactly that of n calls of ss_lifecycle_packet(). */
#define SS_LIFECYCLE_BATCH 16
void ss_lifecycle_packets(ss_lifecycle *lc, const ss_packet *p, guint n);
/* The same, one batch behind: tracks the batch the previous push took (if
 * ss_lifecycle_sync has not), while the misses of these n packets' slots
 * and records are fetched, and keeps them for the next push or sync.  The
 * caller leaves p[0..n) unchanged until then, and syncs before it reads
 * anything the lifecycle keeps (its records, hooks' effects, stats);
 * ss_lifecycle_packet, _advance and _end_all sync first.  Pushes and a
 * sync give exactly what one ss_lifecycle_packet() per packet gives. */
void ss_lifecycle_push(ss_lifecycle *lc, const ss_packet *p, guint n);
/* Tracks the batch the last push took, if it is not yet. */
void ss_lifecycle_sync(ss_lifecycle *lc);

/* Streaming: the wall clock says it is now_ns; ends the records whose idle
 * timeout has passed by then.  Packet time is left unchanged. */
void ss_lifecycle_advance(ss_lifecycle *lc, gint64 now_ns);

/* Evicted tuples are remembered (at most SS_RECENT_TUPLE_MAX, for
 * SS_RECENT_TUPLE_NS of packet time) so that a flow that comes back after
 * its record was evicted, and is not resumed, is marked `continues`
 * unless its first packet is a bare SYN (a new connection). */

/* The capture is over: every record in progress ends (SS_END_CAPTURE),
 * in order of first packet when `in_order`, else timeout list by list.
 * The lifecycle takes no packet after this. */
void ss_lifecycle_end_all(ss_lifecycle *lc, gboolean in_order);

/* Calls fn on every record in progress, timeout list by list. */
void ss_lifecycle_foreach(const ss_lifecycle *lc, void (*fn)(const ss_conn *c, void *data),
			  void *data);

/* Records (linked by next_spare) that a hook is done with, kept for new
 * flows (with cfg.slab all of them, taken whole; otherwise up to a small
 * number, for on_end's copies, the rest freed).  After ss_lifecycle_end_all
 * they are freed. */
void ss_lifecycle_add_spares(ss_lifecycle *lc, ss_conn *chain);

const ss_lifecycle_stats *ss_lifecycle_get_stats(const ss_lifecycle *lc);
/* The sequence number the next new record will get. */
guint64 ss_lifecycle_next_seq(const ss_lifecycle *lc);

#endif
