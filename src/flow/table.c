/* Open-addressing flow table (linear probing, backward-shift deletion).
 *
 * Why not GHashTable: its hash callback takes no user data, so a per-run
 * hash key would have to be a global, and every lookup would pay an extra
 * indirection.
 *
 * A slot is one 64-bit word: the hash's low 32 bits above, and below them
 * the entry's distance from `base` in 8-byte units (0: empty slot).  The
 * hash bits give a slot's home (home()), so growth and deletion never
 * read an entry, and they let most probes that miss pass a slot without
 * touching its entry (a slot whose 32 bits agree is only a candidate: the
 * key decides).  Against the 16-byte slots of a pointer and the full hash,
 * at many-flows.pcap's peak (~1M entries, 2^21 slots) the array is 16 MB
 * instead of 32 and its growths zero 31 MB instead of 62, on the packet
 * thread (docs/performance.md, "Packet side, eighth session").
 *
 * An entry the word cannot name (not a multiple of 8 bytes from base, or
 * 32 GiB or more away from it: a caller's records from several heaps, a
 * hand-made one in a test, a run with more than 32 GiB of records) turns
 * the table to 16-byte slots of the entry pointer and the same 32 hash
 * bits, for good: same homes, same probe runs, only wider (`wide`).  The
 * lifecycle's records come from one slab (or one heap), so in practice
 * the table stays narrow.  Every operation is written once over both slot
 * forms (the `wide` argument, a constant wherever it is inlined).
 *
 * Sizes: powers of two at most half full, doubling (but the first growth,
 * which goes from 1 024 slots straight to 2^17: FIRST_GROWTH), up to a
 * bound the caller may set (ss_flow_table_set_bound(): the lifecycle's flow cap);
 * the last growth goes to the fewest slots that hold the bound at most
 * 3/4 full (ss_oa_cap_for()) instead of the next power of two, and a
 * slot's home is the hash's fast range (a multiply: any size indexes).
 * The default cap of 1M flows takes 1 333 334 slots, 10.2 MiB, instead
 * of 2^21, 16 MiB, held at many-flows.pcap's peak (docs/performance.md,
 * "Record memory, eleventh session"). */
#include "sockscope/flow.h"
#include "sockscope/bigarray.h"
#include "sockscope/oatable.h"

#include <string.h>

typedef struct {
	gpointer entry;   /* NULL = empty slot; its first member is an ss_flow_key */
	guint64 hash;     /* the hash's low 32 bits, as a narrow slot keeps */
} wide_slot;

/* A narrow slot names entries base + 8 * off for 0 < off < 2^32. */
#define OFF_BITS 32
#define OFF_MASK ((G_GUINT64_CONSTANT(1) << OFF_BITS) - 1)
#define WINDOW_BYTES (G_GUINT64_CONSTANT(8) << OFF_BITS)

struct ss_flow_table {
	void *slots;      /* guint64[] while narrow, wide_slot[] once wide */
	gsize cap;        /* slots */
	gsize size;
	gsize grow_at;    /* grow before holding more entries than this */
	guint32 bound;    /* ss_flow_table_set_bound()'s, 0: none */
	guintptr base;    /* narrow: what slot offsets count from */
	gboolean wide;
	guint slot_shift; /* log2 of a slot's bytes: 3, or 4 once wide */
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
	key->addr[!src_side] = *dst;
	/* The key's last 16 bytes in one write: the keyed hash reads them
	 * at once (ports as one word, SipHash 8 bytes at a time) right after
	 * this, and a load that spans several of the stores written a moment
	 * before cannot be forwarded from the store buffer: it waits for them
	 * to reach the cache.  Field by field, that wait had 81% of
	 * ss_flow_hasher_hash's samples on mixed.pcap (perf;
	 * docs/performance.md, "Packet side, ninth session"). */
	struct {
		guint16 port[2];
		guint8 proto, family, tunnel, zero;
		guint32 vni, zero2;
	} tail = { { src_side ? dport : sport, src_side ? sport : dport },
		   proto, family, SS_TUNNEL_NONE, 0, 0, 0 };
	G_STATIC_ASSERT(sizeof tail == sizeof(ss_flow_key) - G_STRUCT_OFFSET(ss_flow_key, port));
	G_STATIC_ASSERT(G_STRUCT_OFFSET(ss_flow_key, vni) - G_STRUCT_OFFSET(ss_flow_key, port) == 8);
	memcpy((guint8 *)key + G_STRUCT_OFFSET(ss_flow_key, port), &tail, sizeof tail);
	return src_side;
}

#define MIN_CAPACITY 1024
/* The first growth goes straight to this many slots (1 MiB of narrow
 * ones, the largest malloc'd array: core/bigarray.c maps from 2 MiB), not
 * to 2 048: a capture with more than 512 flows in progress at once takes
 * one growth there instead of seven, each a fresh array zeroed, faulted in
 * and rehomed on the packet thread.  On mixed.pcap (50 000 flows at once)
 * that was 2 MiB zeroed and ~65 000 entries rehomed: ~3% of the main
 * thread's packet-phase samples (docs/performance.md, "Packet side,
 * thirteenth session").  Captures with fewer flows at once keep the small
 * table. */
#define FIRST_GROWTH ((gsize)1 << 17)

/* The home slot of the hash bits h keeps (any capacity). */
G_ALWAYS_INLINE static inline gsize home(const ss_flow_table *t, guint32 h)
{
	return ss_fast_range(h, (guint32)t->cap);
}

/* The slot after i, wrapping. */
G_ALWAYS_INLINE static inline gsize next_slot(const ss_flow_table *t, gsize i)
{
	return G_LIKELY(i + 1 < t->cap) ? i + 1 : 0;
}

/* At most half full, or 3/4 at the bound's last size. */
static gsize grow_at(const ss_flow_table *t)
{
	return t->bound && t->cap == ss_oa_cap_for(t->bound) ? t->cap - t->cap / 4 : t->cap / 2;
}

/* ---- the two slot forms ---- */

static inline guint64 *narrow_slots(const ss_flow_table *t)
{
	return t->slots;
}

static inline wide_slot *wide_slots(const ss_flow_table *t)
{
	return t->slots;
}

G_ALWAYS_INLINE static inline gboolean slot_used(const ss_flow_table *t, gsize i, gboolean wide)
{
	return wide ? wide_slots(t)[i].entry != NULL : narrow_slots(t)[i] != 0;
}

/* The 32 hash bits slot i keeps. */
G_ALWAYS_INLINE static inline guint32 slot_hash(const ss_flow_table *t, gsize i, gboolean wide)
{
	return wide ? (guint32)wide_slots(t)[i].hash : (guint32)(narrow_slots(t)[i] >> OFF_BITS);
}

/* The entry of slot i, which is used. */
G_ALWAYS_INLINE static inline gpointer used_entry(const ss_flow_table *t, gsize i, gboolean wide)
{
	if (wide)
		return wide_slots(t)[i].entry;
	return (gpointer)(t->base + (guintptr)((narrow_slots(t)[i] & OFF_MASK) << 3));
}

/* The entry of slot i, NULL for an empty one. */
G_ALWAYS_INLINE static inline gpointer slot_entry(const ss_flow_table *t, gsize i, gboolean wide)
{
	return slot_used(t, i, wide) ? used_entry(t, i, wide) : NULL;
}

/* Slot i names entry (which fits the form) with hash bits h. */
G_ALWAYS_INLINE static inline void slot_set(ss_flow_table *t, gsize i, gpointer entry, guint32 h,
					    gboolean wide)
{
	if (wide) {
		wide_slots(t)[i].entry = entry;
		wide_slots(t)[i].hash = h;
	} else {
		narrow_slots(t)[i] = (guint64)h << OFF_BITS | (((guintptr)entry - t->base) >> 3);
	}
}

G_ALWAYS_INLINE static inline void slot_move(ss_flow_table *t, gsize to, gsize from, gboolean wide)
{
	if (wide)
		wide_slots(t)[to] = wide_slots(t)[from];
	else
		narrow_slots(t)[to] = narrow_slots(t)[from];
}

G_ALWAYS_INLINE static inline void slot_clear(ss_flow_table *t, gsize i, gboolean wide)
{
	if (wide)
		wide_slots(t)[i] = (wide_slot){ NULL, 0 };
	else
		narrow_slots(t)[i] = 0;
}

static gsize slot_bytes(const ss_flow_table *t)
{
	return (gsize)1 << t->slot_shift;
}

/* Whether a narrow slot can name entry. */
static inline gboolean fits_narrow(const ss_flow_table *t, gconstpointer entry)
{
	guintptr d = (guintptr)entry - t->base;   /* below base: wraps, too far */
	return d != 0 && (d & 7) == 0 && d < WINDOW_BYTES;
}

/* ---- the table ---- */

ss_flow_table *ss_flow_table_new(guint64 seed0, guint64 seed1)
{
	ss_flow_table *t = g_new0(ss_flow_table, 1);
	t->slot_shift = 3;
	t->slots = ss_big_new0(MIN_CAPACITY, slot_bytes(t));
	t->cap = MIN_CAPACITY;
	t->grow_at = grow_at(t);
	ss_flow_hasher_init(&t->hasher, seed0, seed1);
	return t;
}

void ss_flow_table_free(ss_flow_table *t)
{
	if (!t)
		return;
	ss_big_free(t->slots, t->cap * slot_bytes(t));
	g_free(t);
}

gsize ss_flow_table_size(const ss_flow_table *t)
{
	return t->size;
}

gsize ss_flow_table_slot_bytes(const ss_flow_table *t)
{
	return slot_bytes(t);
}

gsize ss_flow_table_capacity(const ss_flow_table *t)
{
	return t->cap;
}

void ss_flow_table_set_bound(ss_flow_table *t, guint64 n)
{
	/* Past 2^31 entries the last size's slot count would not fit in 32
	 * bits (ss_fast_range): no bound, doubling as without one. */
	t->bound = n <= G_MAXINT32 ? (guint32)n : 0;
	t->grow_at = grow_at(t);
}

static inline const ss_flow_key *entry_key(gconstpointer entry)
{
	return (const ss_flow_key *)entry;
}

/* Index of the slot holding key, or of the empty slot where it would go. */
G_ALWAYS_INLINE static inline gsize find_slot_in(const ss_flow_table *t, const ss_flow_key *key,
						 guint32 h, gboolean wide)
{
	gsize i = home(t, h);
	for (;;) {
		if (!slot_used(t, i, wide))
			return i;
		if (slot_hash(t, i, wide) == h &&
		    memcmp(entry_key(used_entry(t, i, wide)), key, sizeof *key) == 0)
			return i;
		i = next_slot(t, i);
	}
}

static gsize find_slot(const ss_flow_table *t, const ss_flow_key *key, guint32 h)
{
	return t->wide ? find_slot_in(t, key, h, TRUE) : find_slot_in(t, key, h, FALSE);
}

static gpointer entry_at(const ss_flow_table *t, gsize i)
{
	return t->wide ? slot_entry(t, i, TRUE) : slot_entry(t, i, FALSE);
}

gpointer ss_flow_table_lookup(const ss_flow_table *t, const ss_flow_key *key)
{
	return ss_flow_table_lookup_hashed(t, key, ss_flow_table_hash(t, key));
}

gpointer ss_flow_table_lookup_hashed(const ss_flow_table *t, const ss_flow_key *key, guint64 h)
{
	if (G_UNLIKELY(t->wide))
		return slot_entry(t, find_slot_in(t, key, (guint32)h, TRUE), TRUE);
	return slot_entry(t, find_slot_in(t, key, (guint32)h, FALSE), FALSE);
}

/* Every used slot of `from` (cap slots) into t's fresh array, at its home
 * by its kept hash bits: no entry is read. */
G_ALWAYS_INLINE static inline void rehome(ss_flow_table *t, const void *from, gsize cap,
					  gboolean wide)
{
	for (gsize i = 0; i < cap; i++) {
		guint32 h;
		if (wide) {
			const wide_slot *s = &((const wide_slot *)from)[i];
			if (!s->entry)
				continue;
			h = (guint32)s->hash;
			gsize j = home(t, h);
			while (slot_used(t, j, TRUE))
				j = next_slot(t, j);
			wide_slots(t)[j] = *s;
		} else {
			guint64 s = ((const guint64 *)from)[i];
			if (!s)
				continue;
			h = (guint32)(s >> OFF_BITS);
			gsize j = home(t, h);
			while (slot_used(t, j, FALSE))
				j = next_slot(t, j);
			narrow_slots(t)[j] = s;
		}
	}
}

static void grow(ss_flow_table *t)
{
	gsize old_cap = t->cap;
	void *old = t->slots;
	gsize cap = old_cap == MIN_CAPACITY ? FIRST_GROWTH : old_cap * 2;
	if (t->bound) {
		gsize last = ss_oa_cap_for(t->bound);
		if (cap > last && last > old_cap)
			cap = last;
	}
	/* From 2 MiB (262 144 narrow slots) a mapping on transparent huge
	 * pages (core/bigarray.c): each packet's slot is a random place in the
	 * array, and on 4 KiB pages the batch's prefetch_slot and peek risked
	 * a page walk each (costly under a VM's nested paging) and the array's
	 * first touches 512 faults (docs/performance.md, "Packet side, sixth
	 * session"). */
	/* home() maps 32 hash bits onto the slots (ss_fast_range): past 2^32
	 * slots every flow would hash home to slot 0.  Unreachable in memory
	 * (2^31 flows in progress hold ~400 GB of records) but for
	 * `--max-flows 0` on a machine that had it: stop, as out of memory. */
	if (cap > G_MAXUINT32)
		g_error("out of memory: more than %" G_GSIZE_FORMAT " flows in progress "
			"(use --max-flows)", old_cap / 2);
	t->slots = ss_big_new0(cap, slot_bytes(t));
	t->cap = cap;
	t->grow_at = grow_at(t);
	if (t->wide)
		rehome(t, old, old_cap, TRUE);
	else
		rehome(t, old, old_cap, FALSE);
	ss_big_free(old, old_cap * slot_bytes(t));
}

/* The table turns to 16-byte slots, each where it was. */
static void widen(ss_flow_table *t)
{
	gsize cap = t->cap;
	guint64 *old = t->slots;
	wide_slot *w = ss_big_new0(cap, sizeof(wide_slot));
	for (gsize i = 0; i < cap; i++) {
		if (!old[i])
			continue;
		w[i].entry = used_entry(t, i, FALSE);
		w[i].hash = (guint32)(old[i] >> OFF_BITS);
	}
	ss_big_free(old, cap * sizeof(guint64));
	t->slots = w;
	t->wide = TRUE;
	t->slot_shift = 4;
}

/* Makes sure a slot can name entry: an empty narrow table centres its
 * window on its next entry (16 GiB either way: the records' slab chunks
 * are mappings placed near each other, a keep-all run's records come from
 * one heap); an entry out of reach widens the table. */
static void make_room_slow(ss_flow_table *t, gconstpointer entry)
{
	if (t->size == 0) {
		guintptr e = (guintptr)entry;
		t->base = e > WINDOW_BYTES / 2 ? e - WINDOW_BYTES / 2 : 0;
		if (fits_narrow(t, entry))
			return;
	}
	widen(t);
}

static inline void make_room_for(ss_flow_table *t, gconstpointer entry)
{
	if (G_UNLIKELY(!t->wide && !fits_narrow(t, entry)))
		make_room_slow(t, entry);
}

G_ALWAYS_INLINE static inline void insert_in(ss_flow_table *t, gpointer entry, guint32 h,
					     gboolean wide)
{
	gsize i = find_slot_in(t, entry_key(entry), h, wide);
	g_return_if_fail(!slot_used(t, i, wide));
	slot_set(t, i, entry, h, wide);
	t->size++;
}

void ss_flow_table_insert(ss_flow_table *t, gpointer entry)
{
	ss_flow_table_insert_hashed(t, entry, ss_flow_table_hash(t, entry_key(entry)));
}

void ss_flow_table_insert_hashed(ss_flow_table *t, gpointer entry, guint64 h)
{
	/* Keep the load factor at or below 1/2 (3/4 at the bound's size):
	 * linear probing stays short. */
	if (t->size + 1 > t->grow_at)
		grow(t);
	make_room_for(t, entry);
	if (G_UNLIKELY(t->wide))
		insert_in(t, entry, (guint32)h, TRUE);
	else
		insert_in(t, entry, (guint32)h, FALSE);
}

gpointer ss_flow_table_replace(ss_flow_table *t, gpointer entry)
{
	return ss_flow_table_replace_hashed(t, entry, ss_flow_table_hash(t, entry_key(entry)));
}

gpointer ss_flow_table_replace_hashed(ss_flow_table *t, gpointer entry, guint64 h)
{
	gsize i = find_slot(t, entry_key(entry), (guint32)h);
	gpointer old = entry_at(t, i);
	if (!old) {
		ss_flow_table_insert_hashed(t, entry, h);
		return NULL;
	}
	make_room_for(t, entry);   /* the slot stays where it is */
	if (t->wide)
		slot_set(t, i, entry, (guint32)h, TRUE);
	else
		slot_set(t, i, entry, (guint32)h, FALSE);
	return old;
}

gpointer ss_flow_table_next_entry(const ss_flow_table *t, gsize *pos)
{
	for (gsize i = *pos; i < t->cap; i++) {
		gpointer e = entry_at(t, i);
		if (e) {
			*pos = i + 1;
			return e;
		}
	}
	*pos = t->cap;
	return NULL;
}

/* ---- hints for batches (flow/lifecycle.c, ss_lifecycle_packets) ----
 *
 * Hints only: they change nothing and may be wrong (a later packet of the
 * same batch may insert or remove entries first); the look-up that counts
 * is made when the packet's turn comes, and then hits the cache. */

void ss_flow_table_prefetch_slot(const ss_flow_table *t, guint64 h)
{
	__builtin_prefetch((const char *)t->slots + (home(t, (guint32)h) << t->slot_shift));
}

G_ALWAYS_INLINE static inline gpointer peek_in(const ss_flow_table *t, guint32 h, gboolean wide)
{
	/* Bounded: a hint is not worth a long probe run. */
	gsize i = home(t, h);
	for (int n = 0; n < 8; n++) {
		if (!slot_used(t, i, wide))
			return NULL;
		if (slot_hash(t, i, wide) == h)
			return used_entry(t, i, wide);
		i = next_slot(t, i);
	}
	return NULL;
}

gpointer ss_flow_table_peek(const ss_flow_table *t, guint64 h)
{
	return t->wide ? peek_in(t, (guint32)h, TRUE) : peek_in(t, (guint32)h, FALSE);
}

G_ALWAYS_INLINE static inline void remove_at_in(ss_flow_table *t, gsize i, gboolean wide)
{
	/* Backward-shift deletion: pull later members of the probe run into
	 * the hole so lookups never need tombstones. */
	gsize hole = i;
	gsize j = i;
	for (;;) {
		j = next_slot(t, j);
		if (!slot_used(t, j, wide))
			break;
		gsize at = home(t, slot_hash(t, j, wide));
		/* j may move into the hole only if its home is not in (hole, j]. */
		gboolean home_in_range = hole <= j ? (at > hole && at <= j)
						   : (at > hole || at <= j);
		if (home_in_range)
			continue;
		slot_move(t, hole, j, wide);
		hole = j;
	}
	slot_clear(t, hole, wide);
	t->size--;
}

static void remove_at(ss_flow_table *t, gsize i)
{
	if (t->wide)
		remove_at_in(t, i, TRUE);
	else
		remove_at_in(t, i, FALSE);
}

gboolean ss_flow_table_remove(ss_flow_table *t, const ss_flow_key *key)
{
	return ss_flow_table_remove_hashed(t, key, ss_flow_table_hash(t, key));
}

gboolean ss_flow_table_remove_hashed(ss_flow_table *t, const ss_flow_key *key, guint64 h)
{
	gsize i = find_slot(t, key, (guint32)h);
	if (!entry_at(t, i))
		return FALSE;
	remove_at(t, i);
	return TRUE;
}

gboolean ss_flow_table_remove_entry(ss_flow_table *t, gconstpointer entry)
{
	const ss_flow_key *key = entry_key(entry);
	gsize i = find_slot(t, key, (guint32)ss_flow_table_hash(t, key));
	if (entry_at(t, i) != entry)
		return FALSE;
	remove_at(t, i);
	return TRUE;
}
