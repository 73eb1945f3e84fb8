/* Open-addressing flow table (linear probing, backward-shift deletion).
 *
 * Why not GHashTable: its hash callback takes no user data, so a per-run
 * hash key would have to be a global, and every lookup would pay an extra
 * indirection.  Slots hold the entry pointer plus the top bits of its hash,
 * so most probes that miss never touch the entry itself. */
#include "sockscope/flow.h"
#include "sockscope/bigarray.h"

#include <string.h>

typedef struct {
	gpointer entry;   /* NULL = empty slot; its first member is an ss_flow_key */
	guint64 hash;
} ss_slot;

struct ss_flow_table {
	ss_slot *slots;
	gsize mask;       /* capacity - 1; capacity is a power of two */
	gsize size;
	ss_flow_hasher hasher;
};

guint64 ss_flow_table_hash(const ss_flow_table *t, const ss_flow_key *key)
{
	return ss_flow_hasher_hash(&t->hasher, key);
}

/* memcmp()'s order of two addresses, then the ports'.  As two big-endian
 * 64-bit words rather than a call to memcmp(): once per packet, and the
 * call and its byte loop were ~20 of the key's ~75 instructions
 * (callgrind, mixed capture). */
static int ip_port_cmp(const ss_ip *a, guint16 ap, const ss_ip *b, guint16 bp)
{
	guint64 a0, a1, b0, b1;
	memcpy(&a0, a->bytes, 8);
	memcpy(&a1, a->bytes + 8, 8);
	memcpy(&b0, b->bytes, 8);
	memcpy(&b1, b->bytes + 8, 8);
	a0 = GUINT64_FROM_BE(a0);
	b0 = GUINT64_FROM_BE(b0);
	if (a0 != b0)
		return a0 < b0 ? -1 : 1;
	a1 = GUINT64_FROM_BE(a1);
	b1 = GUINT64_FROM_BE(b1);
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	return (ap > bp) - (ap < bp);
}

int ss_flow_key_make(ss_flow_key *key, guint8 family, guint8 proto,
		     const ss_ip *src, guint16 sport, const ss_ip *dst, guint16 dport)
{
	int src_side = ip_port_cmp(src, sport, dst, dport) <= 0 ? 0 : 1;
	key->addr[src_side] = *src;
	key->port[src_side] = sport;
	key->addr[!src_side] = *dst;
	key->port[!src_side] = dport;
	key->proto = proto;
	key->family = family;
	key->tunnel = SS_TUNNEL_NONE;
	key->zero = 0;
	key->vni = 0;
	key->zero2 = 0;
	return src_side;
}

#define MIN_CAPACITY 1024

ss_flow_table *ss_flow_table_new(guint64 seed0, guint64 seed1)
{
	ss_flow_table *t = g_new0(ss_flow_table, 1);
	t->slots = g_new0(ss_slot, MIN_CAPACITY);
	t->mask = MIN_CAPACITY - 1;
	ss_flow_hasher_init(&t->hasher, seed0, seed1);
	return t;
}

void ss_flow_table_free(ss_flow_table *t)
{
	if (!t)
		return;
	ss_big_free(t->slots, (t->mask + 1) * sizeof(ss_slot));
	g_free(t);
}

gsize ss_flow_table_size(const ss_flow_table *t)
{
	return t->size;
}

static void remove_at(ss_flow_table *t, gsize i);

static inline const ss_flow_key *entry_key(gpointer entry)
{
	return (const ss_flow_key *)entry;
}

/* Index of the slot holding key, or of the empty slot where it would go. */
static gsize find_slot(const ss_flow_table *t, const ss_flow_key *key, guint64 h)
{
	gsize i = h & t->mask;
	for (;;) {
		const ss_slot *s = &t->slots[i];
		if (!s->entry)
			return i;
		if (s->hash == h && memcmp(entry_key(s->entry), key, sizeof *key) == 0)
			return i;
		i = (i + 1) & t->mask;
	}
}

gpointer ss_flow_table_lookup(const ss_flow_table *t, const ss_flow_key *key)
{
	guint64 h = ss_flow_table_hash(t, key);
	return t->slots[find_slot(t, key, h)].entry;
}

gpointer ss_flow_table_lookup_hashed(const ss_flow_table *t, const ss_flow_key *key, guint64 h)
{
	return t->slots[find_slot(t, key, h)].entry;
}

static void grow(ss_flow_table *t)
{
	gsize old_cap = t->mask + 1;
	ss_slot *old = t->slots;
	gsize cap = old_cap * 2;
	/* From 2 MiB (131 072 slots: mixed's table at ~50 000 flows in
	 * progress) a mapping on transparent huge pages (core/bigarray.c):
	 * each packet's slot is a random place in the array, and on 4 KiB
	 * pages the batch's prefetch_slot and peek risked a page walk each
	 * (costly under a VM's nested paging) and the array's first touches
	 * 512 faults (docs/performance.md, "Packet side, sixth session"). */
	t->slots = ss_big_new0(cap, sizeof(ss_slot));
	t->mask = cap - 1;
	for (gsize i = 0; i < old_cap; i++) {
		if (!old[i].entry)
			continue;
		gsize j = old[i].hash & t->mask;
		while (t->slots[j].entry)
			j = (j + 1) & t->mask;
		t->slots[j] = old[i];
	}
	ss_big_free(old, old_cap * sizeof(ss_slot));
}

void ss_flow_table_insert(ss_flow_table *t, gpointer entry)
{
	const ss_flow_key *key = entry_key(entry);
	ss_flow_table_insert_hashed(t, entry, ss_flow_table_hash(t, key));
}

void ss_flow_table_insert_hashed(ss_flow_table *t, gpointer entry, guint64 h)
{
	/* Keep the load factor at or below 1/2: linear probing stays short. */
	if ((t->size + 1) * 2 > t->mask + 1)
		grow(t);
	gsize i = find_slot(t, entry_key(entry), h);
	g_return_if_fail(t->slots[i].entry == NULL);
	t->slots[i].entry = entry;
	t->slots[i].hash = h;
	t->size++;
}

gpointer ss_flow_table_replace(ss_flow_table *t, gpointer entry)
{
	return ss_flow_table_replace_hashed(t, entry, ss_flow_table_hash(t, entry_key(entry)));
}

gpointer ss_flow_table_replace_hashed(ss_flow_table *t, gpointer entry, guint64 h)
{
	gsize i = find_slot(t, entry_key(entry), h);
	gpointer old = t->slots[i].entry;
	if (!old) {
		ss_flow_table_insert_hashed(t, entry, h);
		return NULL;
	}
	t->slots[i].entry = entry;
	return old;
}

void ss_flow_table_entries(const ss_flow_table *t, GPtrArray *out)
{
	for (gsize i = 0; i <= t->mask; i++)
		if (t->slots[i].entry)
			g_ptr_array_add(out, t->slots[i].entry);
}

/* ---- hints for batches (flow/lifecycle.c, ss_lifecycle_packets) ----
 *
 * Hints only: they change nothing and may be wrong (a later packet of the
 * same batch may insert or remove entries first); the look-up that counts
 * is made when the packet's turn comes, and then hits the cache. */

void ss_flow_table_prefetch_slot(const ss_flow_table *t, guint64 h)
{
	__builtin_prefetch(&t->slots[h & t->mask]);
}

gpointer ss_flow_table_peek(const ss_flow_table *t, guint64 h)
{
	/* Bounded: a hint is not worth a long probe run. */
	gsize i = h & t->mask;
	for (int n = 0; n < 8; n++) {
		const ss_slot *s = &t->slots[i];
		if (!s->entry)
			return NULL;
		if (s->hash == h)
			return s->entry;
		i = (i + 1) & t->mask;
	}
	return NULL;
}

gboolean ss_flow_table_remove(ss_flow_table *t, const ss_flow_key *key)
{
	guint64 h = ss_flow_table_hash(t, key);
	gsize i = find_slot(t, key, h);
	if (!t->slots[i].entry)
		return FALSE;
	remove_at(t, i);
	return TRUE;
}

gboolean ss_flow_table_remove_entry(ss_flow_table *t, gconstpointer entry)
{
	const ss_flow_key *key = entry_key((gpointer)entry);
	gsize i = find_slot(t, key, ss_flow_table_hash(t, key));
	if (t->slots[i].entry != entry)
		return FALSE;
	remove_at(t, i);
	return TRUE;
}

static void remove_at(ss_flow_table *t, gsize i)
{
	/* Backward-shift deletion: pull later members of the probe run into
	 * the hole so lookups never need tombstones. */
	gsize hole = i;
	gsize j = i;
	for (;;) {
		j = (j + 1) & t->mask;
		ss_slot *s = &t->slots[j];
		if (!s->entry)
			break;
		gsize home = s->hash & t->mask;
		/* s may move into the hole only if its home is not in (hole, j]. */
		gboolean home_in_range = hole <= j ? (home > hole && home <= j)
						   : (home > hole || home <= j);
		if (home_in_range)
			continue;
		t->slots[hole] = *s;
		hole = j;
	}
	t->slots[hole].entry = NULL;
	t->slots[hole].hash = 0;
	t->size--;
}
