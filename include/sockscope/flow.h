/* Flow keys and the flow table.
 *
 * A key stores its two endpoints in canonical order (the smaller address,
 * then port, first) so both directions of a conversation find the same
 * entry; ss_flow_key_make() says which side the packet came from.  The key
 * has no padding holes, so it is hashed and compared bytewise.  Tables of
 * flow keys hash them with an ss_flow_hasher keyed at random per run
 * (SipHash-1-3, or AES rounds for IPv4 where the CPU has AES-NI:
 * flow/hasher.c), so crafted traffic cannot force collisions. */
#ifndef SOCKSCOPE_FLOW_H
#define SOCKSCOPE_FLOW_H

#include <glib.h>
#include "sockscope/hash.h"
#include "sockscope/packet.h"

typedef struct {
	ss_ip addr[2];
	guint16 port[2];
	guint8 proto;     /* IPPROTO_TCP / IPPROTO_UDP */
	guint8 family;    /* SS_FAMILY_IPV4 / SS_FAMILY_IPV6 */
	/* The tunnel around the flow and its virtual network id (VNI, GRE key,
	 * TEID...): two tenants using the same inner addresses are two flows.
	 * Both 0 for traffic that was not tunnelled. */
	guint8 tunnel;    /* ss_tunnel_type */
	guint8 zero;      /* always 0: keeps bytewise hashing well defined */
	guint32 vni;
	guint32 zero2;    /* always 0, likewise */
} ss_flow_key;

G_STATIC_ASSERT(sizeof(ss_flow_key) == 48);

/* Fills *key (not tunnelled) and returns the index (0 or 1) of the endpoint
 * that is the packet's source. */
int ss_flow_key_make(ss_flow_key *key, guint8 family, guint8 proto,
		     const ss_ip *src, guint16 sport, const ss_ip *dst, guint16 dport);

/* Puts the flow inside the tunnel the packet came through. */
static inline void ss_flow_key_set_tunnel(ss_flow_key *key, const ss_tunnel *t)
{
	/* Nothing to write for the common packet, which came through no
	 * tunnel: ss_flow_key_make() wrote the key's last 16 bytes at once,
	 * and a byte written over them here would keep the hash's loads right
	 * after from being forwarded that one store (flow/table.c). */
	if (t->type != SS_TUNNEL_NONE || t->vni != 0) {
		key->tunnel = t->type;
		key->vni = t->vni;
	}
}

/* The keyed hash of flow keys: a few AES rounds under random round keys
 * for IPv4 keys where the CPU has AES-NI, SipHash-1-3 under the random key
 * (k0, k1) otherwise.  Each table of flow keys owns one with seeds of its
 * own (the flow table, the lifecycle's index of tombstones), so one
 * table's hashes say nothing about another's.  Nothing outside a table
 * sees the values, so which hash a machine uses changes no output. */
typedef struct {
	guint64 k0, k1;
	ss_hash3_key hk;   /* round keys drawn from k0, k1 */
} ss_flow_hasher;

void ss_flow_hasher_init(ss_flow_hasher *fh, guint64 k0, guint64 k1);
guint64 ss_flow_hasher_hash(const ss_flow_hasher *fh, const ss_flow_key *key);

typedef struct ss_flow_table ss_flow_table;

/* Entries are caller-owned objects whose first member is an ss_flow_key;
 * the table names them and never frees them.  Slots are 8 bytes while
 * every entry is a multiple of 8 bytes from the others and within 32 GiB
 * of them (records from one slab or heap), 16 otherwise (flow/table.c). */
ss_flow_table *ss_flow_table_new(guint64 seed0, guint64 seed1);
void ss_flow_table_free(ss_flow_table *t);
gsize ss_flow_table_size(const ss_flow_table *t);
/* 8, or 16 once an entry did not fit the narrow slot. */
gsize ss_flow_table_slot_bytes(const ss_flow_table *t);
gsize ss_flow_table_capacity(const ss_flow_table *t);
/* The table will never hold more than n entries (0: no bound; the
 * lifecycle's flow cap): its last growth goes to the fewest slots that
 * hold n at most 3/4 full, not to the next power of two.  Set it while
 * the table is small (a bound below the entries held is a caller bug). */
void ss_flow_table_set_bound(ss_flow_table *t, guint64 n);
gpointer ss_flow_table_lookup(const ss_flow_table *t, const ss_flow_key *key);
/* Inserts entry (whose key must not be present yet). */
void ss_flow_table_insert(ss_flow_table *t, gpointer entry);
/* Replaces the entry with an equal key by `entry`; returns the old one. */
gpointer ss_flow_table_replace(ss_flow_table *t, gpointer entry);
gboolean ss_flow_table_remove(ss_flow_table *t, const ss_flow_key *key);
/* Removes `entry` itself: nothing when another entry has its key now. */
gboolean ss_flow_table_remove_entry(ss_flow_table *t, gconstpointer entry);

/* The per-packet path hashes a key once: ss_flow_table_hash() (the
 * table's own ss_flow_hasher), then the look-up and, for a new flow, the
 * insert with that hash.  The hash stays valid while entries come and go
 * (an eviction between the two is fine).  The table keeps and uses the
 * hash's low 32 bits only. */
guint64 ss_flow_table_hash(const ss_flow_table *t, const ss_flow_key *key);
gpointer ss_flow_table_lookup_hashed(const ss_flow_table *t, const ss_flow_key *key, guint64 h);
void ss_flow_table_insert_hashed(ss_flow_table *t, gpointer entry, guint64 h);
gpointer ss_flow_table_replace_hashed(ss_flow_table *t, gpointer entry, guint64 h);
gboolean ss_flow_table_remove_hashed(ss_flow_table *t, const ss_flow_key *key, guint64 h);

/* Every entry, one at a time, in slot order (one sequential pass: no
 * order worth relying on, but no entry is chased through another): *pos
 * starts at 0; NULL after the last. */
gpointer ss_flow_table_next_entry(const ss_flow_table *t, gsize *pos);

/* Hints for a batch of packets, to overlap their cache misses: prefetch
 * the slot where hash h starts, then (once it has arrived) peek at the
 * entry stored there with the same hash, without comparing keys.  Neither
 * changes the table; a peeked entry may be another key's or gone by the
 * time its packet is tracked, so it is only ever prefetched. */
void ss_flow_table_prefetch_slot(const ss_flow_table *t, guint64 h);
gpointer ss_flow_table_peek(const ss_flow_table *t, guint64 h);

/* SipHash-1-3 of the key, exposed for tests: of its 48 bytes for IPv6, of
 * the 19 that carry information for IPv4 (flow/hasher.c says which). */
guint64 ss_flow_key_hash(const ss_flow_key *key, guint64 k0, guint64 k1);

#endif
