/* Role inference: the knowledge learned from the capture and the decision
 * for records without a handshake (include/sockscope/roles.h). */
#include "sockscope/roles.h"
#include "sockscope/bigarray.h"
#include "sockscope/decide.h"
#include "sockscope/ephemeral.h"
#include "sockscope/hash.h"
#include "sockscope/oatable.h"
#include "sockscope/set64.h"
#include "sockscope/util.h"

#include <netinet/in.h>
#include <string.h>

enum {
	EP_PROVEN_LISTENER = 1u << 0,   /* TCP: sent a SYN-ACK / a handshake's server */
};

/* What the records taught about one endpoint (16 bytes). */
typedef struct {
	guint32 records;         /* records it took part in */
	guint32 peer_changes;    /* records whose peer port differed from the previous one's */
	guint32 replies;         /* UDP: records in which it answered the first sender */
	guint16 last_peer_port;
	guint8 flags;
} ep_counts;

/* An endpoint, key and counts together in its slot: the key's words
 * first, then the counts.  An IPv4 endpoint's key is one word (address,
 * port, protocol and the family's 4: a slot of 24 bytes), an IPv6 one's
 * three (the address's halves, then port, protocol and family: 40 bytes).
 * The last word holds the family, never 0, so 0 there marks a free slot. */
#define EP4_WORDS 1
#define EP6_WORDS 3
#define EP_SLOT_WORDS(nw) ((nw) + sizeof(ep_counts) / sizeof(guint64))
#define EP_SLOT_BYTES(nw) (EP_SLOT_WORDS(nw) * sizeof(guint64))

G_STATIC_ASSERT(sizeof(ep_counts) == 16 && EP_SLOT_BYTES(EP4_WORDS) == 24);

/* The endpoints of one family: open addressing with linear probing, at
 * most 3/4 full, the entries in the slots themselves.  Nearly every
 * record looks up two endpoints, one of them new (its client's ephemeral
 * port), in a table of up to 2^18 of them: far past the caches.  In an
 * ss_oatable a look-up was two dependent misses, the slot's tag and then
 * the entry to compare the key and update the counts (perf annotate of
 * ep_get on many-s: 46% of its samples on the first load, 29% on the
 * second); here it is one, the key hashed as one or three words by
 * ss_hash3.  The IPv6 endpoints were in an ss_oatable until the
 * thirteenth session (40% of ep_insert's samples on mixed.pcap, whose
 * 10 000 IPv6 hosts made ~12% of the endpoints: two misses, SipHash, no
 * look-ahead; the roll thread's packet-phase user samples 248 -> 224 in
 * their own slots, 11 alternating rounds); docs/performance.md, "Roll-ups,
 * thirteenth session". */
typedef struct {
	guint64 *slots;          /* cap slots of words + 2 words each */
	guint32 cap;             /* 0 (nothing allocated yet), or ep_grown_cap()'s */
	guint32 len;
} ep_table;

/* The hashes of the endpoints ss_roles_prefetch() looked at, direct
 * mapped by key: the look-up a few events later finds its hash here
 * instead of computing it again.  Only a cache of a pure function (a
 * slot whose key differs is computed again), so which keys share a slot
 * changes no result. */
#define EP_MEMO 256
typedef struct {
	guint64 key;             /* 0: empty */
	guint32 h;
} ep_memo;

/* A host-pair direction that the capture holds packets in, and a host the
 * capture is proven to miss packets to. */
typedef struct {
	guint8 family;
	ss_ip from, to;        /* `to` zero: a host key (deaf) */
} dir_key;

/* A set of such directions (or hosts, `to` left zero).  An IPv4 one is a
 * 64-bit number (from << 32 | to) stored in its slot (ss_set64): one
 * probe, where the 36-byte dir_key in an ss_oatable was a slot miss and
 * then an entry miss to compare it, for each direction of each record
 * until the set is full (most captures never fill it).  0.0.0.0 to
 * 0.0.0.0, the one number a set64 cannot hold, is a flag.  The bound
 * counts the three together. */
typedef struct {
	ss_set64 v4;
	gboolean v4_zero;
	ss_oatable v6;         /* dir_key */
} dir_set;

/* The endpoints are kept inline in open-addressing tables: nearly every
 * record brings a new one, and a malloc plus a GHashTable node for each
 * cost more than the rest of the learning.  max_endpoints bounds the two
 * tables together. */
struct ss_roles {
	ss_roles_limits lim;
	const ss_hosts *hosts;
	/* the endpoints' hash: three AES rounds (ss_hash3) where it was
	 * SipHash-1-3 of the packed 8 bytes (docs/performance.md, "Roll-ups,
	 * eleventh session") or of the IPv6 key's 20 (thirteenth session) */
	ss_hash3_key hk;
	ep_table eps4;           /* IPv4 endpoints, EP4_WORDS of key */
	ep_table eps6;           /* IPv6 endpoints, EP6_WORDS of key */
	ep_memo memo[EP_MEMO];   /* IPv4 keys' hashes, from ss_roles_prefetch() */
	gboolean full;           /* a sweep freed too little: no new endpoints */
	guint64 dropped;
	/* What tells a missing answer from a missing direction
	 * (ss_roles_answer_unseen): host-pair directions that held packets
	 * (at most SS_ROLES_MAX_DIRECTIONS), and the hosts that one-sided TCP
	 * records prove the capture misses packets to. */
	dir_set directions;
	dir_set deaf;            /* hosts (in `from`) */
};

static void dir_set_clear(dir_set *s)
{
	ss_set64_clear(&s->v4);
	ss_oatable_clear(&s->v6);
}

void ss_roles_limits_init(ss_roles_limits *lim)
{
	lim->max_endpoints = 1u << 18;
}

ss_roles *ss_roles_new(const ss_roles_limits *lim, const ss_hosts *hosts)
{
	ss_roles *k = g_new0(ss_roles, 1);
	if (lim)
		k->lim = *lim;
	else
		ss_roles_limits_init(&k->lim);
	k->hosts = hosts;
	ss_hash3_key_init(&k->hk);
	ss_oatable_init(&k->directions.v6, sizeof(dir_key), sizeof(dir_key));
	ss_oatable_init(&k->deaf.v6, sizeof(dir_key), sizeof(dir_key));
	return k;
}

void ss_roles_free(ss_roles *k)
{
	if (!k)
		return;
	ss_big_free(k->eps4.slots, (gsize)k->eps4.cap * EP_SLOT_BYTES(EP4_WORDS));
	ss_big_free(k->eps6.slots, (gsize)k->eps6.cap * EP_SLOT_BYTES(EP6_WORDS));
	dir_set_clear(&k->directions);
	dir_set_clear(&k->deaf);
	g_free(k);
}

gsize ss_roles_ipv4_bytes(const ss_roles *k)
{
	return (gsize)k->eps4.cap * EP_SLOT_BYTES(EP4_WORDS);
}

guint64 ss_roles_dropped(const ss_roles *k)
{
	return k ? k->dropped : 0;
}

/* ---- the endpoint tables ---- */

/* One side of a record, ready to be looked up: its key and hash, computed
 * once for the look-ups of a record, and its home slot already prefetched. */
typedef struct {
	gboolean v4;
	guint32 h;
	guint64 key[EP6_WORDS];  /* EP4_WORDS or EP6_WORDS of them */
} ep_ref;

/* The functions below take the key's width, nw, a constant wherever they
 * are inlined, so each family gets its own code from one source. */
G_ALWAYS_INLINE static inline guint32 ep_hash(const ss_roles *k, const guint64 *key, guint nw)
{
	if (nw == EP4_WORDS)
		return (guint32)ss_hash3(&k->hk, key[0], 0, 0);
	return (guint32)ss_hash3(&k->hk, key[0], key[1], key[2]);
}

static inline guint64 ep4_key(const ss_ip *ip, guint16 port, guint8 proto)
{
	guint32 a;
	memcpy(&a, ip->bytes, 4);
	return (guint64)a << 32 | (guint64)port << 16 | (guint64)proto << 8 | SS_FAMILY_IPV4;
}

static inline void ep6_key(guint64 *key, guint8 family, const ss_ip *ip, guint16 port,
			   guint8 proto)
{
	memcpy(&key[0], ip->bytes, 8);
	memcpy(&key[1], ip->bytes + 8, 8);
	key[2] = (guint64)port << 16 | (guint64)proto << 8 | family;
}

/* The memo slot of key: the top bits of a multiplication by 2^64 / phi
 * (Fibonacci hashing) mix the address and the port into them. */
static inline guint32 ep4_memo_index(guint64 key)
{
	return (guint32)((key * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15)) >> 56);
}
G_STATIC_ASSERT(EP_MEMO == 256);

G_ALWAYS_INLINE static inline guint64 *ep_slot(const ep_table *t, guint32 i, guint nw)
{
	return t->slots + (gsize)i * EP_SLOT_WORDS(nw);
}

G_ALWAYS_INLINE static inline ep_counts *ep_slot_counts(guint64 *s, guint nw)
{
	return (ep_counts *)(s + nw);
}

G_ALWAYS_INLINE static inline gboolean ep_slot_free(const guint64 *s, guint nw)
{
	return s[nw - 1] == 0;
}

/* Whether one more endpoint would fill more than 3/4 of the slots (for a
 * power of two, (len + 1) * 4 > cap * 3, as before). */
static inline gboolean ep_needs_room(const ep_table *t)
{
	return t->len + 1 > t->cap - t->cap / 4;
}

G_ALWAYS_INLINE static inline guint32 ep_home(const ep_table *t, guint32 h)
{
	return ss_fast_range(h, t->cap);
}

G_ALWAYS_INLINE static inline guint32 ep_next(const ep_table *t, guint32 i)
{
	return i + 1 == t->cap ? 0 : i + 1;
}

G_ALWAYS_INLINE static inline gboolean ep_key_eq(const guint64 *s, const guint64 *key, guint nw)
{
	if (nw == EP4_WORDS)
		return s[0] == key[0];
	return s[0] == key[0] && s[1] == key[1] && s[2] == key[2];
}

/* The slot of key, or the free slot where it would go (cap > 0, and the
 * table is never full, so the probe ends). */
G_ALWAYS_INLINE static inline guint64 *ep_probe(const ep_table *t, const guint64 *key,
						guint32 h, guint nw)
{
	for (guint32 i = ep_home(t, h);; i = ep_next(t, i)) {
		guint64 *s = ep_slot(t, i, nw);
		if (ep_slot_free(s, nw) || ep_key_eq(s, key, nw))
			return s;
	}
}

/* Moves slot `from` to where its key goes in t. */
G_ALWAYS_INLINE static inline void ep_place(const ss_roles *k, const ep_table *t,
					    const guint64 *from, guint nw)
{
	memcpy(ep_probe(t, from, ep_hash(k, from, nw), nw), from, EP_SLOT_BYTES(nw));
}

/* The table grows at last to the fewest slots that hold max_endpoints at
 * most 3/4 full (ss_oa_cap_for: 349 525 for 2^18, 8 MiB of IPv4 slots),
 * where doubling went on to 2^19 slots (12 MiB) for the same 2^18
 * endpoints, half of them empty at many-flows.pcap's peak; a home slot is
 * found by fast range, so any size indexes (docs/performance.md,
 * "Roll-ups, tenth session").
 *
 * The next size of a table of cap slots: double (IPv4) or
 * grow by half (IPv6: its 40-byte slots at most 3/4 full took more than
 * the ss_oatable's dense 36-byte entries and 8-byte slots did, ~0.5 MB
 * more on many-flows.pcap's ~30 000 IPv6 endpoints when doubled), or at
 * last the size max_endpoints needs (ss_oa_cap_for), fitted to the huge
 * pages a mapped table is populated in (ss_big_resident_bytes): the whole
 * pages below the grown size when they still grow the table by half,
 * else every slot of the pages it takes (mixed.pcap's ~93 000 IPv4
 * endpoints: 174 762 slots of 24 bytes in the 4 MiB that 131 072
 * populated).  A size whose growth by half would pass the last goes to
 * the last at once: a table grown from 349 524 slots to 349 525 would
 * hold two 8 MiB arrays for one slot. */
static guint32 ep_grown_cap(const ss_roles *k, guint32 cap, guint nw)
{
	gsize slot_bytes = EP_SLOT_BYTES(nw);
	guint32 last = ss_oa_cap_for(k->lim.max_endpoints);
	guint32 next = cap == 0 ? 64 : nw == EP4_WORDS ? cap * 2 : cap + cap / 2;
	if (next >= last)
		return MAX(last, cap + 1);
	gsize bytes = (gsize)next * slot_bytes, held = ss_big_resident_bytes(bytes);
	if (held != bytes) {
		guint32 below = (guint32)((held - SS_BIG_HUGE_BYTES) / slot_bytes);
		next = below >= cap + cap / 2 ? below : (guint32)(held / slot_bytes);
	}
	return (guint64)next + next / 2 > last ? last : next;
}

G_ALWAYS_INLINE static inline void ep_grow(const ss_roles *k, ep_table *t, guint nw)
{
	guint32 cap = ep_grown_cap(k, t->cap, nw);
	ep_table n = { ss_big_new0(cap, EP_SLOT_BYTES(nw)), cap, t->len };
	for (guint32 i = 0; i < t->cap; i++) {
		const guint64 *s = ep_slot(t, i, nw);
		if (!ep_slot_free(s, nw))
			ep_place(k, &n, s, nw);
	}
	ss_big_free(t->slots, (gsize)t->cap * EP_SLOT_BYTES(nw));
	*t = n;
}

static void ep4_grow(const ss_roles *k, ep_table *t)
{
	ep_grow(k, t, EP4_WORDS);
}

static void ep6_grow(const ss_roles *k, ep_table *t)
{
	ep_grow(k, t, EP6_WORDS);
}

static void ep_ref_make(const ss_roles *k, ep_ref *r, const ss_conn *c, int side)
{
	r->v4 = c->family == SS_FAMILY_IPV4;
	if (r->v4) {
		r->key[0] = ep4_key(ss_conn_ip(c, side), ss_conn_port(c, side), c->proto);
		const ep_memo *m = &k->memo[ep4_memo_index(r->key[0])];
		r->h = m->key == r->key[0] ? m->h : ep_hash(k, r->key, EP4_WORDS);
		if (k->eps4.cap)
			__builtin_prefetch(ep_slot(&k->eps4, ep_home(&k->eps4, r->h), EP4_WORDS));
		return;
	}
	ep6_key(r->key, c->family, ss_conn_ip(c, side), ss_conn_port(c, side), c->proto);
	r->h = ep_hash(k, r->key, EP6_WORDS);
	if (k->eps6.cap)
		__builtin_prefetch(ep_slot(&k->eps6, ep_home(&k->eps6, r->h), EP6_WORDS));
}

void ss_roles_prefetch(ss_roles *k, const ss_conn *c)
{
	/* From the flow key, the record's first bytes (the caller fetched
	 * them ahead): both endpoints are looked up, so which side is ep[0]
	 * does not matter here. */
	if (!k)
		return;
	const ss_flow_key *fk = &c->key;
	if (fk->family != SS_FAMILY_IPV4) {
		/* no memo: the look-up hashes the three words again, ~25
		 * instructions, where the miss it saves is ~100 ns */
		if (k->eps6.cap == 0)
			return;
		for (int i = 0; i < 2; i++) {
			guint64 key[EP6_WORDS];
			ep6_key(key, fk->family, &fk->addr[i], fk->port[i], fk->proto);
			guint32 h = ep_hash(k, key, EP6_WORDS);
			ss_prefetch_bytes(ep_slot(&k->eps6, ep_home(&k->eps6, h), EP6_WORDS),
					  EP_SLOT_BYTES(EP6_WORDS));
		}
		return;
	}
	if (k->eps4.cap == 0)
		return;
	for (int i = 0; i < 2; i++) {
		guint64 key = ep4_key(&fk->addr[i], fk->port[i], fk->proto);
		ep_memo *m = &k->memo[ep4_memo_index(key)];
		if (m->key != key) {
			m->key = key;
			m->h = ep_hash(k, &key, EP4_WORDS);
		}
		__builtin_prefetch(ep_slot(&k->eps4, ep_home(&k->eps4, m->h), EP4_WORDS), 1);
	}
}

static const ep_counts *ep_find(const ss_roles *k, const ep_ref *r)
{
	guint nw = r->v4 ? EP4_WORDS : EP6_WORDS;
	const ep_table *t = r->v4 ? &k->eps4 : &k->eps6;
	if (t->len == 0)
		return NULL;
	guint64 *s = r->v4 ? ep_probe(t, r->key, r->h, EP4_WORDS)
			   : ep_probe(t, r->key, r->h, EP6_WORDS);
	return ep_slot_free(s, nw) ? NULL : ep_slot_counts(s, nw);
}

/* The entry of r in t, made when it is new (the table has room for it). */
G_ALWAYS_INLINE static inline ep_counts *ep_insert_in(ss_roles *k, ep_table *t, const ep_ref *r,
						      guint nw, void (*grow)(const ss_roles *, ep_table *))
{
	guint64 *s = t->cap ? ep_probe(t, r->key, r->h, nw) : NULL;
	if (s && !ep_slot_free(s, nw))
		return ep_slot_counts(s, nw);
	if (ep_needs_room(t)) {
		grow(k, t);
		s = ep_probe(t, r->key, r->h, nw);
	}
	memcpy(s, r->key, nw * sizeof(guint64));
	t->len++;
	return ep_slot_counts(s, nw);
}

static ep_counts *ep_insert(ss_roles *k, const ep_ref *r)
{
	if (r->v4)
		return ep_insert_in(k, &k->eps4, r, EP4_WORDS, ep4_grow);
	return ep_insert_in(k, &k->eps6, r, EP6_WORDS, ep6_grow);
}

static gboolean one_shot(const ep_counts *n)
{
	return n->records <= 1 && n->replies == 0 && n->flags == 0;
}

/* Removes the one-shot endpoints in place: frees their slots, then
 * places every other entry again, walking on from a slot that was free
 * before the sweep, so that each entry's run from its home slot is placed
 * again before it and it lands at or before where it was (linear probing
 * leaves no free slot between an entry and its home).  In place because a
 * sweep runs again and again once the table is full: a fresh array each
 * time was megabytes of new pages. */
G_ALWAYS_INLINE static inline guint32 ep_sweep(const ss_roles *k, ep_table *t, guint nw)
{
	guint32 removed = 0, start = 0;
	for (guint32 i = 0; i < t->cap; i++) {
		guint64 *s = ep_slot(t, i, nw);
		if (ep_slot_free(s, nw)) {
			start = i;   /* free before the sweep: no run of entries crosses it */
		} else if (one_shot(ep_slot_counts(s, nw))) {
			memset(s, 0, EP_SLOT_BYTES(nw));
			removed++;
		}
	}
	if (removed == 0)
		return 0;
	for (guint32 j = 1, i = start; j <= t->cap; j++) {
		i = ep_next(t, i);
		guint64 *s = ep_slot(t, i, nw);
		if (ep_slot_free(s, nw))
			continue;
		guint64 moved[EP_SLOT_WORDS(EP6_WORDS)];
		memcpy(moved, s, EP_SLOT_BYTES(nw));
		memset(s, 0, EP_SLOT_BYTES(nw));
		ep_place(k, t, moved, nw);
	}
	t->len -= removed;
	return removed;
}

static guint32 ep_count(const ss_roles *k)
{
	return k->eps4.len + k->eps6.len;
}

/* The endpoint's entry, created when there is room.  The pointer holds
 * until the next ep_get(). */
static ep_counts *ep_get(ss_roles *k, const ep_ref *r)
{
	/* With room, one probe finds or makes the entry (a find and then an
	 * insert walked the probe sequence twice for each new endpoint). */
	if (ep_count(k) < k->lim.max_endpoints)
		return ep_insert(k, r);
	ep_counts *e = (ep_counts *)ep_find(k, r);
	if (e)
		return e;
	/* Forget the endpoints seen once that proved nothing: the client
	 * side of most connections.  Amortized: a sweep must free an
	 * eighth of the table, or the table stops growing for good. */
	guint freed = 0;
	if (!k->full && ep_count(k) > 0)
		freed = ep_sweep(k, &k->eps4, EP4_WORDS) + ep_sweep(k, &k->eps6, EP6_WORDS);
	k->dropped += freed;
	if (freed < k->lim.max_endpoints / 8 + 1)
		k->full = TRUE;
	if (ep_count(k) >= k->lim.max_endpoints) {
		k->dropped++;
		return NULL;
	}
	return ep_insert(k, r);
}

static ep_counts *ep_get_side(ss_roles *k, const ss_conn *c, int side)
{
	ep_ref r;
	ep_ref_make(k, &r, c, side);
	return ep_get(k, &r);
}

/* ---- learning ---- */

void ss_roles_note_record(ss_roles *k, const ss_conn *c)
{
	if (!k)
		return;
	/* Both sides' keys first, so that the two slots are fetched at once
	 * rather than one miss after the other. */
	ep_ref r[2];
	ep_ref_make(k, &r[0], c, 0);
	ep_ref_make(k, &r[1], c, 1);
	for (int i = 0; i < 2; i++) {
		ep_counts *e = ep_get(k, &r[i]);
		if (!e)
			continue;
		guint16 peer = ss_conn_port(c, !i);
		if (e->records > 0 && peer != e->last_peer_port)
			e->peer_changes++;
		e->last_peer_port = peer;
		if (e->records < G_MAXUINT32)
			e->records++;
	}
}

void ss_roles_note_synack(ss_roles *k, const ss_conn *c, int side)
{
	if (!k || c->proto != IPPROTO_TCP)
		return;
	ep_counts *e = ep_get_side(k, c, side);
	if (e)
		e->flags |= EP_PROVEN_LISTENER;
}

static void dir_make(dir_key *d, guint8 family, const ss_ip *from, const ss_ip *to)
{
	memset(d, 0, sizeof *d);
	d->family = family;
	d->from = *from;
	if (to)
		d->to = *to;
}

static guint32 dir_size(const dir_set *s)
{
	return s->v4.len + (s->v4_zero ? 1 : 0) + ss_oatable_size(&s->v6);
}

static guint64 dir4(const ss_ip *from, const ss_ip *to)
{
	guint32 f, t = 0;
	memcpy(&f, from->bytes, 4);
	if (to)
		memcpy(&t, to->bytes, 4);
	return (guint64)f << 32 | t;
}

/* Adds the direction (`to` NULL: the host) unless the set holds `max`. */
static void dir_add(dir_set *s, guint8 family, const ss_ip *from, const ss_ip *to, guint max)
{
	if (dir_size(s) >= max)
		return;
	if (family == SS_FAMILY_IPV4) {
		guint64 v = dir4(from, to);
		if (v == 0)
			s->v4_zero = TRUE;
		else
			ss_set64_add(&s->v4, v, G_MAXUINT32);   /* bounded above */
		return;
	}
	dir_key d;
	gboolean created;
	dir_make(&d, family, from, to);
	ss_oa_insert(&s->v6, &d, ss_oa_hash(&d, sizeof d), sizeof d, sizeof d, &created);
}

static gboolean dir_contains(const dir_set *s, guint8 family, const ss_ip *from, const ss_ip *to)
{
	if (family == SS_FAMILY_IPV4) {
		guint64 v = dir4(from, to);
		return v == 0 ? s->v4_zero : ss_set64_contains(&s->v4, v);
	}
	dir_key d;
	dir_make(&d, family, from, to);
	return ss_oa_find(&s->v6, &d, ss_oa_hash(&d, sizeof d), sizeof d, sizeof d) != NULL;
}

/* The directions' set is 1 MiB of slots on mixed.pcap: a miss per add in
 * the capture-end drain, fetched here 8 events ahead (the drain's samples
 * in dir_add and the set's functions, 11 alternating rounds: 66 -> 57). */
void ss_roles_prefetch_learn(const ss_roles *k, const ss_conn *c)
{
	if (!k || c->family != SS_FAMILY_IPV4 || dir_size(&k->directions) >= SS_ROLES_MAX_DIRECTIONS)
		return;
	for (int i = 0; i < 2; i++)
		if (c->ep[i].packets > 0)
			ss_set64_prefetch(&k->directions.v4,
					  dir4(ss_conn_ip(c, i), ss_conn_ip(c, !i)));
}

/* Which host-pair directions the record holds packets in; a one-sided TCP
 * record proves the capture misses what its silent side sent to the other
 * (the other side acknowledged it, ss_conn_one_sided). */
static void learn_directions(ss_roles *k, const ss_conn *c)
{
	for (int i = 0; i < 2; i++) {
		if (c->ep[i].packets == 0)
			continue;
		dir_add(&k->directions, c->family, ss_conn_ip(c, i), ss_conn_ip(c, !i),
			SS_ROLES_MAX_DIRECTIONS);
	}
	if (c->proto == IPPROTO_TCP && ss_conn_one_sided(c)) {
		int heard = c->ep[0].packets > 0 ? 0 : 1;
		dir_add(&k->deaf, c->family, ss_conn_ip(c, heard), NULL, SS_ROLES_MAX_DIRECTIONS);
	}
}

gboolean ss_roles_answer_unseen(const ss_roles *k, const ss_conn *c, int client)
{
	if (!k || dir_size(&k->deaf) == 0)
		return FALSE;
	if (!dir_contains(&k->deaf, c->family, ss_conn_ip(c, client), NULL))
		return FALSE;
	/* Anything from the server to the client elsewhere in the capture
	 * shows that direction is captured: then the silence is real.  (A
	 * pair the full table could not record counts as unseen: unknown
	 * rather than a wrong "unanswered".) */
	return !dir_contains(&k->directions, c->family, ss_conn_ip(c, !client), ss_conn_ip(c, client));
}

void ss_roles_learn(ss_roles *k, const ss_conn *c)
{
	if (!k || c->client < 0)
		return;
	learn_directions(k, c);
	if (c->proto == IPPROTO_TCP) {
		gboolean proof = c->evidence == SS_EVIDENCE_SYN || c->evidence == SS_EVIDENCE_SYN_ACK;
		gboolean answered = c->outcome == SS_OUTCOME_COMPLETE ||
				    c->outcome == SS_OUTCOME_INCOMPLETE;
		if (proof && answered)
			ss_roles_note_synack(k, c, !c->client);
		return;
	}
	/* UDP: ep[0] spoke first; ep[1] answered it from the addressed port. */
	if (c->ep[0].packets > 0 && c->ep[1].packets > 0 &&
	    !ss_ip_is_multicast(c->family, ss_conn_ip(c, 1))) {
		ep_counts *e = ep_get_side(k, c, 1);
		if (e && e->replies < G_MAXUINT32)
			e->replies++;
	}
}

/* ---- deciding ---- */

/* The tests take the side's entry (NULL: not remembered), looked up once
 * per side for all of them. */
static gboolean is_proven_listener(const ep_counts *e, const ss_conn *c)
{
	if (!e)
		return FALSE;
	if (c->proto == IPPROTO_TCP)
		return (e->flags & EP_PROVEN_LISTENER) != 0;
	return e->replies >= SS_UDP_RESPONDER_MIN_REPLIES && e->peer_changes >= 1;
}

static gboolean is_fan_in(const ep_counts *e, const ss_conn *c)
{
	(void)c;
	if (!e || e->records < SS_FAN_IN_MIN_RECORDS)
		return FALSE;
	/* At least two changes, and in three of four records. */
	return e->peer_changes >= SS_FAN_IN_MIN_RECORDS - 1 &&
	       (guint64)e->peer_changes * 4 >= (guint64)(e->records - 1) * 3;
}

/* The server side when exactly one side passes `test`, else -1. */
static int one_side(const ep_counts *const e[2], const ss_conn *c,
		    gboolean (*test)(const ep_counts *, const ss_conn *))
{
	gboolean t0 = test(e[0], c), t1 = test(e[1], c);
	if (t0 == t1)
		return -1;
	return t0 ? 0 : 1;
}

static int eph_score(ss_eph_verdict v)
{
	return v == SS_EPH_VERDICT_IN ? 1 : v == SS_EPH_VERDICT_OUT ? -1 : 0;
}

/* The client side by the learned ephemeral ranges, else -1. */
static int by_ephemeral(const ss_roles *k, const ss_conn *c)
{
	if (!k->hosts)
		return -1;
	int s[2];
	ss_vnet vnet = ss_tunnel_vnet(ss_conn_tunnel(c));
	for (int i = 0; i < 2; i++)
		s[i] = eph_score(ss_hosts_ephemeral_verdict(k->hosts, c->family, ss_conn_ip(c, i),
							    &vnet, ss_conn_port(c, i)));
	if (s[0] == s[1])
		return -1;
	return s[0] > s[1] ? 0 : 1;
}

/* Both ports inside one OS default ephemeral range (Linux 32768-60999,
 * IANA 49152-65535, FreeBSD 10000-65535, old Windows 1025-5000): each
 * could be an OS-picked client port, so the port order says nothing
 * (peer-to-peer traffic, a bind shell on 40000).  Reached only when
 * neither port is a service port, a proven listener or a fan-in socket. */
static gboolean both_look_ephemeral(guint16 p0, guint16 p1)
{
	const ss_eph_default *ids;
	gsize n = ss_eph_defaults(&ids);
	for (gsize i = 0; i < n; i++) {
		guint16 lo, hi;
		ss_eph_default_bounds(ids[i], &lo, &hi);
		if (p0 >= lo && p0 <= hi && p1 >= lo && p1 <= hi)
			return TRUE;
	}
	return FALSE;
}

static void set(ss_conn *c, int client, ss_evidence e, ss_confidence conf)
{
	c->client = (gint8)client;
	c->evidence = e;
	c->confidence = conf;
}

void ss_roles_decide(const ss_roles *k, ss_conn *c)
{
	gboolean udp = c->proto != IPPROTO_TCP;
	int server, client;

	if (udp) {
		/* A group or broadcast address only receives: the other side sent. */
		for (int i = 1; i >= 0; i--) {
			if (ss_ip_is_multicast(c->family, ss_conn_ip(c, i))) {
				set(c, !i, SS_EVIDENCE_MULTICAST, SS_CONFIDENCE_MEDIUM);
				return;
			}
			if (ss_ip_is_broadcast(c->family, ss_conn_ip(c, i))) {
				set(c, !i, SS_EVIDENCE_BROADCAST, SS_CONFIDENCE_MEDIUM);
				return;
			}
		}
	}
	if (k) {
		/* Each side's entry once: the tests below looked each up again
		 * (up to four SipHash look-ups, each a likely cache miss); both
		 * keys first, so that the two slots are fetched at once. */
		ep_ref r[2];
		ep_ref_make(k, &r[0], c, 0);
		ep_ref_make(k, &r[1], c, 1);
		const ep_counts *e[2] = { ep_find(k, &r[0]), ep_find(k, &r[1]) };
		if ((server = one_side(e, c, is_proven_listener)) >= 0) {
			set(c, !server, SS_EVIDENCE_PROVEN_LISTENER, SS_CONFIDENCE_MEDIUM);
			return;
		}
		if ((client = by_ephemeral(k, c)) >= 0) {
			set(c, client, SS_EVIDENCE_EPHEMERAL_RANGE, SS_CONFIDENCE_MEDIUM);
			return;
		}
		if ((server = one_side(e, c, is_fan_in)) >= 0) {
			set(c, !server, SS_EVIDENCE_FAN_IN, SS_CONFIDENCE_MEDIUM);
			return;
		}
	}

	guint16 p0 = ss_conn_port(c, 0), p1 = ss_conn_port(c, 1);
	gboolean known0 = ss_service_port_known(c->proto, p0);
	gboolean known1 = ss_service_port_known(c->proto, p1);
	if (known0 != known1) {
		set(c, known0 ? 1 : 0, SS_EVIDENCE_SERVICE_PORT, SS_CONFIDENCE_MEDIUM);
	} else if (udp) {
		/* A client speaks first, from the port its OS picked; a reply from
		 * the port it addressed shows that port answers. */
		if (c->ep[0].packets > 0 && c->ep[1].packets > 0)
			set(c, 0, SS_EVIDENCE_REPLY_FROM_PORT, SS_CONFIDENCE_MEDIUM);
		else
			set(c, 0, SS_EVIDENCE_FIRST_SENDER, SS_CONFIDENCE_LOW);
	} else if (both_look_ephemeral(p0, p1)) {
		/* Rather unknown than a wrong guess: no client is named and no
		 * listener made (docs/inference.md, "Unknown roles"). */
		set(c, 0, SS_EVIDENCE_UNKNOWN, SS_CONFIDENCE_LOW);
	} else if (p0 != p1) {
		set(c, p0 < p1 ? 1 : 0, SS_EVIDENCE_LOWER_PORT, SS_CONFIDENCE_LOW);
	} else {
		set(c, 0, SS_EVIDENCE_FIRST_PACKET, SS_CONFIDENCE_LOW);
	}
}
