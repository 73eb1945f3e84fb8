/* A set of nonzero 64-bit numbers, stored in the slots themselves (open
 * addressing, linear probing, at most 3/4 full): a look-up is one probe
 * sequence in one array, with no key elsewhere to compare.  The hosts'
 * distinct (client host, server socket) pairs are such numbers (two 32-bit
 * table indexes): on the 2M-flow bench capture that set took 40 MB as
 * 48-byte keys in an ss_oatable (a slot miss, then an entry miss to compare
 * the key) and takes 8 MB here (measured in docs/performance.md,
 * "per-record roll-ups").  Hashing is keyed, as every table's whose keys
 * come from a capture: three AES rounds under the process's round keys
 * (ss_hash3, sockscope/hash.h; SipHash-1-3 of the number without AES-NI).
 * It was SipHash-1-3 of the 8 bytes: ~70 instructions a hash, and a
 * (host, server) pair is hashed twice (the look-ahead, then the add) and
 * again at every doubling (docs/performance.md, "Roll-ups, eleventh
 * session"). */
#ifndef SOCKSCOPE_SET64_H
#define SOCKSCOPE_SET64_H

#include <glib.h>

#include "sockscope/hash.h"

typedef struct {
	guint64 *slots;        /* cap slots; 0 is free */
	guint32 cap;           /* 0 (nothing allocated yet) or a power of two */
	guint32 len;
} ss_set64;

/* Frees the slots; the set is empty and usable again. */
void ss_set64_clear(ss_set64 *s);
/* Doubles the slots (internal to ss_set64_add). */
void ss_set64_grow_(ss_set64 *s);

typedef enum {
	SS_SET64_PRESENT,      /* v was a member */
	SS_SET64_ADDED,        /* v is a member now */
	SS_SET64_FULL,         /* v is not a member and the set holds `max` */
} ss_set64_result;

/* The hash of v, whose low bits are its home slot. */
static inline guint32 ss_set64_hash(guint64 v)
{
	return (guint32)ss_hash3(ss_hash3_process_key(), v, 0, 0);
}

/* The slot of v, or the free slot where it would go (cap > 0). */
G_ALWAYS_INLINE static inline guint64 *ss_set64_probe_(const ss_set64 *s, guint64 v)
{
	guint32 mask = s->cap - 1;
	for (guint32 i = ss_set64_hash(v) & mask;; i = (i + 1) & mask)
		if (s->slots[i] == v || s->slots[i] == 0)
			return &s->slots[i];
}

/* Fetches the home slot of v into the cache, for a caller that adds v a
 * little later (the hosts' look-ahead).  Always inlined: out of line, gcc
 * takes a function that only prefetches for a pure one and drops its
 * calls (sockscope/oatable.h). */
G_ALWAYS_INLINE static inline void ss_set64_prefetch(const ss_set64 *s, guint64 v)
{
	if (s->cap)
		__builtin_prefetch(&s->slots[ss_set64_hash(v) & (s->cap - 1)]);
}

/* TRUE when v (nonzero) is a member. */
G_ALWAYS_INLINE static inline gboolean ss_set64_contains(const ss_set64 *s, guint64 v)
{
	return s->cap && *ss_set64_probe_(s, v) == v;
}

/* Adds v (nonzero) unless the set already holds `max` members. */
G_ALWAYS_INLINE static inline ss_set64_result ss_set64_add(ss_set64 *s, guint64 v, guint32 max)
{
	guint64 *slot = NULL;
	if (s->cap) {
		slot = ss_set64_probe_(s, v);
		if (*slot == v)
			return SS_SET64_PRESENT;
	}
	if (s->len >= max)
		return SS_SET64_FULL;
	if ((guint64)(s->len + 1) * 4 > (guint64)s->cap * 3) {
		ss_set64_grow_(s);
		slot = ss_set64_probe_(s, v);
	}
	*slot = v;
	s->len++;
	return SS_SET64_ADDED;
}

#endif
