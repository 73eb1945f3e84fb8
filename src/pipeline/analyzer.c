/* The analysis pipeline: decode -> flow lookup -> connection tracking, and
 * at the end: roles and outcomes -> listener roll-up -> sorted report. */
#include "sockscope/analyzer.h"
#include "flow/conn-track.h"
#include "sockscope/decide.h"
#include "sockscope/hosts.h"
#include "sockscope/ipset.h"
#include "sockscope/roles.h"
#include "sockscope/util.h"

#include <netinet/in.h>
#include <string.h>

/* A list of records in one timeout class, least recently active first. */
typedef struct {
	ss_conn *head, *tail;
} conn_list;

typedef struct listeners listeners;

/* ---- the report pipeline ----
 *
 * Streaming from files, the work is split in three stages, each on its own
 * thread:
 *   packet thread   reading, decoding, flow tracking, timeouts;
 *   report thread   everything learned from records: role knowledge (as
 *                   records start and when they end), deciding each
 *                   finished record, host profiles and listeners;
 *   writer thread   the sink: findings, the jsonl line, IPFIX.
 * Each stage hands events to the next in batches through a fixed pool
 * (one queue of full batches, one of empty ones), so a slow stage makes
 * the one before it wait instead of piling up records, and threads meet
 * once per batch, not per record.  Order is kept at every step, so each
 * record is decided with exactly the knowledge a single thread would have
 * had and written in the same order: same bytes out.  Written records
 * travel back with the empty batches and become spares for new flows. */
typedef enum {
	EVENT_NOTE_RECORD,     /* report: a record started (ss_roles_note_record) */
	EVENT_NOTE_SYNACK,     /* report: its first SYN-ACK proves a listener */
	EVENT_RETIRE,          /* report: it ended: decide, roll up, pass on */
	EVENT_WRITE,           /* writer: hand it to the sink */
} event_kind;

typedef struct {
	ss_conn *conn;
	guint8 kind;           /* event_kind */
	gint8 side;            /* EVENT_NOTE_SYNACK: who sent it */
} stage_event;

/* 16 batches of 1024 a stage: at most ~16k records in flight in each. */
#define STAGE_BATCH 1024
#define STAGE_BATCHES 16

typedef struct {
	guint len;
	gboolean last;         /* the producer is done: stop after this batch */
	gboolean sync;         /* the producer waits until everything is applied */
	gint handed;           /* see stage_send() */
	ss_conn *recycled;     /* records written, back to the packet thread */
	stage_event ev[STAGE_BATCH];
} stage_batch;

typedef struct stage stage;
struct stage {
	GThread *thread;
	GAsyncQueue *full;     /* producer -> consumer */
	GAsyncQueue *empty;    /* and back */
	stage_batch *filling;  /* owned by the producer */
	stage_batch *batches;  /* the pool */
	ss_analyzer *a;
	/* Applies a batch on the consumer thread. */
	void (*consume)(ss_analyzer *a, stage_batch *b);
};

/* What a streamed TCP record leaves behind for reuse detection. */
typedef struct tombstone {
	ss_flow_key key;       /* first member: kept in an ss_flow_table */
	gint64 ended_ns;       /* its record's last packet */
	guint32 reuse_index;
	guint8 cause;          /* ss_reuse a new connection on the tuple gets */
	struct tombstone *next;
} tombstone;

/* TIME_WAIT lasts 60 s on Linux and up to 240 s on Windows; a tuple
 * reused within this window of its last packet is still marked reused
 * when streaming (keep-all mode remembers every tuple). */
#define SS_RECENT_TUPLE_NS (G_GINT64_CONSTANT(240) * 1000000000)
/* At about 90 bytes each, at most ~24 MB of remembered tuples. */
#define SS_RECENT_TUPLE_MAX 262144

struct ss_analyzer {
	ss_analyzer_config cfg;
	ss_flow_table *table;
	/* Records that ended (keep-all mode); records in progress are owned
	 * by the table and the timeout lists. */
	GPtrArray *conns;
	/* Streaming: tuples of TCP records written recently, so a new
	 * connection on one of them still says it reused the tuple. */
	ss_flow_table *recent;
	tombstone *recent_head, *recent_tail;   /* oldest first */
	gsize recent_len;
	conn_list lru[SS_TIMEOUT_COUNT];
	gint64 now_ns;             /* latest packet time seen (never goes back) */
	listeners *listeners;
	ss_summary summary;
	ss_input *input;           /* the current input */
	gboolean sub_us_seen;      /* a timestamp that is not a whole microsecond */
	guint64 next_seq;
	/* Role inference (src/roles.c) and the host view (src/hosts.c): learned
	 * incrementally when streaming, in a first pass at the end otherwise. */
	ss_hosts *hosts;
	ss_roles *roles;
	gint64 input_last_ns;      /* the current input's previous timestamp */
	stage *report;             /* the report pipeline, when there is one */
	stage *writer;             /* its second stage, driven by the report thread */
	/* Streaming: written records kept for new flows (linked by lru_next),
	 * so steady streaming allocates nothing per record. */
	ss_conn *spare;
	guint spare_len;
};

static void pipeline_start(ss_analyzer *a);
static void pipeline_stop(ss_analyzer *a);
static void free_conn_list(ss_conn *c);
static listeners *listeners_new(void);
static void listeners_add(listeners *ls, const ss_conn *c);
static GArray *listeners_take(listeners *ls);
static void listeners_free(listeners *ls);

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

static void input_free(gpointer p)
{
	ss_input *in = p;
	g_free(in->name);
	g_free(in->link_name);
	g_free(in->error);
	g_free(in);
}

ss_analyzer *ss_analyzer_new(const ss_analyzer_config *cfg)
{
	ss_analyzer *a = g_new0(ss_analyzer, 1);
	if (cfg)
		a->cfg = *cfg;
	else
		ss_analyzer_config_init(&a->cfg);
	guint64 k0 = a->cfg.hash_seed, k1 = a->cfg.hash_seed ^ 0x9e3779b97f4a7c15ULL;
	if (k0 == 0) {
		k0 = ((guint64)g_random_int() << 32) | g_random_int();
		k1 = ((guint64)g_random_int() << 32) | g_random_int();
	}
	a->table = ss_flow_table_new(k0, k1);
	a->recent = ss_flow_table_new(k0 ^ 0x5bd1e995u, k1);
	a->conns = g_ptr_array_new_with_free_func(g_free);
	a->listeners = listeners_new();
	a->hosts = ss_hosts_new(NULL);
	a->roles = ss_roles_new(NULL, a->hosts);
	a->now_ns = SS_NO_TIME;
	a->input_last_ns = SS_NO_TIME;
	a->summary.inputs = g_ptr_array_new_with_free_func(input_free);
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
	pipeline_stop(a);   /* it may still hold records of the lists below */
	free_conn_list(a->spare);
	ss_flow_table_free(a->table);
	ss_flow_table_free(a->recent);
	while (a->recent_head) {
		tombstone *t = a->recent_head;
		a->recent_head = t->next;
		g_free(t);
	}
	if (a->conns)
		g_ptr_array_unref(a->conns);
	/* Records in progress live only in these lists. */
	for (int k = 0; k < SS_TIMEOUT_COUNT; k++)
		free_conn_list(a->lru[k].head);
	if (a->listeners)
		listeners_free(a->listeners);
	ss_roles_free(a->roles);
	ss_hosts_free(a->hosts);
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

/* ---- timeout lists ---- */

static void lru_unlink(ss_analyzer *a, ss_conn *c)
{
	conn_list *l = &a->lru[c->timeout_class];
	if (c->lru_prev)
		c->lru_prev->lru_next = c->lru_next;
	else
		l->head = c->lru_next;
	if (c->lru_next)
		c->lru_next->lru_prev = c->lru_prev;
	else
		l->tail = c->lru_prev;
	c->lru_prev = c->lru_next = NULL;
}

static void lru_append(ss_analyzer *a, ss_conn *c, ss_timeout_class k)
{
	conn_list *l = &a->lru[k];
	c->timeout_class = (guint8)k;
	c->lru_next = NULL;
	c->lru_prev = l->tail;
	if (l->tail)
		l->tail->lru_next = c;
	else
		l->head = c;
	l->tail = c;
}

/* Accounts one decided record: listeners, hosts, summary counters.
 * Multicast and broadcast receivers are not listening sockets. */
static void account(ss_analyzer *a, const ss_conn *c)
{
	if (c->evidence != SS_EVIDENCE_MULTICAST && c->evidence != SS_EVIDENCE_BROADCAST)
		listeners_add(a->listeners, c);
	ss_hosts_add_conn(a->hosts, c);
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

static void recent_drop_oldest(ss_analyzer *a)
{
	tombstone *t = a->recent_head;
	a->recent_head = t->next;
	if (!a->recent_head)
		a->recent_tail = NULL;
	a->recent_len--;
	/* A newer tombstone may have replaced this one for the same tuple. */
	if (ss_flow_table_lookup(a->recent, &t->key) == t)
		ss_flow_table_remove(a->recent, &t->key);
	g_free(t);
}

/* Remembers the tuple of a streamed TCP record that closed or went idle. */
static void recent_add(ss_analyzer *a, const ss_conn *c, ss_end why)
{
	while (a->recent_head &&
	       (a->now_ns - a->recent_head->ended_ns > SS_RECENT_TUPLE_NS ||
		a->recent_len >= SS_RECENT_TUPLE_MAX))
		recent_drop_oldest(a);
	tombstone *t = g_new(tombstone, 1);
	t->key = c->key;
	t->ended_ns = c->last_ns;
	t->reuse_index = c->reuse_index;
	t->cause = (guint8)ss_conn_reuse_cause(c, why == SS_END_IDLE);
	t->next = NULL;
	ss_flow_table_replace(a->recent, t);   /* the old one stays in the list */
	if (a->recent_tail)
		a->recent_tail->next = t;
	else
		a->recent_head = t;
	a->recent_tail = t;
	a->recent_len++;
}

/* A TCP attempt that never got anything but a RST back: its roles are
 * proven by its SYN, and it carries nothing worth a record of its own once
 * the flow cap forces a choice. */
static gboolean failed_attempt(const ss_conn *c)
{
	if (c->proto != IPPROTO_TCP || c->syn_side < 0)
		return FALSE;
	guint8 answered = c->ep[!c->syn_side].sent & ~SS_SENT_RST;
	return answered == 0 && !(c->ep[c->syn_side].sent & (SS_SENT_DATA | SS_SENT_SYNACK));
}

static void free_conn_list(ss_conn *c)
{
	while (c) {
		ss_conn *next = c->lru_next;
		g_free(c);
		c = next;
	}
}

/* Puts the records of `chain` (linked by lru_next) on *list. */
static void chain_append(ss_conn **list, ss_conn *chain)
{
	if (!chain)
		return;
	ss_conn *tail = chain;
	while (tail->lru_next)
		tail = tail->lru_next;
	tail->lru_next = *list;
	*list = chain;
}

/* ---- stages ---- */

/* Every batch changes threads through a GAsyncQueue, whose lock already
 * orders the two threads' memory.  glib's GMutex is built on futexes that
 * ThreadSanitizer cannot see, so the hand-over is also stated with an
 * atomic release / acquire pair: redundant at run time (two instructions
 * a batch), it lets a -Db_sanitize=thread build check everything else. */
static void stage_send(GAsyncQueue *q, stage_batch *b)
{
	g_atomic_int_inc(&b->handed);
	g_async_queue_push(q, b);
}

static stage_batch *stage_receive(GAsyncQueue *q)
{
	stage_batch *b = g_async_queue_pop(q);
	(void)g_atomic_int_get(&b->handed);
	return b;
}

static gpointer stage_main(gpointer data)
{
	stage *st = data;
	for (;;) {
		stage_batch *b = stage_receive(st->full);
		st->consume(st->a, b);
		gboolean last = b->last;
		b->len = 0;
		b->last = b->sync = FALSE;
		stage_send(st->empty, b);
		if (last)
			return NULL;
	}
}

static void stage_free(stage *st)
{
	for (int i = 0; i < STAGE_BATCHES; i++)
		free_conn_list(st->batches[i].recycled);
	g_async_queue_unref(st->full);
	g_async_queue_unref(st->empty);
	g_free(st->batches);
	g_free(st);
}

/* A stage with its thread, or NULL when no thread could be had (the
 * producer then does the work itself, with the same result). */
static stage *stage_new(ss_analyzer *a, const char *name,
			void (*consume)(ss_analyzer *, stage_batch *))
{
	stage *st = g_new0(stage, 1);
	st->full = g_async_queue_new();
	st->empty = g_async_queue_new();
	st->batches = g_new0(stage_batch, STAGE_BATCHES);
	st->filling = &st->batches[0];
	for (int i = 1; i < STAGE_BATCHES; i++)
		g_async_queue_push(st->empty, &st->batches[i]);
	st->a = a;
	st->consume = consume;
	st->thread = g_thread_try_new(name, stage_main, st, NULL);
	if (!st->thread) {
		stage_free(st);
		return NULL;
	}
	return st;
}

/* Queues one event; when that fills the batch, sends it and waits for an
 * empty one.  Returns the records that came back written with it. */
static ss_conn *stage_put(stage *st, ss_conn *c, event_kind kind, int side)
{
	stage_batch *b = st->filling;
	b->ev[b->len].conn = c;
	b->ev[b->len].kind = (guint8)kind;
	b->ev[b->len].side = (gint8)side;
	if (++b->len < STAGE_BATCH)
		return NULL;
	stage_send(st->full, b);
	st->filling = stage_receive(st->empty);   /* waits for the consumer */
	ss_conn *back = st->filling->recycled;
	st->filling->recycled = NULL;
	return back;
}

/* Waits until the consumer has applied every event so far (and, through
 * `sync`, its own next stage has too); every batch of the pool is then
 * back with the producer.  Returns the records written meanwhile. */
static ss_conn *stage_drain(stage *st)
{
	st->filling->sync = TRUE;
	stage_send(st->full, st->filling);
	stage_batch *home[STAGE_BATCHES];
	ss_conn *back = NULL;
	for (int i = 0; i < STAGE_BATCHES; i++) {
		home[i] = stage_receive(st->empty);
		chain_append(&back, home[i]->recycled);
		home[i]->recycled = NULL;
	}
	st->filling = home[0];
	for (int i = 1; i < STAGE_BATCHES; i++)
		g_async_queue_push(st->empty, home[i]);
	return back;
}

/* Hands over the last events, waits for the consumer to end and frees the
 * stage (with any records still in its batches). */
static void stage_stop(stage *st)
{
	st->filling->last = TRUE;
	stage_send(st->full, st->filling);
	g_thread_join(st->thread);
	stage_free(st);
}

/* ---- the work of each stage ---- */

/* Enough spares for the flows that start while others end; more would
 * only keep memory from the roll-ups. */
#define SPARES_MAX 4096

/* Written records become spares, up to SPARES_MAX; the rest is freed.
 * Packet thread. */
static void keep_spares(ss_analyzer *a, ss_conn *chain)
{
	while (chain) {
		ss_conn *next = chain->lru_next;
		if (a->spare_len < SPARES_MAX) {
			chain->lru_next = a->spare;
			a->spare = chain;
			a->spare_len++;
		} else {
			g_free(chain);
		}
		chain = next;
	}
}

/* Writer: the record goes to the sink; its memory then goes on *spares
 * for a new record, while packets still come. */
static void write_record(ss_analyzer *a, ss_conn *c, ss_conn **spares)
{
	a->cfg.sink(c, a->cfg.sink_data);
	if (c->ended_by == SS_END_CAPTURE) {
		g_free(c);   /* the capture is over: no new record will need it */
		return;
	}
	c->lru_next = *spares;
	*spares = c;
}

static void writer_consume(ss_analyzer *a, stage_batch *b)
{
	for (guint i = 0; i < b->len; i++)
		write_record(a, b->ev[i].conn, &b->recycled);
}

/* Report: a finished record is decided with what the capture taught so
 * far (docs/inference.md), rolled up, and passed on to be written. */
static void report_record(ss_analyzer *a, ss_conn *c, ss_conn **spares)
{
	ss_conn_finalize_with(c, a->roles);
	account(a, c);
	learn(a, c);
	if (a->writer)
		chain_append(spares, stage_put(a->writer, c, EVENT_WRITE, -1));
	else
		write_record(a, c, spares);
}

static void report_apply(ss_analyzer *a, const stage_event *e, ss_conn **spares)
{
	switch ((event_kind)e->kind) {
	case EVENT_NOTE_RECORD:
		ss_roles_note_record(a->roles, e->conn);
		break;
	case EVENT_NOTE_SYNACK:
		ss_roles_note_synack(a->roles, e->conn, e->side);
		break;
	case EVENT_RETIRE:
		report_record(a, e->conn, spares);
		break;
	case EVENT_WRITE:
		g_assert_not_reached();
	}
}

static void report_consume(ss_analyzer *a, stage_batch *b)
{
	for (guint i = 0; i < b->len; i++)
		report_apply(a, &b->ev[i], &b->recycled);
	if (a->writer && b->sync)
		chain_append(&b->recycled, stage_drain(a->writer));
	if (a->writer && b->last) {
		/* The writer's batches hold no written record the packet thread
		 * still needs: the capture is over. */
		stage_stop(a->writer);
		a->writer = NULL;
	}
}

/* Starts the report and writer threads (the writer is started first: the
 * report thread then owns it).  With no report thread the packet thread
 * does everything; with no writer thread the report thread writes. */
static void pipeline_start(ss_analyzer *a)
{
	a->writer = stage_new(a, "sockscope-write", writer_consume);
	a->report = stage_new(a, "sockscope-report", report_consume);
	if (!a->report && a->writer) {
		stage_stop(a->writer);
		a->writer = NULL;
	}
}

/* Packet thread: one event for the report stage, or applied at once. */
static void report_put(ss_analyzer *a, ss_conn *c, event_kind kind, int side)
{
	ss_conn *written = NULL;
	if (a->report) {
		written = stage_put(a->report, c, kind, side);
	} else {
		stage_event e = { c, (guint8)kind, (gint8)side };
		report_apply(a, &e, &written);
	}
	keep_spares(a, written);
}

/* Waits until every event so far is applied and written, and both threads
 * are idle: the packet thread may then read what they own (a snapshot). */
static void pipeline_drain(ss_analyzer *a)
{
	if (a->report)
		keep_spares(a, stage_drain(a->report));
}

/* Hands over the last events and waits for both threads to end. */
static void pipeline_stop(ss_analyzer *a)
{
	if (!a->report)
		return;
	stage_stop(a->report);
	a->report = NULL;
}

/* A record is finished: take it out of the table and the timeout lists;
 * when streaming, pass it to the report pipeline, which decides its roles,
 * rolls it up, writes it and hands its memory back for a new record.
 * `in_table` is FALSE when a newer record already took its key. */
static void retire(ss_analyzer *a, ss_conn *c, ss_end why, gboolean in_table)
{
	c->ended_by = (guint8)why;
	a->summary.ended[why]++;
	lru_unlink(a, c);
	if (in_table)
		ss_flow_table_remove(a->table, &c->key);
	if (!a->cfg.sink) {
		/* Keep-all: decided at the end with everything known.  Under the
		 * flow cap, a failed attempt (a SYN flood, a scan) is folded into
		 * its listener's counts now, so floods cannot exhaust memory. */
		if (why == SS_END_EVICTED && failed_attempt(c)) {
			ss_conn_finalize_with(c, a->roles);
			account(a, c);
			learn(a, c);
			a->summary.aggregated_attempts++;
			g_free(c);
			return;
		}
		g_ptr_array_add(a->conns, c);
		return;
	}
	if (c->proto == IPPROTO_TCP && (why == SS_END_CLOSED || why == SS_END_IDLE))
		recent_add(a, c, why);
	/* From here on the record belongs to the report thread. */
	report_put(a, c, EVENT_RETIRE, -1);
}

/* Retires every record whose timeout has passed at packet time `now`. */
static void expire(ss_analyzer *a, gint64 now)
{
	for (int k = 0; k < SS_TIMEOUT_COUNT; k++) {
		gint64 timeout = a->cfg.timeout_ns[k];
		conn_list *l = &a->lru[k];
		while (l->head && now - l->head->last_ns > timeout)
			retire(a, l->head, k == SS_TIMEOUT_CLOSED ? SS_END_CLOSED : SS_END_IDLE, TRUE);
	}
}

/* The least recently active record of all classes. */
static ss_conn *idlest(ss_analyzer *a)
{
	ss_conn *best = NULL;
	for (int k = 0; k < SS_TIMEOUT_COUNT; k++) {
		ss_conn *c = a->lru[k].head;
		if (c && (!best || c->last_ns < best->last_ns))
			best = c;
	}
	return best;
}

static ss_conn *new_conn(ss_analyzer *a, const ss_flow_key *key, int src_key_side,
			 const ss_packet *p)
{
	ss_conn *c = a->spare;
	if (c) {
		a->spare = c->lru_next;
		a->spare_len--;
	} else
		c = g_new(ss_conn, 1);
	ss_conn_init(c, key, src_key_side, p);
	c->seq = a->next_seq++;
	c->last_ns = p->ts_ns;
	/* Records in progress live in the table and the timeout lists; they
	 * reach a->conns (keep-all) or the sink when they end. */
	if (a->cfg.sink)
		report_put(a, c, EVENT_NOTE_RECORD, -1);   /* fan-in, learned as records start */
	lru_append(a, c, ss_conn_timeout_class(c));
	return c;
}

/* A new connection's SYN on a tuple written recently reuses it. */
static void mark_recent_reuse(ss_analyzer *a, ss_conn *c, const ss_flow_key *key)
{
	tombstone *t = ss_flow_table_lookup(a->recent, key);
	if (!t || a->now_ns - t->ended_ns > SS_RECENT_TUPLE_NS)
		return;
	c->reuse = (ss_reuse)t->cause;
	c->reuse_index = t->reuse_index + 1;
	/* The list entry goes when it ages out; the table forgets it now. */
	ss_flow_table_remove(a->recent, key);
}

static void track_transport(ss_analyzer *a, const ss_packet *p)
{
	ss_flow_key key;
	int src_key_side = ss_flow_key_make(&key, p->family, p->ip_proto, &p->src, p->sport,
					    &p->dst, p->dport);
	/* One hash per packet: the look-up and, for a new flow, the insert. */
	guint64 h = ss_flow_table_hash(a->table, &key);
	ss_conn *c = ss_flow_table_lookup_hashed(a->table, &key, h);
	if (!c) {
		if (a->cfg.max_flows && ss_flow_table_size(a->table) >= a->cfg.max_flows)
			retire(a, idlest(a), SS_END_EVICTED, TRUE);
		c = new_conn(a, &key, src_key_side, p);
		ss_flow_table_insert_hashed(a->table, c, h);
		if (a->cfg.sink && p->l4 == SS_L4_TCP &&
		    (p->tcp.flags & (SS_TCP_SYN | SS_TCP_ACK | SS_TCP_RST)) == SS_TCP_SYN)
			mark_recent_reuse(a, c, &key);
		gsize n = ss_flow_table_size(a->table);
		if (n > a->summary.max_flows_tracked)
			a->summary.max_flows_tracked = n;
	} else {
		ss_reuse cause;
		int side = ss_conn_side(c, src_key_side);
		if (p->l4 == SS_L4_TCP &&
		    ss_conn_tcp_starts_new(c, side, p, a->cfg.reuse_idle_ns, &cause)) {
			ss_conn *old = c;
			c = new_conn(a, &key, src_key_side, p);
			c->reuse = cause;
			c->reuse_index = old->reuse_index + 1;
			ss_flow_table_replace(a->table, c);
			retire(a, old, SS_END_REUSED, FALSE);
		}
	}
	gint8 synack_side = c->synack_side;
	ss_conn_update(c, ss_conn_side(c, src_key_side), p);
	/* Streaming: the first SYN-ACK of a record proves a listener at once. */
	if (a->cfg.sink && synack_side < 0 && c->synack_side >= 0 &&
	    !((c->ep[0].sent & SS_SENT_SYN) && (c->ep[1].sent & SS_SENT_SYN)))
		report_put(a, c, EVENT_NOTE_SYNACK, c->synack_side);

	/* Keep the timeout lists in order of last activity. */
	ss_timeout_class k = ss_conn_timeout_class(c);
	if (k != c->timeout_class || a->lru[k].tail != c) {
		lru_unlink(a, c);
		lru_append(a, c, k);
	}
}

static void track_icmp_error(ss_analyzer *a, const ss_packet *p)
{
	const ss_icmp_quote *q = &p->icmp;
	ss_flow_key key;
	int src_key_side = ss_flow_key_make(&key, q->family, q->proto, &q->src, q->sport,
					    &q->dst, q->dport);
	ss_conn *c = ss_flow_table_lookup(a->table, &key);
	if (!c) {
		a->summary.icmp_errors_unmatched++;
		return;
	}
	a->summary.icmp_errors_matched++;
	ss_conn_icmp_error(c, ss_conn_side(c, src_key_side), p);
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
	if (s->last_ns == SS_NO_TIME || ts_ns > s->last_ns)
		s->last_ns = ts_ns;
	if (a->input) {
		a->input->packets++;
		if (ts_ns % 1000 != 0)
			a->input->nanosecond = TRUE;
		if (a->input_last_ns != SS_NO_TIME && ts_ns < a->input_last_ns) {
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

	ss_packet p;
	ss_reason r = ss_decode(a->input ? a->input->dlt : -1, data, caplen, wirelen, &p);
	s->reasons[r]++;
	if (r != SS_REASON_OK)
		return;
	p.ts_ns = ts_ns;
	ss_analyzer_decoded(a, &p);
}

void ss_analyzer_decoded(ss_analyzer *a, const ss_packet *p)
{
	a->summary.decoded++;
	/* Packet time drives timeouts; a capture whose clock steps back does
	 * not bring flows back to life. */
	if (a->now_ns == SS_NO_TIME || p->ts_ns > a->now_ns) {
		a->now_ns = p->ts_ns;
		if (a->cfg.sink)
			expire(a, a->now_ns);
	}
	switch (p->l4) {
	case SS_L4_TCP:
	case SS_L4_UDP:
		track_transport(a, p);
		break;
	case SS_L4_ICMP_ERROR:
		track_icmp_error(a, p);
		break;
	default:
		break;
	}
}

/* ---- the end of the capture ---- */

static gint cmp_conn(gconstpointer pa, gconstpointer pb)
{
	const ss_conn *a = *(ss_conn *const *)pa, *b = *(ss_conn *const *)pb;
	gint64 ta, tb, la, lb;
	ss_conn_span(a, &ta, &la);
	ss_conn_span(b, &tb, &lb);
	if (ta != tb)
		return ta < tb ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

typedef struct {
	guint8 proto, family;
	guint16 port;
	ss_ip ip;
} listener_key;

SS_BYTES_KEY_FUNCS(listener_key, listener_key)

static gint cmp_listener(gconstpointer pa, gconstpointer pb)
{
	const ss_listener *a = pa, *b = pb;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int c = memcmp(a->ip.bytes, b->ip.bytes, sizeof a->ip.bytes);
	if (c != 0)
		return c;
	return (a->port > b->port) - (a->port < b->port);
}

static gboolean outcome_answered(ss_outcome o)
{
	return o == SS_OUTCOME_COMPLETE || o == SS_OUTCOME_INCOMPLETE ||
	       o == SS_OUTCOME_MIDSTREAM || o == SS_OUTCOME_ANSWERED;
}

typedef struct {
	ss_listener l;
	ss_ip_set clients;
} listener_acc;

static void listener_acc_free(gpointer p)
{
	listener_acc *acc = p;
	ss_ip_set_clear(&acc->clients);
	g_free(acc);
}

struct listeners {
	GHashTable *by_key;    /* listener_key* -> listener_acc* */
};

static listeners *listeners_new(void)
{
	listeners *ls = g_new0(listeners, 1);
	ls->by_key = g_hash_table_new_full(listener_key_hash, listener_key_equal, g_free,
					   listener_acc_free);
	return ls;
}

static void listeners_free(listeners *ls)
{
	g_hash_table_destroy(ls->by_key);
	g_free(ls);
}

/* Accounts one finalized record to the listening socket it reached. */
static void listeners_add(listeners *ls, const ss_conn *c)
{
	/* Both ends of a simultaneous open connected: nobody listened. */
	if (c->outcome == SS_OUTCOME_SIMULTANEOUS)
		return;
	const ss_endpoint *sv = ss_conn_server(c), *cl = ss_conn_client(c);
	listener_key k;
	memset(&k, 0, sizeof k);
	k.proto = c->proto;
	k.family = c->family;
	k.port = sv->port;
	k.ip = sv->ip;
	listener_acc *acc = g_hash_table_lookup(ls->by_key, &k);
	if (!acc) {
		acc = g_new0(listener_acc, 1);
		acc->l.proto = c->proto;
		acc->l.family = c->family;
		acc->l.ip = sv->ip;
		acc->l.port = sv->port;
		acc->l.state = SS_LISTENER_FILTERED;
		acc->l.confidence = c->confidence;
		acc->l.first_ns = acc->l.last_ns = SS_NO_TIME;
		acc->l.service = ss_service_name(c->proto, sv->port);
		g_hash_table_insert(ls->by_key, g_memdup2(&k, sizeof k), acc);
	}
	ss_listener *l = &acc->l;
	l->connections++;
	l->outcomes[c->outcome]++;
	l->confidence = MAX(l->confidence, c->confidence);
	if (outcome_answered(c->outcome))
		l->state = SS_LISTENER_OPEN;
	else if (c->outcome == SS_OUTCOME_REJECTED && l->state != SS_LISTENER_OPEN)
		l->state = SS_LISTENER_CLOSED;
	gint64 first, last;
	ss_conn_span(c, &first, &last);
	if (l->first_ns == SS_NO_TIME || first < l->first_ns)
		l->first_ns = first;
	if (l->last_ns == SS_NO_TIME || c->last_ns > l->last_ns)
		l->last_ns = c->last_ns;
	if (ss_ip_set_size(&acc->clients) < SS_LISTENER_MAX_CLIENTS)
		ss_ip_set_add(&acc->clients, &cl->ip);
	else if (!ss_ip_set_contains(&acc->clients, &cl->ip))
		l->clients_capped = TRUE;
}

/* The listeners so far, sorted; the accumulator is left empty. */
static GArray *listeners_take(listeners *ls)
{
	GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(ss_listener),
					g_hash_table_size(ls->by_key));
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, ls->by_key);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		listener_acc *acc = value;
		acc->l.clients = ss_ip_set_size(&acc->clients);
		g_array_append_val(out, acc->l);
	}
	g_hash_table_remove_all(ls->by_key);
	g_array_sort(out, cmp_listener);
	return out;
}

ss_report *ss_analyzer_finish(ss_analyzer *a)
{
	ss_report *r = g_new0(ss_report, 1);
	if (a->cfg.sink) {
		/* Flows still in progress end with the capture, oldest first. */
		GPtrArray *left = g_ptr_array_new();
		for (int k = 0; k < SS_TIMEOUT_COUNT; k++)
			for (ss_conn *c = a->lru[k].head; c; c = c->lru_next)
				g_ptr_array_add(left, c);
		g_ptr_array_sort(left, cmp_conn);
		for (guint i = 0; i < left->len; i++)
			retire(a, g_ptr_array_index(left, i), SS_END_CAPTURE, TRUE);
		g_ptr_array_unref(left);
		pipeline_stop(a);   /* everything below is this thread's again */
	} else {
		/* Flows still in progress end with the capture. */
		for (int k = 0; k < SS_TIMEOUT_COUNT; k++) {
			for (ss_conn *c = a->lru[k].head; c; c = c->lru_next)
				g_ptr_array_add(a->conns, c);
			a->lru[k].head = a->lru[k].tail = NULL;
		}
		/* Two passes over the records, in order of their first packet:
		 * learn from everything (handshakes prove listeners and ephemeral
		 * ports; every record counts for fan-in), then decide the records
		 * without proof with all of it known. */
		g_ptr_array_sort(a->conns, cmp_conn);
		for (guint i = 0; i < a->conns->len; i++) {
			ss_conn *c = g_ptr_array_index(a->conns, i);
			if (c->ended_by == SS_END_CAPTURE)
				a->summary.ended[SS_END_CAPTURE]++;
			ss_conn_finalize(c);
			ss_roles_note_record(a->roles, c);
			if (c->synack_side >= 0 && c->outcome != SS_OUTCOME_SIMULTANEOUS)
				ss_roles_note_synack(a->roles, c, c->synack_side);
			learn(a, c);
		}
		for (guint i = 0; i < a->conns->len; i++) {
			ss_conn *c = g_ptr_array_index(a->conns, i);
			ss_conn_finalize_with(c, a->roles);
			account(a, c);
		}
	}
	r->listeners = listeners_take(a->listeners);
	a->summary.listeners = r->listeners->len;
	r->hosts = ss_hosts_take(a->hosts, r->listeners);
	a->summary.hosts = r->hosts->len;
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
	ss_flow_table_free(a->table);
	a->table = NULL;
	a->input = NULL;
	return r;
}

/* ---- live capture: wall-clock timeouts and snapshots (--interval) ---- */

void ss_analyzer_advance(ss_analyzer *a, gint64 now_ns)
{
	/* Only retires; packet time (a->now_ns) is left to the packets. */
	if (a->cfg.sink && a->table && now_ns != SS_NO_TIME)
		expire(a, now_ns);
}

/* Accounts a copy of record c, decided as if the capture ended now. */
static void snapshot_conn(const ss_conn *c, listeners *ls, ss_report *r, guint64 from_seq)
{
	ss_conn tmp = *c;
	tmp.lru_prev = tmp.lru_next = NULL;
	ss_conn_finalize(&tmp);
	listeners_add(ls, &tmp);
	if (tmp.proto == IPPROTO_TCP)
		r->summary.tcp_connections++;
	else
		r->summary.udp_exchanges++;
	if (tmp.reuse != SS_REUSE_NONE)
		r->summary.reused_tuples++;
	if (tmp.seq >= from_seq)
		g_ptr_array_add(r->conns, g_memdup2(&tmp, sizeof tmp));
}

ss_report *ss_analyzer_snapshot(ss_analyzer *a, guint64 from_seq, guint64 *next_seq)
{
	pipeline_drain(a);   /* listeners and counters are the report thread's */
	ss_report *r = g_new0(ss_report, 1);
	r->summary = a->summary;
	r->summary.inputs = g_ptr_array_new_with_free_func(input_free);
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
	listeners *ls = listeners_new();
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init(&it, a->listeners->by_key);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		const listener_acc *src = value;
		listener_acc *acc = g_new0(listener_acc, 1);
		acc->l = src->l;
		ss_ip_set_copy(&acc->clients, &src->clients);
		g_hash_table_insert(ls->by_key, g_memdup2(key, sizeof(listener_key)), acc);
	}
	/* ...and of every record still held, decided as if it ended now:
	 * those in progress, and (keep-all) those already ended. */
	for (int k = 0; k < SS_TIMEOUT_COUNT; k++)
		for (ss_conn *c = a->lru[k].head; c; c = c->lru_next)
			snapshot_conn(c, ls, r, from_seq);
	if (!a->cfg.sink && a->conns) {
		for (guint i = 0; i < a->conns->len; i++)
			snapshot_conn(g_ptr_array_index(a->conns, i), ls, r, from_seq);
	}
	g_ptr_array_sort(r->conns, cmp_conn);
	r->listeners = listeners_take(ls);
	listeners_free(ls);
	r->summary.listeners = r->listeners->len;
	if (next_seq)
		*next_seq = a->next_seq;
	return r;
}
