/* An index of ring positions by flow key, in 8-byte slots: the lifecycle's
 * table of tombstones (flow/lifecycle.c), whose entries are positions in
 * its ring of SS_RING_INDEX_MAX tombstones.
 *
 * It was an ss_flow_table of 16-byte slots (an entry pointer and the full
 * 64-bit hash) until the seventh session.  Here a slot is one word (as the
 * flow table's are since: flow/table.c): the hash's bits 19-63 and, in
 * bits 0-18, the ring position plus one (0: empty slot).  A slot's home is
 * (hash >> 19) & mask, taken from the bits the slot keeps, so growing and
 * backward-shift deletion need no key.  45 hash bits only pick the
 * candidate: a hit is confirmed against the full key of the ring entry
 * the slot names, so two keys whose hashes agree in those bits are still
 * told apart (tests/unit/test-ring-index.c).  The ring's entries are
 * the caller's: a position's key comes from its `key_at` (flow/
 * lifecycle.c keeps an untunnelled IPv4 tombstone's key in 12 bytes and
 * rebuilds it there), needed only when the kept hash bits agree.  At 262 144 tombstones the
 * slot array is 4 MiB instead of 8, and 8 MiB zeroed over its growths
 * instead of 16 (docs/performance.md, "Packet side, seventh session",
 * second round).  Its keys' hash is its own ss_flow_hasher's, with seeds
 * other than the flow table's.
 *
 * Open addressing, linear probing, load factor at most 1/2; the arrays
 * come from ss_big_new0 (huge pages from 2 MiB), as ss_flow_table's. */
#ifndef SS_FLOW_RING_INDEX_H
#define SS_FLOW_RING_INDEX_H

#include "sockscope/flow.h"
#include "sockscope/bigarray.h"

#include <string.h>

/* The most positions (a power of two): position + 1 fits in POS_BITS. */
#define SS_RING_INDEX_MAX 262144u
#define SS_RING_INDEX_POS_BITS 19
#define SS_RING_INDEX_POS_MASK ((G_GUINT64_CONSTANT(1) << SS_RING_INDEX_POS_BITS) - 1)
G_STATIC_ASSERT(SS_RING_INDEX_MAX < (1u << SS_RING_INDEX_POS_BITS));

/* The key of the ring's entry at position pos: a key of the ring's own, or
 * one built in *scratch. */
typedef const ss_flow_key *(*ss_ring_index_key_fn)(const void *ctx, gsize pos,
						   ss_flow_key *scratch);

typedef struct {
	guint64 *slots;
	gsize mask;       /* capacity - 1; capacity is a power of two */
	gsize size;
	ss_ring_index_key_fn key_at;
	const void *ctx;         /* key_at's */
	ss_flow_hasher hasher;   /* seeds of its own, not the flow table's */
} ss_ring_index;

#define SS_RING_INDEX_MIN 1024

/* The hash (k0, k1) keys is ss_ring_index_hash()'s. */
static inline void ss_ring_index_init(ss_ring_index *t, ss_ring_index_key_fn key_at,
				      const void *ctx, guint64 k0, guint64 k1)
{
	ss_flow_hasher_init(&t->hasher, k0, k1);
	t->slots = ss_big_new0(SS_RING_INDEX_MIN, sizeof(guint64));
	t->mask = SS_RING_INDEX_MIN - 1;
	t->size = 0;
	t->key_at = key_at;
	t->ctx = ctx;
}

static inline void ss_ring_index_clear(ss_ring_index *t)
{
	ss_big_free(t->slots, (t->mask + 1) * sizeof(guint64));
	t->slots = NULL;
}

/* The keyed hash of key that the calls below take as h. */
static inline guint64 ss_ring_index_hash(const ss_ring_index *t, const ss_flow_key *key)
{
	return ss_flow_hasher_hash(&t->hasher, key);
}

static inline gsize ss_ring_index_home(const ss_ring_index *t, guint64 h)
{
	return (gsize)(h >> SS_RING_INDEX_POS_BITS) & t->mask;
}

/* Whether the entry a used slot names has key. */
static inline gboolean ss_ring_index_slot_is(const ss_ring_index *t, guint64 slot,
					     const ss_flow_key *key)
{
	ss_flow_key scratch;
	const ss_flow_key *k = t->key_at(t->ctx, (gsize)(slot & SS_RING_INDEX_POS_MASK) - 1,
					 &scratch);
	return memcmp(k, key, sizeof *key) == 0;
}

/* Index of the slot holding key (hash h), or of the empty slot where it
 * would go.  The hash bits only select: the key decides. */
static inline gsize ss_ring_index_find(const ss_ring_index *t, const ss_flow_key *key, guint64 h)
{
	gsize i = ss_ring_index_home(t, h);
	for (;;) {
		guint64 s = t->slots[i];
		if (!s)
			return i;
		if (((s ^ h) >> SS_RING_INDEX_POS_BITS) == 0 && ss_ring_index_slot_is(t, s, key))
			return i;
		i = (i + 1) & t->mask;
	}
}

/* The ring position of key's entry, or -1. */
static inline gssize ss_ring_index_lookup(const ss_ring_index *t, const ss_flow_key *key, guint64 h)
{
	guint64 s = t->slots[ss_ring_index_find(t, key, h)];
	return s ? (gssize)(s & SS_RING_INDEX_POS_MASK) - 1 : -1;
}

static inline void ss_ring_index_prefetch(const ss_ring_index *t, guint64 h)
{
	__builtin_prefetch(&t->slots[ss_ring_index_home(t, h)]);
}

void ss_ring_index_grow(ss_ring_index *t);
void ss_ring_index_remove_at(ss_ring_index *t, gsize i);

/* Position pos (whose entry holds key, hash h) is key's entry now; a
 * former entry of the same key is forgotten (it stays in the ring). */
static inline void ss_ring_index_replace(ss_ring_index *t, gsize pos, const ss_flow_key *key,
					 guint64 h)
{
	gsize i = ss_ring_index_find(t, key, h);
	if (!t->slots[i]) {
		if ((t->size + 1) * 2 > t->mask + 1) {
			ss_ring_index_grow(t);
			i = ss_ring_index_find(t, key, h);
		}
		t->size++;
	}
	t->slots[i] = (h & ~SS_RING_INDEX_POS_MASK) | (pos + 1);
}

/* Forgets key; FALSE if it was not there. */
static inline gboolean ss_ring_index_remove(ss_ring_index *t, const ss_flow_key *key, guint64 h)
{
	gsize i = ss_ring_index_find(t, key, h);
	if (!t->slots[i])
		return FALSE;
	ss_ring_index_remove_at(t, i);
	return TRUE;
}

/* Forgets position pos (hash h of its key) if it is still its key's entry.
 * The slot naming it is the one holding exactly h's kept bits and pos + 1
 * (positions are unique), in the probe run from h's home: no key is read. */
static inline gboolean ss_ring_index_remove_pos(ss_ring_index *t, gsize pos, guint64 h)
{
	guint64 want = (h & ~SS_RING_INDEX_POS_MASK) | (pos + 1);
	for (gsize i = ss_ring_index_home(t, h);; i = (i + 1) & t->mask) {
		guint64 s = t->slots[i];
		if (!s)
			return FALSE;
		if (s == want) {
			ss_ring_index_remove_at(t, i);
			return TRUE;
		}
	}
}

#endif
