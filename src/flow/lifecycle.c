/* The flow lifecycle (flow/lifecycle.h): the flow table, the timeout lists,
 * the flow cap's eviction, tombstones of recently written TCP tuples and
 * the spare records.  It raises on_start / on_synack / on_end and leaves
 * their meaning to the caller (src/pipeline/analyzer.c), so it can be
 * driven and checked without threads. */
#include "flow/lifecycle.h"
#include "flow/conn-track.h"
#include "flow/ring-index.h"
#include "flow/slab.h"
#include "sockscope/flow.h"

#include <netinet/in.h>

/* A list of records in one timeout class, least recently active first,
 * linked through the records by their 32-bit names (conn_at()). */
typedef struct {
	ss_conn *head, *tail;
} conn_list;

/* What a streamed TCP record (or one the cap evicted) leaves behind for
 * reuse detection: 32 bytes.  Its key is kept in 12 of them when it is an
 * untunnelled IPv4 key (its addresses and ports; the rest of such a key is
 * known), and otherwise in the lifecycle's queue of wide keys
 * (recent_wide), named by its place there.  Whole keys made a tombstone 64
 * bytes, and many-flows.pcap's full ring (2^18 of them) 16 MiB held at the
 * packet phase's end, its peak RSS (docs/performance.md, "Record memory,
 * eleventh session"). */
typedef struct {
	gint64 ended_ns;       /* its record's last packet */
	guint32 reuse_index;
	guint16 port[2];       /* the key's */
	union {
		guint32 addr4[2];  /* narrow: the key's IPv4 addresses */
		guint32 wide_seq;  /* wide: its key's place in recent_wide */
	};
	guint8 proto;          /* the key's */
	guint8 cause : 3;      /* ss_reuse a new connection on the tuple gets */
	guint8 evicted : 1;    /* the flow cap evicted it: a return continues it */
	guint8 wide : 1;       /* its key is in recent_wide */
} tombstone;

G_STATIC_ASSERT(sizeof(tombstone) == 32);

/* TIME_WAIT lasts 60 s on Linux and up to 240 s on Windows; a tuple
 * reused within this window of its last packet is still marked reused
 * when streaming (keep-all mode remembers every tuple).  An evicted tuple
 * is remembered as long, in both modes. */
#define SS_RECENT_TUPLE_NS (G_GINT64_CONSTANT(240) * 1000000000)
/* At most this many remembered tuples (a power of two): 32 bytes each in
 * one ring, 8 MiB once it has filled (its pages are touched as it does),
 * and 48 more for each whose key is not narrow (tombstone). */
#define SS_RECENT_TUPLE_MAX SS_RING_INDEX_MAX

/* Enough spares for the flows that start while others end; more would
 * only keep memory from the roll-ups. */
#define SPARES_MAX 4096

/* A TCP/UDP packet's flow: its key, which key side sent it, and the key's
 * hash, made once per packet (the look-up and, for a new flow, the insert
 * use the same hash); and its hash in the tombstones' index, 0 until a
 * batch's hint has made it (a new flow's look-up there then reuses it). */
typedef struct {
	ss_flow_key key;
	guint64 hash;
	guint64 recent_hash;
	int src_key_side;
} flow_ref;

struct ss_lifecycle {
	ss_lifecycle_config cfg;
	ss_lifecycle_hooks hooks;
	/* Records in progress are owned by the table and the timeout lists
	 * until on_end hands them over. */
	ss_flow_table *table;      /* NULL once the capture is over */
	conn_list lru[SS_TIMEOUT_COUNT];
	/* What the records' list links count from: the slab's base.  A link
	 * is (record - ref_base) / 8 in 32 bits, 0 for none (conn_at()). */
	const char *ref_base;
	/* No record can time out at or before this packet time: the earliest
	 * head's last packet plus its class's timeout, or lower (kept by
	 * lru_unlink and lru_append whenever a list gets a new head), so
	 * expire() returns at once for nearly every packet instead of looking
	 * at four list heads (records in different lines).  G_MAXINT64: none. */
	gint64 expire_at;
	/* Streaming: tuples of TCP records written recently, so a new
	 * connection on one of them still says it reused the tuple.  Indexed
	 * by ring position in 8-byte slots (flow/ring-index.h): at a full ring
	 * 4 MiB held instead of the pointer table's 8 (peak RSS -3.8 MB on
	 * many-flows.pcap, CPU unchanged; docs/performance.md). */
	ss_ring_index recent;
	/* The tombstones, oldest first, in a ring of SS_RECENT_TUPLE_MAX made
	 * at the first one: a tuple's tombstone is written once and dropped
	 * in order, so a ring does it without a malloc and a free each
	 * (~450k of them with 2M flows). */
	tombstone *recent_ring;
	gsize recent_first, recent_len;
	/* The keys of the tombstones that do not keep theirs (IPv6 and
	 * tunnelled ones), in the ring's order: a queue of recent_wide_cap (a
	 * power of two, grown as needed), key number n at n % cap; numbers
	 * wide_first up to wide_next are held (32-bit numbers: they wrap
	 * together). */
	ss_flow_key *recent_wide;
	guint32 recent_wide_cap;
	guint32 wide_first, wide_next;
	gint64 now_ns;             /* latest packet time seen (never goes back) */
	guint64 next_seq;
	/* Without cfg.slab: whole records the hooks are done with (linked by
	 * next_spare), kept for the copies on_end is handed (hand_over()). */
	ss_conn *spare;
	guint spare_len;
	/* Where records in progress come from (flow/slab.h), with or without
	 * cfg.slab: the list links name records by their place in it.  With
	 * cfg.slab the hooks' spares go back to it too. */
	ss_conn_slab *slab;
	gboolean slab_closed;
	ss_lifecycle_stats stats;
	/* The batch ss_lifecycle_push() took last, not tracked yet (the
	 * caller keeps its packets unchanged until the next push or sync),
	 * and its flow_refs: refs[ahead_ref]; the next batch's go in the
	 * other half. */
	const ss_packet *ahead;
	guint ahead_n;
	guint ahead_ref;
	flow_ref refs[2][SS_LIFECYCLE_BATCH];
};

/* The record a list link names (not 0): the slab's base plus 8 bytes a
 * unit, a shift and an add on the per-packet path, the base read from
 * this struct, which every packet reads (no table of chunks to load). */
static inline ss_conn *conn_named(const ss_lifecycle *lc, guint32 ref)
{
	return (ss_conn *)(lc->ref_base + ((gsize)ref << 3));
}

/* The same, NULL for 0 (none). */
static inline ss_conn *conn_at(const ss_lifecycle *lc, guint32 ref)
{
	return ref ? conn_named(lc, ref) : NULL;
}

/* Record c's name in list links (c from the slab: never 0), 0 for NULL. */
static inline guint32 conn_ref(const ss_lifecycle *lc, const ss_conn *c)
{
	return c ? (guint32)((gsize)((const char *)c - lc->ref_base) >> 3) : 0;
}

/* Frees a chain of whole records (linked by next_spare) kept as spares
 * without cfg.slab. */
static void free_spares(ss_conn *c)
{
	while (c) {
		ss_conn *next = c->next_spare;
		g_free(c);
		c = next;
	}
}

/* Frees a timeout list's records (from the slab). */
static void free_conn_list(ss_lifecycle *lc, ss_conn *c)
{
	while (c) {
		ss_conn *next = conn_at(lc, c->lru_next);
		ss_conn_slab_release(c);
		c = next;
	}
}

/* The capture is over: the slab makes no record again, and frees each
 * chunk as its last record is released. */
static void close_slab(ss_lifecycle *lc)
{
	ss_conn_slab_close(lc->slab);
	lc->slab_closed = TRUE;
}

static const ss_flow_key *tombstone_key_at(const void *lc, gsize pos, ss_flow_key *scratch);

ss_lifecycle *ss_lifecycle_new(const ss_lifecycle_config *cfg, const ss_lifecycle_hooks *hooks)
{
	ss_lifecycle *lc = g_new0(ss_lifecycle, 1);
	lc->cfg = *cfg;
	if (hooks)
		lc->hooks = *hooks;
	guint64 k0 = cfg->hash_seed, k1 = cfg->hash_seed ^ 0x9e3779b97f4a7c15ULL;
	if (k0 == 0) {
		k0 = ((guint64)g_random_int() << 32) | g_random_int();
		k1 = ((guint64)g_random_int() << 32) | g_random_int();
	}
	lc->table = ss_flow_table_new(k0, k1);
	ss_flow_table_set_bound(lc->table, cfg->max_flows);
	ss_ring_index_init(&lc->recent, tombstone_key_at, lc, k0 ^ 0x5bd1e995u, k1);
	lc->now_ns = SS_NO_TIME;
	lc->expire_at = G_MAXINT64;
	lc->slab = ss_conn_slab_new(cfg->slab && cfg->slab_prefault, cfg->slab_large);
	lc->ref_base = ss_conn_slab_base(lc->slab);
	return lc;
}

void ss_lifecycle_free(ss_lifecycle *lc)
{
	if (!lc)
		return;
	free_spares(lc->spare);
	if (!lc->slab_closed)
		close_slab(lc);
	ss_flow_table_free(lc->table);
	ss_ring_index_clear(&lc->recent);
	g_free(lc->recent_ring);
	g_free(lc->recent_wide);
	/* Records in progress live only in these lists. */
	for (int k = 0; k < SS_TIMEOUT_COUNT; k++)
		free_conn_list(lc, lc->lru[k].head);
	g_free(lc);
}

const ss_lifecycle_stats *ss_lifecycle_get_stats(const ss_lifecycle *lc)
{
	return &lc->stats;
}

guint64 ss_lifecycle_next_seq(const ss_lifecycle *lc)
{
	return lc->next_seq;
}

void ss_lifecycle_add_spares(ss_lifecycle *lc, ss_conn *chain)
{
	if (!chain)
		return;   /* most calls: the report hands back nothing */
	if (lc->cfg.slab) {
		if (lc->slab_closed) {
			/* no record will be made again */
			while (chain) {
				ss_conn *next = chain->next_spare;
				ss_conn_slab_release(chain);
				chain = next;
			}
		} else {
			ss_conn_slab_put_chain(lc->slab, chain);   /* whole, not walked */
		}
		return;
	}
	while (chain) {
		ss_conn *next = chain->next_spare;
		if (lc->spare_len < SPARES_MAX) {
			chain->next_spare = lc->spare;
			lc->spare = chain;
			lc->spare_len++;
		} else {
			g_free(chain);
		}
		chain = next;
	}
}

/* ---- timeout lists ---- */

/* When record c, the head of class k's list, times out: the first packet
 * time past last_ns + timeout (saturating: a timeout may be G_MAXINT64). */
static gint64 head_expiry(const ss_lifecycle *lc, const ss_conn *c, int k)
{
	gint64 t = lc->cfg.timeout_ns[k], last = ss_conn_last_ns(c);
	if (last == SS_NO_TIME || t < 0)
		return G_MININT64;   /* not worth a bound: always look */
	if (last > G_MAXINT64 - t)
		return G_MAXINT64;
	return last + t;
}

/* A list has a new head: expiry may come sooner. */
static void note_head(ss_lifecycle *lc, const ss_conn *c, int k)
{
	gint64 at = head_expiry(lc, c, k);
	if (at < lc->expire_at)
		lc->expire_at = at;
}

static inline void lru_unlink(ss_lifecycle *lc, ss_conn *c)
{
	conn_list *l = &lc->lru[c->timeout_class];
	guint32 prev = c->lru_prev, next = c->lru_next;
	if (prev) {
		conn_named(lc, prev)->lru_next = next;
	} else {
		l->head = conn_at(lc, next);
		if (next)
			note_head(lc, l->head, c->timeout_class);
	}
	if (next)
		conn_named(lc, next)->lru_prev = prev;
	else
		l->tail = conn_at(lc, prev);
	c->lru_prev = c->lru_next = 0;
}

static void lru_append(ss_lifecycle *lc, ss_conn *c, ss_timeout_class k)
{
	conn_list *l = &lc->lru[k];
	c->timeout_class = (guint8)k;
	c->lru_next = 0;
	c->lru_prev = conn_ref(lc, l->tail);
	if (l->tail) {
		l->tail->lru_next = (guint32)((gsize)((const char *)c - lc->ref_base) >> 3);
	} else {
		l->head = c;
		note_head(lc, c, k);
	}
	l->tail = c;
}

void ss_lifecycle_foreach(const ss_lifecycle *lc, void (*fn)(const ss_conn *c, void *data),
			  void *data)
{
	for (int k = 0; k < SS_TIMEOUT_COUNT; k++)
		for (const ss_conn *c = lc->lru[k].head; c; c = conn_at(lc, c->lru_next))
			fn(c, data);
}

/* ---- tombstones ---- */

G_STATIC_ASSERT((SS_RECENT_TUPLE_MAX & (SS_RECENT_TUPLE_MAX - 1)) == 0);

/* The ring position of the i-th oldest tombstone. */
static gsize recent_pos(const ss_lifecycle *lc, gsize i)
{
	return (lc->recent_first + i) & (SS_RECENT_TUPLE_MAX - 1);
}

static tombstone *recent_at(const ss_lifecycle *lc, gsize i)
{
	return &lc->recent_ring[recent_pos(lc, i)];
}

static guint64 recent_hash(const ss_lifecycle *lc, const ss_flow_key *key)
{
	return ss_ring_index_hash(&lc->recent, key);
}

/* The key tombstone t keeps: its place in recent_wide, or built in
 * *scratch from its 12 bytes (tombstone). */
static const ss_flow_key *tombstone_key(const ss_lifecycle *lc, const tombstone *t,
					ss_flow_key *scratch)
{
	if (t->wide)
		return &lc->recent_wide[t->wide_seq & (lc->recent_wide_cap - 1)];
	memset(scratch, 0, sizeof *scratch);
	memcpy(scratch->addr[0].bytes, &t->addr4[0], 4);
	memcpy(scratch->addr[1].bytes, &t->addr4[1], 4);
	scratch->port[0] = t->port[0];
	scratch->port[1] = t->port[1];
	scratch->proto = t->proto;
	scratch->family = SS_FAMILY_IPV4;
	return scratch;
}

/* The index's key_at (flow/ring-index.h): the key at ring position pos. */
static const ss_flow_key *tombstone_key_at(const void *ctx, gsize pos, ss_flow_key *scratch)
{
	const ss_lifecycle *lc = ctx;
	return tombstone_key(lc, &lc->recent_ring[pos], scratch);
}

/* recent_wide, full, doubles: each key held goes to its number's place. */
static void wide_grow(ss_lifecycle *lc)
{
	guint32 cap = lc->recent_wide_cap ? lc->recent_wide_cap * 2 : 1024;
	ss_flow_key *w = g_new(ss_flow_key, cap);
	for (guint32 n = lc->wide_first; n != lc->wide_next; n++)
		w[n & (cap - 1)] = lc->recent_wide[n & (lc->recent_wide_cap - 1)];
	g_free(lc->recent_wide);
	lc->recent_wide = w;
	lc->recent_wide_cap = cap;
}

/* t keeps key: in its own 12 bytes when they rebuild it exactly (compared
 * whole, so nothing of a key that is not a plain IPv4 one is lost), at the
 * end of recent_wide otherwise. */
static void tombstone_set_key(ss_lifecycle *lc, tombstone *t, const ss_flow_key *key)
{
	memcpy(&t->addr4[0], key->addr[0].bytes, 4);
	memcpy(&t->addr4[1], key->addr[1].bytes, 4);
	t->port[0] = key->port[0];
	t->port[1] = key->port[1];
	t->proto = key->proto;
	t->wide = 0;
	ss_flow_key narrow;
	if (memcmp(tombstone_key(lc, t, &narrow), key, sizeof *key) == 0)
		return;
	/* At most one wide key a tombstone: the queue holds at most
	 * SS_RECENT_TUPLE_MAX, a divisor of 2^32, so numbers may wrap. */
	if (lc->wide_next - lc->wide_first == lc->recent_wide_cap)
		wide_grow(lc);
	lc->recent_wide[lc->wide_next & (lc->recent_wide_cap - 1)] = *key;
	t->wide_seq = lc->wide_next++;
	t->wide = 1;
}

/* The tombstone the index's slot i names (found by ss_ring_index_find()),
 * NULL when the slot is empty: a slot holds its ring position + 1
 * (flow/ring-index.h). */
static const tombstone *recent_in_slot(const ss_lifecycle *lc, gsize i)
{
	guint64 s = lc->recent.slots[i];
	return s ? &lc->recent_ring[(s & SS_RING_INDEX_POS_MASK) - 1] : NULL;
}

static void recent_drop_oldest(ss_lifecycle *lc)
{
	gsize pos = recent_pos(lc, 0);
	const tombstone *t = &lc->recent_ring[pos];
	ss_flow_key scratch;
	guint64 h = recent_hash(lc, tombstone_key(lc, t, &scratch));
	if (t->wide)
		lc->wide_first++;   /* its key: the oldest wide one */
	lc->recent_first = (lc->recent_first + 1) & (SS_RECENT_TUPLE_MAX - 1);
	lc->recent_len--;
	/* A newer tombstone may have replaced this one for the same tuple. */
	ss_ring_index_remove_pos(&lc->recent, pos, h);
}

G_STATIC_ASSERT(SS_REUSE_WHILE_OPEN < 8);   /* tombstone's cause */

/* Remembers the tuple of a streamed TCP record that closed or went idle,
 * or of any record the cap evicted. */
static void recent_add(ss_lifecycle *lc, const ss_conn *c, ss_end why)
{
	while (lc->recent_len > 0 &&
	       (lc->now_ns - recent_at(lc, 0)->ended_ns > SS_RECENT_TUPLE_NS ||
		lc->recent_len >= SS_RECENT_TUPLE_MAX))
		recent_drop_oldest(lc);
	if (!lc->recent_ring)
		lc->recent_ring = g_new(tombstone, SS_RECENT_TUPLE_MAX);
	gsize pos = recent_pos(lc, lc->recent_len);
	tombstone *t = &lc->recent_ring[pos];
	tombstone_set_key(lc, t, &c->key);
	t->ended_ns = ss_conn_last_ns(c);
	t->reuse_index = ss_conn_reuse_index(c);
	t->cause = (guint8)ss_conn_reuse_cause(c, why == SS_END_IDLE);
	t->evicted = why == SS_END_EVICTED;
	/* The old one stays in the ring. */
	ss_ring_index_replace(&lc->recent, pos, &c->key, recent_hash(lc, &c->key));
	lc->recent_len++;
	/* A full ring drops its oldest at the next add: its slot in the table,
	 * found by its key (whose line came in at the add before), and the
	 * line of the one after it (hints only; many-flows.pcap fills the ring
	 * and then drops one a record). */
	if (lc->recent_len == SS_RECENT_TUPLE_MAX) {
		ss_flow_key scratch;
		const ss_flow_key *o = tombstone_key(lc, recent_at(lc, 0), &scratch);
		ss_ring_index_prefetch(&lc->recent, recent_hash(lc, o));
		__builtin_prefetch(recent_at(lc, 1));
	}
}

/* A new record on a tuple that ended recently.  Streaming, a new
 * connection's SYN on a tuple written after it closed or went idle reuses
 * it.  A flow the cap evicted that comes back with anything but a bare SYN
 * continues the evicted one: it is marked so, never taken for a new
 * connection that started mid-stream. */
static void mark_recent(ss_lifecycle *lc, ss_conn *c, const flow_ref *ref, gboolean bare_syn)
{
	const ss_flow_key *key = &ref->key;
	guint64 h = ref->recent_hash ? ref->recent_hash : recent_hash(lc, key);
	gsize i = ss_ring_index_find(&lc->recent, key, h);
	const tombstone *t = recent_in_slot(lc, i);
	if (!t)
		return;
	if (lc->now_ns - t->ended_ns > SS_RECENT_TUPLE_NS)
		return;
	if (t->evicted) {
		if (!bare_syn) {
			c->continues = 1;
			lc->stats.continued++;
		}
	} else if (lc->cfg.streaming && bare_syn) {
		/* a bare SYN's record is TCP's: it holds tail_tcp */
		c->reuse = (ss_reuse)t->cause;
		c->tail_tcp.reuse_index = t->reuse_index + 1;
	} else {
		return;
	}
	/* The list entry goes when it ages out; the table forgets it now. */
	ss_ring_index_remove_at(&lc->recent, i);
}

/* ---- records starting and ending ---- */

/* Record c has ended and left the table and the lists: on_end takes it.
 * With cfg.slab, c itself; without, a g_malloc'd whole ss_conn (what
 * on_end's hook frees with g_free: lifecycle.h) made a copy of c, and c
 * goes back to the slab.  Records in progress come from the slab in both
 * modes so that their list links are 32-bit names (conn_at()). */
static void hand_over(ss_lifecycle *lc, ss_conn *c)
{
	if (!lc->cfg.slab) {
		ss_conn *copy = lc->spare;
		if (copy) {
			lc->spare = copy->next_spare;
			lc->spare_len--;
		} else {
			copy = g_new(ss_conn, 1);
		}
		ss_conn_copy(copy, c);
		ss_conn_slab_release(c);
		c = copy;
	}
	lc->hooks.on_end(lc->hooks.ctx, c);
}

/* A record is finished: take it out of the table and the timeout lists
 * and hand it to on_end.  `in_table` is FALSE when a newer record already
 * took its key. */
static void retire(ss_lifecycle *lc, ss_conn *c, ss_end why, gboolean in_table)
{
	c->ended_by = (guint8)why;
	lc->stats.ended[why]++;
	lru_unlink(lc, c);
	if (in_table)
		ss_flow_table_remove(lc->table, &c->key);
	if (why == SS_END_EVICTED) {
		lc->stats.evictions++;
		if (c->evictions < G_MAXUINT8)
			c->evictions++;
		recent_add(lc, c, why);
	} else if (lc->cfg.streaming && c->proto == IPPROTO_TCP &&
		   (why == SS_END_CLOSED || why == SS_END_IDLE)) {
		recent_add(lc, c, why);
	}
	/* From here on the record belongs to the hook. */
	hand_over(lc, c);
}

/* Hints for record c, next to retire in expire()'s walk (its first line
 * is in the cache): its slot in the table, its slot in the tombstones'
 * table where retire() will add one, and the cold line retire() writes. */
static void prefetch_retire(const ss_lifecycle *lc, const ss_conn *c)
{
	ss_flow_table_prefetch_slot(lc->table, ss_flow_table_hash(lc->table, &c->key));
	if (lc->cfg.streaming && c->proto == IPPROTO_TCP)
		ss_ring_index_prefetch(&lc->recent, recent_hash(lc, &c->key));
	__builtin_prefetch(&c->evictions, 1);   /* ended_by's line (a bit-field) */
}

/* Retires every record whose timeout has passed at packet time `now`.
 *
 * Records retire in bulk here (on many-flows.pcap a million closed ones
 * over the run), each with misses of its own: its record (the list is
 * walked by its links), its slot in the table, and its tombstone's slot.
 * So the walk runs ahead of the retiring: while record i retires, record
 * i+1's slots are prefetched (its first line came in one step before) and
 * record i+2's first lines are.  Hints only: the records retire one by
 * one, in list order, as before. */
static void expire(ss_lifecycle *lc, gint64 now)
{
	if (now <= lc->expire_at)
		return;   /* no head is due: the common case, nothing to read */
	for (int k = 0; k < SS_TIMEOUT_COUNT; k++) {
		gint64 timeout = lc->cfg.timeout_ns[k];
		conn_list *l = &lc->lru[k];
		ss_conn *c = l->head;
		while (c && now - ss_conn_last_ns(c) > timeout) {
			ss_conn *n = conn_at(lc, c->lru_next);
			if (n) {
				prefetch_retire(lc, n);
				const char *n2 = (const char *)conn_at(lc, n->lru_next);
				if (n2) {
					__builtin_prefetch(n2, 1);
					__builtin_prefetch(n2 + 64, 1);
					__builtin_prefetch(n2 + 128, 1);
				}
			}
			retire(lc, c, k == SS_TIMEOUT_CLOSED ? SS_END_CLOSED : SS_END_IDLE, TRUE);
			c = n;   /* the list's head now */
		}
	}
	/* The heads left are not due: the exact bound again. */
	lc->expire_at = G_MAXINT64;
	for (int k = 0; k < SS_TIMEOUT_COUNT; k++)
		if (lc->lru[k].head)
			note_head(lc, lc->lru[k].head, k);
}

/* The least recently active record of all classes. */
static ss_conn *idlest(ss_lifecycle *lc)
{
	ss_conn *best = NULL;
	for (int k = 0; k < SS_TIMEOUT_COUNT; k++) {
		ss_conn *c = lc->lru[k].head;
		if (c && (!best || ss_conn_last_ns(c) < ss_conn_last_ns(best)))
			best = c;
	}
	return best;
}

static ss_conn *new_conn(ss_lifecycle *lc, const ss_flow_key *key, int src_key_side,
			 const ss_packet *p)
{
	ss_conn *c = ss_conn_slab_alloc(lc->slab, ss_conn_tail_for(key->proto, &p->tunnel));
	ss_conn_init(c, key, src_key_side, p);
	c->seq = lc->next_seq++;
	/* Its first packet's time, as ss_conn_update() will set it (its
	 * sender is ep[0]): the timeout list's head bound reads it now. */
	c->ep[0].last_ns = p->ts_ns;
	if (lc->hooks.on_start)
		lc->hooks.on_start(lc->hooks.ctx, c);
	lru_append(lc, c, ss_conn_timeout_class(c));
	return c;
}

/* An evicted record comes back (on_resume): tracked again as it was, so
 * the flow stays one record; it no longer counts as ended by eviction.
 * Without cfg.slab the hook gives back its whole g_malloc'd record, which
 * goes into a slab record (list links name slab records only). */
static ss_conn *resume(ss_lifecycle *lc, ss_conn *c)
{
	if (!lc->cfg.slab) {
		ss_conn *in = ss_conn_slab_alloc(lc->slab, c->tail);
		ss_conn_copy(in, c);
		g_free(c);
		c = in;
	}
	lc->stats.resumed++;
	lc->stats.ended[SS_END_EVICTED]--;
	c->ended_by = SS_END_CAPTURE;
	gsize i = ss_ring_index_find(&lc->recent, &c->key, recent_hash(lc, &c->key));
	const tombstone *t = recent_in_slot(lc, i);
	if (t && t->evicted)
		ss_ring_index_remove_at(&lc->recent, i);
	lru_append(lc, c, ss_conn_timeout_class(c));
	return c;
}

/* Record c, which holds no SYN gaps (SS_CONN_TAIL_TCP), gets its first:
 * from the slab, it moves to a record of the longer length, and whatever
 * holds its address is re-pointed: its slot in the table (by its hash h),
 * its neighbours in its timeout list or the list's ends.  No batch entry
 * holds it (a packet's record is looked up when the packet is tracked;
 * the next batch's peeks only prefetch), and the hooks hand records on
 * only from on_start, on_synack and on_end, so the old memory goes to
 * on_moved, which frees it once those have been read.  Why move rather
 * than allocate every TCP record that long: ~3% of connections repeat
 * their SYN, and the gaps were 64 bytes of every TCP record in progress
 * (docs/performance.md, "Record memory, eighth session"). */
static ss_conn *move_for_syn_gaps(ss_lifecycle *lc, ss_conn *c, guint64 h)
{
	ss_conn *n = ss_conn_slab_alloc(lc->slab, SS_CONN_TAIL_SYN_GAPS);
	ss_conn_copy(n, c);
	ss_conn_hold_syn_gaps(n);
	conn_list *l = &lc->lru[n->timeout_class];
	ss_conn *prev = conn_at(lc, n->lru_prev), *next = conn_at(lc, n->lru_next);
	if (prev)
		prev->lru_next = conn_ref(lc, n);
	else
		l->head = n;
	if (next)
		next->lru_prev = conn_ref(lc, n);
	else
		l->tail = n;
	ss_flow_table_replace_hashed(lc->table, n, h);
	if (lc->hooks.on_moved && lc->cfg.slab)
		lc->hooks.on_moved(lc->hooks.ctx, c);
	else
		ss_conn_slab_release(c);
	return n;
}

static void flow_ref_make(const ss_lifecycle *lc, const ss_packet *p, flow_ref *r)
{
	r->src_key_side = ss_flow_key_make(&r->key, p->family, p->ip_proto, &p->src, p->sport,
					   &p->dst, p->dport);
	ss_flow_key_set_tunnel(&r->key, &p->tunnel);
	r->hash = ss_flow_table_hash(lc->table, &r->key);
	r->recent_hash = 0;
}

static void track_transport(ss_lifecycle *lc, const ss_packet *p, const flow_ref *ref)
{
	const ss_flow_key *key = &ref->key;
	int src_key_side = ref->src_key_side;
	guint64 h = ref->hash;
	ss_conn *c = ss_flow_table_lookup_hashed(lc->table, key, h);
	if (!c) {
		if (lc->cfg.max_flows && ss_flow_table_size(lc->table) >= lc->cfg.max_flows)
			retire(lc, idlest(lc), SS_END_EVICTED, TRUE);
		c = lc->hooks.on_resume ? lc->hooks.on_resume(lc->hooks.ctx, key) : NULL;
		if (c) {
			c = resume(lc, c);
		} else {
			c = new_conn(lc, key, src_key_side, p);
			if (lc->recent_len > 0)
				mark_recent(lc, c, ref,
					    p->l4 == SS_L4_TCP &&
						    (p->tcp.flags & (SS_TCP_SYN | SS_TCP_ACK |
								     SS_TCP_RST)) == SS_TCP_SYN);
		}
		ss_flow_table_insert_hashed(lc->table, c, h);
		gsize n = ss_flow_table_size(lc->table);
		if (n > lc->stats.max_flows_tracked)
			lc->stats.max_flows_tracked = n;
	} else {
		/* The records the timeout-list move below will touch: their
		 * misses overlap the update. */
		if (c->lru_prev)
			__builtin_prefetch(conn_named(lc, c->lru_prev), 1);
		if (c->lru_next)
			__builtin_prefetch(conn_named(lc, c->lru_next), 1);
		ss_reuse cause;
		int side = ss_conn_side(c, src_key_side);
		if (p->l4 == SS_L4_TCP &&
		    ss_conn_tcp_starts_new(c, side, p, lc->cfg.reuse_idle_ns, &cause)) {
			ss_conn *old = c;
			c = new_conn(lc, key, src_key_side, p);
			c->reuse = cause;
			c->tail_tcp.reuse_index = old->tail_tcp.reuse_index + 1;   /* TCP's */
			ss_flow_table_replace_hashed(lc->table, c, h);
			retire(lc, old, SS_END_REUSED, FALSE);
		}
	}
	gint8 synack_side = c->synack_side;
	int side = ss_conn_side(c, src_key_side);
	if (G_UNLIKELY(ss_conn_syn_gap_due(c, side, p)))
		c = move_for_syn_gaps(lc, c, h);
	ss_conn_update(c, side, p);
	/* The first SYN-ACK of a record proves a listener at once. */
	if (lc->hooks.on_synack && synack_side < 0 && c->synack_side >= 0 &&
	    !((c->sent[0] & SS_SENT_SYN) && (c->sent[1] & SS_SENT_SYN)))
		lc->hooks.on_synack(lc->hooks.ctx, c, c->synack_side);

	/* Keep the timeout lists in order of last activity. */
	ss_timeout_class k = ss_conn_timeout_class(c);
	if (k != c->timeout_class || lc->lru[k].tail != c) {
		lru_unlink(lc, c);
		lru_append(lc, c, k);
	}
}

static void track_icmp_error(ss_lifecycle *lc, const ss_packet *p)
{
	const ss_icmp_quote *q = &p->icmp;
	ss_flow_key key;
	int src_key_side = ss_flow_key_make(&key, q->family, q->proto, &q->src, q->sport,
					    &q->dst, q->dport);
	/* The error came through the same tunnel as the flow it quotes. */
	ss_flow_key_set_tunnel(&key, &p->tunnel);
	ss_conn *c = ss_flow_table_lookup(lc->table, &key);
	if (!c) {
		lc->stats.icmp_errors_unmatched++;
		return;
	}
	lc->stats.icmp_errors_matched++;
	ss_conn_icmp_error(c, ss_conn_side(c, src_key_side), p);
}

static gboolean is_transport(const ss_packet *p)
{
	return p->l4 == SS_L4_TCP || p->l4 == SS_L4_UDP;
}

/* One packet; ref is its flow_ref when it is TCP or UDP. */
static void packet(ss_lifecycle *lc, const ss_packet *p, const flow_ref *ref)
{
	/* Packet time drives timeouts; a capture whose clock steps back does
	 * not bring flows back to life. */
	if (lc->now_ns == SS_NO_TIME || p->ts_ns > lc->now_ns) {
		lc->now_ns = p->ts_ns;
		if (lc->cfg.streaming)
			expire(lc, lc->now_ns);
	}
	switch (p->l4) {
	case SS_L4_TCP:
	case SS_L4_UDP:
		track_transport(lc, p, ref);
		break;
	case SS_L4_ICMP_ERROR:
		track_icmp_error(lc, p);
		break;
	default:
		break;
	}
}

void ss_lifecycle_packet(ss_lifecycle *lc, const ss_packet *p)
{
	g_return_if_fail(lc->table != NULL);
	ss_lifecycle_sync(lc);
	flow_ref ref;
	if (is_transport(p))
		flow_ref_make(lc, p, &ref);
	packet(lc, p, &ref);
}

/* ---- batches: cache misses overlapped with the batch before ----
 *
 * With tens of thousands of flows in progress, a packet's slot in the
 * table and its record are seldom in the cache, and one packet at a time
 * pays two misses one after the other (the slot says where the record
 * is): perf put the look-up at 17% of the samples on the mixed capture.
 * So packets come in batches of 16, tracked one batch behind: when a
 * batch arrives (ss_lifecycle_push), the lifecycle hashes its keys and
 * prefetches their slots, then tracks the batch before it, and after each
 * packet of that one peeks at the slot of the new batch's packet of the
 * same rank and prefetches its record's hot lines (sockscope/conn.h: the
 * fields before `seq`).  A record so has a whole batch of tracking (~16
 * packets' work) to arrive in, where one batch at a time left it the time
 * of a few peeks, and its misses overlap the tracking instead of stalling
 * it.  The records a packet's timeout-list move will touch (its record's
 * list neighbours) are prefetched by track_transport() once the look-up
 * has found the record, and arrive during the update.  (Prefetched here,
 * off a peek before the batch's tracking, they cost a second peek a
 * packet, ~35 instructions, for no time measured.)  Every hint is only a
 * prefetch, and the packets are tracked one by one and in order, exactly
 * as ss_lifecycle_packet() would: a packet whose flow an earlier packet
 * created, retired or moved is still tracked right.  Measured in
 * docs/performance.md ("The per-packet path", "Packet side, fifth
 * session"). */

/* The fields the per-packet path touches: the record's first bytes, up to
 * the end of a TCP record's TCP state (tail_tcp, conn.h).  A UDP record
 * ends before that state: for it the last two lines are the next record's
 * or the chunk's spare room (mapped: flow/slab.c), prefetched for
 * nothing.  Choosing the length by the packet's protocol cost 16
 * instructions a packet (callgrind, many-s.pcap). */
#define HOT_BYTES G_STRUCT_OFFSET(ss_conn, tail_syn_gaps_ns)

static void prefetch_record(const ss_conn *c)
{
	const char *b = (const char *)c;
	for (gsize off = 0; off < HOT_BYTES; off += 64)
		__builtin_prefetch(b + off, 1);
	__builtin_prefetch(b + HOT_BYTES - 1, 1);
}

/* Hints for a packet of the next batch: the record its slot holds now (a
 * guess: found by the hash, not the key, but a record the lifecycle owns,
 * so its lines may be read), or, with none there (a new flow, most
 * likely), the slot of the tombstones' table that mark_recent() will look
 * its key up in. */
static void prefetch_ahead(const ss_lifecycle *lc, const ss_packet *p, flow_ref *r)
{
	if (!is_transport(p))
		return;
	const ss_conn *c = ss_flow_table_peek(lc->table, r->hash);
	if (c) {
		prefetch_record(c);
	} else if (lc->recent_len > 0) {
		r->recent_hash = recent_hash(lc, &r->key);
		ss_ring_index_prefetch(&lc->recent, r->recent_hash);
	}
}

/* Tracks the batch taken by the last push, with hints for `next` (n
 * packets, their refs made and slots prefetched) in between. */
static void track_ahead(ss_lifecycle *lc, const ss_packet *next, flow_ref *next_ref,
			guint next_n)
{
	const ss_packet *p = lc->ahead;
	const flow_ref *ref = lc->refs[lc->ahead_ref];
	guint n = lc->ahead_n;
	lc->ahead_n = 0;
	guint j = 0;
	for (guint i = 0; i < n; i++) {
		packet(lc, &p[i], &ref[i]);
		if (j < next_n) {
			prefetch_ahead(lc, &next[j], &next_ref[j]);
			j++;
		}
	}
	for (; j < next_n; j++)
		prefetch_ahead(lc, &next[j], &next_ref[j]);
}

void ss_lifecycle_push(ss_lifecycle *lc, const ss_packet *p, guint n)
{
	g_return_if_fail(lc->table != NULL && n <= SS_LIFECYCLE_BATCH);
	guint half = lc->ahead_ref ^ 1u;
	flow_ref *ref = lc->refs[half];
	for (guint i = 0; i < n; i++) {
		if (!is_transport(&p[i]))
			continue;
		flow_ref_make(lc, &p[i], &ref[i]);
		ss_flow_table_prefetch_slot(lc->table, ref[i].hash);
	}
	track_ahead(lc, p, ref, n);
	lc->ahead = p;
	lc->ahead_n = n;
	lc->ahead_ref = half;
}

void ss_lifecycle_sync(ss_lifecycle *lc)
{
	if (lc->ahead_n == 0)
		return;
	track_ahead(lc, NULL, NULL, 0);
}

void ss_lifecycle_packets(ss_lifecycle *lc, const ss_packet *p, guint n)
{
	ss_lifecycle_push(lc, p, n);
	ss_lifecycle_sync(lc);
}

void ss_lifecycle_advance(ss_lifecycle *lc, gint64 now_ns)
{
	/* Only retires; packet time (lc->now_ns) is left to the packets. */
	ss_lifecycle_sync(lc);
	if (lc->cfg.streaming && lc->table && now_ns != SS_NO_TIME)
		expire(lc, now_ns);
}

/* A record still in progress ends with the capture. */
static void end_at_capture(ss_lifecycle *lc, ss_conn *c)
{
	c->lru_prev = c->lru_next = 0;
	c->ended_by = SS_END_CAPTURE;
	lc->stats.ended[SS_END_CAPTURE]++;
	hand_over(lc, c);
}

/* The table and the timeout lists let go of every record (the caller
 * holds them): the table goes as a whole, not entry by entry. */
static void drop_table(ss_lifecycle *lc)
{
	for (int k = 0; k < SS_TIMEOUT_COUNT; k++)
		lc->lru[k].head = lc->lru[k].tail = NULL;
	ss_flow_table_free(lc->table);
	lc->table = NULL;
}

void ss_lifecycle_end_all(ss_lifecycle *lc, gboolean in_order)
{
	if (!lc->table)
		return;
	ss_lifecycle_sync(lc);
	close_slab(lc);
	/* No packet comes after this, so no tuple is looked up again: the
	 * tombstones (an 8 MiB ring, its wide keys and a 4 MiB index when
	 * full) go before
	 * the sort's arrays are made.  On many-flows.pcap the sort below sets
	 * the run's peak RSS, every record and roll-up still held
	 * (docs/performance.md, "Roll-ups, ninth session"). */
	ss_ring_index_clear(&lc->recent);
	g_free(lc->recent_ring);
	lc->recent_ring = NULL;
	lc->recent_first = lc->recent_len = 0;
	g_free(lc->recent_wide);
	lc->recent_wide = NULL;
	lc->recent_wide_cap = lc->wide_first = lc->wide_next = 0;
	if (!in_order) {
		/* Timeout list by list; on_end may reuse a record's memory, so
		 * every record is taken first. */
		GPtrArray *left = g_ptr_array_sized_new((guint)ss_flow_table_size(lc->table));
		for (int k = 0; k < SS_TIMEOUT_COUNT; k++)
			for (ss_conn *c = lc->lru[k].head; c; c = conn_at(lc, c->lru_next))
				g_ptr_array_add(left, c);
		drop_table(lc);
		for (guint i = 0; i < left->len; i++)
			end_at_capture(lc, g_ptr_array_index(left, i));
		g_ptr_array_unref(left);
		return;
	}
	/* In order of first packet: the records are read off the table's
	 * slots, one sequential pass, not by walking the timeout lists (a
	 * dependent miss per record: 1M of them with 2M flows), straight into
	 * the sort's (first packet, record) pairs (ss_conn_sort_pairs),
	 * without an ss_conn* array between (8 MB with 1M records); the table
	 * is freed before the sort's second array is made, so the two arrays
	 * (24.1 MiB for many-flows.pcap's 791k records) are never held with
	 * the table's 16. */
	gsize n = ss_flow_table_size(lc->table), got = 0, pos = 0;
	ss_radix_pair *items = g_new(ss_radix_pair, MAX(n, 1));
	for (ss_conn *c; (c = ss_flow_table_next_entry(lc->table, &pos)) != NULL;)
		items[got++] = ss_conn_sort_pair(c);
	g_assert(got == n);
	drop_table(lc);
	ss_radix_pair *tmp = g_new(ss_radix_pair, MAX(n, 1));
	ss_conn_sort_pairs(items, n, tmp);
	g_free(tmp);
	for (gsize i = 0; i < n; i++)
		end_at_capture(lc, items[i].p);
	g_free(items);
}
