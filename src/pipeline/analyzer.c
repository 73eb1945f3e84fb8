/* The analyzer (sockscope/analyzer.h): packets in, a report out.  It wires
 * the flow lifecycle (flow/lifecycle.c) to the analysis of finished
 * records (decide, roles, hosts, listeners) and, when streaming, runs that
 * analysis and the sink on threads of their own (pipeline/stage.c). */
#include "sockscope/frag.h"
#include "sockscope/analyzer.h"
#include "flow/lifecycle.h"
#include "flow/slab.h"
#include "pipeline/internal.h"
#include "sockscope/decide.h"
#include "sockscope/hash.h"
#include "sockscope/hosts.h"
#include "sockscope/listeners.h"
#include "sockscope/roles.h"

#include <netinet/in.h>
#include <string.h>

/* ---- the report pipeline ----
 *
 * Streaming from files, the work is split in three stages, each on its own
 * thread:
 *   packet thread   reading, decoding, flow tracking, timeouts (the
 *                   lifecycle, whose hooks put events on the report stage);
 *                   reading one file, the reading and decoding are on a
 *                   feeding thread of their own ahead of it
 *                   (ss_analyzer_feed_begin, pipeline/track.h);
 *   report thread   everything learned from records: role knowledge (as
 *                   records start and when they end), deciding each
 *                   finished record, host profiles and listeners;
 *   writer thread   the sink: findings, the jsonl line, IPFIX.
 * Each stage hands events to the next in batches (pipeline/stage.h), so a
 * slow stage makes the one before it wait instead of piling up records.
 * Order is kept at every step, so each record is decided with exactly the
 * knowledge a single thread would have had and written in the same order:
 * same bytes out.  Written records travel back with the empty batches and
 * become the lifecycle's spares for new flows. */
typedef enum {
	EVENT_NOTE_RECORD,     /* report: a record started (ss_roles_note_record) */
	EVENT_NOTE_SYNACK,     /* report: its first SYN-ACK proves a listener */
	EVENT_RETIRE,          /* report: it ended: decide, roll up, pass on */
	EVENT_WRITE,           /* writer: hand it to the sink */
	EVENT_MOVED,           /* report: a record's memory before it moved
	                          (lifecycle.h, on_moved): a spare once the
	                          events before it, which may read it, are */
} event_kind;


static void pipeline_start(ss_analyzer *a);
static void pipeline_stop(ss_analyzer *a);
static void hook_start(void *ctx, ss_conn *c);
static void hook_synack(void *ctx, ss_conn *c, int side);
static void hook_end(void *ctx, ss_conn *c);
static ss_conn *hook_resume(void *ctx, const ss_flow_key *key);
static void hook_moved(void *ctx, ss_conn *old);

SS_BYTES_KEY_FUNCS(flow_key, ss_flow_key)

/* Keep-all lists up to this many records in all when --max-flows is
 * smaller: a small cap then still reports every connection of an ordinary
 * capture, joined across its evictions.  A listed record costs about 4 KB
 * by the time json is written (the record, its roll-ups, its text). */
#define SS_KEPT_RECORDS 16384
/* And at least this many evicted records are kept as exemplars whatever the
 * cap, before the rest of a flood is only counted. */
#define SS_KEPT_EXEMPLARS 1024
/* Capture files at least this large start their records' first slab
 * chunks on huge pages (flow/slab.h, `large`).  The price is up to 2 MiB
 * per record length in use (three at most on ordinary traffic: UDP, TCP,
 * TCP whose SYN repeated), ~6 MiB, against files of 64 MiB or more; the
 * gain is ~1 400 page faults of 4 KiB on the packet thread where such a
 * file has thousands of flows (docs/performance.md, "Large captures'
 * first chunks, sixteenth session").  A smaller capture keeps paying only
 * for the records it has: real-ether.pcap's peak RSS rose from 7.8 to
 * 13.6 MB with huge first chunks. */
#define SS_LARGE_INPUT_BYTES (G_GUINT64_CONSTANT(64) << 20)

void ss_analyzer_config_init(ss_analyzer_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	const gint64 s = G_GINT64_CONSTANT(1000000000);
	/* Longer than any TIME_WAIT (Linux 60 s, Windows up to 240 s). */
	cfg->reuse_idle_ns = 300 * s;
	/* Linux gives up on a SYN after about 2 minutes (tcp_syn_retries 6). */
	cfg->timeout_ns[SS_TIMEOUT_ATTEMPT] = 150 * s;
	cfg->timeout_ns[SS_TIMEOUT_ESTABLISHED] = 600 * s;
	/* Long enough for the last ACK and retransmitted FINs (Zeek: 5 s). */
	cfg->timeout_ns[SS_TIMEOUT_CLOSED] = 10 * s;
	cfg->timeout_ns[SS_TIMEOUT_UDP] = 120 * s;
	/* About 0.5 GB of flow state; a SYN flood from spoofed sources meets
	 * this cap instead of exhausting memory (docs/hardening.md). */
	cfg->max_flows = SS_DEFAULT_MAX_FLOWS;
}

void ss_input_free(gpointer p)
{
	ss_input *in = p;
	if (in == NULL)
		return;
	g_free(in->name);
	g_free(in->link_name);
	g_free(in->error);
	g_free(in);
}

ss_analyzer *ss_analyzer_new(const ss_analyzer_config *cfg)
{
	ss_analyzer *a = g_new0(ss_analyzer, 1);
	a->frag = ss_frag_table_new();
	a->batch_fill = a->batch[0];
	if (cfg)
		a->cfg = *cfg;
	else
		ss_analyzer_config_init(&a->cfg);
	ss_lifecycle_config lcfg = {
		.reuse_idle_ns = a->cfg.reuse_idle_ns,
		.max_flows = a->cfg.max_flows,
		.hash_seed = a->cfg.hash_seed,
		.streaming = a->cfg.sink != NULL,
		/* Streamed records never leave the pipeline: they come from
		 * the lifecycle's slab and go back to it (write_record).
		 * Keep-all ones end in the report, whose owner g_frees them. */
		.slab = a->cfg.sink != NULL,
		/* Threaded runs fault the slab's next chunk in on a helper:
		 * --single-thread keeps to one thread. */
		.slab_prefault = a->cfg.sink != NULL && a->cfg.report_thread,
		.slab_large = a->cfg.input_bytes >= SS_LARGE_INPUT_BYTES,
	};
	memcpy(lcfg.timeout_ns, a->cfg.timeout_ns, sizeof lcfg.timeout_ns);
	/* Streaming, role knowledge is learned as records start and as their
	 * first SYN-ACK comes; keep-all learns it all at the end instead. */
	ss_lifecycle_hooks hooks = {
		.on_start = a->cfg.sink ? hook_start : NULL,
		.on_synack = a->cfg.sink ? hook_synack : NULL,
		.on_end = hook_end,
		.on_resume = a->cfg.sink ? NULL : hook_resume,
		.on_moved = a->cfg.sink ? hook_moved : NULL,
		.ctx = a,
	};
	a->flows = ss_lifecycle_new(&lcfg, &hooks);
	a->conns = g_ptr_array_new_with_free_func(g_free);
	a->evicted = g_hash_table_new_full(flow_key_hash, flow_key_equal, NULL, g_free);
	if (!a->cfg.sink) {
		a->kept_max = a->cfg.max_flows < SS_KEPT_RECORDS
				      ? SS_KEPT_RECORDS - a->cfg.max_flows
				      : 0;
		a->kept_max = MAX(a->kept_max, SS_KEPT_EXEMPLARS);
		if (a->cfg.max_flows == 0)
			a->kept_max = G_MAXUINT64;   /* no cap: nothing is evicted early */
	}
	a->summary.flow_cap.kept_max = a->cfg.max_flows ? a->kept_max : 0;
	a->listeners = ss_listeners_new();
	a->tunnels = ss_tunnels_new();
	a->tunnel_conns = ss_tunnels_new();
	a->hosts = ss_hosts_new(NULL);
	a->roles = ss_roles_new(NULL, a->hosts);
	a->input_last_ns = SS_NO_TIME;
	a->summary.inputs = g_ptr_array_new_with_free_func(ss_input_free);
	a->summary.warnings = g_ptr_array_new_with_free_func(g_free);
	a->summary.first_ns = a->summary.last_ns = SS_NO_TIME;
	if (a->cfg.sink && a->cfg.report_thread)
		pipeline_start(a);
	return a;
}

void ss_analyzer_free(ss_analyzer *a)
{
	if (!a)
		return;
	pipeline_stop(a);   /* it may still hold records of the lifecycle */
	ss_frag_table_free(a->frag);
	ss_lifecycle_free(a->flows);
	if (a->conns)
		g_ptr_array_unref(a->conns);
	g_hash_table_destroy(a->evicted);
	ss_listeners_free(a->listeners);
	ss_tunnels_free(a->tunnels);
	ss_tunnels_free(a->tunnel_conns);
	ss_roles_free(a->roles);
	ss_hosts_free(a->hosts);
	if (a->taken_listeners)
		g_array_unref(a->taken_listeners);
	ss_hosts_array_free(a->taken_hosts);
	if (a->summary.inputs)
		g_ptr_array_unref(a->summary.inputs);
	if (a->summary.warnings)
		g_ptr_array_unref(a->summary.warnings);
	g_free(a);
}

ss_input *ss_analyzer_begin_input(ss_analyzer *a, const char *name, int dlt,
				  const char *link_name, gboolean nanosecond)
{
	ss_input *in = g_new0(ss_input, 1);
	in->name = g_strdup(name);
	in->dlt = dlt;
	in->link_name = g_strdup(link_name ? link_name : "unknown");
	in->nanosecond = nanosecond;
	g_ptr_array_add(a->summary.inputs, in);
	a->input = in;
	a->input_last_ns = SS_NO_TIME;
	return in;
}

/* Merged inputs: each keeps its own previous timestamp while another one
 * is current, so "timestamps_backwards" stays a per-input fact. */
gboolean ss_analyzer_threaded(const ss_analyzer *a)
{
	return a->cfg.sink && a->cfg.report_thread;
}

void ss_analyzer_use_input(ss_analyzer *a, ss_input *in)
{
	if (a->input == in)
		return;
	if (a->input)
		a->input->prev_ns = a->input_last_ns;
	a->input = in;
	a->input_last_ns = in->packets > 0 ? in->prev_ns : SS_NO_TIME;
}

void ss_analyzer_warn(ss_analyzer *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_ptr_array_add(a->summary.warnings, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

/* ---- what a decided record does to the analysis ---- */

/* Accounts one decided record: listeners, hosts, summary counters.
 * Multicast and broadcast receivers are not listening sockets. */
static void account(ss_analyzer *a, const ss_conn *c)
{
	/* The rest of a flow whose first part was already counted: only its
	 * record is new (docs/output.md#flow-cap). */
	if (c->continues)
		return;
	guint32 server;
	if (c->evidence != SS_EVIDENCE_MULTICAST && c->evidence != SS_EVIDENCE_BROADCAST)
		/* SS_LISTENERS_NONE for a simultaneous open or unknown roles:
		 * the hosts then count no server (ss_hosts_add_conn) */
		server = ss_listeners_add(a->listeners, c);
	else if (c->outcome != SS_OUTCOME_SIMULTANEOUS)
		server = ss_listeners_socket(a->listeners, c);
	else
		server = SS_LISTENERS_NONE;
	ss_hosts_add_conn(a->hosts, c, server);
	ss_tunnels_add_conn(a->tunnel_conns, c);
	if (c->proto == IPPROTO_TCP)
		a->summary.tcp_connections++;
	else
		a->summary.udp_exchanges++;
	if (c->reuse != SS_REUSE_NONE)
		a->summary.reused_tuples++;
	a->summary.evidence[c->evidence]++;
	if (ss_conn_one_sided(c))
		a->summary.quality.one_sided++;
	if (ss_conn_started_midstream(c))
		a->summary.quality.started_midstream++;
}

/* What a decided record teaches: a handshake's server is a listener, its
 * client's port an ephemeral one; a UDP reply counts for its responder. */
static void learn(ss_analyzer *a, const ss_conn *c)
{
	ss_roles_learn(a->roles, c);
	ss_hosts_learn_ephemeral(a->hosts, c);
}

/* A TCP attempt that never got anything but a RST back: its roles are
 * proven by its SYN, and it carries nothing worth a record of its own once
 * the flow cap forces a choice. */
static gboolean failed_attempt(const ss_conn *c)
{
	if (c->proto != IPPROTO_TCP || c->syn_side < 0)
		return FALSE;
	guint8 answered = c->sent[!c->syn_side] & ~SS_SENT_RST;
	return answered == 0 && !(c->sent[c->syn_side] & (SS_SENT_DATA | SS_SENT_SYNACK));
}

/* Keep-all, past kept_max: a record that ended early is decided with what
 * is known so far, rolled up, counted by kind and freed. */
static void aggregate(ss_analyzer *a, ss_conn *c)
{
	gboolean failed = failed_attempt(c);
	ss_conn_finalize_with(c, a->roles);
	account(a, c);
	learn(a, c);
	if (c->proto != IPPROTO_TCP) {
		a->summary.flow_cap.aggregated_udp++;
	} else if (failed) {
		a->summary.flow_cap.aggregated_tcp_failed++;
		a->summary.aggregated_attempts++;
	} else if (c->synack_side >= 0) {
		a->summary.flow_cap.aggregated_tcp_answered++;
	} else {
		a->summary.flow_cap.aggregated_tcp_other++;
	}
	g_free(c);
}

/* ---- the work of each stage ---- */

/* Writer: the record goes to the sink; its memory then goes on *spares
 * for a new record, while packets still come. */
static void write_record(ss_analyzer *a, ss_conn *c, ss_stage_chain *spares)
{
	a->cfg.sink(c, a->cfg.sink_data);
	if (c->ended_by == SS_END_CAPTURE) {
		/* The capture is over: no new record will need it. */
		ss_conn_slab_release(c);
		return;
	}
	ss_stage_chain_add(spares, c, G_STRUCT_OFFSET(ss_conn, next_spare));
}

/* How far ahead in a batch the writer announces a record to the sink
 * (ss_analyzer_config.sink_ahead: the findings prefetch their look-ups),
 * and twice that far fetches the record, last written by the report
 * thread on the other core (the sink reads most of it for the line). */
#define WRITE_AHEAD 16

static void prefetch_record(const ss_conn *c)
{
	for (gsize off = 0; off < sizeof *c; off += 64)
		__builtin_prefetch((const char *)c + off);
}

/* The capture's last record has gone to the sink (a finished capture's
 * last batch, on the thread that ran the sink): the sink's end work
 * (app/run.c: the findings' first step, on threads of their own) starts
 * here instead of on the packet thread after both threads are joined, so
 * that it overlaps the report thread's take of the listeners and hosts
 * (take_rollups), which after the writer's last batch had the cores to
 * itself: 25-98 ms of mixed.pcap's tail with one core idle (perf timelines,
 * docs/performance.md, "The capture-end drain and tail, ninth
 * session").  ss_analyzer_finish() set `finished` before it stopped the
 * pipeline (the stages' queues order that write before this read); an
 * analyzer freed unfinished calls nothing. */
static void sink_finished(ss_analyzer *a)
{
	if (!a->finished || !a->cfg.sink_done || a->sink_done_called)
		return;
	a->sink_done_called = TRUE;
	a->cfg.sink_done(a->cfg.sink_data);
}

static void writer_consume(void *ctx, ss_stage_batch *b)
{
	ss_analyzer *a = ctx;
	ss_conn_sink ahead = a->cfg.sink_ahead;
	for (guint i = 0; ahead != NULL && i < MIN(b->len, WRITE_AHEAD); i++)
		ahead(b->ev[i].item, a->cfg.sink_data);
	for (guint i = 0; i < b->len; i++) {
		if (i + 2 * WRITE_AHEAD < b->len)
			prefetch_record(b->ev[i + 2 * WRITE_AHEAD].item);
		if (ahead != NULL && i + WRITE_AHEAD < b->len)
			ahead(b->ev[i + WRITE_AHEAD].item, a->cfg.sink_data);
		write_record(a, b->ev[i].item, &b->back);
	}
	if (b->last)
		sink_finished(a);
}

/* Report: a finished record is decided with what the capture taught so
 * far (docs/inference.md), rolled up, and passed on to be written. */
static void report_record(ss_analyzer *a, ss_conn *c, ss_stage_chain *spares)
{
	ss_conn_finalize_with(c, a->roles);
	account(a, c);
	learn(a, c);
	if (a->writer)
		ss_stage_chain_push(a->writer, spares, ss_stage_put(a->writer, c, EVENT_WRITE, -1));
	else
		write_record(a, c, spares);
}

static void report_apply(ss_analyzer *a, const ss_stage_event *e, ss_stage_chain *spares)
{
	switch ((event_kind)e->kind) {
	case EVENT_NOTE_RECORD:
		ss_roles_note_record(a->roles, e->item);
		break;
	case EVENT_NOTE_SYNACK:
		ss_roles_note_synack(a->roles, e->item, e->arg);
		break;
	case EVENT_RETIRE:
		report_record(a, e->item, spares);
		break;
	case EVENT_MOVED:
		ss_stage_chain_add(spares, e->item, G_STRUCT_OFFSET(ss_conn, next_spare));
		break;
	case EVENT_WRITE:
		g_assert_not_reached();
	}
}

/* How far ahead in a batch the report stage starts fetching what an event
 * will need: the record's first lines HEAD_AHEAD events ahead; from its
 * key, the role learner's slots (ss_roles_prefetch) REPORT_AHEAD events
 * ahead; the host and listener look-ups in three steps, each needing what
 * the one before fetched: their slots HL_SLOT_AHEAD ahead, their entries
 * HL_ENTRY_AHEAD ahead, and what the entries point to (a listener's
 * client set, a host's client side) HL_INNER_AHEAD ahead.  So each
 * arrives while the events before are applied.  With the slots alone, 8
 * ahead (the seventh session), the entries and client sets were still the
 * roll thread's largest misses on many-flows (perf annotate: 57% of
 * socket_of on the entry's key, 80% of probe_narrow on the set's slot);
 * with the steps at 8/4/2 the entries were not in yet when the client set
 * was looked for, hence 16/8/4 and the record's lines 32 ahead (measured
 * in docs/performance.md, "Roll-ups, eighth session"). */
#define HEAD_AHEAD 32
#define REPORT_AHEAD 8
#define HL_SLOT_AHEAD 16
#define HL_ENTRY_AHEAD 8
#define HL_INNER_AHEAD 4

/* The record's common part, all a UDP record has: its key, sides and
 * endpoints, what the role learner reads of it, and its tail, outcome and
 * evidence, which the host and listener look-ahead read (without them,
 * perf annotate had 64% of ss_listeners_prefetch's samples on the load of
 * `tail`, many-flows); its last byte's line too, as a record is 8-aligned,
 * not 64. */
static void prefetch_record_head(const ss_conn *c)
{
	const char *p = (const char *)c;
	const gsize last = G_STRUCT_OFFSET(ss_conn, tail_tcp) - 1;
	for (gsize off = 0; off <= last; off += 64)
		__builtin_prefetch(p + off);
	__builtin_prefetch(p + last);
}

/* The same look-ahead over keep-all's records at capture end (both of
 * ss_analyzer_finish's passes look up each record's endpoints). */
static void look_ahead_conns(ss_analyzer *a, GPtrArray *conns, guint i)
{
	if (i + 2 * REPORT_AHEAD < conns->len)
		prefetch_record_head(g_ptr_array_index(conns, i + 2 * REPORT_AHEAD));
	if (i + REPORT_AHEAD < conns->len)
		ss_roles_prefetch(a->roles, g_ptr_array_index(conns, i + REPORT_AHEAD));
}

/* The report's listeners and hosts, from the roll-ups (either thread). */
static void take_rollups(ss_analyzer *a, GArray **listeners, GArray **hosts)
{
	*listeners = ss_listeners_take(a->listeners);
	*hosts = ss_hosts_take(a->hosts, *listeners);
}

static void report_consume(void *ctx, ss_stage_batch *b)
{
	ss_analyzer *a = ctx;
	for (guint i = 0; i < b->len; i++) {
		if (i + HEAD_AHEAD < b->len)
			prefetch_record_head(b->ev[i + HEAD_AHEAD].item);
		if (i + REPORT_AHEAD < b->len)
			ss_roles_prefetch(a->roles, b->ev[i + REPORT_AHEAD].item);
		if (i + HL_SLOT_AHEAD < b->len && b->ev[i + HL_SLOT_AHEAD].kind == EVENT_RETIRE) {
			ss_listeners_prefetch(a->listeners, b->ev[i + HL_SLOT_AHEAD].item);
			ss_hosts_prefetch(a->hosts, b->ev[i + HL_SLOT_AHEAD].item);
		}
		if (i + HL_ENTRY_AHEAD < b->len && b->ev[i + HL_ENTRY_AHEAD].kind == EVENT_RETIRE) {
			ss_listeners_prefetch_entry(a->listeners, b->ev[i + HL_ENTRY_AHEAD].item);
			ss_hosts_prefetch_entry(a->hosts, b->ev[i + HL_ENTRY_AHEAD].item);
			ss_roles_prefetch_learn(a->roles, b->ev[i + HL_ENTRY_AHEAD].item);
		}
		if (i + HL_INNER_AHEAD < b->len && b->ev[i + HL_INNER_AHEAD].kind == EVENT_RETIRE) {
			const ss_conn *c = b->ev[i + HL_INNER_AHEAD].item;
			ss_hosts_prefetch_client(a->hosts, c,
						 ss_listeners_prefetch_clients(a->listeners, c));
		}
		report_apply(a, &b->ev[i], &b->back);
	}
	if (a->writer && b->sync)
		ss_stage_chain_push(a->writer, &b->back, ss_stage_drain(a->writer));
	if (!b->last)
		return;
	/* The capture is over: the writer's batches hold no written record
	 * the packet thread still needs.  Its last events go first, so that
	 * it writes them while this thread takes the roll-ups. */
	if (a->writer)
		ss_stage_close(a->writer);
	else
		sink_finished(a);   /* this thread wrote the records */
	if (a->finished)
		/* Nothing changes the listeners and hosts any more: they are
		 * taken here, beside the writer's drain of the capture's end,
		 * instead of on the main thread after both threads stopped
		 * (mixed.pcap: ~40 ms off the serial tail, measured in
		 * docs/performance.md, "Roll-ups, seventh session").
		 * ss_analyzer_finish() set `finished` before it stopped the
		 * pipeline; an analyzer freed unfinished takes nothing. */
		take_rollups(a, &a->taken_listeners, &a->taken_hosts);
	if (a->writer) {
		ss_stage_stop(a->writer);
		a->writer = NULL;
	}
}

/* A record left in a stage's batches when it stops. */
static void release_record(gpointer c)
{
	ss_conn_slab_release(c);
}

/* Starts the report and writer threads (the writer is started first: the
 * report thread then owns it).  With no report thread the packet thread
 * does everything; with no writer thread the report thread writes. */
static void pipeline_start(ss_analyzer *a)
{
	gsize link = G_STRUCT_OFFSET(ss_conn, next_spare);
	/* Names of at most 15 characters: pthread_setname_np() refuses a
	 * longer one (Linux keeps 16 bytes with the NUL), and the thread then
	 * shows under the process's name in ps, top and perf. */
	a->writer = ss_stage_new("sockscope-write", writer_consume, a, link, release_record);
	a->report = ss_stage_new("sockscope-roll", report_consume, a, link, release_record);
	if (!a->report && a->writer) {
		ss_stage_stop(a->writer);
		a->writer = NULL;
	}
}

/* Packet thread: one event for the report stage, or applied at once. */
static void report_put(ss_analyzer *a, ss_conn *c, event_kind kind, int side)
{
	ss_stage_chain written = { NULL, NULL };
	if (a->report) {
		written = ss_stage_put(a->report, c, (guint8)kind, (gint8)side);
	} else {
		ss_stage_event e = { c, (guint8)kind, (gint8)side };
		report_apply(a, &e, &written);
	}
	ss_lifecycle_add_spares(a->flows, written.head);
}

/* Waits until every event so far is applied and written, and both threads
 * are idle: the packet thread may then read what they own (a snapshot). */
void ss_pipeline_drain(ss_analyzer *a)
{
	ss_pipeline_flush(a);
	if (a->report)
		ss_lifecycle_add_spares(a->flows, ss_stage_drain(a->report).head);
}

/* Hands over the last events and waits for both threads to end. */
static void pipeline_stop(ss_analyzer *a)
{
	if (!a->report)
		return;
	ss_stage_stop(a->report);
	a->report = NULL;
}

/* ---- the lifecycle's hooks (packet thread) ---- */

/* Streaming: fan-in is learned as records start. */
static void hook_start(void *ctx, ss_conn *c)
{
	report_put(ctx, c, EVENT_NOTE_RECORD, -1);
}

/* Streaming: the first SYN-ACK of a record proves a listener at once. */
static void hook_synack(void *ctx, ss_conn *c, int side)
{
	report_put(ctx, c, EVENT_NOTE_SYNACK, side);
}

/* A record left the lifecycle.  Streaming, it goes to the report pipeline,
 * which decides its roles, rolls it up, writes it and hands its memory
 * back for a new record. */
static void hook_end(void *ctx, ss_conn *c)
{
	ss_analyzer *a = ctx;
	if (!a->cfg.sink) {
		/* Keep-all: decided at the end with everything known.  Records
		 * that end early (evicted by the flow cap, or replaced by a new
		 * connection on their tuple) are kept up to kept_max; an evicted
		 * one waits by key for its flow to come back.  Past that (a
		 * flood, a scan) they are folded into the roll-ups now, so floods
		 * cannot exhaust memory. */
		if (c->ended_by == SS_END_CAPTURE) {
			g_ptr_array_add(a->conns, c);
		} else if (a->kept_ended < a->kept_max) {
			a->kept_ended++;
			if (c->ended_by == SS_END_EVICTED)
				g_hash_table_insert(a->evicted, &c->key, c);
			else
				g_ptr_array_add(a->conns, c);
		} else {
			aggregate(a, c);
		}
		return;
	}
	/* From here on the record belongs to the report thread. */
	report_put(a, c, EVENT_RETIRE, -1);
}

/* Streaming: a record in progress moved (its SYN repeated); its old
 * memory follows the events that may still read it (on_start's and
 * on_synack's) and comes back as a spare. */
static void hook_moved(void *ctx, ss_conn *old)
{
	report_put(ctx, old, EVENT_MOVED, -1);
}

/* Keep-all: the flow of an evicted record that is still held came back:
 * the lifecycle tracks that record again (one record per connection). */
static ss_conn *hook_resume(void *ctx, const ss_flow_key *key)
{
	ss_analyzer *a = ctx;
	ss_conn *c = g_hash_table_lookup(a->evicted, key);
	if (!c)
		return NULL;
	g_hash_table_steal(a->evicted, key);
	a->kept_ended--;
	return c;
}

/* ---- packets ---- */

gboolean ss_analyzer_feed_begin(ss_analyzer *a)
{
	if (a->track || !ss_analyzer_threaded(a) || a->finished)
		return FALSE;
	ss_pipeline_flush(a);   /* the lifecycle holds no batch of ours now */
	a->track = ss_track_new(sizeof a->batch[0]);
	a->batch_fill = ss_track_slot(a->track);
	return TRUE;
}

void ss_analyzer_feed_end(ss_analyzer *a)
{
	if (a->batch_len > 0)
		ss_track_send(a->track, a->batch_len);
	a->batch_fill = a->batch[0];
	a->batch_len = 0;
	ss_track_close(a->track);   /* the last touch of the batches here */
}

void ss_analyzer_track_fed(ss_analyzer *a)
{
	const ss_packet *p;
	guint n;
	while ((p = ss_track_take(a->track, &n)) != NULL)
		ss_lifecycle_push(a->flows, p, n);
	ss_lifecycle_sync(a->flows);   /* it tracks its last batch in the ring */
	ss_track_free(a->track);
	a->track = NULL;
}

/* Hands the batch being decoded to the lifecycle, which tracks the one
 * before it meanwhile, and starts the other; or, on a feeding thread,
 * sends it through the ring to the thread that tracks. */
static void push_batch(ss_analyzer *a)
{
	if (a->track) {
		ss_track_send(a->track, a->batch_len);
		a->batch_fill = ss_track_slot(a->track);
	} else {
		ss_lifecycle_push(a->flows, a->batch_fill, a->batch_len);
		a->batch_fill = a->batch_fill == a->batch[0] ? a->batch[1] : a->batch[0];
	}
	a->batch_len = 0;
}

/* Counts one decoded packet (`wirelen` its length on the wire) and, when
 * it is one to track, keeps it in the batch where it was decoded. */
static inline void take_packet(ss_analyzer *a, ss_packet *p, ss_reason r, gint64 ts_ns,
			       guint32 wirelen)
{
	ss_summary *s = &a->summary;
	s->reasons[r]++;
	if (p->tunnel.type != SS_TUNNEL_NONE) {
		s->tunnel_packets[p->tunnel.type]++;
		ss_tunnels_add_packet(a->tunnels, &p->tunnel, wirelen, ts_ns);
	}
	if (r != SS_REASON_OK)
		return;
	p->ts_ns = ts_ns;
	s->decoded++;
	if (p->l4 == SS_L4_TCP || p->l4 == SS_L4_UDP)
		s->checksums[p->l4 == SS_L4_UDP][p->csum]++;
	if (++a->batch_len == SS_LIFECYCLE_BATCH)
		push_batch(a);
}

/* An 802.11 A-MSDU: each subframe a packet of its own, with the frame's
 * time and its own length (docs/output.md#decapsulation). */
static void packet_parts(ss_analyzer *a, int dlt, gint64 ts_ns, const guint8 *data,
			 guint32 caplen, guint32 wirelen)
{
	ss_frame_iter it = { 0, 0 };
	do {
		ss_packet *p = &a->batch_fill[a->batch_len];
		ss_reason r = ss_decode_parts(a->cfg.decode, a->frag, dlt, data, caplen, wirelen,
					      ts_ns, &it, p);
		take_packet(a, p, r, ts_ns, p->wirelen);
	} while (it.next != 0);
	a->summary.amsdu_frames++;
	a->summary.amsdu_subframes += it.subframes;
}

void ss_analyzer_packet(ss_analyzer *a, gint64 ts_ns, const guint8 *data,
			guint32 caplen, guint32 wirelen)
{
	ss_summary *s = &a->summary;
	s->packets++;
	s->bytes += wirelen;
	s->captured_bytes += caplen;
	if (s->first_ns == SS_NO_TIME || ts_ns < s->first_ns)
		s->first_ns = ts_ns;
	/* SS_NO_TIME is G_MININT64 (flow/conn.c asserts it): no packet is
	 * earlier, so the tests below need not name it */
	if (ts_ns > s->last_ns)
		s->last_ns = ts_ns;
	if (a->input) {
		a->input->packets++;
		if (ts_ns % 1000 != 0)
			a->input->nanosecond = TRUE;
		if (ts_ns < a->input_last_ns) {
			a->input->timestamps_backwards++;
			s->quality.timestamps_backwards++;
		}
		if (caplen < wirelen) {
			a->input->snaplen_cut++;
			s->quality.snaplen_cut++;
		}
	}
	a->input_last_ns = ts_ns;
	if (ts_ns % 1000 != 0)
		a->sub_us_seen = TRUE;

	/* Decoded straight into the next place of the batch.  An 802.11
	 * A-MSDU, which one call cannot return, is decoded again, one packet
	 * per subframe: one compare here instead of a loop on every packet
	 * (16 instructions per packet in ss_analyzer_packet, callgrind). */
	int dlt = a->input ? a->input->dlt : -1;
	ss_packet *p = &a->batch_fill[a->batch_len];
	ss_reason r = ss_decode_frag(a->cfg.decode, a->frag, dlt, data, caplen, wirelen, ts_ns, p);
	if (G_UNLIKELY(r == SS_REASON_WLAN_AMSDU)) {
		packet_parts(a, dlt, ts_ns, data, caplen, wirelen);
		return;
	}
	take_packet(a, p, r, ts_ns, wirelen);
}

void ss_analyzer_decoded(ss_analyzer *a, const ss_packet *p)
{
	a->summary.decoded++;
	if (p->l4 == SS_L4_TCP || p->l4 == SS_L4_UDP)
		a->summary.checksums[p->l4 == SS_L4_UDP][p->csum]++;
	ss_pipeline_flush(a);
	ss_lifecycle_packet(a->flows, p);
}

void ss_pipeline_flush(ss_analyzer *a)
{
	g_assert(a->track == NULL);   /* not while a feeding thread feeds */
	if (a->batch_len > 0)
		push_batch(a);
	ss_lifecycle_sync(a->flows);
}

/* The lifecycle's counters into a summary. */
void ss_pipeline_flow_stats(const ss_analyzer *a, ss_summary *s)
{
	const ss_lifecycle_stats *st = ss_lifecycle_get_stats(a->flows);
	memcpy(s->ended, st->ended, sizeof s->ended);
	s->max_flows_tracked = st->max_flows_tracked;
	s->icmp_errors_matched = st->icmp_errors_matched;
	s->icmp_errors_unmatched = st->icmp_errors_unmatched;
	s->flow_cap.evictions = st->evictions;
	s->flow_cap.resumed = st->resumed;
	s->flow_cap.continued = st->continued;
}

/* ---- the end of the capture ---- */

ss_report *ss_analyzer_finish(ss_analyzer *a)
{
	ss_pipeline_flush(a);
	ss_report *r = g_new0(ss_report, 1);
	/* Flows still in progress end with the capture, in order of first
	 * packet: streaming writes them so; keep-all sorts everything below
	 * (a total order: the result does not depend on this one), but its
	 * records are copied out of the slab as they end (flow/lifecycle.c,
	 * hand_over), so in this order the copies lie in memory as the passes
	 * below read them.  Ended in timeout-list order instead, those passes
	 * missed the cache on every record: bench/record-bench's roll-ups and
	 * jsonl lines took 60% longer a record on conc-20k.pcap, -F json on
	 * many-s.pcap 11% longer (docs/performance.md, "Results, 2026-12-07,
	 * tenth session"). */
	ss_lifecycle_end_all(a->flows, TRUE);
	a->finished = TRUE;
	/* Evicted records whose flow never came back end as they are. */
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, a->evicted);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		g_ptr_array_add(a->conns, value);
		g_hash_table_iter_steal(&it);
	}
	if (a->cfg.sink) {
		pipeline_stop(a);   /* everything below is this thread's again */
		sink_finished(a);   /* unless the sink's thread did */
	} else {
		/* Two passes over the records, in order of their first packet:
		 * learn from everything (handshakes prove listeners and ephemeral
		 * ports; every record counts for fan-in), then decide the records
		 * without proof with all of it known. */
		ss_conn_sort_first(a->conns);
		for (guint i = 0; i < a->conns->len; i++) {
			ss_conn *c = g_ptr_array_index(a->conns, i);
			look_ahead_conns(a, a->conns, i);
			ss_conn_finalize(c);
			ss_roles_note_record(a->roles, c);
			if (c->synack_side >= 0 && c->outcome != SS_OUTCOME_SIMULTANEOUS)
				ss_roles_note_synack(a->roles, c, c->synack_side);
			learn(a, c);
		}
		for (guint i = 0; i < a->conns->len; i++) {
			ss_conn *c = g_ptr_array_index(a->conns, i);
			look_ahead_conns(a, a->conns, i);
			ss_conn_finalize_with(c, a->roles);
			account(a, c);
		}
	}
	ss_pipeline_flow_stats(a, &a->summary);
	if (a->taken_listeners) {
		/* taken by the report thread after its last event */
		r->listeners = a->taken_listeners;
		r->hosts = a->taken_hosts;
		a->taken_listeners = a->taken_hosts = NULL;
	} else {
		take_rollups(a, &r->listeners, &r->hosts);
	}
	a->summary.listeners = r->listeners->len;
	a->summary.hosts = r->hosts->len;
	guint64 tunnels_dropped = 0;
	r->tunnels = ss_tunnels_take(a->tunnels, a->tunnel_conns, &tunnels_dropped);
	if (tunnels_dropped > 0)
		ss_analyzer_warn(a, "%" G_GUINT64_FORMAT " tunnelled packets came through tunnels "
				 "past the first %u, which are not listed as tunnels",
				 tunnels_dropped, (unsigned)SS_TUNNELS_MAX);
	ss_hosts_dropped hd;
	ss_hosts_get_dropped(a->hosts, &hd);
	a->summary.knowledge_dropped.endpoints = ss_roles_dropped(a->roles);
	a->summary.knowledge_dropped.hosts = hd.hosts;
	a->summary.knowledge_dropped.port_maps = hd.port_maps;
	a->summary.knowledge_dropped.destinations = hd.destinations;
	a->summary.knowledge_dropped.servers = hd.servers;
	/* Live inputs: what the kernel said it dropped (files never know). */
	for (guint i = 0; i < a->summary.inputs->len; i++) {
		const ss_input *in = g_ptr_array_index(a->summary.inputs, i);
		if (in->live && in->have_stats) {
			a->summary.quality.kernel_drops_known = TRUE;
			a->summary.quality.kernel_drops += in->kernel_dropped;
		}
	}
	a->summary.nanosecond = a->sub_us_seen;

	r->conns = a->conns ? a->conns : g_ptr_array_new_with_free_func(g_free);
	a->conns = NULL;
	r->summary = a->summary;
	memset(&a->summary, 0, sizeof a->summary);
	a->input = NULL;
	return r;
}

/* ---- live capture: wall-clock timeouts (snapshots: pipeline/snapshot.c) ---- */

void ss_analyzer_advance(ss_analyzer *a, gint64 now_ns)
{
	if (a->cfg.sink && !a->finished) {
		ss_pipeline_flush(a);
		ss_lifecycle_advance(a->flows, now_ns);
	}
}
