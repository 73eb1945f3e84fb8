/* Snapshots for a live view (--interval): the analysis so far, with the
 * records in progress decided as if the capture ended now, while the
 * analyzer carries on (sockscope/analyzer.h, ss_analyzer_snapshot): its
 * listeners and, as the final report, its tunnel records.  Apart
 * from pipeline/analyzer.c because it only reads the analyzer's state. */
#include "pipeline/internal.h"
#include "sockscope/decide.h"
#include "sockscope/listeners.h"

#include <netinet/in.h>

typedef struct {
	ss_listeners *listeners;
	ss_tunnels *tunnel_conns;  /* inner records per tunnel, these included */
	ss_report *r;
	guint64 from_seq;
} snapshot_ctx;

/* Accounts a copy of record c, decided as if the capture ended now. */
static void snapshot_conn(const ss_conn *c, void *data)
{
	snapshot_ctx *s = data;
	ss_report *r = s->r;
	ss_conn tmp;
	ss_conn_copy(&tmp, c);
	tmp.lru_prev = tmp.lru_next = 0;
	ss_conn_finalize(&tmp);
	if (!tmp.continues) {   /* its first part was counted */
		ss_listeners_add(s->listeners, &tmp);
		ss_tunnels_add_conn(s->tunnel_conns, &tmp);
		if (tmp.proto == IPPROTO_TCP)
			r->summary.tcp_connections++;
		else
			r->summary.udp_exchanges++;
		if (tmp.reuse != SS_REUSE_NONE)
			r->summary.reused_tuples++;
	}
	if (tmp.seq >= s->from_seq)
		g_ptr_array_add(r->conns, g_memdup2(&tmp, sizeof tmp));
}

ss_report *ss_analyzer_snapshot(ss_analyzer *a, guint64 from_seq, guint64 *next_seq)
{
	ss_pipeline_drain(a);   /* listeners and counters are the report thread's */
	ss_report *r = g_new0(ss_report, 1);
	r->summary = a->summary;
	ss_pipeline_flow_stats(a, &r->summary);
	r->summary.inputs = g_ptr_array_new_with_free_func(ss_input_free);
	for (guint i = 0; i < a->summary.inputs->len; i++) {
		const ss_input *src = g_ptr_array_index(a->summary.inputs, i);
		ss_input *in = g_memdup2(src, sizeof *src);
		in->name = g_strdup(src->name);
		in->link_name = g_strdup(src->link_name);
		in->error = g_strdup(src->error);
		g_ptr_array_add(r->summary.inputs, in);
	}
	r->summary.warnings = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < a->summary.warnings->len; i++)
		g_ptr_array_add(r->summary.warnings,
				g_strdup(g_ptr_array_index(a->summary.warnings, i)));
	r->summary.nanosecond = a->sub_us_seen;
	r->conns = g_ptr_array_new_with_free_func(g_free);

	/* Listeners of the records already retired (streaming)... */
	snapshot_ctx s = { ss_listeners_copy(a->listeners), ss_tunnels_copy(a->tunnel_conns), r,
			   from_seq };
	/* ...and of every record still held, decided as if it ended now:
	 * those in progress, and (keep-all) those already ended. */
	ss_lifecycle_foreach(a->flows, snapshot_conn, &s);
	if (!a->cfg.sink && a->conns) {
		for (guint i = 0; i < a->conns->len; i++)
			snapshot_conn(g_ptr_array_index(a->conns, i), &s);
		GHashTableIter it;
		gpointer value;
		g_hash_table_iter_init(&it, a->evicted);
		while (g_hash_table_iter_next(&it, NULL, &value))
			snapshot_conn(value, &s);
	}
	ss_conn_sort_first(r->conns);
	r->listeners = ss_listeners_take(s.listeners);
	ss_listeners_free(s.listeners);
	r->summary.listeners = r->listeners->len;
	/* The tunnels so far, as the final report has them: their packets
	 * (the packet thread's, this one) and the inner records that started
	 * in them, retired and held alike. */
	ss_tunnels *packets = ss_tunnels_copy(a->tunnels);
	r->tunnels = ss_tunnels_take(packets, s.tunnel_conns, NULL);
	ss_tunnels_free(packets);
	ss_tunnels_free(s.tunnel_conns);
	if (next_seq)
		*next_seq = ss_lifecycle_next_seq(a->flows);
	return r;
}
