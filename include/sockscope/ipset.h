/* A set of IP addresses kept inline: open addressing with linear probing
 * in one array.  The distinct clients of every listener and of every
 * finding group are such sets, added to once per record; a GHashTable of
 * g_memdup2()'d keys cost a malloc and ~70 bytes a member and two look-ups
 * per record (contains, then add), this costs one probe sequence.
 *
 * A set whose members are all IPv4-shaped (bytes 4..15 zero: every IPv4
 * address) keeps them as 4-byte slots, and turns its slots into 16-byte
 * ss_ip only when the first other address comes.  Each listener and each
 * finding group is of one family, so on the 2M-flow bench capture (2M
 * listener clients, 1.5M refused-group clients) the sets take 5-8 bytes a
 * member instead of 21-43, and a probe compares and hashes 4 bytes
 * (measured in docs/performance.md, "per-record roll-ups").  A set of
 * 32 slots or more whose IPv4 members share at most 15 distinct first
 * halves (the client networks' /16s, as a server's clients usually are)
 * keeps only each member's second half and a 4-bit index of its first
 * half: 2.5 bytes a slot instead of 4 (ipset.c, "the packed form"); an
 * IPv6 set of at most 15 distinct first 14 bytes likewise, instead of 16.
 * Hashing is ss_hash_bytes(), keyed per process. */
#ifndef SOCKSCOPE_IPSET_H
#define SOCKSCOPE_IPSET_H

#include <glib.h>
#include "sockscope/packet.h"

/* How a set holds its members (ss_ip_set.form). */
enum {
	SS_IP_SET_NARROW = 0,  /* 4-byte slots: every member IPv4-shaped */
	SS_IP_SET_WIDE,        /* 16-byte ss_ip slots: some member is not */
	SS_IP_SET_PACKED,      /* IPv4-shaped members under at most 15 distinct
	                          first halves: 2.5 bytes a slot (ipset.c) */
	SS_IP_SET_PACKED6,     /* the same for IPv6 members under at most 15
	                          distinct first 14 bytes */
};

typedef struct {
	void *slots;           /* `cap` slots in the set's form; all-zero is free */
	guint32 cap;           /* 0 (nothing allocated yet) or a power of two */
	guint32 len;           /* members, the all-zero address included */
	guint8 has_zero;       /* 0.0.0.0 / :: is a member (it cannot mark a slot) */
	guint8 form;           /* SS_IP_SET_NARROW, _WIDE, _PACKED or _PACKED6 */
	guint8 many_halves;    /* too many first halves for a packed form */
} ss_ip_set;

/* All zero, as a zero-filled struct is: an empty set. */
#define SS_IP_SET_INIT { NULL, 0, 0, 0, 0, 0 }

/* Frees the slots; the set is empty and usable again. */
void ss_ip_set_clear(ss_ip_set *s);
gboolean ss_ip_set_contains(const ss_ip_set *s, const ss_ip *ip);
/* Adds ip; TRUE when it was not a member yet. */
gboolean ss_ip_set_add(ss_ip_set *s, const ss_ip *ip);
/* Fetches the slot where a look-up of ip starts into the cache, for a
 * caller that adds ip a little later (the findings' look-ahead). */
void ss_ip_set_prefetch(const ss_ip_set *s, const ss_ip *ip);
/* Some member into *out (the only one when the size is 1); FALSE when empty. */
gboolean ss_ip_set_any(const ss_ip_set *s, ss_ip *out);
/* dst (empty or cleared) becomes a copy of src. */
void ss_ip_set_copy(ss_ip_set *dst, const ss_ip_set *src);

static inline guint ss_ip_set_size(const ss_ip_set *s)
{
	return s->len;
}

#endif
