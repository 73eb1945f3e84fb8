/* The inline-key open-addressing table every per-record roll-up uses
 * (listeners, hosts and their (host, server) pairs, role endpoints, the
 * findings' groups and closed tuples): fixed-size entries stored densely
 * in one array, the key being the first `ksize` bytes of each entry
 * (zero-padded, compared bytewise), indexed by open addressing over 8-byte
 * slots (a 32-bit tag and the entry's number).
 *
 * What it buys against a GHashTable of g_new'd / g_memdup2'd nodes: no
 * malloc per new key (a record of a new flow made one to three of them),
 * no pointer from the bucket to a node to the key (each a dependent cache
 * miss once the table outgrows the cache: ~160-290 ns on this VM), and a
 * probe that reads the 4-byte tags first and compares a key only when its
 * tag matches.  Entries are dense rather than in the slots: the slots stay
 * at most 3/4 full, and a host's or a finding group's entry is 150-300
 * bytes, so inline slots doubled the peak memory of a flood
 * (tests/scripts/check-flood.py).  Measured in docs/performance.md
 * ("per-record roll-ups").
 *
 * Hashing stays seeded: SipHash-1-3 under the process key (ss_hash_key()),
 * so keys from a crafted capture cannot be aimed at one probe sequence
 * (`bench/run.sh --collide`).  The tag is the low 32 bits of that hash
 * (never 0: 0 marks a free slot) and the home slot is tag & (cap - 1), so
 * growing the index hashes no key again.
 *
 * Entries move when the table grows: a pointer into it holds only until the
 * next insert.  The find/insert functions are inline and take the key and
 * entry sizes as arguments so that, called with sizeof constants, the hash
 * and the key compare unroll at each call site. */
#ifndef SOCKSCOPE_OATABLE_H
#define SOCKSCOPE_OATABLE_H

#include <glib.h>
#include <string.h>

#include "sockscope/hash.h"

typedef struct {
	guint32 tag;         /* 0: a free slot */
	guint32 idx;         /* the entry's place in `entries` */
} ss_oa_slot;

typedef struct {
	ss_oa_slot *slots;   /* cap slots, at most 3/4 of them used */
	guint8 *entries;     /* len entries of esize bytes, dense, in insertion order */
	guint32 cap;         /* 0 (nothing allocated yet) or a power of two */
	guint32 len;         /* entries */
	guint32 ecap;        /* room in `entries` */
	guint32 esize, ksize;
} ss_oatable;

void ss_oatable_init(ss_oatable *t, gsize esize, gsize ksize);
/* Frees the arrays; the table is empty and usable again. */
void ss_oatable_clear(ss_oatable *t);
/* Keeps the entries for which keep() says TRUE (in their order); returns
 * how many were removed. */
guint32 ss_oatable_filter(ss_oatable *t, gboolean (*keep)(const void *entry, void *data),
			  void *data);
/* dst becomes a copy of src; the entries are copied bytewise (deep-copy
 * what they point to afterwards). */
void ss_oatable_copy(ss_oatable *dst, const ss_oatable *src);
/* Frees the index only: the entries stay readable (ss_oa_entry) but
 * nothing can be found or inserted until ss_oatable_clear(). */
void ss_oatable_drop_index(ss_oatable *t);
/* Makes room for one more entry (internal to ss_oa_insert). */
void ss_oatable_grow_(ss_oatable *t);

static inline guint32 ss_oatable_size(const ss_oatable *t)
{
	return t->len;
}

/* The keyed hash of a key, as the table's tag (never 0). */
G_ALWAYS_INLINE static inline guint32 ss_oa_hash(const void *key, gsize ksize)
{
	const guint64 *k = ss_hash_key();
	guint32 h = (guint32)ss_siphash13(key, ksize, k[0], k[1]);
	return h ? h : 1;
}

/* Iteration, in insertion order:
 * for (guint32 i = 0; i < t->len; i++) ... ss_oa_entry(t, i) ... */
static inline gboolean ss_oa_used(const ss_oatable *t, guint32 i)
{
	return i < t->len;
}

static inline void *ss_oa_entry(const ss_oatable *t, guint32 i)
{
	return t->entries + (gsize)i * t->esize;
}

/* The slot of key (hash h), or the free slot where it would go: the index
 * is never full, so the probe ends.  cap must not be 0. */
G_ALWAYS_INLINE static inline guint32 ss_oa_probe_(const ss_oatable *t, const void *key,
						   guint32 h, gsize ksize, gsize esize)
{
	guint32 mask = t->cap - 1;
	for (guint32 i = h & mask;; i = (i + 1) & mask) {
		ss_oa_slot s = t->slots[i];
		if (s.tag == 0)
			return i;
		if (s.tag == h && memcmp(t->entries + (gsize)s.idx * esize, key, ksize) == 0)
			return i;
	}
}

/* Whether one more entry needs the table grown first (3/4 full, or the
 * entries' array full). */
G_ALWAYS_INLINE static inline gboolean ss_oa_needs_room_(const ss_oatable *t)
{
	return (guint64)(t->len + 1) * 4 > (guint64)t->cap * 3 || t->len == t->ecap;
}

/* A new entry for hash h in slot i (probed for it, with room), zeroed
 * past its key, which the caller writes. */
G_ALWAYS_INLINE static inline guint8 *ss_oa_append_(ss_oatable *t, guint32 i, guint32 h,
						    gsize ksize, gsize esize)
{
	guint8 *e = t->entries + (gsize)t->len * esize;
	t->slots[i] = (ss_oa_slot){ h, t->len };
	memset(e + ksize, 0, esize - ksize);
	t->len++;
	return e;
}

/* The entry of key, or NULL. */
G_ALWAYS_INLINE static inline void *ss_oa_find(const ss_oatable *t, const void *key, guint32 h,
					       gsize ksize, gsize esize)
{
	if (t->len == 0)
		return NULL;
	ss_oa_slot s = t->slots[ss_oa_probe_(t, key, h, ksize, esize)];
	return s.tag ? t->entries + (gsize)s.idx * esize : NULL;
}

/* The entry of key; when there was none, a new one, zeroed but for the key
 * (and *created set TRUE).  Callers that cap a table check its size first. */
G_ALWAYS_INLINE static inline void *ss_oa_insert(ss_oatable *t, const void *key, guint32 h,
						 gsize ksize, gsize esize, gboolean *created)
{
	guint32 i = 0;
	if (t->cap) {
		i = ss_oa_probe_(t, key, h, ksize, esize);
		if (t->slots[i].tag) {
			*created = FALSE;
			return t->entries + (gsize)t->slots[i].idx * esize;
		}
	}
	if (ss_oa_needs_room_(t)) {
		ss_oatable_grow_(t);
		i = ss_oa_probe_(t, key, h, ksize, esize);
	}
	guint8 *e = ss_oa_append_(t, i, h, ksize, esize);
	memcpy(e, key, ksize);
	*created = TRUE;
	return e;
}

/* A memo of keys' hashes for a look-ahead: a caller hashes the key it
 * will look up a few records later (ss_oa_memo_note) and prefetches its
 * slot (ss_oa_prefetch_slot); the look-up then takes the hash from the memo
 * (ss_oa_memo_hash).  Direct mapped (ss_oa_memo_index), each slot holding
 * the whole key: a cache of a pure function, so a slot holding another key
 * is hashed again and which keys share a slot changes no result.  Used by
 * the hosts and the listeners (keys of up to SS_OA_MEMO_KEY bytes). */
#define SS_OA_MEMO 256
#define SS_OA_MEMO_KEY 28
typedef struct {
	guint8 key[SS_OA_MEMO_KEY];
	guint32 h;               /* 0: empty */
} ss_oa_memo;

/* The memo slot of a key holding the 16-byte address ip16, mixed with
 * `extra` (a port): address bits, not a keyed hash (a crafted capture can
 * only make the memo miss). */
static inline guint ss_oa_memo_index(const guint8 *ip16, guint32 extra)
{
	guint32 a, b;
	memcpy(&a, ip16, sizeof a);
	memcpy(&b, ip16 + 12, sizeof b);
	return ((a ^ b ^ extra) * 0x9e3779b1u) >> 24;
}

/* ---- keys as words ----
 *
 * A key of at most 32 bytes held as four words, its bytes as memcpy
 * reads them (the bytes past the key zero), for the look-ups of the hosts
 * and listeners: their keys are built from a record's fields, and built
 * in memory (a byte, a 16-bit port, a 16-byte address, an 8-byte virtual
 * network) and then read back whole by the hash, the memo's compare and
 * the probe's, each wider read of narrower stores waited for the store
 * buffer to drain (no store-to-load forwarding), and with it for the
 * stores of the events before that missed the cache: 58% of the samples
 * of ss_listeners_prefetch on mixed.pcap sat on one such read.  Words
 * made in registers and compared with words loaded from the table or the
 * memo take no such wait (docs/performance.md, "Roll-ups, eleventh
 * session"). */
typedef struct {
	guint64 w[4];
} ss_oa_kw;

/* kw from the ksize bytes of a key in memory (one written long enough
 * ago: an entry's, a memo's). */
G_ALWAYS_INLINE static inline void ss_oa_kw_from(ss_oa_kw *kw, const void *key, gsize ksize)
{
	memset(kw, 0, sizeof *kw);
	memcpy(kw->w, key, ksize);
}

/* Word i of the ksize bytes at p (the bytes past them zero). */
G_ALWAYS_INLINE static inline guint64 ss_oa_kw_word_(const guint8 *p, gsize ksize, gsize i)
{
	guint64 x = 0;
	memcpy(&x, p + 8 * i, ksize - 8 * i >= 8 ? 8 : ksize - 8 * i);
	return x;
}

/* Whether the ksize bytes at mem are kw's, compared a word at a time
 * (unrolled by hand: gcc 12 left a loop over the words a loop, with a
 * variable-length copy in it, and doubled the look-ups' instructions). */
G_ALWAYS_INLINE static inline gboolean ss_oa_kw_eq(const void *mem, const ss_oa_kw *kw,
						  gsize ksize)
{
	const guint8 *p = mem;
	if (ss_oa_kw_word_(p, ksize, 0) != kw->w[0])
		return FALSE;
	if (ksize > 8 && ss_oa_kw_word_(p, ksize, 1) != kw->w[1])
		return FALSE;
	if (ksize > 16 && ss_oa_kw_word_(p, ksize, 2) != kw->w[2])
		return FALSE;
	return ksize <= 24 || ss_oa_kw_word_(p, ksize, 3) == kw->w[3];
}

/* Writes kw's ksize bytes to mem a word at a time (a copy of kw as a
 * whole, gcc's choice for memcpy, went through a stack copy read back
 * 16 bytes at a time over 8-byte stores). */
G_ALWAYS_INLINE static inline void ss_oa_kw_put(void *mem, const ss_oa_kw *kw, gsize ksize)
{
	guint8 *p = mem;
	guint64 x[4] = { kw->w[0], kw->w[1], kw->w[2], kw->w[3] };
	/* unrolled by hand, as ss_oa_kw_eq() */
	memcpy(p, &x[0], ksize >= 8 ? 8 : ksize);
	if (ksize > 8)
		memcpy(p + 8, &x[1], ksize >= 16 ? 8 : ksize - 8);
	if (ksize > 16)
		memcpy(p + 16, &x[2], ksize >= 24 ? 8 : ksize - 16);
	if (ksize > 24)
		memcpy(p + 24, &x[3], ksize >= 32 ? 8 : ksize - 24);
}

/* The slot of kw (hash h), or the free slot where it would go (cap > 0). */
G_ALWAYS_INLINE static inline guint32 ss_oa_probe_kw_(const ss_oatable *t, const ss_oa_kw *kw,
						      guint32 h, gsize ksize, gsize esize)
{
	guint32 mask = t->cap - 1;
	for (guint32 i = h & mask;; i = (i + 1) & mask) {
		ss_oa_slot s = t->slots[i];
		if (s.tag == 0)
			return i;
		if (s.tag == h && ss_oa_kw_eq(t->entries + (gsize)s.idx * esize, kw, ksize))
			return i;
	}
}

/* ss_oa_find() and ss_oa_insert() for a key held as words. */
G_ALWAYS_INLINE static inline void *ss_oa_find_kw(const ss_oatable *t, const ss_oa_kw *kw,
						 guint32 h, gsize ksize, gsize esize)
{
	if (t->len == 0)
		return NULL;
	ss_oa_slot s = t->slots[ss_oa_probe_kw_(t, kw, h, ksize, esize)];
	return s.tag ? t->entries + (gsize)s.idx * esize : NULL;
}

G_ALWAYS_INLINE static inline void *ss_oa_insert_kw(ss_oatable *t, const ss_oa_kw *kw, guint32 h,
						   gsize ksize, gsize esize, gboolean *created)
{
	guint32 i = 0;
	if (t->cap) {
		i = ss_oa_probe_kw_(t, kw, h, ksize, esize);
		if (t->slots[i].tag) {
			*created = FALSE;
			return t->entries + (gsize)t->slots[i].idx * esize;
		}
	}
	if (ss_oa_needs_room_(t)) {
		ss_oatable_grow_(t);
		i = ss_oa_probe_kw_(t, kw, h, ksize, esize);
	}
	guint8 *e = ss_oa_append_(t, i, h, ksize, esize);
	ss_oa_kw_put(e, kw, ksize);
	*created = TRUE;
	return e;
}

/* ss_oa_hash() of the key kw holds.  Hashed from a copy, so that kw's
 * own address is never taken: inlined into the look-ups, kw then stays in
 * registers, and a memo slot or a new entry is written from them rather
 * than copied from a stack copy of kw, a read of 16 bytes over two 8-byte
 * stores (the wait described above). */
G_ALWAYS_INLINE static inline guint32 ss_oa_kw_hash_bytes(const ss_oa_kw *kw, gsize ksize)
{
	guint64 copy[4] = { kw->w[0], kw->w[1], kw->w[2], kw->w[3] };
	return ss_oa_hash(copy, ksize);
}

/* The hash of a host's or a socket's key held as words (hosts.c,
 * listeners.c: w[0] the family (the protocol and port) and the address's
 * first 4 bytes, w[1] and w[2]'s low half its other 12, then the virtual
 * network).  An IPv4-shaped address (bytes 4-15 zero) packs the key into
 * two words (w[0]; the virtual network), hashed with three AES rounds under hk
 * (ss_hash3), where SipHash-1-3 of the 28 bytes was ~110 instructions;
 * equal keys pack to equal words, which is all the table needs.  Other
 * keys (on a big-endian machine, every key) hash in full; the family keeps
 * an IPv6 address of that shape apart from the IPv4 one.  Measured in
 * docs/performance.md ("Roll-ups, eleventh session"). */
G_ALWAYS_INLINE static inline guint32 ss_oa_kw_hash_addr(const ss_hash3_key *hk,
							 const ss_oa_kw *kw, gsize ksize)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
	if (kw->w[1] == 0 && (guint32)kw->w[2] == 0) {
		guint32 x = (guint32)ss_hash3(hk, kw->w[0], kw->w[2] >> 32 | kw->w[3] << 32, 0);
		return x ? x : 1;
	}
#else
	(void)hk;
#endif
	return ss_oa_kw_hash_bytes(kw, ksize);
}

/* The table's hash of a key held as words (never 0): the caller's,
 * inlined through the always-inline memo functions when it is a static
 * function of the caller's file (ctx: its context). */
typedef guint32 (*ss_oa_kw_hash)(const void *ctx, const ss_oa_kw *kw);

G_ALWAYS_INLINE static inline guint32 ss_oa_memo_hash(const ss_oa_memo *m, const ss_oa_kw *kw,
						      gsize ksize, ss_oa_kw_hash hash,
						      const void *ctx)
{
	if (m->h != 0 && ss_oa_kw_eq(m->key, kw, ksize))
		return m->h;
	return hash(ctx, kw);
}

G_ALWAYS_INLINE static inline guint32 ss_oa_memo_note(ss_oa_memo *m, const ss_oa_kw *kw,
						      gsize ksize, ss_oa_kw_hash hash,
						      const void *ctx)
{
	if (m->h == 0 || !ss_oa_kw_eq(m->key, kw, ksize)) {
		ss_oa_kw_put(m->key, kw, ksize);
		m->h = hash(ctx, kw);
	}
	return m->h;
}

static inline void ss_oa_prefetch_slot(const ss_oatable *t, guint32 h)
{
	if (t->cap)
		__builtin_prefetch(&t->slots[h & (t->cap - 1)]);
}

/* The hash a memo slot holds for key, or 0 when it holds another key (or
 * none): for a later step of a look-ahead, which only hints and does not
 * pay for hashing again. */
G_ALWAYS_INLINE static inline guint32 ss_oa_memo_peek(const ss_oa_memo *m, const void *key,
						      gsize ksize)
{
	return m->h != 0 && memcmp(m->key, key, ksize) == 0 ? m->h : 0;
}

/* The prefetch helpers are always inlined: gcc counts a prefetch as no
 * side effect, so a call to one that it did not inline (gcc 12 -O3 left
 * ss_oa_prefetch_entry() out of line) is a call to a pure function whose
 * result is unused, and is deleted: callers compiled to a bare `ret`. */

/* Fetches every cache line of [p, p + n), n > 0. */
G_ALWAYS_INLINE static inline void ss_prefetch_bytes(const void *p, gsize n)
{
	const char *b = p;
	for (gsize off = 0; off < n; off += 64)
		__builtin_prefetch(b + off);
	__builtin_prefetch(b + n - 1);
}

/* The second step of a look-ahead, a few records after
 * ss_oa_prefetch_slot(h) fetched the home slot: the entry the first slot
 * with tag h names is fetched too, so that the look-up compares its key
 * (and the caller updates it) without a second dependent miss.  The key is
 * not compared (that would be the miss): a hint, which a tag shared by
 * two keys only makes useless.  Walks at most 4 slots. */
G_ALWAYS_INLINE static inline void ss_oa_prefetch_entry(const ss_oatable *t, guint32 h)
{
	if (t->cap == 0)
		return;
	guint32 mask = t->cap - 1, i = h & mask;
	for (guint32 n = 0; n < 4; n++, i = (i + 1) & mask) {
		guint32 tag = t->slots[i].tag;
		if (tag == 0)
			return;
		if (tag == h)
			break;
	}
	if (t->slots[i].tag == h)
		ss_prefetch_bytes(t->entries + (gsize)t->slots[i].idx * t->esize, t->esize);
}

/* For the inline tables that keep their entries in the slots (the roles'
 * IPv4 endpoints, the findings' IPv4 closed tuples): the fewest slots
 * that hold n entries at most 3/4 full, "3/4 full" being len + 1 > cap -
 * cap / 4 (for a power of two the same as (len + 1) * 4 > cap * 3).  A
 * table bounded by n grows to this last instead of the next power of two:
 * 2^18 entries take 349 525 slots, not 2^19.  Measured in
 * docs/performance.md ("Roll-ups, tenth session"). */
static inline guint32 ss_oa_cap_for(guint32 n)
{
	guint32 cap = (guint32)((guint64)n * 4 / 3);
	while (cap - cap / 4 < n)
		cap++;
	return cap;
}

/* The next size of such a table of cap slots bounded by n entries: double
 * (64 at first), or ss_oa_cap_for(n) when doubling would pass it. */
static inline guint32 ss_oa_grown_cap(guint32 cap, guint32 n)
{
	guint32 next = cap ? cap * 2 : 64, last = ss_oa_cap_for(n);
	return next > last && last > cap ? last : next;
}

/* A hash's home slot in a table of any size: the high half of h * cap
 * (fast range: a multiply where a power of two took an and). */
G_ALWAYS_INLINE static inline guint32 ss_fast_range(guint32 h, guint32 cap)
{
	return (guint32)(((guint64)h * cap) >> 32);
}

#endif
